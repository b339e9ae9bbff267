import Foundation
import QuorumStore
import ShopEngine
import SQLKit

/// The shop's SQL. Every function takes the caller's connection, so a checkout's reservations and order, or a
/// notification's record-apply-save, run in one transaction. Every value is a bind.
struct ShopStore: Sendable {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    static func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try JSONDecoder().decode(type, from: Data(text.utf8)) }

    static func ms(_ date: Date?) -> Int64? { date.map { Timestamp($0).milliseconds } }
    static func date(_ ms: Int64?) -> Date? { ms.map { Date(timeIntervalSince1970: Double($0) / 1000) } }

    // MARK: products

    func insert(_ db: any SQLDatabase, _ p: Product) async throws {
        try await db.insert(into: "shop_products")
            .columns("id", "slug", "title", "summary", "description_md", "cover_image", "cover_alt", "price_minor", "currency",
                     "vat_percent", "state", "publish_at", "release_at", "stock", "stock_added", "oversell", "per_order_limit",
                     "shipping_json", "partner_name", "partner_url", "donate_per", "sold_per", "donate_cap", "paid_copies",
                     "created_at", "updated_at")
            .values(SQLBind(p.id), SQLBind(p.slug), SQLBind(p.title), SQLBind(p.summary), SQLBind(p.descriptionMarkdown),
                    SQLBind(p.coverImage), SQLBind(p.coverAlt), SQLBind(p.priceMinor), SQLBind(p.currency), SQLBind(p.vatPercent),
                    SQLBind(p.state.rawValue), SQLBind(Self.ms(p.publishAt)), SQLBind(Self.ms(p.releaseAt)), SQLBind(p.stock),
                    SQLBind(p.stockAdded), SQLBind(p.oversell ? 1 : 0), SQLBind(p.perOrderLimit), SQLBind(try Self.json(p.shipping)),
                    SQLBind(p.donation?.partner ?? ""), SQLBind(p.donation?.link ?? ""), SQLBind(p.donation?.donated ?? 1),
                    SQLBind(p.donation?.sold ?? 1), SQLBind(p.donation?.cap), SQLBind(p.paidCopies),
                    SQLBind(Self.ms(p.createdAt)!), SQLBind(Self.ms(p.updatedAt)!))
            .run()
    }

    /// Saves what an editor changes. Stock is never written here: `addStock` moves it (reservations run
    /// concurrently with edits, and a stale form must not undo them).
    func update(_ db: any SQLDatabase, _ p: Product, at now: Date) async throws {
        try await db.update("shop_products")
            .set("slug", to: SQLBind(p.slug)).set("title", to: SQLBind(p.title)).set("summary", to: SQLBind(p.summary))
            .set("description_md", to: SQLBind(p.descriptionMarkdown)).set("cover_image", to: SQLBind(p.coverImage))
            .set("cover_alt", to: SQLBind(p.coverAlt)).set("price_minor", to: SQLBind(p.priceMinor))
            .set("currency", to: SQLBind(p.currency)).set("vat_percent", to: SQLBind(p.vatPercent))
            .set("state", to: SQLBind(p.state.rawValue)).set("publish_at", to: SQLBind(Self.ms(p.publishAt)))
            .set("release_at", to: SQLBind(Self.ms(p.releaseAt))).set("oversell", to: SQLBind(p.oversell ? 1 : 0))
            .set("per_order_limit", to: SQLBind(p.perOrderLimit)).set("shipping_json", to: SQLBind(try Self.json(p.shipping)))
            .set("partner_name", to: SQLBind(p.donation?.partner ?? "")).set("partner_url", to: SQLBind(p.donation?.link ?? ""))
            .set("donate_per", to: SQLBind(p.donation?.donated ?? 1)).set("sold_per", to: SQLBind(p.donation?.sold ?? 1))
            .set("donate_cap", to: SQLBind(p.donation?.cap)).set("updated_at", to: SQLBind(Self.ms(now)!))
            .where("id", .equal, SQLBind(p.id))
            .run()
    }

    /// Adds (or with a negative `n`, removes free) copies; never takes stock below zero.
    func addStock(_ db: any SQLDatabase, productID: String, _ n: Int) async throws -> Bool {
        let rows = try await db.raw("""
            UPDATE shop_products SET stock = stock + \(bind: n), stock_added = stock_added + \(bind: n)
            WHERE id = \(bind: productID) AND stock + \(bind: n) >= 0 RETURNING id
            """).all()
        return !rows.isEmpty
    }

    static let productColumns = ["id", "slug", "title", "summary", "description_md", "cover_image", "cover_alt", "price_minor",
                                 "currency", "vat_percent", "state", "publish_at", "release_at", "stock", "stock_added", "oversell",
                                 "per_order_limit", "shipping_json", "partner_name", "partner_url", "donate_per", "sold_per",
                                 "donate_cap", "paid_copies", "created_at", "updated_at"]

    static func product(_ row: any SQLRow) throws -> Product {
        let partner = try row.decode(column: "partner_name", as: String.self)
        var p = Product(id: try row.decode(column: "id", as: String.self), slug: try row.decode(column: "slug", as: String.self),
                        title: try row.decode(column: "title", as: String.self),
                        summary: try row.decode(column: "summary", as: String.self),
                        descriptionMarkdown: try row.decode(column: "description_md", as: String.self),
                        coverImage: try row.decode(column: "cover_image", as: String.self),
                        coverAlt: try row.decode(column: "cover_alt", as: String.self),
                        priceMinor: try row.decode(column: "price_minor", as: Int64.self),
                        currency: try row.decode(column: "currency", as: String.self),
                        vatPercent: try row.decode(column: "vat_percent", as: Int.self),
                        state: ProductState(rawValue: try row.decode(column: "state", as: String.self)) ?? .draft,
                        publishAt: date(try row.decode(column: "publish_at", as: Int64?.self)),
                        releaseAt: date(try row.decode(column: "release_at", as: Int64?.self)),
                        stock: try row.decode(column: "stock", as: Int.self),
                        oversell: try row.decode(column: "oversell", as: Int.self) != 0,
                        perOrderLimit: try row.decode(column: "per_order_limit", as: Int.self),
                        shipping: try decode([ShippingOption].self, try row.decode(column: "shipping_json", as: String.self)),
                        donation: partner.isEmpty ? nil : Donation(
                            partner: partner, link: try row.decode(column: "partner_url", as: String.self),
                            donated: try row.decode(column: "donate_per", as: Int.self),
                            sold: try row.decode(column: "sold_per", as: Int.self),
                            cap: try row.decode(column: "donate_cap", as: Int?.self)))
        p.stockAdded = try row.decode(column: "stock_added", as: Int.self)
        p.paidCopies = try row.decode(column: "paid_copies", as: Int.self)
        p.createdAt = date(try row.decode(column: "created_at", as: Int64.self))!
        p.updatedAt = date(try row.decode(column: "updated_at", as: Int64.self))!
        return p
    }

    func product(_ db: any SQLDatabase, id: String) async throws -> Product? {
        try await db.select().columns(Self.productColumns.map { SQLIdentifier($0) }).from("shop_products")
            .where("id", .equal, SQLBind(id)).first().map(Self.product)
    }

    func product(_ db: any SQLDatabase, slug: String) async throws -> Product? {
        try await db.select().columns(Self.productColumns.map { SQLIdentifier($0) }).from("shop_products")
            .where("slug", .equal, SQLBind(slug)).first().map(Self.product)
    }

    func products(_ db: any SQLDatabase, ids: [String]) async throws -> [String: Product] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await db.select().columns(Self.productColumns.map { SQLIdentifier($0) }).from("shop_products")
            .where("id", .in, SQLBind.group(ids)).all()
        return try Dictionary(rows.map(Self.product).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Every product, newest first (the admin's list); `published` only for the shop.
    func products(_ db: any SQLDatabase, publishedOnly: Bool) async throws -> [Product] {
        var q = db.select().columns(Self.productColumns.map { SQLIdentifier($0) }).from("shop_products")
        if publishedOnly { q = q.where("state", .equal, SQLBind(ProductState.published.rawValue)) }
        return try await q.orderBy("created_at", .descending).orderBy("id").all().map(Self.product)
    }

    /// Takes `n` copies from free stock unless fewer are left (or, for a pre-order that may exceed its stock,
    /// whatever is left). One statement: the database's row lock orders concurrent checkouts.
    func reserve(_ db: any SQLDatabase, productID: String, _ n: Int, mayOversell: Bool) async throws -> Bool {
        let rows = try await db.raw("""
            UPDATE shop_products SET stock = stock - \(bind: n)
            WHERE id = \(bind: productID) AND (stock >= \(bind: n) OR \(bind: mayOversell ? 1 : 0) = 1) RETURNING id
            """).all()
        return !rows.isEmpty
    }

    /// Moves free stock and paid copies by the engine's deltas.
    func move(_ db: any SQLDatabase, productID: String, stock: Int, paid: Int) async throws {
        guard stock != 0 || paid != 0 else { return }
        try await db.raw("""
            UPDATE shop_products SET stock = stock + \(bind: stock), paid_copies = paid_copies + \(bind: paid)
            WHERE id = \(bind: productID)
            """).run()
    }

    // MARK: orders

    struct OrderRow: Sendable {
        var order: Order
        var number: Int64
        var userID: Int64?
        var email: String
        var buyerName: String
        var address: Address
        var shippingID: String
        var shippingLabel: String
        var provider: String
        var paymentRef: String
        var status: OrderStatus
    }

    /// A new pending order and its lines; returns its number.
    func insert(_ db: any SQLDatabase, _ row: OrderRow, at now: Date) async throws -> Int64 {
        let o = row.order
        let inserted = try await db.insert(into: "shop_orders")
            .columns("id", "user_id", "email", "buyer_name", "address_json", "shipping_id", "shipping_label", "provider",
                     "payment_ref", "status", "total_minor", "currency", "facts_json", "created_at", "expires_at", "updated_at")
            .values(SQLBind(o.id), SQLBind(row.userID), SQLBind(row.email), SQLBind(row.buyerName), SQLBind(try Self.json(row.address)),
                    SQLBind(row.shippingID), SQLBind(row.shippingLabel), SQLBind(row.provider), SQLBind(row.paymentRef),
                    SQLBind(o.status.rawValue), SQLBind(o.totalMinor), SQLBind(o.currency), SQLBind(try Self.json(o)),
                    SQLBind(Self.ms(o.createdAt)!), SQLBind(Self.ms(o.expiresAt)!), SQLBind(Self.ms(now)!))
            .returning("number").first(decodingColumn: "number", as: Int64.self)
        for line in o.lines {
            try await db.insert(into: "shop_order_lines")
                .columns("order_id", "product_id", "quantity", "unit_minor", "held_qty", "paid_qty")
                .values(SQLBind(o.id), SQLBind(line.productID), SQLBind(line.quantity), SQLBind(line.unitMinor),
                        SQLBind(o.held[line.productID] ?? 0), SQLBind(0))
                .run()
        }
        return inserted ?? 0
    }

    /// Saves the order's facts, its status and each line's held and paid copies.
    func save(_ db: any SQLDatabase, _ o: Order, at now: Date) async throws {
        try await db.update("shop_orders")
            .set("status", to: SQLBind(o.status.rawValue)).set("facts_json", to: SQLBind(try Self.json(o)))
            .set("paid_at", to: SQLBind(Self.ms(o.payment?.at))).set("updated_at", to: SQLBind(Self.ms(now)!))
            .where("id", .equal, SQLBind(o.id)).run()
        for product in o.quantities.keys {
            try await db.update("shop_order_lines")
                .set("held_qty", to: SQLBind(o.held[product] ?? 0)).set("paid_qty", to: SQLBind(o.paidCopies[product] ?? 0))
                .where("order_id", .equal, SQLBind(o.id)).where("product_id", .equal, SQLBind(product)).run()
        }
    }

    func setPaymentRef(_ db: any SQLDatabase, orderID: String, _ ref: String) async throws {
        try await db.update("shop_orders").set("payment_ref", to: SQLBind(ref)).where("id", .equal, SQLBind(orderID)).run()
    }

    static let orderColumns = ["number", "id", "user_id", "email", "buyer_name", "address_json", "shipping_id", "shipping_label",
                               "provider", "payment_ref", "status", "facts_json"]

    static func orderRow(_ row: any SQLRow) throws -> OrderRow {
        OrderRow(order: try decode(Order.self, try row.decode(column: "facts_json", as: String.self)),
                 number: try row.decode(column: "number", as: Int64.self),
                 userID: try row.decode(column: "user_id", as: Int64?.self),
                 email: try row.decode(column: "email", as: String.self),
                 buyerName: try row.decode(column: "buyer_name", as: String.self),
                 address: try decode(Address.self, try row.decode(column: "address_json", as: String.self)),
                 shippingID: try row.decode(column: "shipping_id", as: String.self),
                 shippingLabel: try row.decode(column: "shipping_label", as: String.self),
                 provider: try row.decode(column: "provider", as: String.self),
                 paymentRef: try row.decode(column: "payment_ref", as: String.self),
                 status: OrderStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .pending)
    }

    /// The order, locked for the rest of the transaction on PostgreSQL (SQLite has one writer).
    func order(_ db: any SQLDatabase, id: String, lock: Bool = false) async throws -> OrderRow? {
        var q = db.select().columns(Self.orderColumns.map { SQLIdentifier($0) }).from("shop_orders").where("id", .equal, SQLBind(id))
        if lock { q = q.for(.update) }
        return try await q.first().map(Self.orderRow)
    }

    func orders(_ db: any SQLDatabase, userID: Int64, limit: Int = 50) async throws -> [OrderRow] {
        try await db.select().columns(Self.orderColumns.map { SQLIdentifier($0) }).from("shop_orders")
            .where("user_id", .equal, SQLBind(userID)).orderBy("number", .descending).limit(limit).all().map(Self.orderRow)
    }

    /// Pending orders past their hold, oldest first.
    func expired(_ db: any SQLDatabase, at now: Date, limit: Int = 200) async throws -> [String] {
        try await db.select().column("id").from("shop_orders")
            .where("status", .equal, SQLBind(OrderStatus.pending.rawValue)).where("expires_at", .lessThanOrEqual, SQLBind(Self.ms(now)!))
            .orderBy("expires_at").limit(limit).all().map { try $0.decode(column: "id", as: String.self) }
    }

    // MARK: ledger

    /// Appends an event; false when its id is already there (a duplicate: nothing more to do).
    func record(_ db: any SQLDatabase, _ event: OrderEvent, provider: String, raw: String?, at now: Date) async throws -> Bool {
        let amount: Int64? = switch event.kind {
        case let .paid(a): a
        case let .refundReported(t): t
        case let .copiesRefunded(_, a): a
        default: nil
        }
        let rows = try await db.insert(into: "shop_ledger")
            .columns("event_id", "order_id", "provider", "kind", "amount_minor", "occurred_at", "recorded_at", "event_json", "raw_payload")
            .values(SQLBind(event.id), SQLBind(event.orderID), SQLBind(provider), SQLBind(Self.kindName(event.kind)), SQLBind(amount),
                    SQLBind(Self.ms(event.at)!), SQLBind(Self.ms(now)!), SQLBind(try Self.json(event)), SQLBind(raw))
            .ignoringConflicts(with: ["event_id"]).returning("id").all()
        return !rows.isEmpty
    }

    /// Names in the site's image store (its `images` table), newest first: what a product's cover may be.
    func recentImages(_ db: any SQLDatabase, limit: Int) async throws -> [String] {
        try await db.select().column("name").from("images").orderBy("created_at", .descending).orderBy("name")
            .limit(limit).all().map { try $0.decode(column: "name", as: String.self) }
    }

    func imageExists(_ db: any SQLDatabase, name: String) async throws -> Bool {
        try await db.select().column("name").from("images").where("name", .equal, SQLBind(name)).limit(1).first() != nil
    }

    func hasEvent(_ db: any SQLDatabase, id: String) async throws -> Bool {
        try await db.select().column("id").from("shop_ledger").where("event_id", .equal, SQLBind(id)).limit(1).first() != nil
    }

    func settle(_ db: any SQLDatabase, eventID: String, outcome: String, note: String) async throws {
        try await db.update("shop_ledger").set("outcome", to: SQLBind(outcome)).set("note", to: SQLBind(String(note.prefix(500))))
            .where("event_id", .equal, SQLBind(eventID)).run()
    }

    static func kindName(_ kind: OrderEvent.Kind) -> String {
        switch kind {
        case .paid: "paid"
        case .refundReported: "refund_reported"
        case .copiesRefunded: "copies_refunded"
        case .shipped: "shipped"
        case .cancelled: "cancelled"
        case .expired: "expired"
        }
    }

    /// Claims an email for an order; false when it was already sent.
    func claimMail(_ db: any SQLDatabase, orderID: String, kind: String, at now: Date) async throws -> Bool {
        !(try await db.insert(into: "shop_order_mail").columns("order_id", "kind", "sent_at")
            .values(SQLBind(orderID), SQLBind(kind), SQLBind(Self.ms(now)!))
            .ignoringConflicts(with: ["order_id", "kind"]).returning("order_id").all()).isEmpty
    }

    // MARK: the checking query

    /// For each product: free stock, copies ever added, copies held by orders, paid copies counted, and the paid
    /// unrefunded copies summed from the order lines. `stock + held = added` and `paid = linesPaid` must hold.
    struct Check: Sendable, Hashable {
        var stock: Int, added: Int, held: Int, paid: Int, linesPaid: Int
    }

    func check(_ db: any SQLDatabase, productID: String) async throws -> Check? {
        try await db.raw("""
            SELECT p.stock AS stock, p.stock_added AS added, p.paid_copies AS paid,
                   CAST(COALESCE((SELECT SUM(l.held_qty) FROM shop_order_lines l WHERE l.product_id = p.id), 0) AS BIGINT) AS held,
                   CAST(COALESCE((SELECT SUM(l.paid_qty) FROM shop_order_lines l WHERE l.product_id = p.id), 0) AS BIGINT) AS lines_paid
            FROM shop_products p WHERE p.id = \(bind: productID)
            """).first().map {
            Check(stock: try $0.decode(column: "stock", as: Int.self), added: try $0.decode(column: "added", as: Int.self),
                  held: try $0.decode(column: "held", as: Int.self), paid: try $0.decode(column: "paid", as: Int.self),
                  linesPaid: try $0.decode(column: "lines_paid", as: Int.self))
        }
    }
}

// MARK: the admin's queries

extension ShopStore {
    /// Orders newest first, by status and a search over number, email and name (`%` and `_` taken literally).
    /// Orders newest first (by number), those numbered below `before` when given: keyset paging, so a page
    /// costs the same however deep it is and an order placed meanwhile does not shift the next page.
    func orders(_ db: any SQLDatabase, status: OrderStatus?, query: String, before: Int64? = nil, limit: Int) async throws -> [OrderRow] {
        var q = db.select().columns(Self.orderColumns.map { SQLIdentifier($0) }).from("shop_orders")
        if let status { q = q.where("status", .equal, SQLBind(status.rawValue)) }
        if let before { q = q.where("number", .lessThan, SQLBind(before)) }
        let term = String(query.trimmingCharacters(in: .whitespaces).prefix(100))
        if !term.isEmpty {
            let digits = term.uppercased().hasPrefix("Q-") ? String(term.dropFirst(2)) : term
            var escaped = ""
            for c in term.lowercased() {
                if c == "\\" || c == "%" || c == "_" { escaped.append("\\") }
                escaped.append(c)
            }
            let like = ShopLike(pattern: "%" + escaped + "%")
            q = q.where { group in
                var g = group.where(SQLFunction("LOWER", args: SQLIdentifier("email")), .like, like)
                    .orWhere(SQLFunction("LOWER", args: SQLIdentifier("buyer_name")), .like, like)
                    .orWhere("id", .equal, SQLBind(term))
                if let n = Int64(digits) { g = g.orWhere("number", .equal, SQLBind(n)) }
                return g
            }
        }
        return try await q.orderBy("number", .descending).limit(limit).all().map(Self.orderRow)
    }

    /// Orders whose copies count for each status, for the filters.
    func orderCounts(_ db: any SQLDatabase) async throws -> [String: Int] {
        let rows = try await db.raw("SELECT status, CAST(COUNT(*) AS BIGINT) AS n FROM shop_orders GROUP BY status").all()
        return try Dictionary(uniqueKeysWithValues: rows.map { (try $0.decode(column: "status", as: String.self), try $0.decode(column: "n", as: Int.self)) })
    }

    /// Paid, unrefunded copies per product of orders paid before `end` (and, with `start`, not before it).
    func paidCopies(_ db: any SQLDatabase, before end: Date) async throws -> [String: Int] {
        let rows = try await db.raw("""
            SELECT l.product_id AS product, CAST(COALESCE(SUM(l.paid_qty), 0) AS BIGINT) AS n
            FROM shop_order_lines l JOIN shop_orders o ON o.id = l.order_id
            WHERE o.paid_at IS NOT NULL AND o.paid_at < \(bind: Self.ms(end)!)
            GROUP BY l.product_id
            """).all()
        return try Dictionary(uniqueKeysWithValues: rows.map { (try $0.decode(column: "product", as: String.self), try $0.decode(column: "n", as: Int.self)) })
    }
}

/// A bound LIKE pattern with `\` as its escape character (the same on SQLite and PostgreSQL).
struct ShopLike: SQLExpression {
    let pattern: String
    func serialize(to serializer: inout SQLSerializer) {
        serializer.write(bind: pattern)
        serializer.write(" ESCAPE '\\'")
    }
}
