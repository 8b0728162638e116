//! HTTP-level tests: a tiny axum server on 127.0.0.1:0 answers with recorded Odoo bodies, and
//! records what the client sent (path, headers, body, peer address).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde_json::{Value, json};

use super::*;
use crate::samples::*;

const API_KEY: &str = "0123456789abcdef0123456789abcdef01234567";

struct Seen {
    path: String,
    headers: HeaderMap,
    body: Value,
    peer: SocketAddr,
}

impl Seen {
    /// `common.version`, `object.execute_kw` … for `/jsonrpc` requests.
    fn rpc(&self) -> String {
        let params = &self.body["params"];
        format!(
            "{}.{}",
            params["service"].as_str().unwrap_or(""),
            params["method"].as_str().unwrap_or("")
        )
    }
}

type Answer = Arc<dyn Fn(&Seen) -> Response + Send + Sync>;
type Log = Arc<Mutex<Vec<Seen>>>;

struct TestOdoo {
    url: String,
    log: Log,
}

impl TestOdoo {
    async fn spawn(answer: impl Fn(&Seen) -> Response + Send + Sync + 'static) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let log: Log = Arc::default();
        let answer: Answer = Arc::new(answer);
        let app = Router::new()
            .fallback(record)
            .with_state((log.clone(), answer));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
        });
        Self { url, log }
    }

    fn client(&self, protocol: ProtocolChoice) -> OdooClient {
        OdooClient::new(config(&self.url, protocol)).unwrap()
    }

    fn paths(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.path.clone())
            .collect()
    }

    fn count(&self, what: &str) -> usize {
        let log = self.log.lock().unwrap();
        log.iter()
            .filter(|s| s.path == what || s.rpc() == what)
            .count()
    }
}

async fn record(
    State((log, answer)): State<(Log, Answer)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = Seen {
        path: uri.path().to_owned(),
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        peer,
    };
    let response = answer(&seen);
    log.lock().unwrap().push(seen);
    response
}

fn config(url: &str, protocol: ProtocolChoice) -> OdooConfig {
    OdooConfig {
        url: url.to_owned(),
        database: "demo19".into(),
        protocol,
        timeout: Duration::from_secs(5),
    }
}

fn odoo_json(status: u16, body: impl Into<String>) -> Response {
    let status = StatusCode::from_u16(status).unwrap();
    (
        status,
        [("content-type", "application/json; charset=utf-8")],
        body.into(),
    )
        .into_response()
}

fn rpc_result(result: Value) -> Response {
    odoo_json(
        200,
        json!({"jsonrpc": "2.0", "id": 1, "result": result}).to_string(),
    )
}

/// An Odoo 19 (or 18, with `v18`) that knows `admin` with password `admin` and API key `API_KEY`.
fn odoo(v18: bool) -> impl Fn(&Seen) -> Response + Send + Sync + 'static {
    move |seen: &Seen| match (seen.path.as_str(), seen.rpc().as_str()) {
        ("/jsonrpc", "common.version") => odoo_json(200, if v18 { V18_01 } else { V19_01 }),
        ("/jsonrpc", "common.authenticate") => {
            let secret = seen.body["params"]["args"][2].as_str().unwrap_or("");
            odoo_json(
                200,
                if secret == "admin" || secret == API_KEY {
                    V19_02
                } else {
                    V19_03
                },
            )
        }
        ("/jsonrpc", "object.execute_kw") => {
            rpc_result(json!([{"id": 2, "name": "Mitchell Admin"}]))
        }
        ("/json/2/res.users/context_get" | "/json/2/res.users/read", _) if v18 => (
            StatusCode::NOT_FOUND,
            [("content-type", "text/html")],
            "<html><title>404: Not Found</title></html>",
        )
            .into_response(),
        ("/json/2/res.users/context_get", _) if bearer(seen) == Some(API_KEY) => odoo_json(
            200,
            r#"{"lang": "en_US", "tz": "Europe/Brussels", "uid": 2}"#,
        ),
        ("/json/2/res.users/read", _) if bearer(seen) == Some(API_KEY) => {
            odoo_json(200, r#"[{"id": 2, "name": "Mitchell Admin"}]"#)
        }
        (path, _) if path.starts_with("/json/2/") => odoo_json(401, V19_51),
        _ => odoo_json(404, "{}"),
    }
}

fn bearer(seen: &Seen) -> Option<&str> {
    seen.headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("bearer ")
}

fn key() -> SecretString {
    SecretString::from(API_KEY)
}

#[tokio::test]
async fn server_version_is_asked_once_and_cached() {
    let odoo = TestOdoo::spawn(odoo(false)).await;
    let client = odoo.client(ProtocolChoice::Auto);
    let expected = ServerVersion {
        major: 19,
        minor: 0,
        serie: "19.0".into(),
    };
    assert_eq!(client.server_version().await.unwrap(), expected);
    assert_eq!(client.clone().server_version().await.unwrap(), expected);
    assert_eq!(odoo.count("common.version"), 1);
}

