//! The notifications form's state as Server Settings shows it: the stored values, or what was
//! typed with its error (shared by the settings page and the form's own handler).

use crate::notify::{Config, Format, Kind};

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
