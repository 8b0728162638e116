//! An in-memory, Odoo-compatible HTTP server: the test double for real Odoo 18 and 19.
//!
//! `Simulator` holds the shared state; `router()` serves `/jsonrpc`, `/json/2/<model>/<method>` (19 only),
//! `/xmlrpc/2/<service>`, `/web/session/authenticate` and `/destroy`, `/web/dataset/call_kw`,
//! `/web/webclient/version_info` and the report routes `/report/<html|pdf>/<report>/<ids>`.

mod access;
mod attachments;
mod business;
mod domain;
mod fault;
mod formatted_group;
mod group;
mod json2;
mod jsonrpc;
mod methods;
mod model_list;
mod mutate;
mod orm;
#[cfg(test)]
mod orm_tests;
mod reports;
mod rules;
mod schema;
mod seed;
mod signatures;
mod store;
mod values;
mod views;
mod wall_clock;
mod wizard;
mod xmlrpc;

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::{any, get, post};
use serde_json::{Value, json};

use fault::{Fault, Kind};
use methods::{Call, Protocol};
use store::Db;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OdooVersion {
    V18,
    V19,
}

impl OdooVersion {
    fn major(self) -> i64 {
        match self {
            OdooVersion::V18 => 18,
            OdooVersion::V19 => 19,
        }
    }
}

#[derive(Clone, Debug)]
pub struct SimOptions {
    pub version: OdooVersion,
    pub database: String,
    /// Odoo's `mail` module is installed (`mail.activity`, `activity_ids`); true by default.
    pub mail: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            version: OdooVersion::V19,
            database: "demo".to_owned(),
            mail: true,
        }
    }
}

/// The simulator: cheap to clone, all clones share one in-memory database.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

struct Inner {
    options: SimOptions,
    db: Mutex<Db>,
    /// Web sessions: session id → uid.
    sessions: Mutex<HashMap<String, i64>>,
    wizards: Mutex<wizard::Wizards>,
    calls: AtomicU64,
}

/// A simulator serving on a loopback port until dropped.
pub struct RunningSimulator {
    pub url: String,
    pub sim: Simulator,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Simulator {
    pub fn new(opts: SimOptions) -> Self {
        let db = Db::with_mail(opts.version, opts.mail);
        Simulator {
            inner: Arc::new(Inner {
                options: opts,
                db: Mutex::new(db),
                sessions: Mutex::new(HashMap::new()),
                wizards: Mutex::new(wizard::Wizards::default()),
                calls: AtomicU64::new(0),
            }),
        }
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/jsonrpc", post(jsonrpc::handle))
            .route("/web/webclient/version_info", any(jsonrpc::version_info))
            .route(
                "/web/session/authenticate",
                post(jsonrpc::session_authenticate),
            )
            .route("/web/session/destroy", post(jsonrpc::session_destroy))
            .route("/report/{converter}/{report}", get(reports::render))
            .route("/report/{converter}/{report}/{ids}", get(reports::render))
            .route("/web/dataset/call_kw", post(jsonrpc::call_kw))
            .route("/web/dataset/call_kw/{*path}", post(jsonrpc::call_kw))
            .route("/web/dataset/call_button", post(jsonrpc::call_kw))
            .route("/web/dataset/call_button/{*path}", post(jsonrpc::call_kw))
            .route("/json/2/{model}/{method}", any(json2::handle))
            .route("/xmlrpc/2/{service}", post(xmlrpc::handle))
            .route("/xmlrpc/{service}", post(xmlrpc::handle))
            .fallback(not_found)
            .with_state(self.clone())
    }

    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }

