import Foundation

/// A currency with the number of digits of its minor unit (ZAR and USD: 2, JPY: 0).
public struct Currency: Sendable, Hashable, Codable {
    /// ISO 4217 code, upper case ("ZAR").
    public var code: String
    public var minorDigits: Int
    /// What readers see in front of an amount ("R").
    public var symbol: String

    public init(code: String, minorDigits: Int = 2, symbol: String? = nil) {
        self.code = code.uppercased()
        self.minorDigits = minorDigits
        self.symbol = symbol ?? Currency.knownSymbols[code.uppercased()] ?? (code.uppercased() + " ")
    }

    public static let zar = Currency(code: "ZAR", minorDigits: 2, symbol: "R")
    public static let usd = Currency(code: "USD", minorDigits: 2, symbol: "$")

    static let knownSymbols = ["ZAR": "R", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"]

    /// 10^minorDigits: minor units in one whole unit.
    public var minorPerUnit: Int64 {
        var n: Int64 = 1
        for _ in 0..<minorDigits { n *= 10 }
        return n
    }
}

/// An exact amount of money in minor units (cents). Never a floating-point number.
public struct Money: Sendable, Hashable, Codable, Comparable {
    public var minor: Int64
    public var currency: Currency

    public init(minor: Int64, currency: Currency) {
        self.minor = minor
        self.currency = currency
    }

    /// Whole units: `Money(units: 150, .zar)` is R150.00.
    public init(units: Int64, _ currency: Currency) {
        self.init(minor: units * currency.minorPerUnit, currency: currency)
    }

    public static func < (a: Money, b: Money) -> Bool { a.minor < b.minor }

    /// "150.00" (no symbol): the form providers such as PayFast expect.
    public var decimalString: String { Money.decimal(minor, digits: currency.minorDigits) }

    /// "R150.00", or "R150" when the amount is whole and `dropZeroCents`.
    public func formatted(dropZeroCents: Bool = false) -> String {
        if dropZeroCents, minor % currency.minorPerUnit == 0 {
            return currency.symbol + String(minor / currency.minorPerUnit)
        }
        return currency.symbol + decimalString
    }

    static func decimal(_ minor: Int64, digits: Int) -> String {
        let sign = minor < 0 ? "-" : ""
        let magnitude = minor.magnitude
        guard digits > 0 else { return sign + String(magnitude) }
        var scale: UInt64 = 1
        for _ in 0..<digits { scale *= 10 }
        var fraction = String(magnitude % scale)
        while fraction.count < digits { fraction = "0" + fraction }
        return "\(sign)\(magnitude / scale).\(fraction)"
    }

    /// Reads a provider's decimal amount ("150.00", "150", "150.5") exactly; nil when it is not one.
    public static func parseDecimal(_ text: String, currency: Currency) -> Money? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { return nil }
        var negative = false
        var body = Substring(t)
        if body.first == "-" { negative = true; body = body.dropFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.count <= 15,
              whole.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.allSatisfy({ $0.isASCII && $0.isNumber }), fraction.count <= currency.minorDigits else {
            return nil
        }
        while fraction.count < currency.minorDigits { fraction += "0" }
        guard let w = Int64(whole), let f = Int64(fraction.isEmpty ? "0" : fraction) else { return nil }
        let minor = w * currency.minorPerUnit + f
        return Money(minor: negative ? -minor : minor, currency: currency)
    }
}
