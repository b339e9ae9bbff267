import QuorumStore
import SQLKit

extension Migrations {
    /// Memberships and their ledger. The ledger is append-only: every verified provider event and every member or
    /// admin action is a row, written before it is applied; `event_id` is unique (deduplication across instances
    /// and retries). `event_json` is the provider-neutral event (kept: replay rebuilds every membership from it);
    /// `raw_payload` is the provider's body, cleared after the retention period. `memberships.facts_json` is the
    /// engine's `Membership` value, a cache of the replay.
    package static let membership009 = Migration(9, "membership", statements: [
        """
        CREATE TABLE membership_ledger (
            id {id},
            event_id TEXT NOT NULL UNIQUE,
            provider TEXT NOT NULL,
            membership_id TEXT,
            subscription_ref TEXT,
            customer_ref TEXT,
            kind TEXT NOT NULL,
            amount_minor BIGINT,
            currency TEXT,
            occurred_at BIGINT NOT NULL,
            recorded_at BIGINT NOT NULL,
            event_json TEXT NOT NULL,
            raw_payload TEXT,
            outcome TEXT NOT NULL DEFAULT 'recorded',
            note TEXT NOT NULL DEFAULT ''
        )
        """,
        "CREATE INDEX membership_ledger_membership ON membership_ledger (membership_id, occurred_at)",
        "CREATE INDEX membership_ledger_parked ON membership_ledger (outcome, subscription_ref, customer_ref)",
        "CREATE INDEX membership_ledger_recorded ON membership_ledger (recorded_at)",
        """
        CREATE TABLE memberships (
            id TEXT PRIMARY KEY,
            user_id BIGINT,
            provider TEXT NOT NULL,
            status TEXT NOT NULL,
            amount_minor BIGINT NOT NULL,
            currency TEXT NOT NULL,
            billing_interval TEXT NOT NULL,
            paid_through BIGINT,
            facts_json TEXT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX memberships_user ON memberships (user_id)",
        "CREATE INDEX memberships_status ON memberships (status)",
        """
        CREATE TABLE membership_links (
            provider TEXT NOT NULL,
            ref_kind TEXT NOT NULL,
            ref TEXT NOT NULL,
            membership_id TEXT NOT NULL,
            PRIMARY KEY (provider, ref_kind, ref)
        )
        """,
        // On-hold emails already queued, one per hold and day (`Engine.reminders` keys).
        "CREATE TABLE membership_reminders (reminder_key TEXT PRIMARY KEY, membership_id TEXT NOT NULL, sent_at BIGINT NOT NULL)",
    ])
}
