//! The calendar of a contract: the steps derived from its period and the region's rules
//! (yearly follow-ups, mid-term evaluation, renewal request one year before the end and the
//! agency's answer within four months, end), and the penalty procedure for non-execution
//! when the agency starts it (formal notice with reasons, one month to answer, extendable
//! once, decision with an amount within the regional cap, one month to pay). Steps are
//! marked done by events the agency records; the rules of those events are here. Pure.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// Something the agency records on a contract's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The yearly follow-up of a year was held.
    FollowUpDone,
    /// The mid-term evaluation was held.
    MidTermDone,
    /// The establishment asked for the renewal.
    RenewalRequested,
    /// The agency answered the renewal request.
    RenewalAnswered,
    /// Penalty procedure: formal notice, with its reasons.
    PenaltyNotice,
    /// Penalty procedure: the answer period extended by one month (once).
    PenaltyExtension,
    /// Penalty procedure: the establishment's answer received.
    PenaltyAnswer,
    /// Penalty procedure: the decision, with its amount.
    PenaltyDecision,
    /// Penalty procedure: the penalty paid.
    PenaltyPaid,
    /// Penalty procedure: closed without a penalty.
    PenaltyWithdrawn,
}

impl EventKind {
    /// Every kind, in the order of the form.
    pub const ALL: [EventKind; 10] = [
        EventKind::FollowUpDone,
        EventKind::MidTermDone,
        EventKind::RenewalRequested,
        EventKind::RenewalAnswered,
        EventKind::PenaltyNotice,
        EventKind::PenaltyExtension,
        EventKind::PenaltyAnswer,
        EventKind::PenaltyDecision,
        EventKind::PenaltyPaid,
        EventKind::PenaltyWithdrawn,
    ];

    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::FollowUpDone => "follow_up_done",
            EventKind::MidTermDone => "mid_term_done",
            EventKind::RenewalRequested => "renewal_requested",
            EventKind::RenewalAnswered => "renewal_answered",
            EventKind::PenaltyNotice => "penalty_notice",
            EventKind::PenaltyExtension => "penalty_extension",
            EventKind::PenaltyAnswer => "penalty_answer",
            EventKind::PenaltyDecision => "penalty_decision",
            EventKind::PenaltyPaid => "penalty_paid",
            EventKind::PenaltyWithdrawn => "penalty_withdrawn",
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::FollowUpDone => "Suivi annuel tenu",
            EventKind::MidTermDone => "Évaluation à mi-parcours tenue",
            EventKind::RenewalRequested => "Demande de renouvellement reçue",
            EventKind::RenewalAnswered => "Réponse de l'ARS à la demande de renouvellement",
            EventKind::PenaltyNotice => "Mise en demeure (pénalité pour inexécution)",
            EventKind::PenaltyExtension => "Prolongation d'un mois du délai de réponse",
            EventKind::PenaltyAnswer => "Réponse de l'établissement à la mise en demeure",
            EventKind::PenaltyDecision => "Décision de pénalité",
            EventKind::PenaltyPaid => "Pénalité payée",
            EventKind::PenaltyWithdrawn => "Procédure close sans pénalité",
        }
    }

    /// Parses a stable identifier.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw.trim())
    }

    fn penalty(self) -> bool {
        matches!(
            self,
            EventKind::PenaltyNotice
                | EventKind::PenaltyExtension
                | EventKind::PenaltyAnswer
                | EventKind::PenaltyDecision
                | EventKind::PenaltyPaid
                | EventKind::PenaltyWithdrawn
        )
    }
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// What.
    pub kind: EventKind,
    /// When it happened.
    pub on: NaiveDate,
    /// For a yearly follow-up: the year followed.
    pub year: Option<i32>,
    /// Reasons, answer, decision: the text.
    pub note: Option<String>,
    /// A penalty decision's amount, in euros.
    pub amount: Option<i64>,
}

/// The region's calendar rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarRules {
    /// The follow-up of year N is due by the end of this month of year N+1 (default: June).
    pub follow_up_month: u32,
    /// Highest penalty the agency may decide, in euros; `None`: no regional cap set.
    pub penalty_cap: Option<i64>,
}

impl Default for CalendarRules {
    fn default() -> Self {
        CalendarRules {
            follow_up_month: 6,
            penalty_cap: None,
        }
    }
}

