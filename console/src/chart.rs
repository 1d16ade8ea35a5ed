//! The dashboard's chart geometry, drawn by the console itself (no chart library): a "nice"
//! top of the scale, and each bar's place and height in an SVG view box. Plain Rust, tested
//! natively; `admin::dashboard` turns the bars into `<rect>`s with their numbers beside them.

/// The view box every chart draws in: wide and short, so a row of them reads on a laptop.
pub const WIDTH: f64 = 480.0;
pub const HEIGHT: f64 = 160.0;
/// Room left at the foot for the labels and at the top for the scale's figure.
pub const FOOT: f64 = 18.0;
pub const HEAD: f64 = 14.0;

/// One bar: where it is drawn, its figure and its label.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub value: f64,
    pub label: String,
}

/// The smallest 1, 2 or 5 times a power of ten at or above `max` (at least 1), so the scale's
/// top is a round figure and the tallest bar never leaves the box.
pub fn nice_top(max: f64) -> f64 {
    if !max.is_finite() || max <= 1.0 {
        return 1.0;
    }
    let p = 10f64.powf(max.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * p >= max {
            return m * p;
        }
    }
    10.0 * p
}

/// Bars for `values` (labels beside them), side by side across the box, heights to scale
/// against [`nice_top`]; negative or non-finite values draw as zero.
pub fn bars(values: &[(String, f64)]) -> (f64, Vec<Bar>) {
    let top = nice_top(values.iter().map(|v| v.1).fold(0.0, f64::max));
    let n = values.len().max(1) as f64;
    let slot = WIDTH / n;
    let room = HEIGHT - FOOT - HEAD;
    let bars = values
        .iter()
        .enumerate()
        .map(|(i, (label, v))| {
            let v = if v.is_finite() { v.max(0.0) } else { 0.0 };
            let h = room * v / top;
            Bar {
                x: i as f64 * slot + slot * 0.1,
                y: HEAD + room - h,
                w: slot * 0.8,
                h,
                value: v,
                label: label.clone(),
            }
        })
        .collect();
    (top, bars)
}

/// A figure as the chart prints it: whole numbers bare, others to one decimal.
pub fn figure(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

/// Minor units as a sum of money with two decimals (`1234` → `12.34`, `-5` → `-0.05`).
pub fn money(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let a = minor.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    // covers CHAT (the dashboard's charts)
    #[test]
    fn the_scale_tops_at_a_round_figure_above_the_tallest_bar() {
        assert_eq!(nice_top(0.0), 1.0);
        assert_eq!(nice_top(1.0), 1.0);
        assert_eq!(nice_top(3.0), 5.0);
        assert_eq!(nice_top(7.0), 10.0);
        assert_eq!(nice_top(10.0), 10.0);
        assert_eq!(nice_top(11.0), 20.0);
        assert_eq!(nice_top(230.0), 500.0);
        assert_eq!(nice_top(f64::NAN), 1.0);
    }

    // covers CHAT (the dashboard's charts)
    #[test]
    fn bars_are_to_scale_inside_the_box() {
        let v = vec![
            ("a".into(), 5.0),
            ("b".into(), 0.0),
            ("c".into(), 2.5),
            ("d".into(), -3.0),
        ];
        let (top, b) = bars(&v);
        assert_eq!(top, 5.0);
        let room = HEIGHT - FOOT - HEAD;
        assert!(
            (b[0].h - room).abs() < 1e-9,
            "the tallest bar fills the room"
        );
        assert_eq!(b[0].y, HEAD);
        assert_eq!(b[1].h, 0.0);
        assert!((b[2].h - room / 2.0).abs() < 1e-9);
        assert_eq!(b[3].value, 0.0, "a negative figure draws as zero");
        for bar in &b {
            assert!(bar.x >= 0.0 && bar.x + bar.w <= WIDTH);
            assert!(
                (bar.y + bar.h - (HEIGHT - FOOT)).abs() < 1e-9,
                "bars stand on the foot"
            );
        }
        assert!(b[1].x > b[0].x + b[0].w, "bars do not overlap");
    }

    #[test]
    fn figures_and_money_read_plainly() {
        assert_eq!(figure(3.0), "3");
        assert_eq!(figure(2.24), "2.2");
        assert_eq!(money(1234), "12.34");
        assert_eq!(money(-5), "-0.05");
        assert_eq!(money(0), "0.00");
    }
}
