// swift-tools-version: 6.0
import PackageDescription

// Layers (imports only go down): Codec ← Format/IO ← WAL ← Segment ← Engine ← Query ← Server ← CLI.
// Parse (log parsers) is pure and sits beside Format.
let package = Package(
    name: "Strata",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "strata", targets: ["strata"]),
        .executable(name: "segtool", targets: ["segtool"]),
        .library(name: "StrataFormat", targets: ["StrataFormat"]),
        .library(name: "StrataWAL", targets: ["StrataWAL"]),
        .library(name: "StrataSegment", targets: ["StrataSegment"]),
        .library(name: "StrataIndex", targets: ["StrataIndex"]),
        .library(name: "StrataEngine", targets: ["StrataEngine"]),
        .library(name: "StrataQuery", targets: ["StrataQuery"]),
        .library(name: "StrataParse", targets: ["StrataParse"]),
        .library(name: "StrataServer", targets: ["StrataServer"]),
        .library(name: "SegtoolCommands", targets: ["SegtoolCommands"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "StrataCodec", dependencies: ["CZstd", "CLZ4", "CXXHash", "CZlib"]),
        .target(name: "StrataFormat", dependencies: ["StrataCodec"]),
        .target(name: "StrataIO", dependencies: []),
        .target(name: "StrataWAL", dependencies: ["StrataFormat", "StrataIO"]),
        .target(name: "StrataIndex", dependencies: ["StrataFormat"]),
        .target(name: "StrataSegment", dependencies: ["StrataFormat", "StrataIO", "StrataIndex"]),
        .target(name: "StrataParse", dependencies: ["StrataFormat"]),
        .target(name: "StrataEngine", dependencies: ["StrataWAL", "StrataSegment"]),
        .target(name: "StrataQuery", dependencies: ["StrataEngine", "StrataIndex"]),
        .target(name: "SegtoolCommands", dependencies: [
            "StrataSegment", "StrataWAL", "StrataEngine",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "StrataServer", dependencies: [
            "StrataEngine", "StrataQuery", "StrataParse",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .target(name: "StrataCLI", dependencies: [
            "StrataEngine", "StrataQuery", "StrataParse", "StrataSegment", "StrataServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "CStrataMalloc"),
        .executableTarget(name: "strata", dependencies: ["StrataCLI", "CStrataMalloc"]),
        .executableTarget(name: "segtool", dependencies: ["SegtoolCommands"]),
        .target(name: "StrataTestSupport", dependencies: ["StrataFormat"], path: "Tests/StrataTestSupport"),
        .testTarget(name: "StrataCodecTests", dependencies: ["StrataCodec"]),
        .testTarget(name: "StrataFormatTests", dependencies: ["StrataFormat", "StrataTestSupport"]),
        .testTarget(name: "StrataIndexTests", dependencies: ["StrataIndex", "StrataTestSupport"]),
        .testTarget(name: "StrataWALTests", dependencies: ["StrataWAL", "StrataTestSupport"]),
        .testTarget(name: "StrataSegmentTests", dependencies: ["StrataSegment", "StrataTestSupport"]),
        .testTarget(name: "StrataParseTests", dependencies: ["StrataParse", "StrataTestSupport"]),
        .testTarget(name: "StrataEngineTests", dependencies: ["StrataEngine", "StrataQuery", "StrataParse", "StrataTestSupport"]),
        .testTarget(name: "StrataQueryTests", dependencies: ["StrataQuery", "StrataEngine", "StrataSegment", "StrataTestSupport"]),
        .testTarget(name: "StrataServerTests", dependencies: ["StrataServer", "StrataEngine", "StrataTestSupport"]),
        .testTarget(name: "SegtoolTests", dependencies: ["SegtoolCommands", "StrataEngine", "StrataSegment", "StrataTestSupport"]),
    ]
)
