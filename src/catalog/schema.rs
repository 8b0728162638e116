//! Tool input schemas every MCP client accepts: one `type` per schema (no `["integer", "null"]`
//! unions, which single-type dialects such as Gemini's function declarations reject), and no bare
//! `true` where a schema is expected. The gateway's own parsing stays as strict as before; these
//! schemas only describe it portably.

use std::sync::Arc;

use rmcp::model::JsonObject;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::Value;

/// The schema of `T`'s arguments, made portable.
pub fn of<T: JsonSchema + 'static>() -> Arc<JsonObject> {
    let mut schema = rmcp::handler::server::tool::schema_for_type::<T>()
        .as_ref()
        .clone();
    for value in schema.values_mut() {
        single_types(value);
    }
    compact(&mut schema);
    Arc::new(schema)
}

/// Leaves out what schemars writes that tells a client nothing, since `tools/list` carries every
/// schema of the catalog (and an AI reads them all): the dialect (MCP's default, 2020-12), the
/// Rust type's name as `title`, and the integer widths as `format` (`int64`, `uint32` …, which
/// JSON Schema does not define and validators ignore).
pub(super) fn compact(schema: &mut JsonObject) {
    schema.remove("$schema");
    schema.remove("title");
    schema.values_mut().for_each(drop_integer_formats);
}

fn drop_integer_formats(value: &mut Value) {
    match value {
        Value::Object(object) => {
            let integer_width = object
                .get("format")
                .and_then(Value::as_str)
                .is_some_and(|f| {
                    matches!(
                        f,
                        "int8"
                            | "int16"
                            | "int32"
                            | "int64"
                            | "uint"
                            | "uint8"
                            | "uint16"
                            | "uint32"
                            | "uint64"
                            | "double"
                            | "float"
                    )
                });
            if integer_width {
                object.remove("format");
            }
            object.values_mut().for_each(drop_integer_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_integer_formats),
        _ => {}
    }
}

/// `schema` with the properties of `T`'s schema added (arguments every tool of a kind takes).
pub(super) fn with_properties_of<T: JsonSchema + 'static>(
    schema: Arc<JsonObject>,
) -> Arc<JsonObject> {
    let extra = of::<T>();
    let mut schema = Arc::unwrap_or_clone(schema);
    if let (Some(Value::Object(into)), Some(Value::Object(from))) =
        (schema.get_mut("properties"), extra.get("properties"))
    {
        into.extend(from.clone());
    }
    Arc::new(schema)
}

/// An optional argument is written `{"type": ["integer", "null"]}` by schemars; an absent
/// argument and `null` mean the same to every tool, so the schema names the one real type and
/// leaves the property out of `required` (and a `"default": null` that type could not hold goes).
fn single_types(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if object.get("default") == Some(&Value::Null) {
                object.remove("default");
            }
            if let Some(Value::Array(types)) = object.get("type") {
                let real: Vec<&Value> = types.iter().filter(|t| *t != "null").collect();
                if let [only] = real.as_slice() {
                    let only = (*only).clone();
                    object.insert("type".into(), only);
                }
            }
            object.values_mut().for_each(single_types);
        }
        Value::Array(items) => items.iter_mut().for_each(single_types),
        _ => {}
    }
}

/// An Odoo domain: prefix operators and `[field, operator, value]` conditions, spelled so that no
/// part is an untyped schema (the gateway checks the shape itself, with readable messages).
pub fn domain(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "items": {
            "anyOf": [
                {
                    "type": "string",
                    "enum": ["&", "|", "!"],
                    "description": "A prefix operator: AND, OR, NOT of the terms that follow."
                },
                {
                    "type": "array",
                    "description": "A condition: [field, operator, value], e.g. [\"name\", \"ilike\", \"acme\"].",
                    "minItems": 3,
                    "maxItems": 3,
                    "items": {
                        "anyOf": [
                            {"type": "string"},
                            {"type": "number"},
                            {"type": "boolean"},
                            {"type": "null"},
                            {"type": "array", "description": "A list of values, for 'in' and 'not in'."}
                        ]
                    }
                }
            ]
        }
    })
}

#[cfg(test)]
pub(crate) mod lint {
    //! MCP Inspector's `--strict` portability rules (2.12), so a unit test can hold every
    //! catalog schema to them without Node; the integration suite also runs the Inspector itself.

    use serde_json::{Map, Value};

