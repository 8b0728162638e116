//! `ir.attachment`: what its `create` computes (MIME type, size) and who reaches an attachment —
//! Odoo checks the record a file is attached to, not rules of its own.
//!
//! Recorded on real Odoo 18 and 19 (corpus cases `attachment.*`): an internal user attaches files
//! to the records he may write and sees those of the records he may read; a portal user attaches
//! nothing ("Sorry, you are not allowed to access this document."). A file attached to a record
//! the user may not write: 18 raises that record's own AccessError, 19 the same "Sorry" as above.
//! A record that does not exist: 18 attaches the file anyway, 19 refuses it.

use serde_json::{Map, Value, json};

use super::OdooVersion;
use super::access::{Group, Operation};
use super::fault::{Fault, Kind};
use super::orm::Env;
use super::schema::Model;
use super::store::Db;

pub(crate) const IR_ATTACHMENT: &str = "ir.attachment";

const NOT_ALLOWED: &str = "Sorry, you are not allowed to access this document.";

/// What Python's `mimetypes.guess_type` answers for common file names (as on the Odoo servers the
/// corpus was recorded on; they read `/etc/mime.types` too, which knows many more).
const BY_EXTENSION: &[(&str, &str)] = &[
    ("txt", "text/plain"),
    ("csv", "text/csv"),
    ("tsv", "text/tab-separated-values"),
    ("md", "text/markdown"),
    ("html", "text/html"),
    ("htm", "text/html"),
    ("css", "text/css"),
    ("js", "text/javascript"),
    ("ics", "text/calendar"),
    ("json", "application/json"),
    ("xml", "application/xml"),
    ("pdf", "application/pdf"),
    ("rtf", "application/rtf"),
    ("zip", "application/zip"),
    ("tar", "application/x-tar"),
    ("bin", "application/octet-stream"),
    ("doc", "application/msword"),
    ("xls", "application/vnd.ms-excel"),
    ("ppt", "application/vnd.ms-powerpoint"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("odt", "application/vnd.oasis.opendocument.text"),
    ("eml", "message/rfc822"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("svg", "image/svg+xml"),
    ("webp", "image/webp"),
    ("mp3", "audio/mpeg"),
    ("mp4", "video/mp4"),
];

/// Odoo's own content sniffing (`odoo.tools.mimetypes`), for a file named without a known
/// extension or sent as `application/octet-stream`. (A server with libmagic installed, like the
/// recorded ones, asks it instead and knows more formats; these signatures agree with it.)
const SIGNATURES: &[(&[u8], &str)] = &[
    (b"%PDF", "application/pdf"),
    (b"\xFF\xD8\xFF\xE0", "image/jpeg"),
    (b"\xFF\xD8\xFF\xE1", "image/jpeg"),
    (b"\xFF\xD8\xFF\xE2", "image/jpeg"),
    (b"\xFF\xD8\xFF\xE3", "image/jpeg"),
    (b"\xFF\xD8\xFF\xDB", "image/jpeg"),
    (b"\x89PNG\r\n\x1A\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
];

const OCTET_STREAM: &str = "application/octet-stream";

fn by_name(name: &str) -> Option<&'static str> {
    let (_, extension) = name.rsplit_once('.')?;
    let extension = extension.to_ascii_lowercase();
    BY_EXTENSION
        .iter()
        .find(|(known, _)| *known == extension)
        .map(|(_, mimetype)| *mimetype)
}

fn sniff(data: &[u8]) -> Option<&'static str> {
    if let Some((_, mimetype)) = SIGNATURES.iter().find(|(sig, _)| data.starts_with(sig)) {
        return Some(mimetype);
    }
    let head = &data[..data.len().min(1024)];
    let text = std::str::from_utf8(head).ok()?;
    let printable = text.chars().all(|c| c >= ' ' || "\t\n\r".contains(c));
    (!data.is_empty() && printable).then_some("text/plain")
}

/// `ir.attachment._compute_mimetype`: the given type, else the name's, else the URL's; a missing
/// or generic one is guessed from the content.
fn compute_mimetype(given: Option<&str>, name: &str, url: &str, data: &[u8]) -> String {
    let url_path = url.split('?').next().unwrap_or_default();
    let mimetype = given
        .filter(|m| !m.is_empty())
        .or_else(|| by_name(name))
        .or_else(|| by_name(url_path))
        .filter(|m| *m != OCTET_STREAM)
        .or_else(|| sniff(data))
        .unwrap_or(OCTET_STREAM);
    mimetype.to_lowercase()
}

/// `_check_contents`: HTML and XML (not Office files) that a user who may not edit views uploads
/// are stored as plain text, so that they are never served as a page.
fn xml_like(mimetype: &str) -> bool {
    mimetype.contains("ht")
        || (mimetype.contains("xml") && !mimetype.starts_with("application/vnd.openxmlformats"))
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Python's `base64.b64decode` (not strict, like binascii's `a2b_base64`): other characters are
/// dropped, a padding that completes a group ends the data, an early one is ignored.
/// (The simulator has no base64 crate: adding one would change the workspace's lock file.)
pub(crate) fn base64_decode(text: &str) -> Result<Vec<u8>, Fault> {
    let mut sextets: Vec<u32> = Vec::with_capacity(text.len());
    let mut pads = 0;
    let mut complete = false;
    for byte in text.bytes() {
        let position = sextets.len() % 4;
        if byte == b'=' {
            pads += 1;
            if position >= 2 && position + pads >= 4 {
                complete = true;
                break;
            }
        } else if let Some(value) = ALPHABET.iter().position(|a| *a == byte) {
            pads = 0;
            sextets.push(value as u32);
        }
    }
    let rest = sextets.len() % 4;
    if rest == 1 {
        return Err(Fault::new(
            Kind::BinasciiError,
            format!(
                "Invalid base64-encoded string: number of data characters ({}) cannot be 1 more than a multiple of 4",
                sextets.len()
            ),
        ));
    }
    if rest > 0 && !complete {
        return Err(Fault::new(Kind::BinasciiError, "Incorrect padding"));
    }
    let mut bytes = Vec::with_capacity(sextets.len() * 3 / 4);
    for chunk in sextets.chunks(4) {
        let word = chunk
            .iter()
            .enumerate()
            .fold(0u32, |word, (i, sextet)| word | sextet << (18 - 6 * i));
        let [_, a, b, c] = word.to_be_bytes();
        bytes.extend_from_slice(&[a, b, c][..chunk.len() - 1]);
    }
    Ok(bytes)
}

/// Standard base64 with padding, as Odoo sends `datas` back.
fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let word = chunk.iter().enumerate().fold(0u32, |word, (i, byte)| {
            word | u32::from(*byte) << (16 - 8 * i)
        });
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(word >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn text_of<'a>(vals: &'a Map<String, Value>, key: &str) -> &'a str {
    vals.get(key).and_then(Value::as_str).unwrap_or_default()
}

