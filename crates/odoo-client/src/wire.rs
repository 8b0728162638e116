//! Odoo's two wire formats as pure functions: request bodies we send, and answers turned into
//! `Result<Value, Error>`. No I/O here; `client.rs` moves the bytes.
//!
//! JSON-RPC (`/jsonrpc`) answers HTTP 200 with either `result` or an `error` envelope whose
//! `data.name` is the Python exception class. JSON-2 (`/json/2/<model>/<method>`) answers the bare
//! result, or a bare `{name, message, arguments, context, debug}` object with a real HTTP status.
//! `debug` is a server traceback: it is never read into any message.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};

use super::error::{Error, ErrorKind, classify_json2, classify_jsonrpc, database_error};
use super::types::{Call, ServerVersion};

/// How much of an unexpected body goes into an error message.
const SNIPPET_CHARS: usize = 200;

/// A JSON-RPC 2.0 `call` to one of Odoo's services (`common`, `object`).
pub(crate) fn jsonrpc_request(id: u64, service: &str, method: &str, args: Vec<Value>) -> Value {
    json!({
        "jsonrpc": "2.0",
        "method": "call",
        "params": { "service": service, "method": method, "args": args },
        "id": id,
    })
}

/// Parameters the gateway names as Odoo 19's JSON-2 does, but sends over JSON-RPC by position:
/// `call_kw`'s `create` special case reads `args[0]` ("tuple index out of range" when it is
/// named), and `default_get`'s parameter is `fields_list` before 19 (`fields` from 19, and
/// models such as `res.partner` rename it in their overrides).
const POSITIONAL_ONLY: &[(&str, &str)] = &[("create", "vals_list"), ("default_get", "fields")];

/// `object.execute_kw(db, uid, secret, model, method, args, kwargs)`. The ids, when given, are
/// the first positional argument, then any parameter Odoo only takes by position; everything
/// else goes by name.
pub(crate) fn execute_kw_args(
    database: &str,
    uid: i64,
    secret: &SecretString,
    call: &Call,
) -> Vec<Value> {
    let mut kwargs = call.kwargs.clone();
    let mut args: Vec<Value> = call.ids.iter().map(|ids| json!(ids)).collect();
    args.extend(
        POSITIONAL_ONLY
            .iter()
            .filter(|(method, _)| *method == call.method)
            .filter_map(|(_, name)| kwargs.remove(*name)),
    );
    vec![
        json!(database),
        json!(uid),
        json!(secret.expose_secret()),
        json!(call.model),
        json!(call.method),
        Value::Array(args),
        Value::Object(kwargs),
    ]
}

/// The JSON-2 body: the named arguments, plus `ids` when the call has them (they win over an
/// `ids` key in `kwargs`, so the recordset is always the one the gateway checked).
pub(crate) fn json2_body(call: &Call) -> Value {
    let mut body = call.kwargs.clone();
    if let Some(ids) = &call.ids {
        body.insert("ids".into(), json!(ids));
    }
    Value::Object(body)
}

