import Foundation
import JWTKit
import HTTPTypes
import Hummingbird
import QuorumStore
import QuorumWeb

/// The embed's routes: comment counts by page address for listings on allowed sites, and the admin page that
/// says which sites those are.
struct EmbedRoutes {
    let embed: EmbedService
    var site: Site { embed.comments.site }

    func addRoutes(to router: Router<QuorumContext>) {
        router.get(RouterPath(SiteURL.apiCounts)) { request, _ in try await counts(request) }
        router.get(RouterPath(SiteURL.adminEmbedding)) { _, context in try await page(context) }
        router.get(RouterPath(SiteURL.embedThread())) { request, _ in try await frame(request) }
        router.post(RouterPath(SiteURL.adminEmbedding)) { request, context in try await save(request, context) }
        router.get(RouterPath(Self.signInWindow)) { request, context in try await signInWindow(request, context) }
        router.post(RouterPath(Self.ticket)) { request, context in try await redeem(request, context) }
    }

    /// The sign-in window the frame opens on the site itself (a first-party page, never framed): signing in
    /// there, then handing the frame a one-time ticket by `postMessage`.
    static let signInWindow = "/frame-signin"
    /// Where the frame redeems the ticket (framed as `/embed/signin/ticket`).
    static let ticket = "/signin/ticket"

