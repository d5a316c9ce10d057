//! Server-side session records (the web layer's session store writes through here).

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::entity::session;
use crate::{Store, StoreError};

/// A stored session: opaque JSON data and its expiry (Unix seconds).
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// Serialized session data.
    pub data: String,
    /// Expiry, seconds since the Unix epoch.
    pub expires_at: i64,
}

impl Store {
    /// Inserts a new session; false if the id is already taken.
    pub async fn insert_session(&self, id: &str, row: &SessionRow) -> Result<bool, StoreError> {
        let am = session::ActiveModel {
            id: Set(id.to_owned()),
            data: Set(row.data.clone()),
            expires_at: Set(row.expires_at),
        };
        let res = session::Entity::insert(am)
            .on_conflict_do_nothing_on([session::Column::Id])
            .exec_without_returning(self.db())
            .await?;
        Ok(matches!(res, sea_orm::TryInsertResult::Inserted(1)))
    }

    /// Saves a session loaded from the store (new ones go through [`Store::insert_session`]).
    /// Only an update: a session ended meanwhile — signed out by another request — is not
    /// brought back by a request that had read it before.
    pub async fn save_session(&self, id: &str, row: &SessionRow) -> Result<(), StoreError> {
        session::Entity::update_many()
            .col_expr(session::Column::Data, Expr::value(row.data.clone()))
            .col_expr(session::Column::ExpiresAt, Expr::value(row.expires_at))
            .filter(session::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Loads a session that has not expired at `now` (Unix seconds).
    pub async fn load_session(&self, id: &str, now: i64) -> Result<Option<SessionRow>, StoreError> {
        Ok(session::Entity::find_by_id(id.to_owned())
            .filter(session::Column::ExpiresAt.gt(now))
            .one(self.db())
            .await?
            .map(|m| SessionRow {
                data: m.data,
                expires_at: m.expires_at,
            }))
    }

    /// Deletes a session.
    pub async fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        session::Entity::delete_by_id(id.to_owned())
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Deletes sessions expired at `now`; returns how many.
    pub async fn purge_sessions(&self, now: i64) -> Result<u64, StoreError> {
        let res = session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(now))
            .exec(self.db())
            .await?;
        Ok(res.rows_affected)
    }
}
