//! Versioned schema. Each migration runs in its own transaction together with the
//! `PRAGMA user_version` bump, so a crash leaves the database at a whole version.
//! Append new migrations at the end; never edit a released one.

use rusqlite::Connection;

use super::orders::backfill_keys;
use super::StoreError;

/// The ordered list of migrations; index + 1 is the schema version it produces.
pub const MIGRATIONS: &[&str] = &[
    // 1: documents, orders, exceptions, review actions, audit log, outbox, cursors.
    r#"
    CREATE TABLE documents (
        id            INTEGER PRIMARY KEY,
        sha256        TEXT NOT NULL UNIQUE,
        source        TEXT NOT NULL,
        origin        TEXT NOT NULL,
        file_name     TEXT NOT NULL,
        sender        TEXT,
        received_at   TEXT NOT NULL,
        media_type    TEXT NOT NULL,
        size          INTEGER NOT NULL,
        message_id    TEXT,
        -- stored: bytes archived, not yet processed; processed; failed (reason below)
        status        TEXT NOT NULL DEFAULT 'stored',
        fail_code     TEXT,
        fail_reason   TEXT,
        created_at    TEXT NOT NULL,
        processed_at  TEXT
    );
    CREATE INDEX documents_status ON documents(status);
    CREATE INDEX documents_message_id ON documents(message_id);

    CREATE TABLE orders (
        id            INTEGER PRIMARY KEY,
        document_id   INTEGER NOT NULL REFERENCES documents(id),
        seq           INTEGER NOT NULL,
        part          TEXT,
        po_number     TEXT,
        customer_id   TEXT,
        state         TEXT NOT NULL,
        order_json    TEXT NOT NULL,
        check_json    TEXT NOT NULL,
        -- optimistic locking: every update bumps it and names the version it read
        version       INTEGER NOT NULL DEFAULT 1,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        UNIQUE(document_id, seq)
    );
    CREATE INDEX orders_state ON orders(state);
    CREATE INDEX orders_customer_po ON orders(customer_id, po_number);

    CREATE TABLE exceptions (
        id            INTEGER PRIMARY KEY,
        order_id      INTEGER NOT NULL REFERENCES orders(id),
        code          TEXT NOT NULL,
        line          INTEGER,
        message       TEXT NOT NULL,
        suggestion    TEXT
    );
    CREATE INDEX exceptions_order ON exceptions(order_id);
    CREATE INDEX exceptions_code ON exceptions(code);

    CREATE TABLE review_actions (
        id            INTEGER PRIMARY KEY,
        order_id      INTEGER NOT NULL REFERENCES orders(id),
        actor         TEXT NOT NULL,
        action        TEXT NOT NULL,
        detail        TEXT,
        at            TEXT NOT NULL
    );
    CREATE INDEX review_actions_order ON review_actions(order_id);

    CREATE TABLE audit_log (
        id            INTEGER PRIMARY KEY,
        at            TEXT NOT NULL,
        actor         TEXT NOT NULL,
        entity        TEXT NOT NULL,
        entity_id     INTEGER,
        action        TEXT NOT NULL,
        detail        TEXT
    );
    CREATE INDEX audit_entity ON audit_log(entity, entity_id);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY,
        order_id        INTEGER NOT NULL UNIQUE REFERENCES orders(id),
        idempotency_key TEXT NOT NULL UNIQUE,
        payload         TEXT NOT NULL,
        -- pending, delivered, delivery_failed
        state           TEXT NOT NULL DEFAULT 'pending',
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_at         TEXT NOT NULL,
        last_status     INTEGER,
        last_error      TEXT,
        created_at      TEXT NOT NULL,
        delivered_at    TEXT
    );
    CREATE INDEX outbox_due ON outbox(state, next_at);

    CREATE TABLE intake_cursors (
        source        TEXT NOT NULL,
        key           TEXT NOT NULL,
        uid_validity  INTEGER,
        last_uid      INTEGER,
        detail        TEXT,
        updated_at    TEXT NOT NULL,
        PRIMARY KEY (source, key)
    );
    "#,
    // 2: master data (catalog import replaces it atomically, keeping a version number).
    r#"
    CREATE TABLE master_versions (
        version       INTEGER PRIMARY KEY,
        imported_at   TEXT NOT NULL,
        source_dir    TEXT NOT NULL,
        counts        TEXT NOT NULL
    );
    CREATE TABLE catalog (
        sku           TEXT PRIMARY KEY,
        description   TEXT NOT NULL,
        uom           TEXT NOT NULL,
        unit_price    REAL NOT NULL,
        currency      TEXT NOT NULL,
        pack_size     REAL NOT NULL DEFAULT 1,
        min_qty       REAL NOT NULL DEFAULT 0,
        stock         REAL
    );
    CREATE TABLE customers (
        customer_id   TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        email_domains TEXT NOT NULL,
        currency      TEXT
    );
    CREATE TABLE crossref (
        customer_id   TEXT NOT NULL,
        customer_part TEXT NOT NULL,
        sku           TEXT NOT NULL,
        -- import: from crossref.csv; review: learned from a reviewer (survives re-import)
        origin        TEXT NOT NULL DEFAULT 'import',
        PRIMARY KEY (customer_id, customer_part)
    );
    CREATE TABLE contract_prices (
        customer_id   TEXT NOT NULL,
        sku           TEXT NOT NULL,
        unit_price    REAL NOT NULL,
        PRIMARY KEY (customer_id, sku)
    );
    -- buyer names a reviewer confirmed as a customer (learned; survives re-import)
    CREATE TABLE buyer_aliases (
        alias         TEXT PRIMARY KEY,
        customer_id   TEXT NOT NULL,
        created_at    TEXT NOT NULL
    );
    "#,
    // 3: IMAP intake: one row per message seen in a watched mailbox (paperless' ProcessedMail).
    // The cursor (UIDVALIDITY, last UID, connection health) lives in intake_cursors.
    r#"
    CREATE TABLE mailbox_messages (
        mailbox       TEXT NOT NULL,
        uid_validity  INTEGER NOT NULL,
        uid           INTEGER NOT NULL,
        message_id    TEXT,
        document_id   INTEGER REFERENCES documents(id),
        -- pending_move: stored, not yet moved; done: moved (or copied + flagged);
        -- skipped: left in place (sender not allowed)
        status        TEXT NOT NULL,
        -- processed, duplicate, failed, not_allowed, vanished
        outcome       TEXT NOT NULL,
        target        TEXT,
        error         TEXT,
        handled_at    TEXT NOT NULL,
        PRIMARY KEY (mailbox, uid_validity, uid)
    );
    CREATE INDEX mailbox_messages_message_id ON mailbox_messages(mailbox, message_id);
    "#,
    // 4: web: reviewer accounts, sessions, login attempts (rate limiting), claims on orders.
    r#"
    CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        -- argon2id PHC string
        password_hash TEXT NOT NULL,
        created_at    TEXT NOT NULL
    );
    CREATE TABLE sessions (
        -- sha256 of the cookie token: a copy of the database cannot be replayed as a login
        token_hash    TEXT PRIMARY KEY,
        user_id       INTEGER NOT NULL REFERENCES users(id),
        csrf          TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        expires_at    TEXT NOT NULL
    );
    CREATE INDEX sessions_expires ON sessions(expires_at);
    CREATE TABLE login_attempts (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL,
        client        TEXT NOT NULL,
        ok            INTEGER NOT NULL,
        at            TEXT NOT NULL
    );
    CREATE INDEX login_attempts_name ON login_attempts(name, at);
    CREATE INDEX login_attempts_client ON login_attempts(client, at);
    -- who is working an order right now; a claim past expires_at is free again
    CREATE TABLE review_claims (
        order_id      INTEGER PRIMARY KEY REFERENCES orders(id),
        user_name     TEXT NOT NULL,
        claimed_at    TEXT NOT NULL,
        expires_at    TEXT NOT NULL
    );
    "#,
    // 6: how many times processing of a document was started; a document that is still
    // `stored` after two starts crashed the reader twice and is quarantined (issue 22).
    r#"
    ALTER TABLE documents ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    "#,
    // 7: printed units a customer uses for a catalog unit (issue 19): imported from
    // uom_aliases.csv, or confirmed by a reviewer (learned like buyer_aliases, survives
    // re-import). `printed` is folded (upper case, no
    // accents, no trailing dot).
    r#"
    CREATE TABLE uom_aliases (
        customer_id   TEXT NOT NULL,
        printed       TEXT NOT NULL,
        uom           TEXT NOT NULL,
        -- 'import' (uom_aliases.csv, replaced by the next import) or 'review' (learned; wins)
        origin        TEXT NOT NULL DEFAULT 'review',
        created_at    TEXT NOT NULL,
        PRIMARY KEY (customer_id, printed)
    );
    "#,
    // 8: what the item page shows of an email (sender, recipients, subject, date, body text,
    // attachment list), kept when the email is read so the web layer does not parse the
    // original again (issue 21 item 5); and a counter every change to the master data bumps,
    // so a process can keep the master data loaded and reload it only when it changed.
    r#"
    CREATE TABLE document_emails (
        document_id   INTEGER PRIMARY KEY REFERENCES documents(id),
        -- JSON: {from, to, subject, date, body, attachments: [{name, media_type, size}]}
        summary       TEXT NOT NULL
    );
    CREATE TABLE master_changes (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        counter       INTEGER NOT NULL
    );
    INSERT INTO master_changes (id, counter) VALUES (1, 0);
    CREATE TRIGGER master_changed_catalog_insert AFTER INSERT ON catalog
        BEGIN UPDATE master_changes SET counter = counter + 1; END;
    CREATE TRIGGER master_changed_catalog_update AFTER UPDATE ON catalog
        BEGIN UPDATE master_changes SET counter = counter + 1; END;
    CREATE TRIGGER master_changed_catalog_delete AFTER DELETE ON catalog
        BEGIN UPDATE master_changes SET counter = counter + 1; END;
    CREATE TRIGGER master_changed_customers_insert AFTER INSERT ON customers
        BEGIN UPDATE master_changes SET counter = counter + 1; END;
    CREATE TRIGGER master_changed_customers_update AFTER UPDATE ON customers
        BEGIN UPDATE master_changes SET counter = counter + 1; END;
    CREATE TRIGGER master_changed_customers_delete AFTER DELETE ON customers
        BEGIN UPDATE master_changes SET counter = counter + 1; END;
    CREATE TRIGGER master_changed_crossref_insert AFTER INSERT ON crossref
        BEGIN UPDATE master_changes SET counter = counter + 1; END;
    CREATE TRIGGER master_changed_crossref_update AFTER UPDATE ON crossref
        BEGIN UPDATE master_changes SET counter = counter + 1; END;
    CREATE TRIGGER master_changed_crossref_delete AFTER DELETE ON crossref
        BEGIN UPDATE master_changes SET counter = counter + 1; END;
    CREATE TRIGGER master_changed_contract_prices_insert AFTER INSERT ON contract_prices
        BEGIN UPDATE master_changes SET counter = counter + 1; END;
    CREATE TRIGGER master_changed_contract_prices_update AFTER UPDATE ON contract_prices
        BEGIN UPDATE master_changes SET counter = counter + 1; END;
    CREATE TRIGGER master_changed_contract_prices_delete AFTER DELETE ON contract_prices
        BEGIN UPDATE master_changes SET counter = counter + 1; END;
    CREATE TRIGGER master_changed_buyer_aliases_insert AFTER INSERT ON buyer_aliases
        BEGIN UPDATE master_changes SET counter = counter + 1; END;
    CREATE TRIGGER master_changed_buyer_aliases_update AFTER UPDATE ON buyer_aliases
        BEGIN UPDATE master_changes SET counter = counter + 1; END;
    CREATE TRIGGER master_changed_buyer_aliases_delete AFTER DELETE ON buyer_aliases
        BEGIN UPDATE master_changes SET counter = counter + 1; END;
    CREATE TRIGGER master_changed_uom_aliases_insert AFTER INSERT ON uom_aliases
        BEGIN UPDATE master_changes SET counter = counter + 1; END;
    CREATE TRIGGER master_changed_uom_aliases_update AFTER UPDATE ON uom_aliases
        BEGIN UPDATE master_changes SET counter = counter + 1; END;
    CREATE TRIGGER master_changed_uom_aliases_delete AFTER DELETE ON uom_aliases
        BEGIN UPDATE master_changes SET counter = counter + 1; END;
    "#,
    // 9: API tokens for uploads (issue 20): `po-intake token add NAME` prints a token once;
    // only its sha256 is kept, so a copy of the database yields no usable token.
    r#"
    CREATE TABLE api_tokens (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        token_hash    TEXT NOT NULL UNIQUE,
        created_at    TEXT NOT NULL,
        last_used_at  TEXT
    );
    "#,
    // 10: acknowledgements to customers (issue 20): one row per order and kind, written from
    // the orders' durable state by a sweep, sent by SMTP with retries; `enabled_at` keeps
    // turning acknowledgements on from mailing every order decided before.
    r#"
    CREATE TABLE acks (
        id            INTEGER PRIMARY KEY,
        order_id      INTEGER NOT NULL REFERENCES orders(id),
        -- accepted | rejected
        kind          TEXT NOT NULL,
        to_addr       TEXT NOT NULL,
        in_reply_to   TEXT,
        -- pending | sent | failed (gave up after max_attempts)
        state         TEXT NOT NULL DEFAULT 'pending',
        attempts      INTEGER NOT NULL DEFAULT 0,
        next_at       TEXT NOT NULL,
        last_error    TEXT,
        created_at    TEXT NOT NULL,
        sent_at       TEXT,
        UNIQUE (order_id, kind)
    );
    CREATE INDEX acks_due ON acks(state, next_at);
    CREATE TABLE ack_settings (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        enabled_at    TEXT NOT NULL
    );
    "#,
    // 11 (PRAGMA user_version 10: the numbering of these comments skips 5): how long reading
    // a document took on the reader thread (parse + extraction: model and decoder), in
    // milliseconds, for the extraction latency histogram of /metrics (issue 21 item 4).
    // NULL for documents read by an older build, or not read (failed before reading).
    r#"
    ALTER TABLE documents ADD COLUMN read_ms INTEGER;
    "#,
    // 12 (user_version 11): layouts learned from approved orders (issue 18). One row per
    // customer (or sender) and document layout; `layout_json` is a `learn::Layout` (the
    // document's static words, where each header field sits relative to its label, the
    // item table's header and column bands). `order_id` is the approval it was learned
    // from; forgetting a layout deletes its row (the audit log keeps that it existed).
    r#"
    CREATE TABLE layouts (
        id            INTEGER PRIMARY KEY,
        customer_id   TEXT,
        sender        TEXT,
        order_id      INTEGER NOT NULL REFERENCES orders(id),
        approved_by   TEXT NOT NULL,
        learned_at    TEXT NOT NULL,
        layout_json   TEXT NOT NULL,
        uses          INTEGER NOT NULL DEFAULT 0,
        last_used_at  TEXT
    );
    CREATE INDEX layouts_customer ON layouts(customer_id);
    CREATE INDEX layouts_sender ON layouts(sender);
    "#,
    // 13 (user_version 12): the duplicate check's keys kept beside each order (issue 21), so
    // it looks them up in an index instead of re-reading every order of the customer (which
    // grew with the store: one JSON parse per earlier order, per new order). '' = the order
    // has no such key; NULL = not computed yet (rows of an older build: [`backfill_keys`]
    // fills them on open).
    r#"
    ALTER TABLE orders ADD COLUMN po_key TEXT;
    ALTER TABLE orders ADD COLUMN content_key TEXT;
    CREATE INDEX orders_po_key ON orders(customer_id, po_key);
    CREATE INDEX orders_content_key ON orders(customer_id, content_key);
    "#,
];

/// Bring `conn` up to the latest schema version. Safe to call on every open.
pub fn migrate(conn: &mut Connection) -> Result<u32, StoreError> {
    // Each step takes the write lock first (IMMEDIATE) and reads the version under it, so
    // two processes opening a fresh store at once never both apply the same migration.
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if current as usize > MIGRATIONS.len() {
            return Err(StoreError::SchemaTooNew {
                found: current,
                known: MIGRATIONS.len() as u32,
            });
        }
        let Some(sql) = MIGRATIONS.get(current as usize) else {
            backfill_keys(&tx)?;
            tx.commit()?;
            return Ok(MIGRATIONS.len() as u32);
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", current + 1)?;
        tx.commit()?;
    }
}
