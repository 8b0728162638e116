//! The public model methods: their signatures, binding JSON-RPC and JSON-2 arguments to them, and running them.

use serde_json::{Map, Value, json};

use super::OdooVersion;
use super::access::Operation;
use super::business::Post;
use super::fault::{Fault, Kind, python_repr};
use super::formatted_group::FormattedQuery;
use super::group::GroupQuery;
use super::orm::{Env, ids_of};
use super::schema::{self, Model};
use super::signatures::{Spec, spec};
use super::store::Db;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Protocol {
    JsonRpc,
    Json2,
}

/// Odoo's `call_kw` takes `args[0]` (the ids of a record method, the values of `create`) without looking:
/// when it is missing, Python's IndexError names 18's args tuple or 19's list.
fn missing_first_argument(version: OdooVersion) -> Fault {
    let sequence = match version {
        OdooVersion::V18 => "tuple",
        OdooVersion::V19 => "list",
    };
    Fault::new(Kind::IndexError, format!("{sequence} index out of range"))
}

/// A bound call: ids (for record methods), named arguments, context.
pub(crate) struct Call {
    pub ids: Value,
    pub args: Map<String, Value>,
    pub context: Map<String, Value>,
}

/// Does this method change data (so the caller snapshots the tables to roll back on error)?
pub(crate) fn mutates(method: &str, model: &str, version: OdooVersion) -> bool {
    spec(method, model, version).is_some_and(|s| s.mutates)
}

/// Checks common to both protocols: private, then unknown methods.
pub(crate) fn resolve_method(model: &str, method: &str, version: OdooVersion) -> Result<(), Fault> {
    if method.starts_with('_') {
        return Err(Fault::private_method(model, method));
    }
    spec(method, model, version)
        .map(|_| ())
        .ok_or_else(|| Fault::no_such_method(model, method))
}

fn take_context(value: Option<Value>) -> Map<String, Value> {
    match value {
        Some(Value::Object(context)) => context,
        _ => Map::new(),
    }
}

/// JSON-RPC `execute_kw`: positional `args` (ids first for record methods) and `kwargs`.
pub(crate) fn bind_jsonrpc(
    model: &str,
    method: &str,
    version: OdooVersion,
    args: &[Value],
    kwargs: Map<String, Value>,
) -> Result<Call, Fault> {
    let spec = spec(method, model, version).ok_or_else(|| Fault::no_such_method(model, method))?;
    let mut kwargs = kwargs;
    let context = take_context(kwargs.remove("context"));
    if args.is_empty() && (method == "create" || !spec.model_level) {
        return Err(missing_first_argument(version));
    }
    let (ids, positional) = if spec.model_level {
        (Value::Null, args)
    } else {
        match args.split_first() {
            Some((ids, rest)) => (ids.clone(), rest),
            None => return Err(missing_first_argument(version)),
        }
    };
    if positional.len() > spec.params.len() {
        return Err(Fault::type_error(format!(
            "{}() takes from 1 to {} positional arguments but {} were given",
            spec.sink,
            spec.params.len() + 1,
            positional.len() + 1
        )));
    }
    let mut bound = Map::new();
    for (name, value) in spec.params.iter().zip(positional) {
        bound.insert((*name).to_owned(), value.clone());
    }
    for (name, value) in kwargs {
        if bound.contains_key(&name) {
            return Err(Fault::type_error(format!(
                "{}() got multiple values for argument '{name}'",
                spec.sink
            )));
        }
        bound.insert(name, value);
    }
    finish_binding(&spec, ids, bound, context)
}

