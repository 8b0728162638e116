//! The recorded Odoo 18/19 wire samples (`odoo-wire-samples.md`) that need more than one request:
//! create → write → unlink on the same record, web sessions, the API-key wizard, and the
//! simulator's own credentials. The standalone samples are replayed from their data files by
//! `crates/odoo-sim/tests/replay.rs`; here the requests are written out, ids may differ, texts
//! may not.

mod common;

use common::key_order;
use odoo_sim::{OdooVersion, RunningSimulator, SimOptions, Simulator};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Odoo {
    running: RunningSimulator,
    version: OdooVersion,
    client: reqwest::Client,
}

struct Answer {
    status: StatusCode,
    content_type: String,
    www_authenticate: Option<String>,
    set_cookie: Option<String>,
    raw: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.raw).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.raw))
    }
    fn result(&self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "{}", self.raw);
        assert_eq!(self.content_type, "application/json; charset=utf-8");
        let body = self.json();
        assert_eq!(keys(&body), ["id", "jsonrpc", "result"], "{}", self.raw);
        assert_eq!(body["jsonrpc"], "2.0");
        body["result"].clone()
    }
}

fn keys(value: &Value) -> Vec<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

impl Odoo {
    async fn start(version: OdooVersion) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let database = match version {
            OdooVersion::V18 => "demo",
            OdooVersion::V19 => "demo19",
        };
        let options = SimOptions {
            version,
            database: database.to_owned(),
            ..SimOptions::default()
        };
        let running = Simulator::spawn(options).await.expect("simulator starts");
        Odoo {
            running,
            version,
            client: reqwest::Client::new(),
        }
    }

    fn db(&self) -> &str {
        self.running.sim.database()
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("request sent");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let content_type = header("content-type").unwrap_or_default();
        let www_authenticate = header("www-authenticate");
        let set_cookie = header("set-cookie");
        let status = response.status();
        let raw = response.text().await.unwrap();
        Answer {
            status,
            content_type,
            www_authenticate,
            set_cookie,
            raw,
        }
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        let url = format!("{}{path}", self.running.url);
        self.send(self.client.post(url).json(&body)).await
    }

    async fn call(&self, service: &str, method: &str, args: Value) -> Answer {
        let body = json!({"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}, "id": 7});
        self.post("/jsonrpc", body).await
    }

    async fn execute_kw(
        &self,
        uid: i64,
        password: &str,
        model: &str,
        method: &str,
        args: Value,
        kwargs: Option<Value>,
    ) -> Answer {
        let mut args = vec![
            json!(self.db()),
            json!(uid),
            json!(password),
            json!(model),
            json!(method),
            args,
        ];
        args.extend(kwargs);
        self.call("object", "execute_kw", Value::Array(args)).await
    }

    async fn admin(&self, model: &str, method: &str, args: Value, kwargs: Option<Value>) -> Answer {
        self.execute_kw(2, "admin", model, method, args, kwargs)
            .await
    }

    async fn demo_uid(&self) -> i64 {
        let db = self.db().to_owned();
        self.call("common", "authenticate", json!([db, "demo", "demo", {}]))
            .await
            .result()
            .as_i64()
            .unwrap()
    }

    /// A JSON-RPC error: HTTP 200, the version's code and key order, the expected class and message.
    fn assert_error(&self, answer: &Answer, name: &str, message: &str) {
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.content_type, "application/json; charset=utf-8");
        let body = answer.json();
        assert_eq!(keys(&body), ["error", "id", "jsonrpc"], "{}", answer.raw);
        assert_eq!(body["id"], 7);
        let code = if self.version == OdooVersion::V18 {
            200
        } else {
            0
        };
        assert_eq!(body["error"]["code"], code);
        assert_eq!(body["error"]["message"], "Odoo Server Error");
        let data = &body["error"]["data"];
        assert_eq!(data["name"], name, "{}", answer.raw);
        assert_eq!(data["message"], message, "{}", answer.raw);
        assert_eq!(data["arguments"], json!([message]));
        assert_eq!(data["context"], json!({}));
        let order = match self.version {
            OdooVersion::V18 => ["name", "debug", "message", "arguments", "context"],
            OdooVersion::V19 => ["name", "message", "arguments", "context", "debug"],
        };
        assert_eq!(key_order(&answer.raw, "\"data\":"), order);
        assert!(data["debug"].as_str().is_some_and(|d| !d.is_empty()));
    }

    fn pick<'a>(&self, v18: &'a str, v19: &'a str) -> &'a str {
        if self.version == OdooVersion::V18 {
            v18
        } else {
            v19
        }
    }
}

