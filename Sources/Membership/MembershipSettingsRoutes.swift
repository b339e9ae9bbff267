import Foundation
import Hummingbird
import MembershipEngine
import Payments
import QuorumStore
import QuorumWeb

/// The membership settings page. Secrets are never put back in the form: each shows masked ("sk_test_…4242"),
/// an empty field keeps the stored value, a checkbox clears it. Bad input re-renders the page with the message and
/// what was typed (secrets excepted), and saves nothing.
extension MembershipAdmin {
    struct SettingsInput: Error {
        var message: String
    }

    func settingsPage(_ context: QuorumContext, saved: Bool = false, form: Form? = nil, error: String? = nil,
                      status: HTTPResponse.Status = .ok) throws -> Response {
        let configuration = service.configuration
        let policy = configuration.policy, providers = configuration.providerSettings
        let plan = policy.plan
        func units(_ m: Money) -> String { m.minor % m.currency.minorPerUnit == 0 ? String(m.minor / m.currency.minorPerUnit) : m.decimalString }
        func value(_ name: String, _ current: String) -> String { form?[name] ?? current }
        let hostIsStandard = [PayFastConfiguration.liveHost, PayFastConfiguration.sandboxHost].contains(providers.payfast.host)
        let mode = form?["payfastMode"] ?? (hostIsStandard ? (providers.payfast.sandbox ? "sandbox" : "live") : "custom")
        let checkout = form?["checkoutProvider"] ?? (providers.checkoutProvider ?? "")
        var model: [String: Any] = [
            "saved": saved && error == nil,
            "problems": configuration.problems.map { ["key": $0.key, "problem": $0.problem] },
            "currency": value("currency", plan.currency.code),
            "monthlyMinimum": value("monthlyMinimum", units(plan.monthly.minimum)),
            "monthlyDefault": value("monthlyDefault", units(plan.monthly.suggested)),
            "monthlySuggestions": value("monthlySuggestions", plan.monthly.suggestions.map(units).joined(separator: ", ")),
            "yearlyMinimum": value("yearlyMinimum", units(plan.yearly.minimum)),
            "yearlyDefault": value("yearlyDefault", units(plan.yearly.suggested)),
            "yearlySuggestions": value("yearlySuggestions", plan.yearly.suggestions.map(units).joined(separator: ", ")),
            "oneOffMinimum": value("oneOffMinimum", units(plan.oneOffMinimum)),
            "maximum": value("maximum", units(plan.maximum)),
            "heading": value("heading", policy.wording.heading),
            "pitch": value("pitch", policy.wording.pitch),
            "itemName": value("itemName", policy.wording.itemName),
            "buttonText": value("buttonText", policy.wording.buttonText),
            "graceDays": value("graceDays", String(policy.graceDays)),
            "accessDuringGrace": form.map { $0["accessDuringGrace"] == "on" } ?? policy.accessDuringGrace,
            "retentionDays": value("retentionDays", String(policy.rawPayloadRetentionDays)),
            "checkoutAuto": checkout.isEmpty, "checkoutStripe": checkout == "stripe", "checkoutPayFast": checkout == "payfast",
            "stripeSecrets": providers.stripe.webhookSecrets.enumerated().map { ["n": $0.offset + 1, "masked": ProviderSettings.masked($0.element)] },
            "stripeConfigured": configuration.providers["stripe"] != nil,
            "payfastMerchantID": value("payfastMerchantID", providers.payfast.merchantID),
            "payfastConfigured": configuration.providers["payfast"] != nil,
            "payfastSandbox": mode == "sandbox", "payfastLive": mode == "live", "payfastCustom": mode == "custom",
            "payfastHost": providers.payfast.host, "payfastCustomHost": !hostIsStandard,
            "payfastSourceCheck": form.map { $0["payfastSourceCheck"] == "on" } ?? providers.payfast.checksSource,
            "payfastSources": value("payfastSources", providers.payfast.sources.joined(separator: "\n")),
            "webhookStripe": SiteURL.providerWebhook("stripe").absolute(site.configuration.siteBase),
            "webhookPayFast": SiteURL.providerWebhook("payfast").absolute(site.configuration.siteBase),
            "stripeEvents": StripeEvents.handled.sorted().joined(separator: ", "),
        ]
        if let error { model["error"] = error }
        // Mustache shows a section for any value that is present, an empty string included: only stored secrets
        // get their (masked) line.
        if !providers.stripe.secretKey.isEmpty { model["stripeKey"] = ProviderSettings.masked(providers.stripe.secretKey) }
        if !providers.payfast.merchantKey.isEmpty { model["payfastKey"] = ProviderSettings.masked(providers.payfast.merchantKey) }
        if !providers.payfast.passphrase.isEmpty { model["payfastPassphrase"] = "set" }
        // Mustache shows a section for any value that is present: only a non-standard API base is shown.
        if providers.stripe.apiBase != ProviderSettings.Stripe().apiBase { model["stripeAPIBase"] = providers.stripe.apiBase }
        return try site.formPage("admin-membership-settings", model, context: context, status: status)
    }

