import CStrataMalloc
#if canImport(Glibc)
import Glibc
#endif

/// `strata-agent --config agent.yaml [--check-config]`: what the executable does, kept here so
/// that tests can run it in-process and the `main.swift` stays a line.
public enum AgentCommand {
    /// Runs the command line `arguments` (without the program name); returns the exit status.
    public static func run(_ arguments: [String]) -> Int32 {
        var configPath: String?
        var checkOnly = false
        var i = 0
        while i < arguments.count {
            switch arguments[i] {
            case "--config", "-c":
                guard i + 1 < arguments.count else { return usage("--config needs a file") }
                configPath = arguments[i + 1]
                i += 1
            case "--check-config":
                checkOnly = true
            case "--version":
                print("strata-agent \(AgentVersion.string)")
                return 0
            case "--help", "-h":
                print(helpText)
                return 0
            default:
                return usage("unknown argument '\(arguments[i])'")
            }
            i += 1
        }
        guard let configPath else { return usage("--config is required") }
        let config: AgentConfig
        do { config = try AgentConfig.load(path: configPath) } catch {
            printError("strata-agent: invalid configuration: \(error)")
            return 2
        }
        if checkOnly {
            print(summary(config))
            return 0
        }
        // A handful of long-lived threads allocate and free batch-sized buffers: with glibc's
        // defaults each thread's arena keeps its high-water mark resident.
        strata_tune_malloc_small()
        // Signals are taken synchronously by this thread; every other thread inherits the mask.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        signal(SIGPIPE, SIG_IGN)
        let agent: Agent
        do {
            agent = try Agent(config: config)
            try agent.start()
        } catch {
            printError("strata-agent: \(error)")
            return 1
        }
        var sig: Int32 = 0
        sigwait(&set, &sig)
        AgentLog.info("signal \(sig): stopping")
        agent.stop()
        return 0
    }

    static let helpText = """
        USAGE: strata-agent --config agent.yaml [--check-config]

        Tails files, container logs and network inputs and ships them to Strata servers.
          --config FILE     the agent configuration (blueprint §10.1 format)
          --check-config    validate the configuration, print what it means, and exit
          --version         print the version
        """

    static func usage(_ message: String) -> Int32 {
        printError("strata-agent: \(message)\n\(helpText)")
        return 2
    }

    static func printError(_ text: String) {
        let bytes = Array((text + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    /// What a valid configuration means, for `--check-config`.
    static func summary(_ c: AgentConfig) -> String {
        var lines = ["configuration OK",
                     "agent: id=\(c.id) host=\(c.hostname) state=\(c.statePath) buffer=\(c.bufferType.rawValue) \(c.bufferMaxBytes) bytes, ring \(c.memoryBatches) batches"]
        for input in c.inputs {
            switch input {
            case .file(let f):
                let kind: String = switch f.kind {
                case .plain: "file"
                case .docker(let dir, let names): "docker dir=\(dir)" + (names.isEmpty ? "" : " containers=\(names.joined(separator: ","))")
                case .kubernetes(let dir, let ns): "kubernetes dir=\(dir)" + (ns.isEmpty ? "" : " namespaces=\(ns.joined(separator: ","))")
                }
                lines.append("input \(f.name): \(kind) paths=\(f.paths.joined(separator: ",")) exclude=\(f.exclude.joined(separator: ",")) start_at=\(f.startAt.rawValue) encoding=\(f.encoding.rawValue)" + (f.multiline != nil ? " multiline=\(f.multiline!.pattern)" : ""))
            case .syslog(let n): lines.append("input \(n.name): syslog \(n.transport) \(n.address)")
            case .http(let n): lines.append("input \(n.name): http \(n.address)")
            }
        }
        let o = c.output
        lines.append("output: http \(o.endpoints.map { "\($0.host):\($0.port)" }.joined(separator: ",")) \(o.loadBalance ? "load-balanced" : "failover") compression=\(o.compression.rawValue) batch=\(o.batchLines) lines/\(o.batchBytes) bytes/\(o.batchTimeoutNanos / 1_000_000) ms tls=\(o.tls != nil)")
        return lines.joined(separator: "\n")
    }
}
