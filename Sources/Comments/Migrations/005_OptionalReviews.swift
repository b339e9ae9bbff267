import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb

extension Migrations {
    /// Optional extra reviews a writer is offered when many comments wait (`Engine.reviewsToAsk`).
    package static let optionalReviews005 = Migration(5, "optional reviews", statements: [
        "ALTER TABLE comments ADD COLUMN reviews_optional BIGINT NOT NULL DEFAULT 0",
    ])
}
