//! The OAuth SQL (`src/store/oauth.rs`) on both engines, through the store conformance harness:
//! SQLite always, PostgreSQL when `TEST_POSTGRES_URL` is set.

macro_rules! oauth_conformance {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::store::on_sqlite(super::cases::$case).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::store::on_postgres(super::cases::$case).await;
                }
            )*
        }
    };
}

oauth_conformance!(
    a_client_is_a_connection_bound_by_the_first_consent_only,
    registered_client_ids_are_unique_but_documents_are_shared,
    a_code_is_used_once,
    tokens_rotate_and_families_go_together,
    prune_removes_unclaimed_registrations_and_dead_rows,
    client_documents_are_cached_and_replaced,
);

mod cases {
    use odoo_mcp_gateway::clock::{DAY_MS, Millis};
    use odoo_mcp_gateway::connections::{self, Kind};
    use odoo_mcp_gateway::store::{NewCode, NewOAuthClient, NewOdooUser, NewToken, Store};

    const T0: Millis = 1_767_225_600_000;

    async fn user(store: &Store, login: &str) -> i64 {
        let user = NewOdooUser {
            login,
            odoo_uid: 7,
            name: login,
            protocol: "json2",
            secret_sealed: b"sealed",
        };
        store.upsert_odoo_user(&user, T0).await.unwrap().id
    }

