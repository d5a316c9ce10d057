//! Labels of legal entities (CHU, PASS, mobile teams…), with their validity period.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "entity_labels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ej_finess: String,
    pub label_code: String,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub note: Option<String>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
