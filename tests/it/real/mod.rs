//! The real-Odoo suite: the gateway in front of real Odoo 16–19 community with demo data, started
//! by `../shared/real-odoo/real-odoo` (`.ci/setup` starts all four).
//!
//! Each check is an `async fn(Setup)` in one of the topic modules below, and `on_setups!` makes
//! one `#[tokio::test]` per setup it applies to (`real::v18_jsonrpc::create_record_…`). Without a
//! running Odoo a test prints a skip notice, except under `CI` or `REQUIRE_REAL_ODOO`, where it
//! fails. Tests isolate themselves: they write only records they created (named with a unique
//! tag), so they run in parallel against one database and never need a `reset`.

mod actions;
mod approvals;
mod bulk;
mod chatter;
mod cli;
mod companies;
mod console;
mod files;
mod flow;
mod governance;
mod limits;
mod resources;
mod retries;
mod tools;
mod traces;

use std::collections::HashMap;
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use odoo_mcp_gateway::connections::Scope;
use odoo_mcp_gateway::odoo::{OdooConfig, ProtocolChoice};
use odoo_mcp_gateway::traces::Traces;
use serde_json::{Value, json};

use crate::helpers::{TestApp, ok_result};

/// One way of running the gateway against a real Odoo: version × protocol × credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setup {
    /// Odoo 16 over JSON-RPC, users linked with their password.
    V16,
    /// Odoo 17 over JSON-RPC, with passwords.
    V17,
    /// Odoo 18 over JSON-RPC, with passwords.
    V18,
    /// Odoo 19 over JSON-RPC, with passwords (JSON-2 can't take a password).
    V19Rpc,
    /// Odoo 19 over JSON-2, users linked with their Odoo API key.
    V19Json2,
}

impl Setup {
    pub fn version(self) -> u32 {
        match self {
            Self::V16 => 16,
            Self::V17 => 17,
            Self::V18 => 18,
            Self::V19Rpc | Self::V19Json2 => 19,
        }
    }

    fn protocol(self) -> ProtocolChoice {
        match self {
            Self::V19Json2 => ProtocolChoice::Json2,
            _ => ProtocolChoice::JsonRpc,
        }
    }

    /// The expected `protocol` of a linked user.
    pub fn protocol_name(self) -> &'static str {
        match self {
            Self::V19Json2 => "json2",
            _ => "jsonrpc",
        }
    }

    /// The secret this setup links `user` with.
    pub fn secret(self, user: &User) -> &str {
        match self {
            Self::V19Json2 => &user.api_key,
            _ => &user.password,
        }
    }
}

/// A demo user of a real Odoo, as `real-odoo env` prints it.
#[derive(Debug, Clone)]
pub struct User {
    pub uid: i64,
    pub password: String,
    pub api_key: String,
}

/// A running real Odoo.
#[derive(Debug)]
pub struct Odoo {
    pub url: String,
    pub db: String,
    pub admin: User,
    pub demo: User,
    pub portal: User,
}

impl Odoo {
    pub fn user(&self, login: &str) -> &User {
        match login {
            "admin" => &self.admin,
            "demo" => &self.demo,
            "portal" => &self.portal,
            other => panic!("no demo user {other}"),
        }
    }
}

/// The `real-odoo` tool: `REAL_ODOO`, else `../shared/real-odoo/real-odoo` beside the checkout.
fn tool() -> String {
    std::env::var("REAL_ODOO").unwrap_or_else(|_| {
        format!(
            "{}/../shared/real-odoo/real-odoo",
            env!("CARGO_MANIFEST_DIR")
        )
    })
}

fn required() -> Option<&'static str> {
    ["CI", "REQUIRE_REAL_ODOO"]
        .into_iter()
        .find(|var| std::env::var(var).is_ok_and(|v| !v.is_empty()))
}

/// The running Odoo of `version`, or `None` (after a notice) when it may be skipped.
pub fn odoo(version: u32) -> Option<&'static Odoo> {
    static FOUND: OnceLock<std::sync::Mutex<HashMap<u32, Option<&'static Odoo>>>> = OnceLock::new();
    let mut found = FOUND.get_or_init(Default::default).lock().unwrap();
    *found.entry(version).or_insert_with(|| {
        let odoo = discover(version);
        match (&odoo, required()) {
            (Ok(_), _) => {}
            (Err(why), Some(var)) => panic!(
                "real Odoo {version} is required ({var} is set) but not usable: {why}. \
                 Start it with `{} start {version}` (scripts/test does).",
                tool()
            ),
            (Err(why), None) => eprintln!("skipped: real Odoo {version} test ({why})"),
        }
        odoo.ok().map(|o| &*Box::leak(Box::new(o)))
    })
}

