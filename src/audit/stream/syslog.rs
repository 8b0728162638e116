//! The audit stream to a syslog collector: one RFC 5424 message per entry, octet-counted
//! (`LEN SP MSG`, RFC 6587 §3.4.1, the framing RFC 5425 mandates for TLS) over TCP — TLS to
//! anywhere (`syslog+tls://host[:6514]`), plain only to this machine (`syslog+tcp://`, a local
//! relay such as rsyslog), as the webhook rule has it. The message is the entry as
//! `audit export` writes it: a JSON object (default) or a CEF line (`?format=cef`).
//!
//! Why batches wait to be confirmed: plain syslog has no acknowledgement, and a write that
//! the kernel took may still die with the receiver. So a written batch counts as delivered
//! only once the connection has outlived it by [`CONFIRM_AFTER`] — a receiver that dies
//! resets the connection, which the reader half sees at once — and everything not yet
//! confirmed is written again on the next connection (receivers de-duplicate on the entry's
//! `writer` and `seq`, as the webhook's do).

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, WriteHalf};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio_util::task::AbortOnDropHandle;
use url::Url;

use crate::audit::{export, outcome};
use crate::clock::rfc3339_ms;
use crate::store::AuditRow;

/// How long a written batch must be outlived by its connection before it counts as delivered.
pub const CONFIRM_AFTER: Duration = Duration::from_secs(3);
/// Bounds on connecting (TCP and the TLS handshake) and on one batch's write.
const CONNECT: Duration = Duration::from_secs(10);
const WRITE: Duration = Duration::from_secs(10);
/// RFC 5424's facility 13, "log audit".
const FACILITY: u8 = 13;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "--audit-stream-url: '{0}' would send the audit log in plain text: use syslog+tls:// \
         (syslog+tcp:// is accepted only to this machine: localhost, 127.0.0.1, ::1)"
    )]
    PlainTcp(String),
    #[error("--audit-stream-url: '{0}' names no host")]
    NoHost(String),
    #[error("--audit-stream-url: '{0}': syslog+tcp:// needs a port (a local relay's, e.g. :514)")]
    NoPort(String),
    #[error("--audit-stream-url: unknown option '{0}': use format=json|cef and ca=FILE (TLS)")]
    UnknownOption(String),
    #[error("--audit-stream-url: unknown format '{0}': use json or cef")]
    UnknownFormat(String),
    #[error("--audit-stream-url: ca= is for syslog+tls:// only")]
    CaWithoutTls,
    #[error("--audit-stream-url: cannot read the CA certificates in '{0}': {1}")]
    Ca(String, String),
    #[error("cannot set up TLS for the audit stream: {0}")]
    Tls(String),
}

/// What each message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    Json,
    Cef,
}

/// A parsed `syslog+tls://` or `syslog+tcp://` URL.
#[derive(Debug, Clone)]
pub struct Destination {
    host: String,
    port: u16,
    tls: Option<Arc<rustls::ClientConfig>>,
    body: Body,
    /// The URL without its options, for log lines.
    shown: String,
}

impl Destination {
    /// `None` when `url` is not a syslog URL (the webhook's rule then applies).
    pub fn parse(url: &Url) -> Option<Result<Self, Error>> {
        let tls = match url.scheme() {
            "syslog+tls" => true,
            "syslog+tcp" => false,
            _ => return None,
        };
        Some(Self::build(url, tls))
    }

    fn build(url: &Url, tls: bool) -> Result<Self, Error> {
        let text = url.as_str().to_owned();
        let host = url.host_str().filter(|h| !h.is_empty());
        let host = host.ok_or_else(|| Error::NoHost(text.clone()))?;
        // The URL crate leaves the host of a non-http scheme as text: parsed here, so an
        // address is recognised as one.
        if !tls && !crate::webhook::is_loopback(url::Host::parse(host).ok()) {
            return Err(Error::PlainTcp(text));
        }
        // IPv6 literals come bracketed; the socket wants them bare.
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = match (url.port(), tls) {
            (Some(port), _) => port,
            (None, true) => 6514,
            (None, false) => return Err(Error::NoPort(text)),
        };
        let (mut body, mut ca) = (Body::Json, None);
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "format" if value == "json" => body = Body::Json,
                "format" if value == "cef" => body = Body::Cef,
                "format" => return Err(Error::UnknownFormat(value.chars().take(40).collect())),
                "ca" if tls => ca = Some(value.into_owned()),
                "ca" => return Err(Error::CaWithoutTls),
                other => return Err(Error::UnknownOption(other.chars().take(40).collect())),
            }
        }
        let tls = tls.then(|| client_config(ca.as_deref())).transpose()?;
        let shown = format!("{}://{}", url.scheme(), url.authority());
        Ok(Self {
            host,
            port,
            tls,
            body,
            shown,
        })
    }

    /// The URL without its options.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

