import Foundation
import Hummingbird
import HummingbirdBcrypt
import NIOPosix
import QuorumMail
import QuorumStore
import QuorumWeb


/// Signing in and out: the email form, the code form, the emailed link, optional passwords, and the JSON API.
struct SignInRoutes {
    let site: Site

    func addRoutes(to router: Router<QuorumContext>) {
        router.get("signin") { request, context in
            try await signInPage(next: request.uri.queryParameters["next"].map(String.init) ?? "/", context)
        }
        router.post("signin") { request, context in try await requestEmail(request, context) }
        router.get("signin/code") { request, context in
            try await codePage(requestID: request.uri.queryParameters["request"].map(String.init) ?? "", context)
        }
        router.post("signin/code") { request, context in try await redeemCode(request, context) }
        router.get("signin/link") { request, context in try await linkPage(request, context) }
        router.post("signin/link") { request, context in try await redeemLink(request, context) }
        router.post("signin/password") { request, context in try await passwordSignIn(request, context) }
        router.post("signout") { _, context in try await signOut(context) }

        router.get("api/v1/session") { _, context in try await sessionJSON(context) }
        router.post("api/v1/signin") { request, context in try await apiRequest(request, context) }
        router.post("api/v1/signin/code") { request, context in try await apiRedeem(request, context) }
        router.post("api/v1/signout") { _, context in
            try await endSession(context)
            var response = try JSONResponse.make(["status": "signed_out"], status: .ok)
            response.setCookie(SiteCookies.clearSession(secure: site.secureCookies))
            return response
        }
    }

    private func passwordEnabled() async throws -> Bool { try await site.settings.get("password_signin") == "on" }

    private func signInPage(next: String, _ context: QuorumContext, email: String = "", error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let next = SiteURL.safeRedirect(next)
        if context.user != nil, error == nil { return .seeOther(next) }
        var model: [String: Any] = ["next": next, "email": email, "passwordSignIn": try await passwordEnabled()]
        if let error { model["error"] = error }
        return try site.formPage("signin", model, context: context, status: status)
    }

    private func requestEmail(_ request: Request, _ context: QuorumContext) async throws -> Response {
        var request = request
        let form = try await Form.read(&request)
        let next = SiteURL.safeRedirect(form["next"] ?? "/")
        do {
            let requested = try await site.signIn.request(email: form["email"] ?? "", ip: context.remoteIP, next: next)
            site.mail.wake()
            return .seeOther("/signin/code?request=\(requested.id)")
        } catch let error as AccountError {
            return try await signInPage(next: next, context, email: form["email"] ?? "", error: error.message, status: error.status)
        }
    }

    private func codePage(requestID id: String, _ context: QuorumContext, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        var model: [String: Any] = ["request": id]
        if let error { model["error"] = error }
        return try site.formPage("signin-code", model, context: context, status: status)
    }

    private func redeemCode(_ request: Request, _ context: QuorumContext) async throws -> Response {
        var request = request
        let form = try await Form.read(&request)
        let id = form["request"] ?? ""
        do {
            let signedIn = try await site.signIn.redeemCode(requestID: id, code: form["code"] ?? "", userAgent: request.headers[.userAgent] ?? "")
            return try await started(signedIn, context)
        } catch let error as AccountError {
            return try await codePage(requestID: id, context, error: error.message, status: error.status)
        }
    }

    /// The emailed link opens a page with one button: mail scanners that follow links must not use up the sign-in.
    private func linkPage(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let token = request.uri.queryParameters["token"].map(String.init) ?? ""
        return try site.formPage("signin-link", ["token": token], context: context)
    }

    private func redeemLink(_ request: Request, _ context: QuorumContext) async throws -> Response {
        var request = request
        let form = try await Form.read(&request)
        let signedIn = try await site.signIn.redeemLink(form["token"] ?? "", userAgent: request.headers[.userAgent] ?? "")
        return try await started(signedIn, context)
    }

    private func passwordSignIn(_ request: Request, _ context: QuorumContext) async throws -> Response {
        guard try await passwordEnabled() else { throw AccountError.passwordSignInDisabled }
        var request = request
        let form = try await Form.read(&request)
        guard let email = EmailAddress.normalise(form["email"] ?? "") else { throw AccountError.invalidEmail }
        let key = try await site.settings.secretKey()
        try await site.limiter.hit(.init("password-email", count: 10, per: 15 * 60), key: Secrets.keyedHash(email, key: key))
        let password = form["password"] ?? ""
        let stored = try await AccountService(site: site).passwordHash(email: email)
        let matches = try await NIOThreadPool.singleton.runIfActive {
            // Without a stored hash, still spend the time a check takes, so timing does not reveal accounts.
            stored.map { Bcrypt.verify(password, hash: $0) } ?? { _ = Bcrypt.hash(password, cost: 10); return false }()
        }
        guard matches else { throw AccountError.passwordWrong }
        let userAgent = request.headers[.userAgent] ?? ""
        let signedIn = try await site.signIn.complete(email: email, next: SiteURL.safeRedirect(form["next"] ?? "/"), userAgent: userAgent)
        return try await started(signedIn, context)
    }

    /// Ends any session this browser had, then sets the new session's cookie.
    private func started(_ signedIn: SignInService.SignedIn, _ context: QuorumContext) async throws -> Response {
        try await endSession(context)
        var response = Response.seeOther(signedIn.next)
        response.setCookie(SiteCookies.session(signedIn.session.id, secure: site.secureCookies))
        return response
    }

    private func endSession(_ context: QuorumContext) async throws {
        if case .session(let id, _)? = context.identity?.source { try await site.sessions.delete(id: id) }
    }

    private func signOut(_ context: QuorumContext) async throws -> Response {
        try await endSession(context)
        var response = Response.seeOther("/")
        response.setCookie(SiteCookies.clearSession(secure: site.secureCookies))
        return response
    }

    // MARK: JSON API

    private struct SignInRequestBody: Decodable { let email: String; let next: String? }
    private struct CodeBody: Decodable { let request: String; let code: String }

    /// Who is signed in, and the CSRF token for the `X-CSRF-Token` header of later requests.
    private func sessionJSON(_ context: QuorumContext) async throws -> Response {
        let (token, cookie) = site.formToken(context)
        var body: [String: Any] = ["csrfToken": token]
        if let user = context.user {
            body["user"] = ["id": user.id, "displayName": user.displayName, "email": user.email, "roles": user.roles.sorted().map(\.rawValue)]
        }
        var response = try JSONResponse.object(body)
        if let cookie { response.setCookie(cookie) }
        return response
    }

    private func apiRequest(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let body = try await JSONResponse.decode(SignInRequestBody.self, from: request, context: context)
        let requested = try await site.signIn.request(email: body.email, ip: context.remoteIP, next: body.next ?? "/")
        site.mail.wake()
        return try JSONResponse.object(["request": requested.id], status: .accepted)
    }

    private func apiRedeem(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let body = try await JSONResponse.decode(CodeBody.self, from: request, context: context)
        let signedIn = try await site.signIn.redeemCode(requestID: body.request, code: body.code, userAgent: request.headers[.userAgent] ?? "")
        try await endSession(context)
        var response = try JSONResponse.object([
            "user": ["id": signedIn.user.id, "displayName": signedIn.user.displayName, "email": signedIn.user.email],
            "csrfToken": signedIn.session.csrfToken,
        ])
        response.setCookie(SiteCookies.session(signedIn.session.id, secure: site.secureCookies))
        return response
    }
}

