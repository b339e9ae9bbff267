import Foundation
import Hummingbird
import QuorumBus
import QuorumStore
import QuorumWeb
import ReadershipEngine

extension ReadershipService {
    /// The slow path's counting: every reader page answered by a route (a miss, a query string, a signed-in reader
    /// whose class cookie is being set) is counted here; cache hits are counted by the page cache itself and never
    /// reach this middleware.
    public var middleware: some RouterMiddleware<QuorumContext> { CountingMiddleware(counter: counter) }

    /// The dashboard, its JSON, the promotions' admin pages and the counting redirect.
    public func addRoutes(to router: Router<QuorumContext>, site: Site) {
        ReadershipRoutes(service: self, site: site).addRoutes(to: router)
    }
}

struct CountingMiddleware: RouterMiddleware {
    typealias Context = QuorumContext
    let counter: ReadershipCounter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        if request.method == .get, response.status == .ok || response.status == .notModified {
            counter.count(PageView(headers: request.headers, path: Substring(request.uri.path), query: request.uri.query.map { Substring($0) },
                                   peer: context.remoteAddress, reader: ReaderClass.variant(of: request, user: context.user)))
        }
        return response
    }
}

struct ReadershipRoutes {
    let service: ReadershipService
    let site: Site

    func addRoutes(to router: Router<QuorumContext>) {
        router.get(RouterPath(SiteURL.adminReadership)) { _, context in try await dashboardPage(context) }
        router.get(RouterPath(SiteURL.apiAdminReadership)) { _, context in
            try context.requireRole(.editor)
            return try JSONResponse.make(try await service.dashboard())
        }
        router.get(RouterPath(SiteURL.adminPromotions)) { request, context in
            try await listPage(context, deleted: request.uri.queryParameters["deleted"] == "1")
        }
        router.get(RouterPath(SiteURL.adminNewPromotion)) { request, context in
            try editor(context, next: SiteURL.adminNewPromotion.path)
            var promotion = Promotion()
            if let kind = request.uri.queryParameters["kind"].flatMap({ PromotionKind(rawValue: String($0)) }) { promotion.kind = kind }
            return try editPage(promotion, context: context)
        }
        router.post(RouterPath(SiteURL.adminPromotions)) { request, context in try await save(request, context, id: 0) }
        router.get(RouterPath(SiteURL.adminEditPromotion)) { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            try editor(context, next: SiteURL.adminEditPromotion(id).path)
            guard let promotion = try await service.promotionStore.find(id) else { throw RequestError.notFound("There is no such promotion.") }
            return try editPage(promotion, context: context)
        }
        router.post(RouterPath(SiteURL.adminPromotion)) { request, context in
            try await save(request, context, id: try context.parameters.require("id", as: Int64.self))
        }
        router.post(RouterPath(SiteURL.adminPromotionPreview)) { request, context in
            try editor(context, next: SiteURL.adminPromotions.path)
            var request = request
            let form = try await Form.read(&request)
            let id = Int64(form["id"] ?? "") ?? 0
            switch PromotionForm.read(form, id: id) {
            case .failure(let problem): return try editPage(PromotionForm.loose(form, id: id), problem: problem.message, context: context, status: .unprocessableContent)
            case .success(let promotion): return try editPage(promotion, preview: true, context: context)
            }
        }
        router.get(RouterPath(SiteURL.adminPromotionDelete)) { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            try editor(context, next: SiteURL.adminPromotionDelete(id).path)
            guard let promotion = try await service.promotionStore.find(id) else { throw RequestError.notFound("There is no such promotion.") }
            return try deletePage(promotion, context: context)
        }
        router.post(RouterPath(SiteURL.adminPromotionDelete)) { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let user = try editor(context, next: SiteURL.adminPromotions.path)
            var request = request
            let form = try await Form.read(&request)
            guard let promotion = try await service.promotionStore.find(id) else { throw RequestError.notFound("There is no such promotion.") }
            guard form["confirm"] == "yes" else {
                return try deletePage(promotion, problem: "Tick the box to confirm: a deleted promotion cannot be brought back.",
                                      context: context, status: .unprocessableContent)
            }
            guard try await service.promotionStore.delete(id, by: user.id, now: service.clock.now()) != nil else {
                throw RequestError.notFound("There is no such promotion.")
            }
            await service.bus.publish(BusMessage(tags: [.promotions]))
            return Response.seeOther(SiteURL.adminPromotions.path + "?deleted=1")
        }
        router.get(RouterPath(SiteURL.promotionClick)) { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let counts = request.headers[.userAgent].map { !Crawlers.isCrawler(Substring($0)) } ?? false
            let target = counts ? try await service.promotionStore.click(id) : try await service.promotionStore.find(id)?.linkURL
            guard let target, Promotion.isSafeLink(target) else { throw RequestError.notFound("There is no such promotion.") }
            return Response(status: .seeOther, headers: [.location: target, .cacheControl: "no-store"])
        }
    }