#[tokio::test]
async fn an_api_key_on_odoo_19_is_used_with_json2() {
    let odoo = TestOdoo::spawn(odoo(false)).await;
    let identity = odoo
        .client(ProtocolChoice::Auto)
        .authenticate("admin", &key())
        .await
        .unwrap();
    assert_eq!(
        identity,
        Identity {
            uid: 2,
            name: "Mitchell Admin".into(),
            protocol: Protocol::Json2
        }
    );
    assert_eq!(
        odoo.paths(),
        [
            "/jsonrpc",
            "/jsonrpc",
            "/json/2/res.users/context_get",
            "/json/2/res.users/read"
        ]
    );
    let log = odoo.log.lock().unwrap();
    let read = &log[3];
    assert_eq!(read.body, json!({"ids": [2], "fields": ["name"]}));
    assert_eq!(
        read.headers["authorization"],
        format!("bearer {API_KEY}").as_str()
    );
    assert_eq!(read.headers["x-odoo-database"], "demo19");
    assert_eq!(read.headers["content-type"], "application/json");
    let agent = read.headers["user-agent"].to_str().unwrap();
    assert_eq!(
        agent,
        concat!("odoo-mcp-gateway/", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn a_password_on_odoo_19_falls_back_to_jsonrpc() {
    let odoo = TestOdoo::spawn(odoo(false)).await;
    let password = SecretString::from("admin");
    let identity = odoo
        .client(ProtocolChoice::Auto)
        .authenticate("admin", &password)
        .await
        .unwrap();
    assert_eq!(identity.protocol, Protocol::JsonRpc);
    assert_eq!(identity.name, "Mitchell Admin");
    let log = odoo.log.lock().unwrap();
    let read = log.last().unwrap();
    assert_eq!(
        read.body["params"]["args"],
        json!(["demo19", 2, "admin", "res.users", "read", [[2]], {"fields": ["name"]}])
    );
}

#[tokio::test]
async fn odoo_18_is_never_probed_for_json2() {
    let odoo = TestOdoo::spawn(odoo(true)).await;
    let identity = odoo
        .client(ProtocolChoice::Auto)
        .authenticate("admin", &key())
        .await
        .unwrap();
    assert_eq!(identity.protocol, Protocol::JsonRpc);
    assert!(
        odoo.paths().iter().all(|p| p == "/jsonrpc"),
        "{:?}",
        odoo.paths()
    );
}

#[tokio::test]
async fn a_wrong_secret_is_access_denied() {
    let odoo = TestOdoo::spawn(odoo(false)).await;
    let wrong = SecretString::from("wrong-password");
    let err = odoo
        .client(ProtocolChoice::Auto)
        .authenticate("admin", &wrong)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::AccessDenied));
    assert_eq!(
        odoo.count("common.version"),
        0,
        "nothing after a refused login"
    );
}

#[tokio::test]
async fn forced_json2_with_a_password_asks_for_an_api_key() {
    let odoo = TestOdoo::spawn(odoo(false)).await;
    let password = SecretString::from("admin");
    let err = odoo
        .client(ProtocolChoice::Json2)
        .authenticate("admin", &password)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::AccessDenied));
    assert!(
        err.client_message().contains("API key"),
        "{}",
        err.client_message()
    );
    assert_eq!(
        odoo.count("common.version"),
        0,
        "an explicit choice needs no version"
    );
}

#[tokio::test]
async fn forced_protocols_skip_version_detection() {
    let odoo = TestOdoo::spawn(odoo(false)).await;
    let identity = odoo
        .client(ProtocolChoice::JsonRpc)
        .authenticate("admin", &key())
        .await
        .unwrap();
    assert_eq!(identity.protocol, Protocol::JsonRpc);
    let identity = odoo
        .client(ProtocolChoice::Json2)
        .authenticate("admin", &key())
        .await
        .unwrap();
    assert_eq!(identity.protocol, Protocol::Json2);
    assert_eq!(odoo.count("common.version"), 0);
}

#[tokio::test]
async fn odoo_errors_come_back_classified_over_both_protocols() {
    let odoo = TestOdoo::spawn(|seen: &Seen| match seen.path.as_str() {
        "/jsonrpc" => odoo_json(200, V18_17),
        _ => odoo_json(403, V19_56),
    })
    .await;
    let client = odoo.client(ProtocolChoice::Auto);
    let call = Call::new("ir.config_parameter", "search_read").arg("fields", json!(["key"]));
    for protocol in [Protocol::JsonRpc, Protocol::Json2] {
        let credential = Credential {
            uid: 6,
            secret: key(),
            protocol,
        };
        let err = client.call(&credential, &call).await.unwrap_err();
        assert_eq!(err.kind(), Some(ErrorKind::AccessError));
    }
    assert_eq!(
        odoo.paths(),
        ["/jsonrpc", "/json/2/ir.config_parameter/search_read"]
    );
}

