import Testing
import StrataFormat
@testable import StrataParse

@Suite struct KeyValueParserTests {
    func parse(_ p: KeyValueParser, _ line: String) throws -> LogEntry {
        var s = line
        return try s.withUTF8 { try p.parse(UnsafeRawBufferPointer($0), defaults: ParseDefaults(receivedAtNanos: 1)) }
    }

    @Test func colonCommaPairsWithTypesAndRoles() throws {
        let e = try parse(KeyValueParser(pairSeparator: UInt8(ascii: ","), keyValueSeparator: UInt8(ascii: ":")),
                          #"level: warn, msg: "disk, almost full", used_pct: 91.5, node: n1, retries: 3, ok: false"#)
        #expect(e.level == .warn && e.message == "disk, almost full")
        #expect(e.field("used_pct") == .float(91.5) && e.field("retries") == .int(3) && e.field("ok") == .bool(false))
        #expect(e.field("node") == .string("n1"))
    }

    @Test func pipeSeparatedWithSingleQuotes() throws {
        let e = try parse(KeyValueParser(pairSeparator: UInt8(ascii: "|"), quote: UInt8(ascii: "'")), "a=1|b='x|y'|c=z")
        #expect(e.field("a") == .int(1) && e.field("b") == .string("x|y") && e.field("c") == .string("z"))
    }

    /// Fuzz regression (FuzzAccessLog timeout-99e20b88): a key-value separator with no key
    /// before it did not advance the cursor, so the parser spun forever.
    @Test func separatorWithoutAKeyIsSkippedNotSpunOn() throws {
        let e = try? parse(KeyValueParser(keyValueSeparator: UInt8(ascii: "\"")), #""disk, full", ns.: "disk, full", n: 2"#)
        #expect(e.map { $0.fields.allSatisfy { !$0.key.isEmpty } } ?? true)
        let f = try parse(KeyValueParser(), "=x a=1 ==")
        #expect(f.fields == [Field("a", .int(1))])
    }

    @Test func noPairsOrAnOpenQuoteAreErrors() {
        #expect(throws: ParseError("no key=value pair", at: 0)) { try parse(KeyValueParser(), "just words") }
        #expect(throws: ParseError("unterminated quoted value", at: 2)) { try parse(KeyValueParser(), #"a="open"#) }
    }
}
