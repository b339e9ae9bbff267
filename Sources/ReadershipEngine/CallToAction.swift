/// The call to action's numbers and words: members as a share of the readers of the last 30 days, in the
/// publisher's wording. Pure: the service gives it the two counts and the texts.
public struct ReaderShare: Sendable, Equatable {
    public var members: Int
    public var readers: Int

    public init(members: Int, readers: Int) {
        self.members = max(0, members)
        self.readers = max(0, readers)
    }

    /// The share in tenths of a percent, rounded half up, exact integer arithmetic; at most 1000.
    public var tenths: Int {
        guard readers > 0 else { return 0 }
        let members = min(self.members, readers)
        return (members * 1000 + readers / 2) / readers
    }

    /// "0.3%", "12.5%", "100%". Never "0.0%": some members but fewer than 0.05% reads "under 0.1%"; never
    /// "100.0%" while someone is not a member ("over 99.9%").
    public var shareText: String {
        let members = min(self.members, readers)
        if members == 0 { return "0%" }
        if members == readers { return "100%" }
        let tenths = self.tenths
        if tenths == 0 { return "under 0.1%" }
        if tenths == 1000 { return "over 99.9%" }
        return Self.percent(tenths)
    }

    /// The rest of the readers, so that the two always add up to 100% ("99.7%" beside "0.3%").
    public var complementText: String {
        let members = min(self.members, readers)
        if members == 0 { return "100%" }
        if members == readers { return "0%" }
        let tenths = self.tenths
        if tenths == 0 { return "over 99.9%" }
        if tenths == 1000 { return "under 0.1%" }
        return Self.percent(1000 - tenths)
    }

    static func percent(_ tenths: Int) -> String {
        tenths % 10 == 0 ? "\(tenths / 10)%" : "\(tenths / 10).\(tenths % 10)%"
    }

    /// Whole numbers with thousands separators: "12,408".
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (offset, character) in digits.enumerated() {
            if offset > 0, (digits.count - offset) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return value < 0 ? "-" + out : out
    }
}

/// The publisher's wording with its placeholders filled in.
///
/// Placeholders: `{share}` (members as a share of readers, "0.3%"), `{complement}` ("99.7%"), `{members}` and
/// `{readers}` (whole numbers, "1,204"). Until the site has `minimumReaders` readers in the period, the fallback
/// wording is used as it is (it may use `{members}` and `{readers}` too, but needs no number to be true).
public struct CallToActionWording: Sendable, Equatable {
    public var text: String
    public var fallback: String
    public var minimumReaders: Int

    public init(text: String, fallback: String, minimumReaders: Int = 500) {
        self.text = text
        self.fallback = fallback
        self.minimumReaders = minimumReaders
    }

    public static let placeholders = ["{share}", "{complement}", "{members}", "{readers}"]

    public func render(_ share: ReaderShare) -> String {
        let template = share.readers >= max(1, minimumReaders) ? text : fallback
        return Self.fill(template, share)
    }

    public static func fill(_ template: String, _ share: ReaderShare) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                rest = rest[open...]
                break
            }
            let name = rest[rest.index(after: open)..<close]
            switch name {
            case "share": out += share.shareText
            case "complement": out += share.complementText
            case "members": out += ReaderShare.grouped(share.members)
            case "readers": out += ReaderShare.grouped(share.readers)
            default: out += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return out
    }
}
