//! Connecting to an IMAP server: TCP, TLS (implicit or STARTTLS, rustls with the ring
//! provider), and login (LOGIN with a password from the environment, or SASL XOAUTH2 with a
//! token from the environment or a command, fetched again once when the server rejects it).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::ImapError;
use crate::config::{MailAuth, Mailbox, TlsMode};

/// Any byte stream the IMAP client can run on (plain TCP or TLS).
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> Io for T {}

pub type Session = async_imap::Session<Box<dyn Io>>;
type Client = async_imap::Client<Box<dyn Io>>;

/// Timeout for connecting, the TLS handshake and login.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

async fn within<T, E>(
    what: &'static str,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, ImapError>
where
    ImapError: From<E>,
{
    match tokio::time::timeout(CONNECT_TIMEOUT, fut).await {
        Ok(r) => Ok(r?),
        Err(_) => Err(ImapError::Timeout(what)),
    }
}

fn tls_config(mb: &Mailbox) -> Result<rustls::ClientConfig, ImapError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &mb.ca_file {
        use rustls::pki_types::pem::PemObject;
        let certs = rustls::pki_types::CertificateDer::pem_file_iter(path)
            .map_err(|e| ImapError::Tls(format!("ca_file {}: {e}", path.display())))?;
        for c in certs {
            let c = c.map_err(|e| ImapError::Tls(format!("ca_file {}: {e}", path.display())))?;
            roots
                .add(c)
                .map_err(|e| ImapError::Tls(format!("ca_file {}: {e}", path.display())))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ImapError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

async fn tls_wrap(mb: &Mailbox, tcp: TcpStream) -> Result<Box<dyn Io>, ImapError> {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(tls_config(mb)?));
    let name = rustls::pki_types::ServerName::try_from(mb.host.clone())
        .map_err(|e| ImapError::Tls(format!("{}: {e}", mb.host)))?;
    let tls = match tokio::time::timeout(CONNECT_TIMEOUT, connector.connect(name, tcp)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(ImapError::Tls(format!("handshake with {}: {e}", mb.host))),
        Err(_) => return Err(ImapError::Timeout("the TLS handshake")),
    };
    Ok(Box::new(tls))
}

/// Connect, secure and log in. The returned session has nothing selected.
pub async fn connect(mb: &Mailbox) -> Result<Session, ImapError> {
    let addr = format!("{}:{}", mb.host, mb.port);
    let tcp = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(ImapError::Connect { addr, source: e }),
        Err(_) => return Err(ImapError::Timeout("connecting")),
    };
    let _ = tcp.set_nodelay(true);
    let client: Client = match mb.tls {
        TlsMode::Plain => {
            let mut c = Client::new(Box::new(tcp));
            greeting(&mut c).await?;
            c
        }
        TlsMode::Implicit => {
            let mut c = Client::new(tls_wrap(mb, tcp).await?);
            greeting(&mut c).await?;
            c
        }
        TlsMode::Starttls => {
            let mut c = async_imap::Client::new(tcp);
            match within("the greeting", c.read_response()).await? {
                Some(_) => {}
                None => {
                    return Err(ImapError::Protocol(
                        async_imap::error::Error::ConnectionLost,
                    ))
                }
            }
            within("STARTTLS", c.run_command_and_check_ok("STARTTLS", None)).await?;
            Client::new(tls_wrap(mb, c.into_inner()).await?)
        }
    };
    login(mb, client).await
}

async fn greeting(c: &mut Client) -> Result<(), ImapError> {
    match within("the greeting", c.read_response()).await? {
        Some(_) => Ok(()),
        None => Err(ImapError::Protocol(
            async_imap::error::Error::ConnectionLost,
        )),
    }
}

fn auth_error(mb: &Mailbox, e: async_imap::error::Error) -> ImapError {
    match e {
        async_imap::error::Error::No(detail) | async_imap::error::Error::Bad(detail) => {
            ImapError::Auth {
                user: mb.user.clone(),
                detail,
            }
        }
        other => ImapError::Protocol(other),
    }
}

async fn login(mb: &Mailbox, client: Client) -> Result<Session, ImapError> {
    match &mb.auth {
        MailAuth::PasswordEnv(var) => {
            let password = std::env::var(var).map_err(|_| {
                ImapError::Credentials(format!(
                    "the environment variable {var} (password_env) is not set"
                ))
            })?;
            match tokio::time::timeout(CONNECT_TIMEOUT, client.login(&mb.user, &password)).await {
                Ok(Ok(s)) => Ok(s),
                Ok(Err((e, _))) => Err(auth_error(mb, e)),
                Err(_) => Err(ImapError::Timeout("login")),
            }
        }
        MailAuth::OAuth2Env(_) | MailAuth::OAuth2Command(_) => {
            let token = oauth2_token(&mb.auth).await?;
            let auth = XOAuth2::new(&mb.user, &token);
            let client = match tokio::time::timeout(
                CONNECT_TIMEOUT,
                client.authenticate("XOAUTH2", auth),
            )
            .await
            {
                Ok(Ok(s)) => return Ok(s),
                Ok(Err((async_imap::error::Error::No(detail), client))) => {
                    tracing::warn!(
                        mailbox = %mb.name,
                        "XOAUTH2 token rejected ({detail}); fetching a fresh token and retrying once"
                    );
                    client
                }
                Ok(Err((e, _))) => return Err(auth_error(mb, e)),
                Err(_) => return Err(ImapError::Timeout("authentication")),
            };
            let token = oauth2_token(&mb.auth).await?;
            match tokio::time::timeout(
                CONNECT_TIMEOUT,
                client.authenticate("XOAUTH2", XOAuth2::new(&mb.user, &token)),
            )
            .await
            {
                Ok(Ok(s)) => Ok(s),
                Ok(Err((e, _))) => Err(auth_error(mb, e)),
                Err(_) => Err(ImapError::Timeout("authentication")),
            }
        }
    }
}

/// The current OAuth2 access token: from the environment, or printed by the command.
pub async fn oauth2_token(auth: &MailAuth) -> Result<String, ImapError> {
    let token = match auth {
        MailAuth::OAuth2Env(var) => std::env::var(var).map_err(|_| {
            ImapError::Credentials(format!(
                "the environment variable {var} (oauth2_token_env) is not set"
            ))
        })?,
        MailAuth::OAuth2Command(cmd) => {
            let out = tokio::time::timeout(
                CONNECT_TIMEOUT,
                tokio::process::Command::new("sh")
                    .arg("-c")
                    .arg(cmd)
                    .kill_on_drop(true)
                    .output(),
            )
            .await
            .map_err(|_| ImapError::Timeout("the oauth2_token_command"))?
            .map_err(|e| ImapError::Credentials(format!("oauth2_token_command: {e}")))?;
            if !out.status.success() {
                return Err(ImapError::Credentials(format!(
                    "oauth2_token_command exited with {}: {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
            String::from_utf8_lossy(&out.stdout).to_string()
        }
        MailAuth::PasswordEnv(_) => {
            return Err(ImapError::Credentials(
                "this mailbox uses a password, not OAuth2".into(),
            ))
        }
    };
    let token = token.trim().to_string();
    if token.is_empty() {
        return Err(ImapError::Credentials(
            "the OAuth2 access token is empty".into(),
        ));
    }
    Ok(token)
}

/// SASL XOAUTH2 (Gmail, Microsoft 365): `user=..^Aauth=Bearer ..^A^A`. When the server
/// rejects the token it sends a JSON error as a challenge, which must be answered empty.
pub struct XOAuth2 {
    response: String,
    sent: bool,
}

impl XOAuth2 {
    pub fn new(user: &str, token: &str) -> Self {
        XOAuth2 {
            response: format!("user={user}\x01auth=Bearer {token}\x01\x01"),
            sent: false,
        }
    }
}

impl async_imap::Authenticator for XOAuth2 {
    type Response = String;

    fn process(&mut self, challenge: &[u8]) -> String {
        if self.sent || !challenge.is_empty() {
            String::new()
        } else {
            self.sent = true;
            self.response.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_imap::Authenticator;

    #[test]
    fn xoauth2_sends_the_token_once_and_answers_an_error_challenge_empty() {
        let mut a = XOAuth2::new("me@example.com", "tok");
        assert_eq!(
            a.process(b""),
            "user=me@example.com\x01auth=Bearer tok\x01\x01"
        );
        assert_eq!(a.process(br#"{"status":"401"}"#), "");
    }
}
