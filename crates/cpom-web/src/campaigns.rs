//! Yearly campaigns, shared by the pages and the API: opening and closing a campaign, the
//! declarations one sees, and each step of a declaration (save, submit, validate, return,
//! reopen) checked by the domain's workflow and the access policy.

use chrono::NaiveDate;
use cpom_domain::campaign::{self, Actor as Side, DeclarationState, Step, ValueInput};
use cpom_domain::policy::{Listing, Scope, list_filter};
use cpom_domain::{Action, FinessId, RegionCode, ScopeFilter};
use cpom_store::Page;
use cpom_store::repo::campaigns::{
    Campaign, CampaignSummary, Declaration, DeclarationFilter, DeclarationStep, HistoryStep,
    NewCampaign, Perimeter,
};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, FieldError};
use crate::services::{self, today};

fn declaration_scope(d: &Declaration) -> Scope {
    Scope {
        region: Some(d.region.clone()),
        ej: Some(d.ej.clone()),
    }
}

/// The campaigns the actor sees, with their declarations by state.
pub async fn list(state: &AppState, cu: &CurrentUser) -> Result<Vec<CampaignSummary>, AppError> {
    let scope = list_filter(&cu.actor(), Listing::Declarations);
    Ok(state.store.list_campaigns(&scope).await?)
}

/// Whether the actor may open campaigns (for its region).
pub fn can_open(cu: &CurrentUser) -> bool {
    cu.user
        .region
        .as_ref()
        .is_some_and(|r| cu.authorize(&Action::ManageCampaigns(r.clone())).is_ok())
        || cu.user.role == cpom_domain::Role::NationalAdmin
}

/// A campaign as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewCampaignInput {
    /// INSEE region code (default: the caller's).
    pub region: Option<String>,
    /// Year followed.
    #[serde(default)]
    pub year: String,
    /// Title (default: "Campagne <year>").
    pub title: Option<String>,
    /// Deadline, `jj/mm/aaaa` or `aaaa-mm-jj`.
    #[serde(default)]
    pub deadline: String,
    /// `region`, `department` or `contracts`.
    #[serde(default)]
    pub perimeter: String,
    /// Department code, for a department perimeter.
    pub department: Option<String>,
    /// Contract ids separated by commas or spaces, for a list perimeter.
    pub contracts: Option<String>,
}

/// Opens a campaign (the region's ARS administrators): returns it and its number of
/// declarations.
pub async fn open(
    state: &AppState,
    cu: &CurrentUser,
    input: &NewCampaignInput,
) -> Result<(Campaign, u64), AppError> {
    let region: RegionCode = services::settings_region(cu, input.region.as_deref())?;
    cu.authorize(&Action::ManageCampaigns(region.clone()))?;
    let mut errors = vec![];
    let mut bad = |field: &str, message: String| {
        errors.push(FieldError {
            field: field.into(),
            message,
        })
    };
    let year = match input.year.trim().parse::<i32>() {
        Ok(y) if (2000..=2100).contains(&y) => Some(y),
        _ => {
            bad(
                "year",
                format!(
                    "« {} » n'est pas une année (2000 à 2100)",
                    input.year.trim()
                ),
            );
            None
        }
    };
    let deadline = match cpom_domain::territory::parse_date("deadline", "Échéance", &input.deadline)
    {
        Ok(d) if d < today() => {
            bad("deadline", "Échéance : la date est passée".into());
            None
        }
        Ok(d) => Some(d),
        Err(e) => {
            bad("deadline", e.message);
            None
        }
    };
    let perimeter = match input.perimeter.trim() {
        "" | "region" => Some(Perimeter::Region),
        "department" => match input.department.as_deref().map(str::trim) {
            Some(d) if !d.is_empty() && d.len() <= 3 => Some(Perimeter::Department(d.into())),
            _ => {
                bad(
                    "department",
                    "Département : code obligatoire (ex. 34)".into(),
                );
                None
            }
        },
        "contracts" => {
            let raw = input.contracts.clone().unwrap_or_default();
            let mut ids = vec![];
            for part in raw
                .split([',', ' ', ';', '\n'])
                .filter(|p| !p.trim().is_empty())
            {
                match part.trim().parse::<i64>() {
                    Ok(id) => ids.push(id),
                    Err(_) => bad(
                        "contracts",
                        format!(
                            "Contrats : « {} » n'est pas un numéro de contrat",
                            part.trim()
                        ),
                    ),
                }
            }
            if ids.is_empty() {
                bad("contracts", "Contrats : au moins un numéro".into());
            }
            Some(Perimeter::Contracts(ids))
        }
        other => {
            bad("perimeter", format!("périmètre « {other} » inconnu"));
            None
        }
    };
    let title = input
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    if title.as_ref().is_some_and(|t| t.chars().count() > 200) {
        bad("title", "Titre : 200 caractères au plus".into());
    }
    let (Some(year), Some(deadline), Some(perimeter), true) =
        (year, deadline, perimeter, errors.is_empty())
    else {
        return Err(AppError::Validation(errors));
    };
    Ok(state
        .store
        .open_campaign(
            &cu.user.audit_actor(),
            &NewCampaign {
                region,
                year,
                title: title.unwrap_or_else(|| format!("Campagne {year}")),
                deadline,
                perimeter,
            },
        )
        .await?)
}

