import Testing
import StrataFormat
import StrataParse
@testable import StrataReceivers

@Suite struct SyslogParserTests {
    let received = Timestamp.parseRFC3339("2026-11-29T12:00:00Z")!
    func parse(_ s: String) -> LogEntry { parse(Array(s.utf8)) }
    func parse(_ b: [UInt8]) -> LogEntry {
        b.withUnsafeBytes { SyslogParser.parse($0, defaults: ParseDefaults(receivedAtNanos: received)) }
    }

    @Test func rfc5424ExamplesOfTheRFC() {
        // RFC 5424 §6.5, example 1 (with the BOM before MSG).
        let e1 = parse(Array("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ".utf8) + [0xEF, 0xBB, 0xBF] + Array("'su root' failed for lonvick on /dev/pts/8".utf8))
        #expect(e1.timestampNanos == Timestamp.parseRFC3339("2003-10-11T22:14:15.003Z"))
        #expect(e1.host == "mymachine.example.com" && e1.service == "su" && e1.level == .fatal)
        #expect(e1.message == "'su root' failed for lonvick on /dev/pts/8")
        #expect(e1.field("syslog.facility") == .string("auth") && e1.field("syslog.severity") == .string("crit"))
        #expect(e1.field("syslog.msgid") == .string("ID47") && e1.field("syslog.procid") == nil)
        // Example 2: a time zone offset and microseconds; PROCID set.
        let e2 = parse("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.")
        #expect(e2.timestampNanos == Timestamp.parseRFC3339("2003-08-24T12:14:15.000003Z"))
        #expect(e2.level == .info && e2.field("syslog.facility") == .string("local4") && e2.field("syslog.severity") == .string("notice"))
        #expect(e2.field("syslog.procid") == .string("8710") && e2.message == "%% It's time to make the do-nuts.")
        // Example 3: structured data; example 4: two elements and no MSG.
        let e3 = parse(#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry..."#)
        #expect(e3.field("sd.exampleSDID@32473.eventSource") == .string("Application") && e3.field("sd.exampleSDID@32473.eventID") == .string("1011"))
        #expect(e3.message == "An application event log entry...")
        let e4 = parse(#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]"#)
        #expect(e4.field("sd.examplePriority@32473.class") == .string("high") && e4.message == "")
    }

    @Test func rfc5424AsLoggerAndRsyslogSendIt() {
        let e = parse(#"<133>1 2026-11-29T02:15:43.829533+00:00 vm demoapp - ID47 [timeQuality tzKnown="1" isSynced="0"][exampleSDID@32473 iut="3" eventSource="App\"x\]"] message 1 of 3: café key=value"#)
        #expect(e.field("sd.exampleSDID@32473.eventSource") == .string(#"App"x]"#) && e.field("sd.timeQuality.tzKnown") == .string("1"))
        #expect(e.message == "message 1 of 3: café key=value" && e.level == .info)
        let r = parse("<133>1 2026-11-29T02:15:49.636646+00:00 vm demoapp - - -  message 1 of 3\n")
        #expect(r.message == "message 1 of 3" && r.service == "demoapp" && r.host == "vm")
        // NILVALUE timestamp: the receive time.
        #expect(parse("<14>1 - - - - - - hi").timestampNanos == received)
    }

    @Test func rfc3164() {
        let e = parse("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8")
        #expect(e.timestampNanos == Timestamp.parseRFC3339("2026-10-11T22:14:15Z"))
        #expect(e.host == "mymachine" && e.service == "su" && e.message == "'su root' failed for lonvick on /dev/pts/8")
        let p = parse("<30>Nov  9 08:01:02 web-1 sshd[4242]: Accepted publickey for root")
        #expect(p.service == "sshd" && p.field("syslog.procid") == .string("4242") && p.host == "web-1")
        #expect(p.timestampNanos == Timestamp.parseRFC3339("2026-11-09T08:01:02Z") && p.level == .info)
        // No host (a local logger), and rsyslog's RFC 3339 variant.
        let n = parse("<13>Nov 29 02:15:48 demoapp: hello")
        #expect(n.service == "demoapp" && n.host == "" && n.message == "hello")
        let f = parse("<133>2026-11-29T02:09:56.123+00:00 vm demoapp: msg")
        #expect(f.timestampNanos == Timestamp.parseRFC3339("2026-11-29T02:09:56.123Z") && f.host == "vm" && f.service == "demoapp")
        // A December message received in January is from last year.
        let jan = Timestamp.parseRFC3339("2027-01-01T00:10:00Z")!
        let d = Array("<13>Dec 31 23:59:00 h app: late".utf8).withUnsafeBytes { SyslogParser.parse($0, defaults: ParseDefaults(receivedAtNanos: jan)) }
        #expect(d.timestampNanos == Timestamp.parseRFC3339("2026-12-31T23:59:00Z"))
    }

    @Test func nothingIsLost() {
        let raw = parse("no priority here")
        #expect(raw.message == "no priority here" && raw.field("syslog.error") != nil)
        #expect(parse("<999>1 x").field("syslog.error") != nil)
        let badSD = parse("<14>1 2026-11-29T00:00:00Z h a - - [unterminated x=\"1\" rest")
        #expect(badSD.field("syslog.error") != nil)
        let badTime = parse("<14>Foo 11 22:14:15 h app: x")
        #expect(badTime.message.contains("Foo 11") && badTime.field("syslog.error") != nil)
    }
}

@Suite struct SyslogFramingTests {
    @Test func octetCountingAndLFMixedAndSplitAnywhere() {
        let frames = ["<13>1 - h a - - - one", "<13>two\nnot split", "<13>three", "<13>four"]
        var stream = [UInt8]()
        stream += Array("\(frames[0].utf8.count) \(frames[0])".utf8)          // octet-counted
        stream += Array("\(frames[1].utf8.count) \(frames[1])".utf8)          // octet-counted, LF inside
        stream += Array("\(frames[2])\r\n".utf8)                               // LF framing, CRLF
        stream += Array("\(frames[3])\n".utf8)
        for cut in 0...stream.count {
            var f = SyslogFraming()
            var got = [String]()
            stream[..<cut].withUnsafeBytes { f.feed($0) { got.append(String(decoding: $0, as: UTF8.self)) } }
            stream[cut...].withUnsafeBytes { f.feed($0) { got.append(String(decoding: $0, as: UTF8.self)) } }
            f.finish { got.append(String(decoding: $0, as: UTF8.self)) }
            #expect(got == frames, "cut at \(cut)")
        }
    }

    @Test func oversizedFramesAreCutNotBuffered() {
        var f = SyslogFraming(maxFrameBytes: 16)
        var got = [String]()
        let long = String(repeating: "x", count: 40)
        Array("<13>\(long)\n<13>ok\n99999 <13>count too big\n".utf8).withUnsafeBytes { f.feed($0) { got.append(String(decoding: $0, as: UTF8.self)) } }
        // The count 99999 is over the limit: that frame falls back to LF framing, and is cut too.
        #expect(got == ["<13>" + String(repeating: "x", count: 12), "<13>ok", "99999 <13>count "])
        #expect(f.truncatedFrames == 2)
        var g = SyslogFraming()
        var last = [String]()
        Array("<13>no newline at the end".utf8).withUnsafeBytes { g.feed($0) { last.append(String(decoding: $0, as: UTF8.self)) } }
        #expect(last.isEmpty)
        g.finish { last.append(String(decoding: $0, as: UTF8.self)) }
        #expect(last == ["<13>no newline at the end"])
    }
}
