//! The catalogue editor of the agency's administrators: the header of a draft, create and
//! edit orientations, objectives, model actions, fiches (with their targets) and questions,
//! delete, move among siblings, duplicate a fiche; a new draft version of a published
//! catalogue and a new generation. Every form posts the version and `row_version` read, so a
//! concurrent change is refused, and a refused form comes back with the typed values and
//! each problem under its field.

use super::extract::{Form, Path, Query};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cpom_domain::catalogue::edit::{Direction, Edit, HeaderInput, ItemKind};
use cpom_domain::catalogue::number::format_number;
use cpom_domain::catalogue::{Catalogue, CatalogueKind, DataSource, Frequency, IndicatorKind};
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};
use tower_sessions::Session;

use super::{render, render_status};
use crate::AppState;
use crate::auth::{CurrentUser, PageUser};
use crate::error::{AppError, FieldError, PageError};
use crate::services::{self, GenerationInput, VersionInput};
use crate::view::{Choice, FormErrors, FormPairs, Layout, form_lines, form_value};

/// How a field is typed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Widget {
    Text,
    Area,
    Check,
    Parent,
    Kind,
    Source,
    Frequency,
}

/// One field of an item form.
struct Spec {
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    widget: Widget,
}

const fn spec(name: &'static str, label: &'static str, hint: &'static str, widget: Widget) -> Spec {
    Spec {
        name,
        label,
        hint,
        widget,
    }
}

const CODE_HINT: &str = "Tel qu'imprimé (ex. 1.1-2, CPOM_CT_3) ; sans espace ni « / ». \
     Le changer le reporte sur les éléments rattachés.";

fn specs(kind: ItemKind) -> Vec<Spec> {
    use Widget::*;
    match kind {
        ItemKind::Orientation => vec![
            spec("code", "Code", CODE_HINT, Text),
            spec("title", "Intitulé", "", Text),
            spec("description", "Description", "Facultative", Area),
        ],
        ItemKind::Objective => vec![
            spec("code", "Code", CODE_HINT, Text),
            spec("orientation", "Orientation (ou thème)", "", Parent),
            spec("title", "Intitulé", "", Text),
            spec("description", "Description", "Facultative", Area),
        ],
        ItemKind::Action => vec![
            spec("code", "Code", CODE_HINT, Text),
            spec("objective", "Objectif stratégique", "", Parent),
            spec("title", "Intitulé", "", Text),
            spec(
                "mandatory",
                "Action obligatoire pour les établissements concernés",
                "",
                Check,
            ),
            spec(
                "title_locked",
                "Intitulé non personnalisable à la négociation",
                "",
                Check,
            ),
            spec(
                "applies_to",
                "Établissements concernés, tel qu'imprimé",
                "Texte libre, affiché tel quel",
                Text,
            ),
            spec(
                "applies_if",
                "Règle d'application",
                "Vide : toutes les entités. Exemples : « statut public », « taille >= 100 et non label hopital_proximite », \
                 « autorisation urgences ou ght » ; voir docs/catalogue-format.md",
                Text,
            ),
            spec("description", "Description", "Facultative", Area),
        ],
        ItemKind::Indicator => vec![
            spec("code", "Code", CODE_HINT, Text),
            spec("action", "Action type", "", Parent),
            spec("title", "Intitulé de l'indicateur", "", Text),
            spec(
                "objective_text",
                "Objectif stratégique, tel qu'imprimé sur la fiche",
                "",
                Area,
            ),
            spec("context", "Contexte", "", Area),
            spec("definition", "Définition", "", Area),
            spec(
                "kind",
                "Type de valeur",
                "Détermine les règles de cible possibles",
                Kind,
            ),
            spec("unit", "Unité", "Ex. %, protocoles, €", Text),
            spec("numerator", "Numérateur", "Pour un taux", Text),
            spec("denominator", "Dénominateur", "Pour un taux", Text),
            spec("formula", "Formule", "", Text),
            spec("source", "Source des données", "", Source),
            spec(
                "source_detail",
                "Précision sur la source",
                "Ex. PMSI MCO, SAE bordereau Q20",
                Text,
            ),
            spec("frequency", "Fréquence de collecte", "", Frequency),
            spec("measure_period", "Période de mesure", "", Text),
            spec("reference_period", "Période de référence", "", Text),
            spec("partners", "Partenaires", "", Area),
            spec("steering", "Pilotage et suivi", "", Area),
            spec("support", "Accompagnement", "", Area),
            spec("follow_up", "Modalités de suivi et d'évaluation", "", Area),
            spec("evidence", "Justificatifs attendus", "", Area),
            spec(
                "comment_help",
                "Consignes pour le commentaire",
                "Affichées à l'établissement lors de la déclaration",
                Area,
            ),
        ],
        ItemKind::Question => vec![
            spec("code", "Code", CODE_HINT, Text),
            spec("objective", "Objectif", "", Parent),
            spec("text", "Question", "", Area),
        ],
    }
}

