//! Repositories, one module per resource.

pub mod campaigns;
pub mod catalogues;
pub mod contract_documents;
pub mod contracts;
pub mod generate;
pub mod imports;
pub mod legal_entities;
pub mod login_attempts;
pub mod notifications;
pub mod plans;
pub mod region_settings;
pub mod registry;
pub mod reviews;
pub mod search_index;
pub mod sessions;
pub mod territories;
pub mod tokens;
pub mod users;