/// One campaign the actor sees (an establishment: one where it has declarations).
pub async fn campaign(state: &AppState, cu: &CurrentUser, id: i64) -> Result<Campaign, AppError> {
    let c = state.store.campaign(id).await?;
    let visible = match list_filter(&cu.actor(), Listing::Declarations) {
        ScopeFilter::All => true,
        ScopeFilter::Region(r) => r == c.region,
        ScopeFilter::LegalEntity(ej) => {
            let filter = DeclarationFilter {
                ej: Some(ej.clone()),
                ..DeclarationFilter::default()
            };
            state
                .store
                .list_declarations(id, &ScopeFilter::LegalEntity(ej), &filter, 1, 1)
                .await?
                .total
                > 0
        }
        ScopeFilter::Nothing => false,
    };
    if !visible {
        return Err(AppError::NotFound);
    }
    Ok(c)
}

/// Closes a campaign read at `row_version` (its region's ARS administrators).
pub async fn close(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    row_version: Option<i64>,
) -> Result<Campaign, AppError> {
    let c = campaign(state, cu, id).await?;
    cu.authorize(&Action::ManageCampaigns(c.region.clone()))?;
    let rv = row_version.ok_or_else(|| {
        AppError::field(
            "row_version",
            "version de la campagne manquante : rechargez la page",
        )
    })?;
    Ok(state
        .store
        .close_campaign(&cu.user.audit_actor(), id, rv)
        .await?)
}

/// Filters of a campaign's declarations, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct DeclarationQuery {
    /// `to_do`, `draft`, `submitted`, `returned` or `validated`.
    pub state: Option<String>,
    /// Indicator code.
    pub indicator: Option<String>,
    /// FINESS EJ.
    pub ej: Option<String>,
    /// Department of the legal entity.
    pub department: Option<String>,
    /// Size band of the legal entity (`lt100`, `100to499`, `ge500`).
    pub band: Option<String>,
    /// Code of the GHT the legal entity belongs to today.
    pub ght: Option<String>,
    /// Account id of the contract's negotiator (the referent in charge).
    pub negotiator: Option<String>,
    /// `true`: only the values the establishment contested.
    pub contested: Option<String>,
    /// Page, from 1.
    pub page: Option<u64>,
    /// Page size (at most 200).
    pub per_page: Option<u64>,
}

/// The declarations of a campaign the actor sees.
pub async fn declarations(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    q: &DeclarationQuery,
) -> Result<(Campaign, Page<Declaration>), AppError> {
    let c = campaign(state, cu, id).await?;
    let blank = |v: &Option<String>| services::blank_to_none(v).map(str::to_owned);
    let filter = DeclarationFilter {
        state: match blank(&q.state) {
            None => None,
            Some(s) => Some(
                DeclarationState::parse(&s)
                    .ok_or_else(|| AppError::field("state", format!("état « {s} » inconnu")))?,
            ),
        },
        indicator: blank(&q.indicator),
        ej: match blank(&q.ej) {
            None => None,
            Some(e) => Some(FinessId::parse(&e).map_err(|_| {
                AppError::field("ej", format!("« {e} » n'est pas un numéro FINESS"))
            })?),
        },
        department: blank(&q.department),
        band: match blank(&q.band) {
            None => None,
            Some(b) => Some(
                cpom_domain::registry::SizeBand::parse(&b)
                    .ok_or_else(|| AppError::field("band", format!("tranche « {b} » inconnue")))?,
            ),
        },
        ght: blank(&q.ght).map(|g| g.to_uppercase()),
        negotiator: services::account_id("negotiator", &q.negotiator)?,
        contested_only: match blank(&q.contested).as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(AppError::field(
                    "contested",
                    format!("« {other} » : true ou false attendu"),
                ));
            }
        },
    };
    let (page, per_page) = services::paging(q.page, q.per_page);
    let scope = list_filter(&cu.actor(), Listing::Declarations);
    let p = state
        .store
        .list_declarations(id, &scope, &filter, page, per_page)
        .await?;
    Ok((c, p))
}

/// Validates the submitted declarations among `ids` of a campaign (the agency of its
/// region); returns how many were validated (those changed meanwhile are left).
pub async fn validate_bulk(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    ids: &[i64],
) -> Result<u64, AppError> {
    let c = campaign(state, cu, id).await?;
    cu.authorize(&Action::ReviewDeclaration(Scope {
        region: Some(c.region.clone()),
        ej: None,
    }))?;
    if ids.is_empty() {
        return Err(AppError::field("ids", "cochez au moins une déclaration"));
    }
    let contracts = state
        .store
        .validate_declarations(&cu.user.audit_actor(), id, ids)
        .await?;
    let validated = contracts.len() as u64;
    crate::evaluation::refresh_after_change(&state.store, contracts).await;
    Ok(validated)
}

/// One declaration the actor sees, with its campaign and history.
pub async fn declaration(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
) -> Result<(Declaration, Campaign, Vec<HistoryStep>), AppError> {
    let (d, history) = state.store.declaration(id).await?;
    if !list_filter(&cu.actor(), Listing::Declarations).allows(&declaration_scope(&d)) {
        return Err(AppError::NotFound);
    }
    let c = state.store.campaign(d.campaign_id).await?;
    Ok((d, c, history))
}