    /// Keywords whose value may be a boolean rather than a schema.
    const BOOLEAN_VALUED: &[&str] = &[
        "additionalProperties",
        "unevaluatedProperties",
        "additionalItems",
        "unevaluatedItems",
    ];
    const ONE_SCHEMA: &[&str] = &[
        "items",
        "contains",
        "not",
        "propertyNames",
        "if",
        "then",
        "else",
        "additionalProperties",
        "unevaluatedProperties",
        "additionalItems",
        "unevaluatedItems",
        "contentSchema",
    ];
    const SCHEMA_LISTS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
    const SCHEMA_MAPS: &[&str] = &[
        "properties",
        "patternProperties",
        "dependentSchemas",
        "dependencies",
        "$defs",
        "definitions",
    ];
    /// Keywords that constrain the instance; a schema with none of them accepts anything.
    const CONSTRAINING: &[&str] = &[
        "type",
        "enum",
        "const",
        "multipleOf",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        "maxLength",
        "minLength",
        "pattern",
        "format",
        "contentMediaType",
        "contentEncoding",
        "contentSchema",
        "maxItems",
        "minItems",
        "uniqueItems",
        "maxContains",
        "minContains",
        "maxProperties",
        "minProperties",
        "required",
        "dependentRequired",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "items",
        "prefixItems",
        "contains",
        "additionalItems",
        "unevaluatedItems",
        "properties",
        "patternProperties",
        "additionalProperties",
        "unevaluatedProperties",
        "propertyNames",
        "dependentSchemas",
        "dependencies",
        "$ref",
        "$dynamicRef",
        "$recursiveRef",
    ];

    /// Every finding, as `path: problem`.
    pub fn findings(schema: &Value) -> Vec<String> {
        let mut out = Vec::new();
        walk(schema, "", None, &mut out);
        out
    }

    fn walk(node: &Value, path: &str, keyword: Option<&str>, out: &mut Vec<String>) {
        match node {
            Value::Bool(_) if keyword.is_some_and(|k| BOOLEAN_VALUED.contains(&k)) => {}
            Value::Bool(b) => out.push(format!("{path}: bare `{b}` where a schema is expected")),
            Value::Object(object) => {
                check(object, path, keyword, out);
                for (keyword, segment, child) in children(object) {
                    walk(child, &format!("{path}/{segment}"), Some(keyword), out);
                }
            }
            _ => {}
        }
    }

    fn check(
        object: &Map<String, Value>,
        path: &str,
        keyword: Option<&str>,
        out: &mut Vec<String>,
    ) {
        if let Some(Value::Array(types)) = object.get("type") {
            out.push(format!("{path}: `type` is an array {types:?}"));
        }
        if object
            .get("$ref")
            .and_then(Value::as_str)
            .is_some_and(|r| !r.is_empty() && !r.starts_with('#'))
        {
            out.push(format!("{path}: `$ref` points outside the document"));
        }
        let constrains = object.keys().any(|k| CONSTRAINING.contains(&k.as_str()))
            || (object.contains_key("if")
                && (object.contains_key("then") || object.contains_key("else")));
        if !constrains && keyword != Some("not") {
            out.push(format!("{path}: untyped schema (accepts any value)"));
        }
    }

    /// The subschemas of a schema object: (keyword, path segment, subschema).
    fn children(object: &Map<String, Value>) -> Vec<(&str, String, &Value)> {
        let mut out = Vec::new();
        for (key, value) in object {
            let keyword = key.as_str();
            match value {
                Value::Object(map) if SCHEMA_MAPS.contains(&keyword) => {
                    out.extend(
                        map.iter()
                            .map(|(name, sub)| (keyword, format!("{keyword}/{name}"), sub)),
                    );
                }
                Value::Array(list) if SCHEMA_LISTS.contains(&keyword) || keyword == "items" => {
                    out.extend(
                        list.iter()
                            .enumerate()
                            .map(|(i, sub)| (keyword, format!("{keyword}/{i}"), sub)),
                    );
                }
                _ if ONE_SCHEMA.contains(&keyword) => {
                    out.push((keyword, keyword.to_owned(), value))
                }
                _ => {}
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nullable_unions_become_the_one_real_type() {
        let mut schema = json!({"properties": {"limit": {"type": ["integer", "null"], "default": null},
            "both": {"type": ["integer", "string"]}}});
        single_types(&mut schema);
        assert_eq!(schema["properties"]["limit"], json!({"type": "integer"}));
        assert_eq!(
            schema["properties"]["both"]["type"],
            json!(["integer", "string"])
        );
    }

    #[test]
    fn the_lint_finds_what_the_inspector_reports() {
        let bad = json!({"type": "object", "properties": {
            "domain": {"type": ["array", "null"], "items": true},
            "free": {"description": "anything"},
            "values": {"type": "object", "additionalProperties": true}
        }});
        let found = lint::findings(&bad);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].contains("properties/domain: `type` is an array"));
        assert!(found[1].contains("properties/domain/items: bare `true`"));
        assert!(found[2].contains("properties/free: untyped"));
    }

    #[test]
    fn every_catalog_schema_is_portable() {
        for tool in crate::catalog::CATALOG {
            let schema = Value::Object(tool.input_schema().as_ref().clone());
            let found = lint::findings(&schema);
            assert!(found.is_empty(), "{}: {found:?}", tool.name);
            if let Some(output) = tool.tool.output_schema() {
                let found = lint::findings(&Value::Object(output.as_ref().clone()));
                assert!(found.is_empty(), "{} output: {found:?}", tool.name);
            }
        }
    }
}
