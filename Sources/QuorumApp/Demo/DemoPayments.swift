import Foundation
import Hummingbird
import MembershipEngine
import Payments
import QuorumStore
import QuorumWeb
import Synchronization

/// `quorum demo`'s built-in test payment provider, so that the membership flow can be clicked through offline.
///
/// Membership talks to it as to Stripe: a real `StripeClient` whose HTTP transport answers Stripe's API
/// (checkout sessions, customer portal sessions, subscriptions) in this process. Its checkout and card pages are
/// served by the site itself (`/demo-payments/…`); what the reader does there is sent back to the site as
/// Stripe webhooks, in Stripe's format and signed with the demo's webhook secret, over loopback HTTP to
/// `/webhooks/stripe`, where they are verified like any other. Nothing leaves the machine.
public final class DemoPayments: Sendable {
    public static let secretKey = "sk_test_quorum_demo"
    public static let webhookSecret = "whsec_quorum_demo_local"

    /// The site's address, for the pages a browser is sent to.
    let siteBase: String
    /// Where the webhooks go: the server's own listening address.
    let webhookURL: String
    let sender: any HTTPTransport
    let state = Mutex(State())

    struct Session: Sendable {
        var fields: [String: String]
        var mode: String { fields["mode"] ?? "subscription" }
        var membershipID: String { fields["client_reference_id"] ?? fields["metadata[membership_id]"] ?? "" }
        var amount: Int64 { Int64(fields["line_items[0][price_data][unit_amount]"] ?? "") ?? 0 }
        var currency: String { fields["line_items[0][price_data][currency]"] ?? "zar" }
        var interval: String { fields["line_items[0][price_data][recurring][interval]"] ?? "month" }
        var paid = false
    }

    struct Subscription: Sendable {
        var id: String
        var customer: String
        var membershipID: String
        var amount: Int64
        var currency: String
        var interval: String
        var periodStart: Date
        var periodEnd: Date
        var cancelAtPeriodEnd = false
        var resumesAt: Date?
    }

    struct State: Sendable {
        var sessions: [String: Session] = [:]
        var subscriptions: [String: Subscription] = [:]
        /// Customer → subscription, and where the portal returns to.
        var byCustomer: [String: String] = [:]
        var portalReturn: [String: String] = [:]
        /// Idempotency-Key → the answer given (a retried call gets the same one, as at Stripe).
        var answers: [String: IncomingResponse] = [:]
        /// The last event time given: Stripe's times are whole seconds, and a renewal failed and fixed within one
        /// second must still be told apart, so each event is at least a second after the previous one.
        var clock: Int64 = 0
    }

    public convenience init(configuration: QuorumConfiguration) {
        let host = ["0.0.0.0", "::", ""].contains(configuration.host) ? "127.0.0.1"
            : (configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host)
        self.init(siteBase: configuration.siteBase,
                  webhookURL: "http://\(host):\(configuration.port)" + SiteURL.providerWebhook("stripe").path)
    }

    init(siteBase: String, webhookURL: String, sender: any HTTPTransport = AsyncHTTPTransport()) {
        self.siteBase = siteBase
        self.webhookURL = webhookURL
        self.sender = sender
    }

    /// The provider membership uses: Stripe's client, speaking to this stand-in.
    public var providers: [any PaymentProvider] {
        [StripeClient(configuration: StripeConfiguration(apiBase: siteBase + SiteURL.demoPayments.path, secretKey: Self.secretKey,
                                                         webhookSecrets: [Self.webhookSecret]),
                      transport: API(demo: self))]
    }

