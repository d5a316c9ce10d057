//! The contract as a document: the template an agency adapts (header, socle, signature
//! block, annex titles) and the neutral layout the PDF, DOCX and XLSX renderers print
//! (headings, paragraphs, tables, signatures). Pure: no I/O, no rendering.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::catalogue::TargetYear;
use crate::contract::{ContractContent, ContractState, SignatoryRole};

/// What an agency adapts in its contracts' documents. Texts may use the fields of
/// [`FIELDS`] between braces (`{etablissement}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractTemplate {
    /// Running header, on every page.
    pub header: String,
    /// The socle: the articles of the contract. A line starting with `# ` is an article
    /// title; blank lines separate paragraphs.
    pub socle: String,
    /// Text printed above the signatures.
    pub signature: String,
    /// Title of annex 1 (engagements).
    pub annex_engagements: String,
    /// Title of annex 2 (authorisations and contractual recognitions); empty: no annex 2.
    pub annex_authorisations: String,
    /// Title of the diagnostic section; empty: no diagnostic section.
    pub diagnostic: String,
    /// Title of the funding annex (numbered after annexes 1 and 2); empty: not printed.
    #[serde(default = "default_funding_title")]
    pub annex_funding: String,
    /// Fewest priority objectives a contract of the region should hold (a check before
    /// signature); `None`: no minimum.
    #[serde(default)]
    pub objectives_min: Option<usize>,
    /// Most priority objectives (BFC: 5); `None`: no maximum.
    #[serde(default)]
    pub objectives_max: Option<usize>,
    /// Month of year N+1 by the end of which the follow-up of year N is due; `None`: June.
    #[serde(default)]
    pub follow_up_month: Option<u32>,
    /// Highest penalty for non-execution the agency may decide, in euros; `None`: no cap.
    #[serde(default)]
    pub penalty_cap: Option<i64>,
}

/// Fields a template may use, with what they become.
pub const FIELDS: &[(&str, &str)] = &[
    (
        "agence",
        "le nom de l'agence : « Agence régionale de santé Occitanie »",
    ),
    ("region", "le nom de la région"),
    ("etablissement", "la raison sociale de l'entité juridique"),
    ("finess", "son numéro FINESS juridique"),
    ("titre", "le titre du contrat"),
    ("periode", "la période : « 2025–2029 »"),
    ("debut", "le premier jour : « 01/01/2025 »"),
    ("fin", "le dernier jour : « 31/12/2029 »"),
    ("duree", "la durée en années, en lettres : « cinq »"),
    ("version", "« contrat initial » ou « avenant n° 2 »"),
];

impl Default for ContractTemplate {
    fn default() -> Self {
        ContractTemplate {
            header: "{agence} — CPOM {etablissement} ({periode})".into(),
            socle: DEFAULT_SOCLE.into(),
            signature: "Fait en deux exemplaires originaux.".into(),
            annex_engagements: "Annexe 1 — Objectifs, engagements, indicateurs et cibles".into(),
            annex_authorisations: "Annexe 2 — Autorisations et reconnaissances contractuelles"
                .into(),
            diagnostic: "Diagnostic partagé".into(),
            annex_funding: default_funding_title(),
            objectives_min: None,
            objectives_max: None,
            follow_up_month: None,
            penalty_cap: None,
        }
    }
}

fn default_funding_title() -> String {
    "Financements (FIR, MIGAC, DAF)".into()
}

const DEFAULT_SOCLE: &str = "\
# Préambule
Le présent contrat pluriannuel d'objectifs et de moyens est conclu en application des articles L. 6114-1 à L. 6114-4 du code de la santé publique. Il décline le projet régional de santé et tient compte du projet d'établissement.

# Article 1 — Parties
Le contrat est conclu entre l'{agence}, représentée par son directeur général, et {etablissement} (FINESS juridique {finess}), représenté(e) par son représentant légal.

# Article 2 — Objet
Le contrat fixe les orientations stratégiques de l'établissement et ses engagements pour la période {periode}. Les engagements, leurs indicateurs et leurs cibles annuelles figurent en annexe 1 ; ils font partie du contrat.

# Article 3 — Durée
Le contrat est conclu pour une durée de {duree} ans, du {debut} au {fin}. Le renouvellement est demandé au plus tard un an avant son échéance.

# Article 4 — Suivi et évaluation
Chaque année, l'établissement déclare la valeur de ses indicateurs avec leurs justificatifs ; l'agence les valide. Une évaluation à mi-parcours et une évaluation finale sont conduites conjointement.

