//! Regional action plans through the API.

use super::extract::{Json, Path, Query};
use axum::extract::State;
use cpom_store::repo::plans::PlanSummary;

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiErrorBody};
use crate::plans;

fn summary_json(p: &PlanSummary) -> serde_json::Value {
    serde_json::json!({
        "id": p.id,
        "region": p.region.to_string(),
        "title": p.title,
        "start_year": p.start_year,
        "end_year": p.end_year,
        "source_file": p.source_file,
        "row_version": p.row_version,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    })
}

/// The action plans the caller sees (the agency: its region's).
#[utoipa::path(get, path = "/api/v1/action-plans", tag = "plans",
    responses((status = 200, description = "Les plans d'actions", body = Object)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
) -> Result<Json<serde_json::Value>, ApiError> {
    let items: Vec<_> = plans::list(&state, &cu)
        .await?
        .iter()
        .map(summary_json)
        .collect();
    Ok(Json(serde_json::json!({ "items": items })))
}

/// One action plan with its whole tree (thématiques → axes → objectifs → actions →
/// sous-actions), its statuses and pilots; an unset status is `null`. The filters keep the
/// matching items with their ancestors (and everything under a matching item), as the page.
#[utoipa::path(get, path = "/api/v1/action-plans/{id}", tag = "plans",
    params(("id" = i64, Path, description = "Identifiant du plan"), plans::PlanQuery),
    responses((status = 200, description = "Le plan et son arbre", body = Object),
        (status = 404, body = ApiErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<plans::PlanQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (p, tree, rights) = plans::view(&state, &cu, id, &q).await?;
    let mut out = summary_json(&p.summary);
    out["rights"] = serde_json::to_value(rights).unwrap_or_default();
    out["statuses"] = serde_json::to_value(&p.statuses).unwrap_or_default();
    out["pilots"] = serde_json::to_value(&p.pilots).unwrap_or_default();
    out["tree"] = tree
        .iter()
        .map(|n| plans::node_json(n, &p.statuses))
        .collect();
    Ok(Json(out))
}

/// A plan as an XLSX workbook in the import's layout (one row per action or sub-action).
#[utoipa::path(get, path = "/api/v1/action-plans/{id}/export.xlsx", tag = "plans",
    params(("id" = i64, Path, description = "Identifiant du plan")),
    responses((status = 200, description = "Le classeur",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        body = crate::api::documents::FileContent), (status = 404, body = ApiErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<axum::response::Response, ApiError> {
    Ok(crate::pages::send_file(
        plans::export(&state, &cu, id).await?,
    ))
}

/// The template of a plan file: the header row of the import's layout.
#[utoipa::path(get, path = "/api/v1/action-plans/template.xlsx", tag = "plans",
    responses((status = 200, description = "Le modèle",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        body = crate::api::documents::FileContent), (status = 403, body = ApiErrorBody)))]
pub async fn template(ApiUser(cu): ApiUser) -> Result<axum::response::Response, ApiError> {
    Ok(crate::pages::send_file(plans::template(&cu)?))
}

/// Query of an import.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `true`: only previews (nothing is written).
    #[serde(default)]
    pub dry_run: bool,
}

/// A plan file and the plan's fields.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PlanForm {
    /// Region code (the caller's region when left out).
    region: Option<String>,
    /// Title.
    title: String,
    /// First year.
    start_year: i32,
    /// Last year.
    end_year: i32,
    /// CSV or XLSX, one row per action or sub-action (see the template); 8 MB at most.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

