//! Contracts (CPOM): the states of a contract and who moves it, its engagements built from a
//! catalogue for one legal entity (applicable model actions, mandatory ones pre-selected,
//! targets pre-filled for the entity's band or named case), and the checks shown before
//! signature.

use serde::{Deserialize, Serialize};

use crate::FinessId;
use crate::catalogue::{
    Catalogue, Decision, EntityFacts, IndicatorKind, Target, TargetRule, TargetYear, target_for,
};
use crate::registry::SizeBand;

/// Where a contract stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractState {
    /// The agency prepares it.
    Preparation,
    /// The agency and the establishment negotiate it.
    Negotiation,
    /// Agreed, waiting for the signatures.
    ReadyToSign,
    /// Signed: in force.
    Signed,
    /// Past its end.
    Expired,
    /// Ended early.
    Terminated,
}

impl ContractState {
    /// Every state, in life order.
    pub const ALL: [ContractState; 6] = [
        ContractState::Preparation,
        ContractState::Negotiation,
        ContractState::ReadyToSign,
        ContractState::Signed,
        ContractState::Expired,
        ContractState::Terminated,
    ];

    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            ContractState::Preparation => "preparation",
            ContractState::Negotiation => "negotiation",
            ContractState::ReadyToSign => "ready_to_sign",
            ContractState::Signed => "signed",
            ContractState::Expired => "expired",
            ContractState::Terminated => "terminated",
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            ContractState::Preparation => "en préparation",
            ContractState::Negotiation => "en négociation",
            ContractState::ReadyToSign => "prêt à signer",
            ContractState::Signed => "signé (en vigueur)",
            ContractState::Expired => "échu",
            ContractState::Terminated => "résilié",
        }
    }

    /// Parses a stable identifier.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }

    /// The states this one may move to.
    pub fn next(self) -> &'static [ContractState] {
        use ContractState::*;
        match self {
            Preparation => &[Negotiation],
            Negotiation => &[Preparation, ReadyToSign],
            ReadyToSign => &[Negotiation, Signed],
            Signed => &[Expired, Terminated],
            Expired | Terminated => &[],
        }
    }

    /// Whether the engagements may still change (before the contract is agreed).
    pub fn editable(self) -> bool {
        matches!(
            self,
            ContractState::Preparation | ContractState::Negotiation
        )
    }

    /// Whether the contract has been signed (in force or ended): then it is frozen.
    pub fn signed(self) -> bool {
        matches!(
            self,
            ContractState::Signed | ContractState::Expired | ContractState::Terminated
        )
    }

    /// The French verb of the move to `to`, for buttons and the history.
    pub fn move_label(self, to: ContractState) -> &'static str {
        use ContractState::*;
        match (self, to) {
            (Preparation, Negotiation) => "Ouvrir la négociation",
            (Negotiation, Preparation) => "Revenir en préparation",
            (Negotiation, ReadyToSign) => "Déclarer prêt à signer",
            (ReadyToSign, Negotiation) => "Rouvrir la négociation",
            (ReadyToSign, Signed) => "Enregistrer la signature",
            (Signed, Expired) => "Constater l'échéance",
            (Signed, Terminated) => "Résilier",
            _ => "Changer d'état",
        }
    }
}

/// Which side of the contract moves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The agency's negotiators and administrators.
    Agency,
    /// The establishment's legal representative.
    Establishment,
}

/// Whether `side` may move a contract from `from` to `to`: the agency makes every move the
/// life cycle allows; the establishment agrees to the negotiated text (négociation → prêt à
/// signer) or reopens the negotiation, nothing else.
pub fn may_move(side: Side, from: ContractState, to: ContractState) -> bool {
    use ContractState::*;
    from.next().contains(&to)
        && match side {
            Side::Agency => true,
            Side::Establishment => {
                matches!(
                    (from, to),
                    (Negotiation, ReadyToSign) | (ReadyToSign, Negotiation)
                )
            }
        }
}

/// The indicator chosen for an engagement (a copy of the fiche's identity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChosenIndicator {
    /// Code of the fiche.
    pub code: String,
    /// Its title.
    pub title: String,
    /// Kind of value declared.
    pub kind: IndicatorKind,
    /// Unit.
    pub unit: Option<String>,
}

/// A negotiated target of an engagement for one year or the whole period.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractTarget {
    /// Year, or the whole period.
    pub year: TargetYear,
    /// As printed in the contract.
    pub text: String,
    /// Structured form.
    pub rule: TargetRule,
    /// Where it comes from: the catalogue's band or named case (`lt100`, `CHU 30`), or
    /// `négocié` once changed.
    pub source: String,
}

/// How a target is stored: its year, its text, its rule as text and its source.
#[derive(Serialize, Deserialize)]
struct StoredTarget {
    year: StoredYear,
    text: String,
    rule_text: String,
    source: String,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum StoredYear {
    Year(i32),
    Total(String),
}

impl Serialize for ContractTarget {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        StoredTarget {
            year: match self.year {
                TargetYear::Year(y) => StoredYear::Year(y),
                TargetYear::Total => StoredYear::Total("total".into()),
            },
            text: self.text.clone(),
            rule_text: self.rule.to_string(),
            source: self.source.clone(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ContractTarget {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let t = StoredTarget::deserialize(d)?;
        Ok(ContractTarget {
            year: match t.year {
                StoredYear::Year(y) => TargetYear::Year(y),
                StoredYear::Total(s) if s == "total" => TargetYear::Total,
                StoredYear::Total(s) => return Err(D::Error::custom(format!("année « {s} »"))),
            },
            rule: TargetRule::parse(&t.rule_text).map_err(|e| D::Error::custom(e.message))?,
            text: t.text,
            source: t.source,
        })
    }
}

/// One engagement of a contract (annex 1): an objective, an action (a model action of the
/// catalogue, or specific to the establishment), one indicator and its targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Engagement {
    /// Stable key within the contract ("E1", "E2"…).
    pub key: String,
    /// Code of the strategic objective.
    pub objective: String,
    /// Its title.
    pub objective_title: String,
    /// Code of the model action; `None` for an engagement specific to the establishment.
    pub action: Option<String>,
    /// Title, personalised where the catalogue allows it.
    pub title: String,
    /// The catalogue's title may not be personalised.
    pub title_locked: bool,
    /// Mandatory model action.
    pub mandatory: bool,
    /// The indicator chosen (one per engagement).
    pub indicator: Option<ChosenIndicator>,
    /// Sites it binds; empty: the whole legal entity.
    pub sites: Vec<FinessId>,
    /// Targets, per year and for the whole period.
    pub targets: Vec<ContractTarget>,
    /// It commits the establishment to a new authorisation.
    pub new_authorisation: bool,
}

/// The content of a contract version: its engagements and diagnostic.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContractContent {
    /// Engagements, in the contract's order.
    pub engagements: Vec<Engagement>,
    /// Diagnostic: strengths.
    pub strengths: Option<String>,
    /// Diagnostic: weaknesses.
    pub weaknesses: Option<String>,
    /// Who signed, once signed.
    #[serde(default)]
    pub signatories: Vec<Signatory>,
    /// The registry as it stood at signature (annex 2, the sites' names); later registry
    /// changes never rewrite a signed contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<crate::contract_document::RegistrySnapshot>,
    /// Diagnostic: the answers to the catalogue's questions (territorial positioning), by
    /// question code.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<Answer>,
    /// Funding lines (FIR, MIGAC, DAF…) with their amount per year.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub funding: Vec<FundingLine>,
    /// Other annexes as text (CAQES, health safety, other contracts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub texts: Vec<TextAnnex>,
}

/// The answer to a question of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// Code of the question.
    pub question: String,
    /// The question, as asked.
    pub text: String,
    /// The answer.
    pub answer: String,
}

