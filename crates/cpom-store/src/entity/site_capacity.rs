//! Capacities of a site for one year (SAE).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "site_capacities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub site_finess: String,
    pub ej_finess: String,
    pub year: i32,
    pub lit_mco: i64,
    pub cap_complet_tot: i64,
    pub lit_ssr: i64,
    pub lit_usld: i64,
    pub pla_mco: i64,
    pub platot_had: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
