//! `odoo::Error`: what can go wrong talking to Odoo, and how Odoo's own exceptions are classified.
//!
//! Classification is a pure function of what Odoo sent (exception class name, HTTP status,
//! message), so it is unit-tested against recorded responses in `wire_tests.rs`.

use std::fmt;

/// What kind of "no" Odoo answered, independent of the protocol that carried it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Wrong login, password or API key (or a key that JSON-2 refuses).
    AccessDenied,
    /// The user lacks the access right or record rule, or the method is private.
    AccessError,
    /// A business rule refused the operation.
    UserError,
    /// A constraint (Python or SQL) refused the values.
    ValidationError,
    /// The record does not exist (any more).
    MissingError,
    /// The model does not exist in this database.
    MissingModel,
    /// The model has no such public method.
    UnknownMethod,
    /// Bad arguments: `ValueError`, `TypeError`, `KeyError`, JSON-2 `UnprocessableEntity`.
    InvalidArguments,
    /// The configured database does not exist on this Odoo server.
    UnknownDatabase,
    Other,
}

impl ErrorKind {
    /// A stable snake_case name, for audit rows and metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessDenied => "access_denied",
            Self::AccessError => "access_error",
            Self::UserError => "user_error",
            Self::ValidationError => "validation_error",
            Self::MissingError => "missing_error",
            Self::MissingModel => "missing_model",
            Self::UnknownMethod => "unknown_method",
            Self::InvalidArguments => "invalid_arguments",
            Self::UnknownDatabase => "unknown_database",
            Self::Other => "other",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything the Odoo client can fail with.
///
/// `Display` is for the gateway's own log and the admin: it may name the Odoo URL.
/// [`Error::client_message`] is what an AI client may see.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Odoo said no. `message` is Odoo's own clean message, never the traceback.
    #[error("Odoo {kind}: {message}")]
    Odoo { kind: ErrorKind, message: String },
    /// No connection could be made (DNS, refused, TLS, connect timeout, bad URL).
    #[error("Odoo unreachable: {0}")]
    Unreachable(String),
    /// Connected, but no complete answer within the configured timeout.
    #[error("Odoo did not answer within the timeout")]
    Timeout,
    /// Odoo answered something that isn't Odoo's shape.
    #[error("unexpected answer from Odoo: {0}")]
    Protocol(String),
}

