//! Store conformance: one set of test bodies, run against SQLite always and against PostgreSQL
//! when `TEST_POSTGRES_URL` names a server (`scripts/test` sets it up).
//!
//! Each body is an `async fn(Store)` in [`cases`]; [`conformance!`] turns every one of them into
//! `store::sqlite::<case>` and `store::postgres::<case>`. Every PostgreSQL test runs in a fresh
//! database of its own (`omg_test_<random>`, dropped afterwards), so tests run in parallel.
//! Without `TEST_POSTGRES_URL` the PostgreSQL variants print a skip notice, except under `CI` or
//! `REQUIRE_POSTGRES`, where they fail: a CI run must never pass by skipping the real server.

use std::future::Future;
use std::path::Path;

use odoo_mcp_gateway::store::Store;
use tempfile::TempDir;

use crate::pg::{self, POSTGRES_URL_VAR, database_url};

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::on_sqlite(super::cases::$case).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::on_postgres(super::cases::$case).await;
                }
            )*
        }
    };
}

conformance!(
    migrations_apply_once_and_reopening_is_idempotent,
    upsert_odoo_user_inserts_then_updates_in_place,
    users_are_found_by_login_and_id_and_listed_by_login,
    set_role_grants_and_removes_a_role,
    the_last_administrator_survives_two_removing_each_other_at_once,
    sealed_credentials_come_back_byte_identical,
    insert_connection_then_get_joins_the_user,
    an_unreadable_stored_value_fails_the_read_naming_its_column,
    the_in_place_key_lookup_sees_every_change_on_the_next_read,
    connection_needs_an_existing_user,
    find_connection_by_key_hash,
    key_hash_is_unique,
    replace_key_makes_the_old_hash_unfindable,
    revoke_and_reactivate,
    record_use_counts_and_never_moves_last_used_back,
    concurrent_record_use_counts_every_request,
    update_policy_round_trips_every_column,
    list_connections_in_creation_order,
    settings_put_load_and_overwrite,
    server_settings_defaults_and_round_trip,
    connections_domain_lifecycle,
    rate_slots_admit_exactly_the_limit_under_concurrency,
    audit_events_append_filter_and_expire,
    a_large_audit_batch_is_written_whole,
    signin_attempts_lock_at_the_limit_then_start_over,
    idempotency_keys_are_claimed_once_answered_and_expire,
    file_links_are_used_once_released_and_expire,
);

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// Opens a store twice on the same location (the second open must find nothing to migrate)
/// and hands the second one to the test.
async fn open_twice(url: Option<&str>, dir: &Path) -> Store {
    let first = Store::open(url, dir).await.expect("first open migrates");
    first.close().await;
    Store::open(url, dir).await.expect("second open is a no-op")
}

pub(crate) async fn on_sqlite<F, Fut>(case: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = TempDir::new().unwrap();
    let store = open_twice(None, dir.path()).await;
    assert_eq!(store.engine(), "sqlite");
    case(store.clone()).await;
    store.close().await;
}

