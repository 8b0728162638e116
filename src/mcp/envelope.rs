//! The JSON-RPC 2.0 envelope of an MCP message, checked before rmcp sees it, so that a malformed
//! message gets a 400 with a `-32600 Invalid Request` body that says what is wrong (rmcp would
//! answer 415 with plain text). What a method's `params` must hold is the MCP server's business.

use serde_json::{Map, Value};

/// Why a body is not one valid JSON-RPC 2.0 message as MCP uses it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum Invalid {
    #[error(
        "Invalid Request: batches are not supported; send one JSON-RPC message per HTTP request."
    )]
    Batch,
    #[error("Invalid Request: a JSON-RPC message is a JSON object.")]
    NotAnObject,
    #[error("Invalid Request: 'jsonrpc' must be \"2.0\".")]
    Version,
    #[error("Invalid Request: 'method' must be a string.")]
    Method,
    #[error("Invalid Request: 'id' must be a string or an integer (and not null).")]
    Id,
    #[error("Invalid Request: 'params' must be an object (MCP passes parameters by name).")]
    Params,
    #[error(
        "Invalid Request: a message needs a 'method' (a request or notification), or an 'id' \
         with either 'result' or 'error' (a response)."
    )]
    Shape,
}

/// Checks one parsed body.
pub(super) fn check(body: &Value) -> Result<(), Invalid> {
    let message = match body {
        Value::Object(message) => message,
        Value::Array(_) => return Err(Invalid::Batch),
        _ => return Err(Invalid::NotAnObject),
    };
    if message.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(Invalid::Version);
    }
    if let Some(id) = message.get("id")
        && !is_valid_id(id)
    {
        return Err(Invalid::Id);
    }
    match message.get("method") {
        Some(Value::String(_)) => params(message),
        Some(_) => Err(Invalid::Method),
        None => response(message),
    }
}

/// MCP: "a string or integer", never null.
fn is_valid_id(id: &Value) -> bool {
    match id {
        Value::String(_) => true,
        Value::Number(n) => n.is_i64() || n.is_u64(),
        _ => false,
    }
}

fn params(message: &Map<String, Value>) -> Result<(), Invalid> {
    match message.get("params") {
        None | Some(Value::Object(_)) => Ok(()),
        Some(_) => Err(Invalid::Params),
    }
}

fn response(message: &Map<String, Value>) -> Result<(), Invalid> {
    let answers = message.contains_key("result") != message.contains_key("error");
    if message.contains_key("id") && answers {
        Ok(())
    } else {
        Err(Invalid::Shape)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn requests_notifications_and_responses_pass() {
        for ok in [
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
            json!({"jsonrpc": "2.0", "id": "a", "method": "tools/call", "params": {"name": "x"}}),
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            json!({"jsonrpc": "2.0", "id": 7, "result": {}}),
            json!({"jsonrpc": "2.0", "id": 7, "error": {"code": 1, "message": "no"}}),
        ] {
            assert_eq!(check(&ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn each_malformed_envelope_is_named() {
        let cases = [
            (
                json!([{"jsonrpc": "2.0", "id": 1, "method": "ping"}]),
                Invalid::Batch,
            ),
            (json!("ping"), Invalid::NotAnObject),
            (
                json!({"jsonrpc": "1.0", "id": 1, "method": "ping"}),
                Invalid::Version,
            ),
            (json!({"id": 1, "method": "ping"}), Invalid::Version),
            (
                json!({"jsonrpc": "2.0", "id": {"a": 1}, "method": "ping"}),
                Invalid::Id,
            ),
            (
                json!({"jsonrpc": "2.0", "id": null, "method": "ping"}),
                Invalid::Id,
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1.5, "method": "ping"}),
                Invalid::Id,
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1, "method": 3}),
                Invalid::Method,
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": ["x"]}),
                Invalid::Params,
            ),
            (json!({"jsonrpc": "2.0", "id": 1}), Invalid::Shape),
            (
                json!({"jsonrpc": "2.0", "id": 1, "result": {}, "error": {}}),
                Invalid::Shape,
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(check(&body), Err(expected), "{body}");
        }
    }
}