/// Imports a plan from a file, all or nothing (the region's ARS administrators); with
/// `dry_run=true`, only previews. Every problem is listed with its line and column, and then
/// nothing is written; an unset status (empty, or « Sélectionner ») stays unset.
#[utoipa::path(post, path = "/api/v1/action-plans", tag = "plans", params(ImportQuery),
    request_body(content = PlanForm, content_type = "multipart/form-data"),
    responses((status = 200, description = "Aperçu, ou plan importé", body = plans::PlanReport),
        (status = 422, description = "Erreurs (rien n'est écrit)", body = PlanRefusal),
        (status = 403, body = ApiErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Query(q): Query<ImportQuery>,
    multipart: axum::extract::Multipart,
) -> Result<(axum::http::StatusCode, Json<plans::PlanReport>), ApiError> {
    let dir = state.store.files_dir().join("imports");
    let (upload, bytes) =
        crate::upload::receive_small(multipart, &dir, plans::MAX_PLAN_FILE).await?;
    let report = plans::import(
        &state,
        &cu,
        &plans::PlanFile {
            region: upload.field("region").unwrap_or_default(),
            title: upload.field("title").unwrap_or_default(),
            start_year: upload.field("start_year").unwrap_or_default(),
            end_year: upload.field("end_year").unwrap_or_default(),
            file_name: &upload.file_name,
            bytes: &bytes,
        },
        !q.dry_run,
    )
    .await?;
    let status = if report.errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(report)))
}

/// The change of an item: `row_version` (the version read) is required; the fields left out
/// keep their value. Dates: `jj/mm/aaaa`, `aaaa-mm-jj` or `aaaa`; an empty status unsets it.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ItemChange {
    /// Version read.
    pub row_version: Option<i64>,
    /// Title.
    pub title: Option<String>,
    /// Pilots, lead first: `ARS/AM`.
    pub pilots: Option<String>,
    /// Status code or label; empty to unset.
    pub status: Option<String>,
    /// Start.
    pub start: Option<String>,
    /// End.
    pub end: Option<String>,
    /// Description.
    pub description: Option<String>,
}

fn item_json(v: &plans::ItemView) -> serde_json::Value {
    let mut out = plans::node_json(&v.item, &v.plan.statuses);
    out["plan_id"] = v.plan.summary.id.into();
    out["path"] = v
        .path
        .iter()
        .map(|(id, level, title)| serde_json::json!({ "id": id, "level": level, "title": title }))
        .collect();
    out["warnings"] = serde_json::to_value(&v.warnings).unwrap_or_default();
    out["notes"] = serde_json::to_value(&v.notes).unwrap_or_default();
    out["links"] = serde_json::to_value(&v.links).unwrap_or_default();
    out["rights"] = serde_json::to_value(v.rights).unwrap_or_default();
    out
}

/// One item of a plan with its children, its ancestors, its progress notes (newest first),
/// its links and the caller's rights.
#[utoipa::path(get, path = "/api/v1/action-plans/{id}/items/{item_id}", tag = "plans",
    params(("id" = i64, Path, description = "Identifiant du plan"),
        ("item_id" = i64, Path, description = "Identifiant de l'élément")),
    responses((status = 200, description = "L'élément", body = Object),
        (status = 404, body = ApiErrorBody)))]
pub async fn get_item(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((id, item_id)): Path<(i64, i64)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(item_json(
        &plans::item(&state, &cu, id, item_id).await?,
    )))
}

/// Changes an item (the region's ARS administrators, and the editors given on the plan):
/// title, pilots, status, dates, description, at the version read (409 when it changed
/// meanwhile). Returns the item as now stored, with the warnings (an item beyond its
/// objective's period).
#[utoipa::path(put, path = "/api/v1/action-plans/{id}/items/{item_id}", tag = "plans",
    params(("id" = i64, Path, description = "Identifiant du plan"),
        ("item_id" = i64, Path, description = "Identifiant de l'élément")),
    request_body = ItemChange,
    responses((status = 200, description = "L'élément modifié", body = Object),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn update_item(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((id, item_id)): Path<(i64, i64)>,
    Json(body): Json<ItemChange>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let version = body.row_version;
    // The fields left out keep their stored value.
    let merge = |current: &cpom_domain::plan::Item| {
        let mut edit = plans::edit_of(current);
        for (slot, value) in [
            (&mut edit.title, body.title),
            (&mut edit.pilots, body.pilots),
            (&mut edit.status, body.status),
            (&mut edit.start, body.start),
            (&mut edit.end, body.end),
            (&mut edit.description, body.description),
        ] {
            if let Some(v) = value {
                *slot = v;
            }
        }
        edit
    };
    plans::update_item(&state, &cu, id, item_id, version, merge).await?;
    Ok(Json(item_json(
        &plans::item(&state, &cu, id, item_id).await?,
    )))
}

/// A progress note.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NoteInput {
    /// Day of the progress told (`jj/mm/aaaa` or `aaaa-mm-jj`, today or before); today when
    /// left out.
    #[serde(default)]
    pub noted_on: String,
    /// What was done.
    #[serde(default)]
    pub text: String,
}

