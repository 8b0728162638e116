//! The JSON-RPC surface: `/jsonrpc` (services common, object, db), web sessions and `call_kw`, version info.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::fault::{Fault, Kind, jsonrpc_result, python_repr};
use super::methods::{self, Protocol};
use super::{OdooVersion, Simulator};

/// A parsed JSON-RPC request: its id (echoed back) and params.
struct Request {
    id: Value,
    params: Map<String, Value>,
}

impl Request {
    /// A text parameter, empty when absent or not text (Odoo then fails on the empty name).
    fn text(&self, key: &str) -> String {
        self.params
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }
}

/// A body that is not JSON: werkzeug answers 400 with a text body, not a JSON-RPC error.
struct InvalidJson;

impl IntoResponse for InvalidJson {
    fn into_response(self) -> Response {
        let content_type = [(header::CONTENT_TYPE, "text/html; charset=utf-8")];
        (StatusCode::BAD_REQUEST, content_type, "Invalid JSON data").into_response()
    }
}

fn parse(body: &[u8]) -> Result<Request, InvalidJson> {
    let invalid = || InvalidJson;
    let value: Value = serde_json::from_slice(body).map_err(|_| invalid())?;
    let Value::Object(mut request) = value else {
        return Err(invalid());
    };
    let id = request.remove("id").unwrap_or(Value::Null);
    let params = match request.remove("params") {
        Some(Value::Object(params)) => params,
        _ => Map::new(),
    };
    Ok(Request { id, params })
}

fn reply(sim: &Simulator, id: &Value, outcome: Result<Value, Fault>) -> Response {
    match outcome {
        Ok(result) => jsonrpc_result(id, &result),
        Err(fault) => fault.to_jsonrpc(sim.version(), id),
    }
}

pub(crate) async fn handle(State(sim): State<Simulator>, body: Bytes) -> Response {
    sim.count_call();
    let request = match parse(&body) {
        Ok(request) => request,
        Err(invalid) => return invalid.into_response(),
    };
    let service = request
        .params
        .get("service")
        .cloned()
        .unwrap_or(Value::Null);
    let method = request.text("method");
    let args = match request.params.get("args") {
        Some(Value::Array(args)) => args.clone(),
        None | Some(Value::Null) => vec![],
        Some(other) => {
            let fault = Fault::type_error(format!(
                "dispatch() argument after * must be an iterable, not {}",
                python_repr(other)
            ));
            return fault.to_jsonrpc(sim.version(), &request.id);
        }
    };
    let outcome = match service.as_str() {
        Some("common") => common(&sim, &method, &args),
        Some("object") => object(&sim, &method, &args),
        Some("db") => db_service(&sim, &method),
        _ => {
            let name = service
                .as_str()
                .map_or_else(|| python_repr(&service), str::to_owned);
            Err(Fault::new(Kind::KeyError, name))
        }
    };
    reply(&sim, &request.id, outcome)
}

fn str_arg(args: &[Value], index: usize) -> &str {
    args.get(index).and_then(Value::as_str).unwrap_or_default()
}

fn arity(function: &str, args: &[Value], expected: usize) -> Result<(), Fault> {
    if args.len() == expected {
        return Ok(());
    }
    Err(Fault::type_error(format!(
        "{function}() takes {expected} positional arguments but {} were given",
        args.len()
    )))
}

pub(super) fn common(sim: &Simulator, method: &str, args: &[Value]) -> Result<Value, Fault> {
    match method {
        "version" => Ok(sim.version_info()),
        "about" => Ok(json!("See http://openerp.com")),
        "login" | "authenticate" => {
            let function = format!("exp_{method}");
            arity(&function, args, if method == "login" { 3 } else { 4 })?;
            if str_arg(args, 0) != sim.database() {
                return Err(unknown_database(str_arg(args, 0)));
            }
            Ok(sim
                .login(str_arg(args, 1), str_arg(args, 2))
                .map_or(json!(false), |uid| json!(uid)))
        }
        _ => Err(Fault::new(
            Kind::AttributeError,
            format!("module 'odoo.service.common' has no attribute 'exp_{method}'"),
        )),
    }
}

fn unknown_database(name: &str) -> Fault {
    Fault::new(
        Kind::OperationalError,
        format!(
            "connection to server on socket \"/var/run/postgresql/.s.PGSQL.5432\" failed: FATAL:  database \"{name}\" does not exist\n"
        ),
    )
}

pub(super) fn db_service(sim: &Simulator, method: &str) -> Result<Value, Fault> {
    match method {
        "list" => Ok(json!([sim.database()])),
        "server_version" => Ok(sim.version_info()["server_version"].clone()),
        _ => Err(Fault::new(
            Kind::AttributeError,
            format!("module 'odoo.service.db' has no attribute 'exp_{method}'"),
        )),
    }
}