/// What the actor may do on a declaration, and why its value is read-only if it is.
pub struct Abilities {
    /// Enter and save a value.
    pub can_save: bool,
    /// Submit.
    pub can_submit: bool,
    /// Validate or return.
    pub can_review: bool,
    /// Reopen.
    pub can_reopen: bool,
    /// Confirm or contest the value the agency loaded.
    pub can_answer: bool,
    /// File evidence (also for a value the agency loaded).
    pub can_file: bool,
    /// Why the value is read-only for the establishment, if it is.
    pub read_only: Option<&'static str>,
}

/// See [`Abilities`].
pub fn abilities(cu: &CurrentUser, d: &Declaration, c: &Campaign) -> Abilities {
    let scope = declaration_scope(d);
    let declare = |submit| {
        cu.authorize(&Action::Declare {
            scope: scope.clone(),
            submit,
        })
        .is_ok()
    };
    let prefilled = d.value_import.is_some();
    let read_only = campaign::read_only_reason(d.state, c.open, prefilled);
    let answerable = prefilled && campaign::read_only_reason(d.state, c.open, false).is_none();
    let review = cu
        .authorize(&Action::ReviewDeclaration(scope.clone()))
        .is_ok();
    Abilities {
        can_save: declare(false) && read_only.is_none(),
        can_submit: declare(true) && read_only.is_none(),
        can_answer: declare(true) && answerable,
        can_file: declare(false) && campaign::read_only_reason(d.state, c.open, false).is_none(),
        can_review: review && d.state == DeclarationState::Submitted,
        can_reopen: review
            && matches!(
                d.state,
                DeclarationState::Submitted | DeclarationState::Validated
            ),
        read_only,
    }
}

/// A step as typed: what to do, the version read, the value and comment, the reason.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct StepInput {
    /// `save`, `submit`, `confirm` or `contest` (a value the agency loaded; the comment says
    /// why it is contested), `validate`, `return` or `reopen`; `override` (a verdict and its
    /// justification in `reason`) or `clear_override` on a validated declaration.
    #[serde(default)]
    pub action: String,
    /// `row_version` of the declaration when read.
    pub row_version: Option<i64>,
    /// A count or amount.
    pub value: Option<String>,
    /// A rate's numerator.
    pub numerator: Option<String>,
    /// A rate's denominator.
    pub denominator: Option<String>,
    /// `oui` or `non` (yes/no, milestone reached).
    pub answer: Option<String>,
    /// Free text.
    pub text: Option<String>,
    /// The establishment's comment.
    pub comment: Option<String>,
    /// Why it is returned or reopened; the justification of an override.
    pub reason: Option<String>,
    /// The agency's verdict (`override`): `atteint`, `partiellement_atteint`, `non_atteint`,
    /// `sans_objet`, `non_renseigne` or `a_apprecier`.
    pub verdict: Option<String>,
}

/// Takes a step on a declaration the actor sees.
pub async fn step(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    input: &StepInput,
) -> Result<(), AppError> {
    let (d, c, _) = declaration(state, cu, id).await?;
    let scope = declaration_scope(&d);
    let reason = input.reason.clone().unwrap_or_default();
    let (step, side) = match input.action.trim() {
        action @ ("save" | "submit" | "confirm" | "contest") => {
            let submit = action != "save";
            cu.authorize(&Action::Declare {
                scope: scope.clone(),
                submit,
            })?;
            let side = if cu.user.role == cpom_domain::Role::EstablishmentLeader {
                Side::Leader
            } else {
                Side::Contributor
            };
            let step = match action {
                "save" => Step::SaveDraft,
                "submit" => Step::Submit,
                "confirm" => Step::Confirm,
                _ => Step::Contest {
                    comment: input.comment.clone().unwrap_or_default(),
                },
            };
            (step, side)
        }
        "validate" | "return" | "reopen" => {
            cu.authorize(&Action::ReviewDeclaration(scope.clone()))?;
            let step = match input.action.trim() {
                "validate" => Step::Validate,
                "return" => Step::Return { reason },
                _ => Step::Reopen { reason },
            };
            (step, Side::Agency)
        }
        "override" | "clear_override" => {
            cu.authorize(&Action::ReviewDeclaration(scope.clone()))?;
            return override_verdict(state, cu, &d, input).await;
        }
        other => {
            return Err(AppError::field(
                "action",
                format!("action « {other} » inconnue"),
            ));
        }
    };
    let row_version = input.row_version.ok_or_else(|| {
        AppError::field(
            "row_version",
            "version de la déclaration manquante : rechargez la page",
        )
    })?;
    // A value typed with a save or a submission replaces the saved one.
    let typed = ValueInput {
        value: input.value.clone(),
        numerator: input.numerator.clone(),
        denominator: input.denominator.clone(),
        answer: input.answer.clone(),
        text: input.text.clone(),
    };
    let any_typed = [
        &typed.value,
        &typed.numerator,
        &typed.denominator,
        &typed.answer,
        &typed.text,
    ]
    .iter()
    .any(|v| v.as_deref().is_some_and(|v| !v.trim().is_empty()));
    let value = if matches!(step, Step::SaveDraft | Step::Submit) && any_typed {
        Some(
            campaign::read_value(d.kind, &typed)
                .map_err(|e| AppError::field(e.field, e.message))?,
        )
    } else {
        None
    };
    let situation = campaign::Situation {
        state: d.state,
        open: c.open,
        has_value: value.is_some() || d.value.is_some(),
        prefilled: d.value_import.is_some(),
    };
    let to = campaign::next_state(situation, &step, side).map_err(|e| match &step {
        Step::Contest { comment } if comment.trim().is_empty() => AppError::field("comment", e.0),
        _ => AppError::Conflict(e.0),
    })?;
    let comment = input.comment.as_deref().map(str::trim);
    if comment.is_some_and(|c| c.chars().count() > 5000) {
        return Err(AppError::field(
            "comment",
            "Commentaire : 5 000 caractères au plus",
        ));
    }
    let establishment = matches!(step, Step::SaveDraft | Step::Submit | Step::Contest { .. });
    let reason = match &step {
        Step::Return { reason } | Step::Reopen { reason } => Some(reason.trim()),
        _ => None,
    };
    state
        .store
        .record_declaration_step(
            &cu.user.audit_actor(),
            id,
            row_version,
            &DeclarationStep {
                label: step.label(),
                to,
                value: value.as_ref(),
                comment: if establishment {
                    comment.map(|c| (!c.is_empty()).then_some(c))
                } else {
                    None
                },
                reason,
                contested: match step {
                    Step::Confirm => Some(false),
                    Step::Contest { .. } => Some(true),
                    _ => None,
                },
                overridden: None,
            },
        )
        .await?;
    crate::evaluation::refresh_after_change(&state.store, [d.contract_id]).await;
    Ok(())
}

