//! The search index of the registry, held in memory.
//!
//! The registry is small (a few thousand legal entities for the whole of France) and read far
//! more often than written, so each server keeps a read model of it: every legal entity with
//! the attributes the search filters on, pre-sorted by name, and the folded words of its name,
//! its FINESS number and the names, numbers, postal codes and cities of its sites. A typed
//! word matches the entities having a word that starts with it (accents and case ignored).
//!
//! The database stays the source of truth. Triggers on the registry tables bump a generation
//! counter (`registry_generation`) in the same transaction as any change; each search reads
//! the counter (one primary-key lookup) and rebuilds the index when it moved. A search thus
//! never sees an older registry than a direct query would, even with several servers on one
//! PostgreSQL database.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::NaiveDate;
use cpom_domain::ScopeFilter;
use cpom_domain::search::search_key;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, QuerySelect};

use super::registry::{RegistryFilter, settings_of};
use crate::entity::{ght_membership, legal_entity, region_setting, site};
use crate::{LegalEntity, Page, StoreError};
use cpom_domain::registry::BandSettings;

/// The in-memory index and the lock serialising its rebuilds.
#[derive(Default)]
pub(crate) struct SearchCache {
    current: RwLock<Option<Arc<Index>>>,
    rebuild: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for SearchCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SearchCache")
    }
}

/// One legal entity as the search sees it.
struct Entry {
    entity: LegalEntity,
    /// FINESS category labels of its sites, sorted.
    categories: Vec<String>,
}

/// A GHT membership: entry position and validity.
struct Membership {
    entry: u32,
    from: NaiveDate,
    to: Option<NaiveDate>,
}

/// The index at one generation of the registry.
pub(crate) struct Index {
    generation: i64,
    /// Sorted by folded name, then name, then FINESS number.
    entries: Vec<Entry>,
    /// (folded word, entry position), sorted: the entries of a prefix are one range.
    words: Vec<(String, u32)>,
    /// Memberships by GHT code.
    ghts: HashMap<String, Vec<Membership>>,
    /// Band settings of the regions having their own (the labels of the bands).
    bands: HashMap<String, BandSettings>,
    /// The FINESS category labels of every site, each once, in alphabetical order (accents
    /// and case ignored).
    categories: Arc<[String]>,
}

/// The current generation of the registry.
async fn generation<C: ConnectionTrait>(conn: &C) -> Result<i64, StoreError> {
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT value FROM registry_generation WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| StoreError::Invalid {
            field: "registry_generation",
            message: "compteur de génération du registre absent".into(),
        })?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

