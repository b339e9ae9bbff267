import Accounts
import Comments
import Hummingbird
import Publishing
import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb

import SQLKit

/// `/healthz` for load balancers, `/metrics` for Prometheus, and the API description made of every feature's part.
struct OperationsRoutes {
    let site: Site
    let apiParts: @Sendable () -> [OpenAPIPart]
    /// Whether readership counts readers yet: for a moment after start, until its salt is loaded, it counts views
    /// only. Reported per instance (the metrics registry is the process's, shared by every application in it).
    let readershipCounting: @Sendable () -> Bool

    func addRoutes(to router: Router<QuorumContext>) {
        router.get(RouterPath(SiteURL.health)) { _, context in
            try await health(context: context)
        }
        router.get(RouterPath(SiteURL.openAPI)) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "public, max-age=300"],
                     body: .init(byteBuffer: ByteBuffer(bytes: OpenAPI.document(serverURL: site.configuration.siteBase, parts: apiParts()))))
        }
        router.get(RouterPath(SiteURL.metrics)) { _, _ in
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

    /// Healthy when the database answers a query; `readership` says whether this instance counts readers yet
    /// (`counting`) or views only (`starting`, the moments before its salt is loaded).
    private func health(context: QuorumContext) async throws -> Response {
        let kind = site.database.kind.rawValue
        do {
            try await site.database.read { db in try await db.raw("SELECT 1").run() }
            return try JSONResponse.make(["status": "ok", "database": kind, "readership": readershipCounting() ? "counting" : "starting"], status: .ok)
        } catch {
            context.logger.error("health check failed", metadata: ["error": "\(String(reflecting: error))"])
            return try JSONResponse.make(["status": "unavailable", "database": kind], status: .serviceUnavailable)
        }
    }
}

