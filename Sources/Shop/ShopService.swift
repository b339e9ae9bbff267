import Foundation
import Logging
import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb
import ShopEngine
import SQLKit

/// The shop's use cases: checkout (price on the server, reserve, open a pending order), taking in payment
/// notifications and admins' actions (record in the ledger, apply through the engine, move stock and paid copies,
/// queue emails: one transaction each), expiring unpaid orders.
public struct ShopService: Sendable {
    public let database: Database
    let store = ShopStore()
    let engine = Engine()
    let bus: (any InvalidationBus)?
    let logger: Logger
    let now: @Sendable () -> Date
    /// How long a pending order holds its copies.
    public let holdFor: TimeInterval
    /// Emails queued in the caller's transaction (``ShopMail``); nil sends none.
    let mail: ShopMail?

    public init(database: Database, bus: (any InvalidationBus)? = nil, mail: ShopMail? = nil, holdFor: TimeInterval = 30 * 60,
                logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.database = database
        self.bus = bus
        self.mail = mail
        self.holdFor = holdFor
        self.logger = logger
        self.now = now
    }

    // MARK: products

    public func create(_ product: Product) async throws {
        try await database.transaction { db in try await store.insert(db, product) }
        await bus?.publish([.shop, .promotions])
    }

    public func update(_ product: Product) async throws {
        let at = now()
        try await database.transaction { db in try await store.update(db, product, at: at) }
        await bus?.publish([.shop, .promotions])
    }

    @discardableResult
    public func addStock(productID: String, _ n: Int) async throws -> Bool {
        let done = try await database.transaction { db in try await store.addStock(db, productID: productID, n) }
        await bus?.publish([.shop, .promotions])
        return done
    }

    public func product(id: String) async throws -> Product? { try await database.read { db in try await store.product(db, id: id) } }
    public func product(slug: String) async throws -> Product? { try await database.read { db in try await store.product(db, slug: slug) } }
    public func products(publishedOnly: Bool = true) async throws -> [Product] {
        try await database.read { db in try await store.products(db, publishedOnly: publishedOnly) }
    }

    // MARK: checkout

    /// Who is buying and where it goes.
    public struct Buyer: Sendable, Hashable {
        public var userID: Int64?
        public var email: String
        public var address: Address
        public var shippingID: String

        public init(userID: Int64? = nil, email: String, address: Address, shippingID: String) {
            self.userID = userID
            self.email = email
            self.address = address
            self.shippingID = shippingID
        }
    }

    /// A pending order and what the payment provider needs to know of it.
    public struct Opened: Sendable {
        public var order: Order
        public var number: Int64
        public var titles: [String: String]
    }

    /// Prices the cart from the catalog, checks the buyer's address for the country, reserves every copy and
    /// opens a pending order, all in one transaction: a copy another checkout took first makes this one fail
    /// (`ShopError.soldOut`) and reserves nothing.
    public func checkout(_ items: [(productID: String, quantity: Int)], buyer: Buyer, provider: String) async throws -> Opened {
        let email = buyer.email.trimmingCharacters(in: .whitespaces)
        guard email.count <= 254, email.wholeMatch(of: /[^@\s]+@[^@\s]+\.[^@\s]+/) != nil else { throw ShopError.email }
        let at = now()
        let id = "ord_" + Secrets.token(bytes: 12)
        return try await database.transaction { db in
            let catalog = try await store.products(db, ids: items.map(\.productID))
            guard items.first.flatMap({ catalog[$0.productID] }) != nil else {
                throw ShopError.cart(items.isEmpty ? .empty : .unknownProduct(items[0].productID))
            }
            let offered = ShippingOption.common(items.compactMap { catalog[$0.productID]?.shipping })
            guard let shipping = offered.first(where: { $0.id == buyer.shippingID }) else {
                throw ShopError.cart(.unknownShipping(buyer.shippingID))
            }
            let problems = AddressRules.problems(buyer.address, needsAddress: !shipping.isCollection)
            guard problems.isEmpty else { throw ShopError.address(problems) }
            let quote: Quote
            switch Pricing.quote(items, catalog: catalog.mapValues(\.terms), shipping: shipping,
                                 country: shipping.isCollection ? nil : buyer.address.country, at: at) {
            case let .success(q): quote = q
            case let .failure(problem): throw ShopError.cart(problem)
            }
            for line in quote.lines {
                let p = catalog[line.productID]!
                guard try await store.reserve(db, productID: p.id, line.quantity, mayOversell: p.terms.mayOversell(at: at)) else {
                    throw ShopError.soldOut(p.title)
                }
            }
            let order = engine.open(id: id, lines: quote.lines, shippingMinor: quote.shippingMinor, currency: quote.currency,
                                    at: at, holdFor: holdFor)
            let number = try await store.insert(db, ShopStore.OrderRow(
                order: order, number: 0, userID: buyer.userID, email: email, buyerName: buyer.address.name,
                address: shipping.isCollection ? Address(name: buyer.address.name, line1: "", city: "", postalCode: "", country: "")
                    : buyer.address,
                shippingID: shipping.id, shippingLabel: shipping.label, provider: provider, paymentRef: "", status: .pending), at: at)
            return Opened(order: order, number: number, titles: catalog.mapValues(\.title))
        }
    }

