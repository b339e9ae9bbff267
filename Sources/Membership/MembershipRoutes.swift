import Hummingbird
import MembershipEngine
import NIOCore
import Payments
import QuorumWeb

extension MembershipService {
    /// The largest webhook body read; Stripe's events are a few KB, PayFast's ITNs under one.
    public static let webhookLimit = 64 * 1024

    /// `POST /webhooks/stripe` (JSON) and `POST /webhooks/payfast` (form): authenticated by the provider's
    /// signature, not by a session, so the CSRF check does not apply under `/webhooks/`.
    public func addRoutes(to router: Router<QuorumContext>) {
        let contentTypes = ["stripe": "application/json", "payfast": "application/x-www-form-urlencoded"]
        router.post(RouterPath(SiteURL.providerWebhook)) { request, context -> Response in
            let name = try context.parameters.require("provider")
            guard providers[name] != nil, let expected = contentTypes[name] ?? Optional("application/json") else {
                throw MembershipError.unknownProvider(name)
            }
            let type = request.headers[.contentType]?.lowercased() ?? ""
            guard type.hasPrefix(expected) else { throw MembershipError.wrongContentType(expected: expected) }
            if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.webhookLimit {
                throw MembershipError.tooLarge(limit: Self.webhookLimit)
            }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: Self.webhookLimit)
            } catch is NIOTooManyBytesError {
                throw MembershipError.tooLarge(limit: Self.webhookLimit)
            }
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let receipts = try await receive(provider: name, delivery: WebhookDelivery(
                headers: headers, body: Array(body.readableBytesView), remoteAddress: context.remoteIP))
            let summary = receipts.map(Self.describe).joined(separator: ", ")
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: summary.isEmpty ? "ok" : summary)))
        }
    }

    static func describe(_ r: Book.Receipt) -> String {
        switch r {
        case .applied: "applied"
        case .noChange: "no change"
        case .rejected: "rejected"
        case .duplicate: "duplicate"
        case .parked: "parked"
        case .ignored: "ignored"
        }
    }
}