/// The kind of a funding line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FundingKind {
    /// Fonds d'intervention régional.
    Fir,
    /// Missions d'intérêt général et d'aide à la contractualisation.
    Migac,
    /// Dotation annuelle de financement.
    Daf,
    /// Another funding.
    Other,
}

impl FundingKind {
    /// Every kind, in the order of the form.
    pub const ALL: [FundingKind; 4] = [
        FundingKind::Fir,
        FundingKind::Migac,
        FundingKind::Daf,
        FundingKind::Other,
    ];

    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            FundingKind::Fir => "fir",
            FundingKind::Migac => "migac",
            FundingKind::Daf => "daf",
            FundingKind::Other => "other",
        }
    }

    /// Short French label.
    pub fn label(self) -> &'static str {
        match self {
            FundingKind::Fir => "FIR",
            FundingKind::Migac => "MIGAC",
            FundingKind::Daf => "DAF",
            FundingKind::Other => "Autre",
        }
    }

    /// Parses a stable identifier or a label.
    pub fn parse(raw: &str) -> Option<Self> {
        let v = raw.trim();
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == v || k.label().eq_ignore_ascii_case(v))
    }
}

/// A funding line of the contract, with its amount (in euros) per year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundingLine {
    /// FIR, MIGAC, DAF or other.
    pub kind: FundingKind,
    /// What it funds.
    pub label: String,
    /// Amount per year, in euros, in year order.
    pub amounts: Vec<(i32, i64)>,
}

/// An annex given as text (CAQES, health safety, another contract).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextAnnex {
    /// Title.
    pub title: String,
    /// Text; blank lines separate paragraphs.
    pub text: String,
}

/// The capacity in which someone signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatoryRole {
    /// The director general of the agency.
    DgArs,
    /// The director general's delegate.
    Delegate,
    /// The establishment's legal representative.
    LegalRepresentative,
    /// Another party (a co-signing organisation).
    Other,
}

impl SignatoryRole {
    /// Every role, in the order of the form.
    pub const ALL: [SignatoryRole; 4] = [
        SignatoryRole::DgArs,
        SignatoryRole::Delegate,
        SignatoryRole::LegalRepresentative,
        SignatoryRole::Other,
    ];

    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatoryRole::DgArs => "dg_ars",
            SignatoryRole::Delegate => "delegate",
            SignatoryRole::LegalRepresentative => "legal_representative",
            SignatoryRole::Other => "other",
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            SignatoryRole::DgArs => "directeur général de l'ARS",
            SignatoryRole::Delegate => "délégataire du directeur général de l'ARS",
            SignatoryRole::LegalRepresentative => "représentant légal de l'établissement",
            SignatoryRole::Other => "autre signataire",
        }
    }

    /// Parses a stable identifier.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw.trim())
    }
}

/// One signatory of a contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signatory {
    /// In which capacity.
    pub role: SignatoryRole,
    /// Name.
    pub name: String,
    /// Function ("Directrice générale", "Directeur").
    pub function: String,
    /// Date of signature.
    pub date: chrono::NaiveDate,
}

/// A signatory as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SignatoryInput {
    /// `dg_ars`, `delegate`, `legal_representative` or `other`.
    #[serde(default)]
    pub role: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Function.
    #[serde(default)]
    pub function: String,
    /// Date, `jj/mm/aaaa` (or `aaaa-mm-jj`).
    #[serde(default)]
    pub date: String,
}

