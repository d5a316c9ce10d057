//! In-app notifications: written for the users concerned by a change to a contract (the other
//! side of the negotiation), listed, counted and marked as read by their owner only.

use chrono::{DateTime, Utc};
use cpom_domain::{FinessId, RegionCode, Role};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::entity::{notification, user};
use crate::{Page, Store, StoreError};

/// A notification.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    /// Identifier.
    pub id: i64,
    /// Contract it is about.
    pub contract_id: Option<i64>,
    /// French message.
    pub message: String,
    /// Page it leads to.
    pub link: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it was read.
    pub read_at: Option<DateTime<Utc>>,
}

impl From<notification::Model> for Notification {
    fn from(m: notification::Model) -> Self {
        Notification {
            id: m.id,
            contract_id: m.contract_id,
            message: m.message,
            link: m.link,
            created_at: m.created_at,
            read_at: m.read_at,
        }
    }
}

/// Who is told of a change to a contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience<'a> {
    /// The establishment's users (leaders and contributors of the legal entity).
    Establishment(&'a FinessId),
    /// The agency: the contract's negotiator, or without one the agency's administrators and
    /// referents of the region.
    Agency {
        /// Region of the contract.
        region: &'a RegionCode,
        /// Its negotiator.
        negotiator: Option<i64>,
    },
}

impl Store {
    /// Active accounts of an audience, except `except` (the author of the change).
    pub async fn audience(
        &self,
        audience: Audience<'_>,
        except: Option<i64>,
    ) -> Result<Vec<i64>, StoreError> {
        let mut query = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .filter(user::Column::Active.eq(true));
        query = match audience {
            Audience::Establishment(ej) => query
                .filter(user::Column::EjFiness.eq(ej.as_str()))
                .filter(user::Column::Role.is_in([
                    Role::EstablishmentLeader.as_str(),
                    Role::EstablishmentContributor.as_str(),
                ])),
            Audience::Agency {
                negotiator: Some(id),
                ..
            } => query.filter(user::Column::Id.eq(id)),
            Audience::Agency {
                region,
                negotiator: None,
            } => query
                .filter(user::Column::RegionCode.eq(region.as_str()))
                .filter(
                    user::Column::Role.is_in([Role::ArsAdmin.as_str(), Role::ArsReferent.as_str()]),
                ),
        };
        if let Some(id) = except {
            query = query.filter(user::Column::Id.ne(id));
        }
        Ok(query.into_tuple::<i64>().all(self.db()).await?)
    }

    /// Writes one notification for each of `users`.
    pub async fn notify(
        &self,
        users: &[i64],
        contract_id: Option<i64>,
        message: &str,
        link: &str,
    ) -> Result<(), StoreError> {
        if users.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        let rows = users.iter().map(|u| notification::ActiveModel {
            user_id: Set(*u),
            contract_id: Set(contract_id),
            message: Set(message.to_owned()),
            link: Set(link.to_owned()),
            created_at: Set(now),
            read_at: Set(None),
            ..Default::default()
        });
        notification::Entity::insert_many(rows)
            .exec_without_returning(self.db())
            .await?;
        Ok(())
    }

    /// A user's notifications, newest first (unread ones only if asked).
    pub async fn notifications(
        &self,
        user_id: i64,
        unread_only: bool,
        page: u64,
        per_page: u64,
    ) -> Result<Page<Notification>, StoreError> {
        let page = crate::page_number(page);
        let mut query =
            notification::Entity::find().filter(notification::Column::UserId.eq(user_id));
        if unread_only {
            query = query.filter(notification::Column::ReadAt.is_null());
        }
        let paginator = query
            .order_by_desc(notification::Column::CreatedAt)
            .order_by_desc(notification::Column::Id)
            .paginate(self.db(), per_page);
        let rows = paginator.fetch_page(page - 1).await?;
        let total = crate::total_items(page, per_page, rows.len(), paginator.num_items()).await?;
        let items = rows.into_iter().map(Notification::from).collect();
        Ok(Page {
            items,
            total,
            page,
            per_page,
        })
    }

    /// Marks a user's notifications as read: those of `ids`, or all; returns how many.
    pub async fn mark_notifications_read(
        &self,
        user_id: i64,
        ids: Option<&[i64]>,
    ) -> Result<u64, StoreError> {
        let mut cond = Condition::all()
            .add(notification::Column::UserId.eq(user_id))
            .add(notification::Column::ReadAt.is_null());
        if let Some(ids) = ids {
            cond = cond.add(notification::Column::Id.is_in(ids.iter().copied()));
        }
        Ok(notification::Entity::update_many()
            .col_expr(notification::Column::ReadAt, Expr::value(Utc::now()))
            .filter(cond)
            .exec(self.db())
            .await?
            .rows_affected)
    }

    /// One notification of a user (else not found).
    pub async fn notification(&self, user_id: i64, id: i64) -> Result<Notification, StoreError> {
        notification::Entity::find_by_id(id)
            .filter(notification::Column::UserId.eq(user_id))
            .one(self.db())
            .await?
            .map(Notification::from)
            .ok_or(StoreError::NotFound)
    }
}
