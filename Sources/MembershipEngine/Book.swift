import Foundation

/// A set of memberships with what is needed to route and deduplicate events: the ids already seen, the provider
/// ids that point at each membership, and events that could not be routed yet (an event may arrive before the
/// one that links its subscription to a membership; it is applied as soon as the link is known).
/// The server keeps the same things in tables; tests, replay and the dashboard use this value directly.
public struct Book: Sendable, Hashable {
    public private(set) var memberships: [String: Membership] = [:]
    public private(set) var seen: Set<String> = []
    public private(set) var parked: [MembershipEvent] = []
    var bySubscription: [String: String] = [:]
    var byCustomer: [String: String] = [:]
    public let engine: Engine

    public init(engine: Engine = Engine()) {
        self.engine = engine
    }

    /// What became of a delivered event.
    public enum Receipt: Sendable, Hashable {
        case applied(membershipID: String, note: String)
        case noChange(membershipID: String, reason: String)
        case rejected(membershipID: String, reason: String)
        /// Already recorded under the same event id: nothing done.
        case duplicate
        /// No membership known for it (yet): kept, applied if a later event links it.
        case parked
        /// A provider event membership does not act on (its type), for no known membership: recorded only.
        case ignored(String)
    }

    /// Records and applies one event: deduplicated by id, routed by its reference, parked when unroutable.
    @discardableResult
    public mutating func receive(_ event: MembershipEvent) -> Receipt {
        guard seen.insert(event.id).inserted else { return .duplicate }
        guard let id = route(event) else {
            if case let .unhandled(type) = event.kind { return .ignored(type) }
            parked.append(event)
            return .parked
        }
        let receipt = deliver(event, to: id)
        unpark()
        return receipt
    }

    /// The membership id an event belongs to, if known. An `opened` event creates its membership.
    func route(_ event: MembershipEvent) -> String? {
        if let id = event.reference.membershipID {
            if memberships[id] != nil { return id }
            switch event.kind {
            case .opened, .openedOneOff: return id
            default: break
            }
        }
        if let s = event.reference.subscriptionID, let id = bySubscription[s] { return id }
        if let c = event.reference.customerID, let id = byCustomer[c] { return id }
        return nil
    }

    mutating func deliver(_ event: MembershipEvent, to id: String) -> Receipt {
        if memberships[id] == nil {
            switch event.kind {
            case let .opened(pledge):
                memberships[id] = engine.open(id: id, provider: event.provider, pledge: pledge, at: event.occurredAt,
                                              eventID: event.id)
            case let .openedOneOff(money):
                memberships[id] = engine.openOneOff(id: id, provider: event.provider, amount: money,
                                                    at: event.occurredAt, eventID: event.id)
            default: break
            }
        }
        guard let current = memberships[id] else { return .parked }
        let result = engine.apply(event, to: current)
        memberships[id] = result.membership
        link(event.reference, to: id)
        if let s = result.membership.subscriptionID { bySubscription[s] = bySubscription[s] ?? id }
        if let c = result.membership.customerID { byCustomer[c] = byCustomer[c] ?? id }
        switch result.outcome {
        case .applied: return .applied(membershipID: id, note: result.note)
        case let .noChange(why): return .noChange(membershipID: id, reason: why)
        case let .rejected(why): return .rejected(membershipID: id, reason: why)
        }
    }

    /// An event that names both a membership and provider ids teaches the book the link.
    mutating func link(_ reference: Reference, to id: String) {
        guard reference.membershipID == id else { return }
        if let s = reference.subscriptionID, bySubscription[s] == nil { bySubscription[s] = id }
        if let c = reference.customerID, byCustomer[c] == nil { byCustomer[c] = id }
    }

    mutating func unpark() {
        var progress = true
        while progress, !parked.isEmpty {
            progress = false
            var still: [MembershipEvent] = []
            for event in parked {
                if let id = route(event) {
                    _ = deliver(event, to: id)
                    progress = true
                } else {
                    still.append(event)
                }
            }
            parked = still
        }
    }

    /// Rebuilds a book from ledger events in the order they were recorded.
    public static func replay(_ ledger: some Sequence<MembershipEvent>, engine: Engine = Engine()) -> Book {
        var book = Book(engine: engine)
        for event in ledger { book.receive(event) }
        return book
    }

    public static func == (a: Book, b: Book) -> Bool {
        a.memberships == b.memberships && a.seen == b.seen && Set(a.parked) == Set(b.parked)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(memberships)
        hasher.combine(seen)
    }
}
