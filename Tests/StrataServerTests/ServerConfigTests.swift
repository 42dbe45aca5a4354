import Testing
@testable import StrataServer

@Suite struct ServerConfigTests {
    @Test func defaultsNeedNoFile() throws {
        let c = ServerConfig()
        try c.validate()
        #expect(c.dataDir == "./strata-data" && c.http == "127.0.0.1:8080" && c.fsync == "always")
    }

    @Test func yamlThenEnvironmentThenFlags() throws {
        var c = ServerConfig()
        try c.apply(yaml: """
            data_dir: /srv/strata
            listen:
              http: 0.0.0.0:9000
            max_body_bytes: 16MiB
            fsync: interval:50
            """, path: "strata.yaml")
        #expect(c.dataDir == "/srv/strata" && c.http == "0.0.0.0:9000" && c.maxBodyBytes == 16 << 20 && c.fsync == "interval:50")
        try c.apply(environment: ["STRATA_HTTP": "127.0.0.1:9100", "STRATA_MAX_LINE_BYTES": "2KiB", "OTHER": "x"])
        #expect(c.http == "127.0.0.1:9100" && c.maxLineBytes == 2048 && c.dataDir == "/srv/strata")
        try c.set("http", "[::1]:9200", from: "--http")
        #expect(c.http == "[::1]:9200")
        #expect(ServerConfig.splitAddress(c.http)! == ("::1", 9200))
        try c.validate()
    }

    @Test func aNetworkAddressNeedsTokensAndTLSSettingsComeTogether() throws {
        var c = ServerConfig()
        try c.set("http", "0.0.0.0:8080", from: "--http")
        #expect(throws: ConfigError.self) { try c.validate() }
        try c.set("auth_tokens", "0123456789abcdef0123", from: "--auth-tokens")
        try c.validate()
        #expect(ServerConfig.isLoopback("127.0.0.1:1") && ServerConfig.isLoopback("[::1]:1") && ServerConfig.isLoopback("localhost:1"))
        #expect(!ServerConfig.isLoopback("10.0.0.1:1") && !ServerConfig.isLoopback("[::]:1"))
        var t = ServerConfig()
        try t.set("tls_cert", "/etc/strata/cert.pem", from: "--tls-cert")
        #expect(throws: ConfigError.self) { try t.validate() }
        try t.set("tls_key", "/etc/strata/key.pem", from: "--tls-key")
        try t.validate()
        var s = ServerConfig()
        try s.set("syslog_tls", "127.0.0.1:6514", from: "--syslog-tls")
        #expect(throws: ConfigError.self) { try s.validate() }
        try s.set("min_free_disk_bytes", "0", from: "--min-free-disk")
        #expect(s.minFreeDiskBytes == 0)
        #expect(throws: ConfigError.self) { try s.set("min_free_disk_bytes", "-5", from: "--min-free-disk") }
    }