    /// The checkout and card pages.
    public func addRoutes(to router: Router<QuorumContext>) {
        router.get(RouterPath(SiteURL.demoCheckoutPage(.placeholder))) { _, context in
            let id = try context.parameters.require("session")
            guard let session = self.state.withLock({ $0.sessions[id] }) else { throw RequestError.notFound("No such test checkout.") }
            return self.page(context, title: "Test checkout", action: SiteURL.demoCheckoutPage(id).path, intro: Self.describe(session), buttons: [
                ("pay", "Pay with the test card 4242 4242 4242 4242"), ("cancel", "Cancel and go back"),
            ])
        }
        router.post(RouterPath(SiteURL.demoCheckoutPage(.placeholder))) { request, context in
            let id = try context.parameters.require("session")
            var request = request
            let outcome = try await Form.read(&request)["outcome"] ?? ""
            return try await self.checkout(id, outcome: outcome)
        }
        router.get(RouterPath(SiteURL.demoPortalPage(.placeholder))) { _, context in
            let customer = try context.parameters.require("customer")
            guard let sub = self.subscription(customer: customer) else { throw RequestError.notFound("No such test customer.") }
            let amount = Money(minor: sub.amount, currency: Currency(code: sub.currency)).formatted(dropZeroCents: true)
            return self.page(context, title: "Test billing portal", action: SiteURL.demoPortalPage(customer).path,
                        intro: "Membership of \(amount) a \(sub.interval), paid to \(CivilDate.dayString(sub.periodEnd)).", buttons: [
                ("fix", "Update the card and pay the next renewal now"),
                ("fail", "Make the next renewal fail (to see on hold)"),
            ])
        }
        router.post(RouterPath(SiteURL.demoPortalPage(.placeholder))) { request, context in
            let customer = try context.parameters.require("customer")
            var request = request
            let outcome = try await Form.read(&request)["outcome"] ?? ""
            return try await self.portal(customer, outcome: outcome)
        }
    }

    static func describe(_ s: Session) -> String {
        let amount = Money(minor: s.amount, currency: Currency(code: s.currency)).formatted(dropZeroCents: true)
        return s.mode == "payment" ? "A one-off contribution of \(amount)." : "A membership of \(amount) a \(s.interval)."
    }

