//! Redirect URIs: which ones a client may register, and whether the one in an authorization
//! request matches a registered one (exactly, except the port of a loopback URI, RFC 8252 §7.3).
//!
//! Who asks decides what is accepted:
//! - **dynamic registration** (anyone on the internet): the callbacks of the AI clients we know
//!   (claude.ai/claude.com, chatgpt.com, Cursor, VS Code web), loopback `http` on any port, and
//!   the private-use schemes of known desktop clients. Other https hosts are refused, so a
//!   stranger cannot register a client that sends codes to a site of their choosing and then
//!   phish the consent.
//! - **a client ID metadata document**: its URL's owner vouches for it, so any https URI,
//!   loopback, or a private-use scheme.
//! - **an administrator** (Custom OAuth): the same as a metadata document.
//!
//! Never accepted: fragments, `http` to anything but loopback, and `javascript:`, `data:`,
//! `file:` and similar schemes.

use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registrar {
    Dynamic,
    Document,
    Administrator,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectError {
    #[error("'{0}' is not an absolute URI.")]
    NotAbsolute(String),
    #[error("'{0}' has a fragment, which redirect URIs may not have.")]
    Fragment(String),
    #[error("'{0}' uses http to a host that is not this computer; use https.")]
    PlainHttp(String),
    #[error("'{0}' is not a callback of a known AI client; only those may register themselves.")]
    UnknownHost(String),
    #[error("'{0}' uses a scheme that is never allowed for redirects.")]
    ForbiddenScheme(String),
}

/// https callbacks that dynamic registration accepts: (host, path or path prefix ending in '/').
const KNOWN_CALLBACKS: &[(&str, &str)] = &[
    ("claude.ai", "/api/mcp/auth_callback"),
    ("claude.com", "/api/mcp/auth_callback"),
    ("chatgpt.com", "/connector_platform_oauth_redirect"),
    ("chatgpt.com", "/connector/oauth/"),
    ("www.cursor.com", "/agents/mcp/oauth/callback"),
    ("vscode.dev", "/redirect"),
    ("insiders.vscode.dev", "/redirect"),
];

/// Private-use schemes (RFC 8252 §7.1) of desktop clients that register themselves.
const KNOWN_SCHEMES: &[&str] = &["cursor", "vscode", "vscode-insiders", "claude", "windsurf"];

const FORBIDDEN_SCHEMES: &[&str] = &[
    "javascript",
    "data",
    "file",
    "blob",
    "about",
    "vbscript",
    "ftp",
    "ws",
    "wss",
];

/// Checks one redirect URI a client wants to register; returns it unchanged when accepted
/// (matching later compares against exactly what was registered).
pub fn check(uri: &str, registrar: Registrar) -> Result<String, RedirectError> {
    let url = Url::parse(uri).map_err(|_| RedirectError::NotAbsolute(uri.to_owned()))?;
    if url.fragment().is_some() {
        return Err(RedirectError::Fragment(uri.to_owned()));
    }
    let accepted = match url.scheme() {
        "http" if is_loopback(&url) => true,
        "http" => return Err(RedirectError::PlainHttp(uri.to_owned())),
        "https" if registrar != Registrar::Dynamic => url.host().is_some(),
        "https" => is_known_callback(&url),
        scheme if FORBIDDEN_SCHEMES.contains(&scheme) => {
            return Err(RedirectError::ForbiddenScheme(uri.to_owned()));
        }
        scheme if registrar != Registrar::Dynamic => {
            scheme.contains('.') || KNOWN_SCHEMES.contains(&scheme)
        }
        scheme => KNOWN_SCHEMES.contains(&scheme),
    };
    if accepted {
        Ok(uri.to_owned())
    } else {
        Err(RedirectError::UnknownHost(uri.to_owned()))
    }
}

fn is_known_callback(url: &Url) -> bool {
    let (Some(host), None) = (url.host_str(), url.port()) else {
        return false;
    };
    let path = url.path();
    KNOWN_CALLBACKS.iter().any(|(h, p)| {
        *h == host
            && if let Some(prefix) = p.strip_suffix('/') {
                // A per-connector callback: exactly one more, non-empty path segment.
                path.strip_prefix(prefix)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .is_some_and(|id| !id.is_empty() && !id.contains('/'))
            } else {
                path == *p
            }
    })
}

pub fn is_loopback(url: &Url) -> bool {
    crate::webhook::is_loopback(url.host())
}

/// Whether `requested` (from an authorization request) is one of `registered`: the same string,
/// or for a loopback `http` URI the same host, path and query on any port.
pub fn find_match<'a>(registered: &'a [String], requested: &str) -> Option<&'a str> {
    if let Some(same) = registered.iter().find(|r| r.as_str() == requested) {
        return Some(same);
    }
    let req = Url::parse(requested).ok()?;
    if req.scheme() != "http" || !is_loopback(&req) || req.fragment().is_some() {
        return None;
    }
    registered
        .iter()
        .find(|r| {
            Url::parse(r).is_ok_and(|reg| {
                reg.scheme() == "http"
                    && is_loopback(&reg)
                    && reg.host() == req.host()
                    && reg.path() == req.path()
                    && reg.query() == req.query()
            })
        })
        .map(String::as_str)
}

