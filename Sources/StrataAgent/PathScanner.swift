import StrataIO
#if canImport(Glibc)
import Glibc
#endif

/// Identity of a file on this machine: what survives a rename and what a checkpoint is keyed by.
public struct FileIdentity: Hashable, Sendable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64
    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }
    public var description: String { "\(device):\(inode)" }

    /// The identity and size of the file at `path` (symlinks followed), or nil if it is not a
    /// regular file.
    public static func of(path: String) -> (FileIdentity, size: Int)? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return (FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)), Int(st.st_size))
    }

    /// The identity and size of an open descriptor.
    public static func of(fd: Int32) -> (FileIdentity, size: Int)? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return (FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)), Int(st.st_size))
    }
}

/// Expands glob patterns to the regular files they match, minus exclusions, following
/// symlinks (to files and to directories) without looping, and reports the directories it
/// looked in (what the tailer watches for new files).
///
/// Complexity: lists only directories a pattern can still match under; literal components are
/// looked up with one `stat`.
public struct PathScanner: Sendable {
    public let patterns: [GlobPattern]
    public let exclusions: [GlobPattern]
    /// Deepest directory level `**` descends to (guards against pathological trees).
    public let maxDepth: Int

    public init(patterns: [String], exclude: [String], maxDepth: Int = 32) {
        self.patterns = patterns.map(GlobPattern.init)
        self.exclusions = exclude.map(GlobPattern.init)
        self.maxDepth = maxDepth
    }

    /// One matching file.
    public struct Match: Sendable, Equatable {
        public var path: String
        public var identity: FileIdentity
        public var size: Int
    }

    /// Every file matching a pattern and no exclusion, each identity once (the first path found
    /// wins, so a file and a symlink to it are read once); and the directories examined.
    public func scan() -> (files: [Match], directories: [String]) {
        var files: [Match] = []
        var seen = Set<FileIdentity>()
        var dirs: [String] = []
        var dirSeen = Set<String>()
        for p in patterns {
            var visiting = Set<FileIdentity>()
            let n = literalCount(p)
            walk(p.prefix(components: n), p.components.dropFirst(n)[...], depth: 0, visiting: &visiting) { path, id, size in
                if !isExcluded(path) && seen.insert(id).inserted { files.append(Match(path: path, identity: id, size: size)) }
            } directory: { d in
                if dirSeen.insert(d).inserted { dirs.append(d) }
            }
        }
        return (files, dirs)
    }

    /// Whether `path` matches an exclusion (patterns without `/` match the file name).
    public func isExcluded(_ path: String) -> Bool {
        let base = FileSystem.baseName(path)
        return exclusions.contains { $0.text.contains("/") ? $0.matches(path) : GlobPattern.matchComponent($0.components.first ?? [], Array(base.utf8)) }
    }

    /// Whether `path` matches a pattern and no exclusion (for a file that appeared).
    public func accepts(_ path: String) -> Bool {
        patterns.contains { $0.matches(path) } && !isExcluded(path)
    }

    func literalCount(_ p: GlobPattern) -> Int {
        var n = 0
        for c in p.components {
            if GlobPattern.componentHasWildcards(c) { break }
            n += 1
        }
        // A fully literal pattern: its last component is the file itself.
        return n == p.components.count ? max(0, n - 1) : n
    }

    private func walk(_ dir: String, _ rest: ArraySlice<[UInt8]>, depth: Int, visiting: inout Set<FileIdentity>,
                      file: (String, FileIdentity, Int) -> Void, directory: (String) -> Void) {
        guard !rest.isEmpty, depth <= maxDepth else { return }
        var st = stat()
        guard stat(dir, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return }
        let dirID = FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
        guard visiting.insert(dirID).inserted else { return }  // a symlink loop
        defer { visiting.remove(dirID) }
        directory(dir)
        expand(dir, rest, depth: depth, visiting: &visiting, file: file, directory: directory)
    }

    /// Applies the first of `rest` to the entries of `dir` (already checked and recorded).
    private func expand(_ dir: String, _ rest: ArraySlice<[UInt8]>, depth: Int, visiting: inout Set<FileIdentity>,
                        file: (String, FileIdentity, Int) -> Void, directory: (String) -> Void) {
        guard let first = rest.first else { return }
        let prefix = dir == "/" ? "/" : dir + "/"
        if first == [0x2A, 0x2A] {
            // Zero components here (a trailing `**` means every file below), then one more level.
            let after = rest.count == 1 ? [[0x2A]][...] : rest.dropFirst()
            expand(dir, after, depth: depth, visiting: &visiting, file: file, directory: directory)
            for name in (try? FileSystem.listDirectory(dir)) ?? [] where FileSystem.isDirectory(prefix + name) {
                walk(prefix + name, rest, depth: depth + 1, visiting: &visiting, file: file, directory: directory)
            }
            return
        }
        let names: [String]
        if GlobPattern.componentHasWildcards(first) {
            names = ((try? FileSystem.listDirectory(dir)) ?? []).filter { GlobPattern.matchComponent(first, Array($0.utf8)) }
        } else {
            names = [String(decoding: first, as: UTF8.self)]
        }
        for name in names {
            let child = prefix + name
            if rest.count == 1 {
                if let (id, size) = FileIdentity.of(path: child) { file(child, id, size) }
            } else {
                walk(child, rest.dropFirst(), depth: depth + 1, visiting: &visiting, file: file, directory: directory)
            }
        }
    }
}
