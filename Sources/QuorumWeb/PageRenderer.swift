import Foundation
import Hummingbird
import QuorumBus
import QuorumMail

import QuorumStore

/// Renders theme templates into HTML responses, adding what every page shares (site name, asset versions).
public struct PageRenderer: Sendable {
    public let theme: Theme
    public let configuration: QuorumConfiguration

    public init(theme: Theme, configuration: QuorumConfiguration) {
        self.theme = theme
        self.configuration = configuration
    }

    /// What every template can read under `site`: `site.links` holds the site's fixed addresses, so templates
    /// never write a path themselves.
    public var siteModel: [String: Any] {
        let cssVersion = theme.assets["site.css"]?.version ?? "0"
        var links = Self.links
        links["css"] = SiteURL.asset("site.css", version: cssVersion).path
        var model: [String: Any] = [
            "name": configuration.siteName,
            "url": configuration.siteBase,
            "language": "en",
            "cssVersion": cssVersion,
            "links": links,
        ]
        // Inside the embed's frame: no masthead, and the script that tells the host page the height.
        if let frame = EmbedFrame.current { model["embedded"] = ["origins": frame.origins.joined(separator: " ")] }
        return model
    }

    /// The addresses without parameters that pages link to or post to, under `site.links`.
    static let links: [String: String] = [
        "home": SiteURL.home.path,
        "search": SiteURL.search(nil).path,
        "feed": SiteURL.feed.path,
        "commentsScript": SiteURL.asset("comments.js").path,
        "membershipScript": SiteURL.asset("membership.js").path,
        "providerRedirectScript": SiteURL.asset("provider-redirect.js").path,
        "favicon": SiteURL.favicon.path,
        "signIn": SiteURL.signIn().path,
        "signInCode": SiteURL.signInCode().path,
        "signInLink": SiteURL.signInLink().path,
        "signInPassword": SiteURL.signInPassword.path,
        "signOut": SiteURL.signOut.path,
        "account": SiteURL.account.path,
        "accountName": SiteURL.accountName.path,
        "accountEmail": SiteURL.accountEmail.path,
        "accountEmailConfirm": SiteURL.accountEmailConfirm().path,
        "accountPassword": SiteURL.accountPassword.path,
        "accountRevokeSession": SiteURL.accountRevokeSession.path,
        "accountSignOutEverywhere": SiteURL.accountSignOutEverywhere.path,
        "accountExport": SiteURL.accountExport.path,
        "accountDelete": SiteURL.accountDelete.path,
        "moderation": SiteURL.moderation().path,
        "adminArticles": SiteURL.adminArticles.path,
        "adminComments": SiteURL.adminComments.path,
        "adminEmbedding": SiteURL.adminEmbedding.path,
        "embedFrameScript": SiteURL.asset("embed-frame.js").path,
        "membership": SiteURL.membership.path,
        "membershipCheckout": SiteURL.membershipCheckout.path,
        "membershipGive": SiteURL.membershipGive.path,
        "adminUsers": SiteURL.adminUsers.path,
        "adminInvitations": SiteURL.adminInvitations.path,
        "adminAudit": SiteURL.adminAudit.path,
        "adminMail": SiteURL.adminMail.path,
        "adminSettings": SiteURL.adminSettings.path,
        "adminMembership": SiteURL.adminMembership.path,
        "adminMembers": SiteURL.adminMembers().path,
        "adminMembersExport": SiteURL.adminMembersExport().path,
        "adminHonorary": SiteURL.adminHonorary.path,
        "adminMembershipSettings": SiteURL.adminMembershipSettings.path,
        "adminReadership": SiteURL.adminReadership.path,
        "adminPromotions": SiteURL.adminPromotions.path,
        "adminShop": SiteURL.adminShop.path,
        "shop": SiteURL.shop.path,
        "adminNewPromotion": SiteURL.adminNewPromotion.path,
        "adminPromotionPreview": SiteURL.adminPromotionPreview.path,
    ]

    /// Renders `template` with `model` plus `site`, as a `text/html` body.
    public func html(_ template: String, _ model: [String: Any], status: HTTPResponse.Status = .ok) throws -> Response {
        var context = model
        context["site"] = siteModel
        let text = try theme.render(template, context)
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// The themed error page; falls back to plain text if the theme itself is broken.
    public func errorPage(status: HTTPResponse.Status, message: String) -> Response {
        let heading = status.code == 404 ? "Page not found" : (status.code >= 500 ? "Something went wrong" : status.reasonPhrase)
        if var response = try? html("error", ["status": status.code, "heading": heading, "message": message], status: status) {
            response.headers[.cacheControl] = "no-store"
            return response
        }
        return Response(
            status: status,
            headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: "\(status.code) \(heading)\n\(message)\n"))
        )
    }
}
