//! The readers of the templates the agencies fill (authorisations of care activities, GHT
//! members), on the shipped templates and on damaged copies of them.

use std::path::PathBuf;

use chrono::NaiveDate;
use cpom_import::{Encoding, authorisations, ght};

/// Writes `text` (lines joined with `\n`) to a fresh file.
fn write(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    write_bytes(name, text.as_bytes())
}

fn write_bytes(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write");
    (dir, path)
}

/// A copy of `template` where `damage` changes the lines (0-based index, without `\n`);
/// returning `None` drops the line.
fn damaged(template: &str, damage: impl Fn(usize, &str) -> Option<String>) -> String {
    template
        .lines()
        .enumerate()
        .filter_map(|(i, l)| damage(i, l))
        .map(|l| l + "\n")
        .collect()
}

/// Replaces field `col` (0-based) of a `;` line.
fn set_field(line: &str, col: usize, value: &str) -> String {
    let mut fields: Vec<&str> = line.split(';').collect();
    fields[col] = value;
    fields.join(";")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn found(rejected: &[cpom_import::Rejection]) -> Vec<(u64, Option<&str>)> {
    rejected
        .iter()
        .map(|r| (r.line, r.column.as_deref()))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Authorisations of care activities

fn read_authorisations(text: &str) -> cpom_import::Parsed<authorisations::Authorisation> {
    let (_d, path) = write("autorisations.csv", text);
    authorisations::read(&path).expect("readable")
}

#[test]
fn the_authorisations_template_reads_without_rejection() {
    let shipped = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("templates/autorisations.csv"),
    )
    .expect("template");
    assert_eq!(shipped, authorisations::TEMPLATE);
    let parsed = read_authorisations(authorisations::TEMPLATE);
    assert_eq!(parsed.encoding, Encoding::Utf8);
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
    assert_eq!(
        parsed.records.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        vec![2, 3, 4]
    );

    let (_, medecine) = &parsed.records[0];
    assert_eq!(medecine.site.as_str(), "340785161");
    assert_eq!(medecine.ej.as_str(), "340780477");
    assert_eq!(medecine.activity_code, "01");
    assert_eq!(medecine.activity_label, "Médecine");
    assert_eq!(medecine.modality_code.as_deref(), Some("00"));
    assert_eq!(medecine.modality_label.as_deref(), Some("Pas de modalité"));
    assert_eq!(medecine.form_code.as_deref(), Some("01"));
    assert_eq!(
        medecine.form_label.as_deref(),
        Some("Hospitalisation complète (24 heures consécutives ou plus)")
    );
    assert_eq!(medecine.number, None);
    assert_eq!(medecine.granted_on, Some(date(2023, 12, 14)));
    assert_eq!(medecine.valid_from, date(2024, 6, 1));
    assert_eq!(medecine.valid_to, Some(date(2031, 5, 31)));
    assert_eq!(medecine.department, "34");
    assert_eq!(medecine.region.as_str(), "76");

    // ISO dates on the second line; a site of Aveyron.
    let (_, chirurgie) = &parsed.records[1];
    assert_eq!(chirurgie.activity_label, "Chirurgie");
    assert_eq!(chirurgie.valid_from, date(2024, 7, 1));
    assert_eq!(chirurgie.valid_to, Some(date(2031, 6, 30)));
    assert_eq!(chirurgie.department, "12");

    // Optional values left empty on the third line.
    let (_, ssr) = &parsed.records[2];
    assert_eq!(ssr.modality_code, None);
    assert_eq!(ssr.modality_label, None);
    assert_eq!(ssr.granted_on, None);
    assert_eq!(ssr.valid_to, None);
    assert_eq!(
        ssr.form_label.as_deref(),
        Some("Hospitalisation à temps partiel de jour ou de nuit")
    );
}

#[test]
fn the_authorisations_template_in_latin1_with_columns_in_another_order_reads_the_same() {
    let original = read_authorisations(authorisations::TEMPLATE);
    let reversed: String = authorisations::TEMPLATE
        .lines()
        .map(|l| {
            let mut fields: Vec<&str> = l.split(';').collect();
            fields.reverse();
            fields.join(";") + "\r\n"
        })
        .collect();
    let (latin1, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&reversed);
    assert!(!unmappable);
    let (_d, path) = write_bytes("autorisations.csv", &latin1);
    let parsed = authorisations::read(&path).expect("readable");
    assert_eq!(parsed.encoding, Encoding::Latin1);
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    assert_eq!(parsed.records, original.records);
}

#[test]
fn crlf_line_ends_keep_the_line_numbers() {
    // Excel on Windows ends lines with CRLF: the lines must still be counted right.
    let text = damaged(authorisations::TEMPLATE, |i, l| {
        Some(if i == 2 {
            set_field(l, 10, "2024-13-01")
        } else {
            l.to_owned()
        })
    })
    .replace('\n', "\r\n");
    let parsed = read_authorisations(&format!("{text}\r\n"));
    assert_eq!(
        parsed.records.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        vec![2, 4]
    );
    assert_eq!(
        found(&parsed.rejected),
        vec![(3, Some("date_debut_validite"))]
    );
    assert_eq!(parsed.records[1].1.valid_to, None);
}

#[test]
fn a_bad_authorisation_date_names_its_column() {
    let text = damaged(authorisations::TEMPLATE, |i, l| {
        Some(match i {
            1 => set_field(l, 10, "31/02/2024"),
            2 => set_field(l, 9, "2024/03/18"),
            3 => set_field(l, 10, ""),
            _ => l.to_owned(),
        })
    });
    let parsed = read_authorisations(&text);
    assert_eq!(
        found(&parsed.rejected),
        vec![
            (2, Some("date_debut_validite")),
            (3, Some("date_autorisation")),
            (4, Some("date_debut_validite")),
        ]
    );
    assert!(
        parsed.rejected[0]
            .to_string()
            .contains("« 31/02/2024 » n'est pas une date du calendrier"),
        "{}",
        parsed.rejected[0]
    );
    assert!(
        parsed.rejected[1]
            .reason
            .contains("jj/mm/aaaa ou aaaa-mm-jj"),
        "{}",
        parsed.rejected[1]
    );
    assert!(
        parsed.rejected[2].reason.contains("obligatoire"),
        "{}",
        parsed.rejected[2]
    );
    assert!(parsed.records.is_empty());
}

#[test]
fn an_authorisation_ending_before_it_starts_is_rejected_on_its_end() {
    let text = damaged(authorisations::TEMPLATE, |i, l| {
        Some(if i == 2 {
            set_field(l, 11, "30/06/2024")
        } else {
            l.to_owned()
        })
    });
    let parsed = read_authorisations(&text);
    assert_eq!(
        found(&parsed.rejected),
        vec![(3, Some("date_fin_validite"))]
    );
    assert_eq!(
        parsed.rejected[0].reason,
        "la fin de validité (30/06/2024) précède le début (01/07/2024)"
    );
    assert_eq!(parsed.records.len(), 2);
}

#[test]
fn an_authorisations_header_without_a_required_column_refuses_the_file() {
    // The column forme_libelle (index 7) is removed from every line.
    let text = damaged(authorisations::TEMPLATE, |_, l| {
        let mut fields: Vec<&str> = l.split(';').collect();
        fields.remove(7);
        Some(fields.join(";"))
    });
    let (_d, path) = write("autorisations.csv", &text);
    let err = authorisations::read(&path).expect_err("missing column");
    assert_eq!(
        err.to_string(),
        "ligne 1 : colonnes absentes de l'en-tête : forme_libelle (attendu : fichier des \
         autorisations d'activités de soins (finess_et;finess_ej;activite_code;…))"
    );

    // A comma-separated copy is refused with the reason.
    let (_d, path) = write(
        "autorisations.csv",
        &authorisations::TEMPLATE.replace(';', ","),
    );
    let err = authorisations::read(&path).expect_err("commas");
    assert!(
        err.to_string()
            .contains("séparées par « , » au lieu de « ; »"),
        "{err}"
    );

    // A column named twice is refused.
    let text = damaged(authorisations::TEMPLATE, |i, l| {
        Some(if i == 0 {
            l.to_owned() + ";FINESS_ET"
        } else {
            l.to_owned() + ";"
        })
    });
    let (_d, path) = write("autorisations.csv", &text);
    let err = authorisations::read(&path).expect_err("twice");
    assert!(
        err.to_string().contains("« FINESS_ET » figure deux fois"),
        "{err}"
    );
}

#[test]
fn an_authorisation_line_with_a_missing_or_extra_column_is_rejected() {
    let text = damaged(authorisations::TEMPLATE, |i, l| {
        Some(match i {
            1 => l.to_owned() + ";X",
            3 => l.rsplit_once(';').map(|(head, _)| head.to_owned())?,
            _ => l.to_owned(),
        })
    });
    let parsed = read_authorisations(&text);
    assert_eq!(found(&parsed.rejected), vec![(2, None), (4, None)]);
    assert!(
        parsed.rejected[0]
            .reason
            .starts_with("13 colonnes au lieu de 12"),
        "{}",
        parsed.rejected[0]
    );
    assert!(
        parsed.rejected[1]
            .reason
            .starts_with("11 colonnes au lieu de 12"),
        "{}",
        parsed.rejected[1]
    );
}

#[test]
fn the_same_authorisation_twice_is_rejected_on_its_second_line() {
    // Line 2 again, its start date written the other way: still the same authorisation.
    let second = authorisations::TEMPLATE
        .lines()
        .nth(1)
        .map(|l| set_field(l, 10, "2024-06-01"))
        .expect("line 2");
    let text = format!("{}{second}\n", authorisations::TEMPLATE);
    let parsed = read_authorisations(&text);
    assert_eq!(found(&parsed.rejected), vec![(5, None)]);
    assert!(
        parsed.rejected[0].reason.contains("à la ligne 2"),
        "{}",
        parsed.rejected[0]
    );
    assert_eq!(parsed.records.len(), 3);

    // Another form, or another start, is another authorisation.
    let other_form = set_field(
        &set_field(&second, 6, "02"),
        7,
        "Hospitalisation à temps partiel",
    );
    let later = set_field(&set_field(&second, 10, "01/06/2031"), 11, "");
    let text = format!("{}{other_form}\n{later}\n", authorisations::TEMPLATE);
    let parsed = read_authorisations(&text);
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    assert_eq!(parsed.records.len(), 5);
}

#[test]
fn a_missing_or_bad_authorisation_value_names_its_column() {
    let text = damaged(authorisations::TEMPLATE, |i, l| {
        Some(match i {
            1 => set_field(l, 3, " "),
            2 => set_field(l, 1, ""),
            3 => set_field(l, 0, "96000000X"),
            _ => l.to_owned(),
        })
    });
    let parsed = read_authorisations(&text);
    assert_eq!(
        found(&parsed.rejected),
        vec![
            (2, Some("activite_libelle")),
            (3, Some("finess_ej")),
            (4, Some("finess_et")),
        ]
    );
}

#[test]
fn an_authorisation_outside_the_regions_of_an_ars_is_skipped() {
    let text = damaged(authorisations::TEMPLATE, |i, l| {
        Some(match i {
            1 => set_field(&set_field(l, 0, "970500039"), 1, "970500005"),
            2 => set_field(l, 0, "960000000"),
            _ => l.to_owned(),
        })
    });
    let parsed = read_authorisations(&text);
    assert_eq!(found(&parsed.skipped), vec![(2, Some("finess_et"))]);
    assert!(
        parsed.skipped[0].reason.contains("collectivité sans ARS"),
        "{}",
        parsed.skipped[0]
    );
    // An unknown prefix is an error, not a skip.
    assert_eq!(found(&parsed.rejected), vec![(3, Some("finess_et"))]);
    assert!(
        parsed.rejected[0].reason.contains("préfixe 96"),
        "{}",
        parsed.rejected[0]
    );
    assert_eq!(parsed.records.len(), 1);
}

// ---------------------------------------------------------------------------------------
// GHT

fn read_ght(text: &str) -> cpom_import::Parsed<ght::GhtMember> {
    let (_d, path) = write("ght.csv", text);
    ght::read(&path).expect("readable")
}

#[test]
fn the_ght_template_reads_without_rejection() {
    let shipped = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("templates/ght.csv"),
    )
    .expect("template");
    assert_eq!(shipped, ght::TEMPLATE);
    let parsed = read_ght(ght::TEMPLATE);
    assert_eq!(parsed.encoding, Encoding::Utf8);
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
    assert_eq!(parsed.records.len(), 9);
    let supports: Vec<&str> = parsed
        .records
        .iter()
        .filter(|(_, m)| m.support)
        .map(|(_, m)| m.ej.as_str())
        .collect();
    assert_eq!(supports, vec!["340780477"]);
    for (_, m) in &parsed.records {
        assert_eq!(m.ght_code, "GHT-EHSA");
        assert_eq!(m.ght_name, "GHT Est-Hérault et Sud-Aveyron");
        assert_eq!(m.region.as_str(), "76");
        assert_eq!(m.valid_from, date(2016, 7, 1));
        assert_eq!(m.valid_to, None);
    }
}

