import Foundation
import Hummingbird
import MembershipEngine
import Payments
import QuorumStore
import QuorumWeb
import ShopEngine

/// The reader's side: the shop, product pages, the cart (a cookie, no JavaScript), checkout through the site's
/// payment provider, and the order status page reached from the email's signed link.
public struct ShopPages: Sendable {
    public let site: Site
    public let service: ShopService
    /// The provider new checkouts use (the membership settings'), read at each checkout.
    let checkoutProvider: @Sendable () -> (any PaymentProvider)?
    /// The masthead's sections (Publishing's).
    let navigation: (any SiteNavigation)?
    /// Markdown to safe HTML (Publishing's renderer, passed by the composition root).
    let markdown: @Sendable (String) -> String

    public init(site: Site, service: ShopService, checkoutProvider: @escaping @Sendable () -> (any PaymentProvider)?,
                navigation: (any SiteNavigation)? = nil, markdown: @escaping @Sendable (String) -> String) {
        self.site = site
        self.service = service
        self.checkoutProvider = checkoutProvider
        self.navigation = navigation
        self.markdown = markdown
    }

    var base: String {
        site.configuration.siteURL.hasSuffix("/") ? String(site.configuration.siteURL.dropLast()) : site.configuration.siteURL
    }

    func page(_ template: String, _ model: [String: Any], context: QuorumContext, status: HTTPResponse.Status = .ok,
              cart: Cart? = nil) async throws -> Response {
        var model = model
        model["nav"] = (try? await navigation?.links()) ?? []
        model["shopCSS"] = SiteURL.asset("shop.css", version: site.theme.assets["shop.css"]?.version).path
        model["shopURL"] = SiteURL.shop.path
        model["cartURL"] = SiteURL.shopCart.path
        if let cart, cart.count > 0 { model["cartCount"] = cart.count }
        return try site.formPage(template, model, context: context, status: status)
    }

    public func addRoutes(to router: Router<QuorumContext>) {
        router.get(RouterPath(SiteURL.shop)) { request, context in try await list(request, context) }
        router.get(RouterPath(SiteURL.shopCart)) { request, context in try await cartPage(request, context) }
        router.post(RouterPath(SiteURL.shopCartAdd)) { request, context in try await add(request, context) }
        router.post(RouterPath(SiteURL.shopCartUpdate)) { request, context in try await updateCart(request, context) }
        router.get(RouterPath(SiteURL.shopCheckout)) { request, context in try await checkoutPage(request, context) }
        router.post(RouterPath(SiteURL.shopCheckout)) { request, context in try await checkout(request, context) }
        router.get(RouterPath(SiteURL.shopOrder("id"))) { request, context in try await orderPage(request, context) }
        router.get(RouterPath(SiteURL.shopProduct("slug"))) { request, context in
            try await productPage(slug: try context.parameters.require("slug"), request, context)
        }
    }

    func cart(_ request: Request) -> Cart { Cart(cookie: request.cookies[Cart.cookie]?.value) }

    // MARK: views

    static func availabilityText(_ a: Availability) -> String {
        switch a {
        case .preOrder: "Pre-order"
        case .onSale: "In stock"
        case .soldOut: "Sold out"
        case .archived: "No longer available"
        case .draft: "Not published"
        }
    }

