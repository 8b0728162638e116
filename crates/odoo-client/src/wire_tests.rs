//! Wire tests: request bodies for both protocols, and every recorded Odoo 18/19 answer parsed.

use secrecy::SecretString;
use serde_json::json;

use super::*;
use crate::samples::*;

const JSON: Option<&str> = Some("application/json; charset=utf-8");
const HTML: Option<&str> = Some("text/html; charset=utf-8");

fn rpc(body: &str) -> Result<Value, Error> {
    parse_jsonrpc(200, JSON, body.as_bytes())
}

fn odoo_error(result: Result<Value, Error>) -> (ErrorKind, String) {
    match result {
        Err(Error::Odoo { kind, message }) => (kind, message),
        other => panic!("expected an Odoo error, got {other:?}"),
    }
}

// ---- request bodies ----

fn search_read() -> Call {
    Call::new("res.partner", "search_read")
        .arg("domain", json!([["is_company", "=", true]]))
        .arg("fields", json!(["name", "email"]))
        .arg("limit", 2)
}

#[test]
fn jsonrpc_envelope_for_a_search_read_passes_everything_by_name() {
    let secret = SecretString::from("admin");
    let body = jsonrpc_request(
        7,
        "object",
        "execute_kw",
        execute_kw_args("demo", 2, &secret, &search_read()),
    );
    assert_eq!(
        body,
        json!({
            "jsonrpc": "2.0",
            "method": "call",
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": ["demo", 2, "admin", "res.partner", "search_read", [],
                         {"domain": [["is_company", "=", true]], "fields": ["name", "email"], "limit": 2}]
            },
            "id": 7
        })
    );
}

#[test]
fn execute_kw_puts_ids_first_for_read_and_write() {
    let secret = SecretString::from("admin");
    let read = Call::new("res.partner", "read")
        .ids([1])
        .arg("fields", json!(["name"]));
    assert_eq!(
        json!(execute_kw_args("demo", 2, &secret, &read)),
        json!(["demo", 2, "admin", "res.partner", "read", [[1]], {"fields": ["name"]}])
    );
    let write = Call::new("res.partner", "write")
        .ids([42])
        .arg("vals", json!({"phone": "+32 2 555 01 23"}));
    assert_eq!(
        json!(execute_kw_args("demo", 2, &secret, &write)),
        json!(["demo", 2, "admin", "res.partner", "write", [[42]], {"vals": {"phone": "+32 2 555 01 23"}}])
    );
}

#[test]
fn execute_kw_create_sends_vals_list_by_position() {
    let secret = SecretString::from("admin");
    let create =
        Call::new("res.partner", "create").arg("vals_list", json!([{"name": "A"}, {"name": "B"}]));
    assert_eq!(
        json!(execute_kw_args("demo", 2, &secret, &create)),
        json!(["demo", 2, "admin", "res.partner", "create", [[{"name": "A"}, {"name": "B"}]], {}])
    );
    // default_get's parameter has another name before Odoo 19: by position it needs none.
    let defaults = Call::new("res.partner", "default_get")
        .arg("fields", json!(["lang"]))
        .arg("context", json!({"lang": "fr_FR"}));
    assert_eq!(
        json!(execute_kw_args("demo", 2, &secret, &defaults)),
        json!(["demo", 2, "admin", "res.partner", "default_get", [["lang"]], {"context": {"lang": "fr_FR"}}])
    );
}

