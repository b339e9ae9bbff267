/// Every migration Quorum ships, in order. Add new ones at the end with the next number; never edit a shipped one.
public enum Migrations {
    public static let all: [Migration] = [
        foundation001,
        publishing002,
        accounts003,
        comments004,
        optionalReviews005,
        threadIndexes006,
    ]
}
