import Hummingbird
import QuorumWeb

/// The readership endpoint in the OpenAPI document.
extension OpenAPI {
    public static var readership: OpenAPIPart {
        let window: [String: Any] = ["type": "object", "required": ["readers", "views"],
                                     "properties": ["readers": ["type": "integer"], "views": ["type": "integer"]]]
        let schema: [String: Any] = [
            "type": "object",
            "description": "Readers are distinct salted hashes (HyperLogLog, about 0.8% standard error); a returning reader counts once per salt period.",
            "properties": [
                "today": window, "last7Days": window, "last30Days": window,
                "saltPeriodDays": ["type": "integer"], "members": ["type": "integer"],
                "memberShare": ["type": "string", "description": "members ÷ 30-day readers, e.g. \"0.3%\" or \"under 0.1%\""],
                "days": ["type": "array", "items": ["type": "object", "properties": [
                    "date": ["type": "string", "format": "date"], "readers": ["type": "integer"], "views": ["type": "integer"]]]],
                "topArticles": ["type": "array", "items": ["type": "object", "properties": [
                    "slug": ["type": "string"], "url": ["type": "string"], "views": ["type": "integer"], "readers": ["type": "integer"]]]],
                "referrers": ["type": "array", "items": ["type": "object", "properties": [
                    "host": ["type": "string", "description": "host name only, never a full URL"], "views": ["type": "integer"]]]],
                "campaigns": ["type": "array", "items": ["type": "object", "properties": [
                    "source": ["type": "string"], "medium": ["type": "string"], "campaign": ["type": "string"], "views": ["type": "integer"]]]],
                "shares": ["type": "array", "items": ["type": "object", "properties": [
                    "date": ["type": "string", "format": "date"], "members": ["type": "integer"], "readers": ["type": "integer"],
                    "share": ["type": "string"]]]],
            ],
        ]
        return OpenAPIPart(paths: [
            RouterPath(SiteURL.apiAdminReadership).description: [
                "get": [
                    "summary": "Readership figures: readers and views today, over 7 and 30 days, by day, top articles, referring hosts, campaigns, members ÷ readers (editors; session cookie)",
                    "tags": ["readership"],
                    "responses": [
                        "200": ok("The figures", ref("Readership")),
                        "401": ["description": "Not signed in", "content": json(ref("Error"))],
                        "403": ["description": "Not an editor", "content": json(ref("Error"))],
                    ],
                ],
            ],
        ], schemas: ["Readership": schema])
    }
}
