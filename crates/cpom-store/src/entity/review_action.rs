//! Actions of the road maps (feuilles de route) of reviews.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "review_actions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub review_id: i64,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    pub owner: String,
    pub due_on: Date,
    pub status: String,
    /// JSON array of `contract_id:key`.
    #[sea_orm(column_type = "Text")]
    pub engagements: String,
    pub row_version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
