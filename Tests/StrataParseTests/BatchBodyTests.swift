import Testing
import StrataFormat
@testable import StrataParse

@Suite struct BatchBodyTests {
    let defaults = ParseDefaults(receivedAtNanos: 1_795_910_400_000_000_000, service: "svc")

    func parse(_ s: String, limit: Int = 1 << 20) throws(BatchBody.Failure) -> BatchBody {
        try withBytes(Array(s.utf8)) { (p: UnsafeRawBufferPointer) throws(BatchBody.Failure) in try BatchBody.parse(p, defaults: defaults, maxRecordBytes: limit) }
    }

    @Test func ndjsonKeepsGoodRecordsAndNamesBadOnes() throws {
        let b = try parse("{\"message\":\"a\"}\n\n[1]\n{\"message\":\"b\",\"n\":1}\r\n{broken\n  \n{\"message\":\"c\"}")
        #expect(b.entries.map(\.message) == ["a", "b", "c"])
        #expect(b.rejected == 2)
        #expect(b.errors.map(\.index) == [2, 4])
        #expect(b.errors[0].reason == "expected a JSON object")
        #expect(b.entries[0].service == "svc" && b.entries[0].timestampNanos == defaults.receivedAtNanos)
    }

    @Test func arraysWithNestingAndStrings() throws {
        let b = try parse(#" [ {"message":"x ] , { \" y","a":{"b":[1,{"c":"}"}]}}, 7 ,{"message":"z"} ] "#)
        #expect(b.entries.map(\.message) == [#"x ] , { " y"#, "z"])
        #expect(b.errors.map(\.index) == [1])
        #expect(try parse("[]").entries.isEmpty)
    }

    @Test func malformedArraysAndOversizedRecordsRefuseTheBody() {
        #expect(throws: BatchBody.Failure.self) { try parse(#"[{"message":"a"}"#) }
        #expect(throws: BatchBody.Failure.self) { try parse(#"[{"message":"a"}] trailing"#) }
        #expect(throws: BatchBody.Failure.self) { try parse(#"[{"message":"a"},,{}]"#) }
        #expect(throws: BatchBody.Failure.self) { try parse(#"[{"message":"a"}}]"#) }
        #expect(throws: BatchBody.Failure.recordTooLarge(index: 1, isLine: true, bytes: 28, limit: 20)) {
            try parse("{\"message\":\"a\"}\n{\"message\":\"0123456789abcd\"}\n", limit: 20)
        }
        #expect(throws: BatchBody.Failure.recordTooLarge(index: 0, isLine: false, bytes: 28, limit: 20)) {
            try parse("[{\"message\":\"0123456789abcd\"}]", limit: 20)
        }
    }

    @Test func outOfRangeTimestampsAreRejectedPerRecord() throws {
        let b = try parse("{\"timestamp\":\"1700-01-01T00:00:00Z\",\"message\":\"old\"}\n{\"message\":\"ok\"}")
        #expect(b.entries.map(\.message) == ["ok"])
        #expect(b.rejected == 1 && b.errors[0].reason.contains("timestamp"))
    }
}
