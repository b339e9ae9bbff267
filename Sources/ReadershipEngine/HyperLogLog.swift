import Foundation

/// A HyperLogLog sketch of precision 14: 16,384 one-byte registers, about 0.81% standard error, whatever the
/// number of distinct readers. A reader is added as a 64-bit hash (already salted and mixed); the top 14 bits
/// choose a register, which keeps the longest run of leading zeros seen in the other 50 bits, plus one.
///
/// Two sketches merge register by register (the larger value wins), and the merge of sketches is the sketch of
/// the union of what they saw: per-instance and per-day sketches add up to the site's without double counting.
/// The estimate is Ertl's improved raw estimator ("New cardinality estimation algorithms for HyperLogLog
/// sketches", 2017), unbiased from a handful of readers to billions without empirical correction tables.
public struct HyperLogLog: Sendable, Equatable {
    public static let precision = 14
    public static let registerCount = 1 << precision
    /// Bits of the hash after the register index.
    static let remainingBits = 64 - precision

    public private(set) var registers: [UInt8]

    public init() {
        registers = [UInt8](repeating: 0, count: Self.registerCount)
    }

    /// Adds a reader's 64-bit hash. Returns whether the sketch changed.
    @discardableResult
    public mutating func add(hash: UInt64) -> Bool {
        let index = Int(hash >> UInt64(64 - Self.precision))
        let rest = hash << UInt64(Self.precision)
        // Leading zeros among the 50 remaining bits, plus one; 51 when all are zero.
        let rank = UInt8(Swift.min(rest.leadingZeroBitCount, Self.remainingBits) + 1)
        if registers[index] < rank {
            registers[index] = rank
            return true
        }
        return false
    }

    /// Register-wise maximum: afterwards this sketch is the sketch of the union.
    public mutating func merge(_ other: HyperLogLog) {
        for index in 0..<Self.registerCount where other.registers[index] > registers[index] {
            registers[index] = other.registers[index]
        }
    }

    public func merged(with other: HyperLogLog) -> HyperLogLog {
        var copy = self
        copy.merge(other)
        return copy
    }

    public var isEmpty: Bool { !registers.contains { $0 != 0 } }

    /// The estimated number of distinct hashes added.
    public var estimate: Double {
        let m = Double(Self.registerCount)
        let q = Self.remainingBits
        var counts = [Int](repeating: 0, count: q + 2)
        for value in registers { counts[Int(value)] += 1 }
        if counts[0] == Self.registerCount { return 0 }
        var z = m * Self.tau(1 - Double(counts[q + 1]) / m)
        for k in stride(from: q, through: 1, by: -1) {
            z = 0.5 * (z + Double(counts[k]))
        }
        z += m * Self.sigma(Double(counts[0]) / m)
        let alphaInfinity = 1 / (2 * log(2.0))
        return alphaInfinity * m * m / z
    }

    /// The estimate rounded to a whole number of readers.
    public var count: Int { Int(estimate.rounded()) }

    static func sigma(_ value: Double) -> Double {
        if value == 1 { return .infinity }
        var x = value, y = 1.0, z = value
        while true {
            x *= x
            let previous = z
            z += x * y
            y += y
            if previous == z { return z }
        }
    }

    static func tau(_ value: Double) -> Double {
        if value == 0 || value == 1 { return 0 }
        var x = value, y = 1.0, z = 1 - value
        while true {
            x = x.squareRoot()
            let previous = z
            y *= 0.5
            z -= (1 - x) * (1 - x) * y
            if previous == z { return z / 3 }
        }
    }

    // MARK: Storage

    /// Bytes for the database: sparse (`1`, then index and value as three bytes per non-zero register) while
    /// fewer than a sixth of the registers are set, else dense (`0`, then every register).
    public var bytes: [UInt8] {
        let nonZero = registers.reduce(0) { $0 + ($1 == 0 ? 0 : 1) }
        if nonZero * 3 < Self.registerCount / 2 {
            var out: [UInt8] = [1]
            out.reserveCapacity(1 + nonZero * 3)
            for (index, value) in registers.enumerated() where value != 0 {
                out.append(UInt8(index >> 8))
                out.append(UInt8(index & 0xFF))
                out.append(value)
            }
            return out
        }
        return [0] + registers
    }

    /// Reads what ``bytes`` wrote; nil for anything else.
    public init?(bytes: [UInt8]) {
        self.init()
        guard let kind = bytes.first else { return nil }
        switch kind {
        case 0:
            guard bytes.count == 1 + Self.registerCount else { return nil }
            registers = Array(bytes[1...])
        case 1:
            guard (bytes.count - 1) % 3 == 0 else { return nil }
            var offset = 1
            while offset < bytes.count {
                let index = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
                guard index < Self.registerCount, bytes[offset + 2] <= UInt8(Self.remainingBits + 1) else { return nil }
                registers[index] = bytes[offset + 2]
                offset += 3
            }
        default:
            return nil
        }
        guard !registers.contains(where: { $0 > UInt8(Self.remainingBits + 1) }) else { return nil }
    }
}

/// SplitMix64: a fast, well-mixed 64-bit sequence for synthetic readers in tests and simulations.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }
    /// The mixing step alone: a stable hash of a number.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
