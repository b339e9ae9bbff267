import Foundation
import Hummingbird
import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb

import ReviewEngine

/// The publisher's comment settings: who may comment, closing, length, the pre-screen's word lists and limits,
/// and the review engine's thresholds. Admins only; every change is audit-logged.
struct CommentSettingsRoutes {
    let comments: CommentService
    var site: Site { comments.site }

    func addRoutes(to router: Router<QuorumContext>) {
        router.get(RouterPath(SiteURL.adminComments)) { _, context in try await page(context) }
        router.post(RouterPath(SiteURL.adminComments)) { request, context in try await save(request, context) }
    }

    func admin(_ context: QuorumContext) throws -> User {
        guard context.user != nil else { throw RedirectToSignIn(next: SiteURL.adminComments.path) }
        return try context.requireRole(.admin)
    }

    func preScreenSettings() async throws -> PreScreenSettings {
        let rows = CommentSettingsRows.self
        if case .success(let settings?) = rows.decode(PreScreenSettings.self, try await site.settings.get(rows.preScreen), key: rows.preScreen) {
            return settings
        }
        return .default
    }

    private func page(_ context: QuorumContext) async throws -> Response {
        _ = try admin(context)
        let rules = try await comments.rules()
        let screen = try await preScreenSettings()
        let engine = try await comments.engine().settings
        let problems = try await CommentSettingsRows.problems(in: site.settings)
        return try site.formPage("admin-comments", [
            "problems": problems.map { ["key": $0.key, "problem": $0.problem] },
            "membersOnly": rules.membersOnly,
            "closeAfterDays": rules.closeAfterDays.map(String.init) ?? "",
            "maximumLength": rules.maximumLength,
            "bannedWords": screen.bannedWords.joined(separator: "\n"),
            "suspectWords": screen.suspectWords.joined(separator: "\n"),
            "maxLinks": screen.maxLinks,
            "minSeconds": screen.minSecondsBetweenComments,
            "holdThreshold": screen.toxicityHoldThreshold,
            "publishAtMost": engine.publishAtMost,
            "publishNearDeadlineAtMost": engine.publishNearDeadlineAtMost,
            "relaxPublishAfterWaitShare": engine.relaxPublishAfterWaitShare,
            "withholdAtLeast": engine.withholdAtLeast,
            "maximumWaitHours": engine.maximumWait / 3600,
            "auditShare": engine.auditShare,
        ], context: context)
    }

    private func save(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let admin = try admin(context)
        var request = request
        let form = try await Form.read(&request)
        func number(_ name: String, _ range: ClosedRange<Double>) throws -> Double {
            guard let value = Double(form[name] ?? ""), range.contains(value) else {
                throw RequestError.badRequest("\(name) must be a number from \(range.lowerBound) to \(range.upperBound).", code: "invalid_\(name)")
            }
            return value
        }
        func words(_ name: String) -> [String] {
            (form[name] ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let maximumLength = Int(try number("maximumLength", 100...20_000))
        let closeText = (form["closeAfterDays"] ?? "").trimmingCharacters(in: .whitespaces)
        let closeAfter = closeText.isEmpty ? nil : Int(try number("closeAfterDays", 1...3650))
        var screen = try await preScreenSettings()
        screen.bannedWords = words("bannedWords")
        screen.suspectWords = words("suspectWords")
        screen.maxLinks = Int(try number("maxLinks", 0...50))
        screen.minSecondsBetweenComments = Int(try number("minSeconds", 0...3600))
        screen.toxicityHoldThreshold = try number("holdThreshold", 0...1)
        screen.maxCharacters = maximumLength
        var engine = try await comments.engine().settings
        engine.publishAtMost = try number("publishAtMost", 0...0.5)
        engine.publishNearDeadlineAtMost = try number("publishNearDeadlineAtMost", 0...0.5)
        guard engine.publishNearDeadlineAtMost >= engine.publishAtMost else {
            throw RequestError.badRequest("The bar near the deadline must be at least the ordinary publish bar.", code: "invalid_publishNearDeadlineAtMost")
        }
        engine.relaxPublishAfterWaitShare = try number("relaxPublishAfterWaitShare", 0...1)
        engine.withholdAtLeast = try number("withholdAtLeast", 0.5...1)
        engine.maximumWait = try number("maximumWaitHours", 0.1...720) * 3600
        engine.auditShare = try number("auditShare", 0...0.5)
        let now = Timestamp.now
        let screenJSON = String(decoding: try JSONEncoder().encode(screen), as: UTF8.self)
        let engineJSON = String(decoding: try JSONEncoder().encode(engine), as: UTF8.self)
        let membersOnly = form["membersOnly"] == "on"
        try await site.database.transaction { db in
            try await SettingsStore.set("comments_who", membersOnly ? "members" : "anyone", now: now, on: db)
            try await SettingsStore.set("comments_close_after_days", closeAfter.map(String.init) ?? "", now: now, on: db)
            try await SettingsStore.set("comment_max_length", String(maximumLength), now: now, on: db)
            try await SettingsStore.set("prescreen_settings", screenJSON, now: now, on: db)
            try await SettingsStore.set("review_engine_settings", engineJSON, now: now, on: db)
            try await AuditLog.record(actor: admin.id, action: "settings.comments", subject: "site", details: "members_only=\(membersOnly), max_length=\(maximumLength)", now: now, on: db)
        }
        await comments.settingsChanged()
        return .seeOther(SiteURL.adminComments.path + "?saved=1")
    }
}
