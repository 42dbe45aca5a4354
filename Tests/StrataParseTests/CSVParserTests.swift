import Testing
@testable import StrataParse

/// Splits `text` into records and each record into fields.
private func table(_ text: String, _ options: CSVOptions = CSVOptions()) throws -> [[String]] {
    let parser = CSVParser(options: options)
    var rows: [[String]] = []
    try Array(text.utf8).withUnsafeBytes { buffer in
        try CSVParser.splitRecords(in: buffer, options: options) { rows.append(try parser.fields(of: $0)) }
    }
    return rows
}

/// The fields of one record.
private func row(_ text: String, _ options: CSVOptions = CSVOptions()) throws -> [String] {
    try Array(text.utf8).withUnsafeBytes { try CSVParser(options: options).fields(of: $0) }
}

/// The raw records of `text`, as strings.
private func records(_ text: String) -> [String] {
    var out: [String] = []
    Array(text.utf8).withUnsafeBytes { buffer in
        CSVParser.splitRecords(in: buffer) { out.append(String(decoding: $0, as: UTF8.self)) }
    }
    return out
}

/// Feeds every record of `text` to one parser; nil entries are consumed records (header or blank).
private func mapped(_ text: String, _ options: CSVOptions) throws -> [[String]?] {
    var parser = CSVParser(options: options)
    var out: [[String]?] = []
    try Array(text.utf8).withUnsafeBytes { buffer in
        try CSVParser.splitRecords(in: buffer, options: options) { record in
            out.append(try parser.parse(record: record)?.map { "\($0.key)=\($0.value)" })
        }
    }
    return out
}

@Suite struct CSVParserTests {
    // MARK: RFC 4180 section 2

    @Test func crlfEndsRecordsAndLastRecordNeedsNoTerminator() throws {
        #expect(try table("aaa,bbb,ccc\r\nzzz,yyy,xxx\r\n") == [["aaa", "bbb", "ccc"], ["zzz", "yyy", "xxx"]])
        #expect(try table("aaa,bbb,ccc\r\nzzz,yyy,xxx") == [["aaa", "bbb", "ccc"], ["zzz", "yyy", "xxx"]])
        #expect(try table("a,b\nc,d\n") == [["a", "b"], ["c", "d"]])
    }

    @Test func spacesArePartOfAField() throws {
        #expect(try row("aaa , bbb") == ["aaa ", " bbb"])
        #expect(try row(#" "x" ,y"#) == [#" "x" "#, "y"])
    }

    @Test func quotedFieldsMayHoldDelimiters() throws {
        #expect(try row(#""aaa","bbb","ccc""#) == ["aaa", "bbb", "ccc"])
        #expect(try row(#"a,"b,c",d"#) == ["a", "b,c", "d"])
    }

    @Test func doubledQuotesStandForOneQuote() throws {
        #expect(try row(#""aaa","b""bb","ccc""#) == ["aaa", #"b"bb"#, "ccc"])
        #expect(try row("\"\"\"\"\"\"") == ["\"\""])
        #expect(try row(#""x""",y"#) == [#"x""#, "y"])
    }

    @Test func quotedFieldMayHoldNewlines() throws {
        let text = "\"aaa\",\"b\r\nbb\",\"ccc\"\r\nzzz,yyy,xxx\r\n\"one\ntwo\nthree\"\n"
        #expect(try table(text) == [["aaa", "b\r\nbb", "ccc"], ["zzz", "yyy", "xxx"], ["one\ntwo\nthree"]])
        #expect(records("a,\"x\ny\"\nb") == ["a,\"x\ny\"", "b"])
    }

    @Test func emptyFieldsAreKept() throws {
        #expect(try row(",a,,") == ["", "a", "", ""])
        #expect(try row(#""""#) == [""])
        #expect(try row(#""","""#) == ["", ""])
        #expect(try row(",") == ["", ""])
        #expect(try row("") == [])
    }

    @Test func blankRecordsAreSkipped() {
        #expect(records("a\n\n\r\nb\r\n\n") == ["a", "b"])
        #expect(records("") == [])
    }

    @Test func recordTerminatorIsIgnoredByFields() throws {
        #expect(try row("a,b\r\n") == ["a", "b"])
        #expect(try row("a,\"b\"\n") == ["a", "b"])
    }

    // MARK: Malformed input

    @Test func bareQuoteInsideUnquotedFieldIsLiteral() throws {
        #expect(try row(#"a,b"c,d""#) == ["a", #"b"c"#, #"d""#])
        #expect(try table("x,5\" screen\ny,6\n") == [["x", "5\" screen"], ["y", "6"]])
    }

    @Test func textAfterClosingQuoteIsAnError() {
        #expect(throws: ParseError("expected delimiter after closing quote", at: 6)) { try row(#"a,"bc"d,e"#) }
        #expect(throws: ParseError("expected delimiter after closing quote", at: 3)) { try row(#""a" ,b"#) }
    }

    @Test func unterminatedQuoteIsAnError() {
        #expect(throws: ParseError("unterminated quoted field", at: 2)) { try row(#"a,"bc"#) }
        #expect(throws: ParseError("unterminated quoted field", at: 4)) { try row(#"a,b,"c""d"#) }
        #expect(records("a,\"b\nc,d\n") == ["a,\"b\nc,d\n"])
        #expect(throws: ParseError("unterminated quoted field", at: 2)) { try table("a,\"b\nc,d\n") }
    }

