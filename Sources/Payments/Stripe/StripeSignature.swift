import Crypto
import Foundation

/// Stripe's webhook signature: `Stripe-Signature: t=<unix time>,v1=<hex>[,v1=<hex>…]`, where each v1 is
/// HMAC-SHA256, keyed with the endpoint's signing secret, of "<t>.<raw body>". Other schemes (v0) are ignored.
public enum StripeSignature {
    public struct Header: Sendable, Hashable {
        public var timestamp: Int64
        public var signatures: [[UInt8]]
    }

    /// Reads `t=` and every `v1=` of the header; other schemes are skipped.
    public static func parse(_ header: String) -> Header? {
        var timestamp: Int64?
        var signatures: [[UInt8]] = []
        for item in header.utf8.split(separator: UInt8(ascii: ",")) {
            guard let eq = item.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let key = item[item.startIndex..<eq].filter { $0 != 0x20 }
            let value = item[item.index(after: eq)...].filter { $0 != 0x20 }
            if key == [UInt8(ascii: "t")] { timestamp = Int64(String(decoding: value, as: UTF8.self)) }
            if key == [UInt8(ascii: "v"), UInt8(ascii: "1")], let bytes = unhex(value) { signatures.append(bytes) }
        }
        guard let timestamp else { return nil }
        return Header(timestamp: timestamp, signatures: signatures)
    }

    /// Signing secrets with their HMAC key schedule done once (the webhook hot path reuses it per delivery).
    public struct Keys: Sendable {
        let macs: [HMAC<SHA256>]

        public init(_ secrets: [String]) {
            macs = secrets.filter { !$0.isEmpty }.map { HMAC<SHA256>(key: SymmetricKey(data: Array($0.utf8))) }
        }

        func signatures(body: [UInt8], timestamp: Int64) -> [[UInt8]] {
            let prefix = Array("\(timestamp).".utf8)
            return macs.map { prepared in
                var mac = prepared
                mac.update(data: prefix)
                mac.update(data: body)
                return Array(mac.finalize())
            }
        }
    }

    public static func sign(body: [UInt8], timestamp: Int64, secret: String) -> [UInt8] {
        var message = Array("\(timestamp).".utf8)
        message.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8)))
        return Array(mac)
    }

    /// The header value Stripe would send (for the demo provider and benchmarks).
    public static func header(body: [UInt8], timestamp: Int64, secret: String) -> String {
        "t=\(timestamp),v1=\(hex(sign(body: body, timestamp: timestamp, secret: secret)))"
    }

    /// Throws unless some v1 matches some secret and the timestamp is within `tolerance` of `now`.
    public static func verify(header: String?, body: [UInt8], secrets: [String], now: Date,
                              tolerance: TimeInterval) throws {
        try verify(header: header, body: body, keys: Keys(secrets), now: now, tolerance: tolerance)
    }

    public static func verify(header: String?, body: [UInt8], keys: Keys, now: Date, tolerance: TimeInterval) throws {
        guard let header, !header.isEmpty else { throw PaymentError.signatureMissing }
        guard let parsed = parse(header) else { throw PaymentError.signatureMalformed }
        guard !parsed.signatures.isEmpty else { throw PaymentError.signatureMissing }
        var matched = false
        // Every candidate is compared with every expected value, so the time taken does not say which matched.
        for expected in keys.signatures(body: body, timestamp: parsed.timestamp) {
            for candidate in parsed.signatures where constantTimeEqual(expected, candidate) { matched = true }
        }
        guard matched else { throw PaymentError.signatureMismatch }
        let age = now.timeIntervalSince1970 - TimeInterval(parsed.timestamp)
        guard abs(age) <= tolerance else { throw PaymentError.signatureStale(ageSeconds: Int(age)) }
    }

    static func unhex(_ u: [UInt8]) -> [UInt8]? {
        guard u.count % 2 == 0, u.count <= 256 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(u.count / 2)
        func v(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            case 65...70: c - 55
            default: nil
            }
        }
        var i = 0
        while i < u.count {
            guard let hi = v(u[i]), let lo = v(u[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