/// A form field as shown.
pub struct FieldView {
    id: String,
    label: &'static str,
    hint: &'static str,
    widget: &'static str,
    value: String,
    checked: bool,
    choices: Vec<Choice>,
    placeholder: &'static str,
    error: String,
}

/// One target line of the fiche form.
pub struct TargetView {
    i: usize,
    band: String,
    finess: String,
    year: String,
    text: String,
    rule_text: String,
    to_confirm: bool,
    e_band: String,
    e_finess: String,
    e_year: String,
    e_text: String,
    e_rule: String,
}

/// The form of one item (or of the header).
#[derive(Template)]
#[template(path = "catalogues/edit.html")]
pub struct EditPage {
    layout: Layout,
    slug: String,
    version: i32,
    row_version: i64,
    catalogue_title: String,
    heading: String,
    action: String,
    cancel: String,
    submit: &'static str,
    fields: Vec<FieldView>,
    with_targets: bool,
    targets: Vec<TargetView>,
    period: String,
    errors: FormErrors,
}

/// A JSON value as the text of an input.
fn as_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(true)) => "true".into(),
        _ => String::new(),
    }
}

fn parent_choices(c: &Catalogue, kind: ItemKind, current: &str) -> Vec<Choice> {
    let pairs: Vec<(&str, &str)> = match kind.parent().map(|(p, _)| p) {
        Some(ItemKind::Orientation) => c
            .orientations
            .iter()
            .map(|o| (o.code.as_str(), o.title.as_str()))
            .collect(),
        Some(ItemKind::Objective) => c
            .objectives
            .iter()
            .map(|o| (o.code.as_str(), o.title.as_str()))
            .collect(),
        Some(ItemKind::Action) => c
            .actions
            .iter()
            .map(|o| (o.code.as_str(), o.title.as_str()))
            .collect(),
        _ => vec![],
    };
    pairs
        .into_iter()
        .map(|(code, title)| {
            let short: String = title.chars().take(90).collect();
            Choice::new(code, format!("{code} — {short}"), current)
        })
        .collect()
}

fn field_views(c: &Catalogue, kind: ItemKind, item: &Value, errors: &FormErrors) -> Vec<FieldView> {
    specs(kind)
        .into_iter()
        .map(|s| {
            let value = as_text(item.get(s.name));
            let (widget, choices, placeholder) = match s.widget {
                Widget::Text => ("text", vec![], ""),
                Widget::Area => ("area", vec![], ""),
                Widget::Check => ("check", vec![], ""),
                Widget::Parent => ("select", parent_choices(c, kind, &value), "Choisir"),
                Widget::Kind => (
                    "select",
                    IndicatorKind::ALL
                        .iter()
                        .map(|k| Choice::new(k.as_str(), k.label(), &value))
                        .collect(),
                    "Choisir",
                ),
                Widget::Source => (
                    "select",
                    DataSource::ALL
                        .iter()
                        .map(|k| Choice::new(k.as_str(), k.label(), &value))
                        .collect(),
                    "Non précisée",
                ),
                Widget::Frequency => (
                    "select",
                    Frequency::ALL
                        .iter()
                        .map(|k| Choice::new(k.as_str(), k.label(), &value))
                        .collect(),
                    "Non précisée",
                ),
            };
            FieldView {
                id: s.name.to_owned(),
                label: s.label,
                hint: s.hint,
                widget,
                checked: value == "true",
                value,
                choices,
                placeholder,
                error: errors.get(s.name).to_owned(),
            }
        })
        .collect()
}

/// Blank target lines offered under the existing ones.
const BLANK_TARGETS: usize = 3;

