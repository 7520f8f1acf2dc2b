// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "hookscope",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hookscope", targets: ["hookscope"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.24.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // Already in the graph through async-http-client: byte-exact replays over https, and a TLS test target.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.27.0"),
        // Already in the graph through async-http-client: the listening session's parts start and stop as one ServiceGroup.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        // The shared store (`--db postgres://…`): PostgreSQL's wire protocol, TLS and SCRAM, on the NIO we already run.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // C shim over ncursesw: macros and globals Swift cannot import.
        .systemLibrary(name: "CNcurses", path: "Sources/CNcurses"),
        // zlib, to decode gzip/deflate bodies for display.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // The scalars that never reach a terminal as they are, for the TUI and the headless escapers.
        .target(name: "TextSafety"),
        // Pure Swift terminal rendering: cells, grid, widths, sanitizer, widgets.
        .target(name: "TermUI", dependencies: ["TextSafety"]),
        // The only importer of CNcurses: blits a CellGrid, reads keys, owns the terminal.
        .target(name: "TermCurses", dependencies: ["CNcurses", "TermUI"]),
        // The captured request model, body formatters, exporters.
        .target(name: "HookCore", dependencies: ["CZlib", "TextSafety"]),
        // Signature schemes, provider table, diagnosis.
        .target(name: "HookSignatures", dependencies: [
            "HookCore",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // RequestStore protocol, SQLite (GRDB) and in-memory stores.
        .target(name: "HookStore", dependencies: [
            "HookCore",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The PostgreSQL store (`--db postgres://…`), apart so that SQLite-only code does not pull in postgres-nio.
        .target(name: "HookPostgres", dependencies: [
            "HookCore", "HookStore",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The SwiftNIO listener.
        .target(name: "HookServer", dependencies: [
            "HookCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Replay and forward (AsyncHTTPClient), re-signing.
        .target(name: "HookReplay", dependencies: [
            "HookCore", "HookSignatures",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            // Requests with header values that are not UTF-8 go out as exact bytes (RawExchange).
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // App state, keymap, screens and the runtime that ties them together.
        .target(name: "HookApp", dependencies: [
            "HookCore", "HookStore", "HookSignatures", "TermUI",
        ]),
        // The listening session: settings resolved from flags, environment and config file; the
        // store, catch-up, forwarder, listener and output started in order and stopped in reverse.
        .target(name: "HookListen", dependencies: [
            "HookCore", "HookStore", "HookPostgres", "HookServer", "HookSignatures", "HookReplay", "HookApp", "HookSend",
            .product(name: "TOMLKit", package: "TOMLKit"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // `hookscope send`: built-in samples, deliveries signed as a provider, bursts.
        .target(name: "HookSend", dependencies: ["HookCore", "HookSignatures", "HookReplay"]),
        // Commands, option groups and wiring.
        .executableTarget(name: "hookscope", dependencies: [
            "HookCore", "HookStore", "HookPostgres", "HookSignatures", "HookReplay", "HookApp", "HookListen", "HookSend", "TermUI", "TermCurses",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Helpers shared by the test targets (not part of the product).
        .target(name: "HookTestSupport", dependencies: ["HookCore"], path: "Tests/HookTestSupport"),
        .testTarget(name: "TextSafetyTests", dependencies: ["TextSafety"]),
        .testTarget(name: "HookCoreTests", dependencies: ["HookCore", "TextSafety", "HookTestSupport"]),
        .testTarget(name: "HookSignaturesTests", dependencies: [
            "HookSignatures", "HookCore", "HookTestSupport", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "HookStoreTests", dependencies: [
            "HookStore", "HookPostgres", "HookCore", "HookTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "HookServerTests", dependencies: [
            "HookServer", "HookCore", "HookStore", "HookTestSupport", .product(name: "NIOCore", package: "swift-nio"),
            // The capture handler tested on an EmbeddedChannel, without sockets.
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        .testTarget(name: "HookReplayTests", dependencies: [
            "HookReplay", "HookCore", "HookSignatures", "HookTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .testTarget(name: "TermUITests", dependencies: ["TermUI", "TextSafety"]),
        .testTarget(name: "HookSendTests", dependencies: ["HookSend", "HookSignatures", "HookCore", "HookTestSupport"]),
        .testTarget(name: "HookListenTests", dependencies: [
            "HookListen", "HookCore", "HookStore", "HookServer", "HookSignatures", "HookTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "HookAppTests", dependencies: ["HookApp", "HookCore", "HookStore", "TermUI", "HookTestSupport"]),
        .testTarget(name: "hookscopeTests", dependencies: [
            "hookscope", "HookCore", "HookTestSupport",
            // A TLS target with a self-signed certificate, for --insecure.
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