const VERSIONS: [OdooVersion; 2] = [OdooVersion::V18, OdooVersion::V19];

#[tokio::test]
async fn common_service_samples_1_2_3_16_36() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        let db = odoo.db().to_owned();
        let major = if version == OdooVersion::V18 { 18 } else { 19 };
        let info = odoo.call("common", "version", json!([])).await.result();
        assert_eq!(
            info,
            json!({"server_version": format!("{major}.0"), "server_version_info": [major, 0, 0, "final", 0, ""], "server_serie": format!("{major}.0"), "protocol_version": 1})
        );
        assert_eq!(
            odoo.call("common", "authenticate", json!([db, "admin", "admin", {}]))
                .await
                .result(),
            2
        );
        assert_eq!(
            odoo.call("common", "login", json!([db, "admin", "admin"]))
                .await
                .result(),
            2
        );
        assert_eq!(
            odoo.call(
                "common",
                "authenticate",
                json!([db, "admin", "wrong-password", {}])
            )
            .await
            .result(),
            false
        );
        let demo = if version == OdooVersion::V18 { 6 } else { 5 };
        assert_eq!(odoo.demo_uid().await, demo);

        let key = odoo.running.sim.issue_api_key("admin").unwrap();
        assert_eq!(key.len(), 40);
        assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(
            odoo.call("common", "authenticate", json!([db, "admin", key, {}]))
                .await
                .result(),
            2
        );
        let count = odoo
            .execute_kw(2, &key, "res.partner", "search_count", json!([[]]), None)
            .await
            .result();
        assert!(count.as_i64().unwrap() > 20);
    }
}

#[tokio::test]
async fn reading_samples_6_7_8_9() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        let attributes =
            json!({"attributes": ["string", "type", "required", "readonly", "relation", "help"]});
        let fields = odoo
            .admin("res.partner", "fields_get", json!([]), Some(attributes))
            .await
            .result();
        assert_eq!(
            fields["name"],
            json!({"readonly": false, "required": false, "string": "Name", "type": "char"})
        );
        assert_eq!(
            fields["email"],
            json!({"readonly": false, "required": false, "string": "Email", "type": "char"})
        );
        assert_eq!(
            fields["is_company"],
            json!({"help": "Check if the contact is a company, otherwise it is a person", "readonly": false, "required": false, "string": "Is a Company", "type": "boolean"})
        );
        assert_eq!(
            fields["country_id"],
            json!({"readonly": false, "relation": "res.country", "required": false, "string": "Country", "type": "many2one"})
        );
        assert_eq!(
            fields["child_ids"],
            json!({"readonly": false, "relation": "res.partner", "required": false, "string": "Contact", "type": "one2many"})
        );
        assert_eq!(
            fields["type"],
            json!({"readonly": false, "required": false, "string": "Address Type", "type": "selection"})
        );
        assert_eq!(
            fields["create_date"],
            json!({"readonly": true, "required": false, "string": "Created on", "type": "datetime"})
        );

        let kwargs = json!({"fields": ["name", "email", "country_id", "child_ids"], "limit": 3, "order": "id"});
        let companies = odoo
            .admin(
                "res.partner",
                "search_read",
                json!([[["is_company", "=", true]]]),
                Some(kwargs),
            )
            .await
            .result();
        let companies = companies.as_array().unwrap();
        assert_eq!(companies.len(), 3);
        for company in companies {
            assert_eq!(
                keys(company),
                ["child_ids", "country_id", "email", "id", "name"]
            );
        }
        assert_eq!(companies[0]["name"], "YourCompany");
        assert_eq!(companies[0]["email"], "info@yourcompany.com");
        assert_eq!(companies[0]["country_id"], json!([233, "United States"]));
        assert_eq!(companies[1]["name"], "Wood Corner");
        assert!(companies[1]["child_ids"].as_array().unwrap().len() >= 2);
        assert_eq!(
            companies[2]["name"],
            odoo.pick("Deco Addict", "Acme Corporation")
        );

        let count = odoo
            .admin(
                "res.partner",
                "search_count",
                json!([[["is_company", "=", true]]]),
                None,
            )
            .await
            .result();
        assert!(count.as_i64().unwrap() >= 8);

        let read_fields = json!({"fields": ["name", "email", "is_company", "create_date", "write_date", "category_id", "image_128"]});
        let read = odoo
            .admin("res.partner", "read", json!([[1]]), Some(read_fields))
            .await
            .result();
        let record = &read[0];
        assert_eq!(
            keys(record),
            [
                "category_id",
                "create_date",
                "email",
                "id",
                "image_128",
                "is_company",
                "name",
                "write_date"
            ]
        );
        assert_eq!(
            (
                record["id"].clone(),
                record["name"].clone(),
                record["is_company"].clone()
            ),
            (json!(1), json!("YourCompany"), json!(true))
        );
        assert_eq!(record["category_id"], json!([]));
        assert!(record["create_date"].as_str().unwrap().len() == 19);
    }
}

