//! The FINESS etalab stock reader on its fixture (real sites of the FHOFF list, see
//! `tests/fixtures/README.md`), on damaged copies of it, and the dispatch of `read_finess`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use cpom_domain::FinessId;
use cpom_domain::registry::LegalStatus;
use cpom_import::finess::{self, FinessPlace, FinessSite, place_of_number};
use cpom_import::{Encoding, Parsed};

const FIXTURE: &str = "etalab-cs1100507-stock-20250101-0000.csv";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(FIXTURE)
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(name)
}

const FHOFF: &str = "finess_etabs_hopitaux_france_FHOFF.csv";

/// Writes `bytes` under the fixture's name in a fresh directory.
fn write(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join(FIXTURE);
    std::fs::write(&path, bytes).expect("write");
    (dir, path)
}

/// A copy of the fixture where `damage` changes the lines (0-based index, with their `\n`).
fn damaged(damage: impl Fn(usize, Vec<u8>) -> Vec<u8>) -> (tempfile::TempDir, PathBuf) {
    let bytes = std::fs::read(fixture()).expect("fixture");
    let mut out = Vec::new();
    for (i, line) in bytes.split_inclusive(|b| *b == b'\n').enumerate() {
        out.extend(damage(i, line.to_vec()));
    }
    write(&out)
}

/// The fixture's lines decoded from Windows-1252.
fn fixture_text() -> String {
    let bytes = std::fs::read(fixture()).expect("fixture");
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(&bytes)
        .0
        .into_owned()
}

fn read(path: &Path) -> Parsed<FinessSite> {
    finess::read_etalab_stock(path).expect("readable")
}

fn site<'a>(parsed: &'a Parsed<FinessSite>, finess: &str) -> &'a FinessSite {
    parsed
        .records
        .iter()
        .map(|(_, s)| s)
        .find(|s| s.site.as_str() == finess)
        .unwrap_or_else(|| panic!("site {finess} absent"))
}

fn lines(rejections: &[cpom_import::Rejection]) -> Vec<u64> {
    rejections.iter().map(|r| r.line).collect()
}

#[test]
fn the_etalab_fixture_reads_every_site_in_latin1() {
    let parsed = read(&fixture());
    assert_eq!(parsed.encoding, Encoding::Latin1);
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    assert_eq!(parsed.records.len(), 12);
    assert_eq!(
        parsed.records.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        (2..=13).collect::<Vec<_>>()
    );
    // Saint-Pierre-et-Miquelon (9E) has no ARS: left aside, not rejected; the
    // geolocalisation lines (15 to 27) are read and dropped without a trace.
    assert_eq!(lines(&parsed.skipped), vec![14]);
    assert_eq!(parsed.skipped[0].column.as_deref(), Some("departement"));
    assert!(
        parsed.skipped[0].reason.contains("9E"),
        "{}",
        parsed.skipped[0]
    );
}

#[test]
fn an_etalab_site_keeps_its_accents_and_fields() {
    let parsed = read(&fixture());
    let cosne = site(&parsed, "030009229");
    assert_eq!(
        cosne.name,
        "CENTRE MÉDICO-PSYCHOLOGIQUE POUR ADULTES COSNE D\u{2019}ALLIER"
    );
    assert_eq!(cosne.ej.as_str(), "030780282");
    assert_eq!(cosne.department, "03");
    assert_eq!(cosne.region.as_str(), "84");
    assert_eq!(cosne.postal_code.as_deref(), Some("03430"));
    assert_eq!(cosne.city.as_deref(), Some("COSNE D ALLIER"));
    assert_eq!(
        cosne.category_label.as_deref(),
        Some("Centre Hospitalier Spécialisé lutte Maladies Mentales")
    );
    assert_eq!(cosne.category_code.as_deref(), Some("292"));
    assert_eq!(cosne.status, Some(LegalStatus::Public));
    assert_eq!(cosne.siret, None);

    // An empty `rslongue` falls back on `rs`.
    assert_eq!(site(&parsed, "020000097").name, "CH LA FÈRE");
    let honfleur = site(&parsed, "140000241");
    assert_eq!(honfleur.name, "CENTRE HOSPITALIER DE LA CÔTE FLEURIE");
    assert_eq!(honfleur.postal_code.as_deref(), Some("14601"));
    assert_eq!(honfleur.city.as_deref(), Some("HONFLEUR CEDEX"));
    assert_eq!(honfleur.siret.as_deref(), Some("20001798600015"));

    let had = site(&parsed, "310005459");
    assert_eq!(had.status, Some(LegalStatus::Espic));
    assert_eq!(had.region.as_str(), "76");
    assert_eq!(
        had.category_label.as_deref(),
        Some("Hospitalisation à Domicile")
    );

    let chu = site(&parsed, "340000199");
    assert_eq!(chu.category_code.as_deref(), Some("101"));
    assert_eq!(
        chu.category_label.as_deref(),
        Some("Centre Hospitalier Régional (C.H.R.)")
    );

    // Corsica and overseas departments.
    for (finess, dep, region) in [
        ("2A0004842", "2A", "94"),
        ("2B0000012", "2B", "94"),
        ("970100392", "971", "01"),
        ("970400024", "974", "04"),
    ] {
        let s = site(&parsed, finess);
        assert_eq!((s.department, s.region.as_str()), (dep, region), "{finess}");
    }
    assert_eq!(
        site(&parsed, "970400024").postal_code.as_deref(),
        Some("97405")
    );
}

