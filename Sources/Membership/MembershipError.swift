import Hummingbird
import Payments
import QuorumWeb

/// Membership's errors, mapped to HTTP here and nowhere else.
public enum MembershipError: AppError {
    case unknownProvider(String)
    /// The provider's delivery did not verify or could not be read.
    case refused(PaymentError)
    case wrongContentType(expected: String)
    case tooLarge(limit: Int)

    public var status: HTTPResponse.Status {
        switch self {
        case .unknownProvider: .notFound
        case let .refused(error): error.isTemporary ? .serviceUnavailable : .badRequest
        case .wrongContentType: .unsupportedMediaType
        case .tooLarge: .contentTooLarge
        }
    }

    public var code: String {
        switch self {
        case .unknownProvider: "unknown_provider"
        case let .refused(error):
            switch error {
            case .signatureMissing, .signatureMalformed, .signatureMismatch: "bad_signature"
            case .signatureStale: "stale_signature"
            case .malformedBody, .missingField: "malformed_body"
            case .amountMismatch: "amount_mismatch"
            case .wrongMerchant, .sourceNotAllowed, .notConfirmed: "not_confirmed"
            case .providerRejected, .transport: "provider_unavailable"
            }
        case .wrongContentType: "wrong_content_type"
        case .tooLarge: "too_large"
        }
    }

    public var message: String {
        switch self {
        case let .unknownProvider(name): "No payment provider called \(name) is set up on this site."
        case let .refused(error): "The notification was refused: \(error)."
        case let .wrongContentType(expected): "Notifications must be sent as \(expected)."
        case let .tooLarge(limit): "The notification is larger than \(limit) bytes."
        }
    }
}
