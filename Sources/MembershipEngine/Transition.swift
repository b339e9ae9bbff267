import Foundation

/// What a change of status means to the member, for emails and the role.
public enum Transition: String, Sendable, Hashable, Codable {
    /// Pending → active: welcome.
    case joined
    /// A renewal failed: tell them how to fix the payment.
    case putOnHold = "put_on_hold"
    /// On hold or lapsed → active again: thank them.
    case recovered
    /// The grace period ran out.
    case lapsed
    case paused, resumed, cancelled, expired
    /// Cancelled (access to the period end) → active again: the member withdrew the cancellation.
    case cancellationWithdrawn = "cancellation_withdrawn"
    case honoraryStarted = "honorary_started"
    case honoraryEnded = "honorary_ended"
}

/// An on-hold email that is due.
public struct Reminder: Sendable, Hashable, Codable {
    /// Days after going on hold (0 = the first notice).
    public var day: Int
    /// Unique per hold and day, so each is sent once even if the sweep runs often or on several instances.
    public var key: String
}

extension Engine {
    /// What moving from `before` to `after` means, if anything worth telling.
    public func transition(from before: Status, to after: Status) -> Transition? {
        guard before != after else { return nil }
        switch (before, after) {
        case (.pending, .active), (.pending, .trialing), (.expired, .active): return .joined
        case (.onHold, .active), (.lapsed, .active): return .recovered
        case (_, .onHold): return .putOnHold
        case (_, .lapsed): return .lapsed
        case (_, .paused): return .paused
        case (.paused, .active): return .resumed
        case (.cancelled, .active): return .cancellationWithdrawn
        case (_, .cancelled): return .cancelled
        case (.honorary, _): return .honoraryEnded
        case (_, .honorary): return .honoraryStarted
        case (_, .expired): return .expired
        default: return nil
        }
    }

    /// The on-hold emails due at `now` that are not in `sent` (keys of reminders already sent).
    public func reminders(for m: Membership, at now: Date, sent: Set<String>) -> [Reminder] {
        let report = status(of: m, at: now)
        guard report.status == .onHold, let since = report.onHoldSince else { return [] }
        // A provider whose clock runs a little ahead of ours reports a hold that starts "later": still due at once.
        let elapsed = max(0, now.timeIntervalSince(since))
        let holdKey = "\(m.id):\(Int(since.timeIntervalSince1970))"
        return settings.reminderDays.sorted().compactMap { day in
            let key = "\(holdKey):\(day)"
            return elapsed >= TimeInterval(day) * 86400 && !sent.contains(key) ? Reminder(day: day, key: key) : nil
        }
    }
}
