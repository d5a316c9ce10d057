//! Numbers as the French write them: `1 234,5` (narrow no-break space between thousands,
//! comma before decimals), read and written.

/// Formats a number the French way, with at most two decimals and no trailing zeros:
/// `1234.5` → `1 234,5`, `10.0` → `10`, `-0.125` → `-0,13`.
pub fn format_number(value: f64) -> String {
    if !value.is_finite() {
        return "—".to_owned();
    }
    let rounded = (value * 100.0).round() / 100.0;
    let negative = rounded < 0.0;
    let text = format!("{:.2}", rounded.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let frac = frac.trim_end_matches('0');
    let mut out = String::new();
    if negative && (int != "0" || !frac.is_empty()) {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(',');
        out.push_str(frac);
    }
    out
}

/// Formats a number with an explicit sign: `+1`, `-2,5`, `+0`.
pub fn format_signed(value: f64) -> String {
    let text = format_number(value);
    if text.starts_with('-') {
        text
    } else {
        format!("+{text}")
    }
}

/// Reads a number written with a dot or a comma as decimal separator and optional spaces
/// (ordinary, no-break or narrow no-break) between groups of digits: `1 234,5`, `7.5`, `-3`.
pub fn parse_number(raw: &str) -> Option<f64> {
    let cleaned: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if cleaned.is_empty()
        || cleaned.matches('.').count() > 1
        || !cleaned
            .trim_start_matches(['-', '+'])
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
        || !cleaned.chars().any(|c| c.is_ascii_digit())
    {
        return None;
    }
    cleaned.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_the_french_way() {
        assert_eq!(format_number(1234.5), "1\u{202f}234,5");
        assert_eq!(format_number(10.0), "10");
        assert_eq!(format_number(0.125), "0,13");
        assert_eq!(format_number(-2.5), "-2,5");
        assert_eq!(format_number(-0.001), "0");
        assert_eq!(format_number(1_000_000.0), "1\u{202f}000\u{202f}000");
        assert_eq!(format_signed(1.0), "+1");
        assert_eq!(format_signed(-1.0), "-1");
        assert_eq!(format_signed(0.0), "+0");
    }

    #[test]
    fn numbers_are_read_with_a_comma_or_a_dot_and_grouped_digits() {
        assert_eq!(parse_number("7,5"), Some(7.5));
        assert_eq!(parse_number("7.5"), Some(7.5));
        assert_eq!(parse_number("1 234,5"), Some(1234.5));
        assert_eq!(parse_number("1\u{202f}234"), Some(1234.0));
        assert_eq!(parse_number("-3"), Some(-3.0));
        assert_eq!(parse_number("1,2,3"), None);
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("-"), None);
        assert_eq!(parse_number("1e5"), None);
    }
}
