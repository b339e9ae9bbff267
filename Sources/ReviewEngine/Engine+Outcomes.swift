import Foundation

/// How a comment's fate was finally settled.
public enum Outcome: Sendable, Codable, Hashable {
    /// Peers published it (or a trusted author's comment stood). The probability is the decision's estimate.
    case published(probabilityUncivil: Double)
    /// A moderator looked at it and decided.
    case moderatorVerdict(CivilityVote)

    /// The chance the comment was uncivil, as far as the engine can tell.
    var pUncivil: Double {
        switch self {
        case .published(let p): min(max(p, 0), 1)
        case .moderatorVerdict(let v): v == .uncivil ? 1 : 0
        }
    }
}

/// Something done to a person because of their record. The server applies it (bans, emails, audit log).
public struct Sanction: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, Hashable {
        /// The reviewer's votes often go against outcomes; a warning is shown.
        case reviewerWarned
        /// The reviewer's votes stop counting until their accuracy recovers.
        case votesStopCounting
        /// The reviewer's accuracy recovered: their votes count again.
        case votesCountAgain
        /// The reviewer may not review until `until`.
        case reviewBan
        /// The author may not comment until `until` (a comment was rejected as uncivil).
        case commentingBan
        /// The author may no longer comment (repeat offence).
        case commentingRevoked
        /// The author's comments are published at once from now on.
        case trustGranted
        /// The author's comments wait for peers again.
        case trustLost
    }

    public var userID: UserID
    public var kind: Kind
    public var until: Date?
    public var reason: String
}

/// What one outcome or audit changed about one reviewer. The server saves `record` and applies `sanctions`.
public struct ReliabilityUpdate: Sendable, Codable, Hashable {
    public var reviewerID: UserID
    public var accuracyBefore: Double
    public var accuracyAfter: Double
    /// The record to store.
    public var record: ReviewerRecord
    public var sanctions: [Sanction]
}

/// What an outcome changed about the author.
public struct AuthorUpdate: Sendable, Codable, Hashable {
    public var record: AuthorRecord
    public var sanctions: [Sanction]
}

extension Engine {
    /// Judges every counted-eligible review of a settled comment against its outcome (the Dawid–Skene online
    /// step between refits). Reviews by the author and repeat reviews are skipped; muted reviewers are still
    /// judged, so they can earn their way back.
    public func settle(
        reviews: [Review], reviewers: [ReviewerRecord], authorID: UserID, outcome: Outcome, now: Date
    ) -> [ReliabilityUpdate] {
        var updates: [ReliabilityUpdate] = []
        let p = outcome.pUncivil
        for review in reviews.sorted(by: { ($0.reviewerID, $0.id) < ($1.reviewerID, $1.id) }) {
            guard review.reviewerID != authorID, !updates.contains(where: { $0.reviewerID == review.reviewerID }),
                  var record = reviewers.first(where: { $0.reviewerID == review.reviewerID })
            else { continue }
            let before = reliability(of: record).accuracy
            record.outcomes.add(vote: review.civility, pUncivil: p)
            let (updated, sanctions) = reviewStanding(record, now: now)
            updates.append(ReliabilityUpdate(
                reviewerID: review.reviewerID, accuracyBefore: before,
                accuracyAfter: reliability(of: updated).accuracy, record: updated, sanctions: sanctions))
        }
        return updates
    }

    /// Grades one audit: a review of a comment whose verdict a moderator confirmed. Audits weigh
    /// `Settings.auditWeight` outcomes; failing them while muted leads to escalating review bans.
    public func grade(audit: Review, verdict: CivilityVote, reviewer: ReviewerRecord, now: Date) -> ReliabilityUpdate {
        var record = reviewer
        let before = reliability(of: record).accuracy
        record.audits.add(vote: audit.civility, pUncivil: verdict == .uncivil ? 1 : 0)
        var sanctions: [Sanction] = []
        let failed = audit.civility != verdict
        let standing = reviewStanding(record, now: now)
        var updated = standing.0
        sanctions += standing.1
        if updated.standing == .muted {
            if failed { updated.auditFailuresWhileMuted += 1 } else { updated.auditPassesWhileMuted += 1 }
            if failed && updated.auditFailuresWhileMuted >= settings.auditFailuresForBan
                && updated.auditFailuresWhileMuted >= updated.auditPassesWhileMuted
            {
                let days = settings.reviewBanDays.isEmpty
                    ? 0 : settings.reviewBanDays[min(updated.reviewBans, settings.reviewBanDays.count - 1)]
                let until = now.addingTimeInterval(days * 86400)
                updated.reviewBans += 1
                updated.reviewBannedUntil = until
                updated.auditFailuresWhileMuted = 0
                updated.auditPassesWhileMuted = 0
                sanctions.append(Sanction(
                    userID: updated.reviewerID, kind: .reviewBan, until: until,
                    reason: "failed \(settings.auditFailuresForBan) or more audits, and passed no more, while votes did not count "
                        + "(ban \(updated.reviewBans): \(Format.fixed(days, 0)) days)"))
            }
        }
        return ReliabilityUpdate(
            reviewerID: reviewer.reviewerID, accuracyBefore: before,
            accuracyAfter: reliability(of: updated).accuracy, record: updated, sanctions: sanctions)
    }

    /// Counts a review as given (call once per review, audits included). Bookkeeping only.
    public func recordReviewGiven(by reviewer: ReviewerRecord) -> ReviewerRecord {
        var r = reviewer
        r.reviewsGiven += 1
        return r
    }

