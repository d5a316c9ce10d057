//! Reviews (*revues*) of contracts and their road maps (*feuilles de route*), the pure part:
//! what a review and an action are, how the typed fields are checked, and when an action is
//! late. No I/O.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::territory::parse_date;

/// Where a review took place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    /// A management dialogue with one legal entity about its contract.
    LegalEntity,
    /// A dialogue with the establishments of a GHT together.
    Ght,
}

impl Setting {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Setting::LegalEntity => "ej",
            Setting::Ght => "ght",
        }
    }

    /// Parses the stored form (also `legal_entity`).
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "ej" | "legal_entity" => Some(Setting::LegalEntity),
            "ght" => Some(Setting::Ght),
            _ => None,
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            Setting::LegalEntity => "Dialogue avec l'entité juridique",
            Setting::Ght => "Dialogue de GHT",
        }
    }
}

/// How far an action of a road map got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// Not started.
    Planned,
    /// Under way.
    InProgress,
    /// Done.
    Done,
    /// Given up.
    Abandoned,
}

impl ActionStatus {
    /// Every status, in the order shown.
    pub const ALL: [ActionStatus; 4] = [
        ActionStatus::Planned,
        ActionStatus::InProgress,
        ActionStatus::Done,
        ActionStatus::Abandoned,
    ];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Planned => "planned",
            ActionStatus::InProgress => "in_progress",
            ActionStatus::Done => "done",
            ActionStatus::Abandoned => "abandoned",
        }
    }

    /// Parses the stored form.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            ActionStatus::Planned => "à lancer",
            ActionStatus::InProgress => "en cours",
            ActionStatus::Done => "réalisée",
            ActionStatus::Abandoned => "abandonnée",
        }
    }

    /// Whether the action is over (done or given up).
    pub fn closed(self) -> bool {
        matches!(self, ActionStatus::Done | ActionStatus::Abandoned)
    }
}

/// An engagement an action serves: the contract and the engagement's key in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EngagementRef {
    /// Contract id.
    pub contract_id: i64,
    /// Engagement key (`E1`…).
    pub key: String,
}

impl EngagementRef {
    /// Parses `contract_id:key` (the form of a checkbox value).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let bad = || {
            DomainError::new(
                "engagements",
                format!("« {raw} » ne désigne pas un engagement (contrat:clé attendu)"),
            )
        };
        let (id, key) = raw.trim().split_once(':').ok_or_else(bad)?;
        let contract_id = id.trim().parse::<i64>().map_err(|_| bad())?;
        let key = key.trim();
        if key.is_empty() || key.len() > 32 {
            return Err(bad());
        }
        Ok(Self {
            contract_id,
            key: key.to_owned(),
        })
    }

    /// The form `contract_id:key`.
    pub fn code(&self) -> String {
        format!("{}:{}", self.contract_id, self.key)
    }
}

/// The typed fields of a review, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewFields {
    /// When it took (or will take) place.
    pub held_on: NaiveDate,
    /// Who took part, one per line.
    pub participants: Vec<String>,
    /// The minutes (may be written after the meeting).
    pub minutes: String,
}

/// At most this many characters of minutes.
pub const MINUTES_MAX: usize = 50_000;

/// Checks the typed fields of a review: a date, at least one participant (one per line, at
/// most 100 lines of 200 characters), minutes of at most [`MINUTES_MAX`] characters.
pub fn review_fields(
    held_on: &str,
    participants: &str,
    minutes: &str,
) -> Result<ReviewFields, DomainError> {
    let held_on = parse_date("held_on", "Date de la revue", held_on)?;
    let participants: Vec<String> = participants
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if participants.is_empty() {
        return Err(DomainError::new(
            "participants",
            "Participants : indiquez au moins un participant (un par ligne)",
        ));
    }
    if participants.len() > 100 {
        return Err(DomainError::new(
            "participants",
            "Participants : 100 lignes au plus",
        ));
    }
    if let Some((i, _)) = participants
        .iter()
        .enumerate()
        .find(|(_, p)| p.chars().count() > 200)
    {
        return Err(DomainError::new(
            "participants",
            format!("Participants, ligne {} : 200 caractères au plus", i + 1),
        ));
    }
    let minutes = minutes.trim().replace("\r\n", "\n");
    if minutes.chars().count() > MINUTES_MAX {
        return Err(DomainError::new(
            "minutes",
            format!("Compte rendu : {MINUTES_MAX} caractères au plus"),
        ));
    }
    Ok(ReviewFields {
        held_on,
        participants,
        minutes,
    })
}

/// The typed fields of an action of a road map, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionFields {
    /// What is to be done.
    pub title: String,
    /// Who carries it (a person, a service, the establishment or the agency).
    pub owner: String,
    /// By when.
    pub due_on: NaiveDate,
    /// How far it got.
    pub status: ActionStatus,
    /// The engagements it serves, each once, sorted.
    pub engagements: Vec<EngagementRef>,
}