    // MARK: Options

    @Test func tabDelimiterSplitsOnTabsOnly() throws {
        let tsv = CSVOptions(delimiter: 0x09)
        #expect(try table("a\tb,c\t\"d\te\"\n1\t\t3", tsv) == [["a", "b,c", "d\te"], ["1", "", "3"]])
    }

    @Test func trimSpacesDropsBlanksAroundFieldsAndQuotes() throws {
        let trim = CSVOptions(trimSpaces: true)
        #expect(try row("  a , \"b c\" ,c  ,", trim) == ["a", "b c", "c", ""])
        #expect(try row("\t\" x \"\t", trim) == [" x "])
        #expect(try table(" \"p\nq\" ,r", trim) == [["p\nq", "r"]])
    }

    @Test func otherQuoteByteIsHonoured() throws {
        let single = CSVOptions(quote: UInt8(ascii: "'"))
        #expect(try row(#"'a,b','it''s',"c""#, single) == ["a,b", "it's", #""c""#])
    }

    @Test func fieldsAreDecodedAsUTF8() throws {
        #expect(try row("é,\"日本,語\",\u{1F600}") == ["é", "日本,語", "\u{1F600}"])
    }

    // MARK: Header and columns

    @Test func autoHeaderIsConsumedWhenFirstRowLooksLikeNames() throws {
        let out = try mapped("time,level,msg\n2024-05-01T00:00:00Z,INFO,started\n", CSVOptions())
        #expect(out == [nil, ["time=2024-05-01T00:00:00Z", "level=INFO", "msg=started"]])
    }

    @Test func autoHeaderKeepsDataFirstFileAsData() throws {
        let out = try mapped("2024-05-01T00:00:00Z,INFO,started\n2024-05-01T00:00:01Z,WARN,slow\n", CSVOptions())
        #expect(out == [
            ["column1=2024-05-01T00:00:00Z", "column2=INFO", "column3=started"],
            ["column1=2024-05-01T00:00:01Z", "column2=WARN", "column3=slow"],
        ])
        #expect(try mapped("alice,42\n", CSVOptions()) == [["column1=alice", "column2=42"]])
    }

    @Test func autoHeaderRejectsValueLikeCells() {
        #expect(CSVParser.looksLikeHeader(["LineId", "Content", "event.id", "@timestamp", "_raw"]))
        #expect(!CSVParser.looksLikeHeader(["name", ""]))
        #expect(!CSVParser.looksLikeHeader(["name", "two words"]))
        #expect(!CSVParser.looksLikeHeader(["name", "true"]))
        #expect(!CSVParser.looksLikeHeader(["name", "NaN"]))
        #expect(!CSVParser.looksLikeHeader(["name", "inf"]))
        #expect(!CSVParser.looksLikeHeader(["name", "1e5"]))
        #expect(!CSVParser.looksLikeHeader(["name", "12:00:01"]))
    }

    @Test func presentHeaderIsAlwaysConsumed() throws {
        let out = try mapped("1,2\n3,4\n", CSVOptions(header: .present))
        #expect(out == [nil, ["1=3", "2=4"]])
    }

    @Test func absentHeaderNamesColumnsByPosition() throws {
        let out = try mapped("time,level\nx,y,z\n", CSVOptions(header: .absent))
        #expect(out == [["column1=time", "column2=level"], ["column1=x", "column2=y", "column3=z"]])
    }

    @Test func extraCellsGetPositionNamesAndMissingCellsAreOmitted() throws {
        let out = try mapped("1,2,3\n1\n", CSVOptions(header: .columns(["a", "b"])))
        #expect(out == [["a=1", "b=2", "column3=3"], ["a=1"]])
        let header = try mapped("a,,c\n1,2,3,4\n", CSVOptions(header: .present))
        #expect(header == [nil, ["a=1", "column2=2", "c=3", "column4=4"]])
    }

    @Test func renameAndSkipApplyBySourceName() throws {
        let options = CSVOptions(rename: ["Content": "message", "column4": "extra"], skip: ["EventId", "column5"])
        let out = try mapped("LineId,Content,EventId\n1,hello,E1,x,y,z\n", options)
        #expect(out == [nil, ["LineId=1", "message=hello", "extra=x", "column6=z"]])
    }

    @Test func blankRecordsAndByteOrderMarkDoNotDisturbTheHeader() throws {
        var parser = CSVParser(options: CSVOptions())
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("a,b".utf8)
        #expect(try [UInt8]().withUnsafeBytes { try parser.parse(record: $0) } == nil)
        #expect(parser.columns == nil)
        #expect(try bom.withUnsafeBytes { try parser.parse(record: $0) } == nil)
        #expect(parser.columns == ["a", "b"])
        let pairs = try Array("1,2".utf8).withUnsafeBytes { try parser.parse(record: $0) }
        #expect(pairs?.map(\.key) == ["a", "b"])
        #expect(pairs?.map(\.value) == ["1", "2"])
    }

    @Test func parseErrorOffsetsCountTheByteOrderMark() {
        var parser = CSVParser(options: CSVOptions())
        let bad: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(#"a,"b"#.utf8)
        #expect(throws: ParseError("unterminated quoted field", at: 5)) {
            try bad.withUnsafeBytes { try parser.parse(record: $0) }
        }
    }
}
