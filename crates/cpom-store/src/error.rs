//! Errors of the storage layer.

use sea_orm::{DbErr, SqlErr};

/// What can go wrong when reading or writing data.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist (or is outside the caller's filter).
    #[error("introuvable")]
    NotFound,
    /// The record changed since the caller read it (stale version).
    #[error("conflit de version : {0}")]
    Conflict(String),
    /// A unique value is already taken; `field` names it.
    #[error("{field} : {message}")]
    Duplicate {
        /// Field whose value is taken.
        field: &'static str,
        /// French message.
        message: String,
    },
    /// An input was refused by a rule enforced at storage level.
    #[error("{field} : {message}")]
    Invalid {
        /// Field concerned.
        field: &'static str,
        /// French message.
        message: String,
    },
    /// File-system failure (stored files, backups).
    #[error("erreur de fichier : {0}")]
    Io(String),
    /// Database failure.
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl StoreError {
    /// Turns a unique-constraint violation into [`StoreError::Duplicate`] on `field`.
    pub(crate) fn unique(err: DbErr, field: &'static str, message: &str) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Duplicate {
                field,
                message: message.to_owned(),
            },
            _ => StoreError::Db(err),
        }
    }
}

impl From<std::io::Error> for StoreError {
    fn from(value: std::io::Error) -> Self {
        StoreError::Io(value.to_string())
    }
}
