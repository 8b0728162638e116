//! A sparkline: a connection's requests per day as one small line, for a table row.

use std::fmt::Write;

use super::{escape, num, scaled};

const WIDTH: f64 = 120.0;
const HEIGHT: f64 = 24.0;

/// The line's points: evenly spaced, the largest value at the top, zero on the baseline.
pub fn points(values: &[i64]) -> Vec<(f64, f64)> {
    let max = values.iter().copied().max().unwrap_or(0);
    let step = WIDTH / (values.len().max(2) - 1) as f64;
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| (i as f64 * step, HEIGHT - 1.0 - scaled(v, max, HEIGHT - 2.0)))
        .collect()
}

/// The sparkline, labelled `label` ("42 requests in 30 days").
pub fn sparkline(values: &[i64], label: &str) -> String {
    let mut line = String::new();
    for (x, y) in points(values) {
        let _ = write!(line, "{},{} ", num(x), num(y));
    }
    format!(
        r#"<svg class="spark" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{l}"><title>{l}</title><polyline points="{}"/></svg>"#,
        line.trim_end(),
        l = escape(label),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_spans_the_width_with_the_peak_at_the_top() {
        let p = points(&[0, 4, 2]);
        assert_eq!(p[0], (0.0, HEIGHT - 1.0));
        assert_eq!(p[1], (WIDTH / 2.0, 1.0));
        assert_eq!(p[2], (WIDTH, HEIGHT - 1.0 - (HEIGHT - 2.0) / 2.0));
        assert!(points(&[0, 0]).iter().all(|&(_, y)| y == HEIGHT - 1.0));
        let svg = sparkline(&[0, 2], "3 requests in 30 days");
        assert!(
            svg.contains("<title>3 requests in 30 days</title>"),
            "{svg}"
        );
        assert!(svg.contains(r#"points="0,23 120,1""#), "{svg}");
    }
}
