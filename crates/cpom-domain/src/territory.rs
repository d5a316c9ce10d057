//! Attributes of the registry that change over time: validity periods, labels of a legal
//! entity, GHT (groupements hospitaliers de territoire) memberships, and the rules that keep
//! them coherent (no overlapping periods of one label, one support per GHT at a time, one GHT
//! per legal entity at a time, members from the GHT's region).
//!
//! Every such attribute carries a [`Period`], so that a past year is judged with the
//! structure valid then: "in force on date D" means `from ≤ D` and (`to` is open or
//! `D ≤ to`), both bounds inclusive.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::{DomainError, FinessId, RegionCode};

/// A validity period: first and last day, both inclusive; an open end lasts forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    /// First day of validity.
    pub from: NaiveDate,
    /// Last day of validity, `None` when open.
    pub to: Option<NaiveDate>,
}

/// Where a date stands relative to a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodState {
    /// The period has not started yet.
    Upcoming,
    /// The date is inside the period.
    InForce,
    /// The period is over.
    Ended,
}

impl PeriodState {
    /// French label (`à venir`, `en vigueur`, `terminée`).
    pub fn label(self) -> &'static str {
        match self {
            PeriodState::Upcoming => "à venir",
            PeriodState::InForce => "en vigueur",
            PeriodState::Ended => "terminée",
        }
    }
}

impl Period {
    /// A period, refused on `valid_to` when it ends before it starts.
    pub fn new(from: NaiveDate, to: Option<NaiveDate>) -> Result<Self, DomainError> {
        if let Some(end) = to.filter(|end| *end < from) {
            return Err(DomainError::new(
                "valid_to",
                format!(
                    "date de fin : le {} précède la date de début ({})",
                    date_fr(end),
                    date_fr(from)
                ),
            ));
        }
        Ok(Self { from, to })
    }

    /// Whether the period is in force on `date`.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from <= date && self.to.is_none_or(|end| date <= end)
    }

    /// Whether two periods share at least one day.
    pub fn overlaps(&self, other: &Period) -> bool {
        self.to.is_none_or(|end| other.from <= end) && other.to.is_none_or(|end| self.from <= end)
    }

    /// Where `date` stands relative to the period.
    pub fn state(&self, date: NaiveDate) -> PeriodState {
        if date < self.from {
            PeriodState::Upcoming
        } else if self.contains(date) {
            PeriodState::InForce
        } else {
            PeriodState::Ended
        }
    }

    /// The period in French: `depuis le 01/07/2016` or `du 01/06/2024 au 31/05/2031`.
    pub fn label(&self) -> String {
        match self.to {
            None => format!("depuis le {}", date_fr(self.from)),
            Some(end) => format!("du {} au {}", date_fr(self.from), date_fr(end)),
        }
    }
}

/// A date the French way: `jj/mm/aaaa`.
pub fn date_fr(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// Parses a date typed `jj/mm/aaaa` or `aaaa-mm-jj` (nothing else), between the years 1900
/// and 2100; the error names the field with its French `name`.
pub fn parse_date(field: &'static str, name: &str, raw: &str) -> Result<NaiveDate, DomainError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(DomainError::new(
            field,
            format!("{name} : date obligatoire"),
        ));
    }
    let b = v.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r.clone())
            .filter(|s| s.iter().all(u8::is_ascii_digit))
            .and_then(|_| v.get(r))
            .and_then(|s| s.parse().ok())
    };
    let ymd = match (b.len(), b.get(2), b.get(4)) {
        (10, Some(b'/'), _) if b[5] == b'/' => (digits(6..10), digits(3..5), digits(0..2)),
        (10, _, Some(b'-')) if b[7] == b'-' => (digits(0..4), digits(5..7), digits(8..10)),
        _ => (None, None, None),
    };
    let (Some(y), Some(m), Some(d)) = ymd else {
        return Err(DomainError::new(
            field,
            format!("{name} : « {v} » n'est pas une date au format jj/mm/aaaa ou aaaa-mm-jj"),
        ));
    };
    if !(1900..=2100).contains(&y) {
        return Err(DomainError::new(
            field,
            format!("{name} : l'année de « {v} » doit être comprise entre 1900 et 2100"),
        ));
    }
    i32::try_from(y)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, m, d))
        .ok_or_else(|| {
            DomainError::new(
                field,
                format!("{name} : « {v} » n'est pas une date du calendrier"),
            )
        })
}

