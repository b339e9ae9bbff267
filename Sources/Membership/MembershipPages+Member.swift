import Foundation
import Hummingbird
import MembershipEngine
import Payments
import QuorumStore
import QuorumWeb

/// The member's side: pause, resume, change the amount, cancel (forms on the account page), fixing a failed
/// payment, and one-off contributions with the page readers come back to.
extension MembershipPages {
    func addMemberRoutes(to router: Router<QuorumContext>) {
        router.post(RouterPath(SiteURL.membershipPause)) { request, context in
            try await memberRequest(request, context) { form in
                guard let months = Int(form["months"] ?? ""), months >= 1, months <= MembershipService.longestPauseMonths else {
                    throw MemberRequestError.invalid("Choose a pause of 1 to \(MembershipService.longestPauseMonths) months.")
                }
                return .pause(months: months)
            }
        }
        router.post(RouterPath(SiteURL.membershipResume)) { request, context in
            try await memberRequest(request, context) { _ in .resume }
        }
        router.post(RouterPath(SiteURL.membershipAmount)) { request, context in
            try await memberRequest(request, context) { form in
                let interval = Interval(rawValue: form["interval"] ?? "") ?? .month
                switch plan.validate(amount: form["amount"] ?? "", interval: interval) {
                case let .success(money): return .changeAmount(Pledge(amount: money, interval: interval))
                case let .failure(problem): throw MemberRequestError.invalid(problem.description)
                }
            }
        }
        router.post(RouterPath(SiteURL.membershipCancel)) { request, context in
            try await memberRequest(request, context) { _ in .cancel }
        }
        router.post(RouterPath(SiteURL.membershipKeep)) { request, context in try await keep(request, context) }
        router.get(RouterPath(SiteURL.membershipFix)) { request, context in try await fix(request, context) }
        router.get(RouterPath(SiteURL.membershipGive)) { request, context in
            try await givePage(context: context, amount: request.uri.queryParameters["amount"].map { String($0.prefix(20)) })
        }
        router.post(RouterPath(SiteURL.membershipGive)) { request, context in try await give(request, context) }
        router.get(RouterPath(SiteURL.membershipGiven)) { request, context in try await given(request, context) }
    }

    /// Reads the form (membership id `m`, one-time `nonce`), turns it into a request and has the service carry it
    /// out; back to the account page's membership section.
    func memberRequest(_ request: Request, _ context: QuorumContext,
                       _ make: @Sendable ([String: String]) throws -> MemberRequest) async throws -> Response {
        guard let user = context.user else { throw RedirectToSignIn(next: SiteURL.account.path) }
        var request = request
        let form = try await Form.read(&request)
        var fields: [String: String] = [:]
        for name in ["m", "nonce", "months", "amount", "interval"] { fields[name] = form[name] }
        let memberRequest = try make(fields)
        let nonce = (fields["nonce"] ?? "").isEmpty ? Secrets.token(bytes: 8) : String(fields["nonce"]!.prefix(64))
        try await service.request(memberRequest, membershipID: fields["m"] ?? "", userID: user.id, token: nonce)
        return .seeOther(SiteURL.account.path + "#membership")
    }

