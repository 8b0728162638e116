//! `tools/list`, `ping` and `tools/call` answered in the guard, after governance, without
//! rmcp's per-request service. In stateless mode rmcp builds a server, a one-shot transport and
//! a task for every request, and the tool list (twelve schemas, ~15 KB) is rebuilt and
//! re-escaped each time: together several times the cost of everything else a `tools/list`
//! does. A `tools/call` runs the very function rmcp's handler runs ([`call::answer_call`]).
//!
//! rmcp stays the protocol. Only a request that rmcp would certainly accept, and answer with
//! these very bytes, takes this path ([`FastPath::answer`] says which); anything else — an
//! `Origin`, an unusual `Accept`, protocol version 2026-07-28 with its per-request metadata,
//! extra params — goes to rmcp, which accepts or refuses it as before. The bytes are rmcp's
//! own serialisation of its own types, made once at start-up (each set of listed tools once,
//! then sent without a copy); tests hold the two paths equal byte for byte.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use rmcp::model::{
    CallToolRequestParams, ListToolsResult, ProtocolVersion, RequestId, ServerJsonRpcMessage,
    ServerResult,
};
use serde_json::{Map, Value};

use super::call;
use crate::approvals::chat::Turn;
use crate::calls::Principal;
use crate::catalog::CATALOG;
use crate::connections::Connection;
use crate::locks::lock;
use crate::policy;
use crate::state::AppState;
use crate::web::audited::Note;
use crate::web::segments::Segments;

/// What the fast path needs, built once per server.
pub(super) struct FastPath {
    /// `Host` values rmcp accepts (its DNS-rebinding guard), parsed as rmcp parses them.
    hosts: Vec<Authority>,
    /// Each catalog tool's `tools/list` entry as rmcp serialises it for a pre-2026-07-28 peer,
    /// in catalog order.
    tools: Vec<Vec<u8>>,
    /// `{"tools":[…]}` for each set of listed tools asked for so far (a bit per catalog tool),
    /// sent without a copy: most of a `tools/list` is these ~76 KB.
    lists: Mutex<HashMap<u64, Bytes>>,
}

/// Tool lists kept at most: past it they are let go and made again (policies that list
/// different tools are few).
const KEPT_LISTS: usize = 256;

/// A host, lower-cased without IPv6 brackets, and its port when one is named.
#[derive(Debug, PartialEq, Eq)]
struct Authority {
    host: String,
    port: Option<u16>,
}

/// The methods answered here.
#[derive(Debug, Clone, PartialEq)]
enum Hot {
    ListTools,
    Ping,
    CallTool(CallToolRequestParams),
}

impl Hot {
    fn method(&self) -> &'static str {
        match self {
            Self::ListTools => "tools/list",
            Self::Ping => "ping",
            Self::CallTool(_) => "tools/call",
        }
    }
}

impl FastPath {
    pub(super) fn new(allowed_hosts: &[String]) -> Self {
        let tools = CATALOG
            .iter()
            .map(|spec| {
                let listed = for_legacy_peer(ServerResult::ListToolsResult(
                    ListToolsResult::with_all_items(vec![spec.to_mcp()]),
                ));
                let ServerResult::ListToolsResult(listed) = listed else {
                    unreachable!("built as a tool list")
                };
                serde_json::to_vec(&listed.tools[0]).expect("a tool serialises")
            })
            .collect();
        Self {
            hosts: allowed_hosts
                .iter()
                .filter_map(|h| allowed_authority(h))
                .collect(),
            tools,
            lists: Mutex::default(),
        }
    }

