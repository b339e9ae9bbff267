import Foundation
import Hummingbird
import NIOCore
import QuorumBus
import QuorumStore

import QuorumWeb

/// A row of the editors' article list.
public struct AdminArticleRow: Sendable {
    public var id: Int64
    public var headline: String
    public var status: String
    public var section: String
    public var updated: String
    public var publishAt: String?
    public var editURL: String
    public var liveURL: String?
}

public struct AdminListModel: Sendable {
    public var nav: [LinkModel]
    public var rows: [AdminArticleRow]
    public var newURL: String
    public var olderURL: String?
    public var notice: String?
}

public struct AdminOption: Sendable {
    public var value: String
    public var label: String
    public var selected: Bool
}

/// The edit form, filled from an article or from what the editor just sent (after an error).
public struct AdminEditModel: Sendable {
    public var nav: [LinkModel]
    public var isNew: Bool
    public var heading: String
    public var formAction: String
    public var previewAction: String
    public var publishAction: String?
    public var scheduleAction: String?
    public var correctionAction: String?
    public var liveURL: String?
    public var csrf: String?
    public var status: String
    public var publishAt: String?
    public var notice: String?
    public var error: String?
    public var slug: String
    public var headline: String
    public var standfirst: String
    public var body: String
    public var sections: [AdminOption]
    public var authors: String
    public var tags: String
    public var heroURL: String
    public var heroAlt: String
    public var heroCaption: String
    public var heroCredit: String
    public var wireCredit: String
    public var commentsOpen: Bool
    public var allowEmbeds: Bool
    public var corrections: [CorrectionModel]
    /// The image upload form (existing articles): where it posts, what the editor typed, what was uploaded.
    public var upload: AdminUploadModel?
}

/// The edit page's image upload form. After an upload the page shows the image's address (and the file name
/// the editor chose, escaped like every other value); after an error, the fields as the editor typed them.
public struct AdminUploadModel: Sendable {
    public var action: String
    public var maxSize: String
    public var alt: String = ""
    public var caption: String = ""
    public var credit: String = ""
    public var asHero: Bool = false
    public var uploadedURL: String?
    public var uploadedFile: String?
    public var madeHero: Bool = false
}

/// The article edit form, read through the site's one form parser with room for a long article body.
struct FormFields {
    let form: Form
    static let limit = 2 << 20

    static func read(_ request: Request) async throws -> FormFields {
        var request = request
        return FormFields(form: try await Form.read(&request, limit: limit))
    }

    var values: [String: String] { form.fields.compactMapValues(\.first) }

    subscript(_ name: String) -> String { form[name] ?? "" }

    func list(_ name: String) -> [String] {
        self[name].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    var articleInput: ArticleInput {
        let heroURL = self["heroURL"].trimmingCharacters(in: .whitespaces)
        return ArticleInput(
            slug: self["slug"].trimmingCharacters(in: .whitespaces), headline: self["headline"], standfirst: self["standfirst"],
            body: self["body"].replacingOccurrences(of: "\r\n", with: "\n"),
            hero: heroURL.isEmpty ? nil : HeroImage(url: heroURL, alt: self["heroAlt"], caption: self["heroCaption"], credit: self["heroCredit"]),
            wireCredit: self["wireCredit"], section: self["section"], authors: list("authors"), tags: list("tags"),
            commentsOpen: values["commentsOpen"] != nil, allowEmbeds: values["allowEmbeds"] != nil
        )
    }
}

/// Server-rendered pages for editors under `/admin/`: the article list, the edit form with preview, publish,
/// schedule and corrections. Every page needs a signed-in editor (the session middleware sets the identity).
/// Every form carries the session's CSRF token in a hidden `csrf` field; the site-wide CSRF middleware checks
/// it (and the Origin) on every POST before these handlers run.
struct AdminPageRoutes {
    let publishing: Publishing

