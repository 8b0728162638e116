//! Server Settings: the administrator's switches and defaults, stored by name with typed defaults.

use crate::clock::{DAY_MS, HOUR_MS, Millis};
use crate::store::{self, Store};

/// What a refused MCP request (or file link) is told while the master switch is off.
pub const SWITCHED_OFF: &str =
    "The MCP server is switched off by an administrator (Server Settings).";

/// The settings of PRODUCT.md "Server Settings", with its defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// Off → every MCP request is refused.
    pub mcp_enabled: bool,
    pub rate_per_minute: u32,
    pub rate_per_day: u32,
    pub idle_threshold_days: u32,
    pub dynamic_registration: bool,
    pub access_token_minutes: u32,
    pub refresh_token_days: u32,
    pub refresh_grace_seconds: u32,
    pub approval_expiry_hours: u32,
    pub audit_retention_days: u32,
    pub payload_logging: bool,
    /// Four-eyes: the person who asked (the connection's Odoo user) may not approve their own
    /// request, nor be named the approver of their own connection.
    pub four_eyes: bool,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            mcp_enabled: true,
            rate_per_minute: 60,
            rate_per_day: 10_000,
            idle_threshold_days: 7,
            dynamic_registration: true,
            access_token_minutes: 60,
            refresh_token_days: 30,
            refresh_grace_seconds: 60,
            approval_expiry_hours: 24,
            audit_retention_days: 90,
            payload_logging: false,
            four_eyes: true,
        }
    }
}

impl ServerSettings {
    pub fn idle_after(&self) -> Millis {
        Millis::from(self.idle_threshold_days) * DAY_MS
    }

    pub fn approval_expiry(&self) -> Millis {
        Millis::from(self.approval_expiry_hours) * HOUR_MS
    }

    /// Reads what is stored over the defaults; a value that doesn't parse keeps its default
    /// (it can only come from a hand-edited database).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut s = Self::default();
        for (name, value) in pairs {
            let flag = |v: &str| v == "true";
            let num = |v: &str, d: u32| v.parse().unwrap_or(d);
            match name {
                "mcp_enabled" => s.mcp_enabled = mcp_enabled(Some(value)),
                "rate_per_minute" => s.rate_per_minute = num(value, s.rate_per_minute),
                "rate_per_day" => s.rate_per_day = num(value, s.rate_per_day),
                "idle_threshold_days" => s.idle_threshold_days = num(value, s.idle_threshold_days),
                "dynamic_registration" => s.dynamic_registration = flag(value),
                "access_token_minutes" => {
                    s.access_token_minutes = num(value, s.access_token_minutes)
                }
                "refresh_token_days" => s.refresh_token_days = num(value, s.refresh_token_days),
                "refresh_grace_seconds" => {
                    s.refresh_grace_seconds = num(value, s.refresh_grace_seconds)
                }
                "approval_expiry_hours" => {
                    s.approval_expiry_hours = num(value, s.approval_expiry_hours)
                }
                "audit_retention_days" => {
                    s.audit_retention_days = num(value, s.audit_retention_days)
                }
                "payload_logging" => s.payload_logging = flag(value),
                "four_eyes" => s.four_eyes = flag(value),
                _ => {}
            }
        }
        s
    }

    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("mcp_enabled", self.mcp_enabled.to_string()),
            ("rate_per_minute", self.rate_per_minute.to_string()),
            ("rate_per_day", self.rate_per_day.to_string()),
            ("idle_threshold_days", self.idle_threshold_days.to_string()),
            (
                "dynamic_registration",
                self.dynamic_registration.to_string(),
            ),
            (
                "access_token_minutes",
                self.access_token_minutes.to_string(),
            ),
            ("refresh_token_days", self.refresh_token_days.to_string()),
            (
                "refresh_grace_seconds",
                self.refresh_grace_seconds.to_string(),
            ),
            (
                "approval_expiry_hours",
                self.approval_expiry_hours.to_string(),
            ),
            (
                "audit_retention_days",
                self.audit_retention_days.to_string(),
            ),
            ("payload_logging", self.payload_logging.to_string()),
            ("four_eyes", self.four_eyes.to_string()),
        ]
    }
}

pub async fn load(store: &Store) -> Result<ServerSettings, store::Error> {
    let pairs = store.load_settings().await?;
    Ok(ServerSettings::from_pairs(
        pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())),
    ))
}

pub async fn save(store: &Store, settings: &ServerSettings) -> Result<(), store::Error> {
    for (name, value) in settings.to_pairs() {
        store.put_setting(name, &value).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_pairs_round_trip_over_the_defaults() {
        let changed = ServerSettings {
            mcp_enabled: false,
            rate_per_minute: 5,
            payload_logging: true,
            ..ServerSettings::default()
        };
        let pairs = changed.to_pairs();
        let back = ServerSettings::from_pairs(pairs.iter().map(|(n, v)| (*n, v.as_str())));
        assert_eq!(back, changed);
    }

    #[test]
    fn nothing_stored_means_the_documented_defaults() {
        let s = ServerSettings::from_pairs([]);
        assert!(s.mcp_enabled && s.dynamic_registration && !s.payload_logging);
        assert_eq!((s.rate_per_minute, s.rate_per_day), (60, 10_000));
        assert_eq!(s.idle_after(), 7 * DAY_MS);
        assert_eq!(s.approval_expiry(), 24 * HOUR_MS);
    }
}

/// The master switch from its stored value: on unless stored as anything but `true` (the
/// default is on). The hot path reads it with every key and token (`store::MCP_SWITCH`).
pub fn mcp_enabled(stored: Option<&str>) -> bool {
    stored.is_none_or(|v| v == "true")
}

/// Settings as read at most [`SettingsCache::MAX_AGE`] ago: saves a query per request, and a change
/// made on another replica takes effect within that time — except the master switch, which `/mcp`
/// also reads with every key and token ([`mcp_enabled`]).
#[derive(Debug, Default)]
pub struct SettingsCache {
    cached: tokio::sync::RwLock<Option<(ServerSettings, std::time::Instant)>>,
}

impl SettingsCache {
    pub const MAX_AGE: std::time::Duration = std::time::Duration::from_millis(500);

    pub async fn get(&self, store: &Store) -> Result<ServerSettings, store::Error> {
        if let Some((settings, at)) = self.cached.read().await.as_ref()
            && at.elapsed() < Self::MAX_AGE
        {
            return Ok(settings.clone());
        }
        let fresh = load(store).await?;
        *self.cached.write().await = Some((fresh.clone(), std::time::Instant::now()));
        Ok(fresh)
    }

    /// Saves and makes this replica see the change at once.
    pub async fn save(&self, store: &Store, settings: &ServerSettings) -> Result<(), store::Error> {
        save(store, settings).await?;
        *self.cached.write().await = Some((settings.clone(), std::time::Instant::now()));
        Ok(())
    }
}