/// JSON-2: every argument is named; `ids` only for record methods.
pub(crate) fn bind_json2(
    model: &str,
    method: &str,
    version: OdooVersion,
    body: Map<String, Value>,
) -> Result<Call, Fault> {
    let spec = spec(method, model, version).ok_or_else(|| {
        Fault::new(
            Kind::NotFound,
            format!("The method '{model}.{method}' does not exist"),
        )
    })?;
    let mut body = body;
    let context = take_context(body.remove("context"));
    let ids = body.remove("ids").unwrap_or(Value::Null);
    if spec.model_level && !ids.is_null() {
        return Err(Fault::new(
            Kind::UnprocessableEntity,
            format!("cannot call {model}.{method} with ids"),
        ));
    }
    let ids = if spec.model_level || !ids.is_null() {
        ids
    } else {
        json!([])
    };
    finish_binding(&spec, ids, body, context)
}

fn finish_binding(
    spec: &Spec,
    ids: Value,
    bound: Map<String, Value>,
    context: Map<String, Value>,
) -> Result<Call, Fault> {
    if let Some(unknown) = bound.keys().find(|k| !spec.params.contains(&k.as_str())) {
        return Err(Fault::type_error(format!(
            "{}() got an unexpected keyword argument '{unknown}'",
            spec.sink
        )));
    }
    let missing: Vec<&str> = spec.params[..spec.required]
        .iter()
        .copied()
        .filter(|p| !bound.contains_key(*p))
        .collect();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|m| format!("'{m}'")).collect();
        return Err(Fault::type_error(format!(
            "{}() missing {} required positional argument{}: {}",
            spec.sink,
            missing.len(),
            if missing.len() == 1 { "" } else { "s" },
            names.join(" and ")
        )));
    }
    Ok(Call {
        ids,
        args: bound,
        context,
    })
}

fn arg<'a>(call: &'a Call, name: &str) -> &'a Value {
    call.args.get(name).unwrap_or(&Value::Null)
}

fn strings(value: &Value, what: &str) -> Result<Vec<String>, Fault> {
    match value {
        Value::Null | Value::Bool(false) => Ok(vec![]),
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str().map(str::to_owned).ok_or_else(|| {
                    Fault::type_error(format!(
                        "{what} must be a list of strings, got {}",
                        python_repr(value)
                    ))
                })
            })
            .collect(),
        other => Err(Fault::type_error(format!(
            "{what} must be a list of strings, got {}",
            python_repr(other)
        ))),
    }
}

fn count(value: &Value, name: &str) -> Result<Option<usize>, Fault> {
    match value {
        Value::Null | Value::Bool(false) => Ok(None),
        Value::Number(n) => n
            .as_u64()
            .map(|n| Some(n as usize))
            .ok_or_else(|| Fault::value_error(format!("Invalid {name}: {n}"))),
        other => Err(Fault::type_error(format!(
            "'{name}' must be an integer, got {}",
            python_repr(other)
        ))),
    }
}

fn text<'a>(value: &'a Value, name: &str) -> Result<Option<&'a str>, Fault> {
    match value {
        Value::Null | Value::Bool(false) => Ok(None),
        Value::String(s) => Ok(Some(s)),
        other => Err(Fault::type_error(format!(
            "'{name}' must be a string, got {}",
            python_repr(other)
        ))),
    }
}

fn record_ids(call: &Call) -> Result<Vec<i64>, Fault> {
    match &call.ids {
        Value::Number(_) | Value::Array(_) | Value::Null => {}
        other => {
            return Err(Fault::type_error(format!(
                "Invalid ids {}",
                python_repr(other)
            )));
        }
    }
    if let Value::Array(items) = &call.ids
        && items.iter().any(|v| v.as_i64().is_none())
    {
        return Err(Fault::type_error(format!(
            "Invalid ids {}",
            python_repr(&call.ids)
        )));
    }
    Ok(ids_of(&call.ids))
}

fn operation(call: &Call) -> Result<Operation, Fault> {
    let name = text(arg(call, "operation"), "operation")?.unwrap_or_default();
    Operation::parse(name).ok_or_else(|| {
        Fault::value_error(format!(
            "Invalid access mode: {}",
            python_repr(arg(call, "operation"))
        ))
    })
}

