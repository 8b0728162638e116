//! Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document): a client whose
//! `client_id` is an https URL publishes its metadata there, and we fetch it.
//!
//! Fetching a URL chosen by anyone is a server-side request forgery risk, so: https only; the
//! host is resolved first and *every* address must be public (no loopback, private, link-local,
//! unique-local, …), and the connection goes to those checked addresses only; no proxy; no
//! redirects; 5 s; 64 KiB; JSON. Documents are cached for five minutes in the store.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use serde::Deserialize;
use url::{Host, Url};

use crate::clock::{MINUTE_MS, Millis};
use crate::connections::redirect::{self, Registrar};
use crate::store::Store;

pub const CACHE_FOR: Millis = 5 * MINUTE_MS;
const MAX_BYTES: usize = 64 * 1024;
const TIMEOUT: Duration = Duration::from_secs(5);
const MAX_NAME_CHARS: usize = 120;

/// A validated document: what the flow needs to know about the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub client_id: String,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    /// The host that publishes the document: shown on the consent page.
    pub host: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("the client id '{0}' is not an https URL with a path")]
    BadUrl(String),
    #[error("the client's metadata document is on a non-public address ({0}); it was not fetched")]
    NonPublicAddress(IpAddr),
    #[error("the client's metadata document could not be fetched: {0}")]
    Fetch(String),
    #[error("the client's metadata document is larger than 64 KiB")]
    TooLarge,
    #[error("the client's metadata document is not valid: {0}")]
    Invalid(String),
}

/// Whether a `client_id` names a metadata document rather than a registered client.
pub fn is_document_url(client_id: &str) -> bool {
    client_id.starts_with("https://")
}

/// The document for `url`, from the cache when fetched less than [`CACHE_FOR`] ago.
pub async fn load(store: &Store, url: &str, now: Millis) -> Result<Document, DocumentError> {
    let parsed = document_url(url)?;
    let cached = store
        .get_client_document(url)
        .await
        .map_err(|e| DocumentError::Fetch(e.to_string()))?;
    if let Some((body, fetched_at)) = cached
        && now - fetched_at < CACHE_FOR
    {
        return validate(url, &body);
    }
    let body = fetch(&parsed).await?;
    let document = validate(url, &body)?;
    if let Err(e) = store.put_client_document(url, &body, now).await {
        tracing::warn!(error = %e, "caching a client metadata document failed");
    }
    Ok(document)
}

/// An https URL with a host and a path, in canonical form (the document's `client_id` must
/// equal it exactly, so a URL the parser would rewrite is refused).
pub fn document_url(url: &str) -> Result<Url, DocumentError> {
    let bad = || DocumentError::BadUrl(url.to_owned());
    let parsed = Url::parse(url).map_err(|_| bad())?;
    let ok = parsed.scheme() == "https"
        && parsed.host().is_some()
        && parsed.username().is_empty()
        && parsed.password().is_none()
        && parsed.fragment().is_none()
        && parsed.path() != "/"
        && parsed.as_str() == url;
    if ok { Ok(parsed) } else { Err(bad()) }
}

async fn fetch(url: &Url) -> Result<String, DocumentError> {
    let port = url.port_or_known_default().unwrap_or(443);
    let fetch_error = |e: reqwest::Error| DocumentError::Fetch(e.without_url().to_string());
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .https_only(true)
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT);
    match url.host() {
        Some(Host::Domain(domain)) => {
            let addrs = resolve(domain, port).await?;
            builder = builder.resolve_to_addrs(domain, &addrs);
        }
        Some(Host::Ipv4(ip)) => check_address(IpAddr::V4(ip))?,
        Some(Host::Ipv6(ip)) => check_address(IpAddr::V6(ip))?,
        None => return Err(DocumentError::BadUrl(url.to_string())),
    }
    let client = builder.build().map_err(fetch_error)?;
    let mut response = client
        .get(url.as_str())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(fetch_error)?;
    if !response.status().is_success() {
        return Err(DocumentError::Fetch(format!(
            "the server answered HTTP {} (redirects are not followed)",
            response.status().as_u16()
        )));
    }
    let is_json = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    if !is_json {
        return Err(DocumentError::Invalid("it is not served as JSON".into()));
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BYTES as u64)
    {
        return Err(DocumentError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(fetch_error)? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BYTES {
            return Err(DocumentError::TooLarge);
        }
    }
    String::from_utf8(body).map_err(|_| DocumentError::Invalid("it is not UTF-8".into()))
}

/// Resolves `domain` and checks every address before anything connects to it.
async fn resolve(domain: &str, port: u16) -> Result<Vec<SocketAddr>, DocumentError> {
    let lookup = tokio::time::timeout(TIMEOUT, tokio::net::lookup_host((domain, port)))
        .await
        .map_err(|_| DocumentError::Fetch("the host name did not resolve in time".into()))?
        .map_err(|_| DocumentError::Fetch("the host name does not resolve".into()))?;
    let addrs: Vec<SocketAddr> = lookup.collect();
    if addrs.is_empty() {
        return Err(DocumentError::Fetch("the host name has no address".into()));
    }
    for addr in &addrs {
        check_address(addr.ip())?;
    }
    Ok(addrs)
}

