import Hummingbird
import QuorumBus
import QuorumMail

import QuorumStore

/// The theme's static files under `/assets/`, served from memory with long-lived caching when versioned.
package struct AssetRoutes {
    let site: Site

    package init(site: Site) {
        self.site = site
    }

    package func addRoutes(to router: Router<QuorumContext>) {
        router.get(RouterPath(SiteURL.asset)) { request, context in
            try serve(try context.parameters.require("name"), request)
        }
        router.get(RouterPath(SiteURL.favicon)) { request, _ in try serve("favicon.ico", request) }
        // The embed's scripts at short fixed addresses, for host pages to include.
        router.get(RouterPath(SiteURL.embedScript)) { request, _ in try serve("embed.js", request) }
        router.get(RouterPath(SiteURL.countScript)) { request, _ in try serve("count.js", request) }
    }

    private func serve(_ name: String, _ request: Request) throws -> Response {
        guard let asset = site.theme.assets[name] else { throw RequestError.notFound("No such file.") }
        let etag = "\"\(asset.version)\""
        if request.headers[.ifNoneMatch] == etag {
            return Response(status: .notModified, headers: [.eTag: etag])
        }
        let versioned = request.uri.queryParameters["v"].map { String($0) == asset.version } ?? false
        return Response(
            status: .ok,
            headers: [
                .contentType: asset.contentType,
                .eTag: etag,
                .cacheControl: versioned ? "public, max-age=31536000, immutable" : "public, max-age=300",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes))
        )
    }
}