fn target_views(item: &Value, errors: &FormErrors) -> Vec<TargetView> {
    let rows = item
        .get("targets")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    rows.into_iter()
        .chain(std::iter::repeat_n(Value::Null, BLANK_TARGETS))
        .enumerate()
        .map(|(i, t)| {
            let e = |f: &str| errors.get(&format!("targets[{i}].{f}")).to_owned();
            TargetView {
                i,
                band: as_text(t.get("band")),
                finess: as_text(t.get("finess")),
                year: as_text(t.get("year")),
                text: as_text(t.get("text")),
                rule_text: as_text(t.get("rule_text")),
                to_confirm: t.get("to_confirm").and_then(Value::as_bool) == Some(true),
                e_band: e("band"),
                e_finess: e("finess"),
                e_year: e("year"),
                e_text: e("text"),
                e_rule: e("rule_text"),
            }
        })
        .collect()
}

/// The posted form of an item as its JSON form: checkboxes as booleans, target lines as
/// `targets` (blank lines left out).
fn posted_item(kind: ItemKind, pairs: &FormPairs) -> Value {
    let mut out = Map::new();
    for s in specs(kind) {
        let v = form_value(pairs, s.name);
        let value = match s.widget {
            Widget::Check => Value::Bool(v.is_some()),
            _ => v.map_or(Value::Null, Value::String),
        };
        out.insert(s.name.into(), value);
    }
    if kind == ItemKind::Indicator {
        let filled = |r: &BTreeMap<String, String>| {
            ["band", "year", "text", "rule_text", "finess"]
                .iter()
                .any(|f| r.get(*f).is_some_and(|v| !v.trim().is_empty()))
        };
        let targets = form_lines(pairs, "targets", 10_000)
            .into_iter()
            .filter(filled)
            .map(|r| {
                Value::Object(
                    r.into_iter()
                        .map(|(field, v)| {
                            let value = if field == "to_confirm" {
                                Value::Bool(true)
                            } else {
                                Value::String(v)
                            };
                            (field, value)
                        })
                        .collect(),
                )
            })
            .collect();
        out.insert("targets".into(), Value::Array(targets));
    }
    Value::Object(out)
}

fn version_of(pairs: &FormPairs) -> VersionInput {
    VersionInput {
        version: form_value(pairs, "version").and_then(|v| v.trim().parse().ok()),
        row_version: form_value(pairs, "row_version").and_then(|v| v.trim().parse().ok()),
    }
}

fn catalogue_href(slug: &str, version: i32) -> String {
    format!("/referentiels/{slug}?version={version}")
}

/// The place of an item in the catalogue page.
fn tree_href(slug: &str, version: i32, kind: ItemKind, code: &str) -> String {
    format!(
        "{}#{}-{}",
        catalogue_href(slug, version),
        kind.page_segment(),
        anchor(code)
    )
}

/// Where to go after saving an item: its fiche, or its place in the catalogue.
fn item_href(slug: &str, version: i32, kind: ItemKind, code: &str) -> String {
    if kind == ItemKind::Indicator {
        format!("/referentiels/{slug}/fiches/{code}?version={version}")
    } else {
        tree_href(slug, version, kind, code)
    }
}

/// An HTML id from a code.
pub fn anchor(code: &str) -> String {
    code.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn kind_of(segment: &str) -> Result<ItemKind, AppError> {
    ItemKind::from_segment(segment).ok_or(AppError::NotFound)
}

fn noun(c: &Catalogue, kind: ItemKind) -> &'static str {
    match (kind, c.kind) {
        (ItemKind::Orientation, CatalogueKind::Diagnostic) => "thème",
        (ItemKind::Orientation, _) => "orientation",
        (ItemKind::Objective, _) => "objectif",
        (ItemKind::Action, _) => "action type",
        (ItemKind::Indicator, _) => "fiche indicateur",
        (ItemKind::Question, _) => "question",
    }
}