    /// The response to an admitted request, when it is a plain `tools/list`, `ping` or
    /// `tools/call` that rmcp would answer in exactly this way; `None` sends it on to rmcp.
    pub(super) async fn answer(
        &self,
        state: &AppState,
        parts: &Parts,
        body: Option<Value>,
        principal: &Principal,
        note: &Note,
    ) -> Option<Response> {
        let (hot, id) = hot_request(body?)?;
        if !self.headers_pass(parts) {
            return None;
        }
        state.metrics.fast_answer(hot.method());
        let body = match hot {
            Hot::Ping => message(&id, |out| out.extend_from_slice(b"{}")),
            Hot::ListTools => {
                let list = self.tool_list(listed(&principal.connection));
                let parts = [opening(&id).into(), list, Bytes::from_static(b"}")];
                return Some(json_response(Body::new(Segments::new(parts))));
            }
            Hot::CallTool(request) => {
                // Only versions before 2026-07-28 come here: their clients cannot be asked in
                // chat (and a retry with inputResponses has params this path leaves to rmcp).
                // Boxed: the tool call's state is most of the size of the guard's future, which
                // holds it whatever the method and is moved several times per request (axum
                // boxes it, the trace wrapper takes it by value). Callgrind counted 120 KB of
                // memcpy per `ping` for those moves; a pointer moves for free.
                let answered = Box::pin(call::answer_call(
                    state,
                    principal,
                    Some(note),
                    &Turn::none(),
                    request,
                ))
                .await;
                match answered {
                    // An object is what every peer before 2026-07-28 takes as structured content.
                    Ok(call::Answer::Structured(value)) if value.is_object() => {
                        message(&id, |out| structured_result(&value, out))
                    }
                    // rmcp's own message types and serialisation, as its handler sends them.
                    answered => {
                        let message = match answered.map(call::Answer::into_response) {
                            Ok(result) => ServerJsonRpcMessage::response(
                                for_legacy_peer(ServerResult::from(result)),
                                id,
                            ),
                            Err(error) => ServerJsonRpcMessage::error(error, Some(id)),
                        };
                        serde_json::to_vec(&message).expect("an MCP message serialises")
                    }
                }
            }
        };
        Some(json_response(Body::from(body)))
    }

    /// `{"tools":[…]}` with the catalog tools in `listed`, made once per set.
    fn tool_list(&self, listed: u64) -> Bytes {
        if let Some(list) = lock(&self.lists).get(&listed) {
            return list.clone();
        }
        let mut out = Vec::with_capacity(96 * 1024);
        out.extend_from_slice(br#"{"tools":["#);
        let chosen = self
            .tools
            .iter()
            .enumerate()
            .filter_map(|(i, tool)| (listed & (1 << i) != 0).then_some(tool));
        for (n, tool) in chosen.enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.extend_from_slice(tool);
        }
        out.extend_from_slice(b"]}");
        let list = Bytes::from(out);
        let mut lists = lock(&self.lists);
        if lists.len() >= KEPT_LISTS {
            lists.clear();
        }
        lists.insert(listed, list.clone());
        list
    }

    /// The transport checks rmcp makes before any method, where they certainly pass:
    /// an allowed `Host`, no `Origin` (browsers are left to rmcp's origin check), both media
    /// types in a plain `Accept`, and a protocol version that is absent (rmcp assumes
    /// 2025-03-26) or known and older than 2026-07-28, the first version with per-request
    /// metadata and header checks.
    fn headers_pass(&self, parts: &Parts) -> bool {
        let headers = &parts.headers;
        let host = match headers.get(header::HOST) {
            Some(value) => value
                .to_str()
                .ok()
                .and_then(|v| axum::http::uri::Authority::try_from(v).ok()),
            None => parts.uri.authority().cloned(),
        };
        let host_allowed = host.is_some_and(|authority| {
            let host = Authority::of(authority.host(), authority.port_u16());
            self.hosts.iter().any(|allowed| {
                allowed.host == host.host && allowed.port.is_none_or(|p| host.port == Some(p))
            })
        });
        host_allowed
            && !headers.contains_key(header::ORIGIN)
            && plain_accept_of_both(headers)
            && legacy_version(headers)
    }
}

impl Authority {
    fn of(host: &str, port: Option<u16>) -> Self {
        Self {
            host: host
                .trim_matches('[')
                .trim_matches(']')
                .to_ascii_lowercase(),
            port,
        }
    }
}