#[tokio::test]
async fn writing_samples_10_to_15() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        let created = odoo
            .admin(
                "res.partner",
                "create",
                json!([{"name": "RPC Sample Partner", "email": "rpc.sample@example.com"}]),
                None,
            )
            .await
            .result();
        let id = created.as_i64().expect("a single dict creates a single id");
        let many = odoo
            .admin(
                "res.partner",
                "create",
                json!([[{"name": "RPC Sample A"}, {"name": "RPC Sample B"}]]),
                None,
            )
            .await
            .result();
        assert_eq!(many.as_array().unwrap().len(), 2);
        assert_eq!(
            odoo.admin(
                "res.partner",
                "write",
                json!([[id], {"phone": "+32 2 555 01 23"}]),
                None
            )
            .await
            .result(),
            true
        );
        assert_eq!(
            odoo.running.sim.record("res.partner", id).unwrap()["phone"],
            "+32 2 555 01 23"
        );
        assert_eq!(
            odoo.admin("res.partner", "unlink", json!([[id]]), None)
                .await
                .result(),
            true
        );
        assert_eq!(
            odoo.admin(
                "res.partner",
                "read",
                json!([[id]]),
                Some(json!({"fields": ["name"]}))
            )
            .await
            .result(),
            json!([])
        );
        let gone = odoo
            .admin(
                "res.partner",
                "write",
                json!([[id], {"name": "gone"}]),
                None,
            )
            .await;
        let message = format!(
            "Record does not exist or has been deleted.\n(Record: res.partner({id},), User: 2)"
        );
        odoo.assert_error(&gone, "odoo.exceptions.MissingError", &message);
    }
}

#[tokio::test]
async fn access_samples_17_18_19_22() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        let demo = odoo.demo_uid().await;
        let answer = odoo
            .execute_kw(
                demo,
                "demo",
                "ir.config_parameter",
                "search_read",
                json!([[]]),
                Some(json!({"fields": ["key"]})),
            )
            .await;
        let group = odoo.pick("Administration/Settings", "Role / Administrator");
        let message = format!(
            "You are not allowed to access 'System Parameter' (ir.config_parameter) records.\n\nThis operation is allowed for the following groups:\n\t- {group}\n\nContact your administrator to request access if necessary."
        );
        odoo.assert_error(&answer, "odoo.exceptions.AccessError", &message);

        let answer = odoo
            .execute_kw(
                demo,
                "demo",
                "res.users",
                "create",
                json!([{"name": "x", "login": "x"}]),
                None,
            )
            .await;
        let group = odoo.pick("Administration/Access Rights", "Access Rights");
        let message = format!(
            "You are not allowed to create 'User' (res.users) records.\n\nThis operation is allowed for the following groups:\n\t- {group}\n\nContact your administrator to request access if necessary."
        );
        odoo.assert_error(&answer, "odoo.exceptions.AccessError", &message);

        let answer = odoo
            .execute_kw(
                2,
                "wrong-password",
                "res.partner",
                "search",
                json!([[]]),
                None,
            )
            .await;
        odoo.assert_error(&answer, "odoo.exceptions.AccessDenied", "Access Denied");
        if version == OdooVersion::V19 {
            assert_eq!(
                answer.json()["error"]["data"]["debug"],
                "odoo.exceptions.AccessDenied: Access Denied\n"
            );
        }

        let answer = odoo
            .admin("res.partner", "_compute_display_name", json!([[1]]), None)
            .await;
        odoo.assert_error(&answer, "odoo.exceptions.AccessError", "Private methods (such as 'res.partner._compute_display_name') cannot be called remotely.");
    }
}

