import ArgumentParser
import StrataFormat
import StrataParse

/// `strata grok`: grok tools. `strata grok test PATTERN LINE…` shows what a pattern captures.
struct GrokCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grok",
        abstract: "Grok pattern tools.",
        subcommands: [GrokTestCommand.self])
}

/// `strata grok test PATTERN [LINE…]`: expands PATTERN against the built-in patterns (plus
/// `--patterns-dir` files and `--define NAME=REGEX`), matches each line (or stdin's lines) and
/// prints the captured fields as JSON; exit status 1 when a line does not match.
struct GrokTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Try a grok pattern on lines and print what it captures.",
        discussion: """
        Example: strata grok test '%{IP:client} %{WORD:method} %{URIPATHPARAM:path}' '55.3.244.1 GET /index.html'
        Prints one JSON object per line: {"matched":true,"fields":{…}} or {"matched":false}.
        """)

    @Option(name: .customLong("patterns-dir"), help: "Directory of pattern files (NAME regex lines) to load, e.g. logstash-patterns-core's patterns/legacy.")
    var patternsDir: [String] = []

    @Option(name: .customLong("define"), help: "An extra pattern as NAME=REGEX (repeatable).")
    var defines: [String] = []

    @Flag(help: "Also print the regular expression the pattern expands to (on standard error).")
    var showRegex = false

    @Argument(help: "The grok pattern.")
    var pattern: String

    @Argument(help: "Lines to match; none reads standard input.")
    var lines: [String] = []

    func run() throws {
        var library = GrokLibrary.builtin
        for dir in patternsDir { try library.load(directory: dir) }
        for d in defines {
            guard let eq = d.firstIndex(of: "=") else { throw ValidationError("--define wants NAME=REGEX, got '\(d)'") }
            try library.add(text: "\(d[..<eq]) \(d[d.index(after: eq)...])", origin: "--define")
        }
        let grok: GrokPattern
        do { grok = try GrokPattern(pattern, library: library) } catch { throw ValidationError("\(error)") }
        if showRegex { printError(grok.regex.pattern) }
        var inputs = lines
        if inputs.isEmpty { while let l = readLine() { inputs.append(l) } }
        var allMatched = true
        for line in inputs {
            var s = line
            let fields = s.withUTF8 { grok.match(UnsafeRawBufferPointer($0)) }
            var out: [UInt8] = []
            if let fields {
                out.append(contentsOf: #"{"matched":true,"fields":{"#.utf8)
                for (i, f) in fields.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    LogEntryJSON.appendString(f.key, to: &out)
                    out.append(UInt8(ascii: ":"))
                    LogEntryJSON.appendValue(f.value, to: &out)
                }
                out.append(contentsOf: "}}".utf8)
            } else {
                allMatched = false
                out.append(contentsOf: #"{"matched":false}"#.utf8)
            }
            print(String(decoding: out, as: UTF8.self))
        }
        if !allMatched { throw ExitCode(1) }
    }
}
