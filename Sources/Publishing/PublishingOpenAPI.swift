import QuorumBus
import QuorumStore

import QuorumWeb

/// Publishing's part of the API description: the public articles API and the editors' admin API.
extension OpenAPI {
    public static var publishing: OpenAPIPart {
        OpenAPIPart(paths: paths, schemas: components["schemas"] as? [String: Any] ?? [:])
    }

    static func admin(_ summary: String, body: [String: Any]? = nil, response: (String, [String: Any]), status: String = "200", id: Bool = false) -> [String: Any] {
        var operation: [String: Any] = ["summary": summary, "tags": ["admin"], "security": security]
        var responses = errors
        responses[status] = ok(response.0, response.1)
        operation["responses"] = responses
        if let body { operation["requestBody"] = ["required": true, "content": json(body)] }
        if id { operation["parameters"] = [pathParameter("id", type: "integer")] }
        return operation
    }

    static var paths: [String: Any] {
        [
            "/api/v1/articles": ["get": [
                "summary": "Published articles, newest first", "tags": ["public"],
                "parameters": [query("section", "section slug"), query("tag", "tag slug"), query("page", "page number from 1", type: "integer"), query("perPage", "1 to 100 (default 20)", type: "integer")],
                "responses": ["200": ok("A page of articles", ref("ArticleList")), "404": ["description": "Unknown section or tag", "content": json(ref("Error"))]],
            ]],
            "/api/v1/articles/{slug}": ["get": [
                "summary": "One published article", "tags": ["public"], "parameters": [pathParameter("slug", type: "string")],
                "responses": ["200": ok("The article", ref("Article")), "404": ["description": "No published article with this slug", "content": json(ref("Error"))]],
            ]],
            "/api/v1/search": ["get": [
                "summary": "Full-text search of published articles, best match first", "tags": ["public"],
                "parameters": [query("q", "what to search for"), query("page", "page number from 1", type: "integer")],
                "responses": ["200": ok("Matching articles", ref("ArticleList"))],
            ]],
            "/api/v1/sections": ["get": [
                "summary": "The sections", "tags": ["public"],
                "responses": ["200": ok("Sections", ["type": "object", "properties": ["sections": ["type": "array", "items": ref("Section")]]])],
            ]],
            "/api/v1/session": ["get": [
                "summary": "Who is signed in, and the CSRF token to send as X-CSRF-Token with every POST", "tags": ["accounts"],
                "responses": ["200": ok("The session", ["type": "object", "properties": ["csrfToken": ["type": "string"], "user": ["type": "object"]]])],
            ]],
            "/api/v1/signin": ["post": [
                "summary": "Email a one-time sign-in code and link", "tags": ["accounts"],
                "parameters": [csrfHeader],
                "requestBody": ["required": true, "content": json(["type": "object", "required": ["email"], "properties": ["email": ["type": "string"], "next": ["type": "string"]]])],
                "responses": ["202": ok("Requested; the id goes with the code", ["type": "object", "properties": ["request": ["type": "string"]]]),
                              "400": ["description": "Malformed body", "content": json(ref("Error"))], "429": ["description": "Too many requests", "content": json(ref("Error"))]],
            ]],
            "/api/v1/signin/code": ["post": [
                "summary": "Redeem the emailed code; sets the session cookie", "tags": ["accounts"],
                "parameters": [csrfHeader],
                "requestBody": ["required": true, "content": json(["type": "object", "required": ["request", "code"], "properties": ["request": ["type": "string"], "code": ["type": "string"]]])],
                "responses": ["200": ok("Signed in", ["type": "object", "properties": ["csrfToken": ["type": "string"], "user": ["type": "object"]]]),
                              "400": ["description": "Wrong or expired code", "content": json(ref("Error"))]],
            ]],
            "/api/v1/signout": ["post": [
                "summary": "End the session", "tags": ["accounts"], "parameters": [csrfHeader],
                "responses": ["200": ok("Signed out", ["type": "object", "properties": ["status": ["type": "string"]]])],
            ]],
            "/api/openapi.json": ["get": [
                "summary": "This document", "tags": ["public"],
                "responses": ["200": ["description": "OpenAPI 3.1 document", "content": ["application/json": [:]]]],
            ]],
            "/api/admin/v1/articles": [
                "get": admin("Every article, drafts and scheduled ones too, most recently changed first", response: ("Articles", ref("ArticleList"))),
                "post": admin("Create a draft", body: ref("ArticleInput"), response: ("The new draft", ref("Article")), status: "201")
                    .merging(["responses": errors.merging(["201": ok("The new draft", ref("Article")), "409": ["description": "Duplicate slug", "content": json(ref("Error"))], "422": ["description": "Unknown section or author", "content": json(ref("Error"))]]) { $1 }]) { $1 },
            ],
            "/api/admin/v1/articles/{id}": [
                "get": admin("One article in any status", response: ("The article", ref("Article")), id: true),
                "put": admin("Replace an article's content (status and dates are kept)", body: ref("ArticleInput"), response: ("The article", ref("Article")), id: true),
                "delete": admin("Delete an article", response: ("Deleted", [:]), status: "204", id: true),
            ],
            "/api/admin/v1/articles/{id}/publish": [
                "post": admin("Publish now", response: ("The published article", ref("Article")), id: true),
            ],
            "/api/admin/v1/articles/{id}/schedule": [
                "post": admin("Schedule publication", body: ["type": "object", "required": ["publishAt"], "properties": ["publishAt": ["type": "string", "format": "date-time"]]],
                              response: ("The scheduled article", ref("Article")), id: true),
            ],
            "/api/admin/v1/articles/{id}/corrections": [
                "post": admin("Add a dated correction shown on the article", body: ["type": "object", "required": ["note"], "properties": ["note": ["type": "string"]]],
                              response: ("The corrected article", ref("Article")), status: "201", id: true),
            ],
            "/api/admin/v1/images": [
                "post": [
                    "summary": "Upload an image (JPEG, PNG or WebP, checked by content); the body is the file's bytes",
                    "tags": ["admin"], "security": security,
                    "requestBody": ["required": true, "content": ["image/jpeg": ["schema": ["type": "string", "contentMediaType": "image/jpeg"]],
                                                                  "image/png": ["schema": ["type": "string", "contentMediaType": "image/png"]],
                                                                  "image/webp": ["schema": ["type": "string", "contentMediaType": "image/webp"]]]],
                    "responses": errors.merging([
                        "201": ok("Stored; `url` is stable and cacheable", ref("Image")),
                        "413": ["description": "Larger than the limit", "content": json(ref("Error"))],
                        "415": ["description": "Not a JPEG, PNG or WebP image", "content": json(ref("Error"))],
                    ]) { $1 },
                ] as [String: Any],
            ],
            "/api/admin/v1/sections": [
                "get": admin("The sections", response: ("Sections", ["type": "object", "properties": ["sections": ["type": "array", "items": ref("Section")]]])),
                "post": admin("Create a section", body: ["type": "object", "required": ["slug", "name"], "properties": ["slug": ["type": "string"], "name": ["type": "string"], "description": ["type": "string"], "position": ["type": "integer"]]],
                              response: ("The section", ref("Section")), status: "201"),
            ],
            "/api/admin/v1/authors": [
                "get": admin("The authors", response: ("Authors", ["type": "object", "properties": ["authors": ["type": "array", "items": ref("Author")]]])),
                "post": admin("Create an author", body: ["type": "object", "required": ["slug", "name"], "properties": ["slug": ["type": "string"], "name": ["type": "string"], "bio": ["type": "string"]]],
                              response: ("The author", ref("Author")), status: "201"),
            ],
        ]
    }

