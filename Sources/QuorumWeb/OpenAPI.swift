import Foundation
import QuorumBus
import QuorumMail

import QuorumStore

/// One feature's part of the API description: its paths and the schemas they refer to.
public struct OpenAPIPart {
    public var paths: [String: Any]
    public var schemas: [String: Any]
    public init(paths: [String: Any], schemas: [String: Any] = [:]) {
        self.paths = paths
        self.schemas = schemas
    }
}

/// The OpenAPI 3.1 description of the public and admin JSON APIs, served at `/api/openapi.json`, made of the
/// features' parts (the composition root lists them) and the helpers they build their parts with.
/// A test checks it against the router: every `/api` route is described and every described path is routed.
public enum OpenAPI {
    public static func document(serverURL: String, parts: [OpenAPIPart]) -> [UInt8] {
        var paths: [String: Any] = [:]
        var schemas: [String: Any] = ["Error": errorSchema]
        for part in parts {
            paths.merge(part.paths) { $1 }
            schemas.merge(part.schemas) { $1 }
        }
        for (path, item) in paths {
            guard var operations = item as? [String: Any] else { continue }
            for (method, operation) in operations {
                guard let operation = operation as? [String: Any] else { continue }
                operations[method] = withSiteWideResponses(operation, method: method, path: path)
            }
            paths[path] = operations
        }
        let object: [String: Any] = [
            "openapi": "3.1.0",
            "info": [
                "title": "Quorum API",
                "version": "1",
                "description": "Public articles API, sign-in for readers, reader-moderated comments, and the editors' admin API. Admin endpoints take `Authorization: Bearer <token>` only (create one with `quorum token create`) for a user with the editor or admin role; a session cookie does not open them. Readers' endpoints use the session cookie, and every state-changing one needs the session's CSRF token in `X-CSRF-Token` (from `GET /api/v1/session`). A method an address does not take is answered with 405 and `Allow`.",
            ],
            "servers": [["url": serverURL]],
            "paths": paths,
            "components": ["securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]], "schemas": schemas],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted])) ?? Data()
        return Array(data)
    }

    /// What the site-wide middleware answers for any operation, added to each: 429 (with `Retry-After`) for
    /// every state-changing request (the per-address POST limit); 401 with a `WWW-Authenticate: Bearer` challenge
    /// and 403 for the admin API, which takes bearer tokens only; 413 and 400 for operations with a JSON body
    /// (read up to 64 KiB).
    static func withSiteWideResponses(_ operation: [String: Any], method: String, path: String) -> [String: Any] {
        var operation = operation
        var responses = operation["responses"] as? [String: Any] ?? [:]
        func add(_ status: String, _ description: String, headers: [String: Any]? = nil) {
            guard responses[status] == nil else { return }
            var response: [String: Any] = ["description": description, "content": json(ref("Error"))]
            if let headers { response["headers"] = headers }
            responses[status] = response
        }
        if method != "get" {
            add("429", "Too many requests from this address; try again after `Retry-After` seconds",
                headers: ["Retry-After": ["description": "seconds", "schema": ["type": "integer"]]])
        }
        if method != "get", !path.hasPrefix("/api/admin/") {
            add("403", "Refused: the CSRF token (`X-CSRF-Token`, from `GET /api/v1/session`) is missing or wrong, the Origin is another site, or the account may not do this")
        }
        if let parameters = operation["parameters"] as? [[String: Any]], parameters.contains(where: { $0["in"] as? String == "query" }) {
            add("400", "A query parameter is malformed or out of range; the message names it")
        }
        if path.hasPrefix("/api/admin/") {
            responses["401"] = ["description": "Missing or invalid bearer token", "content": json(ref("Error")),
                                "headers": ["WWW-Authenticate": ["description": "Bearer realm=\"Quorum admin API\"", "schema": ["type": "string"]]]]
            add("403", "The token's user is not an editor")
        }
        if var body = operation["requestBody"] as? [String: Any], var content = body["content"] as? [String: Any],
           var media = content["application/json"] as? [String: Any]
        {
            add("400", "Malformed body; the message names the field")
            add("413", "The body is larger than 64 KiB")
            // The admin API reads bodies field by field and refuses unknown fields by name.
            if path.hasPrefix("/api/admin/"), var schema = media["schema"] as? [String: Any], schema["type"] as? String == "object" {
                schema = nullableOptionals(schema)
                schema["additionalProperties"] = false
                media["schema"] = schema
                content["application/json"] = media
                body["content"] = content
                operation["requestBody"] = body
            }
        }
        operation["responses"] = responses
        return operation
    }

    /// The admin API reads a `null` field as one not given: an object schema whose optional properties also
    /// take `null` (nested objects too).
    package static func nullableOptionals(_ schema: [String: Any]) -> [String: Any] {
        guard var properties = schema["properties"] as? [String: Any] else { return schema }
        let required = Set(schema["required"] as? [String] ?? [])
        for (name, value) in properties {
            guard var property = value as? [String: Any] else { continue }
            if property["type"] as? String == "object" { property = nullableOptionals(property) }
            if !required.contains(name), let type = property["type"] as? String { property["type"] = [type, "null"] }
            properties[name] = property
        }
        var schema = schema
        schema["properties"] = properties
        return schema
    }

    package static var errorSchema: [String: Any] {
        ["type": "object", "properties": ["error": ["type": "object", "properties": ["code": ["type": "string"], "message": ["type": "string"]]]]]
    }

    package static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }
    package static func json(_ schema: [String: Any]) -> [String: Any] { ["application/json": ["schema": schema]] }
    package static func ok(_ description: String, _ schema: [String: Any]) -> [String: Any] { ["description": description, "content": json(schema)] }
    package static var errors: [String: Any] { [
        "400": ["description": "Malformed body or parameter; the message names the field", "content": json(ref("Error"))],
        "401": ["description": "Missing or invalid token", "content": json(ref("Error"))],
        "403": ["description": "The token's user is not an editor", "content": json(ref("Error"))],
    ] }
    package static var notFound: [String: Any] { ["description": "No such article", "content": json(ref("Error"))] }
    /// `204 No Content`: no body at all.
    package static func noContent(_ description: String) -> [String: Any] { ["description": description] }
    package static func query(_ name: String, _ description: String, type: String = "string", range: ClosedRange<Int>? = nil) -> [String: Any] {
        var schema: [String: Any] = ["type": type]
        if let range { schema["minimum"] = range.lowerBound; schema["maximum"] = range.upperBound }
        return ["name": name, "in": "query", "required": false, "description": description, "schema": schema]
    }
    package static func pathParameter(_ name: String, type: String) -> [String: Any] {
        ["name": name, "in": "path", "required": true, "schema": ["type": type]]
    }
    package static let security: [[String: [String]]] = [["bearer": []]]
    package static var csrfHeader: [String: Any] {
        ["name": "X-CSRF-Token", "in": "header", "required": true, "description": "from GET /api/v1/session", "schema": ["type": "string"]]
    }
}
