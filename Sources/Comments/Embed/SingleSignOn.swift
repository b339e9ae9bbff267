import Foundation
import Hummingbird
import JWTKit
import QuorumWeb

/// How a host site signs its readers in to the embed: a JWT it signs for its signed-in reader, with one
/// algorithm pinned for the site (HS256 with a secret shared with Quorum, or RS256/ES256 with the host's public
/// key registered here), its issuer name and the audience it names Quorum by.
public struct SingleSignOnSettings: Sendable, Codable, Equatable {
    public enum Algorithm: String, Sendable, Codable, CaseIterable { case hs256 = "HS256", rs256 = "RS256", es256 = "ES256" }
    public var algorithm: Algorithm
    /// HS256: the shared secret (at least 32 characters). Never shown back on the admin page.
    public var secret: String?
    /// RS256/ES256: the host's public key, PEM.
    public var publicKey: String?
    public var issuer: String
    public var audience: String

    public init(algorithm: Algorithm, secret: String? = nil, publicKey: String? = nil, issuer: String, audience: String) {
        self.algorithm = algorithm
        self.secret = secret
        self.publicKey = publicKey
        self.issuer = issuer
        self.audience = audience
    }
}

/// What the host's token says of its reader. `sub` is the host's stable id; `email` counts only with
/// `email_verified: true`.
struct SingleSignOnClaims: JWTPayload {
    var sub: String?
    var name: String?
    var email: String?
    var email_verified: Bool?
    var avatar: String?
    var exp: Double?
    var nbf: Double?
    var iat: Double?
    var iss: String?
    var aud: AudienceClaim?

    /// The claims are checked after the signature, against the site's clock and settings (``SingleSignOn``).
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Refusals of a host's token, each with its own code and a message that says what to fix.
public struct SingleSignOnError: AppError, Equatable {
    public let status: HTTPResponse.Status = .unauthorized
    public let code: String
    public let message: String

    static let notConfigured = Self(code: "sso_not_configured", message: "Single sign-on is not set up for this site.")
    static let tooLarge = Self(code: "sso_too_large", message: "The sign-in token is larger than \(SingleSignOn.maximumSize) bytes.")
    static let malformed = Self(code: "sso_malformed", message: "The sign-in token is not a JWT (header.payload.signature, base64url).")
    static let unsigned = Self(code: "sso_unsigned", message: "Unsigned sign-in tokens (alg \"none\") are refused.")
    static func wrongAlgorithm(_ got: String, pinned: String) -> Self {
        Self(code: "sso_wrong_algorithm", message: "This site takes \(pinned) sign-in tokens only; this one says \(got).")
    }
    static let badSignature = Self(code: "sso_bad_signature", message: "The sign-in token's signature does not match this site's key.")
    static let noExpiry = Self(code: "sso_no_expiry", message: "The sign-in token has no expiry (exp).")
    static let expired = Self(code: "sso_expired", message: "The sign-in token has expired; the host site must sign a fresh one.")
    static let notYetValid = Self(code: "sso_not_yet_valid", message: "The sign-in token is not valid yet (nbf is in the future).")
    static let issuedInFuture = Self(code: "sso_issued_in_future", message: "The sign-in token was issued in the future (iat); check the host's clock.")
    static let wrongIssuer = Self(code: "sso_wrong_issuer", message: "The sign-in token's issuer (iss) is not this site's host.")
    static let wrongAudience = Self(code: "sso_wrong_audience", message: "The sign-in token is not meant for this site (aud).")
    static let noSubject = Self(code: "sso_no_subject", message: "The sign-in token does not say who the reader is (sub).")
}

/// Verifies a host's token with jwt-kit, the algorithm pinned to the site's, the times with a small leeway.
public struct SingleSignOn: Sendable {
    public static let maximumSize = 8192
    /// Clocks of two sites differ a little.
    public static let leeway: Double = 60

    let settings: SingleSignOnSettings

    public init(settings: SingleSignOnSettings) { self.settings = settings }

    /// The reader the token vouches for, or a ``SingleSignOnError`` naming what is wrong.
    public func verify(_ token: String, now: Date = Date()) async throws -> ExternalIdentity {
        guard token.utf8.count <= Self.maximumSize else { throw SingleSignOnError.tooLarge }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Self.base64URL(parts[0]),
              let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw SingleSignOnError.malformed
        }
        let alg = header["alg"] as? String ?? ""
        if alg.lowercased() == "none" || alg.isEmpty { throw SingleSignOnError.unsigned }
        guard alg == settings.algorithm.rawValue else { throw SingleSignOnError.wrongAlgorithm(alg, pinned: settings.algorithm.rawValue) }

        let keys = JWTKeyCollection()
        switch settings.algorithm {
        case .hs256:
            guard let secret = settings.secret, !secret.isEmpty else { throw SingleSignOnError.notConfigured }
            await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        case .rs256:
            guard let pem = settings.publicKey, let key = try? Insecure.RSA.PublicKey(pem: pem) else { throw SingleSignOnError.notConfigured }
            await keys.add(rsa: key, digestAlgorithm: .sha256)
        case .es256:
            guard let pem = settings.publicKey, let key = try? ES256PublicKey(pem: pem) else { throw SingleSignOnError.notConfigured }
            await keys.add(ecdsa: key)
        }
        let claims: SingleSignOnClaims
        do {
            claims = try await keys.verify(token, as: SingleSignOnClaims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw SingleSignOnError.badSignature
        } catch {
            throw SingleSignOnError.malformed
        }
        let time = now.timeIntervalSince1970
        guard let exp = claims.exp else { throw SingleSignOnError.noExpiry }
        guard exp + Self.leeway > time else { throw SingleSignOnError.expired }
        if let nbf = claims.nbf, nbf - Self.leeway > time { throw SingleSignOnError.notYetValid }
        if let iat = claims.iat, iat - Self.leeway > time { throw SingleSignOnError.issuedInFuture }
        guard claims.iss == settings.issuer else { throw SingleSignOnError.wrongIssuer }
        guard claims.aud?.value.contains(settings.audience) == true else { throw SingleSignOnError.wrongAudience }
        guard let subject = claims.sub?.trimmingCharacters(in: .whitespacesAndNewlines), !subject.isEmpty, subject.count <= 255 else {
            throw SingleSignOnError.noSubject
        }
        return ExternalIdentity(issuer: settings.issuer, subject: subject, displayName: String((claims.name ?? "").prefix(80)),
                                email: claims.email, emailVerified: claims.email_verified == true)
    }

    static func base64URL(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
