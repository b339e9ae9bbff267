import Foundation

/// application/x-www-form-urlencoded, both ways, keeping order (PayFast signs in order; Stripe's bracketed keys
/// are plain keys here: "line_items[0][price_data][currency]").
public enum FormEncoding {
    /// RFC 3986 unreserved characters stay; everything else is %XX with upper-case hex; spaces become "+"
    /// (the HTML form encoding, which is also what PHP's urlencode, and so PayFast's signature, produces).
    public static func escape(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 8)
        escape(s, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    static func escape(_ s: String, into out: inout [UInt8]) {
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                out.append(b)
            case UInt8(ascii: " "):
                out.append(UInt8(ascii: "+"))
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(b >> 4)])
                out.append(hexDigits[Int(b & 0x0f)])
            }
        }
    }

    /// The value without leading and trailing ASCII whitespace (what PHP's trim removes, less NUL and \v).
    static func trimmed(_ s: String) -> String {
        let u = s.utf8
        func space(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        guard let first = u.firstIndex(where: { !space($0) }) else { return "" }
        let last = u.lastIndex(where: { !space($0) })!
        if first == u.startIndex, last == u.index(before: u.endIndex) { return s }
        return String(s[first...last])
    }

    /// "a=1&b=x+y": each name and value escaped, pairs in order.
    static func pairs(_ fields: some Sequence<FormField>, trimming: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        var first = true
        for f in fields {
            if !first { out.append(UInt8(ascii: "&")) }
            first = false
            escape(f.name, into: &out)
            out.append(UInt8(ascii: "="))
            escape(trimming ? trimmed(f.value) : f.value, into: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func encode(_ fields: [FormField]) -> String {
        pairs(fields, trimming: false)
    }

    /// Decodes a body into fields in the order they came; nil if a %-escape or the UTF-8 is broken.
    public static func decode(_ body: some Collection<UInt8>) -> [FormField]? {
        var fields: [FormField] = []
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = unescape(parts[0]) else { return nil }
            let value = parts.count > 1 ? unescape(parts[1]) : ""
            guard let value else { return nil }
            fields.append(FormField(name, value))
        }
        return fields
    }

    static func unescape(_ bytes: some Collection<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        func hexValue(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        while i != bytes.endIndex {
            let c = bytes[i]
            if c == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if c == UInt8(ascii: "%") {
                let h = bytes.index(after: i)
                guard h != bytes.endIndex else { return nil }
                let l = bytes.index(after: h)
                guard l != bytes.endIndex, let hi = hexValue(bytes[h]), let lo = hexValue(bytes[l]) else { return nil }
                out.append(hi << 4 | lo)
                i = l
            } else {
                out.append(c)
            }
            i = bytes.index(after: i)
        }
        return String(validating: out, as: UTF8.self)
    }
}
