//! Administration of accounts (ARS administrators, national administrators, establishment
//! leaders for their contributors).

use super::extract::Form;
use super::extract::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cpom_domain::policy::{AccountTarget, Scope};
use cpom_domain::{Action, REGIONS, Role};
use cpom_store::{User, UserFilter};
use serde::Deserialize;
use tower_sessions::Session;

use super::{render, render_status};
use crate::AppState;
use crate::auth::{CurrentUser, PageUser};
use crate::error::{AppError, PageError};
use crate::services::{self, CreateUserInput, paging};
use crate::view::Choice;
use crate::view::{FormErrors, Layout, count_fr, datetime_fr};

/// One account row.
pub struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: &'static str,
    scope: String,
    active: bool,
    last_login: String,
}

impl From<&User> for UserRow {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            email: u.email.to_string(),
            name: u.display_name.clone(),
            role: u.role.label(),
            scope: super::home::scope_label(u),
            active: u.active,
            last_login: u.last_login_at.map_or_else(|| "jamais".into(), datetime_fr),
        }
    }
}

/// Query string of the listing.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    etat: Option<String>,
    #[serde(default)]
    page: Option<u64>,
}

fn role_choices(selected: &str, roles: &[Role]) -> Vec<Choice> {
    roles
        .iter()
        .map(|r| Choice {
            value: r.as_str().into(),
            label: r.label().into(),
            selected: r.as_str() == selected,
        })
        .collect()
}

/// The listing page.
#[derive(Template)]
#[template(path = "users/list.html")]
pub struct UserListPage {
    layout: Layout,
    rows: Vec<UserRow>,
    total: String,
    page: u64,
    pages: u64,
    q: String,
    roles: Vec<Choice>,
    etat: String,
    prev_href: String,
    next_href: String,
}

fn page_href(q: &str, role: &str, etat: &str, page: u64) -> String {
    let params = [("q", q), ("role", role), ("etat", etat)]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .chain(std::iter::once(("page".to_owned(), page.to_string())))
        .collect::<Vec<_>>();
    format!(
        "/admin/utilisateurs?{}",
        serde_urlencoded::to_string(params).unwrap_or_default()
    )
}

/// GET `/admin/utilisateurs`.
pub async fn list_users(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let role_raw = query.role.clone().unwrap_or_default();
    let etat = query.etat.clone().unwrap_or_default();
    let filter = UserFilter {
        query: query.q.clone(),
        role: Role::parse(&role_raw).ok(),
        active: match etat.as_str() {
            "actif" => Some(true),
            "desactive" => Some(false),
            _ => None,
        },
    };
    let (page, per_page) = paging(query.page, None);
    let result = services::list_users(&state, &cu, &filter, page, per_page).await?;
    let q = query.q.unwrap_or_default();
    let pages = result.page_count();
    render(&UserListPage {
        layout: Layout::new(&state, &session, &cu, "Utilisateurs", "/admin/utilisateurs").await?,
        rows: result.items.iter().map(UserRow::from).collect(),
        total: count_fr(result.total),
        page: result.page,
        pages,
        roles: role_choices(&role_raw, &Role::ALL),
        prev_href: if result.page > 1 {
            page_href(&q, &role_raw, &etat, result.page - 1)
        } else {
            String::new()
        },
        next_href: if result.page < pages {
            page_href(&q, &role_raw, &etat, result.page + 1)
        } else {
            String::new()
        },
        q,
        etat,
    })
}

/// The account creation form.
#[derive(Template)]
#[template(path = "users/new.html")]
pub struct NewUserPage {
    layout: Layout,
    form: CreateUserInput,
    roles: Vec<Choice>,
    regions: Vec<Choice>,
    entities: Vec<Choice>,
    errors: FormErrors,
    fixed_ej: bool,
}

/// Roles offered in the form: those the policy lets the actor give to an account of the
/// actor's own scope. The policy decides again, on the real target, when the form is sent.
fn assignable_roles(cu: &CurrentUser) -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|role| {
            let target = AccountTarget {
                user_id: None,
                role: *role,
                scope: Scope {
                    region: cu.user.region.clone(),
                    ej: cu.user.ej.clone(),
                },
            };
            cu.authorize(&Action::ManageUser(target)).is_ok()
        })
        .collect()
}