    @discardableResult
    func editor(_ context: QuorumContext, next: String) throws -> User {
        guard context.user != nil else { throw RedirectToSignIn(next: next) }
        return try context.requireRole(.editor)
    }

    func dashboardPage(_ context: QuorumContext) async throws -> Response {
        try editor(context, next: SiteURL.adminReadership.path)
        let figures = try await service.dashboard()
        let model: [String: Any] = [
            "today": ["readers": ReaderShare.grouped(figures.today.readers), "views": ReaderShare.grouped(figures.today.views)],
            "week": ["readers": ReaderShare.grouped(figures.last7Days.readers), "views": ReaderShare.grouped(figures.last7Days.views)],
            "month": ["readers": ReaderShare.grouped(figures.last30Days.readers), "views": ReaderShare.grouped(figures.last30Days.views)],
            "saltPeriodDays": figures.saltPeriodDays, "dailySalt": figures.saltPeriodDays == 1,
            "members": ReaderShare.grouped(figures.members), "memberShare": figures.memberShare,
            "chartSVG": ReadershipChart.svg(figures.days),
            "topArticles": figures.topArticles.map { ["slug": $0.slug, "url": $0.url, "views": ReaderShare.grouped($0.views), "readers": ReaderShare.grouped($0.readers)] },
            "hasTopArticles": !figures.topArticles.isEmpty,
            "referrers": figures.referrers.map { ["host": $0.host, "views": ReaderShare.grouped($0.views)] },
            "hasReferrers": !figures.referrers.isEmpty,
            "campaigns": figures.campaigns.map { ["source": $0.source, "medium": $0.medium, "campaign": $0.campaign, "views": ReaderShare.grouped($0.views)] },
            "hasCampaigns": !figures.campaigns.isEmpty,
            "shares": figures.shares.map { ["date": $0.date, "members": ReaderShare.grouped($0.members), "readers": ReaderShare.grouped($0.readers), "share": $0.share] },
            "hasShares": !figures.shares.isEmpty,
            "apiURL": SiteURL.apiAdminReadership.path,
        ]
        return try site.formPage("admin-readership", model, context: context)
    }

    func listPage(_ context: QuorumContext, deleted: Bool = false) async throws -> Response {
        try editor(context, next: SiteURL.adminPromotions.path)
        let now = service.clock.now().milliseconds
        let all = try await service.promotionStore.all()
        let retired = try await service.promotionStore.retired()
        let views = all.reduce(retired.views) { $0 + $1.views }, clicks = all.reduce(retired.clicks) { $0 + $1.clicks }
        var model: [String: Any] = [
            "deleted": deleted,
            "totals": ["views": ReaderShare.grouped(views), "clicks": ReaderShare.grouped(clicks),
                       "rate": views > 0 ? String(format: "%.1f%%", Double(clicks) * 100 / Double(views)) : "–"],
        ]
        // Mustache shows a section for any value present: the line about deleted promotions only when there are some.
        if retired.promotions > 0 {
            model["retired"] = ["promotions": retired.promotions, "plural": retired.promotions != 1,
                                "views": ReaderShare.grouped(retired.views), "clicks": ReaderShare.grouped(retired.clicks)]
        }
        return try site.formPage("admin-promotions", model.merging([
            "promotions": all.map { p -> [String: Any] in
                [
                    "name": p.name, "kind": PromotionForm.kindLabel(p.kind), "audience": PromotionForm.audienceLabel(p.audience),
                    "priority": p.priority, "status": p.rule.schedule(at: now), "views": ReaderShare.grouped(p.views),
                    "clicks": ReaderShare.grouped(p.clicks),
                    "rate": p.views > 0 ? String(format: "%.1f%%", Double(p.clicks) * 100 / Double(p.views)) : "–",
                    "target": [p.section.isEmpty ? nil : "section \(p.section)", p.tag.isEmpty ? nil : "tag \(p.tag)",
                               p.onArticles ? "articles" : nil, p.onHome ? "home page" : nil].compactMap { $0 }.joined(separator: ", "),
                    "editURL": SiteURL.adminEditPromotion(p.id).path, "deleteURL": SiteURL.adminPromotionDelete(p.id).path,
                ]
            },
            "hasPromotions": !all.isEmpty,
            "newLinks": PromotionKind.allCases.map { ["label": PromotionForm.kindLabel($0), "url": SiteURL.adminNewPromotion.path + "?kind=" + $0.rawValue] },
        ] as [String: Any]) { a, _ in a }, context: context)
    }

