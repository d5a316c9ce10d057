//! The readers on the real files of `../shared/data`, and on damaged copies of them.

use std::path::{Path, PathBuf};

use cpom_domain::registry::{BandSettings, LegalStatus};
use cpom_import::{Encoding, finess, sae};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(name)
}

/// Writes a copy of a real file where `damage` changes the lines (0-based index).
fn damaged(name: &str, damage: impl Fn(usize, Vec<u8>) -> Vec<u8>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("dir");
    let bytes = std::fs::read(data(name)).expect("real file");
    let mut out = Vec::new();
    for (i, line) in bytes.split_inclusive(|b| *b == b'\n').enumerate() {
        out.extend(damage(i, line.to_vec()));
    }
    let path = dir.path().join(name);
    std::fs::write(&path, out).expect("write");
    (dir, path)
}

#[test]
fn the_finess_hospital_list_reads_every_line() {
    let parsed =
        finess::read_header_csv(&data("finess_etabs_hopitaux_france_FHOFF.csv")).expect("readable");
    assert_eq!(parsed.encoding, Encoding::Utf8);
    assert!(
        parsed.rejected.is_empty(),
        "{:?}",
        &parsed.rejected[..parsed.rejected.len().min(5)]
    );
    // Sites of Saint-Pierre-et-Miquelon and Wallis-et-Futuna (no ARS) are left aside, not rejected.
    assert_eq!(
        parsed.skipped.iter().map(|s| s.line).collect::<Vec<_>>(),
        vec![4647, 4657, 4658]
    );
    assert_eq!(parsed.records.len(), 4654);
    // Double-encoded cp1252 punctuation is repaired: "D’ALLIER".
    let cosne = parsed
        .records
        .iter()
        .find(|(_, s)| s.site.as_str() == "030009229")
        .expect("line 87");
    assert!(
        cosne.1.name.ends_with("COSNE D\u{2019}ALLIER"),
        "{}",
        cosne.1.name
    );
    let (line, first) = &parsed.records[0];
    assert_eq!(*line, 2);
    assert_eq!(first.site.as_str(), "010000024");
    assert_eq!(first.ej.as_str(), "010780054");
    assert_eq!(first.postal_code.as_deref(), Some("01440"));
    assert_eq!(first.city.as_deref(), Some("VIRIAT"));
    assert_eq!(first.region.as_str(), "84");
    assert_eq!(first.status, Some(LegalStatus::Public));
    let ejs: std::collections::BTreeSet<_> =
        parsed.records.iter().map(|(_, s)| s.ej.clone()).collect();
    assert_eq!(ejs.len(), 1798);
}

#[test]
fn the_sae_tables_read_every_line_in_latin1() {
    let id = sae::read_id(&data("SAE_2023_ID_2023r.csv")).expect("readable");
    assert_eq!(id.encoding, Encoding::Latin1);
    assert!(
        id.rejected.is_empty(),
        "{:?}",
        &id.rejected[..id.rejected.len().min(5)]
    );
    assert_eq!(id.records.len(), 3975);
    let sygen = sae::read_sygen(&data("SAE_2023_SYGEN_2023r.csv")).expect("readable");
    assert!(
        sygen.rejected.is_empty(),
        "{:?}",
        &sygen.rejected[..sygen.rejected.len().min(5)]
    );
    assert_eq!(sygen.records.len(), 3965);
    // EJ 010780054 (CH de Bourg-en-Bresse) totals 453 beds with the default definition.
    let settings = BandSettings::default();
    let beds: i64 = sygen
        .records
        .iter()
        .filter(|(_, c)| c.ej.as_str() == "010780054")
        .map(|(_, c)| settings.beds(&c.capacity))
        .sum();
    assert_eq!(beds, 453);
    let chu_toulouse: i64 = sygen
        .records
        .iter()
        .filter(|(_, c)| c.ej.as_str() == "310781406")
        .map(|(_, c)| settings.beds(&c.capacity))
        .sum();
    assert_eq!(chu_toulouse, 2336);
}

