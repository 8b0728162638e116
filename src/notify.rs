//! Notifications: events (approvals requested, decided, expired; connections created, revoked;
//! repeated refusals) written to an outbox as they happen, for the background deliverer
//! ([`deliver`]) to POST to the webhook configured in Server Settings, signed as Standard
//! Webhooks. Writing an event never fails the action it reports: a store error is logged.

pub mod deliver;
pub mod message;

use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::clock::{MINUTE_MS, Millis};
use crate::secrets::{self, Keyring};
use crate::store::{self, Store};
use crate::webhook;

/// Settings names: the webhook URL, the events sent (comma-separated), the body's format, the
/// sealed secret.
pub const URL_SETTING: &str = "notify_url";
pub const FORMAT_SETTING: &str = "notify_format";
pub const EVENTS_SETTING: &str = "notify_events";
pub const SECRET_SETTING: &str = "notify_secret";
/// What the sealed secret is bound to, so a sealed value copied elsewhere does not open.
pub const SECRET_CONTEXT: &str = "notify-webhook-secret";

/// Repeated refusals: this many denied requests of one connection within [`REFUSAL_WINDOW`]
/// make one event; the window then has to end before the next one.
pub const REFUSAL_THRESHOLD: i64 = 5;
pub const REFUSAL_WINDOW: Millis = 5 * MINUTE_MS;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Notification webhook URL: {0}")]
    Url(webhook::Error),
    #[error("unknown notification event '{0}'")]
    UnknownEvent(String),
    #[error("unknown notification format '{0}': use standard or teams")]
    UnknownFormat(String),
    #[error(
        "{0} is a Microsoft Teams Workflows address, which takes Adaptive Cards only: choose \
         the Microsoft Teams Workflows format"
    )]
    TeamsNeedsCards(String),
    #[error("{0} is a Slack address, which shows a text: choose the Standard format")]
    SlackNeedsText(String),
    #[error(transparent)]
    Secret(#[from] secrets::Error),
    #[error(transparent)]
    Webhook(#[from] webhook::Error),
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// The kinds of event, by their Standard Webhooks `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ApprovalRequested,
    ApprovalDecided,
    ApprovalExpired,
    ConnectionCreated,
    ConnectionRevoked,
    ConnectionRefusals,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::ApprovalRequested,
        Kind::ApprovalDecided,
        Kind::ApprovalExpired,
        Kind::ConnectionCreated,
        Kind::ConnectionRevoked,
        Kind::ConnectionRefusals,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ApprovalRequested => "approval.requested",
            Kind::ApprovalDecided => "approval.decided",
            Kind::ApprovalExpired => "approval.expired",
            Kind::ConnectionCreated => "connection.created",
            Kind::ConnectionRevoked => "connection.revoked",
            Kind::ConnectionRefusals => "connection.refused_repeatedly",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::ApprovalRequested => "Approval requested",
            Kind::ApprovalDecided => "Approval decided (approved or rejected)",
            Kind::ApprovalExpired => "Approval expired unanswered",
            Kind::ConnectionCreated => "Connection created",
            Kind::ConnectionRevoked => "Connection revoked",
            Kind::ConnectionRefusals => "Repeated refusals of a connection",
        }
    }
}

impl FromStr for Kind {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
            .ok_or_else(|| Error::UnknownEvent(text.chars().take(40).collect()))
    }
}

/// How a notification's body is shaped, for the receiver the URL points at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// `text` (what Slack incoming webhooks show) with the Standard Webhooks envelope
    /// (`type`, `timestamp`, `data`) for programs.
    #[default]
    Standard,
    /// A Teams Workflows message: an Adaptive Card in `attachments` (Workflows accept nothing
    /// else; the Microsoft 365 connectors that showed a `text` are retired).
    Teams,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::Standard, Format::Teams];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Standard => "standard",
            Format::Teams => "teams",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Format::Standard => "Standard: Slack, and programs (Standard Webhooks)",
            Format::Teams => "Microsoft Teams Workflows (Adaptive Card)",
        }
    }
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == text.trim())
            .ok_or_else(|| Error::UnknownFormat(text.chars().take(40).collect()))
    }
}

/// What an event is about: its `data`. Ids and names only — never arguments, keys or secrets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval_id: Option<String>,
    pub connection_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_name: Option<String>,
    /// The connection's Odoo user (for an approval: the requester).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_login: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `approved` or `rejected`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusals: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_minutes: Option<i64>,
}