    static var components: [String: Any] {
        let string: [String: Any] = ["type": "string"]
        let refObject: [String: Any] = ["type": "object", "properties": ["slug": string, "name": string]]
        let hero: [String: Any] = ["type": "object", "required": ["url"], "properties": ["url": string, "alt": string, "caption": string, "credit": string]]
        return [
            "schemas": [
                "Section": ["type": "object", "properties": ["slug": string, "name": string, "description": string, "url": string]],
                "Author": ["type": "object", "properties": ["id": ["type": "integer"], "slug": string, "name": string, "bio": string]],
                "Image": ["type": "object", "properties": ["name": string, "url": string, "contentType": string, "bytes": ["type": "integer"]]],
                "ArticleInput": [
                    "type": "object", "required": ["slug", "headline", "section"], "additionalProperties": false,
                    "properties": [
                        "slug": string, "headline": string, "standfirst": string, "body": ["type": "string", "description": "Markdown"],
                        "hero": hero, "wireCredit": string, "section": ["type": "string", "description": "section slug"],
                        "authors": ["type": "array", "items": string, "description": "author slugs, in byline order"],
                        "tags": ["type": "array", "items": string, "description": "tag names"],
                        "commentsOpen": ["type": "boolean"], "allowEmbeds": ["type": "boolean", "description": "keep raw HTML in the body"],
                    ],
                ],
                "Article": [
                    "type": "object",
                    "properties": [
                        "id": ["type": "integer"], "slug": string, "url": string, "headline": string, "standfirst": string,
                        "body": string, "bodyHTML": string, "hero": hero, "wireCredit": string, "section": refObject,
                        "authors": ["type": "array", "items": refObject], "tags": ["type": "array", "items": refObject],
                        "status": ["type": "string", "enum": ["draft", "scheduled", "published"]],
                        "publishAt": ["type": ["string", "null"], "format": "date-time"], "publishedAt": ["type": ["string", "null"], "format": "date-time"],
                        "updatedAt": ["type": "string", "format": "date-time"],
                        "corrections": ["type": "array", "items": ["type": "object", "properties": ["at": ["type": "string", "format": "date-time"], "note": string]]],
                        "commentsOpen": ["type": "boolean"], "allowEmbeds": ["type": "boolean"],
                    ],
                ],
                "ArticleList": ["type": "object", "properties": ["articles": ["type": "array", "items": ref("Article")], "page": ["type": "integer"], "next": ["type": ["string", "null"]]]],
            ],
        ]
    }
}
