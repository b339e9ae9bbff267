import Foundation
import Mustache
import QuorumBus
import QuorumMail

import QuorumStore

/// A theme: Mustache templates and static assets. The default theme ships in the binary's resources;
/// a publisher's folder (`QUORUM_THEME_DIR`) overrides any template or asset by file name, no recompiling.
/// `{{value}}` escapes HTML; templates only ever receive plain view models.
public struct Theme: Sendable {
    public let library: MustacheLibrary
    public let assets: [String: Asset]

    public struct Asset: Sendable {
        public let bytes: [UInt8]
        public let contentType: String
        /// Short content hash, used as the asset's ETag and version in links.
        public let version: String
    }

    public enum Failure: Error, CustomStringConvertible {
        case missingTemplate(String)
        case unreadable(String, any Error)
        public var description: String {
            switch self {
            case .missingTemplate(let name): "the theme has no template named \(name).mustache"
            case .unreadable(let path, let error): "cannot read theme file \(path): \(error)"
            }
        }
    }

    /// The folder of the default theme inside the package resources.
    public static var defaultDirectory: String {
        Bundle.module.bundleURL.appendingPathComponent("Resources/themes/default").path
    }

    /// Loads the default theme, then lays the override folder's files over it.
    public static func load(overrides: String? = nil) throws -> Theme {
        guard let overrides else { return try builtIn.get() }
        return try parse(overrides: overrides)
    }

    /// The built-in theme, parsed once per process: parsing every template is real work (more so in a debug
    /// build), and every application built in a process (a test run builds hundreds) starts from it.
    private static let builtIn: Result<Theme, any Error> = Result { try parse(overrides: nil) }

    private static func parse(overrides: String?) throws -> Theme {
        var templates: [String: String] = [:]
        var assets: [String: Asset] = [:]
        for directory in [defaultDirectory] + (overrides.map { [$0] } ?? []) {
            try read(directory: directory, templates: &templates, assets: &assets)
        }
        try checkEmails(templates)
        var library = MustacheLibrary()
        for (name, text) in templates {
            do {
                // Plain-text templates (emails' text parts) escape nothing; every other template escapes HTML.
                try library.register(name.hasSuffix(".txt") ? "{{% CONTENT_TYPE: TEXT }}" + text : text, named: name)
            } catch {
                throw ConfigurationError("theme template \(name).mustache does not parse: \(error)")
            }
        }
        return Theme(library: library, assets: assets)
    }

    /// Every email is a pair, `email-NAME.txt` and `email-NAME.html`, and its text part starts with its subject
    /// line: checked when the theme loads, so a broken override stops the start, not a sign-in.
    static func checkEmails(_ templates: [String: String]) throws {
        for name in templates.keys.sorted() where name.hasPrefix("email-") {
            if name.hasSuffix(".txt") {
                let base = String(name.dropLast(".txt".count))
                guard templates[base + ".html"] != nil else {
                    throw ConfigurationError("theme email \(name).mustache has no HTML part \(base).html.mustache")
                }
                guard templates[name]!.hasPrefix(EmailTemplate.subjectPrefix) else {
                    throw ConfigurationError(
                        "theme email \(name).mustache must start with its subject line ('\(EmailTemplate.subjectPrefix)…', then a blank line)"
                    )
                }
            } else if name.hasSuffix(".html") {
                let base = String(name.dropLast(".html".count))
                guard templates[base + ".txt"] != nil else {
                    throw ConfigurationError("theme email \(name).mustache has no text part \(base).txt.mustache")
                }
            }
        }
    }

    private static func read(directory: String, templates: inout [String: String], assets: inout [String: Asset]) throws {
        let manager = FileManager.default
        guard manager.fileExists(atPath: directory) else {
            throw ConfigurationError("theme folder \(directory) does not exist")
        }
        for name in (try? manager.contentsOfDirectory(atPath: directory)) ?? [] where name.hasSuffix(".mustache") {
            let path = directory + "/" + name
            do {
                templates[String(name.dropLast(".mustache".count))] = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw Failure.unreadable(path, error)
            }
        }
        let assetDirectory = directory + "/assets"
        for name in (try? manager.contentsOfDirectory(atPath: assetDirectory)) ?? [] {
            let path = assetDirectory + "/" + name
            guard let data = manager.contents(atPath: path) else { continue }
            let bytes = [UInt8](data)
            assets[name] = Asset(bytes: bytes, contentType: contentType(for: name), version: ContentHash.short(bytes))
        }
    }

    /// Renders a template with a view model. A missing template is a theme error, reported as such.
    public func render(_ template: String, _ model: Any) throws -> String {
        guard let html = library.render(model, withTemplate: template) else {
            throw Failure.missingTemplate(template)
        }
        return html
    }

    static func contentType(for name: String) -> String {
        switch (name as NSString).pathExtension.lowercased() {
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "webp": "image/webp"
        case "ico": "image/x-icon"
        case "woff2": "font/woff2"
        case "txt": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
    }
}
