//! The closed vocabularies kept in text columns: console roles, connection kinds and scopes,
//! OAuth client types and approval states, each with its one stored spelling.

use std::fmt;
use std::str::FromStr;

use super::{BadValue, decoded_from_text};

/// An enum whose variants are stored as fixed words: `as_db` writes them, `FromStr` reads them
/// back and refuses any other word.
macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal {
        $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every stored spelling, in the variants' order.
            pub const WORDS: &'static [&'static str] = &[$($text),+];

            /// The stored spelling.
            pub fn as_db(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl FromStr for $name {
            type Err = BadValue;

            fn from_str(s: &str) -> Result<Self, BadValue> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    _ => Err(BadValue(format!(
                        "'{}' is not {} (one of: {})",
                        s.chars().take(40).collect::<String>(),
                        $what,
                        Self::WORDS.join(", ")
                    ))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_db())
            }
        }

        decoded_from_text!($name);
    };
}

stored_enum! {
    /// What a linked user may do in the console; no role means no console access.
    Role, "a console role" {
        /// MCP Administrator: everything.
        Admin => "admin",
        /// MCP User: their own connections only.
        User => "user",
    }
}

impl Role {
    /// `admin`, `user`, also spelled as the labels (CLI and console input).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" | "administrator" | "mcp administrator" => Some(Self::Admin),
            "user" | "mcp user" => Some(Self::User),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Admin => "MCP Administrator",
            Self::User => "MCP User",
        }
    }
}

stored_enum! {
    /// How a client authenticates: an API key or OAuth.
    Kind, "a connection kind" {
        ApiKey => "api_key",
        OAuth => "oauth",
    }
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Self::ApiKey => "API Key",
            Self::OAuth => "OAuth Client",
        }
    }
}

stored_enum! {
    /// What a connection may do in Odoo. Read Only hides and refuses every write tool.
    Scope, "a connection scope" {
        Full => "full",
        ReadOnly => "read_only",
    }
}

impl Scope {
    /// `full` or `read-only`, in the spellings people type (`read_only`, `Read Only` …).
    pub fn parse(s: &str) -> Result<Self, BadValue> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['_', ' '], "-")
            .as_str()
        {
            "full" | "full-access" => Ok(Self::Full),
            "read-only" | "readonly" | "read" => Ok(Self::ReadOnly),
            _ => Err(BadValue(format!(
                "unknown scope '{s}': use 'full' or 'read-only'"
            ))),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Full => "Full Access",
            Self::ReadOnly => "Read Only",
        }
    }
}

stored_enum! {
    /// An OAuth client, by whether it holds a secret.
    ClientType, "an OAuth client type" {
        /// Authenticates with PKCE alone.
        Public => "public",
        /// Also authenticates with its client secret.
        Confidential => "confidential",
    }
}

stored_enum! {
    /// Where an approval request is in its life.
    ApprovalState, "an approval state" {
        Pending => "pending",
        Approved => "approved",
        Executed => "executed",
        Failed => "failed",
        Rejected => "rejected",
        Expired => "expired",
    }
}

stored_enum! {
    /// How the call first made with an idempotency key stands.
    IdempotencyState, "an idempotency state" {
        /// Running now (another request waits for it).
        Running => "running",
        /// Ran; its answer is stored.
        Done => "done",
        /// Held for approval; the pending answer is stored.
        Held => "held",
        /// Ended without a known outcome (Odoo did not answer): it may or may not have run.
        Unknown => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_words_round_trip_and_others_are_refused_by_name() {
        for state in [
            "pending", "approved", "executed", "failed", "rejected", "expired",
        ] {
            assert_eq!(state.parse::<ApprovalState>().unwrap().as_db(), state);
        }
        assert_eq!(
            ApprovalState::WORDS,
            crate::catalog::output::APPROVAL_STATES,
            "get_approval_status's schema names every state"
        );
        let e = "Pending".parse::<ApprovalState>().unwrap_err();
        assert_eq!(
            e.0,
            "'Pending' is not an approval state (one of: pending, approved, executed, failed, rejected, expired)"
        );
        assert!("owner".parse::<Role>().is_err());
        assert_eq!("read_only".parse::<Scope>(), Ok(Scope::ReadOnly));
        assert!(
            "Read Only".parse::<Scope>().is_err(),
            "stored spelling only"
        );
        for s in ["full", "Full Access", "full_access"] {
            assert_eq!(Scope::parse(s), Ok(Scope::Full), "{s}");
        }
        for s in ["read-only", "read_only", "READONLY", "Read Only"] {
            assert_eq!(Scope::parse(s), Ok(Scope::ReadOnly), "{s}");
        }
        assert!(Scope::parse("admin").is_err());
    }
}
