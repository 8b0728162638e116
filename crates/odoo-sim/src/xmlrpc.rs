//! The XML-RPC surface (`/xmlrpc/2/common|object|db`): a small XML-RPC codec over the JSON-RPC services.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::Simulator;
use super::fault::{Fault, Kind};
use super::jsonrpc;

pub(crate) async fn handle(
    State(sim): State<Simulator>,
    Path(service): Path<String>,
    body: Bytes,
) -> Response {
    sim.count_call();
    let text = String::from_utf8_lossy(&body);
    let outcome = match parse_call(&text) {
        Ok((method, params)) => match service.as_str() {
            "common" => jsonrpc::common(&sim, &method, &params),
            "object" => jsonrpc::object(&sim, &method, &params),
            "db" => jsonrpc::db_service(&sim, &method),
            _ => Err(Fault::new(Kind::KeyError, service.clone())),
        },
        Err(error) => Err(Fault::new(Kind::ValueError, error)),
    };
    let xml = match outcome {
        Ok(result) => {
            let mut out =
                String::from("<?xml version=\"1.0\"?>\n<methodResponse>\n<params>\n<param>\n");
            write_value(&mut out, &result);
            out.push_str("</param>\n</params>\n\n</methodResponse>\n");
            out
        }
        Err(fault) => fault_xml(&sim, &fault),
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

/// faultCode: 1 other (faultString is the traceback), 2 user/validation/missing, 3 AccessDenied, 4 AccessError.
fn fault_xml(sim: &Simulator, fault: &Fault) -> String {
    let (code, text) = match fault.kind {
        Kind::AccessDenied => (3, fault.message.clone()),
        Kind::AccessError => (4, fault.message.clone()),
        Kind::UserError | Kind::ValidationError | Kind::MissingError => (2, fault.message.clone()),
        _ => (1, fault.debug(sim.version())),
    };
    let mut members = Map::new();
    members.insert("faultCode".into(), Value::from(code));
    members.insert("faultString".into(), Value::String(text));
    let mut out = String::from("<?xml version=\"1.0\"?>\n<methodResponse>\n<fault>\n");
    write_value(&mut out, &Value::Object(members));
    out.push_str("</fault>\n\n</methodResponse>\n");
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Marshal like Python's `xmlrpc.client` (Odoo sends `False` where JSON has null).
fn write_value(out: &mut String, value: &Value) {
    out.push_str("<value>");
    match value {
        Value::Null => out.push_str("<boolean>0</boolean>"),
        Value::Bool(b) => out.push_str(&format!("<boolean>{}</boolean>", u8::from(*b))),
        Value::Number(n) if n.is_i64() || n.is_u64() => out.push_str(&format!("<int>{n}</int>")),
        Value::Number(n) => {
            out.push_str(&format!("<double>{:?}</double>", n.as_f64().unwrap_or(0.0)))
        }
        Value::String(s) => out.push_str(&format!("<string>{}</string>", escape(s))),
        Value::Array(items) => {
            out.push_str("<array><data>\n");
            for item in items {
                write_value(out, item);
            }
            out.push_str("</data></array>");
        }
        Value::Object(members) => {
            out.push_str("<struct>\n");
            for (name, member) in members {
                out.push_str(&format!("<member>\n<name>{}</name>\n", escape(name)));
                write_value(out, member);
                out.push_str("</member>\n");
            }
            out.push_str("</struct>");
        }
    }
    out.push_str("</value>\n");
}

#[derive(Debug, PartialEq)]
enum Token {
    Open(String),
    Close(String),
    Empty(String),
    Text(String),
}

fn tokenize(xml: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut rest = xml;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('<') {
            let end = after.find('>').ok_or("unclosed tag")?;
            let tag = &after[..end];
            rest = &after[end + 1..];
            if tag.starts_with('?') || tag.starts_with('!') {
                continue;
            }
            let name = |t: &str| t.split_whitespace().next().unwrap_or_default().to_owned();
            if let Some(closing) = tag.strip_prefix('/') {
                tokens.push(Token::Close(name(closing)));
            } else if let Some(empty) = tag.strip_suffix('/') {
                tokens.push(Token::Empty(name(empty)));
            } else {
                tokens.push(Token::Open(name(tag)));
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            tokens.push(Token::Text(unescape(&rest[..end])?));
            rest = &rest[end..];
        }
    }
    Ok(tokens)
}

fn unescape(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let end = rest[at..].find(';').ok_or("bad entity")? + at;
        let entity = &rest[at + 1..end];
        let decoded = match entity {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = match entity.strip_prefix("#x") {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => entity.strip_prefix('#').and_then(|d| d.parse().ok()),
                };
                code.and_then(char::from_u32).ok_or("bad entity")?
            }
        };
        out.push(decoded);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

struct Cursor {
    tokens: Vec<Token>,
    at: usize,
}

impl Cursor {
    /// The next token, skipping whitespace between elements.
    fn next_significant(&mut self) -> Option<&Token> {
        while let Some(Token::Text(text)) = self.tokens.get(self.at) {
            if !text.trim().is_empty() {
                break;
            }
            self.at += 1;
        }
        self.tokens.get(self.at)
    }

    fn expect_open(&mut self, name: &str) -> Result<(), String> {
        match self.next_significant() {
            Some(Token::Open(tag)) if tag == name => {
                self.at += 1;
                Ok(())
            }
            other => Err(format!("expected <{name}>, found {other:?}")),
        }
    }

    fn expect_close(&mut self, name: &str) -> Result<(), String> {
        match self.next_significant() {
            Some(Token::Close(tag)) if tag == name => {
                self.at += 1;
                Ok(())
            }
            other => Err(format!("expected </{name}>, found {other:?}")),
        }
    }

    /// Raw text up to the closing tag (possibly empty).
    fn text_until(&mut self, name: &str) -> Result<String, String> {
        let text = match self.tokens.get(self.at) {
            Some(Token::Text(text)) => {
                self.at += 1;
                text.clone()
            }
            _ => String::new(),
        };
        self.expect_close(name)?;
        Ok(text)
    }

    fn value(&mut self) -> Result<Value, String> {
        self.expect_open("value")?;
        // A bare `<value>text</value>` is a string.
        if let Some(Token::Text(text)) = self.tokens.get(self.at)
            && matches!(self.tokens.get(self.at + 1), Some(Token::Close(tag)) if tag == "value")
        {
            let text = text.clone();
            self.at += 2;
            return Ok(Value::String(text));
        }
        let value = match self.next_significant() {
            Some(Token::Close(tag)) if tag == "value" => {
                return self.close_value(Value::String(String::new()));
            }
            Some(Token::Empty(tag)) => {
                let value = match tag.as_str() {
                    "nil" => Value::Null,
                    "array" | "data" => Value::Array(vec![]),
                    "struct" => Value::Object(Map::new()),
                    _ => Value::String(String::new()),
                };
                self.at += 1;
                value
            }
            Some(Token::Open(tag)) => {
                let tag = tag.clone();
                self.at += 1;
                self.typed(&tag)?
            }
            other => return Err(format!("unexpected {other:?} in <value>")),
        };
        self.close_value(value)
    }

    fn close_value(&mut self, value: Value) -> Result<Value, String> {
        self.expect_close("value")?;
        Ok(value)
    }

    fn typed(&mut self, tag: &str) -> Result<Value, String> {
        Ok(match tag {
            "int" | "i4" | "i8" => Value::from(
                self.text_until(tag)?
                    .trim()
                    .parse::<i64>()
                    .map_err(|e| e.to_string())?,
            ),
            "boolean" => Value::Bool(self.text_until(tag)?.trim() == "1"),
            "double" => Value::from(
                self.text_until(tag)?
                    .trim()
                    .parse::<f64>()
                    .map_err(|e| e.to_string())?,
            ),
            "string" | "dateTime.iso8601" | "base64" => Value::String(self.text_until(tag)?),
            "array" => {
                let mut items = Vec::new();
                if let Some(Token::Empty(data)) = self.next_significant()
                    && data == "data"
                {
                    self.at += 1;
                } else {
                    self.expect_open("data")?;
                    while matches!(self.next_significant(), Some(Token::Open(t)) if t == "value") {
                        items.push(self.value()?);
                    }
                    self.expect_close("data")?;
                }
                self.expect_close("array")?;
                Value::Array(items)
            }
            "struct" => {
                let mut members = Map::new();
                while matches!(self.next_significant(), Some(Token::Open(t)) if t == "member") {
                    self.at += 1;
                    self.expect_open("name")?;
                    let name = self.text_until("name")?;
                    let value = self.value()?;
                    self.expect_close("member")?;
                    members.insert(name, value);
                }
                self.expect_close("struct")?;
                Value::Object(members)
            }
            other => return Err(format!("unknown XML-RPC type <{other}>")),
        })
    }
}

/// Parse a `<methodCall>` into its method name and parameters.
fn parse_call(xml: &str) -> Result<(String, Vec<Value>), String> {
    let mut cursor = Cursor {
        tokens: tokenize(xml)?,
        at: 0,
    };
    cursor.expect_open("methodCall")?;
    cursor.expect_open("methodName")?;
    let method = cursor.text_until("methodName")?.trim().to_owned();
    let mut params = Vec::new();
    match cursor.next_significant() {
        Some(Token::Empty(tag)) if tag == "params" => cursor.at += 1,
        Some(Token::Open(tag)) if tag == "params" => {
            cursor.at += 1;
            while matches!(cursor.next_significant(), Some(Token::Open(t)) if t == "param") {
                cursor.at += 1;
                params.push(cursor.value()?);
                cursor.expect_close("param")?;
            }
            cursor.expect_close("params")?;
        }
        _ => {}
    }
    cursor.expect_close("methodCall")?;
    Ok((method, params))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_an_execute_kw_call() {
        let xml = "<?xml version='1.0'?>\n<methodCall>\n<methodName>execute_kw</methodName>\n<params>\n<param>\n<value><string>demo</string></value>\n</param>\n<param>\n<value><int>6</int></value>\n</param>\n<param>\n<value><array><data>\n<value><array><data>\n</data></array></value>\n</data></array></value>\n</param>\n<param>\n<value><struct>\n<member>\n<name>fields</name>\n<value><array><data>\n<value><string>a &amp; b</string></value>\n</data></array></value>\n</member>\n</struct></value>\n</param>\n</params>\n</methodCall>\n";
        let (method, params) = parse_call(xml).unwrap();
        assert_eq!(method, "execute_kw");
        assert_eq!(
            params,
            vec![
                json!("demo"),
                json!(6),
                json!([[]]),
                json!({"fields": ["a & b"]})
            ]
        );
    }

    #[test]
    fn parses_empty_params_and_bare_strings() {
        let (method, params) = parse_call(
            "<methodCall><methodName>version</methodName><params>\n</params></methodCall>",
        )
        .unwrap();
        assert_eq!((method.as_str(), params.len()), ("version", 0));
        let (_, params) = parse_call("<methodCall><methodName>x</methodName><params><param><value>hi</value></param><param><value><boolean>1</boolean></value></param></params></methodCall>").unwrap();
        assert_eq!(params, vec![json!("hi"), json!(true)]);
        assert!(
            parse_call("<methodCall><methodName>x</methodName><params><param><value><int>z</int>")
                .is_err()
        );
    }

    #[test]
    fn marshals_like_python() {
        let mut out = String::new();
        write_value(&mut out, &json!({"a": [18, "x<y", 1.5, false]}));
        assert_eq!(
            out,
            "<value><struct>\n<member>\n<name>a</name>\n<value><array><data>\n<value><int>18</int></value>\n<value><string>x&lt;y</string></value>\n<value><double>1.5</double></value>\n<value><boolean>0</boolean></value>\n</data></array></value>\n</member>\n</struct></value>\n"
        );
    }
}
