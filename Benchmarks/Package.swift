// swift-tools-version: 6.1
// Micro-benchmarks (ordo-one package-benchmark) of the encoders, decoders, tokenizer, bitmaps,
// Bloom filters, the segment writer, WAL append, query parser and receivers' parsers. Kept out of the root package
// so `swift build` and `swift test` never build the benchmark framework. See Benchmarks/README.md.
import PackageDescription

let package = Package(
    name: "StrataBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Strata", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "StrataParsers",
            dependencies: [
                .product(name: "StrataFormat", package: "Strata"),
                .product(name: "StrataParse", package: "Strata"),
                .product(name: "StrataPipeline", package: "Strata"),
            ],
            path: "StrataParsers"
        ),
        .executableTarget(
            name: "StrataMicro",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "StrataFormat", package: "Strata"),
                .product(name: "StrataIndex", package: "Strata"),
                .product(name: "StrataSegment", package: "Strata"),
                .product(name: "StrataWAL", package: "Strata"),
                .product(name: "StrataQuery", package: "Strata"),
                .product(name: "StrataParse", package: "Strata"),
                .product(name: "StrataReceivers", package: "Strata"),
            ],
            path: "StrataMicro",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
