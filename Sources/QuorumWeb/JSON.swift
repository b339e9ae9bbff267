import Foundation
import Hummingbird
import NIOCore
import QuorumBus
import QuorumMail

import QuorumStore

/// JSON helpers for routes answering with dictionaries and reading small typed bodies.
extension JSONResponse {
    package static func object(_ object: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    /// Decodes a JSON body; malformed input is a 400 that names the field.
    package static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: QuorumContext) async throws -> T {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: 64 * 1024)
        } catch {
            throw RequestError(.contentTooLarge, code: "too_large", "The request body is too large.")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch let DecodingError.keyNotFound(key, _) {
            throw RequestError.badRequest("The field '\(key.stringValue)' is missing.", code: "missing_field")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw RequestError.badRequest("The field '\(field)' has the wrong type.", code: "invalid_field")
        } catch {
            throw RequestError.badRequest("The request body is not valid JSON.", code: "malformed_json")
        }
    }
}

package enum JSONResponse {
    package static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok, cacheControl: String = "no-store") throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: cacheControl],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A JSON object from a request body, read field by field so that every problem names its field.
package struct JSONFields {
    package let values: [String: Any]
    let path: String

    init(values: [String: Any], path: String = "") {
        self.values = values
        self.path = path
    }

    /// Parses a request body; anything but a JSON object is a 400 saying so.
    package static func parse(_ request: Request, limit: Int = 1 << 20) async throws -> JSONFields {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw RequestError(.contentTooLarge, code: "too_large", "The request body is larger than the limit of \(limit) bytes.")
        }
        let data = Data(buffer.readableBytesView)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw RequestError(.badRequest, code: "malformed_json", "The body is not valid JSON.")
        }
        guard let values = object as? [String: Any] else {
            throw RequestError(.badRequest, code: "malformed_json", "The body must be a JSON object.")
        }
        return JSONFields(values: values)
    }

    func name(_ field: String) -> String { path.isEmpty ? field : "\(path).\(field)" }

    /// Refuses fields the endpoint does not know, so a misspelt field is not silently ignored.
    package func only(_ known: Set<String>) throws {
        if let unknown = values.keys.sorted().first(where: { !known.contains($0) }) {
            throw RequestError.invalid(field: name(unknown), "is not a known field (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    package func string(_ field: String) throws -> String? {
        guard let value = values[field], !(value is NSNull) else { return nil }
        guard let string = value as? String else { throw RequestError.invalid(field: name(field), "must be a string") }
        return string
    }

    package func requiredString(_ field: String) throws -> String {
        guard let value = try string(field) else { throw RequestError.invalid(field: name(field), "is required") }
        return value
    }

    /// JSONSerialization hands every number over as an `NSNumber`, which casts to `Bool` and `Int` alike; its
    /// `objCType` tells JSON's `true`/`false` (`c`) from whole numbers and fractions.
    private static func kind(_ value: Any) -> Character? {
        guard !(value is String), let number = value as? NSNumber else { return nil }
        return Character(UnicodeScalar(UInt8(bitPattern: number.objCType.pointee)))
    }

    package func bool(_ field: String) throws -> Bool? {
        guard let value = values[field], !(value is NSNull) else { return nil }
        if Self.kind(value) == "c", let bool = value as? Bool { return bool }
        throw RequestError.invalid(field: name(field), "must be true or false")
    }

    package func integer(_ field: String) throws -> Int? {
        guard let value = values[field], !(value is NSNull) else { return nil }
        if let kind = Self.kind(value), "ilqsILQS".contains(kind), let number = value as? Int { return number }
        throw RequestError.invalid(field: name(field), "must be a whole number")
    }

    package func strings(_ field: String) throws -> [String]? {
        guard let value = values[field], !(value is NSNull) else { return nil }
        guard let array = value as? [Any] else { throw RequestError.invalid(field: name(field), "must be an array of strings") }
        return try array.enumerated().map { index, element in
            guard let string = element as? String else { throw RequestError.invalid(field: "\(name(field))[\(index)]", "must be a string") }
            return string
        }
    }

    package func object(_ field: String) throws -> JSONFields? {
        guard let value = values[field], !(value is NSNull) else { return nil }
        guard let object = value as? [String: Any] else { throw RequestError.invalid(field: name(field), "must be an object") }
        return JSONFields(values: object, path: name(field))
    }

    package func timestamp(_ field: String) throws -> Timestamp? {
        guard let text = try string(field) else { return nil }
        guard let date = ISOTime.parse(text) else {
            throw RequestError.invalid(field: name(field), "must be an ISO 8601 date-time with a time zone, e.g. 2026-05-01T09:00:00Z")
        }
        return Timestamp(date)
    }
}

package enum ISOTime {
    package static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}

/// Query parameters of the JSON API, read strictly: a parameter that is there must be well-formed and in range,
/// otherwise the answer is 400 naming it (`page=null` and `page=-5` are mistakes, not page 1).
package enum APIQuery {
    package static func integer(_ request: Request, _ name: String, in range: ClosedRange<Int>, default value: Int) throws -> Int {
        let all = request.uri.queryParameters.getAll(name)
        guard let first = all.first else { return value }
        guard all.count == 1, let number = Int(String(first)), range.contains(number) else {
            throw RequestError.invalid(field: name, "must be one whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}
