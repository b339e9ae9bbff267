import Hummingbird
import SQLKit

/// `/healthz` for load balancers and `/metrics` for Prometheus.
struct OperationsRoutes {
    let site: Site

    func addRoutes(to router: Router<QuorumContext>) {
        router.get("healthz") { _, context in
            try await health(context: context)
        }
        router.get("metrics") { _, _ in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 * 1024)
            Telemetry.registry.emit(into: &buffer)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer))
            )
        }
    }

    /// Healthy when the database answers a query.
    private func health(context: QuorumContext) async throws -> Response {
        let kind = site.database.kind.rawValue
        do {
            try await site.database.read { db in try await db.raw("SELECT 1").run() }
            return ErrorMiddleware.jsonBody(status: .ok, ["status": "ok", "database": kind])
        } catch {
            context.logger.error("health check failed", metadata: ["error": "\(String(reflecting: error))"])
            return ErrorMiddleware.jsonBody(status: .serviceUnavailable, ["status": "unavailable", "database": kind])
        }
    }
}

/// The theme's static files under `/assets/`, served from memory with long-lived caching when versioned.
struct AssetRoutes {
    let site: Site

    func addRoutes(to router: Router<QuorumContext>) {
        router.get("assets/:name") { request, context in
            let name = try context.parameters.require("name")
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
}
