//! The dashboard's charts: server-rendered SVG built by pure functions (no script, nothing
//! fetched, so the console's strict CSP stands). Each chart carries its title and every number
//! as text (`<title>` per mark, labels on the bars), and scales with its `viewBox` to the width
//! it is given, a phone's included. Colours come from classes in app.css, never inline styles.

mod bars;
mod sparkline;
mod stacked;

/// Text safe inside SVG (attributes are always double-quoted).
use crate::calls::text::escape;

pub use bars::{Bar, horizontal_bars};
pub use sparkline::sparkline;
pub use stacked::{Series, stacked_bars};

/// A rectangle in a chart's coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// The height of `value` on a scale where `max` fills `full` (nothing when `max` is 0).
fn scaled(value: i64, max: i64, full: f64) -> f64 {
    if max <= 0 {
        0.0
    } else {
        value.max(0) as f64 / max as f64 * full
    }
}

/// A class name made of `[a-z0-9_-]` only, whatever a value holds.
fn class_word(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// `1.5` rather than `1.5000000001`: coordinates to one decimal.
fn num(v: f64) -> String {
    let rounded = (v * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped_and_classes_are_plain_words() {
        assert_eq!(
            escape("<a href=\"x\">&"),
            "&lt;a href=&quot;x&quot;&gt;&amp;"
        );
        assert_eq!(class_word("rate_limited\"><x"), "rate_limited___x");
        assert_eq!(num(1.04), "1");
        assert_eq!(num(2.25), "2.3");
        assert_eq!(scaled(5, 0, 100.0), 0.0);
        assert_eq!(scaled(5, 10, 100.0), 50.0);
    }
}
