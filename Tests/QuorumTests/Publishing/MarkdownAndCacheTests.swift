import Foundation
import Hummingbird
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

@Suite("Markdown")
struct MarkdownTests {
    @Test func rendersTheUsualElements() {
        let html = Markdown.html("""
        ## A heading

        Some *emphasis*, **strong** and a [link](https://example.com/a).

        > A quote

        - one
        - two

        ![A gull](/images/gull.png)
        """)
        #expect(html.contains("<h2>A heading</h2>"))
        #expect(html.contains("<em>emphasis</em>"))
        #expect(html.contains("<strong>strong</strong>"))
        #expect(html.contains("<a href=\"https://example.com/a\">link</a>"))
        #expect(html.contains("<blockquote><p>A quote</p></blockquote>"))
        #expect(html.contains("<li>one</li>"))
        #expect(html.contains("<img src=\"/images/gull.png\" alt=\"A gull\"/>"))
    }

    @Test func rawHTMLIsEscapedUnlessEmbedsAreAllowed() {
        let source = "Hello <script>alert(1)</script>\n\n<iframe src=\"https://video.example/1\"></iframe>\n\nUse `<b>` for bold."
        let safe = Markdown.html(source)
        #expect(!safe.contains("<script>"))
        #expect(!safe.contains("<iframe"))
        #expect(safe.contains("&lt;script>") || safe.contains("&lt;script&gt;"))
        #expect(safe.contains("<code>&lt;b&gt;</code>"))
        let embed = Markdown.html(source, allowEmbeds: true)
        #expect(embed.contains("<iframe src=\"https://video.example/1\"></iframe>"))
    }

    @Test func dangerousLinksBecomeText() {
        let html = Markdown.html("[click](javascript:alert(1)) and [ok](/article/x) and ![x](data:image/png;base64,AAAA)")
        #expect(!html.contains("href=\"javascript"))
        #expect(!html.contains("src=\"data:"))
        #expect(html.contains("<a href=\"/article/x\">ok</a>"))
        let quoted = Markdown.html("[x](https://a.example/\"onmouseover=\"alert(1))")
        #expect(!quoted.contains("onmouseover=\""))
    }

    @Test func plainTextForSummaries() {
        #expect(Markdown.plainText("## Title\n\nSome *text* & more.", limit: 100) == "Title Some text & more.")
        #expect(Markdown.plainText(String(repeating: "word ", count: 100), limit: 20).hasSuffix("…"))
    }

    @Test func slugs() {
        #expect(Slug.make("Côte d'Ivoire votes!") == "cote-d-ivoire-votes")
        #expect(Slug.isValid("a-b-1"))
        #expect(!Slug.isValid("A-b"))
        #expect(!Slug.isValid("a--b"))
        #expect(!Slug.isValid("-a"))
        #expect(!Slug.isValid(""))
    }
}

@Suite("Page cache")
struct PageCacheTests {
    func page(_ text: String) -> CachedPage {
        CachedPage(html: text, lastModified: Timestamp(milliseconds: 1_700_000_000_000), cacheControl: PageCache.cacheControl)
    }

    @Test func invalidationDropsExactlyThePagesCarryingATag() async {
        let bus = LocalInvalidationBus()
        let cache = PageCache(bus: bus)
        cache.store("/article/a", page("a"), tags: [.article("a")], renderedAt: cache.generation)
        cache.store("/article/b", page("b"), tags: [.article("b")], renderedAt: cache.generation)
        cache.store("/section/world", page("w"), tags: [.section("world"), .site], renderedAt: cache.generation)
        cache.store("/", page("home"), tags: [.front, .site], renderedAt: cache.generation)
        await bus.publish([.article("a")])
        #expect(cache.page("/article/a") == nil)
        #expect(cache.page("/article/b") != nil)
        #expect(cache.page("/section/world") != nil)
        await bus.publish([.section("world")])
        #expect(cache.page("/section/world") == nil)
        #expect(cache.page("/") != nil)
        await bus.publish([.site])
        #expect(cache.count == 1, "only the article page without the site tag is left")
    }

    @Test func aPageRenderedDuringAnInvalidationIsNotStored() async {
        let bus = LocalInvalidationBus()
        let cache = PageCache(bus: bus)
        let before = cache.generation
        await bus.publish([.article("a")]) // happens while the page is being rendered
        cache.store("/article/a", page("stale"), tags: [.article("a")], renderedAt: before)
        #expect(cache.page("/article/a") == nil)
    }

    @Test func tagNamesRoundTripForOtherInstances() {
        for tag in [CacheTag.article("a-b"), .section("world"), .tag("x"), .author("y"), .front, .feeds, .site] {
            #expect(CacheTag(name: tag.name) == tag)
        }
        // Names are opaque on the bus: each feature's tags are its own, and distinct kinds never collide.
        #expect(Set([CacheTag.article("x"), .section("x"), .tag("x"), .author("x")]).count == 4)
        #expect(CacheTag.article("x").name == "article:x")
    }

    @Test func pagesShowingAnArticleIncludeItsListings() {
        let section = Section(id: 1, slug: "world", name: "World", description: "", position: 0)
        let article = Article(
            id: 1, slug: "a", headline: "A", standfirst: "", body: "", hero: nil, wireCredit: "", section: section,
            authors: [Author(id: 1, slug: "ana", name: "Ana", bio: "")], tags: [Tag(id: 1, slug: "sea", name: "Sea")],
            status: .published, publishAt: nil, publishedAt: Timestamp(milliseconds: 0), createdAt: Timestamp(milliseconds: 0),
            updatedAt: Timestamp(milliseconds: 0), corrections: [], commentsOpen: true, allowEmbeds: false
        )
        #expect(CacheTag.pages(showing: article, now: .now) == [.article("a"), .front, .feeds, .section("world"), .tag("sea"), .author("ana")])
        var draft = article
        draft.status = .draft
        #expect(CacheTag.pages(showing: draft, now: .now) == [.article("a")])
    }

    @Test func httpDates() {
        #expect(HTTPDate.format(Timestamp(milliseconds: 784_111_777_000)) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }
}
