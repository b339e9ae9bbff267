import Foundation
import Hummingbird
import MembershipEngine
import NIOCore
import Payments
import QuorumStore
import QuorumWeb
import ShopEngine

/// The admin's shop: products (create, edit, preview, schedule, stock), orders (filters, search, shipping with
/// tracking, packing slips, refunds through the provider), the donation report and CSV exports. Admins only;
/// every change is in the audit log; forms carry the CSRF token (checked by the site's middleware).
public struct ShopAdmin: Sendable {
    let pages: ShopPages
    /// The site's providers by name (membership's), for refunds.
    let providers: @Sendable () -> [String: any PaymentProvider]

    /// Stores an uploaded image in the site's image store (the one articles' photos are in) and gives its name;
    /// nil: the editor offers no upload, only a choice among stored images.
    let storeImage: (@Sendable ([UInt8]) async throws -> String)?
    /// The largest upload the image store takes.
    let imageLimit: Int

    public init(pages: ShopPages, providers: @escaping @Sendable () -> [String: any PaymentProvider],
                storeImage: (@Sendable ([UInt8]) async throws -> String)? = nil, imageLimit: Int = 5 << 20) {
        self.pages = pages
        self.providers = providers
        self.storeImage = storeImage
        self.imageLimit = imageLimit
    }

    static func coverPath(_ id: String) -> String { SiteURL.adminShopProduct(id).path + "/cover" }

    var site: Site { pages.site }
    var service: ShopService { pages.service }

    public func addRoutes(to router: Router<QuorumContext>) {
        router.get(RouterPath(SiteURL.adminShop)) { _, context in try await productsPage(context) }
        router.get(RouterPath(SiteURL.adminShopNewProduct)) { _, context in
            _ = try admin(context, next: SiteURL.adminShopNewProduct.path)
            return try await productForm(context, product: nil, values: Self.shippingValues(Product.defaultShipping))
        }
        router.post(RouterPath(SiteURL.adminShopNewProduct)) { request, context in try await saveProduct(request, context, id: nil) }
        router.get(RouterPath(SiteURL.adminShopProduct("id"))) { _, context in
            let id = try context.parameters.require("id")
            _ = try admin(context, next: SiteURL.adminShopProduct(id).path)
            guard let p = try await service.product(id: id) else { throw RequestError.notFound() }
            return try await productForm(context, product: p, values: Self.values(p))
        }
        router.post(RouterPath(SiteURL.adminShopProduct("id"))) { request, context in
            try await saveProduct(request, context, id: try context.parameters.require("id"))
        }
        router.post(RouterPath(SiteURL.adminShopStock("id"))) { request, context in try await addStock(request, context) }
        router.post(RouterPath(Self.coverPath(":id"))) { request, context in try await uploadCover(request, context) }
        router.get(RouterPath(SiteURL.adminShopPreview("id"))) { request, context in
            let id = try context.parameters.require("id")
            _ = try admin(context, next: SiteURL.adminShopPreview(id).path)
            guard let p = try await service.product(id: id) else { throw RequestError.notFound() }
            return try await pages.productPage(slug: p.slug, request, context, preview: true)
        }
        router.get(RouterPath(SiteURL.adminShopOrders())) { request, context in try await ordersPage(request, context) }
        router.get(RouterPath(SiteURL.adminShopOrdersExport())) { request, context in try await ordersCSV(request, context) }
        router.get(RouterPath(SiteURL.adminShopOrder("id"))) { request, context in try await orderPage(context) }
        router.post(RouterPath(SiteURL.adminShopShip("id"))) { request, context in try await ship(request, context) }
        router.post(RouterPath(SiteURL.adminShopRefund("id"))) { request, context in try await refund(request, context) }
        router.get(RouterPath(SiteURL.adminShopPackingSlip("id"))) { _, context in try await packingSlip(context) }
        router.get(RouterPath(SiteURL.adminShopDonations())) { request, context in try await donationsPage(request, context) }
        router.get(RouterPath(SiteURL.adminShopDonationsExport())) { request, context in try await donationsCSV(request, context) }
    }

    func admin(_ context: QuorumContext, next: String) throws -> User {
        guard context.user != nil else { throw RedirectToSignIn(next: next) }
        return try context.requireRole(.admin)
    }

    func page(_ template: String, _ model: [String: Any], context: QuorumContext, status: HTTPResponse.Status = .ok) throws -> Response {
        var model = model
        model["shopNav"] = ["products": SiteURL.adminShop.path, "orders": SiteURL.adminShopOrders().path,
                            "donations": SiteURL.adminShopDonations().path]
        model["shopCSS"] = SiteURL.asset("shop.css", version: site.theme.assets["shop.css"]?.version).path
        return try site.formPage(template, model, context: context, status: status)
    }