#[test]
fn json2_bodies_match_the_recorded_requests() {
    // Samples 19/42–45: the bodies real Odoo 19 accepted.
    assert_eq!(
        json2_body(&search_read()),
        json!({"domain": [["is_company", "=", true]], "fields": ["name", "email"], "limit": 2})
    );
    let read = Call::new("res.partner", "read")
        .ids([1])
        .arg("fields", json!(["name", "email"]));
    assert_eq!(
        json2_body(&read),
        json!({"ids": [1], "fields": ["name", "email"]})
    );
    let create =
        Call::new("res.partner", "create").arg("vals_list", json!([{"name": "JSON2 Sample"}]));
    assert_eq!(
        json2_body(&create),
        json!({"vals_list": [{"name": "JSON2 Sample"}]})
    );
    let write = Call::new("res.partner", "write")
        .ids([62])
        .arg("vals", json!({"phone": "123"}));
    assert_eq!(
        json2_body(&write),
        json!({"ids": [62], "vals": {"phone": "123"}})
    );
}

#[test]
fn json2_explicit_ids_win_over_an_ids_kwarg() {
    let call = Call::new("res.partner", "unlink")
        .ids([1])
        .arg("ids", json!([1, 2, 3]));
    assert_eq!(json2_body(&call), json!({"ids": [1]}));
}

// ---- JSON-RPC successes ----

#[test]
fn version_is_read_from_both_servers() {
    let v18 = parse_version(&rpc(V18_01).unwrap()).unwrap();
    assert_eq!(
        v18,
        ServerVersion {
            major: 18,
            minor: 0,
            serie: "18.0".into()
        }
    );
    let v19 = parse_version(&rpc(V19_01).unwrap()).unwrap();
    assert_eq!(
        v19,
        ServerVersion {
            major: 19,
            minor: 0,
            serie: "19.0".into()
        }
    );
}

#[test]
fn saas_versions_are_understood() {
    let result = json!({"server_version_info": ["saas~18", 3, 0, "final", 0, ""], "server_serie": "saas~18.3"});
    assert_eq!(
        parse_version(&result).unwrap(),
        ServerVersion {
            major: 18,
            minor: 3,
            serie: "saas~18.3".into()
        }
    );
    assert!(matches!(parse_version(&json!({})), Err(Error::Protocol(_))));
}

#[test]
fn authenticate_gives_a_uid_or_none() {
    for (ok, refused) in [(V18_02, V18_03), (V19_02, V19_03)] {
        assert_eq!(parse_uid(&rpc(ok).unwrap()).unwrap(), Some(2));
        assert_eq!(parse_uid(&rpc(refused).unwrap()).unwrap(), None);
    }
    assert!(matches!(parse_uid(&json!("2")), Err(Error::Protocol(_))));
}

#[test]
fn execute_kw_results_come_back_unwrapped() {
    for (search_read, read, create, create_list, write, read_deleted) in [
        (V18_07, V18_09, V18_10, V18_11, V18_12, V18_14),
        (V19_07, V19_09, V19_10, V19_11, V19_12, V19_14),
    ] {
        let rows = rpc(search_read).unwrap();
        assert_eq!(rows.as_array().unwrap().len(), 3);
        assert_eq!(rows[0]["country_id"], json!([233, "United States"]));
        assert_eq!(rpc(read).unwrap()[0]["id"], json!(1));
        assert!(rpc(create).unwrap().is_i64());
        assert!(rpc(create_list).unwrap().is_array());
        assert_eq!(rpc(write).unwrap(), json!(true));
        assert_eq!(rpc(read_deleted).unwrap(), json!([]));
    }
}

#[test]
fn user_name_is_read_from_a_read_result() {
    assert_eq!(
        parse_user_name(&json!([{"id": 2, "name": "Mitchell Admin"}])).unwrap(),
        "Mitchell Admin"
    );
    assert_eq!(
        parse_user_name(&json!([])).unwrap_err().kind(),
        Some(ErrorKind::MissingError)
    );
}

// ---- JSON-RPC errors: every row of the mapping table, both versions ----