    /// Signed out: the site's sign-in, coming back here. Signed in: the page that hands the opener (the frame,
    /// checked by origin on both sides) its ticket. Without a nonce (opened as a plain link, without script) it
    /// only says the reader is signed in.
    private func signInWindow(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        let nonce = parameters["nonce"].map(String.init) ?? ""
        let next = SiteURL.safeRedirect(parameters["next"].map(String.init) ?? "/")
        guard nonce.isEmpty || (nonce.count >= 16 && nonce.count <= 100 && nonce.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })) else {
            throw RequestError.badRequest("The sign-in window's nonce must be 16 to 100 letters, digits, - or _.", code: "invalid_nonce")
        }
        guard let user = context.user else {
            var back = Self.signInWindow + "?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")
            if !nonce.isEmpty { back += "&nonce=" + nonce }
            return .seeOther(SiteURL.signIn(next: back).path)
        }
        var model: [String: Any] = ["name": user.displayName]
        if !nonce.isEmpty { model["ticket"] = try await embed.issueTicket(userID: user.id, nonce: nonce, next: next) }
        var response = try site.formPage("embed-signed-in", model, context: context)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    private func redeem(_ request: Request, _ context: QuorumContext) async throws -> Response {
        var request = request
        let form = try await Form.read(&request)
        let signedIn = try await embed.redeemTicket(form["ticket"] ?? "", nonce: form["nonce"] ?? "", userAgent: request.headers[.userAgent] ?? "")
        var response = Response.seeOther(signedIn.next)
        response.setCookie(signedIn.cookie)
        return response
    }

    /// CORS for an allowed origin only: the host page's script may read the answer; any other page cannot.
    static func allowOrigin(_ request: Request, settings: EmbedSettings, on response: inout Response) {
        response.headers.append(HTTPField(name: .vary, value: "Origin"))
        if let origin = request.headers[.origin], settings.allows(origin: origin) {
            response.headers[.accessControlAllowOrigin] = origin
        }
    }

    private func counts(_ request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        for (name, _) in parameters where name != "url" {
            throw RequestError.badRequest("Unknown parameter \(name); ask with url=…&url=….", code: "invalid_parameter")
        }
        let urls = parameters.getAll("url")
        guard !urls.isEmpty else { throw RequestError.badRequest("Give at least one url=… parameter.", code: "invalid_url") }
        let counts = try await embed.counts(urls: urls)
        var response = try JSONResponse.object(["counts": counts])
        response.headers[.cacheControl] = "public, max-age=30"
        Self.allowOrigin(request, settings: try await embed.settings(), on: &response)
        return response
    }

    /// The frame's first page: the thread for `url` (made on first use when the page is on an allowed site).
    private func frame(_ request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        guard let url = parameters["url"].map(String.init), !url.isEmpty else {
            throw RequestError.badRequest("The page's address (url=…) is missing.", code: "invalid_url")
        }
        let title = parameters["title"].map(String.init) ?? ""
        let (_, article) = try await embed.thread(for: url, title: title)
        var response = Response.seeOther(SiteURL.comments(article.slug).path)
        response.headers[.cacheControl] = "no-store"
        // The host signed its reader in: the frame's session starts here (a refused token says why, in the frame).
        if let token = parameters["sso"].map(String.init), !token.isEmpty {
            let signedIn = try await embed.signIn(token: token, userAgent: request.headers[.userAgent] ?? "")
            response.setCookie(signedIn.cookie)
        }
        return response
    }

    private func admin(_ context: QuorumContext) throws -> User {
        guard context.user != nil else { throw RedirectToSignIn(next: SiteURL.adminEmbedding.path) }
        return try context.requireRole(.admin)
    }

    private func page(_ context: QuorumContext, problem: String? = nil, values: EmbedSettings? = nil) async throws -> Response {
        _ = try admin(context)
        let settings: EmbedSettings
        if let values { settings = values } else { settings = try await embed.settings() }
        var model: [String: Any] = [
            "origins": settings.origins.joined(separator: "\n"),
            "keepQuery": settings.keepQuery.joined(separator: " "),
            "embedScript": SiteURL.embedScript.absolute(site.configuration.siteURL),
            "countScript": SiteURL.countScript.absolute(site.configuration.siteURL),
        ]
        if let sso = settings.sso {
            model["ssoAlgorithm"] = sso.algorithm.rawValue
            model["ssoIssuer"] = sso.issuer
            model["ssoAudience"] = sso.audience
            model["ssoPublicKey"] = sso.publicKey ?? ""
            model["ssoSecretSet"] = sso.secret?.isEmpty == false
        }
        model["ssoAlgorithms"] = (["off"] + SingleSignOnSettings.Algorithm.allCases.map(\.rawValue)).map { name in
            ["name": name, "selected": name == (settings.sso?.algorithm.rawValue ?? "off")] as [String: Any]
        }
        if let problem { model["problem"] = problem }
        return try site.formPage("admin-embedding", model, context: context, status: problem == nil ? .ok : .badRequest)
    }

    private func save(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let admin = try admin(context)
        var request = request
        let form = try await Form.read(&request)
        let lines = (form["origins"] ?? "").split(whereSeparator: { $0.isNewline || $0 == " " || $0 == "," })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var origins: [String] = []
        for line in lines {
            guard let origin = PageAddress.origin(line) else {
                return try await page(context, problem: "“\(line)” is not an origin: write it as https://news.example (scheme, host and port only).",
                                      values: EmbedSettings(origins: lines, keepQuery: []))
            }
            if !origins.contains(origin) { origins.append(origin) }
        }
        let keep = (form["keepQuery"] ?? "").split(whereSeparator: { $0 == " " || $0 == "," || $0.isNewline }).map(String.init)
        guard keep.allSatisfy({ $0.count <= 50 && $0.allSatisfy { $0.isLetter || $0.isNumber || "_-.".contains($0) } }) else {
            return try await page(context, problem: "Query parameter names are letters, digits, _, - and . only.",
                                  values: EmbedSettings(origins: origins, keepQuery: keep))
        }
        var sso: SingleSignOnSettings?
        if let algorithm = SingleSignOnSettings.Algorithm(rawValue: form["ssoAlgorithm"] ?? "") {
            let old = try await embed.settings().sso
            let issuer = (form["ssoIssuer"] ?? "").trimmingCharacters(in: .whitespaces)
            let audience = (form["ssoAudience"] ?? "").trimmingCharacters(in: .whitespaces)
            let secretText = form["ssoSecret"] ?? ""
            // A secret is never shown back: an empty field keeps the stored one.
            let secret = secretText.isEmpty ? old?.secret : secretText
            let key = (form["ssoPublicKey"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let problem: String? = switch algorithm {
            case _ where issuer.isEmpty || audience.isEmpty: "Single sign-on needs the issuer (iss) and audience (aud) the host's tokens carry."
            case .hs256 where (secret ?? "").count < 32: "An HS256 secret must be at least 32 characters."
            case .rs256 where (try? Insecure.RSA.PublicKey(pem: key)) == nil: "The RS256 public key is not a PEM RSA public key."
            case .es256 where (try? ES256PublicKey(pem: key)) == nil: "The ES256 public key is not a PEM P-256 public key."
            default: nil
            }
            if let problem { return try await page(context, problem: problem, values: EmbedSettings(origins: origins, keepQuery: keep)) }
            sso = SingleSignOnSettings(algorithm: algorithm, secret: algorithm == .hs256 ? secret : nil, publicKey: algorithm == .hs256 ? nil : key,
                                       issuer: issuer, audience: audience)
        }
        try await embed.save(EmbedSettings(origins: origins, keepQuery: keep, sso: sso), by: admin)
        return .seeOther(SiteURL.adminEmbedding.path + "?saved=1")
    }
}

extension HTTPField.Name {
    static let accessControlAllowOrigin = HTTPField.Name("Access-Control-Allow-Origin")!
}

extension EmbedService {
    /// The embed's routes (counts, the admin page).
    public func addRoutes(to router: Router<QuorumContext>) {
        EmbedRoutes(embed: self).addRoutes(to: router)
    }
}
