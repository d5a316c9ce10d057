//! SeaORM entities. They stay private to this crate: repositories convert them to the public
//! record types.

pub mod api_token;
pub mod audit_event;
pub mod legal_entity;
pub mod login_attempt;
pub mod session;
pub mod user;
