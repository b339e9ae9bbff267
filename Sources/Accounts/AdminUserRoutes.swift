import Foundation
import Hummingbird
import QuorumMail
import QuorumStore
import QuorumWeb


/// Admin pages for people: find users, change roles, suspend or ban, invitations, site sign-up settings,
/// the audit log and the mail outbox. Moderators may suspend and ban; only admins change roles and settings.
struct AdminUserRoutes {
    let site: Site
    var service: AccountService { AccountService(site: site) }

    func addRoutes(to router: Router<QuorumContext>) {
        router.get("admin/users") { request, context in try await usersPage(request, context) }
        router.get("admin/users/:id") { _, context in try await userPage(context) }
        router.post("admin/users/:id/roles") { request, context in try await setRoles(request, context) }
        router.post("admin/users/:id/status") { request, context in try await setStatus(request, context) }
        router.post("admin/invitations") { request, context in try await invite(request, context) }
        router.get("admin/audit") { _, context in try await auditPage(context) }
        router.get("admin/mail") { _, context in try await mailPage(context) }
        router.post("admin/mail/:id/retry") { _, context in try await retryMail(context) }
        router.get("admin/settings") { _, context in try await settingsPage(context) }
        router.post("admin/settings") { request, context in try await saveSettings(request, context) }
    }

    private func staff(_ context: QuorumContext, _ role: Role) throws -> User {
        guard context.user != nil else { throw RedirectToSignIn(next: "/admin/users") }
        return try context.requireRole(role)
    }

    private func pathID(_ context: QuorumContext) throws -> Int64 {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw RequestError.notFound("No such user.") }
        return id
    }

    private func usersPage(_ request: Request, _ context: QuorumContext) async throws -> Response {
        _ = try staff(context, .moderator)
        let query = String((request.uri.queryParameters["q"].map(String.init) ?? "").prefix(100))
        let users = try await site.users.search(query).map(Self.row)
        return try site.formPage("admin-users", ["query": query, "users": users, "found": !users.isEmpty], context: context)
    }

    static func row(_ user: User) -> [String: Any] {
        [
            "id": user.id, "name": user.displayName, "email": user.email,
            "roles": user.roles.sorted().map(\.rawValue).joined(separator: ", "),
            "status": user.status.kind.rawValue, "since": DateText.format(user.createdAt),
        ]
    }

    private func userPage(_ context: QuorumContext) async throws -> Response {
        let viewer = try staff(context, .moderator)
        let id = try pathID(context)
        guard let user = try await site.users.find(id: id) else { throw RequestError.notFound("No such user.") }
        let history = try await AuditLog.entries(subject: "user:\(id)", in: site.database).map(Self.entry)
        var model: [String: Any] = [
            "user": Self.row(user),
            "roles": Role.allCases.map { ["name": $0.rawValue, "held": user.has($0)] },
            "canChangeRoles": viewer.has(.admin),
            "history": history,
            "reason": user.status.reason ?? "",
        ]
        if let until = user.status.until { model["until"] = DateText.format(until) }
        return try site.formPage("admin-user", model, context: context)
    }

    static func entry(_ entry: AuditLog.Entry) -> [String: Any] {
        [
            "at": DateText.format(entry.at), "actor": entry.actorName ?? (entry.actorID.map { "user \($0)" } ?? "system"),
            "action": entry.action, "subject": entry.subject, "reason": entry.reason ?? "", "details": entry.details ?? "",
        ]
    }

    private func setRoles(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let admin = try staff(context, .admin)
        let id = try pathID(context)
        var request = request
        let form = try await Form.read(&request)
        let roles = Set((form.fields["role"] ?? []).compactMap(Role.init(rawValue:))).union([.reader])
        if id == admin.id, !roles.contains(.admin) {
            throw RequestError.badRequest("You cannot remove your own admin role.", code: "own_admin_role")
        }
        try await service.setRoles(roles, of: id, by: admin, reason: form["reason"])
        return .seeOther("/admin/users/\(id)")
    }

    private func setStatus(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let moderator = try staff(context, .moderator)
        let id = try pathID(context)
        var request = request
        let form = try await Form.read(&request)
        guard let action = UserStatus.Kind(rawValue: form["status"] ?? ""), action != .deleted else {
            throw RequestError.badRequest("Choose active, suspended or banned.", code: "invalid_status")
        }
        let reason = action == .active ? form["reason"] : try form.required("reason", maximumLength: 500)
        var until: Timestamp?
        if action == .suspended {
            let days = Int(form["days"] ?? "") ?? 0
            guard (1...3650).contains(days) else {
                throw RequestError.badRequest("A suspension needs a length from 1 to 3650 days.", code: "invalid_days")
            }
            until = Timestamp.now.adding(seconds: Double(days) * 86_400)
        }
        if id == moderator.id { throw RequestError.badRequest("You cannot change your own status.", code: "own_status") }
        try await UserModeration.setStatus(userID: id, UserStatus(kind: action, reason: reason, until: until), actor: moderator.id, in: site.database)
        return .seeOther("/admin/users/\(id)")
    }

    private func invite(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let admin = try staff(context, .admin)
        var request = request
        guard let email = EmailAddress.normalise(try await Form.read(&request)["email"] ?? "") else { throw AccountError.invalidEmail }
        try await service.invite(email, by: admin)
        return .seeOther("/admin/settings")
    }

    private func auditPage(_ context: QuorumContext) async throws -> Response {
        _ = try staff(context, .moderator)
        let entries = try await AuditLog.entries(limit: 200, in: site.database).map(Self.entry)
        return try site.formPage("admin-audit", ["entries": entries], context: context)
    }

    private func mailPage(_ context: QuorumContext) async throws -> Response {
        _ = try staff(context, .admin)
        let mail = try await service.undeliveredMail().map { item -> [String: Any] in
            [
                "id": item.id, "kind": item.kind, "to": item.to, "subject": item.subject, "status": item.status,
                "attempts": item.attempts, "error": item.error, "created": DateText.format(item.createdAt), "failed": item.status == "failed",
            ]
        }
        return try site.formPage("admin-mail", ["mail": mail, "empty": mail.isEmpty], context: context)
    }

    private func retryMail(_ context: QuorumContext) async throws -> Response {
        let admin = try staff(context, .admin)
        let id = try pathID(context)
        try await service.retryMail(id, by: admin)
        return .seeOther("/admin/mail")
    }

    private func settingsPage(_ context: QuorumContext) async throws -> Response {
        _ = try staff(context, .admin)
        let mode = SignUpMode(rawValue: try await site.settings.get("signup_mode") ?? "") ?? .open
        let invitations = try await service.invitations()
        return try site.formPage("admin-settings", [
            "modes": SignUpMode.allCases.map { ["name": $0.rawValue, "selected": $0 == mode] },
            "passwordSignIn": try await site.settings.get("password_signin") == "on",
            "invitations": invitations,
        ], context: context)
    }

    private func saveSettings(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let admin = try staff(context, .admin)
        var request = request
        let form = try await Form.read(&request)
        guard let mode = SignUpMode(rawValue: form["signup_mode"] ?? "") else {
            throw RequestError.badRequest("Choose open, invite or closed.", code: "invalid_signup_mode")
        }
        try await service.saveSignUpSettings(mode: mode, passwordSignIn: form["password_signin"] == "on", by: admin)
        return .seeOther("/admin/settings")
    }
}

