//! The one Odoo exception type of the simulator, and its wire shapes: JSON-RPC (18 and 19) and JSON-2.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use super::OdooVersion;

/// The Python exception class a real Odoo would raise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    AccessDenied,
    AccessError,
    UserError,
    ValidationError,
    MissingError,
    AttributeError,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    /// Bad base64 (`binascii.Error`, a ValueError), e.g. an attachment's `datas`.
    BinasciiError,
    /// A database that does not exist, as psycopg2 reports it.
    OperationalError,
    SessionExpired,
    /// werkzeug HTTP exceptions, raised by the JSON-2 controller.
    NotFound,
    Unauthorized,
    UnprocessableEntity,
    BadRequest,
}

impl Kind {
    pub(crate) fn python_name(self) -> &'static str {
        match self {
            Kind::AccessDenied => "odoo.exceptions.AccessDenied",
            Kind::AccessError => "odoo.exceptions.AccessError",
            Kind::UserError => "odoo.exceptions.UserError",
            Kind::ValidationError => "odoo.exceptions.ValidationError",
            Kind::MissingError => "odoo.exceptions.MissingError",
            Kind::AttributeError => "builtins.AttributeError",
            Kind::ValueError => "builtins.ValueError",
            Kind::KeyError => "builtins.KeyError",
            Kind::TypeError => "builtins.TypeError",
            Kind::IndexError => "builtins.IndexError",
            Kind::BinasciiError => "binascii.Error",
            Kind::OperationalError => "psycopg2.OperationalError",
            Kind::SessionExpired => "odoo.http.SessionExpiredException",
            Kind::NotFound => "werkzeug.exceptions.NotFound",
            Kind::Unauthorized => "werkzeug.exceptions.Unauthorized",
            Kind::UnprocessableEntity => "werkzeug.exceptions.UnprocessableEntity",
            Kind::BadRequest => "werkzeug.exceptions.BadRequest",
        }
    }

    /// werkzeug exceptions carry their HTTP status (also in `arguments`).
    fn werkzeug_status(self) -> Option<StatusCode> {
        match self {
            Kind::NotFound => Some(StatusCode::NOT_FOUND),
            Kind::Unauthorized => Some(StatusCode::UNAUTHORIZED),
            Kind::UnprocessableEntity => Some(StatusCode::UNPROCESSABLE_ENTITY),
            Kind::BadRequest => Some(StatusCode::BAD_REQUEST),
            _ => None,
        }
    }

    /// The status the JSON-2 controller answers with.
    fn json2_status(self) -> StatusCode {
        if let Some(status) = self.werkzeug_status() {
            return status;
        }
        match self {
            Kind::AccessError | Kind::AccessDenied => StatusCode::FORBIDDEN,
            Kind::MissingError => StatusCode::NOT_FOUND,
            Kind::UserError | Kind::ValidationError => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The last line of a Python traceback names builtins without their module.
    fn traceback_name(self) -> &'static str {
        let name = self.python_name();
        name.strip_prefix("builtins.").unwrap_or(name)
    }
}

/// An Odoo exception: what a real server would raise for the same request.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Fault {
    pub kind: Kind,
    pub message: String,
}

