//! Validation errors raised when raw input is turned into domain types.

/// An input that does not satisfy a domain rule, with the field it concerns and a French
/// message meant for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} : {message}")]
pub struct DomainError {
    /// Name of the input field (as in forms and JSON bodies).
    pub field: &'static str,
    /// Explanation in French, shown as is to the user.
    pub message: String,
}

impl DomainError {
    /// Builds an error on `field` with a French `message`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
