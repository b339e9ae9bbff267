import Foundation
import Payments

/// The payment providers a site runs with, from its environment: `QUORUM_STRIPE_SECRET_KEY`,
/// `QUORUM_STRIPE_WEBHOOK_SECRETS` (comma-separated while rolling), `QUORUM_STRIPE_API_BASE` (tests);
/// `QUORUM_PAYFAST_MERCHANT_ID`, `_MERCHANT_KEY`, `_PASSPHRASE`, `_HOST` (sandbox or live), `_SOURCES`
/// (allowed notification addresses, comma-separated). A provider without its secrets is not offered.
public enum PaymentSettings {
    public static func providers(environment: [String: String] = ProcessInfo.processInfo.environment) -> [any PaymentProvider] {
        var providers: [any PaymentProvider] = []
        func list(_ key: String) -> [String] {
            (environment[key] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let key = environment["QUORUM_STRIPE_SECRET_KEY"], !key.isEmpty, !list("QUORUM_STRIPE_WEBHOOK_SECRETS").isEmpty {
            providers.append(StripeClient(configuration: StripeConfiguration(
                apiBase: environment["QUORUM_STRIPE_API_BASE"] ?? "https://api.stripe.com", secretKey: key,
                webhookSecrets: list("QUORUM_STRIPE_WEBHOOK_SECRETS"))))
        }
        if let merchant = environment["QUORUM_PAYFAST_MERCHANT_ID"], !merchant.isEmpty,
           let key = environment["QUORUM_PAYFAST_MERCHANT_KEY"], !key.isEmpty {
            let sources = list("QUORUM_PAYFAST_SOURCES")
            providers.append(PayFastClient(configuration: PayFastConfiguration(
                merchantID: merchant, merchantKey: key, passphrase: environment["QUORUM_PAYFAST_PASSPHRASE"] ?? "",
                host: environment["QUORUM_PAYFAST_HOST"] ?? PayFastConfiguration.sandboxHost,
                allowedSources: sources.isEmpty ? nil : Set(sources))))
        }
        return providers
    }
}