# Article 5 — Révision
Le contrat peut être révisé par avenant, à la demande de l'une ou l'autre des parties.

# Article 6 — Inexécution
En cas d'inexécution partielle ou totale des engagements, l'agence peut, après mise en demeure motivée et procédure contradictoire, prononcer une pénalité dans les conditions de l'article L. 6114-1 du code de la santé publique.";

/// A problem in a template, located.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateError {
    /// Field of the template (`socle`, `header`…).
    pub field: String,
    /// Line, from 1.
    pub line: usize,
    /// Column (in characters), from 1.
    pub column: usize,
    /// What is wrong, in French.
    pub message: String,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            return f.write_str(&self.message);
        }
        write!(
            f,
            "ligne {}, colonne {} : {}",
            self.line, self.column, self.message
        )
    }
}

/// Longest text accepted in one field of a template.
pub const TEMPLATE_MAX_CHARS: usize = 50_000;

impl ContractTemplate {
    /// The fields with their names, for checks and forms.
    pub fn parts(&self) -> [(&'static str, &str); 7] {
        [
            ("header", &self.header),
            ("socle", &self.socle),
            ("signature", &self.signature),
            ("annex_engagements", &self.annex_engagements),
            ("annex_authorisations", &self.annex_authorisations),
            ("annex_funding", &self.annex_funding),
            ("diagnostic", &self.diagnostic),
        ]
    }

    /// The region's bounds on the number of priority objectives, if any.
    pub fn objective_limits(&self) -> Option<crate::contract::ObjectiveLimits> {
        match (self.objectives_min, self.objectives_max) {
            (None, None) => None,
            (min, max) => Some(crate::contract::ObjectiveLimits {
                min: min.unwrap_or(0),
                max: max.unwrap_or(usize::MAX),
            }),
        }
    }

    /// The region's calendar rules.
    pub fn calendar_rules(&self) -> crate::calendar::CalendarRules {
        crate::calendar::CalendarRules {
            follow_up_month: self.follow_up_month.unwrap_or(6),
            penalty_cap: self.penalty_cap,
        }
    }

    /// Every problem of the template: unknown or unclosed fields, a missing header, socle or
    /// annex 1 title, a text too long, objective bounds out of order.
    pub fn check(&self) -> Vec<TemplateError> {
        let mut errors = vec![];
        let bound = |field: &str, message: String| TemplateError {
            field: field.into(),
            line: 0,
            column: 0,
            message,
        };
        for (field, value) in [
            ("objectives_min", self.objectives_min),
            ("objectives_max", self.objectives_max),
        ] {
            if value.is_some_and(|v| v == 0 || v > 100) {
                errors.push(bound(
                    field,
                    "nombre d'objectifs prioritaires entre 1 et 100, ou vide".into(),
                ));
            }
        }
        if self.follow_up_month.is_some_and(|m| !(1..=12).contains(&m)) {
            errors.push(bound(
                "follow_up_month",
                "mois du suivi annuel entre 1 et 12".into(),
            ));
        }
        if self.penalty_cap.is_some_and(|c| c <= 0) {
            errors.push(bound(
                "penalty_cap",
                "le plafond des pénalités doit être positif".into(),
            ));
        }
        if let (Some(min), Some(max)) = (self.objectives_min, self.objectives_max)
            && min > max
        {
            errors.push(bound(
                "objectives_max",
                format!(
                    "le maximum d'objectifs prioritaires ({max}) est inférieur au minimum ({min})"
                ),
            ));
        }
        for (field, text) in self.parts() {
            let required = matches!(field, "header" | "socle" | "annex_engagements");
            if required && text.trim().is_empty() {
                errors.push(TemplateError {
                    field: field.into(),
                    line: 1,
                    column: 1,
                    message: "ce texte est obligatoire".into(),
                });
            }
            if text.chars().count() > TEMPLATE_MAX_CHARS {
                errors.push(TemplateError {
                    field: field.into(),
                    line: 1,
                    column: 1,
                    message: format!("texte trop long (au plus {TEMPLATE_MAX_CHARS} caractères)"),
                });
            }
            if let Err(mut e) = fill(text, &|_| Some(String::new())) {
                e.field = field.into();
                errors.push(e);
            }
        }
        errors
    }
}

/// Replaces each `{field}` of `text` by `value(field)`; `{{` and `}}` print a brace. An
/// unknown field (for which `value` gives `None`) or an unclosed brace is an error located
/// by line and column.
pub fn fill(text: &str, value: &dyn Fn(&str) -> Option<String>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(text.len());
    for (l, line) in text.split('\n').enumerate() {
        if l > 0 {
            out.push('\n');
        }
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        let err = |col: usize, message: String| TemplateError {
            field: String::new(),
            line: l + 1,
            column: col + 1,
            message,
        };
        while i < chars.len() {
            match chars[i] {
                '{' if chars.get(i + 1) == Some(&'{') => {
                    out.push('{');
                    i += 2;
                }
                '}' if chars.get(i + 1) == Some(&'}') => {
                    out.push('}');
                    i += 2;
                }
                '{' => {
                    let Some(end) = chars[i + 1..].iter().position(|c| *c == '}') else {
                        return Err(err(i, "accolade « { » non fermée".into()));
                    };
                    let name: String = chars[i + 1..i + 1 + end].iter().collect();
                    match value(name.trim()) {
                        Some(v) if FIELDS.iter().any(|(f, _)| *f == name.trim()) => {
                            out.push_str(&v)
                        }
                        _ => {
                            let known: Vec<&str> = FIELDS.iter().map(|(f, _)| *f).collect();
                            return Err(err(
                                i,
                                format!(
                                    "champ « {name} » inconnu (champs possibles : {})",
                                    known.join(", ")
                                ),
                            ));
                        }
                    }
                    i += end + 2;
                }
                '}' => {
                    return Err(err(
                        i,
                        "accolade « } » sans accolade ouvrante (écrire « }} » pour l'imprimer)"
                            .into(),
                    ));
                }
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
    }
    Ok(out)
}

/// A date as printed: `jj/mm/aaaa`.
pub fn fr_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// French typography: a no-break space before `:`, `;`, `!`, `?`, `%` and inside
/// guillemets, in place of the ordinary space the text may have.
pub fn typo(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let chars: Vec<char> = s.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let prev = if i > 0 { Some(chars[i - 1]) } else { None };
        let before_high = matches!(next, Some(':' | ';' | '!' | '?' | '%' | '»'));
        // "http://" and times like "10:30" keep their form: only a space is replaced.
        if *c == ' ' && (before_high || prev == Some('«')) {
            out.push('\u{a0}');
        } else {
            out.push(*c);
        }
    }
    out
}

fn number_in_letters(n: i32) -> String {
    const WORDS: [&str; 11] = [
        "zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
    ];
    usize::try_from(n)
        .ok()
        .and_then(|i| WORDS.get(i))
        .map_or_else(|| n.to_string(), |w| (*w).to_string())
}

/// A column of a table: its title and relative width.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    /// Title.
    pub title: String,
    /// Relative width.
    pub width: u16,
}

/// A table: columns and rows of texts (a cell may hold several lines).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// Columns.
    pub columns: Vec<Column>,
    /// Rows, each with one text per column.
    pub rows: Vec<Vec<String>>,
}