/// `object.execute_kw(db, uid, password, model, method, args, kwargs=None)` and `execute(…, *args)`.
pub(super) fn object(sim: &Simulator, method: &str, args: &[Value]) -> Result<Value, Fault> {
    if method != "execute_kw" && method != "execute" {
        return Err(Fault::new(
            Kind::AttributeError,
            format!("module 'odoo.service.model' has no attribute 'exp_{method}'"),
        ));
    }
    if args.len() < 5 || (method == "execute_kw" && !(6..=7).contains(&args.len())) {
        return Err(Fault::type_error(format!(
            "execute_kw() takes from 6 to 7 positional arguments but {} were given",
            args.len()
        )));
    }
    let uid = args[1].as_i64().unwrap_or(0);
    sim.check_credentials(str_arg(args, 0), uid, str_arg(args, 2))?;
    let model = str_arg(args, 3).to_owned();
    let model_method = str_arg(args, 4).to_owned();
    let (positional, kwargs) = if method == "execute" {
        (args[5..].to_vec(), Map::new())
    } else {
        let positional = match &args[5] {
            Value::Array(items) => items.clone(),
            other => {
                return Err(Fault::type_error(format!(
                    "argument after * must be an iterable, not {}",
                    python_repr(other)
                )));
            }
        };
        let kwargs = match args.get(6) {
            Some(Value::Object(kwargs)) => kwargs.clone(),
            None | Some(Value::Null) => Map::new(),
            Some(other) => {
                return Err(Fault::type_error(format!(
                    "argument after ** must be a mapping, not {}",
                    python_repr(other)
                )));
            }
        };
        (positional, kwargs)
    };
    sim.execute(uid, &model, &model_method, Protocol::JsonRpc, |version| {
        methods::bind_jsonrpc(&model, &model_method, version, &positional, kwargs)
    })
}

/// `/web/webclient/version_info`: the same payload as `common.version`.
pub(crate) async fn version_info(State(sim): State<Simulator>, body: Bytes) -> Response {
    sim.count_call();
    let id = parse(&body).map(|r| r.id).unwrap_or(Value::Null);
    jsonrpc_result(&id, &sim.version_info())
}

/// `/web/session/authenticate`: a session cookie and the session info.
pub(crate) async fn session_authenticate(State(sim): State<Simulator>, body: Bytes) -> Response {
    sim.count_call();
    let request = match parse(&body) {
        Ok(request) => request,
        Err(invalid) => return invalid.into_response(),
    };
    let uid = match (
        request.text("db") == sim.database(),
        sim.web_login(&request.text("login"), &request.text("password")),
    ) {
        (true, Some(uid)) => uid,
        _ => return Fault::access_denied().to_jsonrpc(sim.version(), &request.id),
    };
    let session = new_session_id();
    sim.sessions().insert(session.clone(), uid);
    let mut response = jsonrpc_result(&request.id, &session_info(&sim, uid));
    set_session_cookie(&mut response, &session);
    response
}

fn new_session_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn set_session_cookie(response: &mut Response, session: &str) {
    let cookie = format!("session_id={session}; Max-Age=604800; HttpOnly; Path=/");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
}

/// `/web/session/destroy`: signs the session out. Real Odoo 18 and 19 answer
/// `{"jsonrpc": "2.0", "id": …}` (no `result`) with the cookie of a new, anonymous session, and
/// without a signed-in session the JSON-RPC SessionExpired error (code 100) — corpus
/// `session.destroy.no_session`.
pub(crate) async fn session_destroy(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sim.count_call();
    let id = parse(&body).map(|r| r.id).unwrap_or(Value::Null);
    let Some(session) = session_cookie(&headers) else {
        return session_expired(&sim, &id);
    };
    if sim.sessions().remove(session).is_none() {
        return session_expired(&sim, &id);
    }
    let mut response = jsonrpc_result(&id, &Value::Null);
    set_session_cookie(&mut response, &new_session_id());
    response
}

fn session_expired(sim: &Simulator, id: &Value) -> Response {
    Fault::new(Kind::SessionExpired, "Session expired").to_jsonrpc(sim.version(), id)
}

fn session_info(sim: &Simulator, uid: i64) -> Value {
    let db = sim.db();
    let groups = db.user_groups(uid);
    let admin = groups.contains(&super::access::Group::Settings);
    let internal = groups.contains(&super::access::Group::Internal);
    let partner = db.user_partner(uid);
    let major = sim.version().major();
    json!({
        "uid": uid,
        "is_system": admin,
        "is_admin": admin,
        "is_public": false,
        "is_internal_user": internal,
        "user_context": {"lang": "en_US", "tz": "Europe/Brussels", "uid": uid},
        "db": sim.database(),
        "server_version": format!("{major}.0"),
        "server_version_info": [major, 0, 0, "final", 0, ""],
        "support_url": "https://www.odoo.com/buy",
        "name": db.display_name("res.users", uid),
        "username": db.row("res.users", uid).and_then(|u| u.get("login")).cloned().unwrap_or(Value::Bool(false)),
        "partner_id": partner,
        "partner_display_name": db.display_name("res.partner", partner),
        "user_companies": {
            "current_company": 1,
            "allowed_companies": {"1": {"id": 1, "name": "YourCompany", "sequence": 0, "child_ids": [], "parent_id": false}},
            "disallowed_ancestor_companies": {},
        },
    })
}

fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix("session_id="))
}

/// The user signed in with the request's `session_id` cookie.
pub(crate) fn session_uid(sim: &Simulator, headers: &HeaderMap) -> Option<i64> {
    sim.sessions().get(session_cookie(headers)?).copied()
}

/// `/web/dataset/call_kw[/<model>/<method>]` and `call_button`, with a session cookie.
pub(crate) async fn call_kw(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sim.count_call();
    let request = match parse(&body) {
        Ok(request) => request,
        Err(invalid) => return invalid.into_response(),
    };
    let Some(uid) = session_uid(&sim, &headers) else {
        return session_expired(&sim, &request.id);
    };
    let model = request.text("model");
    let method = request.text("method");
    let args = request
        .params
        .get("args")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let kwargs = request
        .params
        .get("kwargs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(outcome) = super::wizard::call(&sim, uid, &model, &method, &args, &kwargs) {
        return reply(&sim, &request.id, outcome);
    }
    let outcome = sim.execute(
        uid,
        &model,
        &method,
        Protocol::JsonRpc,
        |version: OdooVersion| methods::bind_jsonrpc(&model, &method, version, &args, kwargs),
    );
    reply(&sim, &request.id, outcome)
}
