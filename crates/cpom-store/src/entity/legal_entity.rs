//! Legal entities (EJ). Only what scoping needs for now; the registry extends it.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "legal_entities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub finess: String,
    pub name: String,
    pub region_code: String,
    pub status: Option<String>,
    pub legal_status_code: Option<String>,
    pub department: Option<String>,
    pub beds: Option<i64>,
    pub beds_year: Option<i32>,
    pub size_band: Option<String>,
    pub band_override: Option<String>,
    pub band_override_reason: Option<String>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
