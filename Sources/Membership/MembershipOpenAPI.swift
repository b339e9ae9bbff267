import Hummingbird
import MembershipEngine
import QuorumWeb

/// The membership endpoints in the OpenAPI document.
extension OpenAPI {
    public static var membership: OpenAPIPart {
        let month: [String: Any] = ["type": "object", "properties": [
            "month": ["type": "string", "description": "YYYY-MM, UTC"],
            "standingAtStart": ["type": "integer", "description": "active, trialing, on hold, paused or cancelled-but-in-period at the first instant of the month"],
            "new": ["type": "integer", "description": "memberships whose first payment fell in the month"],
            "churned": ["type": "integer", "description": "standing at the start, not standing at the end"],
            "churnRate": ["type": ["number", "null"], "description": "churned ÷ standingAtStart; null when nobody was standing"],
            "mrrMinor": ["type": "integer", "description": "MRR at the end of the month (or now), minor units, rounded half up"],
        ]]
        let dashboard: [String: Any] = ["type": "object", "properties": [
            "currency": ["type": "string"],
            "counts": ["type": "object", "description": "memberships per status now (one-off gifts left out)",
                       "properties": Dictionary(uniqueKeysWithValues: Status.allCases.map { ($0.rawValue, ["type": "integer"] as [String: Any]) })],
            "active": ["type": "integer"], "onHold": ["type": "integer"],
            "mrrMinor": ["type": "integer", "description": "monthly amounts + yearly ÷ 12 of active and on-hold memberships, minor units, rounded half up"],
            "mrrTwelfths": ["type": "integer", "description": "12 × MRR in minor units, exact"],
            "newLast30Days": ["type": "integer"],
            "uniqueReaders30Days": ["type": ["integer", "null"], "description": "null until readership is counted"],
            "conversion": ["type": ["number", "null"], "description": "newLast30Days ÷ uniqueReaders30Days"],
            "months": ["type": "array", "items": ref("MembershipMonth"), "description": "the last 12 months, oldest first"],
        ]]
        let operation: [String: Any] = [
            "summary": "The membership dashboard's figures (admins; the session cookie of a signed-in admin)",
            "tags": ["membership"],
            "responses": [
                "200": ok("Active, on hold, MRR, new and churned per month, churn rate, conversion", ref("MembershipDashboard")),
                "401": ["description": "Not signed in", "content": json(ref("Error"))],
                "403": ["description": "Not an admin", "content": json(ref("Error"))],
            ],
        ]
        return OpenAPIPart(paths: [RouterPath(SiteURL.apiAdminMembershipDashboard).description: ["get": operation]],
                           schemas: ["MembershipDashboard": dashboard, "MembershipMonth": month])
    }
}
