import Foundation
import Hummingbird
import NIOCore

/// An article as the JSON APIs show it.
public struct ArticleJSON: Codable, Sendable {
    public struct Ref: Codable, Sendable { public var slug: String; public var name: String }
    public struct CorrectionJSON: Codable, Sendable { public var at: String; public var note: String }

    public var id: Int64
    public var slug: String
    public var url: String
    public var headline: String
    public var standfirst: String
    public var body: String?
    public var bodyHTML: String?
    public var hero: HeroImage?
    public var wireCredit: String
    public var section: Ref
    public var authors: [Ref]
    public var tags: [Ref]
    public var status: String
    public var publishAt: String?
    public var publishedAt: String?
    public var updatedAt: String
    public var corrections: [CorrectionJSON]
    public var commentsOpen: Bool
    public var allowEmbeds: Bool

    public init(_ article: Article, base: String, includeBody: Bool = true) {
        id = article.id
        slug = article.slug
        url = SiteURL.article(article.slug).absolute(base)
        headline = article.headline
        standfirst = article.standfirst
        body = includeBody ? article.body : nil
        bodyHTML = includeBody ? Markdown.html(article.body, allowEmbeds: article.allowEmbeds) : nil
        hero = article.hero
        wireCredit = article.wireCredit
        section = Ref(slug: article.section.slug, name: article.section.name)
        authors = article.authors.map { Ref(slug: $0.slug, name: $0.name) }
        tags = article.tags.map { Ref(slug: $0.slug, name: $0.name) }
        status = article.status.rawValue
        publishAt = article.publishAt?.iso8601
        publishedAt = article.publishedAt?.iso8601
        updatedAt = article.modifiedAt.iso8601
        corrections = article.corrections.map { CorrectionJSON(at: $0.at.iso8601, note: $0.note) }
        commentsOpen = article.commentsOpen
        allowEmbeds = article.allowEmbeds
    }
}

public struct ArticleListJSON: Codable, Sendable {
    public var articles: [ArticleJSON]
    public var page: Int
    public var next: String?
}

enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok, cacheControl: String = "no-store") throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: cacheControl],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A JSON object from a request body, read field by field so that every problem names its field.
struct JSONFields {
    let values: [String: Any]
    let path: String

    init(values: [String: Any], path: String = "") {
        self.values = values
        self.path = path
    }

    /// Parses a request body; anything but a JSON object is a 400 saying so.
    static func parse(_ request: Request, limit: Int = 1 << 20) async throws -> JSONFields {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw PublishingError.tooLarge(limit: limit)
        }
        let data = Data(buffer.readableBytesView)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw PublishingError(.badRequest, code: "malformed_json", "The body is not valid JSON.")
        }
        guard let values = object as? [String: Any] else {
            throw PublishingError(.badRequest, code: "malformed_json", "The body must be a JSON object.")
        }
        return JSONFields(values: values)
    }

    func name(_ field: String) -> String { path.isEmpty ? field : "\(path).\(field)" }

    /// Refuses fields the endpoint does not know, so a misspelt field is not silently ignored.
    func only(_ known: Set<String>) throws {
        if let unknown = values.keys.sorted().first(where: { !known.contains($0) }) {
            throw PublishingError.invalid(field: name(unknown), "is not a known field (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    func string(_ field: String) throws -> String? {
        guard let value = values[field], !(value is NSNull) else { return nil }
        guard let string = value as? String else { throw PublishingError.invalid(field: name(field), "must be a string") }
        return string
    }

    func requiredString(_ field: String) throws -> String {
        guard let value = try string(field) else { throw PublishingError.invalid(field: name(field), "is required") }
        return value
    }

    func bool(_ field: String) throws -> Bool? {
        guard let value = values[field], !(value is NSNull) else { return nil }
        if !(value is String), let bool = value as? Bool { return bool }
        throw PublishingError.invalid(field: name(field), "must be true or false")
    }

    func strings(_ field: String) throws -> [String]? {
        guard let value = values[field], !(value is NSNull) else { return nil }
        guard let array = value as? [Any] else { throw PublishingError.invalid(field: name(field), "must be an array of strings") }
        return try array.enumerated().map { index, element in
            guard let string = element as? String else { throw PublishingError.invalid(field: "\(name(field))[\(index)]", "must be a string") }
            return string
        }
    }

    func object(_ field: String) throws -> JSONFields? {
        guard let value = values[field], !(value is NSNull) else { return nil }
        guard let object = value as? [String: Any] else { throw PublishingError.invalid(field: name(field), "must be an object") }
        return JSONFields(values: object, path: name(field))
    }

    func timestamp(_ field: String) throws -> Timestamp? {
        guard let text = try string(field) else { return nil }
        guard let date = ISOTime.parse(text) else {
            throw PublishingError.invalid(field: name(field), "must be an ISO 8601 date-time with a time zone, e.g. 2026-05-01T09:00:00Z")
        }
        return Timestamp(date)
    }

    /// The body of a create or update request.
    func articleInput() throws -> ArticleInput {
        try only(["slug", "headline", "standfirst", "body", "hero", "wireCredit", "section", "authors", "tags", "commentsOpen", "allowEmbeds"])
        var hero: HeroImage?
        if let object = try object("hero") {
            try object.only(["url", "alt", "caption", "credit"])
            hero = HeroImage(url: try object.requiredString("url"), alt: try object.string("alt") ?? "",
                             caption: try object.string("caption") ?? "", credit: try object.string("credit") ?? "")
        }
        return ArticleInput(
            slug: try requiredString("slug"), headline: try requiredString("headline"),
            standfirst: try string("standfirst") ?? "", body: try string("body") ?? "", hero: hero,
            wireCredit: try string("wireCredit") ?? "", section: try requiredString("section"),
            authors: try strings("authors") ?? [], tags: try strings("tags") ?? [],
            commentsOpen: try bool("commentsOpen") ?? true, allowEmbeds: try bool("allowEmbeds") ?? false
        )
    }
}

enum ISOTime {
    static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}