    /// A product as the list, its page and the promotion show it.
    func card(_ p: Product, at now: Date) -> [String: Any] {
        let a = p.terms.availability(at: now)
        var m: [String: Any] = [
            "id": p.id, "title": p.title, "summary": p.summary, "url": SiteURL.shopProduct(p.slug).path,
            "price": Price.text(p.priceMinor, p.currency), "vatPercent": p.vatPercent,
            "availability": Self.availabilityText(a), "canBuy": a.canBuy, "preOrder": a == .preOrder,
            "soldOut": a == .soldOut, "limit": max(1, p.perOrderLimit),
        ]
        if !p.coverImage.isEmpty {
            m["cover"] = SiteURL.image(p.coverImage).path
            m["coverAlt"] = p.coverAlt.isEmpty ? "Cover of \(p.title)" : p.coverAlt
        }
        if let release = p.releaseAt { m["release"] = DayText.long(release) }
        if a == .onSale || a == .preOrder, !p.oversell || a == .onSale {
            if p.stock <= 20 { m["stockNote"] = p.stock == 1 ? "Only 1 copy left" : "Only \(p.stock) copies left" }
        }
        if let d = p.donation {
            var donation: [String: Any] = [
                "partner": d.partner, "ratio": d.ratioText, "count": ShopText.grouped(p.donated), "one": p.donated == 1,
            ]
            // Mustache shows a section for any value, an empty string included: only what there is.
            if !d.link.isEmpty { donation["link"] = d.link }
            if let cap = d.cap { donation["capText"] = "up to \(ShopText.grouped(cap)) copies in all" }
            m["donation"] = donation
        }
        return m
    }

    func visible(_ p: Product, at now: Date) -> Bool {
        let a = p.terms.availability(at: now)
        return a != .draft && a != .archived
    }

    func list(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let now = service.now()
        let products = try await service.products().filter { visible($0, at: now) }
        return try await page("shop", ["products": products.map { card($0, at: now) }, "empty": products.isEmpty],
                              context: context, cart: cart(request))
    }

    func productPage(slug: String, _ request: Request, _ context: QuorumContext, error: String? = nil, quantity: String? = nil,
                     status: HTTPResponse.Status = .ok, preview: Bool = false) async throws -> Response {
        guard let p = try await service.product(slug: slug),
              preview || p.terms.availability(at: service.now()) != .draft else { throw ShopError.cart(.unknownProduct(slug)) }
        var model = card(p, at: service.now())
        model["description"] = markdown(p.descriptionMarkdown)
        model["addURL"] = SiteURL.shopCartAdd.path
        model["quantity"] = quantity ?? "1"
        if let error { model["error"] = error }
        if preview { model["preview"] = true }
        return try await page("shop-product", model, context: context, status: status, cart: cart(request))
    }

    // MARK: cart

    /// `POST /shop/cart/add` (`product`, `quantity`): the product's page again with the problem when the
    /// quantity is not a whole number from 1 to the limit or the product cannot be bought.
    func add(_ request: Request, _ context: QuorumContext) async throws -> Response {
        var request = request
        let form = try await Form.read(&request)
        let id = String((form["product"] ?? "").prefix(64))
        guard let p = try await service.product(id: id), visible(p, at: service.now()) else {
            throw ShopError.cart(.unknownProduct(id))
        }
        var cart = cart(request)
        let limit = max(1, p.perOrderLimit)
        switch QuantityField.parse(form["quantity"], limit: limit, allowZero: false) {
        case let .failure(why):
            return try await productPage(slug: p.slug, request, context, error: why.message,
                                         quantity: String((form["quantity"] ?? "").prefix(20)), status: .unprocessableContent)
        case let .success(n):
            guard p.terms.availability(at: service.now()).canBuy else {
                return try await productPage(slug: p.slug, request, context, error: "\(p.title) cannot be bought now.", status: .conflict)
            }
            let total = cart.quantity(of: p.id) + n
            guard total <= limit else {
                return try await productPage(slug: p.slug, request, context,
                                             error: "At most \(limit) copies per order (\(cart.quantity(of: p.id)) already in your cart).",
                                             quantity: String(n), status: .unprocessableContent)
            }
            guard cart.items.count < Cart.maximumLines || cart.quantity(of: p.id) > 0 else {
                return try await productPage(slug: p.slug, request, context, error: "Your cart is full.", status: .unprocessableContent)
            }
            cart.set(p.id, total)
        }
        var response = Response.seeOther(SiteURL.shopCart.path)
        response.setCookie(cart.cookie(secure: site.secureCookies))
        return response
    }

