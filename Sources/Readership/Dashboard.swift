import Foundation
import QuorumStore
import QuorumWeb
import ReadershipEngine

/// The readership figures editors see, on the dashboard and from `GET /api/admin/readership`.
struct ReadershipDashboard: Sendable, Encodable {
    struct Window: Sendable, Encodable {
        var readers: Int
        var views: Int
    }
    struct Day: Sendable, Encodable {
        var date: String
        var readers: Int
        var views: Int
    }
    struct Article: Sendable, Encodable {
        var slug: String
        var url: String
        var views: Int
        var readers: Int
    }
    struct Referrer: Sendable, Encodable {
        var host: String
        var views: Int
    }
    struct Campaign: Sendable, Encodable {
        var source: String
        var medium: String
        var campaign: String
        var views: Int
    }
    struct Share: Sendable, Encodable {
        var date: String
        var members: Int
        var readers: Int
        var share: String
    }

    var today: Window
    var last7Days: Window
    var last30Days: Window
    /// Days per salt: a returning reader counts once per salt period in the 7- and 30-day figures.
    var saltPeriodDays: Int
    var members: Int
    var memberShare: String
    var days: [Day]
    var topArticles: [Article]
    var referrers: [Referrer]
    var campaigns: [Campaign]
    var shares: [Share]
}

extension ReadershipService {
    static func date(_ day: Int64) -> String {
        String(Timestamp(milliseconds: day * 86_400_000).iso8601.prefix(10))
    }

    func dashboard() async throws -> ReadershipDashboard {
        let to = today, from = to - 29
        let rows = try await store.days(scope: "site", from: from, to: to)
        let pending = counter.pendingSite(from: to, to: to)
        var byDay: [Int64: ReadershipStore.DayRow] = [:]
        for row in rows { byDay[row.day] = row }
        if pending.views > 0 {
            var row = byDay[to] ?? ReadershipStore.DayRow(day: to, views: 0, sketch: HyperLogLog())
            row.views += pending.views
            row.sketch.merge(pending.sketch)
            byDay[to] = row
        }
        func window(_ days: Int64) -> ReadershipDashboard.Window {
            var union = HyperLogLog()
            var views = 0
            for day in (to - days + 1)...to {
                if let row = byDay[day] {
                    union.merge(row.sketch)
                    views += row.views
                }
            }
            return .init(readers: union.count, views: views)
        }
        let last30 = window(30)
        let share = try await self.share()
        return ReadershipDashboard(
            today: window(1), last7Days: window(7), last30Days: last30, saltPeriodDays: settings.saltPeriodDays,
            members: share.members, memberShare: share.shareText,
            days: (from...to).map { day in
                ReadershipDashboard.Day(date: Self.date(day), readers: byDay[day]?.sketch.count ?? 0, views: byDay[day]?.views ?? 0)
            },
            topArticles: try await store.topArticles(from: from, to: to, limit: 10).map {
                .init(slug: $0.slug, url: SiteURL.article($0.slug).path, views: $0.views, readers: $0.readers)
            },
            referrers: try await store.referrers(from: from, to: to, limit: 20).map { .init(host: $0.host, views: $0.views) },
            campaigns: try await store.campaigns(from: from, to: to, limit: 20).map {
                .init(source: $0.source, medium: $0.medium, campaign: $0.campaign, views: $0.views)
            },
            shares: try await store.shares(from: from, to: to).map {
                .init(date: Self.date($0.day), members: $0.members, readers: $0.readers,
                      share: ReaderShare(members: $0.members, readers: $0.readers).shareText)
            }
        )
    }
}

/// The 30-day chart as SVG, drawn on the server: readers as a solid line, views dashed, on one scale each,
/// with the first and last dates and each line's peak written beside it. Only numbers and dates reach it.
enum ReadershipChart {
    static func svg(_ days: [ReadershipDashboard.Day]) -> String {
        let width = 720.0, height = 240.0, left = 48.0, right = 12.0, top = 16.0, bottom = 28.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let maxReaders = max(1, days.map(\.readers).max() ?? 1)
        let maxViews = max(1, days.map(\.views).max() ?? 1)
        let step = days.count > 1 ? plotWidth / Double(days.count - 1) : 0
        func points(_ values: [Int], _ maximum: Int) -> String {
            values.enumerated().map { index, value in
                let x = left + Double(index) * step
                let y = top + plotHeight - plotHeight * Double(value) / Double(maximum)
                return String(format: "%.1f,%.1f", x, y)
            }.joined(separator: " ")
        }
        var svg = """
            <svg class="readership-chart" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">
            <title id="chart-title">Readers and page views, last \(days.count) days</title>
            <desc id="chart-desc">Readers peak at \(maxReaders) a day and views at \(maxViews) a day.</desc>
            <line class="axis" x1="\(Int(left))" y1="\(Int(top + plotHeight))" x2="\(Int(width - right))" y2="\(Int(top + plotHeight))"/>
            <line class="axis" x1="\(Int(left))" y1="\(Int(top))" x2="\(Int(left))" y2="\(Int(top + plotHeight))"/>
            <polyline class="views" points="\(points(days.map(\.views), maxViews))"/>
            <polyline class="uniques" points="\(points(days.map(\.readers), maxReaders))"/>
            <text x="4" y="\(Int(top + 4))">\(maxReaders)</text>
            <text x="4" y="\(Int(top + 18))">readers</text>
            """
        if let first = days.first, let last = days.last {
            svg += """

                <text x="\(Int(left))" y="\(Int(height - 8))">\(first.date)</text>
                <text x="\(Int(width - right - 70))" y="\(Int(height - 8))">\(last.date)</text>
                """
        }
        svg += "\n</svg>"
        return svg
    }
}
