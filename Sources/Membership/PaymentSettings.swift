import Foundation
import Payments

/// The payment providers a site runs with. The source is the site's settings (the admin's membership settings
/// page, ``ProviderSettings`` in the `membership_providers` row); the environment gives the initial values until
/// an admin saves the page: `QUORUM_STRIPE_SECRET_KEY`, `QUORUM_STRIPE_WEBHOOK_SECRETS` (comma-separated while
/// rolling), `QUORUM_STRIPE_API_BASE` (tests and the demo); `QUORUM_PAYFAST_MERCHANT_ID`, `_MERCHANT_KEY`,
/// `_PASSPHRASE`, `_HOST` (sandbox or live), `_SOURCES` (allowed notification addresses, comma-separated).
/// A provider without its secrets is not offered.
public enum PaymentSettings {
    public static func providers(environment: [String: String] = ProcessInfo.processInfo.environment) -> [any PaymentProvider] {
        providers(ProviderSettings(environment: environment))
    }

    /// The clients for what is configured: Stripe with a secret key and at least one signing secret, PayFast with
    /// a merchant id and key.
    public static func providers(_ settings: ProviderSettings) -> [any PaymentProvider] {
        var providers: [any PaymentProvider] = []
        let stripe = settings.stripe
        if !stripe.secretKey.isEmpty, !stripe.webhookSecrets.isEmpty {
            providers.append(StripeClient(configuration: StripeConfiguration(
                apiBase: stripe.apiBase, secretKey: stripe.secretKey, webhookSecrets: stripe.webhookSecrets)))
        }
        let payfast = settings.payfast
        if !payfast.merchantID.isEmpty, !payfast.merchantKey.isEmpty {
            providers.append(PayFastClient(configuration: PayFastConfiguration(
                merchantID: payfast.merchantID, merchantKey: payfast.merchantKey, passphrase: payfast.passphrase,
                host: payfast.host, allowedSources: payfast.checksSource && !payfast.sources.isEmpty ? Set(payfast.sources) : nil)))
        }
        return providers
    }
}

/// The providers' settings as stored. Secrets (Stripe's secret key and signing secrets, PayFast's merchant key
/// and passphrase) are kept in the site's settings table like the site's own secret key, are never shown back in
/// full (``masked(_:)``) and never logged: `description` leaves them out.
public struct ProviderSettings: Sendable, Hashable, Codable, CustomStringConvertible {
    public struct Stripe: Sendable, Hashable, Codable {
        public var secretKey: String = ""
        /// The endpoint's signing secrets: one, or two while one is rolled (any match counts).
        public var webhookSecrets: [String] = []
        /// Only for tests and the demo.
        public var apiBase: String = "https://api.stripe.com"
        public init() {}
    }

    public struct PayFast: Sendable, Hashable, Codable {
        public var merchantID: String = ""
        public var merchantKey: String = ""
        public var passphrase: String = ""
        /// Live (`www.payfast.co.za`) or sandbox; any other host only from the environment (tests, the demo).
        public var host: String = PayFastConfiguration.sandboxHost
        /// Whether notifications must come from `sources` (off behind a proxy that hides the peer address).
        public var checksSource: Bool = false
        public var sources: [String] = []
        public init() {}

        public var sandbox: Bool { host != PayFastConfiguration.liveHost }
    }

    public var stripe = Stripe()
    public var payfast = PayFast()
    /// The provider new checkouts go to when several are configured (nil: the first configured by name).
    public var checkoutProvider: String?

    public init() {}

    /// The initial values, from the environment.
    public init(environment: [String: String]) {
        func list(_ key: String) -> [String] {
            (environment[key] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        stripe.secretKey = environment["QUORUM_STRIPE_SECRET_KEY"] ?? ""
        stripe.webhookSecrets = list("QUORUM_STRIPE_WEBHOOK_SECRETS")
        if let base = environment["QUORUM_STRIPE_API_BASE"], !base.isEmpty { stripe.apiBase = base }
        payfast.merchantID = environment["QUORUM_PAYFAST_MERCHANT_ID"] ?? ""
        payfast.merchantKey = environment["QUORUM_PAYFAST_MERCHANT_KEY"] ?? ""
        payfast.passphrase = environment["QUORUM_PAYFAST_PASSPHRASE"] ?? ""
        if let host = environment["QUORUM_PAYFAST_HOST"], !host.isEmpty { payfast.host = host }
        payfast.sources = list("QUORUM_PAYFAST_SOURCES")
        payfast.checksSource = !payfast.sources.isEmpty
    }

    /// Names and non-secret settings only.
    public var description: String {
        "stripe(key: \(stripe.secretKey.isEmpty ? "none" : "set"), signing secrets: \(stripe.webhookSecrets.count)), "
            + "payfast(merchant: \(payfast.merchantID.isEmpty ? "none" : payfast.merchantID), host: \(payfast.host), source check: \(payfast.checksSource))"
    }

    /// What an admin sees of a secret: its kind and last four characters ("sk_test_…4242"), or nothing.
    public static func masked(_ secret: String) -> String {
        guard !secret.isEmpty else { return "" }
        let tail = secret.count > 12 ? String(secret.suffix(4)) : ""
        var prefix = ""
        for known in ["sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"] where secret.hasPrefix(known) { prefix = known }
        return prefix + "…" + tail
    }
}
