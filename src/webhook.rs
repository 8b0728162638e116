//! Signed webhooks as Standard Webhooks (standardwebhooks.com) defines them: a `whsec_`
//! secret, and per message the `webhook-id`, `webhook-timestamp` and `webhook-signature`
//! headers, the signature being HMAC-SHA256 over `id.timestamp.body` in base64. Also the
//! rule for where a webhook may point: https anywhere, plain http only to this machine.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use url::{Host, Url};

/// The prefix Standard Webhooks gives a secret's text.
pub const PREFIX: &str = "whsec_";
/// Fewer bytes than this is a guessable secret; more than this is not what the spec makes.
const MIN_BYTES: usize = 24;
const MAX_BYTES: usize = 64;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error(
        "a webhook secret is whsec_ followed by {MIN_BYTES} to {MAX_BYTES} random bytes in \
         base64 (make one with: echo whsec_$(openssl rand -base64 32))"
    )]
    BadSecret,
    #[error("'{0}' is not an http(s) URL")]
    BadUrl(String),
    #[error(
        "'{0}' would send in plain text: use https (plain http is accepted only to this \
         machine: localhost, 127.0.0.1, ::1)"
    )]
    PlainHttp(String),
}

/// A webhook's URL: https, or http only to this machine (a local relay or a test receiver),
/// since a delivery over plain http across a network could be read or changed on the way.
pub fn url(text: &str) -> Result<Url, Error> {
    let parsed = Url::parse(text).map_err(|_| Error::BadUrl(text.to_owned()))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(parsed.host()) => Ok(parsed),
        "http" => Err(Error::PlainHttp(text.to_owned())),
        _ => Err(Error::BadUrl(text.to_owned())),
    }
}

/// Whether a URL's host is this machine: `localhost` or a loopback address (the one test of
/// "plain text only to this machine", for webhooks, syslog and OAuth redirects alike).
pub(crate) fn is_loopback<S: AsRef<str>>(host: Option<Host<S>>) -> bool {
    match host {
        Some(Host::Domain(name)) => name.as_ref().eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// A signing secret, shared with the receiver. Its text is never printed.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl FromStr for Secret {
    type Err = Error;

    /// `whsec_<base64>`; the prefix may be left out, as the spec's libraries allow.
    fn from_str(text: &str) -> Result<Self, Error> {
        let encoded = text.trim().strip_prefix(PREFIX).unwrap_or(text.trim());
        let bytes = STANDARD.decode(encoded).map_err(|_| Error::BadSecret)?;
        if !(MIN_BYTES..=MAX_BYTES).contains(&bytes.len()) {
            return Err(Error::BadSecret);
        }
        Ok(Self(bytes))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// One message's signature headers, as name and value.
pub fn headers(
    secret: &Secret,
    id: &str,
    timestamp_secs: i64,
    body: &[u8],
) -> [(&'static str, String); 3] {
    [
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", timestamp_secs.to_string()),
        (
            "webhook-signature",
            signature(secret, id, timestamp_secs, body),
        ),
    ]
}

/// How long a receiver may take to answer one delivery.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client of signed deliveries (the audit stream, notifications): it follows no
/// redirect and waits a bounded time.
#[derive(Debug, Clone)]
pub struct Sender(reqwest::Client);

impl Sender {
    pub fn new() -> Result<Self, reqwest::Error> {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .build()
            .map(Self)
    }

    /// POSTs the JSON `body` to `url`, signed as message `id` at `timestamp_secs`; Ok only for
    /// a 2xx answer. The error never names the URL: a Slack or Teams webhook URL is itself a
    /// credential.
    pub async fn post(
        &self,
        url: &Url,
        secret: &Secret,
        id: &str,
        timestamp_secs: i64,
        body: Vec<u8>,
    ) -> Result<(), String> {
        let mut request = self
            .0
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        for (name, value) in headers(secret, id, timestamp_secs, &body) {
            request = request.header(name, value);
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        match response.status() {
            s if s.is_success() => Ok(()),
            s => Err(format!("HTTP {}", s.as_u16())),
        }
    }
}

/// `v1,<base64 HMAC-SHA256(secret, "id.timestamp.body")>`.
pub fn signature(secret: &Secret, id: &str, timestamp_secs: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(&secret.0).expect("HMAC takes any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp_secs.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_id_timestamp_and_body() {
        // The expected value was computed apart, with Python's hmac and base64 modules.
        let secret: Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".parse().unwrap();
        let body = br#"{"type":"example.event","timestamp":"2022-11-03T20:26:10.344522Z","data":{"foo":"bar"}}"#;
        assert_eq!(
            signature(&secret, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", 1674087231, body),
            "v1,JCubx1wDJfevb5U6mpUN/wR6Gp1FX/OfA2YsUtWVqbA="
        );
    }

    #[test]
    fn refuses_secrets_that_are_not_base64_or_too_short() {
        assert_eq!(
            "whsec_not base64!".parse::<Secret>().err(),
            Some(Error::BadSecret)
        );
        assert_eq!(
            "whsec_c2hvcnQ=".parse::<Secret>().err(),
            Some(Error::BadSecret)
        );
        assert!(
            format!(
                "{:?}",
                "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
                    .parse::<Secret>()
                    .unwrap()
            ) == "Secret(..)"
        );
    }
}