/// Sets (`override`: `verdict` and its justification in `reason`) or removes
/// (`clear_override`) the agency's verdict on a validated declaration, kept in its history.
async fn override_verdict(
    state: &AppState,
    cu: &CurrentUser,
    d: &Declaration,
    input: &StepInput,
) -> Result<(), AppError> {
    let row_version = input.row_version.ok_or_else(|| {
        AppError::field(
            "row_version",
            "version de la déclaration manquante : rechargez la page",
        )
    })?;
    if d.state != DeclarationState::Validated {
        return Err(AppError::Conflict(format!(
            "seule une valeur validée s'apprécie ; celle-ci est {}",
            d.state.label()
        )));
    }
    let o = if input.action.trim() == "override" {
        Some(
            cpom_domain::evaluation::read_override(
                input.verdict.as_deref().unwrap_or_default(),
                input.reason.as_deref().unwrap_or_default(),
            )
            .map_err(|m| {
                let field = if m.starts_with("verdict") {
                    "verdict"
                } else {
                    "reason"
                };
                AppError::field(field, m)
            })?,
        )
    } else {
        if d.overridden.is_none() {
            return Err(AppError::Conflict(
                "aucune appréciation de l'ARS à retirer".into(),
            ));
        }
        None
    };
    state
        .store
        .record_declaration_step(
            &cu.user.audit_actor(),
            d.id,
            row_version,
            &DeclarationStep {
                label: if o.is_some() {
                    "appréciation de l'ARS"
                } else {
                    "retrait de l'appréciation de l'ARS"
                },
                to: d.state,
                value: None,
                comment: None,
                reason: None,
                contested: None,
                overridden: Some(o.as_ref()),
            },
        )
        .await?;
    crate::evaluation::refresh_after_change(&state.store, [d.contract_id]).await;
    Ok(())
}

/// What the declaration form shows besides the value: the fiche, the target for the
/// campaign's year, and last year's value.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Fiche {
    /// Definition of the indicator.
    pub definition: Option<String>,
    /// Its formula.
    pub formula: Option<String>,
    /// Numerator (rates).
    pub numerator: Option<String>,
    /// Denominator (rates).
    pub denominator: Option<String>,
    /// Unit.
    pub unit: Option<String>,
    /// Evidence expected.
    pub evidence: Option<String>,
    /// Instructions for the comment.
    pub comment_help: Option<String>,
    /// The contract's target for the campaign's year (or the period), as printed.
    pub target: Option<String>,
    /// The value declared the year before, as shown, with its state.
    pub last_year: Option<String>,
}

