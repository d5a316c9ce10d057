//! Values loaded in bulk by the agency into a campaign: one row per import.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "value_imports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub campaign_id: i64,
    pub region_code: String,
    pub source: String,
    #[sea_orm(column_type = "Text")]
    pub detail: String,
    pub file_name: String,
    pub checksum: String,
    pub lines: i64,
    pub actor: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
