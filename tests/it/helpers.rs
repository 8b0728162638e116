//! TestApp: the real gateway on 127.0.0.1:0 against a spawned Odoo simulator and a temporary
//! SQLite database, with helpers to talk to it the way clients do.

use std::time::Duration;

use odoo_mcp_gateway::app::AuditStreamTarget as Target;
use odoo_mcp_gateway::app::{App, AppConfig};
use odoo_mcp_gateway::clock::Clock;
use odoo_mcp_gateway::connections::{self, Scope};
use odoo_mcp_gateway::odoo::sim::{OdooVersion, RunningSimulator, SimOptions};
use odoo_mcp_gateway::odoo::{OdooClient, OdooConfig, ProtocolChoice};
use odoo_mcp_gateway::secrets::Keyring;
use odoo_mcp_gateway::state::AppState;
use odoo_mcp_gateway::store::{OdooUserRow, Store};
use odoo_mcp_gateway::traces::Traces;
use odoo_mcp_gateway::transport::HttpLimits;
use odoo_mcp_gateway::users;
use rmcp::RoleClient;
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

pub const START: i64 = 1_800_000_000_000;
pub const PROTOCOL: &str = "2025-06-18";

pub struct TestApp {
    pub base: String,
    pub mcp_url: String,
    /// The simulator behind the gateway; `None` when it runs against a real Odoo.
    sim: Option<RunningSimulator>,
    pub state: AppState,
    pub http: reqwest::Client,
    pub data_dir: tempfile::TempDir,
    stop: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<()>,
}

/// The path in `var` of a third-party client a test drives (`scripts/test` sets it up): `None`,
/// so the test skips, when unset — a panic instead when `CI` or `require` says it must run.
pub fn client_path(var: &str, require: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(path) if !path.is_empty() => Some(path),
        _ if std::env::var_os("CI").is_some() || std::env::var_os(require).is_some() => {
            panic!("{var} is not set but CI or {require} says this test must run: run scripts/test")
        }
        _ => {
            eprintln!("skipped: {var} not set (scripts/test sets it up)");
            None
        }
    }
}