#[test]
fn a_truncated_line_is_rejected_with_its_line_number() {
    let (_d, path) = damaged("SAE_2023_SYGEN_2023r.csv", |i, l| {
        if i == 10 {
            l[..l.len() / 2].iter().copied().chain(*b"\n").collect()
        } else {
            l
        }
    });
    let parsed = sae::read_sygen(&path).expect("readable");
    assert_eq!(parsed.rejected.len(), 1, "{:?}", parsed.rejected);
    assert_eq!(parsed.rejected[0].line, 11);
    assert!(
        parsed.rejected[0].reason.contains("colonnes au lieu de"),
        "{}",
        parsed.rejected[0]
    );
}

#[test]
fn a_line_with_an_extra_column_is_rejected() {
    let (_d, path) = damaged("SAE_2023_ID_2023r.csv", |i, l| {
        if i == 5 {
            [b"X;".as_slice(), &l].concat()
        } else {
            l
        }
    });
    let parsed = sae::read_id(&path).expect("readable");
    assert_eq!(
        parsed.rejected.iter().map(|r| r.line).collect::<Vec<_>>(),
        vec![6]
    );
}

#[test]
fn a_latin1_line_in_the_utf8_finess_file_is_rejected_as_bad_encoding() {
    // Line 3 gets "é" encoded in Latin-1 while the rest of the file is UTF-8.
    let (_d, path) = damaged("finess_etabs_hopitaux_france_FHOFF.csv", |i, l| {
        if i == 2 {
            String::from_utf8(l)
                .expect("utf8")
                .replacen("CH ", "CH \u{0}", 1)
                .replace('\u{0}', "")
                .into_bytes()
                .into_iter()
                .flat_map(|b| if b == b'B' { vec![0xE9] } else { vec![b] })
                .collect()
        } else {
            l
        }
    });
    let parsed = finess::read_header_csv(&path).expect("readable");
    assert_eq!(parsed.encoding, Encoding::Utf8);
    assert_eq!(
        parsed.rejected.iter().map(|r| r.line).collect::<Vec<_>>(),
        vec![3]
    );
    assert!(
        parsed.rejected[0].reason.contains("encodage"),
        "{}",
        parsed.rejected[0]
    );
    assert_eq!(parsed.records.len(), 4653);
}

#[test]
fn a_bad_value_names_its_column() {
    let (_d, path) = damaged("SAE_2023_SYGEN_2023r.csv", |i, l| {
        if i == 1 {
            String::from_utf8_lossy(&l)
                .replacen("010000024", "01000002X", 1)
                .into_bytes()
        } else {
            l
        }
    });
    let parsed = sae::read_sygen(&path).expect("readable");
    assert_eq!(parsed.rejected.len(), 1);
    assert_eq!(parsed.rejected[0].line, 2);
    assert_eq!(parsed.rejected[0].column.as_deref(), Some("FI"));
    assert!(
        parsed.rejected[0]
            .to_string()
            .starts_with("ligne 2, colonne FI : ")
    );
}

#[test]
fn a_file_of_the_wrong_kind_is_refused_as_a_whole() {
    let err = sae::read_sygen(&data("SAE_2023_ID_2023r.csv")).expect_err("wrong file");
    assert!(err.to_string().contains("colonnes absentes"), "{err}");
    let err = finess::read_header_csv(&data("SAE_2023_SYGEN_2023r.csv")).expect_err("wrong file");
    assert!(err.to_string().contains("nofinesset"), "{err}");
}

#[test]
fn a_header_that_cannot_be_decoded_refuses_the_file_as_a_fault_of_the_file() {
    // A control character in the header (a binary file sent as the SAE table): the file's
    // fault, told with its place, not a failure to read it.
    let (_d, path) = damaged("SAE_2023_ID_2023r.csv", |i, line| {
        if i == 0 {
            [b"\x1b".as_slice(), &line].concat()
        } else {
            line
        }
    });
    match sae::read_id(&path) {
        Err(cpom_import::reader::FileError::Format(reason)) => {
            assert!(
                reason.starts_with("ligne 1 (en-tête) : caractère de contrôle"),
                "{reason}"
            )
        }
        other => panic!("{:?}", other.map(|p| p.records.len())),
    }
}
