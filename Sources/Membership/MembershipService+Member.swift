import Foundation
import Hummingbird
import MembershipEngine
import Payments
import QuorumStore
import QuorumWeb

/// What a member asks for on their own membership. Each is sent to the provider first (its subscription API, with
/// an idempotency key that stays the same if the member submits the same request twice), then recorded in the
/// ledger as a `local:` event and applied: the provider's confirming webhook, with a later stamp, agrees.
public enum MemberRequest: Sendable, Hashable {
    /// Stop collecting for `months` months from now.
    case pause(months: Int)
    case resume
    /// Charge this from the next period on.
    case changeAmount(Pledge)
    /// Stop renewing; access continues to the end of the paid period.
    case cancel
    /// Undo a cancellation before the paid period ends, on the same subscription (providers that
    /// `revivesCancelledSubscriptions`; otherwise see `MembershipService.withdrawal`).
    case withdrawCancellation
}

/// Why a member's request was refused; nothing was changed.
public enum MemberRequestError: AppError, Equatable {
    case notFound
    /// The membership's status does not allow it ("A paused membership cannot be cancelled…").
    case notAllowed(String)
    /// The provider has not confirmed the subscription yet, so there is nothing to change there.
    case notLinked
    case invalid(String)
    case provider(PaymentError)

    public var status: HTTPResponse.Status {
        switch self {
        case .notFound: .notFound
        case .notAllowed, .notLinked: .conflict
        case .invalid: .unprocessableContent
        case let .provider(error): error.isTemporary ? .serviceUnavailable : .badGateway
        }
    }

    public var code: String {
        switch self {
        case .notFound: "not_found"
        case .notAllowed: "not_allowed"
        case .notLinked: "not_confirmed_yet"
        case .invalid: "invalid_amount"
        case .provider: "provider_unavailable"
        }
    }

    public var message: String {
        switch self {
        case .notFound: "There is no such membership on your account."
        case let .notAllowed(why): why
        case .notLinked: "The payment provider has not confirmed your membership yet. Please try again in a few minutes."
        case let .invalid(why): why
        case .provider: "The payment provider did not accept the change just now. Nothing was changed; please try again later."
        }
    }
}

extension MembershipService {
    /// The longest pause a member may choose at once.
    public static let longestPauseMonths = 6

    /// Carries out a member's request on a membership they own: checks the status allows it, tells the provider,
    /// then records and applies it. `token` makes the request's idempotency key and ledger id (the form's one-time
    /// value), so a double submission changes things once.
    @discardableResult
    public func request(_ request: MemberRequest, membershipID: String, userID: Int64, token: String) async throws -> Book.Receipt {
        guard let m = try await membership(membershipID), !m.oneOff, try await owner(of: membershipID) == userID else {
            throw MemberRequestError.notFound
        }
        let at = now()
        let report = engine.status(of: m, at: at)
        try Self.check(request, status: report.status)
        let kind: MembershipEvent.Kind
        let until: Date?
        switch request {
        case let .pause(months):
            guard (1...Self.longestPauseMonths).contains(months) else {
                throw MemberRequestError.invalid("A pause is from 1 to \(Self.longestPauseMonths) months.")
            }
            // From now (the engine counts a pause from when it is asked for; the paid period resumes after it).
            let end = CivilDate.adding(months: months, to: at)
            until = end
            kind = .pauseRequested(until: end)
        case .resume:
            until = nil
            kind = .resumeRequested
        case let .changeAmount(pledge):
            guard pledge.amount.currency.code == m.currency.code else { throw MemberRequestError.invalid("That is not the membership's currency.") }
            guard pledge != m.pledge.value else { throw MemberRequestError.invalid("That is already what you pay.") }
            until = nil
            kind = .amountChangeRequested(pledge)
        case .cancel:
            until = nil
            kind = .cancelRequested
        case .withdrawCancellation:
            until = nil
            kind = .cancelWithdrawn
        }
        let key = "member:\(Self.name(request)):\(membershipID):\(token)"
        guard let provider = providers[m.provider] else {
            throw MemberRequestError.notAllowed("Payments through \(m.provider) are not set up on this site any more.")
        }
        do {
            guard let subscription = m.subscriptionID else { throw MemberRequestError.notLinked }
            switch request {
            case let .pause(months):
                try await provider.pause(subscriptionID: subscription, until: until, months: months,
                                         interval: m.pledge.value.interval, idempotencyKey: key)
            case .resume:
                try await provider.pause(subscriptionID: subscription, until: nil, months: 0,
                                         interval: m.pledge.value.interval, idempotencyKey: key)
            case let .changeAmount(pledge):
                try await provider.changeAmount(subscriptionID: subscription, to: pledge, idempotencyKey: key)
            case .cancel:
                try await provider.cancelAtPeriodEnd(subscriptionID: subscription, idempotencyKey: key)
            case .withdrawCancellation:
                guard engine.withdrawal(of: m, at: at, providerRevives: provider.revivesCancelledSubscriptions,
                                        providerStartsLater: false) == .keepSubscription else {
                    throw MemberRequestError.notAllowed("This cancellation cannot be undone at the payment provider; start a new membership from the end of this period instead.")
                }
                try await provider.withdrawCancellation(subscriptionID: subscription, idempotencyKey: key)
            }
        } catch let error as PaymentError {
            logger.warning("member request refused by the provider",
                           metadata: ["provider": "\(m.provider)", "request": "\(Self.name(request))", "reason": "\(error)"])
            throw MemberRequestError.provider(error)
        }
        let event = MembershipEvent(id: "local:\(key)", provider: m.provider, occurredAt: at,
                                    reference: Reference(membershipID: membershipID), kind: kind)
        return try await apply(event, raw: nil, userID: nil)
    }

