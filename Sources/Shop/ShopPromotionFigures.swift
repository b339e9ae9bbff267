import QuorumWeb

/// The shop's side of ``PromotionFigures``: a promotion linking to `/shop/SLUG` may say `{donated}` (copies
/// donated so far, "1,243"), `{partner}` and `{price}`, read when the page variant is rendered.
public struct ShopPromotionFigures: PromotionFigures {
    let service: ShopService

    public init(service: ShopService) { self.service = service }

    public func figures(forLink link: String) async throws -> [String: String] {
        let prefix = SiteURL.shop.path + "/"
        guard link.hasPrefix(prefix) else { return [:] }
        let slug = String(link.dropFirst(prefix.count).prefix { $0 != "?" && $0 != "#" && $0 != "/" })
        guard let p = try await service.product(slug: slug) else { return [:] }
        return ["{donated}": ShopText.grouped(p.donated), "{partner}": p.donation?.partner ?? "",
                "{price}": Price.text(p.priceMinor, p.currency)]
    }
}