/// Reads the signatories of a signature: blank lines are skipped; each line needs a role,
/// a name, a function and a date not after `today`; the agency (its director general or a
/// delegate) and the establishment's legal representative must both sign. Problems are
/// named by field (`signatories[1].date`).
pub fn read_signatories(
    lines: &[SignatoryInput],
    today: chrono::NaiveDate,
) -> Result<Vec<Signatory>, Vec<ContentError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if [&l.role, &l.name, &l.function, &l.date]
            .iter()
            .all(|v| v.trim().is_empty())
        {
            continue;
        }
        let field = |f: &str| format!("signatories[{i}].{f}");
        let n = i + 1;
        let role = SignatoryRole::parse(&l.role);
        if role.is_none() {
            errors.push(ContentError::new(
                field("role"),
                format!("signataire {n} : qualité à choisir"),
            ));
        }
        for (f, v, what) in [
            ("name", &l.name, "nom"),
            ("function", &l.function, "fonction"),
        ] {
            if v.trim().is_empty() {
                errors.push(ContentError::new(
                    field(f),
                    format!("signataire {n} : {what} obligatoire"),
                ));
            }
        }
        let raw = l.date.trim();
        let date = chrono::NaiveDate::parse_from_str(raw, "%d/%m/%Y")
            .or_else(|_| chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d"))
            .ok();
        match date {
            None => errors.push(ContentError::new(
                field("date"),
                format!("signataire {n} : date attendue au format jj/mm/aaaa"),
            )),
            Some(d) if d > today => errors.push(ContentError::new(
                field("date"),
                format!("signataire {n} : la date de signature ne peut être à venir"),
            )),
            Some(_) => {}
        }
        if let (Some(role), Some(date)) = (role, date) {
            out.push(Signatory {
                role,
                name: l.name.trim().to_owned(),
                function: l.function.trim().to_owned(),
                date,
            });
        }
    }
    if errors.is_empty() {
        let agency = out
            .iter()
            .any(|s| matches!(s.role, SignatoryRole::DgArs | SignatoryRole::Delegate));
        let establishment = out
            .iter()
            .any(|s| s.role == SignatoryRole::LegalRepresentative);
        if !agency {
            errors.push(ContentError::new(
                "signatories",
                "le directeur général de l'ARS ou son délégataire doit signer",
            ));
        }
        if !establishment {
            errors.push(ContentError::new(
                "signatories",
                "le représentant légal de l'établissement doit signer",
            ));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// A model action of the catalogue as proposed for one legal entity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    /// Code of the model action.
    pub action: String,
    /// Its title.
    pub title: String,
    /// Code of its objective.
    pub objective: String,
    /// Mandatory where it applies.
    pub mandatory: bool,
    /// Whether it applies to the entity.
    pub applies: bool,
    /// Why, in French.
    pub reason: String,
    /// Pre-selected: mandatory and applicable.
    pub preselected: bool,
    /// Codes of its candidate fiches.
    pub indicators: Vec<String>,
}

/// The model actions of a catalogue for a legal entity, with the applicability decision of
/// each; the applicable mandatory ones are pre-selected.
pub fn proposals(c: &Catalogue, facts: &EntityFacts) -> Vec<Proposal> {
    c.actions
        .iter()
        .map(|a| {
            let d = match &a.applies_if {
                Some(rule) => rule.decide(facts),
                None => Decision {
                    applies: true,
                    reason: "aucune condition : toutes les entités".into(),
                },
            };
            Proposal {
                action: a.code.clone(),
                title: a.title.clone(),
                objective: a.objective.clone(),
                mandatory: a.mandatory,
                preselected: a.mandatory && d.applies,
                applies: d.applies,
                reason: d.reason,
                indicators: c.indicators_of(&a.code).map(|i| i.code.clone()).collect(),
            }
        })
        .collect()
}

/// Why an engagement could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownItem(pub String);

/// An engagement for a model action of the catalogue, with `indicator` (default: the
/// action's first fiche) and its targets pre-filled for the entity, year by year then for the
/// period: its named case, else its band's, else the one for every establishment.
pub fn engagement_from(
    c: &Catalogue,
    key: String,
    action: &str,
    indicator: Option<&str>,
    finess: Option<&FinessId>,
    band: Option<SizeBand>,
) -> Result<Engagement, UnknownItem> {
    let a =
        c.actions.iter().find(|a| a.code == action).ok_or_else(|| {
            UnknownItem(format!("action type « {action} » absente du référentiel"))
        })?;
    let objective_title = c
        .objectives
        .iter()
        .find(|o| o.code == a.objective)
        .map(|o| o.title.clone())
        .unwrap_or_default();
    let fiche = match indicator {
        Some(code) => Some(
            c.indicators_of(action)
                .find(|i| i.code == code)
                .ok_or_else(|| {
                    UnknownItem(format!(
                        "la fiche « {code} » n'est pas une fiche de l'action « {action} »"
                    ))
                })?,
        ),
        None => c.indicators_of(action).next(),
    };
    let targets = fiche.map_or_else(Vec::new, |f| {
        let mut out = Vec::new();
        let years = (c.start_year..=c.end_year).map(TargetYear::Year);
        for year in years.chain([TargetYear::Total]) {
            // Among the targets of that year (or of the period), the entity's named case,
            // else its band's, else the one for every establishment.
            let of_year: Vec<Target> = f
                .targets
                .iter()
                .filter(|t| t.year == year)
                .cloned()
                .collect();
            let found = target_for(
                &of_year,
                finess,
                band,
                match year {
                    TargetYear::Year(y) => y,
                    TargetYear::Total => c.start_year,
                },
            );
            if let Some(t) = found {
                out.push(ContractTarget {
                    year,
                    text: t.text.clone(),
                    rule: t.rule.clone(),
                    source: t.band.as_str().to_owned(),
                });
            }
        }
        out
    });
    Ok(Engagement {
        key,
        objective: a.objective.clone(),
        objective_title,
        action: Some(a.code.clone()),
        title: a.title.clone(),
        title_locked: a.title_locked,
        mandatory: a.mandatory,
        indicator: fiche.map(|f| ChosenIndicator {
            code: f.code.clone(),
            title: f.title.clone(),
            kind: f.kind,
            unit: f.unit.clone(),
        }),
        sites: vec![],
        targets,
        new_authorisation: false,
    })
}

/// The first contract content for a legal entity: one engagement per pre-selected proposal,
/// keyed E1, E2… in the catalogue's order.
pub fn initial_content(
    c: &Catalogue,
    proposals: &[Proposal],
    finess: Option<&FinessId>,
    band: Option<SizeBand>,
) -> ContractContent {
    let engagements = proposals
        .iter()
        .filter(|p| p.preselected)
        .enumerate()
        .filter_map(|(i, p)| {
            engagement_from(c, format!("E{}", i + 1), &p.action, None, finess, band).ok()
        })
        .collect();
    ContractContent {
        engagements,
        ..ContractContent::default()
    }
}

/// Why a change to a contract's engagements was refused: the field and the French message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    /// Field of the input (`action`, `title`, `targets[1].rule_text`…).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl ContentError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The next free engagement key (`E` and one more than the largest number used).
fn next_key(content: &ContractContent) -> String {
    let n = content
        .engagements
        .iter()
        .filter_map(|e| e.key.strip_prefix('E')?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    format!("E{}", n + 1)
}

/// Adds the engagement of a model action (once per contract), with `indicator` or the
/// action's first fiche, targets pre-filled for the entity.
pub fn add_engagement(
    content: &ContractContent,
    c: &Catalogue,
    action: &str,
    indicator: Option<&str>,
    finess: Option<&FinessId>,
    band: Option<SizeBand>,
) -> Result<ContractContent, ContentError> {
    let action = action.trim();
    if let Some(e) = content
        .engagements
        .iter()
        .find(|e| e.action.as_deref() == Some(action))
    {
        return Err(ContentError::new(
            "action",
            format!(
                "l'action « {action} » est déjà au contrat (engagement {})",
                e.key
            ),
        ));
    }
    let e = engagement_from(c, next_key(content), action, indicator, finess, band)
        .map_err(|UnknownItem(m)| ContentError::new("action", m))?;
    let mut out = content.clone();
    out.engagements.push(e);
    Ok(out)
}

/// An engagement specific to the establishment, as typed: the catalogue objective it serves,
/// its title, and its own indicator (title, kind, unit); targets are set afterwards.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SpecificInput {
    /// Code of an objective of the catalogue.
    #[serde(default)]
    pub objective: String,
    /// Title of the engagement.
    #[serde(default)]
    pub title: String,
    /// Title of its indicator.
    #[serde(default)]
    pub indicator_title: String,
    /// Kind of value declared (`count`, `rate`, `yes_no`, `amount`, `milestone`, `text`).
    #[serde(default)]
    pub kind: String,
    /// Unit.
    pub unit: Option<String>,
}

/// Adds an engagement specific to the establishment (not from a model action): it serves an
/// objective of the catalogue and has its own indicator, with no target yet.
pub fn add_specific_engagement(
    content: &ContractContent,
    c: &Catalogue,
    input: &SpecificInput,
) -> Result<ContractContent, Vec<ContentError>> {
    let mut errors = vec![];
    let objective = c
        .objectives
        .iter()
        .find(|o| o.code == input.objective.trim());
    if objective.is_none() {
        errors.push(ContentError::new(
            "objective",
            if input.objective.trim().is_empty() {
                "choisissez l'objectif du référentiel que sert l'engagement".to_string()
            } else {
                format!(
                    "le référentiel n'a pas d'objectif « {} »",
                    input.objective.trim()
                )
            },
        ));
    }
    let title = input.title.trim();
    if title.is_empty() {
        errors.push(ContentError::new("title", "l'intitulé est obligatoire"));
    } else if title.chars().count() > 500 {
        errors.push(ContentError::new(
            "title",
            "intitulé trop long (500 caractères au plus)",
        ));
    }
    let indicator_title = input.indicator_title.trim();
    if indicator_title.is_empty() {
        errors.push(ContentError::new(
            "indicator_title",
            "l'intitulé de l'indicateur est obligatoire",
        ));
    }
    let kind = IndicatorKind::parse(input.kind.trim());
    if kind.is_none() {
        errors.push(ContentError::new(
            "kind",
            "choisissez le type de valeur de l'indicateur",
        ));
    }
    let (Some(objective), Some(kind), true) = (objective, kind, errors.is_empty()) else {
        return Err(errors);
    };
    let key = next_key(content);
    let mut out = content.clone();
    out.engagements.push(Engagement {
        key: key.clone(),
        objective: objective.code.clone(),
        objective_title: objective.title.clone(),
        action: None,
        title: title.to_owned(),
        title_locked: false,
        mandatory: false,
        indicator: Some(ChosenIndicator {
            code: format!("{key}-IND"),
            title: indicator_title.to_owned(),
            kind,
            unit: input
                .unit
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_owned),
        }),
        sites: vec![],
        targets: vec![],
        new_authorisation: false,
    });
    Ok(out)
}

/// Removes an engagement.
pub fn remove_engagement(
    content: &ContractContent,
    key: &str,
) -> Result<ContractContent, ContentError> {
    let mut out = content.clone();
    let before = out.engagements.len();
    out.engagements.retain(|e| e.key != key);
    if out.engagements.len() == before {
        return Err(ContentError::new(
            "key",
            format!("pas d'engagement « {key} »"),
        ));
    }
    Ok(out)
}

/// A target as typed in the contract form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TargetLine {
    /// A year, or `total`.
    #[serde(default)]
    pub year: String,
    /// As printed in the contract (empty: the rule's text).
    #[serde(default)]
    pub text: String,
    /// The rule.
    #[serde(default)]
    pub rule_text: String,
}

/// A change to one engagement, as typed: its title (where it may be personalised), its
/// indicator (another fiche of its action: targets pre-filled again), its sites, its
/// targets, and whether it commits to a new authorisation.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EngagementChange {
    /// New title.
    pub title: Option<String>,
    /// Code of another fiche of the action.
    pub indicator: Option<String>,
    /// FINESS ET of the sites it binds (empty: the legal entity).
    pub sites: Option<Vec<String>>,
    /// Targets (replace the current ones); ignored when the indicator changes.
    pub targets: Option<Vec<TargetLine>>,
    /// Commits to a new authorisation.
    pub new_authorisation: Option<bool>,
}