/// A simulator on 127.0.0.1 and the Odoo settings that reach it.
async fn simulator(options: SimOptions) -> (RunningSimulator, OdooConfig) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = odoo_mcp_gateway::odoo::sim::Simulator::spawn(SimOptions {
        database: "demo".into(),
        ..options
    })
    .await
    .expect("simulator starts");
    let odoo = OdooConfig {
        url: sim.url.clone(),
        database: "demo".into(),
        protocol: ProtocolChoice::Auto,
        timeout: Duration::from_secs(10),
    };
    (sim, odoo)
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(OdooVersion::V19).await
    }

    pub async fn spawn_with(version: OdooVersion) -> Self {
        Self::spawn_sim(SimOptions {
            version,
            ..SimOptions::default()
        })
        .await
    }

    /// The gateway in front of a simulator with these options (database `demo`).
    pub async fn spawn_sim(options: SimOptions) -> Self {
        Self::spawn_on(options, None).await
    }

    /// Like [`TestApp::spawn_sim`], with the store in `database_url` (PostgreSQL) when given.
    pub async fn spawn_on(options: SimOptions, database_url: Option<&str>) -> Self {
        let (sim, odoo) = simulator(options).await;
        Self::boot(odoo, Some(sim), database_url).await
    }

    /// The default gateway with the given connection limits and timeouts.
    pub async fn spawn_limited(http: HttpLimits) -> Self {
        let (sim, odoo) = simulator(SimOptions::default()).await;
        Self::boot_with(odoo, Some(sim), None, http).await
    }

    /// The gateway in front of the Odoo `odoo` describes (a real one, or `sim`'s).
    pub async fn boot(
        odoo: OdooConfig,
        sim: Option<RunningSimulator>,
        database_url: Option<&str>,
    ) -> Self {
        Self::boot_with(odoo, sim, database_url, HttpLimits::default()).await
    }

    /// Like [`TestApp::boot`], with the given connection limits and timeouts.
    pub async fn boot_with(
        odoo: OdooConfig,
        sim: Option<RunningSimulator>,
        database_url: Option<&str>,
        http: HttpLimits,
    ) -> Self {
        Self::boot_traced(odoo, sim, database_url, http, Traces::default()).await
    }

    /// Like [`TestApp::boot_with`], exporting spans with `traces`.
    pub async fn boot_traced(
        odoo: OdooConfig,
        sim: Option<RunningSimulator>,
        database_url: Option<&str>,
        http: HttpLimits,
        traces: Traces,
    ) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(database_url, dir.path())
            .await
            .expect("store opens");
        let keyring = Keyring::load_or_create(None, &[], dir.path()).unwrap();
        Self::serve(odoo, sim, dir, store, keyring, http, None, None, traces).await
    }

    /// The default gateway (simulator, store in `database_url` when given) streaming its
    /// audit log to `stream`.
    pub async fn spawn_streaming(database_url: Option<&str>, stream: Target) -> Self {
        Self::spawn_default(database_url, Some(stream), Traces::default()).await
    }

    /// The default gateway (simulator, store in `database_url` when given) exporting its
    /// spans with `traces`.
    pub async fn spawn_traced(database_url: Option<&str>, traces: Traces) -> Self {
        Self::spawn_default(database_url, None, traces).await
    }

    async fn spawn_default(
        database_url: Option<&str>,
        stream: Option<Target>,
        traces: Traces,
    ) -> Self {
        let (sim, odoo) = simulator(SimOptions::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(database_url, dir.path()).await.unwrap();
        let keyring = Keyring::load_or_create(None, &[], dir.path()).unwrap();
        let http = HttpLimits::default();
        Self::serve(
            odoo,
            Some(sim),
            dir,
            store,
            keyring,
            http,
            None,
            stream,
            traces,
        )
        .await
    }

    /// A second gateway process on this one's database and secret key (a replica), in front
    /// of the same simulator: its own audit writer, rate limiter and caches.
    pub async fn replica(&self) -> Self {
        let keyring = Keyring::load_or_create(None, &[], self.data_dir.path()).unwrap();
        self.replica_keyed(keyring).await
    }

    /// Like [`TestApp::replica`], with these keys (a gateway given them by its environment).
    pub async fn replica_keyed(&self, keyring: Keyring) -> Self {
        self.replica_with(keyring, None).await
    }

    /// A replica (same keys) streaming its audit log to `stream`.
    pub async fn replica_streaming(&self, stream: Target) -> Self {
        let keyring = Keyring::load_or_create(None, &[], self.data_dir.path()).unwrap();
        self.replica_with(keyring, Some(stream)).await
    }

    async fn replica_with(&self, keyring: Keyring, stream: Option<Target>) -> Self {
        let odoo = OdooConfig {
            url: self.sim_url().to_owned(),
            database: self.state.odoo_database.to_string(),
            protocol: ProtocolChoice::Auto,
            timeout: Duration::from_secs(10),
        };
        let store = self.state.store.clone();
        let dir = tempfile::tempdir().unwrap();
        // Replicas stand behind one public URL, so tokens issued by one are for all of them.
        let public_url = Some(self.base.clone());
        Self::serve(
            odoo,
            None,
            dir,
            store,
            keyring,
            HttpLimits::default(),
            public_url,
            stream,
            Traces::default(),
        )
        .await
    }

    #[allow(clippy::too_many_arguments)] // one private constructor behind the public ones
    async fn serve(
        odoo: OdooConfig,
        sim: Option<RunningSimulator>,
        dir: tempfile::TempDir,
        store: Store,
        keyring: Keyring,
        http: HttpLimits,
        public_url: Option<String>,
        stream: Option<Target>,
        traces: Traces,
    ) -> Self {
        let odoo_database = odoo.database.clone();
        let odoo = OdooClient::new(odoo).unwrap();
        let app = App::build(AppConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            public_url,
            extra_origins: vec![],
            limits: odoo_mcp_gateway::state::Limits {
                max_body_bytes: 64 * 1024,
                files: odoo_mcp_gateway::state::FileLimits {
                    inline_upload_bytes: 16 * 1024,
                    upload_bytes: 256 * 1024,
                    ..Default::default()
                },
            },
            trusted_proxies: odoo_mcp_gateway::values::IpList::parse("127.0.0.1/32").unwrap(),
            store,
            keyring,
            odoo,
            odoo_database,
            clock: Clock::manual(START),
            http,
            traces,
        })
        .await
        .unwrap();
        let app = match stream {
            Some(target) => app.with_audit_stream(target).unwrap(),
            None => app,
        };
        let base = format!("http://{}", app.local_addr());
        let state = app.state().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(app.run(
            async move {
                let _ = stopped.await;
            },
            Duration::from_secs(1),
        ));
        Self {
            mcp_url: format!("{base}/mcp"),
            base,
            sim,
            state,
            http: reqwest::Client::new(),
            data_dir: dir,
            stop,
            served,
        }
    }

    /// The simulator behind this gateway (panics for a gateway in front of a real Odoo).
    pub fn sim(&self) -> &odoo_mcp_gateway::odoo::sim::Simulator {
        &self
            .sim
            .as_ref()
            .expect("this test runs against the simulator")
            .sim
    }

    /// The simulator's base URL.
    pub fn sim_url(&self) -> &str {
        &self
            .sim
            .as_ref()
            .expect("this test runs against the simulator")
            .url
    }

    /// Shuts the gateway down gracefully and waits until it has finished.
    pub async fn stop(self) -> AppState {
        let _ = self.stop.send(());
        self.served.await.expect("server task");
        self.state
    }

    /// Replaces the governance settings of a connection, as the console's form does.
    pub async fn set_policy(
        &self,
        id: i64,
        edit: impl FnOnce(&mut odoo_mcp_gateway::connections::Policy),
    ) {
        let connection = connections::get(&self.state.store, id).await.unwrap();
        let mut policy = connection.policy.clone();
        edit(&mut policy);
        assert!(
            self.state
                .store
                .update_policy(id, &connection.description, &policy)
                .await
                .unwrap()
        );
    }

    /// The audit log, newest first, after the writer caught up.
    pub async fn audit(&self) -> Vec<odoo_mcp_gateway::store::AuditRow> {
        self.state.audit.flush().await;
        let filter = odoo_mcp_gateway::store::AuditFilter {
            limit: 1000,
            ..Default::default()
        };
        self.state.store.list_audit_events(&filter).await.unwrap()
    }

    /// The gateway's metrics, as `/metrics` serves them.
    pub fn metrics(&self) -> String {
        self.state.metrics.render()
    }

    /// One series' value (`omg_x_total{label="v"}`), 0 while it has none.
    pub fn metric(&self, series: &str) -> u64 {
        let wanted = format!("{series} ");
        self.metrics()
            .lines()
            .find_map(|line| line.strip_prefix(&wanted))
            .map_or(0, |n| n.trim().parse().unwrap())
    }

    /// Links `login` with its demo password (the login itself), as `user link` does.
    pub async fn link(&self, login: &str) {
        self.link_with(login, login).await;
    }

    pub async fn link_with(&self, login: &str, secret: &str) {
        let s = &self.state;
        users::link(
            &s.store,
            &s.keyring,
            &s.odoo,
            login,
            &SecretString::from(secret),
            s.clock.now(),
        )
        .await
        .expect("user links");
    }

    /// `admin` linked as an MCP Administrator (who may decide approvals); its row.
    pub async fn administrator(&self) -> OdooUserRow {
        self.link("admin").await;
        let store = &self.state.store;
        store
            .set_role("admin", Some(users::Role::Admin), self.state.clock.now())
            .await
            .unwrap();
        store.find_odoo_user("admin").await.unwrap().unwrap()
    }

    /// A new API key for `login` (linked first if needed); returns (connection id, key).
    pub async fn api_key(&self, login: &str, scope: Scope) -> (i64, String) {
        self.api_key_linking(login, scope, login).await
    }

    /// Like [`TestApp::api_key`], linking `login` with `secret` when it is not linked yet.
    pub async fn api_key_linking(&self, login: &str, scope: Scope, secret: &str) -> (i64, String) {
        if self
            .state
            .store
            .find_odoo_user(login)
            .await
            .unwrap()
            .is_none()
        {
            self.link_with(login, secret).await;
        }
        let s = &self.state;
        let issued = connections::create_api_key(
            &s.store,
            &s.keyring,
            login,
            "test key",
            scope,
            s.clock.now(),
        )
        .await
        .unwrap();
        (issued.connection_id, issued.key.expose_secret().to_owned())
    }

    /// A real MCP client (rmcp's) connected with `key`.
    pub async fn mcp_client(&self, key: &str) -> RunningService<RoleClient, ()> {
        let transport = StreamableHttpClientTransport::from_config(
            StreamableHttpClientTransportConfig::with_uri(self.mcp_url.as_str()).auth_header(key),
        );
        rmcp::ServiceExt::serve((), transport)
            .await
            .expect("MCP client connects")
    }

    /// A raw JSON-RPC POST to /mcp, as a minimal client would send it.
    pub fn post(&self, key: Option<&str>, body: &str) -> reqwest::RequestBuilder {
        self.post_with(key, body, &[])
    }

    /// Like [`TestApp::post`], with some of the default headers replaced (or removed, with "").
    pub fn post_with(
        &self,
        key: Option<&str>,
        body: &str,
        headers: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        let defaults = [
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
            ("mcp-protocol-version", PROTOCOL),
        ];
        let mut request = self.http.post(&self.mcp_url).body(body.to_owned());
        for (name, default) in defaults {
            let value = headers
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(default, |(_, v)| *v);
            if !value.is_empty() {
                request = request.header(name, value);
            }
        }
        for (name, value) in headers
            .iter()
            .filter(|(n, _)| !defaults.iter().any(|(d, _)| d == n))
        {
            request = request.header(*name, *value);
        }
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request
    }

    /// One JSON-RPC request to /mcp with `key`: the response body (status 200 asserted).
    pub async fn rpc(&self, key: &str, method: &str, params: Value) -> Value {
        let body =
            serde_json::json!({"jsonrpc": "2.0", "id": 3, "method": method, "params": params});
        let response = self
            .post(Some(key), &body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{method}");
        response.json().await.unwrap()
    }

    /// The names `tools/list` shows `key`, in order.
    pub async fn tool_names(&self, key: &str) -> Vec<String> {
        let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
        let listed: Value = self
            .post(Some(key), list)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        listed["result"]["tools"]
            .as_array()
            .unwrap_or_else(|| panic!("no tools in {listed}"))
            .iter()
            .filter_map(|t| t["name"].as_str().map(str::to_owned))
            .collect()
    }

    /// `tools/call` as a 2026-07-28 client sends it (no handshake; version and `capabilities`
    /// in the request's `_meta`), with `extra` params (`inputResponses`, `requestState`).
    pub async fn call_modern(
        &self,
        key: &str,
        capabilities: Value,
        tool: &str,
        arguments: Value,
        extra: Value,
    ) -> Value {
        let mut params = serde_json::json!({
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": capabilities,
                "io.modelcontextprotocol/clientInfo": {"name": "it", "version": "1"}
            },
            "name": tool,
            "arguments": arguments
        });
        let (Some(into), Value::Object(extra)) = (params.as_object_mut(), extra) else {
            panic!("params are objects")
        };
        into.extend(extra);
        let body = serde_json::json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": params});
        let response = self
            .post_with(
                Some(key),
                &body.to_string(),
                &[
                    ("mcp-protocol-version", "2026-07-28"),
                    ("mcp-method", "tools/call"),
                    ("mcp-name", tool),
                ],
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "tools/call {tool}");
        response.json().await.unwrap()
    }

    /// A 2026-07-28 `delete`-style call confirmed (or not) in chat: asks, then answers `answer`
    /// with the state received; the final response.
    pub async fn call_in_chat(
        &self,
        key: &str,
        tool: &str,
        arguments: Value,
        answer: Value,
    ) -> Value {
        let can_ask = serde_json::json!({"elicitation": {"form": {}}});
        let asked = self
            .call_modern(
                key,
                can_ask.clone(),
                tool,
                arguments.clone(),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(asked["result"]["resultType"], "input_required", "{asked}");
        let extra = serde_json::json!({
            "inputResponses": {"confirm": answer},
            "requestState": asked["result"]["requestState"],
        });
        self.call_modern(key, can_ask, tool, arguments, extra).await
    }

    /// `tools/call` over raw HTTP; returns the JSON-RPC response body.
    pub async fn call(&self, key: &str, tool: &str, arguments: Value) -> Value {
        let body = serde_json::json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                                      "params": {"name": tool, "arguments": arguments}});
        let response = self
            .post(Some(key), &body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "tools/call {tool}");
        response.json().await.unwrap()
    }
}

