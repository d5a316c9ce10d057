//! Applicability rules of model actions: a small language on the legal status, the
//! authorisations held, the labels, the size band, GHT membership or named legal entities
//! (see `docs/catalogue-format.md`). Evaluated on a legal entity, a rule says whether the
//! action applies and why, in French.

use std::fmt;

use serde::Serialize;

use super::target::RuleError;
use crate::FinessId;
use crate::registry::{LegalStatus, SizeBand};
use crate::search::search_key;
use crate::territory::Label;

/// An applicability rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "of", rename_all = "snake_case")]
pub enum Applicability {
    /// Every legal entity (`tous`).
    All,
    /// One of these legal statuses.
    Status(Vec<LegalStatus>),
    /// An authorisation in force whose activity code is one of these texts or whose activity
    /// label contains one of them (folded: accents and case ignored).
    Authorisation(Vec<String>),
    /// One of these labels.
    Label(Vec<Label>),
    /// One of these size bands (the band in force).
    Band(Vec<SizeBand>),
    /// Member of a GHT.
    Ght,
    /// One of these legal entities.
    Entity(Vec<FinessId>),
    /// Negation.
    Not(Box<Applicability>),
    /// All of them.
    And(Vec<Applicability>),
    /// Any of them.
    Or(Vec<Applicability>),
}

/// What the rules look at on a legal entity.
#[derive(Debug, Clone, Default)]
pub struct EntityFacts {
    /// FINESS EJ number.
    pub finess: Option<FinessId>,
    /// Legal status.
    pub status: Option<LegalStatus>,
    /// Size band in force.
    pub band: Option<SizeBand>,
    /// Labels held.
    pub labels: Vec<Label>,
    /// Authorisations in force on its sites: (activity code, activity label).
    pub authorisations: Vec<(String, String)>,
    /// Whether it belongs to a GHT.
    pub in_ght: bool,
}

/// Whether an action applies, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The action applies.
    pub applies: bool,
    /// Why, in French: "statut public ; autorisation « urgence » détenue".
    pub reason: String,
}

fn status_word(s: LegalStatus) -> &'static str {
    match s {
        LegalStatus::Public => "public",
        LegalStatus::PrivateNonProfit => "prive_non_lucratif",
        LegalStatus::Espic => "espic",
        LegalStatus::PrivateForProfit => "prive_lucratif",
    }
}

fn parse_status(word: &str) -> Option<LegalStatus> {
    match search_key(word).replace(' ', "_").as_str() {
        "public" => Some(LegalStatus::Public),
        "prive_non_lucratif" | "private_non_profit" => Some(LegalStatus::PrivateNonProfit),
        "espic" => Some(LegalStatus::Espic),
        "prive_lucratif" | "private_for_profit" => Some(LegalStatus::PrivateForProfit),
        _ => None,
    }
}

const HELP: &str = "termes possibles : tous, statut …, autorisation \"…\", label …, taille …, \
ght, ej …, combinés par et, ou, non et des parenthèses";

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Open,
    Close,
    Comma,
}

/// Splits a rule into tokens with their 1-based columns.
fn tokenize(text: &str) -> Result<Vec<(Tok, usize)>, RuleError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push((Tok::Open, col));
                i += 1;
            }
            ')' => {
                out.push((Tok::Close, col));
                i += 1;
            }
            ',' => {
                out.push((Tok::Comma, col));
                i += 1;
            }
            '"' | '«' => {
                let close = if c == '"' { '"' } else { '»' };
                let start = i + 1;
                let mut j = start;
                while j < chars.len() && chars[j] != close {
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(RuleError {
                        column: col,
                        message: "guillemet fermant manquant".into(),
                    });
                }
                let inner: String = chars[start..j].iter().collect();
                if inner.trim().is_empty() {
                    return Err(RuleError {
                        column: col,
                        message: "texte vide entre guillemets".into(),
                    });
                }
                out.push((Tok::Quoted(inner.trim().to_owned()), col));
                i = j + 1;
            }
            c if c.is_alphanumeric() || c == '_' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '-'))
                {
                    i += 1;
                }
                out.push((Tok::Word(chars[start..i].iter().collect()), col));
            }
            _ => {
                return Err(RuleError {
                    column: col,
                    message: format!("caractère inattendu « {c} » ; {HELP}"),
                });
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    end_col: usize,
}

