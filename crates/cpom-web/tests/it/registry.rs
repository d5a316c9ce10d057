//! The registry on the real files of `../shared/data`: imports, bands, idempotence,
//! previews and all-or-nothing application, on every backend.

use std::path::{Path, PathBuf};

use cpom_domain::registry::SizeBand;
use cpom_domain::{FinessId, RegionCode, ScopeFilter};
use cpom_import::{finess, sae};
use cpom_store::repo::registry::{ImportReport, ImportSource, RegistryFilter};
use cpom_store::{AuditActor, Store};

use crate::support::{backends, fresh_db};

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(name)
}

fn source(path: &Path) -> ImportSource {
    ImportSource {
        file_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        checksum: cpom_import::checksum(path).expect("checksum"),
    }
}

/// Imports the three real files (FINESS, SAE identification, SAE capacities).
pub async fn import_all(
    store: &Store,
    scope: Option<&RegionCode>,
    apply: bool,
) -> [ImportReport; 3] {
    let actor = AuditActor::cli();
    let f = data("finess_etabs_hopitaux_france_FHOFF.csv");
    let a = store
        .import_finess(
            &actor,
            scope,
            &source(&f),
            finess::read_header_csv(&f).expect("finess"),
            apply,
        )
        .await
        .expect("import finess");
    let f = data("SAE_2023_ID_2023r.csv");
    let b = store
        .import_sae_id(
            &actor,
            scope,
            &source(&f),
            sae::read_id(&f).expect("sae id"),
            apply,
        )
        .await
        .expect("import sae id");
    let f = data("SAE_2023_SYGEN_2023r.csv");
    let c = store
        .import_sae_capacity(
            &actor,
            scope,
            &source(&f),
            sae::read_sygen(&f).expect("sygen"),
            apply,
        )
        .await
        .expect("import sygen");
    [a, b, c]
}