#[test]
fn ght_roles_are_read_in_any_case_or_as_one_letter() {
    let text = damaged(ght::TEMPLATE, |i, l| {
        Some(match i {
            1 => set_field(l, 3, "S"),
            2 => set_field(l, 3, "m"),
            3 => set_field(l, 3, "Membre"),
            4 => set_field(l, 3, " MEMBRE "),
            _ => l.to_owned(),
        })
    });
    let parsed = read_ght(&text);
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    assert_eq!(parsed.records.iter().filter(|(_, m)| m.support).count(), 1);
    let text = damaged(ght::TEMPLATE, |i, l| {
        Some(if i == 3 {
            set_field(l, 3, "associé")
        } else {
            l.to_owned()
        })
    });
    let parsed = read_ght(&text);
    assert_eq!(found(&parsed.rejected), vec![(4, Some("role"))]);
    assert!(
        parsed.rejected[0].reason.contains("« associé »"),
        "{}",
        parsed.rejected[0]
    );
}

#[test]
fn a_ght_code_with_two_names_is_rejected() {
    let text = damaged(ght::TEMPLATE, |i, l| {
        Some(if i == 4 {
            set_field(l, 1, "GHT Est Hérault")
        } else {
            l.to_owned()
        })
    });
    let parsed = read_ght(&text);
    assert_eq!(found(&parsed.rejected), vec![(5, Some("nom_ght"))]);
    assert!(
        parsed.rejected[0]
            .reason
            .contains("« GHT Est-Hérault et Sud-Aveyron » à la ligne 2"),
        "{}",
        parsed.rejected[0]
    );
    assert_eq!(parsed.records.len(), 8);
}