impl Index {
    /// Reads the registry (labelled with `generation`, read before the rows: a concurrent
    /// change makes the index newer than its label, never older, and only costs a rebuild).
    async fn build<C: ConnectionTrait>(conn: &C, generation: i64) -> Result<Self, StoreError> {
        let models = legal_entity::Entity::find().all(conn).await?;
        let mut entries = models
            .into_iter()
            .map(|m| {
                Ok(Entry {
                    entity: LegalEntity::try_from(m)?,
                    categories: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut keyed: Vec<(String, Entry)> = entries
            .drain(..)
            .map(|e| (search_key(&e.entity.name), e))
            .collect();
        keyed.sort_by(|(ka, a), (kb, b)| {
            (ka, &a.entity.name, a.entity.finess.as_str()).cmp(&(
                kb,
                &b.entity.name,
                b.entity.finess.as_str(),
            ))
        });
        let mut words = Vec::new();
        let mut position = HashMap::new();
        for (i, (key, e)) in keyed.iter().enumerate() {
            let i = i as u32;
            position.insert(e.entity.finess.as_str().to_owned(), i);
            push_words(&mut words, key, i);
            push_words(&mut words, &search_key(e.entity.finess.as_str()), i);
        }
        let mut entries: Vec<Entry> = keyed.into_iter().map(|(_, e)| e).collect();
        let sites = site::Entity::find()
            .select_only()
            .columns([
                site::Column::EjFiness,
                site::Column::Finess,
                site::Column::Name,
                site::Column::PostalCode,
                site::Column::City,
                site::Column::CategoryLabel,
            ])
            .into_tuple::<(
                String,
                String,
                String,
                Option<String>,
                Option<String>,
                Option<String>,
            )>()
            .all(conn)
            .await?;
        let mut categories = Vec::new();
        for (ej, finess, name, postal, city, category) in sites {
            categories.extend(category.clone());
            let Some(&i) = position.get(&ej) else {
                continue;
            };
            for text in [
                Some(name.as_str()),
                Some(finess.as_str()),
                postal.as_deref(),
                city.as_deref(),
            ]
            .into_iter()
            .flatten()
            {
                push_words(&mut words, &search_key(text), i);
            }
            if let Some(c) = category {
                entries[i as usize].categories.push(c);
            }
        }
        for e in &mut entries {
            e.categories.sort();
            e.categories.dedup();
        }
        words.sort();
        words.dedup();
        categories.sort_by_cached_key(|c| (search_key(c), c.clone()));
        categories.dedup();
        let mut ghts: HashMap<String, Vec<Membership>> = HashMap::new();
        let memberships = ght_membership::Entity::find()
            .order_by_asc(ght_membership::Column::GhtCode)
            .all(conn)
            .await?;
        for m in memberships {
            if let Some(&entry) = position.get(&m.ej_finess) {
                ghts.entry(m.ght_code).or_default().push(Membership {
                    entry,
                    from: m.valid_from,
                    to: m.valid_to,
                });
            }
        }
        let bands = region_setting::Entity::find()
            .all(conn)
            .await?
            .into_iter()
            .map(|m| (m.region_code.clone(), settings_of(Some(m))))
            .collect();
        Ok(Self {
            generation,
            entries,
            words,
            categories: categories.into(),
            ghts,
            bands,
        })
    }

    /// The positions of the entries having a word that starts with `w`, sorted.
    fn with_prefix(&self, w: &str) -> Vec<u32> {
        let start = self.words.partition_point(|(word, _)| word.as_str() < w);
        let mut found: Vec<u32> = self.words[start..]
            .iter()
            .take_while(|(word, _)| word.starts_with(w))
            .map(|(_, i)| *i)
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// One page of the entities of `scope` matching `filter`, in name order.
    fn search(
        &self,
        scope: &ScopeFilter,
        filter: &RegistryFilter,
        page: u64,
        per_page: u64,
    ) -> Page<LegalEntity> {
        // Candidates: the intersection of the typed words' entries, or every entry.
        let words = filter
            .query
            .as_deref()
            .map(cpom_domain::search::query_words)
            .unwrap_or_default();
        let mut candidates: Option<Vec<u32>> = None;
        for w in &words {
            let found = self.with_prefix(w);
            candidates = Some(match candidates {
                None => found,
                Some(before) => before
                    .into_iter()
                    .filter(|i| found.binary_search(i).is_ok())
                    .collect(),
            });
        }
        let ght_members: Option<Vec<u32>> = filter.ght.as_ref().map(|(code, on)| {
            let mut v: Vec<u32> = self
                .ghts
                .get(&code.trim().to_uppercase())
                .map(|ms| {
                    ms.iter()
                        .filter(|m| m.from <= *on && m.to.is_none_or(|to| to >= *on))
                        .map(|m| m.entry)
                        .collect()
                })
                .unwrap_or_default();
            v.sort_unstable();
            v
        });
        let keep = |e: &Entry, i: u32| -> bool {
            let le = &e.entity;
            let in_scope = match scope {
                ScopeFilter::All => true,
                ScopeFilter::Region(r) => le.region == *r,
                ScopeFilter::LegalEntity(f) => le.finess == *f,
                ScopeFilter::Nothing => false,
            };
            in_scope
                && filter
                    .region
                    .as_deref()
                    .is_none_or(|r| le.region.as_str() == r)
                && filter
                    .department
                    .as_deref()
                    .is_none_or(|d| le.department.as_deref() == Some(d))
                && filter.status.is_none_or(|s| le.status == Some(s))
                && filter
                    .band
                    .is_none_or(|b| le.band_override.or(le.computed_band) == Some(b))
                && filter
                    .category
                    .as_deref()
                    .is_none_or(|c| e.categories.iter().any(|x| x == c))
                && ght_members
                    .as_ref()
                    .is_none_or(|m| m.binary_search(&i).is_ok())
        };
        let page = crate::page_number(page);
        let skip = ((page - 1) * per_page) as usize;
        let mut total = 0u64;
        let mut items = Vec::new();
        let mut visit = |i: u32| {
            let e = &self.entries[i as usize];
            if keep(e, i) {
                if total as usize >= skip && (items.len() as u64) < per_page {
                    items.push(e.entity.clone());
                }
                total += 1;
            }
        };
        match candidates {
            // Positions are sorted, hence in name order.
            Some(c) => c.into_iter().for_each(&mut visit),
            None => (0..self.entries.len() as u32).for_each(&mut visit),
        }
        Page {
            items,
            total,
            page,
            per_page,
        }
    }
}

fn push_words(words: &mut Vec<(String, u32)>, folded: &str, i: u32) {
    words.extend(
        folded
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(|w| (w.to_owned(), i)),
    );
}

impl crate::Store {
    /// The index at the registry's current generation (rebuilt when the registry changed).
    async fn search_index(&self) -> Result<Arc<Index>, StoreError> {
        let now = generation(self.db()).await?;
        let current = || self.search.current.read().ok().and_then(|g| g.clone());
        if let Some(ix) = current().filter(|ix| ix.generation == now) {
            return Ok(ix);
        }
        let _rebuilding = self.search.rebuild.lock().await;
        // Another search may have rebuilt it while this one waited.
        if let Some(ix) = current().filter(|ix| ix.generation >= now) {
            return Ok(ix);
        }
        let ix = Arc::new(Index::build(self.db(), now).await?);
        if let Ok(mut slot) = self.search.current.write() {
            *slot = Some(ix.clone());
        }
        tracing::debug!(
            generation = now,
            entities = ix.entries.len(),
            words = ix.words.len(),
            "registry search index rebuilt"
        );
        Ok(ix)
    }

    /// The FINESS categories of the sites, for the search filter (from the index: no scan of
    /// the sites on each page).
    pub async fn site_categories(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.search_index().await?.categories.to_vec())
    }

    /// Searches the legal entities of `scope`: each word of the query must start a word of
    /// the entity (see the module documentation); results in name order.
    pub async fn search_legal_entities(
        &self,
        scope: &ScopeFilter,
        filter: &RegistryFilter,
        page: u64,
        per_page: u64,
    ) -> Result<Page<LegalEntity>, StoreError> {
        Ok(self
            .search_legal_entities_banded(scope, filter, page, per_page)
            .await?
            .found)
    }

    /// Same as [`Self::search_legal_entities`], with what the search page shows beside the
    /// results, all read from the same registry generation (one read of its counter).
    pub async fn search_legal_entities_banded(
        &self,
        scope: &ScopeFilter,
        filter: &RegistryFilter,
        page: u64,
        per_page: u64,
    ) -> Result<RegistrySearch, StoreError> {
        if *scope == ScopeFilter::Nothing {
            return Ok(RegistrySearch {
                found: Page::empty(per_page),
                bands: HashMap::new(),
                scope_bands: BandSettings::default(),
                categories: Arc::from([]),
            });
        }
        let ix = self.search_index().await?;
        let found = ix.search(scope, filter, page, per_page);
        let settings = |r: &str| ix.bands.get(r).cloned().unwrap_or_default();
        let bands = found
            .items
            .iter()
            .map(|e| (e.region.as_str().to_owned(), settings(e.region.as_str())))
            .collect();
        let scope_bands = match scope {
            ScopeFilter::Region(r) => settings(r.as_str()),
            _ => BandSettings::default(),
        };
        Ok(RegistrySearch {
            found,
            bands,
            scope_bands,
            categories: ix.categories.clone(),
        })
    }
}

/// A page of the registry search and what its page shows beside it.
#[derive(Debug, Clone)]
pub struct RegistrySearch {
    /// The legal entities found.
    pub found: Page<LegalEntity>,
    /// The band settings of the regions of the entities found (to label their bands).
    pub bands: HashMap<String, BandSettings>,
    /// The band settings of the searcher's region (the labels of the band filter); the
    /// defaults for a national scope.
    pub scope_bands: BandSettings,
    /// The FINESS categories of the sites, for the category filter.
    pub categories: Arc<[String]>,
}
