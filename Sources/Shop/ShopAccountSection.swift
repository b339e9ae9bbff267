import Foundation
import QuorumWeb
import ShopEngine

/// The signed-in reader's orders on the account page (an ``AccountPageSection``): number, date, status, total,
/// each linking to its status page. Orders placed signed in belong to the account.
public struct ShopAccountSection: AccountPageSection {
    let service: ShopService
    let settings: @Sendable () async throws -> String

    public init(pages: ShopPages) {
        self.service = pages.service
        let site = pages.site
        self.settings = { try await site.settings.secretKey() }
    }

    public func render(for user: User, csrf: String, pages renderer: PageRenderer) async throws -> String? {
        let rows = try await service.orders(userID: user.id)
        guard !rows.isEmpty else { return nil }
        let key = try await settings()
        let orders: [[String: Any]] = rows.map { row in [
            "number": ShopText.number(row.number), "date": DayText.long(row.order.createdAt),
            "status": ShopPages.statusText(row.order.status), "statusCode": row.order.status.rawValue,
            "total": Price.text(row.order.totalMinor, row.order.currency), "copies": row.order.copies,
            "url": ShopMail.statusLink(orderID: row.order.id, key: key).path,
        ] }
        return try renderer.theme.render("account-shop", ["orders": orders, "shopURL": SiteURL.shop.path, "site": renderer.siteModel])
    }
}
