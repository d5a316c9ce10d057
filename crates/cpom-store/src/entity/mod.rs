//! SeaORM entities. They stay private to this crate: repositories convert them to the public
//! record types.

pub mod api_token;
pub mod audit_event;
pub mod authorisation;
pub mod campaign;
pub mod catalogue;
pub mod contract;
pub mod contract_comment;
pub mod contract_event;
pub mod contract_file;
pub mod contract_template;
pub mod contract_version;
pub mod declaration;
pub mod declaration_history;
pub mod entity_label;
pub mod ght;
pub mod ght_membership;
pub mod import_run;
pub mod legal_entity;
pub mod login_attempt;
pub mod notification;
pub mod region_setting;
pub mod session;
pub mod site;
pub mod site_capacity;
pub mod user;
