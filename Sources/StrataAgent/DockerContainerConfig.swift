import StrataParse

/// What the agent needs from a container's `config.v2.json`
/// (`/var/lib/docker/containers/<id>/config.v2.json`) to label the lines of its json-file log.
///
/// Docker writes the file as one line of JSON, about 3–30 KiB:
///
///     {"StreamConfig":{},"State":{"Running":true,…},"ID":"4f3c…","Created":"…","Path":"nginx",
///      "Config":{"Hostname":"4f3c2b1a0d9e","Image":"nginx:1.27","Labels":{"com.example.team":"web"},…},
///      "Image":"sha256:…","LogPath":"…/4f3c…-json.log","Name":"/web-1","Driver":"overlay2",…}
///
/// Only `ID`, `Name`, `Config.Image`, `Config.Hostname` and `Config.Labels` are read; every other
/// key is skipped, so files from older and newer Docker versions decode alike. The top-level
/// `Image` is the image's content ID (`sha256:…`); `Config.Image` is the reference the container
/// was started from (`nginx:1.27`), which is what people search for.
///
/// The file is read once per container, so this decoder favours simplicity: it parses the whole
/// document with StrataParse's `JSONValue` (after a size check) rather than streaming.
public struct DockerContainerConfig: Sendable, Equatable {
    /// The full container ID: 64 lowercase hex digits (also the directory name).
    public var id: String
    /// The container name without Docker's leading `/` (`web-1`).
    public var name: String
    /// The image reference the container was created from (`Config.Image`), e.g. `nginx:1.27`;
    /// empty if absent.
    public var image: String
    /// The container's hostname (`Config.Hostname`); empty if absent.
    public var hostname: String
    /// The container's labels (`Config.Labels`); empty if absent or `null`.
    public var labels: [String: String]

    /// Creates a config; decoders use `decode(from:)`.
    public init(id: String, name: String, image: String, hostname: String, labels: [String: String]) {
        self.id = id
        self.name = name
        self.image = image
        self.hostname = hostname
        self.labels = labels
    }

    /// Decodes the contents of a `config.v2.json` file.
    ///
    /// - Parameter bytes: the whole file.
    /// - Throws: `ContainerLogError.tooLarge` above `AgentLimits.maxDockerConfigBytes`;
    ///   `.malformedJSON`/`.notAnObject` for text that is not one JSON object; `.missingField` for
    ///   an absent `ID`, `Name` or `Config`; `.invalidField` when `ID` is not 64 lowercase hex
    ///   digits, `Name` does not start with `/`, or a field has the wrong type (labels must be
    ///   strings).
    /// - Complexity: O(`bytes.count`).
    public static func decode(from bytes: UnsafeRawBufferPointer) throws(ContainerLogError) -> DockerContainerConfig {
        guard bytes.count <= AgentLimits.maxDockerConfigBytes else {
            throw .tooLarge(sizeInBytes: bytes.count, limitInBytes: AgentLimits.maxDockerConfigBytes)
        }
        let root = try scanned { () throws(ParseError) in try JSONValue.parse(bytes) }
        guard root.members != nil else { throw .notAnObject(offset: firstNonSpace(bytes)) }

        guard let idValue = root["ID"] else { throw .missingField("ID", offset: bytes.count) }
        guard let id = idValue.string, id.utf8.count == 64,
              id.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw .invalidField("ID", expected: "64 lowercase hex digits", offset: nil)
        }
        guard let nameValue = root["Name"] else { throw .missingField("Name", offset: bytes.count) }
        guard let slashed = nameValue.string, slashed.utf8.first == UInt8(ascii: "/") else {
            throw .invalidField("Name", expected: "a string starting with \"/\"", offset: nil)
        }
        guard let config = root["Config"] else { throw .missingField("Config", offset: bytes.count) }
        guard config.members != nil else { throw .invalidField("Config", expected: "an object", offset: nil) }

        return DockerContainerConfig(
            id: id,
            name: String(slashed.dropFirst()),
            image: try optionalString(config["Image"], field: "Config.Image"),
            hostname: try optionalString(config["Hostname"], field: "Config.Hostname"),
            labels: try labels(config["Labels"])
        )
    }

    /// A string field that may be absent or `null` (then empty).
    private static func optionalString(_ value: JSONValue?, field: String) throws(ContainerLogError) -> String {
        switch value {
        case nil, .null?: return ""
        case .string(let s)?: return s
        default: throw .invalidField(field, expected: "a string", offset: nil)
        }
    }

    /// `Config.Labels`: an object of strings, `null` or absent. A repeated key keeps its last value.
    private static func labels(_ value: JSONValue?) throws(ContainerLogError) -> [String: String] {
        switch value {
        case nil, .null?: return [:]
        case .object(let members)?:
            var labels = [String: String](minimumCapacity: members.count)
            for (key, value) in members {
                guard case .string(let text) = value else {
                    throw .invalidField("Config.Labels.\(key)", expected: "a string", offset: nil)
                }
                labels[key] = text
            }
            return labels
        default:
            throw .invalidField("Config.Labels", expected: "an object", offset: nil)
        }
    }

    private static func firstNonSpace(_ bytes: UnsafeRawBufferPointer) -> Int {
        var s = JSONScanner(bytes)
        s.skipSpace()
        return s.pos
    }
}
