import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import QuorumBus
import QuorumMail

import QuorumStore

/// A rendered page ready to send: the body and all headers computed once, when it was rendered, and the body
/// gzip-compressed once too (for clients whose `Accept-Encoding` takes it), with its own heads.
public struct CachedPage: Sendable {
    public let body: ByteBuffer
    /// The body compressed with gzip at the best level; nil when that would not be smaller (or the page is tiny).
    public let gzipBody: ByteBuffer?
    public let etag: String
    /// The gzip variant's entity tag (the identity one with `-gz`).
    public let gzipETag: String
    public let lastModified: String
    public let headers: HTTPFields
    public let notModifiedHeaders: HTTPFields
    /// The response heads the event-loop fast path writes as they are (``CachedPageChannelHandler``).
    let okHead: HTTPResponse
    let notModifiedHead: HTTPResponse
    let gzipHead: HTTPResponse?
    let gzipNotModifiedHead: HTTPResponse?

    /// `extraHeaders` (the site's security headers) go into the prebuilt head of every `200`.
    public init(html: String, contentType: String = "text/html; charset=utf-8", lastModified: Timestamp, cacheControl: String,
                extraHeaders: HTTPFields = [:]) {
        self.body = ByteBuffer(string: html)
        let hash = ContentHash.short(html.utf8)
        self.etag = "\"\(hash)\""
        self.gzipETag = "\"\(hash)-gz\""
        self.lastModified = HTTPDate.format(lastModified)
        let gzip = body.readableBytes >= Compression.threshold && Compression.isCompressible(contentType: contentType)
            ? Compression.gzip(body, best: true) : nil
        self.gzipBody = gzip
        var notModified: HTTPFields = [.eTag: etag, .lastModified: self.lastModified, .cacheControl: cacheControl]
        if gzip != nil { notModified[.vary] = "Accept-Encoding" }
        self.notModifiedHeaders = notModified
        var headers = notModifiedHeaders
        headers[.contentType] = contentType
        headers.append(contentsOf: extraHeaders)
        self.headers = headers
        var withLength = headers
        withLength[.contentLength] = String(body.readableBytes)
        self.okHead = HTTPResponse(status: .ok, headerFields: withLength)
        self.notModifiedHead = HTTPResponse(status: .notModified, headerFields: notModifiedHeaders)
        if let gzip {
            var compressed = withLength
            compressed[.eTag] = gzipETag
            compressed[.contentEncoding] = "gzip"
            compressed[.contentLength] = String(gzip.readableBytes)
            self.gzipHead = HTTPResponse(status: .ok, headerFields: compressed)
            var notModified = notModifiedHeaders
            notModified[.eTag] = gzipETag
            self.gzipNotModifiedHead = HTTPResponse(status: .notModified, headerFields: notModified)
        } else {
            self.gzipHead = nil
            self.gzipNotModifiedHead = nil
        }
    }

    /// Whether a client holding a copy may keep it (`If-None-Match`, or failing that `If-Modified-Since`).
    /// Both variants carry the same content, so either entity tag matches.
    func isNotModified(for headers: HTTPFields) -> Bool {
        if let match = headers[.ifNoneMatch] {
            return match == etag || match == gzipETag || match == "*" || match.split(separator: ",").contains {
                let tag = $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "W/", with: "")
                return tag == etag || tag == gzipETag
            }
        }
        if let since = headers[.ifModifiedSince] { return since == lastModified }
        return false
    }

    /// The head and body the event-loop fast path sends: the gzip variant when the client takes it, and 304
    /// without a body when the client has this version.
    func reply(to headers: HTTPFields) -> (head: HTTPResponse, body: ByteBuffer?) {
        if let gzipBody, let gzipHead, let gzipNotModifiedHead, let accept = headers[.acceptEncoding], Compression.acceptsGzip(accept.utf8) {
            return isNotModified(for: headers) ? (gzipNotModifiedHead, nil) : (gzipHead, gzipBody)
        }
        return isNotModified(for: headers) ? (notModifiedHead, nil) : (okHead, body)
    }

    /// 304 when the client already has this version, else the page (compressed if the client takes gzip).
    public func response(to request: Request) -> Response {
        let reply = reply(to: request.headers)
        var fields = reply.head.headerFields
        fields[.contentLength] = nil
        guard let body = reply.body else { return Response(status: reply.head.status, headers: fields) }
        return Response(status: reply.head.status, headers: fields, body: .init(byteBuffer: body))
    }
}