#[allow(clippy::too_many_arguments)]
async fn item_page(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
    meta: &cpom_store::repo::catalogues::CatalogueVersion,
    c: &Catalogue,
    kind: ItemKind,
    code: Option<&str>,
    item: &Value,
    errors: FormErrors,
) -> Result<EditPage, AppError> {
    let what = noun(c, kind);
    let (heading, action, cancel, submit) = match code {
        Some(code) => (
            format!("Modifier : {what} {code}"),
            format!(
                "/referentiels/{}/elements/{}/{code}",
                meta.slug,
                kind.page_segment()
            ),
            item_href(&meta.slug, meta.version, kind, code),
            "Enregistrer",
        ),
        None => (
            format!("Ajouter : {what}"),
            format!(
                "/referentiels/{}/elements/{}/nouveau",
                meta.slug,
                kind.page_segment()
            ),
            catalogue_href(&meta.slug, meta.version),
            "Ajouter",
        ),
    };
    Ok(EditPage {
        layout: Layout::new(state, session, cu, &heading, "/referentiels").await?,
        slug: meta.slug.clone(),
        version: meta.version,
        row_version: meta.row_version,
        catalogue_title: meta.title.clone(),
        heading,
        action,
        cancel,
        submit,
        fields: field_views(c, kind, item, &errors),
        with_targets: kind == ItemKind::Indicator,
        targets: target_views(item, &errors),
        period: format!("{}–{}", meta.start_year, meta.end_year),
        errors,
    })
}

/// Which version is edited, and (new items) under which parent.
#[derive(Debug, Deserialize)]
pub struct EditQuery {
    version: Option<i32>,
    parent: Option<String>,
}

/// GET `/referentiels/{slug}/elements/{list}/nouveau?parent=…`: the form of a new item.
pub async fn new_item_form(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path((slug, list)): Path<(String, String)>,
    Query(q): Query<EditQuery>,
) -> Result<Response, PageError> {
    let kind = kind_of(&list)?;
    let (meta, c) = services::editable_catalogue(&state, &cu, &slug, q.version).await?;
    let mut item = Map::new();
    if let (Some((_, field)), Some(parent)) = (kind.parent(), q.parent) {
        item.insert(field.into(), Value::String(parent));
    }
    if kind == ItemKind::Indicator {
        item.insert("kind".into(), "count".into());
        item.insert("source".into(), "establishment".into());
        item.insert("frequency".into(), "annual".into());
    }
    let page = item_page(
        &state,
        &session,
        &cu,
        &meta,
        &c,
        kind,
        None,
        &Value::Object(item),
        FormErrors::default(),
    )
    .await?;
    render(&page)
}

/// GET `/referentiels/{slug}/elements/{list}/{code}`: the form of an item.
pub async fn edit_item_form(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path((slug, list, code)): Path<(String, String, String)>,
    Query(q): Query<EditQuery>,
) -> Result<Response, PageError> {
    let kind = kind_of(&list)?;
    let (meta, c) = services::editable_catalogue(&state, &cu, &slug, q.version).await?;
    let item = services::item_value(&c, kind, &code).ok_or(AppError::NotFound)?;
    let page = item_page(
        &state,
        &session,
        &cu,
        &meta,
        &c,
        kind,
        Some(&code),
        &item,
        FormErrors::default(),
    )
    .await?;
    render(&page)
}

/// Saves an item form; a refused form comes back with its values and problems.
#[allow(clippy::too_many_arguments)]
async fn save_item(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
    slug: &str,
    kind: ItemKind,
    code: Option<String>,
    pairs: &FormPairs,
) -> Result<Response, PageError> {
    services::managed_catalogue_region(state, cu, slug).await?;
    let input = version_of(pairs);
    let value = posted_item(kind, pairs);
    let outcome = async {
        let item = services::read_item(kind, value.clone())?;
        let new_code = item.code().to_owned();
        let edit = match &code {
            Some(code) => Edit::Replace {
                code: code.clone(),
                item,
            },
            None => Edit::Create(item),
        };
        let v = services::edit_catalogue(state, cu, slug, &input, &edit).await?;
        Ok::<_, AppError>((v, new_code))
    }
    .await;
    match outcome {
        Ok((v, new_code)) => {
            Ok(Redirect::to(&item_href(&v.slug, v.version, kind, &new_code)).into_response())
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let (meta, c) = services::editable_catalogue(state, cu, slug, input.version).await?;
            let status = e.status();
            let errors = FormErrors::refused(e, "catalogue");
            let mut page = item_page(
                state,
                session,
                cu,
                &meta,
                &c,
                kind,
                code.as_deref(),
                &value,
                errors,
            )
            .await?;
            // Keep the version the form was read at: a conflict must be reloaded, not
            // overwritten.
            if let Some(r) = input.row_version {
                page.row_version = r;
            }
            render_status(&page, status)
        }
        Err(e) => Err(e.into()),
    }
}

