import Foundation

/// A postal address as the buyer typed it.
public struct Address: Codable, Hashable, Sendable {
    public var name: String
    public var line1: String
    public var line2: String
    public var city: String
    public var region: String
    public var postalCode: String
    /// ISO 3166-1 alpha-2.
    public var country: String

    public init(name: String, line1: String, line2: String = "", city: String, region: String = "", postalCode: String,
                country: String) {
        self.name = name
        self.line1 = line1
        self.line2 = line2
        self.city = city
        self.region = region
        self.postalCode = postalCode
        self.country = country
    }

    public var lines: [String] {
        [name, line1, line2, city, region, postalCode, AddressRules.countries[country] ?? country].filter { !$0.isEmpty }
    }
}

/// Each country's rules: which fields are required and the postal code's shape.
public enum AddressRules {
    /// The countries the checkout offers, code → name.
    public static let countries: [String: String] = [
        "ZA": "South Africa", "NA": "Namibia", "BW": "Botswana", "GB": "United Kingdom", "US": "United States",
        "DE": "Germany", "NL": "Netherlands", "AU": "Australia",
    ]

    /// Field name → the problem, empty when the address is good. `needsAddress` false (collection): only the name.
    public static func problems(_ a: Address, needsAddress: Bool) -> [String: String] {
        var out: [String: String] = [:]
        let name = a.name.trimmingCharacters(in: .whitespaces)
        if name.isEmpty { out["name"] = "Enter your name." } else if name.count > 200 { out["name"] = "The name is too long." }
        guard needsAddress else { return out }
        guard countries[a.country] != nil else {
            out["country"] = "Choose a country we deliver to."
            return out
        }
        if a.line1.trimmingCharacters(in: .whitespaces).isEmpty { out["line1"] = "Enter the street address." }
        if a.city.trimmingCharacters(in: .whitespaces).isEmpty { out["city"] = "Enter the town or city." }
        for (field, value) in [("line1", a.line1), ("line2", a.line2), ("city", a.city), ("region", a.region)]
        where value.count > 200 { out[field] = "That is too long." }
        let code = a.postalCode.trimmingCharacters(in: .whitespaces).uppercased()
        if let rule = postalCode[a.country] {
            if code.range(of: rule.pattern, options: .regularExpression) == nil { out["postalCode"] = rule.help }
        }
        if ["US", "AU"].contains(a.country), a.region.trimmingCharacters(in: .whitespaces).isEmpty {
            out["region"] = a.country == "US" ? "Enter the state." : "Enter the state or territory."
        }
        return out
    }

    static let postalCode: [String: (pattern: String, help: String)] = [
        "ZA": (#"^[0-9]{4}$"#, "A South African postal code has 4 digits."),
        "NA": (#"^([0-9]{5})?$"#, "A Namibian postal code has 5 digits, or leave it empty."),
        "BW": (#"^$"#, "Botswana has no postal codes: leave it empty."),
        "GB": (#"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$"#, "Enter a UK postcode such as SW1A 1AA."),
        "US": (#"^[0-9]{5}(-[0-9]{4})?$"#, "A ZIP code has 5 digits (or 5+4)."),
        "DE": (#"^[0-9]{5}$"#, "A German postal code has 5 digits."),
        "NL": (#"^[0-9]{4} ?[A-Z]{2}$"#, "A Dutch postal code looks like 1234 AB."),
        "AU": (#"^[0-9]{4}$"#, "An Australian postcode has 4 digits."),
    ]
}
