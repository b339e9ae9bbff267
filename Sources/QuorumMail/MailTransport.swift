import Foundation
import Logging

import QuorumStore

/// Hands one message to the outside world.
public protocol MailTransport: Sendable {
    func deliver(_ mail: OutgoingMail, id: Int64) async throws
}

/// A failure the transport knows will not go away by retrying (a 5xx answer, an address that does not exist).
public protocol PermanentMailFailure: Error {
    var isPermanent: Bool { get }
}

/// With no SMTP server configured (the demo), messages are written as files to a folder and the log says
/// where, so a newcomer can still sign in. The log line never carries the message or its subject: both may hold
/// a code. The file holds the plain-text part (the HTML part goes to SMTP only).
public struct FolderMailTransport: MailTransport {
    public let folder: String
    public let from: String
    public let logger: Logger

    public init(folder: String, from: String, logger: Logger) {
        self.folder = folder
        self.from = from
        self.logger = logger
    }

    public func deliver(_ mail: OutgoingMail, id: Int64) async throws {
        let name = "\(Timestamp.now.milliseconds)-\(id)-\(mail.kind).eml"
        let folder = self.folder
        let path = (folder as NSString).appendingPathComponent(name)
        let text = "From: \(from)\nTo: \(mail.to)\nSubject: \(mail.subject)\n\n\(mail.text)\n"
        try await BlockingWork.run {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        // Subjects and bodies may carry one-time codes and links: the log names only the kind and the file.
        logger.notice("email written to file (no SMTP server configured)", metadata: ["kind": "\(mail.kind)", "file": "\(path)"])
    }
}

/// Delivers through an SMTP server with ``SMTPClient``.
public struct SMTPMailTransport: MailTransport {
    public let client: SMTPClient
    public let from: MailAddress
    /// The domain of Message-IDs: the sender's.
    let domain: String

    public init(configuration: SMTPConfiguration, from: String, logger: Logger) {
        self.client = SMTPClient(configuration: configuration, logger: logger)
        self.from = Self.parse(from)
        self.domain = self.from.address.split(separator: "@").last.map(String.init) ?? "localhost"
    }

    public func deliver(_ mail: OutgoingMail, id: Int64) async throws {
        let message = MailMessage(from: from, to: MailAddress(mail.to), subject: mail.subject, textBody: mail.text, htmlBody: mail.html,
                                  headers: [(name: "Auto-Submitted", value: "auto-generated")])
        try await client.send(message.envelope(messageID: MailMessage.makeMessageID(domain: domain)))
    }

    /// `The Daily Quorum <news@example.com>` or a bare address.
    static func parse(_ text: String) -> MailAddress {
        guard let open = text.lastIndex(of: "<"), let close = text.lastIndex(of: ">"), open < close else {
            return MailAddress(text.trimmingCharacters(in: .whitespaces))
        }
        let name = text[..<open].trimmingCharacters(in: CharacterSet.whitespaces.union(CharacterSet(charactersIn: "\"")))
        return MailAddress(String(text[text.index(after: open)..<close]), name: name.isEmpty ? nil : name)
    }
}

extension SMTPError: PermanentMailFailure {}