impl Error {
    /// The Odoo error kind, when Odoo itself refused.
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            Self::Odoo { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// One line fit to show an AI client. Odoo's message is kept whole (its line breaks
    /// become spaces); transport details (URL, body snippets) are left out because they
    /// would leak host names to the client — they are in `Display` for the log.
    pub fn client_message(&self) -> String {
        match self {
            Self::Odoo { kind, message } => {
                let prefix = match kind {
                    ErrorKind::AccessDenied => "Odoo refused the credentials",
                    ErrorKind::AccessError | ErrorKind::UserError => "Odoo refused",
                    ErrorKind::ValidationError => "Odoo rejected the values",
                    ErrorKind::MissingError => "Odoo record not found",
                    ErrorKind::MissingModel => "Odoo model not found",
                    ErrorKind::UnknownMethod => "Odoo method not found",
                    ErrorKind::InvalidArguments => "Odoo rejected the arguments",
                    ErrorKind::UnknownDatabase => "Odoo database not found",
                    ErrorKind::Other => "Odoo error",
                };
                format!("{prefix}: {}", one_line(message))
            }
            Self::Unreachable(_) => "Odoo is unreachable right now; try again later.".into(),
            Self::Timeout => {
                "Odoo did not answer in time; try again later or ask for less data.".into()
            }
            Self::Protocol(_) => {
                "Odoo answered in an unexpected way; the gateway log has details.".into()
            }
        }
    }

    pub(crate) fn odoo(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self::Odoo {
            kind,
            message: message.into(),
        }
    }
}

/// Joins the non-blank lines of `text` with single spaces.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Classifies an exception by its fully qualified Python class name (`error.data.name` in
/// JSON-RPC, `name` in JSON-2) and message. `None` when the name alone doesn't say.
pub(crate) fn classify_by_name(name: &str, message: &str) -> Option<ErrorKind> {
    let kind = match name {
        "odoo.exceptions.AccessDenied" => ErrorKind::AccessDenied,
        // Only reachable through session routes; the credential behind it is no longer valid.
        "odoo.http.SessionExpiredException" => ErrorKind::AccessDenied,
        "odoo.exceptions.AccessError" => ErrorKind::AccessError,
        // Odoo raises a plain UserError for a missing model in execute_kw.
        "odoo.exceptions.UserError" if is_missing_model(message) => ErrorKind::MissingModel,
        "odoo.exceptions.UserError" | "odoo.exceptions.RedirectWarning" => ErrorKind::UserError,
        "odoo.exceptions.ValidationError" => ErrorKind::ValidationError,
        "odoo.exceptions.MissingError" => ErrorKind::MissingError,
        "builtins.AttributeError" if is_unknown_method(message) => ErrorKind::UnknownMethod,
        "builtins.ValueError" | "builtins.TypeError" | "builtins.KeyError" => {
            ErrorKind::InvalidArguments
        }
        "werkzeug.exceptions.Unauthorized" => ErrorKind::AccessDenied,
        "werkzeug.exceptions.Forbidden" => ErrorKind::AccessError,
        "werkzeug.exceptions.UnprocessableEntity" | "werkzeug.exceptions.BadRequest" => {
            ErrorKind::InvalidArguments
        }
        "werkzeug.exceptions.NotFound" if is_missing_model(message) => ErrorKind::MissingModel,
        "werkzeug.exceptions.NotFound" if is_unknown_method(message) => ErrorKind::UnknownMethod,
        _ => return None,
    };
    Some(kind)
}

/// Odoo's own database errors (`psycopg2.OperationalError`) name the PostgreSQL host and port;
/// they are replaced by what the person needs to know. `None` for every other error.
pub(crate) fn database_error(name: &str, message: &str) -> Option<(ErrorKind, String)> {
    if !name.starts_with("psycopg2.") {
        return None;
    }
    // `connection to server at "…", port … failed: FATAL:  database "nodb" does not exist`
    let missing = message
        .split_once("database \"")
        .and_then(|(_, rest)| rest.split_once("\" does not exist"))
        .map(|(database, _)| database);
    Some(match missing {
        Some(database) => (
            ErrorKind::UnknownDatabase,
            format!(
                "this Odoo server has no database named \"{database}\" (check the configured database name)"
            ),
        ),
        None if name == "psycopg2.OperationalError" => (
            ErrorKind::Other,
            "Odoo could not reach its own database server".to_owned(),
        ),
        None => return None,
    })
}

/// JSON-RPC: the class name decides; anything unrecognised is `Other`.
pub(crate) fn classify_jsonrpc(name: &str, message: &str) -> ErrorKind {
    classify_by_name(name, message).unwrap_or(ErrorKind::Other)
}

/// JSON-2: the class name decides when it is specific; otherwise the HTTP status does.
pub(crate) fn classify_json2(status: u16, name: &str, message: &str) -> ErrorKind {
    classify_by_name(name, message).unwrap_or(match status {
        401 => ErrorKind::AccessDenied,
        403 => ErrorKind::AccessError,
        422 => ErrorKind::InvalidArguments,
        _ => ErrorKind::Other,
    })
}

/// "Object no.such.model doesn't exist" (execute_kw, Odoo 16–19) or
/// "the model 'no.such.model' does not exist" (JSON-2).
fn is_missing_model(message: &str) -> bool {
    (message.starts_with("Object ") && message.ends_with(" doesn't exist"))
        || (message.starts_with("the model '") && message.ends_with("' does not exist"))
}

/// "The method 'res.partner.no_such_method' does not exist" (both protocols).
fn is_unknown_method(message: &str) -> bool {
    message.starts_with("The method '") && message.ends_with("' does not exist")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_message_keeps_odoo_message_on_one_line() {
        let err = Error::odoo(
            ErrorKind::AccessError,
            "You are not allowed to access 'System Parameter' (ir.config_parameter) records.\n\nThis operation is allowed for the following groups:\n\t- Administration/Settings\n\nContact your administrator to request access if necessary.",
        );
        assert_eq!(
            err.client_message(),
            "Odoo refused: You are not allowed to access 'System Parameter' (ir.config_parameter) records. This operation is allowed for the following groups: - Administration/Settings Contact your administrator to request access if necessary."
        );
        assert_eq!(err.kind(), Some(ErrorKind::AccessError));
    }

    #[test]
    fn client_message_hides_transport_details() {
        let err = Error::Unreachable(
            "cannot connect to http://odoo.internal:8069: connection refused".into(),
        );
        assert!(!err.client_message().contains("odoo.internal"));
        assert!(err.to_string().contains("odoo.internal"));
        let err = Error::Protocol("HTTP 502 Bad Gateway from http://odoo.internal".into());
        assert!(!err.client_message().contains("odoo.internal"));
        assert_eq!(err.kind(), None);
    }

    #[test]
    fn database_errors_name_the_database_not_the_postgresql_server() {
        let (kind, message) = database_error(
            "psycopg2.OperationalError",
            "connection to server at \"127.0.0.1\", port 5433 failed: FATAL:  database \"nodb\" does not exist\n",
        )
        .unwrap();
        assert_eq!(kind, ErrorKind::UnknownDatabase);
        assert_eq!(
            message,
            "this Odoo server has no database named \"nodb\" (check the configured database name)"
        );
        let (_, message) = database_error(
            "psycopg2.OperationalError",
            "connection to server at \"10.0.0.5\", port 5432 failed: timeout",
        )
        .unwrap();
        assert!(!message.contains("10.0.0.5"), "{message}");
        assert_eq!(
            database_error("odoo.exceptions.UserError", "database \"x\" does not exist"),
            None
        );
    }

    #[test]
    fn unknown_names_fall_back_per_protocol() {
        assert_eq!(
            classify_jsonrpc(
                "builtins.AttributeError",
                "'bool' object has no attribute 'x'"
            ),
            ErrorKind::Other
        );
        assert_eq!(
            classify_jsonrpc("psycopg2.errors.SerializationFailure", "x"),
            ErrorKind::Other
        );
        assert_eq!(
            classify_json2(403, "odoo.exceptions.Whatever", "x"),
            ErrorKind::AccessError
        );
        assert_eq!(
            classify_json2(500, "builtins.ZeroDivisionError", "x"),
            ErrorKind::Other
        );
        assert_eq!(
            classify_json2(
                404,
                "werkzeug.exceptions.NotFound",
                "Did you mean POST /json/2/<model>/<method>?"
            ),
            ErrorKind::Other
        );
    }
}
