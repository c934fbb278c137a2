//! Reviewer accounts, login sessions and failed-login bookkeeping for the web UI.
//!
//! Passwords are stored as argon2id PHC strings; session cookies as the sha256 of a random
//! token, so the database alone never yields a usable cookie. Every session carries its own
//! CSRF token, checked on each form post.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use rand::RngCore;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use serde_json::json;

use super::{audit, now, sha256_hex, Result, Store, StoreError};

/// A reviewer account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
}

/// A live login session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    pub expires_at: String,
}

/// The outcome of a login attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum LoginCheck {
    /// Name and password are right: the new session's cookie token and its session.
    Ok { token: String, session: Session },
    /// Wrong name or password (which one is not said).
    Invalid,
    /// Too many failures recently for this name, or from this client; try again later.
    RateLimited,
}

/// How logins are limited.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginPolicy {
    /// Failures for one account name within the window before its logins are refused.
    pub max_failures_per_name: u32,
    /// Failures from one client address (all names) within the window: higher, because many
    /// people may sit behind one proxy address and one of them must not lock out the rest.
    pub max_failures_per_client: u32,
    pub window: Duration,
    /// How long a new session lasts.
    pub lifetime: Duration,
}

/// A fresh random token (32 bytes, hex).
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Hash a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| StoreError::Conflict(format!("cannot make a password salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Conflict(format!("cannot hash the password: {e}")))
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

impl Store {
    /// Create a reviewer, or set a new password for an existing one. Audited.
    pub fn upsert_user(&mut self, name: &str, password: &str) -> Result<User> {
        let name = name.trim();
        if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control()) {
            return Err(StoreError::Conflict(
                "a user name must be 1 to 64 printable characters".into(),
            ));
        }
        if password.chars().count() < 8 {
            return Err(StoreError::Conflict(
                "a password must have at least 8 characters".into(),
            ));
        }
        let hash = hash_password(password)?;
        let tx = self.conn_mut().transaction()?;
        let existed: Option<i64> = tx
            .query_row("SELECT id FROM users WHERE name = ?1", [name], |r| r.get(0))
            .optional()?;
        tx.execute(
            "INSERT INTO users (name, password_hash, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash",
            params![name, hash, now()],
        )?;
        let id: i64 = tx.query_row("SELECT id FROM users WHERE name = ?1", [name], |r| r.get(0))?;
        if existed.is_some() {
            // A new password ends every session of the old one.
            tx.execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
        }
        let action = if existed.is_some() {
            "password_changed"
        } else {
            "created"
        };
        audit::append(
            &tx,
            "cli",
            "user",
            Some(id),
            action,
            Some(&json!({"name": name})),
        )?;
        tx.commit()?;
        Ok(User {
            id,
            name: name.to_string(),
        })
    }

    /// Check a login, with rate limiting per account name and per client address (see
    /// [`LoginPolicy`]). A successful login creates a session lasting `policy.lifetime`.
    ///
    /// The attempt is counted before the password is checked: one IMMEDIATE transaction
    /// counts the recent failures and, when under both limits, records this attempt as a
    /// failure; a right password turns it into a success afterwards. So parallel requests
    /// cannot all pass the count before any of them is recorded.
    pub fn login(
        &mut self,
        name: &str,
        password: &str,
        client: &str,
        policy: &LoginPolicy,
    ) -> Result<LoginCheck> {
        let name = name.trim();
        let Some(attempt) = self.retrying(|s| s.reserve_login_attempt(name, client, policy))?
        else {
            return Ok(LoginCheck::RateLimited);
        };
        let user: Option<(i64, String)> = self
            .conn()
            .query_row(
                "SELECT id, password_hash FROM users WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        // Verify against a dummy hash for unknown names so timing does not tell names apart.
        let ok = match &user {
            Some((_, phc)) => verify_password(password, phc),
            None => {
                let _ = verify_password(password, dummy_hash());
                false
            }
        };
        let tx = self.conn_mut().transaction()?;
        // Old attempts are only needed for the window.
        tx.execute(
            "DELETE FROM login_attempts WHERE at < ?1",
            [ts(Utc::now() - Duration::days(1))],
        )?;
        let result = match (ok, user) {
            (true, Some((id, _))) => {
                tx.execute("UPDATE login_attempts SET ok = 1 WHERE id = ?1", [attempt])?;
                let token = random_token();
                let csrf = random_token();
                let expires_at = ts(Utc::now() + policy.lifetime);
                tx.execute(
                    "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![sha256_hex(token.as_bytes()), id, csrf, now(), expires_at],
                )?;
                tx.execute("DELETE FROM sessions WHERE expires_at < ?1", [now()])?;
                audit::append(
                    &tx,
                    name,
                    "user",
                    Some(id),
                    "login",
                    Some(&json!({"client": client})),
                )?;
                LoginCheck::Ok {
                    token,
                    session: Session {
                        user: User {
                            id,
                            name: name.to_string(),
                        },
                        csrf,
                        expires_at,
                    },
                }
            }
            _ => {
                audit::append(
                    &tx,
                    name,
                    "login",
                    None,
                    "failed",
                    Some(&json!({"client": client})),
                )?;
                LoginCheck::Invalid
            }
        };
        tx.commit()?;
        Ok(result)
    }

    /// Count the recent failures for `name` and for `client` and, when both are under their
    /// limits, record this attempt (as a failure until proven right). `None`: rate limited.
    fn reserve_login_attempt(
        &mut self,
        name: &str,
        client: &str,
        policy: &LoginPolicy,
    ) -> Result<Option<i64>> {
        let since = ts(Utc::now() - policy.window);
        let tx = self.conn_mut().transaction()?;
        let (by_name, by_client): (i64, i64) = tx.query_row(
            "SELECT COALESCE(SUM(name = ?1), 0), COALESCE(SUM(client = ?2), 0)
             FROM login_attempts WHERE ok = 0 AND at > ?3",
            params![name, client, since],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if by_name >= i64::from(policy.max_failures_per_name)
            || by_client >= i64::from(policy.max_failures_per_client)
        {
            audit::append(
                &tx,
                name,
                "login",
                None,
                "rate_limited",
                Some(&json!({"client": client})),
            )?;
            tx.commit()?;
            return Ok(None);
        }
        tx.execute(
            "INSERT INTO login_attempts (name, client, ok, at) VALUES (?1, ?2, 0, ?3)",
            params![name, client, now()],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(Some(id))
    }

    /// The live session for a cookie token, if any.
    pub fn session(&self, token: &str) -> Result<Option<Session>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT u.id, u.name, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2",
                params![sha256_hex(token.as_bytes()), now()],
                |r| {
                    Ok(Session {
                        user: User {
                            id: r.get(0)?,
                            name: r.get(1)?,
                        },
                        csrf: r.get(2)?,
                        expires_at: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// End a session (logout). Audited when there was one.
    pub fn logout(&mut self, token: &str) -> Result<()> {
        let session = self.session(token)?;
        self.conn().execute(
            "DELETE FROM sessions WHERE token_hash = ?1",
            [sha256_hex(token.as_bytes())],
        )?;
        if let Some(s) = session {
            self.audit(&s.user.name, "user", Some(s.user.id), "logout", None)?;
        }
        Ok(())
    }
}

/// An argon2id hash of a random password, verified against for unknown user names so a
/// wrong name costs as long as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_token()).unwrap_or_default())
}