    func saveSettings(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let admin = try admin(context, next: SiteURL.adminMembershipSettings.path)
        var request = request
        let form = try await Form.read(&request)
        let before = service.configuration
        do {
            let policy = try Self.policy(from: form)
            let (providers, changes) = try Self.providers(from: form, current: before.providerSettings)
            try await service.saveSettings(policy: policy, providers: providers, by: admin.id,
                                           changes: "currency=\(policy.plan.currency.code) monthly_min=\(policy.plan.monthly.minimum.minor) grace=\(policy.graceDays) " + changes)
        } catch let problem as SettingsInput {
            return try settingsPage(context, form: form, error: problem.message, status: .badRequest)
        }
        return .seeOther(SiteURL.adminMembershipSettings.path + "?saved=1")
    }

    /// Whole amounts ("75", "1 800", "1,800") in minor units of `currency`.
    static func amount(_ form: Form, _ name: String, _ label: String, _ currency: Currency) throws -> Money {
        let text = (form[name] ?? "").filter { !$0.isWhitespace && $0 != "," }
        guard !text.isEmpty, text.count <= 9, text.allSatisfy({ $0.isASCII && $0.isNumber }), let units = Int64(text), units > 0 else {
            throw SettingsInput(message: "\(label) must be a whole amount above 0, like 75.")
        }
        return Money(units: units, currency)
    }

    static func amounts(_ form: Form, _ name: String, _ label: String, _ currency: Currency) throws -> [Money] {
        let parts = (form[name] ?? "").split(whereSeparator: { $0 == "," || $0 == ";" || $0.isNewline || $0 == " " }).map(String.init)
        guard parts.count <= 8 else { throw SettingsInput(message: "\(label): at most 8 amounts.") }
        return try parts.map { part in try amount(Form(fields: ["x": [part]]), "x", label, currency) }
    }

    static func number(_ form: Form, _ name: String, _ label: String, _ range: ClosedRange<Int>) throws -> Int {
        guard let n = Int((form[name] ?? "").trimmingCharacters(in: .whitespaces)), range.contains(n) else {
            throw SettingsInput(message: "\(label) must be a whole number from \(range.lowerBound) to \(range.upperBound).")
        }
        return n
    }

