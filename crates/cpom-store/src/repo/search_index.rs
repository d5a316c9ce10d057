//! The search index of the registry: for each legal entity, one folded text made of its name,
//! its FINESS number and the names, numbers, postal codes and cities of its sites. The
//! registry search is then one `LIKE` per word (matching the beginning of a word) on one small
//! table, accent- and
//! case-insensitive, on SQLite and PostgreSQL alike. It is derived data: rebuilt after every
//! import and at start-up when it does not match the registry, never backed up.

use std::collections::HashMap;

use cpom_domain::search::search_key;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use crate::entity::{legal_entity, legal_entity_search, site};
use crate::{Store, StoreError};

/// Rebuilds the search keys of the given legal entities (all when `only` is `None`); writes
/// only the keys that changed.
pub(crate) async fn refresh<C: ConnectionTrait>(
    conn: &C,
    only: Option<&[String]>,
) -> Result<(), StoreError> {
    let mut ejs = legal_entity::Entity::find();
    let mut sites = site::Entity::find();
    let mut current = legal_entity_search::Entity::find();
    if let Some(keys) = only {
        ejs = ejs.filter(legal_entity::Column::Finess.is_in(keys.to_vec()));
        sites = sites.filter(site::Column::EjFiness.is_in(keys.to_vec()));
        current = current.filter(legal_entity_search::Column::EjFiness.is_in(keys.to_vec()));
    }
    let mut parts: HashMap<String, Vec<String>> = HashMap::new();
    for e in ejs.all(conn).await? {
        parts
            .entry(e.finess.clone())
            .or_default()
            .extend([e.name, e.finess]);
    }
    for s in sites.all(conn).await? {
        if let Some(p) = parts.get_mut(&s.ej_finess) {
            p.push(s.name);
            p.push(s.finess);
            p.extend(s.postal_code);
            p.extend(s.city);
        }
    }
    let existing: HashMap<String, String> = current
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.ej_finess, m.search_text))
        .collect();
    let mut inserts = Vec::new();
    for (ej, p) in &parts {
        // A leading space, so that every word starts after a space: `LIKE '% word%'` then
        // matches the beginning of words ("3107814" finds 310781406, not 631078140).
        let key = format!(" {}", search_key(&p.join(" ")));
        match existing.get(ej) {
            Some(old) if *old == key => {}
            Some(_) => {
                legal_entity_search::Entity::update(legal_entity_search::ActiveModel {
                    ej_finess: Set(ej.clone()),
                    search_text: Set(key),
                })
                .exec(conn)
                .await?;
            }
            None => inserts.push(legal_entity_search::ActiveModel {
                ej_finess: Set(ej.clone()),
                search_text: Set(key),
            }),
        }
    }
    let gone: Vec<String> = existing
        .keys()
        .filter(|k| !parts.contains_key(*k))
        .cloned()
        .collect();
    if !gone.is_empty() {
        legal_entity_search::Entity::delete_many()
            .filter(legal_entity_search::Column::EjFiness.is_in(gone))
            .exec(conn)
            .await?;
    }
    for chunk in inserts.chunks(500) {
        legal_entity_search::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Rebuilds the whole search index when it does not cover every legal entity (after a
    /// migration that created it, or a restore).
    pub(crate) async fn ensure_search_index(&self) -> Result<(), StoreError> {
        let ejs = legal_entity::Entity::find().count(self.db()).await?;
        let keys = legal_entity_search::Entity::find().count(self.db()).await?;
        if ejs != keys {
            refresh(self.db(), None).await?;
        }
        Ok(())
    }
}
