import Foundation
import Hummingbird
import MembershipEngine
import NIOCore
import Payments
import QuorumStore
import QuorumWeb

/// The admin's membership pages: the dashboard, the members list (filters, search, CSV), a member's page
/// (ledger, emails, honorary grant and revoke) and the settings (plan, policy, providers). Admins only; every
/// change is audit-logged; forms carry the CSRF token (checked by the site's middleware).
public struct MembershipAdmin: Sendable {
    public let site: Site
    public let service: MembershipService
    /// Unique readers in the last 30 days, once readership counts them; nil: "not counted yet".
    public let uniqueReaders: (@Sendable () async throws -> Int?)?

    public init(site: Site, service: MembershipService, uniqueReaders: (@Sendable () async throws -> Int?)? = nil) {
        self.site = site
        self.service = service
        self.uniqueReaders = uniqueReaders
    }

    public func addRoutes(to router: Router<QuorumContext>) {
        router.get(RouterPath(SiteURL.adminMembership)) { _, context in try await dashboardPage(context) }
        router.get(RouterPath(SiteURL.apiAdminMembershipDashboard)) { _, context in try await dashboardJSON(context) }
        router.get(RouterPath(SiteURL.adminMembers)) { request, context in try await membersPage(request, context) }
        router.get(RouterPath(SiteURL.adminMembersExport)) { request, context in try await export(request, context) }
        router.get(RouterPath(SiteURL.adminMember)) { _, context in try await memberPage(context) }
        router.post(RouterPath(SiteURL.adminMemberRevoke)) { _, context in try await revoke(context) }
        router.post(RouterPath(SiteURL.adminHonorary)) { request, context in try await grant(request, context) }
        router.get(RouterPath(SiteURL.adminMembershipSettings)) { request, context in
            _ = try admin(context, next: SiteURL.adminMembershipSettings.path)
            return try settingsPage(context, saved: request.uri.queryParameters["saved"] != nil)
        }
        router.post(RouterPath(SiteURL.adminMembershipSettings)) { request, context in try await saveSettings(request, context) }
    }

    func admin(_ context: QuorumContext, next: String) throws -> User {
        guard context.user != nil else { throw RedirectToSignIn(next: next) }
        return try context.requireRole(.admin)
    }

    static func day(_ date: Date?) -> String { date.map(CivilDate.dayString) ?? "–" }

    static func amountText(_ money: Money, interval: String) -> String {
        money.minor == 0 ? "–" : "\(money.formatted(dropZeroCents: true)) \(Interval(rawValue: interval)?.perWord ?? "")"
    }

    // MARK: Dashboard

    func dashboardModel() async throws -> (Dashboard, [String: Any]) {
        let d = try await service.dashboard(months: 12, uniqueReaders: uniqueReaders)
        let months: [[String: Any]] = d.months.map { m in
            ["month": "\(DashboardChart.monthName(m.month)) \(m.year)", "atStart": m.subscribedAtStart, "new": m.new, "churned": m.churned,
             "churnRate": m.churnRate.percentText, "mrr": m.mrrAtEnd.money.formatted()]
        }
        let mrrChart = DashboardChart.svg(title: "MRR at the end of each month", months: d.months, series: [
            .init(name: "MRR", cssClass: "chart-mrr", values: d.months.map { $0.mrrAtEnd.money.minor },
                  label: { DashboardChart.short(Money(minor: $0, currency: d.mrr.currency)) }),
        ])
        let flowChart = DashboardChart.svg(title: "New and churned members per month", months: d.months, series: [
            .init(name: "New", cssClass: "chart-new", values: d.months.map { Int64($0.new) }, label: { "\($0)" }),
            .init(name: "Churned", cssClass: "chart-churned", values: d.months.map { Int64($0.churned) }, label: { "\($0)" }),
        ])
        let current = d.months.last
        let previous = d.months.dropLast().last
        var model: [String: Any] = [
            "active": d.active, "onHold": d.onHold,
            "paused": d.counts[.paused] ?? 0, "cancelled": d.counts[.cancelled] ?? 0, "honorary": d.counts[.honorary] ?? 0,
            "trialing": d.counts[.trialing] ?? 0,
            "mrr": d.mrr.money.formatted(),
            "newThisMonth": current?.new ?? 0, "churnedThisMonth": current?.churned ?? 0,
            "churnRate": current?.churnRate.percentText ?? "–",
            "newLast30Days": d.newLast30Days,
            "months": months, "mrrChart": mrrChart, "flowChart": flowChart,
            "activeURL": SiteURL.adminMembers(status: MemberFilter.active.rawValue).path,
            "onHoldURL": SiteURL.adminMembers(status: MemberFilter.onHold.rawValue).path,
        ]
        if let previous {
            model["lastMonth"] = ["month": "\(DashboardChart.monthName(previous.month)) \(previous.year)", "new": previous.new,
                                  "churned": previous.churned, "churnRate": previous.churnRate.percentText]
        }
        if let conversion = d.conversion {
            model["conversion"] = conversion.percentText
            model["readers"] = conversion.denominator
        }
        return (d, model)
    }