/// Applies a change to the engagement `key`: every problem named by its field. `sites_of_ej`
/// lists the FINESS ET the entity's engagements may bind.
#[allow(clippy::too_many_arguments)]
pub fn change_engagement(
    content: &ContractContent,
    c: &Catalogue,
    key: &str,
    change: &EngagementChange,
    sites_of_ej: &[FinessId],
    finess: Option<&FinessId>,
    band: Option<SizeBand>,
) -> Result<ContractContent, Vec<ContentError>> {
    let mut out = content.clone();
    let Some(e) = out.engagements.iter_mut().find(|e| e.key == key) else {
        return Err(vec![ContentError::new(
            "key",
            format!("pas d'engagement « {key} »"),
        )]);
    };
    let mut errors = Vec::new();
    if let Some(title) = &change.title {
        let title = title.trim();
        if title.is_empty() {
            errors.push(ContentError::new("title", "l'intitulé est obligatoire"));
        } else if title != e.title && e.title_locked {
            errors.push(ContentError::new(
                "title",
                "l'intitulé de cette action type n'est pas personnalisable",
            ));
        } else {
            title.clone_into(&mut e.title);
        }
    }
    if let Some(sites) = &change.sites {
        let mut chosen = Vec::new();
        for raw in sites.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            match FinessId::parse(raw) {
                Ok(id) if sites_of_ej.contains(&id) => {
                    if !chosen.contains(&id) {
                        chosen.push(id);
                    }
                }
                _ => errors.push(ContentError::new(
                    "sites",
                    format!(
                        "« {raw} » n'est pas un établissement (FINESS ET) de l'entité juridique"
                    ),
                )),
            }
        }
        e.sites = chosen;
    }
    if let Some(b) = change.new_authorisation {
        e.new_authorisation = b;
    }
    let indicator_changed = match (&change.indicator, &e.indicator) {
        (Some(new), Some(old)) => new.trim() != old.code,
        (Some(new), None) => !new.trim().is_empty(),
        _ => false,
    };
    if indicator_changed {
        let code = change.indicator.as_deref().unwrap_or_default().trim();
        match e.action.clone() {
            Some(action) => {
                match engagement_from(c, e.key.clone(), &action, Some(code), finess, band) {
                    Ok(fresh) => {
                        e.indicator = fresh.indicator;
                        e.targets = fresh.targets;
                    }
                    Err(UnknownItem(m)) => errors.push(ContentError::new("indicator", m)),
                }
            }
            None => errors.push(ContentError::new(
                "indicator",
                "un engagement spécifique n'a pas de fiche du référentiel",
            )),
        }
    } else if let Some(lines) = &change.targets {
        let years = c.start_year..=c.end_year;
        let mut targets: Vec<ContractTarget> = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            let field = |f: &str| format!("targets[{i}].{f}");
            if l.year.trim().is_empty() && l.rule_text.trim().is_empty() && l.text.trim().is_empty()
            {
                continue;
            }
            let year = match l.year.trim() {
                "total" => Some(TargetYear::Total),
                y => y
                    .parse::<i32>()
                    .ok()
                    .filter(|y| years.contains(y))
                    .map(TargetYear::Year),
            };
            let Some(year) = year else {
                errors.push(ContentError::new(
                    field("year"),
                    format!(
                        "cible de la ligne {} : année de {} à {} attendue, ou « total »",
                        i + 1,
                        c.start_year,
                        c.end_year
                    ),
                ));
                continue;
            };
            let rule = match TargetRule::parse(&l.rule_text) {
                Ok(r) => r,
                Err(err) => {
                    errors.push(ContentError::new(
                        field("rule_text"),
                        format!(
                            "cible de la ligne {}, colonne {} : {}",
                            i + 1,
                            err.column,
                            err.message
                        ),
                    ));
                    continue;
                }
            };
            if let Some(ind) = &e.indicator
                && !ind.kind.accepts(&rule)
            {
                errors.push(ContentError::new(
                    field("rule_text"),
                    format!(
                        "cible de la ligne {} : la règle « {rule} » ne convient pas à un indicateur de type {}",
                        i + 1,
                        ind.kind.label()
                    ),
                ));
                continue;
            }
            if targets.iter().any(|t| t.year == year) {
                errors.push(ContentError::new(
                    field("year"),
                    format!("cible de la ligne {} : deux cibles pour {year}", i + 1),
                ));
                continue;
            }
            let text = if l.text.trim().is_empty() {
                l.rule_text.trim().to_owned()
            } else {
                l.text.trim().to_owned()
            };
            // A target left as the catalogue gave it keeps its source.
            let source = e
                .targets
                .iter()
                .find(|t| t.year == year && t.text == text && t.rule == rule)
                .map_or_else(|| "négocié".to_owned(), |t| t.source.clone());
            targets.push(ContractTarget {
                year,
                text,
                rule,
                source,
            });
        }
        targets.sort_by_key(|t| t.year);
        e.targets = targets;
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Longest comment accepted, in characters.
pub const MAX_COMMENT: usize = 5000;

/// Checks a comment before it is posted: a non-empty text of at most [`MAX_COMMENT`]
/// characters, on the contract or on one of its engagements. Returns the trimmed text.
pub fn check_comment(
    content: &ContractContent,
    engagement: Option<&str>,
    body: &str,
) -> Result<String, ContentError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(ContentError::new("body", "le commentaire est vide"));
    }
    let n = body.chars().count();
    if n > MAX_COMMENT {
        return Err(ContentError::new(
            "body",
            format!("le commentaire fait {n} caractères ; {MAX_COMMENT} au plus"),
        ));
    }
    if let Some(key) = engagement
        && !content.engagements.iter().any(|e| e.key == key)
    {
        return Err(ContentError::new(
            "engagement",
            format!("pas d'engagement « {key} » dans ce contrat"),
        ));
    }
    Ok(body.to_owned())
}

/// A check failed before signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Stable code: `missing_mandatory`, `no_indicator`, `missing_target`,
    /// `too_many_objectives`, `too_few_objectives`, `new_authorisation`.
    pub code: &'static str,
    /// Engagement concerned, if any.
    pub engagement: Option<String>,
    /// French message.
    pub message: String,
}

/// How many priority objectives a contract of the region may hold (BFC: 3 to 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectiveLimits {
    /// At least.
    pub min: usize,
    /// At most.
    pub max: usize,
}

