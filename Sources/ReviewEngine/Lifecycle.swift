import Foundation

/// Where a comment stands in the review lifecycle. The server keeps it as a status (plus who decided); the
/// simulator as its own state. Both move it only through `Engine.lifecycle(_:event:...)`.
public enum CommentStage: String, Sendable, Codable, Hashable, CaseIterable {
    /// Waiting for peers.
    case pending
    /// A trusted author's comment, published at once and still open to review: peers may withdraw it, and it
    /// settles once peers confirm it or its maximum wait has passed.
    case publishedUnderReview
    /// Published and settled.
    case published
    /// In front of a moderator (withheld by peers, peers could not agree, or it timed out).
    case withheld
    /// A moderator approved it (settled as civil).
    case approved
    /// A moderator rejected it (settled as uncivil, or rejected for another reason without settling).
    case rejected

    /// Whether readers see it.
    public var isVisible: Bool { self == .publishedUnderReview || self == .published || self == .approved }
    /// Whether peers may still review it (and `Engine.decide` still applies).
    public var isUnderReview: Bool { self == .pending || self == .publishedUnderReview }
}

/// Who or what moved a comment to its stage.
public enum DecisionSource: String, Sendable, Codable, Hashable {
    case peers, trusted, timeout, moderator
}

/// Something that happens to a comment.
public enum LifecycleEvent: Sendable, Hashable {
    /// The engine decided (on submission, after a review, or from the periodic sweep).
    case decided(Decision)
    /// A moderator decided: civil (approve), uncivil (reject as uncivil), or nil (rejected for another reason,
    /// such as off-topic: no verdict on civility, so nothing settles).
    case moderated(CivilityVote?)
}

/// What settling a comment changes: every reviewer judged against the outcome, then the author's record.
public struct Settlement: Sendable, Codable, Hashable {
    public var outcome: Outcome
    /// One per reviewer judged; save each record and apply its sanctions, in this order.
    public var reliability: [ReliabilityUpdate]
    /// Save the record and apply its sanctions after the reviewers'.
    public var author: AuthorUpdate

    public init(outcome: Outcome, reliability: [ReliabilityUpdate], author: AuthorUpdate) {
        self.outcome = outcome
        self.reliability = reliability
        self.author = author
    }

    /// Every sanction, in the order to apply them.
    public var sanctions: [Sanction] { reliability.flatMap(\.sanctions) + author.sanctions }
}

/// The effects of one lifecycle event, as values for the caller to apply.
public struct LifecycleEffects: Sendable, Codable, Hashable {
    /// The stage before and after.
    public var from: CommentStage
    public var stage: CommentStage
    /// Who moved it, when it moved (nil when it stays where it was).
    public var decidedBy: DecisionSource?
    /// Present when the comment's fate became final with this event.
    public var settlement: Settlement?

    public init(from: CommentStage, stage: CommentStage, decidedBy: DecisionSource?, settlement: Settlement?) {
        self.from = from
        self.stage = stage
        self.decidedBy = decidedBy
        self.settlement = settlement
    }

    public var stageChanged: Bool { from != stage }
    public var sanctions: [Sanction] { settlement?.sanctions ?? [] }

    static func none(_ stage: CommentStage) -> LifecycleEffects {
        LifecycleEffects(from: stage, stage: stage, decidedBy: nil, settlement: nil)
    }
}

/// The records a settlement reads. The caller passes what it holds at the time of the event.
public struct LifecycleRecords: Sendable {
    /// Every review of the comment (not audits).
    public var reviews: [Review]
    /// The reviewers' records (others are ignored).
    public var reviewers: [ReviewerRecord]
    public var author: AuthorRecord
    /// The author's own reviewer record, if they have one (trust needs accurate reviews).
    public var authorAsReviewer: ReviewerRecord?

    public init(reviews: [Review], reviewers: [ReviewerRecord], author: AuthorRecord, authorAsReviewer: ReviewerRecord?) {
        self.reviews = reviews
        self.reviewers = reviewers
        self.author = author
        self.authorAsReviewer = authorAsReviewer
    }
}