/// The notification settings as stored.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub url: Option<Url>,
    pub events: Vec<Kind>,
    pub format: Format,
    /// The signing secret, sealed under the server key.
    pub sealed_secret: Option<Vec<u8>>,
}

impl Config {
    pub async fn load(store: &Store) -> Result<Self, store::Error> {
        let mut config = Self::default();
        for (name, value) in store.load_settings().await? {
            match name.as_str() {
                // Checked when saved; a hand-edited value that fails the rule sends nothing.
                URL_SETTING => config.url = webhook::url(&value).ok(),
                EVENTS_SETTING => config.events = parse_events(&value).unwrap_or_default(),
                FORMAT_SETTING => config.format = value.parse().unwrap_or_default(),
                SECRET_SETTING => config.sealed_secret = STANDARD.decode(value).ok(),
                _ => {}
            }
        }
        Ok(config)
    }

    pub fn sends(&self, kind: Kind) -> bool {
        self.url.is_some() && self.sealed_secret.is_some() && self.events.contains(&kind)
    }

    pub fn secret(&self, keyring: &Keyring) -> Result<Option<webhook::Secret>, Error> {
        let Some(sealed) = &self.sealed_secret else {
            return Ok(None);
        };
        let text = keyring.open(sealed, SECRET_CONTEXT)?;
        Ok(Some(text.expose_secret().parse()?))
    }
}

/// `approval.requested,connection.created` → kinds; an unknown name is an error.
pub fn parse_events(text: &str) -> Result<Vec<Kind>, Error> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::parse)
        .collect()
}

