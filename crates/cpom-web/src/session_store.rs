//! The tower-sessions store backed by cpom's own database (SQLite or PostgreSQL).
//! Session ids are stored as SHA-256 digests, so that reading the table does not give
//! usable session cookies.

use async_trait::async_trait;
use cpom_store::{SessionRow, Store};
use sha2::{Digest, Sha256};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};
use tower_sessions::{ExpiredDeletion, SessionStore};

/// Session store writing to the `sessions` table.
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    store: Store,
}

impl DbSessionStore {
    /// Wraps the store.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

fn key(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

fn row(record: &Record) -> Result<SessionRow> {
    Ok(SessionRow {
        data: serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?,
        expires_at: record.expiry_date.unix_timestamp(),
    })
}

fn backend(e: cpom_store::StoreError) -> Error {
    Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // Retry on the (astronomically unlikely) collision of a random 128-bit id.
        loop {
            if self
                .store
                .insert_session(&key(&record.id), &row(record)?)
                .await
                .map_err(backend)?
            {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        self.store
            .save_session(&key(&record.id), &row(record)?)
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let Some(stored) = self
            .store
            .load_session(&key(id), now)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&stored.data).map_err(|e| Error::Decode(e.to_string()))?,
            expiry_date: time::OffsetDateTime::from_unix_timestamp(stored.expires_at)
                .map_err(|e| Error::Decode(e.to_string()))?,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.store.delete_session(&key(id)).await.map_err(backend)
    }
}

#[async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> Result<()> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        self.store
            .purge_sessions(now)
            .await
            .map(|_| ())
            .map_err(backend)
    }
}
