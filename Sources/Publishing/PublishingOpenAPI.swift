import Hummingbird
import QuorumBus
import QuorumStore

import QuorumWeb

/// Publishing's part of the API description: the public articles API and the editors' admin API.
extension OpenAPI {
    public static var publishing: OpenAPIPart {
        OpenAPIPart(paths: paths, schemas: components["schemas"] as? [String: Any] ?? [:])
    }

    static func admin(_ summary: String, body: [String: Any]? = nil, response: (String, [String: Any]), status: String = "200", id: Bool = false,
                      conflict conflictDescription: String? = nil) -> [String: Any] {
        var operation: [String: Any] = ["summary": summary, "tags": ["admin"], "security": security]
        var responses = errors
        responses[status] = status == "204" ? noContent(response.0) : ok(response.0, response.1)
        if id { responses["404"] = notFound }
        if let conflictDescription { responses["409"] = conflict(conflictDescription) }
        operation["responses"] = responses
        if let body { operation["requestBody"] = ["required": true, "content": json(body)] }
        if id { operation["parameters"] = [pathParameter("id", type: "integer")] }
        return operation
    }

    static func conflict(_ description: String) -> [String: Any] { ["description": description, "content": json(ref("Error"))] }
    static var unknownReference: [String: Any] { ["description": "Unknown section or author", "content": json(ref("Error"))] }
    /// What `Slug.isValid` accepts.
    static var slugSchema: [String: Any] { ["type": "string", "minLength": 1, "maxLength": 120, "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"] }
    /// Text that must hold more than white space.
    static var nonBlank: [String: Any] { ["type": "string", "pattern": "\\S"] }