    /// Undoes a cancellation before the paid period ends. Stripe: the same subscription renews again
    /// (`cancel_at_period_end=false`), recorded in the ledger. PayFast, whose cancelled token cannot be revived: a new
    /// membership through a new checkout whose paid time starts where the cancelled one's ends (the form's nonce
    /// names it, so submitting twice opens it once).
    func keep(_ request: Request, _ context: QuorumContext) async throws -> Response {
        guard let user = context.user else { throw RedirectToSignIn(next: SiteURL.account.path) }
        var request = request
        let form = try await Form.read(&request)
        let id = String((form["m"] ?? "").prefix(100))
        let nonce = (form["nonce"] ?? "").isEmpty ? Secrets.token(bytes: 8) : String(form["nonce"]!.prefix(64))
        let (m, withdrawal) = try await service.withdrawal(membershipID: id, userID: user.id)
        switch withdrawal {
        case .keepSubscription:
            try await service.request(.withdrawCancellation, membershipID: id, userID: user.id, token: nonce)
            return .seeOther(SiteURL.account.path + "#membership")
        case let .newSubscription(from, pledge):
            guard let provider = service.providers[m.provider] else { throw MemberRequestError.notFound }
            let newID = "mem_" + Secrets.hash("keep:\(id):\(nonce)").prefix(24)
            if try await service.membership(newID) == nil {
                _ = try await service.open(id: newID, userID: user.id, provider: provider.name, pledge: pledge)
            }
            do {
                let start = try await provider.checkout(CheckoutRequest(
                    membershipID: newID, purpose: .membership(pledge), email: user.email, firstName: user.displayName,
                    itemName: service.configuration.policy.wording.shownItemName(siteName: site.configuration.siteName),
                    successURL: SiteURL.membershipWelcome(membership: newID).absolute(base), cancelURL: SiteURL.account.absolute(base),
                    notifyURL: SiteURL.providerWebhook(provider.name).absolute(base), today: service.now(),
                    idempotencyKey: "checkout:\(newID)", periodStart: from))
                return try await continueTo(start, context: context)
            } catch let error as PaymentError {
                throw MemberRequestError.provider(error)
            }
        case let .notPossible(why):
            throw MemberRequestError.notAllowed(why)
        }
    }

    /// The link in on-hold emails: Stripe's customer portal, or (PayFast, which has none) a new checkout for the
    /// same amount.
    func fix(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let named = request.uri.queryParameters["m"].map(String.init)
        guard let user = context.user else { throw RedirectToSignIn(next: SiteURL.membershipFix(membership: named).path) }
        let memberships = try await service.memberships(userID: user.id)
        let at = service.now()
        guard let m = memberships.first(where: { $0.id == named })
                ?? memberships.first(where: { service.engine.status(of: $0, at: at).status == .onHold })
                ?? MembershipAccountSection.current(memberships, engine: service.engine, at: at) else {
            return .seeOther(SiteURL.membership.path)
        }
        if let url = try await service.paymentFixURL(membershipID: m.id, userID: user.id, returnURL: SiteURL.account.absolute(base)) {
            return .seeOther(url.absoluteString)
        }
        let pledge = m.pledge.value
        return .seeOther(SiteURL.membershipChoice(interval: pledge.interval.rawValue,
                                                  amount: String(pledge.amount.minor / pledge.amount.currency.minorPerUnit)).path)
    }

    // MARK: one-off contributions

    func givePage(context: QuorumContext, amount: String?, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        func units(_ m: Money) -> Int64 { m.minor / m.currency.minorPerUnit }
        let suggested = plan.monthly.suggestions.filter { $0 >= plan.oneOffMinimum }
        let chosen = amount ?? suggested.first.map { String(units($0)) } ?? String(units(plan.oneOffMinimum))
        var model: [String: Any] = [
            "symbol": plan.currency.symbol, "minimum": units(plan.oneOffMinimum),
            "minimumText": plan.oneOffMinimum.formatted(dropZeroCents: true), "maximum": units(plan.maximum),
            "amount": chosen,
            "suggestions": suggested.map { ["value": units($0), "text": $0.formatted(dropZeroCents: true), "chosen": String(units($0)) == chosen] },
            "providers": !service.providers.isEmpty,
            "membershipURL": SiteURL.membership.path,
        ]
        if let error { model["error"] = error }
        if context.user == nil {
            model["signIn"] = ["action": SiteURL.signIn().path, "next": SiteURL.membershipGive.path]
        }
        return try await page("membership-give", model, context: context, status: status)
    }