#[test]
fn jsonrpc_errors_are_classified_by_exception_class() {
    let cases = [
        (V18_15, V19_15, ErrorKind::MissingError),
        (V18_17, V19_17, ErrorKind::AccessError),
        (V18_18, V19_18, ErrorKind::AccessError),
        (V18_19, V19_19, ErrorKind::AccessDenied),
        (V18_20, V19_20, ErrorKind::MissingModel),
        (V18_21, V19_21, ErrorKind::UnknownMethod),
        (V18_22, V19_22, ErrorKind::AccessError),
        (V18_23, V19_23, ErrorKind::InvalidArguments),
        (V18_24, V19_24, ErrorKind::ValidationError),
        (V18_25, V19_25, ErrorKind::ValidationError),
        (V18_26, V19_26, ErrorKind::ValidationError),
        (V18_28, V19_28, ErrorKind::AccessDenied),
        (V18_29, V19_29, ErrorKind::InvalidArguments),
    ];
    for (v18, v19, expected) in cases {
        for body in [v18, v19] {
            let (kind, message) = odoo_error(rpc(body));
            assert_eq!(kind, expected, "{message}");
            let data_message =
                serde_json::from_str::<Value>(body).unwrap()["error"]["data"]["message"].clone();
            assert_eq!(
                json!(message),
                data_message,
                "the message is Odoo's data.message, verbatim"
            );
            assert!(!message.contains("Traceback"), "{message}");
        }
    }
}

#[test]
fn jsonrpc_messages_are_odoo_clean_messages() {
    let (_, message) = odoo_error(rpc(V19_20));
    assert_eq!(message, "Object no.such.model doesn't exist");
    let (_, message) = odoo_error(rpc(V18_21));
    assert_eq!(
        message,
        "The method 'res.partner.no_such_method' does not exist"
    );
    let (_, message) = odoo_error(rpc(V18_15));
    assert_eq!(
        message,
        "Record does not exist or has been deleted.\n(Record: res.partner(42,), User: 2)"
    );
}

#[test]
fn session_expired_with_a_null_id_is_still_parsed() {
    for body in [V18_28, V19_28] {
        assert_eq!(
            odoo_error(rpc(body)),
            (ErrorKind::AccessDenied, "Session expired".into())
        );
    }
}

#[test]
fn malformed_json_answer_is_a_protocol_error() {
    for body in [V18_30, V19_30] {
        let Err(Error::Protocol(detail)) = parse_jsonrpc(400, HTML, body.as_bytes()) else {
            panic!("expected a protocol error");
        };
        assert_eq!(
            detail,
            "HTTP 400 Bad Request (text/html; charset=utf-8): 'Invalid JSON data'"
        );
    }
}

#[test]
fn non_odoo_answers_are_protocol_errors_with_a_short_description() {
    let page = format!(
        "<html><head><title>502 Bad Gateway</title></head><body>{}</body></html>",
        "x".repeat(5000)
    );
    let Err(Error::Protocol(detail)) = parse_jsonrpc(502, HTML, page.as_bytes()) else {
        panic!()
    };
    assert_eq!(
        detail,
        "HTTP 502 Bad Gateway (text/html; charset=utf-8): an HTML page titled '502 Bad Gateway'"
    );

    let Err(Error::Protocol(detail)) = parse_jsonrpc(200, None, "y".repeat(5000).as_bytes()) else {
        panic!()
    };
    assert!(detail.len() < 300, "{detail}");

    let Err(Error::Protocol(detail)) = parse_jsonrpc(200, JSON, br#"{"id":1,"answer":42}"#) else {
        panic!()
    };
    assert!(detail.starts_with("HTTP 200 OK"), "{detail}");

    let Err(Error::Protocol(detail)) = parse_jsonrpc(500, None, b"") else {
        panic!()
    };
    assert_eq!(
        detail,
        "HTTP 500 Internal Server Error (no content type): an empty body"
    );
}

#[test]
fn a_method_that_returned_none_is_a_success_without_a_value() {
    // What real Odoo sends for `action_archive` and every other method returning `None`.
    let body = br#"{"jsonrpc": "2.0", "id": 9}"#;
    assert_eq!(parse_jsonrpc(200, JSON, body).unwrap(), Value::Null);
    // Only a 2xx answer counts.
    assert!(matches!(
        parse_jsonrpc(500, JSON, body),
        Err(Error::Protocol(_))
    ));
}

