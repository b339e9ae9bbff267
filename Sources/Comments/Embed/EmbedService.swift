import Crypto
import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import QuorumStore
import QuorumWeb

import SQLKit

/// Threads for pages on other sites: the allowed origins, the page a normalised address stands for (created on
/// its first use from an allowed origin), and comment counts by address. The thread itself is an ordinary
/// comment thread on an article that stands for the page (``ExternalPageArticles``), so every comment page,
/// rule and review step is the same as on the site's own articles.
public struct EmbedService: Sendable {
    public let comments: CommentService
    let pages: any ExternalPageArticles
    let settingsCache: EmbedSettingsCache
    let countCache: CountCache
    /// Accounts' sign-in of readers a host vouches for.
    let externalSignIn: (any ExternalSignIn)?

    /// Most addresses in one counts request.
    public static let maximumCountURLs = 200

    public init(comments: CommentService, pages: any ExternalPageArticles, signIn: (any ExternalSignIn)? = nil, countLifetime: Double = 30) {
        self.comments = comments
        self.externalSignIn = signIn
        self.pages = pages
        self.settingsCache = EmbedSettingsCache(settings: comments.site.settings)
        self.countCache = CountCache(lifetime: countLifetime)
    }

    var database: Database { comments.site.database }

    public func settings() async throws -> EmbedSettings { try await settingsCache.current() }

    public func save(_ settings: EmbedSettings, by admin: User) async throws {
        let json = String(decoding: try JSONEncoder().encode(settings), as: UTF8.self)
        let now = Timestamp.now
        try await database.transaction { db in
            try await SettingsStore.set(EmbedSettings.key, json, now: now, on: db)
            try await AuditLog.record(actor: admin.id, action: "settings.embedding", subject: "site",
                                      details: "origins=\(settings.origins.joined(separator: " ")), keep_query=\(settings.keepQuery.joined(separator: " "))",
                                      now: now, on: db)
        }
        settingsCache.changed()
    }

    /// Signs in the reader a host's token vouches for: the session cookie, or a ``SingleSignOnError``.
    public func signIn(token: String, userAgent: String, now: Date = Date()) async throws -> (cookie: Cookie, userID: Int64) {
        guard let sso = try await settings().sso, let externalSignIn else { throw SingleSignOnError.notConfigured }
        let identity = try await SingleSignOn(settings: sso).verify(token, now: now)
        return try await externalSignIn.signIn(identity, userAgent: userAgent)
    }

    /// How long a frame sign-in ticket stays good: the sign-in window hands it to the frame at once.
    public static let ticketLifetime: Double = 120

    /// A one-time ticket by which the frame that opened the site's sign-in window signs in as `userID` (the
    /// reader signed in in that window). Only its hash is stored, with the hash of the frame's `nonce`: the ticket
    /// alone, seen by anyone else, signs nothing in.
    public func issueTicket(userID: Int64, nonce: String, next: String, now: Timestamp = .now) async throws -> String {
        let ticket = Secrets.token()
        try await database.transaction { db in
            try await db.delete(from: "embed_sign_in_tickets").where("expires_at", .lessThan, now.milliseconds - 86_400_000).run()
            try await db.insert(into: "embed_sign_in_tickets")
                .columns("ticket_hash", "user_id", "nonce_hash", "next_path", "created_at", "expires_at")
                .values(SQLBind(Secrets.hash(ticket)), SQLBind(userID), SQLBind(Secrets.hash(nonce)), SQLBind(SiteURL.safeRedirect(next)),
                        SQLBind(now.milliseconds), SQLBind(now.adding(seconds: Self.ticketLifetime).milliseconds)).run()
        }
        return ticket
    }

    public static let ticketRefused = CommentError(.badRequest, "ticket_invalid",
                                                   "This sign-in has expired or was already used. Sign in again.")

    /// Uses up `ticket` (with the nonce of the frame it was made for) and signs the frame in: the session cookie
    /// and where to go. Refused (400) when unknown, used, expired or for another frame's nonce.
    public func redeemTicket(_ ticket: String, nonce: String, userAgent: String, now: Timestamp = .now) async throws -> (cookie: Cookie, next: String) {
        guard let externalSignIn, !ticket.isEmpty, ticket.count < 200, !nonce.isEmpty, nonce.count < 200 else { throw Self.ticketRefused }
        let row = try await database.transaction { db in
            try await db.raw("""
                UPDATE embed_sign_in_tickets SET used_at = \(bind: now.milliseconds)
                WHERE ticket_hash = \(bind: Secrets.hash(ticket)) AND nonce_hash = \(bind: Secrets.hash(nonce))
                AND used_at IS NULL AND expires_at > \(bind: now.milliseconds)
                RETURNING user_id, next_path
                """).first()
        }
        guard let row else { throw Self.ticketRefused }
        let cookie = try await externalSignIn.signIn(userID: try row.decode(column: "user_id", as: Int64.self), userAgent: userAgent)
        return (cookie, try row.decode(column: "next_path", as: String.self))
    }

