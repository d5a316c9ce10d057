//! Readers of the files the agencies already have: FINESS extracts and SAE tables.
//!
//! Every reader is strict and streaming: it reads the file line by line, turns each line
//! into a validated record or rejects it with its place (line, column) and a French reason,
//! and never guesses. Encodings are detected per file (UTF-8, or Latin-1/Windows-1252 for
//! the SAE tables). Nothing here touches the database: the store applies the records.

pub mod finess;
pub mod reader;
pub mod sae;

pub use reader::{Encoding, Parsed, Rejection, checksum};
