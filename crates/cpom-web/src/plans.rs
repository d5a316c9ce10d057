//! Regional action plans (issue 8), shared by the pages and the API: every access is decided
//! here through the policy (`ViewPlan`, `EditPlan`, `ManagePlans`), with the actor's role on
//! the plan read from the store.

use cpom_domain::plan::{Filter, Item, ItemEdit, LinkKind, PlanRole, StatusDef, late};
use cpom_domain::policy::{Listing, list_filter};
use cpom_domain::{Action, RegionCode};
use cpom_store::repo::plans::{
    Plan, PlanAccount, PlanLink, PlanLists, PlanMember, PlanNote, PlanSummary,
};

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

/// One plan seen through a filter: the plan, the tree kept, and the actor's rights.
pub async fn view(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    q: &PlanQuery,
) -> Result<(Plan, Vec<Item>, Rights), AppError> {
    let (p, rights) = get_with_rights(state, cu, id).await?;
    let f = filter_of(q, &p)?;
    let tree = cpom_domain::plan::filter(&p.tree, &f, &p.statuses, today());
    Ok((p, tree, rights))
}

/// The plans the actor sees: the agency's users those of their region, a regional observer
/// those it was given a role on.
pub async fn list(state: &AppState, cu: &CurrentUser) -> Result<Vec<PlanSummary>, AppError> {
    cu.authorize(&Action::ListPlans)?;
    let roles = state.store.plan_roles_of(cu.user.id).await?;
    Ok(state
        .store
        .list_plans(&list_filter(&cu.actor(), Listing::Plans))
        .await?
        .into_iter()
        .filter(|p| {
            cu.authorize(&Action::ViewPlan {
                region: p.region.clone(),
                role: roles.get(&p.id).copied(),
            })
            .is_ok()
        })
        .collect())
}

/// What the actor may do on one plan.
#[derive(Debug, Clone, Copy, serde::Serialize, utoipa::ToSchema)]
pub struct Rights {
    /// The actor's role on the plan, if one was given: `observer` or `editor`.
    #[schema(value_type = Option<String>)]
    pub role: Option<PlanRole>,
    /// Follows the items (status, dates, pilots, description, notes, links).
    pub edit: bool,
    /// Gives roles on the plan.
    pub manage: bool,
}

/// The actor's rights on a plan it may read (404 otherwise).
async fn rights(state: &AppState, cu: &CurrentUser, p: &PlanSummary) -> Result<Rights, AppError> {
    let role = state.store.plan_role(p.id, cu.user.id).await?;
    let region = p.region.clone();
    if cu
        .authorize(&Action::ViewPlan {
            region: region.clone(),
            role,
        })
        .is_err()
    {
        return Err(AppError::NotFound);
    }
    Ok(Rights {
        role,
        edit: cu
            .authorize(&Action::EditPlan {
                region: region.clone(),
                role,
            })
            .is_ok(),
        manage: cu.authorize(&Action::ManagePlans(region)).is_ok(),
    })
}

/// One plan, if the actor may read it.
pub async fn get(state: &AppState, cu: &CurrentUser, id: i64) -> Result<Plan, AppError> {
    Ok(get_with_rights(state, cu, id).await?.0)
}

/// One plan and the actor's rights on it, if the actor may read it.
pub async fn get_with_rights(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
) -> Result<(Plan, Rights), AppError> {
    let p = state.store.plan(id).await?;
    let r = rights(state, cu, &p.summary).await?;
    Ok((p, r))
}

/// The plan, if the actor may follow its items (403 when it reads it only).
async fn editable(state: &AppState, cu: &CurrentUser, id: i64) -> Result<Plan, AppError> {
    let (p, r) = get_with_rights(state, cu, id).await?;
    if !r.edit {
        cu.authorize(&Action::EditPlan {
            region: p.summary.region.clone(),
            role: r.role,
        })?;
    }
    Ok(p)
}

/// The plan, if the actor manages the plans of its region (403 when it reads it only).
async fn managed(state: &AppState, cu: &CurrentUser, id: i64) -> Result<Plan, AppError> {
    let (p, r) = get_with_rights(state, cu, id).await?;
    if !r.manage {
        cu.authorize(&Action::ManagePlans(p.summary.region.clone()))?;
    }
    Ok(p)
}