/// See [`Fiche`].
pub async fn fiche(state: &AppState, d: &Declaration, c: &Campaign) -> Result<Fiche, AppError> {
    use cpom_domain::catalogue::TargetYear;
    let contract = state.store.contract(d.contract_id).await?;
    let engagement = contract
        .content
        .engagements
        .iter()
        .find(|e| e.key == d.engagement);
    let target = engagement.and_then(|e| {
        e.targets
            .iter()
            .find(|t| t.year == TargetYear::Year(c.year))
            .or_else(|| e.targets.iter().find(|t| t.year == TargetYear::Total))
            .map(|t| match t.year {
                TargetYear::Total => format!("{} (sur la période)", t.text),
                TargetYear::Year(_) => t.text.clone(),
            })
    });
    let catalogue = state
        .store
        .catalogue_version(&contract.catalogue_slug, contract.catalogue_version)
        .await?;
    let indicator = catalogue.indicators.iter().find(|i| i.code == d.indicator);
    let last_year = state
        .store
        .last_year_value(d, c.year)
        .await?
        .map(|(s, v)| format!("{} ({})", v.display(), s.label()));
    Ok(Fiche {
        definition: indicator.and_then(|i| i.definition.clone()),
        formula: indicator.and_then(|i| i.formula.clone()),
        numerator: indicator.and_then(|i| i.numerator.clone()),
        denominator: indicator.and_then(|i| i.denominator.clone()),
        unit: indicator.and_then(|i| i.unit.clone()),
        evidence: indicator.and_then(|i| i.evidence.clone()),
        comment_help: indicator.and_then(|i| i.comment_help.clone()),
        target,
        last_year,
    })
}

/// Largest evidence file accepted.
pub const MAX_EVIDENCE: usize = 20 * 1024 * 1024;

/// Runs the configured scan command on a file (its path as last argument): a non-zero exit
/// refuses the file.
async fn scan(state: &AppState, name: &str, bytes: &[u8]) -> Result<(), AppError> {
    let Some(command) = state.config.scan_command.clone() else {
        return Ok(());
    };
    let dir = state.store.files_dir().join("incoming");
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| AppError::io("scan directory", &e))?;
    let path = dir.join(format!(
        "{}.{}",
        hex::encode(rand::random::<[u8; 16]>()),
        crate::upload::PARTIAL
    ));
    if let Err(e) = tokio::fs::write(&path, bytes).await {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(AppError::io("scan file", &e));
    }
    let run_path = path.clone();
    let status = tokio::task::spawn_blocking(move || {
        let mut parts = command.split_whitespace();
        let program = parts.next().unwrap_or_default().to_owned();
        std::process::Command::new(program)
            .args(parts)
            .arg(&run_path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
    })
    .await
    .map_err(|e| AppError::Internal(format!("scan task: {e}")))?;
    let _ = tokio::fs::remove_file(&path).await;
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(_) => Err(AppError::field(
            "file",
            format!("{name} : refusé par l'analyse antivirus"),
        )),
        Err(e) => Err(AppError::Internal(format!("scan command: {e}"))),
    }
}

/// Whether the actor may add evidence to a declaration: its establishment's users while
/// the value may be entered.
fn may_file(cu: &CurrentUser, d: &Declaration, c: &Campaign) -> Result<(), AppError> {
    cu.authorize(&Action::Declare {
        scope: declaration_scope(d),
        submit: false,
    })?;
    // Evidence may back a value the agency loaded too (to confirm or contest it).
    if let Some(why) = campaign::read_only_reason(d.state, c.open, false) {
        return Err(AppError::Conflict(format!("justificatif refusé : {why}")));
    }
    Ok(())
}

/// Files an evidence file (checked by content, then by the scan command) into the
/// establishment's library and links it to the declaration.
pub async fn add_evidence(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    file_name: &str,
    bytes: &[u8],
) -> Result<cpom_store::repo::campaigns::Evidence, AppError> {
    let (d, c, _) = declaration(state, cu, id).await?;
    may_file(cu, &d, &c)?;
    let kind = campaign::check_evidence(file_name, bytes, MAX_EVIDENCE)
        .map_err(|m| AppError::field("file", m))?;
    scan(state, file_name, bytes).await?;
    let kind_name = serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    Ok(state
        .store
        .add_evidence(&cu.user.audit_actor(), id, file_name, &kind_name, bytes)
        .await?)
}

/// Links evidence of the establishment's library to a declaration.
pub async fn link_evidence(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    evidence_id: Option<i64>,
) -> Result<cpom_store::repo::campaigns::Evidence, AppError> {
    let (d, c, _) = declaration(state, cu, id).await?;
    may_file(cu, &d, &c)?;
    let evidence_id =
        evidence_id.ok_or_else(|| AppError::field("evidence_id", "choisissez un justificatif"))?;
    Ok(state
        .store
        .link_evidence(&cu.user.audit_actor(), id, evidence_id)
        .await?)
}

/// An evidence file of a declaration the actor sees, to download (always as an attachment).
pub async fn evidence_download(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    evidence_id: i64,
) -> Result<crate::documents::Download, AppError> {
    declaration(state, cu, id).await?;
    let (e, path) = state.store.linked_evidence(id, evidence_id).await?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|err| AppError::Internal(format!("evidence {}: {err}", e.id)))?;
    let mime = match e.file_type.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpeg" => "image/jpeg",
        "text" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    Ok(crate::documents::Download {
        file_name: e.file_name,
        mime,
        bytes,
    })
}

// ---------------------------------------------------------------------------------------
// Values loaded in bulk by the agency.

/// Largest file of values accepted.
pub const MAX_VALUES_FILE: u64 = 32 * 1024 * 1024;

/// Longest description of an import.
const MAX_DETAIL_CHARS: usize = 500;