#[tokio::test]
async fn error_samples_20_21_23_24_25_26_29_30() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        let answer = odoo
            .admin("no.such.model", "search", json!([[]]), None)
            .await;
        odoo.assert_error(
            &answer,
            "odoo.exceptions.UserError",
            "Object no.such.model doesn't exist",
        );

        let answer = odoo
            .admin("res.partner", "no_such_method", json!([[]]), None)
            .await;
        odoo.assert_error(
            &answer,
            "builtins.AttributeError",
            "The method 'res.partner.no_such_method' does not exist",
        );

        let answer = odoo
            .admin(
                "res.partner",
                "search",
                json!([[["no_such_field", "=", 1]]]),
                None,
            )
            .await;
        let word = odoo.pick("leaf", "condition");
        odoo.assert_error(
            &answer,
            "builtins.ValueError",
            &format!("Invalid field res.partner.no_such_field in {word} ('no_such_field', '=', 1)"),
        );

        let answer = odoo
            .admin("res.partner", "write", json!([[1], {"parent_id": 1}]), None)
            .await;
        odoo.assert_error(
            &answer,
            "odoo.exceptions.ValidationError",
            "You cannot create recursive Partner hierarchies.",
        );
        assert_eq!(
            odoo.running.sim.record("res.partner", 1).unwrap()["parent_id"],
            false,
            "the failed write rolled back"
        );

        let answer = odoo
            .admin(
                "res.partner.category",
                "create",
                json!([{"color": 1}]),
                None,
            )
            .await;
        let message = odoo.pick(
            "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another model requires the record being deleted. If possible, archive it instead.\n\nModel: Partner Tags (res.partner.category)\nField: Name (name)\n",
            "The operation cannot be completed: Missing required value for the field 'Name' (name).\nModel: 'Partner Tags' (res.partner.category)\n- create/update: a mandatory field is not set\n- delete: another model requires the record being deleted, you can archive it instead\n",
        );
        odoo.assert_error(&answer, "odoo.exceptions.ValidationError", message);

        let answer = odoo
            .admin(
                "res.users",
                "create",
                json!([{"name": "Dup", "login": "admin"}]),
                None,
            )
            .await;
        odoo.assert_error(
            &answer,
            "odoo.exceptions.ValidationError",
            "The operation cannot be completed: You can not have two users with the same login!",
        );

        let answer = odoo.call("nope", "version", json!([])).await;
        odoo.assert_error(&answer, "builtins.KeyError", "nope");

        let url = format!("{}/jsonrpc", odoo.running.url);
        let answer = odoo
            .send(
                odoo.client
                    .post(url)
                    .header("content-type", "application/json")
                    .body("{not json"),
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(answer.content_type, "text/html; charset=utf-8");
        assert_eq!(answer.raw, "Invalid JSON data");
    }
}