    /// A one-off contribution: validated like a membership amount (against the one-off minimum), recorded, then
    /// Stripe Checkout in payment mode (`submit_type=donate`) or PayFast's once-off form.
    func give(_ request: Request, _ context: QuorumContext) async throws -> Response {
        var request = request
        let form = try await Form.read(&request)
        let typed = form["choice"].flatMap { $0.isEmpty ? nil : $0 } ?? form["amount"] ?? ""
        guard let user = context.user else { throw RedirectToSignIn(next: SiteURL.membershipGive.path) }
        let amount: Money
        switch plan.validate(amount: typed, interval: nil) {
        case let .success(money): amount = money
        case let .failure(problem):
            return try await givePage(context: context, amount: typed, error: problem.description, status: .badRequest)
        }
        guard let provider = chosenProvider else {
            return try await givePage(context: context, amount: typed, error: "Payments are not set up on this site yet.",
                                      status: .serviceUnavailable)
        }
        let id = try await service.openOneOff(userID: user.id, provider: provider.name, amount: amount)
        do {
            let start = try await provider.checkout(CheckoutRequest(
                membershipID: id, purpose: .oneOff(amount), email: user.email, firstName: user.displayName,
                itemName: "Contribution to \(site.configuration.siteName)",
                successURL: SiteURL.membershipGiven(contribution: id).absolute(base), cancelURL: SiteURL.membershipGive.absolute(base),
                notifyURL: SiteURL.providerWebhook(provider.name).absolute(base), today: service.now(),
                idempotencyKey: "checkout:\(id)"))
            return try await continueTo(start, context: context)
        } catch let error as PaymentError {
            site.logger.warning("contribution checkout refused", metadata: ["provider": "\(provider.name)", "reason": "\(error)"])
            return try await givePage(context: context, amount: typed,
                                      error: "The payment provider could not be reached. Nothing was charged; please try again.",
                                      status: .serviceUnavailable)
        }
    }

    /// Where the provider sends a giver back: being confirmed (refreshing) until the provider's notification lands.
    func given(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let id = request.uri.queryParameters["c"].map(String.init) ?? ""
        guard let user = context.user else { throw RedirectToSignIn(next: SiteURL.membershipGiven(contribution: id).path) }
        guard let m = try await service.membership(id), m.oneOff, try await service.owner(of: id) == user.id else {
            throw RequestError.notFound()
        }
        let confirmed = m.contributedMinor > 0
        return try await page("membership-given", [
            "pending": !confirmed,
            "amount": (confirmed ? Money(minor: m.contributedMinor, currency: m.currency) : m.pledge.value.amount).formatted(dropZeroCents: true),
            "membershipURL": SiteURL.membership.path,
        ], context: context)
    }

    /// This feature's part of the account page.
    public var accountSection: MembershipAccountSection { MembershipAccountSection(pages: self) }
}

/// The membership section of the account page: status, amount, interval, next charge, the forms to pause,
/// resume, change the amount and cancel, and receipts (the member's paid ledger entries).
public struct MembershipAccountSection: AccountPageSection {
    let pages: MembershipPages

    /// The membership the account page is about: one that gives access, else the latest that was ever paid, else
    /// the latest opened. One-off contributions are receipts, never the membership.
    static func current(_ memberships: [Membership], engine: Engine, at now: Date) -> Membership? {
        let standing = memberships.filter { !$0.oneOff }
        func rank(_ m: Membership) -> Int {
            let status = engine.status(of: m, at: now).status
            if status.isSubscribed || status == .honorary { return 2 }
            return m.lastPaid != nil ? 1 : 0
        }
        return standing.max { a, b in
            rank(a) != rank(b) ? rank(a) < rank(b) : a.openedAt < b.openedAt
        }
    }

    /// Member while any of the reader's memberships gives access, as the engine says now (the role follows in
    /// the same transaction, but the session was read when the request began).
    public func readerClass(for user: User) async throws -> ReaderClass? {
        let service = pages.service
        let at = service.now()
        let access = try await service.memberships(userID: user.id).contains { !$0.oneOff && service.engine.status(of: $0, at: at).hasAccess }
        return access ? .member : nil
    }