    /// Warn, mute or unmute according to the reviewer's record. Votes stop counting when either
    /// - the random-voter test says they vote like a coin (`Settings.muteOnRandomEvidence`), or
    /// - their accuracy, once judged on enough reviews, is below `Settings.muteBelowAccuracy` (this catches
    ///   one-sided reviewers, such as approvers of abuse, that agree with most outcomes).
    /// They count again only when both recover (the test at `unmuteOnRandomEvidence`, accuracy at the
    /// warning bar), so a reviewer does not flicker in and out.
    public func reviewStanding(_ reviewer: ReviewerRecord, now: Date) -> (ReviewerRecord, [Sanction]) {
        var r = reviewer
        var sanctions: [Sanction] = []
        if let until = r.reviewBannedUntil, now >= until { r.reviewBannedUntil = nil }
        let rel = reliability(of: r)
        let acc = rel.accuracy
        let s = settings
        let judged = rel.judged >= s.minimumJudgedReviews
        let likeACoin = rel.randomEvidence >= s.muteOnRandomEvidence
        let belowBar = judged && acc < s.muteBelowAccuracy
        let why = likeACoin
            ? "votes look random (evidence \(Format.fixed(rel.randomEvidence, 1)) ≥ \(Format.fixed(s.muteOnRandomEvidence, 1)))"
            : "accuracy \(Format.percent(acc)) below \(Format.percent(s.muteBelowAccuracy))"
        switch r.standing {
        case .good, .warned:
            if likeACoin || belowBar {
                if r.standing == .good {
                    r.warnings += 1
                    sanctions.append(Sanction(userID: r.reviewerID, kind: .reviewerWarned, until: nil, reason: why))
                }
                r.standing = .muted
                r.mutedSinceReview = r.reviewsGiven
                r.auditFailuresWhileMuted = 0
                r.auditPassesWhileMuted = 0
                sanctions.append(Sanction(userID: r.reviewerID, kind: .votesStopCounting, until: nil, reason: why))
            } else if r.standing == .good
                && (rel.randomEvidence >= s.warnOnRandomEvidence || (judged && acc < s.warnBelowAccuracy))
            {
                r.standing = .warned
                r.warnings += 1
                sanctions.append(Sanction(
                    userID: r.reviewerID, kind: .reviewerWarned, until: nil,
                    reason: "votes often go against outcomes (accuracy \(Format.percent(acc)), random-voter evidence "
                        + "\(Format.fixed(rel.randomEvidence, 1)))"))
            } else if r.standing == .warned && acc >= s.warnBelowAccuracy && rel.randomEvidence < s.warnOnRandomEvidence {
                r.standing = .good
            }
        case .muted:
            if rel.randomEvidence <= s.unmuteOnRandomEvidence && acc >= s.warnBelowAccuracy {
                r.standing = .good
                r.mutedSinceReview = nil
                sanctions.append(Sanction(userID: r.reviewerID, kind: .votesCountAgain, until: nil,
                                          reason: "accuracy recovered to \(Format.percent(acc))"))
            }
        }
        return (r, sanctions)
    }

    /// Updates an author's record after one of their comments settles: counts, commenting sanctions for a
    /// comment rejected as uncivil (one week, then revoked), and trust.
    public func authorOutcome(
        _ outcome: Outcome, author: AuthorRecord, reviewer: ReviewerRecord?, now: Date
    ) -> AuthorUpdate {
        var a = author
        var sanctions: [Sanction] = []
        if case .moderatorVerdict(.uncivil) = outcome {
            a.rejected += 1
            a.lastRejectionAt = now
            if a.rejected >= settings.revokeAfterRejections {
                a.commentingRevoked = true
                sanctions.append(Sanction(userID: a.authorID, kind: .commentingRevoked, until: nil,
                                          reason: "\(a.rejected) comments rejected as uncivil"))
            } else {
                let until = now.addingTimeInterval(settings.commentingBanDays * 86400)
                a.commentingBannedUntil = until
                sanctions.append(Sanction(userID: a.authorID, kind: .commentingBan, until: until,
                                          reason: "a comment was rejected as uncivil"))
            }
        } else {
            a.published += 1
        }
        let trust = self.trust(author: a, reviewer: reviewer, now: now)
        if trust != a.trust {
            sanctions.append(Sanction(
                userID: a.authorID, kind: trust == .trusted ? .trustGranted : .trustLost, until: nil,
                reason: trust == .trusted
                    ? "\(a.published) comments published, none rejected in the window, accurate reviews"
                    : "a comment was rejected"))
            a.trust = trust
        }
        return AuthorUpdate(record: a, sanctions: sanctions)
    }

    /// Whether an author is trusted: enough published comments, no rejection within the clean window, and
    /// (if they have reviewed enough to be judged) accurate reviews.
    public func trust(author: AuthorRecord, reviewer: ReviewerRecord?, now: Date) -> Trust {
        guard author.published >= settings.trustAfterPublished else { return .regular }
        if let last = author.lastRejectionAt, now.timeIntervalSince(last) < settings.trustCleanWindow { return .regular }
        if let reviewer {
            if reviewer.standing != .good || reviewer.isBanned(at: now) { return .regular }
            let rel = reliability(of: reviewer)
            if rel.judged >= settings.minimumJudgedReviews && rel.accuracy < settings.trustMinimumAccuracy {
                return .regular
            }
        }
        return .trusted
    }
}
