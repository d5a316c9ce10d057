//! Configuration from environment variables (documented in the README).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};

/// Settings of one cpom process.
#[derive(Debug, Clone)]
pub struct Config {
    /// `CPOM_DATA_DIR`: database file (SQLite) and stored files. Default `./data`.
    pub data_dir: PathBuf,
    /// `CPOM_DATABASE_URL`: `sqlite://…` or `postgres://…`. Default: SQLite in the data dir.
    pub database_url: String,
    /// `CPOM_BIND`: listening address. Default `127.0.0.1:8080`.
    pub bind: String,
    /// `CPOM_AGENCY_NAME`: agency line of the header.
    pub agency_name: String,
    /// `CPOM_SECURE_COOKIES`: `true` (default) or `false` for plain-HTTP development.
    pub secure_cookies: bool,
    /// `CPOM_SESSION_HOURS`: idle time before a session expires. Default 8.
    pub session_hours: u64,
    /// `CPOM_LOG_FORMAT`: `text` (default) or `json`.
    pub log_json: bool,
    /// `CPOM_SCAN_COMMAND`: a command run on every evidence file before it is accepted
    /// (the file's path is its last argument; a non-zero exit refuses the file), such as
    /// `clamscan --no-summary`. Default: none.
    pub scan_command: Option<String>,
    /// `CPOM_DATABASE_POOL`: the most connections to the database (1 to 100). Default: 8 on
    /// SQLite, twice the cores plus one (at least 4) on PostgreSQL.
    pub database_pool: Option<u32>,
}

/// Reads `CPOM_DATABASE_POOL`.
fn pool_size(value: Option<&str>) -> anyhow::Result<Option<u32>> {
    value
        .map(|v| match v.parse::<u32>() {
            Ok(n @ 1..=100) => Ok(n),
            _ => bail!(
                "CPOM_DATABASE_POOL : « {v} » n'est pas un nombre de connexions entre 1 et 100"
            ),
        })
        .transpose()
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl Config {
    /// Reads the environment; fails with a message naming the variable at fault.
    pub fn from_env() -> anyhow::Result<Self> {
        let data_dir = PathBuf::from(var("CPOM_DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url =
            var("CPOM_DATABASE_URL").unwrap_or_else(|| cpom_store::default_database_url(&data_dir));
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            bail!(
                "CPOM_DATABASE_URL : « {database_url} » n'est pas une URL sqlite:// ou postgres://"
            );
        }
        let secure_cookies = match var("CPOM_SECURE_COOKIES").as_deref() {
            None | Some("true" | "1" | "oui") => true,
            Some("false" | "0" | "non") => false,
            Some(other) => bail!("CPOM_SECURE_COOKIES : « {other} » n'est ni true ni false"),
        };
        let session_hours = var("CPOM_SESSION_HOURS")
            .map(|v| {
                v.parse::<u64>().with_context(|| {
                    format!("CPOM_SESSION_HOURS : « {v} » n'est pas un nombre d'heures")
                })
            })
            .transpose()?
            .unwrap_or(8);
        let log_json = match var("CPOM_LOG_FORMAT").as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => bail!("CPOM_LOG_FORMAT : « {other} » n'est ni text ni json"),
        };
        Ok(Self {
            data_dir,
            database_url,
            bind: var("CPOM_BIND").unwrap_or_else(|| "127.0.0.1:8080".into()),
            agency_name: var("CPOM_AGENCY_NAME")
                .unwrap_or_else(|| "Agence régionale de santé".into()),
            secure_cookies,
            session_hours,
            log_json,
            scan_command: var("CPOM_SCAN_COMMAND"),
            database_pool: pool_size(var("CPOM_DATABASE_POOL").as_deref())?,
        })
    }

    /// Settings of the web layer.
    pub fn web(&self) -> cpom_web::WebConfig {
        cpom_web::WebConfig {
            agency_name: self.agency_name.clone(),
            secure_cookies: self.secure_cookies,
            session_idle: Duration::from_secs(self.session_hours.max(1) * 3600),
            scan_command: self.scan_command.clone(),
        }
    }
}

/// Structured logs on stderr; `RUST_LOG` filters (default `info`).
pub fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log_json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[cfg(test)]
mod tests {
    use super::pool_size;

    #[test]
    fn the_pool_size_is_a_number_of_connections_between_1_and_100() {
        assert_eq!(pool_size(None).ok(), Some(None));
        assert_eq!(pool_size(Some("6")).ok(), Some(Some(6)));
        for bad in ["0", "101", "-2", "huit"] {
            let message = pool_size(Some(bad)).err().map(|e| e.to_string());
            assert_eq!(
                message,
                Some(format!(
                    "CPOM_DATABASE_POOL : « {bad} » n'est pas un nombre de connexions entre 1 et 100"
                ))
            );
        }
    }
}