    /// Which requests each status allows.
    static func check(_ request: MemberRequest, status: Status) throws {
        switch (request, status) {
        case (.pause, .active), (.resume, .paused), (.changeAmount, .active), (.changeAmount, .paused),
             (.changeAmount, .onHold), (.cancel, .active), (.cancel, .paused), (.cancel, .onHold),
             (.withdrawCancellation, .cancelled):
            return
        case (.withdrawCancellation, _): throw MemberRequestError.notAllowed("Your membership is not cancelled.")
        case (.pause, .paused): throw MemberRequestError.notAllowed("Your membership is already paused.")
        case (.pause, _): throw MemberRequestError.notAllowed("Only an active membership can be paused.")
        case (.resume, _): throw MemberRequestError.notAllowed("Your membership is not paused.")
        case (.cancel, .cancelled): throw MemberRequestError.notAllowed("Your membership is already cancelled.")
        case (.cancel, _), (.changeAmount, _):
            throw MemberRequestError.notAllowed("This membership cannot be changed any more; you can start a new one.")
        }
    }

    static func name(_ request: MemberRequest) -> String {
        switch request {
        case .pause: "pause"
        case .resume: "resume"
        case .changeAmount: "amount"
        case .cancel: "cancel"
        case .withdrawCancellation: "withdraw"
        }
    }

    /// What undoing the cancellation of a member's own membership takes now: the same subscription (Stripe), a
    /// new one from the end of the paid period (PayFast), or nothing possible.
    public func withdrawal(membershipID: String, userID: Int64) async throws -> (Membership, Withdrawal) {
        guard let m = try await membership(membershipID), !m.oneOff, try await owner(of: membershipID) == userID else {
            throw MemberRequestError.notFound
        }
        guard let provider = providers[m.provider] else {
            throw MemberRequestError.notAllowed("Payments through \(m.provider) are not set up on this site any more.")
        }
        return (m, engine.withdrawal(of: m, at: now(), providerRevives: provider.revivesCancelledSubscriptions,
                                     providerStartsLater: provider.startsSubscriptionsLater))
    }

    /// Where an on-hold member fixes their payment: the provider's own page (Stripe's customer portal), or nil
    /// when the provider has none (PayFast): the member then goes through a new checkout.
    public func paymentFixURL(membershipID: String, userID: Int64, returnURL: String) async throws -> URL? {
        guard let m = try await membership(membershipID), try await owner(of: membershipID) == userID else {
            throw MemberRequestError.notFound
        }
        guard let provider = providers[m.provider], let customer = m.customerID else { return nil }
        do {
            let day = CivilDate.dayString(now())
            return try await provider.paymentFixURL(customerID: customer, returnURL: returnURL,
                                                    idempotencyKey: "fix:\(membershipID):\(day):\(Secrets.token(bytes: 6))")
        } catch let error as PaymentError {
            logger.warning("payment fix page refused", metadata: ["provider": "\(m.provider)", "reason": "\(error)"])
            throw MemberRequestError.provider(error)
        }
    }

    /// A one-off contribution's record for a reader about to give; its opening is the first ledger entry.
    @discardableResult
    public func openOneOff(id: String = "gift_" + Secrets.token(bytes: 12), userID: Int64?, provider: String,
                           amount: Money) async throws -> String {
        let event = MembershipEvent(id: "local:open:\(id)", provider: provider, occurredAt: now(),
                                    reference: Reference(membershipID: id), kind: .openedOneOff(amount))
        _ = try await apply(event, raw: nil, userID: userID)
        return id
    }
}