/// A line of a file of values, as it will be written.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PreviewLine {
    /// Line of the file.
    pub line: u64,
    /// Declaration.
    pub declaration: i64,
    /// FINESS of the legal entity.
    pub ej: String,
    /// Site, for an engagement followed by site.
    pub site: Option<String>,
    /// Indicator code.
    pub indicator: String,
    /// The value, as shown.
    pub value: String,
    /// State of the declaration before (`to_do`, `draft`, `returned`).
    pub state_before: String,
}

/// What a file of values gives: the lines to write, or every problem; and the import once
/// written.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ValuesReport {
    /// Campaign.
    pub campaign_id: i64,
    /// `pmsi`, `sae` or `other`.
    pub source: String,
    /// Description of the extraction.
    pub detail: String,
    /// Name of the file.
    pub file_name: String,
    /// SHA-256 of the file.
    pub checksum: String,
    /// The lines to write (empty when there are errors).
    pub lines: Vec<PreviewLine>,
    /// Every problem, with its line and column (nothing is written when there is one).
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<campaign::BulkError>,
    /// Whether the values were written.
    pub applied: bool,
    /// The import recorded, once written.
    pub import_id: Option<i64>,
}

/// A file of values sent by the agency.
pub struct ValuesFile<'a> {
    /// `pmsi`, `sae` or `other`.
    pub source: &'a str,
    /// Description of the extraction (optional).
    pub detail: &'a str,
    /// Name of the file.
    pub file_name: &'a str,
    /// Its content.
    pub bytes: &'a [u8],
}

/// The campaign, if the actor may load values into it (its region's ARS administrators).
pub async fn may_load(state: &AppState, cu: &CurrentUser, id: i64) -> Result<Campaign, AppError> {
    let c = campaign(state, cu, id).await?;
    cu.authorize(&Action::ManageCampaigns(c.region.clone()))?;
    Ok(c)
}

impl ValuesReport {
    /// 200 when the file can be (or was) loaded, 422 when it has errors.
    pub fn status(&self) -> axum::http::StatusCode {
        if self.errors.is_empty() {
            axum::http::StatusCode::OK
        } else {
            axum::http::StatusCode::UNPROCESSABLE_ENTITY
        }
    }
}

/// Reads a file of values for an open campaign (its region's ARS administrators) and
/// matches it with the declarations; writes it, all or nothing, when `apply` (and, when
/// given, only if the file is the one previewed: `expected_checksum`).
pub async fn load_values(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    file: &ValuesFile<'_>,
    apply: bool,
    expected_checksum: Option<&str>,
) -> Result<ValuesReport, AppError> {
    let c = may_load(state, cu, id).await?;
    if !c.open {
        return Err(AppError::Conflict(
            "la campagne est close : plus aucune valeur n'y est chargée".into(),
        ));
    }
    let source = campaign::ValueSource::parse(file.source).ok_or_else(|| {
        AppError::field(
            "source",
            "Source : choisissez PMSI, SAE ou une autre base de l'ARS",
        )
    })?;
    let detail = file.detail.trim();
    if detail.chars().count() > MAX_DETAIL_CHARS {
        return Err(AppError::field(
            "detail",
            format!("Description : {MAX_DETAIL_CHARS} caractères au plus"),
        ));
    }
    let checksum = cpom_import::reader::checksum_bytes(file.bytes);
    if expected_checksum.is_some_and(|e| e != checksum) {
        return Err(AppError::Conflict(
            "le fichier a changé depuis l'aperçu : envoyez-le à nouveau".into(),
        ));
    }
    let mut report = ValuesReport {
        campaign_id: c.id,
        source: source.as_str().into(),
        detail: detail.into(),
        file_name: file.file_name.into(),
        checksum: checksum.clone(),
        lines: vec![],
        errors: vec![],
        applied: false,
        import_id: None,
    };
    let lines = match cpom_import::bulk_values::read(file.bytes) {
        Ok(l) => l,
        Err(errors) => {
            report.errors = errors;
            return Ok(report);
        }
    };
    let targets = state.store.load_targets(c.id).await?;
    let planned = match campaign::plan_bulk(c.year, &lines, &targets) {
        Ok(p) => p,
        Err(errors) => {
            report.errors = errors;
            return Ok(report);
        }
    };
    let by_id: std::collections::HashMap<i64, &campaign::LoadTarget> =
        targets.iter().map(|t| (t.id, t)).collect();
    report.lines = planned
        .iter()
        .filter_map(|p| {
            let t = by_id.get(&p.declaration)?;
            Some(PreviewLine {
                line: p.line,
                declaration: p.declaration,
                ej: t.ej.clone(),
                site: t.site.clone(),
                indicator: t.indicator.clone(),
                value: p.value.display(),
                state_before: t.state.as_str().into(),
            })
        })
        .collect();
    if apply {
        let import = state
            .store
            .load_values(
                &cu.user.audit_actor(),
                &c,
                &cpom_store::repo::campaigns::NewValueImport {
                    source,
                    detail,
                    file_name: file.file_name,
                    checksum: &checksum,
                },
                &planned,
            )
            .await?;
        report.applied = true;
        report.import_id = Some(import.id);
        let contracts = planned
            .iter()
            .filter_map(|p| by_id.get(&p.declaration).map(|t| t.contract));
        crate::evaluation::refresh_after_change(&state.store, contracts).await;
    }
    Ok(report)
}

