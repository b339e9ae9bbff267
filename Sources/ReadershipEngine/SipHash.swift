/// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit hash for short inputs, as Plausible hashes its
/// visitors. Keyed with the period's salt, it cannot be recomputed (or tested against a guessed address) by anyone
/// who does not hold the salt, and it costs a fraction of SHA-256 on the ~150 bytes of a reader.
public struct SipHash24 {
    private var v0: UInt64, v1: UInt64, v2: UInt64, v3: UInt64
    private var tail: UInt64 = 0
    private var tailCount = 0
    private var length = 0

    /// `key`: 16 bytes (little-endian k0, k1); shorter keys are padded with zeros.
    public init(key: [UInt8]) {
        func word(_ offset: Int) -> UInt64 {
            var value: UInt64 = 0
            for index in 0..<8 where offset + index < key.count { value |= UInt64(key[offset + index]) << (8 * UInt64(index)) }
            return value
        }
        let k0 = word(0), k1 = word(8)
        v0 = 0x736f_6d65_7073_6575 ^ k0
        v1 = 0x646f_7261_6e64_6f6d ^ k1
        v2 = 0x6c79_6765_6e65_7261 ^ k0
        v3 = 0x7465_6462_7974_6573 ^ k1
    }

    @inline(__always)
    private mutating func round() {
        v0 &+= v1; v1 = (v1 << 13) | (v1 >> 51); v1 ^= v0; v0 = (v0 << 32) | (v0 >> 32)
        v2 &+= v3; v3 = (v3 << 16) | (v3 >> 48); v3 ^= v2
        v0 &+= v3; v3 = (v3 << 21) | (v3 >> 43); v3 ^= v0
        v2 &+= v1; v1 = (v1 << 17) | (v1 >> 47); v1 ^= v2; v2 = (v2 << 32) | (v2 >> 32)
    }

    @inline(__always)
    private mutating func compress(_ m: UInt64) {
        v3 ^= m
        round(); round()
        v0 ^= m
    }

    public mutating func update(_ byte: UInt8) {
        tail |= UInt64(byte) << (8 * UInt64(tailCount))
        tailCount += 1
        length += 1
        if tailCount == 8 {
            compress(tail)
            tail = 0
            tailCount = 0
        }
    }

    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes { update(byte) }
    }

    public mutating func finalize() -> UInt64 {
        let last = tail | (UInt64(length & 0xFF) << 56)
        compress(last)
        v2 ^= 0xFF
        round(); round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }
}
