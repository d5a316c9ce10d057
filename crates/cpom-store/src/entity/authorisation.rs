//! Authorisations of care activities per site, with their validity period.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "authorisations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub site_finess: String,
    pub ej_finess: String,
    pub region_code: String,
    pub activity_code: String,
    pub activity_label: String,
    /// Empty when the authorisation has no modality.
    pub modality_code: String,
    pub modality_label: Option<String>,
    /// Empty when the authorisation has no form.
    pub form_code: String,
    pub form_label: Option<String>,
    pub number: Option<String>,
    pub granted_on: Option<Date>,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