    func dashboardPage(_ context: QuorumContext) async throws -> Response {
        _ = try admin(context, next: SiteURL.adminMembership.path)
        return try site.formPage("admin-membership", try await dashboardModel().1, context: context)
    }

    /// `GET /api/admin/membership/dashboard`: the same figures as JSON (amounts in minor units).
    func dashboardJSON(_ context: QuorumContext) async throws -> Response {
        try context.requireRole(.admin)
        let d = try await service.dashboard(months: 12, uniqueReaders: uniqueReaders)
        var object: [String: Any] = [
            "currency": d.mrr.currency.code,
            "counts": Dictionary(uniqueKeysWithValues: Status.allCases.map { ($0.rawValue, d.counts[$0] ?? 0) }),
            "active": d.active, "onHold": d.onHold,
            "mrrMinor": d.mrr.money.minor, "mrrTwelfths": d.mrr.twelfths,
            "newLast30Days": d.newLast30Days,
            "months": d.months.map { m -> [String: Any] in
                var month: [String: Any] = ["month": String(format: "%04d-%02d", m.year, m.month), "standingAtStart": m.subscribedAtStart,
                                            "new": m.new, "churned": m.churned, "mrrMinor": m.mrrAtEnd.money.minor]
                month["churnRate"] = m.churnRate.value ?? NSNull()
                return month
            },
        ]
        object["uniqueReaders30Days"] = d.conversion.map { $0.denominator as Any } ?? NSNull()
        object["conversion"] = d.conversion?.value ?? NSNull()
        return try JSONResponse.object(object)
    }

    // MARK: Members

    func filter(_ request: Request) -> (MemberFilter, String) {
        let status = request.uri.queryParameters["status"].map(String.init) ?? ""
        let q = String((request.uri.queryParameters["q"].map(String.init) ?? "").prefix(100))
        return (MemberFilter(rawValue: status) ?? .all, q)
    }

    func membersPage(_ request: Request, _ context: QuorumContext) async throws -> Response {
        _ = try admin(context, next: SiteURL.adminMembers().path)
        let (filter, q) = filter(request)
        let after = request.uri.queryParameters["after"].flatMap { MemberCursor(String($0)) }
        let pageSize = 50
        let rows = try await service.members(filter: filter, search: q, after: after, limit: pageSize + 1)
        let counts = try await service.memberCounts()
        let shown = rows.prefix(pageSize)
        var model: [String: Any] = [
            "query": q,
            "status": filter == .all ? "" : filter.rawValue,
            "filters": MemberFilter.allCases.map { f -> [String: Any] in
                let n = f.statuses.map { $0.reduce(0) { $0 + (counts[$1] ?? 0) } } ?? counts.values.reduce(0, +)
                return ["label": f.label, "count": n, "current": f == filter,
                        "url": SiteURL.adminMembers(status: f == .all ? nil : f.rawValue, q: q.isEmpty ? nil : q).path]
            },
            "members": shown.map { r -> [String: Any] in
                ["url": SiteURL.adminMember(r.id).path, "name": r.name.isEmpty ? "(no account)" : r.name, "email": r.email,
                 "status": Status(rawValue: r.status).map(Self.statusLabel) ?? r.status, "amount": Self.amountText(r.amount, interval: r.interval),
                 "provider": r.provider, "paidThrough": Self.day(r.paidThrough)]
            },
            "found": !shown.isEmpty,
            "exportURL": SiteURL.adminMembersExport(status: filter == .all ? nil : filter.rawValue, q: q.isEmpty ? nil : q).path,
            "paged": after != nil,
            "firstURL": SiteURL.adminMembers(status: filter == .all ? nil : filter.rawValue, q: q.isEmpty ? nil : q).path,
        ]
        if rows.count > pageSize, let last = shown.last {
            model["nextURL"] = SiteURL.adminMembers(status: filter == .all ? nil : filter.rawValue, q: q.isEmpty ? nil : q,
                                                    after: MemberCursor(updatedAt: last.updatedAt.milliseconds, id: last.id).text).path
        }
        return try site.formPage("admin-members", model, context: context)
    }

    static func statusLabel(_ s: Status) -> String {
        switch s {
        case .onHold: "on hold"
        default: s.rawValue
        }
    }

    func export(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let admin = try admin(context, next: SiteURL.adminMembers().path)
        let (filter, q) = filter(request)
        var csv = MembersCSV.header
        var after: MemberCursor?
        var count = 0
        while true {
            let rows = try await service.members(filter: filter, search: q, after: after, limit: 500)
            for r in rows { csv += MembersCSV.line(r) }
            count += rows.count
            guard rows.count == 500, let last = rows.last else { break }
            after = MemberCursor(updatedAt: last.updatedAt.milliseconds, id: last.id)
        }
        let details = "filter=\(filter.rawValue) rows=\(count)"
        try await site.database.transaction { db in
            try await AuditLog.record(actor: admin.id, action: "membership.export", subject: "members", details: details, on: db)
        }
        return Response(status: .ok, headers: [
            .contentType: "text/csv; charset=utf-8", .cacheControl: "private, no-store",
            .contentDisposition: #"attachment; filename="members-\#(CivilDate.dayString(Date())).csv""#,
        ], body: .init(byteBuffer: ByteBuffer(string: csv)))
    }

