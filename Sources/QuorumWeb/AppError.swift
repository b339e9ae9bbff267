import Hummingbird
import QuorumBus
import QuorumMail

import QuorumStore

/// An error a feature reports to the person who made the request. Each feature has one error type
/// conforming to this; ``ErrorMiddleware`` turns it into a themed page or `{ "error": { code, message } }`.
public protocol AppError: Error {
    var status: HTTPResponse.Status { get }
    /// A stable, machine-readable name, e.g. `duplicate_slug`.
    var code: String { get }
    /// One sentence for a person.
    var message: String { get }
}

/// Errors of the web layer itself.
public struct RequestError: AppError {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// Headers the response must carry with this status (`Allow` with 405, `WWW-Authenticate` with 401).
    public let headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// The address exists, but not for this method; `Allow` lists the ones it answers.
    public static func methodNotAllowed(allowed: [HTTPRequest.Method]) -> RequestError {
        RequestError(.methodNotAllowed, code: "method_not_allowed", "This address does not accept that kind of request.",
                     headers: [.allow: allowed.map(\.rawValue).joined(separator: ", ")])
    }

    public static func notFound(_ message: String = "There is nothing at this address.") -> RequestError {
        RequestError(.notFound, code: "not_found", message)
    }
    /// A field of a request is missing or wrong; the message names the field.
    public static func invalid(field: String, _ problem: String) -> RequestError {
        RequestError(.badRequest, code: "invalid_field", "Field '\(field)' \(problem).")
    }
    public static func badRequest(_ message: String, code: String = "bad_request") -> RequestError {
        RequestError(.badRequest, code: code, message)
    }
}