/// The imports of values of a campaign (its region's ARS administrators and referents).
pub async fn value_imports(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
) -> Result<(Campaign, Vec<cpom_store::repo::campaigns::ValueImport>), AppError> {
    let c = campaign(state, cu, id).await?;
    cu.authorize(&Action::ReviewDeclaration(Scope {
        region: Some(c.region.clone()),
        ej: None,
    }))?;
    let imports = state.store.list_value_imports(id).await?;
    Ok((c, imports))
}

/// The import a declaration's value came from, if the actor sees the declaration.
pub async fn value_import_of(
    state: &AppState,
    d: &Declaration,
) -> Result<Option<cpom_store::repo::campaigns::ValueImport>, AppError> {
    match d.value_import {
        Some(i) => Ok(Some(state.store.value_import(i).await?)),
        None => Ok(None),
    }
}

/// The template of a campaign's values (its region's ARS administrators): one line per
/// declaration still waiting for a value, optionally of one indicator.
pub async fn values_template(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    indicator: Option<&str>,
) -> Result<crate::documents::Download, AppError> {
    let c = may_load(state, cu, id).await?;
    let waiting = state
        .store
        .waiting_declarations(id, indicator.map(str::trim).filter(|i| !i.is_empty()))
        .await?;
    let lines: Vec<cpom_import::bulk_values::TemplateLine> = waiting
        .iter()
        .map(|d| cpom_import::bulk_values::TemplateLine {
            finess: d.site.as_ref().unwrap_or(&d.ej).to_string(),
            establishment: d.ej_name.clone(),
            indicator: d.indicator.clone(),
            title: d.indicator_title.clone(),
            expected: expected_value(d.kind).into(),
            year: c.year,
        })
        .collect();
    let bytes = cpom_import::bulk_values::write_template(&lines).map_err(AppError::Internal)?;
    Ok(crate::documents::Download {
        file_name: format!("valeurs-campagne-{}-{}.xlsx", c.id, c.year),
        mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes,
    })
}

/// What the file holds for an indicator of `kind`, in French.
pub fn expected_value(kind: cpom_domain::catalogue::IndicatorKind) -> &'static str {
    use cpom_domain::catalogue::IndicatorKind::*;
    match kind {
        Count | Amount => "nombre dans valeur",
        Rate => "numerateur et denominateur",
        YesNo | Milestone => "oui ou non dans valeur",
        Text => "texte dans valeur",
    }
}

