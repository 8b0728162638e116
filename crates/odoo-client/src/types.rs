//! The plain values the Odoo client takes and returns: configuration, credentials, calls.

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Map, Value};

/// Which protocol the gateway should use, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProtocolChoice {
    /// JSON-2 for API keys on Odoo 19+, JSON-RPC otherwise.
    #[default]
    Auto,
    JsonRpc,
    Json2,
}

/// The protocol one credential is used with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `/jsonrpc`, `object.execute_kw` (Odoo 8+, deprecated from 19).
    JsonRpc,
    /// `/json/2/<model>/<method>` with a bearer API key (Odoo 19+).
    Json2,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::JsonRpc => "jsonrpc",
            Self::Json2 => "json2",
        }
    }
}

/// A stored protocol name this version does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an Odoo protocol (jsonrpc or json2)")]
pub struct UnknownProtocol(pub String);

/// The protocol stored beside a linked credential ([`Protocol::as_str`]); anything else is an
/// error, never a guess.
impl std::str::FromStr for Protocol {
    type Err = UnknownProtocol;

    fn from_str(stored: &str) -> Result<Self, UnknownProtocol> {
        [Self::JsonRpc, Self::Json2]
            .into_iter()
            .find(|p| p.as_str() == stored)
            .ok_or_else(|| UnknownProtocol(stored.chars().take(40).collect()))
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct OdooConfig {
    /// Base URL, e.g. `https://odoo.example.com`; a trailing slash is fine.
    pub url: String,
    pub database: String,
    pub protocol: ProtocolChoice,
    /// Whole-request timeout (connect, send, wait, read).
    pub timeout: Duration,
}

/// What `common.version` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerVersion {
    pub major: u32,
    pub minor: u32,
    /// `server_serie`, e.g. `"18.0"` or `"saas~18.3"`.
    pub serie: String,
}

impl ServerVersion {
    /// JSON-2 ships with Odoo 19.
    pub fn has_json2(&self) -> bool {
        self.major >= 19
    }
}

/// An Odoo user's verified credential: a password or an API key.
#[derive(Clone)]
pub struct Credential {
    pub uid: i64,
    pub secret: SecretString,
    pub protocol: Protocol,
}

// Written by hand so the secret can never reach a log through `{:?}`.
impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("uid", &self.uid)
            .field("secret", &"[redacted]")
            .field("protocol", &self.protocol)
            .finish()
    }
}

/// Who a login turned out to be, and which protocol their secret works with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub uid: i64,
    pub name: String,
    pub protocol: Protocol,
}

/// One ORM method call: `model.method(ids?, **kwargs)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub model: String,
    pub method: String,
    /// The recordset to call the method on; `None` for `@api.model` methods.
    pub ids: Option<Vec<i64>>,
    /// Named arguments (`domain`, `fields`, `vals_list`, `vals`, `context` …).
    pub kwargs: Map<String, Value>,
}

impl Call {
    /// A call without ids or arguments; chain [`Call::ids`] and [`Call::arg`].
    pub fn new(model: impl Into<String>, method: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            method: method.into(),
            ids: None,
            kwargs: Map::new(),
        }
    }

    pub fn ids(mut self, ids: impl Into<Vec<i64>>) -> Self {
        self.ids = Some(ids.into());
        self
    }

    pub fn arg(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.kwargs.insert(name.into(), value.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_protocol_reads_back_and_an_unknown_one_is_an_error() {
        for p in [Protocol::JsonRpc, Protocol::Json2] {
            assert_eq!(p.as_str().parse::<Protocol>(), Ok(p));
        }
        let e = "xmlrpc".parse::<Protocol>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "'xmlrpc' is not an Odoo protocol (jsonrpc or json2)"
        );
    }

    #[test]
    fn credential_debug_does_not_show_the_secret() {
        let credential = Credential {
            uid: 2,
            secret: SecretString::from("0123456789abcdef0123456789abcdef01234567"),
            protocol: Protocol::Json2,
        };
        let debug = format!("{credential:?}");
        assert!(!debug.contains("0123456789abcdef"), "{debug}");
        assert!(debug.contains("uid: 2"), "{debug}");
    }

    #[test]
    fn json2_starts_with_odoo_19() {
        let v = |major| ServerVersion {
            major,
            minor: 0,
            serie: format!("{major}.0"),
        };
        assert!(!v(18).has_json2());
        assert!(v(19).has_json2());
        assert!(v(20).has_json2());
    }
}
