//! OAuth scopes and how they map onto a connection's scope: `mcp:read` alone is Read Only,
//! `mcp:write` (with or without `mcp:read`) is Full Access.

use crate::connections::Scope;

pub const READ: &str = "mcp:read";
pub const WRITE: &str = "mcp:write";
/// What the metadata documents advertise, and what a client gets when it asks for nothing.
pub const SUPPORTED: [&str; 2] = [READ, WRITE];

/// The scope a request asks for. Unknown scope values are ignored (RFC 6749 §3.3 lets the
/// server grant less than asked, and the response says what was granted); asking for nothing
/// known asks for everything, which the person still sees and approves on the consent page.
pub fn requested(scope: Option<&str>) -> Scope {
    let words: Vec<&str> = scope.unwrap_or("").split_ascii_whitespace().collect();
    match (words.contains(&READ), words.contains(&WRITE)) {
        (true, false) => Scope::ReadOnly,
        _ => Scope::Full,
    }
}

/// The scope string issued with tokens.
pub fn granted(scope: Scope) -> &'static str {
    match scope {
        Scope::Full => "mcp:read mcp:write",
        Scope::ReadOnly => READ,
    }
}

/// Reads a stored granted scope; anything unexpected narrows.
pub fn parse_granted(stored: &str) -> Scope {
    if stored.split_ascii_whitespace().any(|w| w == WRITE) {
        Scope::Full
    } else {
        Scope::ReadOnly
    }
}

/// The narrower of two scopes.
pub fn narrowest(a: Scope, b: Scope) -> Scope {
    if a == Scope::ReadOnly || b == Scope::ReadOnly {
        Scope::ReadOnly
    } else {
        Scope::Full
    }
}

/// Whether a refresh request's `scope` stays within what was granted (RFC 6749 §6).
pub fn within(requested: Option<&str>, granted: Scope) -> bool {
    let Some(requested) = requested else {
        return true;
    };
    requested
        .split_ascii_whitespace()
        .all(|w| w == READ || (w == WRITE && granted == Scope::Full))
}

/// Words for the consent page.
pub fn describe(scope: Scope) -> (&'static str, &'static str) {
    match scope {
        Scope::Full => (
            "Full Access",
            "read, create, change and delete records your Odoo user may change",
        ),
        Scope::ReadOnly => ("Read Only", "read records; no change is possible"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_alone_is_read_only_and_everything_else_is_full() {
        assert_eq!(requested(Some("mcp:read")), Scope::ReadOnly);
        assert_eq!(requested(Some("mcp:read mcp:write")), Scope::Full);
        assert_eq!(requested(Some("mcp:write")), Scope::Full);
        assert_eq!(requested(None), Scope::Full);
        assert_eq!(requested(Some("openid profile")), Scope::Full);
        assert_eq!(parse_granted(granted(Scope::ReadOnly)), Scope::ReadOnly);
        assert_eq!(parse_granted(granted(Scope::Full)), Scope::Full);
        assert_eq!(parse_granted("garbage"), Scope::ReadOnly);
    }

    #[test]
    fn a_refresh_may_narrow_but_never_widen() {
        assert!(within(None, Scope::ReadOnly));
        assert!(within(Some("mcp:read"), Scope::Full));
        assert!(!within(Some("mcp:write"), Scope::ReadOnly));
        assert!(!within(Some("admin"), Scope::Full));
    }
}
