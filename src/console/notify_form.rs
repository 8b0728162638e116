//! The notifications form's state as Server Settings shows it: the stored values, or what was
//! typed with its error, and the latest deliveries (shared by the settings page and the form's
//! own handler).

use crate::clock::format_utc;
use crate::notify::{Config, Format, Kind};
use crate::store::{self, OutboxState, Store};

/// How many of the latest events the page lists.
pub(super) const RECENT: i64 = 20;

/// One event of the outbox, as the page lists it.
pub(super) struct Delivery {
    pub kind: String,
    pub created: String,
    /// `delivered`, `failed` (given up) or `pending` (not yet, or retrying): the badge's class.
    pub status: &'static str,
    pub status_label: &'static str,
    pub attempts: i64,
    pub last_error: String,
}

impl From<OutboxState> for Delivery {
    fn from(row: OutboxState) -> Self {
        let (status, status_label) = match (row.delivered_at, row.failed_at) {
            (Some(_), _) => ("delivered", "Delivered"),
            (None, Some(_)) => ("failed", "Given up"),
            (None, None) if row.attempts > 0 => ("pending", "Retrying"),
            (None, None) => ("pending", "Waiting"),
        };
        Self {
            kind: row.kind,
            created: format_utc(row.created_at),
            status,
            status_label,
            attempts: row.attempts,
            last_error: row.last_error.unwrap_or_default(),
        }
    }
}

/// The latest events, newest first.
pub(super) async fn deliveries(store: &Store) -> Result<Vec<Delivery>, store::Error> {
    Ok(store
        .recent_outbox(RECENT)
        .await?
        .into_iter()
        .map(Delivery::from)
        .collect())
}

/// One event's checkbox.
pub(super) struct EventBox {
    pub name: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// One payload format's option.
pub(super) struct FormatOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// The form as shown: stored values, or what was typed with its error.
pub(super) struct NotifyForm {
    pub url: String,
    pub events: Vec<EventBox>,
    pub formats: Vec<FormatOption>,
    pub deliveries: Vec<Delivery>,
    pub has_secret: bool,
    pub error: Option<String>,
    /// The secret just generated: on this page only, never again.
    pub new_secret: Option<String>,
}

impl Default for NotifyForm {
    fn default() -> Self {
        Self::stored(&Config::default())
    }
}

impl NotifyForm {
    pub(super) fn stored(config: &Config) -> Self {
        Self {
            url: config
                .url
                .as_ref()
                .map(|u| u.to_string())
                .unwrap_or_default(),
            events: boxes(|k| config.events.contains(&k)),
            formats: formats(config.format),
            deliveries: Vec::new(),
            has_secret: config.sealed_secret.is_some(),
            error: None,
            new_secret: None,
        }
    }
}

pub(super) fn boxes(checked: impl Fn(Kind) -> bool) -> Vec<EventBox> {
    Kind::ALL
        .into_iter()
        .map(|k| EventBox {
            name: k.as_str(),
            label: k.label(),
            checked: checked(k),
        })
        .collect()
}

pub(super) fn formats(selected: Format) -> Vec<FormatOption> {
    Format::ALL
        .into_iter()
        .map(|f| FormatOption {
            value: f.as_str(),
            label: f.label(),
            selected: f == selected,
        })
        .collect()
}