/// One signature box.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignatureBox {
    /// Capacity ("Pour l'agence régionale de santé").
    pub party: String,
    /// Name and function, once signed.
    pub signer: Option<String>,
    /// Date of signature, once signed.
    pub date: Option<String>,
}

/// A piece of the document, in reading order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Block {
    /// The document's title.
    Title(String),
    /// A section or article title.
    Heading(String),
    /// A paragraph.
    Paragraph(String),
    /// A table.
    Table(Table),
    /// Signature boxes side by side.
    Signatures(Vec<SignatureBox>),
    /// A new page, in landscape (for wide tables) or portrait.
    NewPage {
        /// Landscape orientation.
        landscape: bool,
    },
}

/// The contract as a document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContractDocument {
    /// Title (document metadata).
    pub title: String,
    /// Printed at the top of every page.
    pub running_header: String,
    /// Version and avenant, printed at the foot of every page.
    pub version_label: String,
    /// The content.
    pub blocks: Vec<Block>,
    /// Annex 1 alone (for the spreadsheet).
    pub annex1: Table,
}

/// A line of annex 2: an authorisation or a contractual recognition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnexLine {
    /// What it is ("Autorisation", "Reconnaissance contractuelle").
    pub kind: String,
    /// Site (FINESS and name) or the whole entity.
    pub holder: String,
    /// Activity or label, with its modality.
    pub subject: String,
    /// Validity ("du 01/01/2020 au 31/12/2026").
    pub validity: String,
}

