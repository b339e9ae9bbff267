// swift-tools-version:6.1
import PackageDescription

// The targets are the architecture (docs/architecture.md). Arrows point down only, and the compiler holds them:
//
//   quorum (executable) ─▶ QuorumApp (composition root: the only target that knows every feature)
//   QuorumApp ─▶ Publishing · Accounts · Comments              (features: never import each other)
//   features  ─▶ QuorumWeb (request context, errors, forms, JSON, dates, SiteURL, pages, page cache, seams)
//   QuorumWeb ─▶ QuorumMail · QuorumBus ─▶ QuorumStore (database, dialects, migration runner, settings)
//   Comments  ─▶ ReviewEngine (pure) ◀─ Simulator (pure)

let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let sqlKit = Target.Dependency.product(name: "SQLKit", package: "sql-kit")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioPosix = Target.Dependency.product(name: "NIOPosix", package: "swift-nio")
let nioConcurrency = Target.Dependency.product(name: "NIOConcurrencyHelpers", package: "swift-nio")
let serviceLifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let httpTypes = Target.Dependency.product(name: "HTTPTypes", package: "swift-http-types")
let asyncHTTPClient = Target.Dependency.product(name: "AsyncHTTPClient", package: "async-http-client")

let package = Package(
    name: "quorum",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "quorum", targets: ["quorum"]),
        .library(name: "QuorumApp", targets: ["QuorumApp"]),
        .library(name: "ReviewEngine", targets: ["ReviewEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/JohnSundell/Ink.git", from: "0.6.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        // Verifying the JWTs host sites sign for the embed's single sign-on (HS256, RS256, ES256).
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
    ],
    targets: [
        // Pure decision code: no HTTP, no SQL, no clock. The server and the simulator both call it.
        .target(name: "ReviewEngine"),
        // Synthetic communities run through the same engine, side by side with a majority-of-3 baseline.
        .target(name: "Simulator", dependencies: ["ReviewEngine", .product(name: "Yams", package: "Yams")]),

        // The store: database (SQLite or PostgreSQL through SQLKit), dialect differences, the migration runner,
        // site settings, secrets at rest and the audit log.
        .target(name: "QuorumStore", dependencies: [
            sqlKit, logging, metrics, crypto, nioCore, nioPosix, nioConcurrency,
            .product(name: "SQLiteKit", package: "sqlite-kit"),
            .product(name: "PostgresKit", package: "postgres-kit"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // What one instance tells the others: page-cache invalidations and live events (LISTEN/NOTIFY on PostgreSQL).
        .target(name: "QuorumBus", dependencies: [
            "QuorumStore", logging, metrics, nioConcurrency, serviceLifecycle,
            .product(name: "PostgresKit", package: "postgres-kit"),
        ]),
        // Email: the outbox written in the caller's transaction, background delivery, the SMTP client.
        .target(name: "QuorumMail", dependencies: [
            "QuorumStore", logging, nioCore, nioPosix, nioConcurrency, serviceLifecycle, crypto,
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // The web foundation every feature builds on: request context and identity, one error shape mapped to
        // HTTP in one place, forms, JSON, dates, every address (SiteURL), themes and page rendering, the page
        // cache and its event-loop fast path, and the seams through which features meet.
        .target(
            name: "QuorumWeb",
            dependencies: [
                "QuorumStore", "QuorumBus", "QuorumMail", hummingbird, sqlKit, logging, metrics, nioCore, nioPosix,
                nioConcurrency, httpTypes, crypto, serviceLifecycle,
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                // gzip for cached pages (once each) and larger uncached responses, over the system's zlib.
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            resources: [.copy("Resources")]
        ),

        // Features: each owns its tables (migrations), store, service, routes and views. None imports another.
        .target(name: "Accounts", dependencies: [
            "QuorumWeb", "QuorumStore", "QuorumMail", hummingbird, sqlKit, logging, crypto,
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
        ]),
        .target(name: "Publishing", dependencies: [
            "QuorumWeb", "QuorumStore", "QuorumBus", hummingbird, sqlKit, logging, metrics, nioCore,
            nioConcurrency, serviceLifecycle, httpTypes,
            .product(name: "Ink", package: "Ink"),
            .product(name: "Yams", package: "Yams"),
        ]),
        .target(
            name: "Comments",
            dependencies: [
                "QuorumWeb", "QuorumStore", "QuorumBus", "QuorumMail", "ReviewEngine", hummingbird, sqlKit, logging,
                nioCore, nioConcurrency, serviceLifecycle, asyncHTTPClient,
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            // The built-in toxicity model's weights (scripts/train-toxicity.py writes them).
            resources: [.copy("Resources")]
        ),

        // The composition root: builds the application, lists migrations and services, wires the seams.
        .target(
            name: "QuorumApp",
            dependencies: [
                "QuorumStore", "QuorumBus", "QuorumMail", "QuorumWeb", "Accounts", "Publishing", "Comments",
                "ReviewEngine", hummingbird, sqlKit, logging, metrics, nioCore, nioPosix, nioConcurrency,
                serviceLifecycle,
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
            ],
            // The demo newsroom: Markdown articles with front matter, read by the importer.
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "quorum",
            dependencies: [
                "QuorumApp", "QuorumStore", "QuorumBus", "QuorumWeb", "Accounts", "Publishing", "Comments", "ReviewEngine",
                "Simulator", logging,
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "ReviewEngineTests", dependencies: ["ReviewEngine", "Simulator"]),
        // What the test targets share: child processes spawned without Foundation's Process (whose Linux spawn
        // can crash, docs/development.md) and blocking waits on threads of their own.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "QuorumTests",
            dependencies: [
                "TestSupport", "QuorumApp", "QuorumStore", "QuorumBus", "QuorumMail", "QuorumWeb", "Accounts", "Publishing",
                "Comments", "ReviewEngine",
                // The lifecycle equivalence test drives the simulator's world beside the server.
                "Simulator",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            // The toxicity scorer's held-out test split (scripts/train-toxicity.py writes it).
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Membership: the pure state machine, and the payment providers that feed it provider-neutral events.
// Both (and their tests) are optimised in debug builds too, so the chaos tests' 10,000 histories per provider run
// in seconds in CI.
let optimisedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]
package.targets += [
    .target(name: "MembershipEngine", swiftSettings: optimisedInDebug),
    .target(
        name: "Payments",
        dependencies: [
            "MembershipEngine",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ],
        swiftSettings: optimisedInDebug
    ),
    .testTarget(name: "MembershipTests", dependencies: ["TestSupport", "MembershipEngine", "Payments"], swiftSettings: optimisedInDebug),
    // The feature: ledger, memberships and provider links (migration 007), the service, webhook routes.
    .target(name: "Membership", dependencies: [
        "MembershipEngine", "Payments", "QuorumWeb", "QuorumStore", "QuorumMail",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "SQLKit", package: "sql-kit"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
    ]),
]
// Readership: privacy-safe counting (HyperLogLog sketches of salted hashes), the live call to action and
// promotions. The sketch and the wording are pure (ReadershipEngine), optimised in debug builds too so the
// 10,000,000-reader accuracy test runs in seconds.
package.targets += [
    .target(name: "ReadershipEngine", swiftSettings: optimisedInDebug),
    .target(name: "Readership", dependencies: [
        "ReadershipEngine", "QuorumWeb", "QuorumStore", "QuorumBus",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "SQLKit", package: "sql-kit"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
    ]),
    .testTarget(name: "ReadershipEngineTests", dependencies: ["ReadershipEngine"], swiftSettings: optimisedInDebug),
]
for name in ["QuorumApp", "QuorumTests"] {
    package.targets.first { $0.name == name }?.dependencies += ["Readership", "ReadershipEngine"]
}
for name in ["QuorumApp", "quorum", "QuorumTests"] {
    package.targets.first { $0.name == name }?.dependencies += ["Membership", "MembershipEngine", "Payments"]
}

// The demo's generated pictures (pixel loops and a PNG writer), optimised in debug builds too: drawn unoptimised,
// loading the demo newsroom held Swift concurrency's threads for tens of seconds and stalled every other test.
package.targets += [.target(name: "DemoPictures", swiftSettings: optimisedInDebug)]
package.targets.first { $0.name == "QuorumApp" }?.dependencies.append("DemoPictures")

// Shop: products, orders and donation matching. The order state machine, pricing, stock and donation rules are
// pure (ShopEngine); the feature (Shop) takes payments through the membership's providers and webhooks.
package.targets += [
    .target(name: "ShopEngine", swiftSettings: optimisedInDebug),
    .testTarget(name: "ShopEngineTests", dependencies: ["ShopEngine"], swiftSettings: optimisedInDebug),
    // The feature: products, orders, lines and the order ledger (migration 011), the service, reader and admin
    // pages, and the hand-off of order payments from the providers' webhooks.
    .target(name: "Shop", dependencies: [
        "ShopEngine", "Payments", "MembershipEngine", "QuorumWeb", "QuorumStore", "QuorumBus", "QuorumMail",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "SQLKit", package: "sql-kit"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
    ]),
]
for name in ["QuorumApp", "quorum", "QuorumTests"] {
    package.targets.first { $0.name == name }?.dependencies += ["Shop", "ShopEngine"]
}
