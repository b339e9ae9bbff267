import Hummingbird

/// Names and attributes of the cookies Quorum sets.
public enum SiteCookies {
    public static let session = "quorum_session"
    /// For visitors who are not signed in: the token their forms must echo (double-submit).
    public static let anonymousCSRF = "quorum_csrf"

    package static func anonymousCSRF(_ token: String, secure: Bool) -> Cookie {
        Cookie(name: anonymousCSRF, value: token, maxAge: 86_400, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }
}