    /// Remembers the provider's checkout session for an order (Stripe's session id), for refunds and support.
    public func setPaymentRef(orderID: String, _ ref: String) async throws {
        try await database.transaction { db in try await store.setPaymentRef(db, orderID: orderID, ref) }
    }

    // MARK: events

    public enum Receipt: Sendable, Hashable {
        case applied(OrderStatus)
        case noChange(String)
        case rejected(String)
        case duplicate
        case unknownOrder
    }

    /// Records and applies one event in a single transaction. A duplicate (same id) stops at the ledger.
    @discardableResult
    public func apply(_ event: OrderEvent, provider: String, raw: String? = nil) async throws -> Receipt {
        let at = now()
        // Fetched before the transaction: the first use of the site's key writes it in a transaction of its own.
        let key = try await mail?.signingKey() ?? ""
        let (receipt, changed) = try await database.transaction { db -> (Receipt, Bool) in
            guard let row = try await store.order(db, id: event.orderID, lock: true) else { return (.unknownOrder, false) }
            guard try await store.record(db, event, provider: provider, raw: raw, at: at) else { return (.duplicate, false) }
            var granted = true
            let need = engine.stockNeeded(for: event, on: row.order)
            if !need.isEmpty {
                // The late-payment rule: an order paid after it released its copies is honoured if they can be
                // reserved again now, else it is owed a full refund.
                let products = try await store.products(db, ids: Array(need.keys))
                var reserved: [(String, Int)] = []
                for (product, n) in need.sorted(by: { $0.key < $1.key }) where granted {
                    let oversell = products[product]?.terms.mayOversell(at: at) ?? false
                    granted = try await store.reserve(db, productID: product, n, mayOversell: oversell)
                    if granted { reserved.append((product, n)) }
                }
                if !granted {
                    // Gives back what was taken before the product that ran out.
                    for (product, n) in reserved { try await store.move(db, productID: product, stock: n, paid: 0) }
                }
            }
            let result = engine.apply(event, to: row.order, stockGranted: granted)
            switch result.outcome {
            case .applied:
                for product in Set(result.stockDelta.keys).union(result.paidDelta.keys).union(need.keys) {
                    // A granted re-reservation already took its copies: the delta for it is that same amount.
                    let taken = granted ? need[product] ?? 0 : 0
                    try await store.move(db, productID: product, stock: (result.stockDelta[product] ?? 0) + taken,
                                         paid: result.paidDelta[product] ?? 0)
                }
                try await store.save(db, result.order, at: at)
                try await store.settle(db, eventID: event.id, outcome: "applied", note: "\(result.from.rawValue) → \(result.to.rawValue)")
                if let mail { try await mail.transition(db, row: row, result: result, event: event, key: key, at: at) }
                return (.applied(result.to), !result.paidDelta.isEmpty || !result.stockDelta.isEmpty)
            case let .noChange(why):
                if result.order != row.order { try await store.save(db, result.order, at: at) }
                try await store.settle(db, eventID: event.id, outcome: "no_change", note: why)
                return (.noChange(why), false)
            case let .rejected(why):
                try await store.settle(db, eventID: event.id, outcome: "rejected", note: why)
                return (.rejected(why), false)
            }
        }
        // Product pages and the promotion blocks show the donated count and stock: stale within the second.
        if changed { await bus?.publish([.shop, .promotions]) }
        return receipt
    }

    /// Expires every pending order past its hold (the upkeep calls it every minute); returns how many.
    @discardableResult
    public func expireDue() async throws -> Int {
        let at = now()
        let ids = try await database.read { db in try await store.expired(db, at: at) }
        var n = 0
        for id in ids {
            if case .applied = try await apply(OrderEvent(id: "local:expire:\(id)", orderID: id, at: at, kind: .expired), provider: "local") {
                n += 1
            }
        }
        return n
    }

