//! The API's extractors of a JSON body, a query string and path parameters: axum's, whose
//! refusals (a body that is not the expected JSON, a page number that is not a number…)
//! become the API's JSON error with a French message naming the field, instead of axum's
//! English plain text. `Json` is also the API's JSON response.

use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, AppError};

/// A JSON body (extractor) or a JSON response.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

/// A query string.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

/// Path parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(ApiError(json_refusal(&rejection))),
        }
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => Err(ApiError(query_refusal(&rejection))),
        }
    }
}

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(ApiError(path_refusal(&rejection))),
        }
    }
}

/// The French refusal of a query string, on the parameter at fault when there is one.
pub(crate) fn query_refusal(rejection: &QueryRejection) -> AppError {
    match rejection {
        QueryRejection::FailedToDeserializeQueryString(e) => {
            let detail = e.body_text();
            let detail = detail
                .strip_prefix("Failed to deserialize query string: ")
                .unwrap_or(&detail);
            match located(detail) {
                (Some(field), reason) => AppError::field(
                    field,
                    format!("paramètre d'URL « {field} » invalide : {reason}"),
                ),
                (None, reason) => {
                    AppError::field("query", format!("paramètre d'URL invalide : {reason}"))
                }
            }
        }
        other => AppError::field(
            "query",
            format!("paramètres d'URL illisibles ({})", other.body_text()),
        ),
    }
}

/// The French refusal of a form body (a form the page did not send: the browser's are
/// always readable), on the field at fault when there is one.
pub(crate) fn form_refusal(rejection: &FormRejection) -> AppError {
    let detail = match rejection {
        FormRejection::FailedToDeserializeForm(e) => e.body_text(),
        FormRejection::FailedToDeserializeFormBody(e) => e.body_text(),
        other => {
            return AppError::field(
                "form",
                format!(
                    "formulaire illisible ou trop volumineux ({})",
                    other.status()
                ),
            );
        }
    };
    let detail = detail
        .strip_prefix("Failed to deserialize form body: ")
        .or_else(|| detail.strip_prefix("Failed to deserialize form: "))
        .unwrap_or(&detail);
    match located(detail) {
        (Some(field), reason) => AppError::field(
            field,
            format!("formulaire invalide, champ « {field} » : {reason}"),
        ),
        (None, reason) => AppError::field("form", format!("formulaire invalide : {reason}")),
    }
}

/// The French refusal of path parameters, on the parameter at fault.
pub(crate) fn path_refusal(rejection: &PathRejection) -> AppError {
    use axum::extract::path::ErrorKind;
    match rejection {
        PathRejection::FailedToDeserializePathParams(e) => {
            let (field, message) = match e.kind() {
                ErrorKind::ParseErrorAtKey {
                    key,
                    value,
                    expected_type,
                } => (
                    key.clone(),
                    format!("« {value} » n'est pas {}", type_fr(expected_type)),
                ),
                ErrorKind::ParseError {
                    value,
                    expected_type,
                }
                | ErrorKind::ParseErrorAtIndex {
                    value,
                    expected_type,
                    ..
                } => (
                    "path".to_owned(),
                    format!("« {value} » n'est pas {}", type_fr(expected_type)),
                ),
                ErrorKind::InvalidUtf8InPathParam { key } => {
                    (key.clone(), "caractères invalides (UTF-8)".to_owned())
                }
                other => ("path".to_owned(), format!("adresse invalide ({other})")),
            };
            AppError::field(
                &field,
                format!("paramètre « {field} » de l'adresse : {message}"),
            )
        }
        other => AppError::Internal(format!("path parameters: {}", other.body_text())),
    }
}

/// The French refusal of a JSON body, on the field at fault when there is one.
fn json_refusal(rejection: &JsonRejection) -> AppError {
    match rejection {
        JsonRejection::JsonDataError(e) => {
            let detail = e.body_text();
            let detail = detail
                .strip_prefix("Failed to deserialize the JSON body into the target type: ")
                .unwrap_or(&detail);
            let (field, reason) = located(detail);
            AppError::field(field.unwrap_or("body"), format!("corps JSON : {reason}"))
        }
        JsonRejection::JsonSyntaxError(e) => {
            let detail = e.body_text();
            let detail = detail
                .strip_prefix("Failed to parse the request body as JSON: ")
                .unwrap_or(&detail);
            AppError::field(
                "body",
                format!("corps JSON mal formé{}", place(detail).unwrap_or_default()),
            )
        }
        JsonRejection::MissingJsonContentType(_) => AppError::field(
            "body",
            "le corps doit être du JSON, envoyé avec l'en-tête « Content-Type: application/json »",
        ),
        other => AppError::field(
            "body",
            format!(
                "corps de la requête illisible ou trop volumineux ({})",
                other.status()
            ),
        ),
    }
}

