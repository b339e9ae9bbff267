import Foundation
import Hummingbird
import NIOCore
import QuorumBus
import QuorumStore
import QuorumWeb

import SQLKit

/// Uploaded images: checked by their first bytes (not by what the client claims), size-limited, stored
/// in the data folder under a name made from their content, so a URL never changes what it shows and can
/// be cached for a year.
public struct ImageStore: Sendable {
    public let database: Database
    public let folder: String
    public let maxBytes: Int

    public enum Kind: String, Sendable {
        case jpeg, png, webp
        public var fileExtension: String { self == .jpeg ? "jpg" : rawValue }
        public var contentType: String { "image/\(rawValue)" }

        /// Recognises JPEG, PNG and WebP by their signatures.
        public init?(sniffing bytes: some Collection<UInt8>) {
            let head = Array(bytes.prefix(12))
            if head.starts(with: [0xFF, 0xD8, 0xFF]) {
                self = .jpeg
            } else if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
                self = .png
            } else if head.count == 12, head[0..<4].elementsEqual("RIFF".utf8), head[8..<12].elementsEqual("WEBP".utf8) {
                self = .webp
            } else {
                return nil
            }
        }

        init?(fileName: String) {
            switch (fileName as NSString).pathExtension {
            case "jpg": self = .jpeg
            case "png": self = .png
            case "webp": self = .webp
            default: return nil
            }
        }
    }

    public struct Stored: Sendable, Codable, Equatable {
        public var name: String
        public var url: String
        public var contentType: String
        public var bytes: Int
    }

    public init(database: Database, folder: String, maxBytes: Int) {
        self.database = database
        self.folder = folder
        self.maxBytes = maxBytes
    }

    /// Stores an image; the same bytes uploaded twice are one file.
    public func save(_ bytes: [UInt8], now: Timestamp = .now) async throws -> Stored {
        guard bytes.count <= maxBytes else { throw PublishingError.tooLarge(limit: maxBytes) }
        guard let kind = Kind(sniffing: bytes) else { throw PublishingError.unsupportedImage }
        let name = ContentHash.short(bytes) + "." + kind.fileExtension
        let path = folder + "/" + name
        let folder = self.folder
        try await BlockingWork.run {
            let manager = FileManager.default
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
            guard !manager.fileExists(atPath: path) else { return }
            // Written under a temporary name and renamed, so a reader never sees half a file.
            let temporary = path + ".part-\(UUID().uuidString)"
            do {
                try Data(bytes).write(to: URL(fileURLWithPath: temporary), options: [.atomic])
            } catch let error as CocoaError where error.code == .fileWriteOutOfSpace {
                try? manager.removeItem(atPath: temporary)
                throw StorageFullError(underlying: "writing image \(name): \(error)")
            }
            try? manager.removeItem(atPath: path)
            try manager.moveItem(atPath: temporary, toPath: path)
        }
        try await database.transaction { db in
            try await db.insert(into: "images").columns("name", "content_type", "bytes", "created_at")
                .values(SQLBind(name), SQLBind(kind.contentType), SQLBind(Int64(bytes.count)), SQLBind(now.milliseconds))
                .ignoringConflicts(with: ["name"]).run()
        }
        return Stored(name: name, url: SiteURL.image(name).path, contentType: kind.contentType, bytes: bytes.count)
    }

    /// Reads an upload's body, answering 413 as soon as it is known to be over the limit.
    public func readUpload(_ request: Request) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes {
            throw PublishingError.tooLarge(limit: maxBytes)
        }
        do {
            let buffer = try await request.body.collect(upTo: maxBytes)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw PublishingError.tooLarge(limit: maxBytes)
        }
    }

    /// Whether `name` looks like a name ``save(_:now:)`` gives (hash and extension): nothing else is ever a path.
    public static func isStoredName(_ name: String) -> Bool {
        name.count <= 24 && name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == ".") }) && Kind(fileName: name) != nil
    }

    /// The bytes and type of a stored image, or nil for a name that is not one of ours.
    public func load(_ name: String) async throws -> (bytes: Data, kind: Kind)? {
        guard Self.isStoredName(name), let kind = Kind(fileName: name) else { return nil }
        let path = folder + "/" + name
        guard let data = try await BlockingWork.run({ FileManager.default.contents(atPath: path) }) else { return nil }
        return (data, kind)
    }
}

/// `GET /images/{name}`: stored images with year-long caching (the name is the content's hash).
struct ImageRoutes {
    let publishing: Publishing

    func addRoutes(to router: Router<QuorumContext>) {
        router.get(RouterPath(SiteURL.image)) { request, context in
            let name = try context.parameters.require("name")
            guard let image = try await publishing.images.load(name) else { throw PublishingError.notFound("The image") }
            let etag = "\"\(name)\""
            let headers: HTTPFields = [.eTag: etag, .cacheControl: "public, max-age=31536000, immutable"]
            if request.headers[.ifNoneMatch] == etag { return Response(status: .notModified, headers: headers) }
            var all = headers
            all[.contentType] = image.kind.contentType
            return Response(status: .ok, headers: all, body: .init(byteBuffer: ByteBuffer(bytes: image.bytes)))
        }
    }
}
