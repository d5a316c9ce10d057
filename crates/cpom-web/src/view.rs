//! What every page shares: the layout (header, navigation, CSRF token) and French
//! formatting of dates and numbers.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use cpom_domain::{Action, policy};
use tower_sessions::Session;

use crate::auth::CurrentUser;
use crate::error::{AppError, FieldError};
use crate::{AppState, csrf};

/// A link of the main navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    /// Target path.
    pub href: &'static str,
    /// French label.
    pub label: &'static str,
    /// Whether it is the current section.
    pub current: bool,
}

/// A `<select>` option.
#[derive(Debug, Clone)]
pub struct Choice {
    /// Submitted value.
    pub value: String,
    /// Shown label.
    pub label: String,
    /// Whether it is the current value.
    pub selected: bool,
}

impl Choice {
    /// An option, selected when `value == current`.
    pub fn new(value: impl Into<String>, label: impl Into<String>, current: &str) -> Self {
        let value = value.into();
        Self {
            selected: value == current,
            value,
            label: label.into(),
        }
    }
}

/// Data of the common layout.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Page title (without the site name).
    pub title: String,
    /// Agency line of the header.
    pub agency: String,
    /// Signed-in account: (name, role label); `None` for anonymous pages.
    pub user: Option<(String, &'static str)>,
    /// Navigation entries the account may use.
    pub nav: Vec<NavItem>,
    /// CSRF token for forms.
    pub csrf: String,
    /// Unread notifications of the account.
    pub unread: u64,
}

/// A navigation section: path, label, and the action the policy must allow (none: always).
type Section = (&'static str, &'static str, Option<fn() -> Action>);

/// Sections of the navigation, each shown only if the policy allows its action.
const SECTIONS: [Section; 9] = [
    ("/", "Accueil", None),
    ("/registre", "Registre", Some(|| Action::ViewRegistry)),
    ("/referentiels", "Référentiels", None),
    ("/contrats", "Contrats", None),
    ("/campagnes", "Campagnes", None),
    ("/revues", "Revues", None),
    (
        "/plans-actions",
        "Plans d'actions",
        Some(|| Action::ListPlans),
    ),
    (
        "/admin/utilisateurs",
        "Utilisateurs",
        Some(|| Action::ListUsers),
    ),
    (
        "/admin/journal",
        "Journal d'audit",
        Some(|| Action::ViewAudit),
    ),
];

impl Layout {
    /// Layout of a signed-in page; `section` is the path of the current navigation entry.
    pub async fn new(
        state: &AppState,
        session: &Session,
        cu: &CurrentUser,
        title: impl Into<String>,
        section: &str,
    ) -> Result<Self, AppError> {
        let actor = cu.actor();
        let nav = SECTIONS
            .iter()
            .filter(|(_, _, action)| action.is_none_or(|a| policy::authorize(&actor, &a()).is_ok()))
            .map(|(href, label, _)| NavItem {
                href,
                label,
                current: *href == section,
            })
            .collect();
        let agency = match &cu.user.region {
            Some(r) => format!("{} {}", state.config.agency_name, r.name()),
            None => state.config.agency_name.clone(),
        };
        Ok(Self {
            title: title.into(),
            agency,
            user: Some((cu.user.display_name.clone(), cu.user.role.label())),
            nav,
            csrf: csrf::token(session).await?,
            unread: cu.unread,
        })
    }

    /// Layout of an error page: no account, no form.
    pub fn bare(title: &str) -> Self {
        Self {
            title: title.into(),
            agency: "Agence régionale de santé".into(),
            user: None,
            nav: vec![],
            csrf: String::new(),
            unread: 0,
        }
    }

    /// Layout of an anonymous page (sign-in).
    pub async fn anonymous(
        state: &AppState,
        session: &Session,
        title: impl Into<String>,
    ) -> Result<Self, AppError> {
        Ok(Self {
            title: title.into(),
            agency: state.config.agency_name.clone(),
            user: None,
            nav: vec![],
            csrf: csrf::token(session).await?,
            unread: 0,
        })
    }
}

/// Field errors of a form, looked up by field name in templates.
#[derive(Debug, Clone, Default)]
pub struct FormErrors(pub Vec<FieldError>);

impl FormErrors {
    /// The message for `field`, or an empty string.
    pub fn get(&self, field: &str) -> &str {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map_or("", |e| e.message.as_str())
    }

    /// Whether there is any error.
    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }

    /// Messages of every error, for the summary at the top of a form.
    pub fn all(&self) -> &[FieldError] {
        &self.0
    }
}

