import Hummingbird
import QuorumWeb

/// The embed's endpoints in the OpenAPI document.
extension OpenAPI {
    public static var embedding: OpenAPIPart {
        OpenAPIPart(paths: [
            RouterPath(SiteURL.apiCounts).description: ["get": [
                "summary": "Published comment counts for up to 200 page addresses (any form of each: keys are the addresses as asked). Cached 30 s. `Access-Control-Allow-Origin` is sent only to allowed sites.",
                "tags": ["embedding"],
                "parameters": [["name": "url", "in": "query", "required": true, "description": "a page address; repeat for more (at most 200)", "explode": true,
                                "schema": ["type": "array", "maxItems": EmbedService.maximumCountURLs, "items": ["type": "string", "maxLength": PageAddress.maximumLength * 2]]]],
                "responses": [
                    "200": ok("Counts by address as asked (0 for a page without a thread)", ["type": "object", "required": ["counts"], "properties": [
                        "counts": ["type": "object", "additionalProperties": ["type": "integer", "minimum": 0]]]]),
                    "400": ["description": "No url, an unknown parameter, an address that is not http(s), or more than 200", "content": json(ref("Error"))],
                ],
            ] as [String: Any]],
        ], schemas: [:])
    }
}