    func addRoutes(to router: Router<QuorumContext>) {
        let admin = router.group("admin")
        admin.get("articles") { request, context in
            try context.requireRole(.editor)
            let page = ReaderRoutes.pageNumber(request)
            let result = try await publishing.store.allForEditors(page: page)
            let model = AdminListModel(
                nav: publishing.pages.nav(try await publishing.store.sections()),
                rows: result.articles.map(Self.row),
                newURL: SiteURL.adminNewArticle.path,
                olderURL: result.hasMore ? "\(SiteURL.adminArticles.path)?page=\(page + 1)" : nil,
                notice: request.uri.queryParameters["deleted"] != nil ? "Article deleted." : nil
            )
            return try publishing.htmlResponse("admin-articles", model, headers: [.cacheControl: "no-store"])
        }
        admin.get("articles/new") { _, context in
            try context.requireRole(.editor)
            return try await form(nil, input: nil, context: context)
        }
        admin.post("articles/new") { request, context in
            try context.requireRole(.editor)
            let form = try await FormFields.read(request)
            do {
                let article = try await publishing.service.create(form.articleInput)
                return Response.redirect(to: SiteURL.adminEdit(article.id).path + "?saved=1", type: .normal)
            } catch let error as PublishingError {
                return try await self.form(nil, input: form.articleInput, context: context, error: error)
            }
        }
        admin.get(RouterPath(SiteURL.Pattern.adminEdit.replacingOccurrences(of: "/admin/", with: ""))) { request, context in
            try context.requireRole(.editor)
            let article = try await article(context)
            // Notices come from a fixed list and an upload's notice names a stored image: a link cannot make the
            // edit page say something the site did not.
            let done = request.uri.queryParameters["done"].map(String.init).flatMap { Self.notices.contains($0) ? $0 : nil }
            let notice = request.uri.queryParameters["saved"] != nil ? "Saved." : done
            var upload = uploadModel(article)
            if let name = request.uri.queryParameters["uploaded"].map(String.init), ImageStore.isStoredName(name),
               FileManager.default.fileExists(atPath: publishing.images.folder + "/" + name)
            {
                upload.uploadedURL = SiteURL.image(name).path
                upload.uploadedFile = request.uri.queryParameters["file"].map(String.init)
                upload.madeHero = request.uri.queryParameters["hero"] != nil
            }
            return try await form(article, input: nil, context: context, notice: notice, upload: upload)
        }
        admin.post(RouterPath(SiteURL.Pattern.adminEdit.replacingOccurrences(of: "/admin/", with: ""))) { request, context in
            try context.requireRole(.editor)
            let article = try await article(context)
            let form = try await FormFields.read(request)
            do {
                _ = try await publishing.service.update(id: article.id, form.articleInput)
                return Response.redirect(to: SiteURL.adminEdit(article.id).path + "?saved=1", type: .normal)
            } catch let error as PublishingError {
                return try await self.form(article, input: form.articleInput, context: context, error: error)
            }
        }
        admin.post(RouterPath(SiteURL.Pattern.adminPreview.replacingOccurrences(of: "/admin/", with: ""))) { request, context in
            try context.requireRole(.editor)
            let article = try await article(context)
            let form = try await FormFields.read(request)
            return try await preview(article, form.articleInput)
        }
        admin.post(RouterPath(SiteURL.Pattern.adminPublish.replacingOccurrences(of: "/admin/", with: ""))) { request, context in
            try context.requireRole(.editor)
            let article = try await article(context)
            _ = try await publishing.service.publish(id: article.id)
            return Response.redirect(to: SiteURL.adminEdit(article.id).path + "?done=Published.", type: .normal)
        }
        admin.post(RouterPath(SiteURL.Pattern.adminSchedule.replacingOccurrences(of: "/admin/", with: ""))) { request, context in
            try context.requireRole(.editor)
            let article = try await article(context)
            let form = try await FormFields.read(request)
            // datetime-local has no zone; the form says the time is UTC.
            guard let date = ISOTime.parse(form["publishAt"] + (form["publishAt"].count == 16 ? ":00Z" : "Z")) ?? ISOTime.parse(form["publishAt"]) else {
                return try await self.form(article, input: nil, context: context, error: .invalid(field: "publishAt", "must be a date and time"))
            }
            do {
                _ = try await publishing.service.schedule(id: article.id, at: Timestamp(date))
            } catch let error as PublishingError {
                return try await self.form(article, input: nil, context: context, error: error)
            }
            return Response.redirect(to: SiteURL.adminEdit(article.id).path + "?done=Scheduled.", type: .normal)
        }
        admin.post(RouterPath(SiteURL.Pattern.adminImage.replacingOccurrences(of: "/admin/", with: ""))) { request, context in
            try context.requireRole(.editor)
            return try await upload(request, context: context, article: try await article(context))
        }
        admin.post(RouterPath(SiteURL.Pattern.adminCorrection.replacingOccurrences(of: "/admin/", with: ""))) { request, context in
            try context.requireRole(.editor)
            let article = try await article(context)
            let form = try await FormFields.read(request)
            do {
                _ = try await publishing.service.addCorrection(articleID: article.id, note: form["note"])
            } catch let error as PublishingError {
                return try await self.form(article, input: nil, context: context, error: error)
            }
            return Response.redirect(to: SiteURL.adminEdit(article.id).path + "?done=Correction+added.", type: .normal)
        }
    }

