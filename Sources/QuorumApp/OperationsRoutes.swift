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

    func addRoutes(to router: Router<QuorumContext>) {
        router.get("healthz") { _, context in
            try await health(context: context)
        }
        router.get("api/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "public, max-age=300"],
                     body: .init(byteBuffer: ByteBuffer(bytes: OpenAPI.document(serverURL: site.configuration.siteBase, parts: apiParts()))))
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
            return try JSONResponse.make(["status": "ok", "database": kind], status: .ok)
        } catch {
            context.logger.error("health check failed", metadata: ["error": "\(String(reflecting: error))"])
            return try JSONResponse.make(["status": "unavailable", "database": kind], status: .serviceUnavailable)
        }
    }
}

