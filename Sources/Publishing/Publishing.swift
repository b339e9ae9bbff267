import Foundation
import Hummingbird
import Logging
import QuorumBus
import QuorumStore

import QuorumWeb

/// Everything the publishing feature shares between its routes and its background service.
public struct Publishing: Sendable {
    public let site: Site
    public let store: ArticleStore
    public let service: PublishingService
    public let cache: PageCache
    public let images: ImageStore
    public let tokens: APITokenStore
    public let pages: ReaderPages
    public let feeds: Feeds

    public init(site: Site, bus: any InvalidationBus, cache: PageCache, users: any UserDirectory, now: @escaping @Sendable () -> Timestamp = { .now }) {
        self.site = site
        self.store = ArticleStore(database: site.database)
        self.service = PublishingService(store: store, bus: bus, now: now)
        self.cache = cache
        self.images = ImageStore(database: site.database, folder: site.configuration.dataDirectory + "/images", maxBytes: site.configuration.maxUploadBytes)
        self.tokens = APITokenStore(database: site.database, users: users)
        self.pages = ReaderPages(siteName: site.configuration.siteName, base: site.configuration.siteBase)
        self.feeds = Feeds(siteName: site.configuration.siteName, base: site.configuration.siteBase, theme: site.theme)
    }

    public var now: Timestamp { service.now() }

    /// Renders a template with a view model whose fields become the template's top-level names.
    /// `reader` is the class of reader the page is for (templates read `reader.signedIn`, …); nil for pages
    /// that do not vary; `extra` adds names after the model's.
    public func render(_ template: String, _ model: Any, reader: ReaderClass? = nil, extra: [String: Any] = [:]) throws -> String {
        var context = Self.plain(model) as? [String: Any] ?? [:]
        context.merge(extra) { _, new in new }
        if let reader { context["reader"] = reader.templateModel }
        context["site"] = site.pages.siteModel
        return try site.theme.render(template, context)
    }

    /// A view model as dictionaries, arrays and values, with optionals unwrapped (absent when nil), which is
    /// what Mustache sections expect: `{{#hero}}…{{/hero}}` then reads the hero's own fields.
    static func plain(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            return mirror.children.first.flatMap { plain($0.value) }
        case .struct, .class:
            var object: [String: Any] = [:]
            for child in mirror.children {
                if let label = child.label, let converted = plain(child.value) { object[label] = converted }
            }
            return object
        case .collection, .set:
            return mirror.children.compactMap { plain($0.value) }
        default:
            return value
        }
    }

    public func htmlResponse(_ template: String, _ model: Any, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) throws -> Response {
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: try render(template, model))))
    }
}
