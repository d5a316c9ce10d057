//! Contracts' calendars, shared by the pages and the API: the steps of one contract, the
//! events the agency records, and the upcoming and overdue steps on a negotiator's home page.

use cpom_domain::calendar::{self, Event, EventKind, Step, StepStatus};
use cpom_domain::policy::{Listing, list_filter};
use cpom_domain::{Action, Role};
use cpom_store::repo::contracts::{Contract, ContractFilter};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, FieldError};
use crate::services::{self, today};

/// A contract's calendar.
pub struct ContractCalendar {
    /// Its steps, in date order.
    pub steps: Vec<Step>,
    /// The events recorded, in date order.
    pub events: Vec<Event>,
    /// The actor may record events (the agency of the region, on a contract with a version
    /// in force).
    pub can_record: bool,
}

/// Whether the actor may record events on this contract.
pub fn can_record(cu: &CurrentUser, c: &Contract) -> bool {
    cpom_domain::contract::in_force(c.state, c.avenant)
        && cu
            .authorize(&Action::PrepareContract(services::contract_scope(c)))
            .is_ok()
}

/// The calendar of a contract the caller has obtained through [`services::contract`].
pub async fn of_contract(
    state: &AppState,
    cu: &CurrentUser,
    c: &Contract,
) -> Result<ContractCalendar, AppError> {
    let rules = state
        .store
        .contract_template(&c.region)
        .await?
        .template
        .calendar_rules();
    let events = state.store.contract_events(c.id).await?;
    Ok(ContractCalendar {
        steps: calendar::calendar(
            c.start_year,
            c.end_year,
            &rules,
            &events,
            cpom_domain::contract::in_force(c.state, c.avenant),
            today(),
        ),
        events,
        can_record: can_record(cu, c),
    })
}

/// An event as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct EventInput {
    /// `follow_up_done`, `mid_term_done`, `renewal_requested`, `renewal_answered`,
    /// `penalty_notice`, `penalty_extension`, `penalty_answer`, `penalty_decision`,
    /// `penalty_paid` or `penalty_withdrawn`.
    #[serde(default)]
    pub kind: String,
    /// Date, `jj/mm/aaaa` or `aaaa-mm-jj`.
    #[serde(default)]
    pub on: String,
    /// For a follow-up: the year followed.
    pub year: Option<String>,
    /// Reasons, answer, decision.
    pub note: Option<String>,
    /// A penalty decision's amount, in euros (`12 500` or `12500`).
    pub amount: Option<String>,
}

fn read(input: &EventInput) -> Result<Event, AppError> {
    let mut errors = vec![];
    let mut bad = |field: &str, message: String| {
        errors.push(FieldError {
            field: field.to_owned(),
            message,
        })
    };
    let kind = EventKind::parse(&input.kind);
    if kind.is_none() {
        bad("kind", "choisissez l'étape à enregistrer".into());
    }
    let on = cpom_domain::territory::parse_date("on", "Date", &input.on)
        .map_err(|e| bad("on", e.message))
        .ok();
    let blank = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let year = match blank(&input.year) {
        None => None,
        Some(y) => match y.parse::<i32>() {
            Ok(y) => Some(y),
            Err(_) => {
                bad("year", format!("« {y} » n'est pas une année"));
                None
            }
        },
    };
    let amount = match blank(&input.amount) {
        None => None,
        Some(a) => match a
            .replace([' ', '\u{a0}', '\u{202f}', '€'], "")
            .parse::<i64>()
        {
            Ok(v) => Some(v),
            Err(_) => {
                bad(
                    "amount",
                    format!("« {a} » n'est pas un montant en euros entiers"),
                );
                None
            }
        },
    };
    match (kind, on) {
        (Some(kind), Some(on)) if errors.is_empty() => Ok(Event {
            kind,
            on,
            year: if kind == EventKind::FollowUpDone {
                year
            } else {
                None
            },
            note: blank(&input.note),
            amount,
        }),
        _ => Err(AppError::Validation(errors)),
    }
}

/// Records an event on the calendar of a contract in force (the agency of the region).
pub async fn record(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    input: &EventInput,
) -> Result<Vec<Event>, AppError> {
    let c = services::contract(state, cu, id).await?;
    cu.authorize(&Action::PrepareContract(services::contract_scope(&c)))?;
    if !cpom_domain::contract::in_force(c.state, c.avenant) {
        return Err(AppError::Conflict(format!(
            "le calendrier se tient sur un contrat en vigueur ; ce contrat est {}",
            c.state.label()
        )));
    }
    let event = read(input)?;
    let rules = state
        .store
        .contract_template(&c.region)
        .await?
        .template
        .calendar_rules();
    let (start, end, day) = (c.start_year, c.end_year, today());
    let events = state
        .store
        .record_contract_event(&cu.user.audit_actor(), id, &event, |events| {
            calendar::check_event(&event, events, start, end, &rules, day)
                .map_err(|e| (e.field, e.message))
        })
        .await?;
    if matches!(
        event.kind,
        EventKind::PenaltyNotice | EventKind::PenaltyDecision | EventKind::RenewalAnswered
    ) {
        services::notify_contract(
            state,
            cu,
            &c,
            &format!(
                "{} le {} — contrat « {} ».",
                event.kind.label(),
                cpom_domain::territory::date_fr(event.on),
                c.title
            ),
            "#calendrier",
        )
        .await;
    }
    Ok(events)
}

/// A step due soon or overdue, with its contract.
pub struct DueStep {
    /// The contract.
    pub contract: Contract,
    /// The step.
    pub step: Step,
}

/// The overdue and upcoming steps of the contracts in force the actor negotiates (the
/// agency's users: their own contracts and those without a negotiator, in their scope);
/// nothing for other roles. Overdue first, then by due date.
pub async fn due_steps(state: &AppState, cu: &CurrentUser) -> Result<Vec<DueStep>, AppError> {
    if !matches!(
        cu.user.role,
        Role::NationalAdmin | Role::ArsAdmin | Role::ArsReferent
    ) {
        return Ok(vec![]);
    }
    let scope = list_filter(&cu.actor(), Listing::Contracts);
    let filter = ContractFilter::default();
    let contracts: Vec<_> = services::all_contracts(state, &scope, &filter)
        .await?
        .into_iter()
        .filter(|c| cpom_domain::contract::in_force(c.state, c.avenant))
        .filter(|c| c.negotiator_id.is_none() || c.negotiator_id == Some(cu.user.id))
        .collect();
    let ids: Vec<i64> = contracts.iter().map(|c| c.id).collect();
    let mut events = state.store.events_of_contracts(&ids).await?;
    let mut rules = std::collections::HashMap::new();
    let mut out = vec![];
    for c in contracts {
        if !rules.contains_key(&c.region) {
            let r = state
                .store
                .contract_template(&c.region)
                .await?
                .template
                .calendar_rules();
            rules.insert(c.region.clone(), r);
        }
        let steps = calendar::calendar(
            c.start_year,
            c.end_year,
            &rules[&c.region],
            &events.remove(&c.id).unwrap_or_default(),
            true,
            today(),
        );
        for step in steps
            .into_iter()
            .filter(|s| matches!(s.status, StepStatus::Overdue | StepStatus::Soon))
        {
            out.push(DueStep {
                contract: c.clone(),
                step,
            });
        }
    }
    out.sort_by_key(|d| (d.step.status != StepStatus::Overdue, d.step.due));
    Ok(out)
}
