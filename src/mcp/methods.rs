//! What a JSON-RPC request that rmcp could not route gets: rmcp hands a known method whose
//! `params` do not parse, and any unknown method, to the server as a "custom" request. The first
//! is `-32602` naming the bad parameter; the second is `-32601 Method not found: …`.

use rmcp::ErrorData;
use rmcp::model::{
    CallToolRequestParams, ErrorCode, InitializeRequestParams, PaginatedRequestParams,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Every request method of MCP (as rmcp models it) that a client may send a server.
const KNOWN: &[&str] = &[
    "ping",
    "initialize",
    "server/discover",
    "completion/complete",
    "logging/setLevel",
    "prompts/get",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
    "resources/directory/read",
    "subscriptions/listen",
    "tools/call",
    "tools/list",
    "tasks/get",
    "tasks/update",
    "tasks/cancel",
    "skills/list",
    "skills/get",
];

/// Why the gateway does not answer this request, as the JSON-RPC error to send.
pub(super) fn refuse(method: &str, params: Option<&Value>) -> ErrorData {
    let shown: String = method.chars().take(64).collect();
    if !KNOWN.contains(&method) {
        let message = format!("Method not found: {shown}");
        return ErrorData::new(ErrorCode::METHOD_NOT_FOUND, message, None);
    }
    let reason = match method {
        "initialize" => problem::<InitializeRequestParams>(params),
        "tools/call" => problem::<CallToolRequestParams>(params),
        "tools/list" => problem::<PaginatedRequestParams>(params),
        _ => None,
    };
    let message = match reason {
        Some(reason) => format!("Invalid params for {shown}: {reason}"),
        None => format!("Invalid params for {shown}."),
    };
    ErrorData::invalid_params(message, None)
}

/// The first thing wrong with `params` for `T`, with its path (`arguments: invalid type …`).
fn problem<T: DeserializeOwned>(params: Option<&Value>) -> Option<String> {
    let params = params.cloned().unwrap_or(Value::Object(Default::default()));
    serde_path_to_error::deserialize::<_, T>(params)
        .err()
        .map(|e| match e.path().to_string().as_str() {
            "." => e.inner().to_string(),
            path => format!("{path}: {}", e.inner()),
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_unknown_method_is_not_found_by_name() {
        let e = refuse("tools/explode", None);
        assert_eq!(e.code, ErrorCode::METHOD_NOT_FOUND);
        assert_eq!(e.message, "Method not found: tools/explode");
    }

    #[test]
    fn bad_params_of_a_known_method_name_the_parameter() {
        let e = refuse(
            "tools/call",
            Some(&json!({"name": "search_records", "arguments": "model=res.partner"})),
        );
        assert_eq!(e.code, ErrorCode::INVALID_PARAMS);
        assert!(
            e.message
                .starts_with("Invalid params for tools/call: arguments: invalid type: string"),
            "{}",
            e.message
        );
        let missing = refuse("tools/call", Some(&json!({})));
        assert!(
            missing.message.contains("missing field `name`"),
            "{}",
            missing.message
        );
        assert_eq!(
            refuse("prompts/get", None).message,
            "Invalid params for prompts/get."
        );
    }
}
