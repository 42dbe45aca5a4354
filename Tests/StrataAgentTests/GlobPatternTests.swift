import Testing
@testable import StrataAgent

@Suite struct GlobPatternTests {
    @Test func starAndQuestionStayWithinOneComponent() {
        let g = GlobPattern("/var/log/*.log")
        #expect(g.matches("/var/log/app.log"))
        #expect(!g.matches("/var/log/app.log.1"))
        #expect(!g.matches("/var/log/nginx/access.log"))
        #expect(GlobPattern("/x/a?c").matches("/x/abc"))
        #expect(!GlobPattern("/x/a?c").matches("/x/a/c"))
    }

    @Test func doubleStarMatchesAnyDepthIncludingNone() {
        let g = GlobPattern("/app/logs/**/*.log")
        #expect(g.matches("/app/logs/a.log"))
        #expect(g.matches("/app/logs/x/y/z/a.log"))
        #expect(!g.matches("/app/other/a.log"))
        #expect(GlobPattern("/app/**").matches("/app/a/b"))
    }

    @Test func classesRangesNegationAndEscapes() {
        #expect(GlobPattern.matchComponent(Array("[a-c]x".utf8), Array("bx".utf8)))
        #expect(!GlobPattern.matchComponent(Array("[!a-c]x".utf8), Array("bx".utf8)))
        #expect(GlobPattern.matchComponent(Array("[!a-c]x".utf8), Array("dx".utf8)))
        #expect(GlobPattern.matchComponent(Array("\\*".utf8), Array("*".utf8)))
        #expect(!GlobPattern.matchComponent(Array("\\*".utf8), Array("a".utf8)))
        // An unclosed class is a literal bracket.
        #expect(GlobPattern.matchComponent(Array("[ab".utf8), Array("[ab".utf8)))
    }

    @Test func starBacktrackingIsLinearOnPathologicalInput() {
        let name = Array(repeating: UInt8(ascii: "a"), count: 5000)
        let pat = Array("*a*a*a*a*a*b".utf8)
        #expect(!GlobPattern.matchComponent(pat, name))
    }

    @Test func literalPrefixStopsAtTheFirstWildcard() {
        #expect(GlobPattern("/var/log/*.log").literalPrefix == "/var/log")
        #expect(GlobPattern("/app/logs/**/*.log").literalPrefix == "/app/logs")
        #expect(GlobPattern("/*/x").literalPrefix == "/")
    }
}