impl Db {
    /// What `ir.attachment.create` checks before its access rights: an internal user, who may write
    /// the record the file is attached to.
    pub(crate) fn check_attachment_create(&self, env: &Env, vals: &Value) -> Result<(), Fault> {
        let groups = self.user_groups(env.uid);
        if !groups.contains(&Group::Internal) && !groups.contains(&Group::Settings) {
            return Err(Fault::access_error(NOT_ALLOWED));
        }
        let res_model = vals["res_model"].as_str().unwrap_or_default();
        let res_id = vals["res_id"].as_i64().unwrap_or(0);
        if res_model.is_empty() || res_id == 0 || (res_model == "res.users" && res_id == env.uid) {
            // A user may attach files to himself (his signature's images) without writing himself.
            return Ok(());
        }
        let v18 = self.version == OdooVersion::V18;
        let Some(target) = self.model(res_model) else {
            return if v18 {
                Ok(())
            } else {
                Err(Fault::access_error(NOT_ALLOWED))
            };
        };
        if v18 {
            // 18 checks the existing record as itself, with its own messages.
            self.check_access(env, target, Operation::Write)?;
            let existing = self.existing(res_model, &[res_id]);
            return self.check_rules(env, target, &existing, "write");
        }
        if self.may_reach(env, res_model, res_id, Operation::Write) {
            Ok(())
        } else {
            Err(Fault::access_error(NOT_ALLOWED))
        }
    }

    /// `ir.attachment.create`'s values: the size and MIME type computed from the content, which is
    /// stored as base64 again.
    pub(crate) fn prepare_attachment(
        &self,
        env: &Env,
        vals: &mut Map<String, Value>,
    ) -> Result<(), Fault> {
        for computed in ["file_size", "checksum", "store_fname"] {
            vals.remove(computed);
        }
        let data = match vals.get("datas") {
            Some(Value::String(encoded)) if !encoded.is_empty() => Some(base64_decode(encoded)?),
            _ => None,
        };
        let given = vals.get("mimetype").and_then(Value::as_str);
        let content = data.as_deref().unwrap_or_default();
        let mut mimetype =
            compute_mimetype(given, text_of(vals, "name"), text_of(vals, "url"), content);
        // Only who may edit views (the administrators) uploads HTML that stays HTML.
        if xml_like(&mimetype) && !self.user_groups(env.uid).contains(&Group::Settings) {
            mimetype = "text/plain".to_owned();
        }
        vals.insert("mimetype".into(), json!(mimetype));
        if let Some(data) = data {
            vals.insert("file_size".into(), json!(data.len()));
            vals.insert("datas".into(), json!(base64_encode(&data)));
        }
        Ok(())
    }

