//! Memberships of legal entities in GHT, with their validity period.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "ght_memberships")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ght_code: String,
    pub ej_finess: String,
    pub support: bool,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
