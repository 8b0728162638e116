//! Printing: `print_report` picks one of a model's reports, decides PDF or HTML by what this
//! Odoo can make, and answers a one-time link; the link renders it through Odoo's report route
//! as the user, in a web session opened for that one fetch.
//!
//! What real Odoo (16–19) allows an external caller: no RPC method renders a report (the
//! renderers are private), and the report routes need a signed-in web session, which Odoo opens
//! for a password and refuses to an API key. A PDF also needs wkhtmltopdf on the Odoo server;
//! without it Odoo renders HTML only.

use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::{checked, kwargs, visible_names};
use crate::calls::links::{self, Target};
use crate::calls::{ToolContext, ToolError};
use crate::catalog::args::{PrintReport, ReportFormat};
use crate::catalog::output::{self, Printed};
use crate::catalog::validate;
use crate::odoo::{self, OdooClient, Protocol, WebSession};

const TOOL: &str = "print_report";
const MAX_IDS: usize = 50;

/// A report of the model, as `ir.actions.report` lists it.
#[derive(Debug)]
struct Report {
    name: String,
    report_name: String,
    pdf: bool,
}

fn check(args: &PrintReport) -> Result<(), String> {
    validate::model(&args.model)?;
    if args.ids.is_empty() || args.ids.len() > MAX_IDS {
        return Err(format!("ids: name 1 to {MAX_IDS} records"));
    }
    validate::ids(&args.ids)
}

async fn reports(ctx: &ToolContext<'_>, model: &str) -> Result<Vec<Report>, ToolError> {
    let rows = ctx
        .call(
            "ir.actions.report",
            "search_read",
            None,
            kwargs([
                (
                    "domain",
                    Some(json!([
                        ["model", "=", model],
                        ["report_type", "in", ["qweb-pdf", "qweb-html"]]
                    ])),
                ),
                (
                    "fields",
                    Some(json!(["name", "report_name", "report_type"])),
                ),
                ("order", Some(json!("id"))),
            ]),
        )
        .await?;
    Ok(rows
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some(Report {
                name: r["name"].as_str()?.to_owned(),
                report_name: r["report_name"].as_str()?.to_owned(),
                pdf: r["report_type"] == "qweb-pdf",
            })
        })
        .collect())
}

/// The report named `wanted` (its label or technical name, any case), or the first.
fn pick(model: &str, reports: Vec<Report>, wanted: Option<&str>) -> Result<Report, ToolError> {
    if reports.is_empty() {
        return Err(ToolError::NotFound(format!(
            "The model {model} has no printable report in this Odoo (or this user cannot see them)."
        )));
    }
    let Some(asked) = wanted.map(str::trim) else {
        return Ok(reports.into_iter().next().expect("not empty"));
    };
    let wanted = asked.to_lowercase();
    let names: Vec<String> = reports
        .iter()
        .map(|r| format!("\"{}\" ({})", r.name, r.report_name))
        .collect();
    reports
        .into_iter()
        .find(|r| r.report_name.to_lowercase() == wanted || r.name.to_lowercase() == wanted)
        .ok_or_else(|| {
            ToolError::invalid(
                TOOL,
                format!(
                    "report: '{}' is not a report of {model}; it has: {}",
                    validate::shorten(asked),
                    names.join(", ")
                ),
            )
        })
}

/// Whether this Odoo can make PDFs: its wkhtmltopdf is installed and usable.
async fn pdf_engine(ctx: &ToolContext<'_>) -> Result<bool, ToolError> {
    let state = ctx
        .call(
            "ir.actions.report",
            "get_wkhtmltopdf_state",
            None,
            kwargs([]),
        )
        .await?;
    Ok(matches!(state.as_str(), Some("ok" | "upgrade")))
}

/// Odoo's API keys are 40 hexadecimal characters; trying one as a password would only count a
/// failed sign-in against the user (Odoo throttles logins after repeated failures).
fn looks_like_api_key(secret: &str) -> bool {
    secret.len() == 40 && secret.bytes().all(|b| b.is_ascii_hexdigit())
}

const NEEDS_PASSWORD: &str = "Odoo renders reports only in a signed-in web session, and it opens \
     one for a password, not for an API key: this connection's Odoo user is linked with an API \
     key, so it cannot print. Link the user with its password (over JSON-RPC) to print reports.";

/// Opens a web session as the context's user, refusing plainly when its credential cannot.
async fn session(ctx: &ToolContext<'_>) -> Result<WebSession, ToolError> {
    let credential = &ctx.principal.credential;
    if credential.protocol == Protocol::Json2
        || looks_like_api_key(credential.secret.expose_secret())
    {
        return Err(ToolError::Refused(NEEDS_PASSWORD.into()));
    }
    ctx.state
        .odoo
        .open_web_session(&ctx.principal.login, &credential.secret)
        .await
        .map_err(|e| match e.kind() {
            Some(odoo::ErrorKind::AccessDenied) => ToolError::Refused(format!(
                "Odoo did not open a web session for {}: {NEEDS_PASSWORD}",
                ctx.principal.login
            )),
            _ => ToolError::Odoo(e),
        })
}

