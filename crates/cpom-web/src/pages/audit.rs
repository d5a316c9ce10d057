//! Browser of the audit trail, filtered by entity, account and date.

use super::extract::Query;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::{NaiveDate, TimeZone, Utc};
use cpom_store::AuditFilter;
use serde::Deserialize;
use tower_sessions::Session;

use super::render;
use crate::AppState;
use crate::auth::PageUser;
use crate::error::{AppError, PageError};
use crate::services::{self, paging};
use crate::view::{Layout, count_fr, datetime_fr};

/// Query string of the audit browser (also used by the API).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Kind of entity (`user`, `api_token`, `legal_entity`).
    #[serde(default)]
    pub entity_type: Option<String>,
    /// Id of the entity.
    #[serde(default)]
    pub entity_id: Option<String>,
    /// Account that made the changes.
    #[serde(default)]
    pub user_id: Option<String>,
    /// First day (`aaaa-mm-jj`), included.
    #[serde(default)]
    pub from: Option<String>,
    /// Last day (`aaaa-mm-jj`), included.
    #[serde(default)]
    pub to: Option<String>,
    /// Page number, from 1.
    #[serde(default)]
    pub page: Option<u64>,
    /// Page size (at most 200).
    #[serde(default)]
    pub per_page: Option<u64>,
}

fn blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn day(field: &str, raw: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d/%m/%Y"))
        .map_err(|_| AppError::field(field, format!("« {raw} » n'est pas une date (jj/mm/aaaa)")))
}

impl AuditQuery {
    /// Validated filter. Days are taken in UTC.
    pub fn filter(&self) -> Result<AuditFilter, AppError> {
        let user_id = blank(&self.user_id)
            .map(|u| {
                u.parse::<i64>().map_err(|_| {
                    AppError::field("user_id", format!("« {u} » n'est pas un numéro de compte"))
                })
            })
            .transpose()?;
        let from = blank(&self.from).map(|d| day("from", d)).transpose()?;
        let to = blank(&self.to).map(|d| day("to", d)).transpose()?;
        let midnight =
            |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"));
        Ok(AuditFilter {
            entity_type: blank(&self.entity_type).map(str::to_owned),
            entity_id: blank(&self.entity_id).map(str::to_owned),
            actor_user_id: user_id,
            from: from.map(midnight),
            to: to.and_then(|d| d.succ_opt()).map(midnight),
            entity_types: vec![],
        })
    }
}

/// One audit row.
pub struct AuditRow {
    at: String,
    actor: String,
    action: String,
    entity: String,
    before: String,
    after: String,
}

/// The audit page.
#[derive(Template)]
#[template(path = "audit/list.html")]
pub struct AuditPage {
    layout: Layout,
    rows: Vec<AuditRow>,
    total: String,
    page: u64,
    pages: u64,
    query: AuditQueryEcho,
    error: String,
    prev_href: String,
    next_href: String,
}

/// Filter values echoed into the form.
#[derive(Default)]
pub struct AuditQueryEcho {
    entity_type: String,
    entity_id: String,
    user_id: String,
    from: String,
    to: String,
}

fn href(echo: &AuditQueryEcho, page: u64) -> String {
    let params = [
        ("entity_type", echo.entity_type.as_str()),
        ("entity_id", echo.entity_id.as_str()),
        ("user_id", echo.user_id.as_str()),
        ("from", echo.from.as_str()),
        ("to", echo.to.as_str()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .chain(std::iter::once(("page".to_owned(), page.to_string())))
    .collect::<Vec<_>>();
    format!(
        "/admin/journal?{}",
        serde_urlencoded::to_string(params).unwrap_or_default()
    )
}

/// GET `/admin/journal`.
pub async fn list_audit(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Query(query): Query<AuditQuery>,
) -> Result<Response, PageError> {
    cu.authorize(&cpom_domain::Action::ViewAudit)?;
    let echo = AuditQueryEcho {
        entity_type: blank(&query.entity_type).unwrap_or_default().to_owned(),
        entity_id: blank(&query.entity_id).unwrap_or_default().to_owned(),
        user_id: blank(&query.user_id).unwrap_or_default().to_owned(),
        from: blank(&query.from).unwrap_or_default().to_owned(),
        to: blank(&query.to).unwrap_or_default().to_owned(),
    };
    let (filter, error) = match query.filter() {
        Ok(f) => (f, String::new()),
        Err(e) => (AuditFilter::default(), e.message()),
    };
    let (page, per_page) = paging(query.page, None);
    let result = services::list_audit(&state, &cu, &filter, page, per_page).await?;
    let pages = result.page_count();
    let json =
        |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
    render(&AuditPage {
        layout: Layout::new(&state, &session, &cu, "Journal d'audit", "/admin/journal").await?,
        rows: result
            .items
            .iter()
            .map(|e| AuditRow {
                at: datetime_fr(e.at),
                actor: e.actor_label.clone(),
                action: e.action.clone(),
                entity: format!("{} {}", e.entity_type, e.entity_id),
                before: json(&e.before),
                after: json(&e.after),
            })
            .collect(),
        total: count_fr(result.total),
        page: result.page,
        pages,
        prev_href: if result.page > 1 {
            href(&echo, result.page - 1)
        } else {
            String::new()
        },
        next_href: if result.page < pages {
            href(&echo, result.page + 1)
        } else {
            String::new()
        },
        query: echo,
        error,
    })
}