pub fn events_text(events: &[Kind]) -> String {
    events
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The URL as the form gave it: empty turns notifications off; otherwise the webhook rule.
pub fn parse_url(text: &str) -> Result<Option<Url>, Error> {
    match text.trim() {
        "" => Ok(None),
        t => webhook::url(t).map(Some).map_err(Error::Url),
    }
}

/// Refuses a format the URL's service would take without showing anything: the Standard body
/// at a Teams Workflows trigger (Azure Logic Apps or Power Platform hosts), or a card at Slack.
pub fn check_format(url: &Url, format: Format) -> Result<(), Error> {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let under = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
    let workflows = under("logic.azure.com") || under("powerplatform.com");
    match format {
        Format::Standard if workflows => Err(Error::TeamsNeedsCards(host)),
        Format::Teams if under("hooks.slack.com") => Err(Error::SlackNeedsText(host)),
        _ => Ok(()),
    }
}

/// A new signing secret: its `whsec_` text (to show once) and that text sealed for storage.
pub fn new_secret(keyring: &Keyring) -> Result<(SecretString, String), Error> {
    let bytes = secrets::random_bytes::<32>()?;
    let text = SecretString::from(format!("{}{}", webhook::PREFIX, STANDARD.encode(bytes)));
    let sealed = keyring.seal(&text, SECRET_CONTEXT)?;
    Ok((text, STANDARD.encode(sealed)))
}

/// The stored secret sealed anew under `next` (a secret-key rotation): `(as stored, resealed)`.
pub fn reseal(
    stored: &str,
    current: &Keyring,
    next: &Keyring,
) -> Result<(String, String), secrets::Error> {
    let sealed = STANDARD
        .decode(stored)
        .map_err(|_| secrets::Error::Unseal)?;
    let secret = current.open(&sealed, SECRET_CONTEXT)?;
    let resealed = next.seal(&secret, SECRET_CONTEXT)?;
    Ok((stored.to_owned(), STANDARD.encode(resealed)))
}

/// Records the event for delivery when the settings ask for it; fills in the connection's
/// name and user. Never fails its caller: the action it reports has already happened.
pub async fn emit(store: &Store, now: Millis, kind: Kind, mut subject: Subject) {
    if let Err(e) = try_emit(store, now, kind, &mut subject).await {
        tracing::warn!(error = %e, kind = kind.as_str(), "notification could not be recorded");
    }
}

async fn try_emit(
    store: &Store,
    now: Millis,
    kind: Kind,
    subject: &mut Subject,
) -> Result<(), store::Error> {
    if !Config::load(store).await?.sends(kind) {
        return Ok(());
    }
    if let Some(connection) = store.get_connection(subject.connection_id).await? {
        subject.connection_name.get_or_insert(connection.name);
        if let Some(login) = connection.user_login {
            subject.user_login.get_or_insert(login);
        }
    }
    let id = format!("evt_{}", uuid::Uuid::new_v4().simple());
    let data = serde_json::to_string(subject).expect("a subject serializes");
    store.insert_outbox(&id, kind.as_str(), &data, now).await
}

/// Counts a batch's refusals per connection (`(connection, refusals, latest time)`), and
/// records the repeated-refusals event for each connection whose window reached the threshold
/// with this batch — once per window, whichever replica's batch reached it.
pub async fn count_refusals(store: &Store, refused: &[(i64, i64, Millis)]) {
    for &(connection_id, count, at) in refused {
        match store
            .add_refusals(connection_id, count, at, REFUSAL_WINDOW)
            .await
        {
            Ok((before, after)) if before < REFUSAL_THRESHOLD && after >= REFUSAL_THRESHOLD => {
                let subject = Subject {
                    connection_id,
                    refusals: Some(after),
                    window_minutes: Some(REFUSAL_WINDOW / MINUTE_MS),
                    ..Subject::default()
                };
                emit(store, at, Kind::ConnectionRefusals, subject).await;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, connection_id, "refusals could not be counted"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_format_the_service_would_not_show_is_refused() {
        let url = |u: &str| Url::parse(u).unwrap();
        let flow = url(
            "https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke",
        );
        let power = url(
            "https://default1.environment.api.powerplatform.com/powerautomate/automations/direct/workflows/x",
        );
        let slack = url("https://hooks.slack.com/services/T0/B0/x");
        let other = url("https://hooks.example.com/x");
        assert!(check_format(&flow, Format::Teams).is_ok());
        assert!(check_format(&power, Format::Teams).is_ok());
        assert!(matches!(
            check_format(&flow, Format::Standard),
            Err(Error::TeamsNeedsCards(_))
        ));
        assert!(matches!(
            check_format(&power, Format::Standard),
            Err(Error::TeamsNeedsCards(_))
        ));
        assert!(check_format(&slack, Format::Standard).is_ok());
        assert!(matches!(
            check_format(&slack, Format::Teams),
            Err(Error::SlackNeedsText(_))
        ));
        assert!(
            check_format(&other, Format::Standard).is_ok()
                && check_format(&other, Format::Teams).is_ok()
        );
        assert!(check_format(&url("https://notlogic.azure.com/x"), Format::Standard).is_ok());
    }

    #[test]
    fn event_lists_round_trip_and_refuse_unknown_names() {
        let all = events_text(&Kind::ALL);
        assert_eq!(parse_events(&all).unwrap(), Kind::ALL);
        assert_eq!(parse_events("").unwrap(), []);
        assert!(matches!(
            parse_events("approval.requested,nope"),
            Err(Error::UnknownEvent(n)) if n == "nope"
        ));
    }

    #[test]
    fn an_empty_url_is_off_and_plain_http_goes_only_to_this_machine() {
        assert!(parse_url("  ").unwrap().is_none());
        assert!(parse_url("https://hooks.slack.com/services/T/B/x").is_ok());
        assert!(parse_url("http://127.0.0.1:9/hook").is_ok());
        assert!(matches!(
            parse_url("http://hooks.example.com/x"),
            Err(Error::Url(webhook::Error::PlainHttp(_)))
        ));
        assert!(matches!(
            parse_url("hooks.example.com"),
            Err(Error::Url(webhook::Error::BadUrl(_)))
        ));
    }

    #[test]
    fn a_new_secret_is_a_standard_webhooks_secret_and_opens_only_as_sealed() {
        let dir = tempfile::tempdir().unwrap();
        let keyring = Keyring::load_or_create(None, &[], dir.path()).unwrap();
        let (text, sealed) = new_secret(&keyring).unwrap();
        assert!(text.expose_secret().starts_with("whsec_"));
        assert!(text.expose_secret().parse::<webhook::Secret>().is_ok());
        assert!(!sealed.contains(&text.expose_secret()[6..]));
        let config = Config {
            url: parse_url("https://example.com/h").unwrap(),
            events: vec![Kind::ApprovalRequested],
            sealed_secret: STANDARD.decode(&sealed).ok(),
            ..Config::default()
        };
        let opened = config.secret(&keyring).unwrap().unwrap();
        assert_eq!(
            webhook::signature(&opened, "m", 1, b"x"),
            webhook::signature(&text.expose_secret().parse().unwrap(), "m", 1, b"x")
        );
        assert!(config.sends(Kind::ApprovalRequested) && !config.sends(Kind::ApprovalExpired));
    }
}
