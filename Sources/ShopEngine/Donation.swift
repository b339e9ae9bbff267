/// A product's donation partner: `donated` copies given for every `sold` copies paid and not refunded, up to
/// `cap` copies in all (nil: no cap).
public struct Donation: Codable, Hashable, Sendable {
    public var partner: String
    public var link: String
    public var donated: Int
    public var sold: Int
    public var cap: Int?

    public init(partner: String, link: String = "", donated: Int = 1, sold: Int = 1, cap: Int? = nil) {
        self.partner = partner
        self.link = link
        self.donated = max(0, donated)
        self.sold = max(1, sold)
        self.cap = cap.map { max(0, $0) }
    }

    /// Copies given away: floor(paid × donated ÷ sold), at most the cap. Exact integer arithmetic.
    public func count(paidCopies: Int) -> Int {
        let n = max(0, paidCopies) * donated / sold
        return cap.map { min($0, n) } ?? n
    }

    /// "a copy for every copy sold", "1 copy for every 2 sold", "2 copies for every copy sold".
    public var ratioText: String {
        let given = donated == 1 ? (sold == 1 ? "a copy" : "1 copy") : "\(donated) copies"
        return "\(given) for every \(sold == 1 ? "copy" : "\(sold) copies") sold"
    }
}