    /// The cart priced on the server: lines with what is wrong with each, and the subtotal.
    func cartModel(_ cart: Cart) async throws -> (model: [String: Any], products: [String: Product], problem: String?) {
        let now = service.now()
        var products: [String: Product] = [:]
        for item in cart.items { if let p = try await service.product(id: item.productID) { products[p.id] = p } }
        var lines: [[String: Any]] = []
        var subtotal: Int64 = 0
        var currency = "ZAR"
        var problem: String?
        for item in cart.items {
            guard let p = products[item.productID], visible(p, at: now) else {
                problem = problem ?? "A product in your cart is no longer sold: remove it to continue."
                lines.append(["title": "A product no longer sold", "productID": item.productID, "quantity": item.quantity,
                              "price": "", "total": "", "field": "q_\(item.productID)", "limit": 0])
                continue
            }
            currency = p.currency
            subtotal += p.priceMinor * Int64(item.quantity)
            var line = card(p, at: now)
            line["productID"] = p.id
            line["quantity"] = item.quantity
            line["field"] = "q_\(p.id)"
            line["total"] = Price.text(p.priceMinor * Int64(item.quantity), p.currency)
            if !p.terms.availability(at: now).canBuy { problem = problem ?? "\(p.title) cannot be bought now: remove it to continue." }
            lines.append(line)
        }
        return (["lines": lines, "subtotal": Price.text(subtotal, currency), "empty": cart.items.isEmpty,
                 "updateURL": SiteURL.shopCartUpdate.path, "checkoutURL": SiteURL.shopCheckout.path], products, problem)
    }

    func cartPage(_ request: Request, _ context: QuorumContext, cart given: Cart? = nil, error: String? = nil,
                  status: HTTPResponse.Status = .ok) async throws -> Response {
        let cart = given ?? cart(request)
        var (model, _, problem) = try await cartModel(cart)
        if let message = error ?? problem { model["error"] = message }
        return try await page("shop-cart", model, context: context, status: status, cart: cart)
    }

    /// `POST /shop/cart/update`: `q_<product>` quantities (0 removes), or `remove=<product>`.
    func updateCart(_ request: Request, _ context: QuorumContext) async throws -> Response {
        var request = request
        let form = try await Form.read(&request)
        var cart = cart(request)
        if let remove = form["remove"] {
            cart.set(remove, 0)
        } else {
            for item in cart.items {
                guard let text = form["q_\(item.productID)"] else { continue }
                let limit = try await service.product(id: item.productID).map { max(1, $0.perOrderLimit) } ?? 0
                switch QuantityField.parse(text, limit: limit, allowZero: true) {
                case let .failure(why): return try await cartPage(request, context, error: why.message, status: .unprocessableContent)
                case let .success(n): cart.set(item.productID, n)
                }
            }
        }
        var response = Response.seeOther(SiteURL.shopCart.path)
        response.setCookie(cart.cookie(secure: site.secureCookies))
        return response
    }

    // MARK: checkout

    struct CheckoutForm {
        var email = "", name = "", line1 = "", line2 = "", city = "", region = "", postalCode = "", country = "ZA"
        var shipping = "courier-za"

        init() {}

        init(_ form: Form) {
            func field(_ n: String, _ max: Int = 200) -> String { String((form[n] ?? "").trimmingCharacters(in: .whitespaces).prefix(max)) }
            email = field("email", 254); name = field("name"); line1 = field("line1"); line2 = field("line2")
            city = field("city"); region = field("region"); postalCode = field("postalCode", 20)
            country = field("country", 2).uppercased(); shipping = field("shipping", 40)
        }

        var address: Address {
            Address(name: name, line1: line1, line2: line2, city: city, region: region, postalCode: postalCode, country: country)
        }
    }

    func checkoutPage(_ request: Request, _ context: QuorumContext) async throws -> Response {
        var form = CheckoutForm()
        if let user = context.user { form.email = user.email; form.name = user.displayName }
        return try await checkoutView(request, context, form: form)
    }