#[test]
fn jsonrpc_error_without_data_uses_the_top_message() {
    let body = r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"Invalid Request"}}"#;
    assert_eq!(
        odoo_error(rpc(body)),
        (ErrorKind::Other, "Invalid Request".into())
    );
}

// ---- JSON-2 ----

#[test]
fn json2_successes_are_bare_results() {
    assert_eq!(
        parse_json2(200, JSON, V19_42.as_bytes()).unwrap()[1]["id"],
        json!(15)
    );
    assert_eq!(
        parse_json2(200, JSON, V19_43.as_bytes()).unwrap()[0]["name"],
        json!("YourCompany")
    );
    assert_eq!(
        parse_json2(200, JSON, V19_44.as_bytes()).unwrap(),
        json!([62])
    );
    assert_eq!(
        parse_json2(200, JSON, V19_45.as_bytes()).unwrap(),
        json!(true)
    );
    assert_eq!(
        parse_json2(200, JSON, V19_46.as_bytes()).unwrap(),
        json!(true)
    );
    assert_eq!(
        parse_json2(200, JSON, V19_47.as_bytes()).unwrap()["name"]["type"],
        json!("char")
    );
}

#[test]
fn json2_errors_are_classified_by_status_and_name() {
    let cases = [
        (404, V19_48, ErrorKind::MissingModel),
        (404, V19_49, ErrorKind::UnknownMethod),
        (422, V19_50, ErrorKind::ValidationError),
        (401, V19_51, ErrorKind::AccessDenied),
        (401, V19_52, ErrorKind::AccessDenied),
        (422, V19_53, ErrorKind::InvalidArguments),
        (500, V19_54, ErrorKind::InvalidArguments),
        (403, V19_55, ErrorKind::AccessError),
        (403, V19_56, ErrorKind::AccessError),
    ];
    for (status, body, expected) in cases {
        let (kind, message) = odoo_error(parse_json2(status, JSON, body.as_bytes()));
        assert_eq!(kind, expected, "{message}");
        let odoo_message = serde_json::from_str::<Value>(body).unwrap()["message"].clone();
        assert_eq!(json!(message), odoo_message);
        assert!(
            !message.contains("Traceback") && !message.contains("json2.py"),
            "{message}"
        );
    }
}

#[test]
fn json2_html_answers_are_protocol_errors() {
    // What an Odoo without the `rpc` addon (or before 19) answers on /json/2.
    let page = b"<!DOCTYPE html><html><head><title>404 | Page not found</title></head></html>";
    let Err(Error::Protocol(detail)) = parse_json2(404, HTML, page) else {
        panic!()
    };
    assert_eq!(
        detail,
        "HTTP 404 Not Found (text/html; charset=utf-8): an HTML page titled '404 | Page not found'"
    );
    assert!(matches!(
        parse_json2(200, HTML, b"<html></html>"),
        Err(Error::Protocol(_))
    ));
    assert!(matches!(
        parse_json2(400, HTML, V19_30.as_bytes()),
        Err(Error::Protocol(_))
    ));
}

#[test]
fn client_messages_never_carry_the_traceback() {
    for body in [V18_17, V18_19, V18_21, V19_17, V19_19, V19_21] {
        let err = rpc(body).unwrap_err();
        assert!(!err.client_message().contains("Traceback"));
        assert!(!err.to_string().contains("Traceback"));
    }
    let err = parse_json2(403, JSON, V19_56.as_bytes()).unwrap_err();
    assert!(
        err.client_message().starts_with(
            "Odoo refused: You are not allowed to access 'System Parameter' (ir.config_parameter) records."
        ),
        "{}",
        err.client_message()
    );
}
