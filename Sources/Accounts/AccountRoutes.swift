import Foundation
import Hummingbird
import HummingbirdBcrypt
import NIOPosix
import QuorumMail
import QuorumStore
import QuorumWeb


/// The reader's own account: name, email, sessions, password, export and deletion.
struct AccountRoutes {
    let site: Site
    var sections: [any AccountPageSection] = []
    var service: AccountService { AccountService(site: site) }
    static let deletionPhrase = "delete my account"

    func addRoutes(to router: Router<QuorumContext>) {
        router.get(RouterPath(SiteURL.account)) { _, context in try await accountPage(context) }
        router.post(RouterPath(SiteURL.accountName)) { request, context in
            let user = try signedIn(context)
            var request = request
            let name = try await Form.read(&request).required("name", label: "your display name", maximumLength: 80)
            try await site.users.rename(user.id, to: name)
            return Response.seeOther(SiteURL.account.path + "?saved=name")
        }
        router.post(RouterPath(SiteURL.accountEmail)) { request, context in try await requestEmailChange(request, context) }
        router.get(RouterPath(SiteURL.accountEmailConfirm)) { request, context in
            try site.formPage("email-confirm", ["token": request.uri.queryParameters["token"].map(String.init) ?? ""], context: context)
        }
        router.post(RouterPath(SiteURL.accountEmailConfirm)) { request, context in try await confirmEmailChange(request, context) }
        router.post(RouterPath(SiteURL.accountRevokeSession)) { request, context in
            let user = try signedIn(context)
            var request = request
            try await site.sessions.delete(idHash: try await Form.read(&request).required("session"), userID: user.id)
            return Response.seeOther(SiteURL.account.path)
        }
        router.post(RouterPath(SiteURL.accountSignOutEverywhere)) { _, context in
            let user = try signedIn(context)
            try await site.sessions.deleteAll(userID: user.id)
            var response = Response.seeOther(SiteURL.home.path)
            response.setCookie(SiteCookies.clearSession(secure: site.secureCookies))
            return response
        }
        router.post(RouterPath(SiteURL.accountPassword)) { request, context in try await setPassword(request, context) }
        router.get(RouterPath(SiteURL.accountExport)) { _, context in try await export(context) }
        router.post(RouterPath(SiteURL.accountDelete)) { request, context in try await deleteAccount(request, context) }
    }

    /// Pages send signed-out visitors to sign in and back.
    private func signedIn(_ context: QuorumContext) throws -> User {
        guard let user = context.user else { throw RedirectToSignIn(next: SiteURL.account.path) }
        return user
    }

    private func accountPage(_ context: QuorumContext) async throws -> Response {
        guard let user = context.user else { return .seeOther(SiteURL.signIn(next: SiteURL.account.path).path) }
        let sessions = try await site.sessions.list(userID: user.id).map { info -> [String: Any] in
            [
                "id": info.idHash, "device": info.userAgent.isEmpty ? "Unknown device" : info.userAgent,
                "created": DateText.format(info.createdAt), "lastSeen": DateText.format(info.lastSeenAt),
                "current": info.idHash == context.sessionIDHash,
            ]
        }
        let (csrf, _) = site.formToken(context)
        var parts: [[String: Any]] = []
        var reader: ReaderClass?
        for section in sections {
            if let html = try await section.render(for: user, csrf: csrf, pages: site.pages) { parts.append(["html": html]) }
            if let said = try await section.readerClass(for: user), said == .member || reader == nil { reader = said }
        }
        var response = try site.formPage("account", [
            "sections": parts,
            "user": ["name": user.displayName, "email": user.email, "roles": user.roles.sorted().map(\.rawValue).joined(separator: ", "),
                     "since": DateText.format(user.createdAt)],
            "sessions": sessions,
            "passwordSignIn": try await site.settings.get("password_signin") == "on",
            "deletionPhrase": Self.deletionPhrase,
        ], context: context)
        if let reader { response.setCookie(SiteCookies.readerClass(reader, secure: site.secureCookies, maxAge: Int(SessionStore.lifetime))) }
        return response
    }

    private func requestEmailChange(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let user = try signedIn(context)
        var request = request
        guard let email = EmailAddress.normalise(try await Form.read(&request)["email"] ?? "") else { throw AccountError.invalidEmail }
        try await service.requestEmailChange(for: user, to: email)
        return try site.messagePage("Check your new address", "We sent a confirmation link to \(email). Your email changes when you open it.", link: (SiteURL.account.path, "Back to your account"), context: context)
    }

    private func confirmEmailChange(_ request: Request, _ context: QuorumContext) async throws -> Response {
        var request = request
        let token = try await Form.read(&request)["token"] ?? ""
        let newEmail = try await service.confirmEmailChange(token: token)
        return try site.messagePage("Email changed", "Your account now uses \(newEmail).", link: (SiteURL.account.path, "Your account"), context: context)
    }

    private func setPassword(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let user = try signedIn(context)
        guard try await site.settings.get("password_signin") == "on" else { throw AccountError.passwordSignInDisabled }
        var request = request
        let password = try await Form.read(&request)["password"] ?? ""
        guard password.count >= 10, password.count <= 200 else { throw AccountError.passwordTooShort }
        let hash = try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: 12) }
        try await service.setPasswordHash(hash, for: user)
        return .seeOther(SiteURL.account.path + "?saved=password")
    }

    /// Everything Quorum holds about the signed-in person, as JSON.
    private func export(_ context: QuorumContext) async throws -> Response {
        let user = try signedIn(context)
        let data = try await AccountData.export(userID: user.id, in: site.database)
        return Response(
            status: .ok,
            headers: [
                .contentType: "application/json; charset=utf-8",
                .contentDisposition: "attachment; filename=\"my-data.json\"",
                .cacheControl: "private, no-store",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    private func deleteAccount(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let user = try signedIn(context)
        var request = request
        let confirmation = (try await Form.read(&request)["confirm"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        guard confirmation == Self.deletionPhrase else { throw AccountError.confirmationMismatch }
        try await AccountData.delete(userID: user.id, in: site.database)
        var response = try site.messagePage("Your account is deleted", "We removed your personal data. Comments you wrote stay in their threads without your name.", link: (SiteURL.home.path, "Front page"), context: context)
        response.setCookie(SiteCookies.clearSession(secure: site.secureCookies))
        return response
    }
}

