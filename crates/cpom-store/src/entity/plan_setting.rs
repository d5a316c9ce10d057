//! Each region's statuses and pilots for its action plans.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "plan_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub region_code: String,
    /// JSON list of the statuses.
    #[sea_orm(column_type = "Text")]
    pub statuses: String,
    /// JSON list of the pilots.
    #[sea_orm(column_type = "Text")]
    pub pilots: String,
    pub version: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
