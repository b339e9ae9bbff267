import Foundation

/// How often a membership is charged.
public enum Interval: String, Sendable, Hashable, Codable, CaseIterable {
    case month, year

    /// The word readers see: "a month", "a year".
    public var perWord: String { self == .month ? "a month" : "a year" }
}

/// What a member pays: an amount each interval.
public struct Pledge: Sendable, Hashable, Codable {
    public var amount: Money
    public var interval: Interval

    public init(amount: Money, interval: Interval) {
        self.amount = amount
        self.interval = interval
    }

    /// The pledge's share of monthly recurring revenue in twelfths of a minor unit, so that yearly ÷ 12 stays
    /// exact: R150 a month adds 12 × 15,000; R1,800 a year adds 180,000 (the same R150 a month).
    public var monthlyTwelfths: Int64 {
        interval == .month ? amount.minor * 12 : amount.minor
    }
}

/// A site's membership offer: one currency, a minimum and a default per interval, suggested amounts.
/// Readers choose any whole amount at or above the minimum; there are no tiers.
public struct Plan: Sendable, Hashable, Codable {
    public struct Terms: Sendable, Hashable, Codable {
        public var minimum: Money
        public var suggested: Money
        /// Buttons shown beside the slider (and instead of it without JavaScript).
        public var suggestions: [Money]

        public init(minimum: Money, suggested: Money, suggestions: [Money]) {
            self.minimum = minimum
            self.suggested = suggested
            self.suggestions = suggestions
        }
    }

    public var currency: Currency
    public var monthly: Terms
    public var yearly: Terms
    /// The smallest one-off contribution.
    public var oneOffMinimum: Money
    /// A sanity bound per payment: a typo ("15000" for "150") is refused with a clear message.
    public var maximum: Money
    /// Whether amounts may have cents. Pay-what-you-want offers whole amounts only by default.
    public var allowsMinorUnits: Bool

    public init(currency: Currency, monthly: Terms, yearly: Terms, oneOffMinimum: Money, maximum: Money,
                allowsMinorUnits: Bool = false) {
        self.currency = currency
        self.monthly = monthly
        self.yearly = yearly
        self.oneOffMinimum = oneOffMinimum
        self.maximum = maximum
        self.allowsMinorUnits = allowsMinorUnits
    }

    /// Daily Maverick's published model: minimum R75 and default R150 a month (R900 / R1,800 a year).
    public static let southAfricanDefault = Plan(
        currency: .zar,
        monthly: Terms(minimum: Money(units: 75, .zar), suggested: Money(units: 150, .zar),
                       suggestions: [75, 150, 200, 300].map { Money(units: $0, .zar) }),
        yearly: Terms(minimum: Money(units: 900, .zar), suggested: Money(units: 1800, .zar),
                      suggestions: [900, 1800, 2400, 3600].map { Money(units: $0, .zar) }),
        oneOffMinimum: Money(units: 50, .zar),
        maximum: Money(units: 100_000, .zar)
    )

    public func terms(_ interval: Interval) -> Terms { interval == .month ? monthly : yearly }

    /// The floor for a choice: the interval's minimum, or the one-off minimum when `interval` is nil.
    public func minimum(for interval: Interval?) -> Money {
        interval.map { terms($0).minimum } ?? oneOffMinimum
    }

    /// Reads what a reader typed or picked ("150", "R 200", "1 800") and checks it against the plan.
    /// `interval` nil means a one-off contribution.
    public func validate(amount text: String, interval: Interval?) -> Result<Money, AmountError> {
        var t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        for drop in [currency.symbol.trimmingCharacters(in: .whitespaces), currency.code] where !drop.isEmpty {
            if t.uppercased().hasPrefix(drop.uppercased()) { t = String(t.dropFirst(drop.count)) }
        }
        // Spaces (also no-break and thin ones) group thousands in South Africa; commas do in many places.
        t = String(t.filter { !$0.isWhitespace && $0 != "\u{00A0}" && $0 != "\u{202F}" })
        guard !t.isEmpty else { return .failure(.empty) }
        var negative = false
        if t.first == "-" || t.first == "−" { negative = true; t.removeFirst() }
        if t.contains(","), !t.contains(".") {
            // "1,800" groups thousands; "150,50" is a decimal comma.
            let afterComma = t.split(separator: ",", omittingEmptySubsequences: false).last ?? ""
            t = afterComma.count == 3 ? t.replacingOccurrences(of: ",", with: "") : t.replacingOccurrences(of: ",", with: ".")
        } else {
            t = t.replacingOccurrences(of: ",", with: "")
        }
        let parts = t.split(separator: ".", omittingEmptySubsequences: false)
        guard !t.isEmpty, parts.count <= 2, parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              !(parts.first ?? "").isEmpty || parts.count == 2 else {
            return .failure(.notANumber(text))
        }
        if negative { return .failure(.negative) }
        let whole = parts[0].isEmpty ? "0" : String(parts[0])
        let fraction = parts.count == 2 ? String(parts[1]) : ""
        if fraction.count > currency.minorDigits || (!allowsMinorUnits && fraction.contains(where: { $0 != "0" })) {
            return .failure(.decimalsNotAllowed(currency: currency, allowsMinorUnits: allowsMinorUnits))
        }
        // Compare digit counts before converting so a 40-digit number is "too high", not a crash.
        let significant = whole.drop { $0 == "0" }
        guard significant.count <= 12, let units = Int64(significant.isEmpty ? "0" : String(significant)) else {
            return .failure(.aboveMaximum(maximum))
        }
        var padded = fraction
        while padded.count < currency.minorDigits { padded += "0" }
        let money = Money(minor: units * currency.minorPerUnit + (Int64(padded.isEmpty ? "0" : padded) ?? 0),
                          currency: currency)
        let floor = minimum(for: interval)
        if money.minor == 0 { return .failure(.belowMinimum(floor, interval: interval)) }
        if money < floor { return .failure(.belowMinimum(floor, interval: interval)) }
        if money > maximum { return .failure(.aboveMaximum(maximum)) }
        return .success(money)
    }
}

/// Why an amount was refused, in words a reader can act on.
public enum AmountError: Error, Sendable, Hashable, CustomStringConvertible {
    case empty
    case notANumber(String)
    case negative
    case decimalsNotAllowed(currency: Currency, allowsMinorUnits: Bool)
    case belowMinimum(Money, interval: Interval?)
    case aboveMaximum(Money)

    public var description: String {
        switch self {
        case .empty:
            return "Choose an amount."
        case .notANumber:
            return "The amount must be a number, like 150."
        case .negative:
            return "The amount cannot be negative."
        case let .decimalsNotAllowed(currency, allowsMinorUnits):
            return allowsMinorUnits
                ? "Use at most \(currency.minorDigits) digits after the decimal point."
                : "Choose a whole amount, without cents."
        case let .belowMinimum(minimum, interval):
            let per = interval.map { " " + $0.perWord } ?? ""
            return "The minimum is \(minimum.formatted(dropZeroCents: true))\(per)."
        case let .aboveMaximum(maximum):
            return "The most we accept in one payment is \(maximum.formatted(dropZeroCents: true)); write to us for larger gifts."
        }
    }

    /// A stable code for the API and logs.
    public var code: String {
        switch self {
        case .empty: "amount_missing"
        case .notANumber: "amount_not_a_number"
        case .negative: "amount_negative"
        case .decimalsNotAllowed: "amount_decimals"
        case .belowMinimum: "amount_below_minimum"
        case .aboveMaximum: "amount_above_maximum"
        }
    }
}