/// Where a step stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Done (an event records it).
    Done,
    /// Past its due date and not done.
    Overdue,
    /// Due within [`SOON_DAYS`] days.
    Soon,
    /// Due later.
    Later,
}

impl StepStatus {
    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            StepStatus::Done => "fait",
            StepStatus::Overdue => "en retard",
            StepStatus::Soon => "à venir",
            StepStatus::Later => "prévu",
        }
    }
}

/// A step "soon" is due within this many days.
pub const SOON_DAYS: i64 = 60;

/// One step of a contract's calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Stable code (`follow_up_2026`, `mid_term`, `renewal_request`, `renewal_answer`,
    /// `end`, `penalty_answer`, `penalty_decision`, `penalty_payment`).
    pub code: String,
    /// French label.
    pub label: String,
    /// Due date.
    pub due: NaiveDate,
    /// When it was done, if it was.
    pub done_on: Option<NaiveDate>,
    /// Where it stands.
    pub status: StepStatus,
}

fn last_day_of(year: i32, month: u32) -> NaiveDate {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    first_next
        .and_then(|d| d.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

fn plus_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// The steps of a contract over `start_year..=end_year`, with the penalty procedure when one
/// is under way, in date order, each with its status on `today`. `in_force`: the contract is
/// signed and running (a step of a contract not yet signed is only planned).
pub fn calendar(
    start_year: i32,
    end_year: i32,
    rules: &CalendarRules,
    events: &[Event],
    in_force: bool,
    today: NaiveDate,
) -> Vec<Step> {
    let mut steps = vec![];
    let done = |kind: EventKind, year: Option<i32>| {
        events
            .iter()
            .filter(|e| e.kind == kind && (year.is_none() || e.year == year))
            .map(|e| e.on)
            .max()
    };
    let month = rules.follow_up_month.clamp(1, 12);
    for year in start_year..=end_year {
        steps.push((
            format!("follow_up_{year}"),
            format!("Suivi annuel {year}"),
            last_day_of(year + 1, month),
            done(EventKind::FollowUpDone, Some(year)),
        ));
    }
    let mid = start_year + (end_year - start_year) / 2;
    steps.push((
        "mid_term".into(),
        "Évaluation à mi-parcours".into(),
        last_day_of(mid, 12),
        done(EventKind::MidTermDone, None),
    ));
    let end = last_day_of(end_year, 12);
    let request_due = last_day_of(end_year - 1, 12);
    let requested = done(EventKind::RenewalRequested, None);
    steps.push((
        "renewal_request".into(),
        "Demande de renouvellement (un an avant l'échéance)".into(),
        request_due,
        requested,
    ));
    steps.push((
        "renewal_answer".into(),
        "Réponse de l'ARS à la demande de renouvellement (quatre mois)".into(),
        plus_months(requested.unwrap_or(request_due), 4),
        done(EventKind::RenewalAnswered, None),
    ));
    steps.push((
        "end".into(),
        "Échéance du contrat".into(),
        end,
        (today > end).then_some(end),
    ));
    for (code, label, due, done_on) in penalty_steps(events) {
        steps.push((code, label, due, done_on));
    }
    let mut out: Vec<Step> = steps
        .into_iter()
        .map(|(code, label, due, done_on)| {
            let status = match done_on {
                Some(_) => StepStatus::Done,
                None if in_force && due < today => StepStatus::Overdue,
                None if in_force && (due - today).num_days() <= SOON_DAYS => StepStatus::Soon,
                None => StepStatus::Later,
            };
            Step {
                code,
                label,
                due,
                done_on,
                status,
            }
        })
        .collect();
    out.sort_by_key(|s| s.due);
    out
}

/// The penalty procedure under way (the last one started), as steps.
fn penalty_steps(events: &[Event]) -> Vec<(String, String, NaiveDate, Option<NaiveDate>)> {
    let Some(start) = events
        .iter()
        .rposition(|e| e.kind == EventKind::PenaltyNotice)
    else {
        return vec![];
    };
    let procedure = &events[start..];
    let find = |kind: EventKind| procedure.iter().find(|e| e.kind == kind).map(|e| e.on);
    let notice = procedure[0].on;
    let extended = find(EventKind::PenaltyExtension).is_some();
    let answer_due = plus_months(notice, if extended { 2 } else { 1 });
    let answer = find(EventKind::PenaltyAnswer);
    let withdrawn = find(EventKind::PenaltyWithdrawn);
    let decision = find(EventKind::PenaltyDecision);
    let mut out = vec![(
        "penalty_answer".to_string(),
        format!(
            "Réponse à la mise en demeure du {}{}",
            crate::territory::date_fr(notice),
            if extended { " (délai prolongé)" } else { "" }
        ),
        answer_due,
        answer.or(withdrawn),
    )];
    out.push((
        "penalty_decision".into(),
        "Décision sur la pénalité".into(),
        // The decision follows the answer, or the end of the answer period.
        plus_months(answer.unwrap_or(answer_due), 1),
        decision.or(withdrawn),
    ));
    if let Some(d) = decision {
        out.push((
            "penalty_payment".into(),
            "Paiement de la pénalité (un mois)".into(),
            plus_months(d, 1),
            find(EventKind::PenaltyPaid),
        ));
    }
    out
}

/// Why an event may not be recorded, in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError {
    /// Field of the input.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> EventError {
    EventError {
        field,
        message: message.into(),
    }
}

/// Checks an event before it is recorded on a contract of `start_year..=end_year` in force,
/// given the events already recorded: its date (not in the future, not before the previous
/// step of its procedure), its year for a follow-up, and the order of the penalty procedure
/// (one at a time; an extension once, before the answer; a decision with reasons and an
/// amount within the regional cap).
pub fn check_event(
    e: &Event,
    events: &[Event],
    start_year: i32,
    end_year: i32,
    rules: &CalendarRules,
    today: NaiveDate,
) -> Result<(), EventError> {
    if e.on > today {
        return Err(refuse("on", "la date ne peut pas être dans le futur"));
    }
    if e.on.year() < start_year - 1 {
        return Err(refuse("on", "date antérieure au contrat"));
    }
    let note = e.note.as_deref().map(str::trim).unwrap_or_default();
    if note.chars().count() > 5000 {
        return Err(refuse("note", "texte trop long (au plus 5 000 caractères)"));
    }
    match e.kind {
        EventKind::FollowUpDone => match e.year {
            Some(y) if (start_year..=end_year).contains(&y) => {}
            Some(y) => {
                return Err(refuse(
                    "year",
                    format!("l'année {y} est hors de la période {start_year}–{end_year}"),
                ));
            }
            None => return Err(refuse("year", "année du suivi obligatoire")),
        },
        EventKind::RenewalAnswered
            if !events.iter().any(|x| x.kind == EventKind::RenewalRequested) =>
        {
            return Err(refuse(
                "kind",
                "aucune demande de renouvellement n'est enregistrée",
            ));
        }
        _ => {}
    }
    if e.kind.penalty() {
        check_penalty(e, note, events, rules)?;
    }
    if e.amount.is_some() && e.kind != EventKind::PenaltyDecision {
        return Err(refuse(
            "amount",
            "un montant ne se saisit que pour une décision de pénalité",
        ));
    }
    Ok(())
}

fn check_penalty(
    e: &Event,
    note: &str,
    events: &[Event],
    rules: &CalendarRules,
) -> Result<(), EventError> {
    let open = events
        .iter()
        .rposition(|x| x.kind == EventKind::PenaltyNotice)
        .map(|i| &events[i..])
        .filter(|p| {
            !p.iter()
                .any(|x| matches!(x.kind, EventKind::PenaltyPaid | EventKind::PenaltyWithdrawn))
        });
    let has = |kind: EventKind| open.is_some_and(|p| p.iter().any(|x| x.kind == kind));
    let last_on = open.and_then(|p| p.iter().map(|x| x.on).max());
    if e.kind == EventKind::PenaltyNotice {
        if open.is_some() {
            return Err(refuse(
                "kind",
                "une procédure de pénalité est déjà en cours",
            ));
        }
        if note.is_empty() {
            return Err(refuse(
                "note",
                "la mise en demeure doit être motivée : indiquez les engagements non exécutés",
            ));
        }
        return Ok(());
    }
    if open.is_none() {
        return Err(refuse(
            "kind",
            "aucune procédure de pénalité en cours : commencez par la mise en demeure",
        ));
    }
    if last_on.is_some_and(|d| e.on < d) {
        return Err(refuse(
            "on",
            "la date précède l'étape précédente de la procédure",
        ));
    }
    match e.kind {
        EventKind::PenaltyExtension => {
            if has(EventKind::PenaltyExtension) {
                return Err(refuse(
                    "kind",
                    "le délai de réponse ne se prolonge qu'une fois",
                ));
            }
            if has(EventKind::PenaltyAnswer) || has(EventKind::PenaltyDecision) {
                return Err(refuse("kind", "l'établissement a déjà répondu"));
            }
        }
        EventKind::PenaltyAnswer if has(EventKind::PenaltyAnswer) => {
            return Err(refuse("kind", "la réponse est déjà enregistrée"));
        }
        EventKind::PenaltyDecision => {
            if has(EventKind::PenaltyDecision) {
                return Err(refuse("kind", "la décision est déjà enregistrée"));
            }
            if note.is_empty() {
                return Err(refuse("note", "la décision doit être motivée"));
            }
            let Some(amount) = e.amount else {
                return Err(refuse("amount", "montant de la pénalité obligatoire"));
            };
            if amount <= 0 {
                return Err(refuse("amount", "le montant doit être positif"));
            }
            if let Some(cap) = rules.penalty_cap
                && amount > cap
            {
                return Err(refuse(
                    "amount",
                    format!(
                        "le montant dépasse le plafond régional de {} €",
                        crate::catalogue::number::format_number(cap as f64)
                    ),
                ));
            }
        }
        EventKind::PenaltyPaid if !has(EventKind::PenaltyDecision) => {
            return Err(refuse(
                "kind",
                "aucune décision de pénalité n'est enregistrée",
            ));
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn event(kind: EventKind, on: NaiveDate) -> Event {
        Event {
            kind,
            on,
            year: None,
            note: Some("motif".into()),
            amount: None,
        }
    }

    #[test]
    fn the_calendar_follows_the_period_and_the_region_rules() {
        let rules = CalendarRules::default();
        let steps = calendar(2025, 2029, &rules, &[], true, day(2026, 11, 30));
        let due = |code: &str| {
            steps
                .iter()
                .find(|s| s.code == code)
                .map(|s| (s.due, s.status))
                .expect(code)
        };
        assert_eq!(
            due("follow_up_2025"),
            (day(2026, 6, 30), StepStatus::Overdue)
        );
        assert_eq!(due("follow_up_2026"), (day(2027, 6, 30), StepStatus::Later));
        assert_eq!(due("mid_term").0, day(2027, 12, 31));
        assert_eq!(due("renewal_request").0, day(2028, 12, 31));
        assert_eq!(due("renewal_answer").0, day(2029, 4, 30));
        assert_eq!(due("end").0, day(2029, 12, 31));
        assert!(steps.windows(2).all(|w| w[0].due <= w[1].due));
        // Another follow-up month; a follow-up done; a contract not in force is planned only.
        let rules = CalendarRules {
            follow_up_month: 3,
            ..rules
        };
        let mut done = event(EventKind::FollowUpDone, day(2026, 3, 10));
        done.year = Some(2025);
        let steps = calendar(2025, 2029, &rules, &[done], true, day(2026, 11, 30));
        let first = steps
            .iter()
            .find(|s| s.code == "follow_up_2025")
            .expect("2025");
        assert_eq!(
            (first.due, first.status),
            (day(2026, 3, 31), StepStatus::Done)
        );
        let planned = calendar(2025, 2029, &rules, &[], false, day(2026, 11, 30));
        assert!(planned.iter().all(|s| s.status == StepStatus::Later));
        // Soon: within 60 days.
        let soon = calendar(2025, 2029, &rules, &[], true, day(2027, 2, 15));
        let s = soon
            .iter()
            .find(|s| s.code == "follow_up_2026")
            .expect("2026");
        assert_eq!(s.status, StepStatus::Soon);
    }

    #[test]
    fn the_renewal_answer_is_due_four_months_after_the_request() {
        let requested = event(EventKind::RenewalRequested, day(2028, 9, 15));
        let steps = calendar(
            2025,
            2029,
            &CalendarRules::default(),
            &[requested],
            true,
            day(2028, 10, 1),
        );
        let answer = steps
            .iter()
            .find(|s| s.code == "renewal_answer")
            .expect("answer");
        assert_eq!(answer.due, day(2029, 1, 15));
        let request = steps
            .iter()
            .find(|s| s.code == "renewal_request")
            .expect("request");
        assert_eq!(request.status, StepStatus::Done);
    }

    #[test]
    fn the_penalty_procedure_runs_in_order_with_one_extension_and_the_cap() {
        let rules = CalendarRules {
            penalty_cap: Some(50_000),
            ..CalendarRules::default()
        };
        let today = day(2027, 6, 1);
        let check = |e: &Event, events: &[Event]| check_event(e, events, 2025, 2029, &rules, today);
        // Nothing before the formal notice, which must give its reasons.
        let answer = event(EventKind::PenaltyAnswer, day(2027, 2, 1));
        assert_eq!(check(&answer, &[]).map_err(|e| e.field), Err("kind"));
        let mut bare = event(EventKind::PenaltyNotice, day(2027, 1, 10));
        bare.note = None;
        assert_eq!(check(&bare, &[]).map_err(|e| e.field), Err("note"));
        let notice = event(EventKind::PenaltyNotice, day(2027, 1, 10));
        assert_eq!(check(&notice, &[]), Ok(()));
        let mut events = vec![notice.clone()];
        assert!(check(&notice, &events).is_err(), "one procedure at a time");
        // One extension, before the answer; the answer period becomes two months.
        let ext = event(EventKind::PenaltyExtension, day(2027, 2, 1));
        assert_eq!(check(&ext, &events), Ok(()));
        events.push(ext.clone());
        assert!(check(&ext, &events).is_err(), "extended once");
        let steps = calendar(2025, 2029, &rules, &events, true, today);
        let due = steps
            .iter()
            .find(|s| s.code == "penalty_answer")
            .expect("answer");
        assert_eq!(
            (due.due, due.status),
            (day(2027, 3, 10), StepStatus::Overdue)
        );
        // A date before the previous step is refused.
        let early = event(EventKind::PenaltyAnswer, day(2027, 1, 20));
        assert_eq!(check(&early, &events).map_err(|e| e.field), Err("on"));
        events.push(event(EventKind::PenaltyAnswer, day(2027, 3, 1)));
        // The decision: reasons and an amount within the cap.
        let mut decision = event(EventKind::PenaltyDecision, day(2027, 4, 1));
        assert_eq!(
            check(&decision, &events).map_err(|e| e.field),
            Err("amount")
        );
        decision.amount = Some(60_000);
        let err = check(&decision, &events).expect_err("over the cap");
        assert_eq!(
            err.message,
            "le montant dépasse le plafond régional de 50\u{202f}000 €"
        );
        decision.amount = Some(20_000);
        assert_eq!(check(&decision, &events), Ok(()));
        events.push(decision);
        let steps = calendar(2025, 2029, &rules, &events, true, today);
        let pay = steps
            .iter()
            .find(|s| s.code == "penalty_payment")
            .expect("payment");
        assert_eq!(
            (pay.due, pay.status),
            (day(2027, 5, 1), StepStatus::Overdue)
        );
        let paid = event(EventKind::PenaltyPaid, day(2027, 4, 20));
        assert_eq!(check(&paid, &events), Ok(()));
        events.push(paid);
        let steps = calendar(2025, 2029, &rules, &events, true, today);
        assert!(
            steps
                .iter()
                .filter(|s| s.code.starts_with("penalty"))
                .all(|s| s.status == StepStatus::Done)
        );
        // Closed: a new procedure may start.
        assert_eq!(
            check(&event(EventKind::PenaltyNotice, day(2027, 5, 2)), &events),
            Ok(())
        );
        // Future dates and follow-ups outside the period are refused.
        assert!(check(&event(EventKind::MidTermDone, day(2027, 7, 1)), &[]).is_err());
        let mut follow = event(EventKind::FollowUpDone, day(2027, 1, 1));
        follow.year = Some(2031);
        assert_eq!(check(&follow, &[]).map_err(|e| e.field), Err("year"));
    }
}
