import Hummingbird
import QuorumWeb

/// The embed's endpoints in the OpenAPI document.
extension OpenAPI {
    public static var embedding: OpenAPIPart {
        OpenAPIPart(paths: [
            RouterPath(SiteURL.apiCounts).description: ["get": [
                "summary": "Published comment counts for up to 200 page addresses (any form of each: keys are the addresses as asked). Cached 30 s. `Access-Control-Allow-Origin` is sent only to allowed sites.",
                "tags": ["embedding"],
                // The bounds are the ones every request keeps to whatever its characters: a request's head (its
                // address with the query) must stay under the HTTP server's 80 KiB, or it is refused before it reaches
                // Quorum, with an empty 400. 20 addresses of 256 characters, each percent-encoded (up to 12 bytes a
                // character), stay under it; real addresses are short, and up to 200 of them are answered.
                "parameters": [["name": "url", "in": "query", "required": true,
                                "description": "a page address; repeat for more (up to 200, while the request's address stays under 80 KiB: the schema's bounds always do)",
                                "explode": true,
                                "schema": ["type": "array", "maxItems": 20, "items": ["type": "string", "maxLength": 256]]]],
                "responses": [
                    "200": ok("Counts by address as asked (0 for a page without a thread)", ["type": "object", "required": ["counts"], "properties": [
                        "counts": ["type": "object", "additionalProperties": ["type": "integer", "minimum": 0]]]]),
                    "400": ["description": "No url, an unknown parameter, an address that is not http(s), or more than 200", "content": json(ref("Error"))],
                ],
            ] as [String: Any]],
        ], schemas: [:])
    }
}