impl Fault {
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Self {
        Fault {
            kind,
            message: message.into(),
        }
    }
    pub(crate) fn access_denied() -> Self {
        Fault::new(Kind::AccessDenied, "Access Denied")
    }
    pub(crate) fn access_error(message: impl Into<String>) -> Self {
        Fault::new(Kind::AccessError, message)
    }
    pub(crate) fn user_error(message: impl Into<String>) -> Self {
        Fault::new(Kind::UserError, message)
    }
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Fault::new(Kind::ValidationError, message)
    }
    pub(crate) fn value_error(message: impl Into<String>) -> Self {
        Fault::new(Kind::ValueError, message)
    }
    pub(crate) fn type_error(message: impl Into<String>) -> Self {
        Fault::new(Kind::TypeError, message)
    }
    pub(crate) fn missing(model: &str, ids: &[i64], uid: i64) -> Self {
        Fault::new(
            Kind::MissingError,
            format!(
                "Record does not exist or has been deleted.\n(Record: {model}{}, User: {uid})",
                python_tuple(ids)
            ),
        )
    }
    pub(crate) fn no_such_method(model: &str, method: &str) -> Self {
        Fault::new(
            Kind::AttributeError,
            format!("The method '{model}.{method}' does not exist"),
        )
    }
    pub(crate) fn private_method(model: &str, method: &str) -> Self {
        Fault::access_error(format!(
            "Private methods (such as '{model}.{method}') cannot be called remotely."
        ))
    }

    /// `arguments`: the exception's args; werkzeug exceptions add their status code.
    fn arguments(&self) -> Value {
        match self.kind.werkzeug_status() {
            Some(status) => serde_json::json!([self.message, status.as_u16()]),
            None => serde_json::json!([self.message]),
        }
    }

    /// A short traceback-like text, shaped like the samples' (trimmed) ones; never anything secret.
    pub(crate) fn debug(&self, version: OdooVersion) -> String {
        if version == OdooVersion::V19 && self.kind == Kind::AccessDenied {
            return "odoo.exceptions.AccessDenied: Access Denied\n".to_owned();
        }
        let (root, first) = match version {
            OdooVersion::V18 => ("/opt/odoo18", "line 2166, in _transactioning"),
            OdooVersion::V19 => ("/opt/odoo19", "line 2273, in _serve_db"),
        };
        let last = match self.kind {
            Kind::KeyError => format!("KeyError: {}", python_str(&self.message)),
            Kind::NotFound => format!(
                "{}: 404 Not Found: {}",
                self.kind.python_name(),
                self.message
            ),
            Kind::Unauthorized => {
                format!(
                    "{}: 401 Unauthorized: {}",
                    self.kind.python_name(),
                    self.message
                )
            }
            Kind::UnprocessableEntity => format!(
                "{}: 422 Unprocessable Entity: {}",
                self.kind.python_name(),
                self.message
            ),
            _ => format!("{}: {}", self.kind.traceback_name(), self.message),
        };
        format!(
            "Traceback (most recent call last):\n  File \"{root}/odoo/http.py\", {first}\n  ... (simulated) ...\n{last}"
        )
    }

    /// The JSON-RPC error envelope: always HTTP 200; `error.data` keys in the version's order.
    pub(crate) fn to_jsonrpc(&self, version: OdooVersion, id: &Value) -> Response {
        let debug = self.debug(version);
        let arguments = self.arguments();
        let context = serde_json::Map::new();
        // Session errors are answered before the request id is read.
        let (code, message, id) = match (self.kind, version) {
            (Kind::SessionExpired, _) => (100, "Odoo Session Expired", &Value::Null),
            (_, OdooVersion::V18) => (200, "Odoo Server Error", id),
            (_, OdooVersion::V19) => (0, "Odoo Server Error", id),
        };
        let body = match version {
            OdooVersion::V18 => serialize(&ErrorEnvelope {
                jsonrpc: "2.0",
                id,
                error: ErrorBody {
                    code,
                    message,
                    data: Data18 {
                        name: self.kind.python_name(),
                        debug: &debug,
                        message: &self.message,
                        arguments: &arguments,
                        context: &context,
                    },
                },
            }),
            OdooVersion::V19 => serialize(&ErrorEnvelope {
                jsonrpc: "2.0",
                id,
                error: ErrorBody {
                    code,
                    message,
                    data: Data19 {
                        name: self.kind.python_name(),
                        message: &self.message,
                        arguments: &arguments,
                        context: &context,
                        debug: &debug,
                    },
                },
            }),
        };
        json_response(StatusCode::OK, body)
    }

    /// The JSON-2 error: a bare object with a real HTTP status.
    pub(crate) fn to_json2(&self) -> Response {
        let debug = self.debug(OdooVersion::V19);
        let arguments = self.arguments();
        let context = serde_json::Map::new();
        let body = serialize(&Data19 {
            name: self.kind.python_name(),
            message: &self.message,
            arguments: &arguments,
            context: &context,
            debug: &debug,
        });
        let mut response = json_response(self.kind.json2_status(), body);
        if self.kind == Kind::Unauthorized {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer "),
            );
        }
        response
    }
}

// Structs, not maps: serde_json sorts map keys, but keeps struct field order.
#[derive(Serialize)]
struct ErrorEnvelope<'a, D> {
    jsonrpc: &'static str,
    id: &'a Value,
    error: ErrorBody<D>,
}

