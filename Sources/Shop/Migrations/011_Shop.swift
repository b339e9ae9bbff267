import QuorumStore
import SQLKit

extension Migrations {
    /// The shop: products (with their donation partner), orders, their lines and the append-only order ledger.
    ///
    /// `shop_products.stock` is the free copies (not held by any order); every reservation is a conditional
    /// `UPDATE … WHERE stock >= n`, so two checkouts can never take the same copy. `paid_copies` is the running
    /// count of paid, unrefunded copies (what donations are counted on), moved by the engine's deltas in the
    /// same transaction as the order. `shop_order_lines.held_qty` and `paid_qty` are each line's share, written
    /// from the order's facts, so `stock + SUM(held_qty) = stock_added` and `paid_copies = SUM(paid_qty)` can be
    /// checked at any time. `shop_orders.facts_json` is the engine's `Order`; the ledger keeps every event.
    package static let shop011 = Migration(11, "shop", statements: [
        """
        CREATE TABLE shop_products (
            id TEXT PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            description_md TEXT NOT NULL DEFAULT '',
            cover_image TEXT NOT NULL DEFAULT '',
            cover_alt TEXT NOT NULL DEFAULT '',
            price_minor BIGINT NOT NULL,
            currency TEXT NOT NULL,
            vat_percent BIGINT NOT NULL DEFAULT 15,
            state TEXT NOT NULL,
            publish_at BIGINT,
            release_at BIGINT,
            stock BIGINT NOT NULL,
            stock_added BIGINT NOT NULL,
            oversell BIGINT NOT NULL DEFAULT 0,
            per_order_limit BIGINT NOT NULL DEFAULT 10,
            shipping_json TEXT NOT NULL DEFAULT '[]',
            partner_name TEXT NOT NULL DEFAULT '',
            partner_url TEXT NOT NULL DEFAULT '',
            donate_per BIGINT NOT NULL DEFAULT 1,
            sold_per BIGINT NOT NULL DEFAULT 1,
            donate_cap BIGINT,
            paid_copies BIGINT NOT NULL DEFAULT 0,
            released_notice_at BIGINT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE shop_orders (
            number {id},
            id TEXT NOT NULL UNIQUE,
            user_id BIGINT,
            email TEXT NOT NULL,
            buyer_name TEXT NOT NULL,
            address_json TEXT NOT NULL,
            shipping_id TEXT NOT NULL DEFAULT '',
            shipping_label TEXT NOT NULL DEFAULT '',
            provider TEXT NOT NULL,
            payment_ref TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,
            total_minor BIGINT NOT NULL,
            currency TEXT NOT NULL,
            facts_json TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            paid_at BIGINT,
            updated_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX shop_orders_status ON shop_orders (status, expires_at)",
        "CREATE INDEX shop_orders_user ON shop_orders (user_id)",
        "CREATE INDEX shop_orders_paid ON shop_orders (paid_at)",
        """
        CREATE TABLE shop_order_lines (
            order_id TEXT NOT NULL,
            product_id TEXT NOT NULL,
            quantity BIGINT NOT NULL,
            unit_minor BIGINT NOT NULL,
            held_qty BIGINT NOT NULL,
            paid_qty BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY (order_id, product_id)
        )
        """,
        "CREATE INDEX shop_order_lines_product ON shop_order_lines (product_id)",
        """
        CREATE TABLE shop_ledger (
            id {id},
            event_id TEXT NOT NULL UNIQUE,
            order_id TEXT NOT NULL,
            provider TEXT NOT NULL,
            kind TEXT NOT NULL,
            amount_minor BIGINT,
            occurred_at BIGINT NOT NULL,
            recorded_at BIGINT NOT NULL,
            event_json TEXT NOT NULL,
            raw_payload TEXT,
            outcome TEXT NOT NULL DEFAULT 'recorded',
            note TEXT NOT NULL DEFAULT ''
        )
        """,
        "CREATE INDEX shop_ledger_order ON shop_ledger (order_id, occurred_at)",
        // Emails sent once per order and kind (confirmation, release, dispatch), whichever instance sends them.
        "CREATE TABLE shop_order_mail (order_id TEXT NOT NULL, kind TEXT NOT NULL, sent_at BIGINT NOT NULL, PRIMARY KEY (order_id, kind))",
    ])
}