    static var paths: [String: Any] {
        [
            RouterPath(SiteURL.apiArticles).description: ["get": [
                "summary": "Published articles, newest first", "tags": ["public"],
                "parameters": [query("section", "section slug"), query("tag", "tag slug"), query("page", "page number from 1", type: "integer", range: 1...1000), query("perPage", "1 to 100 (default 20)", type: "integer", range: 1...100)],
                "responses": ["200": ok("A page of articles", ref("ArticleList")), "404": ["description": "Unknown section or tag", "content": json(ref("Error"))]],
            ]],
            RouterPath(SiteURL.apiArticle).description: ["get": [
                "summary": "One published article", "tags": ["public"], "parameters": [pathParameter("slug", type: "string")],
                "responses": ["200": ok("The article", ref("Article")), "404": ["description": "No published article with this slug", "content": json(ref("Error"))]],
            ]],
            RouterPath(SiteURL.apiSearch).description: ["get": [
                "summary": "Full-text search of published articles, best match first", "tags": ["public"],
                "parameters": [query("q", "what to search for"), query("page", "page number from 1", type: "integer", range: 1...1000)],
                "responses": ["200": ok("Matching articles", ref("ArticleList"))],
            ]],
            RouterPath(SiteURL.apiSections).description: ["get": [
                "summary": "The sections", "tags": ["public"],
                "responses": ["200": ok("Sections", ["type": "object", "properties": ["sections": ["type": "array", "items": ref("Section")]]])],
            ]],
            RouterPath(SiteURL.apiSession).description: ["get": [
                "summary": "Who is signed in, and the CSRF token to send as X-CSRF-Token with every POST", "tags": ["accounts"],
                "responses": ["200": ok("The session", ["type": "object", "properties": ["csrfToken": ["type": "string"], "user": ["type": "object"]]])],
            ]],
            RouterPath(SiteURL.apiSignIn).description: ["post": [
                "summary": "Email a one-time sign-in code and link", "tags": ["accounts"],
                "parameters": [csrfHeader],
                "requestBody": ["required": true, "content": json(["type": "object", "required": ["email"], "properties": ["email": ["type": "string"], "next": ["type": "string"]]])],
                "responses": ["202": ok("Requested; the id goes with the code", ["type": "object", "properties": ["request": ["type": "string"]]]),
                              "400": ["description": "Malformed body", "content": json(ref("Error"))], "429": ["description": "Too many requests", "content": json(ref("Error"))]],
            ]],
            RouterPath(SiteURL.apiSignInCode).description: ["post": [
                "summary": "Redeem the emailed code; sets the session cookie", "tags": ["accounts"],
                "parameters": [csrfHeader],
                "requestBody": ["required": true, "content": json(["type": "object", "required": ["request", "code"], "properties": ["request": ["type": "string"], "code": ["type": "string"]]])],
                "responses": ["200": ok("Signed in", ["type": "object", "properties": ["csrfToken": ["type": "string"], "user": ["type": "object"]]]),
                              "400": ["description": "Wrong or expired code", "content": json(ref("Error"))]],
            ]],
            RouterPath(SiteURL.apiSignOut).description: ["post": [
                "summary": "End the session", "tags": ["accounts"], "parameters": [csrfHeader],
                "responses": ["200": ok("Signed out", ["type": "object", "properties": ["status": ["type": "string"]]])],
            ]],
            RouterPath(SiteURL.openAPI).description: ["get": [
                "summary": "This document", "tags": ["public"],
                "responses": ["200": ["description": "OpenAPI 3.1 document", "content": ["application/json": [:]]]],
            ]],
            RouterPath(SiteURL.apiAdminArticles).description: [
                "get": admin("Every article, drafts and scheduled ones too, most recently changed first", response: ("Articles", ref("ArticleList")))
                    .merging(["parameters": [query("page", "page number from 1", type: "integer", range: 1...1000)]]) { $1 },
                "post": admin("Create a draft", body: ref("ArticleInput"), response: ("The new draft", ref("Article")), status: "201")
                    .merging(["responses": errors.merging(["201": ok("The new draft", ref("Article")), "409": conflict("Duplicate slug"), "422": unknownReference]) { $1 }]) { $1 },
            ],
            RouterPath(SiteURL.apiAdminArticle).description: [
                "get": admin("One article in any status", response: ("The article", ref("Article")), id: true),
                "put": admin("Replace an article's content (status and dates are kept)", body: ref("ArticleInput"), response: ("The article", ref("Article")), id: true)
                    .merging(["responses": errors.merging(["200": ok("The article", ref("Article")), "404": notFound, "409": conflict("Another article has this slug"), "422": unknownReference]) { $1 }]) { $1 },
                "delete": admin("Delete an article", response: ("Deleted", [:]), status: "204", id: true),
            ],
            RouterPath(SiteURL.apiAdminPublish).description: [
                "post": admin("Publish now", response: ("The published article", ref("Article")), id: true, conflict: "Already published"),
            ],
            RouterPath(SiteURL.apiAdminSchedule).description: [
                "post": admin("Schedule publication", body: ["type": "object", "required": ["publishAt"], "properties": ["publishAt": ["type": "string", "format": "date-time", "description": "in the future (400 otherwise)"]]],
                              response: ("The scheduled article", ref("Article")), id: true, conflict: "Already published"),
            ],
            RouterPath(SiteURL.apiAdminCorrections).description: [
                "post": admin("Add a dated correction shown on the article", body: ["type": "object", "required": ["note"], "properties": ["note": ["type": "string", "minLength": 1]]],
                              response: ("The corrected article", ref("Article")), status: "201", id: true),
            ],
            RouterPath(SiteURL.apiAdminImages).description: [
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
            RouterPath(SiteURL.apiAdminSections).description: [
                "get": admin("The sections", response: ("Sections", ["type": "object", "properties": ["sections": ["type": "array", "items": ref("Section")]]])),
                "post": admin("Create a section", body: ["type": "object", "required": ["slug", "name"], "properties": ["slug": slugSchema, "name": nonBlank, "description": ["type": "string"], "position": ["type": "integer"]]],
                              response: ("The section", ref("Section")), status: "201", conflict: "A section has this slug"),
            ],
            RouterPath(SiteURL.apiAdminAuthors).description: [
                "get": admin("The authors", response: ("Authors", ["type": "object", "properties": ["authors": ["type": "array", "items": ref("Author")]]])),
                "post": admin("Create an author", body: ["type": "object", "required": ["slug", "name"], "properties": ["slug": slugSchema, "name": nonBlank, "bio": ["type": "string"]]],
                              response: ("The author", ref("Author")), status: "201", conflict: "An author has this slug"),
            ],
        ]
    }

    static var components: [String: Any] {
        let string: [String: Any] = ["type": "string"]
        let refObject: [String: Any] = ["type": "object", "properties": ["slug": string, "name": string]]
        let hero: [String: Any] = ["type": "object", "required": ["url"], "properties": ["url": string, "alt": string, "caption": string, "credit": string]]
        var heroInput = hero
        heroInput["additionalProperties"] = false
        heroInput["properties"] = ["url": ["type": "string", "pattern": "^(/|https?://)", "description": "a site path or an http(s) URL"],
                                   "alt": string, "caption": string, "credit": string]
        return [
            "schemas": [
                "Section": ["type": "object", "properties": ["slug": string, "name": string, "description": string, "url": string]],
                "Author": ["type": "object", "properties": ["id": ["type": "integer"], "slug": string, "name": string, "bio": string]],
                "Image": ["type": "object", "properties": ["name": string, "url": string, "contentType": string, "bytes": ["type": "integer"]]],
                "ArticleInput": nullableOptionals([
                    "type": "object", "required": ["slug", "headline", "section"], "additionalProperties": false,
                    "properties": [
                        "slug": slugSchema, "headline": ["type": "string", "pattern": "\\S", "maxLength": 300], "standfirst": string,
                        "body": ["type": "string", "description": "Markdown"],
                        "hero": heroInput, "wireCredit": string, "section": ["type": "string", "minLength": 1, "description": "section slug (422 if there is none)"],
                        "authors": ["type": "array", "items": string, "description": "author slugs, in byline order (422 for one there is none of)"],
                        "tags": ["type": "array", "items": string, "description": "tag names"],
                        "commentsOpen": ["type": "boolean"], "allowEmbeds": ["type": "boolean", "description": "keep raw HTML in the body"],
                    ],
                ]),
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
