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

    /// "1 for every 1 sold", "1 for every 2 sold".
    public var ratioText: String { "\(donated) for every \(sold) sold" }
}
