import Testing
@testable import StrataQuery
import StrataTestSupport

/// The query language of `docs/query-language.md`: every syntax form parses to the exact
/// `Query` / `QueryNode` the spec describes, and every error names the 0-based character
/// (Unicode scalar) position and what was expected there.
///
/// Where the parser disagrees with the spec, the test follows the spec (see the tests marked
/// "spec" in their doc comments).
@Suite struct QueryParserTests {
    // MARK: - Helpers

    /// A bare full-text term.
    func t(_ value: String) -> QueryNode { .term(field: nil, value: value) }

    /// A `field:value` term.
    func ft(_ field: String, _ value: String) -> QueryNode { .term(field: field, value: value) }

    /// An inclusive range bound.
    func inc(_ value: String) -> RangeBound { RangeBound(value, inclusive: true) }

    /// An exclusive range bound.
    func exc(_ value: String) -> RangeBound { RangeBound(value, inclusive: false) }

    /// The filter of `text` (stages ignored).
    func filter(_ text: String) throws -> QueryNode { try Query.parse(text).filter }

    /// Asserts that `text` fails to parse at `position` with a message containing `phrase`.
    func expectError(_ text: String, at position: Int, _ phrase: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        do throws(QuerySyntaxError) {
            let q = try Query.parse(text)
            Issue.record("expected a syntax error for \(text.debugDescription), got \(q)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.position == position, "position for \(text.debugDescription): \(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(phrase), "message for \(text.debugDescription): \(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: - Leaves

    @Test func termsRunToTheNextSpaceParenthesisOrPipe() throws {
        #expect(try filter("error") == t("error"))
        #expect(try filter("10.0.0.1") == t("10.0.0.1"))
        #expect(try filter("alice@example.com") == t("alice@example.com"))
        #expect(try filter("日本") == t("日本"))
        #expect(try filter("a-b") == t("a-b"))
        #expect(try filter("(error)") == t("error"))
        #expect(try filter("error|limit 1") == t("error"))
    }

    @Test func escapesInWordsAreLiteral() throws {
        #expect(try filter(#"a\ b"#) == t("a b"))
        #expect(try filter(#"a\:b"#) == t("a:b"))
        #expect(try filter(#"a\(b\)"#) == t("a(b)"))
        #expect(try filter(#"path:\/api\/v1"#) == ft("path", "/api/v1"))
        // An escaped keyword is a plain term.
        #expect(try filter(#"\AND"#) == t("AND"))
    }

    @Test func phrasesWithEscapes() throws {
        #expect(try filter(#""connection refused""#) == .phrase(field: nil, text: "connection refused"))
        #expect(try filter(#""say \"hi\" \\ ok""#) == .phrase(field: nil, text: #"say "hi" \ ok"#))
        #expect(try filter(#"host:"web 1""#) == .phrase(field: "host", text: "web 1"))
        // Spaces, parentheses and pipes inside a phrase belong to it.
        #expect(try filter(#""a | (b)""#) == .phrase(field: nil, text: "a | (b)"))
        #expect(try filter(#""AND""#) == .phrase(field: nil, text: "AND"))
    }

    @Test func fieldValues() throws {
        #expect(try filter("level:ERROR") == ft("level", "ERROR"))
        #expect(try filter("service:api-gateway") == ft("service", "api-gateway"))
        #expect(try filter("http.method:GET") == ft("http.method", "GET"))
        // Names are kept as written; only the first ':' separates name and value.
        #expect(try filter("Level:error") == ft("Level", "error"))
        #expect(try filter("a:b:c") == ft("a", "b:c"))
        #expect(try filter("trace_id:4bf92f3577b34da6a3ce929d0e0e4736") == ft("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"))
    }

    @Test func wildcardsKeepTheirEscapes() throws {
        #expect(try filter("time*") == .wildcard(field: nil, pattern: "time*"))
        #expect(try filter("?ail") == .wildcard(field: nil, pattern: "?ail"))
        #expect(try filter("host:web-*") == .wildcard(field: "host", pattern: "web-*"))
        #expect(try filter("user:a?c*") == .wildcard(field: "user", pattern: "a?c*"))
        // An escaped '*' or '?' is literal: without another wildcard the word is a term.
        #expect(try filter(#"\*"#) == t("*"))
        #expect(try filter(#"a\*b"#) == t("a*b"))
        #expect(try filter(#"f:a\?"#) == ft("f", "a?"))
        // With an unescaped wildcard the pattern keeps the escapes for the matcher.
        #expect(try filter(#"a\*b*"#) == .wildcard(field: nil, pattern: #"a\*b*"#))
    }

    @Test func regexesWithEscapedSlashes() throws {
        #expect(try filter("/time(d)?out/") == .regex(field: nil, pattern: "time(d)?out"))
        #expect(try filter(#"path:/\/api\/.*/"#) == .regex(field: "path", pattern: "/api/.*"))
        // Other escapes belong to the regex.
        #expect(try filter(#"/\d+/"#) == .regex(field: nil, pattern: #"\d+"#))
        #expect(try filter(#"host:/web-0[1-3]/"#) == .regex(field: "host", pattern: "web-0[1-3]"))
        // A '|' inside a regex does not end the filter.
        let q = try Query.parse("/a|b/ | limit 1")
        #expect(q.filter == .regex(field: nil, pattern: "a|b"))
        #expect(q.stages == [.limit(1)])
    }

    @Test func bracketRanges() throws {
        #expect(try filter("status:[500 TO 599]") == .range(field: "status", lower: inc("500"), upper: inc("599")))
        #expect(try filter("status:{500 TO 599}") == .range(field: "status", lower: exc("500"), upper: exc("599")))
        #expect(try filter("status:[500 TO 599}") == .range(field: "status", lower: inc("500"), upper: exc("599")))
        #expect(try filter("status:{500 TO 599]") == .range(field: "status", lower: exc("500"), upper: inc("599")))
        #expect(try filter("region:[eu TO us}") == .range(field: "region", lower: inc("eu"), upper: exc("us")))
        #expect(try filter(#"user:["a b" TO "c d"]"#) == .range(field: "user", lower: inc("a b"), upper: inc("c d")))
        // `TO` is case-insensitive.
        #expect(try filter("status:[1 to 5]") == .range(field: "status", lower: inc("1"), upper: inc("5")))
        #expect(try filter("status:[1 To 5]") == .range(field: "status", lower: inc("1"), upper: inc("5")))
    }

    @Test func rangesWithOpenEnds() throws {
        #expect(try filter("status:[* TO 599]") == .range(field: "status", lower: nil, upper: inc("599")))
        #expect(try filter("status:{* TO 599}") == .range(field: "status", lower: nil, upper: exc("599")))
        #expect(try filter("status:[500 TO *]") == .range(field: "status", lower: inc("500"), upper: nil))
        #expect(try filter("level:[* TO debug]") == .range(field: "level", lower: nil, upper: inc("debug")))
    }

    /// Spec: `bound = word | '"' chars '"' | "*"` — only a bare `*` is an open end; a quoted
    /// `"*"` is the literal text `*`.
    @Test func aQuotedStarBoundIsLiteral() throws {
        #expect(try filter(#"f:["*" TO b]"#) == .range(field: "f", lower: inc("*"), upper: inc("b")))
    }

    @Test func comparisonsAreOneSidedRanges() throws {
        #expect(try filter("duration_ms:>250") == .range(field: "duration_ms", lower: exc("250"), upper: nil))
        #expect(try filter("duration_ms:>=250") == .range(field: "duration_ms", lower: inc("250"), upper: nil))
        #expect(try filter("duration_ms:<250") == .range(field: "duration_ms", lower: nil, upper: exc("250")))
        #expect(try filter("duration_ms:<=250") == .range(field: "duration_ms", lower: nil, upper: inc("250")))
        #expect(try filter("level:>=warn") == .range(field: "level", lower: inc("warn"), upper: nil))
        #expect(try filter("host:>web-09") == .range(field: "host", lower: exc("web-09"), upper: nil))
    }

    @Test func existence() throws {
        #expect(try filter("_exists_:status") == .exists(field: "status"))
        #expect(try filter("_exists_:http.method") == .exists(field: "http.method"))
        #expect(try filter("status:*") == .exists(field: "status"))
        #expect(try filter("-_exists_:user") == .not(.exists(field: "user")))
    }

    // MARK: - Operators

    @Test func booleanOperators() throws {
        #expect(try filter("a AND b") == .and([t("a"), t("b")]))
        #expect(try filter("a OR b") == .or([t("a"), t("b")]))
        #expect(try filter("a OR b OR c") == .or([t("a"), t("b"), t("c")]))
        #expect(try filter("NOT a") == .not(t("a")))
        #expect(try filter("-a") == .not(t("a")))
        #expect(try filter("!a") == .not(t("a")))
        #expect(try filter("+a") == t("a"))
        #expect(try filter("a +b") == .and([t("a"), t("b")]))
        #expect(try filter("a -b") == .and([t("a"), .not(t("b"))]))
        #expect(try filter("NOT NOT a") == .not(.not(t("a"))))
        #expect(try filter("-status:500") == .not(ft("status", "500")))
        #expect(try filter(#"-"a b""#) == .not(.phrase(field: nil, text: "a b")))
        #expect(try filter("-/err/") == .not(.regex(field: nil, pattern: "err")))
        // A lone '-' is a term.
        #expect(try filter("a - b") == .and([t("a"), t("-"), t("b")]))
    }

    /// Spec: `unary = ( "NOT" | "-" | "!" ) unary | "+" unary | "(" or ")" | leaf`, so `-`, `!`
    /// and `+` apply to a parenthesised group too.
    @Test func prefixOperatorsApplyToGroups() throws {
        #expect(try filter("-(a OR b)") == .not(.or([t("a"), t("b")])))
        #expect(try filter("!(a)") == .not(t("a")))
        #expect(try filter("+(a b)") == .and([t("a"), t("b")]))
    }

    /// Spec ("What each leaf matches"): `--` is a term with no tokens (it matches nothing), not
    /// the negation of a lone `-`.
    @Test func doubleDashIsATerm() throws {
        #expect(try filter("--") == t("--"))
    }

    @Test func parentheses() throws {
        #expect(try filter("(a OR b) c") == .and([.or([t("a"), t("b")]), t("c")]))
        #expect(try filter("((a))") == t("a"))
        #expect(try filter("a (b OR (c d))") == .and([t("a"), .or([t("b"), .and([t("c"), t("d")])])]))
        #expect(try filter("NOT (a OR b)") == .not(.or([t("a"), t("b")])))
    }

    @Test func juxtapositionIsAnd() throws {
        #expect(try filter("a b") == .and([t("a"), t("b")]))
        #expect(try filter("a b c") == .and([t("a"), t("b"), t("c")]))
        #expect(try filter("a AND b c") == .and([t("a"), t("b"), t("c")]))
        #expect(try filter("host:web-* status:[500 TO 599]")
                == .and([.wildcard(field: "host", pattern: "web-*"), .range(field: "status", lower: inc("500"), upper: inc("599"))]))
    }

    @Test func precedenceIsNotThenAndThenOr() throws {
        #expect(try filter("a b OR c") == .or([.and([t("a"), t("b")]), t("c")]))
        #expect(try filter("a AND b OR c") == .or([.and([t("a"), t("b")]), t("c")]))
        #expect(try filter("a OR b c") == .or([t("a"), .and([t("b"), t("c")])]))
        #expect(try filter("NOT a b") == .and([.not(t("a")), t("b")]))
        #expect(try filter("a OR NOT b AND c") == .or([t("a"), .and([.not(t("b")), t("c")])]))
        #expect(try filter("-a b OR -c") == .or([.and([.not(t("a")), t("b")]), .not(t("c"))]))
    }

    @Test func keywordsAreCaseInsensitive() throws {
        #expect(try filter("a and b") == .and([t("a"), t("b")]))
        #expect(try filter("a Or b") == .or([t("a"), t("b")]))
        #expect(try filter("not a") == .not(t("a")))
        #expect(try filter("a oR b aNd NoT c") == .or([t("a"), .and([t("b"), .not(t("c"))])]))
    }

    @Test func emptyQueryAndStarMatchEverything() throws {
        #expect(try Query.parse("") == Query(filter: .all))
        #expect(try Query.parse("   ") == Query(filter: .all))
        #expect(try Query.parse("*") == Query(filter: .all))
        // '*' adds nothing to a conjunction.
        #expect(try filter("* error") == t("error"))
        #expect(try filter("error *") == t("error"))
        #expect(try filter("NOT *") == .not(.all))
    }

    @Test func theFirstTopLevelPipeEndsTheFilter() throws {
        let q = try Query.parse("error | limit 5")
        #expect(q.filter == t("error"))
        #expect(q.stages == [.limit(5)])
        // Pipes inside phrases, regexes and ranges do not.
        let p = try Query.parse(#""a|b" /c|d/ f:[x TO y|z] | head 2"#)
        #expect(p.filter == .and([.phrase(field: nil, text: "a|b"), .regex(field: nil, pattern: "c|d"),
                                  .range(field: "f", lower: inc("x"), upper: inc("y|z"))]))
        #expect(p.stages == [.limit(2)])
        // No filter before the first pipe: everything.
        #expect(try Query.parse("| limit 3") == Query(filter: .all, stages: [.limit(3)]))
    }

    // MARK: - Stages

    @Test func statsWithAliasGroupsAndBucket() throws {
        let q = try Query.parse("| stats count(), avg(x) as a by service, bucket(5m)")
        let stats = StatsStage(aggregates: [Aggregate(kind: .count, field: nil, name: "count()"),
                                            Aggregate(kind: .avg, field: "x", name: "a")],
                               groups: [.field("service"), .bucket(nanos: 300_000_000_000, text: "5m")])
        #expect(q == Query(filter: .all, stages: [.stats(stats)]))
        #expect(q.stats?.columnNames == ["service", "bucket(5m)", "count()", "a"])
    }

    @Test func everyAggregateFunction() throws {
        let q = try Query.parse("| stats count(), count(user), sum(bytes), avg(d), min(d), max(d), count_distinct(user), median(x), p50(x), p99.9(x)")
        #expect(q.stats?.aggregates == [
            Aggregate(kind: .count, field: nil, name: "count()"),
            Aggregate(kind: .count, field: "user", name: "count(user)"),
            Aggregate(kind: .sum, field: "bytes", name: "sum(bytes)"),
            Aggregate(kind: .avg, field: "d", name: "avg(d)"),
            Aggregate(kind: .min, field: "d", name: "min(d)"),
            Aggregate(kind: .max, field: "d", name: "max(d)"),
            Aggregate(kind: .countDistinct, field: "user", name: "count_distinct(user)"),
            Aggregate(kind: .percentile(50), field: "x", name: "median(x)"),
            Aggregate(kind: .percentile(50), field: "x", name: "p50(x)"),
            Aggregate(kind: .percentile(99.9), field: "x", name: "p99.9(x)"),
        ])
        #expect(q.stats?.groups == [])
    }

    @Test func bucketDurations() throws {
        let units: [(String, Int64)] = [("7ns", 7), ("3us", 3_000), ("250ms", 250_000_000), ("30s", 30_000_000_000),
                                        ("5m", 300_000_000_000), ("1h", 3_600_000_000_000),
                                        ("1d", 86_400_000_000_000), ("2w", 1_209_600_000_000_000)]
        for (text, nanos) in units {
            let q = try Query.parse("| stats count() by bucket(\(text))")
            #expect(q.stats?.groups == [.bucket(nanos: nanos, text: text)], "bucket(\(text))")
        }
    }

    @Test func aFullPipeline() throws {
        let q = try Query.parse("level:error service:payments | stats count() by host | sort count() desc | limit 5")
        #expect(q.filter == .and([ft("level", "error"), ft("service", "payments")]))
        #expect(q.stages == [
            .stats(StatsStage(aggregates: [Aggregate(kind: .count, field: nil, name: "count()")], groups: [.field("host")])),
            .sort([SortKey(name: "count()", descending: true)]),
            .limit(5),
        ])
    }

    @Test func sortLimitHeadAndFields() throws {
        #expect(try Query.parse("| sort by duration_ms desc, timestamp").stages
                == [.sort([SortKey(name: "duration_ms", descending: true), SortKey(name: "timestamp", descending: false)])])
        #expect(try Query.parse("| sort host asc").stages == [.sort([SortKey(name: "host", descending: false)])])
        #expect(try Query.parse("| limit 5").stages == [.limit(5)])
        #expect(try Query.parse("| limit 0").stages == [.limit(0)])
        #expect(try Query.parse("| head 3").stages == [.limit(3)])
        #expect(try Query.parse("| fields a, b").stages == [.fields(["a", "b"])])
        #expect(try Query.parse("x | sort duration_ms desc | limit 10 | fields timestamp, service, duration_ms").stages
                == [.sort([SortKey(name: "duration_ms", descending: true)]), .limit(10), .fields(["timestamp", "service", "duration_ms"])])
    }

    @Test func stageKeywordsAreCaseInsensitive() throws {
        let q = try Query.parse("| STATS COUNT() BY host | SORT count() DESC | LIMIT 2")
        #expect(q.stages == [
            .stats(StatsStage(aggregates: [Aggregate(kind: .count, field: nil, name: "count()")], groups: [.field("host")])),
            .sort([SortKey(name: "count()", descending: true)]),
            .limit(2),
        ])
    }

    @Test func sortAndFieldsAfterStatsNameOutputColumns() throws {
        let q = try Query.parse("| stats count() as n, p95(d) by host | sort n desc, p95(d) | fields host, n")
        let after: [QueryStage] = [
            .sort([SortKey(name: "n", descending: true), SortKey(name: "p95(d)", descending: false)]),
            .fields(["host", "n"]),
        ]
        #expect(Array(q.stages.dropFirst()) == after)
    }

    // MARK: - Errors

    @Test func errorUnterminatedPhrase() {
        expectError(#"error "conn"#, at: 6, "unterminated phrase")
        // An escaped quote does not close the phrase.
        expectError(#""abc\""#, at: 0, "unterminated phrase")
        expectError(#"host:"web"#, at: 5, "unterminated phrase")
    }

    @Test func errorUnterminatedRegex() {
        expectError("msg:/time", at: 4, "unterminated regular expression")
        // An escaped slash does not close the regex.
        expectError(#"/a\/"#, at: 0, "unterminated regular expression")
    }

    @Test func errorInvalidRegex() {
        expectError("level:x /a(b/", at: 8, "invalid regular expression")
        expectError("f:/(/", at: 2, "invalid regular expression")
    }

    @Test func errorMissingClosingParenthesis() {
        expectError("(a OR b", at: 7, "expected ')' to close '(' at position 0")
        // The filter ends at the pipe, so that is where ')' was expected.
        expectError("a (b | limit 1", at: 5, "expected ')' to close '(' at position 2")
        // Positions count characters (Unicode scalars), not bytes.
        expectError(#""日本" (a"#, at: 7, "expected ')' to close '(' at position 5")
        do throws(QuerySyntaxError) {
            _ = try Query.parse("(a OR b")
        } catch {
            #expect(error.description == "query syntax error at position 7: expected ')' to close '(' at position 0")
        }
    }

    @Test func errorUnexpectedClosingParenthesis() {
        expectError("a)", at: 1, "unexpected ')'")
        expectError(") a", at: 0, "unexpected ')'")
        expectError("(a))", at: 3, "unexpected ')'")
    }

    @Test func errorDanglingOperators() {
        expectError("a AND", at: 5, "expected a term, phrase or '(' but the query ended")
        expectError("a OR", at: 4, "expected a term, phrase or '(' but the query ended")
        expectError("a NOT", at: 5, "expected a term, phrase or '(' but the query ended")
        expectError("NOT", at: 3, "expected a term, phrase or '(' but the query ended")
        // The filter ends at the pipe.
        expectError("a AND | limit 1", at: 6, "expected a term, phrase or '(' but the query ended")
        expectError("AND a", at: 0, "unexpected AND")
        expectError("a OR OR b", at: 5, "unexpected OR")
    }

    @Test func errorMissingValueAfterField() {
        expectError("status:", at: 7, "expected a value after 'status:'")
        expectError("status: 500", at: 7, "expected a value after 'status:'")
        expectError("status:)", at: 7, "expected a value after 'status:'")
        expectError("_exists_:", at: 9, "expected a value after '_exists_:'")
        expectError(":a", at: 0, "unexpected ':'")
    }

    @Test func errorRangeWithoutTO() {
        expectError("status:[1 5]", at: 10, "expected 'TO' in the range opened at position 7")
    }

    @Test func errorRangeWithoutClosingBracket() {
        expectError("status:[1 TO 5", at: 14, "expected ']' or '}' to close the range opened at position 7")
        expectError("status:[1 TO 5 x]", at: 15, "expected ']' or '}' to close the range opened at position 7")
    }

    @Test func errorUnknownStage() {
        expectError("error | grep x", at: 8, "unknown stage 'grep'")
        expectError("a | ", at: 4, "expected a stage name")
    }

    @Test func errorUnknownAggregate() {
        expectError("| stats foo(x)", at: 8, "unknown aggregate 'foo'")
        expectError("| stats p0(x)", at: 8, "unknown aggregate 'p0'")
        expectError("| stats p101(x)", at: 8, "unknown aggregate 'p101'")
    }

    @Test func errorAggregateNeedsAField() {
        expectError("| stats sum()", at: 8, "'sum' needs a field")
        expectError("| stats count(), p95()", at: 17, "'p95' needs a field")
    }

    @Test func errorBadBucketDuration() {
        expectError("| stats count() by bucket(5x)", at: 26, "expected a duration")
        expectError("| stats count() by bucket(0m)", at: 26, "found '0m'")
        expectError("| stats count() by bucket(m)", at: 26, "found 'm'")
    }

    @Test func errorStatsNotFirst() {
        expectError("a | limit 5 | stats count()", at: 14, "'stats' must be the first stage")
    }

    @Test func errorUnknownColumnAfterStats() {
        expectError("| stats count() by host | sort foo", at: 31, "unknown column 'foo' in sort")
        expectError("| stats count() by host | fields bar", at: 33, "unknown column 'bar' in fields")
    }

    /// The spec does not say where a duplicate column is reported: a duplicate group key is
    /// reported at the key, a duplicate aggregate name where the `stats` stage ends.
    @Test func errorDuplicateOutputColumn() {
        expectError("| stats count(), count()", at: 24, "duplicate output column 'count()'")
        expectError("| stats count() as n, max(x) as n", at: 33, "duplicate output column 'n'")
        expectError("| stats count(), count() | limit 1", at: 25, "duplicate output column 'count()'")
        expectError("| stats count() by host, host", at: 25, "'host' is already a group key")
    }

    @Test func errorBadLimit() {
        expectError("| limit -1", at: 8, "expected a non-negative integer after 'limit', found '-1'")
        expectError("| limit ten", at: 8, "found 'ten'")
        expectError("| limit", at: 7, "expected a row count but the query ended")
        expectError("| limit 5 6", at: 10, "expected '|' or the end of the query, found '6'")
    }
}

/// The case-insensitive substring search behind full-text pruning, against a naive search.
@Suite struct BlockTextSearchTests {
    @Test func swarSearchAgreesWithNaiveSearch() {
        var rng = SeededRandom(seed: 42)
        let alphabet = Array("aAbBeErRoO_1. ".utf8) + [0xC3, 0xA9, 0x80, 0xFF]
        for _ in 0..<3000 {
            let hay = (0..<Int.random(in: 0...64, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            let needle = (0..<Int.random(in: 1...9, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
                .map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
            let lowered = hay.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
            let naive = needle.count <= lowered.count && (0...(lowered.count - needle.count)).contains { Array(lowered[$0..<($0 + needle.count)]) == needle }
            let got = hay.withUnsafeBufferPointer { BlockText.containsLowered($0, needle) }
            #expect(got == naive, "hay \(hay) needle \(needle)")
        }
    }
}