/// Turns a `/jsonrpc` answer into its `result` or a classified error.
pub(crate) fn parse_jsonrpc(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Value, Error> {
    let Ok(Value::Object(mut envelope)) = serde_json::from_slice::<Value>(body) else {
        return Err(unexpected(status, content_type, body));
    };
    // Odoo sends errors with HTTP 200; accept the envelope whatever the status says.
    if let Some(error) = envelope.remove("error") {
        return Err(jsonrpc_error(&error));
    }
    if !(200..300).contains(&status) || envelope.get("jsonrpc") != Some(&json!("2.0")) {
        return Err(unexpected(status, content_type, body));
    }
    // Odoo leaves `result` out when the method returned `None` (`action_archive` …): that is a
    // success with no value, not a malformed answer.
    Ok(envelope.remove("result").unwrap_or(Value::Null))
}

/// `error: {code, message, data: {name, message, arguments, context, debug}}` → `Error::Odoo`.
fn jsonrpc_error(error: &Value) -> Error {
    let data = error.get("data");
    let name = data
        .and_then(|d| d.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let message = data
        .and_then(|d| d.get("message"))
        .and_then(Value::as_str)
        .filter(|m| !m.trim().is_empty())
        .or_else(|| error.get("message").and_then(Value::as_str))
        .unwrap_or("Odoo Server Error");
    match database_error(name, message) {
        Some((kind, message)) => Error::odoo(kind, message),
        None => Error::odoo(classify_jsonrpc(name, message), message),
    }
}

/// Turns a `/json/2` answer into the bare result or a classified error.
pub(crate) fn parse_json2(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Value, Error> {
    let parsed = serde_json::from_slice::<Value>(body);
    if (200..300).contains(&status) {
        return parsed.map_err(|_| unexpected(status, content_type, body));
    }
    let error = parsed.ok();
    let field = |key: &str| {
        error
            .as_ref()
            .and_then(|e| e.get(key))
            .and_then(Value::as_str)
    };
    match (field("name"), field("message")) {
        (Some(name), Some(message)) => {
            Err(Error::odoo(classify_json2(status, name, message), message))
        }
        _ => Err(unexpected(status, content_type, body)),
    }
}

/// `common.version` → major/minor/serie. `server_version_info[0]` is an int on stable
/// releases and `"saas~18"` on Odoo Online's intermediate releases.
pub(crate) fn parse_version(result: &Value) -> Result<ServerVersion, Error> {
    let info = result.get("server_version_info").and_then(Value::as_array);
    let part = |i: usize| -> Option<u32> {
        match info?.get(i)? {
            Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            Value::String(s) => s.trim_start_matches("saas~").parse().ok(),
            _ => None,
        }
    };
    let (Some(major), minor) = (part(0), part(1).unwrap_or(0)) else {
        return Err(Error::Protocol(
            "common.version has no usable server_version_info".into(),
        ));
    };
    let serie = result
        .get("server_serie")
        .and_then(Value::as_str)
        .map_or_else(|| format!("{major}.{minor}"), str::to_owned);
    Ok(ServerVersion {
        major,
        minor,
        serie,
    })
}

/// `common.authenticate` → `Some(uid)`, or `None` for Odoo's `false` (wrong login or secret).
pub(crate) fn parse_uid(result: &Value) -> Result<Option<i64>, Error> {
    match result {
        Value::Bool(false) => Ok(None),
        Value::Number(n) if n.as_i64().is_some_and(|uid| uid > 0) => Ok(n.as_i64()),
        _ => Err(Error::Protocol(
            "common.authenticate answered neither a uid nor false".into(),
        )),
    }
}

/// `res.users.read([uid], ['name'])` → the name (`[{"id": 2, "name": "…"}]`).
pub(crate) fn parse_user_name(result: &Value) -> Result<String, Error> {
    match result
        .get(0)
        .and_then(|row| row.get("name"))
        .and_then(Value::as_str)
    {
        Some(name) => Ok(name.to_owned()),
        None => Err(Error::odoo(
            ErrorKind::MissingError,
            "The user record could not be read",
        )),
    }
}

/// A `Protocol` error describing a non-Odoo answer briefly, without dumping the body.
pub(crate) fn unexpected(status: u16, content_type: Option<&str>, body: &[u8]) -> Error {
    let status = match http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    };
    let content_type = content_type.unwrap_or("no content type");
    Error::Protocol(format!(
        "HTTP {status} ({content_type}): {}",
        describe_body(body)
    ))
}

/// "an empty body", "an HTML page titled '502 Bad Gateway'", or the first characters quoted.
fn describe_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "an empty body".into();
    }
    if text.starts_with('<') {
        let lower = text.to_ascii_lowercase();
        let title = lower
            .find("<title>")
            .map(|start| start + "<title>".len())
            .and_then(|start| {
                lower[start..]
                    .find("</title>")
                    .map(|len| &text[start..start + len])
            });
        return match title {
            Some(title) => format!("an HTML page titled '{}'", snippet(title)),
            None => "an HTML page".into(),
        };
    }
    format!("'{}'", snippet(text))
}

/// Whitespace collapsed, at most `SNIPPET_CHARS` characters.
fn snippet(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match collapsed.char_indices().nth(SNIPPET_CHARS) {
        Some((cut, _)) => format!("{}…", &collapsed[..cut]),
        None => collapsed,
    }
}

/// Named arguments for reading one user's display name.
pub(crate) fn user_name_call(uid: i64) -> Call {
    Call {
        model: "res.users".into(),
        method: "read".into(),
        ids: Some(vec![uid]),
        kwargs: Map::new(),
    }
    .arg("fields", json!(["name"]))
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