    func audit(_ admin: User, _ action: String, _ subject: String, _ details: String? = nil) async throws {
        try await site.database.transaction { db in
            try await AuditLog.record(actor: admin.id, action: action, subject: subject, details: details, on: db)
        }
    }

    // MARK: products

    func productsPage(_ context: QuorumContext) async throws -> Response {
        _ = try admin(context, next: SiteURL.adminShop.path)
        let now = service.now()
        let products = try await service.products(publishedOnly: false)
        return try page("admin-shop", [
            "products": products.map { p in [
                "title": p.title, "editURL": SiteURL.adminShopProduct(p.id).path, "previewURL": SiteURL.adminShopPreview(p.id).path,
                "state": ShopPages.availabilityText(p.terms.availability(at: now)), "price": Price.text(p.priceMinor, p.currency),
                "stock": p.stock, "paid": p.paidCopies, "donated": ShopText.grouped(p.donated),
            ] as [String: Any] },
            "newURL": SiteURL.adminShopNewProduct.path,
        ], context: context)
    }

    static func values(_ p: Product) -> [String: String] {
        func day(_ d: Date?) -> String { d.map { ISO8601DateFormatter.string(from: $0, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate]) } ?? "" }
        func minute(_ d: Date?) -> String {
            d.map { String(ISO8601DateFormatter.string(from: $0, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate, .withTime, .withDashSeparatorInDate, .withColonSeparatorInTime]).prefix(16)) } ?? ""
        }
        return [
            "title": p.title, "slug": p.slug, "summary": p.summary, "description": p.descriptionMarkdown, "cover": p.coverImage,
            "coverAlt": p.coverAlt, "price": String(format: "%.2f", Double(p.priceMinor) / 100), "currency": p.currency,
            "vat": String(p.vatPercent), "state": p.state.rawValue, "publishAt": minute(p.publishAt), "releaseAt": day(p.releaseAt),
            "limit": String(p.perOrderLimit), "oversell": p.oversell ? "1" : "", "partner": p.donation?.partner ?? "",
            "partnerURL": p.donation?.link ?? "", "donatePer": String(p.donation?.donated ?? 1), "soldPer": String(p.donation?.sold ?? 1),
            "cap": p.donation?.cap.map(String.init) ?? "", "stock": String(p.stock),
        ].merging(Self.shippingValues(p.shipping)) { a, _ in a }
    }

    // MARK: shipping options

    /// Courier rows the editor shows: the product's, and at least two empty ones.
    static let shippingRows = 6

    /// The editor's fields for a product's options: `collect`/`collectLabel`, then `ship_id_i`, `ship_label_i`,
    /// `ship_rate_i` (with VAT, like the price) and `ship_countries_i` (ISO codes) per courier rate.
    static func shippingValues(_ options: [ShippingOption]) -> [String: String] {
        var v: [String: String] = ["collect": "", "collectLabel": "Collect from the newsroom"]
        var i = 0
        for o in options {
            if o.isCollection {
                v["collect"] = "1"
                v["collectLabel"] = o.label
            } else if i < shippingRows {
                v["ship_id_\(i)"] = o.id
                v["ship_label_\(i)"] = o.label
                v["ship_rate_\(i)"] = String(format: "%.2f", Double(o.minor) / 100)
                v["ship_countries_\(i)"] = o.countries.joined(separator: ", ")
                i += 1
            }
        }
        return v
    }

    static var shippingKeys: [String] {
        ["collect", "collectLabel"] + (0..<shippingRows).flatMap { ["ship_id_\($0)", "ship_label_\($0)", "ship_rate_\($0)", "ship_countries_\($0)"] }
    }

    /// The options from the editor's fields, or what is wrong with them: a label and a rate (0 or more, with VAT)
    /// for each courier row that is not empty, countries the address rules know, no country in two courier
    /// rates, and at least one way to get the product.
    static func shippingOptions(_ v: [String: String]) -> (options: [ShippingOption], errors: [String]) {
        var options: [ShippingOption] = []
        var errors: [String] = []
        if v["collect"] == "1" {
            let label = (v["collectLabel"] ?? "").trimmingCharacters(in: .whitespaces)
            if label.isEmpty || label.count > 100 { errors.append("Name the collection option (at most 100 characters).") }
            options.append(ShippingOption(id: "collect", label: label, minor: 0, countries: []))
        }
        var taken: [String: String] = [:]
        var ids: Set<String> = ["collect"]
        for i in 0..<shippingRows {
            let label = (v["ship_label_\(i)"] ?? "").trimmingCharacters(in: .whitespaces)
            let rateText = (v["ship_rate_\(i)"] ?? "").trimmingCharacters(in: .whitespaces)
            let countryText = (v["ship_countries_\(i)"] ?? "").trimmingCharacters(in: .whitespaces)
            if label.isEmpty && rateText.isEmpty && countryText.isEmpty { continue }
            let row = "Courier rate \(i + 1)"
            if label.isEmpty || label.count > 100 { errors.append("\(row): name it (at most 100 characters).") }
            let rate = minor(rateText)
            if rate == nil || rate! > 100_000_000 { errors.append("\(row): enter the rate with VAT, such as 60.00 (0 for free delivery).") }
            let codes = countryText.uppercased().split { $0 == "," || $0 == " " || $0 == ";" }.map(String.init)
            var countries: [String] = []
            if codes.isEmpty { errors.append("\(row): list the countries it delivers to, such as ZA, NA.") }
            for code in codes where !countries.contains(code) {
                guard AddressRules.countries[code] != nil else {
                    errors.append("\(row): \(String(code.prefix(10))) is not a country the shop takes addresses for "
                                  + "(\(AddressRules.countries.keys.sorted().joined(separator: ", "))).")
                    continue
                }
                if let other = taken[code] {
                    errors.append("\(row): \(code) already has a rate (\(other)); each country has one courier rate.")
                    continue
                }
                taken[code] = label
                countries.append(code)
            }
            // Kept from the form when it is one of ours, so an edit does not rename what orders were sent with.
            var id = v["ship_id_\(i)"] ?? ""
            if id.wholeMatch(of: /courier-[a-z0-9-]{1,40}/) == nil || ids.contains(id) {
                let base = "courier-" + (slug(label).prefix(30).isEmpty ? "\(i + 1)" : String(slug(label).prefix(30)))
                id = base
                var n = 2
                while ids.contains(id) { id = "\(base)-\(n)"; n += 1 }
            }
            ids.insert(id)
            options.append(ShippingOption(id: id, label: label, minor: rate ?? 0, countries: countries))
        }
        if options.isEmpty && errors.isEmpty { errors.append("Offer collection or at least one courier rate.") }
        return (errors.isEmpty ? options : [], errors)
    }

    static func shippingModel(_ v: [String: String]) -> [[String: Any]] {
        (0..<shippingRows).map { i in [
            "n": i + 1, "idField": "ship_id_\(i)", "labelField": "ship_label_\(i)", "rateField": "ship_rate_\(i)",
            "countriesField": "ship_countries_\(i)", "id": v["ship_id_\(i)"] ?? "", "label": v["ship_label_\(i)"] ?? "",
            "rate": v["ship_rate_\(i)"] ?? "", "countries": v["ship_countries_\(i)"] ?? "",
        ] }
    }

    func productForm(_ context: QuorumContext, product: Product?, values: [String: String], errors: [String] = [],
                     status: HTTPResponse.Status = .ok) async throws -> Response {
        // The cover picker: the image store's newest images (and the current cover), or none.
        var names = try await service.recentImages()
        let current = values["cover"] ?? ""
        if !current.isEmpty && !names.contains(current) { names.insert(current, at: 0) }
        let covers: [[String: Any]] = names.map { ["name": $0, "url": SiteURL.image($0).path, "chosen": $0 == current] }
        var model: [String: Any] = [
            "v": values, "action": product.map { SiteURL.adminShopProduct($0.id).path } ?? SiteURL.adminShopNewProduct.path,
            "isNew": product == nil, "states": ProductState.allCases.map { ["value": $0.rawValue, "chosen": $0.rawValue == (values["state"] ?? "draft")] },
            "oversellChecked": values["oversell"] == "1",
            "collectChecked": values["collect"] == "1", "collectLabel": values["collectLabel"] ?? "Collect from the newsroom",
            "shippingRows": Self.shippingModel(values),
            "countryList": AddressRules.countries.keys.sorted().joined(separator: ", "),
            "covers": covers, "noCover": current.isEmpty, "hasCovers": !covers.isEmpty,
        ]
        if let product, storeImage != nil {
            model["coverUploadURL"] = Self.coverPath(product.id)
            model["imageLimit"] = "\(imageLimit / 1_048_576) MB"
        }
        if let product {
            model["stockURL"] = SiteURL.adminShopStock(product.id).path
            model["previewURL"] = SiteURL.adminShopPreview(product.id).path
            model["publicURL"] = SiteURL.shopProduct(product.slug).path
            model["stock"] = product.stock
            model["held"] = product.stockAdded - product.stock
        }
        if !errors.isEmpty { model["errors"] = errors }
        return try page("admin-shop-product", model, context: context, status: status)
    }

    /// Minor units from "250", "250.5" or "250.00"; nil for anything else.
    static func minor(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.wholeMatch(of: /[0-9]{1,9}(\.[0-9]{1,2})?/) != nil else { return nil }
        let parts = t.split(separator: ".", omittingEmptySubsequences: false)
        let cents = parts.count > 1 ? Int64(parts[1].padding(toLength: 2, withPad: "0", startingAt: 0))! : 0
        return Int64(parts[0])! * 100 + cents
    }

    static func date(_ text: String, time: Bool) -> Date?? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return .some(nil) }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = time ? "yyyy-MM-dd'T'HH:mm" : "yyyy-MM-dd"
        guard let d = f.date(from: t) else { return nil }
        return .some(d)
    }

    func saveProduct(_ request: Request, _ context: QuorumContext, id: String?) async throws -> Response {
        let user = try admin(context, next: id.map { SiteURL.adminShopProduct($0).path } ?? SiteURL.adminShopNewProduct.path)
        var request = request
        let form = try await Form.read(&request)
        var v: [String: String] = [:]
        for key in ["title", "slug", "summary", "description", "cover", "coverAlt", "price", "currency", "vat", "state", "publishAt",
                    "releaseAt", "limit", "oversell", "partner", "partnerURL", "donatePer", "soldPer", "cap", "stock"] {
            v[key] = String((form[key] ?? "").prefix(key == "description" ? 20_000 : 300))
        }
        let existing = try await id.asyncMap { try await service.product(id: $0) } ?? nil
        if id != nil && existing == nil { throw RequestError.notFound() }
        for key in Self.shippingKeys { v[key] = String((form[key] ?? "").prefix(300)) }
        // A new product's form starts with the defaults; a form without the shipping fields keeps the product's.
        if !Self.shippingKeys.contains(where: { form[$0] != nil }) {
            for (key, value) in Self.shippingValues(existing?.shipping ?? Product.defaultShipping) { v[key] = value }
        }
        var errors: [String] = []
        let title = v["title"]!.trimmingCharacters(in: .whitespaces)
        if title.isEmpty { errors.append("Enter a title.") }
        let slug = v["slug"]!.isEmpty ? Self.slug(title) : v["slug"]!.lowercased()
        if slug.wholeMatch(of: /[a-z0-9]+(-[a-z0-9]+)*/) == nil || ["cart", "checkout", "orders"].contains(slug) {
            errors.append("The address name may hold lower-case letters, digits and dashes (not cart, checkout or orders).")
        }
        let price = Self.minor(v["price"]!)
        if price == nil || price! <= 0 { errors.append("Enter the price with VAT, such as 250.00.") }
        let currency = v["currency"]!.isEmpty ? "ZAR" : v["currency"]!.uppercased()
        if currency.wholeMatch(of: /[A-Z]{3}/) == nil { errors.append("The currency is a three-letter code such as ZAR.") }
        let vat = Int(v["vat"]!.isEmpty ? "15" : v["vat"]!)
        if vat == nil || !(0...50).contains(vat!) { errors.append("VAT is a whole percentage from 0 to 50.") }
        let state = ProductState(rawValue: v["state"]!) ?? .draft
        let publishAt = Self.date(v["publishAt"]!, time: true)
        if publishAt == nil { errors.append("Publish at is a date and time such as 2027-03-01T08:00 (UTC).") }
        let releaseAt = Self.date(v["releaseAt"]!, time: false)
        if releaseAt == nil { errors.append("The release date looks like 2027-03-01.") }
        let limit = Int(v["limit"]!.isEmpty ? "10" : v["limit"]!)
        if limit == nil || !(1...Pricing.hardLimit).contains(limit!) { errors.append("The per-order limit is from 1 to \(Pricing.hardLimit).") }
        let donatePer = Int(v["donatePer"]!.isEmpty ? "1" : v["donatePer"]!), soldPer = Int(v["soldPer"]!.isEmpty ? "1" : v["soldPer"]!)
        if donatePer == nil || soldPer == nil || donatePer! < 0 || soldPer! < 1 || donatePer! > 100 || soldPer! > 100 {
            errors.append("The ratio is whole numbers: donate 0–100 for every 1–100 sold.")
        }
        let cap = v["cap"]!.isEmpty ? Optional<Int>.none : Int(v["cap"]!)
        if !v["cap"]!.isEmpty && (cap == nil || cap! < 0) { errors.append("The cap is a whole number of copies, or empty for none.") }
        let stock = Int(v["stock"]!.isEmpty ? "0" : v["stock"]!)
        if existing == nil && (stock == nil || stock! < 0 || stock! > 1_000_000) { errors.append("Stock is a whole number of copies.") }
        let link = v["partnerURL"]!.trimmingCharacters(in: .whitespaces)
        if !link.isEmpty && !(link.hasPrefix("https://") || link.hasPrefix("http://")) { errors.append("The partner's link starts with https://.") }
        let cover = v["cover"]!.trimmingCharacters(in: .whitespaces)
        var coverStored = cover.isEmpty
        if !cover.isEmpty && cover.count <= 200 { coverStored = try await service.imageExists(cover) }
        if !coverStored {
            errors.append("Choose the cover among the images in the image store.")
        }
        let (shipping, shippingErrors) = Self.shippingOptions(v)
        errors += shippingErrors
        if errors.isEmpty, let other = try await service.product(slug: slug), other.id != id { errors.append("Another product uses the address name \(slug).") }
        guard errors.isEmpty else { return try await productForm(context, product: existing, values: v, errors: errors, status: .unprocessableContent) }

        let partner = v["partner"]!.trimmingCharacters(in: .whitespaces)
        var p = existing ?? Product(slug: slug, title: title, priceMinor: price!, stock: stock!, now: service.now())
        p.slug = slug; p.title = title; p.summary = v["summary"]!; p.descriptionMarkdown = v["description"]!
        p.coverImage = cover; p.coverAlt = v["coverAlt"]!; p.priceMinor = price!; p.currency = currency; p.vatPercent = vat!
        p.state = state; p.publishAt = publishAt!; p.releaseAt = releaseAt!; p.perOrderLimit = limit!; p.oversell = v["oversell"] == "1"
        p.shipping = shipping
        p.donation = partner.isEmpty ? nil : Donation(partner: partner, link: link, donated: donatePer!, sold: soldPer!, cap: cap)
        if existing == nil {
            try await service.create(p)
            try await audit(user, "shop.product.create", p.id, p.title)
        } else {
            try await service.update(p)
            try await audit(user, "shop.product.update", p.id, p.title)
        }
        return .seeOther(SiteURL.adminShopProduct(p.id).path)
    }

    static func slug(_ title: String) -> String {
        let lowered = title.lowercased().folding(options: .diacriticInsensitive, locale: nil)
        let parts = lowered.split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }
        return parts.joined(separator: "-").prefix(80).description
    }

    /// `POST /admin/shop/products/{id}/cover` (multipart: `image`, `alt`): stores the image in the image store (which
    /// checks its type by content and its size) and makes it the product's cover. Errors show the editor again.
    func uploadCover(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let user = try admin(context, next: SiteURL.adminShopProduct(id).path)
        guard let storeImage, var p = try await service.product(id: id) else { throw RequestError.notFound() }
        let form: MultipartForm
        if let parsed = context.multipart {
            form = parsed
        } else {
            var request = request
            form = try await MultipartForm.read(&request, limit: MultipartForm.limit(forFilesOf: imageLimit))
        }
        func failed(_ why: String, _ status: HTTPResponse.Status) async throws -> Response {
            try await productForm(context, product: p, values: Self.values(p), errors: [why], status: status)
        }
        if form.truncated { return try await failed("The image is larger than \(imageLimit / 1_048_576) MB.", .contentTooLarge) }
        guard let file = form.file("image"), !file.body.isEmpty else { return try await failed("Choose an image file to upload.", .badRequest) }
        let name: String
        do { name = try await storeImage(file.body) } catch {
            return try await failed("The image was not stored: it must be a JPEG, PNG or WebP of at most \(imageLimit / 1_048_576) MB.",
                                    .unsupportedMediaType)
        }
        p.coverImage = name
        let alt = (form["alt"] ?? "").trimmingCharacters(in: .whitespaces)
        if !alt.isEmpty { p.coverAlt = String(alt.prefix(300)) }
        try await service.update(p)
        try await audit(user, "shop.product.cover", id, name)
        return .seeOther(SiteURL.adminShopProduct(id).path + "#cover")
    }

    func addStock(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let user = try admin(context, next: SiteURL.adminShopProduct(id).path)
        var request = request
        let form = try await Form.read(&request)
        guard let p = try await service.product(id: id) else { throw RequestError.notFound() }
        guard let n = Int((form["copies"] ?? "").trimmingCharacters(in: .whitespaces)), n != 0, abs(n) <= 1_000_000 else {
            return try await productForm(context, product: p, values: Self.values(p), errors: ["Enter the copies to add (or, negative, to remove)."],
                                   status: .unprocessableContent)
        }
        guard try await service.addStock(productID: id, n) else {
            return try await productForm(context, product: p, values: Self.values(p),
                                   errors: ["Only \(p.stock) free copies can be removed; the rest are held by orders."], status: .conflict)
        }
        try await audit(user, "shop.product.stock", id, "\(n)")
        return .seeOther(SiteURL.adminShopProduct(id).path)
    }

    // MARK: orders

    static let filters: [(String?, String)] = [(nil, "All"), ("pending", "Pending"), ("paid", "Paid, to send"), ("fulfilled", "Sent"),
                                                ("partially_refunded", "Partly refunded"), ("refunded", "Refunded"),
                                                ("refund_due", "Refund due"), ("expired", "Expired"), ("cancelled", "Cancelled")]

    func ordersPage(_ request: Request, _ context: QuorumContext) async throws -> Response {
        _ = try admin(context, next: SiteURL.adminShopOrders().path)
        let status = request.uri.queryParameters["status"].flatMap { OrderStatus(rawValue: String($0)) }
        let q = String((request.uri.queryParameters["q"].map(String.init) ?? "").prefix(100))
        // Keyset paging on the order number (unique, newest first), as the members list pages on its key.
        let before = request.uri.queryParameters["before"].flatMap { Int64(String($0)) }.flatMap { $0 > 0 ? $0 : nil }
        let fetched = try await service.adminOrders(status: status, query: q, before: before, limit: Self.ordersPageSize + 1)
        let rows = Array(fetched.prefix(Self.ordersPageSize))
        let counts = try await service.orderCounts()
        let first = SiteURL.adminShopOrders(status: status?.rawValue, q: q.isEmpty ? nil : q).path
        var model: [String: Any] = [
            "filters": Self.filters.map { f in [
                "label": f.1, "url": SiteURL.adminShopOrders(status: f.0, q: q.isEmpty ? nil : q).path,
                "count": f.0.map { counts[$0] ?? 0 } ?? counts.values.reduce(0, +), "current": f.0 == status?.rawValue,
            ] as [String: Any] },
            "status": status?.rawValue ?? "", "query": q, "found": !rows.isEmpty,
            "orders": rows.map { r in [
                "number": ShopText.number(r.number), "url": SiteURL.adminShopOrder(r.order.id).path, "date": DayText.long(r.order.createdAt),
                "name": r.buyerName, "email": r.email, "status": r.order.status.rawValue, "total": Price.text(r.order.totalMinor, r.order.currency),
                "copies": r.order.copies, "tracking": r.order.shipment?.tracking ?? "",
            ] as [String: Any] },
            "exportURL": SiteURL.adminShopOrdersExport(status: status?.rawValue, q: q.isEmpty ? nil : q).path,
            "action": SiteURL.adminShopOrders().path,
            "paged": before != nil, "firstURL": first, "pageSize": Self.ordersPageSize,
        ]
        if fetched.count > Self.ordersPageSize, let last = rows.last {
            model["nextURL"] = first + (first.contains("?") ? "&" : "?") + "before=\(last.number)"
        }
        return try page("admin-shop-orders", model, context: context)
    }

    /// Orders on one page of the admin's list.
    static let ordersPageSize = 50

    func orderPage(_ context: QuorumContext, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let id = try context.parameters.require("id")
        _ = try admin(context, next: SiteURL.adminShopOrder(id).path)
        guard let row = try await service.orderRow(id) else { throw RequestError.notFound() }
        var model = try await pages.orderModel(row)
        let products = try await service.products(ids: Array(row.order.quantities.keys))
        model["id"] = id
        model["email"] = row.email
        model["buyer"] = row.buyerName
        model["provider"] = row.provider
        model["paymentRef"] = row.paymentRef
        model["shipURL"] = SiteURL.adminShopShip(id).path
        model["refundURL"] = SiteURL.adminShopRefund(id).path
        model["slipURL"] = SiteURL.adminShopPackingSlip(id).path
        model["nonce"] = Secrets.token(bytes: 8)
        let s = row.order.status
        model["canShip"] = s == .paid || s == .fulfilled || s == .partiallyRefunded
        model["canRefund"] = row.order.payment != nil && s != .refunded
        model["refundLines"] = row.order.lines.map { l in [
            "field": "r_\(l.productID)", "title": products[l.productID]?.title ?? l.productID,
            "left": l.quantity - (row.order.refundedCopies[l.productID] ?? 0), "unit": Price.text(l.unitMinor, row.order.currency),
        ] as [String: Any] }
        model["refundAtProvider"] = !(providers()[row.provider] is any OrderRefunds)
        if !row.order.extraPayments.isEmpty { model["extraPayments"] = row.order.extraPayments.count }
        if let error { model["error"] = error }
        return try page("admin-shop-order", model, context: context, status: status)
    }

    func ship(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let user = try admin(context, next: SiteURL.adminShopOrder(id).path)
        var request = request
        let form = try await Form.read(&request)
        guard try await service.orderRow(id) != nil else { throw RequestError.notFound() }
        do {
            let receipt = try await service.ship(orderID: id, carrier: String((form["carrier"] ?? "").prefix(100)),
                                                 tracking: form["tracking"] ?? "", nonce: form["nonce"] ?? Secrets.token(bytes: 8))
            if case let .rejected(why) = receipt { return try await orderPage(context, error: "Not shipped: \(why).", status: .conflict) }
        } catch let error as ShopError {
            return try await orderPage(context, error: error.message, status: error.status)
        }
        try await audit(user, "shop.order.ship", id, form["tracking"])
        return .seeOther(SiteURL.adminShopOrder(id).path)
    }

    /// Refunds copies (`r_<product>`) and, with `shipping=1`, the shipping: through the provider first (Stripe's
    /// or PayFast's refunds API; Stripe's keyed by the form's nonce so a retry is one refund, and a nonce already in
    /// the ledger is not refunded again), then in the ledger. For a provider without a refund API the admin
    /// refunds in its dashboard and ticks `refunded_at_provider`.
    func refund(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let user = try admin(context, next: SiteURL.adminShopOrder(id).path)
        var request = request
        let form = try await Form.read(&request)
        guard let row = try await service.orderRow(id) else { throw RequestError.notFound() }
        var copies: [String: Int] = [:]
        for line in row.order.lines {
            let text = (form["r_\(line.productID)"] ?? "").trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            guard let n = Int(text), n >= 0, n <= line.quantity else {
                return try await orderPage(context, error: "Refund a whole number of copies, at most those bought.", status: .unprocessableContent)
            }
            copies[line.productID] = n
        }
        let nonce = String((form["nonce"] ?? Secrets.token(bytes: 8)).prefix(40))
        let amount: Int64
        do { amount = try service.refundAmount(row.order, copies: copies, shipping: form["shipping"] == "1") } catch let error as ShopError {
            return try await orderPage(context, error: error.message, status: error.status)
        }
        let eventID = ShopService.refundEventID(orderID: id, nonce: nonce)
        // The same form sent again: that refund is made and recorded already (PayFast takes no idempotency key).
        if try await service.hasEvent(eventID) { return .seeOther(SiteURL.adminShopOrder(id).path) }
        if let refunds = providers()[row.provider] as? any OrderRefunds {
            guard refunds.refundable(paymentRef: row.paymentRef) else {
                return try await orderPage(context, error: "The payment's reference is not known yet: refund it in the provider's dashboard.",
                                           status: .conflict)
            }
            do {
                try await refunds.refundOrder(orderID: id, paymentRef: row.paymentRef,
                                              amount: Money(minor: amount, currency: Currency(code: row.order.currency)),
                                              reason: String((form["reason"] ?? "").prefix(255)), idempotencyKey: "refund:\(id):\(nonce)")
            } catch let error as PaymentError {
                site.logger.warning("shop refund refused", metadata: ["order": "\(id)", "reason": "\(error)"])
                return try await orderPage(context, error: "The provider did not make the refund: nothing was recorded.", status: .badGateway)
            }
        } else if form["refunded_at_provider"] != "1" {
            return try await orderPage(context, error: "Refund it in the provider's dashboard first, then tick that it was refunded there.",
                                       status: .unprocessableContent)
        }
        _ = try await service.recordRefund(orderID: id, copies: copies, amountMinor: amount, nonce: nonce)
        try await audit(user, "shop.order.refund", id, Price.text(amount, row.order.currency))
        return .seeOther(SiteURL.adminShopOrder(id).path)
    }

    func packingSlip(_ context: QuorumContext) async throws -> Response {
        let id = try context.parameters.require("id")
        _ = try admin(context, next: SiteURL.adminShopPackingSlip(id).path)
        guard let row = try await service.orderRow(id) else { throw RequestError.notFound() }
        var model = try await pages.orderModel(row)
        model["buyer"] = row.buyerName
        model["email"] = row.email
        return try page("admin-shop-slip", model, context: context)
    }

    // MARK: donations and exports

    func period(_ request: Request) -> (Date, Date, String, String) {
        let q = request.uri.queryParameters
        let now = service.now()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let monthStart = calendar.date(from: calendar.dateComponents([.year, .month], from: now))!
        let from = q["from"].flatMap { Self.date(String($0), time: false) ?? nil } ?? monthStart
        let toDay = q["to"].flatMap { Self.date(String($0), time: false) ?? nil } ?? calendar.startOfDay(for: now)
        let to = toDay.addingTimeInterval(86_400)  // the whole last day
        func text(_ d: Date) -> String { String(ISO8601DateFormatter.string(from: d, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])) }
        return (from, to, text(from), text(toDay))
    }

    func donationsPage(_ request: Request, _ context: QuorumContext) async throws -> Response {
        _ = try admin(context, next: SiteURL.adminShopDonations().path)
        let (from, to, fromText, toText) = period(request)
        let lines = try await service.donationReport(from: from, to: to)
        return try page("admin-shop-donations", [
            "from": fromText, "to": toText, "action": SiteURL.adminShopDonations().path,
            "lines": lines.map { ["product": $0.product, "partner": $0.partner, "copies": ShopText.grouped($0.copies), "donated": ShopText.grouped($0.donated)] },
            "found": !lines.isEmpty, "exportURL": SiteURL.adminShopDonationsExport(from: fromText, to: toText).path,
        ], context: context)
    }

    static func csv(_ rows: [[String]]) -> String {
        rows.map { row in
            row.map { field -> String in
                // A leading =, +, - or @ would be a formula in a spreadsheet: quoted text instead.
                var f = field
                if let c = f.first, "=+-@".contains(c) { f = "'" + f }
                return f.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                    ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f
            }.joined(separator: ",")
        }.joined(separator: "\r\n") + "\r\n"
    }

    static func csvResponse(_ text: String, name: String) -> Response {
        Response(status: .ok, headers: [
            .contentType: "text/csv; charset=utf-8", .cacheControl: "private, no-store",
            .contentDisposition: #"attachment; filename="\#(name)""#,
        ], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func ordersCSV(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let user = try admin(context, next: SiteURL.adminShopOrders().path)
        let status = request.uri.queryParameters["status"].flatMap { OrderStatus(rawValue: String($0)) }
        let q = String((request.uri.queryParameters["q"].map(String.init) ?? "").prefix(100))
        let rows = try await service.adminOrders(status: status, query: q, limit: 100_000)
        var ids = Set<String>()
        for r in rows { ids.formUnion(r.order.quantities.keys) }
        let products = try await service.products(ids: Array(ids))
        var out = [["number", "order_id", "placed_at", "status", "name", "email", "address", "items", "total", "currency", "paid_at",
                    "refunded", "carrier", "tracking"]]
        for r in rows {
            let o = r.order
            out.append([ShopText.number(r.number), o.id, ISO8601DateFormatter().string(from: o.createdAt), o.status.rawValue, r.buyerName,
                        r.email, r.address.lines.dropFirst().joined(separator: ", "),
                        o.lines.map { "\($0.quantity) x \(products[$0.productID]?.title ?? $0.productID)" }.joined(separator: "; "),
                        String(format: "%.2f", Double(o.totalMinor) / 100), o.currency,
                        o.payment.map { ISO8601DateFormatter().string(from: $0.at) } ?? "",
                        String(format: "%.2f", Double(o.refundedMinor) / 100), o.shipment?.carrier ?? "", o.shipment?.tracking ?? ""])
        }
        try await audit(user, "shop.export.orders", "orders", "\(rows.count) rows")
        return Self.csvResponse(Self.csv(out), name: "orders.csv")
    }

    func donationsCSV(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let user = try admin(context, next: SiteURL.adminShopDonations().path)
        let (from, to, fromText, toText) = period(request)
        let lines = try await service.donationReport(from: from, to: to)
        var out = [["from", "to", "partner", "product", "copies_sold", "copies_donated"]]
        for l in lines { out.append([fromText, toText, l.partner, l.product, String(l.copies), String(l.donated)]) }
        try await audit(user, "shop.export.donations", "donations", "\(fromText)..\(toText)")
        return Self.csvResponse(Self.csv(out), name: "donations-\(fromText)-\(toText).csv")
    }
}

extension Optional {
    func asyncMap<T>(_ f: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await f(self)
    }
}
