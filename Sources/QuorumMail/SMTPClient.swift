import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL

import QuorumStore

/// A small SMTP client (RFC 5321) on SwiftNIO: one connection per message.
///
/// The conversation: greeting, EHLO (HELO when EHLO is refused), STARTTLS and EHLO again when configured,
/// AUTH PLAIN or LOGIN when credentials are set, MAIL FROM, RCPT TO for each recipient, DATA (CRLF line
/// ends, dot-stuffed, ended by CRLF.CRLF), QUIT. Every answer is awaited with `configuration.timeout`.
///
/// Only stages and reply codes are logged (at debug level): never credentials, addresses or message content.
public struct SMTPClient: Sendable {
    public let configuration: SMTPConfiguration
    private let logger: Logger
    private let tlsContext: Result<NIOSSLContext, SMTPError>?

    public init(configuration: SMTPConfiguration, logger: Logger = Logger(label: "quorum.smtp")) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "smtp.server"] = "\(configuration.host):\(configuration.port)"
        self.logger = logger
        self.tlsContext = configuration.security == .none ? nil : Self.makeTLSContext(configuration.trust)
    }

    /// Delivers one message. Returns once the server has accepted it (250 after DATA); a failure while
    /// saying goodbye afterwards is ignored, so an accepted message is never reported as failed.
    /// Throws `SMTPError`; its `isPermanent` tells whether retrying later can help.
    public func send(_ envelope: SMTPEnvelope) async throws {
        try Self.validate(envelope)
        let tls: NIOSSLContext?
        switch tlsContext {
        case .none: tls = nil
        case .success(let context)?: tls = context
        case .failure(let error)?: throw error
        }
        logger.debug("smtp connecting", metadata: ["smtp.stage": "connect", "smtp.recipients": "\(envelope.recipients.count)"])
        let connection = try await SMTPConnection.connect(
            host: configuration.host, port: configuration.port, timeout: configuration.timeout,
            tls: configuration.security == .implicitTLS ? tls : nil
        )
        do {
            try await converse(connection, envelope, tls: tls)
        } catch let error as SMTPError {
            logger.debug("smtp failed", metadata: ["smtp.error": "\(Self.kind(of: error))"])
            if case .rejected = error { _ = try? await connection.command("QUIT", .quit) }
            if case .recipientRejected = error { _ = try? await connection.command("QUIT", .quit) }
            await connection.close()
            throw error
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }

    private func converse(_ connection: SMTPConnection, _ envelope: SMTPEnvelope, tls: NIOSSLContext?) async throws {
        try await expect(connection.reply(.greeting), .greeting, 220)
        var extensions = try await hello(connection)

        if configuration.security == .startTLS, let tls {
            guard extensions["STARTTLS"] != nil else { throw SMTPError.startTLSNotOffered }
            try await expect(connection.command("STARTTLS", .startTLS), .startTLS, 220)
            try await connection.startTLS(tls, host: configuration.host)
            extensions = try await hello(connection)
        }

        if let username = configuration.username, let password = configuration.password {
            guard configuration.security != .none || connection.isLoopback else {
                throw SMTPError.credentialsRequireEncryption(host: configuration.host)
            }
            try await authenticate(connection, extensions: extensions, username: username, password: password)
        }

        var parameters = ""
        if envelope.data.utf8.contains(where: { $0 >= 0x80 }), extensions["8BITMIME"] != nil {
            parameters += " BODY=8BITMIME"
        }
        if !([envelope.from] + envelope.recipients).allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } }) {
            guard extensions["SMTPUTF8"] != nil else {
                throw SMTPError.invalidEnvelope("an address is not ASCII and the server does not offer SMTPUTF8")
            }
            parameters += " SMTPUTF8"
        }
        try await expect(connection.command("MAIL FROM:<\(envelope.from)>\(parameters)", .mailFrom), .mailFrom, 250)
        for recipient in envelope.recipients {
            let reply = try await connection.command("RCPT TO:<\(recipient)>", .rcptTo)
            log(.rcptTo, reply)
            guard reply.code == 250 || reply.code == 251 else {
                throw SMTPError.recipientRejected(recipient: recipient, reply: reply)
            }
        }
        try await expect(connection.command("DATA", .data), .data, 354)
        try await expect(connection.send(Self.encodeData(envelope.data), .message), .message, 250)
        logger.debug("smtp message accepted", metadata: ["smtp.stage": "message"])

        // Accepted: from here on nothing may turn this into a failure.
        if let reply = try? await connection.command("QUIT", .quit) { log(.quit, reply) }
    }

    /// EHLO (or HELO when the server refuses EHLO); returns the advertised extensions, keyword → parameters.
    private func hello(_ connection: SMTPConnection) async throws -> [String: String] {
        let name = Self.heloName(configuration.heloName)
        let reply = try await connection.command("EHLO \(name)", .ehlo)
        log(.ehlo, reply)
        if reply.code == 250 {
            var extensions: [String: String] = [:]
            for line in reply.lines.dropFirst() {
                let parts = line.split(separator: " ", maxSplits: 1)
                guard let keyword = parts.first else { continue }
                var key = keyword.uppercased()
                var parameters = parts.count > 1 ? String(parts[1]) : ""
                if key.hasPrefix("AUTH=") {  // the pre-standard form some servers still send
                    parameters = String(key.dropFirst(5)) + (parameters.isEmpty ? "" : " " + parameters)
                    key = "AUTH"
                }
                extensions[key] = [extensions[key], parameters].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            }
            return extensions
        }
        guard reply.isPermanentFailure else { throw SMTPError.rejected(stage: .ehlo, reply: reply) }
        try await expect(connection.command("HELO \(name)", .helo), .helo, 250)
        return [:]
    }

    private func authenticate(_ connection: SMTPConnection, extensions: [String: String], username: String, password: String) async throws {
        let offered = (extensions["AUTH"] ?? "").split(separator: " ").map { $0.uppercased() }
        let reply: SMTPReply
        if offered.contains("PLAIN") {
            let token = Data("\u{0}\(username)\u{0}\(password)".utf8).base64EncodedString()
            var answer = try await connection.command("AUTH PLAIN \(token)", .auth)
            if answer.code == 334 { answer = try await connection.command(token, .auth) }
            reply = answer
        } else if offered.contains("LOGIN") {
            try await expect(connection.command("AUTH LOGIN", .auth), .auth, 334)
            try await expect(connection.command(Data(username.utf8).base64EncodedString(), .auth), .auth, 334)
            reply = try await connection.command(Data(password.utf8).base64EncodedString(), .auth)
        } else {
            throw SMTPError.authenticationUnavailable(offered: offered)
        }
        log(.auth, reply)
        guard reply.code == 235 else { throw SMTPError.rejected(stage: .auth, reply: reply) }
    }

    @discardableResult
    private func expect(_ reply: SMTPReply, _ stage: SMTPStage, _ code: Int) throws -> SMTPReply {
        log(stage, reply)
        guard reply.code == code else { throw SMTPError.rejected(stage: stage, reply: reply) }
        return reply
    }

    private func log(_ stage: SMTPStage, _ reply: SMTPReply) {
        logger.debug("smtp reply", metadata: ["smtp.stage": "\(stage)", "smtp.code": "\(reply.code)"])
    }

    /// The error's case and code, without any text a server or caller supplied.
    private static func kind(of error: SMTPError) -> String {
        switch error {
        case .connectionFailed: return "connection-failed"
        case .timeout(let stage): return "timeout(\(stage))"
        case .connectionLost(let stage, _): return "connection-lost(\(stage))"
        case .tlsFailed(let stage, _): return "tls-failed(\(stage))"
        case .rejected(let stage, let reply): return "rejected(\(stage), \(reply.code))"
        case .recipientRejected(_, let reply): return "recipient-rejected(\(reply.code))"
        case .startTLSNotOffered: return "starttls-not-offered"
        case .authenticationUnavailable: return "auth-unavailable"
        case .credentialsRequireEncryption: return "credentials-require-encryption"
        case .invalidEnvelope: return "invalid-envelope"
        case .malformedReply(let stage, _): return "malformed-reply(\(stage))"
        }
    }

    static func makeTLSContext(_ trust: SMTPConfiguration.Trust) -> Result<NIOSSLContext, SMTPError> {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch trust {
        case .system:
            break
        case .certificateFile(let path):
            guard FileManager.default.isReadableFile(atPath: path) else {
                return .failure(.tlsFailed(stage: .connect, reason: "cannot read the trusted certificate file \(path)"))
            }
            tls.trustRoots = .file(path)
        case .insecureNoVerify:
            tls.certificateVerification = .none
        }
        do {
            return .success(try NIOSSLContext(configuration: tls))
        } catch {
            return .failure(.tlsFailed(stage: .connect, reason: String(describing: error)))
        }
    }

    static func heloName(_ name: String) -> String {
        let cleaned = name.filter { !$0.isWhitespace && !$0.isNewline && $0 != "\u{0}" }
        return cleaned.isEmpty ? "localhost" : cleaned
    }

    static func validate(_ envelope: SMTPEnvelope) throws {
        guard !envelope.recipients.isEmpty else { throw SMTPError.invalidEnvelope("no recipient") }
        func check(_ address: String, _ role: String) throws {
            let bad = address.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || $0 == "<" || $0 == ">" || $0 == " " }
            if bad { throw SMTPError.invalidEnvelope("the \(role) address contains a control character, a space or an angle bracket") }
        }
        try check(envelope.from, "sender")
        for recipient in envelope.recipients {
            guard !recipient.isEmpty else { throw SMTPError.invalidEnvelope("empty recipient address") }
            try check(recipient, "recipient")
        }
    }

    /// The DATA payload: every line end made CRLF, lines starting with "." get another ".", then CRLF.CRLF.
    static func encodeData(_ data: String) -> ByteBuffer {
        let bytes = Array(data.utf8)
        var out = ByteBuffer()
        out.reserveCapacity(bytes.count + bytes.count / 40 + 8)
        var start = 0
        var index = 0
        func emitLine(_ end: Int) {
            if end > start, bytes[start] == UInt8(ascii: ".") { out.writeInteger(UInt8(ascii: ".")) }
            out.writeBytes(bytes[start..<end])
            out.writeStaticString("\r\n")
        }
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\r"):
                emitLine(index)
                index += (index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n")) ? 2 : 1
                start = index
            case UInt8(ascii: "\n"):
                emitLine(index)
                index += 1
                start = index
            default:
                index += 1
            }
        }
        if start < bytes.count { emitLine(bytes.count) }
        out.writeStaticString(".\r\n")
        return out
    }
}