/// The host a redirect goes to, for the consent page.
pub fn display_host(uri: &str) -> String {
    match Url::parse(uri) {
        Ok(url) => match url.host_str() {
            Some(host) if is_loopback(&url) => format!("this computer ({host})"),
            Some(host) => host.to_owned(),
            None => format!("the application {}://", url.scheme()),
        },
        Err(_) => uri.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dynamic(uri: &str) -> Result<String, RedirectError> {
        check(uri, Registrar::Dynamic)
    }

    #[test]
    fn the_callbacks_real_clients_register_are_accepted() {
        for uri in [
            "https://claude.ai/api/mcp/auth_callback",
            "https://claude.com/api/mcp/auth_callback",
            "https://chatgpt.com/connector_platform_oauth_redirect",
            "https://chatgpt.com/connector/oauth/abc123",
            // Cursor registers these three at once; refusing one fails the registration.
            "cursor://anysphere.cursor-mcp/oauth/callback",
            "https://www.cursor.com/agents/mcp/oauth/callback",
            "http://localhost:8787/callback",
            "http://127.0.0.1:33418/",
            "http://127.0.0.1/",
            "http://[::1]:4000/cb",
            "https://vscode.dev/redirect",
            "vscode://vscode.github-authentication/did-authenticate",
            "claude://claude.ai/mcp-auth-callback/sdk",
            "http://127.0.0.1:6276/oauth/callback",
        ] {
            assert_eq!(dynamic(uri).as_deref(), Ok(uri), "{uri}");
        }
    }

    #[test]
    fn strangers_and_dangerous_schemes_are_refused() {
        for uri in [
            "https://evil.example",
            "https://evil.example/api/mcp/auth_callback",
            "https://claude.ai.evil.example/api/mcp/auth_callback",
            "https://claude.ai:8443/api/mcp/auth_callback",
            "https://chatgpt.com/connector/oauth/",
            "https://chatgpt.com/connector/oauth/a/b",
            "http://evil.example/callback",
            "javascript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "https://claude.ai/api/mcp/auth_callback#frag",
            "not a uri",
            "evilapp://callback",
        ] {
            assert!(dynamic(uri).is_err(), "{uri}");
        }
    }

    #[test]
    fn documents_and_administrators_may_use_any_https_host_but_not_plain_http() {
        assert!(check("https://app.example.com/cb", Registrar::Document).is_ok());
        assert!(check("https://app.example.com/cb", Registrar::Administrator).is_ok());
        assert!(check("com.example.app://cb", Registrar::Administrator).is_ok());
        assert!(check("http://app.example.com/cb", Registrar::Administrator).is_err());
        assert!(check("javascript:alert(1)", Registrar::Document).is_err());
    }

    #[test]
    fn matching_is_exact_except_the_loopback_port() {
        let registered = vec![
            "https://claude.ai/api/mcp/auth_callback".to_owned(),
            "http://127.0.0.1:33418/".to_owned(),
            "http://localhost/callback".to_owned(),
        ];
        let m = |r: &str| find_match(&registered, r).is_some();
        assert!(m("https://claude.ai/api/mcp/auth_callback"));
        assert!(!m("https://claude.ai/api/mcp/auth_callback/"));
        assert!(!m("https://claude.ai/api/mcp/auth_callback?x=1"));
        assert!(m("http://127.0.0.1:51234/"));
        assert!(m("http://127.0.0.1/"));
        assert!(m("http://localhost:9999/callback"));
        assert!(!m("http://localhost:9999/other"));
        assert!(!m("http://127.0.0.1:51234/other"));
        assert!(
            !m("http://localhost:51234/"),
            "a different loopback host is not the same URI"
        );
        assert!(!m("https://evil.example/"));
    }
}