/// An allowed-host entry as rmcp reads it: an authority, else a bare host name.
fn allowed_authority(allowed: &str) -> Option<Authority> {
    let allowed = allowed.trim();
    if allowed.is_empty() {
        return None;
    }
    Some(match axum::http::uri::Authority::try_from(allowed) {
        Ok(authority) => Authority::of(authority.host(), authority.port_u16()),
        Err(_) => Authority::of(allowed, None),
    })
}

/// One `Accept` header listing both media types, without parameters or quotes (which rmcp
/// weighs: `q=0` refuses a type).
fn plain_accept_of_both(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(header::ACCEPT).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    if value.contains([';', '"']) {
        return false;
    }
    let has = |mime: &str| {
        value
            .split(',')
            .any(|t| t.trim().eq_ignore_ascii_case(mime))
    };
    has("application/json") && has("text/event-stream")
}

fn legacy_version(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all("mcp-protocol-version").iter();
    match (values.next(), values.next()) {
        (None, _) => true,
        (Some(value), None) => value.to_str().is_ok_and(|version| {
            version < ProtocolVersion::V_2026_07_28.as_str()
                && ProtocolVersion::KNOWN_VERSIONS
                    .iter()
                    .any(|known| known.as_str() == version)
        }),
        (Some(_), Some(_)) => false,
    }
}

/// The method and id of a request that is nothing but a `tools/list` (optionally with a
/// cursor, which the list ignores: it has one page), a `ping`, or a `tools/call` with a name
/// and arguments: no `_meta`, no other member.
fn hot_request(body: Value) -> Option<(Hot, RequestId)> {
    let Value::Object(mut message) = body else {
        return None;
    };
    if message
        .keys()
        .any(|k| !matches!(k.as_str(), "jsonrpc" | "id" | "method" | "params"))
    {
        return None;
    }
    // The guard checked `jsonrpc`; rmcp's request ids are strings or 64-bit signed integers.
    let id = match message.remove("id")? {
        Value::String(id) => RequestId::String(id.into()),
        Value::Number(id) => RequestId::Number(id.as_i64()?),
        _ => return None,
    };
    let params = match message.remove("params") {
        None => Map::new(),
        Some(Value::Object(params)) => params,
        Some(_) => return None,
    };
    let hot = match message.get("method")?.as_str()? {
        "tools/list" if params.iter().all(|(k, v)| k == "cursor" && v.is_string()) => {
            Hot::ListTools
        }
        "ping" if params.is_empty() => Hot::Ping,
        "tools/call" => Hot::CallTool(call_params(params)?),
        _ => return None,
    };
    Some((hot, id))
}

/// `{"name": …, "arguments": {…}}` and nothing else (rmcp reads and checks anything more).
fn call_params(mut params: Map<String, Value>) -> Option<CallToolRequestParams> {
    let Some(Value::String(name)) = params.remove("name") else {
        return None;
    };
    let arguments = match params.remove("arguments") {
        None => None,
        Some(Value::Object(arguments)) => Some(arguments),
        Some(_) => return None,
    };
    if !params.is_empty() {
        return None;
    }
    let request = CallToolRequestParams::new(name);
    Some(match arguments {
        Some(arguments) => request.with_arguments(arguments),
        None => request,
    })
}

/// What rmcp's handler does to every result for a peer before 2026-07-28.
fn for_legacy_peer(mut result: ServerResult) -> ServerResult {
    result.strip_result_type_for_legacy_peer();
    result.strip_non_object_output_for_legacy_peer();
    result
}

/// The catalog tools `connection` may call, a bit each in catalog order, as `tools/list`
/// filters them.
fn listed(connection: &Connection) -> u64 {
    CATALOG
        .iter()
        .enumerate()
        .filter(|(_, spec)| policy::listed(connection, spec))
        .fold(0, |bits, (i, _)| bits | 1 << i)
}

/// A JSON-RPC response as rmcp writes one: `jsonrpc`, `id`, `result`, in that order, with
/// `write_result` writing the result in place.
fn message(id: &RequestId, write_result: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = opening(id);
    write_result(&mut out);
    out.push(b'}');
    out
}