    public func render(for user: User, csrf: String, pages renderer: PageRenderer) async throws -> String? {
        let service = pages.service
        let at = service.now()
        let memberships = try await service.memberships(userID: user.id)
        let receipts = try await service.receipts(userID: user.id)
        var model: [String: Any] = [
            "csrf": csrf, "nonce": Secrets.token(bytes: 8),
            "joinURL": SiteURL.membership.path, "giveURL": SiteURL.membershipGive.path, "hasReceipts": !receipts.isEmpty,
            "receipts": receipts.map { r in
                ["date": CivilDate.dayString(r.paidAt), "amount": r.amount.formatted(), "what": r.oneOff ? "One-off contribution" : "Membership"]
            },
            "links": ["pause": SiteURL.membershipPause.path, "resume": SiteURL.membershipResume.path,
                      "amount": SiteURL.membershipAmount.path, "cancel": SiteURL.membershipCancel.path,
                      "keep": SiteURL.membershipKeep.path],
        ]
        if let m = Self.current(memberships, engine: service.engine, at: at) {
            let report = service.engine.status(of: m, at: at)
            let pledge = m.pledge.value
            let units = pledge.amount.minor / pledge.amount.currency.minorPerUnit
            let terms = pages.plan.terms(pledge.interval)
            let status = report.status
            var membership: [String: Any] = [
                "id": m.id, "status": Self.label(status), "statusKey": status.rawValue, "summary": report.summary,
                "amount": pledge.amount.formatted(dropZeroCents: true), "per": pledge.interval.perWord,
                "interval": pledge.interval == .month ? "Monthly" : "Yearly",
                "amountUnits": units, "monthly": pledge.interval == .month, "yearly": pledge.interval == .year,
                "minimum": terms.minimum.minor / terms.minimum.currency.minorPerUnit, "minimumText": terms.minimum.formatted(dropZeroCents: true),
                "months": (1...MembershipService.longestPauseMonths).map { ["value": $0, "text": $0 == 1 ? "1 month" : "\($0) months"] },
                "canPause": status == .active, "canResume": status == .paused,
                "canChange": [.active, .paused, .onHold].contains(status),
                "canCancel": [.active, .paused, .onHold].contains(status),
                "onHold": status == .onHold, "fixURL": SiteURL.membershipFix(membership: m.id).path,
                "ended": [.lapsed, .expired].contains(status), "pending": status == .pending,
            ]
            if let next = Self.nextCharge(m, report: report, at: at) { membership["nextCharge"] = next }
            if status == .cancelled, let provider = service.providers[m.provider] {
                switch service.engine.withdrawal(of: m, at: at, providerRevives: provider.revivesCancelledSubscriptions,
                                                 providerStartsLater: provider.startsSubscriptionsLater) {
                case .keepSubscription:
                    membership["keep"] = ["note": "Changed your mind? Your membership renews again as before."]
                case let .newSubscription(from, pledge):
                    membership["keep"] = ["note": "Changed your mind? The payment provider cannot restart a cancelled subscription, so this sets up a new one at \(pledge.amount.formatted(dropZeroCents: true)) \(pledge.interval.perWord): its first payment, taken now, pays for the period from \(CivilDate.dayString(from)), when this one ends."]
                case .notPossible:
                    break
                }
            }
            model["membership"] = membership
        }
        return try renderer.theme.render("account-membership", model.merging(["site": renderer.siteModel]) { a, _ in a })
    }

    /// "R200 on 2026-02-01": the next charge, when one is due (not while paused, cancelled or ended).
    static func nextCharge(_ m: Membership, report: StatusReport, at now: Date) -> String? {
        let amount = m.pledge.value.amount.formatted(dropZeroCents: true)
        switch report.status {
        case .active:
            guard let through = m.paidThrough else { return nil }
            var next = through
            if let resumes = m.pause?.value ?? nil, resumes > next { next = resumes }
            return "\(amount) on \(CivilDate.dayString(next))"
        case .paused:
            guard let until = m.pause?.value ?? nil else { return nil }
            return "\(amount) after the pause, which ends on \(CivilDate.dayString(until))"
        case .onHold:
            return "\(amount), being retried"
        default:
            return nil
        }
    }

    static func label(_ status: Status) -> String {
        switch status {
        case .pending: "Being confirmed"
        case .active: "Active"
        case .trialing: "On a trial"
        case .onHold: "On hold"
        case .lapsed: "Lapsed"
        case .paused: "Paused"
        case .cancelled: "Cancelled"
        case .expired: "Ended"
        case .honorary: "Honorary"
        }
    }
}

extension MembershipService {
    /// Every membership (and one-off record) of an account.
    public func memberships(userID: Int64) async throws -> [Membership] {
        try await database.read { db in try await store.memberships(db, userID: userID) }
    }

    /// The account's receipts, newest first.
    public func receipts(userID: Int64) async throws -> [Receipt] {
        try await database.read { db in try await store.receipts(db, userID: userID) }
    }
}
