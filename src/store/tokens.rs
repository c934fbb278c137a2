//! API tokens: what a portal or a script sends as `Authorization: Bearer` to upload
//! documents (`POST /api/documents`).
//!
//! A token is 32 random bytes, shown once when it is made; the store keeps only its sha256
//! (a token has full entropy, so a fast hash is enough, as for session cookies). Making a
//! token for a name that has one replaces it: the old token stops working.

use rusqlite::{params, OptionalExtension};
use serde_json::json;

use super::users::random_token;
use super::{audit, now, sha256_hex, Result, Store, StoreError};

/// Tokens start with this, so one found in a log or a config file is recognisable.
const PREFIX: &str = "poi_";

impl Store {
    /// Make (or replace) the token named `name`; returns the token, which is not kept.
    pub fn add_api_token(&mut self, name: &str) -> Result<String> {
        let name = name.trim();
        if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control()) {
            return Err(StoreError::Conflict(
                "a token name must be 1 to 64 printable characters".into(),
            ));
        }
        let token = format!("{PREFIX}{}", random_token());
        let tx = self.conn_mut().transaction()?;
        let existed: Option<i64> = tx
            .query_row("SELECT id FROM api_tokens WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?;
        tx.execute(
            "INSERT INTO api_tokens (name, token_hash, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET token_hash = excluded.token_hash,
                 created_at = excluded.created_at, last_used_at = NULL",
            params![name, sha256_hex(token.as_bytes()), now()],
        )?;
        let action = if existed.is_some() {
            "replaced"
        } else {
            "created"
        };
        audit::append(
            &tx,
            "cli",
            "api_token",
            None,
            action,
            Some(&json!({ "name": name })),
        )?;
        tx.commit()?;
        Ok(token)
    }

    /// Remove the token named `name`; false when there was none.
    pub fn revoke_api_token(&mut self, name: &str) -> Result<bool> {
        let tx = self.conn_mut().transaction()?;
        let n = tx.execute("DELETE FROM api_tokens WHERE name = ?1", [name.trim()])?;
        if n > 0 {
            audit::append(
                &tx,
                "cli",
                "api_token",
                None,
                "revoked",
                Some(&json!({ "name": name.trim() })),
            )?;
        }
        tx.commit()?;
        Ok(n > 0)
    }

    /// The name of the token `token`, when it is a live one (and note its use).
    pub fn api_token_name(&mut self, token: &str) -> Result<Option<String>> {
        let token = token.trim();
        if !token.starts_with(PREFIX) {
            return Ok(None);
        }
        let hash = sha256_hex(token.as_bytes());
        let name: Option<String> = self
            .conn()
            .query_row(
                "SELECT name FROM api_tokens WHERE token_hash = ?1",
                [&hash],
                |r| r.get(0),
            )
            .optional()?;
        if name.is_some() {
            self.conn().execute(
                "UPDATE api_tokens SET last_used_at = ?1 WHERE token_hash = ?2",
                params![now(), hash],
            )?;
        }
        Ok(name)
    }

    /// Every token's name, when it was made and last used.
    pub fn api_tokens(&self) -> Result<Vec<(String, String, Option<String>)>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT name, created_at, last_used_at FROM api_tokens ORDER BY name")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_shown_once_kept_hashed_and_replaced_by_a_new_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(dir.path()).expect("store");
        let t1 = store.add_api_token("portal").expect("add");
        assert!(t1.starts_with(PREFIX) && t1.len() > 60);
        assert_eq!(
            store.api_token_name(&t1).expect("check").as_deref(),
            Some("portal")
        );
        // Only the hash is stored.
        let stored: String = store
            .conn()
            .query_row("SELECT token_hash FROM api_tokens", [], |r| r.get(0))
            .expect("row");
        assert_ne!(stored, t1);
        assert!(!stored.contains(&t1[PREFIX.len()..]));
        let t2 = store.add_api_token("portal").expect("replace");
        assert_eq!(store.api_token_name(&t1).expect("check"), None);
        assert_eq!(
            store.api_token_name(&t2).expect("check").as_deref(),
            Some("portal")
        );
        assert_eq!(store.api_token_name("poi_wrong").expect("check"), None);
        assert!(store.revoke_api_token("portal").expect("revoke"));
        assert_eq!(store.api_token_name(&t2).expect("check"), None);
    }
}
