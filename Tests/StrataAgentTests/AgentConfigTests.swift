import Foundation
import Testing
import StrataConfig
import StrataIO
import StrataTestSupport
@testable import StrataAgent

@Suite struct AgentConfigTests {
    /// The blueprint's §10.1 agent.yaml, with the two changes DESIGN §4 makes: `output.type:
    /// http` and Strata servers as hosts (and the regex in single quotes, as YAML needs for `\d`).
    static let blueprint = """
        agent:
          id: "agent-001"
          server: "pipeline.example.com:9090"
          buffer:
            type: "disk"
            size: "1GB"
            path: "/var/lib/logagent/buffer"

        inputs:
          - type: file
            paths:
              - "/var/log/*.log"
              - "/app/logs/**/*.log"
            exclude:
              - "*.gz"
            multiline:
              pattern: '^\\d{4}-\\d{2}-\\d{2}'
              negate: true
              match: after

          - type: docker
            endpoint: "unix:///var/run/docker.sock"
            containers:
              - "app-*"

          - type: syslog
            address: "0.0.0.0:514"
            protocol: "udp"

        processors:
          - type: add_host_metadata
          - type: add_docker_metadata

        output:
          type: http
          hosts:
            - "server1:9090"
            - "server2:9090"
          compression: "zstd"
          batch_size: 1000
          batch_timeout: "5s"
        """

    @Test func theBlueprintConfigurationLoads() throws {
        let c = try AgentConfig.load(yaml: Self.blueprint, origin: "agent.yaml")
        #expect(c.id == "agent-001")
        #expect(c.bufferType == .disk && c.bufferMaxBytes == 1 << 30 && c.statePath == "/var/lib/logagent/buffer")
        #expect(c.inputs.count == 3)
        guard case .file(let f) = c.inputs[0], case .file(let d) = c.inputs[1], case .syslog(let s) = c.inputs[2] else {
            Issue.record("input kinds: \(c.inputs)")
            return
        }
        #expect(f.paths == ["/var/log/*.log", "/app/logs/**/*.log"] && f.exclude == ["*.gz"])
        #expect(f.multiline?.pattern == "^\\d{4}-\\d{2}-\\d{2}" && f.multiline?.options.negate == true)
        #expect(d.kind == .docker(containersDirectory: "/var/lib/docker/containers", nameGlobs: ["app-*"]))
        #expect(s.address == "0.0.0.0:514" && s.transport == "udp")
        #expect(c.processors.addHostMetadata && c.processors.addDockerLabels)
        #expect(c.output.endpoints == [.init(host: "server1", port: 9090), .init(host: "server2", port: 9090)])
        #expect(c.output.compression == .zstd && c.output.batchLines == 1000 && c.output.batchTimeoutNanos == 5_000_000_000)
    }

    func error(_ yaml: String) -> String {
        do {
            _ = try AgentConfig.load(yaml: yaml, origin: "agent.yaml")
            return "no error"
        } catch {
            return error.description
        }
    }

    @Test func badConfigurationsNameTheSettingAndWhy() {
        let base = "inputs:\n  - type: file\n    paths: [\"/var/log/*.log\"]\noutput:\n  hosts: [\"127.0.0.1:8080\"]\n"
        #expect(error(base) == "no error")
        #expect(error(base.replacingOccurrences(of: "hosts:", with: "type: grpc\n  hosts:")).contains("output.type"))
        #expect(error(base.replacingOccurrences(of: "hosts:", with: "type: grpc\n  hosts:")).contains("grpc"))
        #expect(error(base + "  compression: snappy\n").contains("agent.yaml.output.compression: unknown 'snappy' (known: none, gzip, zstd, lz4)"))
        #expect(error(base + "  batchsize: 5\n").contains("unknown 'batchsize'"))
        #expect(error(base.replacingOccurrences(of: "127.0.0.1:8080", with: "no-port")).contains("output.hosts[0]"))
        // Server addresses are read like listen addresses: IPv6 in brackets, an optional http://, a port above 0.
        #expect(error(base.replacingOccurrences(of: "127.0.0.1:8080", with: "[::1]:8080")) == "no error")
        #expect(error(base.replacingOccurrences(of: "127.0.0.1:8080", with: "http://logs.example:8080")) == "no error")
        #expect(error(base.replacingOccurrences(of: "127.0.0.1:8080", with: "::1:8080")).contains("output.hosts[0]"))
        #expect(error(base.replacingOccurrences(of: "127.0.0.1:8080", with: "host:0")).contains("output.hosts[0]"))
        let syslog = "inputs:\n  - type: syslog\n    address: \"0.0.0.0:70000\"\noutput:\n  hosts: [\"127.0.0.1:8080\"]\n"
        #expect(error(syslog).contains("inputs[0].address: expected host:port"))
        #expect(error(syslog.replacingOccurrences(of: "70000", with: "514")) == "no error")
        #expect(error("inputs: []\noutput:\n  hosts: [\"a:1\"]\n").contains("agent.yaml.inputs: required setting is missing"))
        #expect(error(base.replacingOccurrences(of: "type: file", with: "type: journald")).contains("unknown 'journald'"))
        #expect(error(base.replacingOccurrences(of: "\"/var/log/*.log\"", with: "\"relative/*.log\"")).contains("absolute path"))
        #expect(error(base.replacingOccurrences(of: "    paths", with: "    multiline: {pattern: '(unclosed'}\n    paths")).contains("multiline.pattern"))
        #expect(error(base.replacingOccurrences(of: "    paths", with: "    encoding: ebcdic\n    paths")).contains("encoding: unknown 'ebcdic'"))
        #expect(error("agent: [1, 2\n").contains("not valid YAML"))
        #expect(error("").contains("empty"))
        // The blueprint's double-quoted `\\d` is a YAML error, reported as such.
        #expect(error(base.replacingOccurrences(of: "    paths", with: "    multiline: {pattern: \"^\\d\"}\n    paths")).contains("not valid YAML"))
    }

    @Test func checkConfigValidatesWithoutStarting() throws {
        let dir = TemporaryDirectory("agent-config")
        let good = dir.path + "/good.yaml", bad = dir.path + "/bad.yaml"
        try FileSystem.writeAtomically(Array(Self.blueprint.utf8), to: good)
        try FileSystem.writeAtomically(Array(Self.blueprint.replacingOccurrences(of: "type: http", with: "type: grpc").utf8), to: bad)
        let ok = try runBinary("strata-agent", ["--check-config", "--config", good])
        #expect(ok.status == 0, "\(ok.output)")
        #expect(ok.output.contains("configuration OK"))
        #expect(ok.output.contains("output: http server1:9090,server2:9090"))
        let no = try runBinary("strata-agent", ["--check-config", "--config", bad])
        #expect(no.status == 2)
        #expect(no.output.contains("output.type: expected http"))
        let missing = try runBinary("strata-agent", ["--config", dir.path + "/nope.yaml"])
        #expect(missing.status == 2 && missing.output.contains("nope.yaml"))
        #expect(try runBinary("strata-agent", ["--bogus"]).status == 2)
    }
}
