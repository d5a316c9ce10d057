//! Personal API tokens. A token is shown once at creation; only its SHA-256 digest is
//! stored, so a database leak does not leak usable tokens.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationDef, Set,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::audit::{self, AuditActor, Change};
use crate::entity::{api_token, user};
use crate::repo::users::{PrincipalRow, unread_of_user};
use crate::{Principal, Store, StoreError, User};

/// An account's row read through one of its tokens.
#[derive(Debug, sea_orm::FromQueryResult)]
struct TokenRow {
    #[sea_orm(nested)]
    principal: PrincipalRow,
    token_id: i64,
    token_last_used_at: Option<DateTime<Utc>>,
}

/// Prefix of every token, so that leaked tokens are recognisable by secret scanners.
pub const TOKEN_PREFIX: &str = "cpom_";

/// A token as listed (never with its secret).
#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    /// Token id.
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// Name given by the user ("script de synchronisation"…).
    pub name: String,
    /// First characters of the token, to recognise it.
    pub prefix: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last use (updated at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Revocation time; a revoked token is refused.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<api_token::Model> for ApiToken {
    fn from(m: api_token::Model) -> Self {
        Self {
            id: m.id,
            user_id: m.user_id,
            name: m.name,
            prefix: m.prefix,
            created_at: m.created_at,
            last_used_at: m.last_used_at,
            revoked_at: m.revoked_at,
        }
    }
}

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl Store {
    /// Creates a token for `owner`; returns it with its secret (shown once). Audited.
    pub async fn create_token(
        &self,
        actor: &AuditActor,
        owner: &User,
        name: &str,
    ) -> Result<(ApiToken, String), StoreError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(StoreError::Invalid {
                field: "name",
                message: "le nom du jeton est obligatoire (80 caractères au plus)".into(),
            });
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let secret = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
        let txn = self.begin().await?;
        let model = api_token::ActiveModel {
            user_id: Set(owner.id),
            name: Set(name.to_owned()),
            token_hash: Set(digest(&secret)),
            prefix: Set(secret[..TOKEN_PREFIX.len() + 6].to_owned()),
            created_at: Set(Utc::now()),
            last_used_at: Set(None),
            revoked_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let token = ApiToken::from(model);
        audit::record(
            &txn,
            actor,
            Change {
                action: "api_token.create",
                entity_type: "api_token",
                entity_id: token.id.to_string(),
                region_code: owner.region.as_ref().map(|r| r.as_str().to_owned()),
                ej_finess: owner.ej.as_ref().map(|e| e.as_str().to_owned()),
                before: None,
                after: Some(serde_json::json!({"user_id": owner.id, "name": token.name, "prefix": token.prefix})),
            },
        )
        .await?;
        txn.commit().await?;
        Ok((token, secret))
    }

    /// Tokens of one account, newest first.
    pub async fn list_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>, StoreError> {
        Ok(api_token::Entity::find()
            .filter(api_token::Column::UserId.eq(user_id))
            .order_by_desc(api_token::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(ApiToken::from)
            .collect())
    }

    /// Revokes one of `owner`'s tokens. Audited. Revoking twice is refused as not found.
    pub async fn revoke_token(
        &self,
        actor: &AuditActor,
        owner: &User,
        token_id: i64,
    ) -> Result<ApiToken, StoreError> {
        let txn = self.begin().await?;
        let model = api_token::Entity::find_by_id(token_id)
            .filter(api_token::Column::UserId.eq(owner.id))
            .filter(api_token::Column::RevokedAt.is_null())
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut am: api_token::ActiveModel = model.into();
        am.revoked_at = Set(Some(Utc::now()));
        let token = ApiToken::from(am.update(&txn).await?);
        audit::record(
            &txn,
            actor,
            Change {
                action: "api_token.revoke",
                entity_type: "api_token",
                entity_id: token.id.to_string(),
                region_code: owner.region.as_ref().map(|r| r.as_str().to_owned()),
                ej_finess: owner.ej.as_ref().map(|e| e.as_str().to_owned()),
                before: Some(serde_json::json!({"revoked": false})),
                after: Some(serde_json::json!({"revoked": true, "name": token.name})),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(token)
    }

    /// The active account a token belongs to, with its unread notifications, in one query
    /// (`None` for an unknown, revoked or foreign-shaped token, or a disabled account).
    pub async fn principal_for_token(&self, secret: &str) -> Result<Option<Principal>, StoreError> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let owner: RelationDef = api_token::Entity::belongs_to(user::Entity)
            .from(api_token::Column::UserId)
            .to(user::Column::Id)
            .into();
        let Some(row) = user::Entity::find()
            .join(JoinType::InnerJoin, owner.rev())
            .filter(api_token::Column::TokenHash.eq(digest(secret)))
            .filter(api_token::Column::RevokedAt.is_null())
            .column_as(api_token::Column::Id, "token_id")
            .column_as(api_token::Column::LastUsedAt, "token_last_used_at")
            .column_as(unread_of_user(), "unread")
            .into_model::<TokenRow>()
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        if !row.principal.user.active {
            return Ok(None);
        }
        let now = Utc::now();
        // Record the use, but at most once a minute so that API traffic does not turn every
        // read into a write.
        if row
            .token_last_used_at
            .is_none_or(|t| now - t > Duration::minutes(1))
        {
            api_token::Entity::update_many()
                .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
                .filter(api_token::Column::Id.eq(row.token_id))
                .exec(self.db())
                .await?;
        }
        Principal::try_from(row.principal).map(Some)
    }
}