/// The structured result of a successful tool call, or a panic naming the error text.
pub fn ok_result(response: &Value) -> &Value {
    let result = &response["result"];
    assert_eq!(result["isError"], false, "tool failed: {response}");
    &result["structuredContent"]
}

/// `base`'s arguments with `extra`'s added (both JSON objects).
pub fn merged(mut base: Value, extra: Value) -> Value {
    let (Some(into), Value::Object(extra)) = (base.as_object_mut(), extra) else {
        panic!("arguments are objects")
    };
    into.extend(extra);
    base
}

/// The one record id that every answer of racing `create_record` duplicates carries.
pub async fn one_created_id(
    racers: impl IntoIterator<Item = impl std::future::Future<Output = Value>>,
) -> i64 {
    let answers = futures::future::join_all(racers).await;
    let ids: Vec<i64> = answers
        .iter()
        .map(|a| ok_result(a)["id"].as_i64().unwrap())
        .collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    ids[0]
}

/// Runs one SQL statement on either engine, as someone editing the database by hand would.
pub async fn execute_sql(store: &odoo_mcp_gateway::store::Store, sql: &str) {
    use odoo_mcp_gateway::store::Store;
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match store {
        Store::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        Store::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
    }
    .unwrap();
}

/// The error text of a tool call that failed with `isError: true`.
pub fn error_text(response: &Value) -> String {
    let result = &response["result"];
    assert_eq!(result["isError"], true, "expected a tool error: {response}");
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