/// Odoo's `env.companies`: the context's `allowed_company_ids` must all be companies of the
/// user. (The demo database has one company, so nothing is filtered by company.)
pub(crate) fn check_companies(
    db: &Db,
    uid: i64,
    context: &Map<String, Value>,
) -> Result<(), Fault> {
    let Some(asked) = context.get("allowed_company_ids") else {
        return Ok(());
    };
    let own = db.read_value("res.users", uid, "company_ids");
    let own = own.as_array().map(Vec::as_slice).unwrap_or_default();
    let foreign = match asked {
        Value::Array(ids) => ids.iter().any(|id| !own.contains(id)),
        _ => true,
    };
    if foreign {
        return Err(Fault::access_error(
            "Access to unauthorized or invalid companies.",
        ));
    }
    Ok(())
}

/// Run a bound method.
pub(crate) fn run(
    db: &mut Db,
    uid: i64,
    model: &Model,
    method: &str,
    call: Call,
    protocol: Protocol,
) -> Result<Value, Fault> {
    check_companies(db, uid, &call.context)?;
    let env = Env {
        uid,
        context: call.context.clone(),
    };
    let domain = || match arg(&call, "domain") {
        Value::Null => json!([]),
        other => other.clone(),
    };
    Ok(match method {
        "search" | "search_read" => {
            let offset = count(arg(&call, "offset"), "offset")?.unwrap_or(0);
            let limit = count(arg(&call, "limit"), "limit")?;
            let order = text(arg(&call, "order"), "order")?;
            let ids = db.search(&env, model, &domain(), order, offset, limit)?;
            if method == "search" {
                json!(ids)
            } else {
                let fields = strings(arg(&call, "fields"), "fields")?;
                Value::Array(db.read(&env, model, &ids, &fields)?)
            }
        }
        "search_count" => {
            let limit = count(arg(&call, "limit"), "limit")?;
            json!(db.search(&env, model, &domain(), None, 0, limit)?.len())
        }
        "read" => Value::Array(db.read(
            &env,
            model,
            &record_ids(&call)?,
            &strings(arg(&call, "fields"), "fields")?,
        )?),
        "exists" => {
            let ids: Vec<i64> = record_ids(&call)?
                .into_iter()
                .filter(|id| db.exists(model.name, *id))
                .collect();
            json!(ids)
        }
        "create" => match arg(&call, "vals_list") {
            Value::Array(list) => {
                let mut ids = Vec::with_capacity(list.len());
                for vals in list {
                    ids.push(db.create(&env, model, vals)?);
                }
                json!(ids)
            }
            vals => {
                let id = db.create(&env, model, vals)?;
                if protocol == Protocol::Json2 {
                    json!([id])
                } else {
                    json!(id)
                }
            }
        },
        "write" => {
            db.write(&env, model, &record_ids(&call)?, arg(&call, "vals"))?;
            json!(true)
        }
        "unlink" => {
            db.unlink(&env, model, &record_ids(&call)?)?;
            json!(true)
        }
        "get_views" => db.get_views(model),
        // Odoo checks no model access here: any user may describe a model.
        "fields_get" => db.fields_get(
            model,
            &strings(arg(&call, "allfields"), "allfields")?,
            &strings(arg(&call, "attributes"), "attributes")?,
        ),
        "read_group" => {
            let fields = strings(arg(&call, "fields"), "fields")?;
            let groupby = strings(arg(&call, "groupby"), "groupby")?;
            let lazy = !matches!(arg(&call, "lazy"), Value::Bool(false));
            let query = GroupQuery {
                domain: &domain(),
                fields: &fields,
                groupby: &groupby,
                offset: count(arg(&call, "offset"), "offset")?.unwrap_or(0),
                limit: count(arg(&call, "limit"), "limit")?,
                orderby: text(arg(&call, "orderby"), "orderby")?,
                lazy,
                formatted: None,
            };
            db.read_group(&env, model, query)?
        }
        "name_search" => {
            let name = text(arg(&call, "name"), "name")?.unwrap_or_default();
            let operator = text(arg(&call, "operator"), "operator")?.unwrap_or("ilike");
            let limit = count(arg(&call, "limit"), "limit")?.or(Some(100));
            db.name_search(&env, model, name, &domain(), operator, limit)?
        }
        "default_get" => {
            let name = if db.version == OdooVersion::V18 {
                "fields_list"
            } else {
                "fields"
            };
            let mut out = Map::new();
            for field in strings(arg(&call, name), name)? {
                let from_context = call.context.get(&format!("default_{field}")).cloned();
                if let Some(value) =
                    from_context.or_else(|| schema::default_value(model.name, &field))
                {
                    out.insert(field, value);
                }
            }
            Value::Object(out)
        }
        "check_access_rights" => {
            let raise = !matches!(arg(&call, "raise_exception"), Value::Bool(false));
            match db.check_access(&env, model, operation(&call)?) {
                Ok(()) => json!(true),
                Err(fault) if raise => return Err(fault),
                Err(_) => json!(false),
            }
        }
        "check_access" => {
            let op = operation(&call)?;
            db.check_access(&env, model, op)?;
            let ids: Vec<i64> = record_ids(&call)?
                .into_iter()
                .filter(|id| db.exists(model.name, *id))
                .collect();
            db.check_rules(&env, model, &ids, method_name(op))?;
            Value::Null
        }
        "has_access" => {
            let op = operation(&call)?;
            let ids: Vec<i64> = record_ids(&call)?;
            json!(
                db.check_access(&env, model, op).is_ok()
                    && db.check_rules(&env, model, &ids, method_name(op)).is_ok()
            )
        }
        "context_get" => {
            json!({"lang": "en_US", "tz": db.value("res.users", uid, "tz"), "uid": uid})
        }
        "get_available_models" => db.available_models(uid),
        // The recorded Odoo servers have no wkhtmltopdf: "install" (its first state), for any user.
        "get_wkhtmltopdf_state" => json!("install"),
        "display_name_for" => db.display_names_for(uid, &strings(arg(&call, "models"), "models")?),
        "formatted_read_group" => {
            let groupby = strings(arg(&call, "groupby"), "groupby")?;
            let aggregates = strings(arg(&call, "aggregates"), "aggregates")?;
            let query = FormattedQuery {
                domain: &domain(),
                groupby: &groupby,
                aggregates: &aggregates,
                having: arg(&call, "having"),
                offset: count(arg(&call, "offset"), "offset")?.unwrap_or(0),
                limit: count(arg(&call, "limit"), "limit")?,
                order: text(arg(&call, "order"), "order")?,
            };
            db.formatted_read_group(&env, model, query)?
        }
        "action_archive" | "action_unarchive" => {
            let active = method == "action_unarchive";
            db.set_active(&env, model, &record_ids(&call)?, active)?
        }
        "action_confirm" => db.confirm_orders(&env, model, &record_ids(&call)?)?,
        "action_cancel" => db.cancel_orders(&env, model, &record_ids(&call)?)?,
        "message_post" => {
            let post = Post {
                body: arg(&call, "body"),
                message_type: arg(&call, "message_type"),
                subtype_xmlid: arg(&call, "subtype_xmlid"),
                partner_ids: arg(&call, "partner_ids"),
            };
            db.message_post(&env, model, &record_ids(&call)?, &post)?
        }
        "action_feedback" => {
            db.action_feedback(&env, &record_ids(&call)?, arg(&call, "feedback"))?
        }
        _ => return Err(Fault::no_such_method(model.name, method)),
    })
}

fn method_name(op: Operation) -> &'static str {
    match op {
        Operation::Read => "read",
        Operation::Write => "write",
        Operation::Create => "create",
        Operation::Unlink => "unlink",
    }
}
