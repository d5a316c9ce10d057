//! Items of the trees of action plans.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "plan_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub plan_id: i64,
    pub parent_id: Option<i64>,
    pub level: String,
    /// Order in the whole plan (depth first).
    pub position: i32,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    /// Lead first, `/` between.
    pub pilots: String,
    pub status: Option<String>,
    /// `aaaa` or `aaaa-mm-jj`.
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    #[sea_orm(column_type = "Text")]
    pub doubt: String,
    pub row_version: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