fn fid(s: &str) -> FinessId {
    FinessId::parse(s).expect("finess")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importing_the_real_files_gives_known_entities_and_bands_and_reimporting_changes_nothing() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        let [f, id, cap] = import_all(&db.store, None, true).await;
        assert!(
            f.applied && id.applied && cap.applied,
            "{f:?} {id:?} {cap:?}"
        );
        assert_eq!(
            (f.created, f.updated, f.unchanged, f.skipped.len()),
            (4654, 0, 0, 3),
            "{backend:?}"
        );
        assert_eq!(f.entities_created, 1798);
        assert!(
            id.rejected.is_empty() && cap.rejected.is_empty(),
            "{:?} {:?}",
            id.rejected.first(),
            cap.rejected.first()
        );
        assert_eq!(id.created + id.updated + id.unchanged, 3975);
        assert_eq!(cap.created, 3965);

        let bourg = db
            .store
            .legal_entity_detail(&fid("010780054"))
            .await
            .expect("CH Bourg-en-Bresse");
        assert_eq!(bourg.entity.beds, Some(453));
        assert_eq!(bourg.entity.beds_year, Some(2023));
        assert_eq!(bourg.entity.size_band(), Some(SizeBand::From100To499));
        assert_eq!(
            bourg.entity.status,
            Some(cpom_domain::registry::LegalStatus::Public)
        );
        assert!(!bourg.sites.is_empty());
        // The yearly sums and each site's latest year come from one read of the capacities:
        // the 2023 sum is the beds counted, over as many sites as carry a 2023 capacity.
        let y2023 = &bourg.years[0];
        assert_eq!((y2023.year, y2023.beds), (2023, 453));
        let with_2023 = bourg
            .sites
            .iter()
            .filter(|s| s.capacity.is_some_and(|(year, _)| year == 2023))
            .count();
        assert_eq!(usize::try_from(y2023.sites).expect("count"), with_2023);
        assert!(with_2023 > 0);
        let toulouse = db
            .store
            .legal_entity_detail(&fid("310781406"))
            .await
            .expect("CHU Toulouse");
        assert_eq!(
            (toulouse.entity.beds, toulouse.entity.size_band()),
            (Some(2336), Some(SizeBand::Ge500))
        );
        let aphp = db
            .store
            .legal_entity_detail(&fid("750712184"))
            .await
            .expect("AP-HP");
        assert_eq!(aphp.entity.beds, Some(15387));

        let again = import_all(&db.store, None, true).await;
        for r in &again {
            assert_eq!(
                (r.created, r.updated),
                (0, 0),
                "re-import of {} changed something: {r:?}",
                r.file_name
            );
            assert!(r.applied);
        }
        assert_eq!(again[0].unchanged, 4654);
        assert_eq!(again[2].unchanged, 3965);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preview_writes_nothing_and_a_damaged_file_applies_nothing() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        let preview = import_all(&db.store, None, false).await;
        assert_eq!(preview[0].created, 4654);
        assert!(!preview[0].applied);
        assert_eq!(db.store.registry_counts().await.expect("counts"), (0, 0, 0));

        // One bad line among thousands: nothing is written, the line is named.
        let dir = tempfile::tempdir().expect("dir");
        let bytes = std::fs::read(data("finess_etabs_hopitaux_france_FHOFF.csv")).expect("file");
        let text = String::from_utf8(bytes).expect("utf8").replacen(
            "010000032,010780062",
            "010000032,01078006",
            1,
        );
        let path = dir.path().join("finess.csv");
        std::fs::write(&path, text).expect("write");
        let report = db
            .store
            .import_finess(
                &AuditActor::cli(),
                None,
                &source(&path),
                finess::read_header_csv(&path).expect("readable"),
                true,
            )
            .await
            .expect("import");
        assert!(!report.applied);
        assert_eq!(report.rejected.len(), 1);
        assert_eq!(report.rejected[0].line, 3);
        assert_eq!(report.rejected[0].column.as_deref(), Some("nofinessej"));
        assert_eq!(db.store.registry_counts().await.expect("counts"), (0, 0, 0));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ars_import_only_touches_its_region_and_search_finds_by_name_finess_and_city() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        let occitanie = RegionCode::parse("76").expect("region");
        let [f, _, cap] = import_all(&db.store, Some(&occitanie), true).await;
        assert!(f.applied && cap.applied, "{:?}", cap.rejected.first());
        assert!(f.skipped.len() > 4000);
        let all = db
            .store
            .search_legal_entities(&ScopeFilter::All, &RegistryFilter::default(), 1, 10)
            .await
            .expect("search");
        let in_region = db
            .store
            .search_legal_entities(
                &ScopeFilter::Region(occitanie.clone()),
                &RegistryFilter::default(),
                1,
                10,
            )
            .await
            .expect("search");
        assert_eq!(all.total, in_region.total, "only Occitanie was imported");
        let scope = ScopeFilter::Region(occitanie.clone());
        let by = |q: &str| RegistryFilter {
            query: Some(q.into()),
            ..RegistryFilter::default()
        };
        let name = db
            .store
            .search_legal_entities(&scope, &by("montpellier"), 1, 50)
            .await
            .expect("search");
        assert!(
            name.items.iter().any(|e| e.finess.as_str() == "340780477"),
            "{:?}",
            name.items.iter().map(|e| &e.name).collect::<Vec<_>>()
        );
        // A number finds the entities whose own number, or one of whose sites' numbers,
        // starts with it; a whole site number finds its entity.
        let numbers = |page: cpom_store::Page<cpom_store::LegalEntity>| {
            page.items
                .iter()
                .map(|e| e.finess.to_string())
                .collect::<Vec<_>>()
        };
        let prefix = numbers(
            db.store
                .search_legal_entities(&scope, &by("3107814"), 1, 50)
                .await
                .expect("search"),
        );
        assert!(prefix.contains(&"310781406".to_owned()), "{prefix:?}");
        assert!(prefix.iter().all(|f| f.starts_with("3107")), "{prefix:?}");
        let site = numbers(
            db.store
                .search_legal_entities(&scope, &by("310000484"), 1, 50)
                .await
                .expect("search"),
        );
        assert_eq!(site, ["310781406"]);
        let big = db
            .store
            .search_legal_entities(
                &scope,
                &RegistryFilter {
                    band: Some(SizeBand::Ge500),
                    ..RegistryFilter::default()
                },
                1,
                200,
            )
            .await
            .expect("search");
        assert!(
            big.items
                .iter()
                .all(|e| e.size_band() == Some(SizeBand::Ge500))
                && big.total >= 3
        );
        let foreign = db
            .store
            .search_legal_entities(
                &ScopeFilter::Region(RegionCode::parse("84").expect("aura")),
                &RegistryFilter::default(),
                1,
                10,
            )
            .await
            .expect("search");
        assert_eq!(foreign.total, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_sees_every_change_even_one_made_by_another_server() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        // A second server on the same database: its writes must reach this server's index.
        let other = Store::connect(&db.url, db.dir.path())
            .await
            .expect("second connection");
        let actor = AuditActor::cli();
        let occitanie = RegionCode::parse("76").expect("region");
        let ej = FinessId::parse("340780477").expect("finess");
        let scope = ScopeFilter::All;
        let count = |filter: RegistryFilter| {
            let store = db.store.clone();
            let scope = scope.clone();
            async move {
                store
                    .search_legal_entities(&scope, &filter, 1, 10)
                    .await
                    .expect("search")
                    .total
            }
        };
        let by = |q: &str| RegistryFilter {
            query: Some(q.into()),
            ..RegistryFilter::default()
        };
        assert_eq!(count(by("montpellier")).await, 0);
        other
            .upsert_legal_entity(&actor, &ej, "CHU de Montpellier", &occitanie)
            .await
            .expect("create");
        assert_eq!(count(by("montpellier")).await, 1);
        assert_eq!(count(by("chu mont")).await, 1);

        let big = RegistryFilter {
            band: Some(SizeBand::Ge500),
            ..RegistryFilter::default()
        };
        assert_eq!(count(big.clone()).await, 0);
        let e = other
            .get_legal_entity(&ej)
            .await
            .expect("read")
            .expect("exists");
        other
            .set_band_override(
                &actor,
                &ej,
                Some(SizeBand::Ge500),
                Some("Centre hospitalier universitaire régional"),
                e.version,
            )
            .await
            .expect("override");
        assert_eq!(count(big).await, 1);

        let today = chrono::Utc::now().date_naive();
        let in_ght = RegistryFilter {
            ght: Some(("GHT-TEST".into(), today)),
            ..RegistryFilter::default()
        };
        assert_eq!(count(in_ght.clone()).await, 0);
        let ght = other
            .create_ght(&actor, "GHT-TEST", "GHT de test", &occitanie)
            .await
            .expect("ght");
        other
            .add_ght_member(
                &actor,
                "GHT-TEST",
                &ej,
                true,
                cpom_domain::territory::Period::new(today, None).expect("period"),
                ght.version,
            )
            .await
            .expect("member");
        assert_eq!(count(in_ght).await, 1);

        // A new name replaces the old words.
        other
            .upsert_legal_entity(&actor, &ej, "Centre hospitalier universitaire", &occitanie)
            .await
            .expect("rename");
        assert_eq!(count(by("montpellier")).await, 0);
        assert_eq!(count(by("universitaire")).await, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_category_filter_lists_each_site_category_once_in_order_and_follows_imports() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        assert_eq!(
            db.store.site_categories().await.expect("categories"),
            Vec::<String>::new()
        );
        // Imported by a second server on the same database: this one's list must follow.
        let other = Store::connect(&db.url, db.dir.path())
            .await
            .expect("second connection");
        let f = data("finess_etabs_hopitaux_france_FHOFF.csv");
        let parsed = finess::read_header_csv(&f).expect("finess");
        let want: std::collections::BTreeSet<String> = parsed
            .records
            .iter()
            .filter_map(|(_, s)| s.category_label.clone())
            .collect();
        other
            .import_finess(&AuditActor::cli(), None, &source(&f), parsed, true)
            .await
            .expect("import");
        let got = db.store.site_categories().await.expect("categories");
        assert_eq!(got.len(), want.len(), "{backend:?}: each once");
        assert_eq!(
            got.iter()
                .cloned()
                .collect::<std::collections::BTreeSet<_>>(),
            want,
            "{backend:?}"
        );
        // Alphabetical, accents and case ignored.
        let key = cpom_domain::search::search_key;
        assert!(
            got.windows(2).all(|w| key(&w[0]) <= key(&w[1])),
            "{backend:?}: {got:?}"
        );
        assert!(
            got.iter()
                .any(|c| c == "Centre Hospitalier Régional (C.H.R.)")
        );
    }
}
