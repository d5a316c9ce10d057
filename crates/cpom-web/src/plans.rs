//! Regional action plans (issue 8), shared by the pages and the API: every access is decided
//! here through the policy (`ViewPlan`, `ManagePlans`).

use cpom_domain::Action;
use cpom_domain::plan::Item;
use cpom_domain::plan::{Filter, StatusDef, late};
use cpom_domain::policy::{Listing, list_filter};
use cpom_store::repo::plans::{Plan, PlanSummary};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::services::{blank_to_none, today};

/// Filters of a plan's view, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct PlanQuery {
    /// Items with this pilot (e.g. `AM`).
    pub pilot: Option<String>,
    /// Items with this status code, or `none` for those without status.
    pub status: Option<String>,
    /// `true`: late items only (end passed, status not closed).
    pub late: Option<String>,
    /// Id of an axis: its items only.
    pub axis: Option<String>,
}

/// The filter of a view, checked against the plan's lists.
pub fn filter_of(q: &PlanQuery, plan: &Plan) -> Result<Filter, AppError> {
    let status = blank_to_none(&q.status);
    if let Some(s) = status
        && s != "none"
        && !plan.statuses.iter().any(|d| d.code == s)
    {
        return Err(AppError::field("status", format!("statut « {s} » inconnu")));
    }
    let pilot = blank_to_none(&q.pilot);
    if let Some(p) = pilot
        && !plan.pilots.iter().any(|k| k == p)
    {
        return Err(AppError::field("pilot", format!("pilote « {p} » inconnu")));
    }
    Ok(Filter {
        pilot: pilot.map(str::to_owned),
        status: status.filter(|s| *s != "none").map(str::to_owned),
        without_status: status == Some("none"),
        late_only: match blank_to_none(&q.late) {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(AppError::field(
                    "late",
                    format!("« {other} » : true ou false attendu"),
                ));
            }
        },
        axis: match blank_to_none(&q.axis) {
            None => None,
            Some(a) => Some(
                a.parse()
                    .map_err(|_| AppError::field("axis", format!("axe « {a} » inconnu")))?,
            ),
        },
    })
}

/// One plan seen through a filter: the plan and the tree kept.
pub async fn view(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    q: &PlanQuery,
) -> Result<(Plan, Vec<Item>), AppError> {
    let p = get(state, cu, id).await?;
    let f = filter_of(q, &p)?;
    let tree = cpom_domain::plan::filter(&p.tree, &f, &p.statuses, today());
    Ok((p, tree))
}

/// The plans the actor sees (the agency's users and observers).
pub async fn list(state: &AppState, cu: &CurrentUser) -> Result<Vec<PlanSummary>, AppError> {
    cu.authorize(&Action::ListPlans)?;
    Ok(state
        .store
        .list_plans(&list_filter(&cu.actor(), Listing::Plans))
        .await?)
}

/// One plan, if the actor may read it.
pub async fn get(state: &AppState, cu: &CurrentUser, id: i64) -> Result<Plan, AppError> {
    let p = state.store.plan(id).await?;
    if cu
        .authorize(&Action::ViewPlan(p.summary.region.clone()))
        .is_err()
    {
        return Err(AppError::NotFound);
    }
    Ok(p)
}

/// A node of a plan as the API gives it: an unset status is `null`, never a placeholder;
/// `late` when its end passed and its status is not a closed one.
pub fn node_json(n: &Item, statuses: &[StatusDef]) -> serde_json::Value {
    let date = |d: Option<cpom_domain::plan::PlanDate>| {
        d.map(|d| {
            serde_json::json!({
                "text": d.display(),
                "first_day": d.first_day(),
                "last_day": d.last_day(),
            })
        })
    };
    let label = n
        .status
        .as_ref()
        .and_then(|c| statuses.iter().find(|s| s.code == *c))
        .map(|s| s.label.clone());
    let followed = n.level.followed();
    serde_json::json!({
        "id": n.id,
        "level": n.level.as_str(),
        "title": n.title,
        "pilots": n.pilots,
        "status": n.status,
        "status_label": label,
        "start": date(n.start),
        "end": date(n.end),
        "late": followed && late(n.end, n.status.as_deref(), statuses, today()),
        "description": n.description,
        "doubt": (!n.doubt.is_empty()).then_some(&n.doubt),
        "row_version": n.row_version,
        "children": n.children.iter().map(|c| node_json(c, statuses)).collect::<Vec<_>>(),
    })
}

/// A plan as an XLSX workbook in the import's layout (one row per action or sub-action),
/// so that it can be completed and imported again.
pub async fn export(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
) -> Result<crate::documents::Download, AppError> {
    let p = get(state, cu, id).await?;
    let rows = cpom_domain::plan::flatten(&p.tree, &p.statuses);
    Ok(crate::documents::Download {
        file_name: format!("plan-{}-{}.xlsx", p.summary.region, p.summary.id),
        mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes: cpom_import::plan::write(&rows).map_err(AppError::Internal)?,
    })
}

/// The template to fill: the header row of the import's layout.
pub fn template(cu: &CurrentUser) -> Result<crate::documents::Download, AppError> {
    cu.authorize(&Action::ListPlans)?;
    Ok(crate::documents::Download {
        file_name: "modele-plan-d-actions.xlsx".into(),
        mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes: cpom_import::plan::write(&[]).map_err(AppError::Internal)?,
    })
}