    func checkoutView(_ request: Request, _ context: QuorumContext, form: CheckoutForm, problems: [String: String] = [:],
                      error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let cart = cart(request)
        guard !cart.items.isEmpty else { return .seeOther(SiteURL.shopCart.path) }
        var (model, products, problem) = try await cartModel(cart)
        // What every product in the cart can be sent with, at the rate checkout charges (ShopService prices the same way).
        let options = ShippingOption.common(cart.items.compactMap { products[$0.productID]?.shipping })
        let chosen: String? = options.contains { $0.id == form.shipping } ? form.shipping : options.first?.id
        let currency = products.values.first?.currency ?? "ZAR"
        model["shippingOptions"] = options.map { (o: ShippingOption) -> [String: Any] in
            let price: String = o.minor == 0 ? "free" : Price.text(o.minor, currency)
            return ["id": o.id, "label": o.label, "price": price, "chosen": o.id == chosen]
        }
        if options.isEmpty, problem == nil { problem = "These products cannot be sent together: buy them in separate orders." }
        model["countries"] = AddressRules.countries.sorted { $0.value < $1.value }.map { ["code": $0.key, "name": $0.value, "chosen": $0.key == form.country] }
        model["form"] = ["email": form.email, "name": form.name, "line1": form.line1, "line2": form.line2, "city": form.city,
                         "region": form.region, "postalCode": form.postalCode]
        model["problems"] = problems
        model["action"] = SiteURL.shopCheckout.path
        model["provider"] = checkoutProvider() != nil
        if let message = error ?? problem { model["error"] = message }
        return try await page("shop-checkout", model, context: context, status: status, cart: cart)
    }

    /// `POST /shop/checkout`: the cart from the cookie, the buyer from the form. Prices, products and totals come
    /// from the catalog; anything else the form carries (a price, another product id) is ignored.
    func checkout(_ request: Request, _ context: QuorumContext) async throws -> Response {
        var request = request
        let raw = try await Form.read(&request)
        let form = CheckoutForm(raw)
        let cart = cart(request)
        guard !cart.items.isEmpty else { return try await cartPage(request, context, error: ShopError.cart(.empty).message, status: .unprocessableContent) }
        guard let provider = checkoutProvider() else {
            return try await checkoutView(request, context, form: form, error: ShopError.noProvider.message, status: .serviceUnavailable)
        }
        let opened: ShopService.Opened
        do {
            opened = try await service.checkout(cart.items, buyer: ShopService.Buyer(
                userID: context.user?.id, email: form.email, address: form.address, shippingID: form.shipping), provider: provider.name)
        } catch let error as ShopError {
            if case let .address(problems) = error {
                return try await checkoutView(request, context, form: form, problems: problems, error: "Check the address: \(error.message)",
                                              status: error.status)
            }
            if case .email = error {
                return try await checkoutView(request, context, form: form, problems: ["email": error.message], error: error.message,
                                              status: error.status)
            }
            return try await checkoutView(request, context, form: form, error: error.message, status: error.status)
        }
        let key = try await site.settings.secretKey()
        let status = ShopMail.statusLink(orderID: opened.order.id, key: key).absolute(base)
        do {
            let start: CheckoutStart
            if let basket = provider as? any OrderCheckout {
                let currency = Currency(code: opened.order.currency)
                var items = opened.order.lines.map {
                    OrderLineItem(name: opened.titles[$0.productID] ?? $0.productID, unitAmount: Money(minor: $0.unitMinor, currency: currency),
                                  quantity: $0.quantity)
                }
                if opened.order.shippingMinor > 0 {
                    items.append(OrderLineItem(name: "Shipping", unitAmount: Money(minor: opened.order.shippingMinor, currency: currency), quantity: 1))
                }
                start = try await basket.checkoutOrder(id: opened.order.id, items: items, email: form.email, successURL: status,
                                                       cancelURL: SiteURL.shopCart.absolute(base), idempotencyKey: "order:\(opened.order.id)")
            } else {
                let names = form.name.split(separator: " ", maxSplits: 1).map(String.init)
                start = try await provider.checkout(CheckoutRequest(
                    membershipID: opened.order.id,
                    purpose: .oneOff(Money(minor: opened.order.totalMinor, currency: Currency(code: opened.order.currency))),
                    email: form.email, firstName: names.first ?? "", lastName: names.count > 1 ? names[1] : "",
                    itemName: "\(site.configuration.siteName) order \(ShopText.number(opened.number))", successURL: status,
                    cancelURL: SiteURL.shopCart.absolute(base), notifyURL: SiteURL.providerWebhook(provider.name).absolute(base),
                    today: service.now(), idempotencyKey: "order:\(opened.order.id)"))
            }
            var response: Response
            switch start {
            case let .redirect(url, sessionID):
                try await service.setPaymentRef(orderID: opened.order.id, sessionID)
                response = .seeOther(url.absoluteString)
            case let .formPost(action, fields):
                response = try await page("membership-redirect", [
                    "action": action.absoluteString, "fields": fields.map { ["name": $0.name, "value": $0.value] },
                    "membershipScript": SiteURL.asset("membership.js", version: site.theme.assets["membership.js"]?.version).path,
                ], context: context)
            }
            response.setCookie(Cart().cookie(secure: site.secureCookies))
            return response
        } catch let error as PaymentError {
            site.logger.warning("shop checkout refused", metadata: ["provider": "\(provider.name)", "reason": "\(error)"])
            // The reservation is given back at once rather than at expiry.
            _ = try? await service.apply(OrderEvent(id: "local:cancel:\(opened.order.id)", orderID: opened.order.id, at: service.now(),
                                                    kind: .cancelled), provider: "local")
            return try await checkoutView(request, context, form: form, error: ShopError.provider(provider.name).message,
                                          status: .serviceUnavailable)
        }
    }

