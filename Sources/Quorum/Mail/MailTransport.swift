import Foundation
import Logging

/// Hands one message to the outside world.
public protocol MailTransport: Sendable {
    func deliver(_ mail: OutgoingMail, id: Int64) async throws
}

/// A failure the transport knows will not go away by retrying (a 5xx answer, an address that does not exist).
public protocol PermanentMailFailure: Error {
    var isPermanent: Bool { get }
}

/// With no SMTP server configured (the demo), messages are written as files to a folder and the log says
/// where, so a newcomer can still sign in. The log line never carries the message itself: it may hold a code.
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
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let name = "\(Timestamp.now.milliseconds)-\(id)-\(mail.kind).eml"
        let path = (folder as NSString).appendingPathComponent(name)
        let text = "From: \(from)\nTo: \(mail.to)\nSubject: \(mail.subject)\n\n\(mail.text)\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        logger.notice("email written to file (no SMTP server configured)", metadata: ["to": "\(mail.to)", "subject": "\(mail.subject)", "file": "\(path)"])
    }
}

public enum MailTransports {
    /// The configured SMTP server, or with none configured, files under `<data>/mail/`.
    public static func make(configuration: QuorumConfiguration, logger: Logger) -> any MailTransport {
        FolderMailTransport(
            folder: (configuration.dataDirectory as NSString).appendingPathComponent("mail"), from: configuration.mailFrom, logger: logger
        )
    }
}