/// [`parse_date`] for an optional date: empty gives `None`.
pub fn parse_optional_date(
    field: &'static str,
    name: &str,
    raw: Option<&str>,
) -> Result<Option<NaiveDate>, DomainError> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => parse_date(field, name, v).map(Some),
    }
}

/// The date a year is judged on: the 31st of December of `year`, or `today` when that is
/// earlier (the current year is judged on today's structure); `today` without a year.
pub fn reference_date(year: Option<i32>, today: NaiveDate) -> NaiveDate {
    year.and_then(|y| NaiveDate::from_ymd_opt(y, 12, 31))
        .map_or(today, |end| end.min(today))
}

/// Years offered by an "as of" selector: from `first` to the year of `today`, newest first.
pub fn years_until(first: i32, today: NaiveDate) -> Vec<i32> {
    (first.min(today.year())..=today.year()).rev().collect()
}

/// Labels (reconnaissances) a legal entity may hold, as the model actions' applicability
/// rules and the contracts' annex 2 name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// Centre hospitalier universitaire.
    Chu,
    /// Support establishment of a GHT.
    GhtSupport,
    /// Permanence d'accès aux soins de santé.
    Pass,
    /// Geriatric mobile team.
    Emg,
    /// Palliative-care mobile team.
    Emsp,
    /// Psychiatric mobile team for people in precarity.
    Empp,
    /// Emergency department.
    Urgences,
    /// Maternity.
    Maternite,
    /// Local hospital (hôpital de proximité).
    HopitalProximite,
    /// Centre de lutte contre le cancer.
    Clcc,
    /// Centre périnatal de proximité.
    Cpp,
}

impl Label {
    /// Every label, in the order of the forms.
    pub const ALL: [Label; 11] = [
        Label::Chu,
        Label::GhtSupport,
        Label::Pass,
        Label::Emg,
        Label::Emsp,
        Label::Empp,
        Label::Urgences,
        Label::Maternite,
        Label::HopitalProximite,
        Label::Clcc,
        Label::Cpp,
    ];

    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Chu => "chu",
            Label::GhtSupport => "ght_support",
            Label::Pass => "pass",
            Label::Emg => "emg",
            Label::Emsp => "emsp",
            Label::Empp => "empp",
            Label::Urgences => "urgences",
            Label::Maternite => "maternite",
            Label::HopitalProximite => "hopital_proximite",
            Label::Clcc => "clcc",
            Label::Cpp => "cpp",
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            Label::Chu => "Centre hospitalier universitaire",
            Label::GhtSupport => "Établissement support de GHT",
            Label::Pass => "Permanence d'accès aux soins de santé (PASS)",
            Label::Emg => "Équipe mobile de gériatrie",
            Label::Emsp => "Équipe mobile de soins palliatifs",
            Label::Empp => "Équipe mobile psychiatrie précarité",
            Label::Urgences => "Service d'urgences",
            Label::Maternite => "Maternité",
            Label::HopitalProximite => "Hôpital de proximité",
            Label::Clcc => "Centre de lutte contre le cancer",
            Label::Cpp => "Centre périnatal de proximité",
        }
    }

    /// Parses a stable identifier; the error is on `label`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let v = raw.trim();
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == v)
            .ok_or_else(|| {
                DomainError::new(
                    "label",
                    if v.is_empty() {
                        "label : choisissez un label".to_owned()
                    } else {
                        format!("label : « {v} » n'est pas un label connu")
                    },
                )
            })
    }
}

/// One period of a label on a legal entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelPeriod {
    /// Stored id (`None` for a label about to be added).
    pub id: Option<i64>,
    /// The label.
    pub label: Label,
    /// Its validity.
    pub period: Period,
}

/// Checks that `candidate` does not overlap another period of the same label among the
/// entity's `existing` labels (the candidate itself, by id, is ignored).
pub fn check_label(existing: &[LabelPeriod], candidate: &LabelPeriod) -> Result<(), DomainError> {
    let clash = existing.iter().find(|o| {
        o.label == candidate.label
            && (candidate.id.is_none() || o.id != candidate.id)
            && o.period.overlaps(&candidate.period)
    });
    match clash {
        None => Ok(()),
        Some(o) => Err(DomainError::new(
            "valid_from",
            format!(
                "période : le label « {} » est déjà attribué {} ; les périodes d'un même label ne peuvent pas se chevaucher",
                candidate.label.label(),
                o.period.label()
            ),
        )),
    }
}

