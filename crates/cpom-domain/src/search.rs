//! Search keys: text folded to lower case without accents or punctuation, so that
//! "beziers" finds "BÉZIERS" and "saint etienne" finds "SAINT-ÉTIENNE".

/// Folds one character: lower case, accents removed, ligatures expanded; punctuation and
/// separators become a space.
fn fold(c: char, out: &mut String) {
    let lower = c.to_lowercase();
    for l in lower {
        let mapped: &str = match l {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
            'ç' => "c",
            'è' | 'é' | 'ê' | 'ë' => "e",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'ñ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => "o",
            'ù' | 'ú' | 'û' | 'ü' => "u",
            'ý' | 'ÿ' => "y",
            'œ' => "oe",
            'æ' => "ae",
            c if c.is_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => " ",
        };
        out.push_str(mapped);
    }
}

/// The search key of a text: folded, with single spaces between words.
pub fn search_key(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars() {
        fold(c, &mut folded);
    }
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The words of a query, folded (at most 8, so that a pasted paragraph stays cheap).
pub fn query_words(query: &str) -> Vec<String> {
    search_key(query)
        .split(' ')
        .filter(|w| !w.is_empty())
        .take(8)
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_case_and_punctuation_are_folded() {
        assert_eq!(search_key("CH DE BÉZIERS"), "ch de beziers");
        assert_eq!(search_key("SAINT-ÉTIENNE"), "saint etienne");
        assert_eq!(search_key("L'Hôpital  Cœur"), "l hopital coeur");
        assert_eq!(search_key("2A004"), "2a004");
    }

    #[test]
    fn a_query_is_split_into_folded_words() {
        assert_eq!(query_words("  Chu   Montpellier "), ["chu", "montpellier"]);
        assert_eq!(query_words("%_"), Vec::<String>::new());
        assert_eq!(query_words("a b c d e f g h i j").len(), 8);
    }
}
