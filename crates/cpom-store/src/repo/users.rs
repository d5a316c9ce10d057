//! Accounts: creation, listing in a scope, activation, passwords, with optimistic locking
//! and an audit row for every change.

use chrono::{DateTime, Utc};
use cpom_domain::policy::Scope;
use cpom_domain::{
    Actor, DisplayName, Email, FinessId, PlainPassword, RegionCode, Role, ScopeFilter,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use super::legal_entities::corrupt;
use crate::audit::{self, AuditActor, Change};
use crate::entity::{legal_entity, notification, user};
use crate::{Page, Store, StoreError, password};

/// An account (never with its password hash).
#[derive(Debug, Clone, Serialize)]
pub struct User {
    /// Account id.
    pub id: i64,
    /// Sign-in e-mail.
    pub email: Email,
    /// Name shown in the interface.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Region (ARS roles, establishment roles, regional observers).
    pub region: Option<RegionCode>,
    /// Legal entity (establishment roles).
    pub ej: Option<FinessId>,
    /// False once disabled: the account can no longer sign in nor use its tokens.
    pub active: bool,
    /// Optimistic-locking version.
    pub version: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Last successful sign-in.
    pub last_login_at: Option<DateTime<Utc>>,
}

impl User {
    /// The account as the access policy sees it.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.id,
            role: self.role,
            region: self.region.clone(),
            ej: self.ej.clone(),
        }
    }

    /// The scope the account belongs to (for administration checks).
    pub fn scope(&self) -> Scope {
        Scope {
            region: self.region.clone(),
            ej: self.ej.clone(),
        }
    }

    /// The audit actor for changes made by this account.
    pub fn audit_actor(&self) -> AuditActor {
        AuditActor {
            user_id: Some(self.id),
            label: self.email.to_string(),
        }
    }

    fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "email": self.email,
            "display_name": self.display_name,
            "role": self.role,
            "region": self.region,
            "ej": self.ej,
            "active": self.active,
            "version": self.version,
        })
    }
}

/// An account as a request sees it: the account, and how many of its notifications are
/// unread (shown in every page's header).
#[derive(Debug, Clone)]
pub struct Principal {
    /// The account.
    pub user: User,
    /// Its unread notifications.
    pub unread: u64,
}

/// An account's row with its count of unread notifications.
#[derive(Debug, sea_orm::FromQueryResult)]
pub(crate) struct PrincipalRow {
    #[sea_orm(nested)]
    pub(crate) user: user::Model,
    pub(crate) unread: i64,
}

impl TryFrom<PrincipalRow> for Principal {
    type Error = StoreError;
    fn try_from(row: PrincipalRow) -> Result<Self, StoreError> {
        Ok(Self {
            user: User::try_from(row.user)?,
            unread: u64::try_from(row.unread).unwrap_or(0),
        })
    }
}

/// The number of unread notifications of the account on the row being read from `users`: a
/// correlated subquery, so that an account and its count come in one query.
pub(crate) fn unread_of_user() -> Expr {
    Expr::SubQuery(
        None,
        Box::new(
            Query::select()
                .expr(Expr::col((notification::Entity, notification::Column::Id)).count())
                .from(notification::Entity)
                .and_where(
                    Expr::col((notification::Entity, notification::Column::UserId))
                        .equals((user::Entity, user::Column::Id)),
                )
                .and_where(
                    Expr::col((notification::Entity, notification::Column::ReadAt)).is_null(),
                )
                .to_owned()
                .into(),
        ),
    )
}

impl TryFrom<user::Model> for User {
    type Error = StoreError;
    fn try_from(m: user::Model) -> Result<Self, Self::Error> {
        Ok(Self {
            id: m.id,
            email: Email::parse(&m.email).map_err(corrupt)?,
            display_name: m.display_name,
            role: Role::parse(&m.role).map_err(corrupt)?,
            region: m
                .region_code
                .as_deref()
                .map(RegionCode::parse)
                .transpose()
                .map_err(corrupt)?,
            ej: m
                .ej_finess
                .as_deref()
                .map(FinessId::parse)
                .transpose()
                .map_err(corrupt)?,
            active: m.active,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
            last_login_at: m.last_login_at,
        })
    }
}

/// A validated request to create an account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Sign-in e-mail.
    pub email: Email,
    /// Name shown in the interface.
    pub display_name: DisplayName,
    /// Role.
    pub role: Role,
    /// Region; derived from the legal entity for establishment roles.
    pub region: Option<RegionCode>,
    /// Legal entity, for establishment roles.
    pub ej: Option<FinessId>,
    /// Initial password.
    pub password: PlainPassword,
}

/// Filters of the account listing.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Part of the e-mail or name.
    pub query: Option<String>,
    /// Role.
    pub role: Option<Role>,
    /// Active or disabled accounts only.
    pub active: Option<bool>,
}

/// What an update does to an account.
enum UserChange {
    SetActive(bool),
    SetPassword(String),
}

