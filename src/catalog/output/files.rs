//! The answers of the file tools: attachments listed, read or uploaded, and reports printed —
//! a file's bytes reach the AI only when small and text; anything else is a one-time link.

use schemars::JsonSchema;
use serde::Serialize;

/// An attachment of a record, without its content.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AttachmentInfo {
    pub id: i64,
    pub name: String,
    pub mimetype: Option<String>,
    /// Bytes.
    pub size: Option<i64>,
    /// UTC, "YYYY-MM-DD HH:MM:SS".
    pub created: Option<String>,
    /// For a link attachment (no file): where it points.
    pub url: Option<String>,
}

/// A record's attachments, newest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Attachments {
    pub model: String,
    pub id: i64,
    pub count: usize,
    pub attachments: Vec<AttachmentInfo>,
}

/// A one-time link served by the gateway: the first request gets the file, later ones fail.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FileLink {
    pub url: String,
    /// When the link stops working, e.g. "2026-12-02 14:21 UTC".
    pub expires_at: String,
}

/// One attachment: its text when it is small and text, else a one-time download link.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AttachmentContent {
    pub attachment: AttachmentInfo,
    /// The record it is attached to.
    pub model: Option<String>,
    pub record_id: Option<i64>,
    /// The content, for a small text file.
    pub text: Option<String>,
    /// Where to download it, for any other file.
    pub download: Option<FileLink>,
}

/// An upload link: PUT the file's bytes to `url` (once) to attach it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UploadLink {
    pub url: String,
    /// Always "PUT".
    pub method: &'static str,
    /// The largest file the link takes, in bytes.
    pub max_bytes: usize,
    /// When the link stops working, e.g. "2026-12-02 14:21 UTC".
    pub expires_at: String,
}

/// A file attached, or a link to upload it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Uploaded {
    pub model: String,
    pub id: i64,
    pub name: String,
    /// The new attachment (when the content was in the call).
    pub attachment_id: Option<i64>,
    /// Bytes stored.
    pub size: Option<usize>,
    /// Where to send the file (when the content was not in the call).
    pub upload: Option<UploadLink>,
}

/// A report ready to download once.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Printed {
    pub model: String,
    pub ids: Vec<i64>,
    /// The report's name as Odoo shows it, e.g. "PDF Quote".
    pub report: String,
    /// Its technical name, e.g. "sale.report_saleorder".
    pub report_name: String,
    /// "pdf" or "html".
    pub format: &'static str,
    /// The file name the download carries.
    pub file_name: String,
    pub download: FileLink,
    /// Why the format is not the one asked for by default (e.g. no PDF engine in this Odoo).
    pub note: Option<String>,
}
