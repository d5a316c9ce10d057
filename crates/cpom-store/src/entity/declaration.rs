//! Declarations of a campaign: one per engagement indicator (and site) of a contract.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "declarations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub campaign_id: i64,
    pub contract_id: i64,
    pub region_code: String,
    pub ej_finess: String,
    pub engagement_key: String,
    pub indicator_code: String,
    #[sea_orm(column_type = "Text")]
    pub indicator_title: String,
    pub kind: String,
    pub site_finess: Option<String>,
    pub state: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub value: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    pub row_version: i64,
    pub updated_at: DateTimeUtc,
    pub value_import_id: Option<i64>,
    pub value_source: Option<String>,
    pub contested: bool,
    pub verdict: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub verdict_reason: Option<String>,
    pub override_verdict: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub override_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
