//! Documents: stored once by content hash, bytes in the archive before the row commits.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use serde_json::json;

use serde::{Deserialize, Serialize};

use super::{audit, now, sha256_hex, Result, Store, StoreError};
use crate::domain::{Document, Incoming, SourceKind};
use crate::parse::EmailMeta;

/// What happened when bytes were offered to the store.
#[derive(Debug, Clone, PartialEq)]
pub enum IngestOutcome {
    /// First time these bytes were seen.
    New(Document),
    /// The same bytes are already stored as this document.
    Duplicate(Document),
}

impl IngestOutcome {
    pub fn document(&self) -> &Document {
        match self {
            IngestOutcome::New(d) | IngestOutcome::Duplicate(d) => d,
        }
    }
}

/// Processing state of a stored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocStatus {
    /// Archived, not yet (fully) processed: a crash happened, or it is being worked on.
    Stored,
    Processed,
    Failed {
        code: String,
        reason: String,
    },
}

/// What the reviewer's page shows of an email, kept when it is read (table
/// `document_emails`), so the page and the checks after an edit do not parse it again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredEmail {
    /// The headers; `attachments` in the order of [`crate::parse::mime::email_attachments`]
    /// (their index is the download link's).
    #[serde(flatten)]
    pub meta: EmailMeta,
    /// The text of the body part.
    pub body: String,
}

const DOC_COLS: &str =
    "id, source, origin, file_name, sender, received_at, sha256, media_type, size";

fn row_to_doc(r: &Row<'_>) -> rusqlite::Result<Document> {
    let source: String = r.get(1)?;
    let received: String = r.get(5)?;
    Ok(Document {
        id: r.get(0)?,
        source: SourceKind::parse(&source).unwrap_or(SourceKind::Upload),
        origin: r.get(2)?,
        file_name: r.get(3)?,
        sender: r.get(4)?,
        received_at: DateTime::parse_from_rfc3339(&received)
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default(),
        sha256: r.get(6)?,
        media_type: r.get(7)?,
        size: r.get::<_, i64>(8)? as u64,
    })
}

impl Store {
    /// Store `incoming` unless the same bytes are already here. The bytes are written to
    /// the archive (fsynced) before the row is committed, so a row always has its bytes.
    pub fn ingest(
        &mut self,
        incoming: &Incoming,
        media_type: &str,
        message_id: Option<&str>,
    ) -> Result<IngestOutcome> {
        let sha = sha256_hex(&incoming.bytes);
        if let Some(doc) = self.document_by_sha(&sha)? {
            return Ok(IngestOutcome::Duplicate(doc));
        }
        self.archive_bytes(&sha, &incoming.bytes)?;
        let (id, new) =
            self.retrying(|s| s.insert_document(incoming, &sha, media_type, message_id))?;
        let doc = self.document(id)?.ok_or(StoreError::NotFound {
            what: "document",
            id,
        })?;
        Ok(if new {
            IngestOutcome::New(doc)
        } else {
            IngestOutcome::Duplicate(doc)
        })
    }

