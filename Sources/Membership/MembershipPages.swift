import Foundation
import Hummingbird
import MembershipEngine
import Payments
import QuorumStore
import QuorumWeb

/// The reader's side: the offer with its amount chooser, checkout, and the page readers come back to.
public struct MembershipPages: Sendable {
    public let site: Site
    public let service: MembershipService
    /// The site's plan, from its membership settings.
    public var plan: Plan { service.configuration.plan }

    public init(site: Site, service: MembershipService) {
        self.site = site
        self.service = service
    }

    /// The block between an article and its comments that sends readers to the offer (Publishing shows it;
    /// the membership page is this feature's, so the promotion is too).
    public static let promotion = ArticlePromotion(
        kicker: "Support independent journalism",
        heading: "Pay what you want, monthly or yearly",
        text: "Our journalism is free to read because members pay for it. Choose any amount; pause or cancel any time.",
        linkText: "Become a member",
        link: .membership
    )

    public func addRoutes(to router: Router<QuorumContext>) {
        router.get(RouterPath(SiteURL.membership)) { _, context in try offer(context: context) }
        router.post(RouterPath(SiteURL.membershipCheckout)) { request, context in try await checkout(request, context) }
        router.get(RouterPath(SiteURL.membershipWelcome)) { request, context in try await welcome(request, context) }
    }

    /// The view model of the offer: amounts in whole units, the chosen interval and amount, an error to show.
    func model(interval: Interval, amount: String?, error: String?) -> [String: Any] {
        let terms = plan.terms(interval)
        func units(_ m: Money) -> Int64 { m.minor / m.currency.minorPerUnit }
        var model: [String: Any] = [
            "symbol": plan.currency.symbol,
            "monthly": interval == .month, "yearly": interval == .year,
            "per": interval.perWord,
            "minimum": units(terms.minimum), "minimumText": terms.minimum.formatted(dropZeroCents: true),
            "maximum": units(plan.maximum),
            "amount": amount ?? String(units(terms.suggested)),
            "suggestions": terms.suggestions.map { ["value": units($0), "text": $0.formatted(dropZeroCents: true),
                                                    "chosen": String(units($0)) == (amount ?? String(units(terms.suggested)))] },
            "otherMinimum": plan.terms(interval == .month ? .year : .month).minimum.formatted(dropZeroCents: true),
            "otherPer": (interval == .month ? Interval.year : .month).perWord,
            "providers": !service.providers.isEmpty,
        ]
        // Mustache treats any value as present, a nil one included: the notice appears only with an error.
        if let error { model["error"] = error }
        return model
    }

    func offer(context: QuorumContext, interval: Interval = .month, amount: String? = nil, error: String? = nil,
               status: HTTPResponse.Status = .ok) throws -> Response {
        try site.formPage("membership", model(interval: interval, amount: amount, error: error), context: context, status: status)
    }

    /// Validates the chosen amount, opens a pending membership for the signed-in reader and sends them to the
    /// provider. A suggested-amount button (`choice`) wins over the typed amount.
    func checkout(_ request: Request, _ context: QuorumContext) async throws -> Response {
        var request = request
        let form = try await Form.read(&request)
        let interval = Interval(rawValue: form["interval"] ?? "month") ?? .month
        let typed = form["choice"].flatMap { $0.isEmpty ? nil : $0 } ?? form["amount"] ?? ""
        guard let user = context.user else { throw RedirectToSignIn(next: SiteURL.membership.path) }
        let amount: Money
        switch plan.validate(amount: typed, interval: interval) {
        case let .success(money): amount = money
        case let .failure(problem):
            return try offer(context: context, interval: interval, amount: typed, error: problem.description, status: .badRequest)
        }
        guard let provider = service.configuration.checkoutProvider else {
            return try offer(context: context, interval: interval, amount: typed,
                             error: "Payments are not set up on this site yet.", status: .serviceUnavailable)
        }
        let pledge = Pledge(amount: amount, interval: interval)
        let id = try await service.open(userID: user.id, provider: provider.name, pledge: pledge)
        let base = site.configuration.siteURL.hasSuffix("/") ? String(site.configuration.siteURL.dropLast()) : site.configuration.siteURL
        let start = try await provider.checkout(CheckoutRequest(
            membershipID: id, purpose: .membership(pledge), email: user.email, firstName: user.displayName,
            itemName: "\(site.configuration.siteName) membership", successURL: SiteURL.membershipWelcome(membership: "\(id)").absolute(base),
            cancelURL: SiteURL.membership.absolute(base), notifyURL: SiteURL.providerWebhook(provider.name).absolute(base), today: Date(),
            idempotencyKey: "checkout:\(id)"))
        switch start {
        case let .redirect(url, _):
            return Response.seeOther(url.absoluteString)
        case let .formPost(action, fields):
            return try site.formPage("membership-redirect", [
                "action": action.absoluteString, "fields": fields.map { ["name": $0.name, "value": $0.value] },
            ], context: context)
        }
    }

    /// Where the provider sends the reader back: says the payment is being confirmed and refreshes until the
    /// provider's notification has landed.
    func welcome(_ request: Request, _ context: QuorumContext) async throws -> Response {
        guard let user = context.user else { throw RedirectToSignIn(next: SiteURL.membership.path) }
        let id = request.uri.queryParameters["m"].map(String.init) ?? ""
        guard let m = try await service.membership(id), try await service.owner(of: id) == user.id else {
            throw RequestError.notFound()
        }
        let report = service.engine.status(of: m, at: Date())
        return try site.formPage("membership-welcome", [
            "pending": report.status == .pending, "member": report.hasAccess, "summary": report.summary,
            "amount": m.pledge.value.amount.formatted(dropZeroCents: true), "per": m.pledge.value.interval.perWord,
        ], context: context)
    }
}
