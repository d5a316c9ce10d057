//! The audit trail: who did what, when, on which entity, with the state before and after.
//!
//! [`record`] is called by repositories inside the transaction of the change it describes,
//! so that a change and its audit row are committed together or not at all.

use chrono::{DateTime, Utc};
use cpom_domain::ScopeFilter;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::entity::audit_event;
use crate::{Page, Store, StoreError};

/// Who performs a change: an account, or the command line / the system.
#[derive(Debug, Clone)]
pub struct AuditActor {
    /// Account id, `None` for the command line and automatic tasks.
    pub user_id: Option<i64>,
    /// Readable label (the account's e-mail, or `cli`, `système`).
    pub label: String,
}

impl AuditActor {
    /// The actor used by command-line operations.
    pub fn cli() -> Self {
        Self {
            user_id: None,
            label: "ligne de commande".into(),
        }
    }

    /// The actor used by automatic tasks (demo seeding, clean-ups).
    pub fn system() -> Self {
        Self {
            user_id: None,
            label: "système".into(),
        }
    }
}

/// One audit row as read back.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    /// Row id.
    pub id: i64,
    /// When the change was committed.
    pub at: DateTime<Utc>,
    /// Account that made it, if any.
    pub actor_user_id: Option<i64>,
    /// Readable actor.
    pub actor_label: String,
    /// What was done (`user.create`, `user.disable`…).
    pub action: String,
    /// Kind of entity (`user`, `api_token`…).
    pub entity_type: String,
    /// Id of the entity.
    pub entity_id: String,
    /// Region the entity belongs to.
    pub region_code: Option<String>,
    /// Legal entity the entity belongs to.
    pub ej_finess: Option<String>,
    /// State before the change (JSON), absent on creation.
    pub before: Option<serde_json::Value>,
    /// State after the change (JSON), absent on deletion.
    pub after: Option<serde_json::Value>,
}

/// A change to record.
pub(crate) struct Change<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: String,
    pub region_code: Option<String>,
    pub ej_finess: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Writes one audit row on `conn` (normally the transaction of the change).
pub(crate) async fn record<C: ConnectionTrait>(
    conn: &C,
    actor: &AuditActor,
    change: Change<'_>,
) -> Result<(), StoreError> {
    audit_event::ActiveModel {
        at: Set(Utc::now()),
        actor_user_id: Set(actor.user_id),
        actor_label: Set(actor.label.clone()),
        action: Set(change.action.to_owned()),
        entity_type: Set(change.entity_type.to_owned()),
        entity_id: Set(change.entity_id),
        region_code: Set(change.region_code),
        ej_finess: Set(change.ej_finess),
        before_json: Set(change.before.map(|v| v.to_string())),
        after_json: Set(change.after.map(|v| v.to_string())),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Writes several audit rows at once (bulk changes such as imports).
pub(crate) async fn record_many<C: ConnectionTrait>(
    conn: &C,
    actor: &AuditActor,
    changes: Vec<Change<'_>>,
) -> Result<(), StoreError> {
    let now = Utc::now();
    for chunk in changes.chunks(500) {
        let rows: Vec<audit_event::ActiveModel> = chunk
            .iter()
            .map(|c| audit_event::ActiveModel {
                at: Set(now),
                actor_user_id: Set(actor.user_id),
                actor_label: Set(actor.label.clone()),
                action: Set(c.action.to_owned()),
                entity_type: Set(c.entity_type.to_owned()),
                entity_id: Set(c.entity_id.clone()),
                region_code: Set(c.region_code.clone()),
                ej_finess: Set(c.ej_finess.clone()),
                before_json: Set(c.before.as_ref().map(ToString::to_string)),
                after_json: Set(c.after.as_ref().map(ToString::to_string)),
                ..Default::default()
            })
            .collect();
        audit_event::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Filters of the audit browser.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Kind of entity.
    pub entity_type: Option<String>,
    /// Id of the entity (with `entity_type`).
    pub entity_id: Option<String>,
    /// Account that made the change.
    pub actor_user_id: Option<i64>,
    /// Changes at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Changes strictly before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Only these kinds of entity (empty: any).
    pub entity_types: Vec<String>,
}

impl Store {
    /// Lists audit rows visible through `scope`, newest first.
    pub async fn list_audit(
        &self,
        scope: &ScopeFilter,
        filter: &AuditFilter,
        page: u64,
        per_page: u64,
    ) -> Result<Page<AuditEvent>, StoreError> {
        let mut query = audit_event::Entity::find();
        let Some(in_scope) = crate::scope_condition(
            scope,
            audit_event::Column::RegionCode,
            audit_event::Column::EjFiness,
        ) else {
            return Ok(Page::empty(per_page));
        };
        query = query.filter(in_scope);
        if let Some(t) = &filter.entity_type {
            query = query.filter(audit_event::Column::EntityType.eq(t.as_str()));
        }
        if !filter.entity_types.is_empty() {
            query =
                query.filter(audit_event::Column::EntityType.is_in(filter.entity_types.clone()));
        }
        if let Some(id) = &filter.entity_id {
            query = query.filter(audit_event::Column::EntityId.eq(id.as_str()));
        }
        if let Some(uid) = filter.actor_user_id {
            query = query.filter(audit_event::Column::ActorUserId.eq(uid));
        }
        if let Some(from) = filter.from {
            query = query.filter(audit_event::Column::At.gte(from));
        }
        if let Some(to) = filter.to {
            query = query.filter(audit_event::Column::At.lt(to));
        }
        let page = crate::page_number(page);
        let rows = query
            .clone()
            .order_by_desc(audit_event::Column::Id)
            .offset((page - 1) * per_page)
            .limit(per_page)
            .all(self.db())
            .await?;
        let total = crate::total_items(page, per_page, rows.len(), query.count(self.db())).await?;
        let items = rows
            .into_iter()
            .map(|r| AuditEvent {
                id: r.id,
                at: r.at,
                actor_user_id: r.actor_user_id,
                actor_label: r.actor_label,
                action: r.action,
                entity_type: r.entity_type,
                entity_id: r.entity_id,
                region_code: r.region_code,
                ej_finess: r.ej_finess,
                before: r.before_json.and_then(|s| serde_json::from_str(&s).ok()),
                after: r.after_json.and_then(|s| serde_json::from_str(&s).ok()),
            })
            .collect();
        Ok(Page {
            items,
            total,
            page,
            per_page,
        })
    }
}
