//! Reviews (revues) of contracts.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "reviews")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub region_code: String,
    pub setting: String,
    pub ej_finess: Option<String>,
    pub ght_code: Option<String>,
    pub held_on: Date,
    #[sea_orm(column_type = "Text")]
    pub participants: String,
    #[sea_orm(column_type = "Text")]
    pub minutes: String,
    pub author: String,
    pub row_version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