/// Rendered reader pages kept in memory, keyed by address, each tagged with what it shows.
///
/// A page rendered while an invalidation happens is not stored (the generation check), so a page can never
/// outlive the change that made it stale.
public final class PageCache: Sendable {
    struct State {
        var pages: [String: (page: CachedPage, tags: Set<CacheTag>, storedAt: Int)] = [:]
        var byTag: [CacheTag: Set<String>] = [:]
        var generation: UInt64 = 0

        mutating func removeAll() {
            pages.removeAll(keepingCapacity: true)
            byTag.removeAll(keepingCapacity: true)
        }
    }
    private let state = NIOLockedValueBox(State())
    public let capacity: Int
    /// Pages answered from memory, counted as `quorum_page_cache_hits`.
    let hits = Counter(label: "quorum_page_cache_hits")
    public static let cacheControl = "public, max-age=60"
    /// Headers every page stored here carries (the site's ``SecurityHeaders``).
    public let extraHeaders: HTTPFields

    /// Counts the views the cache answers (readership); nil counts nothing.
    public let views: (any PageViewCounter)?

    public init(bus: any InvalidationBus, capacity: Int = 5_000, views: (any PageViewCounter)? = nil, extraHeaders: HTTPFields = [:]) {
        self.capacity = capacity
        self.views = views
        self.extraHeaders = extraHeaders
        bus.subscribe { [weak self] message in
            if message.everything {
                self?.dropAll()
            } else if !message.tags.isEmpty {
                self?.drop(message.tags)
            }
        }
    }

    /// A page older than this is rendered again even if no change was announced: the backstop for an
    /// announcement that could not reach another instance.
    public static let maximumAge = 300

    public func page(_ key: String, now: Int = time(nil)) -> CachedPage? {
        state.withLockedValue { state in
            guard let entry = state.pages[key], now - entry.storedAt < Self.maximumAge else { return nil }
            return entry.page
        }
    }

    public var generation: UInt64 { state.withLockedValue { $0.generation } }
    public var count: Int { state.withLockedValue { $0.pages.count } }

    /// Stores a page rendered when the cache was at `generation`; dropped if anything was invalidated since.
    public func store(_ key: String, _ page: CachedPage, tags: Set<CacheTag>, renderedAt generation: UInt64, now: Int = time(nil)) {
        state.withLockedValue { state in
            guard state.generation == generation else { return }
            if state.pages.count >= capacity, state.pages[key] == nil {
                // Simple and bounded: start over rather than track recency on the hot path.
                state.removeAll()
            }
            state.pages[key] = (page, tags, now)
            for tag in tags { state.byTag[tag, default: []].insert(key) }
        }
    }

    /// Removes every page carrying any of `tags` (called by the bus).
    public func drop(_ tags: Set<CacheTag>) {
        state.withLockedValue { state in
            state.generation &+= 1
            for tag in tags {
                for key in state.byTag.removeValue(forKey: tag) ?? [] {
                    if let removed = state.pages.removeValue(forKey: key) {
                        for other in removed.tags where other != tag { state.byTag[other]?.remove(key) }
                    }
                }
            }
        }
    }

    /// Removes every page (an instance that may have missed announcements starts afresh).
    public func dropAll() {
        state.withLockedValue { state in
            state.generation &+= 1
            state.removeAll()
        }
    }