/// The roots a TLS collector's certificate is checked against: the CA file's, or the
/// platform's (the system trust store).
fn client_config(ca: Option<&str>) -> Result<Arc<rustls::ClientConfig>, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?;
    let config = match ca {
        Some(path) => {
            let mut roots = rustls::RootCertStore::empty();
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| Error::Ca(path.to_owned(), e.to_string()))?;
            for cert in certs {
                let cert = cert.map_err(|e| Error::Ca(path.to_owned(), e.to_string()))?;
                roots
                    .add(cert)
                    .map_err(|e| Error::Ca(path.to_owned(), e.to_string()))?;
            }
            if roots.is_empty() {
                return Err(Error::Ca(path.to_owned(), "no certificate in it".into()));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        None => {
            use rustls_platform_verifier::BuilderVerifierExt;
            builder
                .with_platform_verifier()
                .map_err(|e| Error::Tls(e.to_string()))?
                .with_no_client_auth()
        }
    };
    Ok(Arc::new(config))
}

/// A byte stream, plain or TLS.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// How a connection's read side stands: a collector sends nothing, so any end of it means the
/// connection is gone — cleanly (the collector closed after reading all) or not (a reset).
const OPEN: u8 = 0;
const CLOSED: u8 = 1;
const BROKEN: u8 = 2;

/// One connection: its write half, and how the reader half has seen it end. Dropping it
/// ends the reader too (the halves share the socket, which closes only when both are gone).
struct Link {
    write: WriteHalf<Box<dyn Io>>,
    ended: Arc<AtomicU8>,
    _reader: AbortOnDropHandle<()>,
}

impl Link {
    fn open(&self) -> bool {
        self.ended.load(Ordering::SeqCst) == OPEN
    }
}

/// The sender: one connection at a time, opened when needed.
pub struct Syslog {
    destination: Destination,
    /// The HOSTNAME field: the gateway's public host.
    hostname: String,
    link: Mutex<Option<Link>>,
}