async fn new_user_page(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
    form: CreateUserInput,
    errors: FormErrors,
) -> Result<NewUserPage, PageError> {
    cu.authorize(&Action::ListUsers)?;
    let roles = assignable_roles(cu);
    let filter = cpom_domain::policy::list_filter(&cu.actor(), cpom_domain::policy::Listing::Users);
    let entities = state
        .store
        .list_legal_entities(&filter)
        .await?
        .into_iter()
        .map(|e| Choice {
            selected: form.ej.as_deref() == Some(e.finess.as_str()),
            label: format!("{} — {} ({})", e.finess, e.name, e.region.name()),
            value: e.finess.to_string(),
        })
        .collect();
    let regions = REGIONS
        .iter()
        .filter(|r| {
            cu.user
                .region
                .as_ref()
                .is_none_or(|own| own.as_str() == r.code)
        })
        .map(|r| Choice {
            value: r.code.into(),
            label: format!("{} — {}", r.code, r.name),
            selected: form.region.as_deref() == Some(r.code),
        })
        .collect();
    Ok(NewUserPage {
        layout: Layout::new(state, session, cu, "Créer un compte", "/admin/utilisateurs").await?,
        roles: role_choices(&form.role, &roles),
        regions,
        entities,
        fixed_ej: cu.user.role == Role::EstablishmentLeader,
        form,
        errors,
    })
}

/// GET `/admin/utilisateurs/nouveau`.
pub async fn new_user_form(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
) -> Result<Response, PageError> {
    render(
        &new_user_page(
            &state,
            &session,
            &cu,
            CreateUserInput::default(),
            FormErrors::default(),
        )
        .await?,
    )
}

/// POST `/admin/utilisateurs`.
pub async fn create_user(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Form(form): Form<CreateUserInput>,
) -> Result<Response, PageError> {
    match services::create_user(&state, &cu, &form).await {
        Ok((user, temp)) => {
            let mut p = user_page(&state, &session, &cu, user).await?;
            p.temporary_password = temp;
            p.success = "Le compte a été créé.".into();
            render_status(&p, StatusCode::CREATED)
        }
        Err(AppError::Validation(fields)) => render_status(
            &new_user_page(&state, &session, &cu, form, FormErrors(fields)).await?,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => Err(e.into()),
    }
}

/// The account detail page.
#[derive(Template)]
#[template(path = "users/show.html")]
pub struct UserPage {
    layout: Layout,
    user: UserRow,
    version: i64,
    created: String,
    can_manage: bool,
    temporary_password: Option<String>,
    success: String,
}

async fn user_page(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
    user: User,
) -> Result<UserPage, PageError> {
    let can_manage = cu
        .authorize(&Action::ManageUser(AccountTarget {
            user_id: Some(user.id),
            role: user.role,
            scope: user.scope(),
        }))
        .is_ok();
    Ok(UserPage {
        layout: Layout::new(
            state,
            session,
            cu,
            user.display_name.clone(),
            "/admin/utilisateurs",
        )
        .await?,
        user: UserRow::from(&user),
        version: user.version,
        created: datetime_fr(user.created_at),
        can_manage,
        temporary_password: None,
        success: String::new(),
    })
}

/// GET `/admin/utilisateurs/{id}`.
pub async fn show_user(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let user = services::get_user(&state, &cu, id).await?;
    render(&user_page(&state, &session, &cu, user).await?)
}

/// Form of the activation toggle.
#[derive(Deserialize)]
pub struct ActivationForm {
    version: i64,
    active: bool,
}

/// POST `/admin/utilisateurs/{id}/activation`.
pub async fn set_user_active(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Form(form): Form<ActivationForm>,
) -> Result<Response, PageError> {
    services::set_user_active(&state, &cu, id, form.version, form.active).await?;
    Ok(Redirect::to(&format!("/admin/utilisateurs/{id}")).into_response())
}

/// Form of the password reset.
#[derive(Deserialize)]
pub struct VersionForm {
    version: i64,
}

/// POST `/admin/utilisateurs/{id}/mot-de-passe`.
pub async fn reset_user_password(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Form(form): Form<VersionForm>,
) -> Result<Response, PageError> {
    let (user, temp) = services::reset_user_password(&state, &cu, id, form.version).await?;
    let mut p = user_page(&state, &session, &cu, user).await?;
    p.temporary_password = Some(temp);
    p.success = "Un nouveau mot de passe temporaire a été attribué.".into();
    render(&p)
}