    /// Answers from the cache, or renders, stores and answers.
    public func serve(
        _ request: Request, key: String, tags: Set<CacheTag>, contentType: String = "text/html; charset=utf-8",
        cacheControl: String = PageCache.cacheControl, render: () async throws -> (text: String, lastModified: Timestamp)
    ) async throws -> Response {
        // Inside the embed's frame the page renders differently: never from or into the cache.
        if EmbedFrame.current != nil {
            let rendered = try await render()
            return Response(status: .ok, headers: [.contentType: contentType, .cacheControl: "private, no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: rendered.text)))
        }
        if let page = page(key) { return page.response(to: request) }
        let generation = self.generation
        let rendered = try await render()
        let page = CachedPage(html: rendered.text, contentType: contentType, lastModified: rendered.lastModified, cacheControl: cacheControl,
                              extraHeaders: extraHeaders)
        store(key, page, tags: tags.union([.site]), renderedAt: generation)
        return page.response(to: request)
    }
}

/// HTTP dates (RFC 9110 IMF-fixdate), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
public enum HTTPDate {
    static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func format(_ timestamp: Timestamp) -> String {
        var seconds = time_t(timestamp.milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}

extension PageCache {
    /// The cached page for a request every reader gets the same answer to: an anonymous `GET` (no cookie, no
    /// credentials) without a query string, for an address already rendered. Anything else goes the normal way
    /// (and is then cached by its route).
    ///
    /// The `quorum_reader` cookie picks the variant (anonymous, signed in, member: ``ReaderClass``); a session
    /// without it goes the normal way, which sets it. Each answer is counted as a page view (one call).
    func anonymousPage(method: HTTPRequest.Method, path: Substring, headers: HTTPFields, peer: SocketAddress? = nil) -> CachedPage? {
        guard method == .get, headers[.authorization] == nil else { return nil }
        return anonymousPage(path: path, cookie: headers[.cookie].map { Substring($0) }) { reader in
            PageView(headers: headers, path: path, peer: peer, reader: reader)
        }
    }

    /// The same for a request already read apart (the wire tier): its `Cookie` header as it arrived, and its page
    /// view made only when there is a page to count. `HTTPFields` would split a cookie header into one field per
    /// cookie and join them again when read: a tenth of the fast path's time for a signed-in reader's request.
    func anonymousPage(path: Substring, cookie: Substring?, view: (ReaderClass) -> PageView) -> CachedPage? {
        var reader = ReaderClass.anonymous
        if let cookie {
            guard let chosen = ReaderClass.fromCookieHeader(cookie) else { return nil }
            reader = chosen
        }
        guard let page = page(reader.key(String(path))) else { return nil }
        hits.increment()
        if let views { views.count(view(reader)) }
        return page
    }
}

/// Answers cache hits for requests that reached the router (the event-loop fast path,
/// ``CachedPageChannelHandler``, answers most of them before that; this one serves the rest, e.g. a request
/// asking to close the connection, and applications driven without a server, as in router tests).
package struct PageCacheFastPath: RouterMiddleware {
    package typealias Context = QuorumContext
    let cache: PageCache

    package init(cache: PageCache) {
        self.cache = cache
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.query == nil, EmbedFrame.current == nil,
           let page = cache.anonymousPage(method: request.method, path: Substring(request.uri.path), headers: request.headers,
                                          peer: context.remoteAddress)
        {
            return page.response(to: request)
        }
        return try await next(request, context)
    }
}

extension PageView {
    /// What a counter needs of a request's headers.
    package init(headers: HTTPFields, path: Substring, query: Substring? = nil, peer: SocketAddress?, reader: ReaderClass) {
        let purpose = headers[.secPurpose] ?? headers[.purpose] ?? headers[.xMoz] ?? headers[.xPurpose]
        self.init(
            path: path, query: query, peer: peer, userAgent: headers[.userAgent].map { Substring($0) },
            forwardedFor: headers[.xForwardedFor].map { Substring($0) }, referer: headers[.referer].map { Substring($0) },
            isPrefetch: Self.isPrefetch(purpose: purpose), reader: reader
        )
    }

    /// Whether a purpose header (`Sec-Purpose`, `Purpose`, `X-Moz`, `X-Purpose`) marks a prefetch or a preview.
    package static func isPrefetch(purpose: String?) -> Bool {
        guard let purpose = purpose?.lowercased() else { return false }
        return purpose.contains("prefetch") || purpose.contains("preview")
    }
}

extension HTTPField.Name {
    package static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    package static let purpose = HTTPField.Name("Purpose")!
    package static let xMoz = HTTPField.Name("X-Moz")!
    package static let xPurpose = HTTPField.Name("X-Purpose")!
}