    // MARK: reading

    public func order(_ id: String) async throws -> Order? {
        try await database.read { db in try await store.order(db, id: id)?.order }
    }

    /// The checking query for a product (tests and the admin's report).
    func check(productID: String) async throws -> ShopStore.Check? {
        try await database.read { db in try await store.check(db, productID: productID) }
    }
}

extension CacheTag {
    /// Every shop page (the list and product pages).
    public static let shop = CacheTag("shop", "all")
}

extension ShopService {
    func orderRow(_ id: String) async throws -> ShopStore.OrderRow? {
        try await database.read { db in try await store.order(db, id: id) }
    }

    func products(ids: [String]) async throws -> [String: Product] {
        try await database.read { db in try await store.products(db, ids: ids) }
    }

    /// The signed-in reader's orders, newest first (the account page).
    func orders(userID: Int64) async throws -> [ShopStore.OrderRow] {
        try await database.read { db in try await store.orders(db, userID: userID) }
    }
}

extension ShopService {
    /// The release email, once per paid order of each product whose release date has passed.
    @discardableResult
    public func sendReleaseEmails() async throws -> Int {
        guard let mail else { return 0 }
        let at = now()
        let key = try await mail.signingKey()
        return try await database.transaction { db in
            let due = try await db.raw("""
                SELECT id, title FROM shop_products
                WHERE release_at IS NOT NULL AND release_at <= \(bind: ShopStore.ms(at)!) AND released_notice_at IS NULL
                """).all().map { (try $0.decode(column: "id", as: String.self), try $0.decode(column: "title", as: String.self)) }
            var sent = 0
            for (productID, title) in due {
                let orders = try await db.raw("""
                    SELECT DISTINCT l.order_id AS id FROM shop_order_lines l
                    WHERE l.product_id = \(bind: productID) AND l.paid_qty > 0
                    """).all().map { try $0.decode(column: "id", as: String.self) }
                for id in orders {
                    guard let row = try await store.order(db, id: id) else { continue }
                    try await mail.send(db, "shop-release", row: row, order: row.order, extra: ["product": title], key: key, at: at)
                    sent += 1
                }
                try await db.update("shop_products").set("released_notice_at", to: SQLBind(ShopStore.ms(at)!))
                    .where("id", .equal, SQLBind(productID)).run()
            }
            return sent
        }
    }
}

// MARK: admins' actions

extension ShopService {
    /// Marks a paid order shipped (the dispatch email goes out once). `nonce` comes from the form, so a double
    /// submission is one event.
    public func ship(orderID: String, carrier: String, tracking: String, nonce: String) async throws -> Receipt {
        let tracking = tracking.trimmingCharacters(in: .whitespaces)
        guard !tracking.isEmpty, tracking.count <= 100, carrier.count <= 100 else {
            throw ShopError.notAllowed("Enter the tracking number (at most 100 characters).")
        }
        return try await apply(OrderEvent(id: "local:ship:\(orderID):\(nonce.prefix(40))", orderID: orderID, at: now(),
                                          kind: .shipped(carrier: carrier.trimmingCharacters(in: .whitespaces), tracking: tracking)),
                               provider: "local")
    }

    /// What refunding `copies` (and the shipping, if asked) of an order comes to: server prices only.
    public func refundAmount(_ order: Order, copies: [String: Int], shipping: Bool) throws -> Int64 {
        var total: Int64 = shipping ? order.shippingMinor : 0
        for (product, n) in copies where n > 0 {
            guard let line = order.lines.first(where: { $0.productID == product }) else { throw ShopError.cart(.unknownProduct(product)) }
            let left = line.quantity - (order.refundedCopies[product] ?? 0)
            guard n <= left else { throw ShopError.notAllowed("Only \(left) copies of that line are left to refund.") }
            total += Int64(n) * line.unitMinor
        }
        guard total > 0 else { throw ShopError.notAllowed("Choose copies (or the shipping) to refund.") }
        guard total + order.refundedMinor <= (order.payment?.amountMinor ?? 0) else {
            throw ShopError.notAllowed("That is more than is left of the payment.")
        }
        return total
    }

    /// The ledger id of the admin's refund sent with `nonce` (one per form).
    public static func refundEventID(orderID: String, nonce: String) -> String { "local:refund:\(orderID):\(nonce.prefix(40))" }