#[derive(Serialize)]
struct ErrorBody<D> {
    code: i64,
    message: &'static str,
    data: D,
}

#[derive(Serialize)]
struct Data18<'a> {
    name: &'static str,
    debug: &'a str,
    message: &'a str,
    arguments: &'a Value,
    context: &'a serde_json::Map<String, Value>,
}

#[derive(Serialize)]
struct Data19<'a> {
    name: &'static str,
    message: &'a str,
    arguments: &'a Value,
    context: &'a serde_json::Map<String, Value>,
    debug: &'a str,
}

#[derive(Serialize)]
struct ResultEnvelope<'a> {
    jsonrpc: &'static str,
    id: &'a Value,
    #[serde(skip_serializing_if = "is_none")]
    result: &'a Value,
}

/// Python's `None`: Odoo leaves `result` out of the envelope (`action_archive` and every other method
/// returning nothing).
fn is_none(value: &&Value) -> bool {
    value.is_null()
}

/// The JSON-RPC success envelope.
pub(crate) fn jsonrpc_result(id: &Value, result: &Value) -> Response {
    let body = serialize(&ResultEnvelope {
        jsonrpc: "2.0",
        id,
        result,
    });
    json_response(StatusCode::OK, body)
}

pub(crate) fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

fn serialize<T: Serialize>(value: &T) -> String {
    // Serialising plain structs of strings and `Value`s cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// Python's repr of a tuple of ids: `(42,)` or `(42, 43)`.
pub(crate) fn python_tuple(ids: &[i64]) -> String {
    match ids {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            ids.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Python's repr of a str.
pub(crate) fn python_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's repr of a JSON value as Odoo would have received it (lists print as lists).
pub(crate) fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => python_str(s),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(python_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", python_str(k), python_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn jsonrpc_18_orders_data_keys_name_debug_message_arguments_context() {
        let fault = Fault::access_denied();
        let body = body_of(fault.to_jsonrpc(OdooVersion::V18, &serde_json::json!(7))).await;
        assert!(body.starts_with(r#"{"jsonrpc":"2.0","id":7,"error":{"code":200,"message":"Odoo Server Error","data":{"name":"odoo.exceptions.AccessDenied","debug":"#));
        assert!(body.ends_with(
            r#""message":"Access Denied","arguments":["Access Denied"],"context":{}}}}"#
        ));
    }

    #[tokio::test]
    async fn jsonrpc_19_puts_debug_last_and_code_zero() {
        let fault = Fault::access_denied();
        let body = body_of(fault.to_jsonrpc(OdooVersion::V19, &serde_json::json!("x"))).await;
        assert_eq!(
            body,
            r#"{"jsonrpc":"2.0","id":"x","error":{"code":0,"message":"Odoo Server Error","data":{"name":"odoo.exceptions.AccessDenied","message":"Access Denied","arguments":["Access Denied"],"context":{},"debug":"odoo.exceptions.AccessDenied: Access Denied\n"}}}"#
        );
    }

    #[tokio::test]
    async fn session_expired_drops_the_request_id() {
        let fault = Fault::new(Kind::SessionExpired, "Session expired");
        let body = body_of(fault.to_jsonrpc(OdooVersion::V18, &serde_json::json!(28))).await;
        assert!(body.starts_with(r#"{"jsonrpc":"2.0","id":null,"error":{"code":100,"#));
    }

    #[test]
    fn json2_statuses_follow_the_controller() {
        assert_eq!(Fault::access_error("x").to_json2().status(), 403);
        assert_eq!(Fault::validation("x").to_json2().status(), 422);
        assert_eq!(Fault::type_error("x").to_json2().status(), 500);
        let unauthorized = Fault::new(Kind::Unauthorized, "Invalid apikey").to_json2();
        assert_eq!(unauthorized.status(), 401);
        assert_eq!(unauthorized.headers()[header::WWW_AUTHENTICATE], "Bearer ");
    }

    #[test]
    fn python_reprs_match_python() {
        assert_eq!(python_tuple(&[42]), "(42,)");
        assert_eq!(python_tuple(&[42, 43]), "(42, 43)");
        let leaf = serde_json::json!(["no_such_field", "=", 1]);
        assert_eq!(python_repr(&leaf), "['no_such_field', '=', 1]");
        assert_eq!(python_str("it's"), "\"it's\"");
    }
}
