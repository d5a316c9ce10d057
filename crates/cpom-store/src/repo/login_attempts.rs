//! Sign-in attempts, kept to throttle password guessing per account and per address.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use crate::entity::login_attempt;
use crate::{Store, StoreError};

impl Store {
    /// Records one sign-in attempt.
    pub async fn record_login_attempt(
        &self,
        email: &str,
        ip: &str,
        success: bool,
    ) -> Result<(), StoreError> {
        login_attempt::ActiveModel {
            email: Set(email.to_owned()),
            ip: Set(ip.to_owned()),
            at: Set(Utc::now()),
            success: Set(success),
            ..Default::default()
        }
        .insert(self.db())
        .await?;
        Ok(())
    }

    /// Failed attempts since `since`, for the e-mail and for the address.
    pub async fn recent_login_failures(
        &self,
        email: &str,
        ip: &str,
        since: DateTime<Utc>,
    ) -> Result<(u64, u64), StoreError> {
        let base = login_attempt::Entity::find()
            .filter(login_attempt::Column::Success.eq(false))
            .filter(login_attempt::Column::At.gte(since));
        let by_email = base
            .clone()
            .filter(login_attempt::Column::Email.eq(email))
            .count(self.db())
            .await?;
        let by_ip = base
            .filter(login_attempt::Column::Ip.eq(ip))
            .count(self.db())
            .await?;
        Ok((by_email, by_ip))
    }

    /// Forgets attempts older than `before` (called by the periodic clean-up).
    pub async fn purge_login_attempts(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let res = login_attempt::Entity::delete_many()
            .filter(login_attempt::Column::At.lt(before))
            .exec(self.db())
            .await?;
        Ok(res.rows_affected)
    }
}