    fn client<'a>(
        client_id: &'a str,
        metadata_url: Option<&'a str>,
        user: Option<i64>,
    ) -> NewOAuthClient<'a> {
        NewOAuthClient {
            name: "Claude",
            client_id,
            client_type: odoo_mcp_gateway::connections::ClientType::Public,
            secret_hash: None,
            redirect_uris: "https://claude.ai/api/mcp/auth_callback\nhttp://127.0.0.1/cb",
            client_name: "Claude",
            dynamic: true,
            metadata_url,
            odoo_user_id: user,
            scope: "full",
        }
    }

    fn token<'a>(
        hash: &'a [u8],
        kind: &'a str,
        connection_id: i64,
        family: &'a str,
    ) -> NewToken<'a> {
        NewToken {
            token_hash: hash,
            kind,
            connection_id,
            client_id: "c1",
            family_id: family,
            scope: "mcp:read",
            audience: "http://gw/mcp",
            expires_at: T0 + DAY_MS,
        }
    }

    pub async fn a_client_is_a_connection_bound_by_the_first_consent_only(store: Store) {
        let anna = user(&store, "anna").await;
        let bob = user(&store, "bob").await;
        let id = store
            .insert_oauth_client(&client("c1", None, None), T0)
            .await
            .unwrap();
        let row = store.find_registered_client("c1").await.unwrap().unwrap();
        assert_eq!(
            (row.connection_id, row.odoo_user_id, row.claimed_at),
            (id, None, None)
        );
        assert_eq!(row.redirect_uris.lines().count(), 2);
        let connection = connections::get(&store, id).await.unwrap();
        assert_eq!(
            (connection.kind, connection.user_login),
            (Kind::OAuth, None)
        );

        assert!(
            store
                .claim_oauth_client(id, anna, "read_only", T0 + 1)
                .await
                .unwrap()
        );
        assert!(
            !store
                .claim_oauth_client(id, bob, "full", T0 + 2)
                .await
                .unwrap()
        );
        assert!(
            store
                .claim_oauth_client(id, anna, "full", T0 + 3)
                .await
                .unwrap()
        );
        let row = store.get_oauth_client(id).await.unwrap().unwrap();
        assert_eq!(
            (row.odoo_user_id, row.claimed_at),
            (Some(anna), Some(T0 + 1))
        );
        let connection = connections::get(&store, id).await.unwrap();
        assert_eq!(connection.user_login.as_deref(), Some("anna"));
        assert_eq!(connection.scope, connections::Scope::Full);

        assert!(
            !store.set_client_secret(id, &[1; 32]).await.unwrap(),
            "public clients have no secret"
        );
    }

    pub async fn registered_client_ids_are_unique_but_documents_are_shared(store: Store) {
        let anna = user(&store, "anna").await;
        let bob = user(&store, "bob").await;
        store
            .insert_oauth_client(&client("c1", None, None), T0)
            .await
            .unwrap();
        assert!(
            store
                .insert_oauth_client(&client("c1", None, None), T0)
                .await
                .is_err()
        );
        assert_eq!(
            store.list_connections().await.unwrap().len(),
            1,
            "nothing half-inserted"
        );

        let url = "https://claude.ai/oauth/mcp-oauth-client-metadata";
        let a = store
            .insert_oauth_client(&client(url, Some(url), Some(anna)), T0)
            .await
            .unwrap();
        let b = store
            .insert_oauth_client(&client(url, Some(url), Some(bob)), T0)
            .await
            .unwrap();
        assert_ne!(a, b);
        let found = store.find_document_client(url, bob).await.unwrap().unwrap();
        assert_eq!((found.connection_id, found.claimed_at), (b, Some(T0)));
        assert!(store.find_registered_client(url).await.unwrap().is_none());
    }

    pub async fn a_code_is_used_once(store: Store) {
        let id = store
            .insert_oauth_client(&client("c1", None, None), T0)
            .await
            .unwrap();
        let code = NewCode {
            code_hash: &[9; 32],
            connection_id: id,
            client_id: "c1",
            redirect_uri: "http://127.0.0.1/cb",
            code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            scope: "mcp:read",
            resource: "http://gw/mcp",
            family_id: "f1",
            expires_at: T0 + 60_000,
        };
        store.insert_code(&code, T0).await.unwrap();
        let used = store.use_code(&[9; 32], T0 + 5).await.unwrap().unwrap();
        assert_eq!(
            (used.family_id.as_str(), used.used_at),
            ("f1", Some(T0 + 5))
        );
        assert!(store.use_code(&[9; 32], T0 + 6).await.unwrap().is_none());
        let seen = store.find_code(&[9; 32]).await.unwrap().unwrap();
        assert_eq!(seen.used_at, Some(T0 + 5));
        assert!(store.use_code(&[8; 32], T0).await.unwrap().is_none());
    }

    pub async fn tokens_rotate_and_families_go_together(store: Store) {
        let id = store
            .insert_oauth_client(&client("c1", None, None), T0)
            .await
            .unwrap();
        for (hash, kind, family) in [
            ([1u8; 32], "access", "f1"),
            ([2; 32], "refresh", "f1"),
            ([3; 32], "access", "f2"),
        ] {
            store
                .insert_token(&token(&hash, kind, id, family), T0)
                .await
                .unwrap();
        }
        let refresh = store.find_token(&[2; 32]).await.unwrap().unwrap();
        assert_eq!(
            (refresh.kind.as_str(), refresh.rotated_at),
            ("refresh", None)
        );
        assert!(store.mark_rotated(&[2; 32], T0 + 1).await.unwrap());
        assert!(!store.mark_rotated(&[2; 32], T0 + 2).await.unwrap());
        assert_eq!(
            store
                .find_token(&[2; 32])
                .await
                .unwrap()
                .unwrap()
                .rotated_at,
            Some(T0 + 1)
        );

        assert_eq!(store.delete_token_family("f1").await.unwrap(), 2);
        assert!(store.find_token(&[1; 32]).await.unwrap().is_none());
        assert_eq!(store.delete_token(&[3; 32]).await.unwrap(), 1);
        store
            .insert_token(&token(&[4; 32], "access", id, "f3"), T0)
            .await
            .unwrap();
        assert_eq!(store.delete_connection_tokens(id).await.unwrap(), 1);
    }

    pub async fn prune_removes_unclaimed_registrations_and_dead_rows(store: Store) {
        let anna = user(&store, "anna").await;
        let old = store
            .insert_oauth_client(&client("old", None, None), T0)
            .await
            .unwrap();
        let claimed = store
            .insert_oauth_client(&client("claimed", None, None), T0)
            .await
            .unwrap();
        store
            .claim_oauth_client(claimed, anna, "full", T0)
            .await
            .unwrap();
        let young = store
            .insert_oauth_client(&client("young", None, None), T0 + DAY_MS)
            .await
            .unwrap();
        store
            .insert_token(&token(&[1; 32], "access", old, "f"), T0)
            .await
            .unwrap();
        let expired = NewToken {
            expires_at: T0 + 10,
            ..token(&[2; 32], "refresh", claimed, "g")
        };
        store.insert_token(&expired, T0).await.unwrap();
        store
            .put_client_document("https://a.example/c", "{}", T0)
            .await
            .unwrap();

        let pruned = store
            .prune_oauth(T0 + 1, T0 + 1, T0 + 100, T0 + 1)
            .await
            .unwrap();
        // The old client's token went with its connection (cascade); the expired one by expiry.
        assert_eq!((pruned.clients, pruned.tokens, pruned.documents), (1, 1, 1));
        assert!(store.find_token(&[1; 32]).await.unwrap().is_none());
        assert!(store.get_oauth_client(old).await.unwrap().is_none());
        assert!(
            connections::get(&store, old).await.is_err(),
            "the connection went with it"
        );
        assert!(store.get_oauth_client(claimed).await.unwrap().is_some());
        assert!(store.get_oauth_client(young).await.unwrap().is_some());
    }

    pub async fn client_documents_are_cached_and_replaced(store: Store) {
        let url = "https://a.example/client";
        assert!(store.get_client_document(url).await.unwrap().is_none());
        store
            .put_client_document(url, "{\"a\":1}", T0)
            .await
            .unwrap();
        store
            .put_client_document(url, "{\"a\":2}", T0 + 5)
            .await
            .unwrap();
        let (body, at) = store.get_client_document(url).await.unwrap().unwrap();
        assert_eq!((body.as_str(), at), ("{\"a\":2}", T0 + 5));
    }
}