/// Checks the typed fields of an action; `known` are the engagements of the contracts the
/// review covers (an action can only serve those), `held_on` the review's date (an action
/// is not due before it).
pub fn action_fields(
    title: &str,
    owner: &str,
    due_on: &str,
    status: &str,
    engagements: &[String],
    known: &[EngagementRef],
    held_on: NaiveDate,
) -> Result<ActionFields, DomainError> {
    let text = |field: &'static str, name: &str, raw: &str, max: usize| {
        let v = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if v.is_empty() {
            return Err(DomainError::new(field, format!("{name} : obligatoire")));
        }
        if v.chars().count() > max {
            return Err(DomainError::new(
                field,
                format!("{name} : {max} caractères au plus"),
            ));
        }
        Ok(v)
    };
    let title = text("title", "Action", title, 500)?;
    let owner = text("owner", "Porteur", owner, 200)?;
    let due_on = parse_date("due_on", "Échéance", due_on)?;
    if due_on < held_on {
        return Err(DomainError::new(
            "due_on",
            format!(
                "Échéance : le {} précède la revue du {}",
                crate::territory::date_fr(due_on),
                crate::territory::date_fr(held_on)
            ),
        ));
    }
    let status = ActionStatus::parse(status).ok_or_else(|| {
        DomainError::new("status", format!("Statut : « {} » inconnu", status.trim()))
    })?;
    let mut refs = vec![];
    for raw in engagements.iter().filter(|e| !e.trim().is_empty()) {
        let r = EngagementRef::parse(raw)?;
        if !known.contains(&r) {
            return Err(DomainError::new(
                "engagements",
                format!(
                    "l'engagement {} du contrat n° {} n'est pas couvert par cette revue",
                    r.key, r.contract_id
                ),
            ));
        }
        refs.push(r);
    }
    refs.sort();
    refs.dedup();
    Ok(ActionFields {
        title,
        owner,
        due_on,
        status,
        engagements: refs,
    })
}

/// Whether an action is late on `today`: due before it and not over.
pub fn late(status: ActionStatus, due_on: NaiveDate, today: NaiveDate) -> bool {
    !status.closed() && due_on < today
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn settings_and_statuses_round_trip() {
        for s in [Setting::LegalEntity, Setting::Ght] {
            assert_eq!(Setting::parse(s.as_str()), Some(s));
        }
        assert_eq!(Setting::parse("region"), None);
        for s in ActionStatus::ALL {
            assert_eq!(ActionStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ActionStatus::parse("fini"), None);
    }

    #[test]
    fn review_fields_are_checked_and_name_their_field() {
        let r = review_fields(
            "12/03/2027",
            " Dr Martin (ARS)\r\n\r\nMme Durand, directrice \n",
            " CR ",
        )
        .expect("fields");
        assert_eq!(r.held_on, d(2027, 3, 12));
        assert_eq!(
            r.participants,
            ["Dr Martin (ARS)", "Mme Durand, directrice"]
        );
        assert_eq!(r.minutes, "CR");
        assert_eq!(
            review_fields("", "A", "").expect_err("date").field,
            "held_on"
        );
        assert_eq!(
            review_fields("31/02/2027", "A", "")
                .expect_err("date")
                .field,
            "held_on"
        );
        let e = review_fields("2027-03-12", " \n ", "").expect_err("nobody");
        assert_eq!(e.field, "participants");
        let long = format!("A\n{}", "x".repeat(201));
        assert!(
            review_fields("2027-03-12", &long, "")
                .expect_err("long")
                .message
                .contains("ligne 2")
        );
        let e = review_fields("2027-03-12", "A", &"x".repeat(MINUTES_MAX + 1)).expect_err("cr");
        assert_eq!(e.field, "minutes");
    }

    #[test]
    fn actions_serve_only_the_engagements_of_the_review() {
        let known = vec![
            EngagementRef {
                contract_id: 7,
                key: "E1".into(),
            },
            EngagementRef {
                contract_id: 7,
                key: "E2".into(),
            },
        ];
        let held = d(2027, 3, 12);
        let a = action_fields(
            "  Ouvrir   10 places d'HDJ ",
            "Direction des soins",
            "31/12/2027",
            "planned",
            &["7:E2".into(), "7:E1".into(), "7:E2".into(), " ".into()],
            &known,
            held,
        )
        .expect("action");
        assert_eq!(a.title, "Ouvrir 10 places d'HDJ");
        assert_eq!(
            a.engagements
                .iter()
                .map(EngagementRef::code)
                .collect::<Vec<_>>(),
            ["7:E1", "7:E2"]
        );
        let err = |title: &str, owner: &str, due: &str, status: &str, e: &[&str]| {
            let e: Vec<String> = e.iter().map(|s| s.to_string()).collect();
            action_fields(title, owner, due, status, &e, &known, held).expect_err("invalid")
        };
        assert_eq!(err("", "X", "31/12/2027", "planned", &[]).field, "title");
        assert_eq!(err("A", " ", "31/12/2027", "planned", &[]).field, "owner");
        let before = err("A", "X", "01/01/2027", "planned", &[]);
        assert_eq!(before.field, "due_on");
        assert!(before.message.contains("précède la revue du 12/03/2027"));
        assert_eq!(err("A", "X", "31/12/2027", "fini", &[]).field, "status");
        let other = err("A", "X", "31/12/2027", "done", &["8:E1"]);
        assert_eq!(other.field, "engagements");
        assert!(other.message.contains("contrat n° 8"));
        assert_eq!(
            err("A", "X", "31/12/2027", "done", &["E1"]).field,
            "engagements"
        );
    }

    #[test]
    fn an_action_is_late_when_due_and_not_over() {
        let due = d(2027, 6, 30);
        assert!(!late(ActionStatus::Planned, due, d(2027, 6, 30)));
        assert!(late(ActionStatus::Planned, due, d(2027, 7, 1)));
        assert!(late(ActionStatus::InProgress, due, d(2028, 1, 1)));
        assert!(!late(ActionStatus::Done, due, d(2028, 1, 1)));
        assert!(!late(ActionStatus::Abandoned, due, d(2028, 1, 1)));
    }
}