    /// What the edit page may say after an action (`?done=`).
    static let notices: Set<String> = ["Published.", "Scheduled.", "Correction added."]

    func article(_ context: QuorumContext) async throws -> Article {
        guard let id = context.parameters.get("id").flatMap({ Int64($0) }), let article = try await publishing.store.article(id: id) else {
            throw PublishingError.notFound("The article")
        }
        return article
    }

    static func row(_ article: Article) -> AdminArticleRow {
        AdminArticleRow(
            id: article.id, headline: article.headline, status: article.status.rawValue, section: article.section.name,
            updated: DateText.format(article.modifiedAt), publishAt: article.publishAt.map(DateText.format),
            editURL: SiteURL.adminEdit(article.id).path, liveURL: article.status == .published ? SiteURL.article(article.slug).path : nil
        )
    }

    func form(
        _ article: Article?, input: ArticleInput?, context: QuorumContext, notice: String? = nil, error: PublishingError? = nil,
        upload: AdminUploadModel? = nil
    ) async throws -> Response {
        let sections = try await publishing.store.sections()
        let input = input ?? article.map(Self.input(from:)) ?? ArticleInput(slug: "", headline: "", section: sections.first?.slug ?? "")
        let model = AdminEditModel(
            nav: publishing.pages.nav(sections),
            isNew: article == nil,
            heading: article == nil ? "New article" : "Edit article",
            formAction: article.map { SiteURL.adminEdit($0.id).path } ?? SiteURL.adminNewArticle.path,
            previewAction: article.map { SiteURL.adminPreview($0.id).path } ?? SiteURL.adminNewArticle.path,
            publishAction: article.map { SiteURL.adminPublish($0.id).path },
            scheduleAction: article.flatMap { $0.status == .published ? nil : SiteURL.adminSchedule($0.id).path },
            correctionAction: article.map { SiteURL.adminCorrection($0.id).path },
            liveURL: article.flatMap { $0.status == .published ? SiteURL.article($0.slug).path : nil },
            csrf: context.identity?.csrfToken,
            status: article?.status.rawValue ?? "new",
            publishAt: article?.publishAt.map(DateText.format),
            notice: notice,
            error: error?.message,
            slug: input.slug, headline: input.headline, standfirst: input.standfirst, body: input.body,
            sections: sections.map { AdminOption(value: $0.slug, label: $0.name, selected: $0.slug == input.section) },
            authors: input.authors.joined(separator: ", "), tags: input.tags.joined(separator: ", "),
            heroURL: input.hero?.url ?? "", heroAlt: input.hero?.alt ?? "", heroCaption: input.hero?.caption ?? "", heroCredit: input.hero?.credit ?? "",
            wireCredit: input.wireCredit, commentsOpen: input.commentsOpen, allowEmbeds: input.allowEmbeds,
            corrections: article?.corrections.map { CorrectionModel(date: DateModel($0.at), note: $0.note) } ?? [],
            upload: upload ?? article.map(uploadModel)
        )
        return try publishing.htmlResponse("admin-edit", model, status: error?.status ?? .ok, headers: [.cacheControl: "no-store"])
    }

