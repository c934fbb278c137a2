//! Intake cursors and the per-message record of watched mailboxes.
//!
//! A mailbox remembers, in `intake_cursors` (source `imap`, key = mailbox name), the
//! UIDVALIDITY it last saw, the highest UID it has finished, and its connection health (JSON in
//! `detail`, for `po-intake status`). Every message it touches gets a `mailbox_messages` row
//! *before* it is moved, so a restart after a crash between "stored" and "moved" only completes
//! the move, and a UIDVALIDITY change can recognise known messages by Message-ID.

use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::{now, Result, Store};

const SOURCE: &str = "imap";

/// Where a mailbox's intake stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxCursor {
    pub uid_validity: u32,
    /// Every UID up to and including this one is handled (0: none yet).
    pub last_uid: u32,
}

/// Connection health written by the watcher, read by `status`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MailboxHealth {
    pub connected: bool,
    /// When the folder was last checked completely (RFC 3339).
    pub last_sync: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
}

/// One message of a watched mailbox, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxMessage {
    pub mailbox: String,
    pub uid_validity: u32,
    pub uid: u32,
    pub message_id: Option<String>,
    pub document_id: Option<i64>,
    /// `pending_move`, `done` or `skipped`.
    pub status: String,
    /// `processed`, `duplicate`, `failed`, `not_allowed`, `vanished`.
    pub outcome: String,
    /// The folder it was (or is to be) moved to.
    pub target: Option<String>,
    pub error: Option<String>,
}

/// Per-mailbox figures for `po-intake status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MailboxSummary {
    pub mailbox: String,
    pub uid_validity: Option<u32>,
    pub last_uid: Option<u32>,
    pub health: MailboxHealth,
    /// When the watcher last wrote (heartbeat).
    pub updated_at: String,
    /// Messages moved, flagged or skipped.
    pub handled: i64,
    /// Messages stored but not yet moved.
    pub pending: i64,
    /// Messages that ended in the failed folder.
    pub failed: i64,
}

fn row_to_msg(r: &Row<'_>) -> rusqlite::Result<MailboxMessage> {
    Ok(MailboxMessage {
        mailbox: r.get(0)?,
        uid_validity: r.get(1)?,
        uid: r.get(2)?,
        message_id: r.get(3)?,
        document_id: r.get(4)?,
        status: r.get(5)?,
        outcome: r.get(6)?,
        target: r.get(7)?,
        error: r.get(8)?,
    })
}

const MSG_COLS: &str =
    "mailbox, uid_validity, uid, message_id, document_id, status, outcome, target, error";