/// A response's bytes before its result.
fn opening(id: &RequestId) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
    serde_json::to_writer(&mut out, id).expect("a JSON value serialises");
    out.extend_from_slice(br#","result":"#);
    out
}

/// The tool result rmcp writes for `CallToolResult::structured(value)`: the value as JSON text in
/// one text block, the same bytes as the structured content, and `isError` false. Serialised
/// once: rmcp serialises it for the text, then again in the message, and escapes the text.
fn structured_result(value: &Value, out: &mut Vec<u8>) {
    let json = serde_json::to_string(value).expect("a JSON value serialises");
    out.reserve(2 * json.len() + 96);
    out.extend_from_slice(br#"{"content":[{"type":"text","text":"#);
    serde_json::to_writer(&mut *out, &json).expect("a string serialises");
    out.extend_from_slice(br#"}],"structuredContent":"#);
    out.extend_from_slice(json.as_bytes());
    out.extend_from_slice(br#","isError":false}"#);
}

fn json_response(body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::OK;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use rmcp::model::{
        CallToolResponse, CallToolResult, EmptyResult, NumberOrString, ServerJsonRpcMessage,
    };
    use serde_json::json;

    use super::*;

    /// rmcp's own bytes for a result sent to a pre-2026-07-28 peer.
    fn rmcp_bytes(id: NumberOrString, result: ServerResult) -> Vec<u8> {
        serde_json::to_vec(&ServerJsonRpcMessage::response(for_legacy_peer(result), id)).unwrap()
    }

    fn ids() -> Vec<NumberOrString> {
        vec![
            NumberOrString::Number(7),
            NumberOrString::Number(-3),
            NumberOrString::Number(i64::MAX),
            NumberOrString::String("a\"b\\c\u{1}é".into()),
        ]
    }

    /// The subsets checked: none, each tool alone, every pair (each separator), the whole
    /// catalog, and a few thousand more drawn by a fixed generator (all 2^n would be too many).
    fn tool_subsets(n: usize) -> Vec<u64> {
        let all = (1u64 << n) - 1;
        let mut masks = vec![0, all];
        for i in 0..n {
            for j in i..n {
                masks.push((1 << i) | (1 << j));
            }
        }
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..4096 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            masks.push((state >> 17) & all);
        }
        masks
    }

    #[test]
    fn tool_subsets_are_the_bytes_rmcp_writes() {
        let fast = FastPath::new(&[]);
        let n = CATALOG.len();
        assert!(n < 64, "a subset is a bit mask");
        for mask in tool_subsets(n) {
            let chosen: Vec<_> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
            let tools = chosen.iter().map(|i| CATALOG[*i].to_mcp()).collect();
            let id = ids().remove(mask as usize % 4);
            let mut sent = opening(&id);
            sent.extend_from_slice(&fast.tool_list(mask));
            sent.push(b'}');
            assert_eq!(
                String::from_utf8(sent).unwrap(),
                String::from_utf8(rmcp_bytes(
                    id,
                    ServerResult::ListToolsResult(ListToolsResult::with_all_items(tools))
                ))
                .unwrap(),
                "tool subset {mask:#b}"
            );
        }
        assert!(lock(&fast.lists).len() <= KEPT_LISTS);
    }

    #[test]
    fn a_structured_result_is_the_bytes_rmcp_writes() {
        let values = [
            json!({}),
            json!({"model": "res.partner", "count": 2, "offset": 0, "next_offset": null,
                   "records": [{"id": 7, "display_name": "Azure \"Interior\"\n\u{1}é😀"},
                               {"id": 8, "amount": 1.5e-7, "big": u64::MAX, "neg": -3,
                                "tags": [true, false, null, [], {}], "slash": "a/b\\c"}]}),
            json!({"status": "pending_approval", "approval_id": 3, "message": "\t<held>"}),
        ];
        for (id, value) in ids().into_iter().zip(values.iter().cycle()) {
            let result = CallToolResponse::Complete(CallToolResult::structured(value.clone()));
            assert_eq!(
                String::from_utf8(message(&id, |out| structured_result(value, out))).unwrap(),
                String::from_utf8(rmcp_bytes(id, ServerResult::from(result))).unwrap()
            );
        }
    }

    #[test]
    fn ping_is_the_bytes_rmcp_writes() {
        for id in ids() {
            assert_eq!(
                message(&id, |out| out.extend_from_slice(b"{}")),
                rmcp_bytes(id, ServerResult::EmptyResult(EmptyResult {}))
            );
        }
    }

    #[test]
    fn only_plain_hot_requests_are_taken() {
        let hot = |body: Value| hot_request(body).map(|(hot, _)| hot);
        assert_eq!(
            hot(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})),
            Some(Hot::ListTools)
        );
        assert_eq!(
            hot(
                json!({"jsonrpc": "2.0", "id": "x", "method": "tools/list", "params": {"cursor": "c"}})
            ),
            Some(Hot::ListTools)
        );
        assert_eq!(
            hot(json!({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {}})),
            Some(Hot::Ping)
        );
        let arguments = json!({"model": "res.partner"});
        assert_eq!(
            hot(
                json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "search_records", "arguments": arguments}})
            ),
            Some(Hot::CallTool(
                CallToolRequestParams::new("search_records")
                    .with_arguments(arguments.as_object().unwrap().clone())
            ))
        );
        assert_eq!(
            hot(
                json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "get_current_context"}})
            ),
            Some(Hot::CallTool(CallToolRequestParams::new(
                "get_current_context"
            )))
        );
        for sent in [
            json!({"jsonrpc": "2.0", "method": "ping"}),
            json!({"jsonrpc": "2.0", "id": u64::MAX, "method": "ping"}),
            json!({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"_meta": {}}}),
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"cursor": 3}}),
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": {}}}),
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "extra": true}),
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {}}),
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": 5}}),
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "x", "arguments": []}}),
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "x", "_meta": {}}}),
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "x", "task": {}}}),
            json!({"jsonrpc": "2.0", "id": 1.5, "method": "ping"}),
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}),
        ] {
            assert_eq!(hot(sent.clone()), None, "{sent}");
        }
    }

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut request = axum::http::Request::builder().method("POST").uri("/mcp");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn only_headers_rmcp_certainly_accepts_are_taken() {
        let fast = FastPath::new(&[
            "localhost".into(),
            "gw.example.com:8443".into(),
            "::1".into(),
        ]);
        let accept = ("accept", "application/json, text/event-stream");
        let pass = |headers: &[(&str, &str)]| fast.headers_pass(&parts(headers));
        assert!(pass(&[("host", "LOCALHOST:9000"), accept]));
        assert!(pass(&[("host", "[::1]:80"), accept]));
        assert!(pass(&[
            ("host", "gw.example.com:8443"),
            accept,
            ("mcp-protocol-version", "2025-06-18")
        ]));
        assert!(pass(&[
            ("host", "localhost"),
            ("accept", "text/event-stream,APPLICATION/JSON")
        ]));
        for refused in [
            vec![("host", "gw.example.com:443"), accept],
            vec![("host", "evil.example"), accept],
            vec![accept],
            vec![
                ("host", "localhost"),
                accept,
                ("origin", "http://localhost:1"),
            ],
            vec![("host", "localhost"), ("accept", "application/json")],
            vec![
                ("host", "localhost"),
                ("accept", "application/json;q=0, text/event-stream"),
            ],
            vec![
                ("host", "localhost"),
                accept,
                ("mcp-protocol-version", "2026-07-28"),
            ],
            vec![
                ("host", "localhost"),
                accept,
                ("mcp-protocol-version", "2030-01-01"),
            ],
            vec![
                ("host", "localhost"),
                accept,
                ("mcp-protocol-version", "1999"),
            ],
        ] {
            assert!(!pass(&refused), "{refused:?}");
        }
    }
}
