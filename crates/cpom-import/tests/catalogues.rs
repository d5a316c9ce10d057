//! The catalogues shipped in `catalogues/`: they read without a problem, round-trip through
//! the text format, and hold the facts of the seeds they were transcribed from.

use std::path::PathBuf;

use cpom_domain::catalogue::{Catalogue, CatalogueKind, TargetBand, TargetRule, TargetYear};
use cpom_import::catalogue::{read_toml, write_toml};
use cpom_import::catalogue_xlsx::{read_xlsx, write_xlsx};

fn shipped(slug: &str) -> (String, Catalogue) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../catalogues")
        .join(format!("{slug}.toml"));
    let text = std::fs::read_to_string(&path).expect("shipped catalogue");
    match read_toml(&text) {
        Ok(c) => (text, c),
        Err(errors) => panic!(
            "{}:\n{}",
            path.display(),
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

#[test]
fn the_shipped_catalogues_read_and_round_trip_through_the_text_format() {
    for slug in [
        "occitanie-2025-2029",
        "aura-2020-2024",
        "idf-positionnement-territorial",
    ] {
        let (_, c) = shipped(slug);
        assert_eq!(c.slug, slug);
        let text = write_toml(&c);
        let back = read_toml(&text).expect("written text reads back");
        assert_eq!(back, c, "{slug}");
        assert_eq!(write_toml(&back), text, "{slug}");
        // text → model → XLSX → model → text, without loss.
        let xlsx = write_xlsx(&c).expect("xlsx");
        let from_xlsx = read_xlsx(&xlsx).unwrap_or_else(|e| panic!("{slug}: {e:?}"));
        assert_eq!(from_xlsx, c, "{slug}");
        assert_eq!(write_toml(&from_xlsx), text, "{slug}");
    }
}

#[test]
fn a_workbook_error_names_the_sheet_the_cell_and_the_field() {
    let (_, mut c) = shipped("occitanie-2025-2029");
    c.indicators.truncate(1);
    c.actions.truncate(1);
    c.objectives.truncate(1);
    let xlsx = write_xlsx(&c).expect("xlsx");
    // Re-write the workbook with one bad rule, through a round trip of the sheets' text.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let mut source: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).expect("open");
    use calamine::Reader;
    for name in source.sheet_names() {
        let range = source.worksheet_range(&name).expect("sheet");
        let ws = wb.add_worksheet();
        ws.set_name(&name).expect("name");
        for (r, row) in range.rows().enumerate() {
            for (col, cell) in row.iter().enumerate() {
                let mut text = cell.to_string();
                if name == "Cibles" && r == 1 && col == 5 {
                    text = ">= dix".into();
                }
                ws.write_string(r as u32, col as u16, text).expect("write");
            }
        }
    }
    let errors = read_xlsx(&wb.save_to_buffer().expect("save")).expect_err("bad rule");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        errors[0].place,
        "feuille Cibles, cellule F2, champ « rule »"
    );
    assert!(
        errors[0].message.contains("nombre attendu"),
        "{}",
        errors[0]
    );
    assert!(read_xlsx(b"not a workbook").is_err());
}

fn rule_of(c: &Catalogue, code: &str, band: &str, year: TargetYear) -> TargetRule {
    c.indicators
        .iter()
        .find(|i| i.code == code)
        .unwrap_or_else(|| panic!("indicator {code}"))
        .targets
        .iter()
        .find(|t| t.band.as_str() == band && t.year == year)
        .unwrap_or_else(|| panic!("{code} {band} {year}"))
        .rule
        .clone()
}

#[test]
fn occitanie_holds_every_fiche_of_seed_001_with_its_targets() {
    let (_, c) = shipped("occitanie-2025-2029");
    assert_eq!(c.region.as_str(), "76");
    assert_eq!((c.start_year, c.end_year), (2025, 2029));
    // CPOM_CT_1 to CPOM_CT_8 and CPOM_OS_1 to CPOM_OS_22, OCR variants normalised.
    let codes: Vec<&str> = c.indicators.iter().map(|i| i.code.as_str()).collect();
    let expected: Vec<String> = (1..=8)
        .map(|n| format!("CPOM_CT_{n}"))
        .chain((1..=22).map(|n| format!("CPOM_OS_{n}")))
        .collect();
    assert_eq!(codes, expected);
    assert_eq!(c.actions.len(), 30);
    // CT_1: the CHU of Nîmes joins a PIMM from 2027; the CHU of Toulouse and Montpellier
    // are out of scope; the others by the end of 2028.
    let ct1 = &c.indicators[0];
    assert_eq!(ct1.kind.as_str(), "yes_no");
    assert_eq!(
        rule_of(&c, "CPOM_CT_1", "CHU 30", TargetYear::Year(2026)),
        TargetRule::YesNo { expected: false }
    );
    assert_eq!(
        rule_of(&c, "CPOM_CT_1", "CHU 30", TargetYear::Year(2027)),
        TargetRule::YesNo { expected: true }
    );
    assert!(
        ct1.targets
            .iter()
            .any(|t| t.band == TargetBand::Named("CHU 30".into())
                && t.finess.as_ref().map(|f| f.as_str()) == Some("300780038"))
    );
    assert_eq!(
        rule_of(&c, "CPOM_CT_1", "CHU 31 et 34", TargetYear::Year(2025)),
        TargetRule::NotApplicable
    );
    // CT_6: one more cooperation protocol a year, four over the period for the largest.
    assert_eq!(
        rule_of(&c, "CPOM_CT_6", "ge500", TargetYear::Year(2026)),
        TargetRule::Increment { delta: 1.0 }
    );
    assert_eq!(
        rule_of(&c, "CPOM_CT_6", "ge500", TargetYear::Total).to_string(),
        "cumul >= 4"
    );
    // OS_1: 10 % of trained professionals in 2025 up to 30 % in 2029.
    assert_eq!(
        rule_of(&c, "CPOM_OS_1", "all", TargetYear::Year(2025)).to_string(),
        ">= 10"
    );
    assert_eq!(
        rule_of(&c, "CPOM_OS_1", "all", TargetYear::Year(2029)).to_string(),
        ">= 30"
    );
    // Ambiguous cells are kept as printed and flagged; the notes say which.
    let flagged = c
        .indicators
        .iter()
        .flat_map(|i| &i.targets)
        .filter(|t| t.to_confirm)
        .count();
    assert!(flagged > 0);
    assert!(c.notes.as_deref().is_some_and(|n| n.contains("to_confirm")));
}

#[test]
fn aura_holds_the_three_orientations_their_objectives_and_model_actions_of_seed_002() {
    let (_, c) = shipped("aura-2020-2024");
    assert_eq!(c.region.as_str(), "84");
    assert_eq!(c.kind, CatalogueKind::Engagements);
    assert_eq!(c.orientations.len(), 3);
    let objectives: Vec<&str> = c.objectives.iter().map(|o| o.code.as_str()).collect();
    assert_eq!(
        objectives,
        [
            "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "2.1", "2.2", "2.3", "3.1",
            "3.2"
        ]
    );
    let action = c.actions.iter().find(|a| a.code == "1.1-1").expect("1.1-1");
    assert_eq!(
        action.applies_to.as_deref(),
        Some("Tous les établissements publics")
    );
    assert_eq!(
        action
            .applies_if
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("statut public")
    );
    assert!(c.actions.iter().any(|a| a.code == "1.5-2-BIS"));
    // Candidate indicators, one chosen per action at contract time; no target in the guide.
    assert!(c.indicators.len() >= c.actions.len());
    assert!(c.indicators.iter().all(|i| i.targets.is_empty()));
    assert_eq!(c.indicators_of("1.1-1").count(), 10);
}

#[test]
fn ile_de_france_holds_the_territorial_positioning_questionnaire_of_seed_004() {
    let (_, c) = shipped("idf-positionnement-territorial");
    assert_eq!(c.region.as_str(), "11");
    assert_eq!(c.kind, CatalogueKind::Diagnostic);
    let themes: Vec<&str> = c.orientations.iter().map(|o| o.title.as_str()).collect();
    assert_eq!(
        themes,
        [
            "Thématiques",
            "Coopérations territoriales",
            "Orientations majeures"
        ]
    );
    assert_eq!(c.objectives.len(), 7);
    assert_eq!(c.questions.len(), 10);
    assert!(c.actions.is_empty() && c.indicators.is_empty());
}
