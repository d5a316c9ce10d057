//! Pure domain types and rules of cpom.
//!
//! Nothing in this crate performs I/O, talks to a database or knows about HTTP: it holds
//! validated identifiers (so that invalid data cannot exist past the edge), the roles of the
//! platform and the one access policy that every handler consults.

pub mod calendar;
pub mod campaign;
pub mod catalogue;
pub mod contract;
pub mod contract_document;
pub mod dashboard;
pub mod error;
pub mod evaluation;
pub mod generate;
pub mod ids;
pub mod plan;
pub mod policy;
pub mod region;
pub mod registry;
pub mod review;
pub mod review_pack;
pub mod role;
pub mod search;
pub mod territory;

pub use error::DomainError;
pub use ids::{DisplayName, Email, FinessId, PlainPassword};
pub use policy::{Action, Actor, Denied, ScopeFilter};
pub use region::{REGIONS, Region, RegionCode};
pub use role::Role;