/// Adds a dated progress note to an item, signed with the caller's name.
#[utoipa::path(post, path = "/api/v1/action-plans/{id}/items/{item_id}/notes", tag = "plans",
    params(("id" = i64, Path, description = "Identifiant du plan"),
        ("item_id" = i64, Path, description = "Identifiant de l'élément")),
    request_body = NoteInput,
    responses((status = 201, description = "Le point d'avancement", body = Object),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn add_note(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((id, item_id)): Path<(i64, i64)>,
    Json(body): Json<NoteInput>,
) -> Result<(axum::http::StatusCode, Json<serde_json::Value>), ApiError> {
    let n = plans::add_note(&state, &cu, id, item_id, &body.noted_on, &body.text).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(serde_json::to_value(n).unwrap_or_default()),
    ))
}

/// A link to add.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct LinkInput {
    /// `contract`, `fiche` or `campaign`.
    #[serde(default)]
    pub kind: String,
    /// A contract's number or its legal entity's FINESS; a campaign's year; a fiche's code,
    /// or `référentiel:code`.
    #[serde(default)]
    pub target: String,
}

/// Links an item to a contract, a fiche or a campaign of the plan's region.
#[utoipa::path(post, path = "/api/v1/action-plans/{id}/items/{item_id}/links", tag = "plans",
    params(("id" = i64, Path, description = "Identifiant du plan"),
        ("item_id" = i64, Path, description = "Identifiant de l'élément")),
    request_body = LinkInput,
    responses((status = 201, description = "Le lien", body = Object),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, description = "Référence introuvable ou déjà liée", body = ApiErrorBody)))]
pub async fn add_link(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((id, item_id)): Path<(i64, i64)>,
    Json(body): Json<LinkInput>,
) -> Result<(axum::http::StatusCode, Json<serde_json::Value>), ApiError> {
    let l = plans::add_link(&state, &cu, id, item_id, &body.kind, &body.target).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(serde_json::to_value(l).unwrap_or_default()),
    ))
}

