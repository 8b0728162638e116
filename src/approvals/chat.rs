//! In-chat confirmation: a call to a tool under "Tools to confirm in chat" is asked of the person
//! in the chat before it runs, when their client can ask (MCP 2026-07-28 multi round-trip
//! requests: an `input_required` result with an elicitation, then the same `tools/call` again
//! with the answer). The question travels with a signed `requestState` that binds the
//! connection, the tool, the exact arguments and an expiry, so nothing is stored and any replica
//! can take the retry. A client that cannot ask files the call for approval instead.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rmcp::model::{
    ElicitRequest, ElicitRequestParams, InputRequest, InputRequiredResult, InputResponses,
};
use serde_json::{Map, Value, json};
use subtle::ConstantTimeEq;

use super::{arguments_hash, summary};
use crate::calls::{ToolContext, ToolError};
use crate::catalog::ToolSpec;
use crate::clock::{MINUTE_MS, Millis};
use crate::secrets::Keyring;

/// How long the person has to answer; the AI asks again after that.
pub const ANSWER_WITHIN_MS: Millis = 10 * MINUTE_MS;
/// The key of the one question in `inputRequests` and of its answer in `inputResponses`.
const QUESTION: &str = "confirm";
const VERSION: &str = "ch1";

/// Why a confirmation does not let the call run. Each is a refusal the AI reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error(
        "The person in the chat declined to run {tool}; it has not run. Do not retry it unless they ask you to."
    )]
    Declined { tool: String },
    #[error(
        "Refused by Tools to confirm in chat: the retry carries no answer to the confirmation; call {tool} again without inputResponses to ask the person."
    )]
    NoAnswer { tool: String },
    #[error(
        "Refused by Tools to confirm in chat: the confirmation state is not one the gateway issued (altered or malformed); call the tool again without it to ask the person."
    )]
    Tampered,
    #[error(
        "Refused by Tools to confirm in chat: the confirmation was given for another call (other connection, tool or arguments); the person confirms the exact call that runs. Call it again without the confirmation to ask them."
    )]
    OtherCall,
    #[error(
        "Refused by Tools to confirm in chat: the confirmation expired (the person has 10 minutes to answer); call the tool again without it to ask them again."
    )]
    Expired,
    #[error(
        "Refused by Tools to confirm in chat: this confirmation was already used: the person confirmed one run of the call, and it ran. Call the tool again without it to ask them again."
    )]
    Used,
}

impl From<Error> for ToolError {
    fn from(error: Error) -> Self {
        Self::NotConfirmed(error.to_string())
    }
}

/// What one `tools/call` brings for a confirmation, read once from the request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Turn {
    /// The client speaks 2026-07-28 and declared form elicitation: it can ask its person.
    pub can_ask: bool,
    /// A retry: the state echoed back and the person's answer.
    pub reply: Option<Reply>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub state: String,
    pub answer: Answer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `accept` with `confirm: true`.
    Confirmed,
    /// `decline`, `cancel`, or `accept` without `confirm: true`.
    Declined,
    /// No answer under our question's key (or not an elicitation result).
    Missing,
}

impl Turn {
    /// A request that cannot take part: an older protocol, or no `tools/call` of a client.
    pub fn none() -> Self {
        Self::default()
    }

    /// From the request's protocol facts and the MRTR members of its params.
    pub fn of(
        can_ask: bool,
        responses: Option<&InputResponses>,
        request_state: Option<&str>,
    ) -> Self {
        let reply = match (responses, request_state) {
            (None, None) => None,
            (responses, state) => Some(Reply {
                state: state.unwrap_or_default().to_owned(),
                answer: responses
                    .and_then(|r| r.get(QUESTION))
                    .map_or(Answer::Missing, answer),
            }),
        };
        Self { can_ask, reply }
    }
}

/// An elicitation result as the person left it.
fn answer(result: &Value) -> Answer {
    match result.get("action").and_then(Value::as_str) {
        Some("accept") if result["content"][QUESTION] == Value::Bool(true) => Answer::Confirmed,
        Some("accept" | "decline" | "cancel") => Answer::Declined,
        _ => Answer::Missing,
    }
}

/// What becomes of a call that needs the person's confirmation.
#[derive(Debug)]
pub enum Decision {
    /// The person confirmed this very call: it runs (the policy was checked again already).
    Run,
    /// Ask them: the result to send.
    Ask(Box<InputRequiredResult>),
    /// The client cannot ask: file it for approval.
    Queue,
}

