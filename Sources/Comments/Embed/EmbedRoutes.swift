import Foundation
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
        try await embed.save(EmbedSettings(origins: origins, keepQuery: keep), by: admin)
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
