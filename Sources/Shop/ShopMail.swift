import Foundation
import QuorumMail
import QuorumStore
import QuorumWeb
import ShopEngine
import SQLKit

/// The shop's emails, rendered from the theme (`email-shop-*.txt/html`) and queued in the outbox in the
/// transaction that changed the order, each once per order and kind: the confirmation with the order number and
/// receipt when it is paid, the dispatch email with tracking when it ships, and for pre-orders the release email
/// when the product comes out (``ShopService/sendReleaseEmails()``).
public struct ShopMail: Sendable {
    let pages: PageRenderer
    let settings: SettingsStore
    /// The site's address without a trailing slash, for the order's link.
    let base: String

    public init(site: Site) {
        self.pages = site.pages
        self.settings = site.settings
        let url = site.configuration.siteURL
        self.base = url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    /// The key order links are signed with (the site's secret key).
    func signingKey() async throws -> String { try await settings.secretKey() }

    /// The order status page's address: the order id and its signature, so no account is needed.
    static func statusLink(orderID: String, key: String) -> SiteURL {
        .shopOrder(orderID, token: token(orderID: orderID, key: key))
    }

    static func token(orderID: String, key: String) -> String {
        String(Secrets.keyedHash("shop-order:" + orderID, key: key).prefix(32))
    }

    static func validToken(_ token: String, orderID: String, key: String) -> Bool {
        Secrets.constantTimeEquals(token, Self.token(orderID: orderID, key: key))
    }

    /// The receipt's lines, totals and VAT, as the templates show them.
    static func receipt(_ o: Order, titles: [String: String], vatPercent: Int) -> [String: Any] {
        let quote = Quote(lines: o.lines, shipping: nil, currency: o.currency)
        let vat = Quote(lines: o.lines + [Line(productID: "", quantity: 1, unitMinor: o.shippingMinor)], shipping: nil,
                        currency: o.currency).vatMinor(ratePercent: vatPercent)
        return [
            "lines": o.lines.map { line in [
                "title": titles[line.productID] ?? line.productID, "quantity": line.quantity,
                "unit": Price.text(line.unitMinor, o.currency), "total": Price.text(line.totalMinor, o.currency),
            ] as [String: Any] },
            "subtotal": Price.text(quote.subtotalMinor, o.currency),
            "shipping": Price.text(o.shippingMinor, o.currency),
            "total": Price.text(o.totalMinor, o.currency),
            "vat": Price.text(vat, o.currency), "vatPercent": vatPercent,
        ]
    }

    func send(_ db: any SQLDatabase, _ name: String, row: ShopStore.OrderRow, order: Order, extra: [String: Any],
              key: String, at: Date) async throws {
        guard try await ShopStore().claimMail(db, orderID: order.id, kind: name, at: at) else { return }
        let products = try await ShopStore().products(db, ids: Array(order.quantities.keys))
        var model = Self.receipt(order, titles: products.mapValues(\.title), vatPercent: products.values.first?.vatPercent ?? 0)
        model["number"] = ShopText.number(row.number)
        model["name"] = row.buyerName
        model["link"] = Self.statusLink(orderID: order.id, key: key).absolute(base)
        model["preOrder"] = products.values.contains { ($0.releaseAt ?? .distantPast) > at }
        model["addressLines"] = row.address.lines
        model["shippingLabel"] = row.shippingLabel
        for (k, v) in extra { model[k] = v }
        try await Outbox.enqueue(try pages.email(name, kind: name, to: row.email, model), on: db, now: Timestamp(at))
    }

    func transition(_ db: any SQLDatabase, row: ShopStore.OrderRow, result: Engine.Result, event: OrderEvent, key: String,
                    at: Date) async throws {
        switch (result.to, event.kind) {
        case (.paid, .paid):
            try await send(db, "shop-confirmation", row: row, order: result.order, extra: [:], key: key, at: at)
        case let (_, .shipped(carrier, tracking)):
            try await send(db, "shop-dispatch", row: row, order: result.order,
                           extra: ["carrier": carrier, "tracking": tracking], key: key, at: at)
        default:
            break
        }
    }
}

/// Amounts as the shop shows them: "R 250.00" (VAT included).
public enum Price {
    public static func text(_ minor: Int64, _ currency: String) -> String {
        let symbol = ["ZAR": "R", "USD": "$", "EUR": "€", "GBP": "£"][currency.uppercased()] ?? currency.uppercased() + " "
        let sign = minor < 0 ? "-" : ""
        let m = abs(minor)
        let cents = m % 100
        return "\(sign)\(symbol)\(ShopText.grouped(m / 100)).\(cents < 10 ? "0" : "")\(cents)"
    }
}

enum ShopText {
    /// "1,243".
    static func grouped(_ n: Int64) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    static func grouped(_ n: Int) -> String { grouped(Int64(n)) }

    /// "Q-000042".
    static func number(_ n: Int64) -> String {
        let s = String(n)
        return "Q-" + String(repeating: "0", count: max(0, 6 - s.count)) + s
    }
}