#[test]
fn etalab_sites_group_under_their_legal_entity() {
    let parsed = read(&fixture());
    let mut by_ej: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (_, s) in &parsed.records {
        by_ej
            .entry(s.ej.as_str())
            .or_default()
            .push(s.site.as_str());
    }
    assert_eq!(by_ej.len(), 10);
    assert_eq!(by_ej["030780282"], vec!["030009229", "030009237"]);
    assert_eq!(by_ej["340780477"], vec!["340000199", "340785161"]);
    assert!(
        by_ej
            .iter()
            .filter(|(ej, _)| !["030780282", "340780477"].contains(ej))
            .all(|(_, sites)| sites.len() == 1)
    );
}

#[test]
fn the_etalab_fixture_agrees_with_the_fhoff_list() {
    let etalab = read(&fixture());
    let fhoff = finess::read_header_csv(&data(FHOFF)).expect("readable");
    let fhoff: HashMap<&FinessId, &FinessSite> =
        fhoff.records.iter().map(|(_, s)| (&s.site, s)).collect();
    for (line, s) in &etalab.records {
        let expected = fhoff
            .get(&s.site)
            .unwrap_or_else(|| panic!("{} absent de FHOFF", s.site));
        // FHOFF has no category code; everything else is the same site.
        assert_eq!(
            &&FinessSite {
                category_code: None,
                ..s.clone()
            },
            expected,
            "ligne {line}"
        );
    }
}

#[test]
fn the_fixture_in_utf8_gives_the_same_sites() {
    let original = read(&fixture());
    let (_d, path) = write(fixture_text().as_bytes());
    let utf8 = read(&path);
    assert_eq!(utf8.encoding, Encoding::Utf8);
    assert_eq!(utf8.records, original.records);
    assert_eq!(utf8.skipped, original.skipped);
    assert!(utf8.rejected.is_empty(), "{:?}", utf8.rejected);

    // A BOM, CRLF line ends and lines without their trailing `;` (31 fields) change nothing.
    let text = format!(
        "\u{feff}{}",
        fixture_text()
            .lines()
            .map(|l| match l.strip_prefix("structureet;") {
                Some(_) => l.strip_suffix(';').unwrap_or(l),
                None => l,
            })
            .collect::<Vec<_>>()
            .join("\r\n")
    );
    let (_d, path) = write(text.as_bytes());
    let crlf = read(&path);
    assert_eq!(crlf.records, original.records);
    assert_eq!(crlf.skipped, original.skipped);
    assert!(crlf.rejected.is_empty(), "{:?}", crlf.rejected);
}

#[test]
fn a_truncated_etalab_line_is_rejected_with_its_line_number() {
    let (_d, path) = damaged(|i, l| {
        if i == 4 {
            l[..l.len() / 2].iter().copied().chain(*b"\n").collect()
        } else {
            l
        }
    });
    let parsed = read(&path);
    assert_eq!(lines(&parsed.rejected), vec![5]);
    assert!(
        parsed.rejected[0]
            .reason
            .contains("colonnes au lieu de 31 ou 32"),
        "{}",
        parsed.rejected[0]
    );
    assert_eq!(parsed.records.len(), 11);
}

#[test]
fn an_etalab_line_with_an_extra_field_is_rejected() {
    let (_d, path) = damaged(|i, l| match i {
        2 => [&l[..l.len() - 1], b"X;\n"].concat(),
        16 => [&l[..l.len() - 1], b";X\n"].concat(),
        _ => l,
    });
    let parsed = read(&path);
    assert_eq!(lines(&parsed.rejected), vec![3, 17]);
    assert!(
        parsed.rejected[0].reason.starts_with("33 colonnes"),
        "{}",
        parsed.rejected[0]
    );
    assert!(
        parsed.rejected[1].reason.contains("geolocalisation"),
        "{}",
        parsed.rejected[1]
    );
}

