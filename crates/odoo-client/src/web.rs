//! Odoo's web session, for what Odoo serves only to a signed-in browser: its report routes
//! (`/report/html|pdf/...` are `auth='user'`, and no RPC method renders a report). Odoo lets a
//! password open a session and refuses API keys there (an API key is for RPC only), so this
//! works for users linked with their password.

use std::fmt;

use reqwest::header::{self, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::OdooClient;
use crate::error::{Error, ErrorKind};
use crate::wire;

/// The cookie of one signed-in web session.
pub struct WebSession {
    cookie: SecretString,
}

impl fmt::Debug for WebSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebSession([redacted])")
    }
}

/// What a report is rendered as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Pdf,
    Html,
}

impl ReportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Html => "html",
        }
    }
}

impl OdooClient {
    /// Signs in as a browser would. An API key, a wrong password or a user with two-factor
    /// authentication is `AccessDenied`.
    pub async fn open_web_session(
        &self,
        login: &str,
        password: &SecretString,
    ) -> Result<WebSession, Error> {
        let body = json!({
            "jsonrpc": "2.0",
            "method": "call",
            "params": {
                "db": self.inner.database,
                "login": login,
                "password": password.expose_secret(),
            },
        });
        let url = self.endpoint(&["web", "session", "authenticate"]);
        let response = self
            .inner
            .http
            .post(url)
            .json(&body)
            .send()
            .await
            .map_err(|e| self.transport_error(&e))?;
        let cookie = session_cookie(response.headers());
        let answer = self.read(response).await?;
        let result = wire::parse_jsonrpc(
            answer.status.as_u16(),
            answer.content_type.as_deref(),
            &answer.body,
        )?;
        // A user with two-factor authentication gets a session that waits for the code.
        let signed_in = result.get("uid").and_then(|u| u.as_i64()).is_some();
        match cookie {
            Some(cookie) if signed_in => Ok(WebSession { cookie }),
            _ => Err(Error::odoo(
                ErrorKind::AccessDenied,
                "Odoo did not open a web session for this user (two-factor authentication?)",
            )),
        }
    }

    /// Asks Odoo to render `report_name` for `ids` (in `context`, e.g. its companies) and
    /// returns the answer unread, to be streamed on. Anything but 200 is an error.
    pub async fn report(
        &self,
        session: &WebSession,
        format: ReportFormat,
        report_name: &str,
        ids: &[i64],
        context: Option<&serde_json::Value>,
    ) -> Result<reqwest::Response, Error> {
        let ids = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let mut url = self.endpoint(&["report", format.as_str(), report_name, &ids]);
        if let Some(context) = context {
            // The report route merges a JSON `context` parameter into Odoo's context.
            url.query_pairs_mut()
                .append_pair("context", &context.to_string());
        }
        let response = self
            .inner
            .http
            .get(url)
            .header(header::COOKIE, session.header()?)
            .send()
            .await
            .map_err(|e| self.transport_error(&e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(Error::odoo(
            ErrorKind::Other,
            format!(
                "Odoo could not render the report {report_name} as {} (HTTP {})",
                format.as_str(),
                response.status().as_u16()
            ),
        ))
    }

    /// Signs the session out, so it does not outlive its one use. Failures are only logged:
    /// the session expires in Odoo anyway.
    pub async fn close_web_session(&self, session: WebSession) {
        let Ok(cookie) = session.header() else { return };
        let url = self.endpoint(&["web", "session", "destroy"]);
        let body = json!({"jsonrpc": "2.0", "method": "call", "params": {}});
        let sent = self
            .inner
            .http
            .post(url)
            .header(header::COOKIE, cookie)
            .json(&body)
            .send()
            .await;
        if let Err(e) = sent {
            tracing::debug!(error = %self.transport_error(&e), "closing the Odoo web session failed");
        }
    }
}

impl WebSession {
    fn header(&self) -> Result<HeaderValue, Error> {
        let mut value =
            HeaderValue::from_str(&format!("session_id={}", self.cookie.expose_secret())).map_err(
                |_| Error::Protocol("Odoo sent a session cookie that cannot be sent back".into()),
            )?;
        value.set_sensitive(true);
        Ok(value)
    }
}

/// The `session_id` cookie among the answer's `Set-Cookie` headers.
fn session_cookie(headers: &header::HeaderMap) -> Option<SecretString> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find_map(|pair| pair.trim().strip_prefix("session_id="))
        .filter(|v| !v.is_empty())
        .map(|v| SecretString::from(v.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = header::HeaderMap::new();
        headers.append(
            header::SET_COOKIE,
            HeaderValue::from_static("tz=UTC; Path=/"),
        );
        headers.append(
            header::SET_COOKIE,
            HeaderValue::from_static(
                "session_id=abc123; Expires=Wed, 01 Dec 2027; HttpOnly; Path=/",
            ),
        );
        let cookie = session_cookie(&headers).unwrap();
        assert_eq!(cookie.expose_secret(), "abc123");
        let mut none = header::HeaderMap::new();
        none.append(
            header::SET_COOKIE,
            HeaderValue::from_static("session_id=; Path=/"),
        );
        assert!(session_cookie(&none).is_none());
    }
}