    /// The newest images in the site's image store, for the cover picker.
    func recentImages(limit: Int = 24) async throws -> [String] {
        try await database.read { db in try await store.recentImages(db, limit: limit) }
    }

    func imageExists(_ name: String) async throws -> Bool {
        try await database.read { db in try await store.imageExists(db, name: name) }
    }

    /// Whether an event is in the shop's ledger.
    public func hasEvent(_ id: String) async throws -> Bool {
        try await database.read { db in try await store.hasEvent(db, id: id) }
    }

    /// Records a refund the provider has made (the admin's action, after the provider's call succeeded).
    public func recordRefund(orderID: String, copies: [String: Int], amountMinor: Int64, nonce: String) async throws -> Receipt {
        try await apply(OrderEvent(id: Self.refundEventID(orderID: orderID, nonce: nonce), orderID: orderID, at: now(),
                                   kind: .copiesRefunded(copies: copies.filter { $0.value > 0 }, amountMinor: amountMinor)),
                        provider: "local")
    }

    func adminOrders(status: OrderStatus?, query: String, before: Int64? = nil, limit: Int) async throws -> [ShopStore.OrderRow] {
        try await database.read { db in try await store.orders(db, status: status, query: query, before: before, limit: limit) }
    }

    func orderCounts() async throws -> [String: Int] { try await database.read { db in try await store.orderCounts(db) } }

    /// Per product with a partner: copies paid (and not refunded) in [from, to) and the copies donated for them
    /// (the difference of the running counts, so a cap is respected across periods).
    public struct DonationLine: Sendable, Hashable {
        public var product: String
        public var partner: String
        public var copies: Int
        public var donated: Int
    }

    public func donationReport(from: Date, to: Date) async throws -> [DonationLine] {
        let (before, through, products) = try await database.read { db in
            (try await store.paidCopies(db, before: from), try await store.paidCopies(db, before: to),
             try await store.products(db, publishedOnly: false))
        }
        return products.compactMap { p in
            guard let d = p.donation else { return nil }
            let a = before[p.id] ?? 0, b = through[p.id] ?? 0
            return DonationLine(product: p.title, partner: d.partner, copies: b - a, donated: d.count(paidCopies: b) - d.count(paidCopies: a))
        }
    }
}

extension ShopService {
    /// A paid order from the past (the demo's history): reserved, opened and paid as a checkout and a provider's
    /// notification would, in the caller's one transaction for all of them (one commit instead of hundreds).
    public struct PastOrder: Sendable {
        public var email: String
        public var name: String
        public var quantity: Int
        public var at: Date

        public init(email: String, name: String, quantity: Int, at: Date) {
            self.email = email
            self.name = name
            self.quantity = quantity
            self.at = at
        }
    }

    public func importPaidOrders(_ orders: [PastOrder], productID: String, provider: String = "demo") async throws -> Int {
        try await database.transaction { db in
            guard let p = try await store.product(db, id: productID) else { return 0 }
            var n = 0
            for past in orders {
                guard try await store.reserve(db, productID: p.id, past.quantity, mayOversell: false) else { break }
                let id = "ord_" + Secrets.token(bytes: 12)
                let order = engine.open(id: id, lines: [Line(productID: p.id, quantity: past.quantity, unitMinor: p.priceMinor)],
                                        shippingMinor: 0, currency: p.currency, at: past.at, holdFor: holdFor)
                _ = try await store.insert(db, ShopStore.OrderRow(
                    order: order, number: 0, userID: nil, email: past.email, buyerName: past.name,
                    address: Address(name: past.name, line1: "", city: "", postalCode: "", country: ""), shippingID: "collect",
                    shippingLabel: "Collect from the newsroom", provider: provider, paymentRef: "", status: .pending), at: past.at)
                let event = OrderEvent(id: "\(provider):pay:\(id)", orderID: id, at: past.at.addingTimeInterval(60), kind: .paid(amountMinor: order.totalMinor))
                _ = try await store.record(db, event, provider: provider, raw: nil, at: past.at)
                let result = engine.apply(event, to: order)
                for (product, delta) in result.paidDelta { try await store.move(db, productID: product, stock: result.stockDelta[product] ?? 0, paid: delta) }
                try await store.save(db, result.order, at: past.at)
                try await store.settle(db, eventID: event.id, outcome: "applied", note: "imported")
                n += 1
            }
            return n
        }
    }
}