extension Engine {
    /// The one step from an event to its effects: the new stage, who decided, and, when the comment's fate is
    /// final, the settlement (reviewer reliability, the author's outcome, sanctions). Pure: the server applies
    /// the effects in its transaction, the simulator to its world.
    ///
    /// The rules:
    /// - A pending comment: published by peers (or at the deadline, for a trusted author) settles as published;
    ///   a trusted author's comment published at once stays under review; withheld goes to a moderator and
    ///   settles when the moderator decides.
    /// - A trusted author's published comment under review: peers may withdraw it (withheld); it settles as
    ///   published when peers confirm it (any publish rule other than "trusted author"), or once the comment has
    ///   waited the maximum wait without being withdrawn.
    /// - A moderator's verdict settles the comment from any stage (the verdict is the truth reviewers are judged
    ///   against); a rejection for another reason only changes the stage.
    /// - Decisions on comments no longer under review change nothing.
    public func lifecycle(
        _ stage: CommentStage, event: LifecycleEvent, submittedAt: Date, records: LifecycleRecords, now: Date
    ) -> LifecycleEffects {
        switch event {
        case .moderated(let verdict):
            guard let verdict else {
                return LifecycleEffects(from: stage, stage: .rejected, decidedBy: .moderator, settlement: nil)
            }
            return LifecycleEffects(
                from: stage, stage: verdict == .civil ? .approved : .rejected, decidedBy: .moderator,
                settlement: settlement(.moderatorVerdict(verdict), records: records, now: now))
        case .decided(let decision):
            guard stage.isUnderReview else { return .none(stage) }
            let by: DecisionSource = decision.rule == .trustedAuthor ? .trusted
                : (decision.rule == .timedOut ? .timeout : .peers)
            switch decision.verdict {
            case .withhold where stage == .pending || decision.rule != .timedOut:
                return LifecycleEffects(from: stage, stage: .withheld, decidedBy: by, settlement: nil)
            case .needsMoreReviews where stage == .pending:
                return .none(stage)
            case .publish where stage == .pending && decision.rule == .trustedAuthor:
                return LifecycleEffects(from: stage, stage: .publishedUnderReview, decidedBy: .trusted, settlement: nil)
            case .publish where stage == .pending:
                return LifecycleEffects(
                    from: stage, stage: .published, decidedBy: by,
                    settlement: settlement(.published(probabilityUncivil: decision.probabilityUncivil), records: records, now: now))
            case .publish, .needsMoreReviews, .withhold:
                // Under review after publication: confirmed by peers, or it stood until its deadline (also when
                // the author lost trust meanwhile: readers have seen it, and peers did not withdraw it).
                let confirmed = decision.verdict == .publish && decision.rule != .trustedAuthor
                let stood = now.timeIntervalSince(submittedAt) >= settings.maximumWait
                guard confirmed || stood else { return .none(stage) }
                return LifecycleEffects(
                    from: stage, stage: .published, decidedBy: confirmed ? by : .timeout,
                    settlement: settlement(.published(probabilityUncivil: decision.probabilityUncivil), records: records, now: now))
            }
        }
    }

    /// Judges the reviewers against `outcome`, then moves the author's record.
    public func settlement(_ outcome: Outcome, records: LifecycleRecords, now: Date) -> Settlement {
        let reliability = settle(reviews: records.reviews, reviewers: records.reviewers, authorID: records.author.authorID,
                                 outcome: outcome, now: now)
        // The author's own reviews are never judged here, so their reviewer record is as passed in.
        let asReviewer = reliability.first { $0.reviewerID == records.author.authorID }?.record ?? records.authorAsReviewer
        let author = authorOutcome(outcome, author: records.author, reviewer: asReviewer, now: now)
        return Settlement(outcome: outcome, reliability: reliability, author: author)
    }
}
