import Foundation
import QuorumStore
import QuorumWeb
import ReadershipEngine

/// The promotion form: reading and checking its fields, and the model the edit page shows.
enum PromotionForm {
    struct Problem: Error { var message: String }

    static func kindLabel(_ kind: PromotionKind) -> String {
        switch kind {
        case .callToAction: "Membership call to action"
        case .product: "Shop product"
        case .houseAd: "House ad"
        }
    }

    static func audienceLabel(_ audience: Audience) -> String {
        switch audience {
        case .everyone: "everyone"
        case .notMembers: "readers who are not members"
        case .signedOut: "signed-out readers"
        }
    }

    static let dateFormat: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm"
        return formatter
    }()

    static func dateText(_ timestamp: Timestamp?) -> String {
        timestamp.map { dateFormat.string(from: $0.date) } ?? ""
    }

    static func text(_ form: Form, _ name: String, limit: Int) -> String {
        String((form[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines).prefix(limit))
    }

    /// The fields as typed, for showing the form again after a refusal.
    static func loose(_ form: Form, id: Int64) -> Promotion {
        var p = Promotion()
        p.id = id
        p.kind = PromotionKind(rawValue: form["kind"] ?? "") ?? .houseAd
        p.name = text(form, "name", limit: 200)
        p.kicker = text(form, "kicker", limit: 200)
        p.heading = text(form, "heading", limit: 300)
        p.body = text(form, "body", limit: 2000)
        p.fallback = text(form, "fallback", limit: 2000)
        p.minimumReaders = Int(text(form, "minimumReaders", limit: 12)) ?? 500
        p.linkText = text(form, "linkText", limit: 100)
        p.linkURL = text(form, "linkURL", limit: 1000)
        p.imageURL = text(form, "imageURL", limit: 1000)
        p.imageAlt = text(form, "imageAlt", limit: 300)
        p.audience = Audience(rawValue: form["audience"] ?? "") ?? .everyone
        p.section = text(form, "section", limit: 100).lowercased()
        p.tag = text(form, "tag", limit: 100).lowercased()
        p.onArticles = form["onArticles"] != nil
        p.onHome = form["onHome"] != nil
        p.priority = Int(text(form, "priority", limit: 6)) ?? 0
        p.startsAt = dateFormat.date(from: text(form, "startsAt", limit: 20)).map(Timestamp.init)
        p.endsAt = dateFormat.date(from: text(form, "endsAt", limit: 20)).map(Timestamp.init)
        p.enabled = form["enabled"] != nil
        return p
    }

    /// The promotion, or what is wrong with the form.
    static func read(_ form: Form, id: Int64) -> Result<Promotion, Problem> {
        guard let kind = PromotionKind(rawValue: form["kind"] ?? "") else { return .failure(Problem(message: "Choose what kind of promotion this is.")) }
        var p = loose(form, id: id)
        p.kind = kind
        guard Audience(rawValue: form["audience"] ?? "") != nil else { return .failure(Problem(message: "Choose who sees this promotion.")) }
        guard !p.name.isEmpty else { return .failure(Problem(message: "Give the promotion a name (editors see it, readers do not).")) }
        guard !p.heading.isEmpty else { return .failure(Problem(message: "The heading is required.")) }
        guard !p.linkText.isEmpty else { return .failure(Problem(message: "The link text is required.")) }
        guard Promotion.isSafeLink(p.linkURL) else {
            return .failure(Problem(message: "The link must be a path on this site (/membership) or an http(s) address."))
        }
        if !p.imageURL.isEmpty, !Promotion.isSafeLink(p.imageURL) {
            return .failure(Problem(message: "The image must be a path on this site (/images/…) or an http(s) address."))
        }
        if !p.imageURL.isEmpty, p.imageAlt.isEmpty { return .failure(Problem(message: "Describe the image for readers who cannot see it.")) }
        guard let priority = Int(text(form, "priority", limit: 6).isEmpty ? "0" : text(form, "priority", limit: 6)), (-1000...1000).contains(priority) else {
            return .failure(Problem(message: "Priority must be a whole number from -1000 to 1000."))
        }
        p.priority = priority
        for (name, label) in [("startsAt", "start"), ("endsAt", "end")] where !text(form, name, limit: 20).isEmpty {
            if dateFormat.date(from: text(form, name, limit: 20)) == nil {
                return .failure(Problem(message: "The \(label) date must read like 2026-12-01T09:00 (UTC)."))
            }
        }
        if let start = p.startsAt, let end = p.endsAt, end <= start { return .failure(Problem(message: "The end must come after the start.")) }
        if !p.section.isEmpty, !p.section.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) {
            return .failure(Problem(message: "The section is its slug (letters, digits and hyphens)."))
        }
        if !p.tag.isEmpty, !p.tag.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) {
            return .failure(Problem(message: "The tag is its slug (letters, digits and hyphens)."))
        }
        if kind == .callToAction {
            guard !p.body.isEmpty else { return .failure(Problem(message: "Write the call to action's text.")) }
            guard !p.fallback.isEmpty else { return .failure(Problem(message: "Write the wording shown until there are enough readers to quote a number.")) }
            guard let minimum = Int(text(form, "minimumReaders", limit: 12)), minimum >= 1 else {
                return .failure(Problem(message: "The number of readers needed before quoting a share must be at least 1."))
            }
            p.minimumReaders = minimum
        }
        guard p.onArticles || p.onHome else { return .failure(Problem(message: "Place the promotion on articles, the home page or both.")) }
        return .success(p)
    }

    static func model(_ p: Promotion) -> [String: Any] {
        [
            "id": p.id, "name": p.name, "kicker": p.kicker, "heading": p.heading, "body": p.body, "fallback": p.fallback,
            "minimumReaders": p.minimumReaders, "linkText": p.linkText, "linkURL": p.linkURL, "imageURL": p.imageURL,
            "imageAlt": p.imageAlt, "section": p.section, "tag": p.tag, "onArticles": p.onArticles, "onHome": p.onHome,
            "priority": p.priority, "startsAt": dateText(p.startsAt), "endsAt": dateText(p.endsAt), "enabled": p.enabled,
            "isCallToAction": p.kind == .callToAction, "views": ReaderShare.grouped(p.views), "clicks": ReaderShare.grouped(p.clicks),
            "kinds": PromotionKind.allCases.map { ["value": $0.rawValue, "label": kindLabel($0), "selected": $0 == p.kind] },
            "audiences": Audience.allCases.map { ["value": $0.rawValue, "label": audienceLabel($0), "selected": $0 == p.audience] },
        ]
    }
}