impl Store {
    /// Resolves the scope a new account will have: for establishment roles the region comes
    /// from the legal entity, which must exist.
    pub async fn resolve_scope(
        &self,
        role: Role,
        region: Option<RegionCode>,
        ej: Option<FinessId>,
    ) -> Result<Scope, StoreError> {
        role.check_scope(region.as_ref(), ej.as_ref())
            .map_err(|e| StoreError::Invalid {
                field: e.field,
                message: e.message,
            })?;
        let Some(ej) = ej else {
            return Ok(Scope { region, ej: None });
        };
        let entity = self
            .get_legal_entity(&ej)
            .await?
            .ok_or_else(|| StoreError::Invalid {
                field: "ej",
                message: format!("l'entité juridique FINESS {ej} n'est pas dans le registre"),
            })?;
        if let Some(r) = &region
            && r != &entity.region
        {
            return Err(StoreError::Invalid {
                field: "region",
                message: format!(
                    "l'entité juridique {ej} est dans la région {}, pas {}",
                    entity.region, r
                ),
            });
        }
        Ok(Scope {
            region: Some(entity.region),
            ej: Some(ej),
        })
    }

    /// Creates an account; the e-mail must be free. Audited.
    pub async fn create_user(&self, actor: &AuditActor, new: NewUser) -> Result<User, StoreError> {
        let scope = self.resolve_scope(new.role, new.region, new.ej).await?;
        let hash = password::hash_blocking(new.password).await?;
        let now = Utc::now();
        let txn = self.begin().await?;
        let model = user::ActiveModel {
            email: Set(new.email.as_str().to_owned()),
            display_name: Set(new.display_name.as_str().to_owned()),
            password_hash: Set(hash),
            role: Set(new.role.as_str().to_owned()),
            region_code: Set(scope.region.as_ref().map(|r| r.as_str().to_owned())),
            ej_finess: Set(scope.ej.as_ref().map(|e| e.as_str().to_owned())),
            active: Set(true),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            last_login_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| {
            StoreError::unique(
                e,
                "email",
                "un compte existe déjà avec cette adresse électronique",
            )
        })?;
        let created = User::try_from(model)?;
        audit::record(&txn, actor, user_change("user.create", &created, None)).await?;
        txn.commit().await?;
        Ok(created)
    }

    /// Reads an account.
    pub async fn get_user(&self, id: i64) -> Result<User, StoreError> {
        user::Entity::find_by_id(id)
            .one(self.db())
            .await?
            .ok_or(StoreError::NotFound)
            .and_then(User::try_from)
    }

    /// Reads an account with the number of its unread notifications, in one query: what
    /// every signed-in request needs first.
    pub async fn principal(&self, id: i64) -> Result<Principal, StoreError> {
        user::Entity::find_by_id(id)
            .column_as(unread_of_user(), "unread")
            .into_model::<PrincipalRow>()
            .one(self.db())
            .await?
            .ok_or(StoreError::NotFound)
            .and_then(Principal::try_from)
    }