    /// The provider's page: plain, escaped, no script; its form carries the site's CSRF token like every form.
    func page(_ context: QuorumContext, title: String, action: String, intro: String, buttons: [(String, String)]) -> Response {
        let e = { (s: String) in Escaping.html(s) }
        let fresh = context.identity?.csrfToken == nil && (context.anonymousCSRF ?? "").isEmpty
        let token = context.identity?.csrfToken ?? (fresh ? Secrets.token() : context.anonymousCSRF ?? "")
        let forms = buttons.map { value, label in
            """
            <form method="post" action="\(e(action))" class="stack"><input type="hidden" name="csrf" value="\(e(token))">\
            <input type="hidden" name="outcome" value="\(e(value))"><button type="submit">\(e(label))</button></form>
            """
        }.joined(separator: "\n")
        let html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(e(title)) · Quorum demo payments</title><link rel="stylesheet" href="\(e(SiteURL.asset("site.css").path))"></head>
        <body><main class="wrap"><section class="panel narrow" aria-labelledby="h">
        <p class="kicker">Quorum demo · test payment provider</p>
        <h1 id="h">\(e(title))</h1>
        <p>\(e(intro))</p>
        <p class="muted">No money moves: this page stands in for Stripe. What you choose is sent to the site as a signed
        Stripe webhook.</p>
        \(forms)
        </section></main></body></html>
        """
        var response = Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "private, no-store"],
                                body: .init(byteBuffer: ByteBuffer(string: html)))
        if fresh { response.setCookie(SiteCookies.anonymousCSRF(token, secure: siteBase.hasPrefix("https://"))) }
        return response
    }

    // MARK: what the reader does on the test pages

    func checkout(_ id: String, outcome: String) async throws -> Response {
        guard let session = state.withLock({ $0.sessions[id] }) else { throw RequestError.notFound("No such test checkout.") }
        guard outcome == "pay" else { return .seeOther(session.fields["cancel_url"] ?? siteBase) }
        let already = state.withLock { s -> Bool in
            defer { s.sessions[id]?.paid = true }
            return s.sessions[id]?.paid == true
        }
        if !already {
            let now = Date()
            let customer = "cus_demo_" + Secrets.token(bytes: 6)
            let membership = ["membership_id": session.membershipID]
            if session.mode == "payment" {
                try await send("checkout.session.completed", [
                    "id": id, "object": "checkout.session", "mode": "payment", "payment_status": "paid",
                    "client_reference_id": session.membershipID, "metadata": membership, "customer": customer,
                    "amount_total": session.amount, "currency": session.currency,
                ])
            } else {
                let months = session.interval == "year" ? 12 : 1
                let sub = Subscription(id: "sub_demo_" + Secrets.token(bytes: 6), customer: customer, membershipID: session.membershipID,
                                       amount: session.amount, currency: session.currency, interval: session.interval,
                                       periodStart: now, periodEnd: CivilDate.adding(months: months, to: now))
                state.withLock { s in
                    s.subscriptions[sub.id] = sub
                    s.byCustomer[customer] = sub.id
                }
                try await send("checkout.session.completed", [
                    "id": id, "object": "checkout.session", "mode": "subscription", "payment_status": "paid",
                    "client_reference_id": session.membershipID, "metadata": membership, "customer": customer, "subscription": sub.id,
                ])
                try await send("customer.subscription.created", Self.json(sub))
                try await send("invoice.paid", Self.invoice(sub, start: sub.periodStart, end: sub.periodEnd, paid: true))
            }
        }
        return .seeOther(session.fields["success_url"] ?? siteBase)
    }

    func portal(_ customer: String, outcome: String) async throws -> Response {
        guard var sub = subscription(customer: customer) else { throw RequestError.notFound("No such test customer.") }
        let back = state.withLock { $0.portalReturn[customer] } ?? siteBase + SiteURL.account.path
        let months = sub.interval == "year" ? 12 : 1
        let nextEnd = CivilDate.adding(months: months, to: sub.periodEnd)
        switch outcome {
        case "fail":
            try await send("invoice.payment_failed", Self.invoice(sub, start: sub.periodEnd, end: nextEnd, paid: false))
        case "fix":
            try await send("invoice.paid", Self.invoice(sub, start: sub.periodEnd, end: nextEnd, paid: true))
            sub.periodStart = sub.periodEnd
            sub.periodEnd = nextEnd
            state.withLock { [sub] in $0.subscriptions[sub.id] = sub }
        default:
            break
        }
        return .seeOther(back)
    }

    func subscription(customer: String) -> Subscription? {
        state.withLock { s in s.byCustomer[customer].flatMap { s.subscriptions[$0] } }
    }

    // MARK: Stripe's objects and webhooks

    static func json(_ sub: Subscription) -> [String: Any] {
        var object: [String: Any] = [
            "id": sub.id, "object": "subscription", "customer": sub.customer, "status": "active",
            "cancel_at_period_end": sub.cancelAtPeriodEnd, "metadata": ["membership_id": sub.membershipID],
            "items": ["object": "list", "data": [[
                "id": "si_" + sub.id.suffix(8), "current_period_start": Int64(sub.periodStart.timeIntervalSince1970),
                "current_period_end": Int64(sub.periodEnd.timeIntervalSince1970),
                "price": ["id": "price_demo", "product": "prod_demo_membership", "currency": sub.currency, "unit_amount": sub.amount,
                          "recurring": ["interval": sub.interval]],
            ]]],
        ]
        object["pause_collection"] = sub.resumesAt.map { ["behavior": "void", "resumes_at": Int64($0.timeIntervalSince1970)] as [String: Any] } ?? NSNull()
        return object
    }

    static func invoice(_ sub: Subscription, start: Date, end: Date, paid: Bool) -> [String: Any] {
        var object: [String: Any] = [
            "id": "in_demo_" + Secrets.token(bytes: 6), "object": "invoice", "customer": sub.customer, "currency": sub.currency,
            "amount_due": sub.amount, "amount_paid": paid ? sub.amount : 0, "status": paid ? "paid" : "open",
            "parent": ["type": "subscription_details", "subscription_details": ["subscription": sub.id, "metadata": ["membership_id": sub.membershipID]]],
            "lines": ["object": "list", "data": [["period": ["start": Int64(start.timeIntervalSince1970), "end": Int64(end.timeIntervalSince1970)]]]],
        ]
        return object
    }

    /// Sends one event to the site as Stripe does: JSON, `Stripe-Signature: t=…,v1=…` over "t.body".
    func send(_ type: String, _ object: [String: Any]) async throws {
        let now = state.withLock { s in
            s.clock = max(Int64(Date().timeIntervalSince1970), s.clock + 1)
            return s.clock
        }
        var object = object
        if type == "invoice.paid" { object["status_transitions"] = ["paid_at": now] }
        let event: [String: Any] = [
            "id": "evt_demo_" + Secrets.token(bytes: 9), "object": "event", "api_version": "2025-03-31.basil", "created": now,
            "type": type, "livemode": false, "pending_webhooks": 1, "data": ["object": object],
        ]
        let body = Array(try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]))
        let header = StripeSignature.header(body: body, timestamp: now, secret: Self.webhookSecret)
        _ = try await sender.send(OutgoingRequest(method: "POST", url: webhookURL, headers: [
            ("Content-Type", "application/json; charset=utf-8"), ("Stripe-Signature", header), ("User-Agent", "Quorum demo payments"),
        ], body: body))
    }

    // MARK: Stripe's API, in process

    /// Answers the calls `StripeClient` makes, as Stripe would: Bearer key checked, the same answer for a repeated
    /// Idempotency-Key.
    struct API: HTTPTransport {
        let demo: DemoPayments

        func send(_ request: OutgoingRequest) async throws -> IncomingResponse {
            func header(_ name: String) -> String? { request.headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
            guard header("Authorization") == "Bearer \(DemoPayments.secretKey)" else {
                return Self.answer(401, ["error": ["type": "invalid_request_error", "message": "Invalid API Key provided"]])
            }
            let key = header("Idempotency-Key")
            if request.method == "POST", let key, let previous = demo.state.withLock({ $0.answers[key] }) { return previous }
            let answer = route(request)
            if request.method == "POST", let key { demo.state.withLock { $0.answers[key] = answer } }
            return answer
        }

        func route(_ request: OutgoingRequest) -> IncomingResponse {
            let base = demo.siteBase + SiteURL.demoPayments.path
            let path = request.url.hasPrefix(base) ? String(request.url.dropFirst(base.count)) : request.url
            var form: [String: String] = [:]
            for field in FormEncoding.decode(request.body) ?? [] { form[field.name] = field.value }
            switch (request.method, path) {
            case ("POST", "/v1/checkout/sessions"):
                let id = "cs_demo_" + Secrets.token(bytes: 9)
                demo.state.withLock { $0.sessions[id] = Session(fields: form) }
                return Self.answer(200, ["id": id, "object": "checkout.session", "url": demo.siteBase + SiteURL.demoCheckoutPage(id).path])
            case ("POST", "/v1/billing_portal/sessions"):
                guard let customer = form["customer"], demo.subscription(customer: customer) != nil else {
                    return Self.answer(400, ["error": ["type": "invalid_request_error", "message": "No such customer"]])
                }
                demo.state.withLock { $0.portalReturn[customer] = form["return_url"] }
                return Self.answer(200, ["id": "bps_demo_" + Secrets.token(bytes: 6), "object": "billing_portal.session",
                                         "url": demo.siteBase + SiteURL.demoPortalPage(customer).path])
            case (let method, _) where path.hasPrefix("/v1/subscriptions/"):
                let id = String(path.dropFirst("/v1/subscriptions/".count)).removingPercentEncoding ?? ""
                guard var sub = demo.state.withLock({ $0.subscriptions[id] }) else {
                    return Self.answer(404, ["error": ["type": "invalid_request_error", "message": "No such subscription"]])
                }
                if method == "POST" {
                    if let amount = form["items[0][price_data][unit_amount]"].flatMap({ Int64($0) }) { sub.amount = amount }
                    if let interval = form["items[0][price_data][recurring][interval]"] { sub.interval = interval }
                    if let cancel = form["cancel_at_period_end"] { sub.cancelAtPeriodEnd = cancel == "true" }
                    if let resumes = form["pause_collection[resumes_at]"].flatMap({ TimeInterval($0) }) {
                        sub.resumesAt = Date(timeIntervalSince1970: resumes)
                    } else if form["pause_collection"] == "" {
                        sub.resumesAt = nil
                    }
                    demo.state.withLock { [sub] in $0.subscriptions[id] = sub }
                    // Stripe confirms a change with a webhook of its own, after answering.
                    let demo = demo
                    Task { [sub] in try? await demo.send("customer.subscription.updated", DemoPayments.json(sub)) }
                }
                return Self.answer(200, DemoPayments.json(sub))
            default:
                return Self.answer(404, ["error": ["type": "invalid_request_error", "message": "Unrecognized request URL"]])
            }
        }

        static func answer(_ status: Int, _ object: [String: Any]) -> IncomingResponse {
            IncomingResponse(status: status, body: Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data()))
        }
    }
}