/// `"PDF Quote - S00001.pdf"`: the report and the records, without characters file systems
/// refuse.
fn file_name(report: &str, names: &[String], format: ReportFormat) -> String {
    let records = match names {
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} and {} more", rest.len()),
        [] => String::new(),
    };
    let stem: String = format!("{report} - {records}")
        .chars()
        .map(|c| {
            if "/\\:*?\"<>|".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let ext = match format {
        ReportFormat::Pdf => "pdf",
        ReportFormat::Html => "html",
    };
    format!("{}.{ext}", validate::truncate(stem.trim(), 120))
}

pub(super) async fn print(ctx: &ToolContext<'_>, args: PrintReport) -> Result<Value, ToolError> {
    checked(TOOL, check(&args))?;
    // The records first: a model that does not exist has no reports either, and says why.
    let names = visible_names(ctx, &args.model, &args.ids).await?;
    let report = pick(
        &args.model,
        reports(ctx, &args.model).await?,
        args.report.as_deref(),
    )?;
    let pdf_possible = report.pdf && pdf_engine(ctx).await?;
    let (format, note) = match args.format {
        Some(ReportFormat::Pdf) if !report.pdf => {
            return Err(ToolError::invalid(
                TOOL,
                format!("format: the report \"{}\" is HTML only", report.name),
            ));
        }
        Some(ReportFormat::Pdf) if !pdf_possible => {
            return Err(ToolError::Refused(
                "This Odoo cannot make PDFs: wkhtmltopdf is not installed (or not usable) on \
                 its server. Ask for format \"html\" instead."
                    .into(),
            ));
        }
        Some(format) => (format, None),
        None if pdf_possible => (ReportFormat::Pdf, None),
        None => (
            ReportFormat::Html,
            report.pdf.then(|| {
                "HTML, as this Odoo cannot make PDFs (wkhtmltopdf is not installed on its server)."
                    .to_owned()
            }),
        ),
    };
    // The link would fail when fetched if Odoo cannot sign the user in: find out now.
    let session = session(ctx).await?;
    ctx.state.odoo.close_web_session(session).await;
    let file_name = file_name(&report.name, &names, format);
    let format_name = odoo_format(format).as_str();
    let target = Target::Report {
        model: args.model.clone(),
        ids: args.ids.clone(),
        report_name: report.report_name.clone(),
        format: format_name.to_owned(),
        file_name: file_name.clone(),
        companies: links::companies_of(ctx),
    };
    let download = links::issue(ctx, &target).await?;
    Ok(output::content(&Printed {
        model: args.model,
        ids: args.ids,
        report: report.name,
        report_name: report.report_name,
        format: format_name,
        file_name,
        download,
        note,
    }))
}

fn odoo_format(format: ReportFormat) -> odoo::ReportFormat {
    match format {
        ReportFormat::Pdf => odoo::ReportFormat::Pdf,
        ReportFormat::Html => odoo::ReportFormat::Html,
    }
}

/// Signs the web session out when dropped — once the rendered report was streamed on, or the
/// download abandoned.
pub(crate) struct SessionGuard {
    odoo: OdooClient,
    session: Option<WebSession>,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            let odoo = self.odoo.clone();
            tokio::spawn(async move { odoo.close_web_session(session).await });
        }
    }
}

/// Renders a report as the context's user, for a link being fetched: Odoo's answer, unread,
/// and the guard that ends the session after it.
pub(crate) async fn render(
    ctx: &ToolContext<'_>,
    report_name: &str,
    ids: &[i64],
    format: &str,
) -> Result<(reqwest::Response, SessionGuard), ToolError> {
    let format = match format {
        "pdf" => odoo::ReportFormat::Pdf,
        _ => odoo::ReportFormat::Html,
    };
    let session = session(ctx).await?;
    let context = ctx
        .companies
        .context_ids()
        .map(|ids| json!({ "allowed_company_ids": ids }));
    let rendered = ctx
        .state
        .odoo
        .report(&session, format, report_name, ids, context.as_ref())
        .await;
    let guard = SessionGuard {
        odoo: ctx.state.odoo.clone(),
        session: Some(session),
    };
    Ok((rendered?, guard))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(name: &str, report_name: &str) -> Report {
        Report {
            name: name.into(),
            report_name: report_name.into(),
            pdf: true,
        }
    }

    #[test]
    fn a_report_is_picked_by_label_or_technical_name() {
        let all = || {
            vec![
                report("PDF Quote", "sale.report_saleorder"),
                report("PRO-FORMA Invoice", "sale.report_saleorder_pro_forma"),
            ]
        };
        assert_eq!(pick("sale.order", all(), None).unwrap().name, "PDF Quote");
        assert_eq!(
            pick("sale.order", all(), Some("pro-forma invoice"))
                .unwrap()
                .report_name,
            "sale.report_saleorder_pro_forma"
        );
        let unknown = pick("sale.order", all(), Some("Invoice"))
            .unwrap_err()
            .to_string();
        assert!(
            unknown.contains("\"PDF Quote\" (sale.report_saleorder)"),
            "{unknown}"
        );
        assert!(matches!(
            pick("res.partner", vec![], None),
            Err(ToolError::NotFound(_))
        ));
    }

    #[test]
    fn file_names_name_the_report_and_records_safely() {
        let one = file_name("PDF Quote", &["S00001".into()], ReportFormat::Html);
        assert_eq!(one, "PDF Quote - S00001.html");
        let many = file_name(
            "Quote/Order",
            &["A".into(), "B".into(), "C".into()],
            ReportFormat::Pdf,
        );
        assert_eq!(many, "Quote_Order - A and 2 more.pdf");
    }

    #[test]
    fn api_keys_are_told_from_passwords_by_their_shape() {
        assert!(looks_like_api_key(
            "ccac840d6edf2a55611841d247b6ac5512f5b6f6"
        ));
        assert!(!looks_like_api_key("demo"));
        assert!(!looks_like_api_key(
            "correct horse battery staple and more!!"
        ));
    }
}
