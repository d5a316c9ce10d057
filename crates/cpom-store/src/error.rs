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
    /// The disk of the stored files is full, or they cannot be written (read-only file
    /// system, permissions): nothing was stored.
    #[error("{0}")]
    Storage(StorageFault),
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

/// Why stored files cannot be written, as a user is told it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageFault {
    /// No space left on the disk (or over a quota).
    Full,
    /// Read-only file system, or no permission to write.
    ReadOnly,
}

impl StorageFault {
    /// The fault of an I/O error, when it is one of these.
    pub fn of(e: &std::io::Error) -> Option<Self> {
        use std::io::ErrorKind;
        match e.kind() {
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded => Some(StorageFault::Full),
            ErrorKind::ReadOnlyFilesystem | ErrorKind::PermissionDenied => {
                Some(StorageFault::ReadOnly)
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for StorageFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StorageFault::Full => {
                "l'espace disque du serveur est plein : le fichier n'a pas été enregistré et rien \
                 n'a été modifié. Prévenez l'administrateur de cpom, puis réessayez."
            }
            StorageFault::ReadOnly => {
                "le stockage des fichiers du serveur n'accepte pas l'écriture (lecture seule) : le \
                 fichier n'a pas été enregistré et rien n'a été modifié. Prévenez l'administrateur \
                 de cpom, puis réessayez."
            }
        })
    }
}

impl From<std::io::Error> for StoreError {
    fn from(value: std::io::Error) -> Self {
        match StorageFault::of(&value) {
            Some(fault) => StoreError::Storage(fault),
            None => StoreError::Io(value.to_string()),
        }
    }
}