pub(crate) async fn on_postgres<F, Fut>(case: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(database) = pg::TempDatabase::create().await else {
        return;
    };
    let store = open_twice(Some(&database.url), Path::new("/nonexistent")).await;
    assert_eq!(store.engine(), "postgres");
    // Run the body as its own task so a failing assertion still lets us drop the database.
    let outcome = tokio::spawn(case(store.clone())).await;
    store.close().await;
    database.remove().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Opens the database `store` holds once more, as a restarted gateway would.
async fn reopen(store: &Store) -> Store {
    match store {
        Store::Sqlite(pool) => {
            let file = pool.connect_options().get_filename().to_owned();
            Store::open(None, file.parent().unwrap()).await.unwrap()
        }
        Store::Postgres(pool) => {
            let database = pool.connect_options().get_database().unwrap().to_owned();
            let admin = std::env::var(POSTGRES_URL_VAR).unwrap();
            Store::open(
                Some(&database_url(&admin, &database)),
                Path::new("/nonexistent"),
            )
            .await
            .unwrap()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

mod cases {
    use std::collections::HashSet;

    use odoo_mcp_gateway::clock::{DAY_MS, HOUR_MS, Millis};
    use odoo_mcp_gateway::connections::Policy;
    use odoo_mcp_gateway::connections::{self, Error, Kind, Scope, Status};
    use odoo_mcp_gateway::secrets::Keyring;
    use odoo_mcp_gateway::settings::{self, ServerSettings};
    use odoo_mcp_gateway::store::{
        KeyReader, NewConnection, NewOdooUser, OdooUserRow, RateKey, Store,
    };
    use odoo_mcp_gateway::users::Role;
    use odoo_mcp_gateway::values::{Limit, ToolList};
    use secrecy::{ExposeSecret, SecretString};

    /// 2026-01-01 00:00 UTC.
    const T0: Millis = 1_767_225_600_000;

    fn keyring() -> Keyring {
        Keyring::from_encoded(&Keyring::generate_encoded().unwrap()).unwrap()
    }

    async fn link(store: &Store, login: &str, uid: i64, name: &str) -> OdooUserRow {
        let sealed = format!("sealed:{login}");
        let user = NewOdooUser {
            login,
            odoo_uid: uid,
            name,
            protocol: "json2",
            secret_sealed: sealed.as_bytes(),
        };
        store.upsert_odoo_user(&user, T0).await.unwrap()
    }

    fn api_key<'a>(name: &'a str, user_id: i64, hash: &'a [u8]) -> NewConnection<'a> {
        NewConnection {
            kind: Kind::ApiKey,
            name,
            odoo_user_id: user_id,
            scope: Scope::Full,
            key_prefix: "omg_abcdefgh",
            key_hash: hash,
            description: "",
        }
    }

    async fn applied_migrations(store: &Store) -> i64 {
        let sql = "SELECT COUNT(*) FROM _sqlx_migrations WHERE success";
        match store {
            Store::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
            Store::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        }
    }

    fn migration_files(engine: &str) -> i64 {
        let dir = format!("{}/migrations/{engine}", env!("CARGO_MANIFEST_DIR"));
        let files = std::fs::read_dir(dir).unwrap();
        files
            .filter(|f| {
                f.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|e| e == "sql")
            })
            .count() as i64
    }

    pub async fn migrations_apply_once_and_reopening_is_idempotent(store: Store) {
        let expected = migration_files(store.engine());
        assert!(expected >= 1);
        assert_eq!(applied_migrations(&store).await, expected);
        store.ping().await.unwrap();
        assert!(store.list_odoo_users().await.unwrap().is_empty());
        assert!(store.list_connections().await.unwrap().is_empty());
        assert!(store.load_settings().await.unwrap().is_empty());

        // Data written before a restart is there after it, and nothing is migrated twice.
        let user = link(&store, "admin", 2, "Mitchell Admin").await;
        let again = super::reopen(&store).await;
        assert_eq!(applied_migrations(&again).await, expected);
        let found = again.find_odoo_user("admin").await.unwrap().unwrap();
        assert_eq!((found.id, found.name.as_str()), (user.id, "Mitchell Admin"));
        again.close().await;
    }

    pub async fn upsert_odoo_user_inserts_then_updates_in_place(store: Store) {
        let first = store
            .upsert_odoo_user(
                &NewOdooUser {
                    login: "demo",
                    odoo_uid: 6,
                    name: "Marc Demo",
                    protocol: "jsonrpc",
                    secret_sealed: b"v1",
                },
                T0,
            )
            .await
            .unwrap();
        assert!(first.id > 0);
        assert_eq!(first.login, "demo");
        assert_eq!(first.odoo_uid, 6);
        assert_eq!(first.name, "Marc Demo");
        assert_eq!(first.protocol, "jsonrpc");
        assert_eq!(first.secret_sealed, b"v1");
        assert_eq!(first.role, None);
        assert_eq!((first.linked_at, first.updated_at), (T0, T0));

        assert!(store.set_role("demo", Some(Role::User), T0).await.unwrap());
        let second = store
            .upsert_odoo_user(
                &NewOdooUser {
                    login: "demo",
                    odoo_uid: 7,
                    name: "Marc Demo (new)",
                    protocol: "json2",
                    secret_sealed: b"v2",
                },
                T0 + HOUR_MS,
            )
            .await
            .unwrap();
        assert_eq!(second.id, first.id, "an upsert keeps the row");
        assert_eq!(second.odoo_uid, 7);
        assert_eq!(second.name, "Marc Demo (new)");
        assert_eq!(second.protocol, "json2");
        assert_eq!(second.secret_sealed, b"v2");
        assert_eq!(
            second.role.map(Role::as_db),
            Some("user"),
            "re-linking keeps the role"
        );
        assert_eq!(second.linked_at, T0, "linked_at is the first link");
        assert_eq!(second.updated_at, T0 + HOUR_MS);
        assert_eq!(store.list_odoo_users().await.unwrap().len(), 1);
    }

    pub async fn users_are_found_by_login_and_id_and_listed_by_login(store: Store) {
        let zed = link(&store, "zed", 9, "Zed").await;
        let admin = link(&store, "admin", 2, "Mitchell Admin").await;
        let mia = link(&store, "mia@example.com", 5, "Mia").await;

        let found = store
            .find_odoo_user("mia@example.com")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (found.id, found.odoo_uid, found.name.as_str()),
            (mia.id, 5, "Mia")
        );
        assert!(
            store
                .find_odoo_user("MIA@example.com")
                .await
                .unwrap()
                .is_none()
        );
        assert!(store.find_odoo_user("nobody").await.unwrap().is_none());

        let got = store.get_odoo_user(zed.id).await.unwrap().unwrap();
        assert_eq!(got.login, "zed");
        assert_eq!(got.secret_sealed, b"sealed:zed");
        assert!(
            store
                .get_odoo_user(zed.id + mia.id + admin.id)
                .await
                .unwrap()
                .is_none()
        );

        let logins: Vec<_> = store
            .list_odoo_users()
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.login)
            .collect();
        assert_eq!(logins, ["admin", "mia@example.com", "zed"]);
    }

    pub async fn set_role_grants_and_removes_a_role(store: Store) {
        link(&store, "demo", 6, "Marc Demo").await;
        assert!(
            store
                .set_role("demo", Some(Role::Admin), T0 + 1)
                .await
                .unwrap()
        );
        let user = store.find_odoo_user("demo").await.unwrap().unwrap();
        assert_eq!(user.role.map(Role::as_db), Some("admin"));
        assert_eq!(user.updated_at, T0 + 1);

        assert!(store.set_role("demo", None, T0 + 2).await.unwrap());
        let user = store.find_odoo_user("demo").await.unwrap().unwrap();
        assert_eq!(user.role, None);
        assert_eq!(user.updated_at, T0 + 2);

        assert!(
            !store
                .set_role("nobody", Some(Role::Admin), T0)
                .await
                .unwrap()
        );
    }

    pub async fn the_last_administrator_survives_two_removing_each_other_at_once(store: Store) {
        for login in ["admin", "demo", "other"] {
            link(&store, login, 2, login).await;
        }
        assert!(store.set_role("other", Some(Role::User), T0).await.unwrap());
        // Unknown logins and non-administrators change as usual; the last one can't go.
        assert!(
            !store
                .set_role_keeping_an_admin("nobody", None, T0)
                .await
                .unwrap()
        );
        assert!(
            store
                .set_role("admin", Some(Role::Admin), T0)
                .await
                .unwrap()
        );
        assert!(
            !store
                .set_role_keeping_an_admin("admin", None, T0)
                .await
                .unwrap()
        );
        assert!(
            !store
                .set_role_keeping_an_admin("admin", Some(Role::User), T0)
                .await
                .unwrap()
        );
        assert!(
            store
                .set_role_keeping_an_admin("other", None, T0)
                .await
                .unwrap()
        );
        for round in 0..25 {
            for login in ["admin", "demo"] {
                assert!(store.set_role(login, Some(Role::Admin), T0).await.unwrap());
            }
            // Both at the same instant, each removing the other.
            let (a, b) = tokio::join!(
                store.set_role_keeping_an_admin("demo", None, T0 + round),
                store.set_role_keeping_an_admin("admin", Some(Role::User), T0 + round),
            );
            let changed = [a.unwrap(), b.unwrap()];
            assert_eq!(
                store.count_admins().await.unwrap(),
                1,
                "round {round}: {changed:?}"
            );
            assert_eq!(changed.iter().filter(|c| **c).count(), 1, "round {round}");
        }
    }

    pub async fn sealed_credentials_come_back_byte_identical(store: Store) {
        let keys = keyring();
        let sealed = keys
            .seal(&SecretString::from("odoo-api-key-0123456789"), "demo")
            .unwrap();
        let user = store
            .upsert_odoo_user(
                &NewOdooUser {
                    login: "demo",
                    odoo_uid: 6,
                    name: "Marc Demo",
                    protocol: "json2",
                    secret_sealed: &sealed,
                },
                T0,
            )
            .await
            .unwrap();
        assert_eq!(user.secret_sealed, sealed);
        let stored = store.get_odoo_user(user.id).await.unwrap().unwrap();
        assert_eq!(stored.secret_sealed, sealed);
        let opened = keys.open(&stored.secret_sealed, "demo").unwrap();
        assert_eq!(opened.expose_secret(), "odoo-api-key-0123456789");

        // Every byte value, NUL and invalid UTF-8 included, survives the round trip.
        let all_bytes: Vec<u8> = (0..=255u8).rev().chain(0..=255u8).collect();
        let user = store
            .upsert_odoo_user(
                &NewOdooUser {
                    login: "bytes",
                    odoo_uid: 8,
                    name: "Bytes",
                    protocol: "json2",
                    secret_sealed: &all_bytes,
                },
                T0,
            )
            .await
            .unwrap();
        let stored = store.find_odoo_user("bytes").await.unwrap().unwrap();
        assert_eq!(stored.id, user.id);
        assert_eq!(stored.secret_sealed, all_bytes);
    }

    pub async fn insert_connection_then_get_joins_the_user(store: Store) {
        let user = link(&store, "demo", 6, "Marc Demo").await;
        let hash = [7u8; 32];
        let new = NewConnection {
            kind: Kind::ApiKey,
            name: "Claude Code",
            odoo_user_id: user.id,
            scope: Scope::ReadOnly,
            key_prefix: "omg_12345678",
            key_hash: &hash,
            description: "laptop",
        };
        let id = store.insert_connection(&new, T0).await.unwrap();
        let row = store.get_connection(id).await.unwrap().unwrap();
        assert_eq!(row.id, id);
        assert_eq!(row.kind, Kind::ApiKey);
        assert_eq!(row.name, "Claude Code");
        assert_eq!(row.odoo_user_id, Some(user.id));
        assert_eq!(row.user_login.as_deref(), Some("demo"));
        assert_eq!(row.user_name.as_deref(), Some("Marc Demo"));
        assert_eq!(row.scope, Scope::ReadOnly);
        assert_eq!(row.key_prefix.as_deref(), Some("omg_12345678"));
        assert_eq!(row.key_hash.as_deref(), Some(hash.as_slice()));
        assert_eq!(row.description, "laptop");
        assert_eq!(row.created_at, T0);
        assert_eq!(row.revoked_at, None);
        assert_eq!(row.last_used_at, None);
        assert_eq!(row.request_count, 0);
        // A new connection has no policy: every column at its empty default.
        assert_eq!(row.policy, Policy::default());

        // The join follows the user's current name.
        link(&store, "demo", 6, "Marc Demo Renamed").await;
        let row = store.get_connection(id).await.unwrap().unwrap();
        assert_eq!(row.user_name.as_deref(), Some("Marc Demo Renamed"));

        assert!(store.get_connection(id + 1000).await.unwrap().is_none());
    }

    pub async fn connection_needs_an_existing_user(store: Store) {
        let user = link(&store, "demo", 6, "Marc Demo").await;
        let hash = [1u8; 32];
        let result = store
            .insert_connection(&api_key("orphan", user.id + 1000, &hash), T0)
            .await;
        assert!(result.is_err(), "the foreign key to odoo_users is enforced");
        assert!(store.list_connections().await.unwrap().is_empty());
    }

    pub async fn find_connection_by_key_hash(store: Store) {
        let user = link(&store, "demo", 6, "Marc Demo").await;
        let (a, b) = ([0xA1u8; 32], [0xB2u8; 32]);
        let id_a = store
            .insert_connection(&api_key("a", user.id, &a), T0)
            .await
            .unwrap();
        let id_b = store
            .insert_connection(&api_key("b", user.id, &b), T0)
            .await
            .unwrap();

        let found = store
            .find_connection_by_key_hash(&a)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((found.id, found.name.as_str()), (id_a, "a"));
        assert_eq!(found.user_login.as_deref(), Some("demo"));
        let found = store
            .find_connection_by_key_hash(&b)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.id, id_b);

        assert!(
            store
                .find_connection_by_key_hash(&[0u8; 32])
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .find_connection_by_key_hash(&a[..31])
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .find_connection_by_key_hash(&[])
                .await
                .unwrap()
                .is_none()
        );
    }

    pub async fn key_hash_is_unique(store: Store) {
        let user = link(&store, "demo", 6, "Marc Demo").await;
        let hash = [0x55u8; 32];
        let first = store
            .insert_connection(&api_key("first", user.id, &hash), T0)
            .await
            .unwrap();
        let second = store
            .insert_connection(&api_key("second", user.id, &hash), T0)
            .await;
        assert!(
            second.is_err(),
            "a second connection with the same key hash is refused"
        );

        let rows = store.list_connections().await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].id, first);
        let found = store
            .find_connection_by_key_hash(&hash)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.name, "first");

        // Replacing a key with one another connection holds is refused too.
        let other = store
            .insert_connection(&api_key("other", user.id, &[0x66u8; 32]), T0)
            .await
            .unwrap();
        assert!(store.replace_key(other, "omg_x", &hash).await.is_err());
    }

    pub async fn replace_key_makes_the_old_hash_unfindable(store: Store) {
        let user = link(&store, "demo", 6, "Marc Demo").await;
        let (old, new) = ([0x01u8; 32], [0x02u8; 32]);
        let id = store
            .insert_connection(&api_key("k", user.id, &old), T0)
            .await
            .unwrap();

        assert!(store.replace_key(id, "omg_newnewnn", &new).await.unwrap());
        assert!(
            store
                .find_connection_by_key_hash(&old)
                .await
                .unwrap()
                .is_none()
        );
        let row = store
            .find_connection_by_key_hash(&new)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.id, id);
        assert_eq!(row.key_prefix.as_deref(), Some("omg_newnewnn"));
        assert_eq!(row.key_hash.as_deref(), Some(new.as_slice()));

        assert!(
            !store
                .replace_key(id + 1000, "omg_x", &[0x03u8; 32])
                .await
                .unwrap()
        );
    }

    pub async fn revoke_and_reactivate(store: Store) {
        let user = link(&store, "demo", 6, "Marc Demo").await;
        let hash = [0x10u8; 32];
        let id = store
            .insert_connection(&api_key("k", user.id, &hash), T0)
            .await
            .unwrap();

        assert!(store.set_revoked(id, T0 + DAY_MS, false).await.unwrap());
        let row = store.get_connection(id).await.unwrap().unwrap();
        assert_eq!(row.revoked_at, Some(T0 + DAY_MS));
        // A revoked connection is still found by its hash, so "revoked" can be told apart.
        let found = store
            .find_connection_by_key_hash(&hash)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.revoked_at, Some(T0 + DAY_MS));

        // Revoked by its own user: they may reactivate it.
        assert!(store.clear_revoked(id, false).await.unwrap());
        assert_eq!(
            store.get_connection(id).await.unwrap().unwrap().revoked_at,
            None
        );
        // Revoked by an administrator: only an administrator may.
        assert!(store.set_revoked(id, T0 + DAY_MS, true).await.unwrap());
        assert!(!store.clear_revoked(id, false).await.unwrap());
        let row = store.get_connection(id).await.unwrap().unwrap();
        assert_eq!(row.revoked_at, Some(T0 + DAY_MS));
        assert!(store.clear_revoked(id, true).await.unwrap());
        assert_eq!(
            store.get_connection(id).await.unwrap().unwrap().revoked_at,
            None
        );

        assert!(!store.set_revoked(id + 1000, T0, false).await.unwrap());
        assert!(!store.clear_revoked(id + 1000, true).await.unwrap());
    }

    pub async fn record_use_counts_and_never_moves_last_used_back(store: Store) {
        let user = link(&store, "demo", 6, "Marc Demo").await;
        let id = store
            .insert_connection(&api_key("k", user.id, &[0x20u8; 32]), T0)
            .await
            .unwrap();
        let other = store
            .insert_connection(&api_key("other", user.id, &[0x21u8; 32]), T0)
            .await
            .unwrap();

        let used = |at| {
            let store = store.clone();
            async move {
                store.record_use(id, at).await.unwrap();
                let row = store.get_connection(id).await.unwrap().unwrap();
                (row.request_count, row.last_used_at)
            }
        };
        assert_eq!(used(T0 + 10).await, (1, Some(T0 + 10)));
        assert_eq!(used(T0 + 20).await, (2, Some(T0 + 20)));
        // A request that finished later but started earlier (or a replica whose clock is
        // behind) counts, but does not move Last used backwards.
        assert_eq!(used(T0 + 5).await, (3, Some(T0 + 20)));
        assert_eq!(used(T0 + 20).await, (4, Some(T0 + 20)));
        assert_eq!(used(T0 + 30).await, (5, Some(T0 + 30)));

        let untouched = store.get_connection(other).await.unwrap().unwrap();
        assert_eq!((untouched.request_count, untouched.last_used_at), (0, None));

        // Unknown ids are not an error (the connection may just have been deleted).
        store.record_use(id + 1000, T0).await.unwrap();
    }

    pub async fn concurrent_record_use_counts_every_request(store: Store) {
        let user = link(&store, "demo", 6, "Marc Demo").await;
        let id = store
            .insert_connection(&api_key("busy", user.id, &[0x30u8; 32]), T0)
            .await
            .unwrap();
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move { store.record_use(id, T0 + i).await })
            })
            .collect();
        for task in tasks {
            task.await
                .unwrap()
                .expect("a concurrent record_use succeeds");
        }
        let row = store.get_connection(id).await.unwrap().unwrap();
        assert_eq!(row.request_count, 50, "no increment is lost");
        assert_eq!(row.last_used_at, Some(T0 + 49), "the latest time wins");
    }

    pub async fn update_policy_round_trips_every_column(store: Store) {
        let owner = link(&store, "demo", 6, "Marc Demo").await;
        let approver = link(&store, "admin", 2, "Mitchell Admin").await;
        let id = store
            .insert_connection(&api_key("k", owner.id, &[0x40u8; 32]), T0)
            .await
            .unwrap();

        let full = Policy {
            allowed_tools: "search_records\nget_record".parse().unwrap(),
            allowed_models: "res.partner\nsale.order".parse().unwrap(),
            model_operations: "res.partner: read, write\nsale.order: read"
                .parse()
                .unwrap(),
            allowed_companies: "3\n1".parse().unwrap(),
            approval_tools: "delete_record".parse().unwrap(),
            confirm_tools: "update_record\npost_message".parse().unwrap(),
            approver_user_id: Some(approver.id),
            approval_expiry_hours: Limit::new(48),
            allowed_ips: "192.168.1.0/24\n# office\n2001:db8::/32".parse().unwrap(),
            blocked_ips: "10.0.0.7".parse().unwrap(),
            rate_per_minute: Limit::new(1),
            rate_per_day: Limit::new(Limit::MAX.into()),
            record_limits: "crm.lead: [('user_id', '=', uid), ('name', 'ilike', 'ü')]"
                .parse()
                .unwrap(),
            field_limits: "res.partner: vat, *bank*".parse().unwrap(),
            write_per_minute: Limit::new(7),
            write_per_day: Limit::new(70),
            tool_limits: "delete_record: 1/minute, 2/day".parse().unwrap(),
        };
        assert!(
            store
                .update_policy(id, "ünïcode ✓ note\nline 2", &full)
                .await
                .unwrap()
        );
        let row = store.get_connection(id).await.unwrap().unwrap();
        assert_eq!(row.description, "ünïcode ✓ note\nline 2");
        assert_eq!(row.policy, full);

        // Back to no policy at all: empty lists and NULL overrides.
        let cleared = Policy::default();
        assert!(store.update_policy(id, "", &cleared).await.unwrap());
        let row = store.get_connection(id).await.unwrap().unwrap();
        assert_eq!(row.description, "");
        assert_eq!(row.policy, cleared);
        assert_eq!(row.policy.approver_user_id, None);
        assert_eq!(row.policy.rate_per_day, None);

        // The rest of the row is untouched.
        assert_eq!(row.name, "k");
        assert_eq!(row.key_hash.as_deref(), Some([0x40u8; 32].as_slice()));
        assert_eq!(row.created_at, T0);

        assert!(!store.update_policy(id + 1000, "", &full).await.unwrap());
    }

    /// A value written by another version (or by hand) that this one cannot read is an error
    /// naming the column, never a silent default: an unknown tool does not become "no limit".
    pub async fn an_unreadable_stored_value_fails_the_read_naming_its_column(store: Store) {
        let owner = link(&store, "demo", 6, "Marc Demo").await;
        let id = store
            .insert_connection(&api_key("k", owner.id, &[0x41u8; 32]), T0)
            .await
            .unwrap();
        let policy = Policy {
            allowed_tools: ToolList::parse(["search_records"]).unwrap(),
            allowed_companies: "2".parse().unwrap(),
            ..Policy::default()
        };
        assert!(store.update_policy(id, "", &policy).await.unwrap());
        // SQLite's in-place key lookup decodes with the same parsers and finds the same row.
        let reader = KeyReader::for_store(&store);
        let hash = [0x41u8; 32];
        if let Some(reader) = &reader {
            let in_place = reader.find_key_holder(&hash).unwrap();
            let pooled = store.find_key_holder(&hash).await.unwrap();
            assert!(in_place.is_some());
            assert_eq!(format!("{in_place:?}"), format!("{pooled:?}"));
            assert!(reader.find_key_holder(&[0x42u8; 32]).unwrap().is_none());
        } else {
            assert_eq!(
                store.engine(),
                "postgres",
                "a SQLite file gets an in-place reader"
            );
        }
        for (column, value, says) in [
            (
                "allowed_tools",
                "'search_records\ndrop_database'",
                "'drop_database' is not a tool",
            ),
            ("scope", "'owner'", "'owner' is not a connection scope"),
            ("blocked_ips", "'10.0.0.300'", "is not an IP address"),
            ("rate_per_minute", "0", "0 is not a whole number from 1"),
        ] {
            execute(
                &store,
                &format!("UPDATE connections SET {column} = {value}"),
            )
            .await;
            let error = store.get_connection(id).await.unwrap_err().to_string();
            assert!(
                error.contains(column) && error.contains(says),
                "{column}: {error}"
            );
            assert!(store.list_connections().await.is_err(), "{column}");
            if let Some(reader) = &reader {
                let error = reader.find_key_holder(&hash).unwrap_err().to_string();
                assert!(
                    error.contains(column) && error.contains(says),
                    "in place, {column}: {error}"
                );
            }
            assert!(store.update_policy(id, "", &policy).await.unwrap());
            execute(&store, "UPDATE connections SET scope = 'full'").await;
            assert_eq!(
                store.get_connection(id).await.unwrap().unwrap().policy,
                policy
            );
        }
    }

    /// SQLite's in-place key lookup keeps the rows it found while the schema's revision stands:
    /// every change to what it reads — policy, revocation, key, credential, master switch, also
    /// by hand in SQL — moves the revision, and the very next read has it. The usage count alone
    /// leaves it (the audit writer updates it with every batch).
    pub async fn the_in_place_key_lookup_sees_every_change_on_the_next_read(store: Store) {
        let Some(reader) = KeyReader::for_store(&store) else {
            assert_eq!(store.engine(), "postgres", "a SQLite file gets a reader");
            return;
        };
        let Store::Sqlite(pool) = &store else {
            unreachable!("a reader is for SQLite")
        };
        let revision = || async {
            sqlx::query_scalar::<_, i64>("SELECT n FROM key_holder_revision")
                .fetch_one(pool)
                .await
                .unwrap()
        };
        let owner = link(&store, "demo", 6, "Marc Demo").await;
        let (hash, rotated) = ([0x51u8; 32], [0x52u8; 32]);
        let id = store
            .insert_connection(&api_key("k", owner.id, &hash), T0)
            .await
            .unwrap();
        // Read twice: the second comes from what the first kept.
        let same_as_pooled = |hash: [u8; 32]| {
            let reader = &reader;
            let store = &store;
            async move {
                let in_place = reader.find_key_holder(&hash).unwrap();
                assert_eq!(
                    format!("{:?}", reader.find_key_holder(&hash).unwrap()),
                    format!("{in_place:?}")
                );
                let pooled = store.find_key_holder(&hash).await.unwrap();
                assert_eq!(format!("{in_place:?}"), format!("{pooled:?}"));
                in_place
            }
        };
        let first = same_as_pooled(hash).await.unwrap();

        let before = revision().await;
        store.record_uses(id, 5, T0 + 1).await.unwrap();
        assert_eq!(revision().await, before, "a usage update keeps the rows");
        let kept = reader.find_key_holder(&hash).unwrap().unwrap();
        assert_eq!(
            kept.connection.request_count,
            first.connection.request_count
        );

        let policy = Policy {
            allowed_tools: ToolList::parse(["search_records"]).unwrap(),
            ..Policy::default()
        };
        assert!(store.update_policy(id, "narrowed", &policy).await.unwrap());
        let row = same_as_pooled(hash).await.unwrap();
        assert_eq!(row.connection.policy, policy);
        assert_eq!(row.connection.request_count, 5, "read again whole");

        assert!(store.set_revoked(id, T0 + 2, false).await.unwrap());
        let row = same_as_pooled(hash).await.unwrap();
        assert_eq!(row.connection.revoked_at, Some(T0 + 2));
        assert!(store.clear_revoked(id, false).await.unwrap());
        assert_eq!(
            same_as_pooled(hash).await.unwrap().connection.revoked_at,
            None
        );

        let relinked = NewOdooUser {
            login: "demo",
            odoo_uid: 6,
            name: "Marc Demo",
            protocol: "jsonrpc",
            secret_sealed: b"sealed anew",
        };
        store.upsert_odoo_user(&relinked, T0 + 3).await.unwrap();
        let row = same_as_pooled(hash).await.unwrap();
        assert_eq!(
            row.holder_secret.as_deref(),
            Some(b"sealed anew".as_slice())
        );
        assert_eq!(row.holder_protocol.as_deref(), Some("jsonrpc"));

        store.put_setting("mcp_enabled", "false").await.unwrap();
        let row = same_as_pooled(hash).await.unwrap();
        assert_eq!(row.mcp_switch.as_deref(), Some("false"));

        execute(&store, "UPDATE connections SET description = 'by hand'").await;
        let row = same_as_pooled(hash).await.unwrap();
        assert_eq!(row.connection.description, "by hand");

        assert!(
            store
                .replace_key(id, "omg_rotatedd", &rotated)
                .await
                .unwrap()
        );
        assert!(
            same_as_pooled(hash).await.is_none(),
            "the old key is gone at once"
        );
        assert_eq!(same_as_pooled(rotated).await.unwrap().connection.id, id);

        execute(&store, "DELETE FROM connections").await;
        assert!(same_as_pooled(rotated).await.is_none());
        assert!(revision().await > before);
    }

    async fn execute(store: &Store, sql: &str) {
        crate::helpers::execute_sql(store, sql).await;
    }

    pub async fn list_connections_in_creation_order(store: Store) {
        let zed = link(&store, "zed", 9, "Zed").await;
        let admin = link(&store, "admin", 2, "Mitchell Admin").await;
        let mut ids = Vec::new();
        for (i, (name, user)) in [("c", &zed), ("a", &admin), ("b", &zed)]
            .into_iter()
            .enumerate()
        {
            let hash = [i as u8 + 1; 32];
            ids.push(
                store
                    .insert_connection(&api_key(name, user.id, &hash), T0)
                    .await
                    .unwrap(),
            );
        }
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase: {ids:?}");

        let rows = store.list_connections().await.unwrap();
        let listed: Vec<_> = rows
            .iter()
            .map(|r| (r.id, r.name.as_str(), r.user_login.as_deref().unwrap()))
            .collect();
        assert_eq!(
            listed,
            [
                (ids[0], "c", "zed"),
                (ids[1], "a", "admin"),
                (ids[2], "b", "zed")
            ]
        );
    }

    pub async fn settings_put_load_and_overwrite(store: Store) {
        assert!(store.load_settings().await.unwrap().is_empty());
        store.put_setting("rate_per_minute", "30").await.unwrap();
        store.put_setting("mcp_enabled", "false").await.unwrap();
        store.put_setting("rate_per_minute", "45").await.unwrap();
        store.put_setting("note", "").await.unwrap();
        let pairs = store.load_settings().await.unwrap();
        let pairs: Vec<_> = pairs
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("mcp_enabled", "false"),
                ("note", ""),
                ("rate_per_minute", "45")
            ],
            "one row per name, ordered by name, last write wins"
        );
    }

    pub async fn server_settings_defaults_and_round_trip(store: Store) {
        assert_eq!(
            settings::load(&store).await.unwrap(),
            ServerSettings::default()
        );

        let changed = ServerSettings {
            mcp_enabled: false,
            rate_per_minute: 5,
            rate_per_day: 500,
            idle_threshold_days: 3,
            dynamic_registration: false,
            access_token_minutes: 15,
            refresh_token_days: 7,
            refresh_grace_seconds: 10,
            approval_expiry_hours: 2,
            audit_retention_days: 30,
            payload_logging: true,
            four_eyes: false,
        };
        settings::save(&store, &changed).await.unwrap();
        assert_eq!(settings::load(&store).await.unwrap(), changed);

        // Saving again overwrites rather than adding rows.
        settings::save(&store, &ServerSettings::default())
            .await
            .unwrap();
        assert_eq!(
            settings::load(&store).await.unwrap(),
            ServerSettings::default()
        );
        assert_eq!(
            store.load_settings().await.unwrap().len(),
            ServerSettings::default().to_pairs().len()
        );

        // A hand-edited unparsable value keeps its default; the rest is read.
        store.put_setting("rate_per_day", "lots").await.unwrap();
        store
            .put_setting("idle_threshold_days", "14")
            .await
            .unwrap();
        let loaded = settings::load(&store).await.unwrap();
        assert_eq!(
            (loaded.rate_per_day, loaded.idle_threshold_days),
            (10_000, 14)
        );
    }

    pub async fn connections_domain_lifecycle(store: Store) {
        let keys = keyring();
        let result =
            connections::create_api_key(&store, &keys, "ghost", "Cursor", Scope::Full, T0).await;
        assert!(
            matches!(&result, Err(Error::UnknownUser(login)) if login == "ghost"),
            "{result:?}"
        );

        link(&store, "demo", 6, "Marc Demo").await;
        for bad in ["", "   ", &"x".repeat(121)] {
            let result =
                connections::create_api_key(&store, &keys, "demo", bad, Scope::Full, T0).await;
            assert!(matches!(result, Err(Error::BadName)), "{bad:?}: {result:?}");
        }
        assert!(store.list_connections().await.unwrap().is_empty());

        let issued =
            connections::create_api_key(&store, &keys, "demo", "  Cursor  ", Scope::ReadOnly, T0)
                .await
                .unwrap();
        let key = issued.key.expose_secret().to_owned();
        assert!(key.starts_with(connections::API_KEY_PREFIX));

        let found = connections::find_by_api_key(&store, &keys, &key)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.id, issued.connection_id);
        assert_eq!(found.kind, Kind::ApiKey);
        assert_eq!(found.name, "Cursor", "the name is trimmed");
        assert_eq!(found.scope, Scope::ReadOnly);
        assert_eq!(found.user_login.as_deref(), Some("demo"));
        assert_eq!(found.key_prefix.as_deref(), Some(&key[..12]));
        assert_eq!(found.created_at, T0);
        assert_eq!(found.status(7 * DAY_MS, T0), Status::Awaiting);
        // The store keeps the keyed hash only, never the key.
        let row = store.get_connection(found.id).await.unwrap().unwrap();
        assert_eq!(
            row.key_hash.as_deref(),
            Some(keys.token_hash(&key).0.as_slice())
        );

        // Unknown, foreign-prefixed and other-keyring keys are not found.
        let none = |k: String| {
            let store = store.clone();
            let keys = &keys;
            async move {
                connections::find_by_api_key(&store, keys, &k)
                    .await
                    .unwrap()
                    .is_none()
            }
        };
        assert!(none(format!("{key}x")).await);
        assert!(none(key.replacen("omg_", "xyz_", 1)).await);
        assert!(
            connections::find_by_api_key(&store, &keyring(), &key)
                .await
                .unwrap()
                .is_none(),
            "a key hashed with another server secret does not match"
        );

        // Rotate: the old key dies at once, the new one works on the same connection.
        let rotated = connections::rotate_key(&store, &keys, issued.connection_id)
            .await
            .unwrap();
        let new_key = rotated.key.expose_secret().to_owned();
        assert_eq!(rotated.connection_id, issued.connection_id);
        assert_ne!(new_key, key);
        assert!(
            none(key.clone()).await,
            "the old key is not found after rotation"
        );
        let found = connections::find_by_api_key(&store, &keys, &new_key)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.id, issued.connection_id);
        assert_eq!(found.key_prefix.as_deref(), Some(&new_key[..12]));

        // Revoke: still found (so the caller can tell revoked from unknown), with revoked_at.
        connections::revoke(
            &store,
            issued.connection_id,
            T0 + HOUR_MS,
            connections::Actor::Administrator,
        )
        .await
        .unwrap();
        let revoked = connections::get(&store, issued.connection_id)
            .await
            .unwrap();
        assert_eq!(revoked.revoked_at, Some(T0 + HOUR_MS));
        assert_eq!(revoked.status(7 * DAY_MS, T0 + HOUR_MS), Status::Revoked);
        let found = connections::find_by_api_key(&store, &keys, &new_key)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.revoked_at, Some(T0 + HOUR_MS));

        connections::reactivate(
            &store,
            issued.connection_id,
            connections::Actor::Administrator,
        )
        .await
        .unwrap();
        let active = connections::get(&store, issued.connection_id)
            .await
            .unwrap();
        assert_eq!(active.revoked_at, None);
        assert_eq!(active.status(7 * DAY_MS, T0 + HOUR_MS), Status::Awaiting);

        let missing = issued.connection_id + 1000;
        assert!(
            matches!(connections::revoke(&store, missing, T0, connections::Actor::Administrator).await, Err(Error::NotFound(id)) if id == missing)
        );
        assert!(matches!(
            connections::reactivate(&store, missing, connections::Actor::Administrator).await,
            Err(Error::NotFound(_))
        ));
        assert!(matches!(
            connections::rotate_key(&store, &keys, missing).await,
            Err(Error::NotFound(_))
        ));

        // Keys are distinct across connections, and the list shows every one once.
        let second = connections::create_api_key(&store, &keys, "demo", "VS Code", Scope::Full, T0)
            .await
            .unwrap();
        let ids: HashSet<_> = connections::list(&store)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(
            ids,
            HashSet::from([issued.connection_id, second.connection_id])
        );
    }

    pub async fn rate_slots_admit_exactly_the_limit_under_concurrency(store: Store) {
        let key = |connection_id, bucket, window_kind, window_start| RateKey {
            connection_id,
            bucket,
            window_kind,
            window_start,
        };
        let minute = key(7, "requests", "minute", T0);
        let slots = (0..40).map(|_| store.take_rate_slot(&minute, 25));
        let taken = futures::future::join_all(slots).await;
        let counts: Vec<i64> = taken.into_iter().filter_map(|t| t.unwrap()).collect();
        assert_eq!(counts.len(), 25, "exactly the limit passes");
        let distinct: HashSet<i64> = counts.iter().copied().collect();
        assert_eq!(distinct, (1..=25).collect(), "each slot is handed out once");
        for (other, what) in [
            (key(7, "requests", "minute", T0 + 60_000), "next window"),
            (key(8, "requests", "minute", T0), "other connection"),
            (key(7, "requests", "day", T0), "other window kind"),
            (key(7, "writes", "minute", T0), "other bucket"),
            (
                key(7, "tool:delete_record", "minute", T0),
                "a tool's bucket",
            ),
        ] {
            assert_eq!(
                store.take_rate_slot(&other, 25).await.unwrap(),
                Some(1),
                "{what}"
            );
        }
        // A slot given back is there for the next call, and only one.
        store.give_back_rate_slot(&minute).await.unwrap();
        assert_eq!(store.take_rate_slot(&minute, 25).await.unwrap(), Some(25));
        assert_eq!(store.take_rate_slot(&minute, 25).await.unwrap(), None);
        assert_eq!(store.delete_rate_windows_before(T0 + 1).await.unwrap(), 5);
        assert_eq!(
            store.take_rate_slot(&minute, 25).await.unwrap(),
            Some(1),
            "forgotten"
        );
    }

    /// A file link is used up by exactly one of many racing fetches, can be made usable again
    /// after a failed fetch, and works neither after its time nor once forgotten.
    pub async fn file_links_are_used_once_released_and_expire(store: Store) {
        let user = link(&store, "demo", 6, "Marc Demo").await;
        let c = store
            .insert_connection(&api_key("files", user.id, &[0x52u8; 32]), T0)
            .await
            .unwrap();
        let (token, other) = ([7u8; 32], [8u8; 32]);
        let target = r#"{"kind":"attachment","id":5}"#;
        store
            .insert_file_link(&token, c, target, T0, T0 + 600_000)
            .await
            .unwrap();
        store
            .insert_file_link(&other, c, target, T0, T0 + 600_000)
            .await
            .unwrap();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.use_file_link(&token, T0 + 1).await.unwrap() })
            })
            .collect();
        let mut used = Vec::new();
        for task in tasks {
            used.extend(task.await.unwrap());
        }
        assert_eq!(used.len(), 1, "exactly one fetch gets the file");
        assert_eq!(
            (used[0].connection_id, used[0].target.as_str()),
            (c, target)
        );
        assert_eq!(store.use_file_link(&token, T0 + 2).await.unwrap(), None);
        store.release_file_link(&token).await.unwrap();
        assert!(store.use_file_link(&token, T0 + 3).await.unwrap().is_some());
        // Past its time a link does not work, and the job forgets it.
        assert_eq!(
            store.use_file_link(&other, T0 + 600_000).await.unwrap(),
            None
        );
        assert_eq!(
            store.delete_file_links_before(T0 + 600_000).await.unwrap(),
            2
        );
        store.release_file_link(&other).await.unwrap();
        assert_eq!(store.use_file_link(&other, T0 + 4).await.unwrap(), None);
    }

    /// A key is claimed by exactly one of many racing requests, keeps its answer, can be freed,
    /// and is taken over once its 24 hours are over.
    pub async fn idempotency_keys_are_claimed_once_answered_and_expire(store: Store) {
        use odoo_mcp_gateway::values::IdempotencyState;
        let user = link(&store, "demo", 6, "Marc Demo").await;
        let c = store
            .insert_connection(&api_key("retries", user.id, &[0x51u8; 32]), T0)
            .await
            .unwrap();
        let (h1, h2) = ([1u8; 32], [2u8; 32]);
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .claim_idempotency(c, "order-42", &h1, T0, T0 + DAY_MS)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut claimed = 0;
        for task in tasks {
            claimed += usize::from(task.await.unwrap());
        }
        assert_eq!(claimed, 1, "exactly one request runs the call");
        let row = store.get_idempotency(c, "order-42").await.unwrap().unwrap();
        assert_eq!(
            (row.state, row.arguments_hash.as_slice()),
            (IdempotencyState::Running, h1.as_slice())
        );
        store
            .finish_idempotency(c, "order-42", IdempotencyState::Done, Some(r#"{"id":7}"#))
            .await
            .unwrap();
        let row = store.get_idempotency(c, "order-42").await.unwrap().unwrap();
        assert_eq!(
            (row.state, row.result.as_deref()),
            (IdempotencyState::Done, Some(r#"{"id":7}"#))
        );
        // A finished key is not released, and stays claimed until its time is up.
        store.release_idempotency(c, "order-42").await.unwrap();
        assert!(
            !store
                .claim_idempotency(c, "order-42", &h2, T0 + DAY_MS - 1, T0 + 2 * DAY_MS)
                .await
                .unwrap()
        );
        assert!(
            store
                .claim_idempotency(c, "order-42", &h2, T0 + DAY_MS, T0 + 2 * DAY_MS)
                .await
                .unwrap()
        );
        let row = store.get_idempotency(c, "order-42").await.unwrap().unwrap();
        assert_eq!(
            (row.state, row.result, row.arguments_hash.as_slice()),
            (IdempotencyState::Running, None, h2.as_slice())
        );
        // A running call that changed nothing frees its key.
        store.release_idempotency(c, "order-42").await.unwrap();
        assert_eq!(store.get_idempotency(c, "order-42").await.unwrap(), None);
        // Keys are per connection; expired ones are forgotten.
        assert!(
            store
                .claim_idempotency(c, "other", &h1, T0, T0 + DAY_MS)
                .await
                .unwrap()
        );
        assert_eq!(
            store
                .delete_idempotency_before(T0 + DAY_MS - 1)
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            store.delete_idempotency_before(T0 + DAY_MS).await.unwrap(),
            1
        );
    }

    /// More events than one statement holds (512 rows): every one is written, unchanged.
    pub async fn a_large_audit_batch_is_written_whole(store: Store) {
        use odoo_mcp_gateway::store::{AuditFilter, AuditRow};
        let events: Vec<AuditRow> = (0..1300)
            .map(|i| AuditRow {
                at: T0 + i,
                method: format!("tools/call #{i}"),
                tool: (i % 2 == 0).then(|| "search_records".to_owned()),
                client_ip: Some("127.0.0.1".into()),
                outcome: "success".into(),
                duration_ms: i,
                error: (i % 3 == 0).then(|| format!("it's \"{i}\"")),
                ..AuditRow::default()
            })
            .collect();
        store.insert_audit_events(&events).await.unwrap();
        let listed = store
            .list_audit_events(&AuditFilter {
                limit: 2000,
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(listed.len(), events.len());
        for (written, read) in events.iter().rev().zip(&listed) {
            assert_eq!(
                AuditRow {
                    id: read.id,
                    ..written.clone()
                },
                *read
            );
        }
    }

    pub async fn audit_events_append_filter_and_expire(store: Store) {
        use odoo_mcp_gateway::store::{AuditFilter, AuditRow};
        let event =
            |at: Millis, outcome: &str, tool: Option<&str>, connection: Option<i64>| AuditRow {
                at,
                method: "tools/call".into(),
                tool: tool.map(str::to_owned),
                model: Some("res.partner".into()),
                user_login: Some("demo".into()),
                connection_id: connection,
                client_ip: Some("2001:db8::1".into()),
                outcome: outcome.into(),
                duration_ms: 3,
                error: (outcome != "success").then(|| "nope".to_owned()),
                request_payload: Some("{\"a\":1}".into()),
                response_payload: None,
                ..AuditRow::default()
            };
        let events = [
            event(T0, "success", Some("search_records"), Some(1)),
            event(T0 + HOUR_MS, "denied", Some("delete_record"), Some(1)),
            event(T0 + 2 * HOUR_MS, "success", Some("get_record"), Some(2)),
            event(T0 + 3 * HOUR_MS, "rate_limited", None, None),
        ];
        store.insert_audit_events(&events).await.unwrap();
        store.insert_audit_events(&[]).await.unwrap();
        let all = |f: AuditFilter| AuditFilter { limit: 100, ..f };
        let listed = store
            .list_audit_events(&all(AuditFilter::default()))
            .await
            .unwrap();
        assert_eq!(listed.len(), 4);
        assert_eq!(listed[0].outcome, "rate_limited", "newest first");
        let first = &listed[3];
        assert_eq!(
            (
                first.tool.as_deref(),
                first.client_ip.as_deref(),
                first.request_payload.as_deref()
            ),
            (
                Some("search_records"),
                Some("2001:db8::1"),
                Some("{\"a\":1}")
            )
        );
        assert_eq!(
            store.get_audit_event(first.id).await.unwrap().as_ref(),
            Some(first)
        );

        let by = |f: AuditFilter| {
            let store = store.clone();
            async move { store.list_audit_events(&all(f)).await.unwrap().len() }
        };
        assert_eq!(
            by(AuditFilter {
                outcome: Some("success".into()),
                ..Default::default()
            })
            .await,
            2
        );
        assert_eq!(
            by(AuditFilter {
                tool: Some("delete_record".into()),
                ..Default::default()
            })
            .await,
            1
        );
        assert_eq!(
            by(AuditFilter {
                connection_id: Some(1),
                ..Default::default()
            })
            .await,
            2
        );
        assert_eq!(
            by(AuditFilter {
                user_login: Some("demo".into()),
                ..Default::default()
            })
            .await,
            4
        );
        assert_eq!(
            by(AuditFilter {
                model: Some("sale.order".into()),
                ..Default::default()
            })
            .await,
            0
        );
        let period = AuditFilter {
            since: Some(T0 + HOUR_MS),
            until: Some(T0 + 3 * HOUR_MS),
            ..Default::default()
        };
        assert_eq!(by(period).await, 2);
        let page = store
            .list_audit_events(&AuditFilter {
                limit: 2,
                offset: 1,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            page.iter().map(|e| e.at).collect::<Vec<_>>(),
            [T0 + 2 * HOUR_MS, T0 + HOUR_MS]
        );

        assert_eq!(
            store.delete_audit_before(T0 + 2 * HOUR_MS).await.unwrap(),
            2
        );
        assert_eq!(by(AuditFilter::default()).await, 2);
    }

    pub async fn signin_attempts_lock_at_the_limit_then_start_over(store: Store) {
        const WINDOW: Millis = 15 * 60_000;
        let attempt = |now: Millis| {
            let store = store.clone();
            async move {
                store
                    .count_signin_attempt("login:demo", now, WINDOW, 5, now + WINDOW)
                    .await
                    .unwrap()
            }
        };
        // Ten at once: each gets its own count, so exactly five are within the limit.
        let counts: Vec<i64> = futures::future::join_all((0..10).map(|_| attempt(T0)))
            .await
            .into_iter()
            .map(|r| r.failures)
            .collect();
        let mut sorted = counts.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (1..=10).collect::<Vec<_>>(), "{counts:?}");
        let locked = attempt(T0 + 1).await;
        assert_eq!(locked.failures, 11);
        assert_eq!(
            locked.locked_until,
            Some(T0 + WINDOW),
            "the first lock holds, not extended"
        );
        // After the lock runs out, counting starts over.
        let fresh = attempt(T0 + WINDOW).await;
        assert_eq!((fresh.failures, fresh.locked_until), (1, None));
        // A forgiven attempt is taken back; below the limit the lock goes too.
        store.forgive_signin_attempt("login:demo", 5).await.unwrap();
        assert_eq!(attempt(T0 + WINDOW + 1).await.failures, 1);
        // Attempts spread beyond the window don't add up.
        assert_eq!(attempt(T0 + 3 * WINDOW).await.failures, 1);
    }
}

/// The SQLite files hold audit payloads and token hashes: only the gateway's OS user reads them.
#[cfg(unix)]
#[tokio::test]
async fn the_sqlite_data_directory_and_its_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let parent = TempDir::new().unwrap();
    let dir = parent.path().join("data");
    let store = Store::open(None, &dir).await.unwrap();
    store.put_setting("probe", "1").await.unwrap();
    let mode = |name: &str| {
        let path = if name.is_empty() {
            dir.clone()
        } else {
            dir.join(name)
        };
        std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(""), 0o700);
    for file in ["gateway.db", "gateway.db-wal", "gateway.db-shm"] {
        assert_eq!(mode(file), 0o600, "{file}");
    }
}
