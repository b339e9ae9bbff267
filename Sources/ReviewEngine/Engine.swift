import Foundation

/// The review policy. An `Engine` is a value holding the site's `Settings` and the learned `ModelState`;
/// each function takes the records it needs and returns new values. Nothing is remembered between calls:
/// the server persists `ReviewerRecord`s, `AuthorRecord`s, the `ModelState` and each comment's reviews.
///
/// The calls, in the order a comment meets them:
/// 1. `pick(for:candidates:audits:recentPicks:now:entropy:)` when a reviewer asks for the next comment.
/// 2. `decide(_:reviews:author:reviewers:now:)` when a comment is submitted, after each review, and from a
///    periodic sweep (timeouts).
/// 3. `settle(reviews:reviewers:authorID:outcome:now:)` and `authorOutcome(_:author:reviewer:now:)` once a
///    comment's fate is final (published, or confirmed by a moderator); `grade(audit:verdict:reviewer:now:)`
///    after each audit.
/// 4. `refit(_:reviewers:)` in batches (e.g. hourly or nightly) over settled comments.
/// 5. `quality(of:reviewers:)` for the "best" sort.
public struct Engine: Sendable {
    public var settings: Settings
    public var model: ModelState

    public init(settings: Settings = Settings(), model: ModelState = ModelState()) {
        self.settings = settings
        self.model = model
    }
}

/// Cheap, locale-free number formatting for explanations (they are built on every decision).
enum Format {
    static func percent(_ p: Double) -> String {
        let x = p * 100
        if x >= 10 { return "\(Int(x.rounded()))%" }
        if x >= 1 { return fixed(x, 1) + "%" }
        return fixed(x, 2) + "%"
    }

    static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return x > 0 ? "∞" : (x < 0 ? "-∞" : "nan") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let n = Int((abs(x) * scale).rounded())
        let whole = n / Int(scale)
        var frac = String(n % Int(scale))
        while frac.count < digits { frac = "0" + frac }
        let sign = x < 0 && n != 0 ? "-" : ""
        return digits == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(frac)"
    }

    static func signed(_ x: Double) -> String {
        (x >= 0 ? "+" : "") + fixed(x, 2)
    }

    static func duration(_ seconds: TimeInterval) -> String {
        if seconds >= 86400 { return fixed(seconds / 86400, 1) + " d" }
        if seconds >= 3600 { return fixed(seconds / 3600, 1) + " h" }
        return "\(Int((seconds / 60).rounded())) min"
    }
}
