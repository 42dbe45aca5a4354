#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import StrataPipeline

@Suite struct UserAgentRulesTests {
    /// The error compiling `rules` throws, or nil when it compiles.
    private func rulesError(_ rules: String) -> UserAgentRulesError? {
        do {
            _ = try UserAgentParser(rules: rules)
            return nil
        } catch {
            return error
        }
    }

    @Test func badRulesFileNamesTheLine() {
        let rules = """
        # a comment

        browser Chrome Chrome/
        browzer Firefox Firefox/
        """
        #expect(rulesError(rules) == .invalidRule(line: 4, text: "browzer Firefox Firefox/",
                                                  reason: "unknown kind 'browzer' (expected browser, os or device)"))
        #expect(rulesError(rules).map(String.init(describing:))
            == "line 4: unknown kind 'browzer' (expected browser, os or device): browzer Firefox Firefox/")
    }

    @Test func malformedLinesAreRejectedWithAReason() {
        let cases: [(String, String)] = [
            ("os Linux", "expected 'os <name> <token> [options]'"),
            ("browser \"Samsung Internet SamsungBrowser/", "unterminated quote"),
            ("browser Chrome Chrome/ fast", "unknown option 'fast' (expected version, version=, requires=, unless=, map=, nocase)"),
            ("os Windows Windows map=10.0:10", "map= needs a rule that captures a version"),
            ("device mobile Android requires=", "option 'requires' needs a non-empty value"),
            ("device bot x nocase=yes", "unknown option 'nocase=yes' (expected version, version=, requires=, unless=, map=, nocase)"),
            ("os Windows \"Windows NT\" version map=10.0", "map entry '10.0' is not <version>:<name>"),
            ("browser \"\" Chrome/", "empty name"),
            ("browser Chrome \"\"", "empty token"),
            ("device desktop * version", "the token * matches every user agent and takes no version or nocase"),
        ]
        for (line, reason) in cases {
            guard case .invalidRule(let number, _, let got) = rulesError("# header\n" + line) else {
                Issue.record("no error for \(line)")
                continue
            }
            #expect(number == 2)
            #expect(got == reason, "\(line)")
        }
    }

    @Test func commentsBlankLinesQuotesAndCRLFAreAccepted() throws {
        let rules = "# rules\r\n\r\n   \t\r\nbrowser \"Samsung Internet\" SamsungBrowser/   # trailing comment\r\n"
            + "os \"Chrome OS\" \"CrOS x86_64\"\r\nbrowser C# \"C#/\"\r\n"
        let parser = try UserAgentParser(rules: rules)
        #expect(parser.browsers.entries.count == 2)
        #expect(parser.parse("X SamsungBrowser/23.0 Y").browser == "Samsung Internet")
        #expect(parser.parse("X SamsungBrowser/23.0 Y").browserVersion == "23.0")
        #expect(parser.parse("(X11; CrOS x86_64 1.2)").os == "Chrome OS")
        #expect(parser.parse("C#/1").browser == "C#")
    }

    @Test func fieldSplittingKeepsQuotedSpaces() {
        #expect(UserAgentRule.splitFields("os iOS \"iPhone OS\" version") == ["os", "iOS", "iPhone OS", "version"])
        #expect(UserAgentRule.splitFields("a b=\"c d\" # e") == ["a", "b=c d"])
        #expect(UserAgentRule.splitFields("  # only a comment") == [])
        #expect(UserAgentRule.splitFields("a \"#b\"") == ["a", "#b"])
        #expect(UserAgentRule.splitFields("a \"b") == nil)
    }

    @Test func versionFromAnotherTokenIsEmptyWhenThatTokenIsMissing() throws {
        let parser = try UserAgentParser(rules: "browser Safari Safari/ version=Version/")
        #expect(parser.parse("Safari/604.1") == UserAgentInfo(browser: "Safari"))
        #expect(parser.parse("Version/9.0 Safari/604.1").browserVersion == "9.0")
    }

    @Test func versionMapReplacesExactVersionsOnly() throws {
        let parser = try UserAgentParser(rules: "os Windows \"Windows NT\" version map=6.1:7,10.0:10")
        #expect(parser.parse("(Windows NT 6.1; x)").osVersion == "7")
        #expect(parser.parse("(Windows NT 10.0)").osVersion == "10")
        #expect(parser.parse("(Windows NT 6.15)").osVersion == "6.15")
    }

    @Test func missingRulesFileIsAnUnreadableFileError() {
        #expect(throws: UserAgentRulesError.unreadableFile(path: "/nonexistent/ua.rules", errno: ENOENT)) {
            try UserAgentParser.loadDefault(from: "/nonexistent/ua.rules")
        }
    }

    @Test func emptyRulesClassifyNothing() throws {
        let parser = try UserAgentParser(rules: "")
        #expect(parser.parse("Mozilla/5.0 Chrome/1") == UserAgentInfo())
    }
}