/// The checks shown before signature: applicable mandatory actions missing, engagements
/// without an indicator or without a target for a year of the contract, more (or fewer)
/// objectives than the region allows, engagements committing to a new authorisation.
pub fn checks(
    content: &ContractContent,
    proposals: &[Proposal],
    years: std::ops::RangeInclusive<i32>,
    limits: Option<ObjectiveLimits>,
) -> Vec<Warning> {
    let mut out = Vec::new();
    for p in proposals.iter().filter(|p| p.mandatory && p.applies) {
        if !content
            .engagements
            .iter()
            .any(|e| e.action.as_deref() == Some(p.action.as_str()))
        {
            out.push(Warning {
                code: "missing_mandatory",
                engagement: None,
                message: format!(
                    "L'action obligatoire « {} — {} » s'applique à l'établissement ({}) mais ne figure pas au contrat.",
                    p.action, p.title, p.reason
                ),
            });
        }
    }
    for e in &content.engagements {
        if e.indicator.is_none() {
            out.push(Warning {
                code: "no_indicator",
                engagement: Some(e.key.clone()),
                message: format!(
                    "Engagement {} « {} » : aucun indicateur choisi.",
                    e.key, e.title
                ),
            });
            continue;
        }
        let has = |y: TargetYear| e.targets.iter().any(|t| t.year == y);
        if !has(TargetYear::Total) {
            let missing: Vec<String> = years
                .clone()
                .filter(|y| !has(TargetYear::Year(*y)))
                .map(|y| y.to_string())
                .collect();
            if !missing.is_empty() {
                out.push(Warning {
                    code: "missing_target",
                    engagement: Some(e.key.clone()),
                    message: format!(
                        "Engagement {} « {} » : pas de cible pour {}.",
                        e.key,
                        e.title,
                        missing.join(", ")
                    ),
                });
            }
        }
        if e.new_authorisation {
            out.push(Warning {
                code: "new_authorisation",
                engagement: Some(e.key.clone()),
                message: format!(
                    "Engagement {} « {} » : il engage sur une nouvelle autorisation, qui relève de la procédure d'autorisation et non du contrat.",
                    e.key, e.title
                ),
            });
        }
    }
    if let Some(l) = limits {
        let mut objectives: Vec<&str> = content
            .engagements
            .iter()
            .map(|e| e.objective.as_str())
            .collect();
        objectives.sort_unstable();
        objectives.dedup();
        let n = objectives.len();
        if n > l.max {
            out.push(Warning {
                code: "too_many_objectives",
                engagement: None,
                message: format!(
                    "{n} objectifs prioritaires : la région en prévoit {} au plus.",
                    l.max
                ),
            });
        } else if n < l.min {
            out.push(Warning {
                code: "too_few_objectives",
                engagement: None,
                message: format!(
                    "{n} objectif(s) prioritaire(s) : la région en prévoit {} au moins.",
                    l.min
                ),
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Diagnostic and annexes.

/// A funding line as typed: its kind, label, and amount per year as text.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FundingInput {
    /// `fir`, `migac`, `daf` or `other`.
    #[serde(default)]
    pub kind: String,
    /// What it funds.
    #[serde(default)]
    pub label: String,
    /// Amount per year (`"2025": "120 000"`).
    #[serde(default)]
    pub amounts: std::collections::BTreeMap<String, String>,
}

/// A text annex as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TextInput {
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Text.
    #[serde(default)]
    pub text: String,
}

/// The diagnostic and annexes of a contract as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AnnexesInput {
    /// Strengths.
    pub strengths: Option<String>,
    /// Weaknesses.
    pub weaknesses: Option<String>,
    /// Answers by question code.
    #[serde(default)]
    pub answers: std::collections::BTreeMap<String, String>,
    /// Funding lines (blank ones are ignored).
    #[serde(default)]
    pub funding: Vec<FundingInput>,
    /// Text annexes (blank ones are ignored).
    #[serde(default)]
    pub texts: Vec<TextInput>,
}

/// Most funding lines, text annexes.
pub const MAX_ANNEX_LINES: usize = 30;
/// Longest diagnostic text or answer.
pub const MAX_DIAGNOSTIC_CHARS: usize = 10_000;
/// Longest text annex.
pub const MAX_TEXT_ANNEX_CHARS: usize = 100_000;

/// Reads the diagnostic and annexes typed for a contract over `years` whose catalogue asks
/// `questions`, into `content`: every problem named by its field (`funding[2].amounts.2026`).
pub fn apply_annexes(
    content: &ContractContent,
    input: &AnnexesInput,
    years: std::ops::RangeInclusive<i32>,
    questions: &[crate::catalogue::Question],
) -> Result<ContractContent, Vec<ContentError>> {
    let mut errors = vec![];
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let too_long = |field: String, v: &str, max: usize, errors: &mut Vec<ContentError>| {
        if v.chars().count() > max {
            errors.push(ContentError::new(
                &field,
                format!("texte trop long (au plus {max} caractères)"),
            ));
        }
    };
    let strengths = text(&input.strengths);
    let weaknesses = text(&input.weaknesses);
    for (field, v) in [("strengths", &strengths), ("weaknesses", &weaknesses)] {
        if let Some(v) = v {
            too_long(field.into(), v, MAX_DIAGNOSTIC_CHARS, &mut errors);
        }
    }
    let mut answers = vec![];
    for (code, answer) in &input.answers {
        let answer = answer.trim();
        let Some(q) = questions.iter().find(|q| q.code == *code) else {
            errors.push(ContentError::new(
                format!("answers.{code}"),
                format!("le référentiel n'a pas de question « {code} »"),
            ));
            continue;
        };
        if answer.is_empty() {
            continue;
        }
        too_long(
            format!("answers.{code}"),
            answer,
            MAX_DIAGNOSTIC_CHARS,
            &mut errors,
        );
        answers.push(Answer {
            question: q.code.clone(),
            text: q.text.clone(),
            answer: answer.to_owned(),
        });
    }
    // In the catalogue's order.
    answers.sort_by_key(|a| questions.iter().position(|q| q.code == a.question));

    let mut funding = vec![];
    for (i, line) in input.funding.iter().enumerate() {
        let at = |f: &str| format!("funding[{}].{f}", i + 1);
        let label = line.label.trim();
        let typed: Vec<(&String, &str)> = line
            .amounts
            .iter()
            .map(|(y, a)| (y, a.trim()))
            .filter(|(_, a)| !a.is_empty())
            .collect();
        if line.kind.trim().is_empty() && label.is_empty() && typed.is_empty() {
            continue;
        }
        let kind = FundingKind::parse(&line.kind);
        if kind.is_none() {
            errors.push(ContentError::new(
                at("kind"),
                "type de financement à choisir : FIR, MIGAC, DAF ou autre",
            ));
        }
        if label.is_empty() {
            errors.push(ContentError::new(at("label"), "libellé obligatoire"));
        } else if label.chars().count() > 300 {
            errors.push(ContentError::new(
                at("label"),
                "libellé trop long (300 caractères au plus)",
            ));
        }
        let mut amounts = vec![];
        for (year, amount) in typed {
            let field = at(&format!("amounts.{year}"));
            let Ok(y) = year.trim().parse::<i32>() else {
                errors.push(ContentError::new(
                    field.clone(),
                    format!("« {year} » n'est pas une année"),
                ));
                continue;
            };
            if !years.contains(&y) {
                errors.push(ContentError::new(
                    &field,
                    format!(
                        "l'année {y} est hors de la période {}–{}",
                        years.start(),
                        years.end()
                    ),
                ));
                continue;
            }
            let digits: String = amount
                .chars()
                .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '€'))
                .collect();
            match digits.parse::<i64>() {
                Ok(v) if v >= 0 => amounts.push((y, v)),
                _ => errors.push(ContentError::new(
                    &field,
                    format!("« {amount} » n'est pas un montant en euros entiers"),
                )),
            }
        }
        if amounts.is_empty() && !errors.iter().any(|e| e.field.starts_with(&at(""))) {
            errors.push(ContentError::new(
                at("amounts"),
                "au moins un montant annuel",
            ));
        }
        amounts.sort();
        if let Some(kind) = kind {
            funding.push(FundingLine {
                kind,
                label: label.to_owned(),
                amounts,
            });
        }
    }
    let mut texts = vec![];
    for (i, t) in input.texts.iter().enumerate() {
        let at = |f: &str| format!("texts[{}].{f}", i + 1);
        let (title, body) = (t.title.trim(), t.text.trim());
        if title.is_empty() && body.is_empty() {
            continue;
        }
        if title.is_empty() {
            errors.push(ContentError::new(
                at("title"),
                "titre de l'annexe obligatoire",
            ));
        }
        if body.is_empty() {
            errors.push(ContentError::new(
                at("text"),
                "texte de l'annexe obligatoire",
            ));
        }
        too_long(at("text"), body, MAX_TEXT_ANNEX_CHARS, &mut errors);
        texts.push(TextAnnex {
            title: title.to_owned(),
            text: body.to_owned(),
        });
    }
    if funding.len() > MAX_ANNEX_LINES || texts.len() > MAX_ANNEX_LINES {
        errors.push(ContentError::new(
            "funding",
            format!("au plus {MAX_ANNEX_LINES} lignes de financement et {MAX_ANNEX_LINES} annexes"),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ContractContent {
        strengths,
        weaknesses,
        answers,
        funding,
        texts,
        ..content.clone()
    })
}

// ---------------------------------------------------------------------------------------
// Avenants.

/// Whether a contract has a version in force: signed and running, or with an avenant being
/// prepared, negotiated or ready to sign (its previous signed version stays in force).
pub fn in_force(state: ContractState, avenant: i32) -> bool {
    state == ContractState::Signed || under_avenant(state, avenant)
}

/// Whether an avenant is being prepared, negotiated or made ready to sign: the contract's
/// content is then the avenant's draft, and the version in force is the one signed before.
pub fn under_avenant(state: ContractState, avenant: i32) -> bool {
    avenant > 0 && !state.signed()
}

/// Whether an avenant may be proposed on a contract in this state: only on one in force.
pub fn may_amend(state: ContractState) -> bool {
    state == ContractState::Signed
}

/// The content an avenant starts from: the version in force, without its signatures nor its
/// frozen registry facts (both come again when the avenant is signed).
pub fn avenant_start(in_force: &ContractContent) -> ContractContent {
    ContractContent {
        signatories: vec![],
        registry: None,
        ..in_force.clone()
    }
}

/// An engagement named in a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EngagementRef {
    /// Key.
    pub key: String,
    /// Title.
    pub title: String,
}

/// A target changed from one version to the next (`None`: no target that year).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetChange {
    /// Year, or the whole period.
    pub year: TargetYear,
    /// Before.
    pub from: Option<String>,
    /// After.
    pub to: Option<String>,
}