    @Test func mistakesNameTheKeyAndWhereItCameFrom() {
        var c = ServerConfig()
        #expect(throws: ConfigError.unknownKey(origin: "strata.yaml", key: "max_lines", known: ServerConfig.keys)) {
            try c.apply(yaml: "max_lines: 5", path: "strata.yaml")
        }
        #expect(throws: ConfigError.self) { try c.apply(yaml: "http: [1, 2", path: "strata.yaml") }
        #expect(throws: ConfigError.self) { try c.apply(yaml: "- a list", path: "strata.yaml") }
        #expect(throws: ConfigError.invalid(origin: "environment STRATA_FSYNC", key: "fsync", value: "sometimes", expected: "always, interval or interval:MS")) {
            try c.apply(environment: ["STRATA_FSYNC": "sometimes"])
        }
        #expect(throws: ConfigError.self) { try c.set("http", "localhost", from: "--http") }
        #expect(throws: ConfigError.self) { try c.set("http", "localhost:70000", from: "--http") }
        #expect(throws: ConfigError.self) { try c.set("max_body_bytes", "-5", from: "--max-body-bytes") }
        #expect(throws: ConfigError.self) { try c.set("max_body_bytes", "lots", from: "--max-body-bytes") }
        // Nothing of a failed setting was applied.
        #expect(c == ServerConfig())
    }

    @Test func retentionDiskLimitAndCompactionSettings() throws {
        var c = ServerConfig()
        #expect(c.retentionSeconds == 30 * 86_400 && c.maxDiskBytes == 0 && c.compaction)
        try c.apply(yaml: "retention: 12h\nmax_disk_bytes: 5GiB\ncompaction: off\n", path: "strata.yaml")
        #expect(c.retentionSeconds == 12 * 3600 && c.maxDiskBytes == 5 << 30 && !c.compaction)
        try c.set("retention", "0", from: "--retention")
        #expect(c.retentionSeconds == 0)
        try c.apply(yaml: "retention_by_service:\n  debug-svc: 3d\n  batch: 12h\n", path: "strata.yaml")
        #expect(c.retentionByService == ["debug-svc": 3 * 86_400, "batch": 12 * 3600])
        try c.apply(environment: ["STRATA_RETENTION_BY_SERVICE": "api=1d"])
        #expect(c.retentionByService == ["api": 86_400])
        for (key, bad) in [("retention", "30"), ("retention", "500ms"), ("compaction", "maybe"), ("max_disk_bytes", "lots"),
                           ("retention_by_service", "api"), ("retention_by_service", "api=soon")] {
            #expect(throws: ConfigError.self, "\(key) = \(bad)") { try c.set(key, bad, from: "test") }
        }
    }

    @Test func sizes() {
        #expect(ServerConfig.parseSize("1024") == 1024)
        #expect(ServerConfig.parseSize("64KiB") == 65536)
        #expect(ServerConfig.parseSize(" 2 MiB ") == 2 << 20)
        #expect(ServerConfig.parseSize("1GB") == 1 << 30)
        #expect(ServerConfig.parseSize("99999999999999GiB") == nil)
        #expect(ServerConfig.parseSize("1.5MiB") == nil)
    }

    @Test func emptyYAMLIsNoSettings() throws {
        var c = ServerConfig()
        try c.apply(yaml: "", path: "strata.yaml")
        try c.apply(yaml: "# only a comment\n", path: "strata.yaml")
        #expect(c == ServerConfig())
    }
}

@Suite struct RequestSlotsTests {
    @Test func refusesPastTheLimitAndFreesOnRelease() {
        let slots = RequestSlots(limit: 2)
        #expect(slots.acquire() && slots.acquire())
        #expect(!slots.acquire())
        slots.release()
        #expect(slots.acquire())
    }
}

@Suite struct BodyBudgetTests {
    @Test func holdsReturnTheirBytesWhenDropped() {
        let budget = BodyBudget(limit: 100)
        var a: BodyBudget.Hold? = budget.reserve(60)
        #expect(a != nil && budget.inUse == 60)
        #expect(budget.reserve(50) == nil, "over the limit")
        a = nil
        #expect(budget.inUse == 0)
        let b = budget.reserve(100)
        #expect(b != nil && budget.inUse == 100)
        withExtendedLifetime(b) {}
    }
}

@Suite struct APIErrorTests {
    @Test func stableCodesAndStatuses() {
        let e = APIError(.slowConsumer, "behind")
        #expect(String(decoding: e.json, as: UTF8.self) == #"{"error":{"code":"slow_consumer","message":"behind"}}"# + "\n")
        #expect(APIError.Code.busy.status == 503 && APIError.Code.rateLimited.status == 429 && APIError.Code.unauthorized.status == 401)
        let q = APIError(.badQuery, "expected a value", position: 6)
        #expect(String(decoding: q.json, as: UTF8.self).contains(#""position":6"#))
    }
}

@Suite struct QueryStringTests {
    @Test func plusAndPercentDecode() {
        let q = QueryString.parse("q=level%3Aerror+timeout&limit=5&empty=&flag&q2=%E2%9C%93&bad=%zz%4")
        #expect(q["q"] == "level:error timeout")
        #expect(q["limit"] == "5" && q["empty"] == "" && q["flag"] == "")
        #expect(q["q2"] == "✓")
        #expect(q["bad"] == "%zz%4")
        #expect(QueryString.parse(nil).isEmpty && QueryString.parse("").isEmpty)
    }
}