#[tokio::test]
async fn web_session_samples_4_5_27_28() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        let db = odoo.db().to_owned();
        let login = |password: &str| json!({"jsonrpc": "2.0", "method": "call", "id": 7, "params": {"db": db, "login": "admin", "password": password}});
        let answer = odoo.post("/web/session/authenticate", login("admin")).await;
        let cookie = answer.set_cookie.clone().expect("a session cookie");
        assert!(
            cookie.starts_with("session_id=")
                && cookie.contains("HttpOnly")
                && cookie.contains("Path=/")
        );
        let info = answer.result();
        assert_eq!(
            (
                info["uid"].clone(),
                info["is_admin"].clone(),
                info["db"].clone()
            ),
            (json!(2), json!(true), json!(db))
        );
        assert_eq!(info["partner_display_name"], "YourCompany, Mitchell Admin");

        let answer = odoo
            .post("/web/session/authenticate", login("wrong-password"))
            .await;
        odoo.assert_error(&answer, "odoo.exceptions.AccessDenied", "Access Denied");

        let session = cookie.split(';').next().unwrap().to_owned();
        let call = json!({"jsonrpc": "2.0", "method": "call", "id": 27, "params": {"model": "res.partner", "method": "search_read", "args": [[["id", "=", 1]]], "kwargs": {"fields": ["name"], "context": {"lang": "en_US"}}}});
        let url = format!(
            "{}/web/dataset/call_kw/res.partner/search_read",
            odoo.running.url
        );
        let answer = odoo
            .send(odoo.client.post(&url).header("cookie", session).json(&call))
            .await;
        assert_eq!(answer.result(), json!([{"id": 1, "name": "YourCompany"}]));

        let answer = odoo.send(odoo.client.post(&url).json(&call)).await;
        let body = answer.json();
        assert_eq!(body["id"], Value::Null);
        assert_eq!(body["error"]["code"], 100);
        assert_eq!(body["error"]["message"], "Odoo Session Expired");
        assert_eq!(
            body["error"]["data"]["name"],
            "odoo.http.SessionExpiredException"
        );
        assert_eq!(body["error"]["data"]["message"], "Session expired");
    }
}

impl Odoo {
    async fn json2(&self, key: Option<&str>, model_method: &str, body: Value) -> Answer {
        let url = format!("{}/json/2/{model_method}", self.running.url);
        let mut request = self
            .client
            .post(url)
            .header("X-Odoo-Database", self.db())
            .json(&body);
        if let Some(key) = key {
            request = request.header("Authorization", format!("bearer {key}"));
        }
        self.send(request).await
    }

    fn assert_json2_error(&self, answer: &Answer, status: u16, name: &str, arguments: Value) {
        assert_eq!(answer.status.as_u16(), status, "{}", answer.raw);
        assert_eq!(answer.content_type, "application/json; charset=utf-8");
        let body = answer.json();
        assert_eq!(
            key_order(&answer.raw, "{"),
            ["name", "message", "arguments", "context", "debug"]
        );
        assert_eq!(body["name"], name);
        assert_eq!(body["message"], arguments[0]);
        assert_eq!(body["arguments"], arguments);
        assert_eq!(body["context"], json!({}));
    }
}

