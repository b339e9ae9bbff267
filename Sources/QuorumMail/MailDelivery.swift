import Foundation
import Logging
import QuorumStore
import ServiceLifecycle

import SQLKit

/// Sends what the outbox holds: claims due messages (so several instances never send one twice), hands them
/// to the transport, and on failure retries with backoff. Nothing is lost while the SMTP server is down:
/// messages stay pending and go out when it returns.
public struct MailDelivery: Service {
    public let database: Database
    public let transport: any MailTransport
    public let signal: MailSignal
    public let logger: Logger
    public var pollInterval: Duration = .seconds(2)
    public var now: @Sendable () -> Timestamp = { .now }
    /// Attempts before a message is marked failed for an admin to look at.
    public var maximumAttempts = 12

    public init(database: Database, transport: any MailTransport, signal: MailSignal, logger: Logger) {
        self.database = database
        self.transport = transport
        self.signal = signal
        self.logger = logger
    }

    public func run() async throws {
        var wakes = signal.stream.makeAsyncIterator()
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                do {
                    _ = try await deliverDue()
                } catch {
                    logger.error("mail delivery pass failed", metadata: ["error": "\(String(describing: error))"])
                }
                // Sleep until the poll interval passes or new mail is committed, whichever comes first.
                let timer = Task { [signal, pollInterval] in
                    do {
                        try await Task.sleep(for: pollInterval)
                        signal.wake()
                    } catch {}
                }
                _ = await wakes.next()
                timer.cancel()
            }
        } onGracefulShutdown: {
            signal.wake()
        }
    }

    /// Backoff after the n-th failed attempt: 30 s, 1 min, 2 min, … capped at an hour.
    public static func retryDelay(afterAttempt attempt: Int) -> Double {
        min(3600, 30 * pow(2, Double(max(0, attempt - 1))))
    }

    /// One pass: sends every due message and returns how many were sent.
    @discardableResult
    public func deliverDue() async throws -> Int {
        let current = now()
        let due = try await database.read { db in
            try await db.select().columns("id").from("outbox")
                .where("status", .equal, "pending")
                .where("next_attempt_at", .lessThanOrEqual, current.milliseconds)
                .where { $0.where("claimed_until", .is, SQLLiteral.null).orWhere("claimed_until", .lessThan, current.milliseconds) }
                .orderBy("id").limit(50).all(decodingColumn: "id", as: Int64.self)
        }
        var sent = 0
        for id in due {
            guard let claimed = try await claim(id, now: current) else { continue }
            do {
                try await transport.deliver(claimed.mail, id: id)
                try await markSent(id, kind: claimed.mail.kind, now: now())
                sent += 1
            } catch {
                try await markFailed(id, attempts: claimed.attempts + 1, error: error, now: now())
            }
        }
        return sent
    }

    private struct Claimed { let mail: OutgoingMail; let attempts: Int }

    /// Takes a message for two minutes; another instance skips it meanwhile.
    private func claim(_ id: Int64, now: Timestamp) async throws -> Claimed? {
        try await database.transaction { db in
            let row = try await db.raw("""
                UPDATE outbox SET claimed_until = \(bind: now.milliseconds + 120_000)
                WHERE id = \(bind: id) AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < \(bind: now.milliseconds))
                RETURNING kind, to_address, subject, body_text, body_html, attempts
                """).first()
            guard let row else { return nil }
            return Claimed(
                mail: OutgoingMail(
                    kind: try row.decode(column: "kind", as: String.self),
                    to: try row.decode(column: "to_address", as: String.self),
                    subject: try row.decode(column: "subject", as: String.self),
                    text: try row.decode(column: "body_text", as: String.self),
                    html: try row.decode(column: "body_html", as: String?.self)
                ),
                attempts: try row.decode(column: "attempts", as: Int.self)
            )
        }
    }

    private func markSent(_ id: Int64, kind: String, now: Timestamp) async throws {
        try await database.transaction { db in
            var update = db.update("outbox")
                .set("status", to: "sent").set("sent_at", to: now.milliseconds).set("claimed_until", to: SQLLiteral.null)
                .set("last_error", to: SQLLiteral.null)
            if Outbox.secretKinds.contains(kind) {
                update = update.set("body_text", to: "(delivered; removed because it held a one-time code)")
                    .set("body_html", to: SQLLiteral.null)
            }
            try await update.where("id", .equal, id).run()
        }
    }

    private func markFailed(_ id: Int64, attempts: Int, error: any Error, now: Timestamp) async throws {
        let permanent = (error as? any PermanentMailFailure)?.isPermanent ?? false
        let giveUp = permanent || attempts >= maximumAttempts
        let next = now.adding(seconds: Self.retryDelay(afterAttempt: attempts))
        let message = String(describing: error)
        logger.warning("mail delivery failed", metadata: [
            "outbox_id": "\(id)", "attempt": "\(attempts)", "final": "\(giveUp)", "error": "\(message)",
        ])
        try await database.transaction { db in
            try await db.update("outbox")
                .set("status", to: giveUp ? "failed" : "pending")
                .set("attempts", to: attempts)
                .set("next_attempt_at", to: next.milliseconds)
                .set("claimed_until", to: SQLLiteral.null)
                .set("last_error", to: String(message.prefix(500)))
                .where("id", .equal, id).run()
        }
    }
}

/// ServiceLifecycle logs every service it runs by its description: a name, not the whole object graph
/// (which holds configuration and secrets).
extension MailDelivery: CustomStringConvertible {
    public var description: String { "MailDelivery" }
}
