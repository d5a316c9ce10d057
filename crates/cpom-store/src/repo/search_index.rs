//! The search index of the registry: for each legal entity, the folded words of its name, its
//! FINESS number and the names, numbers, postal codes and cities of its sites. A word typed
//! in the search matches the entities having a word that starts with it: one index range per
//! word (`word >= w AND word < w + U+10FFFF`, byte order), accent- and case-insensitive, on
//! SQLite and PostgreSQL alike. It is derived data: rebuilt after every import and at start-up
//! when it does not cover the registry, never backed up.

use std::collections::{BTreeSet, HashMap, HashSet};

use cpom_domain::search::search_key;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use crate::entity::{legal_entity, legal_entity_search as words, site};
use crate::{Store, StoreError};

/// The legal entities having a word that starts with `w` (a folded query word).
pub(crate) fn entities_with_word_prefix(w: &str) -> SelectStatement {
    Query::select()
        .column(words::Column::EjFiness)
        .from(words::Entity)
        .and_where(Expr::col(words::Column::Word).gte(w.to_owned()))
        .and_where(Expr::col(words::Column::Word).lt(format!("{w}\u{10FFFF}")))
        .to_owned()
}

/// Rebuilds the words of the given legal entities (all when `only` is `None`); writes only
/// what changed.
pub(crate) async fn refresh<C: ConnectionTrait>(
    conn: &C,
    only: Option<&[String]>,
) -> Result<(), StoreError> {
    let mut ejs = legal_entity::Entity::find();
    let mut sites = site::Entity::find();
    let mut current = words::Entity::find();
    if let Some(keys) = only {
        ejs = ejs.filter(legal_entity::Column::Finess.is_in(keys.to_vec()));
        sites = sites.filter(site::Column::EjFiness.is_in(keys.to_vec()));
        current = current.filter(words::Column::EjFiness.is_in(keys.to_vec()));
    }
    let entities = ejs.all(conn).await?;
    let mut wanted: HashMap<String, BTreeSet<String>> = entities
        .iter()
        .map(|e| (e.finess.clone(), BTreeSet::new()))
        .collect();
    let mut add = |ej: &str, text: &str| {
        if let Some(set) = wanted.get_mut(ej) {
            set.extend(
                search_key(text)
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned),
            );
        }
    };
    for e in &entities {
        add(&e.finess, &e.name);
        add(&e.finess, &e.finess);
    }
    for s in sites.all(conn).await? {
        add(&s.ej_finess, &s.name);
        add(&s.ej_finess, &s.finess);
        add(&s.ej_finess, s.postal_code.as_deref().unwrap_or_default());
        add(&s.ej_finess, s.city.as_deref().unwrap_or_default());
    }
    let existing: HashSet<(String, String)> = current
        .select_only()
        .column(words::Column::Word)
        .column(words::Column::EjFiness)
        .into_tuple::<(String, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let mut inserts = Vec::new();
    for (ej, set) in &wanted {
        for w in set {
            if !existing.contains(&(w.clone(), ej.clone())) {
                inserts.push(words::ActiveModel {
                    word: Set(w.clone()),
                    ej_finess: Set(ej.clone()),
                });
            }
        }
    }
    // Stale words, grouped by entity.
    let mut stale: HashMap<&str, Vec<String>> = HashMap::new();
    for (w, ej) in &existing {
        if !wanted.get(ej).is_some_and(|set| set.contains(w)) {
            stale.entry(ej.as_str()).or_default().push(w.clone());
        }
    }
    for (ej, ws) in stale {
        for chunk in ws.chunks(500) {
            words::Entity::delete_many()
                .filter(words::Column::EjFiness.eq(ej))
                .filter(words::Column::Word.is_in(chunk.to_vec()))
                .exec(conn)
                .await?;
        }
    }
    for chunk in inserts.chunks(1000) {
        words::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Rebuilds the search index when some legal entity has no word in it (after the
    /// migration that created it, or a restore).
    pub(crate) async fn ensure_search_index(&self) -> Result<(), StoreError> {
        let missing = legal_entity::Entity::find()
            .filter(
                legal_entity::Column::Finess.not_in_subquery(
                    Query::select()
                        .column(words::Column::EjFiness)
                        .from(words::Entity)
                        .to_owned(),
                ),
            )
            .one(self.db())
            .await?;
        if missing.is_some() {
            refresh(self.db(), None).await?;
        }
        Ok(())
    }
}
