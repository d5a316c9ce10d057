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
}