/// Removes a link of an item.
#[utoipa::path(delete, path = "/api/v1/action-plans/{id}/items/{item_id}/links/{link_id}",
    tag = "plans",
    params(("id" = i64, Path, description = "Identifiant du plan"),
        ("item_id" = i64, Path, description = "Identifiant de l'élément"),
        ("link_id" = i64, Path, description = "Identifiant du lien")),
    responses((status = 204, description = "Lien retiré"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn remove_link(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((id, item_id, link_id)): Path<(i64, i64, i64)>,
) -> Result<axum::http::StatusCode, ApiError> {
    plans::remove_link(&state, &cu, id, item_id, link_id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The accounts given a role on a plan; for the plan's managers, also the accounts that may
/// be given one (the region's observers and referents).
#[utoipa::path(get, path = "/api/v1/action-plans/{id}/members", tag = "plans",
    params(("id" = i64, Path, description = "Identifiant du plan")),
    responses((status = 200, description = "Les rôles sur le plan", body = Object),
        (status = 404, body = ApiErrorBody)))]
pub async fn members(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (members, candidates) = plans::members(&state, &cu, id).await?;
    Ok(Json(serde_json::json!({
        "members": members,
        "candidates": candidates,
    })))
}

/// A role on a plan.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct MemberInput {
    /// `observer` (reads the plan) or `editor` (also follows its items).
    #[serde(default)]
    pub role: String,
}

/// Gives an account (an observer, e.g. of the Assurance maladie, or a referent of the
/// region) a role on a plan, or changes it: the region's ARS administrators.
#[utoipa::path(put, path = "/api/v1/action-plans/{id}/members/{user_id}", tag = "plans",
    params(("id" = i64, Path, description = "Identifiant du plan"),
        ("user_id" = i64, Path, description = "Identifiant du compte")),
    request_body = MemberInput,
    responses((status = 204, description = "Rôle donné"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn set_member(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((id, user_id)): Path<(i64, i64)>,
    Json(body): Json<MemberInput>,
) -> Result<axum::http::StatusCode, ApiError> {
    plans::set_member(&state, &cu, id, &user_id.to_string(), &body.role).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Takes an account's role on a plan away: the region's ARS administrators.
#[utoipa::path(delete, path = "/api/v1/action-plans/{id}/members/{user_id}", tag = "plans",
    params(("id" = i64, Path, description = "Identifiant du plan"),
        ("user_id" = i64, Path, description = "Identifiant du compte")),
    responses((status = 204, description = "Rôle retiré"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn remove_member(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((id, user_id)): Path<(i64, i64)>,
) -> Result<axum::http::StatusCode, ApiError> {
    plans::remove_member(&state, &cu, id, user_id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The region of the lists.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListsQuery {
    /// Region code (the caller's region when left out).
    pub region: Option<String>,
}

/// A status of the lists.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct StatusBody {
    /// Code of an existing status; left out for a new one (made from its label).
    #[serde(default)]
    pub code: String,
    /// Label.
    #[serde(default)]
    pub label: String,
    /// Whether it closes an item (never late).
    #[serde(default)]
    pub closed: bool,
}

/// The statuses and pilots of a region's plans.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ListsInput {
    /// Region code (the caller's region when left out).
    pub region: Option<String>,
    /// Version read (0 while the defaults apply).
    pub version: Option<i64>,
    /// Statuses, in order.
    #[serde(default)]
    pub statuses: Vec<StatusBody>,
    /// Pilots (single organisations; co-pilots are written `ARS/AM`).
    #[serde(default)]
    pub pilots: Vec<String>,
}

/// The statuses and pilots of a region's plans (the region's ARS administrators).
#[utoipa::path(get, path = "/api/v1/action-plans/settings", tag = "plans", params(ListsQuery),
    responses((status = 200, description = "Les listes", body = Object),
        (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn get_lists(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Query(q): Query<ListsQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let region = plans::lists_region(&cu, q.region.as_deref())?;
    let l = plans::lists(&state, &cu, &region).await?;
    Ok(Json(serde_json::to_value(l).unwrap_or_default()))
}

/// Sets the statuses and pilots of a region's plans, at the version read (409 when they
/// changed meanwhile); a status or pilot still used by an item cannot be taken out.
#[utoipa::path(put, path = "/api/v1/action-plans/settings", tag = "plans",
    request_body = ListsInput,
    responses((status = 200, description = "Les listes enregistrées", body = Object),
        (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn set_lists(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Json(body): Json<ListsInput>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let region = plans::lists_region(&cu, body.region.as_deref())?;
    let statuses: Vec<cpom_domain::plan::StatusInput> = body
        .statuses
        .into_iter()
        .map(|s| cpom_domain::plan::StatusInput {
            code: s.code,
            label: s.label,
            closed: s.closed,
        })
        .collect();
    let l = plans::set_lists(
        &state,
        &cu,
        &region,
        &statuses,
        &body.pilots.join("\n"),
        body.version,
    )
    .await?;
    Ok(Json(serde_json::to_value(l).unwrap_or_default()))
}

/// A 422 of this import: the file's report, or the error of a form field (no file, an
/// unknown kind…).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum PlanRefusal {
    /// The file's report, with its errors.
    Report(plans::PlanReport),
    /// A field of the form.
    Form(crate::error::ApiErrorBody),
}
