//! Horizontal bars: a ranked list (refusals by rule, top tools, top models, slowest tools),
//! each bar with its label and its figure printed beside it.

use std::fmt::Write;

use super::{Rect, class_word, escape, num, scaled};

/// One bar: its label, the value that sizes it, and the text printed for it ("42", "p95 ≤ 500 ms").
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub text: String,
}

const WIDTH: f64 = 360.0;
const ROW: f64 = 26.0;
const LABEL: f64 = 130.0;
const FIGURE: f64 = 96.0;

/// The bars' rectangles: the largest value fills the room between label and figure.
pub fn layout(bars: &[Bar]) -> Vec<Rect> {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0);
    let room = WIDTH - LABEL - FIGURE;
    bars.iter()
        .enumerate()
        .map(|(i, b)| Rect {
            x: LABEL,
            y: i as f64 * ROW + 5.0,
            width: scaled(b.value, max, room),
            height: ROW - 10.0,
        })
        .collect()
}

/// The chart, coloured by `class`; `empty` is printed when there is no bar.
pub fn horizontal_bars(title: &str, bars: &[Bar], class: &str, empty: &str) -> String {
    let height = (bars.len().max(1) as f64) * ROW;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart hbars" viewBox="0 0 {WIDTH} {h}" role="img" aria-label="{t}"><title>{t}</title>"#,
        h = num(height),
        t = escape(title),
    );
    if bars.is_empty() {
        let _ = write!(
            svg,
            r#"<text class="tick" x="0" y="17">{}</text>"#,
            escape(empty)
        );
    }
    for (bar, r) in bars.iter().zip(layout(bars)) {
        let text_y = num(r.y + r.height - 3.0);
        let _ = write!(
            svg,
            r#"<text class="label" x="{x}" y="{text_y}" text-anchor="end">{label}</text><rect class="bar c-{class}" x="{}" y="{}" width="{}" height="{}"><title>{label}: {text}</title></rect><text class="figure" x="{fx}" y="{text_y}">{text}</text>"#,
            num(r.x),
            num(r.y),
            num(r.width),
            num(r.height),
            x = num(LABEL - 6.0),
            fx = num(r.x + r.width + 6.0),
            label = escape(&shorten(&bar.label)),
            text = escape(&bar.text),
            class = class_word(class),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Long labels (a model name) cut to fit the label column, with an ellipsis.
fn shorten(label: &str) -> String {
    const MOST: usize = 20;
    if label.chars().count() <= MOST {
        label.to_owned()
    } else {
        let mut cut: String = label.chars().take(MOST - 1).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: i64) -> Bar {
        Bar {
            label: label.into(),
            value,
            text: value.to_string(),
        }
    }

    #[test]
    fn the_largest_bar_fills_the_room_and_the_others_are_proportional() {
        let rects = layout(&[bar("a", 10), bar("b", 5), bar("c", 0)]);
        let room = WIDTH - LABEL - FIGURE;
        assert_eq!(rects[0].width, room);
        assert_eq!(rects[1].width, room / 2.0);
        assert_eq!(rects[2].width, 0.0);
        assert_eq!(rects[1].y - rects[0].y, ROW);
        assert!(rects.iter().all(|r| r.x == LABEL));
    }

    #[test]
    fn labels_and_figures_are_text_and_an_empty_chart_says_so() {
        let svg = horizontal_bars("Top tools", &[bar("search_records", 7)], "tool", "none");
        assert!(svg.contains(">search_records</text>"), "{svg}");
        assert!(
            svg.contains(r#"class="figure""#) && svg.contains(">7</text>"),
            "{svg}"
        );
        assert!(svg.contains("<title>search_records: 7</title>"));
        let empty = horizontal_bars("Top tools", &[], "tool", "No calls yet");
        assert!(empty.contains(">No calls yet</text>") && !empty.contains("<rect"));
        assert_eq!(shorten(&"x".repeat(30)).chars().count(), 20);
    }
}