#[test]
fn two_supports_of_a_ght_over_overlapping_periods_are_rejected() {
    let text = damaged(ght::TEMPLATE, |i, l| {
        Some(if i == 3 {
            set_field(l, 3, "support")
        } else {
            l.to_owned()
        })
    });
    let parsed = read_ght(&text);
    assert_eq!(found(&parsed.rejected), vec![(4, Some("role"))]);
    assert!(
        parsed.rejected[0]
            .reason
            .contains("déjà pour support l'EJ 340780477 (ligne 2)"),
        "{}",
        parsed.rejected[0]
    );

    // One support after the other is fine.
    let text = damaged(ght::TEMPLATE, |i, l| {
        Some(match i {
            1 => set_field(l, 5, "31/12/2019"),
            3 => set_field(&set_field(l, 3, "support"), 4, "2020-01-01"),
            _ => l.to_owned(),
        })
    });
    let parsed = read_ght(&text);
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    assert_eq!(parsed.records.iter().filter(|(_, m)| m.support).count(), 2);
}

#[test]
fn an_ej_in_two_ghts_over_overlapping_periods_is_rejected() {
    let other = "GHT-BT;GHT Bassin de Thau;340011295;support;01/01/2020;";
    let parsed = read_ght(&format!("{}{other}\n", ght::TEMPLATE));
    assert_eq!(found(&parsed.rejected), vec![(11, Some("finess_ej"))]);
    assert!(
        parsed.rejected[0]
            .reason
            .contains("déjà membre du GHT GHT-EHSA (ligne 3)"),
        "{}",
        parsed.rejected[0]
    );

    // The same EJ twice in the same GHT.
    let again = ght::TEMPLATE
        .lines()
        .nth(6)
        .expect("line 7")
        .replace("01/07/2016", "01/01/2020");
    let parsed = read_ght(&format!("{}{again}\n", ght::TEMPLATE));
    assert_eq!(found(&parsed.rejected), vec![(11, Some("finess_ej"))]);
    assert!(
        parsed.rejected[0]
            .reason
            .contains("figure déjà dans le GHT GHT-EHSA à la ligne 7"),
        "{}",
        parsed.rejected[0]
    );

    // Leaving one GHT for another is fine.
    let text = damaged(ght::TEMPLATE, |i, l| {
        Some(if i == 2 {
            set_field(l, 5, "31/12/2019")
        } else {
            l.to_owned()
        })
    });
    let parsed = read_ght(&format!("{text}{other}\n"));
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    assert_eq!(parsed.records.len(), 10);
}