    func memberPage(_ context: QuorumContext) async throws -> Response {
        let id = try context.parameters.require("id")
        _ = try admin(context, next: SiteURL.adminMember(id).path)
        guard let detail = try await service.memberDetail(id) else { throw RequestError.notFound() }
        let m = detail.membership
        let model: [String: Any] = [
            "id": m.id,
            "name": detail.owner?.displayName ?? "(no account)", "email": detail.owner?.email ?? "",
            "userURL": detail.owner.map { SiteURL.adminUser($0.id).path } ?? "",
            "status": Self.statusLabel(detail.report.status), "summary": detail.report.summary,
            "honorary": detail.report.status == .honorary,
            "revokeURL": SiteURL.adminMemberRevoke(m.id).path,
            "provider": m.provider, "oneOff": m.oneOff,
            "amount": Self.amountText(m.pledge.value.amount, interval: m.pledge.value.interval.rawValue),
            "paidThrough": Self.day(m.paidThrough), "opened": Self.day(m.openedAt), "firstPaid": Self.day(m.firstPaidAt),
            "paid": Money(minor: m.paidMinor, currency: m.currency).formatted(),
            "refunded": Money(minor: m.refundedMinor, currency: m.currency).formatted(),
            "subscription": m.subscriptionID ?? "–", "customer": m.customerID ?? "–",
            "ledger": detail.ledger.map { e -> [String: Any] in
                ["occurred": DateText.format(e.occurredAt), "recorded": DateText.format(e.recordedAt), "kind": e.kind.replacingOccurrences(of: "_", with: " "),
                 "provider": e.provider, "event": e.eventID, "outcome": e.outcome.replacingOccurrences(of: "_", with: " "), "note": e.note,
                 "amount": e.amountMinor.map { Money(minor: $0, currency: Currency(code: e.currency ?? m.currency.code)).formatted() } ?? ""]
            },
            "hasMails": !detail.mails.isEmpty,
            "mails": detail.mails.map { ["subject": $0.subject, "kind": $0.kind, "status": $0.status, "queued": DateText.format($0.createdAt),
                                          "sent": $0.sentAt.map(DateText.format) ?? "–"] },
        ]
        return try site.formPage("admin-member", model, context: context)
    }

    func revoke(_ context: QuorumContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let admin = try admin(context, next: SiteURL.adminMember(id).path)
        guard try await service.membership(id) != nil else { throw RequestError.notFound() }
        guard try await service.revokeHonorary(id, by: admin.id) else {
            throw RequestError(.conflict, code: "not_honorary", "This membership has no honorary grant running.")
        }
        return .seeOther(SiteURL.adminMember(id).path)
    }

    /// `POST /admin/membership/honorary`: `email` of an existing account, `until` (optional, YYYY-MM-DD, in the future).
    func grant(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let admin = try admin(context, next: SiteURL.adminMembers().path)
        var request = request
        let form = try await Form.read(&request)
        let email = try form.required("email", label: "Email", maximumLength: 320).trimmingCharacters(in: .whitespaces).lowercased()
        let untilText = (form["until"] ?? "").trimmingCharacters(in: .whitespaces)
        var until: Date?
        if !untilText.isEmpty {
            guard let day = CivilDate.parseDay(untilText), untilText.count == 10 else {
                throw RequestError.badRequest("Write the end date as YYYY-MM-DD, or leave it empty for an open-ended grant.", code: "invalid_until")
            }
            guard day > Date() else { throw RequestError.badRequest("The end date must be in the future.", code: "invalid_until") }
            until = day
        }
        guard let user = try await site.database.read({ db in try await UserRows.find(where: "email", equals: email, on: db) }) else {
            throw RequestError(.notFound, code: "no_such_account", "No account has that email address; the person signs in once first.")
        }
        let id = try await service.grantHonorary(userID: user.id, until: until, by: admin.id)
        return .seeOther(SiteURL.adminMember(id).path)
    }
}

/// The members list as CSV (RFC 4180: every field quoted, quotes doubled, CRLF line ends). A field that a
/// spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) gets a leading
/// apostrophe, so opening the export never runs anything.
enum MembersCSV {
    static let header = "membership_id,name,email,status,amount,currency,interval,provider,paid_through,updated_at\r\n"

    static func line(_ r: MemberRow) -> String {
        return [r.id, r.name, r.email, r.status, r.amount.decimalString, r.amount.currency.code, r.interval, r.provider,
                r.paidThrough.map(CivilDate.dayString) ?? "", r.updatedAt.iso8601].map(field).joined(separator: ",") + "\r\n"
    }

    static func field(_ value: String) -> String {
        var v = value
        if let first = v.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { v = "'" + v }
        return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
