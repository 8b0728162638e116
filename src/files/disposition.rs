//! `Content-Disposition: attachment` for a file name of any script: a plain ASCII `filename`
//! for old clients and the exact name as RFC 8187 `filename*` for the rest.

use axum::http::HeaderValue;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// RFC 8187's `attr-char`: what stays unencoded in `filename*`.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

pub(super) fn attachment(name: &str) -> HeaderValue {
    let plain: String = name
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let exact = utf8_percent_encode(name, ATTR_CHAR);
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{plain}\"; filename*=UTF-8''{exact}"
    ))
    .unwrap_or(HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_given_plainly_and_exactly() {
        assert_eq!(
            attachment("PDF Quote - S00001.html"),
            "attachment; filename=\"PDF Quote - S00001.html\"; filename*=UTF-8''PDF%20Quote%20-%20S00001.html"
        );
        assert_eq!(
            attachment("Devis \"é\".pdf"),
            "attachment; filename=\"Devis ___.pdf\"; filename*=UTF-8''Devis%20%22%C3%A9%22.pdf"
        );
    }
}