impl Store {
    pub fn mailbox_cursor(&self, mailbox: &str) -> Result<Option<MailboxCursor>> {
        let row: Option<(Option<u32>, Option<u32>)> = self
            .conn()
            .query_row(
                "SELECT uid_validity, last_uid FROM intake_cursors WHERE source = ?1 AND key = ?2",
                params![SOURCE, mailbox],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(match row {
            Some((Some(uid_validity), last)) => Some(MailboxCursor {
                uid_validity,
                last_uid: last.unwrap_or(0),
            }),
            _ => None,
        })
    }

    pub fn set_mailbox_cursor(&self, mailbox: &str, cursor: MailboxCursor) -> Result<()> {
        self.conn().execute(
            "INSERT INTO intake_cursors (source, key, uid_validity, last_uid, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (source, key) DO UPDATE SET uid_validity = ?3, last_uid = ?4, updated_at = ?5",
            params![SOURCE, mailbox, cursor.uid_validity, cursor.last_uid, now()],
        )?;
        Ok(())
    }

    /// Update the health fields given (`None` keeps the stored value), as a heartbeat.
    pub fn set_mailbox_health(
        &self,
        mailbox: &str,
        connected: bool,
        synced: bool,
        error: Option<&str>,
    ) -> Result<()> {
        let mut h = self.mailbox_health(mailbox)?.unwrap_or_default();
        h.connected = connected;
        let at = now();
        if synced {
            h.last_sync = Some(at.clone());
        }
        if let Some(e) = error {
            h.last_error = Some(e.to_string());
            h.last_error_at = Some(at.clone());
        }
        let detail = serde_json::to_string(&h)?;
        self.conn().execute(
            "INSERT INTO intake_cursors (source, key, detail, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (source, key) DO UPDATE SET detail = ?3, updated_at = ?4",
            params![SOURCE, mailbox, detail, at],
        )?;
        Ok(())
    }

    pub fn mailbox_health(&self, mailbox: &str) -> Result<Option<MailboxHealth>> {
        let detail: Option<Option<String>> = self
            .conn()
            .query_row(
                "SELECT detail FROM intake_cursors WHERE source = ?1 AND key = ?2",
                params![SOURCE, mailbox],
                |r| r.get(0),
            )
            .optional()?;
        Ok(detail.flatten().and_then(|d| serde_json::from_str(&d).ok()))
    }

    pub fn mailbox_message(
        &self,
        mailbox: &str,
        uid_validity: u32,
        uid: u32,
    ) -> Result<Option<MailboxMessage>> {
        Ok(self
            .conn()
            .query_row(
                &format!(
                    "SELECT {MSG_COLS} FROM mailbox_messages
                     WHERE mailbox = ?1 AND uid_validity = ?2 AND uid = ?3"
                ),
                params![mailbox, uid_validity, uid],
                row_to_msg,
            )
            .optional()?)
    }

    /// The latest record of a message with this Message-ID in this mailbox (any UIDVALIDITY).
    pub fn mailbox_message_by_message_id(
        &self,
        mailbox: &str,
        message_id: &str,
    ) -> Result<Option<MailboxMessage>> {
        Ok(self
            .conn()
            .query_row(
                &format!(
                    "SELECT {MSG_COLS} FROM mailbox_messages
                     WHERE mailbox = ?1 AND message_id = ?2 AND document_id IS NOT NULL
                     ORDER BY handled_at DESC LIMIT 1"
                ),
                params![mailbox, message_id],
                row_to_msg,
            )
            .optional()?)
    }

    /// Insert or replace the record of one message.
    pub fn record_mailbox_message(&self, m: &MailboxMessage) -> Result<()> {
        self.conn().execute(
            &format!(
                "INSERT OR REPLACE INTO mailbox_messages ({MSG_COLS}, handled_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            ),
            params![
                m.mailbox,
                m.uid_validity,
                m.uid,
                m.message_id,
                m.document_id,
                m.status,
                m.outcome,
                m.target,
                m.error,
                now()
            ],
        )?;
        Ok(())
    }

    /// Mark messages as moved (or copied and flagged) and advance the cursor, in one
    /// transaction.
    pub fn finish_mailbox_messages(
        &mut self,
        mailbox: &str,
        uid_validity: u32,
        uids: &[u32],
        cursor: MailboxCursor,
    ) -> Result<()> {
        let at = now();
        let tx = self.conn_mut().transaction()?;
        {
            let mut stmt = tx.prepare(
                "UPDATE mailbox_messages SET status = 'done', handled_at = ?4
                 WHERE mailbox = ?1 AND uid_validity = ?2 AND uid = ?3 AND status = 'pending_move'",
            )?;
            for uid in uids {
                stmt.execute(params![mailbox, uid_validity, uid, at])?;
            }
        }
        tx.execute(
            "INSERT INTO intake_cursors (source, key, uid_validity, last_uid, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (source, key) DO UPDATE SET uid_validity = ?3, last_uid = ?4, updated_at = ?5",
            params![SOURCE, mailbox, cursor.uid_validity, cursor.last_uid, at],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every mailbox the store knows, with its counts (for `po-intake status`).
    pub fn mailbox_summaries(&self) -> Result<Vec<MailboxSummary>> {
        let mut stmt = self.conn().prepare(
            "SELECT c.key, c.uid_validity, c.last_uid, c.detail, c.updated_at,
                    (SELECT COUNT(*) FROM mailbox_messages m WHERE m.mailbox = c.key AND m.status IN ('done', 'skipped')),
                    (SELECT COUNT(*) FROM mailbox_messages m WHERE m.mailbox = c.key AND m.status = 'pending_move'),
                    (SELECT COUNT(*) FROM mailbox_messages m WHERE m.mailbox = c.key AND m.outcome = 'failed')
             FROM intake_cursors c WHERE c.source = ?1 ORDER BY c.key",
        )?;
        let rows = stmt.query_map([SOURCE], |r| {
            let detail: Option<String> = r.get(3)?;
            Ok(MailboxSummary {
                mailbox: r.get(0)?,
                uid_validity: r.get(1)?,
                last_uid: r.get(2)?,
                health: detail
                    .and_then(|d| serde_json::from_str(&d).ok())
                    .unwrap_or_default(),
                updated_at: r.get(4)?,
                handled: r.get(5)?,
                pending: r.get(6)?,
                failed: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_health_and_rows_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(store.mailbox_cursor("mb").unwrap(), None);
        store.set_mailbox_health("mb", true, true, None).unwrap();
        assert_eq!(
            store.mailbox_cursor("mb").unwrap(),
            None,
            "health alone is no cursor"
        );
        let c = MailboxCursor {
            uid_validity: 7,
            last_uid: 0,
        };
        store.set_mailbox_cursor("mb", c).unwrap();
        let m = MailboxMessage {
            mailbox: "mb".into(),
            uid_validity: 7,
            uid: 3,
            message_id: Some("<a@b>".into()),
            document_id: None,
            status: "pending_move".into(),
            outcome: "failed".into(),
            target: Some("PO-Failed".into()),
            error: Some("no_order".into()),
        };
        store.record_mailbox_message(&m).unwrap();
        assert_eq!(store.mailbox_message("mb", 7, 3).unwrap(), Some(m));
        store
            .finish_mailbox_messages("mb", 7, &[3], MailboxCursor { last_uid: 3, ..c })
            .unwrap();
        store
            .set_mailbox_health("mb", false, false, Some("connection lost"))
            .unwrap();
        let s = &store.mailbox_summaries().unwrap()[0];
        assert_eq!((s.handled, s.pending, s.failed), (1, 0, 1));
        assert_eq!(s.last_uid, Some(3));
        assert!(!s.health.connected);
        assert!(
            s.health.last_sync.is_some(),
            "an error keeps the last sync time"
        );
        assert_eq!(s.health.last_error.as_deref(), Some("connection lost"));
    }
}
