import Foundation
import NIOConcurrencyHelpers
import QuorumStore

import SQLKit

/// An email Quorum wants to send.
public struct OutgoingMail: Sendable, Equatable {
    /// What the message is for (`signin`, `email-change`, …); sign-in messages are scrubbed after delivery.
    public var kind: String
    public var to: String
    public var subject: String
    public var text: String
    public var html: String?

    public init(kind: String, to: String, subject: String, text: String, html: String? = nil) {
        self.kind = kind
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
    }
}

/// The outbox: mail is written in the same transaction as the action that sends it, so a committed action
/// always has its email, and a rolled-back one never does. ``MailDelivery`` sends it afterwards.
public enum Outbox {
    /// Kinds whose bodies hold one-time secrets; their text is removed once delivered.
    static let secretKinds: Set<String> = ["signin", "email-change"]

    @discardableResult
    public static func enqueue(_ mail: OutgoingMail, on db: any SQLDatabase, now: Timestamp = .now) async throws -> Int64 {
        try await db.insert(into: "outbox")
            .columns("kind", "to_address", "subject", "body_text", "body_html", "status", "attempts", "next_attempt_at", "created_at")
            .values(
                SQLBind(mail.kind), SQLBind(mail.to), SQLBind(mail.subject), SQLBind(mail.text), SQLBind(mail.html),
                SQLBind("pending"), SQLBind(0), SQLBind(now.milliseconds), SQLBind(now.milliseconds)
            )
            .returning("id")
            .first(decodingColumn: "id", as: Int64.self)!
    }
}

/// Wakes the delivery service as soon as new mail is committed, instead of waiting for its next poll.
public final class MailSignal: Sendable {
    private let continuation: AsyncStream<Void>.Continuation
    let stream: AsyncStream<Void>

    public init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public func wake() { continuation.yield() }
}
