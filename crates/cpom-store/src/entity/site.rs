//! Sites (établissements, FINESS ET).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "sites")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub finess: String,
    pub ej_finess: String,
    pub name: String,
    pub category_code: Option<String>,
    pub category_label: Option<String>,
    pub department: String,
    pub region_code: String,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub siret: Option<String>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
