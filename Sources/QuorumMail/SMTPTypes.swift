import Foundation

import QuorumStore

/// Where and how to deliver mail over SMTP.
public struct SMTPConfiguration: Sendable {
    /// How the connection is protected.
    public enum Security: Sendable, Equatable {
        /// Plain text from start to end (only sensible on loopback or a trusted relay).
        case none
        /// Plain connection upgraded with STARTTLS before anything else is sent (submission, port 587).
        /// The server must offer STARTTLS, otherwise sending fails.
        case startTLS
        /// TLS from the first byte (submissions, port 465).
        case implicitTLS
    }

    /// Which certificates the client accepts from the server.
    public enum Trust: Sendable, Equatable {
        /// The system's trusted roots, with host name verification.
        case system
        /// Only certificates issued by (or equal to) the PEM certificate(s) in this file, with host name verification.
        case certificateFile(String)
        /// Any certificate, no verification at all. For tests only.
        case insecureNoVerify
    }

    public var host: String
    public var port: Int
    public var security: Security
    /// Both `username` and `password` must be set for the client to authenticate.
    public var username: String?
    public var password: String?
    /// The name the client gives in EHLO/HELO.
    public var heloName: String
    /// The longest the client waits to connect, and for each answer of the server.
    public var timeout: Duration
    public var trust: Trust

    public init(
        host: String,
        port: Int = 587,
        security: Security = .startTLS,
        username: String? = nil,
        password: String? = nil,
        heloName: String = "localhost",
        timeout: Duration = .seconds(30),
        trust: Trust = .system
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.heloName = heloName
        self.timeout = timeout
        self.trust = trust
    }
}

extension SMTPConfiguration: CustomStringConvertible, CustomDebugStringConvertible {
    /// Never shows the password, so a configuration can be logged safely.
    public var description: String {
        let user = username.map { " user=\($0)" } ?? ""
        let password = password == nil ? "" : " password=<redacted>"
        return "SMTPConfiguration(\(host):\(port) security=\(security) trust=\(trust)\(user)\(password) helo=\(heloName) timeout=\(timeout))"
    }

    public var debugDescription: String { description }
}

/// What the SMTP transaction carries: the envelope sender, the envelope recipients and the message itself.
public struct SMTPEnvelope: Sendable, Equatable {
    /// The envelope sender (MAIL FROM); may be empty for the null reverse path.
    public var from: String
    /// The envelope recipients (RCPT TO); Bcc recipients appear here and not in the message headers.
    public var recipients: [String]
    /// The full RFC 5322 message (headers, blank line, body). Line ends are normalised to CRLF on sending.
    public var data: String

    public init(from: String, recipients: [String], data: String) {
        self.from = from
        self.recipients = recipients
        self.data = data
    }
}

/// One (possibly multi-line) answer of an SMTP server.
public struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    /// The three-digit reply code, e.g. 250.
    public var code: Int
    /// The text of each line, without the code and separator.
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    public var isPositive: Bool { (200..<400).contains(code) }
    public var isPermanentFailure: Bool { code >= 500 }
    public var text: String { lines.joined(separator: " ") }
    public var description: String { "\(code) \(text)" }
}

/// The step of the SMTP conversation at which something happened.
public enum SMTPStage: String, Sendable, CustomStringConvertible {
    case connect, greeting, ehlo, helo, startTLS = "starttls", auth, mailFrom = "mail", rcptTo = "rcpt", data, message, quit

    public var description: String { rawValue }
}

/// Why a message could not be delivered. `isPermanent` tells an outbox whether retrying can help.
public enum SMTPError: Error, Sendable, CustomStringConvertible {
    /// No connection could be made (refused, unreachable, name not resolved, connect timeout).
    case connectionFailed(host: String, port: Int, reason: String)
    /// The server did not answer within the configured timeout.
    case timeout(stage: SMTPStage)
    /// The connection broke or was closed by the server.
    case connectionLost(stage: SMTPStage, reason: String)
    /// TLS could not be established (handshake failure, untrusted certificate, wrong host name).
    case tlsFailed(stage: SMTPStage, reason: String)
    /// The server refused a command (4xx: try again later; 5xx: permanent).
    case rejected(stage: SMTPStage, reply: SMTPReply)
    /// The server refused one recipient.
    case recipientRejected(recipient: String, reply: SMTPReply)
    /// STARTTLS was configured but the server does not offer it.
    case startTLSNotOffered
    /// Credentials are configured but the server offers no mechanism this client speaks (PLAIN, LOGIN).
    case authenticationUnavailable(offered: [String])
    /// Credentials would have travelled unencrypted to a host that is not loopback.
    case credentialsRequireEncryption(host: String)
    /// The envelope cannot be sent (no recipient, CR/LF or angle brackets in an address, non-ASCII address without SMTPUTF8).
    case invalidEnvelope(String)
    /// The server said something that is not SMTP.
    case malformedReply(stage: SMTPStage, reason: String)

    /// True when sending the same message again cannot succeed without a change (5xx answers, configuration
    /// problems, bad envelopes); false for 4xx answers, network failures and timeouts, which are worth retrying.
    public var isPermanent: Bool {
        switch self {
        case .connectionFailed, .timeout, .connectionLost, .tlsFailed, .malformedReply:
            return false
        case .rejected(_, let reply), .recipientRejected(_, let reply):
            return reply.isPermanentFailure
        case .startTLSNotOffered, .authenticationUnavailable, .credentialsRequireEncryption, .invalidEnvelope:
            return true
        }
    }

    public var description: String {
        switch self {
        case .connectionFailed(let host, let port, let reason):
            return "SMTP: cannot connect to \(host):\(port): \(reason)"
        case .timeout(let stage):
            return "SMTP: no answer from the server in time (\(stage))"
        case .connectionLost(let stage, let reason):
            return "SMTP: connection lost (\(stage)): \(reason)"
        case .tlsFailed(let stage, let reason):
            return "SMTP: TLS failed (\(stage)): \(reason)"
        case .rejected(let stage, let reply):
            return "SMTP: server refused \(stage): \(reply)"
        case .recipientRejected(let recipient, let reply):
            return "SMTP: server refused recipient \(recipient): \(reply)"
        case .startTLSNotOffered:
            return "SMTP: STARTTLS is required by the configuration but the server does not offer it"
        case .authenticationUnavailable(let offered):
            let list = offered.isEmpty ? "none" : offered.joined(separator: " ")
            return "SMTP: no usable AUTH mechanism (server offers: \(list); client speaks PLAIN, LOGIN)"
        case .credentialsRequireEncryption(let host):
            return "SMTP: refusing to send credentials to \(host) over an unencrypted connection"
        case .invalidEnvelope(let reason):
            return "SMTP: invalid envelope: \(reason)"
        case .malformedReply(let stage, let reason):
            return "SMTP: malformed answer from the server (\(stage)): \(reason)"
        }
    }
}