fn discover(version: u32) -> Result<Odoo, String> {
    // Through bash: a read-only copy of shared/ may have lost the execute bit.
    let out = Command::new("bash")
        .args([tool(), "env".into(), version.to_string()])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", tool()))?;
    if !out.status.success() {
        return Err(format!(
            "`real-odoo env {version}` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let vars: HashMap<String, String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches(['\'', '"']).to_owned()))
        .collect();
    let var = |k: &str| {
        vars.get(k)
            .cloned()
            .ok_or_else(|| format!("`real-odoo env {version}` printed no {k}"))
    };
    let user = |u: &str| -> Result<User, String> {
        Ok(User {
            uid: var(&format!("ODOO_{u}_UID"))?
                .parse()
                .map_err(|_| format!("ODOO_{u}_UID is not a number"))?,
            password: var(&format!("ODOO_{u}_PASSWORD"))?,
            api_key: var(&format!("ODOO_{u}_APIKEY"))?,
        })
    };
    let url = var("ODOO_URL")?;
    let address: SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .map_err(|_| format!("ODOO_URL {url} is not http://host:port"))?;
    TcpStream::connect_timeout(&address, Duration::from_secs(2))
        .map_err(|e| format!("nothing answers at {url} ({e})"))?;
    Ok(Odoo {
        url,
        db: var("ODOO_DB")?,
        admin: user("ADMIN")?,
        demo: user("DEMO")?,
        portal: user("PORTAL")?,
    })
}

/// The gateway in front of a real Odoo, for one setup.
pub struct Real {
    pub setup: Setup,
    pub odoo: &'static Odoo,
    pub app: TestApp,
}

impl Real {
    /// A fresh gateway (its own SQLite store) in front of the setup's Odoo, or `None` to skip.
    pub async fn start(setup: Setup) -> Option<Self> {
        Self::start_traced(setup, Traces::default()).await
    }

    /// Like [`Real::start`], exporting spans with `traces`.
    pub async fn start_traced(setup: Setup, traces: Traces) -> Option<Self> {
        let odoo = odoo(setup.version())?;
        let config = OdooConfig {
            url: odoo.url.clone(),
            database: odoo.db.clone(),
            protocol: setup.protocol(),
            timeout: Duration::from_secs(60),
        };
        let http = odoo_mcp_gateway::transport::HttpLimits::default();
        let app = TestApp::boot_traced(config, None, None, http, traces).await;
        Some(Self { setup, odoo, app })
    }

    /// Links `login` the way this setup does (password, or API key on JSON-2).
    pub async fn link(&self, login: &str) {
        let secret = self.setup.secret(self.odoo.user(login)).to_owned();
        self.app.link_with(login, &secret).await;
    }

    /// A Full Access API-key connection acting as `login` (linked first).
    pub async fn key(&self, login: &str) -> (i64, String) {
        self.key_with(login, Scope::Full).await
    }

    pub async fn key_with(&self, login: &str, scope: Scope) -> (i64, String) {
        let secret = self.setup.secret(self.odoo.user(login));
        self.app.api_key_linking(login, scope, secret).await
    }

    /// `tools/call` through the gateway; the JSON-RPC response.
    pub async fn call(&self, key: &str, tool: &str, arguments: Value) -> Value {
        self.app.call(key, tool, arguments).await
    }

    /// A successful tool call's structured result.
    pub async fn ok(&self, key: &str, tool: &str, arguments: Value) -> Value {
        ok_result(&self.call(key, tool, arguments).await).clone()
    }

    /// Creates a record as `key`'s user through the gateway and returns its id.
    pub async fn create(&self, key: &str, model: &str, values: Value) -> i64 {
        self.create_with(key, json!({"model": model, "values": values}))
            .await
    }

    /// `create_record` with these arguments through the gateway; the new record's id.
    pub async fn create_with(&self, key: &str, arguments: Value) -> i64 {
        let created = self.ok(key, "create_record", arguments).await;
        created["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("create_record answered no id: {created}"))
    }

    /// Reads records straight from Odoo as the administrator, bypassing the gateway: what is
    /// really stored.
    pub async fn admin_read(&self, model: &str, ids: &[i64], fields: &[&str]) -> Vec<Value> {
        let rows = self
            .execute_kw(
                &self.odoo.admin,
                model,
                "read",
                json!([ids]),
                json!({"fields": fields, "context": {"active_test": false}}),
            )
            .await
            .unwrap_or_else(|e| panic!("admin read of {model} {ids:?}: {e}"));
        rows.as_array().cloned().unwrap_or_default()
    }

    /// A company that demo belongs to besides its own: made once per Odoo database and test run
    /// (named with a tag), straight in Odoo by the administrator, whom Odoo adds to the
    /// companies it creates. Once, because Odoo fails companies created side by side.
    pub async fn second_company(&self) -> i64 {
        static MADE: tokio::sync::Mutex<Option<HashMap<u32, i64>>> =
            tokio::sync::Mutex::const_new(None);
        let mut made = MADE.lock().await;
        let made = made.get_or_insert_with(HashMap::new);
        if let Some(company) = made.get(&self.setup.version()) {
            return *company;
        }
        let admin = &self.odoo.admin;
        let company = self
            .execute_kw(
                admin,
                "res.company",
                "create",
                json!([{"name": tag("co")}]),
                json!({}),
            )
            .await
            .expect("the administrator creates a company");
        let company = company.as_i64().expect("a company id");
        // Twice: Odoo clears its cache of the user's companies inside the writing transaction,
        // so a request running beside it can cache the old list again until the next clearing;
        // the second write clears it once the first is committed.
        for _ in 0..2 {
            self.execute_kw(
                admin,
                "res.users",
                "write",
                json!([[self.odoo.demo.uid], {"company_ids": [[4, company]]}]),
                json!({}),
            )
            .await
            .expect("demo joins the company");
        }
        made.insert(self.setup.version(), company);
        company
    }

    /// Files `tool` with `arguments` for approval (by the linked `admin`) as connection `id`
    /// (key `key`), changes the policy with `change`, approves: the approved call must fail
    /// when it runs, with an error containing `expected` (the rule is checked again).
    pub async fn stale_approval(
        &self,
        (id, key): (i64, &str),
        (tool, arguments): (&str, Value),
        change: impl FnOnce(&mut odoo_mcp_gateway::connections::Policy),
        expected: &str,
    ) {
        let store = &self.app.state.store;
        self.link("admin").await;
        store
            .set_role(
                "admin",
                Some(odoo_mcp_gateway::users::Role::Admin),
                self.app.state.clock.now(),
            )
            .await
            .unwrap();
        let admin = store.find_odoo_user("admin").await.unwrap().unwrap();
        self.app
            .set_policy(id, |p| {
                p.approval_tools = tool.parse().unwrap();
                p.approver_user_id = Some(admin.id);
            })
            .await;
        let held = self.ok(key, tool, arguments).await;
        assert_eq!(held["status"], "pending_approval", "{held}");
        self.app.set_policy(id, change).await;
        let approval = held["approval_id"].as_str().unwrap();
        let done = odoo_mcp_gateway::approvals::approve(&self.app.state, approval, &admin)
            .await
            .unwrap();
        assert_eq!(done.state.as_db(), "failed");
        assert!(
            done.error.as_deref().is_some_and(|e| e.contains(expected)),
            "{:?}",
            done.error
        );
    }

    /// Creates a record straight in Odoo as the administrator.
    pub async fn admin_create(&self, model: &str, values: Value) -> i64 {
        self.execute_kw(
            &self.odoo.admin,
            model,
            "create",
            json!([values]),
            json!({}),
        )
        .await
        .unwrap_or_else(|e| panic!("admin create of {model}: {e}"))
        .as_i64()
        .expect("a record id")
    }

    /// `execute_kw` over JSON-RPC straight to Odoo as `user`: `Ok(result)` or `Err(message)`.
    pub async fn execute_kw(
        &self,
        user: &User,
        model: &str,
        method: &str,
        args: Value,
        kwargs: Value,
    ) -> Result<Value, String> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "call", "params": {
            "service": "object", "method": "execute_kw",
            "args": [self.odoo.db, user.uid, user.password, model, method, args, kwargs]}});
        let answer: Value = self
            .app
            .http
            .post(format!("{}/jsonrpc", self.odoo.url))
            .json(&body)
            .send()
            .await
            .expect("Odoo answers")
            .json()
            .await
            .expect("Odoo answers JSON");
        match answer.get("error") {
            Some(error) => Err(error["data"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned()),
            None => Ok(answer.get("result").cloned().unwrap_or(Value::Null)),
        }
    }
}

/// A tag unique to this test run and call, for names of records a test creates.
pub fn tag(what: &str) -> String {
    format!(
        "omg-{what}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    )
}

/// One `#[tokio::test]` per setup for each check: `on_setups!(core [V18, V19Rpc] [check_a]);` in
/// a topic module makes `core::V18::check_a` and `core::V19Rpc::check_a`, calling
/// `check_a(Setup::V18)` and `check_a(Setup::V19Rpc)`.
#[macro_export]
macro_rules! on_setups {
    ($group:ident [$($setup:ident),* $(,)?] $checks:tt) => {
        mod $group {
            $( $crate::on_setups!(@one $setup $checks); )*
        }
    };
    (@one $setup:ident [$($check:ident),* $(,)?]) => {
        #[allow(non_snake_case)]
        mod $setup {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    super::super::$check($crate::real::Setup::$setup).await;
                }
            )*
        }
    };
}

/// The core checks, on every setup (Odoo 16, 17, 18, 19 over JSON-RPC and 19 over JSON-2): in
/// the module `core`.
#[macro_export]
macro_rules! on_every_setup {
    ($checks:tt) => {
        $crate::on_setups!(core [V16, V17, V18, V19Rpc, V19Json2] $checks);
    };
}

/// The rest of the suite, on Odoo 18 JSON-RPC, 19 JSON-RPC and 19 JSON-2: in the module `main`.
#[macro_export]
macro_rules! on_main_setups {
    ($checks:tt) => {
        $crate::on_setups!(main [V18, V19Rpc, V19Json2] $checks);
    };
}
