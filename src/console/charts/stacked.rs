//! Stacked vertical bars: one bar per time bucket, one segment per series (an outcome), the
//! tallest bar filling the plot.

use std::fmt::Write;

use super::{Rect, class_word, escape, num, scaled};

/// One stacked series: its name, the class that colours it, and a value per bucket.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub class: String,
    pub values: Vec<i64>,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 240.0;
/// Room for the axis labels: left for the scale (four characters at a phone's larger type,
/// see app.css), bottom for the bucket labels.
const LEFT: f64 = 52.0;
const BOTTOM: f64 = 30.0;
const TOP: f64 = 8.0;

/// The segments of each bucket, bottom up, in plot coordinates: `series[s].values[b]` becomes
/// `out[b][s]`. Bars share the width evenly with a gap of a fifth of a slot.
pub fn layout(series: &[Series], buckets: usize) -> (i64, Vec<Vec<Rect>>) {
    let totals: Vec<i64> = (0..buckets)
        .map(|b| series.iter().map(|s| value(s, b)).sum())
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0);
    let plot = HEIGHT - BOTTOM - TOP;
    let slot = (WIDTH - LEFT) / buckets.max(1) as f64;
    let bars = (0..buckets)
        .map(|b| {
            let mut base = HEIGHT - BOTTOM;
            series
                .iter()
                .map(|s| {
                    let height = scaled(value(s, b), max, plot);
                    base -= height;
                    Rect {
                        x: LEFT + b as f64 * slot + slot * 0.1,
                        y: base,
                        width: slot * 0.8,
                        height,
                    }
                })
                .collect()
        })
        .collect();
    (max, bars)
}

/// A scale figure in at most four characters: `950`, `1.2k`, `12k`, `3.4M`.
pub fn compact(n: i64) -> String {
    let short = |v: f64, unit: &str| {
        if v < 9.95 {
            format!("{}{unit}", (v * 10.0).round() / 10.0)
        } else {
            format!("{}{unit}", v.round())
        }
    };
    match n {
        ..1000 => n.to_string(),
        1000..999_500 => short(n as f64 / 1e3, "k"),
        _ => short(n as f64 / 1e6, "M"),
    }
}

fn value(s: &Series, bucket: usize) -> i64 {
    s.values.get(bucket).copied().unwrap_or(0)
}

/// The chart: `labels` name the buckets (every `label_every`-th is printed under its bar).
pub fn stacked_bars(
    title: &str,
    labels: &[String],
    series: &[Series],
    label_every: usize,
) -> String {
    let (max, bars) = layout(series, labels.len());
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart stacked" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{t}" preserveAspectRatio="xMidYMid meet"><title>{t}</title>"#,
        t = escape(title),
    );
    let base = HEIGHT - BOTTOM;
    let _ = write!(
        svg,
        r#"<line class="axis" x1="{LEFT}" y1="{base}" x2="{WIDTH}" y2="{base}"/><text class="tick" x="{x}" y="{y}" text-anchor="end">{top}</text><text class="tick" x="{x}" y="{base}" text-anchor="end">0</text>"#,
        x = LEFT - 6.0,
        y = TOP + 10.0,
        top = compact(max),
    );
    for (b, segments) in bars.iter().enumerate() {
        for (s, r) in segments.iter().enumerate() {
            if r.height <= 0.0 {
                continue;
            }
            let _ = write!(
                svg,
                r#"<rect class="seg c-{class}" x="{}" y="{}" width="{}" height="{}"><title>{}: {} {}</title></rect>"#,
                num(r.x),
                num(r.y),
                num(r.width),
                num(r.height),
                escape(&labels[b]),
                value(&series[s], b),
                escape(&series[s].name),
                class = class_word(&series[s].class),
            );
        }
        if label_every > 0 && b % label_every == 0 {
            let slot = (WIDTH - LEFT) / labels.len() as f64;
            let _ = write!(
                svg,
                // Hung from just below the axis, so the label sits close to it whatever
                // size the page's width gives the type.
                r#"<text class="tick" x="{}" y="{}" text-anchor="middle" dominant-baseline="hanging">{}</text>"#,
                num(LEFT + (b as f64 + 0.5) * slot),
                num(base + 4.0),
                escape(&labels[b]),
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(name: &str, values: &[i64]) -> Series {
        Series {
            name: name.into(),
            class: name.into(),
            values: values.to_vec(),
        }
    }

    #[test]
    fn segments_stack_bottom_up_and_the_tallest_bar_fills_the_plot() {
        let (max, bars) = layout(&[series("ok", &[2, 0, 1]), series("no", &[2, 0, 0])], 3);
        assert_eq!(max, 4);
        let plot = HEIGHT - BOTTOM - TOP;
        let [ok, no] = [bars[0][0], bars[0][1]];
        assert_eq!(ok.height + no.height, plot);
        assert_eq!(ok.y + ok.height, HEIGHT - BOTTOM);
        assert_eq!(no.y + no.height, ok.y);
        assert_eq!(bars[1][0].height, 0.0);
        assert_eq!(bars[2][0].height, plot / 4.0);
        // Evenly spaced, same width, inside the plot.
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(
            bars[1][0].x - bars[0][0].x,
            bars[2][0].x - bars[1][0].x
        ));
        assert!(bars[2][0].x + bars[2][0].width <= WIDTH);
    }

    #[test]
    fn the_scale_figure_fits_four_characters() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1000, "1k"),
            (1234, "1.2k"),
            (9960, "10k"),
            (123_456, "123k"),
            (999_499, "999k"),
            (999_500, "1M"),
            (3_400_000, "3.4M"),
        ] {
            assert_eq!(compact(n), text, "{n}");
        }
    }

    #[test]
    fn an_empty_chart_draws_no_bar_and_still_has_its_title() {
        let (max, bars) = layout(&[series("ok", &[0, 0])], 2);
        assert_eq!(max, 0);
        assert!(bars.iter().flatten().all(|r| r.height == 0.0));
        let svg = stacked_bars("Requests <24 h>", &["a".into(), "b".into()], &[], 1);
        assert!(
            svg.contains("<title>Requests &lt;24 h&gt;</title>"),
            "{svg}"
        );
        assert!(!svg.contains("<rect"), "{svg}");
    }

    #[test]
    fn every_segment_names_its_bucket_series_and_count() {
        let svg = stacked_bars(
            "t",
            &["10:00".into(), "11:00".into()],
            &[series("success", &[3, 1])],
            2,
        );
        assert!(svg.contains("<title>10:00: 3 success</title>"), "{svg}");
        assert!(svg.contains("<title>11:00: 1 success</title>"), "{svg}");
        assert!(svg.contains(r#"class="seg c-success""#));
        // Only every second label is printed.
        assert!(svg.contains(">10:00</text>") && !svg.contains(">11:00</text>"));
    }
}
