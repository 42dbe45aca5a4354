// swift-tools-version: 6.0
// libFuzzer targets for every decoder and parser. Kept out of the root package because a
// fuzz executable has no `main` and would break the plain `swift build`. See Fuzz/README.md.
import PackageDescription

let strata: [Target.Dependency] = [
    .product(name: "StrataFormat", package: "Strata"),
    .product(name: "StrataSegment", package: "Strata"),
    .product(name: "StrataWAL", package: "Strata"),
    .product(name: "StrataParse", package: "Strata"),
    .product(name: "StrataQuery", package: "Strata"),
    .product(name: "StrataIndex", package: "Strata"),
    .product(name: "StrataReceivers", package: "Strata"),
    .product(name: "StrataPipeline", package: "Strata"),
    .product(name: "StrataAgent", package: "Strata"),
]

let package = Package(
    name: "StrataFuzz",
    dependencies: [.package(name: "Strata", path: "..")],
    targets: [
        "FuzzSegment", "FuzzSegmentChecksummed", "FuzzWAL", "FuzzColumns", "FuzzMessage", "FuzzManifest", "FuzzEntryBatch", "FuzzLineParser", "FuzzQueryParser", "FuzzRoaring", "FuzzTermDictionary", "FuzzBatchBody", "FuzzElasticBulk", "FuzzLokiPush", "FuzzOTLPLogs", "FuzzSyslog", "FuzzForward",
        "FuzzAccessLog", "FuzzGrok", "FuzzCSV", "FuzzTimestamp", "FuzzGeoIP", "FuzzUserAgent", "FuzzMultiline", "FuzzPipelineConfig",
        "FuzzLZ4Frame", "FuzzAgentBuffer", "FuzzContainerLogs", "FuzzTextEncoding", "FuzzAgentConfig",
    ].map { .executableTarget(name: $0, dependencies: strata) }
)