/// Splits serde's "path.to[0].field: reason" into the field and the French reason.
fn located(detail: &str) -> (Option<&str>, String) {
    match detail.split_once(": ") {
        Some((path, reason))
            if !path.is_empty()
                && !path.contains(' ')
                && !path.starts_with("invalid")
                && !path.starts_with("missing") =>
        {
            (Some(path), reason_fr(reason))
        }
        _ => (None, reason_fr(detail)),
    }
}

/// " (ligne 1, colonne 23)" from serde_json's " at line 1 column 23".
fn place(detail: &str) -> Option<String> {
    let (_, at) = detail.rsplit_once(" at line ")?;
    let (line, column) = at.split_once(" column ")?;
    Some(format!(" (ligne {line}, colonne {column})"))
}

/// serde's reasons in French (the common ones; others keep their text after a French
/// heading).
fn reason_fr(detail: &str) -> String {
    let at = place(detail).unwrap_or_default();
    let core = detail
        .rsplit_once(" at line ")
        .map_or(detail, |(core, _)| core);
    let quoted = |s: &str| s.trim_matches('`').to_owned();
    let fr = if let Some(rest) = core.strip_prefix("missing field ") {
        format!("champ « {} » manquant", quoted(rest))
    } else if let Some(rest) = core.strip_prefix("unknown field ") {
        let name = rest.split(',').next().unwrap_or(rest);
        format!("champ « {} » inconnu", quoted(name))
    } else if let Some(rest) = core.strip_prefix("invalid type: ") {
        match rest.split_once(", expected ") {
            Some((got, want)) => format!("{} reçu, {} attendu", got_fr(got), type_fr(want)),
            None => format!("type invalide ({rest})"),
        }
    } else if let Some(rest) = core.strip_prefix("invalid value: ") {
        match rest.split_once(", expected ") {
            Some((got, want)) => format!("{} refusé, {} attendu", got_fr(got), type_fr(want)),
            None => format!("valeur invalide ({rest})"),
        }
    } else if core.starts_with("invalid digit found in string") {
        "nombre invalide".to_owned()
    } else if core.starts_with("cannot parse integer from empty string") {
        "nombre vide".to_owned()
    } else if core.starts_with("number too large") || core.starts_with("number too small") {
        "nombre hors des limites".to_owned()
    } else if core.starts_with("invalid float literal") {
        "nombre décimal invalide".to_owned()
    } else if core.starts_with("provided string was not `true` or `false`") {
        "« true » ou « false » attendu".to_owned()
    } else {
        format!("valeur refusée ({core})")
    };
    format!("{fr}{at}")
}

/// What serde found ("map", "integer `12`", "string \"x\"").
fn got_fr(got: &str) -> String {
    let (kind, value) = match got.split_once(' ') {
        Some((kind, value)) => (kind, Some(value.trim_matches('`'))),
        None => (got, None),
    };
    let kind = match kind {
        "map" => "un objet",
        "sequence" => "une liste",
        "string" => "le texte",
        "integer" => "l'entier",
        "floating" => "le nombre",
        "boolean" => "le booléen",
        "null" => "null",
        "unit" => "une valeur vide",
        other => other,
    };
    match value {
        Some(v) => format!(
            "{kind} {}",
            v.trim_start_matches("point ").trim_matches('`')
        ),
        None => kind.to_owned(),
    }
}

/// What serde or the path expected ("a string", "i64", "u64", "a boolean"…).
fn type_fr(expected: &str) -> String {
    let e = expected
        .trim_start_matches("a ")
        .trim_start_matches("an ")
        .trim_matches('`');
    match e {
        "string" | "str" | "String" => "un texte".to_owned(),
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "integer" => {
            "un nombre entier (dans les limites)".to_owned()
        }
        "f32" | "f64" | "number" => "un nombre".to_owned(),
        "bool" | "boolean" => "un booléen (true ou false)".to_owned(),
        "sequence" => "une liste".to_owned(),
        "map" => "un objet".to_owned(),
        other => format!("« {other} »"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_reasons_are_told_in_french_with_their_field_and_place() {
        assert_eq!(
            located("year: invalid type: map, expected a string at line 1 column 104"),
            (
                Some("year"),
                "un objet reçu, un texte attendu (ligne 1, colonne 104)".to_owned()
            )
        );
        assert_eq!(
            located("ids[0]: invalid value: integer `9223372036854775808`, expected i64 at line 1 column 28"),
            (
                Some("ids[0]"),
                "l'entier 9223372036854775808 refusé, un nombre entier (dans les limites) attendu (ligne 1, colonne 28)"
                    .to_owned()
            )
        );
        assert_eq!(
            located("missing field `action` at line 1 column 2"),
            (
                None,
                "champ « action » manquant (ligne 1, colonne 2)".to_owned()
            )
        );
        assert_eq!(
            located("page: invalid digit found in string"),
            (Some("page"), "nombre invalide".to_owned())
        );
        assert_eq!(
            located("something new"),
            (None, "valeur refusée (something new)".to_owned())
        );
    }
}
