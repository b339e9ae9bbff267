import Hummingbird
import QuorumWeb

/// Accounts' side of `EmailCodeSignIn`: the same requests, codes, rate limits and sessions as `/signin`.
public struct SignInOnPage: EmailCodeSignIn {
    let site: Site

    public init(site: Site) {
        self.site = site
    }

    public func sendCode(email: String, ip: String?, next: String) async throws -> String {
        let requested = try await site.signIn.request(email: email, ip: ip, next: SiteURL.safeRedirect(next))
        site.mail.wake()
        return requested.id
    }

    public func redeem(requestID: String, code: String, userAgent: String) async throws -> (cookie: Cookie, next: String) {
        let signedIn = try await site.signIn.redeemCode(requestID: requestID, code: code, userAgent: userAgent)
        return (SiteCookies.session(signedIn.session.id, secure: site.secureCookies), signedIn.next)
    }
}
