import Foundation
import NIOConcurrencyHelpers
import QuorumStore
import QuorumWeb
import ReadershipEngine

/// How readership counts: the salt period, trusted proxies, how often counts go to the database.
public struct ReadershipSettings: Sendable {
    /// Days per salt. 1 (daily, the default) never links a reader's visits on two days; a longer period counts a
    /// returning reader once per period instead of once per day, at the price of linking their visits within it.
    public var saltPeriodDays: Int = 1
    /// Proxies in front of the server that append to `X-Forwarded-For`; 0 uses the connection's peer.
    public var trustedProxyHops: Int = 0
    /// How often each instance writes what it counted.
    public var flushInterval: Duration = .seconds(5)
    /// The call to action's share is recomputed at most this often.
    public var shareInterval: Int64 = 300_000

    public init(saltPeriodDays: Int = 1, trustedProxyHops: Int = 0, flushInterval: Duration = .seconds(5), shareInterval: Int64 = 300_000) {
        self.saltPeriodDays = max(1, saltPeriodDays)
        self.trustedProxyHops = max(0, trustedProxyHops)
        self.flushInterval = flushInterval
        self.shareInterval = shareInterval
    }

    /// From `QUORUM_READERSHIP_SALT_DAYS` and `QUORUM_TRUSTED_PROXY_HOPS`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> ReadershipSettings {
        ReadershipSettings(
            saltPeriodDays: environment["QUORUM_READERSHIP_SALT_DAYS"].flatMap { Int($0) } ?? 1,
            trustedProxyHops: environment["QUORUM_TRUSTED_PROXY_HOPS"].flatMap { Int($0) } ?? 0
        )
    }
}

/// Counts page views in memory, on whatever thread answers the request (the event loop for cached pages):
/// hashes the reader at once, adds the hash to the day's sketches and the view to its counters, and forgets
/// the address and User-Agent. ``ReadershipFlusher`` takes what was counted every few seconds.
public final class ReadershipCounter: PageViewCounter, Sendable {
    struct State {
        /// Salt period → salt, for the current period and the next (made ahead, so a period starts counted).
        var salts: [Int64: [UInt8]] = [:]
        var batch = FlushBatch()
        /// Which promotions each cached page variant shows (key: the variant's cache key).
        var shown: [String: [Int64]] = [:]
        /// Views counted without a salt yet (the first moments after start): views only.
        var unsalted = 0
    }

    private let state = NIOLockedValueBox(State())
    let settings: ReadershipSettings
    let clock: SiteClock
    let site: [UInt8]
    let ownHost: String

    public init(settings: ReadershipSettings, clock: SiteClock, siteURL: String) {
        self.settings = settings
        self.clock = clock
        self.site = Array(siteURL.utf8) + [0]
        self.ownHost = URLComponents(string: siteURL)?.host?.lowercased() ?? ""
    }

    public func count(_ view: PageView) {
        guard let page = CountedPage(path: view.path), !view.isPrefetch, let userAgent = view.userAgent, !userAgent.isEmpty,
              !Crawlers.isCrawler(userAgent)
        else { return }
        let address = ClientAddress.resolve(peer: view.peer, forwardedFor: view.forwardedFor, trustedHops: settings.trustedProxyHops) ?? ""
        let now = clock.now().milliseconds
        let day = SaltPeriod.day(milliseconds: now)
        let period = SaltPeriod.index(milliseconds: now, periodDays: settings.saltPeriodDays)
        let salt = state.withLockedValue { $0.salts[period] }
        let hash = salt.map { VisitorHash.hash(salt: $0, site: site, address: address, userAgent: userAgent) }
        let referrer = view.referer.flatMap { ReferrerHost.host(of: $0, ownHost: ownHost) }
        let campaign = view.query.flatMap(Campaign.parse)
        let shownKey: String? = (page == .home || page.isArticle) ? view.reader.key(String(view.path)) : nil
        state.withLockedValue { state in
            state.batch.kinds[page.kind, default: 0] += 1
            if hash == nil { state.unsalted += 1 }
            Self.add(&state.batch, FlushBatch.ScopeKey(day: day, scope: "site"), hash)
            if case .article(let slug) = page { Self.add(&state.batch, FlushBatch.ScopeKey(day: day, scope: "a:" + slug), hash) }
            if let referrer { state.batch.referrers[FlushBatch.ReferrerKey(day: day, host: referrer), default: 0] += 1 }
            if let campaign {
                state.batch.campaigns[FlushBatch.CampaignKey(day: day, source: campaign.source, medium: campaign.medium, campaign: campaign.campaign), default: 0] += 1
            }
            if let shownKey, let ids = state.shown[shownKey] {
                for id in ids { state.batch.promotionViews[id, default: 0] += 1 }
            }
        }
    }

    private static func add(_ batch: inout FlushBatch, _ key: FlushBatch.ScopeKey, _ hash: UInt64?) {
        batch.scopes[key, default: FlushBatch.ScopeEntry()].views += 1
        guard let hash else { return }
        if batch.scopes[key]!.sketch == nil { batch.scopes[key]!.sketch = HyperLogLog() }
        batch.scopes[key]!.sketch!.add(hash: hash)
    }

    /// What was counted since the last call.
    func take() -> FlushBatch {
        state.withLockedValue { state in
            let batch = state.batch
            state.batch = FlushBatch()
            return batch
        }
    }

    /// Puts back a batch that could not be written (the database was away): it goes with the next flush.
    func putBack(_ batch: FlushBatch) {
        state.withLockedValue { $0.batch.absorb(batch) }
    }

    /// What is counted but not flushed yet for the site on days `from...to` (so a figure read now includes it).
    func pendingSite(from: Int64, to: Int64) -> (views: Int, sketch: HyperLogLog) {
        state.withLockedValue { state in
            var sketch = HyperLogLog()
            var views = 0
            for (key, entry) in state.batch.scopes where key.scope == "site" && key.day >= from && key.day <= to {
                views += entry.views
                if let added = entry.sketch { sketch.merge(added) }
            }
            return (views, sketch)
        }
    }

    func setSalts(_ salts: [Int64: [UInt8]]) {
        state.withLockedValue { $0.salts = salts }
    }

    var saltPeriods: [Int64] { state.withLockedValue { $0.salts.keys.sorted() } }

    /// Whether the current period's salt is loaded, so a view counts its reader as well as itself.
    public var isCounting: Bool {
        let period = SaltPeriod.index(milliseconds: clock.now().milliseconds, periodDays: settings.saltPeriodDays)
        return state.withLockedValue { $0.salts[period] != nil }
    }

    /// Records which promotions a rendered page variant shows, so its views count theirs.
    func recordShown(key: String, ids: [Int64]) {
        state.withLockedValue { state in
            if state.shown.count > 20_000 { state.shown.removeAll(keepingCapacity: true) }
            state.shown[key] = ids
        }
    }
}

extension CountedPage {
    var isArticle: Bool {
        if case .article = self { return true }
        return false
    }
}
