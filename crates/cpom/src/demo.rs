//! Demo data: three real legal entities and one account per role, with passwords printed in
//! the terminal. Running `cpom demo` again gives the demo accounts new passwords, so that
//! the printed ones always work.

use cpom_domain::{DisplayName, Email, FinessId, PlainPassword, RegionCode, Role};
use cpom_store::{AuditActor, NewUser, Store};

/// Legal entities of the demo (real FINESS EJ numbers).
const ENTITIES: [(&str, &str, &str); 3] = [
    ("340780477", "CHU de Montpellier", "76"),
    ("310781406", "CHU de Toulouse", "76"),
    ("690781810", "Hospices civils de Lyon", "84"),
];

/// A demo account: role, e-mail, name, region, EJ.
type DemoAccount = (
    Role,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

/// Demo accounts.
const ACCOUNTS: [DemoAccount; 7] = [
    (
        Role::NationalAdmin,
        "national-admin@cpom.demo",
        "Nadia Nationale",
        None,
        None,
    ),
    (
        Role::ArsAdmin,
        "ars-admin@cpom.demo",
        "Arnaud Administrateur",
        Some("76"),
        None,
    ),
    (
        Role::ArsReferent,
        "ars-referent@cpom.demo",
        "Rita Référente",
        Some("76"),
        None,
    ),
    (
        Role::EstablishmentLeader,
        "establishment-leader@cpom.demo",
        "Louis Directeur",
        None,
        Some("340780477"),
    ),
    (
        Role::EstablishmentContributor,
        "establishment-contributor@cpom.demo",
        "Camille Contributrice",
        None,
        Some("340780477"),
    ),
    (
        Role::Observer,
        "observer@cpom.demo",
        "Olivier Observateur",
        Some("76"),
        None,
    ),
    (
        Role::EstablishmentLeader,
        "hcl-leader@cpom.demo",
        "Hélène Lyonnaise",
        None,
        Some("690781810"),
    ),
];

/// Seeds the demo data and returns (role, e-mail, password) for printing.
pub async fn seed(
    store: &Store,
    fixed_password: Option<&str>,
) -> anyhow::Result<Vec<(Role, String, String)>> {
    let actor = AuditActor::system();
    for (finess, name, region) in ENTITIES {
        store
            .upsert_legal_entity(
                &actor,
                &FinessId::parse(finess)?,
                name,
                &RegionCode::parse(region)?,
            )
            .await?;
    }
    let mut printed = Vec::new();
    for (role, email, name, region, ej) in ACCOUNTS {
        let password =
            fixed_password.map_or_else(cpom_web::services::temporary_password, str::to_owned);
        let plain = PlainPassword::parse(&password)?;
        let email = Email::parse(email)?;
        match store.find_user_by_email(&email).await? {
            Some(existing) => {
                store
                    .set_user_password(&actor, existing.id, existing.version, plain)
                    .await?;
            }
            None => {
                store
                    .create_user(
                        &actor,
                        NewUser {
                            email: email.clone(),
                            display_name: DisplayName::parse(name)?,
                            role,
                            region: region.map(RegionCode::parse).transpose()?,
                            ej: ej.map(FinessId::parse).transpose()?,
                            password: plain,
                        },
                    )
                    .await?;
            }
        }
        printed.push((role, email.to_string(), password));
    }
    Ok(printed)
}