/// How one engagement present in both versions changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EngagementDiff {
    /// Key.
    pub key: String,
    /// Title (after).
    pub title: String,
    /// Changes other than targets, in French ("titre : « a » → « b »").
    pub changes: Vec<String>,
    /// Targets changed, in year order.
    pub targets: Vec<TargetChange>,
}

/// What an avenant changes: engagements added, removed, and changed (targets from → to, per
/// year).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ContentDiff {
    /// In the new version only.
    pub added: Vec<EngagementRef>,
    /// In the old version only.
    pub removed: Vec<EngagementRef>,
    /// In both, changed.
    pub changed: Vec<EngagementDiff>,
}

impl ContentDiff {
    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

fn target_text(t: &ContractTarget) -> String {
    if t.text.trim().is_empty() {
        t.rule.to_string()
    } else {
        t.text.clone()
    }
}

/// Compares two versions of a contract's engagements. Engagements are matched by key and
/// model action: the same key on another action is one removed and one added.
pub fn diff(old: &ContractContent, new: &ContractContent) -> ContentDiff {
    let same = |a: &Engagement, b: &Engagement| a.key == b.key && a.action == b.action;
    let as_ref = |e: &Engagement| EngagementRef {
        key: e.key.clone(),
        title: e.title.clone(),
    };
    let mut out = ContentDiff {
        added: new
            .engagements
            .iter()
            .filter(|n| !old.engagements.iter().any(|o| same(o, n)))
            .map(as_ref)
            .collect(),
        removed: old
            .engagements
            .iter()
            .filter(|o| !new.engagements.iter().any(|n| same(o, n)))
            .map(as_ref)
            .collect(),
        changed: vec![],
    };
    for n in &new.engagements {
        let Some(o) = old.engagements.iter().find(|o| same(o, n)) else {
            continue;
        };
        let mut changes = vec![];
        if o.title != n.title {
            changes.push(format!("titre : « {} » → « {} »", o.title, n.title));
        }
        let indicator = |e: &Engagement| e.indicator.as_ref().map(|i| i.code.clone());
        if indicator(o) != indicator(n) {
            changes.push(format!(
                "indicateur : {} → {}",
                indicator(o).unwrap_or_else(|| "aucun".into()),
                indicator(n).unwrap_or_else(|| "aucun".into())
            ));
        }
        if o.sites != n.sites {
            let sites = |e: &Engagement| {
                if e.sites.is_empty() {
                    "toute l'entité juridique".to_string()
                } else {
                    e.sites
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            changes.push(format!("périmètre : {} → {}", sites(o), sites(n)));
        }
        if o.new_authorisation != n.new_authorisation {
            changes.push(if n.new_authorisation {
                "engage désormais sur une nouvelle autorisation".into()
            } else {
                "n'engage plus sur une nouvelle autorisation".into()
            });
        }
        let mut years: Vec<TargetYear> =
            o.targets.iter().chain(&n.targets).map(|t| t.year).collect();
        years.sort();
        years.dedup();
        let targets: Vec<TargetChange> = years
            .into_iter()
            .filter_map(|year| {
                let find =
                    |e: &Engagement| e.targets.iter().find(|t| t.year == year).map(target_text);
                let (from, to) = (find(o), find(n));
                (from != to).then_some(TargetChange { year, from, to })
            })
            .collect();
        if !changes.is_empty() || !targets.is_empty() {
            out.changed.push(EngagementDiff {
                key: n.key.clone(),
                title: n.title.clone(),
                changes,
                targets,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::tests::small;
    use crate::catalogue::{Applicability, TargetBand};

    #[test]
    fn the_life_cycle_moves_forward_with_two_ways_back_into_negotiation() {
        use ContractState::*;
        assert!(may_move(Side::Agency, Preparation, Negotiation));
        assert!(may_move(Side::Agency, ReadyToSign, Signed));
        assert!(may_move(Side::Agency, Signed, Terminated));
        assert!(!may_move(Side::Agency, Preparation, Signed), "no skipping");
        assert!(
            !may_move(Side::Agency, Signed, Negotiation),
            "signed is frozen"
        );
        assert!(!may_move(Side::Agency, Expired, Signed));
        assert!(may_move(Side::Establishment, Negotiation, ReadyToSign));
        assert!(may_move(Side::Establishment, ReadyToSign, Negotiation));
        assert!(!may_move(Side::Establishment, Preparation, Negotiation));
        assert!(!may_move(Side::Establishment, ReadyToSign, Signed));
        assert!(Negotiation.editable() && !ReadyToSign.editable());
        assert!(Expired.signed() && !ReadyToSign.signed());
        for s in ContractState::ALL {
            assert_eq!(ContractState::parse(s.as_str()), Some(s));
        }
    }

    fn catalogue() -> Catalogue {
        let mut c = small();
        // A second action, optional and only for public entities.
        let mut a = c.actions[0].clone();
        a.code = "1.1-2".into();
        a.mandatory = false;
        a.applies_if = Some(Applicability::parse("statut public").expect("rule"));
        c.actions.push(a);
        // A third, mandatory but only in a GHT.
        let mut b = c.actions[0].clone();
        b.code = "1.1-3".into();
        b.applies_if = Some(Applicability::parse("ght").expect("rule"));
        c.actions.push(b);
        let t = |band: &str, year, rule: &str| Target {
            band: TargetBand::parse(band).expect("band"),
            finess: None,
            year,
            text: format!("imprimé {rule}"),
            rule: TargetRule::parse(rule).expect("rule"),
            to_confirm: false,
        };
        c.indicators[0].targets = vec![
            t("all", TargetYear::Year(2025), "sans objet"),
            t("all", TargetYear::Year(2026), "+1 vs N-1"),
            t("ge500", TargetYear::Year(2026), "+2 vs N-1"),
            t("ge500", TargetYear::Total, "cumul >= 6"),
        ];
        c
    }

    fn facts(in_ght: bool) -> EntityFacts {
        EntityFacts {
            finess: None,
            status: None,
            band: Some(SizeBand::Ge500),
            labels: vec![],
            authorisations: vec![],
            in_ght,
        }
    }

    #[test]
    fn the_applicable_mandatory_actions_are_preselected() {
        let c = catalogue();
        let p = proposals(&c, &facts(false));
        let pre: Vec<(&str, bool, bool)> = p
            .iter()
            .map(|p| (p.action.as_str(), p.applies, p.preselected))
            .collect();
        assert_eq!(
            pre,
            [
                ("1.1-1", true, true),
                ("1.1-2", false, false),
                ("1.1-3", false, false)
            ]
        );
        let p = proposals(&c, &facts(true));
        assert!(p[2].preselected, "mandatory and in a GHT");
        assert_eq!(p[0].indicators, ["I1"]);
    }

    #[test]
    fn targets_are_prefilled_for_the_band_year_by_year_then_for_the_period() {
        let c = catalogue();
        let e = engagement_from(&c, "E1".into(), "1.1-1", None, None, Some(SizeBand::Ge500))
            .expect("engagement");
        assert_eq!(e.indicator.as_ref().map(|i| i.code.as_str()), Some("I1"));
        let got: Vec<(String, &str, &str)> = e
            .targets
            .iter()
            .map(|t| (t.year.to_string(), t.text.as_str(), t.source.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("2025".to_owned(), "imprimé sans objet", "all"),
                ("2026".to_owned(), "imprimé +2 vs N-1", "ge500"),
                ("total".to_owned(), "imprimé cumul >= 6", "ge500"),
            ]
        );
        // A smaller entity gets the targets for all, and no period target.
        let e = engagement_from(&c, "E1".into(), "1.1-1", None, None, Some(SizeBand::Lt100))
            .expect("engagement");
        assert_eq!(e.targets.len(), 2);
        assert_eq!(e.targets[1].text, "imprimé +1 vs N-1");
        assert!(engagement_from(&c, "E9".into(), "1.1-1", Some("I9"), None, None).is_err());
    }

    #[test]
    fn checks_name_what_is_missing_before_signature() {
        let c = catalogue();
        let p = proposals(&c, &facts(true));
        let content = initial_content(&c, &p, None, Some(SizeBand::Lt100));
        assert_eq!(content.engagements.len(), 2, "1.1-1 and 1.1-3");
        let w = checks(&content, &p, 2025..=2029, None);
        let codes: Vec<&str> = w.iter().map(|w| w.code).collect();
        // 1.1-3 has no fiche in the catalogue: the indicator is to be defined.
        assert_eq!(codes, ["missing_target", "no_indicator"]);
        assert_eq!(
            w[0].message,
            "Engagement E1 « Coopérer » : pas de cible pour 2027, 2028, 2029."
        );
        let mut partial = content.clone();
        partial.engagements.remove(1);
        partial.engagements[0].new_authorisation = true;
        partial.engagements[0].targets.push(ContractTarget {
            year: TargetYear::Total,
            text: "6".into(),
            rule: TargetRule::parse("cumul >= 6").expect("rule"),
            source: "négocié".into(),
        });
        let w = checks(
            &partial,
            &p,
            2025..=2029,
            Some(ObjectiveLimits { min: 3, max: 5 }),
        );
        let codes: Vec<&str> = w.iter().map(|w| w.code).collect();
        assert_eq!(
            codes,
            [
                "missing_mandatory",
                "new_authorisation",
                "too_few_objectives"
            ]
        );
        assert!(w[0].message.contains("1.1-3"), "{}", w[0].message);
    }

    #[test]
    fn engagements_are_added_once_changed_field_by_field_and_removed() {
        let c = catalogue();
        let content = ContractContent::default();
        let content =
            add_engagement(&content, &c, "1.1-2", None, None, Some(SizeBand::Ge500)).expect("add");
        assert_eq!(content.engagements[0].key, "E1");
        let again = add_engagement(&content, &c, "1.1-2", None, None, None);
        assert_eq!(again.expect_err("twice").field, "action");
        let content =
            add_engagement(&content, &c, "1.1-1", None, None, Some(SizeBand::Ge500)).expect("add");
        assert_eq!(content.engagements[1].key, "E2");
        let site = FinessId::parse("340000199").expect("finess");
        let change = EngagementChange {
            title: Some("Coopérer avec le CHU".into()),
            sites: Some(vec!["340000199".into()]),
            targets: Some(vec![
                TargetLine {
                    year: "2027".into(),
                    text: String::new(),
                    rule_text: "+2 vs N-1".into(),
                },
                TargetLine::default(),
                TargetLine {
                    year: "2026".into(),
                    text: "imprimé +2 vs N-1".into(),
                    rule_text: "+2 vs N-1".into(),
                },
            ]),
            ..Default::default()
        };
        let changed = change_engagement(
            &content,
            &c,
            "E2",
            &change,
            std::slice::from_ref(&site),
            None,
            Some(SizeBand::Ge500),
        )
        .expect("changed");
        let e = &changed.engagements[1];
        assert_eq!(e.title, "Coopérer avec le CHU");
        assert_eq!(e.sites, std::slice::from_ref(&site));
        let t: Vec<(String, &str, &str)> = e
            .targets
            .iter()
            .map(|t| (t.year.to_string(), t.text.as_str(), t.source.as_str()))
            .collect();
        assert_eq!(
            t,
            [
                ("2026".to_owned(), "imprimé +2 vs N-1", "ge500"),
                ("2027".to_owned(), "+2 vs N-1", "négocié"),
            ]
        );
        // Problems are named by field; nothing changes.
        let bad = EngagementChange {
            sites: Some(vec!["690000000".into()]),
            targets: Some(vec![
                TargetLine {
                    year: "2031".into(),
                    ..Default::default()
                },
                TargetLine {
                    year: "2027".into(),
                    rule_text: "oui".into(),
                    ..Default::default()
                },
            ]),
            ..Default::default()
        };
        let errors =
            change_engagement(&content, &c, "E2", &bad, &[site], None, None).expect_err("refused");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["sites", "targets[0].year", "targets[1].rule_text"]);
        // A locked title stays.
        let mut locked = content.clone();
        locked.engagements[0].title_locked = true;
        let errors = change_engagement(
            &locked,
            &c,
            "E1",
            &EngagementChange {
                title: Some("Autre".into()),
                ..Default::default()
            },
            &[],
            None,
            None,
        )
        .expect_err("locked");
        assert_eq!(errors[0].field, "title");
        let removed = remove_engagement(&content, "E1").expect("removed");
        assert_eq!(removed.engagements.len(), 1);
        assert!(remove_engagement(&removed, "E1").is_err());
        let next = add_engagement(&removed, &c, "1.1-2", None, None, None).expect("add");
        assert_eq!(
            next.engagements[1].key, "E3",
            "numbered after the largest key"
        );
    }

    #[test]
    fn both_parties_sign_with_a_name_a_function_and_a_past_date() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).expect("date");
        let line = |role: &str, date: &str| SignatoryInput {
            role: role.into(),
            name: "Anne Martin".into(),
            function: "Directrice".into(),
            date: date.into(),
        };
        let ok = read_signatories(
            &[
                line("delegate", "27/11/2026"),
                SignatoryInput::default(),
                line("legal_representative", "2026-11-29"),
            ],
            today,
        )
        .expect("signed");
        assert_eq!(ok.len(), 2);
        assert_eq!(
            ok[0].date,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("d")
        );
        let errors = read_signatories(&[line("dg_ars", "30/11/2026")], today).expect_err("future");
        assert_eq!(errors[0].field, "signatories[0].date");
        let errors =
            read_signatories(&[line("dg_ars", "29/11/2026")], today).expect_err("one side");
        assert_eq!(
            errors[0].message,
            "le représentant légal de l'établissement doit signer"
        );
        let mut nameless = line("président", "");
        nameless.name = " ".into();
        let errors = read_signatories(&[nameless], today).expect_err("bad line");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "signatories[0].role",
                "signatories[0].name",
                "signatories[0].date"
            ]
        );
    }

    #[test]
    fn a_comment_has_a_text_and_a_known_engagement() {
        let c = catalogue();
        let content = add_engagement(&ContractContent::default(), &c, "1.1-1", None, None, None)
            .expect("add");
        assert_eq!(
            check_comment(&content, Some("E1"), "  D'accord pour +1 en 2027. "),
            Ok("D'accord pour +1 en 2027.".to_owned())
        );
        assert_eq!(
            check_comment(&content, None, " ").expect_err("empty").field,
            "body"
        );
        assert_eq!(
            check_comment(&content, Some("E9"), "?")
                .expect_err("unknown")
                .field,
            "engagement"
        );
        let long = "x".repeat(MAX_COMMENT + 1);
        assert!(check_comment(&content, None, &long).is_err());
    }

    #[test]
    fn contract_content_round_trips_through_its_stored_form() {
        let c = catalogue();
        let content = initial_content(
            &c,
            &proposals(&c, &facts(true)),
            None,
            Some(SizeBand::Ge500),
        );
        let json = serde_json::to_string(&content).expect("json");
        assert!(json.contains("\"rule_text\":\"cumul >= 6\""), "{json}");
        let back: ContractContent = serde_json::from_str(&json).expect("read back");
        assert_eq!(back, content);
    }

    #[test]
    fn an_avenant_starts_from_the_version_in_force_without_its_signatures() {
        assert!(in_force(ContractState::Signed, 0));
        assert!(
            in_force(ContractState::Negotiation, 1),
            "the signed version stays in force"
        );
        assert!(!in_force(ContractState::Negotiation, 0));
        assert!(!in_force(ContractState::Expired, 2));
        assert!(under_avenant(ContractState::ReadyToSign, 1));
        assert!(
            !under_avenant(ContractState::Negotiation, 0),
            "a first contract"
        );
        assert!(
            !under_avenant(ContractState::Signed, 1),
            "the avenant signed"
        );
        assert!(may_amend(ContractState::Signed));
        assert!(!may_amend(ContractState::Negotiation));
        assert!(!may_amend(ContractState::Expired));
        let c = catalogue();
        let p = proposals(&c, &facts(true));
        let mut content = initial_content(&c, &p, None, Some(SizeBand::Lt100));
        content.signatories = vec![Signatory {
            role: SignatoryRole::DgArs,
            name: "A".into(),
            function: "DG".into(),
            date: chrono::NaiveDate::from_ymd_opt(2025, 1, 2).expect("date"),
        }];
        let start = avenant_start(&content);
        assert!(start.signatories.is_empty());
        assert_eq!(start.engagements, content.engagements);
    }

    #[test]
    fn the_diff_names_engagements_added_removed_and_targets_changed_per_year() {
        let c = catalogue();
        let p = proposals(&c, &facts(true));
        let old = initial_content(&c, &p, None, Some(SizeBand::Lt100));
        assert!(
            !old.engagements.is_empty(),
            "the small catalogue has a mandatory action"
        );
        assert!(diff(&old, &old).is_empty());
        let e1 = old.engagements[0].clone();
        let mut new = old.clone();
        // A target changed, one added for a year without, the title changed.
        let first = new.engagements[0].targets[0].clone();
        new.engagements[0].targets[0].text = "au moins 90 %".into();
        new.engagements[0]
            .targets
            .retain(|t| t.year != TargetYear::Year(2029));
        new.engagements[0].title = "Titre négocié".into();
        let d = diff(&old, &new);
        assert!(d.added.is_empty() && d.removed.is_empty());
        let changed = &d.changed[0];
        assert_eq!(changed.key, e1.key);
        assert_eq!(
            changed.changes,
            [format!("titre : « {} » → « Titre négocié »", e1.title)]
        );
        assert_eq!(changed.targets[0].year, first.year);
        assert_eq!(
            changed.targets[0].from.as_deref(),
            Some(first.text.as_str())
        );
        assert_eq!(changed.targets[0].to.as_deref(), Some("au moins 90 %"));
        // Removing the engagement and adding another under the same key is not a change.
        let mut other = old.clone();
        other.engagements[0].action = Some("AUTRE".into());
        let d = diff(&old, &other);
        assert_eq!(d.removed.len(), 1);
        assert_eq!(d.added.len(), 1);
        assert!(d.changed.is_empty());
    }

    #[test]
    fn annexes_are_read_with_each_problem_named_by_its_field() {
        use std::collections::BTreeMap;
        let questions = vec![crate::catalogue::Question {
            code: "Q1".into(),
            objective: "O1".into(),
            text: "Quel positionnement ?".into(),
        }];
        let line = |kind: &str, label: &str, amounts: &[(&str, &str)]| FundingInput {
            kind: kind.into(),
            label: label.into(),
            amounts: amounts
                .iter()
                .map(|(y, a)| ((*y).to_string(), (*a).to_string()))
                .collect::<BTreeMap<_, _>>(),
        };
        let input = AnnexesInput {
            strengths: Some("  Une équipe stable ".into()),
            weaknesses: None,
            answers: [("Q1".to_string(), "Établissement de recours".to_string())].into(),
            funding: vec![
                line(
                    "fir",
                    "Télémédecine",
                    &[("2026", "120 000 €"), ("2025", "100000")],
                ),
                line("", "", &[]),
            ],
            texts: vec![TextInput {
                title: "CAQES".into(),
                text: "Contrat d'amélioration de la qualité et de l'efficience des soins.".into(),
            }],
        };
        let out = apply_annexes(&ContractContent::default(), &input, 2025..=2029, &questions)
            .expect("valid");
        assert_eq!(out.strengths.as_deref(), Some("Une équipe stable"));
        assert_eq!(out.answers[0].text, "Quel positionnement ?");
        assert_eq!(out.funding.len(), 1, "blank lines are ignored");
        assert_eq!(out.funding[0].amounts, [(2025, 100_000), (2026, 120_000)]);
        assert_eq!(out.texts[0].title, "CAQES");

        let bad = AnnexesInput {
            answers: [("Q9".to_string(), "?".to_string())].into(),
            funding: vec![
                line("fonds", "", &[("2031", "10")]),
                line("daf", "Psychiatrie", &[("2026", "dix")]),
            ],
            texts: vec![TextInput {
                title: "".into(),
                text: "Sans titre".into(),
            }],
            ..AnnexesInput::default()
        };
        let errors = apply_annexes(&ContractContent::default(), &bad, 2025..=2029, &questions)
            .expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "answers.Q9",
                "funding[1].kind",
                "funding[1].label",
                "funding[1].amounts.2031",
                "funding[2].amounts.2026",
                "texts[1].title"
            ]
        );
        assert!(errors[3].message.contains("hors de la période 2025–2029"));
        assert!(errors[4].message.contains("« dix » n'est pas un montant"));
    }

