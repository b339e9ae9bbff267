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
        let object: [String: Any] = [
            "openapi": "3.1.0",
            "info": [
                "title": "Quorum API",
                "version": "1",
                "description": "Public articles API, sign-in for readers, reader-moderated comments, and the editors' admin API. Admin endpoints need `Authorization: Bearer <token>` (create one with `quorum token create`) for a user with the editor or admin role.",
            ],
            "servers": [["url": serverURL]],
            "paths": paths,
            "components": ["securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]], "schemas": schemas],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted])) ?? Data()
        return Array(data)
    }

    package static var errorSchema: [String: Any] {
        ["type": "object", "properties": ["error": ["type": "object", "properties": ["code": ["type": "string"], "message": ["type": "string"]]]]]
    }

    package static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }
    package static func json(_ schema: [String: Any]) -> [String: Any] { ["application/json": ["schema": schema]] }
    package static func ok(_ description: String, _ schema: [String: Any]) -> [String: Any] { ["description": description, "content": json(schema)] }
    package static var errors: [String: Any] { [
        "400": ["description": "Malformed body; the message names the field", "content": json(ref("Error"))],
        "401": ["description": "Missing or invalid token", "content": json(ref("Error"))],
        "403": ["description": "The token's user is not an editor", "content": json(ref("Error"))],
        "404": ["description": "No such article", "content": json(ref("Error"))],
    ] }
    package static func query(_ name: String, _ description: String, type: String = "string") -> [String: Any] {
        ["name": name, "in": "query", "required": false, "description": description, "schema": ["type": type]]
    }
    package static func pathParameter(_ name: String, type: String) -> [String: Any] {
        ["name": name, "in": "path", "required": true, "schema": ["type": type]]
    }
    package static let security: [[String: [String]]] = [["bearer": []]]
    package static var csrfHeader: [String: Any] {
        ["name": "X-CSRF-Token", "in": "header", "required": true, "description": "from GET /api/v1/session", "schema": ["type": "string"]]
    }
}
