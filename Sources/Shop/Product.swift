import Foundation
import QuorumStore
import ShopEngine

/// A product as stored: the engine's terms plus what pages show.
public struct Product: Sendable, Hashable {
    public var id: String
    public var slug: String
    public var title: String
    public var summary: String
    public var descriptionMarkdown: String
    /// A name in the image store (`/images/NAME`), or empty.
    public var coverImage: String
    public var coverAlt: String
    public var priceMinor: Int64
    public var currency: String
    public var vatPercent: Int
    public var state: ProductState
    public var publishAt: Date?
    public var releaseAt: Date?
    public var stock: Int
    public var stockAdded: Int
    public var oversell: Bool
    public var perOrderLimit: Int
    public var shipping: [ShippingOption]
    /// Nil when the product gives nothing away.
    public var donation: Donation?
    public var paidCopies: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String = "prd_" + Secrets.token(bytes: 9), slug: String, title: String, summary: String = "",
                descriptionMarkdown: String = "", coverImage: String = "", coverAlt: String = "", priceMinor: Int64,
                currency: String = "ZAR", vatPercent: Int = 15, state: ProductState = .draft, publishAt: Date? = nil,
                releaseAt: Date? = nil, stock: Int, oversell: Bool = false, perOrderLimit: Int = 10,
                shipping: [ShippingOption] = Product.defaultShipping, donation: Donation? = nil, now: Date = Date()) {
        self.id = id
        self.slug = slug
        self.title = title
        self.summary = summary
        self.descriptionMarkdown = descriptionMarkdown
        self.coverImage = coverImage
        self.coverAlt = coverAlt
        self.priceMinor = priceMinor
        self.currency = currency
        self.vatPercent = vatPercent
        self.state = state
        self.publishAt = publishAt
        self.releaseAt = releaseAt
        self.stock = stock
        self.stockAdded = stock
        self.oversell = oversell
        self.perOrderLimit = perOrderLimit
        self.shipping = shipping
        self.donation = donation
        self.paidCopies = 0
        self.createdAt = now
        self.updatedAt = now
    }

    /// Collection, or a courier's flat rate in South Africa.
    public static let defaultShipping = [
        ShippingOption(id: "collect", label: "Collect from the newsroom", minor: 0, countries: []),
        ShippingOption(id: "courier-za", label: "Courier in South Africa", minor: 6_000, countries: ["ZA"]),
        ShippingOption(id: "courier-intl", label: "International courier", minor: 35_000,
                       countries: AddressRules.countries.keys.filter { $0 != "ZA" }.sorted()),
    ]

    public var terms: ProductTerms {
        ProductTerms(id: id, title: title, priceMinor: priceMinor, currency: currency, state: state, releaseAt: releaseAt,
                     stock: stock, oversellPreOrders: oversell, perOrderLimit: perOrderLimit, publishAt: publishAt)
    }

    public var donated: Int { donation?.count(paidCopies: paidCopies) ?? 0 }
}