    /// The confirmation before deleting: what the promotion counted, and that those counts stay in the totals.
    func deletePage(_ p: Promotion, problem: String? = nil, context: QuorumContext, status: HTTPResponse.Status = .ok) throws -> Response {
        var model: [String: Any] = [
            "name": p.name, "kind": PromotionForm.kindLabel(p.kind), "enabled": p.enabled,
            "views": ReaderShare.grouped(p.views), "clicks": ReaderShare.grouped(p.clicks),
            "action": SiteURL.adminPromotionDelete(p.id).path, "editURL": SiteURL.adminEditPromotion(p.id).path,
            "listURL": SiteURL.adminPromotions.path,
        ]
        if let problem { model["problem"] = problem }
        return try site.formPage("admin-promotion-delete", model, context: context, status: status)
    }

    func editPage(_ p: Promotion, problem: String? = nil, preview: Bool = false, context: QuorumContext,
                  status: HTTPResponse.Status = .ok) throws -> Response {
        var model = PromotionForm.model(p)
        model["action"] = p.id == 0 ? SiteURL.adminPromotions.path : SiteURL.adminPromotion(p.id).path
        model["isNew"] = p.id == 0
        model["deleteURL"] = SiteURL.adminPromotionDelete(p.id).path
        if let problem { model["problem"] = problem }
        if preview {
            // Previewed with a fixed example share, so an editor sees how the numbers read.
            let example = ReaderShare(members: 37, readers: 12_408)
            var block = p.block(share: example)
            block.id = nil
            var shown = ReaderPagesLike.model(block)
            shown["linkURL"] = p.linkURL
            model["preview"] = shown
            model["previewNote"] = p.kind == .callToAction ? "With 37 members among 12,408 readers." : ""
        }
        return try site.formPage("admin-promotion-edit", model, context: context, status: status)
    }

    func save(_ request: Request, _ context: QuorumContext, id: Int64) async throws -> Response {
        try editor(context, next: SiteURL.adminPromotions.path)
        if id != 0, try await service.promotionStore.find(id) == nil { throw RequestError.notFound("There is no such promotion.") }
        var request = request
        let form = try await Form.read(&request)
        switch PromotionForm.read(form, id: id) {
        case .failure(let problem):
            return try editPage(PromotionForm.loose(form, id: id), problem: problem.message, context: context, status: .unprocessableContent)
        case .success(let promotion):
            _ = try await service.promotionStore.save(promotion, now: service.clock.now())
            await service.bus.publish(BusMessage(tags: [.promotions]))
            return Response.seeOther(SiteURL.adminPromotions.path)
        }
    }
}

/// A promotion block as the theme's `promotion-block` partial reads it.
enum ReaderPagesLike {
    static func model(_ block: ArticlePromotion) -> [String: Any] {
        var model: [String: Any] = ["kicker": block.kicker, "heading": block.heading, "text": block.text, "linkText": block.linkText,
                                    "linkURL": block.link.path]
        if let image = block.imageURL { model["imageURL"] = image; model["imageAlt"] = block.imageAlt ?? "" }
        return model
    }
}