impl Parser {
    fn col(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end_col, |t| t.1)
    }

    fn err(&self, message: impl Into<String>) -> RuleError {
        RuleError {
            column: self.col(),
            message: message.into(),
        }
    }

    fn keyword(&mut self, k: &str) -> bool {
        if let Some((Tok::Word(w), _)) = self.toks.get(self.pos)
            && w.to_lowercase() == k
        {
            self.pos += 1;
            return true;
        }
        false
    }

    fn or(&mut self) -> Result<Applicability, RuleError> {
        let mut items = vec![self.and()?];
        while self.keyword("ou") {
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Applicability::Or(items)
        })
    }

    fn and(&mut self) -> Result<Applicability, RuleError> {
        let mut items = vec![self.not()?];
        while self.keyword("et") {
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Applicability::And(items)
        })
    }

    fn not(&mut self) -> Result<Applicability, RuleError> {
        if self.keyword("non") {
            return Ok(Applicability::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    /// One or more values separated by commas (words or quoted texts).
    fn values(&mut self, what: &str) -> Result<Vec<(String, usize)>, RuleError> {
        let mut out = Vec::new();
        loop {
            match self.toks.get(self.pos).cloned() {
                Some((Tok::Word(w), col))
                    if !matches!(w.to_lowercase().as_str(), "et" | "ou" | "non") =>
                {
                    out.push((w, col));
                    self.pos += 1;
                }
                Some((Tok::Quoted(q), col)) => {
                    out.push((q, col));
                    self.pos += 1;
                }
                _ => return Err(self.err(format!("{what} attendu"))),
            }
            if matches!(self.toks.get(self.pos), Some((Tok::Comma, _))) {
                self.pos += 1;
            } else {
                return Ok(out);
            }
        }
    }

    fn primary(&mut self) -> Result<Applicability, RuleError> {
        let Some((tok, col)) = self.toks.get(self.pos).cloned() else {
            return Err(self.err(format!("règle incomplète ; {HELP}")));
        };
        match tok {
            Tok::Open => {
                self.pos += 1;
                let inner = self.or()?;
                if !matches!(self.toks.get(self.pos), Some((Tok::Close, _))) {
                    return Err(self.err("parenthèse fermante attendue"));
                }
                self.pos += 1;
                Ok(inner)
            }
            Tok::Word(w) => {
                self.pos += 1;
                match w.to_lowercase().as_str() {
                    "tous" => Ok(Applicability::All),
                    "ght" => Ok(Applicability::Ght),
                    "statut" => {
                        let vals = self
                            .values("statut (public, espic, prive_non_lucratif, prive_lucratif)")?;
                        vals.into_iter()
                            .map(|(v, c)| {
                                parse_status(&v).ok_or(RuleError {
                                    column: c,
                                    message: format!(
                                        "statut inconnu « {v} » (public, espic, prive_non_lucratif, prive_lucratif)"
                                    ),
                                })
                            })
                            .collect::<Result<_, _>>()
                            .map(Applicability::Status)
                    }
                    "autorisation" => Ok(Applicability::Authorisation(
                        self.values("activité autorisée (ex. \"urgence\")")?
                            .into_iter()
                            .map(|(v, _)| v)
                            .collect(),
                    )),
                    "label" => {
                        let vals = self.values("label (ex. chu)")?;
                        vals.into_iter()
                            .map(|(v, c)| {
                                let key = search_key(&v).replace(' ', "_");
                                Label::ALL.into_iter().find(|l| l.as_str() == key).ok_or(
                                    RuleError {
                                        column: c,
                                        message: format!(
                                            "label inconnu « {v} » ({})",
                                            Label::ALL.map(Label::as_str).join(", ")
                                        ),
                                    },
                                )
                            })
                            .collect::<Result<_, _>>()
                            .map(Applicability::Label)
                    }
                    "taille" => {
                        let vals = self.values("tranche de taille (lt100, 100to499, ge500)")?;
                        vals.into_iter()
                            .map(|(v, c)| {
                                SizeBand::parse(&v.to_lowercase()).ok_or(RuleError {
                                    column: c,
                                    message: format!(
                                        "tranche inconnue « {v} » (lt100, 100to499, ge500)"
                                    ),
                                })
                            })
                            .collect::<Result<_, _>>()
                            .map(Applicability::Band)
                    }
                    "ej" => {
                        let vals = self.values("numéro FINESS d'entité juridique")?;
                        vals.into_iter()
                            .map(|(v, c)| {
                                FinessId::parse(&v).map_err(|_| RuleError {
                                    column: c,
                                    message: format!("numéro FINESS invalide « {v} »"),
                                })
                            })
                            .collect::<Result<_, _>>()
                            .map(Applicability::Entity)
                    }
                    _ => Err(RuleError {
                        column: col,
                        message: format!("terme inconnu « {w} » ; {HELP}"),
                    }),
                }
            }
            _ => Err(self.err(format!("terme attendu ; {HELP}"))),
        }
    }
}

impl Applicability {
    /// Reads a rule; errors carry the 1-based column of the problem.
    pub fn parse(text: &str) -> Result<Self, RuleError> {
        let toks = tokenize(text)?;
        if toks.is_empty() {
            return Err(RuleError {
                column: 1,
                message: format!("règle vide ; {HELP}"),
            });
        }
        let mut p = Parser {
            toks,
            pos: 0,
            end_col: text.chars().count() + 1,
        };
        let rule = p.or()?;
        if p.pos < p.toks.len() {
            return Err(p.err("texte inattendu : « et » ou « ou » attendu entre deux termes"));
        }
        Ok(rule)
    }

    /// Decides whether the rule holds for a legal entity, with the reason.
    pub fn decide(&self, facts: &EntityFacts) -> Decision {
        let (applies, reason) = self.explain(facts);
        Decision { applies, reason }
    }

    fn explain(&self, f: &EntityFacts) -> (bool, String) {
        match self {
            Applicability::All => (true, "toutes les entités".into()),
            Applicability::Status(list) => match f.status {
                Some(s) if list.contains(&s) => {
                    (true, format!("statut {}", s.label().to_lowercase()))
                }
                Some(s) => (
                    false,
                    format!(
                        "statut {} (attendu : {})",
                        s.label().to_lowercase(),
                        list.iter()
                            .map(|s| s.label().to_lowercase())
                            .collect::<Vec<_>>()
                            .join(" ou ")
                    ),
                ),
                None => (false, "statut juridique inconnu".into()),
            },
            Applicability::Authorisation(list) => {
                let held = list.iter().find_map(|wanted| {
                    let key = search_key(wanted);
                    f.authorisations
                        .iter()
                        .find(|(code, label)| {
                            code.eq_ignore_ascii_case(wanted.trim())
                                || format!(" {} ", search_key(label)).contains(&format!(" {key}"))
                        })
                        .map(|(_, label)| (wanted, label))
                });
                match held {
                    Some((wanted, label)) => {
                        (true, format!("autorisation « {wanted} » détenue ({label})"))
                    }
                    None => (
                        false,
                        format!(
                            "aucune autorisation « {} » en vigueur",
                            list.join(" » ou « ")
                        ),
                    ),
                }
            }
            Applicability::Label(list) => match list.iter().find(|l| f.labels.contains(l)) {
                Some(l) => (true, format!("label {}", l.label())),
                None => (
                    false,
                    format!(
                        "pas de label {}",
                        list.iter()
                            .map(|l| l.label())
                            .collect::<Vec<_>>()
                            .join(" ni ")
                    ),
                ),
            },
            Applicability::Band(list) => match f.band {
                Some(b) if list.contains(&b) => (true, format!("tranche {}", b.as_str())),
                Some(b) => (
                    false,
                    format!(
                        "tranche {} (attendu : {})",
                        b.as_str(),
                        list.iter()
                            .map(|b| b.as_str())
                            .collect::<Vec<_>>()
                            .join(" ou ")
                    ),
                ),
                None => (
                    false,
                    "tranche de taille inconnue (pas de lits connus)".into(),
                ),
            },
            Applicability::Ght => {
                if f.in_ght {
                    (true, "membre d'un GHT".into())
                } else {
                    (false, "membre d'aucun GHT".into())
                }
            }
            Applicability::Entity(list) => match &f.finess {
                Some(e) if list.contains(e) => (true, format!("entité {e} nommée par la règle")),
                _ => (false, "entité non nommée par la règle".into()),
            },
            Applicability::Not(inner) => {
                let (holds, why) = inner.explain(f);
                (
                    !holds,
                    if holds {
                        format!("exclue : {why}")
                    } else {
                        why
                    },
                )
            }
            Applicability::And(items) => {
                let mut reasons = Vec::new();
                for item in items {
                    let (holds, why) = item.explain(f);
                    if !holds {
                        return (false, why);
                    }
                    reasons.push(why);
                }
                (true, reasons.join(" ; "))
            }
            Applicability::Or(items) => {
                let mut reasons = Vec::new();
                for item in items {
                    let (holds, why) = item.explain(f);
                    if holds {
                        return (true, why);
                    }
                    reasons.push(why);
                }
                (false, reasons.join(" ; "))
            }
        }
    }
}

impl fmt::Display for Applicability {
    /// The canonical rule text, read back by [`Applicability::parse`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn group(a: &Applicability) -> String {
            match a {
                Applicability::And(_) | Applicability::Or(_) => format!("({a})"),
                _ => a.to_string(),
            }
        }
        match self {
            Applicability::All => f.write_str("tous"),
            Applicability::Status(l) => {
                write!(
                    f,
                    "statut {}",
                    l.iter()
                        .map(|s| status_word(*s))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            Applicability::Authorisation(l) => write!(
                f,
                "autorisation {}",
                l.iter()
                    .map(|a| format!("\"{a}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Applicability::Label(l) => {
                write!(
                    f,
                    "label {}",
                    l.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
                )
            }
            Applicability::Band(l) => {
                write!(
                    f,
                    "taille {}",
                    l.iter().map(|b| b.as_str()).collect::<Vec<_>>().join(", ")
                )
            }
            Applicability::Ght => f.write_str("ght"),
            Applicability::Entity(l) => {
                write!(
                    f,
                    "ej {}",
                    l.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ")
                )
            }
            Applicability::Not(inner) => write!(f, "non {}", group(inner)),
            Applicability::And(items) => {
                f.write_str(&items.iter().map(group).collect::<Vec<_>>().join(" et "))
            }
            Applicability::Or(items) => {
                f.write_str(&items.iter().map(group).collect::<Vec<_>>().join(" ou "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn public_chu() -> EntityFacts {
        EntityFacts {
            finess: FinessId::parse("300780038").ok(),
            status: Some(LegalStatus::Public),
            band: Some(SizeBand::Ge500),
            labels: vec![Label::Chu],
            authorisations: vec![
                ("01".into(), "Médecine".into()),
                ("14".into(), "Médecine d'urgence".into()),
            ],
            in_ght: true,
        }
    }

    fn private_clinic() -> EntityFacts {
        EntityFacts {
            finess: FinessId::parse("340000207").ok(),
            status: Some(LegalStatus::PrivateForProfit),
            band: Some(SizeBand::From100To499),
            labels: vec![],
            authorisations: vec![("02".into(), "Chirurgie".into())],
            in_ght: false,
        }
    }

    #[test]
    fn a_status_rule_says_why_it_applies_or_not() {
        let rule = Applicability::parse("statut public").expect("valid");
        let d = rule.decide(&public_chu());
        assert!(d.applies);
        assert_eq!(d.reason, "statut public");
        let d = rule.decide(&private_clinic());
        assert!(!d.applies);
        assert!(d.reason.contains("attendu : public"), "{}", d.reason);
    }

    #[test]
    fn authorisations_match_a_code_or_a_word_of_the_label() {
        let rule = Applicability::parse("autorisation \"urgence\"").expect("valid");
        let d = rule.decide(&public_chu());
        assert!(d.applies, "{}", d.reason);
        assert!(d.reason.contains("Médecine d'urgence"));
        assert!(!rule.decide(&private_clinic()).applies);
        assert!(
            Applicability::parse("autorisation \"02\"")
                .expect("valid")
                .decide(&private_clinic())
                .applies
        );
        // "gence" is not the start of a word.
        assert!(
            !Applicability::parse("autorisation \"gence\"")
                .expect("valid")
                .decide(&public_chu())
                .applies
        );
    }

    #[test]
    fn combinations_follow_et_ou_non_and_parentheses() {
        let rule = Applicability::parse(
            "statut public et (autorisation \"urgence\" ou label chu) et non taille lt100",
        )
        .expect("valid");
        assert!(rule.decide(&public_chu()).applies);
        assert!(!rule.decide(&private_clinic()).applies);
        let rule = Applicability::parse("statut prive_lucratif, espic ou ght").expect("valid");
        assert!(rule.decide(&public_chu()).applies);
        assert!(rule.decide(&private_clinic()).applies);
        let rule = Applicability::parse("non ght").expect("valid");
        let d = rule.decide(&public_chu());
        assert!(!d.applies);
        assert_eq!(d.reason, "exclue : membre d'un GHT");
        let rule = Applicability::parse("ej 300780038").expect("valid");
        assert!(rule.decide(&public_chu()).applies);
        assert!(!rule.decide(&private_clinic()).applies);
        let rule = Applicability::parse("taille 100to499, ge500").expect("valid");
        assert!(rule.decide(&private_clinic()).applies);
    }

    #[test]
    fn unknown_facts_do_not_apply() {
        let rule = Applicability::parse("taille ge500").expect("valid");
        let d = rule.decide(&EntityFacts::default());
        assert!(!d.applies);
        assert!(d.reason.contains("inconnue"));
    }

    #[test]
    fn bad_rules_name_their_column() {
        let e = Applicability::parse("statut publique").expect_err("unknown status");
        assert_eq!(e.column, 8);
        assert!(e.message.contains("publique"));
        let e = Applicability::parse("statut public ou").expect_err("incomplete");
        assert_eq!(e.column, 17);
        let e = Applicability::parse("(ght").expect_err("unclosed");
        assert!(e.message.contains("parenthèse"));
        let e = Applicability::parse("ght label chu").expect_err("missing operator");
        assert_eq!(e.column, 5);
        let e = Applicability::parse("label xyz").expect_err("unknown label");
        assert!(e.message.contains("chu"));
        assert!(Applicability::parse("").is_err());
        assert!(Applicability::parse("ej 123").is_err());
        assert!(Applicability::parse("taille moyen").is_err());
        assert!(Applicability::parse("autorisation \"\"").is_err());
        assert!(Applicability::parse("statut public ; ght").is_err());
    }

    fn arb_rule() -> impl Strategy<Value = Applicability> {
        let leaf = prop_oneof![
            Just(Applicability::All),
            Just(Applicability::Ght),
            proptest::sample::subsequence(
                vec![
                    LegalStatus::Public,
                    LegalStatus::Espic,
                    LegalStatus::PrivateNonProfit,
                    LegalStatus::PrivateForProfit
                ],
                1..3
            )
            .prop_map(Applicability::Status),
            proptest::sample::subsequence(Label::ALL.to_vec(), 1..3).prop_map(Applicability::Label),
            proptest::sample::subsequence(
                vec![SizeBand::Lt100, SizeBand::From100To499, SizeBand::Ge500],
                1..3
            )
            .prop_map(Applicability::Band),
            "[a-zé' ]{0,10}[a-z]"
                .prop_map(|s| Applicability::Authorisation(vec![s.trim().to_owned()])),
        ];
        leaf.prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                inner.clone().prop_map(|i| Applicability::Not(Box::new(i))),
                proptest::collection::vec(inner.clone(), 2..3).prop_map(Applicability::And),
                proptest::collection::vec(inner, 2..3).prop_map(Applicability::Or),
            ]
        })
    }

    /// Flattens nested and/or of the same kind, as the parser builds them.
    fn normalise(a: Applicability) -> Applicability {
        match a {
            Applicability::Not(i) => Applicability::Not(Box::new(normalise(*i))),
            Applicability::And(items) => {
                Applicability::And(items.into_iter().map(normalise).collect())
            }
            Applicability::Or(items) => {
                Applicability::Or(items.into_iter().map(normalise).collect())
            }
            other => other,
        }
    }

    proptest! {
        #[test]
        fn every_rule_reads_back_from_its_text(rule in arb_rule()) {
            let text = rule.to_string();
            let back = Applicability::parse(&text).expect("canonical text parses");
            // Same decision on a few entities, and the same text again.
            for facts in [public_chu(), private_clinic(), EntityFacts::default()] {
                prop_assert_eq!(back.decide(&facts).applies, rule.decide(&facts).applies, "{}", text);
            }
            prop_assert_eq!(back.to_string(), normalise(rule).to_string());
        }

        #[test]
        fn reading_any_text_never_panics(text in "\\PC{0,40}") {
            let _ = Applicability::parse(&text);
        }
    }
}
