import Foundation
import Hummingbird
import QuorumBus
import QuorumMail

import QuorumStore

/// Rendering helpers shared by account and admin pages.
extension Site {
    /// The CSRF token a form on this page must carry. A visitor who is not signed in and has no token yet gets
    /// one in a cookie set on this response.
    package func formToken(_ context: QuorumContext) -> (token: String, cookie: Cookie?) {
        if let token = context.identity?.csrfToken { return (token, nil) }
        if let token = context.anonymousCSRF, !token.isEmpty { return (token, nil) }
        let token = Secrets.token()
        return (token, SiteCookies.anonymousCSRF(token, secure: secureCookies))
    }

    /// A page with a form: adds `csrf` and `viewer` to the model, marks it private and uncacheable.
    package func formPage(_ template: String, _ model: [String: Any], context: QuorumContext, status: HTTPResponse.Status = .ok) throws -> Response {
        let (token, cookie) = formToken(context)
        var model = model
        model["csrf"] = token
        if let user = context.user { model["viewer"] = ["name": user.displayName, "email": user.email, "isAdmin": user.has(.admin)] }
        var response = try pages.html(template, model, status: status)
        response.headers[.cacheControl] = "private, no-store"
        if let cookie { response.setCookie(cookie) }
        return response
    }

    /// A short page saying what happened, with a link onwards.
    package func messagePage(_ title: String, _ text: String, link: (href: String, label: String)? = nil, context: QuorumContext, status: HTTPResponse.Status = .ok) throws -> Response {
        var model: [String: Any] = ["title": title, "text": text]
        if let link { model["link"] = ["href": link.href, "label": link.label] }
        return try formPage("message", model, context: context, status: status)
    }
}