#[test]
fn bad_ght_dates_name_their_column() {
    let text = damaged(ght::TEMPLATE, |i, l| {
        Some(match i {
            1 => set_field(l, 4, "1/7/2016"),
            2 => set_field(l, 4, ""),
            3 => set_field(l, 5, "30/06/2016"),
            4 => set_field(l, 5, "2016-07-01"),
            _ => l.to_owned(),
        })
    });
    let parsed = read_ght(&text);
    assert_eq!(
        found(&parsed.rejected),
        vec![
            (2, Some("date_debut")),
            (3, Some("date_debut")),
            (4, Some("date_fin")),
        ]
    );
    assert_eq!(
        parsed.rejected[2].reason,
        "la fin (30/06/2016) précède le début (01/07/2016)"
    );
    // A membership of one day (end = start) is accepted.
    assert_eq!(parsed.records.len(), 6);
}

#[test]
fn a_ght_file_with_a_wrong_header_or_line_width_is_refused_or_rejected() {
    let text = damaged(ght::TEMPLATE, |_, l| {
        let mut fields: Vec<&str> = l.split(';').collect();
        fields.remove(3);
        Some(fields.join(";"))
    });
    let (_d, path) = write("ght.csv", &text);
    let err = ght::read(&path).expect_err("no role");
    assert!(
        err.to_string()
            .starts_with("ligne 1 : colonnes absentes de l'en-tête : role "),
        "{err}"
    );

    let (_d, path) = write("ght.csv", "");
    let err = ght::read(&path).expect_err("empty");
    assert_eq!(err.to_string(), "fichier vide : l'en-tête est absent");

    let text = damaged(ght::TEMPLATE, |i, l| {
        Some(if i == 5 {
            l.rsplit_once(';').map(|(head, _)| head.to_owned())?
        } else {
            l.to_owned()
        })
    });
    let parsed = read_ght(&text);
    assert_eq!(found(&parsed.rejected), vec![(6, None)]);
    assert!(
        parsed.rejected[0]
            .reason
            .starts_with("5 colonnes au lieu de 6"),
        "{}",
        parsed.rejected[0]
    );
}

#[test]
fn a_ght_member_outside_the_regions_of_an_ars_is_skipped() {
    let member = "GHT-SPM;GHT Saint-Pierre;970500005;support;01/07/2016;";
    let parsed = read_ght(&format!("{}{member}\n", ght::TEMPLATE));
    assert_eq!(found(&parsed.skipped), vec![(11, Some("finess_ej"))]);
    assert_eq!(parsed.records.len(), 9);
}