/// The registry facts a contract prints, as they stood on a day (frozen at signature).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrySnapshot {
    /// Day of the reading.
    pub on: NaiveDate,
    /// Authorisations and contractual recognitions in force that day.
    pub annex2: Vec<AnnexLine>,
    /// Names of the entity's sites by FINESS.
    pub site_names: Vec<(String, String)>,
}

/// What a contract's document is made of.
pub struct DocumentInput<'a> {
    /// The agency's template.
    pub template: &'a ContractTemplate,
    /// Name of the region.
    pub region_name: &'a str,
    /// Title of the contract.
    pub title: &'a str,
    /// Name of the legal entity.
    pub ej_name: &'a str,
    /// Its FINESS.
    pub ej_finess: &'a str,
    /// Period.
    pub start_year: i32,
    /// Period.
    pub end_year: i32,
    /// State.
    pub state: ContractState,
    /// Avenant number (0: the initial contract).
    pub avenant: i32,
    /// Size band or named case used for the targets.
    pub band: Option<String>,
    /// Engagements, diagnostic and signatories.
    pub content: &'a ContractContent,
    /// Registry facts: frozen at signature, else read today.
    pub registry: &'a RegistrySnapshot,
}

/// Version label printed on every page: "Contrat initial" or "Avenant n° 2", and "projet"
/// until signed.
pub fn version_label(state: ContractState, avenant: i32) -> String {
    let v = if avenant == 0 {
        "Contrat initial".to_string()
    } else {
        format!("Avenant n°\u{a0}{avenant}")
    };
    if state.signed() {
        format!("{v} — {}", state.label())
    } else {
        format!("{v} — projet ({})", state.label().to_lowercase())
    }
}

