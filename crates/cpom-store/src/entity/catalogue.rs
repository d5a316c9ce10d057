//! Catalogue versions (référentiels).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "catalogues")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub slug: String,
    pub version: i32,
    pub state: String,
    pub region_code: String,
    pub title: String,
    pub generation: String,
    pub kind: String,
    pub start_year: i32,
    pub end_year: i32,
    #[sea_orm(column_type = "Text")]
    pub document: String,
    pub objectives: i32,
    pub actions: i32,
    pub indicators: i32,
    pub questions: i32,
    pub copied_from: Option<i64>,
    pub row_version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