/// One item of a plan with everything the item's page shows.
pub struct ItemView {
    /// The plan.
    pub plan: Plan,
    /// The actor's rights.
    pub rights: Rights,
    /// The item (with its children).
    pub item: Item,
    /// Its ancestors, from the thématique: (id, level label, title).
    pub path: Vec<(i64, &'static str, String)>,
    /// Its progress notes, newest first.
    pub notes: Vec<PlanNote>,
    /// Its links.
    pub links: Vec<PlanLink>,
    /// Warnings on its period (beyond its objective's).
    pub warnings: Vec<String>,
}

/// One item of a plan the actor reads.
pub async fn item(
    state: &AppState,
    cu: &CurrentUser,
    plan_id: i64,
    item_id: i64,
) -> Result<ItemView, AppError> {
    let (plan, rights) = get_with_rights(state, cu, plan_id).await?;
    let (item, ancestors) =
        cpom_domain::plan::find(&plan.tree, item_id).ok_or(AppError::NotFound)?;
    let warnings = cpom_domain::plan::objective_period(&ancestors)
        .and_then(|p| cpom_domain::plan::outside_parent((item.start, item.end), p))
        .into_iter()
        .collect();
    let path = ancestors
        .iter()
        .map(|a| (a.id, a.level.label(), a.title.clone()))
        .collect();
    let item = item.clone();
    Ok(ItemView {
        notes: state.store.plan_notes(plan_id, Some(item_id)).await?,
        links: state.store.plan_links(plan_id, Some(item_id)).await?,
        plan,
        rights,
        item,
        path,
        warnings,
    })
}

/// An item's fields as they stand, typed (the start of a change).
pub fn edit_of(i: &Item) -> ItemEdit {
    ItemEdit {
        title: i.title.clone(),
        pilots: i.pilots.join("/"),
        status: i.status.clone().unwrap_or_default(),
        start: i.start.map(|d| d.display()).unwrap_or_default(),
        end: i.end.map(|d| d.display()).unwrap_or_default(),
        description: i.description.clone(),
    }
}

/// Changes an item read at `row_version` (required: without it the change is refused) to
/// what `edit` makes of it as stored (the page sends every field; the API keeps those left
/// out); returns the new version and the warnings.
pub async fn update_item(
    state: &AppState,
    cu: &CurrentUser,
    plan_id: i64,
    item_id: i64,
    row_version: Option<i64>,
    edit: impl FnOnce(&Item) -> ItemEdit,
) -> Result<(i64, Vec<String>), AppError> {
    let p = editable(state, cu, plan_id).await?;
    let (item, ancestors) = cpom_domain::plan::find(&p.tree, item_id).ok_or(AppError::NotFound)?;
    let Some(version) = row_version else {
        return Err(AppError::field(
            "row_version",
            "version lue manquante : rechargez la page avant de modifier",
        ));
    };
    let checked = cpom_domain::plan::check_edit(
        item.level,
        &edit(item),
        &p.statuses,
        &p.pilots,
        cpom_domain::plan::objective_period(&ancestors),
    )?;
    let v = state
        .store
        .update_plan_item(
            &cu.user.audit_actor(),
            &p.summary,
            item_id,
            version,
            &checked,
        )
        .await?;
    Ok((v, checked.warnings))
}

/// Adds a dated progress note to an item (today when the day is empty).
pub async fn add_note(
    state: &AppState,
    cu: &CurrentUser,
    plan_id: i64,
    item_id: i64,
    day: &str,
    text: &str,
) -> Result<PlanNote, AppError> {
    let p = editable(state, cu, plan_id).await?;
    cpom_domain::plan::find(&p.tree, item_id).ok_or(AppError::NotFound)?;
    let (day, text) = cpom_domain::plan::check_note(day, text, today())?;
    Ok(state
        .store
        .add_plan_note(
            &cu.user.audit_actor(),
            cu.user.display_name.as_str(),
            &p.summary,
            item_id,
            day,
            &text,
        )
        .await?)
}

/// Links an item to a contract, a fiche or a campaign of the plan's region.
pub async fn add_link(
    state: &AppState,
    cu: &CurrentUser,
    plan_id: i64,
    item_id: i64,
    kind: &str,
    target: &str,
) -> Result<PlanLink, AppError> {
    let p = editable(state, cu, plan_id).await?;
    cpom_domain::plan::find(&p.tree, item_id).ok_or(AppError::NotFound)?;
    let kind = LinkKind::parse(kind).ok_or_else(|| {
        AppError::field(
            "kind",
            format!("« {kind} » : contract, fiche ou campaign attendu"),
        )
    })?;
    let target = cpom_domain::plan::parse_link_target(kind, target)?;
    Ok(state
        .store
        .add_plan_link(&cu.user.audit_actor(), &p.summary, item_id, kind, &target)
        .await?)
}

/// Removes a link of an item.
pub async fn remove_link(
    state: &AppState,
    cu: &CurrentUser,
    plan_id: i64,
    item_id: i64,
    link_id: i64,
) -> Result<(), AppError> {
    let p = editable(state, cu, plan_id).await?;
    Ok(state
        .store
        .remove_plan_link(&cu.user.audit_actor(), &p.summary, item_id, link_id)
        .await?)
}

/// The accounts given a role on a plan, and (for its managers) those that may be given one.
pub async fn members(
    state: &AppState,
    cu: &CurrentUser,
    plan_id: i64,
) -> Result<(Vec<PlanMember>, Vec<PlanAccount>), AppError> {
    let (p, r) = get_with_rights(state, cu, plan_id).await?;
    members_of(state, &p.summary, r).await
}

/// The roles on a plan the actor was allowed to read with `rights`, and (for its managers)
/// the accounts that may be given one.
pub async fn members_of(
    state: &AppState,
    p: &PlanSummary,
    rights: Rights,
) -> Result<(Vec<PlanMember>, Vec<PlanAccount>), AppError> {
    let members = state.store.plan_members(p.id).await?;
    let candidates = if rights.manage {
        state.store.plan_candidates(&p.region).await?
    } else {
        vec![]
    };
    Ok((members, candidates))
}

/// Gives an account a role on a plan (or changes it).
pub async fn set_member(
    state: &AppState,
    cu: &CurrentUser,
    plan_id: i64,
    user_id: &str,
    role: &str,
) -> Result<(), AppError> {
    let p = managed(state, cu, plan_id).await?;
    let user_id: i64 = user_id
        .trim()
        .parse()
        .map_err(|_| AppError::field("user_id", "choisissez un compte"))?;
    let role = PlanRole::parse(role).ok_or_else(|| {
        AppError::field("role", format!("« {role} » : observer ou editor attendu"))
    })?;
    Ok(state
        .store
        .set_plan_member(&cu.user.audit_actor(), &p.summary, user_id, role)
        .await?)
}

/// Takes an account's role on a plan away.
pub async fn remove_member(
    state: &AppState,
    cu: &CurrentUser,
    plan_id: i64,
    user_id: i64,
) -> Result<(), AppError> {
    let p = managed(state, cu, plan_id).await?;
    Ok(state
        .store
        .remove_plan_member(&cu.user.audit_actor(), &p.summary, user_id)
        .await?)
}

/// The region whose lists an actor works on: the one named, or the actor's own.
pub fn lists_region(cu: &CurrentUser, region: Option<&str>) -> Result<RegionCode, AppError> {
    match (
        region.map(str::trim).filter(|r| !r.is_empty()),
        &cu.user.region,
    ) {
        (Some(r), _) => RegionCode::parse(r)
            .map_err(|_| AppError::field("region", format!("région « {r} » inconnue"))),
        (None, Some(own)) => Ok(own.clone()),
        (None, None) => Err(AppError::field("region", "indiquez la région")),
    }
}

/// The statuses and pilots of a region's plans, for its managers.
pub async fn lists(
    state: &AppState,
    cu: &CurrentUser,
    region: &RegionCode,
) -> Result<PlanLists, AppError> {
    cu.authorize(&Action::ManagePlans(region.clone()))?;
    Ok(state.store.plan_lists(region).await?)
}

/// Saves the statuses and pilots of a region's plans read at `version` (required: 0 while
/// the defaults apply).
pub async fn set_lists(
    state: &AppState,
    cu: &CurrentUser,
    region: &RegionCode,
    statuses: &[cpom_domain::plan::StatusInput],
    pilots: &str,
    version: Option<i64>,
) -> Result<PlanLists, AppError> {
    cu.authorize(&Action::ManagePlans(region.clone()))?;
    let Some(version) = version else {
        return Err(AppError::field(
            "version",
            "version lue manquante (0 tant que les listes par défaut s'appliquent) : rechargez la page",
        ));
    };
    let (statuses, pilots) = cpom_domain::plan::check_lists(statuses, pilots)?;
    Ok(state
        .store
        .set_plan_lists(&cu.user.audit_actor(), region, &statuses, &pilots, version)
        .await?)
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
    use cpom_domain::plan::{Level, build_tree};
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
    let lists = state.store.plan_lists(&region).await?;
    let tree = match build_tree(&rows, &lists.statuses, &lists.pilots) {
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
                },
                &tree,
            )
            .await?;
        report.plan_id = Some(plan.id);
    }
    Ok(report)
}
