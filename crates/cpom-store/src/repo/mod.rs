//! Repositories, one module per resource.

pub mod campaigns;
pub mod catalogues;
pub mod contract_documents;
pub mod contracts;
pub mod generate;
pub mod imports;
pub mod legal_entities;
pub mod login_attempts;
pub mod notifications;
pub mod plans;
pub mod region_settings;
pub mod registry;
pub mod reviews;
pub mod search_index;
pub mod sessions;
pub mod territories;
pub mod tokens;
pub mod users;

use sea_orm::{ConnectionTrait, EntityTrait, JoinType, QuerySelect, RelationDef};

use crate::StoreError;
use crate::entity::legal_entity;

/// Reads the row `id` of `E` with the name of its legal entity (`ej` is its FINESS column),
/// in one query instead of two; the name is empty for an entity the registry no longer has.
pub(crate) async fn with_entity_name<E>(
    db: &impl ConnectionTrait,
    id: i64,
    ej: E::Column,
) -> Result<(E::Model, String), StoreError>
where
    E: EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<i64>,
{
    let entity: RelationDef = E::belongs_to(legal_entity::Entity)
        .from(ej)
        .to(legal_entity::Column::Finess)
        .into();
    let (row, found) = E::find_by_id(id)
        .join(JoinType::LeftJoin, entity)
        .select_also(legal_entity::Entity)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok((row, found.map(|e| e.name).unwrap_or_default()))
}
