import Foundation
import Hummingbird
import Logging
import QuorumBus
import QuorumMail

import QuorumStore

/// Turns every error into a response of the right kind: JSON for `/api/` paths, a themed page elsewhere.
/// Unexpected errors are logged with the request id and shown as a plain 500 without internals.
package struct ErrorMiddleware: RouterMiddleware {
    package typealias Context = QuorumContext
    let pages: PageRenderer

    package init(pages: PageRenderer) {
        self.pages = pages
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let redirect as RedirectToSignIn {
            if request.uri.path.hasPrefix("/api/") {
                return Self.json(status: .unauthorized, code: "unauthenticated", message: "Please sign in first.")
            }
            return .seeOther(SiteURL.signIn(next: redirect.next).path)
        } catch {
            let (status, code, message) = Self.describe(error)
            if status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            }
            var response: Response
            if request.uri.path.hasPrefix("/api/") {
                response = Self.json(status: status, code: code, message: message)
            } else {
                response = pages.errorPage(status: status, message: message)
            }
            if let extra = (error as? RequestError)?.headers { response.headers.append(contentsOf: extra) }
            if let retry = (error as? any RetryLaterError)?.retryAfterSeconds {
                response.headers[.retryAfter] = String(retry)
            }
            return response
        }
    }

    static func describe(_ error: any Error) -> (HTTPResponse.Status, String, String) {
        switch error {
        case let error as any AppError:
            return (error.status, error.code, error.message)
        case let error as HTTPError:
            let message = error.body ?? defaultMessage(error.status)
            return (error.status, codeName(error.status), message)
        case let error as any HTTPResponseError:
            return (error.status, codeName(error.status), defaultMessage(error.status))
        case is DecodingError:
            return (.badRequest, "malformed_body", "The request body could not be read.")
        default:
            return (.internalServerError, "internal", defaultMessage(.internalServerError))
        }
    }

    /// `{ "error": { "code", "message" } }`: the API's one error shape.
    package static func json(status: HTTPResponse.Status, code: String, message: String) -> Response {
        struct Body: Encodable { struct Inner: Encodable { let code: String; let message: String }; let error: Inner }
        return (try? JSONResponse.make(Body(error: .init(code: code, message: message)), status: status))
            ?? Response(status: status)
    }

    static func codeName(_ status: HTTPResponse.Status) -> String {
        status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
    }

    static func defaultMessage(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 404: "There is nothing at this address."
        case 405: "This address does not accept that kind of request."
        case 413: "What you sent is too large."
        case 500...: "Something went wrong on our side. Please try again in a moment."
        default: status.reasonPhrase
        }
    }
}

/// An error whose response says when to try again: the error middleware adds `Retry-After`.
public protocol RetryLaterError: AppError {
    var retryAfterSeconds: Int { get }
}

/// Thrown by rate limits.
public struct RateLimitedError: RetryLaterError {
    public let retryAfterSeconds: Int
    public var status: HTTPResponse.Status { .tooManyRequests }
    public var code: String { "rate_limited" }
    public var message: String { "Too many requests. Please wait \(retryAfterSeconds) seconds and try again." }
    public init(retryAfterSeconds: Int) { self.retryAfterSeconds = max(1, retryAfterSeconds) }
}