impl Syslog {
    pub fn new(destination: Destination, public: &str) -> Self {
        let hostname = Url::parse(public)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "-".to_owned());
        Self {
            destination,
            hostname: header_field(&hostname, 255),
            link: Mutex::new(None),
        }
    }

    /// Whether the connection that carried the unconfirmed batches is still up. False also
    /// when there is none: what was written on a connection since gone is not confirmed.
    pub async fn alive(&self) -> bool {
        self.link.lock().await.as_ref().is_some_and(Link::open)
    }

    /// Writes one message per entry, connecting first if needed. An error drops the
    /// connection: the caller then falls back to the confirmed positions.
    pub async fn send(&self, page: &[AuditRow]) -> Result<(), String> {
        let mut frames = Vec::new();
        for row in page {
            let message = message(&self.hostname, self.destination.body, row);
            frames.extend_from_slice(format!("{} ", message.len()).as_bytes());
            frames.extend_from_slice(message.as_bytes());
        }
        let mut link = self.link.lock().await;
        if link.as_ref().is_some_and(|l| !l.open()) {
            *link = None;
            return Err("the collector closed the connection".into());
        }
        if link.is_none() {
            *link = Some(self.connect().await?);
        }
        let open = link.as_mut().expect("connected above");
        let written = tokio::time::timeout(WRITE, async {
            open.write.write_all(&frames).await?;
            open.write.flush().await
        })
        .await;
        match written {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                *link = None;
                Err(format!("writing to {}: {e}", self.destination.shown))
            }
            Err(_) => {
                *link = None;
                Err(format!("writing to {} timed out", self.destination.shown))
            }
        }
    }

    /// Drops the connection (after a failure elsewhere, so that the next batch starts anew).
    pub async fn reset(&self) {
        *self.link.lock().await = None;
    }

    /// A graceful close: this side's end of writing, then up to `wait` for the collector to
    /// close its side, which it does only after reading everything. True when it did.
    pub async fn close(&self, wait: Duration) -> bool {
        let Some(mut link) = self.link.lock().await.take() else {
            return false;
        };
        // Gone before this close: what it carried last may be lost.
        if !link.open() || link.write.shutdown().await.is_err() {
            return false;
        }
        let ended = link.ended.clone();
        let answered = tokio::time::timeout(wait, async {
            while ended.load(Ordering::SeqCst) == OPEN {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        answered.is_ok() && ended.load(Ordering::SeqCst) == CLOSED
    }

    async fn connect(&self) -> Result<Link, String> {
        let d = &self.destination;
        let shown = &d.shown;
        let connected = tokio::time::timeout(CONNECT, async {
            let tcp = TcpStream::connect((d.host.as_str(), d.port))
                .await
                .map_err(|e| format!("connecting to {shown}: {e}"))?;
            let _ = tcp.set_nodelay(true);
            let io: Box<dyn Io> = match &d.tls {
                None => Box::new(tcp),
                Some(config) => {
                    let name = match d.host.parse::<IpAddr>() {
                        Ok(ip) => ServerName::IpAddress(ip.into()),
                        Err(_) => ServerName::try_from(d.host.clone())
                            .map_err(|e| format!("{shown}: {e}"))?,
                    };
                    let tls = tokio_rustls::TlsConnector::from(config.clone())
                        .connect(name, tcp)
                        .await
                        .map_err(|e| format!("TLS with {shown}: {e}"))?;
                    Box::new(tls)
                }
            };
            Ok::<_, String>(io)
        })
        .await
        .map_err(|_| format!("connecting to {shown} timed out"))??;
        let (mut read, write) = tokio::io::split(connected);
        let ended = Arc::new(AtomicU8::new(OPEN));
        let flag = ended.clone();
        let reader = tokio::spawn(async move {
            let mut sink = [0u8; 512];
            let end = loop {
                match read.read(&mut sink).await {
                    Ok(0) => break CLOSED,
                    Ok(_) => continue,
                    Err(_) => break BROKEN,
                }
            };
            flag.store(end, Ordering::SeqCst);
        });
        Ok(Link {
            write,
            ended,
            _reader: AbortOnDropHandle::new(reader),
        })
    }
}

/// RFC 5424 severity of an outcome: refusals are warnings, failures errors.
fn severity(outcome: &str) -> u8 {
    match outcome {
        outcome::SUCCESS | outcome::PENDING_APPROVAL => 6,
        outcome::DENIED | outcome::RATE_LIMITED => 4,
        _ => 3,
    }
}

/// A header field: printable US-ASCII without spaces, at most `most` characters, `-` if empty.
fn header_field(text: &str, most: usize) -> String {
    let field: String = text
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(most)
        .collect();
    if field.is_empty() { "-".into() } else { field }
}

/// One entry as an RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`,
/// with the entry's own time, MSGID `audit`, no structured data, and the entry as MSG.
pub fn message(hostname: &str, body: Body, row: &AuditRow) -> String {
    let timestamp = rfc3339_ms(row.at).unwrap_or_else(|| "-".to_owned());
    let text = match body {
        Body::Json => export::jsonl(row),
        Body::Cef => export::cef(row),
    };
    format!(
        "<{}>1 {timestamp} {hostname} odoo-mcp-gateway - audit - {text}",
        FACILITY * 8 + severity(&row.outcome),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn destination(url: &str) -> Result<Destination, Error> {
        Destination::parse(&Url::parse(url).unwrap()).expect("a syslog URL")
    }

    #[test]
    fn tls_goes_anywhere_and_plain_tcp_only_to_this_machine() {
        let d = destination("syslog+tls://siem.example.com").unwrap();
        assert_eq!(
            (d.host.as_str(), d.port, d.body),
            ("siem.example.com", 6514, Body::Json)
        );
        assert!(d.tls.is_some());
        let d = destination("syslog+tcp://127.0.0.1:5514?format=cef").unwrap();
        assert_eq!(
            (d.port, d.body, d.shown()),
            (5514, Body::Cef, "syslog+tcp://127.0.0.1:5514")
        );
        assert!(d.tls.is_none());
        assert_eq!(destination("syslog+tcp://[::1]:514").unwrap().host, "::1");
        for (url, says) in [
            ("syslog+tcp://siem.example.com:514", "in plain text"),
            ("syslog+tcp://localhost", "needs a port"),
            (
                "syslog+tls://siem.example.com?format=xml",
                "unknown format 'xml'",
            ),
            (
                "syslog+tls://siem.example.com?level=3",
                "unknown option 'level'",
            ),
            (
                "syslog+tcp://localhost:514?ca=/x.pem",
                "for syslog+tls:// only",
            ),
            (
                "syslog+tls://siem.example.com?ca=/nonexistent.pem",
                "cannot read the CA",
            ),
        ] {
            let e = destination(url).unwrap_err().to_string();
            assert!(e.contains(says), "{url}: {e}");
        }
        assert!(Destination::parse(&Url::parse("https://siem.example.com").unwrap()).is_none());
    }

    #[test]
    fn a_message_is_rfc_5424_with_the_entrys_time_severity_and_export_line() {
        let row = AuditRow {
            id: 9,
            at: 1_764_547_200_123,
            method: "tools/call".into(),
            tool: Some("delete_record".into()),
            outcome: "denied".into(),
            writer: Some("w".into()),
            seq: Some(4),
            ..AuditRow::default()
        };
        let m = message("mcp.example.com", Body::Json, &row);
        let head = "<108>1 2025-12-01T00:00:00.123Z mcp.example.com odoo-mcp-gateway - audit - {";
        assert!(m.starts_with(head), "{m}");
        let json: serde_json::Value = serde_json::from_str(&m[head.len() - 1..]).unwrap();
        assert_eq!(
            (json["writer"].as_str(), json["seq"].as_i64()),
            (Some("w"), Some(4))
        );
        let cef = message(
            "h",
            Body::Cef,
            &AuditRow {
                outcome: "success".into(),
                ..row
            },
        );
        assert!(
            cef.starts_with("<110>1 ") && cef.contains(" - audit - CEF:0|"),
            "{cef}"
        );
        assert_eq!(header_field("a b\u{e9}c", 255), "abc");
        assert_eq!(header_field("", 255), "-");
    }
}