#[tokio::test]
async fn json2_samples_42_to_58_on_19() {
    let odoo = Odoo::start(OdooVersion::V19).await;
    let admin_key = odoo.running.sim.issue_api_key("admin").unwrap();
    let key = Some(admin_key.as_str());

    let answer = odoo
        .json2(
            key,
            "res.partner/search_read",
            json!({"domain": [["is_company", "=", true]], "fields": ["name", "email"], "limit": 2}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type, "application/json; charset=utf-8");
    let found = answer.json();
    assert_eq!(found[0]["name"], "Acme Corporation");
    assert_eq!(found[0]["email"], "acme_corp@yourcompany.example.com");
    assert_eq!(found[1]["name"], "Azure Interior");
    assert_eq!(keys(&found[1]), ["email", "id", "name"]);

    let read = odoo
        .json2(
            key,
            "res.partner/read",
            json!({"ids": [1], "fields": ["name", "email"]}),
        )
        .await
        .json();
    assert_eq!(
        read,
        json!([{"id": 1, "name": "YourCompany", "email": "info@yourcompany.com"}])
    );

    let created = odoo
        .json2(
            key,
            "res.partner/create",
            json!({"vals_list": [{"name": "JSON2 Sample"}]}),
        )
        .await
        .json();
    let id = created[0].as_i64().expect("create returns a list of ids");
    assert_eq!(
        odoo.json2(
            key,
            "res.partner/write",
            json!({"ids": [id], "vals": {"phone": "123"}})
        )
        .await
        .json(),
        true
    );
    assert_eq!(
        odoo.json2(key, "res.partner/unlink", json!({"ids": [id]}))
            .await
            .json(),
        true
    );

    let fields = odoo
        .json2(
            key,
            "res.partner/fields_get",
            json!({"attributes": ["string", "type"]}),
        )
        .await
        .json();
    assert_eq!(fields["name"], json!({"string": "Name", "type": "char"}));
    assert_eq!(
        fields["child_ids"],
        json!({"string": "Contact", "type": "one2many"})
    );
    assert_eq!(
        fields["create_date"],
        json!({"string": "Created on", "type": "datetime"})
    );

    let answer = odoo
        .json2(key, "no.such.model/search", json!({"domain": []}))
        .await;
    odoo.assert_json2_error(
        &answer,
        404,
        "werkzeug.exceptions.NotFound",
        json!(["the model 'no.such.model' does not exist", 404]),
    );
    let answer = odoo
        .json2(key, "res.partner/no_such_method", json!({}))
        .await;
    odoo.assert_json2_error(
        &answer,
        404,
        "werkzeug.exceptions.NotFound",
        json!([
            "The method 'res.partner.no_such_method' does not exist",
            404
        ]),
    );
    let answer = odoo
        .json2(
            key,
            "res.partner/write",
            json!({"ids": [1], "vals": {"parent_id": 1}}),
        )
        .await;
    odoo.assert_json2_error(
        &answer,
        422,
        "odoo.exceptions.ValidationError",
        json!(["You cannot create recursive Partner hierarchies."]),
    );

    let answer = odoo
        .json2(
            Some("0000000000000000000000000000000000000000"),
            "res.partner/search",
            json!({"domain": []}),
        )
        .await;
    odoo.assert_json2_error(
        &answer,
        401,
        "werkzeug.exceptions.Unauthorized",
        json!(["Invalid apikey", 401]),
    );
    // The sample shows `Bearer ` with a trailing space, which HTTP parsers trim.
    assert_eq!(
        answer.www_authenticate.as_deref().map(str::trim),
        Some("Bearer")
    );
    let answer = odoo
        .json2(Some("admin"), "res.partner/search", json!({"domain": []}))
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNAUTHORIZED,
        "passwords are not API keys"
    );
    let answer = odoo
        .json2(None, "res.partner/search", json!({"domain": []}))
        .await;
    odoo.assert_json2_error(
        &answer,
        401,
        "werkzeug.exceptions.Unauthorized",
        json!([
            "User not authenticated, use an API Key with a Bearer Authorization header.",
            401
        ]),
    );
    assert_eq!(
        answer.www_authenticate.as_deref().map(str::trim),
        Some("Bearer")
    );

    let answer = odoo
        .json2(key, "res.partner/search", json!({"ids": [1], "domain": []}))
        .await;
    odoo.assert_json2_error(
        &answer,
        422,
        "werkzeug.exceptions.UnprocessableEntity",
        json!(["cannot call res.partner.search with ids", 422]),
    );
    let answer = odoo
        .json2(
            key,
            "res.partner/search_read",
            json!({"domain": [], "no_such_kwarg": 1}),
        )
        .await;
    odoo.assert_json2_error(
        &answer,
        500,
        "builtins.TypeError",
        json!(["BaseModel._read_format() got an unexpected keyword argument 'no_such_kwarg'"]),
    );
    let answer = odoo
        .json2(
            key,
            "res.partner/_compute_display_name",
            json!({"ids": [1]}),
        )
        .await;
    odoo.assert_json2_error(&answer, 403, "odoo.exceptions.AccessError", json!(["Private methods (such as 'res.partner._compute_display_name') cannot be called remotely."]));

    let demo_key = odoo.running.sim.issue_api_key("demo").unwrap();
    let answer = odoo
        .json2(
            Some(&demo_key),
            "ir.config_parameter/search_read",
            json!({"domain": [], "fields": ["key"]}),
        )
        .await;
    let message = "You are not allowed to access 'System Parameter' (ir.config_parameter) records.\n\nThis operation is allowed for the following groups:\n\t- Role / Administrator\n\nContact your administrator to request access if necessary.";
    odoo.assert_json2_error(
        &answer,
        403,
        "odoo.exceptions.AccessError",
        json!([message]),
    );

    let url = format!("{}/json/2/res.partner/search", odoo.running.url);
    let answer = odoo
        .send(
            odoo.client
                .get(url)
                .header("Authorization", format!("bearer {admin_key}")),
        )
        .await;
    odoo.assert_json2_error(
        &answer,
        404,
        "werkzeug.exceptions.NotFound",
        json!(["Did you mean POST /json/2/<model>/<method>?", 404]),
    );

    let answer = odoo
        .json2(
            key,
            "res.partner/search_read",
            json!({"domain": [["id", "=", 1]], "fields": ["name"], "context": {"lang": "en_US"}}),
        )
        .await;
    assert_eq!(answer.json(), json!([{"id": 1, "name": "YourCompany"}]));
}

