import Crypto

import Foundation

/// Random tokens, their hashes and constant-time comparison: how Quorum keeps secrets it must recognise
/// (session ids, sign-in links and codes, API tokens) without storing them.
public enum Secrets {
    /// A URL-safe random token of `bytes` random bytes (256 bits by default).
    public static func token(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let raw = (0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(raw).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A uniformly random decimal code, e.g. 6 digits for sign-in.
    public static func digits(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
    }

    /// SHA-256 as lower-case hex: what is stored in place of a high-entropy token.
    public static func hash(_ value: String) -> String {
        hex(SHA256.hash(data: Data(value.utf8)))
    }

    /// HMAC-SHA-256 keyed by the site secret: for low-entropy values (6-digit codes, IP addresses) whose plain
    /// hash could be reversed by trying every value.
    public static func keyedHash(_ value: String, key: String) -> String {
        hex(HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: SymmetricKey(data: Data(key.utf8))))
    }

    /// Compares without stopping at the first difference, so timing does not reveal how much matched.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        bytes.map { byte in byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16) }.joined()
    }
}
