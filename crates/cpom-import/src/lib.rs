//! Readers of the files the agencies already have: FINESS extracts (with a header, or the
//! etalab stock extract), SAE tables, and the templates they fill for authorisations of
//! care activities and GHT memberships.
//!
//! Every reader is strict and streaming: it reads the file line by line, turns each line
//! into a validated record or rejects it with its place (line, column) and a French reason,
//! and never guesses. Encodings are detected per file (UTF-8, or Latin-1/Windows-1252 for
//! the SAE tables and the etalab extract). Nothing here touches the database: the store
//! applies the records.

pub mod authorisations;
pub mod bulk_values;
pub mod catalogue;
pub mod catalogue_xlsx;
pub mod finess;
pub mod ght;
pub mod plan;
pub mod reader;
pub mod robustness;
pub mod sae;
pub mod table;

pub use reader::{Encoding, Parsed, Rejection, checksum};
