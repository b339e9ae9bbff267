import Foundation
import Hummingbird

/// The reader's cart, kept in a cookie (`quorum_cart`: `prd_a:2.prd_b:1`), so it needs no account and no
/// JavaScript. It holds product ids and quantities only: every price is looked up on the server at checkout.
struct Cart: Sendable, Equatable {
    static let cookie = "quorum_cart"
    static let maximumLines = 20

    var items: [(productID: String, quantity: Int)] = []

    static func == (a: Cart, b: Cart) -> Bool {
        a.items.map(\.productID) == b.items.map(\.productID) && a.items.map(\.quantity) == b.items.map(\.quantity)
    }

    /// Reads the cookie; anything malformed is left out (a cart is never an error).
    init(cookie value: String?) {
        guard let value else { return }
        for part in value.split(separator: ".").prefix(Self.maximumLines) {
            let pair = part.split(separator: ":")
            guard pair.count == 2, let n = Int(pair[1]), n > 0, n <= 1_000,
                  pair[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }), pair[0].count <= 64 else { continue }
            set(String(pair[0]), n)
        }
    }

    init() {}

    mutating func set(_ productID: String, _ quantity: Int) {
        items.removeAll { $0.productID == productID }
        if quantity > 0 { items.append((productID, quantity)) }
    }

    func quantity(of productID: String) -> Int { items.first { $0.productID == productID }?.quantity ?? 0 }

    var count: Int { items.reduce(0) { $0 + $1.quantity } }

    var value: String { items.map { "\($0.productID):\($0.quantity)" }.joined(separator: ".") }

    func cookie(secure: Bool) -> Cookie {
        Cookie(name: Self.cookie, value: value, maxAge: items.isEmpty ? 0 : 30 * 86_400, path: "/", secure: secure,
               httpOnly: true, sameSite: .lax)
    }
}

/// A quantity typed in a form: a whole number from 0 (remove) to `limit`, else what is wrong with it.
enum QuantityField {
    struct Problem: Error { var message: String }

    static func parse(_ text: String?, limit: Int, allowZero: Bool) -> Result<Int, Problem> {
        let t = (text ?? "").trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { return .failure(Problem(message: "Enter how many copies you want.")) }
        if t.wholeMatch(of: /-?[0-9]+/) != nil, t.count > 7 || Int(t) == nil {
            return .failure(Problem(message: t.hasPrefix("-") ? "Choose at least 1 copy." : "At most \(limit) copies per order."))
        }
        guard t.count <= 7, let n = Int(t) else { return .failure(Problem(message: "“\(t.prefix(20))” is not a number of copies: enter a whole number.")) }
        if n < (allowZero ? 0 : 1) { return .failure(Problem(message: "Choose at least 1 copy.")) }
        if n > limit { return .failure(Problem(message: "At most \(limit) copies per order.")) }
        return .success(n)
    }
}