pub fn check_address(ip: IpAddr) -> Result<(), DocumentError> {
    if is_public(ip) {
        Ok(())
    } else {
        Err(DocumentError::NonPublicAddress(ip))
    }
}

/// Globally routable unicast: not loopback, private, shared (CGNAT), link-local, unique-local,
/// documentation, benchmarking, multicast, reserved, or an IPv6 form embedding IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || s[0] == 0 // ::/16, incl. IPv4-compatible
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x2001 && s[1] == 0) // Teredo
                || s[0] == 0x2002 // 6to4
                || (s[0] == 0x0064 && s[1] == 0xff9b)) // NAT64
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (b & 0xc0) == 64) // shared address space 100.64/10
        || (a == 198 && (b & 0xfe) == 18) // benchmarking 198.18/15
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || a >= 240)
}

#[derive(Deserialize)]
struct Raw {
    client_id: Option<String>,
    client_name: Option<String>,
    redirect_uris: Option<Vec<String>>,
    token_endpoint_auth_method: Option<String>,
}

/// Checks a fetched document: its `client_id` is its own URL, its redirect URIs are acceptable,
/// and it describes a public client (we keep no secrets for documents).
pub fn validate(url: &str, body: &str) -> Result<Document, DocumentError> {
    let invalid = |m: &str| DocumentError::Invalid(m.to_owned());
    let raw: Raw = serde_json::from_str(body).map_err(|_| invalid("it is not a JSON object"))?;
    if raw.client_id.as_deref() != Some(url) {
        return Err(invalid("its client_id is not the URL it was fetched from"));
    }
    let redirect_uris = raw
        .redirect_uris
        .filter(|u| !u.is_empty())
        .ok_or_else(|| invalid("it lists no redirect_uris"))?;
    for uri in &redirect_uris {
        redirect::check(uri, Registrar::Document)
            .map_err(|e| DocumentError::Invalid(e.to_string()))?;
    }
    if raw
        .token_endpoint_auth_method
        .as_deref()
        .is_some_and(|m| m != "none")
    {
        return Err(invalid(
            "only public clients (token_endpoint_auth_method 'none') may use a metadata document",
        ));
    }
    let host = Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let name: String = raw
        .client_name
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    let client_name = match name.trim() {
        "" => host.clone(),
        n => n.to_owned(),
    };
    Ok(Document {
        client_id: url.to_owned(),
        client_name,
        redirect_uris,
        host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://claude.ai/oauth/mcp-oauth-client-metadata";

    #[test]
    fn a_good_document_validates() {
        let body = format!(
            r#"{{"client_id":"{URL}","client_name":"Claude","redirect_uris":["https://claude.ai/api/mcp/auth_callback"],"token_endpoint_auth_method":"none"}}"#
        );
        let doc = validate(URL, &body).unwrap();
        assert_eq!(doc.client_name, "Claude");
        assert_eq!(doc.host, "claude.ai");
    }

    #[test]
    fn documents_that_lie_or_are_incomplete_are_refused() {
        let other_id =
            r#"{"client_id":"https://evil.example/c","redirect_uris":["https://evil.example/cb"]}"#;
        assert!(validate(URL, other_id).is_err());
        let no_uris = format!(r#"{{"client_id":"{URL}","redirect_uris":[]}}"#);
        assert!(validate(URL, &no_uris).is_err());
        let js = format!(r#"{{"client_id":"{URL}","redirect_uris":["javascript:alert(1)"]}}"#);
        assert!(validate(URL, &js).is_err());
        let secret = format!(
            r#"{{"client_id":"{URL}","redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"client_secret_basic"}}"#
        );
        assert!(validate(URL, &secret).is_err());
        assert!(validate(URL, "[1,2]").is_err());
    }

    #[test]
    fn only_canonical_https_urls_with_a_path_are_document_urls() {
        assert!(document_url(URL).is_ok());
        for bad in [
            "http://claude.ai/client",
            "https://claude.ai",
            "https://claude.ai/",
            "https://user:pw@claude.ai/client",
            "https://claude.ai/client#x",
            "https://CLAUDE.ai/client",
            "https://claude.ai/a/../client",
        ] {
            assert!(document_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn non_public_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!is_public(ip), "{ip}");
        }
        for ip in ["1.1.1.1", "160.79.104.10", "2606:4700:4700::1111"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(is_public(ip), "{ip}");
        }
    }

    #[tokio::test]
    async fn fetching_from_loopback_is_refused_before_connecting() {
        let url = Url::parse("https://127.0.0.1:9/client.json").unwrap();
        assert!(matches!(
            fetch(&url).await,
            Err(DocumentError::NonPublicAddress(_))
        ));
        let url = Url::parse("https://localhost:9/client.json").unwrap();
        assert!(matches!(
            fetch(&url).await,
            Err(DocumentError::NonPublicAddress(_))
        ));
        let url = Url::parse("https://[::1]:9/client.json").unwrap();
        assert!(matches!(
            fetch(&url).await,
            Err(DocumentError::NonPublicAddress(_))
        ));
    }
}