#[test]
fn a_bad_value_of_an_etalab_line_names_its_column() {
    let (_d, path) = damaged(|i, l| {
        let text = String::from_utf8_lossy(&l).into_owned();
        let text = match i {
            6 => text.replacen("310005459", "31000545X", 1),
            7 => text.replacen(";340780477;", ";34078047;", 1),
            8 => text.replacen(";34;HERAULT;", ";20;HERAULT;", 1),
            9 => text.replacen("26200006000158", "2620000600015", 1),
            10 => text.replacen(";355;", ";35;", 1),
            19 => text.replacen("310005459", "3100054", 1),
            _ => return l,
        };
        text.into_bytes()
    });
    let parsed = read(&path);
    let found: Vec<(u64, &str)> = parsed
        .rejected
        .iter()
        .map(|r| (r.line, r.column.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        found,
        vec![
            (7, "nofinesset"),
            (8, "nofinessej"),
            (9, "departement"),
            (10, "siret"),
            (11, "categetab"),
            (20, "nofinesset"),
        ]
    );
    assert!(
        parsed.rejected[0]
            .to_string()
            .starts_with("ligne 7, colonne nofinesset : « 31000545X »"),
        "{}",
        parsed.rejected[0]
    );
    assert_eq!(parsed.records.len(), 7);
}

#[test]
fn an_unknown_line_type_and_a_site_described_twice_are_rejected() {
    let (_d, path) = damaged(|i, l| match i {
        12 => [l.clone(), fixture_line(1)].concat(),
        15 => String::from_utf8_lossy(&l)
            .replacen("geolocalisation", "geoloc", 1)
            .into_bytes(),
        _ => l,
    });
    let parsed = read(&path);
    assert_eq!(lines(&parsed.rejected), vec![14, 17]);
    assert_eq!(parsed.rejected[0].column.as_deref(), Some("nofinesset"));
    assert!(
        parsed.rejected[0]
            .reason
            .contains("010000024 déjà décrit à la ligne 2"),
        "{}",
        parsed.rejected[0]
    );
    assert_eq!(parsed.rejected[1].column.as_deref(), Some("type de ligne"));
    assert_eq!(parsed.records.len(), 12);
}

/// One line of the fixture (0-based index), as raw bytes with its `\n`.
fn fixture_line(i: usize) -> Vec<u8> {
    let bytes = std::fs::read(fixture()).expect("fixture");
    bytes
        .split_inclusive(|b| *b == b'\n')
        .nth(i)
        .expect("line")
        .to_vec()
}

#[test]
fn a_latin1_line_in_a_utf8_extract_is_read_as_windows_1252() {
    // FORMATS §3.2: some extracts are mixed; a line that is not UTF-8 is read as cp1252.
    let text = fixture_text();
    let mut bytes = Vec::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i == 3 {
            bytes.extend(fixture_line(3));
        } else {
            bytes.extend(line.as_bytes());
        }
    }
    let (_d, path) = write(&bytes);
    let parsed = read(&path);
    assert_eq!(parsed.encoding, Encoding::Utf8);
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    assert_eq!(parsed.records, read(&fixture()).records);
}

#[test]
fn a_line_mixing_utf8_and_latin1_is_rejected() {
    // Line 4 keeps "É" in UTF-8 but gets "’" as the cp1252 byte 0x92: no encoding reads it.
    let text = fixture_text();
    let mut bytes = Vec::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i == 3 {
            bytes.extend(
                line.replace('\u{2019}', "\u{0}")
                    .as_bytes()
                    .iter()
                    .map(|b| if *b == 0 { 0x92 } else { *b }),
            );
        } else {
            bytes.extend(line.as_bytes());
        }
    }
    let (_d, path) = write(&bytes);
    let parsed = read(&path);
    assert_eq!(parsed.encoding, Encoding::Utf8);
    assert_eq!(lines(&parsed.rejected), vec![4]);
    assert!(
        parsed.rejected[0].reason.contains("encodage invalide"),
        "{}",
        parsed.rejected[0]
    );
    assert_eq!(parsed.records.len(), 11);
}

#[test]
fn a_byte_that_windows_1252_does_not_define_is_rejected() {
    let (_d, path) = damaged(|i, l| {
        if i == 5 {
            let at = l.len() / 3;
            [&l[..at], &[0x81u8][..], &l[at..]].concat()
        } else {
            l
        }
    });
    let parsed = read(&path);
    assert_eq!(parsed.encoding, Encoding::Latin1);
    assert_eq!(lines(&parsed.rejected), vec![6]);
    assert!(
        parsed.rejected[0].reason.contains("caractère de contrôle"),
        "{}",
        parsed.rejected[0]
    );
}