#[tokio::test]
async fn odoo_18_has_no_json2_route() {
    let odoo = Odoo::start(OdooVersion::V18).await;
    let key = odoo.running.sim.issue_api_key("admin").unwrap();
    let answer = odoo
        .json2(Some(&key), "res.partner/search", json!({"domain": []}))
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(answer.content_type.starts_with("text/html"));
}

#[tokio::test]
async fn calls_served_counts_rpc_requests() {
    let odoo = Odoo::start(OdooVersion::V19).await;
    assert_eq!(odoo.running.sim.calls_served(), 0);
    odoo.call("common", "version", json!([])).await.result();
    assert_eq!(odoo.running.sim.calls_served(), 1);
}

impl Odoo {
    async fn xmlrpc(&self, service: &str, xml: String) -> Answer {
        let url = format!("{}/xmlrpc/2/{service}", self.running.url);
        let answer = self
            .send(
                self.client
                    .post(url)
                    .header("content-type", "text/xml")
                    .body(xml),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.content_type, "text/xml; charset=utf-8");
        answer
    }

    fn execute_kw_xml(
        &self,
        uid: i64,
        password: &str,
        model: &str,
        method: &str,
        args: &str,
    ) -> String {
        let param = |value: String| format!("<param>\n<value>{value}</value>\n</param>\n");
        let mut xml = String::from(
            "<?xml version='1.0'?>\n<methodCall>\n<methodName>execute_kw</methodName>\n<params>\n",
        );
        xml.push_str(&param(format!("<string>{}</string>", self.db())));
        xml.push_str(&param(format!("<int>{uid}</int>")));
        xml.push_str(&param(format!("<string>{password}</string>")));
        xml.push_str(&param(format!("<string>{model}</string>")));
        xml.push_str(&param(format!("<string>{method}</string>")));
        xml.push_str(&param(args.to_owned()));
        xml.push_str("</params>\n</methodCall>\n");
        xml
    }
}

fn fault_xml(code: i64, text: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>{code}</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>{text}</string></value>\n</member>\n</struct></value>\n</fault>\n\n</methodResponse>\n"
    )
}

