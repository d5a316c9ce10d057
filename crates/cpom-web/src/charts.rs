//! Charts drawn on the server as SVG: horizontal bars of percentages, each chart with a
//! title and a text alternative; every chart is shown next to its table (the same figures),
//! so no script and no colour alone carry the information.

use std::fmt::Write;

/// One bar: its label, its value in percent (0–100) and the text printed after it.
pub struct Bar {
    /// Label, left of the bar.
    pub label: String,
    /// Percentage.
    pub percent: f64,
    /// Text after the bar ("75 % (3/4)").
    pub text: String,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart of percentages, as inline SVG (`role="img"`, titled).
pub fn bars(title: &str, bars: &[Bar]) -> String {
    const ROW: usize = 26;
    const LABEL: usize = 260;
    const WIDTH: usize = 320;
    let height = ROW * bars.len().max(1) + 10;
    let total = LABEL + WIDTH + 140;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {total} {height}" width="{total}" font-family="Marianne, Arial, sans-serif" font-size="13"><title>{}</title>"#,
        escape(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = i * ROW + 5;
        let w = (b.percent.clamp(0.0, 100.0) / 100.0 * WIDTH as f64).round() as usize;
        let label: String = b.label.chars().take(38).collect();
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" text-anchor="end" fill="#161616">{}</text><rect x="{}" y="{}" width="{WIDTH}" height="16" fill="#eeeeee"/><rect x="{}" y="{}" width="{w}" height="16" fill="#000091"/><text x="{}" y="{}" fill="#161616">{}</text>"##,
            LABEL - 8,
            y + 13,
            escape(&label),
            LABEL,
            y,
            LABEL,
            y,
            LABEL + WIDTH + 8,
            y + 13,
            escape(&b.text)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One line of a timeline: an item of a plan and its period.
pub struct Span {
    /// Label, left of the bar (indented by its depth).
    pub label: String,
    /// Depth in the tree (0: objective).
    pub depth: usize,
    /// First day, when known.
    pub from: Option<chrono::NaiveDate>,
    /// Last day, when known.
    pub to: Option<chrono::NaiveDate>,
    /// Late: drawn in red and marked.
    pub late: bool,
}

/// A timeline (Gantt style) of periods between two days, with today's line; late items in
/// red with a "!" (colour is never alone); items without dates listed without bar.
pub fn timeline(
    title: &str,
    spans: &[Span],
    first: chrono::NaiveDate,
    last: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> String {
    const ROW: i64 = 22;
    const LABEL: i64 = 380;
    const WIDTH: i64 = 560;
    let days = (last - first).num_days().max(1);
    let x = |d: chrono::NaiveDate| LABEL + ((d - first).num_days().clamp(0, days) * WIDTH) / days;
    let height = ROW * spans.len().max(1) as i64 + 30;
    let total = LABEL + WIDTH + 20;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {total} {height}" width="{total}" font-family="Marianne, Arial, sans-serif" font-size="12"><title>{}</title>"#,
        escape(title)
    );
    // The years.
    use chrono::Datelike;
    for year in first.year()..=last.year() {
        let Some(jan) = chrono::NaiveDate::from_ymd_opt(year, 1, 1) else {
            continue;
        };
        if jan < first {
            continue;
        }
        let _ = write!(
            svg,
            r##"<line x1="{0}" y1="14" x2="{0}" y2="{1}" stroke="#dddddd"/><text x="{2}" y="11" fill="#3a3a3a">{year}</text>"##,
            x(jan),
            height,
            x(jan) + 3
        );
    }
    for (i, s) in spans.iter().enumerate() {
        let y = i as i64 * ROW + 20;
        let indent = 8 + 12 * s.depth as i64;
        let room = ((LABEL - indent - 12) / 7).max(8) as usize;
        let mut label: String = s.label.chars().take(room).collect();
        if s.label.chars().count() > room {
            label.push('…');
        }
        let _ = write!(
            svg,
            r##"<text x="{indent}" y="{}" fill="#161616">{}{}</text>"##,
            y + 13,
            if s.late { "! " } else { "" },
            escape(&label)
        );
        if let (Some(a), Some(b)) = (s.from.or(s.to), s.to.or(s.from)) {
            let (x1, x2) = (x(a), x(b).max(x(a) + 2));
            let _ = write!(
                svg,
                r##"<rect x="{x1}" y="{}" width="{}" height="14" rx="2" fill="{}"/>"##,
                y + 2,
                x2 - x1,
                if s.late { "#ce0500" } else { "#000091" }
            );
        }
    }
    if (first..=last).contains(&today) {
        let _ = write!(
            svg,
            r##"<line x1="{0}" y1="14" x2="{0}" y2="{1}" stroke="#ce0500" stroke-dasharray="4 2"/><text x="{2}" y="{1}" fill="#ce0500">aujourd'hui</text>"##,
            x(today),
            height - 2,
            x(today) + 3
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_drawn_to_scale_and_escaped() {
        let svg = bars(
            "Taux <atteinte>",
            &[
                Bar {
                    label: "Gard & Hérault".into(),
                    percent: 50.0,
                    text: "50 %".into(),
                },
                Bar {
                    label: "Lozère".into(),
                    percent: 140.0,
                    text: "?".into(),
                },
            ],
        );
        assert!(svg.contains("<title>Taux &lt;atteinte&gt;</title>"));
        assert!(svg.contains("Gard &amp; Hérault"));
        assert!(
            svg.contains(r##"width="160" height="16" fill="#000091""##),
            "{svg}"
        );
        assert!(
            svg.contains(r##"width="320" height="16" fill="#000091""##),
            "clamped"
        );
    }

    #[test]
    fn the_timeline_draws_periods_to_scale_with_today_and_late_items() {
        let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).expect("date");
        let svg = timeline(
            "Calendrier",
            &[
                Span {
                    label: "Objectif 1 : <ambulatoire>".into(),
                    depth: 0,
                    from: Some(d(2018, 1, 1)),
                    to: Some(d(2023, 12, 31)),
                    late: false,
                },
                Span {
                    label: "Action en retard".into(),
                    depth: 1,
                    from: Some(d(2018, 1, 1)),
                    to: Some(d(2020, 12, 31)),
                    late: true,
                },
                Span {
                    label: "Sans dates".into(),
                    depth: 1,
                    from: None,
                    to: None,
                    late: false,
                },
            ],
            d(2018, 1, 1),
            d(2023, 12, 31),
            d(2021, 1, 1),
        );
        assert!(svg.contains("&lt;ambulatoire&gt;"));
        assert_eq!(svg.matches("<rect").count(), 2, "no bar without dates");
        assert!(
            svg.contains(r##"width="280" height="14" rx="2" fill="#ce0500"/>"##),
            "half the period, in red"
        );
        assert!(svg.contains("! Action en retard"));
        assert!(svg.contains("aujourd'hui"));
        // The whole period spans the width, from the labels' edge.
        assert!(svg.contains(r#"<rect x="380" y="22" width="560""#), "{svg}");
    }
}
