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
    /// The masthead's sections (Publishing's), so membership pages carry the same navigation as the rest.
    public var navigation: (any SiteNavigation)?
    /// Signing in with the emailed code on the offer itself (Accounts'); without it readers go to `/signin`.
    public var signIn: (any EmailCodeSignIn)?

    public init(site: Site, service: MembershipService, navigation: (any SiteNavigation)? = nil,
                signIn: (any EmailCodeSignIn)? = nil) {
        self.site = site
        self.service = service
        self.navigation = navigation
        self.signIn = signIn
    }

    /// A membership page: the model plus the masthead's navigation, private and uncached (`formPage`).
    func page(_ template: String, _ model: [String: Any], context: QuorumContext, status: HTTPResponse.Status = .ok) async throws -> Response {
        var model = model
        model["nav"] = (try? await navigation?.links()) ?? []
        model["membershipScript"] = SiteURL.asset("membership.js", version: site.theme.assets["membership.js"]?.version).path
        return try site.formPage(template, model, context: context, status: status)
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
        router.get(RouterPath(SiteURL.membership)) { request, context in
            let query = request.uri.queryParameters
            return try await offer(context: context, interval: query["interval"].flatMap { Interval(rawValue: String($0)) } ?? .month,
                                   amount: query["amount"].map(String.init).flatMap { $0.isEmpty ? nil : String($0.prefix(20)) })
        }
        router.post(RouterPath(SiteURL.membershipCheckout)) { request, context in try await checkout(request, context) }
        router.get(RouterPath(SiteURL.membershipWelcome)) { request, context in try await welcome(request, context) }
        router.post(RouterPath(SiteURL.membershipSignIn)) { request, context in try await requestCode(request, context) }
        router.post(RouterPath(SiteURL.membershipSignInCode)) { request, context in try await redeemCode(request, context) }
        addMemberRoutes(to: router)
    }

    /// The view model of the offer: amounts in whole units, the chosen interval and amount, an error to show.
    func model(interval: Interval, amount: String?, error: String?) -> [String: Any] {
        let terms = plan.terms(interval)
        let wording = service.configuration.policy.wording
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
            "giveURL": SiteURL.membershipGive.path,
            // The publisher's words (escaped by the template like every value), or the defaults.
            "heading": wording.shownHeading, "pitch": wording.pitchParagraphs, "buttonText": wording.shownButtonText,
        ]
        // Mustache treats any value as present, a nil one included: the notice appears only with an error.
        if let error { model["error"] = error }
        return model
    }

    /// A sign-in under way on the offer: the request the emailed code belongs to, or what went wrong.
    struct PendingSignIn {
        var request: String?
        var email: String
        var error: String?
    }

    func offer(context: QuorumContext, interval: Interval = .month, amount: String? = nil, error: String? = nil,
               pending: PendingSignIn? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        var model = model(interval: interval, amount: amount, error: error)
        if context.user == nil {
            // Signed-out readers sign in first (every payment belongs to an account): on this page with the emailed
            // code when Accounts offers it, else through /signin; either way the amount they chose comes back.
            let chosen = SiteURL.membershipChoice(interval: interval.rawValue, amount: amount ?? model["amount"] as? String).path
            var box: [String: Any] = signIn == nil
                ? ["action": SiteURL.signIn().path, "next": chosen]
                : ["action": SiteURL.membershipSignIn.path, "codeAction": SiteURL.membershipSignInCode.path, "next": chosen]
            if let pending {
                box["email"] = pending.email
                if let request = pending.request { box["request"] = request }
                if let problem = pending.error { box["signInError"] = problem }
            }
            model["signIn"] = box
        }
        return try await page("membership", model, context: context, status: status)
    }

    /// `POST /membership/signin`: emails the code and shows the code box on the offer.
    func requestCode(_ request: Request, _ context: QuorumContext) async throws -> Response {
        var request = request
        let form = try await Form.read(&request)
        let next = SiteURL.safeRedirect(form["next"] ?? SiteURL.membership.path)
        let (interval, amount) = Self.choice(in: next)
        let email = String((form["email"] ?? "").prefix(254))
        guard let signIn, context.user == nil else { return .seeOther(next) }
        do {
            let id = try await signIn.sendCode(email: email, ip: context.remoteIP, next: next)
            return try await offer(context: context, interval: interval, amount: amount, pending: PendingSignIn(request: id, email: email))
        } catch let error as any AppError {
            return try await offer(context: context, interval: interval, amount: amount,
                                   pending: PendingSignIn(email: email, error: error.message), status: error.status)
        }
    }

    /// `POST /membership/signin/code`: signs in and comes back to the amount chosen.
    func redeemCode(_ request: Request, _ context: QuorumContext) async throws -> Response {
        var request = request
        let form = try await Form.read(&request)
        let next = SiteURL.safeRedirect(form["next"] ?? SiteURL.membership.path)
        let (interval, amount) = Self.choice(in: next)
        let id = String((form["request"] ?? "").prefix(100))
        guard let signIn else { return .seeOther(next) }
        do {
            let (cookie, destination) = try await signIn.redeem(requestID: id, code: form["code"] ?? "", userAgent: request.headers[.userAgent] ?? "")
            var response = Response.seeOther(destination)
            response.setCookie(cookie)
            return response
        } catch let error as any AppError {
            return try await offer(context: context, interval: interval, amount: amount,
                                   pending: PendingSignIn(request: id, email: String((form["email"] ?? "").prefix(254)), error: error.message),
                                   status: error.status)
        }
    }

    /// The interval and amount a `/membership?interval=…&amount=…` address carries.
    static func choice(in path: String) -> (Interval, String?) {
        let items = URLComponents(string: path)?.queryItems ?? []
        let interval = items.first { $0.name == "interval" }?.value.flatMap(Interval.init(rawValue:)) ?? .month
        let amount = items.first { $0.name == "amount" }?.value.map { String($0.prefix(20)) }
        return (interval, amount)
    }

    /// Validates the chosen amount, opens a pending membership for the signed-in reader and sends them to the
    /// provider. A suggested-amount button (`choice`) wins over the typed amount.
    func checkout(_ request: Request, _ context: QuorumContext) async throws -> Response {
        var request = request
        let form = try await Form.read(&request)
        let interval = Interval(rawValue: form["interval"] ?? "month") ?? .month
        let typed = form["choice"].flatMap { $0.isEmpty ? nil : $0 } ?? form["amount"] ?? ""
        guard let user = context.user else {
            throw RedirectToSignIn(next: SiteURL.membershipChoice(interval: interval.rawValue, amount: String(typed.prefix(20))).path)
        }
        let amount: Money
        switch plan.validate(amount: typed, interval: interval) {
        case let .success(money): amount = money
        case let .failure(problem):
            return try await offer(context: context, interval: interval, amount: typed, error: problem.description, status: .badRequest)
        }
        guard let provider = chosenProvider else {
            return try await offer(context: context, interval: interval, amount: typed,
                                   error: "Payments are not set up on this site yet.", status: .serviceUnavailable)
        }
        let pledge = Pledge(amount: amount, interval: interval)
        let id = try await service.open(userID: user.id, provider: provider.name, pledge: pledge)
        do {
            let start = try await provider.checkout(CheckoutRequest(
                membershipID: id, purpose: .membership(pledge), email: user.email, firstName: user.displayName,
                itemName: service.configuration.policy.wording.shownItemName(siteName: site.configuration.siteName), successURL: SiteURL.membershipWelcome(membership: "\(id)").absolute(base),
                cancelURL: SiteURL.membership.absolute(base), notifyURL: SiteURL.providerWebhook(provider.name).absolute(base),
                today: service.now(), idempotencyKey: "checkout:\(id)"))
            return try await continueTo(start, context: context)
        } catch let error as PaymentError {
            site.logger.warning("membership checkout refused", metadata: ["provider": "\(provider.name)", "reason": "\(error)"])
            return try await offer(context: context, interval: interval, amount: typed,
                                   error: "The payment provider could not be reached. Nothing was charged; please try again.",
                                   status: .serviceUnavailable)
        }
    }

    /// The provider a new checkout goes through.
    /// The provider new checkouts use: the one chosen in the membership settings.
    var chosenProvider: (any PaymentProvider)? { service.configuration.checkoutProvider }

    /// The site's address without a trailing slash, for the absolute URLs providers send readers back to.
    var base: String {
        site.configuration.siteURL.hasSuffix("/") ? String(site.configuration.siteURL.dropLast()) : site.configuration.siteURL
    }

    /// Sends the reader on to the provider: a redirect (Stripe), or a form the browser posts (PayFast).
    func continueTo(_ start: CheckoutStart, context: QuorumContext) async throws -> Response {
        switch start {
        case let .redirect(url, _):
            return Response.seeOther(url.absoluteString)
        case let .formPost(action, fields):
            return try await page("membership-redirect", [
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
        let report = service.engine.status(of: m, at: service.now())
        var response = try await page("membership-welcome", [
            "pending": report.status == .pending, "member": report.hasAccess, "summary": report.summary,
            "amount": m.pledge.value.amount.formatted(dropZeroCents: true), "per": m.pledge.value.interval.perWord,
        ], context: context)
        // The provider's webhook cannot reach the reader's browser: from the moment the membership gives access, the
        // reader-class cookie says "member", so cached pages (served without the application) drop the pitch at once.
        if report.hasAccess { response.setCookie(SiteCookies.readerClass(.member, secure: site.secureCookies)) }
        return response
    }
}
