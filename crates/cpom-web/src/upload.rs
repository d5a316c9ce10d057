//! Receiving an uploaded file (multipart form: a `kind` field and a `file` field), streamed
//! to disk chunk by chunk, shared by the import page and the import API.

use std::path::Path;
use std::time::{Duration, SystemTime};

use axum::extract::Multipart;
use tokio::io::AsyncWriteExt;

use crate::error::AppError;

/// Largest file accepted by an import (the national FINESS stock file is about 60 MB).
pub const MAX_UPLOAD: usize = 128 * 1024 * 1024;

/// What the form carried besides the file, which is now at the given path.
#[derive(Debug)]
pub struct Upload {
    /// Value of the `kind` field.
    pub kind: String,
    /// Base name of the uploaded file.
    pub file_name: String,
    /// Size in bytes.
    pub size: u64,
    /// The other text fields of the form (a few, each cut at 4,000 characters).
    pub fields: Vec<(String, String)>,
}

impl Upload {
    /// The value of another text field of the form, if it was sent.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Keeps the last path component of a client-given name, without control characters, at
/// most 200 characters.
pub fn clean_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if cleaned.trim().is_empty() {
        "fichier".into()
    } else {
        cleaned.trim().to_owned()
    }
}

fn bad(field: &str, message: impl Into<String>) -> AppError {
    AppError::field(field, message)
}

/// Reads the form, writing the `file` field to `path` (its directory `dir` is created). On
/// any error (an interrupted form, a full disk) the part written is removed.
pub async fn receive(form: Multipart, dir: &Path, path: &Path) -> Result<Upload, AppError> {
    let result = receive_into(form, dir, path).await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(path).await;
    }
    result
}

async fn receive_into(mut form: Multipart, dir: &Path, path: &Path) -> Result<Upload, AppError> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| AppError::io("upload directory", &e))?;
    let mut kind = String::new();
    let mut fields = vec![];
    let mut file: Option<(String, u64)> = None;
    while let Some(mut field) = form.next_field().await.map_err(|e| {
        bad(
            "file",
            format!("envoi du formulaire interrompu ou trop volumineux : {e}"),
        )
    })? {
        match field.name() {
            Some("kind") => {
                kind = field
                    .text()
                    .await
                    .map_err(|e| bad("kind", format!("champ illisible : {e}")))?;
            }
            Some("file") => {
                let name = clean_file_name(field.file_name().unwrap_or_default());
                let mut out = tokio::fs::File::create(path)
                    .await
                    .map_err(|e| AppError::io("upload file", &e))?;
                let mut size = 0u64;
                while let Some(chunk) = field.chunk().await.map_err(|e| {
                    bad(
                        "file",
                        format!(
                            "envoi du fichier interrompu ou trop volumineux (au plus {} Mo) : {e}",
                            MAX_UPLOAD / 1024 / 1024
                        ),
                    )
                })? {
                    size += chunk.len() as u64;
                    out.write_all(&chunk)
                        .await
                        .map_err(|e| AppError::io("upload write", &e))?;
                }
                out.flush()
                    .await
                    .map_err(|e| AppError::io("upload flush", &e))?;
                file = Some((name, size));
            }
            Some(other) if fields.len() < 16 => {
                let name = other.to_owned();
                let text = field
                    .text()
                    .await
                    .map_err(|e| bad(&name, format!("champ illisible : {e}")))?;
                fields.push((name, text.chars().take(4000).collect()));
            }
            _ => {}
        }
    }
    match file {
        None => Err(bad("file", "choisissez un fichier à importer")),
        Some((_, 0)) => Err(bad("file", "le fichier envoyé est vide")),
        Some((file_name, size)) => Ok(Upload {
            kind,
            file_name,
            size,
            fields,
        }),
    }
}

/// Reads the form into memory, for small files (at most `limit` bytes): the file goes
/// through a temporary file under `dir`, removed before returning.
pub async fn receive_small(
    form: Multipart,
    dir: &Path,
    limit: u64,
) -> Result<(Upload, Vec<u8>), AppError> {
    let path = dir.join(format!(
        "{}.partial",
        hex::encode(rand::random::<[u8; 16]>())
    ));
    let result = async {
        let upload = receive(form, dir, &path).await?;
        if upload.size > limit {
            return Err(bad(
                "file",
                format!(
                    "fichier trop volumineux (au plus {} Mo)",
                    limit / 1024 / 1024
                ),
            ));
        }
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| AppError::Internal(format!("upload read: {e}")))?;
        Ok((upload, bytes))
    }
    .await;
    let _ = tokio::fs::remove_file(&path).await;
    result
}

/// Files of a request in progress end with this (removed when the request ends).
pub const PARTIAL: &str = "partial";

