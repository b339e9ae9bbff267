extension Migrations {
    /// Optional extra reviews a writer is offered when many comments wait (`Engine.reviewsToAsk`).
    static let optionalReviews005 = Migration(5, "optional reviews", statements: [
        "ALTER TABLE comments ADD COLUMN reviews_optional BIGINT NOT NULL DEFAULT 0",
    ])
}