#[test]
fn an_extract_without_its_etalab_first_line_is_refused() {
    let (_d, path) = damaged(|i, l| if i == 0 { Vec::new() } else { l });
    let err = finess::read_etalab_stock(&path).expect_err("no first line");
    let msg = err.to_string();
    assert!(msg.starts_with("ligne 1 : "), "{msg}");
    assert!(msg.contains("finess;etalab;<version>;<date>"), "{msg}");

    for (first, expected) in [
        (
            "finess;etalab;100;2025-13-01\n",
            "date d'extraction invalide",
        ),
        ("finess;etalab;v100;2025-01-01\n", "version « v100 »"),
        ("finess;etalab\n", "n'est pas l'en-tête etalab"),
    ] {
        let (_d, path) = damaged(|i, l| if i == 0 { first.into() } else { l });
        let err = finess::read_etalab_stock(&path).expect_err(first);
        assert!(err.to_string().contains(expected), "{first}: {err}");
    }
    // Old extracts date their first line DD/MM/YYYY.
    let (_d, path) = damaged(|i, l| {
        if i == 0 {
            b"finess;etalab;62;15/03/2013\n".to_vec()
        } else {
            l
        }
    });
    assert_eq!(read(&path).records.len(), 12);

    let (_d, empty) = write(b"");
    let err = finess::read_etalab_stock(&empty).expect_err("empty");
    assert!(err.to_string().contains("fichier vide"), "{err}");
}

#[test]
fn read_finess_tells_the_two_formats_apart() {
    let by_sniff = finess::read_finess(&fixture()).expect("etalab");
    let direct = read(&fixture());
    assert_eq!(by_sniff.encoding, direct.encoding);
    assert_eq!(by_sniff.records, direct.records);
    assert_eq!(by_sniff.skipped, direct.skipped);
    assert_eq!(by_sniff.rejected, direct.rejected);

    let by_sniff = finess::read_finess(&data(FHOFF)).expect("fhoff");
    let direct = finess::read_header_csv(&data(FHOFF)).expect("fhoff");
    assert_eq!(by_sniff.encoding, direct.encoding);
    assert_eq!(by_sniff.records.len(), 4654);
    assert_eq!(by_sniff.records, direct.records);
    assert_eq!(by_sniff.skipped, direct.skipped);
    assert_eq!(by_sniff.rejected, direct.rejected);
    assert!(
        by_sniff
            .records
            .iter()
            .all(|(_, s)| s.category_code.is_none())
    );

    for name in ["SAE_2023_ID_2023r.csv", "SAE_2023_SYGEN_2023r.csv"] {
        let err = finess::read_finess(&data(name)).expect_err(name);
        let msg = err.to_string();
        assert!(msg.starts_with("ligne 1 : "), "{msg}");
        assert!(
            msg.contains("finess;etalab") && msg.contains("nofinesset"),
            "{msg}"
        );
    }
    let (_d, empty) = write(b"");
    let err = finess::read_finess(&empty).expect_err("empty");
    assert_eq!(err.to_string(), "fichier vide");
}

#[test]
fn the_prefix_of_a_finess_number_gives_its_department() {
    let place = |n: &str| place_of_number(&FinessId::parse(n).expect(n));
    assert_eq!(place("340780477"), Ok(FinessPlace::Department("34")));
    assert_eq!(place("010780054"), Ok(FinessPlace::Department("01")));
    assert_eq!(place("2A0000014"), Ok(FinessPlace::Department("2A")));
    assert_eq!(place("2B0000020"), Ok(FinessPlace::Department("2B")));
    assert_eq!(place("970100392"), Ok(FinessPlace::Department("971")));
    assert_eq!(place("970200028"), Ok(FinessPlace::Department("972")));
    assert_eq!(place("970300026"), Ok(FinessPlace::Department("973")));
    assert_eq!(place("970400024"), Ok(FinessPlace::Department("974")));
    assert_eq!(place("980501506"), Ok(FinessPlace::Department("976")));
    assert_eq!(place("970500039"), Ok(FinessPlace::OutsideArs));
    assert_eq!(place("980600027"), Ok(FinessPlace::OutsideArs));
    for bad in [
        "960000000",
        "200000000",
        "000000000",
        "970900000",
        "9A0000000",
        "1B0000000",
    ] {
        let err = place(bad).expect_err(bad);
        assert!(err.contains(bad), "{err}");
    }
    // The rule holds on every site of the FHOFF list.
    let fhoff = finess::read_header_csv(&data(FHOFF)).expect("fhoff");
    for (line, s) in &fhoff.records {
        assert_eq!(
            place_of_number(&s.site),
            Ok(FinessPlace::Department(s.department)),
            "ligne {line}"
        );
    }
}
