import Foundation

public struct StripeConfiguration: Sendable {
    /// "https://api.stripe.com" in production; a loopback stand-in in tests and the demo.
    public var apiBase: String
    /// sk_live_… / sk_test_…: sent as a Bearer token, never logged.
    public var secretKey: String
    /// whsec_…: more than one while a secret is being rolled (any match counts).
    public var webhookSecrets: [String]
    /// Largest accepted age of a webhook's signed timestamp.
    public var tolerance: TimeInterval
    /// Attempts per API call (the same idempotency key on each).
    public var attempts: Int
    public var retryBackoff: Duration

    public init(apiBase: String = "https://api.stripe.com", secretKey: String, webhookSecrets: [String],
                tolerance: TimeInterval = 300, attempts: Int = 3, retryBackoff: Duration = .milliseconds(300)) {
        self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
        self.secretKey = secretKey
        self.webhookSecrets = webhookSecrets
        self.tolerance = tolerance
        self.attempts = attempts
        self.retryBackoff = retryBackoff
    }
}

/// Printed (in a log line, an error, a dump of the service graph) without its secrets.
extension StripeConfiguration: CustomStringConvertible {
    public var description: String {
        "StripeConfiguration(apiBase: \(apiBase), secretKey: <redacted>, webhookSecrets: <\(webhookSecrets.count) redacted>)"
    }
}