/// A date as typed for a campaign, shown back.
pub fn date_input(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// Campaign dashboards built from the store's counts, by campaign and scope: each kept with
/// the counts and band settings it was built from, and built again when either changes.
#[derive(Default)]
pub struct BuiltDashboards(std::sync::RwLock<std::collections::HashMap<(i64, String), Built>>);

/// A dashboard with the counts (kept alive, compared by identity) and the band settings it
/// was built from.
type Built = (
    std::sync::Arc<cpom_store::repo::campaigns::FactSets>,
    String,
    std::sync::Arc<BuiltDashboard>,
);

/// A built dashboard, with its JSON written once for the API (2,000 establishments make a
/// document of some 200 kB: written at each request, it cost more than the rest).
pub struct BuiltDashboard {
    dashboard: cpom_domain::dashboard::Dashboard,
    json: std::sync::OnceLock<axum::body::Bytes>,
}

impl BuiltDashboard {
    /// The dashboard as JSON.
    pub fn json(&self) -> axum::body::Bytes {
        self.json
            .get_or_init(|| {
                serde_json::to_vec(&self.dashboard)
                    .unwrap_or_default()
                    .into()
            })
            .clone()
    }
}

impl std::ops::Deref for BuiltDashboard {
    type Target = cpom_domain::dashboard::Dashboard;

    fn deref(&self) -> &Self::Target {
        &self.dashboard
    }
}

/// The dashboard of a campaign, over the declarations the actor sees (the agency: its
/// region's; an establishment: its own), from the stored verdicts: live, the counts being
/// read again as soon as a declaration of the campaign changes.
pub async fn dashboard(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
) -> Result<(Campaign, std::sync::Arc<BuiltDashboard>), AppError> {
    let c = campaign(state, cu, id).await?;
    let scope = list_filter(&cu.actor(), Listing::Declarations);
    let facts = state.store.campaign_facts(id, &scope).await?;
    let settings = state.store.band_settings(&c.region).await?;
    let settings_key = format!("{settings:?}");
    let key = (id, format!("{scope:?}"));
    if let Ok(built) = state.dashboards.0.read()
        && let Some((from, with, d)) = built.get(&key)
        && std::sync::Arc::ptr_eq(from, &facts)
        && *with == settings_key
    {
        return Ok((c, d.clone()));
    }
    let (by_entity, by_indicator) = facts.as_ref();
    let d = std::sync::Arc::new(BuiltDashboard {
        dashboard: cpom_domain::dashboard::build(by_entity, by_indicator, |b| {
            cpom_domain::registry::SizeBand::parse(b)
                .map_or_else(|| b.to_owned(), |s| s.label(&settings))
        }),
        json: std::sync::OnceLock::new(),
    });
    if let Ok(mut built) = state.dashboards.0.write() {
        if built.len() > 256 {
            built.clear();
        }
        built.insert(key, (facts.clone(), settings_key, d.clone()));
    }
    Ok((c, d))
}

/// The campaign as an XLSX workbook, over the declarations the actor sees: every
/// declaration (entity, department, size band, engagement, indicator, site, state, value,
/// verdict and reason, source, contestation, comment), then each table of the dashboard.
pub async fn export(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
) -> Result<crate::documents::Download, AppError> {
    use cpom_docs::xlsx::{CellValue as V, TableSheet};
    let _turn = state.heavy_export_turn().await?;
    let (c, d) = dashboard(state, cu, id).await?;
    let scope = list_filter(&cu.actor(), Listing::Declarations);
    let facts = state.store.campaign_facts(id, &scope).await?;
    let places: std::collections::HashMap<&str, (&str, &str)> = facts
        .0
        .iter()
        .map(|f| (f.ej.as_str(), (f.department.as_str(), f.band.as_str())))
        .collect();
    let declarations = state.store.all_declarations(id, &scope).await?;
    let text = |s: &str| V::Text(s.to_owned());
    let opt = |s: Option<&str>| s.map_or(V::Empty, |s| V::Text(s.to_owned()));
    let rows = declarations
        .iter()
        .map(|x| {
            let (department, band) = places.get(x.ej.as_str()).copied().unwrap_or_default();
            let number = match &x.value {
                Some(campaign::Value::Number { value }) => V::Number(*value),
                Some(campaign::Value::Rate {
                    numerator,
                    denominator,
                }) => V::Number(numerator * 100.0 / denominator),
                _ => V::Empty,
            };
            vec![
                text(x.ej.as_str()),
                text(&x.ej_name),
                text(department),
                text(band),
                text(&x.engagement),
                text(&x.indicator),
                text(&x.indicator_title),
                opt(x.site.as_ref().map(FinessId::as_str)),
                text(x.state.label()),
                opt(x.value.as_ref().map(campaign::Value::display).as_deref()),
                number,
                opt(x.verdict.map(|v| v.label())),
                opt(x.verdict_reason.as_deref()),
                opt(x.value_source.map(|s| s.label())),
                text(if x.contested { "oui" } else { "non" }),
                opt(x.comment.as_deref()),
            ]
        })
        .collect();
    let headers = |h: &[&str]| h.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let completion = |name: &str, items: &[cpom_domain::dashboard::Completion]| TableSheet {
        name: name.into(),
        headers: headers(&[
            "Groupe",
            "Libellé",
            "Déclarations",
            "Soumises ou validées",
            "Validées",
            "Taux de validation (%)",
        ]),
        rows: items
            .iter()
            .map(|x| {
                vec![
                    text(&x.key),
                    text(&x.label),
                    V::Number(x.total as f64),
                    V::Number(x.submitted as f64),
                    V::Number(x.validated as f64),
                    V::Number(x.rate),
                ]
            })
            .collect(),
    };
    let attainment = |name: &str, items: &[cpom_domain::dashboard::Attainment]| TableSheet {
        name: name.into(),
        headers: {
            let mut h = headers(&["Groupe", "Libellé"]);
            h.extend(
                cpom_domain::catalogue::Verdict::ALL
                    .iter()
                    .map(|v| v.label().to_owned()),
            );
            h.extend(headers(&["Évalués", "Taux d'atteinte (%)"]));
            h
        },
        rows: items
            .iter()
            .map(|x| {
                let mut r = vec![text(&x.key), text(&x.label)];
                r.extend(x.tally.counts.iter().map(|(_, n)| V::Number(*n as f64)));
                r.push(V::Number(x.tally.evaluated as f64));
                r.push(x.tally.rate.map_or(V::Empty, V::Number));
                r
            })
            .collect(),
    };
    let sheets = vec![
        TableSheet {
            name: "Déclarations".into(),
            headers: headers(&[
                "FINESS EJ",
                "Établissement",
                "Département",
                "Tranche",
                "Engagement",
                "Indicateur",
                "Libellé de l'indicateur",
                "Site",
                "État",
                "Valeur",
                "Valeur (nombre ou taux %)",
                "Verdict",
                "Raison",
                "Source ARS",
                "Contestée",
                "Commentaire",
            ]),
            rows,
        },
        completion("Avancement par département", &d.by_department),
        completion("Avancement par GHT", &d.by_ght),
        completion("Avancement par établissement", &d.by_establishment),
        attainment("Atteinte par indicateur", &d.attainment_by_indicator),
        attainment("Atteinte par tranche", &d.attainment_by_band),
        attainment("Atteinte par département", &d.attainment_by_department),
        attainment("Atteinte par GHT", &d.attainment_by_ght),
    ];
    // Written off the async threads: a national campaign takes a while.
    let bytes = tokio::task::spawn_blocking(move || cpom_docs::xlsx::tables(&sheets))
        .await
        .map_err(|e| AppError::Internal(format!("export task: {e}")))?
        .map_err(AppError::Internal)?;
    Ok(crate::documents::Download {
        file_name: format!("campagne-{}-{}.xlsx", c.id, c.year),
        mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes,
    })
}
