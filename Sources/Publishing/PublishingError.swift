import Hummingbird
import QuorumBus
import QuorumStore

import QuorumWeb

/// What can go wrong in publishing, as the reader or editor should hear it.
public struct PublishingError: AppError, Equatable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String

    public init(_ status: HTTPResponse.Status, code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func notFound(_ what: String) -> PublishingError {
        PublishingError(.notFound, code: "not_found", "\(what) was not found.")
    }
    /// A field of a request is missing or wrong; the message names the field.
    public static func invalid(field: String, _ problem: String) -> PublishingError {
        PublishingError(.badRequest, code: "invalid_field", "Field '\(field)' \(problem).")
    }
    public static func duplicateSlug(_ slug: String) -> PublishingError {
        PublishingError(.conflict, code: "duplicate_slug", "An article with the slug '\(slug)' already exists.")
    }
    public static func unknown(field: String, _ kind: String, _ slug: String) -> PublishingError {
        PublishingError(.unprocessableContent, code: "unknown_\(kind)", "Field '\(field)': there is no \(kind) '\(slug)'.")
    }
    public static let unsupportedImage = PublishingError(
        .unsupportedMediaType, code: "unsupported_media_type", "Only JPEG, PNG and WebP images can be uploaded."
    )
    public static func tooLarge(limit: Int) -> PublishingError {
        PublishingError(.contentTooLarge, code: "too_large", "The upload is larger than the limit of \(limit) bytes.")
    }
}