#[tokio::test]
async fn jsonrpc_request_ids_count_up() {
    let odoo = TestOdoo::spawn(odoo(false)).await;
    let client = odoo.client(ProtocolChoice::Auto);
    client
        .authenticate("admin", &SecretString::from("admin"))
        .await
        .unwrap();
    let log = odoo.log.lock().unwrap();
    let ids: Vec<_> = log
        .iter()
        .filter(|s| s.path == "/jsonrpc")
        .map(|s| s.body["id"].as_u64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

#[tokio::test]
async fn calls_reuse_one_connection() {
    let odoo = TestOdoo::spawn(odoo(false)).await;
    let client = odoo.client(ProtocolChoice::Auto);
    let credential = Credential {
        uid: 2,
        secret: key(),
        protocol: Protocol::Json2,
    };
    for _ in 0..3 {
        client
            .call(&credential, &Call::new("res.users", "context_get"))
            .await
            .unwrap();
        client
            .clone()
            .call(&credential, &Call::new("res.users", "context_get"))
            .await
            .unwrap();
    }
    let log = odoo.log.lock().unwrap();
    assert_eq!(log.len(), 6);
    assert!(
        log.iter().all(|s| s.peer == log[0].peer),
        "one TCP connection for every call"
    );
}

#[tokio::test]
async fn a_slow_odoo_is_a_timeout() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let slow = Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_secs(10)).await;
        "too late"
    });
    tokio::spawn(async move { axum::serve(listener, slow).await });
    let mut config = config(&url, ProtocolChoice::Auto);
    config.timeout = Duration::from_millis(200);
    let err = OdooClient::new(config)
        .unwrap()
        .server_version()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
}

#[tokio::test]
async fn a_closed_port_is_unreachable_and_says_where() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = OdooClient::new(config(&url, ProtocolChoice::Auto))
        .unwrap()
        .server_version()
        .await
        .unwrap_err();
    let Error::Unreachable(detail) = &err else {
        panic!("{err:?}")
    };
    assert!(
        detail.starts_with(&format!("cannot connect to Odoo at {url}: ")),
        "{detail}"
    );
    assert!(detail.len() < 200, "{detail}");
    assert!(!err.client_message().contains("127.0.0.1"));
}

#[tokio::test]
async fn redirects_are_reported_not_followed() {
    let odoo = TestOdoo::spawn(|_: &Seen| {
        (
            StatusCode::FOUND,
            [("location", "https://elsewhere.example/jsonrpc")],
        )
            .into_response()
    })
    .await;
    let err = odoo
        .client(ProtocolChoice::Auto)
        .server_version()
        .await
        .unwrap_err();
    let Error::Protocol(detail) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        detail,
        "HTTP 302 Found redirect to https://elsewhere.example/jsonrpc; check the configured Odoo URL"
    );
    assert_eq!(odoo.paths(), ["/jsonrpc"]);
}

#[tokio::test]
async fn an_html_error_page_is_a_protocol_error() {
    let odoo = TestOdoo::spawn(|_: &Seen| {
        (
            StatusCode::BAD_REQUEST,
            [("content-type", "text/html; charset=utf-8")],
            V19_30,
        )
            .into_response()
    })
    .await;
    let err = odoo
        .client(ProtocolChoice::Auto)
        .server_version()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Protocol(d) if d.contains("Invalid JSON data")),
        "{err:?}"
    );
}

#[test]
fn endpoints_keep_the_base_path_and_encode_names() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = OdooClient::new(config(
        "https://odoo.example.com/odoo/?x=1",
        ProtocolChoice::Auto,
    ))
    .unwrap();
    assert_eq!(
        client.endpoint(&["jsonrpc"]).as_str(),
        "https://odoo.example.com/odoo/jsonrpc"
    );
    assert_eq!(
        client
            .endpoint(&["json", "2", "res.partner/../x", "search?a"])
            .as_str(),
        "https://odoo.example.com/odoo/json/2/res.partner%2F..%2Fx/search%3Fa"
    );
    let bare = OdooClient::new(config("http://localhost:8069", ProtocolChoice::Auto)).unwrap();
    assert_eq!(
        bare.endpoint(&["jsonrpc"]).as_str(),
        "http://localhost:8069/jsonrpc"
    );
}

#[test]
fn bad_urls_are_refused_up_front() {
    for url in [
        "odoo.example.com",
        "ftp://odoo.example.com",
        "https://user:pw@odoo.example.com",
    ] {
        let err = OdooClient::new(config(url, ProtocolChoice::Auto)).unwrap_err();
        assert!(
            matches!(&err, Error::Unreachable(d) if !d.contains("pw@")),
            "{err:?}"
        );
    }
}