/// Age after which a file of a request in progress is left over from a stopped server.
const PARTIAL_LIFE: Duration = Duration::from_secs(3600);

/// Age after which an upload kept for confirmation (a preview) is abandoned: longer than a
/// session stays open.
const PENDING_LIFE: Duration = Duration::from_secs(24 * 3600);

/// Removes, from a directory of uploads, the files a stopped server or an abandoned preview
/// left: those of requests in progress (`*.partial`) older than an hour, the others older
/// than a day. Returns how many were removed; a missing directory has none.
pub fn sweep(dir: &Path, now: SystemTime) -> std::io::Result<usize> {
    remove_aged(dir, now, false, &|path| {
        Some(if is_partial(path) {
            PARTIAL_LIFE
        } else {
            PENDING_LIFE
        })
    })
}

/// Removes, under the stored files' directory and its subdirectories, the temporary files
/// of writes a stopped server left (`.*.partial`, see `Store::put_file`) older than an
/// hour; stored files are never touched. Returns how many were removed.
pub fn sweep_partials(root: &Path, now: SystemTime) -> std::io::Result<usize> {
    remove_aged(root, now, true, &|path| {
        is_partial(path).then_some(PARTIAL_LIFE)
    })
}

fn is_partial(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == PARTIAL)
}

/// Removes the files of `dir` (and of its subdirectories when `deep`) older than the life
/// `life_of` gives them (`None`: kept); a missing directory has none.
fn remove_aged(
    dir: &Path,
    now: SystemTime,
    deep: bool,
    life_of: &dyn Fn(&Path) -> Option<Duration>,
) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let meta = entry.metadata()?;
        let path = entry.path();
        if meta.is_dir() && deep {
            removed += remove_aged(&path, now, deep, life_of)?;
        } else if meta.is_file()
            && let Some(life) = life_of(&path)
            && older(&meta, now, life)?
        {
            std::fs::remove_file(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Whether a file was last modified more than `life` before `now`.
fn older(meta: &std::fs::Metadata, now: SystemTime, life: Duration) -> std::io::Result<bool> {
    Ok(now
        .duration_since(meta.modified()?)
        .unwrap_or(Duration::ZERO)
        > life)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_paths_are_reduced_to_a_base_name() {
        assert_eq!(
            clean_file_name("C:\\Users\\ars\\SAE 2023.csv"),
            "SAE 2023.csv"
        );
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\u{7}b.csv"), "ab.csv");
        assert_eq!(clean_file_name(""), "fichier");
    }

    fn aged(dir: &Path, name: &str, age: Duration) -> std::path::PathBuf {
        let path = dir.join(name);
        let file = std::fs::File::create(&path).expect("create");
        file.set_modified(SystemTime::now() - age).expect("mtime");
        path
    }

    #[test]
    fn left_over_and_abandoned_uploads_are_removed_recent_ones_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let hour = Duration::from_secs(3600);
        let old_partial = aged(dir.path(), "a.partial", hour * 2);
        let new_partial = aged(dir.path(), "b.partial", Duration::from_secs(60));
        let preview = aged(dir.path(), "c.upload", hour * 20);
        let abandoned = aged(dir.path(), "d.plan", hour * 30);
        std::fs::create_dir(dir.path().join("sub")).expect("sub");
        assert_eq!(sweep(dir.path(), SystemTime::now()).expect("sweep"), 2);
        assert!(!old_partial.exists() && !abandoned.exists());
        assert!(new_partial.exists() && preview.exists());
        assert!(dir.path().join("sub").is_dir());
        assert_eq!(
            sweep(&dir.path().join("none"), SystemTime::now()).expect("missing"),
            0
        );
    }

    #[test]
    fn only_old_partial_writes_are_removed_from_the_stored_files() {
        let root = tempfile::tempdir().expect("dir");
        let hour = Duration::from_secs(3600);
        let nested = root.path().join("evidence").join("ab");
        std::fs::create_dir_all(&nested).expect("dirs");
        let old_partial = aged(&nested, ".0123abcd.partial", hour * 2);
        let new_partial = aged(&nested, ".4567abcd.partial", Duration::from_secs(60));
        let stored = aged(&nested, "ab12cd34", hour * 24 * 400);
        let top_partial = aged(root.path(), ".89abcdef.partial", hour * 3);
        assert_eq!(
            sweep_partials(root.path(), SystemTime::now()).expect("sweep"),
            2
        );
        assert!(!old_partial.exists() && !top_partial.exists());
        assert!(new_partial.exists() && stored.exists());
        assert_eq!(
            sweep_partials(&root.path().join("none"), SystemTime::now()).expect("missing"),
            0
        );
    }
}
