//! Dated progress notes of the items of action plans.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "plan_notes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub plan_id: i64,
    pub item_id: i64,
    pub noted_on: Date,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    pub author_id: i64,
    /// Display name of the author when written.
    pub author: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