    /// Whether the user reaches attachment `id` for `op`: a public one to read; one attached to no
    /// record if he made it (or administers); else if he may read (to read) or write (to change it)
    /// the record it is attached to.
    pub(crate) fn attachment_allows(&self, env: &Env, id: i64, op: &str) -> bool {
        let Some(row) = self.row(IR_ATTACHMENT, id) else {
            return false;
        };
        if op == "read" && row.get("public") == Some(&Value::Bool(true)) {
            return true;
        }
        let res_model = row.get("res_model").and_then(Value::as_str).unwrap_or("");
        let res_id = row.get("res_id").and_then(Value::as_i64).unwrap_or(0);
        if res_id == 0 {
            let creator = row.get("create_uid").and_then(Value::as_i64) == Some(env.uid);
            return creator || self.user_groups(env.uid).contains(&Group::Settings);
        }
        if res_model.is_empty() || res_model == IR_ATTACHMENT {
            return false;
        }
        if self.model(res_model).is_none() {
            // A model that is gone: 18 lets its files be found, 19 hides them.
            return self.version == OdooVersion::V18;
        }
        let needed = if op == "read" {
            Operation::Read
        } else {
            Operation::Write
        };
        self.may_reach(env, res_model, res_id, needed)
    }

    /// The user has the access right `op` on `model` and a record rule lets him reach record `id`.
    fn may_reach(&self, env: &Env, model: &str, id: i64, op: Operation) -> bool {
        let groups = self.user_groups(env.uid);
        let op_name = if op == Operation::Read {
            "read"
        } else {
            "write"
        };
        self.acl.allows(&groups, model, op)
            && self.exists(model, id)
            && self.rule_allows_to(env, model, id, op_name)
    }

    /// The read access right, as `search` and `read` (of `ids`) check it: false when the user
    /// finds nothing. Odoo 19's `ir.attachment` checks its records instead of the model's access
    /// right: a user without it finds nothing (corpus `attachment.search_read.portal`), and reading
    /// an existing attachment is refused as a record rule would refuse it.
    pub(crate) fn check_read_access(
        &self,
        env: &Env,
        model: &Model,
        ids: &[i64],
    ) -> Result<bool, Fault> {
        let Err(fault) = self.check_access(env, model, Operation::Read) else {
            return Ok(true);
        };
        if model.name != IR_ATTACHMENT || self.version != OdooVersion::V19 {
            return Err(fault);
        }
        if self.existing(model.name, ids).is_empty() {
            Ok(false)
        } else {
            Err(self.rule_fault(env, model, "read"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_fails_like_python() {
        for bytes in [&b""[..], b"x", b"Deliver on Monday", &[0, 255, 128, 7]] {
            let encoded = base64_encode(bytes);
            assert_eq!(base64_decode(&encoded).unwrap(), bytes, "{encoded}");
        }
        assert_eq!(
            base64_encode(b"Deliver on Monday"),
            "RGVsaXZlciBvbiBNb25kYXk="
        );
        assert_eq!(base64_decode("aGVs\nbG8=").unwrap(), b"hello");
        // Python's answers for the same texts.
        assert_eq!(base64_decode("ab=cd").unwrap(), b"i\xb7\x1d");
        assert_eq!(
            base64_decode("abc").unwrap_err().message,
            "Incorrect padding"
        );
        assert_eq!(
            base64_decode("not base64!").unwrap_err().message,
            "Invalid base64-encoded string: number of data characters (9) cannot be 1 more than a multiple of 4"
        );
    }

    /// The MIME types real Odoo 18 and 19 stored for the corpus's uploads (`attachment.create.*`,
    /// read back by `attachment.search_read.demo`), and Python's guesses from names.
    #[test]
    fn mime_types_are_guessed_like_odoo() {
        let pdf = b"%PDF-1.4\n% a tiny file\n";
        assert_eq!(
            compute_mimetype(Some("text/plain"), "notes.txt", "", b"Deliver"),
            "text/plain"
        );
        assert_eq!(
            compute_mimetype(None, "offer.pdf", "", pdf),
            "application/pdf"
        );
        assert_eq!(
            compute_mimetype(Some(OCTET_STREAM), "scan.bin", "", pdf),
            "application/pdf"
        );
        assert_eq!(
            compute_mimetype(None, "Report.DOCX", "", b""),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        );
        assert_eq!(
            compute_mimetype(None, "blob", "", &[0, 159, 146, 150]),
            OCTET_STREAM
        );
        assert_eq!(
            compute_mimetype(None, "readme", "", b"plain words\n"),
            "text/plain"
        );
        assert!(xml_like("text/html") && xml_like("image/svg+xml"));
        assert!(!xml_like(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        ));
    }
}