impl FormErrors {
    /// The errors of a refused form shown again: each invalid field, or a conflict's
    /// message under `field`.
    pub fn refused(e: AppError, field: &str) -> Self {
        match e {
            AppError::Validation(fields) => FormErrors(fields),
            other => FormErrors(vec![FieldError {
                field: field.to_owned(),
                message: other.message(),
            }]),
        }
    }
}

/// The posted fields of a form, in order (repeated names kept).
pub type FormPairs = Vec<(String, String)>;

/// The first value posted under `name`.
pub fn form_value(pairs: &FormPairs, name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// The repeated lines of a form, named `prefix[i].field`, in the order of `i` (below
/// `max`), each as its fields and values.
pub fn form_lines(pairs: &FormPairs, prefix: &str, max: usize) -> Vec<BTreeMap<String, String>> {
    let mut lines: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
    for (k, v) in pairs {
        let Some((i, field)) = k
            .strip_prefix(prefix)
            .and_then(|r| r.strip_prefix('['))
            .and_then(|r| r.split_once("]."))
            .and_then(|(i, f)| Some((i.parse::<usize>().ok().filter(|i| *i < max)?, f)))
        else {
            continue;
        };
        lines
            .entry(i)
            .or_default()
            .insert(field.to_owned(), v.clone());
    }
    lines.into_values().collect()
}

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .expect("the first day of a month exists");
    let last = first_next - Duration::days(1);
    let back = i64::from(last.weekday().num_days_from_sunday());
    last - Duration::days(back)
}

/// Offset of metropolitan French time at an instant: UTC+2 from the last Sunday of March
/// 01:00 UTC to the last Sunday of October 01:00 UTC (EU rule), UTC+1 otherwise.
pub fn paris_offset(at: DateTime<Utc>) -> Duration {
    let year = at.year();
    let start = Utc.from_utc_datetime(
        &last_sunday(year, 3)
            .and_hms_opt(1, 0, 0)
            .expect("valid time"),
    );
    let end = Utc.from_utc_datetime(
        &last_sunday(year, 10)
            .and_hms_opt(1, 0, 0)
            .expect("valid time"),
    );
    if at >= start && at < end {
        Duration::hours(2)
    } else {
        Duration::hours(1)
    }
}

/// `jj/mm/aaaa à hh:mm`, French time.
pub fn datetime_fr(at: DateTime<Utc>) -> String {
    let local = at.naive_utc() + paris_offset(at);
    local.format("%d/%m/%Y à %H:%M").to_string()
}

/// `jj/mm/aaaa`, French time.
pub fn date_fr(at: DateTime<Utc>) -> String {
    let local = at.naive_utc() + paris_offset(at);
    local.format("%d/%m/%Y").to_string()
}

/// A count with French digit grouping (narrow no-break space): `12 345`.
pub fn count_fr(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("rfc3339")
            .with_timezone(&Utc)
    }

    #[test]
    fn french_time_follows_summer_time() {
        assert_eq!(
            datetime_fr(utc("2026-01-15T12:00:00Z")),
            "15/01/2026 à 13:00"
        );
        assert_eq!(
            datetime_fr(utc("2026-07-14T12:00:00Z")),
            "14/07/2026 à 14:00"
        );
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(
            datetime_fr(utc("2026-03-29T00:59:00Z")),
            "29/03/2026 à 01:59"
        );
        assert_eq!(
            datetime_fr(utc("2026-03-29T01:00:00Z")),
            "29/03/2026 à 03:00"
        );
        assert_eq!(
            datetime_fr(utc("2026-10-25T00:59:00Z")),
            "25/10/2026 à 02:59"
        );
        assert_eq!(
            datetime_fr(utc("2026-10-25T01:00:00Z")),
            "25/10/2026 à 02:00"
        );
        assert_eq!(date_fr(utc("2026-12-31T23:30:00Z")), "01/01/2027");
    }

    #[test]
    fn repeated_form_lines_are_read_in_index_order() {
        let pairs: FormPairs = [
            ("targets[1].year", "2027"),
            ("targets[0].year", "2026"),
            ("targets[0].rule_text", ">= 1"),
            ("targets[x].year", "?"),
            ("targets[99].year", "trop loin"),
            ("other", "1"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let lines = form_lines(&pairs, "targets", 10);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["year"], "2026");
        assert_eq!(lines[0]["rule_text"], ">= 1");
        assert_eq!(lines[1]["year"], "2027");
        assert_eq!(form_value(&pairs, "other").as_deref(), Some("1"));
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(count_fr(0), "0");
        assert_eq!(count_fr(999), "999");
        assert_eq!(count_fr(1234), "1\u{202f}234");
        assert_eq!(count_fr(1_234_567), "1\u{202f}234\u{202f}567");
    }
}