/// Checks and normalises a GHT code: 2 to 30 letters, digits, `-` or `_`, kept in capitals.
pub fn ght_code(raw: &str) -> Result<String, DomainError> {
    let v = raw.trim().to_uppercase();
    if v.is_empty() {
        return Err(DomainError::new("code", "code du GHT : valeur obligatoire"));
    }
    if !(2..=30).contains(&v.chars().count())
        || !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(DomainError::new(
            "code",
            format!(
                "code du GHT : « {} » doit compter 2 à 30 lettres sans accent, chiffres, « - » ou « _ »",
                raw.trim()
            ),
        ));
    }
    Ok(v)
}

/// Checks a GHT name: not empty, 200 characters at most.
pub fn ght_name(raw: &str) -> Result<String, DomainError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(DomainError::new("name", "nom du GHT : valeur obligatoire"));
    }
    if v.chars().count() > 200 {
        return Err(DomainError::new(
            "name",
            "nom du GHT : 200 caractères au plus",
        ));
    }
    Ok(v.to_owned())
}

/// A legal entity's membership of a GHT over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// Stored id (`None` when not stored yet).
    pub id: Option<i64>,
    /// Code of the GHT.
    pub ght: String,
    /// Member legal entity.
    pub ej: FinessId,
    /// Whether the member is the support establishment.
    pub support: bool,
    /// Validity.
    pub period: Period,
}

impl Membership {
    /// Whether two records describe the same membership: same id when both are stored,
    /// else same GHT, entity and start.
    pub fn same_as(&self, other: &Membership) -> bool {
        match (self.id, other.id) {
            (Some(a), Some(b)) => a == b,
            _ => {
                self.ght == other.ght
                    && self.ej == other.ej
                    && self.period.from == other.period.from
            }
        }
    }
}

/// Checks a membership against the others (of every GHT; the candidate itself is ignored):
/// the member belongs to the GHT's region, belongs to one GHT at a time, and a GHT has one
/// support at a time.
pub fn check_membership(
    ght_region: &RegionCode,
    ej_region: &RegionCode,
    others: &[Membership],
    candidate: &Membership,
) -> Result<(), DomainError> {
    if ght_region != ej_region {
        return Err(DomainError::new(
            "ej",
            format!(
                "entité juridique : l'EJ {} relève de la région {}, pas de celle du GHT ({})",
                candidate.ej,
                ej_region.name(),
                ght_region.name()
            ),
        ));
    }
    let others = || {
        others
            .iter()
            .filter(|o| !o.same_as(candidate) && o.period.overlaps(&candidate.period))
    };
    if let Some(o) = others().find(|o| o.ej == candidate.ej) {
        let message = if o.ght == candidate.ght {
            format!(
                "entité juridique : l'EJ {} est déjà membre de ce GHT {} ; les périodes ne peuvent pas se chevaucher",
                candidate.ej,
                o.period.label()
            )
        } else {
            format!(
                "entité juridique : l'EJ {} est déjà membre du GHT {} {} ; un établissement n'appartient qu'à un GHT à la fois",
                candidate.ej,
                o.ght,
                o.period.label()
            )
        };
        return Err(DomainError::new("ej", message));
    }
    if candidate.support
        && let Some(o) = others().find(|o| o.ght == candidate.ght && o.support)
    {
        return Err(DomainError::new(
            "support",
            format!(
                "rôle : le GHT {} a déjà pour établissement support l'EJ {} ({}) ; un GHT n'a qu'un support à la fois, mettez d'abord fin à cette adhésion",
                candidate.ght,
                o.ej,
                o.period.label()
            ),
        ));
    }
    Ok(())
}

