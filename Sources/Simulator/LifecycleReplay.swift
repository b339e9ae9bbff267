import Foundation
import ReviewEngine

/// The simulator's world driven by a recorded sequence of events instead of a synthetic community: the same
/// code (`Run.enter`, `Run.receive`, `Run.timeOut`, `Run.moderate`, and through them `Engine.lifecycle`) moves
/// comments and records. Used to check that the server and the simulator run one policy: feed both the same
/// events and compare stages, records and sanctions after each.
///
/// Account ids are the caller's (e.g. the server's user ids); comments are known by the caller's id. Nothing
/// happens on its own: timeouts run only on `sweep(at:)`, moderators decide only on `moderate(_:verdict:at:)`,
/// and the model is never refitted.
public final class LifecycleReplay {
    let run: Run
    var index: [CommentID: Int] = [:]

    public init(settings: Settings = Settings(), model: ModelState = ModelState()) {
        var scenario = Scenario()
        scenario.name = "replay"
        scenario.users = 10
        scenario.comments = 0
        scenario.refitEvery = .max
        scenario.moderatorDelayMinutes = .infinity
        run = Run(scenario: scenario, policy: .engine, progress: nil)
        run.engine = Engine(settings: settings, model: model)
        run.sanctionLog = []
    }

    func minutes(_ date: Date) -> Double { date.timeIntervalSinceReferenceDate / 60 }

    func ensureAccount(_ id: UserID) {
        while run.reviewers.count <= Int(id) { _ = run.newAccount(for: 0) }
    }

    func comment(_ id: CommentID) -> Int {
        guard let c = index[id] else { preconditionFailure("comment \(id) was never submitted to the replay") }
        return c
    }

    /// Starts a person off with a record (a proven reviewer, a trusted author).
    public func setReviewer(_ record: ReviewerRecord) {
        ensureAccount(record.reviewerID)
        run.reviewers[Int(record.reviewerID)] = record
    }

    public func setAuthor(_ record: AuthorRecord) {
        ensureAccount(record.authorID)
        run.authors[Int(record.authorID)] = record
    }

    public func reviewer(_ id: UserID) -> ReviewerRecord {
        ensureAccount(id)
        return run.reviewers[Int(id)]
    }

    public func author(_ id: UserID) -> AuthorRecord {
        ensureAccount(id)
        return run.authors[Int(id)]
    }

    /// A comment is submitted (and decided at once).
    public func submit(_ id: CommentID, author: UserID, article: ArticleID, preScreen: Double, selfRating: CivilityVote, at date: Date) {
        ensureAccount(author)
        run.now = minutes(date)
        index[id] = run.comments.count
        run.enter(SimComment(id: id, person: 0, authorID: author, article: article, viewpoint: 0, uncivil: false,
                             quality: 0.5, submitted: run.now, preScreen: preScreen, selfRating: selfRating))
    }

    /// A review arrives (at its `submittedAt`) and the comment is decided again.
    public func review(_ review: Review, isAudit: Bool = false) {
        ensureAccount(review.reviewerID)
        run.now = minutes(review.submittedAt)
        run.receive(review, isAudit: isAudit, comment: comment(review.commentID))
    }

    /// The periodic sweep at `date`: every comment under review whose maximum wait has passed is decided again,
    /// oldest first.
    public func sweep(at date: Date) {
        let t = minutes(date)
        for c in run.submissionOrder where run.comments[c].stage.isUnderReview
            && run.comments[c].submitted + run.maxWaitMinutes <= t
        {
            run.now = t
            run.timeOut(c)
        }
    }

    /// A moderator decides a comment: approve (civil) or reject as uncivil.
    public func moderate(_ id: CommentID, verdict: CivilityVote, at date: Date) {
        let c = comment(id)
        run.now = minutes(date)
        run.comments[c].uncivil = verdict == .uncivil
        run.moderate(c)
    }

    public func stage(of id: CommentID) -> CommentStage { run.comments[comment(id)].stage }

    /// The sanctions given since the last call, in order.
    public func takeSanctions() -> [Sanction] {
        defer { run.sanctionLog = [] }
        return run.sanctionLog ?? []
    }
}
