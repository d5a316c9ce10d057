//! Home page of a signed-in account.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use tower_sessions::Session;

use super::render;
use crate::AppState;
use crate::auth::PageUser;
use crate::error::PageError;
use crate::view::Layout;

/// Home page.
#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    layout: Layout,
    name: String,
    role: &'static str,
    scope: String,
    due: Vec<DueLine>,
}

/// An overdue or upcoming step of a contract in force, as listed.
pub struct DueLine {
    contract_id: i64,
    contract: String,
    ej_name: String,
    step: String,
    due: String,
    overdue: bool,
}

/// Human description of an account's scope.
pub fn scope_label(user: &cpom_store::User) -> String {
    match (&user.region, &user.ej) {
        (_, Some(ej)) => format!("entité juridique FINESS {ej}"),
        (Some(r), None) => format!("région {}", r.name()),
        (None, None) => "national".into(),
    }
}

/// GET `/`.
pub async fn show_home(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
) -> Result<Response, PageError> {
    let layout = Layout::new(&state, &session, &cu, "Accueil", "/").await?;
    render(&HomePage {
        layout,
        name: cu.user.display_name.clone(),
        role: cu.user.role.label(),
        scope: scope_label(&cu.user),
        due: crate::schedule::due_steps(&state, &cu)
            .await?
            .into_iter()
            .take(50)
            .map(|d| DueLine {
                contract_id: d.contract.id,
                contract: d.contract.title.clone(),
                ej_name: d.contract.ej_name.clone(),
                step: d.step.label.clone(),
                due: cpom_domain::territory::date_fr(d.step.due),
                overdue: d.step.status == cpom_domain::calendar::StepStatus::Overdue,
            })
            .collect(),
    })
}