/// Annex 1: one row per engagement with its indicator, perimeter and targets per year.
pub fn annex1(input: &DocumentInput<'_>) -> Table {
    let years: Vec<i32> = (input.start_year..=input.end_year).collect();
    let engagements = &input.content.engagements;
    let has_total = engagements
        .iter()
        .any(|e| e.targets.iter().any(|t| t.year == TargetYear::Total));
    let column = |title: &str, width: u16| Column {
        title: title.into(),
        width,
    };
    let mut columns = vec![
        column("N°", 4),
        column("Objectif et engagement", 26),
        column("Indicateur", 16),
        column("Périmètre", 10),
    ];
    for y in &years {
        columns.push(column(&y.to_string(), 10));
    }
    if has_total {
        columns.push(column("Sur la période", 10));
    }
    let rows = engagements
        .iter()
        .map(|e| {
            let mut row = vec![
                e.key.clone(),
                typo(&format!(
                    "{} {}\n{}{}{}",
                    e.objective,
                    e.objective_title,
                    e.title,
                    if e.mandatory { " (obligatoire)" } else { "" },
                    if e.new_authorisation {
                        "\nEngage une nouvelle autorisation."
                    } else {
                        ""
                    }
                )),
                e.indicator.as_ref().map_or_else(
                    || "Aucun indicateur choisi".into(),
                    |i| {
                        typo(&match &i.unit {
                            Some(u) => format!("{} {} ({u})", i.code, i.title),
                            None => format!("{} {}", i.code, i.title),
                        })
                    },
                ),
                if e.sites.is_empty() {
                    "Toute l'entité juridique".into()
                } else {
                    e.sites
                        .iter()
                        .map(|s| {
                            let id = s.to_string();
                            match input.registry.site_names.iter().find(|(f, _)| *f == id) {
                                Some((_, name)) => format!("{id} {name}"),
                                None => id,
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                },
            ];
            let cell = |year: TargetYear| {
                e.targets
                    .iter()
                    .find(|t| t.year == year)
                    .map_or_else(|| "—".into(), |t| typo(&t.text))
            };
            for y in &years {
                row.push(cell(TargetYear::Year(*y)));
            }
            if has_total {
                row.push(cell(TargetYear::Total));
            }
            row
        })
        .collect();
    Table { columns, rows }
}

/// Builds the document of a contract from its template. Fails only on a template that
/// does not check (the store refuses to save one).
pub fn build(input: &DocumentInput<'_>) -> Result<ContractDocument, TemplateError> {
    let t = input.template;
    let version = version_label(input.state, input.avenant);
    let value = |name: &str| -> Option<String> {
        Some(match name {
            "agence" => format!("Agence régionale de santé {}", input.region_name),
            "region" => input.region_name.to_string(),
            "etablissement" => input.ej_name.to_string(),
            "finess" => input.ej_finess.to_string(),
            "titre" => input.title.to_string(),
            "periode" => format!("{}–{}", input.start_year, input.end_year),
            "debut" => format!("01/01/{}", input.start_year),
            "fin" => format!("31/12/{}", input.end_year),
            "duree" => number_in_letters(input.end_year - input.start_year + 1),
            "version" => {
                if input.avenant == 0 {
                    "contrat initial".into()
                } else {
                    format!("avenant n°\u{a0}{}", input.avenant)
                }
            }
            _ => return None,
        })
    };
    let located = |field: &str| {
        let field = field.to_string();
        move |mut e: TemplateError| {
            e.field = field.clone();
            e
        }
    };
    let header = fill(&t.header, &value).map_err(located("header"))?;
    let socle = fill(&t.socle, &value).map_err(located("socle"))?;
    let signature = fill(&t.signature, &value).map_err(located("signature"))?;
    let annex1_title = fill(&t.annex_engagements, &value).map_err(located("annex_engagements"))?;
    let annex2_title =
        fill(&t.annex_authorisations, &value).map_err(located("annex_authorisations"))?;
    let diagnostic_title = fill(&t.diagnostic, &value).map_err(located("diagnostic"))?;
    let funding_title = fill(&t.annex_funding, &value).map_err(located("annex_funding"))?;

    let mut blocks = vec![
        Block::Title(typo("Contrat pluriannuel d'objectifs et de moyens")),
        Block::Paragraph(typo(&format!(
            "{}\n{} — FINESS juridique {}\nPériode {}–{} · {}{}",
            input.title,
            input.ej_name,
            input.ej_finess,
            input.start_year,
            input.end_year,
            version,
            input
                .band
                .as_ref()
                .map(|b| format!(" · tranche de taille des cibles : {b}"))
                .unwrap_or_default()
        ))),
    ];
    paragraphs(&socle, &mut blocks);

    let diagnostic: Vec<(&str, &Option<String>)> = vec![
        ("Points forts", &input.content.strengths),
        ("Points à améliorer", &input.content.weaknesses),
    ];
    let content = input.content;
    let has_diagnostic = diagnostic
        .iter()
        .any(|(_, t)| t.as_deref().is_some_and(|t| !t.trim().is_empty()))
        || !content.answers.is_empty();
    if !diagnostic_title.trim().is_empty() && has_diagnostic {
        blocks.push(Block::Heading(typo(diagnostic_title.trim())));
        for (label, text) in diagnostic {
            if let Some(text) = text.as_deref().filter(|t| !t.trim().is_empty()) {
                blocks.push(Block::Paragraph(typo(&format!(
                    "{label} : {}",
                    text.trim()
                ))));
            }
        }
        for a in &content.answers {
            blocks.push(Block::Paragraph(typo(&format!(
                "{} — {}\n{}",
                a.question, a.text, a.answer
            ))));
        }
    }

    blocks.push(Block::Heading("Signatures".into()));
    if !signature.trim().is_empty() {
        paragraphs(&signature, &mut blocks);
    }
    blocks.push(Block::Signatures(signature_boxes(input)));

    let annex1 = annex1(input);
    // Annex 1 has a column per year: it is printed across the page.
    blocks.push(Block::NewPage { landscape: true });
    blocks.push(Block::Heading(typo(annex1_title.trim())));
    if annex1.rows.is_empty() {
        blocks.push(Block::Paragraph("Aucun engagement.".into()));
    } else {
        blocks.push(Block::Table(annex1.clone()));
    }
    if !annex2_title.trim().is_empty() {
        blocks.push(Block::NewPage { landscape: false });
        blocks.push(Block::Heading(typo(annex2_title.trim())));
        let on = fr_date(input.registry.on);
        blocks.push(Block::Paragraph(typo(
            &if input.content.registry.is_some() {
                format!("Relevé du répertoire au {on}, figé à la signature.")
            } else {
                format!("Relevé du répertoire au {on} ; il sera figé à la signature.")
            },
        )));
        if input.registry.annex2.is_empty() {
            blocks.push(Block::Paragraph(
                "Aucune autorisation ni reconnaissance contractuelle enregistrée.".into(),
            ));
        } else {
            blocks.push(Block::Table(Table {
                columns: vec![
                    Column {
                        title: "Nature".into(),
                        width: 16,
                    },
                    Column {
                        title: "Titulaire".into(),
                        width: 28,
                    },
                    Column {
                        title: "Objet".into(),
                        width: 34,
                    },
                    Column {
                        title: "Validité".into(),
                        width: 22,
                    },
                ],
                rows: input
                    .registry
                    .annex2
                    .iter()
                    .map(|l| {
                        vec![
                            typo(&l.kind),
                            typo(&l.holder),
                            typo(&l.subject),
                            typo(&l.validity),
                        ]
                    })
                    .collect(),
            }));
        }
    }
    // Further annexes, numbered after annexes 1 and 2.
    let mut number = if annex2_title.trim().is_empty() { 2 } else { 3 };
    if !funding_title.trim().is_empty() && !content.funding.is_empty() {
        blocks.push(Block::NewPage { landscape: true });
        blocks.push(Block::Heading(typo(&format!(
            "Annexe {number} — {}",
            funding_title.trim()
        ))));
        blocks.push(Block::Table(funding_table(input)));
        number += 1;
    }
    for (i, t) in content.texts.iter().enumerate() {
        blocks.push(Block::NewPage { landscape: false });
        blocks.push(Block::Heading(typo(&format!(
            "Annexe {} — {}",
            number + i,
            t.title
        ))));
        paragraphs(&t.text, &mut blocks);
    }
    Ok(ContractDocument {
        title: format!("{} — {}", input.title, version),
        running_header: typo(header.trim()),
        version_label: version,
        blocks,
        annex1,
    })
}

/// The funding annex: one row per line, one column per year, and the total.
fn funding_table(input: &DocumentInput<'_>) -> Table {
    let euros = |v: i64| {
        format!(
            "{}\u{a0}€",
            crate::catalogue::number::format_number(v as f64)
        )
    };
    let years: Vec<i32> = (input.start_year..=input.end_year).collect();
    let mut columns = vec![
        Column {
            title: "Type".into(),
            width: 8,
        },
        Column {
            title: "Objet".into(),
            width: 30,
        },
    ];
    for y in &years {
        columns.push(Column {
            title: y.to_string(),
            width: 11,
        });
    }
    columns.push(Column {
        title: "Total".into(),
        width: 12,
    });
    let mut totals = vec![0i64; years.len() + 1];
    let mut rows: Vec<Vec<String>> = input
        .content
        .funding
        .iter()
        .map(|f| {
            let mut row = vec![f.kind.label().to_string(), typo(&f.label)];
            let mut sum = 0;
            for (i, y) in years.iter().enumerate() {
                let v = f
                    .amounts
                    .iter()
                    .find(|(year, _)| year == y)
                    .map(|(_, v)| *v);
                sum += v.unwrap_or(0);
                totals[i] += v.unwrap_or(0);
                row.push(v.map_or_else(|| "—".into(), euros));
            }
            totals[years.len()] += sum;
            row.push(euros(sum));
            row
        })
        .collect();
    let mut total_row = vec![String::new(), "Total".into()];
    total_row.extend(totals.into_iter().map(euros));
    rows.push(total_row);
    Table { columns, rows }
}

fn paragraphs(text: &str, blocks: &mut Vec<Block>) {
    let mut current: Vec<&str> = vec![];
    let flush = |current: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if !current.is_empty() {
            blocks.push(Block::Paragraph(typo(&current.join(" "))));
            current.clear();
        }
    };
    for line in text.lines() {
        let line = line.trim();
        if let Some(title) = line.strip_prefix("# ") {
            flush(&mut current, blocks);
            blocks.push(Block::Heading(typo(title.trim())));
        } else if line.is_empty() {
            flush(&mut current, blocks);
        } else {
            current.push(line);
        }
    }
    flush(&mut current, blocks);
}

fn signature_boxes(input: &DocumentInput<'_>) -> Vec<SignatureBox> {
    let signed = &input.content.signatories;
    let signer = |s: &crate::contract::Signatory| SignatureBox {
        party: String::new(),
        signer: Some(typo(&format!("{}, {}", s.name, s.function))),
        date: Some(format!("Le {}", fr_date(s.date))),
    };
    let boxed = |party: String, role: &dyn Fn(SignatoryRole) -> bool| {
        let found = signed.iter().find(|s| role(s.role));
        SignatureBox {
            party: typo(&party),
            ..found.map_or(
                SignatureBox {
                    party: String::new(),
                    signer: None,
                    date: None,
                },
                signer,
            )
        }
    };
    let mut boxes = vec![
        boxed(
            format!("Pour l'Agence régionale de santé {}", input.region_name),
            &|r| matches!(r, SignatoryRole::DgArs | SignatoryRole::Delegate),
        ),
        boxed(format!("Pour {}", input.ej_name), &|r| {
            r == SignatoryRole::LegalRepresentative
        }),
    ];
    for s in signed.iter().filter(|s| s.role == SignatoryRole::Other) {
        boxes.push(SignatureBox {
            party: "Autre signataire".into(),
            ..signer(s)
        });
    }
    boxes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{IndicatorKind, TargetRule};
    use crate::contract::{ChosenIndicator, ContractTarget, Engagement, Signatory};

    fn engagement(key: &str, targets: &[(TargetYear, &str)]) -> Engagement {
        Engagement {
            key: key.into(),
            objective: "OS_1".into(),
            objective_title: "Renforcer la coopération".into(),
            action: Some("A1".into()),
            title: "Développer la télé-expertise".into(),
            title_locked: false,
            mandatory: true,
            indicator: Some(ChosenIndicator {
                code: "I1".into(),
                title: "Part des avis rendus".into(),
                kind: IndicatorKind::Rate,
                unit: Some("%".into()),
            }),
            sites: vec![],
            targets: targets
                .iter()
                .map(|(year, text)| ContractTarget {
                    year: *year,
                    text: (*text).into(),
                    rule: TargetRule::parse(">= 80").expect("rule"),
                    source: "lt100".into(),
                })
                .collect(),
            new_authorisation: false,
        }
    }

    const EMPTY: &RegistrySnapshot = &RegistrySnapshot {
        on: NaiveDate::MIN,
        annex2: vec![],
        site_names: vec![],
    };

    fn input<'a>(
        template: &'a ContractTemplate,
        content: &'a ContractContent,
        state: ContractState,
    ) -> DocumentInput<'a> {
        DocumentInput {
            template,
            region_name: "Occitanie",
            title: "CPOM 2025–2029 — CH de Test",
            ej_name: "CH de Test",
            ej_finess: "340780477",
            start_year: 2025,
            end_year: 2029,
            state,
            avenant: 0,
            band: Some("moins de 100 lits".into()),
            content,
            registry: EMPTY,
        }
    }

    #[test]
    fn fields_are_filled_and_unknown_or_unclosed_ones_are_located() {
        let value = |n: &str| (n == "finess").then(|| "340780477".to_string());
        assert_eq!(
            fill("FINESS {finess}.", &value).expect("fill"),
            "FINESS 340780477."
        );
        assert_eq!(fill("{{x}}", &value).expect("fill"), "{x}");
        let e = fill("a\nbb {nom}", &value).expect_err("unknown");
        assert_eq!((e.line, e.column), (2, 4));
        assert!(e.message.contains("« nom » inconnu"), "{}", e.message);
        let e = fill("x {finess", &value).expect_err("unclosed");
        assert_eq!((e.line, e.column), (1, 3));
        let e = fill("x } y", &value).expect_err("lone brace");
        assert_eq!(e.column, 3);
    }

    #[test]
    fn the_default_template_checks_and_a_broken_one_names_its_field() {
        assert_eq!(ContractTemplate::default().check(), vec![]);
        let bounds = ContractTemplate {
            objectives_min: Some(5),
            objectives_max: Some(3),
            ..ContractTemplate::default()
        };
        let errors = bounds.check();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "objectives_max");
        assert_eq!(
            errors[0].to_string(),
            "le maximum d'objectifs prioritaires (3) est inférieur au minimum (5)"
        );
        let only_max = ContractTemplate {
            objectives_max: Some(5),
            ..ContractTemplate::default()
        };
        assert_eq!(
            only_max.objective_limits(),
            Some(crate::contract::ObjectiveLimits { min: 0, max: 5 })
        );
        let t = ContractTemplate {
            socle: "# Article 1\nLe {etablisement} s'engage.".into(),
            header: " ".into(),
            ..ContractTemplate::default()
        };
        let errors = t.check();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].field, "header");
        assert_eq!((errors[1].field.as_str(), errors[1].line), ("socle", 2));
    }

    #[test]
    fn typography_puts_no_break_spaces_before_high_signs() {
        assert_eq!(typo("cible : 80 %"), "cible\u{a0}: 80\u{a0}%");
        assert_eq!(typo("« oui »"), "«\u{a0}oui\u{a0}»");
        assert_eq!(typo("10:30"), "10:30");
    }

    #[test]
    fn funding_and_text_annexes_follow_annex_2_with_their_totals() {
        use crate::contract::{FundingKind, FundingLine, TextAnnex};
        let template = ContractTemplate::default();
        let content = ContractContent {
            funding: vec![
                FundingLine {
                    kind: FundingKind::Fir,
                    label: "Télémédecine".into(),
                    amounts: vec![(2025, 100_000), (2026, 20_000)],
                },
                FundingLine {
                    kind: FundingKind::Migac,
                    label: "Recherche".into(),
                    amounts: vec![(2026, 5_000)],
                },
            ],
            texts: vec![TextAnnex {
                title: "CAQES".into(),
                text: "Le contrat d'amélioration.".into(),
            }],
            ..ContractContent::default()
        };
        let doc = build(&input(&template, &content, ContractState::Negotiation)).expect("doc");
        let headings: Vec<&str> = doc
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading(h) => Some(h.as_str()),
                _ => None,
            })
            .collect();
        assert!(
            headings.contains(&"Annexe 3 — Financements (FIR, MIGAC, DAF)"),
            "{headings:?}"
        );
        assert!(headings.contains(&"Annexe 4 — CAQES"), "{headings:?}");
        let table = doc
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Table(t) if t.columns[0].title == "Type" => Some(t),
                _ => None,
            })
            .next()
            .expect("funding table");
        let total = table.rows.last().expect("total");
        assert_eq!(total[1], "Total");
        assert_eq!(total[3], "25\u{202f}000\u{a0}€", "2026: 20 000 + 5 000");
        assert_eq!(
            total.last().map(String::as_str),
            Some("125\u{202f}000\u{a0}€")
        );
    }

    #[test]
    fn annex_1_has_a_column_per_year_and_the_period_only_when_used() {
        let template = ContractTemplate::default();
        let content = ContractContent {
            engagements: vec![engagement(
                "E1",
                &[
                    (TargetYear::Year(2025), "≥ 60 %"),
                    (TargetYear::Year(2027), "≥ 80 %"),
                ],
            )],
            ..ContractContent::default()
        };
        let doc = input(&template, &content, ContractState::Negotiation);
        let table = annex1(&doc);
        let titles: Vec<&str> = table.columns.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(titles[4..], ["2025", "2026", "2027", "2028", "2029"]);
        assert_eq!(table.rows[0][4], "≥ 60\u{a0}%");
        assert_eq!(table.rows[0][5], "—");
        assert_eq!(table.rows[0][3], "Toute l'entité juridique");
        assert!(table.rows[0][1].contains("(obligatoire)"));

        let content = ContractContent {
            engagements: vec![engagement("E1", &[(TargetYear::Total, "10 actions")])],
            ..ContractContent::default()
        };
        let table = annex1(&input(&template, &content, ContractState::Negotiation));
        assert_eq!(
            table.columns.last().map(|c| c.title.as_str()),
            Some("Sur la période")
        );
        assert_eq!(table.rows[0].last().map(String::as_str), Some("10 actions"));
    }

    #[test]
    fn the_document_fills_the_socle_and_says_draft_until_signed() {
        let template = ContractTemplate::default();
        let mut content = ContractContent {
            engagements: vec![engagement("E1", &[(TargetYear::Year(2025), "≥ 60 %")])],
            strengths: Some("Une équipe stable".into()),
            ..ContractContent::default()
        };
        let doc = build(&input(&template, &content, ContractState::Negotiation)).expect("doc");
        assert_eq!(
            doc.version_label,
            "Contrat initial — projet (en négociation)"
        );
        assert!(doc.running_header.contains("CH de Test"));
        let text: String = doc
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Paragraph(t) | Block::Heading(t) => Some(format!("{t}\n")),
                _ => None,
            })
            .collect();
        assert!(text.contains("du 01/01/2025 au 31/12/2029"), "{text}");
        assert!(text.contains("durée de cinq ans"));
        assert!(text.contains("Points forts\u{a0}: Une équipe stable"));
        assert!(text.contains("Aucune autorisation"));

        content.signatories = vec![Signatory {
            role: SignatoryRole::DgArs,
            name: "Marie Durand".into(),
            function: "Directrice générale".into(),
            date: NaiveDate::from_ymd_opt(2025, 3, 2).expect("date"),
        }];
        let mut doc_input = input(&template, &content, ContractState::Signed);
        doc_input.avenant = 2;
        let doc = build(&doc_input).expect("doc");
        assert_eq!(doc.version_label, "Avenant n°\u{a0}2 — signé (en vigueur)");
        let boxes = doc.blocks.iter().find_map(|b| match b {
            Block::Signatures(s) => Some(s.clone()),
            _ => None,
        });
        let boxes = boxes.expect("signatures");
        assert_eq!(boxes[0].date.as_deref(), Some("Le 02/03/2025"));
        assert_eq!(boxes[1].signer, None);
    }
}