    #[test]
    fn a_specific_engagement_serves_a_catalogue_objective_with_its_own_indicator() {
        let c = catalogue();
        let objective = c.objectives[0].code.clone();
        let input = SpecificInput {
            objective: objective.clone(),
            title: "Ouvrir une consultation avancée à Lodève".into(),
            indicator_title: "Nombre de consultations".into(),
            kind: "count".into(),
            unit: Some("consultations/an".into()),
        };
        let out = add_specific_engagement(&ContractContent::default(), &c, &input).expect("added");
        let e = &out.engagements[0];
        assert_eq!((e.key.as_str(), e.action.as_deref()), ("E1", None));
        assert_eq!(e.objective, objective);
        let indicator = e.indicator.as_ref().expect("indicator");
        assert_eq!(indicator.code, "E1-IND");
        assert_eq!(indicator.kind, IndicatorKind::Count);
        assert!(e.targets.is_empty());
        // Its targets are then set like any other engagement's.
        let change = EngagementChange {
            targets: Some(vec![TargetLine {
                year: c.start_year.to_string(),
                text: "au moins 12".into(),
                rule_text: ">= 12".into(),
            }]),
            ..EngagementChange::default()
        };
        let out = change_engagement(&out, &c, "E1", &change, &[], None, None).expect("targets");
        assert_eq!(out.engagements[0].targets[0].text, "au moins 12");

        let bad = SpecificInput {
            objective: "ZZ".into(),
            kind: "colour".into(),
            ..SpecificInput::default()
        };
        let errors =
            add_specific_engagement(&ContractContent::default(), &c, &bad).expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["objective", "title", "indicator_title", "kind"]);
    }
}
