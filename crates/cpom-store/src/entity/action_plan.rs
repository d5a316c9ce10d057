//! Regional action plans.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "action_plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub region_code: String,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    pub start_year: i32,
    pub end_year: i32,
    pub source_file: String,
    pub row_version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
