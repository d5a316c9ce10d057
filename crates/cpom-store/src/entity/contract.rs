//! Contracts (CPOM).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "contracts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub region_code: String,
    pub ej_finess: String,
    pub catalogue_slug: String,
    pub catalogue_version: i32,
    pub title: String,
    pub start_year: i32,
    pub end_year: i32,
    pub state: String,
    pub band: Option<String>,
    pub avenant: i32,
    #[sea_orm(column_type = "Text")]
    pub document: String,
    pub negotiator_id: Option<i64>,
    pub row_version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub signed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
