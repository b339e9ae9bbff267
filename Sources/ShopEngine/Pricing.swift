import Foundation

/// Why a cart cannot be bought. Each case names what to fix.
public enum CartProblem: Error, Hashable, Sendable, CustomStringConvertible {
    case empty
    case unknownProduct(String)
    case notForSale(String)
    case badQuantity(String, Int)
    case overLimit(String, limit: Int)
    case notEnoughStock(String, left: Int)
    case mixedCurrencies
    case unknownShipping(String)
    case shippingNotToCountry(String)

    public var description: String {
        switch self {
        case .empty: "The cart is empty."
        case let .unknownProduct(id): "There is no product \(id)."
        case let .notForSale(title): "\(title) cannot be bought now."
        case let .badQuantity(title, n): "\(n) is not a quantity of \(title) that can be bought: choose at least 1."
        case let .overLimit(title, limit): "At most \(limit) copies of \(title) per order."
        case let .notEnoughStock(title, left): left == 0 ? "\(title) is sold out." : "Only \(left) copies of \(title) are left."
        case .mixedCurrencies: "These products are priced in different currencies: buy them in separate orders."
        case let .unknownShipping(id): "There is no shipping option \(id)."
        case let .shippingNotToCountry(label): "\(label) does not deliver to that country."
        }
    }
}

/// A cart priced on the server: unit prices come from the catalog, never from the form.
public struct Quote: Hashable, Sendable {
    public var lines: [Line]
    public var shipping: ShippingOption?
    public var currency: String
    public var subtotalMinor: Int64 { lines.reduce(0) { $0 + $1.totalMinor } }
    public var shippingMinor: Int64 { shipping?.minor ?? 0 }
    public var totalMinor: Int64 { subtotalMinor + shippingMinor }

    public init(lines: [Line], shipping: ShippingOption?, currency: String) {
        self.lines = lines
        self.shipping = shipping
        self.currency = currency
    }

    /// The VAT inside a VAT-inclusive total at `ratePercent` (15 in South Africa), rounded half up to a minor unit.
    public func vatMinor(ratePercent: Int) -> Int64 {
        guard ratePercent > 0 else { return 0 }
        let numerator = totalMinor * Int64(ratePercent) * 2
        let denominator = Int64(100 + ratePercent) * 2
        return (numerator + denominator / 2) / denominator
    }
}

public enum Pricing {
    /// The most copies of anything in one cart line, whatever a product's own limit: a guard against overflow.
    public static let hardLimit = 1_000

    /// Prices `items` (product id → quantity, in the reader's order) against `catalog` at `now`.
    public static func quote(_ items: [(productID: String, quantity: Int)], catalog: [String: ProductTerms],
                             shipping: ShippingOption?, country: String? = nil, at now: Date) -> Result<Quote, CartProblem> {
        guard !items.isEmpty else { return .failure(.empty) }
        var lines: [Line] = []
        var currency: String?
        for item in items {
            guard let p = catalog[item.productID] else { return .failure(.unknownProduct(item.productID)) }
            guard item.quantity >= 1 else { return .failure(.badQuantity(p.title, item.quantity)) }
            let limit = min(max(1, p.perOrderLimit), hardLimit)
            let wanted = item.quantity + (lines.first { $0.productID == p.id }?.quantity ?? 0)
            guard wanted <= limit else { return .failure(.overLimit(p.title, limit: limit)) }
            let availability = p.availability(at: now)
            guard availability.canBuy else {
                return .failure(availability == .soldOut ? .notEnoughStock(p.title, left: 0) : .notForSale(p.title))
            }
            if !p.mayOversell(at: now), wanted > p.stock { return .failure(.notEnoughStock(p.title, left: max(0, p.stock))) }
            if let currency, currency != p.currency { return .failure(.mixedCurrencies) }
            currency = p.currency
            if let i = lines.firstIndex(where: { $0.productID == p.id }) {
                lines[i].quantity = wanted
            } else {
                lines.append(Line(productID: p.id, quantity: item.quantity, unitMinor: p.priceMinor))
            }
        }
        if let shipping, let country, !shipping.isCollection, !shipping.countries.contains(country) {
            return .failure(.shippingNotToCountry(shipping.label))
        }
        return .success(Quote(lines: lines, shipping: shipping, currency: currency ?? ""))
    }
}