/// Decides a call under "Tools to confirm in chat" that passed every other check. A
/// confirmation lets the call run once: a replay of it is refused, except the retry of a call
/// made with an idempotency key, which the key makes the same run.
pub async fn decide(
    ctx: &ToolContext<'_>,
    spec: &ToolSpec,
    arguments: &Map<String, Value>,
    idempotency_key: Option<&str>,
    turn: &Turn,
) -> Result<Decision, ToolError> {
    let state = ctx.state;
    let binding = Binding::new(
        &state.keyring,
        ctx.principal.connection.id,
        spec.name,
        arguments,
    );
    let now = state.clock.now();
    if let Some(reply) = &turn.reply {
        let expires = open(&state.keyring, &reply.state, &binding, now)?;
        let tool = spec.name.to_owned();
        return match reply.answer {
            Answer::Confirmed => {
                let spent = state
                    .keyring
                    .token_hash(&format!("chat-used-v1\n{}", reply.state));
                let first = state
                    .store
                    .use_confirmation(&spent.0, idempotency_key, expires)
                    .await
                    .map_err(|e| ToolError::Internal(e.into()))?;
                if first {
                    Ok(Decision::Run)
                } else {
                    Err(Error::Used.into())
                }
            }
            Answer::Declined => Err(Error::Declined { tool }.into()),
            Answer::Missing => Err(Error::NoAnswer { tool }.into()),
        };
    }
    if !turn.can_ask {
        return Ok(Decision::Queue);
    }
    let summary = summary::describe(ctx, spec, arguments).await;
    let user = ctx
        .principal
        .connection
        .user_name
        .clone()
        .unwrap_or_else(|| "this connection's Odoo user".to_owned());
    let message = format!(
        "{summary}\n\nYour AI assistant asks to do this in Odoo as {user} ({tool}). Confirm to run \
         it exactly as shown; decline to refuse.",
        tool = spec.name
    );
    let sealed = seal(&state.keyring, &binding, now + ANSWER_WITHIN_MS);
    Ok(Decision::Ask(Box::new(question(message, sealed))))
}

/// The `input_required` result: one form elicitation with a single yes/no.
fn question(message: String, request_state: String) -> InputRequiredResult {
    let schema = serde_json::from_value(json!({
        "type": "object",
        "properties": {QUESTION: {
            "type": "boolean",
            "title": "Run this call",
            "description": "Tick to run it exactly as described.",
            "default": false
        }},
        "required": [QUESTION]
    }))
    .expect("a boolean form is an elicitation schema");
    let ask = InputRequest::Elicitation(ElicitRequest::new(
        ElicitRequestParams::FormElicitationParams {
            meta: None,
            message,
            requested_schema: schema,
        },
    ));
    InputRequiredResult::new(
        Some(BTreeMap::from([(QUESTION.to_owned(), ask)])),
        Some(request_state),
    )
}

/// What a confirmation is bound to: the connection and the call's keyed arguments hash (the
/// tool is inside it, as approvals bind theirs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    connection_id: i64,
    call_hash: [u8; 32],
}

impl Binding {
    pub fn new(
        keyring: &Keyring,
        connection_id: i64,
        tool: &str,
        arguments: &Map<String, Value>,
    ) -> Self {
        // serde_json's map keeps keys sorted, so equal arguments give equal text.
        let text = Value::Object(arguments.clone()).to_string();
        Self {
            connection_id,
            call_hash: arguments_hash(keyring, tool, &text),
        }
    }
}

/// `ch1.<connection>.<expires>.<call hash>.<mac>`: readable, but only the gateway can make one.
pub fn seal(keyring: &Keyring, binding: &Binding, expires_at: Millis) -> String {
    let body = format!(
        "{VERSION}.{}.{expires_at}.{}",
        binding.connection_id,
        URL_SAFE_NO_PAD.encode(binding.call_hash)
    );
    let mac = URL_SAFE_NO_PAD.encode(mac(keyring, &body));
    format!("{body}.{mac}")
}

/// Checks a state echoed back against the call it comes with, `now`; its expiry.
pub fn open(
    keyring: &Keyring,
    sealed: &str,
    binding: &Binding,
    now: Millis,
) -> Result<Millis, Error> {
    let (body, given) = sealed.rsplit_once('.').ok_or(Error::Tampered)?;
    let given = URL_SAFE_NO_PAD.decode(given).map_err(|_| Error::Tampered)?;
    if !bool::from(mac(keyring, body).as_slice().ct_eq(&given)) {
        return Err(Error::Tampered);
    }
    // Signed by us from here on: the fields are as we wrote them.
    let mut fields = body.split('.');
    let (Some(VERSION), Some(connection), Some(expires), Some(hash), None) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Err(Error::Tampered);
    };
    let connection: i64 = connection.parse().map_err(|_| Error::Tampered)?;
    let expires: Millis = expires.parse().map_err(|_| Error::Tampered)?;
    let hash = URL_SAFE_NO_PAD.decode(hash).map_err(|_| Error::Tampered)?;
    if connection != binding.connection_id || !bool::from(hash.ct_eq(&binding.call_hash)) {
        return Err(Error::OtherCall);
    }
    if now >= expires {
        return Err(Error::Expired);
    }
    Ok(expires)
}

