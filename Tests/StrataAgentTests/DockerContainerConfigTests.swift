import Testing
import StrataAgent

private func decode(_ text: String) throws(ContainerLogError) -> DockerContainerConfig {
    try decode(Array(text.utf8))
}

private func decode(_ bytes: [UInt8]) throws(ContainerLogError) -> DockerContainerConfig {
    try bytes.withUnsafeBytes { raw in Result { () throws(ContainerLogError) in try DockerContainerConfig.decode(from: raw) } }.get()
}

private let id64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

@Suite struct DockerContainerConfigTests {
    @Test func fixtureConfigGivesNameImageHostnameAndLabels() throws {
        let config = try decode(Fixture.bytes("docker/\(Fixture.dockerID)/config.v2.json"))
        #expect(config.id == Fixture.dockerID)
        #expect(config.name == "shop-web-1")
        #expect(config.image == "nginx:1.27")
        #expect(config.hostname == "3f4e1a2b9c8d")
        #expect(config.labels.count == 8)
        #expect(config.labels["com.docker.compose.service"] == "web")
        #expect(config.labels["com.example.team"] == "shop")
        // Go writes '<' and '>' as \u003c and \u003e.
        #expect(config.labels["maintainer"] == "NGINX Docker Maintainers <docker-maint@nginx.com>")
    }

    @Test func unknownKeysAreIgnoredAndOptionalFieldsDefaultToEmpty() throws {
        let config = try decode(#"{"Future":{"deep":[1,{"x":null}]},"ID":"\#(id64)","Name":"/db","Config":{"Labels":null,"Tty":true}}"#)
        #expect(config == DockerContainerConfig(id: id64, name: "db", image: "", hostname: "", labels: [:]))
    }

    @Test func escapedLabelKeysAndValuesAreDecoded() throws {
        let config = try decode(#"{"ID":"\#(id64)","Name":"/caf\u00e9","Config":{"Image":"reg.example.com:5000/app@sha256:abc","Labels":{"k\"ey":"v\\al \ud83d\ude00"}}}"#)
        #expect(config.name == "café")
        #expect(config.image == "reg.example.com:5000/app@sha256:abc")
        #expect(config.labels == ["k\"ey": "v\\al 😀"])
    }

    static let garbage: [(String, ContainerLogError)] = [
        ("", .malformedJSON(reason: "expected a value", offset: 0)),
        ("\u{0}\u{1}binary", .malformedJSON(reason: "expected a value", offset: 0)),
        ("  [1,2]", .notAnObject(offset: 2)),
        (#"{"ID":"\#(id64)","Name":"/x","Config":{}"#, .malformedJSON(reason: "unterminated object", offset: 96)),
        (#"{"Name":"/x","Config":{}}"#, .missingField("ID", offset: 25)),
        (#"{"ID":"abc","Name":"/x","Config":{}}"#, .invalidField("ID", expected: "64 lowercase hex digits", offset: nil)),
        (#"{"ID":"\#(id64.uppercased())","Name":"/x","Config":{}}"#, .invalidField("ID", expected: "64 lowercase hex digits", offset: nil)),
        (#"{"ID":"\#(id64)","Config":{}}"#, .missingField("Name", offset: 85)),
        (#"{"ID":"\#(id64)","Name":"x","Config":{}}"#, .invalidField("Name", expected: #"a string starting with "/""#, offset: nil)),
        (#"{"ID":"\#(id64)","Name":"/x"}"#, .missingField("Config", offset: 85)),
        (#"{"ID":"\#(id64)","Name":"/x","Config":[]}"#, .invalidField("Config", expected: "an object", offset: nil)),
        (#"{"ID":"\#(id64)","Name":"/x","Config":{"Image":7}}"#, .invalidField("Config.Image", expected: "a string", offset: nil)),
        (#"{"ID":"\#(id64)","Name":"/x","Config":{"Labels":["a"]}}"#, .invalidField("Config.Labels", expected: "an object", offset: nil)),
        (#"{"ID":"\#(id64)","Name":"/x","Config":{"Labels":{"n":1}}}"#, .invalidField("Config.Labels.n", expected: "a string", offset: nil)),
    ]

    @Test(arguments: garbage)
    func garbageIsRejectedWithAClearError(text: String, expected: ContainerLogError) {
        #expect(throws: expected) { try decode(text) }
    }

    @Test func oversizedFileIsRefusedBeforeParsing() {
        let huge = [UInt8](repeating: 0x20, count: AgentLimits.maxDockerConfigBytes + 1)
        #expect(throws: ContainerLogError.tooLarge(sizeInBytes: huge.count, limitInBytes: AgentLimits.maxDockerConfigBytes)) {
            try decode(huge)
        }
    }
}