/// POST `/referentiels/{slug}/elements/{list}/nouveau`.
pub async fn create_item(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path((slug, list)): Path<(String, String)>,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, PageError> {
    let kind = kind_of(&list)?;
    save_item(&state, &session, &cu, &slug, kind, None, &pairs).await
}

/// POST `/referentiels/{slug}/elements/{list}/{code}`.
pub async fn update_item(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path((slug, list, code)): Path<(String, String, String)>,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, PageError> {
    let kind = kind_of(&list)?;
    save_item(&state, &session, &cu, &slug, kind, Some(code), &pairs).await
}

/// The version read, and the way an item moves or the code of a copy.
#[derive(Debug, Deserialize)]
pub struct ToolInput {
    version: Option<i32>,
    row_version: Option<i64>,
    direction: Option<String>,
    new_code: Option<String>,
}

impl ToolInput {
    fn version(&self) -> VersionInput {
        VersionInput {
            version: self.version,
            row_version: self.row_version,
        }
    }
}

/// POST `/referentiels/{slug}/elements/{list}/{code}/supprimer`.
pub async fn delete_item(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path((slug, list, code)): Path<(String, String, String)>,
    Form(input): Form<ToolInput>,
) -> Result<Response, PageError> {
    let kind = kind_of(&list)?;
    let edit = Edit::Delete { kind, code };
    let v = services::edit_catalogue(&state, &cu, &slug, &input.version(), &edit).await?;
    Ok(Redirect::to(&catalogue_href(&v.slug, v.version)).into_response())
}

/// POST `/referentiels/{slug}/elements/{list}/{code}/deplacer` (`direction`: `up` or `down`).
pub async fn move_item(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path((slug, list, code)): Path<(String, String, String)>,
    Form(input): Form<ToolInput>,
) -> Result<Response, PageError> {
    let kind = kind_of(&list)?;
    services::managed_catalogue_region(&state, &cu, &slug).await?;
    let direction = match input.direction.as_deref() {
        Some("up") => Direction::Up,
        Some("down") => Direction::Down,
        _ => return Err(AppError::field("direction", "sens attendu : up ou down").into()),
    };
    let edit = Edit::Move {
        kind,
        code: code.clone(),
        direction,
    };
    let v = services::edit_catalogue(&state, &cu, &slug, &input.version(), &edit).await?;
    Ok(Redirect::to(&tree_href(&v.slug, v.version, kind, &code)).into_response())
}

/// POST `/referentiels/{slug}/elements/fiches/{code}/dupliquer` (`new_code`): the copy's
/// form opens.
pub async fn duplicate_item(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path((slug, list, code)): Path<(String, String, String)>,
    Form(input): Form<ToolInput>,
) -> Result<Response, PageError> {
    services::managed_catalogue_region(&state, &cu, &slug).await?;
    if kind_of(&list)? != ItemKind::Indicator {
        return Err(AppError::NotFound.into());
    }
    let new_code = input.new_code.clone().unwrap_or_default().trim().to_owned();
    let edit = Edit::DuplicateIndicator {
        code,
        new_code: new_code.clone(),
    };
    let v = services::edit_catalogue(&state, &cu, &slug, &input.version(), &edit).await?;
    Ok(Redirect::to(&format!(
        "/referentiels/{}/elements/fiches/{new_code}?version={}",
        v.slug, v.version
    ))
    .into_response())
}

/// The header form.
#[derive(Debug, Default, Deserialize)]
pub struct HeaderForm {
    version: Option<i32>,
    row_version: Option<i64>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    generation: String,
    #[serde(default)]
    start_year: String,
    #[serde(default)]
    end_year: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    partial_threshold: String,
}

impl HeaderForm {
    /// The header input, or the fields that are not numbers.
    fn read(&self) -> Result<HeaderInput, AppError> {
        let mut errors = Vec::new();
        let mut year = |field: &str, raw: &str| -> Option<i32> {
            let v = raw.trim().parse().ok();
            if v.is_none() {
                errors.push(FieldError {
                    field: field.into(),
                    message: "année attendue (ex. 2025)".into(),
                });
            }
            v
        };
        let start_year = year("start_year", &self.start_year);
        let end_year = year("end_year", &self.end_year);
        let raw = self.partial_threshold.trim().replace(',', ".");
        let partial_threshold = if raw.is_empty() {
            None
        } else {
            match raw.trim_end_matches('%').trim().parse::<f64>() {
                Ok(p) => Some(p),
                Err(_) => {
                    errors.push(FieldError {
                        field: "partial_threshold".into(),
                        message: "pourcentage attendu (ex. 80), ou vide".into(),
                    });
                    None
                }
            }
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(HeaderInput {
            title: self.title.clone(),
            generation: self.generation.clone(),
            start_year,
            end_year,
            source: Some(self.source.clone()),
            notes: Some(self.notes.clone()),
            partial_threshold,
        })
    }
}

fn header_fields(form: &HeaderForm, errors: &FormErrors) -> Vec<FieldView> {
    let f = |id: &'static str, label, hint, widget, value: &str| FieldView {
        id: id.to_owned(),
        label,
        hint,
        widget,
        value: value.to_owned(),
        checked: false,
        choices: vec![],
        placeholder: "",
        error: errors.get(id).to_owned(),
    };
    vec![
        f("title", "Titre", "", "text", &form.title),
        f(
            "generation",
            "Génération",
            "Ex. 2025-2029",
            "text",
            &form.generation,
        ),
        f(
            "start_year",
            "Première année des contrats",
            "",
            "text",
            &form.start_year,
        ),
        f(
            "end_year",
            "Dernière année des contrats",
            "Dix ans au plus après la première",
            "text",
            &form.end_year,
        ),
        f(
            "partial_threshold",
            "Seuil d'atteinte partielle (%)",
            "Part du résultat attendu à partir de laquelle une cible chiffrée non atteinte est « partiellement atteinte » ; vide : pas d'atteinte partielle",
            "text",
            &form.partial_threshold,
        ),
        f(
            "source",
            "Source",
            "Document d'origine",
            "text",
            &form.source,
        ),
        f(
            "notes",
            "Notes de transcription et points à confirmer",
            "",
            "area",
            &form.notes,
        ),
    ]
}

async fn header_page(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
    meta: &cpom_store::repo::catalogues::CatalogueVersion,
    form: &HeaderForm,
    errors: FormErrors,
) -> Result<EditPage, AppError> {
    let heading = "Modifier l'en-tête du référentiel".to_owned();
    Ok(EditPage {
        layout: Layout::new(state, session, cu, &heading, "/referentiels").await?,
        slug: meta.slug.clone(),
        version: meta.version,
        row_version: form.row_version.unwrap_or(meta.row_version),
        catalogue_title: meta.title.clone(),
        heading,
        action: format!("/referentiels/{}/modifier", meta.slug),
        cancel: catalogue_href(&meta.slug, meta.version),
        submit: "Enregistrer",
        fields: header_fields(form, &errors),
        with_targets: false,
        targets: vec![],
        period: format!("{}–{}", meta.start_year, meta.end_year),
        errors,
    })
}

/// GET `/referentiels/{slug}/modifier`: the header form of a draft.
pub async fn header_form(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(slug): Path<String>,
    Query(q): Query<EditQuery>,
) -> Result<Response, PageError> {
    let (meta, c) = services::editable_catalogue(&state, &cu, &slug, q.version).await?;
    let form = HeaderForm {
        version: Some(meta.version),
        row_version: Some(meta.row_version),
        title: c.title.clone(),
        generation: c.generation.clone(),
        start_year: c.start_year.to_string(),
        end_year: c.end_year.to_string(),
        source: c.source.clone().unwrap_or_default(),
        notes: c.notes.clone().unwrap_or_default(),
        partial_threshold: c
            .partial
            .map(|p| format_number(p.percent))
            .unwrap_or_default(),
    };
    render(&header_page(&state, &session, &cu, &meta, &form, FormErrors::default()).await?)
}

/// POST `/referentiels/{slug}/modifier`.
pub async fn save_header(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(slug): Path<String>,
    Form(form): Form<HeaderForm>,
) -> Result<Response, PageError> {
    services::managed_catalogue_region(&state, &cu, &slug).await?;
    let input = VersionInput {
        version: form.version,
        row_version: form.row_version,
    };
    let outcome = async {
        let header = form.read()?;
        services::edit_catalogue(&state, &cu, &slug, &input, &Edit::Header(header)).await
    }
    .await;
    match outcome {
        Ok(v) => Ok(Redirect::to(&catalogue_href(&v.slug, v.version)).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let (meta, _) = services::editable_catalogue(&state, &cu, &slug, form.version).await?;
            let status = e.status();
            let errors = FormErrors::refused(e, "catalogue");
            render_status(
                &header_page(&state, &session, &cu, &meta, &form, errors).await?,
                status,
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// POST `/referentiels/{slug}/nouvelle-version`: a draft copy of the version read.
pub async fn new_version(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(slug): Path<String>,
    Form(input): Form<VersionInput>,
) -> Result<Response, PageError> {
    let v = services::new_catalogue_draft(&state, &cu, &slug, &input).await?;
    Ok(Redirect::to(&catalogue_href(&v.slug, v.version)).into_response())
}

/// The new-generation form.
#[derive(Template)]
#[template(path = "catalogues/generation.html")]
pub struct GenerationPage {
    layout: Layout,
    slug: String,
    version: i32,
    catalogue_title: String,
    form: GenerationView,
    errors: FormErrors,
}

/// Values of the new-generation form.
#[derive(Default)]
pub struct GenerationView {
    slug: String,
    title: String,
    generation: String,
    start_year: String,
    end_year: String,
}

/// The new-generation form as posted (years as typed).
#[derive(Debug, Default, Deserialize)]
pub struct GenerationForm {
    version: Option<i32>,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    generation: String,
    #[serde(default)]
    start_year: String,
    #[serde(default)]
    end_year: String,
}

/// GET `/referentiels/{slug}/nouvelle-generation?version=…`.
pub async fn generation_form(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(slug): Path<String>,
    Query(q): Query<EditQuery>,
) -> Result<Response, PageError> {
    let (meta, _, _) = services::catalogue(&state, &cu, &slug, q.version).await?;
    cu.authorize(&cpom_domain::Action::ManageCatalogue(meta.region.clone()))?;
    let span = meta.end_year - meta.start_year + 1;
    let (start, end) = (meta.end_year + 1, meta.end_year + span);
    let stem = slug
        .trim_end_matches(&format!("-{}-{}", meta.start_year, meta.end_year))
        .to_owned();
    render(&GenerationPage {
        layout: Layout::new(
            &state,
            &session,
            &cu,
            "Nouvelle génération",
            "/referentiels",
        )
        .await?,
        slug: meta.slug.clone(),
        version: meta.version,
        catalogue_title: meta.title.clone(),
        form: GenerationView {
            slug: format!("{stem}-{start}-{end}"),
            title: meta
                .title
                .replace(
                    &format!("{}–{}", meta.start_year, meta.end_year),
                    &format!("{start}–{end}"),
                )
                .replace(
                    &format!("{}-{}", meta.start_year, meta.end_year),
                    &format!("{start}-{end}"),
                ),
            generation: format!("{start}-{end}"),
            start_year: start.to_string(),
            end_year: end.to_string(),
        },
        errors: FormErrors::default(),
    })
}

/// POST `/referentiels/{slug}/nouvelle-generation`: the copy opens as a draft.
pub async fn create_generation(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(slug): Path<String>,
    Form(form): Form<GenerationForm>,
) -> Result<Response, PageError> {
    let year = |raw: &str| raw.trim().parse::<i32>().ok();
    let input = GenerationInput {
        version: form.version,
        slug: form.slug.clone(),
        title: form.title.clone(),
        generation: form.generation.clone(),
        start_year: year(&form.start_year),
        end_year: year(&form.end_year),
    };
    match services::new_catalogue_generation(&state, &cu, &slug, &input).await {
        Ok(v) => Ok(Redirect::to(&catalogue_href(&v.slug, v.version)).into_response()),
        Err(AppError::Validation(fields)) => {
            let (meta, _, _) = services::catalogue(&state, &cu, &slug, form.version).await?;
            let page = GenerationPage {
                layout: Layout::new(
                    &state,
                    &session,
                    &cu,
                    "Nouvelle génération",
                    "/referentiels",
                )
                .await?,
                slug: meta.slug.clone(),
                version: meta.version,
                catalogue_title: meta.title.clone(),
                form: GenerationView {
                    slug: form.slug,
                    title: form.title,
                    generation: form.generation,
                    start_year: form.start_year,
                    end_year: form.end_year,
                },
                errors: FormErrors(fields),
            };
            render_status(&page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e.into()),
    }
}
