import Foundation

/// A parsed JSON document, for reading provider objects whose shape varies between API versions.
public enum JSONValue: Sendable, Hashable, Decodable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try bytes.withUnsafeBufferPointer { try JSONParser.parse($0) }
    }

    public subscript(key: String) -> JSONValue {
        if case let .object(o) = self { return o[key] ?? .null }
        return .null
    }

    public subscript(index: Int) -> JSONValue {
        if case let .array(a) = self, a.indices.contains(index) { return a[index] }
        return .null
    }

    /// Follows a path of keys and array indices: `v.at("lines", "data", 0, "period", "end")`.
    public func at(_ path: any JSONPathComponent...) -> JSONValue {
        var v = self
        for p in path { v = p.step(v) }
        return v
    }

    public var string: String? {
        if case let .string(s) = self, !s.isEmpty { return s }
        return nil
    }

    public var int: Int64? {
        switch self {
        case let .int(i): i
        case let .double(d) where d == d.rounded() && abs(d) < 9e15: Int64(d)
        default: nil
        }
    }

    public var bool: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// A Unix time in seconds.
    public var date: Date? { int.map { Date(timeIntervalSince1970: TimeInterval($0)) } }
}

public protocol JSONPathComponent: Sendable {
    func step(_ value: JSONValue) -> JSONValue
}

extension String: JSONPathComponent {
    public func step(_ value: JSONValue) -> JSONValue { value[self] }
}

extension Int: JSONPathComponent {
    public func step(_ value: JSONValue) -> JSONValue { value[self] }
}