    /// The slug of the article standing for `address`: the same on every instance and every run.
    static func key(_ address: PageAddress) -> String {
        "page-" + SHA256.hash(data: Data(address.url.utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
    }

    public static let originNotAllowed = CommentError(.forbidden, "origin_not_allowed",
                                                      "This site does not show comments for pages on that site.")

    /// The thread for the page at `url`, created on first use. Refused (403) unless the page is on an allowed
    /// origin.
    public func thread(for url: String, title: String) async throws -> (page: PageAddress, article: ArticleSummary) {
        let settings = try await settings()
        let address = try settings.address(url)
        guard settings.origins.contains(address.origin) else { throw Self.originNotAllowed }
        if let found = try await database.read({ db in try await article(at: address, on: db) }) { return (address, found) }
        do {
            let article = try await database.transaction { db in try await ensureThread(address, title: title, on: db) }
            return (address, article)
        } catch {
            // Two first uses at once: the other one made it (its unique address or slug refused this one).
            if let found = try await database.read({ db in try await article(at: address, on: db) }) { return (address, found) }
            throw error
        }
    }

    /// The thread for a page inside the caller's transaction (the importers use it too).
    func ensureThread(_ address: PageAddress, title: String, on db: any SQLDatabase) async throws -> ArticleSummary {
        if let found = try await article(at: address, on: db) { return found }
        return try await Self.makeThread(address, title: title, pages: pages, on: db)
    }

    /// Makes the standing-in article for a page that has none yet and records its address.
    static func makeThread(_ address: PageAddress, title: String, pages: any ExternalPageArticles, on db: any SQLDatabase) async throws -> ArticleSummary {
        let article = try await pages.article(forPage: Self.key(address), title: title, on: db)
        try await db.insert(into: "embed_pages").columns("url", "origin", "article_id", "created_at")
            .values(SQLBind(address.url), SQLBind(address.origin), SQLBind(article.id), SQLBind(Timestamp.now.milliseconds)).run()
        return article
    }

    func article(at address: PageAddress, on db: any SQLDatabase) async throws -> ArticleSummary? {
        guard let id = try await db.select().column("article_id").from("embed_pages").where("url", .equal, SQLBind(address.url))
            .first(decodingColumn: "article_id", as: Int64.self) else { return nil }
        return try await comments.articles.article(id: id, on: db)
    }

    /// Published comment counts for each address as given (0 for a page without a thread). Addresses that are
    /// not addresses are a 400 naming the first; more than ``maximumCountURLs`` a 400 too.
    public func counts(urls: [String]) async throws -> [String: Int] {
        guard urls.count <= Self.maximumCountURLs else {
            throw CommentError.refused("too_many_urls", "Ask for at most \(Self.maximumCountURLs) addresses at once.")
        }
        let settings = try await settings()
        var addresses: [String: String] = [:]   // as given → normalised
        for url in urls { addresses[url] = try settings.address(url).url }
        var known = countCache.lookup(Set(addresses.values))
        let missing = Set(addresses.values).subtracting(known.keys)
        if !missing.isEmpty {
            let rows = try await database.read { db in
                try await db.select().column(SQLColumn("url", table: "p")).column(SQLColumn("published", table: "c"))
                    .from(SQLAlias(SQLIdentifier("embed_pages"), as: SQLIdentifier("p")))
                    .join(SQLAlias(SQLIdentifier("comment_counts"), as: SQLIdentifier("c")),
                          on: SQLColumn("article_id", table: "c"), .equal, SQLColumn("article_id", table: "p"))
                    .where(SQLColumn("url", table: "p"), .in, SQLBind.group(Array(missing))).all()
            }
            var found: [String: Int] = [:]
            for row in rows { found[try row.decode(column: "url", as: String.self)] = try row.decode(column: "published", as: Int.self) }
            for url in missing { found[url] = found[url] ?? 0 }
            countCache.store(found)
            known.merge(found) { $1 }
        }
        return addresses.mapValues { known[$0] ?? 0 }
    }
}

/// Counts by normalised address, kept for `lifetime` seconds: a listing page asks for the same addresses for
/// every reader, and a count a few seconds old is fine there.
final class CountCache: Sendable {
    let lifetime: Double
    private let entries = NIOLockedValueBox<[String: (count: Int, at: Date)]>([:])
    static let maximumEntries = 50_000

    init(lifetime: Double) { self.lifetime = lifetime }

    func lookup(_ urls: Set<String>) -> [String: Int] {
        let now = Date()
        return entries.withLockedValue { entries in
            var found: [String: Int] = [:]
            for url in urls { if let entry = entries[url], now.timeIntervalSince(entry.at) < lifetime { found[url] = entry.count } }
            return found
        }
    }

    func store(_ counts: [String: Int]) {
        let now = Date()
        entries.withLockedValue { entries in
            if entries.count + counts.count > Self.maximumEntries { entries.removeAll(keepingCapacity: true) }
            for (url, count) in counts { entries[url] = (count, now) }
        }
    }
}
