import StrataEngine
import StrataFormat
import StrataIO

/// Resolves command-line paths: a data directory expands to its live segments (from the manifest).
enum DataDirectoryWalker {
    static func segments(at path: String) throws -> [String] {
        if FileSystem.isDirectory(path) {
            let m = try readManifest(path + "/MANIFEST")
            return m.segments.map { path + "/" + $0.path }
        }
        return [path]
    }

    static func readManifest(_ path: String) throws -> Manifest {
        let size = try FileSystem.fileSize(path)
        guard size <= Limits.maxManifestBytes else {
            throw FormatError.invalid("manifest", at: 0, "file of \(size) bytes exceeds \(Limits.maxManifestBytes)").inFile(path)
        }
        let bytes = try FileSystem.readFile(path)
        do throws(FormatError) {
            return try withBytes(bytes) { (p: UnsafeRawBufferPointer) throws(FormatError) -> Manifest in try Manifest.decode(from: p) }
        } catch {
            throw error.inFile(path)
        }
    }
}
