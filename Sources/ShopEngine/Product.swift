import Foundation

/// What an editor set: a draft is hidden, published follows the release date and stock, archived is hidden from
/// the shop and cannot be bought (its page stays for old links).
public enum ProductState: String, Codable, Sendable, CaseIterable {
    case draft, published, archived
}

/// What a reader sees of a product now.
public enum Availability: String, Codable, Sendable, Equatable {
    case draft
    /// Published, release date in the future: "Pre-order".
    case preOrder = "pre_order"
    case onSale = "on_sale"
    case soldOut = "sold_out"
    case archived

    public var canBuy: Bool { self == .preOrder || self == .onSale }
}

/// A courier's flat rate for a region (or collection, at no cost).
public struct ShippingOption: Codable, Hashable, Sendable {
    public var id: String
    public var label: String
    public var minor: Int64
    /// ISO country codes this option delivers to; empty for collection (no address needed).
    public var countries: [String]

    public init(id: String, label: String, minor: Int64, countries: [String]) {
        self.id = id
        self.label = label
        self.minor = minor
        self.countries = countries
    }

    public var isCollection: Bool { countries.isEmpty }

    /// The options a cart of these products can be sent with: those every product offers (by id), in the first
    /// product's order, each at the highest of the products' rates and to the countries all of them deliver to
    /// (one flat rate per order, never less than any product asks).
    public static func common(_ lists: [[ShippingOption]]) -> [ShippingOption] {
        guard var options = lists.first else { return [] }
        for list in lists.dropFirst() {
            options = options.compactMap { option in
                guard let other = list.first(where: { $0.id == option.id }), other.isCollection == option.isCollection else { return nil }
                var merged = option
                merged.minor = max(option.minor, other.minor)
                merged.countries = option.countries.filter { other.countries.contains($0) }
                return option.isCollection || !merged.countries.isEmpty ? merged : nil
            }
        }
        return options
    }
}

/// A product as pricing and availability need it.
public struct ProductTerms: Codable, Hashable, Sendable {
    public var id: String
    public var title: String
    public var priceMinor: Int64
    public var currency: String
    public var state: ProductState
    public var releaseAt: Date?
    /// Free copies (not held by any order).
    public var stock: Int
    /// Whether pre-orders may go beyond the copies in stock.
    public var oversellPreOrders: Bool
    /// Most copies in one order.
    public var perOrderLimit: Int
    /// Publication may be scheduled: a published product appears from this time.
    public var publishAt: Date?

    public init(id: String, title: String, priceMinor: Int64, currency: String, state: ProductState, releaseAt: Date?,
                stock: Int, oversellPreOrders: Bool = false, perOrderLimit: Int = 10, publishAt: Date? = nil) {
        self.id = id
        self.title = title
        self.priceMinor = priceMinor
        self.currency = currency
        self.state = state
        self.releaseAt = releaseAt
        self.stock = stock
        self.oversellPreOrders = oversellPreOrders
        self.perOrderLimit = perOrderLimit
        self.publishAt = publishAt
    }

    public func availability(at now: Date) -> Availability {
        switch state {
        case .draft: return .draft
        case .archived: return .archived
        case .published:
            if let publishAt, publishAt > now { return .draft }
            let preOrder = releaseAt.map { $0 > now } ?? false
            if preOrder { return stock > 0 || oversellPreOrders ? .preOrder : .soldOut }
            return stock > 0 ? .onSale : .soldOut
        }
    }

    /// Whether taking `n` copies from stock may go below zero (pre-orders that may exceed stock).
    public func mayOversell(at now: Date) -> Bool {
        oversellPreOrders && availability(at: now) == .preOrder
    }
}
