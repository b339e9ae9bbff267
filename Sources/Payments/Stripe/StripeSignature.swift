import Crypto
import Foundation

/// Stripe's webhook signature: `Stripe-Signature: t=<unix time>,v1=<hex>[,v1=<hex>…]`, where each v1 is
/// HMAC-SHA256, keyed with the endpoint's signing secret, of "<t>.<raw body>". Other schemes (v0) are ignored.
public enum StripeSignature {
    public struct Header: Sendable, Hashable {
        public var timestamp: Int64
        public var signatures: [[UInt8]]
    }

    public static func parse(_ header: String) -> Header? {
        var timestamp: Int64?
        var signatures: [[UInt8]] = []
        for item in header.split(separator: ",") {
            let kv = item.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { continue }
            let key = kv[0].trimmingCharacters(in: .whitespaces)
            let value = kv[1].trimmingCharacters(in: .whitespaces)
            if key == "t" { timestamp = Int64(value) }
            if key == "v1", let bytes = unhex(value) { signatures.append(bytes) }
        }
        guard let timestamp else { return nil }
        return Header(timestamp: timestamp, signatures: signatures)
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
        guard let header, !header.isEmpty else { throw PaymentError.signatureMissing }
        guard let parsed = parse(header) else { throw PaymentError.signatureMalformed }
        guard !parsed.signatures.isEmpty else { throw PaymentError.signatureMissing }
        var matched = false
        for secret in secrets where !secret.isEmpty {
            let expected = sign(body: body, timestamp: parsed.timestamp, secret: secret)
            // Check every candidate so the time taken does not say which one matched.
            for candidate in parsed.signatures where constantTimeEqual(expected, candidate) { matched = true }
        }
        guard matched else { throw PaymentError.signatureMismatch }
        let age = now.timeIntervalSince1970 - TimeInterval(parsed.timestamp)
        guard abs(age) <= tolerance else { throw PaymentError.signatureStale(ageSeconds: Int(age)) }
    }

    static func unhex(_ s: String) -> [UInt8]? {
        let u = Array(s.utf8)
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
