import Testing
import Foundation
import StrataTestSupport
@testable import StrataPipeline

/// One real-world user agent and what the default rules must say about it.
struct UACase: Sendable, CustomTestStringConvertible {
    var ua: String
    var expected: UserAgentInfo
    var testDescription: String { expected.browser.isEmpty ? "(\(ua.prefix(30)))" : "\(expected.browser) on \(expected.os)" }

    init(_ ua: String, _ browser: String, _ browserVersion: String, _ os: String, _ osVersion: String, _ device: String) {
        self.ua = ua
        expected = UserAgentInfo(browser: browser, browserVersion: browserVersion, os: os, osVersion: osVersion, device: device)
    }
}


@Suite struct UserAgentParserTests {
    static let cases: [UACase] = [
        UACase("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
               "Chrome", "120.0.0.0", "Windows", "10", "desktop"),
        UACase("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
               "Safari", "17.1", "iOS", "17.1", "mobile"),
        UACase("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
               "Firefox", "121.0", "Linux", "", "desktop"),
        UACase("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
               "Edge", "120.0.2210.91", "Windows", "10", "desktop"),
        UACase("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
               "Googlebot", "2.1", "", "", "bot"),
        UACase("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.199 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
               "Googlebot", "2.1", "Android", "6.0.1", "bot"),
        UACase("curl/8.5.0", "curl", "8.5.0", "", "", "bot"),
        UACase("Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Safari/537.36",
               "Chrome", "120.0.6099.144", "Android", "13", "tablet"),
        UACase("Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
               "Samsung Internet", "23.0", "Android", "13", "mobile"),
        UACase("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
               "Safari", "17.2", "macOS", "10.15.7", "desktop"),
        UACase("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0",
               "Opera", "106.0.0.0", "Windows", "10", "desktop"),
        UACase("Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko", "IE", "11.0", "Windows", "7", "desktop"),
        UACase("Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; Trident/6.0)", "IE", "10.0", "Windows", "8", "desktop"),
        UACase("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "bingbot", "2.0", "", "", "bot"),
        UACase("Wget/1.21.4", "Wget", "1.21.4", "", "", "bot"),
        UACase("python-requests/2.31.0", "python-requests", "2.31.0", "", "", "bot"),
        UACase("Go-http-client/1.1", "Go-http-client", "1.1", "", "", "bot"),
        UACase("Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
               "Safari", "17.1", "iOS", "17.1", "tablet"),
        UACase("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
               "Chrome", "120.0.6099.144", "Android", "14", "mobile"),
        UACase("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
               "Chrome", "120.0.0.0", "ChromeOS", "", "desktop"),
        UACase("Mozilla/5.0 (Android 13; Tablet; rv:121.0) Gecko/121.0 Firefox/121.0", "Firefox", "121.0", "Android", "13", "tablet"),
        UACase("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
               "Chrome", "120.0.6099.119", "iOS", "17.1", "mobile"),
        UACase("Mozilla/5.0 (Windows NT 5.1; rv:52.0) Gecko/20100101 Firefox/52.0", "Firefox", "52.0", "Windows", "XP", "desktop"),
        UACase("Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; Trident/4.0; Tablet PC 2.0)", "IE", "7.0", "Windows", "7", "desktop"),
        UACase("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", "", "", "", "", "bot"),
        UACase("", "", "", "", "", ""),
    ]

    static let parser: UserAgentParser? = try? UserAgentParser(rules: UserAgentParser.defaultRules)

    @Test func builtInRulesLoadAndARulesFileLoadsTheSame() throws {
        _ = try UserAgentParser(rules: UserAgentParser.defaultRules)
        let dir = TemporaryDirectory()
        let path = dir.path + "/" + UserAgentParser.defaultRulesFileName
        try UserAgentParser.defaultRules.write(toFile: path, atomically: true, encoding: .utf8)
        let fromFile = try UserAgentParser.loadDefault(from: path)
        let ua = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
        #expect(fromFile.parse(ua) == (try UserAgentParser(rules: UserAgentParser.defaultRules)).parse(ua))
    }

    @Test(arguments: cases)
    func realWorldUserAgentsAreClassified(_ c: UACase) throws {
        let parser = try #require(Self.parser)
        #expect(parser.parse(c.ua) == c.expected)
    }

    @Test func byteAndStringInputsAgree() throws {
        let parser = try #require(Self.parser)
        for c in Self.cases {
            let fromBytes = Array(c.ua.utf8).withUnsafeBytes { parser.parse($0) }
            #expect(fromBytes == parser.parse(c.ua))
        }
    }

    @Test func versionsStopAtDelimitersAndAreCapped() throws {
        let parser = try UserAgentParser(rules: "browser X X/\nos Y \"Y OS\" version")
        #expect(parser.parse("X/1.2;rest").browserVersion == "1.2")
        #expect(parser.parse("X/1.2)rest").browserVersion == "1.2")
        #expect(parser.parse("X/ 7_0").browserVersion == "7.0")
        #expect(parser.parse("X/beta").browserVersion == "")
        #expect(parser.parse("X/").browserVersion == "")
        #expect(parser.parse("X/" + String(repeating: "9", count: 100)).browserVersion.utf8.count == UserAgentParser.maxVersionLength)
        #expect(parser.parse("(Y OS 3_1_4 like)") == UserAgentInfo(browser: "", os: "Y", osVersion: "3.1.4"))
    }

    @Test func nocaseMatchesAnyCase() throws {
        let parser = try UserAgentParser(rules: "device bot BoT nocase\ndevice human *")
        #expect(parser.parse("SomeCrawlerBOT/1").device == "bot")
        #expect(parser.parse("mybot").device == "bot")
        #expect(parser.parse("Mozilla/5.0").device == "human")
        #expect(parser.parse("").device == "")
    }

    @Test func requiresAndUnlessGateARule() throws {
        let rules = """
        device tablet Android unless=Mobile unless=Phone
        device mobile Android requires=Mobile requires="Safari/"
        device other *
        """
        let parser = try UserAgentParser(rules: rules)
        #expect(parser.parse("Android 13").device == "tablet")
        #expect(parser.parse("Android Phone").device == "other")
        #expect(parser.parse("Android Mobile Safari/1").device == "mobile")
        #expect(parser.parse("Android Mobile").device == "other")
    }

    @Test func throughputOfTheDefaultRules() throws {
        let parser = try #require(Self.parser)
        let uas = Self.cases.map { Array($0.ua.utf8) }
        let rounds = 2000
        let clock = ContinuousClock()
        var devices = 0
        let elapsed = clock.measure {
            for _ in 0..<rounds {
                for ua in uas { devices &+= ua.withUnsafeBytes { parser.parse($0).device.utf8.count } }
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let perSecond = Double(rounds * uas.count) / seconds
        print("user-agent parsing: \(Int(perSecond)) UAs/s (\(devices) device bytes)")
        #expect(perSecond > 10_000)
    }
}
