//! Password hashing with argon2id (default parameters of the `argon2` crate: 19 MiB, 2
//! passes, 1 lane, as recommended by OWASP). Hashing is CPU-bound: callers in async code
//! run these functions on the blocking thread pool (see [`hash_blocking`]).

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use cpom_domain::PlainPassword;

use crate::StoreError;

/// Hashes a password into a PHC string (`$argon2id$v=19$…`).
pub fn hash(password: &PlainPassword) -> Result<String, StoreError> {
    Argon2::default()
        .hash_password(password.expose().as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid {
            field: "password",
            message: format!("hachage impossible : {e}"),
        })
}

/// Hashes on the blocking pool so that the async runtime keeps serving other requests.
pub async fn hash_blocking(password: PlainPassword) -> Result<String, StoreError> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| StoreError::Io(e.to_string()))?
}

/// Checks `candidate` against a stored PHC string; false on any mismatch or malformed hash.
pub fn verify(candidate: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            Argon2::default()
                .verify_password(candidate.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Verifies on the blocking pool.
pub async fn verify_blocking(candidate: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || verify(&candidate, &phc))
        .await
        .unwrap_or(false)
}

/// A hash of a random password, used to spend the same time on unknown accounts as on
/// known ones (so that timing does not reveal which e-mails exist).
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let pw = PlainPassword::parse("cpom-dummy-password-for-timing")
            .expect("constant is a valid password");
        hash(&pw).expect("hashing a constant works")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verifiable() {
        let pw = PlainPassword::parse("un mot de passe solide").expect("valid");
        let a = hash(&pw).expect("hash");
        let b = hash(&pw).expect("hash");
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "two hashes of one password differ by their salt");
        assert!(verify("un mot de passe solide", &a));
        assert!(!verify("un mot de passe faux!", &a));
        assert!(!verify("un mot de passe solide", "not a phc string"));
    }
}
