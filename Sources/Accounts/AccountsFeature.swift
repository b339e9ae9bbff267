import Hummingbird

import QuorumWeb

/// How the composition root installs accounts: the middleware every request passes (sessions, rate limits on
/// state-changing requests, CSRF) and the sign-in, account and people-admin routes.
public enum AccountsFeature {
    /// Installs, in order: who is asking (session cookie), rate limits on POSTs, the CSRF check.
    public static func addMiddleware(to router: Router<QuorumContext>, site: Site) {
        router.add(middleware: SessionMiddleware(sessions: site.sessions, secureCookies: site.secureCookies))
        router.add(middleware: PostRateLimitMiddleware(
            limiter: site.limiter, settings: site.settings,
            limit: .init("post-ip", count: site.configuration.postsPerMinutePerAddress, per: 60)
        ))
        router.add(middleware: CSRFMiddleware(
            siteOrigin: CSRFMiddleware.origin(of: site.configuration.siteURL) ?? site.configuration.siteBase,
            multipartLimit: MultipartForm.limit(forFilesOf: site.configuration.maxUploadBytes)
        ))
    }

    /// `accountSections` are other features' parts of the account page (membership), shown in order.
    public static func addRoutes(to router: Router<QuorumContext>, site: Site, accountSections: [any AccountPageSection] = []) {
        SignInRoutes(site: site).addRoutes(to: router)
        AccountRoutes(site: site, sections: accountSections).addRoutes(to: router)
        AdminUserRoutes(site: site).addRoutes(to: router)
    }
}
