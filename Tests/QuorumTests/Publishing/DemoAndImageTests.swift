import Foundation
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb
import TestSupport

@Suite("Demo content and images")
struct DemoAndImageTests {
    @Test func generatedPNGsDecodeWithAnIndependentDecoder() async throws {
        let png = DemoPicture.png(width: 160, height: 90, palette: DemoPicture.palettes[0], seed: 4)
        #expect(ImageStore.Kind(sniffing: png) == .png)
        let file = TestDatabases.folder + "/" + TestDatabases.uniqueName("png") + ".png"
        try Data(png).write(to: URL(fileURLWithPath: file))
        // Python's zlib and CRC check every chunk and the compressed stream, then undo the Up filter.
        let script = """
        import struct, sys, zlib
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
        pos, idat, size = 8, b'', None
        while pos < len(data):
            length, kind = struct.unpack('>I4s', data[pos:pos+8])
            body = data[pos+8:pos+8+length]
            crc = struct.unpack('>I', data[pos+8+length:pos+12+length])[0]
            assert zlib.crc32(kind + body) & 0xffffffff == crc, kind
            if kind == b'IHDR': size = struct.unpack('>II', body[:8])
            if kind == b'IDAT': idat += body
            pos += 12 + length
        raw = zlib.decompress(idat)
        w, h = size
        assert len(raw) == h * (w * 3 + 1), len(raw)
        print('ok', w, h)
        """
        let result = try await Python.run(script, arguments: [file])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("ok 160 90"))
    }

    @Test func uploadsAreCheckedByContentAndStoredByHash() async throws {
        try await TestDatabases.withDatabase(.sqlite) { test in
            let folder = TestDatabases.folder + "/" + TestDatabases.uniqueName("images")
            let images = ImageStore(database: test.database, folder: folder, maxBytes: 100_000)
            let png = DemoPicture.png(width: 32, height: 18, palette: DemoPicture.palettes[1], seed: 1)
            let stored = try await images.save(png)
            #expect(stored.url == "/images/\(stored.name)")
            #expect(stored.name.hasSuffix(".png"))
            #expect(try await images.save(png) == stored)
            #expect(try await images.load(stored.name)?.bytes == Data(png))
            #expect(try await images.load("../../etc/passwd") == nil)
            #expect(ImageStore.Kind(sniffing: [0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
            #expect(ImageStore.Kind(sniffing: Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8)) == .webp)
            await #expect(throws: PublishingError.unsupportedImage) { try await images.save(Array("<svg></svg>".utf8)) }
            await #expect(throws: PublishingError.tooLarge(limit: 100_000)) { try await images.save([0x89] + [UInt8](repeating: 0, count: 100_001)) }
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func demoNewsroomHasThirtyArticlesAndTheWireStory(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            var configuration = LiveServer.configuration(for: test)
            configuration.siteName = "The Daily Quorum"
            let summary = try await DemoContent.load(into: test.database, configuration: configuration)
            #expect(summary.contains("loaded"))
            #expect(try await DemoContent.load(into: test.database, configuration: configuration) == "already loaded")
            let store = ArticleStore(database: test.database)
            #expect(try await store.sections().count >= 4)
            #expect(try await store.authors().count >= 4)
            let live = try await store.latest(perPage: 100).articles
            #expect(live.count >= 30)
            #expect(Set(live.map(\.section.slug)).count >= 4)
            #expect(live.allSatisfy { !$0.authors.isEmpty && !$0.tags.isEmpty && $0.hero != nil })
            let flagship = try #require(try await store.article(slug: DemoContent.flagshipSlug))
            #expect(flagship.hero?.credit.hasPrefix("Photo: ") == true)
            #expect(flagship.hero?.credit.split(separator: "/").count == 3)
            #expect(!(flagship.hero?.caption.isEmpty ?? true))
            #expect(flagship.wireCredit.hasPrefix("Reporting by ") && flagship.wireCredit.contains("; Editing by "))
            #expect(flagship.body.components(separatedBy: "\n> ").count >= 3)
            #expect(flagship.corrections.count == 1)
            #expect(flagship.commentsOpen)
            let all = try await store.allForEditors(perPage: 100).articles
            #expect(all.contains { $0.status == .scheduled })
            #expect(all.contains { $0.status == .draft })
            // Generated pictures exist in the data folder.
            let name = try #require(flagship.hero?.url.split(separator: "/").last.map(String.init))
            #expect(FileManager.default.fileExists(atPath: configuration.dataDirectory + "/images/" + name))
        }
    }
}

/// Runs python3 for checks made by independent implementations (feed reader, zlib, XML).
enum Python {
    struct Result: Sendable { let status: Int32; let output: String }

    static func run(_ script: String, arguments: [String] = [], input: String? = nil) async throws -> Result {
        try await onOwnThread { try runBlocking(script, arguments: arguments, input: input) }
    }

    private static func runBlocking(_ script: String, arguments: [String], input: String?) throws -> Result {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let out = Pipe()
        let inPipe = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try inPipe.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}