    /// Insert the row for archived bytes: its id, and `false` when another writer (another
    /// process ingesting the same file) inserted it first.
    fn insert_document(
        &mut self,
        incoming: &Incoming,
        sha: &str,
        media_type: &str,
        message_id: Option<&str>,
    ) -> Result<(i64, bool)> {
        let tx = self.conn_mut().transaction()?;
        let existing: Option<i64> = tx
            .query_row("SELECT id FROM documents WHERE sha256 = ?1", [sha], |r| {
                r.get(0)
            })
            .optional()?;
        if let Some(id) = existing {
            return Ok((id, false));
        }
        tx.execute(
            "INSERT INTO documents (sha256, source, origin, file_name, sender, received_at, media_type, size, message_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                sha,
                incoming.source.as_str(),
                incoming.origin,
                incoming.file_name,
                incoming.sender,
                incoming.received_at.to_rfc3339(),
                media_type,
                incoming.bytes.len() as i64,
                message_id,
                now()
            ],
        )?;
        let id = tx.last_insert_rowid();
        audit::append(
            &tx,
            "system",
            "document",
            Some(id),
            "stored",
            Some(&json!({"file": incoming.file_name, "sha256": sha, "origin": incoming.origin})),
        )?;
        tx.commit()?;
        Ok((id, true))
    }

    pub fn document(&self, id: i64) -> Result<Option<Document>> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {DOC_COLS} FROM documents WHERE id = ?1"),
                [id],
                row_to_doc,
            )
            .optional()?)
    }

    pub fn document_by_sha(&self, sha256: &str) -> Result<Option<Document>> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {DOC_COLS} FROM documents WHERE sha256 = ?1"),
                [sha256],
                row_to_doc,
            )
            .optional()?)
    }

    pub fn document_by_message_id(&self, message_id: &str) -> Result<Option<Document>> {
        Ok(self
            .conn()
            .query_row(
                &format!(
                    "SELECT {DOC_COLS} FROM documents WHERE message_id = ?1 ORDER BY id LIMIT 1"
                ),
                [message_id],
                row_to_doc,
            )
            .optional()?)
    }

    pub fn document_status(&self, id: i64) -> Result<DocStatus> {
        let (status, code, reason): (String, Option<String>, Option<String>) = self
            .conn()
            .query_row(
                "SELECT status, fail_code, fail_reason FROM documents WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or(StoreError::NotFound {
                what: "document",
                id,
            })?;
        Ok(match status.as_str() {
            "processed" => DocStatus::Processed,
            "failed" => DocStatus::Failed {
                code: code.unwrap_or_default(),
                reason: reason.unwrap_or_default(),
            },
            _ => DocStatus::Stored,
        })
    }

    /// Documents stored but never finished (a crash during processing): reprocess these.
    pub fn unfinished_documents(&self) -> Result<Vec<Document>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {DOC_COLS} FROM documents WHERE status = 'stored' ORDER BY id"
        ))?;
        let rows = stmt.query_map([], row_to_doc)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Count one more start of processing for a stored document, committed before any
    /// parsing, and return how many starts there were before this one. A document still
    /// `stored` with earlier starts was being processed when the process died.
    pub fn begin_attempt(&mut self, id: i64) -> Result<u32> {
        self.retrying(|s| s.begin_attempt_once(id))
    }

    fn begin_attempt_once(&mut self, id: i64) -> Result<u32> {
        let tx = self.conn_mut().transaction()?;
        let before: u32 = tx
            .query_row("SELECT attempts FROM documents WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or(StoreError::NotFound {
                what: "document",
                id,
            })?;
        tx.execute(
            "UPDATE documents SET attempts = attempts + 1 WHERE id = ?1",
            [id],
        )?;
        tx.commit()?;
        Ok(before)
    }

    /// Keep what the item page shows of an email document (replacing an earlier summary).
    pub fn record_email(&mut self, id: i64, email: &StoredEmail) -> Result<()> {
        let summary = serde_json::to_string(email)?;
        self.retrying(|s| {
            s.conn().execute(
                "INSERT INTO document_emails (document_id, summary) VALUES (?1, ?2)
                 ON CONFLICT (document_id) DO UPDATE SET summary = excluded.summary",
                params![id, summary],
            )?;
            Ok(())
        })
    }

    /// The email summary kept at ingest; `None` for documents read before it was kept (and
    /// for anything not an email).
    pub fn stored_email(&self, id: i64) -> Result<Option<StoredEmail>> {
        let text: Option<String> = self
            .conn()
            .query_row(
                "SELECT summary FROM document_emails WHERE document_id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(text.map(|t| serde_json::from_str(&t)).transpose()?)
    }

    /// Record that a document could not be read; the original stays in the archive.
    pub fn mark_failed(&mut self, id: i64, code: &str, reason: &str) -> Result<()> {
        self.retrying(|s| s.mark_failed_once(id, code, reason))
    }

    fn mark_failed_once(&mut self, id: i64, code: &str, reason: &str) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        tx.execute(
            "UPDATE documents SET status = 'failed', fail_code = ?2, fail_reason = ?3, processed_at = ?4 WHERE id = ?1",
            params![id, code, reason, now()],
        )?;
        audit::append(
            &tx,
            "system",
            "document",
            Some(id),
            "failed",
            Some(&json!({"code": code, "reason": reason})),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Number of documents per status.
    pub fn document_counts(&self) -> Result<Vec<(String, i64)>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT status, COUNT(*) FROM documents GROUP BY status ORDER BY status")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Documents per (source, status), for `/metrics`.
    pub fn document_counts_by_source(&self) -> Result<Vec<(String, String, i64)>> {
        let mut stmt = self.conn().prepare(
            "SELECT source, status, COUNT(*) FROM documents GROUP BY source, status
             ORDER BY source, status",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// A histogram of how long processed documents took from stored to processed (parse,
    /// extraction, rules), in seconds: the count at or below each bound in `bounds`
    /// (cumulative, as Prometheus wants), then the total count and the sum. Computed in SQL
    /// from the rows, so it covers every process that shares the store.
    pub fn processing_seconds_histogram(&self, bounds: &[f64]) -> Result<(Vec<i64>, i64, f64)> {
        let d = "(julianday(processed_at) - julianday(created_at)) * 86400.0";
        let mut cols: Vec<String> = (1..=bounds.len())
            .map(|i| format!("COALESCE(SUM({d} <= ?{i}), 0)"))
            .collect();
        cols.push("COUNT(*)".into());
        cols.push(format!("COALESCE(SUM({d}), 0.0)"));
        let sql = format!(
            "SELECT {} FROM documents WHERE status = 'processed' AND processed_at IS NOT NULL",
            cols.join(", ")
        );
        let n = bounds.len();
        Ok(self
            .conn()
            .query_row(&sql, rusqlite::params_from_iter(bounds.iter()), |r| {
                let mut buckets = Vec::with_capacity(n);
                for i in 0..n {
                    buckets.push(r.get(i)?);
                }
                Ok((buckets, r.get(n)?, r.get(n + 1)?))
            })?)
    }
}
