//! The JSON-2 surface of Odoo 19 (`POST /json/2/<model>/<method>`): bearer API keys, named arguments, bare results.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::fault::{Fault, Kind, json_response};
use super::methods::{self, Protocol};
use super::{OdooVersion, Simulator, not_found};

pub(crate) async fn handle(
    State(sim): State<Simulator>,
    Path((model, method)): Path<(String, String)>,
    http_method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Odoo 18 has no `rpc` addon: the route does not exist.
    if sim.version() == OdooVersion::V18 {
        return not_found().await.into_response();
    }
    sim.count_call();
    match serve(&sim, &model, &method, &http_method, &headers, &body) {
        Ok(result) => {
            let body = serde_json::to_string(&result).unwrap_or_else(|_| "null".to_owned());
            json_response(StatusCode::OK, body)
        }
        Err(fault) => fault.to_json2(),
    }
}

fn serve(
    sim: &Simulator,
    model: &str,
    method: &str,
    http_method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, Fault> {
    if http_method != Method::POST {
        return Err(Fault::new(
            Kind::NotFound,
            "Did you mean POST /json/2/<model>/<method>?",
        ));
    }
    let uid = authenticate(sim, headers)?;
    let database = headers.get("x-odoo-database").and_then(|v| v.to_str().ok());
    if database.is_some_and(|name| name != sim.database()) {
        return Err(Fault::new(Kind::NotFound, "Database not found."));
    }
    let arguments = parse_body(body)?;
    sim.execute(uid, model, method, Protocol::Json2, |version| {
        methods::bind_json2(model, method, version, arguments)
    })
}

/// `Authorization: bearer <api key>`; passwords are not accepted here.
fn authenticate(sim: &Simulator, headers: &HeaderMap) -> Result<i64, Fault> {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let Some(header) = header else {
        return Err(Fault::new(
            Kind::Unauthorized,
            "User not authenticated, use an API Key with a Bearer Authorization header.",
        ));
    };
    let key = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim());
    key.and_then(|key| sim.api_key_user(key))
        .ok_or_else(|| Fault::new(Kind::Unauthorized, "Invalid apikey"))
}

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, Fault> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(arguments)) => Ok(arguments),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(_) => Err(Fault::new(
            Kind::BadRequest,
            "The request body must be a JSON object of named arguments.",
        )),
        Err(_) => Err(Fault::new(Kind::BadRequest, "Invalid JSON data")),
    }
}