    pub async fn spawn(opts: SimOptions) -> std::io::Result<RunningSimulator> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let sim = Simulator::new(opts);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = sim.clone();
        tokio::spawn(async move {
            // Dropping the sender (RunningSimulator dropped) also resolves `stopped`.
            let shutdown = async move {
                let _ = stopped.await;
            };
            if let Err(error) = server.serve(listener, shutdown).await {
                tracing::warn!(%error, "odoo simulator stopped");
            }
        });
        Ok(RunningSimulator {
            url,
            sim,
            _stop: stop,
        })
    }

    /// A new API key for `login`, like Odoo's "New API Key" wizard; `None` for an unknown login.
    pub fn issue_api_key(&self, login: &str) -> Option<String> {
        let mut db = self.db();
        let uid = user_by_login(&db, login)?;
        let mut key = uuid::Uuid::new_v4().simple().to_string();
        key.push_str(&uuid::Uuid::new_v4().simple().to_string()[..8]);
        db.secrets
            .entry(uid)
            .or_default()
            .api_keys
            .push(key.clone());
        Some(key)
    }

    pub fn database(&self) -> &str {
        &self.inner.options.database
    }

    pub fn version(&self) -> OdooVersion {
        self.inner.options.version
    }

    /// Test inspection without HTTP: the stored record (all stored fields and `id`), or `None`.
    pub fn record(&self, model: &str, id: i64) -> Option<Value> {
        let db = self.db();
        db.row(model, id)?;
        let meta = db.model(model)?;
        let mut record = serde_json::Map::new();
        // Stored fields, and those written through an inverse (an attachment's `datas`).
        for field in meta.fields.iter().filter(|f| f.store || !f.readonly) {
            record.insert(field.name.to_owned(), db.value(model, id, field.name));
        }
        Some(Value::Object(record))
    }

    /// How many RPC requests the simulator has served.
    pub fn calls_served(&self) -> u64 {
        self.inner.calls.load(Ordering::Relaxed)
    }

    fn count_call(&self) {
        self.inner.calls.fetch_add(1, Ordering::Relaxed);
    }

    fn db(&self) -> MutexGuard<'_, Db> {
        // A poisoned lock only means another request panicked; the data is still usable.
        self.inner
            .db
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn sessions(&self) -> MutexGuard<'_, HashMap<String, i64>> {
        self.inner
            .sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn wizards(&self) -> MutexGuard<'_, wizard::Wizards> {
        self.inner
            .wizards
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The password itself (not an API key): what the identity check asks for.
    fn password_matches(&self, uid: i64, password: &str) -> bool {
        let db = self.db();
        db.secrets
            .get(&uid)
            .is_some_and(|s| !s.password.is_empty() && s.password == password)
    }

    fn login_of(&self, uid: i64) -> Option<String> {
        let db = self.db();
        db.row("res.users", uid)?
            .get("login")?
            .as_str()
            .map(str::to_owned)
    }

    fn version_info(&self) -> Value {
        let major = self.version().major();
        json!({
            "server_version": format!("{major}.0"),
            "server_version_info": [major, 0, 0, "final", 0, ""],
            "server_serie": format!("{major}.0"),
            "protocol_version": 1,
        })
    }

    /// `common.login` / `authenticate`: the uid, or `None` for wrong credentials. API keys work as passwords.
    fn login(&self, login: &str, password: &str) -> Option<i64> {
        let db = self.db();
        let uid = user_by_login(&db, login)?;
        credentials_match(&db, uid, password).then_some(uid)
    }

    /// An interactive (web) sign-in: Odoo takes the password only, never an API key.
    fn web_login(&self, login: &str, password: &str) -> Option<i64> {
        let db = self.db();
        let uid = user_by_login(&db, login)?;
        let secret = db.secrets.get(&uid)?;
        (!secret.password.is_empty() && secret.password == password).then_some(uid)
    }

    /// `execute_kw` credentials: AccessDenied unless db, uid and password (or API key) match.
    fn check_credentials(&self, database: &str, uid: i64, password: &str) -> Result<(), Fault> {
        let db = self.db();
        let active = db
            .row("res.users", uid)
            .is_some_and(|u| u.get("active") == Some(&json!(true)));
        if database != self.database() || !active || !credentials_match(&db, uid, password) {
            return Err(Fault::access_denied());
        }
        Ok(())
    }

    /// The user owning an API key (JSON-2 accepts only keys, never passwords).
    fn api_key_user(&self, key: &str) -> Option<i64> {
        let db = self.db();
        let uid = db
            .secrets
            .iter()
            .find(|(_, s)| s.api_keys.iter().any(|k| k == key))
            .map(|(uid, _)| *uid)?;
        db.row("res.users", uid)
            .is_some_and(|u| u.get("active") == Some(&json!(true)))
            .then_some(uid)
    }

    /// Run one model method for an authenticated uid; writes are rolled back when it fails.
    fn execute(
        &self,
        uid: i64,
        model: &str,
        method: &str,
        protocol: Protocol,
        bind: impl FnOnce(OdooVersion) -> Result<Call, Fault>,
    ) -> Result<Value, Fault> {
        let mut db = self.db();
        let version = db.version;
        let meta = match db.model(model) {
            Some(meta) => meta.clone(),
            None if protocol == Protocol::Json2 => {
                return Err(Fault::new(
                    Kind::NotFound,
                    format!("the model '{model}' does not exist"),
                ));
            }
            None => return Err(Fault::user_error(format!("Object {model} doesn't exist"))),
        };
        methods::resolve_method(model, method, version).map_err(|fault| {
            match (protocol, fault.kind) {
                (Protocol::Json2, Kind::AttributeError) => {
                    Fault::new(Kind::NotFound, fault.message)
                }
                _ => fault,
            }
        })?;
        let call = bind(version)?;
        let snapshot = methods::mutates(method, model, version)
            .then(|| (db.tables.clone(), db.secrets.clone()));
        let result = methods::run(&mut db, uid, &meta, method, call, protocol);
        if result.is_err()
            && let Some((tables, secrets)) = snapshot
        {
            db.tables = tables;
            db.secrets = secrets;
        }
        result
    }
}

fn user_by_login(db: &Db, login: &str) -> Option<i64> {
    db.tables
        .get("res.users")?
        .rows
        .iter()
        .find_map(|(uid, user)| {
            let matches = user.get("login").and_then(Value::as_str) == Some(login)
                && user.get("active") == Some(&json!(true));
            matches.then_some(*uid)
        })
}

fn credentials_match(db: &Db, uid: i64, password: &str) -> bool {
    let Some(secret) = db.secrets.get(&uid) else {
        return false;
    };
    let by_password = !secret.password.is_empty() && secret.password == password;
    by_password || secret.api_keys.iter().any(|key| key == password)
}

/// werkzeug's plain 404 page, for every route the simulated Odoo does not have.
async fn not_found() -> impl IntoResponse {
    (StatusCode::NOT_FOUND, Html(NOT_FOUND_PAGE))
}

const NOT_FOUND_PAGE: &str = "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n";
