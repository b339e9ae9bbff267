import Foundation
import Hummingbird
import QuorumBus
import QuorumMail

import QuorumStore

/// Renders theme templates into HTML responses, adding what every page shares (site name, asset versions).
public struct PageRenderer: Sendable {
    public let theme: Theme
    public let configuration: QuorumConfiguration

    public init(theme: Theme, configuration: QuorumConfiguration) {
        self.theme = theme
        self.configuration = configuration
    }

    /// What every template can read under `site`.
    public var siteModel: [String: Any] {
        [
            "name": configuration.siteName,
            "url": configuration.siteBase,
            "language": "en",
            "cssVersion": theme.assets["site.css"]?.version ?? "0",
        ]
    }

    /// Renders `template` with `model` plus `site`, as a `text/html` body.
    public func html(_ template: String, _ model: [String: Any], status: HTTPResponse.Status = .ok) throws -> Response {
        var context = model
        context["site"] = siteModel
        let text = try theme.render(template, context)
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// The themed error page; falls back to plain text if the theme itself is broken.
    public func errorPage(status: HTTPResponse.Status, message: String) -> Response {
        let heading = status.code == 404 ? "Page not found" : (status.code >= 500 ? "Something went wrong" : status.reasonPhrase)
        if var response = try? html("error", ["status": status.code, "heading": heading, "message": message], status: status) {
            response.headers[.cacheControl] = "no-store"
            return response
        }
        return Response(
            status: status,
            headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: "\(status.code) \(heading)\n\(message)\n"))
        )
    }
}