#[tokio::test]
async fn xmlrpc_samples_37_to_41() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        let major = if version == OdooVersion::V18 { 18 } else { 19 };
        let call = "<?xml version='1.0'?>\n<methodCall>\n<methodName>version</methodName>\n<params>\n</params>\n</methodCall>\n";
        let answer = odoo.xmlrpc("common", call.to_owned()).await;
        assert!(answer.raw.starts_with(
            "<?xml version=\"1.0\"?>\n<methodResponse>\n<params>\n<param>\n<value><struct>\n"
        ));
        let info = format!(
            "<name>server_version_info</name>\n<value><array><data>\n<value><int>{major}</int></value>\n<value><int>0</int></value>\n<value><int>0</int></value>\n<value><string>final</string></value>\n<value><int>0</int></value>\n<value><string></string></value>\n</data></array></value>"
        );
        assert!(answer.raw.contains(&info), "{}", answer.raw);

        let demo = odoo.demo_uid().await;
        let empty_domain =
            "<array><data>\n<value><array><data>\n</data></array></value>\n</data></array>";
        let xml = odoo.execute_kw_xml(
            demo,
            "demo",
            "ir.config_parameter",
            "search_read",
            empty_domain,
        );
        let group = odoo.pick("Administration/Settings", "Role / Administrator");
        let message = format!(
            "You are not allowed to access 'System Parameter' (ir.config_parameter) records.\n\nThis operation is allowed for the following groups:\n\t- {group}\n\nContact your administrator to request access if necessary."
        );
        assert_eq!(odoo.xmlrpc("object", xml).await.raw, fault_xml(4, &message));

        let xml = odoo.execute_kw_xml(2, "wrong-password", "res.partner", "search", empty_domain);
        assert_eq!(
            odoo.xmlrpc("object", xml).await.raw,
            fault_xml(3, "Access Denied")
        );

        let write = "<array><data>\n<value><array><data>\n<value><int>1</int></value>\n</data></array></value>\n<value><struct>\n<member>\n<name>parent_id</name>\n<value><int>1</int></value>\n</member>\n</struct></value>\n</data></array>";
        let xml = odoo.execute_kw_xml(2, "admin", "res.partner", "write", write);
        assert_eq!(
            odoo.xmlrpc("object", xml).await.raw,
            fault_xml(2, "You cannot create recursive Partner hierarchies.")
        );

        let xml = odoo.execute_kw_xml(2, "admin", "no.such.model", "search", empty_domain);
        assert_eq!(
            odoo.xmlrpc("object", xml).await.raw,
            fault_xml(2, "Object no.such.model doesn't exist")
        );

        let xml = odoo.execute_kw_xml(2, "admin", "res.partner", "search_count", empty_domain);
        let count = odoo.xmlrpc("object", xml).await.raw;
        assert!(count.contains("<param>\n<value><int>"), "{count}");
    }
}

#[tokio::test]
async fn api_key_wizard_samples_31_to_36() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        let db = odoo.db().to_owned();
        let login = json!({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {"db": db, "login": "admin", "password": "admin"}});
        let answer = odoo.post("/web/session/authenticate", login).await;
        let session = answer
            .set_cookie
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let web = |path: &str, model: &str, method: &str, args: Value, kwargs: Value| {
            let url = format!("{}/web/dataset/{path}", odoo.running.url);
            let body = json!({"jsonrpc": "2.0", "method": "call", "id": 30, "params": {"model": model, "method": method, "args": args, "kwargs": kwargs}});
            odoo.client
                .post(url)
                .header("cookie", session.clone())
                .json(&body)
        };
        let description = odoo
            .send(web(
                "call_kw",
                "res.users.apikeys.description",
                "create",
                json!([{"name": "external-client-test"}]),
                json!({}),
            ))
            .await
            .result();
        let action = odoo
            .send(web(
                "call_button",
                "res.users.apikeys.description",
                "make_key",
                json!([[description]]),
                json!({}),
            ))
            .await
            .result();
        assert_eq!(action["res_model"], "res.users.identitycheck");
        assert_eq!(action["name"], "Security Control");
        let check = action["res_id"].clone();
        let written = odoo
            .send(web(
                "call_kw",
                "res.users.identitycheck",
                "write",
                json!([[check], {"password": "admin"}]),
                json!({}),
            ))
            .await
            .result();
        assert_eq!(written, true);
        let ready = odoo
            .send(web(
                "call_button",
                "res.users.identitycheck",
                "run_check",
                json!([[check]]),
                json!({"context": {"password": "admin"}}),
            ))
            .await
            .result();
        assert_eq!(ready["res_model"], "res.users.apikeys.show");
        assert_eq!(ready["name"], "API Key Ready");
        let key = ready["context"]["default_key"].as_str().unwrap().to_owned();
        assert_eq!(key.len(), 40);

        let count = odoo
            .execute_kw(2, &key, "res.partner", "search_count", json!([[]]), None)
            .await
            .result();
        assert!(count.is_i64());
        assert_eq!(
            odoo.call("common", "authenticate", json!([db, "admin", key, {}]))
                .await
                .result(),
            2
        );
    }
}