    /// Characters left as they are in a query value: ASCII letters and digits only, so a `Location` stays ASCII.
    static let plainASCII = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    func uploadModel(_ article: Article) -> AdminUploadModel {
        let bytes = publishing.images.maxBytes
        let size = bytes >= 1_048_576 ? "\(bytes / 1_048_576) MB" : "\(bytes / 1024) KB"
        return AdminUploadModel(action: SiteURL.adminImage(article.id).path, maxSize: size)
    }

    /// `POST /admin/articles/{id}/image` (multipart): stores the image through ``ImageStore`` (which checks its
    /// type by content and its size) and, if asked, makes it the article's hero photo with the alt text,
    /// caption and credit typed beside it. Errors (400 malformed or no file, 413 too large, 415 not an image)
    /// show the edit page again with those fields as typed.
    func upload(_ request: Request, context: QuorumContext, article: Article) async throws -> Response {
        let form: MultipartForm
        if let parsed = context.multipart {
            form = parsed
        } else {
            var request = request
            form = try await MultipartForm.read(&request, limit: MultipartForm.limit(forFilesOf: publishing.images.maxBytes))
        }
        var upload = uploadModel(article)
        upload.alt = form["alt"] ?? ""
        upload.caption = form["caption"] ?? ""
        upload.credit = form["credit"] ?? ""
        upload.asHero = form["hero"] != nil
        func failed(_ error: PublishingError) async throws -> Response {
            try await self.form(article, input: nil, context: context, error: error, upload: upload)
        }
        if form.truncated { return try await failed(.tooLarge(limit: publishing.images.maxBytes)) }
        guard let file = form.file("image"), !file.body.isEmpty else {
            return try await failed(PublishingError(.badRequest, code: "missing_file", "Please choose an image file to upload."))
        }
        let stored: ImageStore.Stored
        do {
            stored = try await publishing.images.save(file.body)
        } catch let error as PublishingError {
            return try await failed(error)
        }
        var query = "uploaded=\(stored.name)"
        if let name = file.safeFileName, let encoded = name.addingPercentEncoding(withAllowedCharacters: Self.plainASCII) {
            query += "&file=" + encoded
        }
        if upload.asHero {
            // Read again now, not when the upload started: an edit saved meanwhile by someone else is kept.
            guard let current = try await publishing.store.article(id: article.id) else { throw PublishingError.notFound("The article") }
            var input = Self.input(from: current)
            input.hero = HeroImage(url: stored.url, alt: upload.alt, caption: upload.caption, credit: upload.credit)
            do {
                _ = try await publishing.service.update(id: article.id, input)
            } catch let error as PublishingError {
                return try await failed(error)
            }
            query += "&hero=1"
        }
        // To the upload section, where the address is shown (the page is long).
        return Response.redirect(to: SiteURL.adminEdit(article.id).path + "?" + query + "#upload", type: .normal)
    }

    static func input(from article: Article) -> ArticleInput {
        ArticleInput(
            slug: article.slug, headline: article.headline, standfirst: article.standfirst, body: article.body, hero: article.hero,
            wireCredit: article.wireCredit, section: article.section.slug, authors: article.authors.map(\.slug), tags: article.tags.map(\.name),
            commentsOpen: article.commentsOpen, allowEmbeds: article.allowEmbeds
        )
    }

    /// The article page as it would look with the submitted changes, without saving them.
    func preview(_ article: Article, _ input: ArticleInput) async throws -> Response {
        let sections = try await publishing.store.sections()
        var draft = article
        draft.slug = input.slug
        draft.headline = input.headline
        draft.standfirst = input.standfirst
        draft.body = input.body
        draft.hero = input.hero
        draft.wireCredit = input.wireCredit
        draft.commentsOpen = input.commentsOpen
        draft.allowEmbeds = input.allowEmbeds
        draft.section = sections.first { $0.slug == input.section } ?? article.section
        draft.tags = input.tags.map { Tag(id: 0, slug: Slug.make($0), name: $0) }
        let model = publishing.pages.article(draft, sections: sections, promotions: ReaderPages.housePromotions, preview: true)
        return try publishing.htmlResponse("article", model, headers: [.cacheControl: "no-store"])
    }
}