fn mac(keyring: &Keyring, body: &str) -> [u8; 32] {
    keyring.token_hash(&format!("chat-confirm-v1\n{body}")).0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring() -> Keyring {
        Keyring::from_encoded(&Keyring::generate_encoded().unwrap()).unwrap()
    }

    fn args(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn delete(ids: Value) -> Map<String, Value> {
        args(json!({"model": "res.partner", "ids": ids}))
    }

    /// A key, the binding of deleting `ids` on connection 7, and its state valid until 1000.
    fn sealed(ids: Value) -> (Keyring, Binding, String) {
        let k = keyring();
        let b = Binding::new(&k, 7, "delete_record", &delete(ids));
        let sealed = seal(&k, &b, 1_000);
        (k, b, sealed)
    }

    #[test]
    fn a_sealed_state_opens_for_the_same_call_until_it_expires() {
        let (k, b, sealed) = sealed(json!([1, 2]));
        assert_eq!(open(&k, &sealed, &b, 999), Ok(1_000));
        // Key order does not matter: the arguments are the same call.
        let reordered = args(json!({"ids": [1, 2], "model": "res.partner"}));
        let same = Binding::new(&k, 7, "delete_record", &reordered);
        assert_eq!(open(&k, &sealed, &same, 0), Ok(1_000));
        assert_eq!(open(&k, &sealed, &b, 1_000), Err(Error::Expired));
    }

    #[test]
    fn other_arguments_tool_or_connection_are_another_call() {
        let (k, _, sealed) = sealed(json!([1]));
        for other in [
            Binding::new(&k, 7, "delete_record", &delete(json!([1, 2]))),
            Binding::new(&k, 7, "delete_record", &delete(json!(["1"]))),
            Binding::new(&k, 7, "archive_record", &delete(json!([1]))),
            Binding::new(&k, 8, "delete_record", &delete(json!([1]))),
        ] {
            assert_eq!(open(&k, &sealed, &other, 0), Err(Error::OtherCall));
        }
    }

    #[test]
    fn an_altered_or_foreign_state_is_refused() {
        let (k, b, sealed) = sealed(json!([1]));
        // A later expiry, with the signature left as it was.
        let longer = sealed.replacen(".1000.", ".9999999.", 1);
        assert_ne!(longer, sealed);
        assert_eq!(open(&k, &longer, &b, 0), Err(Error::Tampered));
        // Another gateway's key.
        assert_eq!(open(&keyring(), &sealed, &b, 0), Err(Error::Tampered));
        for junk in ["", "x", "ch1.7.1000", "ch1.7.1000.a.b.c", "....."] {
            assert_eq!(open(&k, junk, &b, 0), Err(Error::Tampered), "{junk}");
        }
        // The call hash of another call, signed by us, is still refused as another call.
        let other = Binding::new(&k, 7, "delete_record", &delete(json!([2])));
        assert_eq!(
            open(&k, &seal(&k, &other, 1_000), &b, 0),
            Err(Error::OtherCall)
        );
    }

    #[test]
    fn answers_are_read_strictly() {
        let r = |v: Value| answer(&v);
        assert_eq!(
            r(json!({"action": "accept", "content": {"confirm": true}})),
            Answer::Confirmed
        );
        assert_eq!(
            r(json!({"action": "accept", "content": {"confirm": false}})),
            Answer::Declined
        );
        assert_eq!(
            r(json!({"action": "accept", "content": {"confirm": "true"}})),
            Answer::Declined
        );
        assert_eq!(r(json!({"action": "accept"})), Answer::Declined);
        assert_eq!(r(json!({"action": "decline"})), Answer::Declined);
        assert_eq!(r(json!({"action": "cancel"})), Answer::Declined);
        assert_eq!(r(json!({"action": "maybe"})), Answer::Missing);
        assert_eq!(r(json!("yes")), Answer::Missing);
        let responses = InputResponses::from([("other".to_owned(), json!({"action": "accept"}))]);
        assert_eq!(
            Turn::of(true, Some(&responses), Some("s"))
                .reply
                .unwrap()
                .answer,
            Answer::Missing
        );
        assert_eq!(Turn::of(true, None, None).reply, None);
    }
}
