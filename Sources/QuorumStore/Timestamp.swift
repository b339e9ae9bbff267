import Foundation

/// A moment in UTC, stored as whole milliseconds since 1970 in a BIGINT column on both engines,
/// so ordering, ranges and arithmetic are the same SQL everywhere and no date function is dialect-specific.
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    public init(_ date: Date) { self.milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    public static var now: Timestamp { Timestamp(Date()) }
    public var date: Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
    public func adding(seconds: Double) -> Timestamp { Timestamp(milliseconds: milliseconds + Int64(seconds * 1000)) }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.milliseconds < b.milliseconds }

    public init(from decoder: any Decoder) throws {
        milliseconds = try decoder.singleValueContainer().decode(Int64.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(milliseconds)
    }

    /// RFC 3339 with an explicit UTC offset, as feeds and JSON-LD want it.
    public var iso8601: String { date.formatted(.iso8601) }
    public var description: String { iso8601 }
}
