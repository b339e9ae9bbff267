import Foundation
import QuorumMail

/// Emails come from the theme, like pages, so a publisher can reword or restyle any of them by putting a file of
/// the same name in `QUORUM_THEME_DIR`. Each email is a pair of templates:
///
/// - `email-NAME.txt.mustache`: the first line is `Subject: …`, then a blank line, then the plain-text part.
///   Nothing in it is escaped (it is not HTML).
/// - `email-NAME.html.mustache`: the HTML part; `{{value}}` escapes as on pages. The default ones inherit from
///   `email-layout.mustache` (`{{<email-layout}}{{$content}}…{{/content}}{{/email-layout}}`).
///
/// Both receive the email's model plus `site` (`name`, `url`). The message is sent as multipart/alternative.
public enum EmailTemplate {
    public static let subjectPrefix = "Subject:"

    public enum Failure: Error, CustomStringConvertible {
        case noSubject(String)
        public var description: String {
            switch self {
            case .noSubject(let template): "the email template \(template).mustache does not start with a '\(subjectPrefix) …' line"
            }
        }
    }
}

extension PageRenderer {
    /// Renders the email `name` (templates `email-NAME.txt` and `email-NAME.html`) for `to`.
    /// `kind` is the outbox's label (`signin`, `email-change`, …): kinds holding one-time secrets are scrubbed
    /// after delivery.
    public func email(_ name: String, kind: String, to: String, _ model: [String: Any]) throws -> OutgoingMail {
        var context = model
        context["site"] = siteModel
        let textTemplate = "email-\(name).txt"
        let rendered = try theme.render(textTemplate, context)
        let (subject, text) = try Self.splitSubject(rendered, template: textTemplate)
        let html = try theme.render("email-\(name).html", context)
        return OutgoingMail(kind: kind, to: to, subject: subject, text: text, html: html)
    }

    /// "Subject: …", a blank line, the body: the subject (trimmed, on one line) and the body without the blank
    /// lines around it.
    static func splitSubject(_ rendered: String, template: String) throws -> (subject: String, body: String) {
        let normalised = rendered.replacingOccurrences(of: "\r\n", with: "\n")
        guard normalised.hasPrefix(EmailTemplate.subjectPrefix) else { throw EmailTemplate.Failure.noSubject(template) }
        let firstLine = normalised.prefix { $0 != "\n" }
        let subject = firstLine.dropFirst(EmailTemplate.subjectPrefix.count).trimmingCharacters(in: .whitespaces)
        let body = normalised.dropFirst(firstLine.count).trimmingCharacters(in: .newlines)
        return (subject, body)
    }
}