    /// Reads an account by e-mail.
    pub async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .one(self.db())
            .await?
            .map(User::try_from)
            .transpose()
    }

    /// Checks a password: returns the account if it exists, is active and the password
    /// matches. Spends the same time whether the account exists or not.
    pub async fn authenticate(
        &self,
        email: &Email,
        candidate: &str,
    ) -> Result<Option<User>, StoreError> {
        let model = user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .one(self.db())
            .await?;
        let phc = model.as_ref().map_or_else(
            || password::dummy_hash().to_owned(),
            |m| m.password_hash.clone(),
        );
        let ok = password::verify_blocking(candidate.to_owned(), phc).await;
        match model {
            Some(m) if ok && m.active => {
                let now = Utc::now();
                user::Entity::update_many()
                    .col_expr(user::Column::LastLoginAt, Expr::value(now))
                    .filter(user::Column::Id.eq(m.id))
                    .exec(self.db())
                    .await?;
                let mut u = User::try_from(m)?;
                u.last_login_at = Some(now);
                Ok(Some(u))
            }
            _ => Ok(None),
        }
    }

    /// Lists accounts visible through `scope`, by e-mail.
    pub async fn list_users(
        &self,
        scope: &ScopeFilter,
        filter: &UserFilter,
        page: u64,
        per_page: u64,
    ) -> Result<Page<User>, StoreError> {
        let mut query = user::Entity::find();
        let Some(in_scope) =
            crate::scope_condition(scope, user::Column::RegionCode, user::Column::EjFiness)
        else {
            return Ok(Page::empty(per_page));
        };
        query = query.filter(in_scope);
        if let Some(q) = filter
            .query
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
        {
            let pattern = format!("%{}%", q.to_lowercase());
            query = query.filter(
                Condition::any()
                    .add(user::Column::Email.like(pattern.clone()))
                    .add(
                        Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(
                            user::Column::DisplayName,
                        )))
                        .like(pattern),
                    ),
            );
        }
        if let Some(role) = filter.role {
            query = query.filter(user::Column::Role.eq(role.as_str()));
        }
        if let Some(active) = filter.active {
            query = query.filter(user::Column::Active.eq(active));
        }
        let total = query.clone().count(self.db()).await?;
        let page = crate::page_number(page);
        let items = query
            .order_by_asc(user::Column::Email)
            .offset((page - 1) * per_page)
            .limit(per_page)
            .all(self.db())
            .await?
            .into_iter()
            .map(User::try_from)
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            total,
            page,
            per_page,
        })
    }

    /// Disables or re-enables an account read at `expected_version`. Audited.
    pub async fn set_user_active(
        &self,
        actor: &AuditActor,
        id: i64,
        expected_version: i64,
        active: bool,
    ) -> Result<User, StoreError> {
        let action = if active {
            "user.enable"
        } else {
            "user.disable"
        };
        self.update_user(
            actor,
            id,
            expected_version,
            action,
            UserChange::SetActive(active),
        )
        .await
    }

    /// Replaces the password of an account read at `expected_version`. Audited (without the
    /// hash).
    pub async fn set_user_password(
        &self,
        actor: &AuditActor,
        id: i64,
        expected_version: i64,
        new_password: PlainPassword,
    ) -> Result<User, StoreError> {
        let hash = password::hash_blocking(new_password).await?;
        self.update_user(
            actor,
            id,
            expected_version,
            "user.password",
            UserChange::SetPassword(hash),
        )
        .await
    }

    /// Checks the current password of an account (for "Mon compte").
    pub async fn check_password(&self, id: i64, candidate: &str) -> Result<bool, StoreError> {
        let m = user::Entity::find_by_id(id)
            .one(self.db())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(password::verify_blocking(candidate.to_owned(), m.password_hash).await)
    }

    /// The one update path of accounts: reads the row in a transaction, refuses a stale
    /// version, applies the change with a version-guarded UPDATE (so that a concurrent
    /// writer cannot slip in between), and records the audit row.
    async fn update_user(
        &self,
        actor: &AuditActor,
        id: i64,
        expected_version: i64,
        action: &str,
        change: UserChange,
    ) -> Result<User, StoreError> {
        let txn = self.begin().await?;
        let current = load_for_update(&txn, id).await?;
        if current.version != expected_version {
            return Err(stale());
        }
        let before = User::try_from(current.clone())?;
        let mut update = user::Entity::update_many()
            .col_expr(user::Column::Version, Expr::value(current.version + 1))
            .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()));
        update = match change {
            UserChange::SetActive(active) => {
                update.col_expr(user::Column::Active, Expr::value(active))
            }
            UserChange::SetPassword(hash) => {
                update.col_expr(user::Column::PasswordHash, Expr::value(hash))
            }
        };
        let res = update
            .filter(user::Column::Id.eq(id))
            .filter(user::Column::Version.eq(expected_version))
            .exec(&txn)
            .await?;
        if res.rows_affected != 1 {
            return Err(stale());
        }
        let after = User::try_from(load_for_update(&txn, id).await?)?;
        audit::record(&txn, actor, user_change(action, &after, Some(&before))).await?;
        txn.commit().await?;
        Ok(after)
    }

    /// Number of accounts (for start-up checks and the demo).
    pub async fn count_users(&self) -> Result<u64, StoreError> {
        Ok(user::Entity::find().count(self.db()).await?)
    }

    /// Legal entities known, for account forms: (FINESS, name, region).
    pub async fn list_legal_entities(
        &self,
        scope: &ScopeFilter,
    ) -> Result<Vec<super::legal_entities::LegalEntity>, StoreError> {
        let mut query = legal_entity::Entity::find();
        let Some(in_scope) = crate::scope_condition(
            scope,
            legal_entity::Column::RegionCode,
            legal_entity::Column::Finess,
        ) else {
            return Ok(vec![]);
        };
        query = query.filter(in_scope);
        query
            .order_by_asc(legal_entity::Column::Name)
            .all(self.db())
            .await?
            .into_iter()
            .map(super::legal_entities::LegalEntity::try_from)
            .collect()
    }
}

async fn load_for_update(txn: &DatabaseTransaction, id: i64) -> Result<user::Model, StoreError> {
    user::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound)
}

fn stale() -> StoreError {
    StoreError::Conflict(
        "ce compte a été modifié par quelqu'un d'autre depuis que vous l'avez ouvert ; rechargez la page et recommencez".into(),
    )
}

fn user_change<'a>(action: &'a str, after: &User, before: Option<&User>) -> Change<'a> {
    Change {
        action,
        entity_type: "user",
        entity_id: after.id.to_string(),
        region_code: after.region.as_ref().map(|r| r.as_str().to_owned()),
        ej_finess: after.ej.as_ref().map(|e| e.as_str().to_owned()),
        before: before.map(User::audit_json),
        after: Some(after.audit_json()),
    }
}