/// Largest plan file accepted.
pub const MAX_PLAN_FILE: u64 = 8 * 1024 * 1024;

/// Whether the actor may import plans (an ARS administrator of a region, or the national
/// administrator).
pub fn can_import(cu: &CurrentUser) -> bool {
    match &cu.user.region {
        Some(r) => cu.authorize(&Action::ManagePlans(r.clone())).is_ok(),
        None => cu.user.role == cpom_domain::Role::NationalAdmin,
    }
}

/// A plan file to import, with the plan's fields as typed.
pub struct PlanFile<'a> {
    /// Region code (the actor's region when empty).
    pub region: &'a str,
    /// Title.
    pub title: &'a str,
    /// First year.
    pub start_year: &'a str,
    /// Last year.
    pub end_year: &'a str,
    /// File name.
    pub file_name: &'a str,
    /// Content.
    pub bytes: &'a [u8],
}

/// A problem of a plan file, at its place.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PlanFileError {
    /// Line of the file (0: the whole file or a field of the form).
    pub line: u64,
    /// Column, or the form's field.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// What an import found: the counts by level, the warnings, every error; the plan's id once
/// imported.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PlanReport {
    /// Rows read.
    pub rows: usize,
    /// Items by level (`theme`, `axis`, `objective`, `action`, `sub_action`).
    #[schema(value_type = Object)]
    pub counts: std::collections::BTreeMap<String, usize>,
    /// Warnings (an action beyond its objective's period, values differing between rows).
    pub warnings: Vec<String>,
    /// Errors; then nothing is written.
    pub errors: Vec<PlanFileError>,
    /// The plan imported (not on a preview).
    pub plan_id: Option<i64>,
}

/// Reads, checks and (with `apply`) imports a plan file, all or nothing: the region's ARS
/// administrators (and the national administrator).
pub async fn import(
    state: &AppState,
    cu: &CurrentUser,
    file: &PlanFile<'_>,
    apply: bool,
) -> Result<PlanReport, AppError> {
    use cpom_domain::plan::{Level, build_tree, default_pilots, default_statuses};
    let region = match (
        blank_to_none(&Some(file.region.to_owned())),
        &cu.user.region,
    ) {
        (Some(r), _) => cpom_domain::RegionCode::parse(r)
            .map_err(|_| AppError::field("region", format!("région « {r} » inconnue")))?,
        (None, Some(own)) => own.clone(),
        (None, None) => return Err(AppError::field("region", "indiquez la région du plan")),
    };
    cu.authorize(&Action::ManagePlans(region.clone()))?;
    let mut form: Vec<crate::error::FieldError> = vec![];
    let mut add = |field: &str, message: &str| {
        form.push(crate::error::FieldError {
            field: field.into(),
            message: message.into(),
        })
    };
    let title = file.title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() || title.chars().count() > 300 {
        add("title", "titre obligatoire, 300 caractères au plus");
    }
    let year = |raw: &str| {
        raw.trim()
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
    };
    let (start, end) = (year(file.start_year), year(file.end_year));
    if start.is_none() {
        add("start_year", "première année attendue (aaaa)");
    }
    if end.is_none() {
        add("end_year", "dernière année attendue (aaaa)");
    }
    if let (Some(a), Some(b)) = (start, end)
        && a > b
    {
        add("end_year", "la dernière année précède la première");
    }
    if !form.is_empty() {
        return Err(AppError::Validation(form));
    }
    let (start, end) = (start.unwrap_or_default(), end.unwrap_or_default());
    let mut report = PlanReport {
        rows: 0,
        counts: Default::default(),
        warnings: vec![],
        errors: vec![],
        plan_id: None,
    };
    let rows = match cpom_import::plan::read(file.bytes) {
        Ok(rows) => rows,
        Err(errors) => {
            report.errors = errors
                .into_iter()
                .map(|e| PlanFileError {
                    line: e.line,
                    column: e.column,
                    message: e.message,
                })
                .collect();
            return Ok(report);
        }
    };
    report.rows = rows.len();
    let (statuses, pilots) = (default_statuses(), default_pilots());
    let tree = match build_tree(&rows, &statuses, &pilots) {
        Ok(tree) => tree,
        Err(errors) => {
            report.errors = errors
                .into_iter()
                .map(|e| PlanFileError {
                    line: e.line,
                    column: Some(e.column.into()),
                    message: e.message,
                })
                .collect();
            return Ok(report);
        }
    };
    for l in Level::ALL {
        report
            .counts
            .insert(l.as_str().into(), tree.iter().map(|t| t.count(l)).sum());
    }
    fn warnings(items: &[cpom_domain::plan::Item], out: &mut Vec<String>) {
        for i in items {
            out.extend(
                i.warnings
                    .iter()
                    .map(|w| format!("{} « {} » : {w}", i.level.label(), i.title)),
            );
            warnings(&i.children, out);
        }
    }
    warnings(&tree, &mut report.warnings);
    if apply {
        let plan = state
            .store
            .import_plan(
                &cu.user.audit_actor(),
                &cpom_store::repo::plans::NewPlan {
                    region,
                    title,
                    start_year: start,
                    end_year: end,
                    source_file: file.file_name.to_owned(),
                    statuses,
                    pilots,
                },
                &tree,
            )
            .await?;
        report.plan_id = Some(plan.id);
    }
    Ok(report)
}