/// The support of a GHT on `date`, among its memberships.
pub fn support_on(memberships: &[Membership], date: NaiveDate) -> Option<&Membership> {
    memberships
        .iter()
        .find(|m| m.support && m.period.contains(date))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    fn p(from: &str, to: Option<&str>) -> Period {
        Period::new(d(from), to.map(d)).expect("test period")
    }

    fn region(code: &str) -> RegionCode {
        RegionCode::parse(code).expect("test region")
    }

    fn member(id: i64, ght: &str, ej: &str, support: bool, period: Period) -> Membership {
        Membership {
            id: Some(id),
            ght: ght.into(),
            ej: FinessId::parse(ej).expect("test finess"),
            support,
            period,
        }
    }

    #[test]
    fn a_period_may_not_end_before_it_starts() {
        let e = Period::new(d("2024-06-01"), Some(d("2024-05-31"))).expect_err("refused");
        assert_eq!(e.field, "valid_to");
        assert!(e.message.contains("31/05/2024"), "{}", e.message);
        assert!(Period::new(d("2024-06-01"), Some(d("2024-06-01"))).is_ok());
    }

    #[test]
    fn in_force_on_a_date_includes_both_bounds_and_an_open_end_lasts_forever() {
        let closed = p("2024-06-01", Some("2031-05-31"));
        assert!(!closed.contains(d("2024-05-31")));
        assert!(closed.contains(d("2024-06-01")));
        assert!(closed.contains(d("2031-05-31")));
        assert!(!closed.contains(d("2031-06-01")));
        let open = p("2019-09-01", None);
        assert!(open.contains(d("2100-01-01")));
        assert_eq!(closed.state(d("2020-01-01")), PeriodState::Upcoming);
        assert_eq!(closed.state(d("2025-01-01")), PeriodState::InForce);
        assert_eq!(closed.state(d("2032-01-01")), PeriodState::Ended);
        assert_eq!(closed.label(), "du 01/06/2024 au 31/05/2031");
        assert_eq!(open.label(), "depuis le 01/09/2019");
    }

    #[test]
    fn overlaps_share_at_least_one_day() {
        let a = p("2016-07-01", Some("2020-12-31"));
        assert!(a.overlaps(&p("2020-12-31", None)));
        assert!(!a.overlaps(&p("2021-01-01", None)));
        assert!(p("2010-01-01", None).overlaps(&p("2030-01-01", Some("2030-01-02"))));
        assert!(
            !p("2016-07-01", Some("2016-07-01")).overlaps(&p("2015-01-01", Some("2016-06-30")))
        );
    }

    #[test]
    fn dates_are_typed_the_french_way_or_iso_and_errors_name_the_field() {
        assert_eq!(
            parse_date("valid_from", "date de début", "01/07/2016").expect("fr"),
            d("2016-07-01")
        );
        assert_eq!(
            parse_date("valid_from", "date de début", " 2016-07-01 ").expect("iso"),
            d("2016-07-01")
        );
        for bad in [
            "1/7/2016",
            "2016/07/01",
            "31/02/2024",
            "01/01/1800",
            "demain",
        ] {
            let e = parse_date("valid_from", "date de début", bad).expect_err(bad);
            assert_eq!(e.field, "valid_from");
            assert!(e.message.starts_with("date de début : "), "{}", e.message);
        }
        assert!(
            parse_date("valid_from", "date de début", "")
                .expect_err("empty")
                .message
                .contains("obligatoire")
        );
        assert_eq!(
            parse_optional_date("valid_to", "date de fin", Some("  ")).expect("empty"),
            None
        );
    }

    #[test]
    fn a_past_year_is_judged_on_its_last_day_and_the_current_year_on_today() {
        let today = d("2026-11-22");
        assert_eq!(reference_date(Some(2023), today), d("2023-12-31"));
        assert_eq!(reference_date(Some(2026), today), today);
        assert_eq!(reference_date(Some(2030), today), today);
        assert_eq!(reference_date(None, today), today);
        assert_eq!(years_until(2024, today), vec![2026, 2025, 2024]);
    }

    #[test]
    fn labels_parse_from_their_identifier() {
        for l in Label::ALL {
            assert_eq!(Label::parse(l.as_str()).expect("known"), l);
        }
        assert_eq!(
            Label::parse("ght_support").expect("support").label(),
            "Établissement support de GHT"
        );
        let e = Label::parse("cht").expect_err("unknown");
        assert_eq!(e.field, "label");
    }

    #[test]
    fn one_label_may_not_have_overlapping_periods_on_one_entity() {
        let existing = vec![
            LabelPeriod {
                id: Some(1),
                label: Label::Pass,
                period: p("2018-01-01", Some("2022-12-31")),
            },
            LabelPeriod {
                id: Some(2),
                label: Label::Chu,
                period: p("2000-01-01", None),
            },
        ];
        let pass = |from, to| LabelPeriod {
            id: None,
            label: Label::Pass,
            period: p(from, to),
        };
        let e = check_label(&existing, &pass("2022-06-01", None)).expect_err("overlap");
        assert!(
            e.message.contains("du 01/01/2018 au 31/12/2022"),
            "{}",
            e.message
        );
        assert!(check_label(&existing, &pass("2023-01-01", None)).is_ok());
        assert!(check_label(&existing, &pass("2010-01-01", Some("2017-12-31"))).is_ok());
        // Another label over the same time is fine.
        let emg = LabelPeriod {
            id: None,
            label: Label::Emg,
            period: p("2019-01-01", None),
        };
        assert!(check_label(&existing, &emg).is_ok());
        // Ending a stored label is checked against the others, not itself.
        let ending = LabelPeriod {
            id: Some(1),
            label: Label::Pass,
            period: p("2018-01-01", Some("2020-12-31")),
        };
        assert!(check_label(&existing, &ending).is_ok());
    }

    #[test]
    fn ght_codes_and_names_are_checked() {
        assert_eq!(ght_code(" ght-ehsa ").expect("code"), "GHT-EHSA");
        assert_eq!(ght_code("").expect_err("empty").field, "code");
        assert!(ght_code("GHT EHSA").is_err());
        assert!(ght_code("GHT/1").is_err());
        assert!(ght_code("G").is_err());
        assert_eq!(
            ght_name("  GHT Est-Hérault  ").expect("name"),
            "GHT Est-Hérault"
        );
        assert_eq!(ght_name(" ").expect_err("empty").field, "name");
    }

    #[test]
    fn a_ght_has_one_support_at_a_time() {
        let occ = region("76");
        let existing = vec![
            member(1, "GHT-EHSA", "340780477", true, p("2016-07-01", None)),
            member(2, "GHT-EHSA", "340011295", false, p("2016-07-01", None)),
        ];
        let mut second = member(3, "GHT-EHSA", "340780543", true, p("2024-01-01", None));
        second.id = None;
        let e = check_membership(&occ, &occ, &existing, &second).expect_err("two supports");
        assert_eq!(e.field, "support");
        assert!(e.message.contains("340780477"), "{}", e.message);
        // Once the first support's membership ends, a new support may follow.
        let ended = vec![
            member(
                1,
                "GHT-EHSA",
                "340780477",
                true,
                p("2016-07-01", Some("2023-12-31")),
            ),
            existing[1].clone(),
        ];
        assert!(check_membership(&occ, &occ, &ended, &second).is_ok());
        // A plain member is not concerned.
        second.support = false;
        assert!(check_membership(&occ, &occ, &existing, &second).is_ok());
        assert_eq!(
            support_on(&existing, d("2020-01-01")).map(|m| m.ej.as_str()),
            Some("340780477")
        );
        assert_eq!(support_on(&ended, d("2024-01-01")), None);
    }

    #[test]
    fn an_entity_belongs_to_one_ght_at_a_time() {
        let occ = region("76");
        let existing = vec![member(
            1,
            "GHT-EHSA",
            "340780519",
            false,
            p("2016-07-01", Some("2021-12-31")),
        )];
        let mut moving = member(0, "GHT-OUEST", "340780519", false, p("2021-06-01", None));
        moving.id = None;
        let e = check_membership(&occ, &occ, &existing, &moving).expect_err("two GHT");
        assert_eq!(e.field, "ej");
        assert!(
            e.message.contains("GHT-EHSA") && e.message.contains("qu'à un GHT"),
            "{}",
            e.message
        );
        moving.period = p("2022-01-01", None);
        assert!(check_membership(&occ, &occ, &existing, &moving).is_ok());
        // Twice in the same GHT over overlapping periods is refused too.
        let mut again = member(0, "GHT-EHSA", "340780519", false, p("2020-01-01", None));
        again.id = None;
        assert!(check_membership(&occ, &occ, &existing, &again).is_err());
        // The stored membership itself (same id, or same GHT/EJ/start) is not a conflict.
        let edited = member(
            1,
            "GHT-EHSA",
            "340780519",
            false,
            p("2016-07-01", Some("2019-12-31")),
        );
        assert!(check_membership(&occ, &occ, &existing, &edited).is_ok());
        let reimported = Membership {
            id: None,
            ..existing[0].clone()
        };
        assert!(check_membership(&occ, &occ, &existing, &reimported).is_ok());
    }

    #[test]
    fn members_come_from_the_region_of_the_ght() {
        let candidate = member(1, "GHT-EHSA", "690781810", false, p("2016-07-01", None));
        let e =
            check_membership(&region("76"), &region("84"), &[], &candidate).expect_err("region");
        assert_eq!(e.field, "ej");
        assert!(e.message.contains("Auvergne-Rhône-Alpes"), "{}", e.message);
    }
}
