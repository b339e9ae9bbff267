import QuorumWeb

/// Publishing's side of the navigation seam: the site's sections, as the masthead lists them on every page.
public struct SectionNavigation: SiteNavigation {
    let store: ArticleStore

    public init(publishing: Publishing) {
        self.store = publishing.store
    }

    public func links() async throws -> [[String: Any]] {
        try await store.sections().map { ["name": $0.name, "url": SiteURL.section($0.slug).path] }
    }
}