    // MARK: the order's page

    func orderPage(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let token = request.uri.queryParameters["t"].map(String.init) ?? ""
        let key = try await site.settings.secretKey()
        guard ShopMail.validToken(token, orderID: id, key: key), let row = try await service.orderRow(id) else {
            throw ShopError.unknownOrder
        }
        var model = try await orderModel(row)
        model["pending"] = row.order.status == .pending
        return try await page("shop-order", model, context: context)
    }

    func orderModel(_ row: ShopStore.OrderRow) async throws -> [String: Any] {
        let o = row.order
        let products = try await service.products(ids: Array(o.quantities.keys))
        var model = ShopMail.receipt(o, titles: products.mapValues(\.title), vatPercent: products.values.first?.vatPercent ?? 0)
        model["number"] = ShopText.number(row.number)
        model["status"] = Self.statusText(o.status)
        model["statusCode"] = o.status.rawValue
        model["placed"] = DayText.long(o.createdAt)
        model["shippingLabel"] = row.shippingLabel
        model["addressLines"] = row.address.lines
        if !row.address.line1.isEmpty { model["hasAddress"] = true }
        if let s = o.shipment { model["shipment"] = ["carrier": s.carrier, "tracking": s.tracking, "date": DayText.long(s.at)] }
        if o.refundedMinor > 0 { model["refunded"] = Price.text(o.refundedMinor, o.currency) }
        return model
    }

    static func statusText(_ s: OrderStatus) -> String {
        switch s {
        case .pending: "Waiting for the payment to be confirmed"
        case .expired: "Not paid in time: the order expired and nothing was charged"
        case .cancelled: "Cancelled: nothing was charged"
        case .paid: "Paid: we will send it as soon as it is ready"
        case .fulfilled: "Sent"
        case .partiallyRefunded: "Partly refunded"
        case .refunded: "Refunded"
        case .refundDue: "Paid after it expired and sold out meanwhile: your payment is being refunded in full"
        }
    }
}

/// "1 March 2027" in UTC.
enum DayText {
    static func long(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                      "November", "December"]
        return "\(c.day!) \(months[c.month! - 1]) \(c.year!)"
    }
}
