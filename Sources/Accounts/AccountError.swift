import Hummingbird
import QuorumMail
import QuorumStore

import QuorumWeb

/// What can go wrong signing in or managing an account, each with the status and words a reader sees.
public enum AccountError: AppError, Equatable {
    case invalidEmail
    case signUpClosed
    case notInvited
    case banned(reason: String?)
    case linkInvalid
    case codeWrong(attemptsLeft: Int)
    case codeExhausted
    case requestExpired
    case emailTaken
    case confirmationMismatch
    case passwordSignInDisabled
    case passwordWrong
    case passwordTooShort

    public var status: HTTPResponse.Status {
        switch self {
        case .invalidEmail, .codeWrong, .confirmationMismatch, .passwordTooShort: .badRequest
        case .signUpClosed, .notInvited, .banned, .passwordSignInDisabled: .forbidden
        case .linkInvalid, .requestExpired, .codeExhausted: .gone
        case .emailTaken: .conflict
        case .passwordWrong: .unauthorized
        }
    }

    public var code: String {
        switch self {
        case .invalidEmail: "invalid_email"
        case .signUpClosed: "sign_up_closed"
        case .notInvited: "not_invited"
        case .banned: "banned"
        case .linkInvalid: "link_invalid"
        case .codeWrong: "code_wrong"
        case .codeExhausted: "code_exhausted"
        case .requestExpired: "request_expired"
        case .emailTaken: "email_taken"
        case .confirmationMismatch: "confirmation_mismatch"
        case .passwordSignInDisabled: "password_sign_in_disabled"
        case .passwordWrong: "password_wrong"
        case .passwordTooShort: "password_too_short"
        }
    }

    public var message: String {
        switch self {
        case .invalidEmail: "Please enter a valid email address."
        case .signUpClosed: "This site is not accepting new accounts."
        case .notInvited: "New accounts are by invitation only, and this address has not been invited."
        case .banned(let reason): "This account has been banned" + (reason.map { ": \($0)" } ?? ".")
        case .linkInvalid: "This sign-in link is not valid any more: it was used, it expired, or it was mistyped. Please request a new one."
        case .codeWrong(let left): "That code is not right. \(left) attempt\(left == 1 ? "" : "s") left."
        case .codeExhausted: "Too many wrong codes. Please request a new sign-in email."
        case .requestExpired: "This sign-in request has expired or was already used. Please request a new one."
        case .emailTaken: "Another account already uses that email address."
        case .confirmationMismatch: "The confirmation did not match; nothing was changed."
        case .passwordSignInDisabled: "Password sign-in is not enabled on this site."
        case .passwordWrong: "That email and password do not match."
        case .passwordTooShort: "Please choose a password of at least 10 characters."
        }
    }
}
