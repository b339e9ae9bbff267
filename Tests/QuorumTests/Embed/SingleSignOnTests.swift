import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumStore
@testable import QuorumWeb
import TestSupport

/// Host-signed tokens, made by PyJWT (the reference implementation) for every accepted and refused case, then
/// verified by the site (jwt-kit) and used to sign readers in on both databases.
@Suite struct SingleSignOnTests {
    static let secret = "a-host-secret-that-is-long-enough-0123456789"
    static let issuer = "https://news.example"
    static let audience = "quorum"

    /// Every token the tests use, signed at once by one Python process, with the time it signed them (`now`).
    static func makeTokens() -> [String: String] {
        let script = #"""
import json, sys, time, jwt
from cryptography.hazmat.primitives.asymmetric import rsa, ec
from cryptography.hazmat.primitives import serialization
secret, iss, aud = sys.argv[1], sys.argv[2], sys.argv[3]
now = int(time.time())
def claims(**changes):
    c = {"sub": "host-42", "name": "Thandi Host", "email": "thandi@news.example", "email_verified": True,
         "iss": iss, "aud": aud, "iat": now, "exp": now + 300}
    for k, v in changes.items():
        if v is None: c.pop(k, None)
        else: c[k] = v
    return c
def pem(key): return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
other_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ec_key = ec.generate_private_key(ec.SECP256R1())
other_ec = ec.generate_private_key(ec.SECP256R1())
out = {
  "now": str(now), "rsaPublic": pem(rsa_key), "ecPublic": pem(ec_key),
  "hs256": jwt.encode(claims(), secret, algorithm="HS256"),
  "hs256-other-reader": jwt.encode(claims(sub="host-43", email="x@news.example", email_verified=False), secret, algorithm="HS256"),
  "hs256-unverified-existing": jwt.encode(claims(sub="host-44", email="existing@example.com", email_verified=False), secret, algorithm="HS256"),
  "hs256-verified-existing": jwt.encode(claims(sub="host-45", email="existing@example.com", email_verified=True), secret, algorithm="HS256"),
  "hs256-aud-list": jwt.encode(claims(aud=["other", aud]), secret, algorithm="HS256"),
  "hs256-within-leeway": jwt.encode(claims(exp=now - 30, nbf=now + 30, iat=now + 30), secret, algorithm="HS256"),
  "none": jwt.encode(claims(), None, algorithm="none"),
  "hs512": jwt.encode(claims(), secret, algorithm="HS512"),
  "rs256-on-hs-site": jwt.encode(claims(), rsa_key, algorithm="RS256"),
  "wrong-key": jwt.encode(claims(), "another-secret-that-is-also-long-enough-000", algorithm="HS256"),
  "expired": jwt.encode(claims(exp=now - 120), secret, algorithm="HS256"),
  "future-nbf": jwt.encode(claims(nbf=now + 300), secret, algorithm="HS256"),
  "future-iat": jwt.encode(claims(iat=now + 300), secret, algorithm="HS256"),
  "no-exp": jwt.encode(claims(exp=None), secret, algorithm="HS256"),
  "wrong-iss": jwt.encode(claims(iss="https://evil.example"), secret, algorithm="HS256"),
  "wrong-aud": jwt.encode(claims(aud="someone-else"), secret, algorithm="HS256"),
  "no-sub": jwt.encode(claims(sub=None), secret, algorithm="HS256"),
  "oversized": jwt.encode(claims(name="x" * 9000), secret, algorithm="HS256"),
  "rs256": jwt.encode(claims(), rsa_key, algorithm="RS256"),
  "rs256-other-key": jwt.encode(claims(), other_rsa, algorithm="RS256"),
  "es256": jwt.encode(claims(), ec_key, algorithm="ES256"),
  "es256-other-key": jwt.encode(claims(), other_ec, algorithm="ES256"),
}
print(json.dumps({k: v for k, v in out.items() if v is not None}))
"""#
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, secret, issuer, audience]
        let pipe = Pipe()
        process.standardOutput = pipe
        try! process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (try? JSONSerialization.jsonObject(with: data) as? [String: String]) ?? [:]
    }

    /// Fresh tokens (valid for five minutes), made off Swift concurrency's threads (the Python process is waited for).
    static func signed() async throws -> [String: String] {
        let tokens = try await onOwnThread { Self.makeTokens() }
        try #require(tokens["hs256"] != nil, "PyJWT made no tokens (pip install PyJWT cryptography)")
        return tokens
    }

    static let hs = SingleSignOnSettings(algorithm: .hs256, secret: secret, issuer: issuer, audience: audience)

    @Test func everyAcceptedAndRefusedTokenFromPyJWT() async throws {
        let t = try await Self.signed()
        // The site's clock at the moment PyJWT signed: the leeway cases do not depend on how long the run takes.
        let now = Date(timeIntervalSince1970: try #require(Double(t["now"] ?? "")))
        let hs = SingleSignOn(settings: Self.hs)
        let reader = try await hs.verify(t["hs256"]!, now: now)
        #expect(reader == ExternalIdentity(issuer: Self.issuer, subject: "host-42", displayName: "Thandi Host", email: "thandi@news.example", emailVerified: true))
        #expect(try await hs.verify(t["hs256-aud-list"]!, now: now).subject == "host-42", "aud may be a list naming this site")
        #expect(try await hs.verify(t["hs256-within-leeway"]!, now: now).subject == "host-42", "a minute of clock difference is allowed")
        #expect(try await hs.verify(t["hs256-other-reader"]!, now: now).emailVerified == false)

        let refused: [(String, String)] = [
            ("none", "sso_unsigned"), ("hs512", "sso_wrong_algorithm"), ("rs256-on-hs-site", "sso_wrong_algorithm"),
            ("wrong-key", "sso_bad_signature"), ("expired", "sso_expired"), ("future-nbf", "sso_not_yet_valid"),
            ("future-iat", "sso_issued_in_future"), ("no-exp", "sso_no_expiry"), ("wrong-iss", "sso_wrong_issuer"),
            ("wrong-aud", "sso_wrong_audience"), ("no-sub", "sso_no_subject"), ("oversized", "sso_too_large"),
        ]
        for (name, code) in refused {
            do {
                _ = try await hs.verify(t[name]!, now: now)
                Issue.record("\(name) was accepted")
            } catch let error as SingleSignOnError {
                #expect(error.code == code, "\(name): \(error.code) — \(error.message)")
                #expect(error.status == .unauthorized)
            }
        }
        await #expect(throws: SingleSignOnError.malformed) { try await hs.verify("not.a-token") }
        await #expect(throws: SingleSignOnError.malformed) { try await hs.verify("") }

        let rs = SingleSignOn(settings: SingleSignOnSettings(algorithm: .rs256, publicKey: t["rsaPublic"], issuer: Self.issuer, audience: Self.audience))
        #expect(try await rs.verify(t["rs256"]!, now: now).subject == "host-42")
        await #expect(throws: SingleSignOnError.badSignature) { try await rs.verify(t["rs256-other-key"]!, now: now) }
        await #expect(throws: SingleSignOnError.wrongAlgorithm("HS256", pinned: "RS256")) { try await rs.verify(t["hs256"]!, now: now) }
        let es = SingleSignOn(settings: SingleSignOnSettings(algorithm: .es256, publicKey: t["ecPublic"], issuer: Self.issuer, audience: Self.audience))
        #expect(try await es.verify(t["es256"]!, now: now).subject == "host-42")
        await #expect(throws: SingleSignOnError.badSignature) { try await es.verify(t["es256-other-key"]!, now: now) }
        await #expect(throws: SingleSignOnError.wrongAlgorithm("RS256", pinned: "ES256")) { try await es.verify(t["rs256"]!, now: now) }
    }

    /// Accounts are linked by the host's id, and by an email only when the host verified it.
    @Test(arguments: TestDatabases.kinds)
    func readersAreSignedInByTheHostsIdNeverByAnUnverifiedEmail(kind: DatabaseKind) async throws {
        let t = try await Self.signed()
        try await LiveServer.withBrowser(kind) { browser, _, test in
            let embed = try EmbedCountsTests.service(test)
            try await embed.comments.site.settings.set(EmbedSettings.key, String(decoding: try JSONEncoder().encode(
                EmbedSettings(origins: ["http://127.0.0.1:56101"], keepQuery: [], sso: Self.hs)), as: UTF8.self))
            let existing = try await UserStore(database: test.database).create(email: "existing@example.com", displayName: "Existing", roles: [])
            let accounts = EmbedService(comments: embed.comments, pages: ExternalArticles(), signIn: ExternalAccounts(site: embed.comments.site))

            let first = try await accounts.signIn(token: t["hs256"]!, userAgent: "test")
            let again = try await accounts.signIn(token: t["hs256-aud-list"]!, userAgent: "test")
            #expect(first.userID == again.userID, "the same host id is the same account")
            let user = try #require(try await UserStore(database: test.database).find(id: first.userID))
            #expect(user.email == "thandi@news.example" && user.displayName == "Thandi Host")
            let unverified = try await accounts.signIn(token: t["hs256-unverified-existing"]!, userAgent: "test")
            #expect(unverified.userID != existing.id, "an unverified email never opens another account")
            #expect(try await UserStore(database: test.database).find(id: unverified.userID)?.email.hasSuffix("@sso.invalid") == true)
            let verified = try await accounts.signIn(token: t["hs256-verified-existing"]!, userAgent: "test")
            #expect(verified.userID == existing.id, "a verified email links the host's reader to the account with it")
            await #expect(throws: SingleSignOnError.expired) { try await accounts.signIn(token: t["expired"]!, userAgent: "test") }

            // Through the frame: a good token signs the frame in (its own partitioned cookie); a bad one says why.
            let page = "http://127.0.0.1:56101/story".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let signedIn = try await browser.get("/embed?url=\(page)&sso=\(t["hs256"]!)")
            #expect(signedIn.status == .seeOther)
            let cookie = try #require(signedIn.headers[values: .setCookie].first { $0.hasPrefix("quorum_session=") })
            #expect(cookie.contains("SameSite=None") && cookie.contains("Partitioned") && cookie.contains("HttpOnly"))
            let write = try await browser.get(try #require(signedIn.headers[.location]).replacingOccurrences(of: "/comments", with: "/comments/new"))
            #expect(write.status == .ok, "signed in: the write form, not the sign-in page")
            let refused = try await browser.get("/embed?url=\(page)&sso=\(t["expired"]!)")
            #expect(refused.status == .unauthorized && refused.text.contains("has expired"))
            #expect(refused.headers[.contentSecurityPolicy]?.contains("frame-ancestors http://127.0.0.1:56101") == true)
        }
    }
}