    static func text(_ form: Form, _ name: String, _ label: String, max: Int, required: Bool = true) throws -> String {
        let t = (form[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if required, t.isEmpty { throw SettingsInput(message: "\(label) cannot be empty.") }
        guard t.count <= max else { throw SettingsInput(message: "\(label) is too long (at most \(max) characters).") }
        return t
    }

    static func policy(from form: Form) throws -> MembershipPolicy {
        let code = (form["currency"] ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        guard code.count == 3, code.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw SettingsInput(message: "The currency must be a three-letter ISO code, like ZAR.")
        }
        let currency = code == Currency.zar.code ? Currency.zar : Currency(code: code)
        func terms(_ prefix: String, _ per: String) throws -> Plan.Terms {
            let minimum = try amount(form, prefix + "Minimum", "The \(per) minimum", currency)
            let suggested = try amount(form, prefix + "Default", "The \(per) default", currency)
            let suggestions = try amounts(form, prefix + "Suggestions", "The \(per) suggested amounts", currency)
            guard suggested >= minimum else { throw SettingsInput(message: "The \(per) default must be at least the \(per) minimum.") }
            if let low = suggestions.first(where: { $0 < minimum }) {
                throw SettingsInput(message: "The suggested \(per) amount \(low.formatted(dropZeroCents: true)) is below the \(per) minimum.")
            }
            return Plan.Terms(minimum: minimum, suggested: suggested, suggestions: suggestions)
        }
        let monthly = try terms("monthly", "monthly"), yearly = try terms("yearly", "yearly")
        let oneOff = try amount(form, "oneOffMinimum", "The one-off minimum", currency)
        let maximum = try amount(form, "maximum", "The largest payment", currency)
        for (m, what) in [(monthly.suggested, "monthly default"), (yearly.suggested, "yearly default"), (oneOff, "one-off minimum")] where m > maximum {
            throw SettingsInput(message: "The largest payment must be at least the \(what).")
        }
        let plan = Plan(currency: currency, monthly: monthly, yearly: yearly, oneOffMinimum: oneOff, maximum: maximum)
        let wording = MembershipWording(heading: try text(form, "heading", "The heading", max: 200),
                                        pitch: try text(form, "pitch", "The pitch", max: 4000),
                                        itemName: try text(form, "itemName", "The name on the payment page", max: 100, required: false),
                                        buttonText: try text(form, "buttonText", "The button's text", max: 60, required: false))
        return MembershipPolicy(plan: plan, wording: wording,
                                graceDays: try number(form, "graceDays", "Grace days", 0...60),
                                accessDuringGrace: form["accessDuringGrace"] == "on",
                                rawPayloadRetentionDays: try number(form, "retentionDays", "Days to keep providers' payloads", 1...3650))
    }

    /// The provider settings after the form: empty secret fields keep the stored value. Returns what changed, in
    /// words without any secret (for the audit log).
    static func providers(from form: Form, current: ProviderSettings) throws -> (ProviderSettings, String) {
        var next = current
        var changes: [String] = []
        func secret(_ name: String) -> String? {
            let v = (form[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            return v.isEmpty ? nil : v
        }
        if form["stripeClear"] == "on" {
            next.stripe.secretKey = ""
            next.stripe.webhookSecrets = []
            changes.append("stripe cleared")
        } else {
            if let key = secret("stripeSecretKey") {
                guard key.hasPrefix("sk_") || key.hasPrefix("rk_"), key.count <= 255, key.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                    throw SettingsInput(message: "The Stripe secret key starts with sk_live_, sk_test_ or rk_ (a restricted key).")
                }
                next.stripe.secretKey = key
                changes.append("stripe key changed")
            }
            var secrets = next.stripe.webhookSecrets
            if form["stripeDropOldSecret"] == "on", secrets.count > 1 {
                secrets = [secrets[secrets.count - 1]]
                changes.append("stripe old signing secret removed")
            }
            if let new = secret("stripeWebhookSecret") {
                guard new.hasPrefix("whsec_"), new.count <= 255, new.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                    throw SettingsInput(message: "A Stripe signing secret starts with whsec_.")
                }
                // While rolling, the previous secret stays valid until it is removed.
                if !secrets.contains(new) { secrets = Array((secrets + [new]).suffix(2)) }
                changes.append("stripe signing secret added")
            }
            next.stripe.webhookSecrets = secrets
        }
        if form["payfastClear"] == "on" {
            next.payfast.merchantID = ""
            next.payfast.merchantKey = ""
            next.payfast.passphrase = ""
            changes.append("payfast cleared")
        } else {
            let merchant = (form["payfastMerchantID"] ?? "").trimmingCharacters(in: .whitespaces)
            guard merchant.isEmpty || (merchant.count <= 20 && merchant.allSatisfy({ $0.isASCII && $0.isNumber })) else {
                throw SettingsInput(message: "The PayFast merchant id is a number, like 10000100.")
            }
            if merchant != next.payfast.merchantID { changes.append("payfast merchant changed") }
            next.payfast.merchantID = merchant
            if let key = secret("payfastMerchantKey") {
                guard key.count <= 64, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                    throw SettingsInput(message: "The PayFast merchant key is letters and digits, like 46f0cd694581a.")
                }
                next.payfast.merchantKey = key
                changes.append("payfast key changed")
            }
            if form["payfastPassphraseClear"] == "on" {
                next.payfast.passphrase = ""
                changes.append("payfast passphrase cleared")
            } else if let phrase = secret("payfastPassphrase") {
                guard phrase.count <= 100 else { throw SettingsInput(message: "The PayFast passphrase is at most 100 characters.") }
                next.payfast.passphrase = phrase
                changes.append("payfast passphrase changed")
            }
        }
        switch form["payfastMode"] ?? "sandbox" {
        case "live": next.payfast.host = PayFastConfiguration.liveHost
        case "custom": break // a host from the environment (tests, the demo) stays
        default: next.payfast.host = PayFastConfiguration.sandboxHost
        }
        next.payfast.checksSource = form["payfastSourceCheck"] == "on"
        let sources = (form["payfastSources"] ?? "").split(whereSeparator: { $0.isNewline || $0 == "," || $0 == " " }).map(String.init)
        guard sources.count <= 20, sources.allSatisfy({ $0.count <= 64 && $0.allSatisfy { $0.isHexDigit || $0 == "." || $0 == ":" } }) else {
            throw SettingsInput(message: "PayFast's addresses are IP addresses, one per line (at most 20).")
        }
        if next.payfast.checksSource, sources.isEmpty {
            throw SettingsInput(message: "The source check needs PayFast's addresses (resolve www.payfast.co.za, sandbox.payfast.co.za, w1w.payfast.co.za, w2w.payfast.co.za).")
        }
        next.payfast.sources = sources
        switch form["checkoutProvider"] ?? "" {
        case "stripe": next.checkoutProvider = "stripe"
        case "payfast": next.checkoutProvider = "payfast"
        default: next.checkoutProvider = nil
        }
        return (next, changes.joined(separator: ", "))
    }
}
