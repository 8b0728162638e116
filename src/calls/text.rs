//! Plain text and the HTML of Odoo's Html fields (activity notes, message bodies), both ways:
//! what the AI writes is shown as typed, and what it reads has no markup.

/// `text` safe inside HTML.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A paragraph of `text`, its line breaks kept.
pub(crate) fn to_html(text: &str) -> String {
    format!(
        "<p>{}</p>",
        escape(text).replace("\r\n", "\n").replace('\n', "<br>")
    )
}

/// The text of `html`: tags dropped (block ends and `<br>` become line breaks), the common
/// entities decoded, runs of spaces and blank lines collapsed.
pub(crate) fn from_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end].trim().to_ascii_lowercase();
        let name = tag.trim_start_matches('/');
        let name = name
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        let block_end = tag.starts_with('/')
            && matches!(
                name,
                "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "h4" | "blockquote"
            );
        if name == "br" || block_end {
            out.push('\n');
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    let decoded = decode_entities(&out);
    let lines: Vec<String> = decoded
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let mut text = String::new();
    for line in lines.iter().filter(|l| !l.is_empty()) {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(line);
    }
    text
}

fn decode_entities(text: &str) -> String {
    text.replace("&nbsp;", " ")
        .replace("&#160;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_goes_in_as_typed_and_comes_out_without_markup() {
        assert_eq!(
            to_html("Price < 5 & \"cheap\"\nline 2"),
            "<p>Price &lt; 5 &amp; &quot;cheap&quot;<br>line 2</p>"
        );
        assert_eq!(from_html(&to_html("a <b>\nline 2")), "a <b>\nline 2");
        assert_eq!(
            from_html("<p>Hello <b>world</b></p><p></p><div>Second&nbsp;&amp; last</div>"),
            "Hello world\nSecond & last"
        );
        assert_eq!(
            from_html("<p>Hello &lt;b&gt;x\nline2</p>"),
            "Hello <b>x\nline2"
        );
        assert_eq!(from_html("cut <a href"), "cut");
        assert_eq!(from_html(""), "");
    }
}
