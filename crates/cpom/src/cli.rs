//! Command-line interface.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use cpom_domain::catalogue::{Catalogue, CatalogueState};
use cpom_domain::{DisplayName, Email, FinessId, PlainPassword, RegionCode, Role};
use cpom_import::catalogue::{read_toml, write_toml};
use cpom_store::repo::catalogues::{ImportOutcome, catalogue_json};
use cpom_store::repo::imports::ImportFile;
use cpom_store::repo::registry::{ImportKind, ImportReport};
use cpom_store::{AuditActor, ConnectSettings, NewUser, Store};

use crate::config::Config;

/// cpom — contrats pluriannuels d'objectifs et de moyens (ARS et établissements de santé).
#[derive(Debug, Parser)]
#[command(name = "cpom", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve cpom with the configuration from the environment (CPOM_DATABASE_URL, CPOM_DATA_DIR, CPOM_BIND…).
    Serve,
    /// Seed demo data (one account per role, passwords printed) and serve.
    Demo,
    /// Apply database migrations and exit.
    Migrate,
    /// Generate a dataset at national (or regional) scale on an empty database, for load
    /// benchmarks: the real registry (CPOM_DEMO_DATA_DIR), a catalogue per region, one signed
    /// CPOM per legal entity, five yearly campaigns with declarations in every state. The
    /// same seed gives the same dataset.
    Generate {
        /// `national` (every region) or `region`.
        #[arg(long, default_value = "national")]
        scale: String,
        /// The region of `--scale region` (INSEE code, e.g. 76).
        #[arg(long, default_value = "76")]
        region: String,
        /// Seed of the drawn states and values.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Send the campaign reminders due today (run it daily, e.g. from cron): in-app
    /// notifications and e-mails through CPOM_MAIL_TRANSPORT (`log`, the default; `file`:
    /// `.eml` files in CPOM_MAIL_DIR, default `<data>/mail`; `smtp`: the server of
    /// CPOM_SMTP_URL), from CPOM_MAIL_FROM.
    Remind {
        /// Days before a campaign's deadline from which its reminders go out.
        #[arg(long, default_value_t = 7)]
        days: i64,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Write a consistent backup (database and stored files) to FILE, even while the server runs.
    Backup {
        /// Archive to write (.tar.gz).
        file: PathBuf,
    },
    /// Restore a backup into an empty data directory / database.
    Restore {
        /// Archive written by `cpom backup`.
        file: PathBuf,
    },
    /// Import a registry file: finess (FINESS extract), sae-id (SAE identification table),
    /// sae-capacity (SAE SYGEN capacities), authorisations (authorisations of care
    /// activities, ARS template), ght (GHT and their members, ARS template). Applied all or
    /// nothing; `--dry-run` only previews.
    Import {
        /// finess, sae-id, sae-capacity, authorisations or ght.
        kind: String,
        /// File to read.
        file: PathBuf,
        /// Show what would change without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// Only import the lines of this region (INSEE code, e.g. 76); default: every region.
        #[arg(long)]
        region: Option<String>,
    },
    /// Catalogues (référentiels): check, import, publish, export, list.
    Catalogue {
        #[command(subcommand)]
        command: CatalogueCommand,
    },
    /// Yearly campaigns.
    Campaign {
        #[command(subcommand)]
        command: CampaignCommand,
    },
}

#[derive(Debug, Subcommand)]
enum CampaignCommand {
    /// Open the campaign of a year for the signed contracts of a region (one declaration per
    /// engagement indicator and site), in one transaction, audited.
    Open {
        /// Region (INSEE code, e.g. 76).
        #[arg(long)]
        region: String,
        /// Year followed.
        #[arg(long)]
        year: i32,
        /// Title (default: "Campagne YEAR").
        #[arg(long)]
        title: Option<String>,
        /// Deadline for the establishments, jj/mm/aaaa (default: 31/03 of the next year).
        #[arg(long)]
        deadline: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum CatalogueCommand {
    /// Check a catalogue file (text format, see docs/catalogue-format.md) without a database.
    Check {
        /// File to read.
        file: PathBuf,
    },
    /// Import a catalogue file: a new catalogue, a new draft version of a published one, or
    /// the replacement of the draft in progress.
    Import {
        /// File to read (.toml).
        file: PathBuf,
        /// Publish the imported version at once (the version published before is archived).
        #[arg(long)]
        publish: bool,
    },
    /// Publish the draft version of a catalogue.
    Publish {
        /// Identifier of the catalogue.
        slug: String,
    },
    /// Write a catalogue version: the published one by default.
    Export {
        /// Identifier of the catalogue.
        slug: String,
        /// json, toml (the text format) or xlsx.
        #[arg(long, default_value = "json")]
        format: String,
        /// Version number (default: the published version, else the newest draft).
        #[arg(long)]
        version: Option<i32>,
        /// File to write (default: standard output; required for xlsx).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// List the catalogues and their versions.
    List,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account; the password comes from CPOM_PASSWORD or is prompted.
    Create {
        /// Sign-in e-mail.
        #[arg(long)]
        email: String,
        /// national-admin, ars-admin, ars-referent, establishment-leader, establishment-contributor or observer.
        #[arg(long)]
        role: String,
        /// INSEE region code (ARS roles, regional observers).
        #[arg(long)]
        region: Option<String>,
        /// FINESS EJ (establishment roles); the legal entity must be in the registry.
        #[arg(long)]
        ej: Option<String>,
        /// Name shown in the interface (default: the e-mail).
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create an API token for an account and print it.
    Create {
        /// E-mail of the account.
        #[arg(long)]
        email: String,
        /// Name of the token.
        #[arg(long, default_value = "ligne de commande")]
        name: String,
    },
}

async fn open(config: &Config) -> anyhow::Result<Store> {
    open_with(config, false).await
}

/// [`open`], for a bulk load when `bulk_load` ([`ConnectSettings::bulk_load`]).
async fn open_with(config: &Config, bulk_load: bool) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "création du répertoire de données {}",
            config.data_dir.display()
        )
    })?;
    let settings = ConnectSettings {
        pool: config.database_pool,
        bulk_load,
    };
    let store = Store::connect_with(&config.database_url, &config.data_dir, settings)
        .await
        .with_context(|| format!("connexion à la base {}", redact(&config.database_url)))?;
    store.migrate().await.context("migration de la base")?;
    Ok(store)
}

/// Hides the password of a database URL in messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Runs a command.
pub async fn run(cli: Cli, config: Config) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve => serve(open(&config).await?, &config).await,
        Command::Demo => {
            let store = open(&config).await?;
            let fixed = std::env::var("CPOM_DEMO_PASSWORD")
                .ok()
                .filter(|p| !p.is_empty());
            let accounts = crate::demo::seed(&store, fixed.as_deref()).await?;
            println!(
                "\nComptes de démonstration (mots de passe valables jusqu'au prochain « cpom demo ») :"
            );
            for (role, email, password) in accounts {
                println!("  {:<26} {:<38} {}", role.as_str(), email, password);
            }
            println!("\nOuvrez http://{}/ dans votre navigateur.\n", config.bind);
            serve(store, &config).await
        }
        Command::Remind { days } => {
            let store = open(&config).await?;
            let transport = match std::env::var("CPOM_MAIL_TRANSPORT")
                .ok()
                .as_deref()
                .map(str::trim)
            {
                None | Some("" | "log") => cpom_web::reminders::Transport::Log,
                Some("file") => cpom_web::reminders::Transport::File(
                    std::env::var("CPOM_MAIL_DIR")
                        .ok()
                        .filter(|d| !d.trim().is_empty())
                        .map_or_else(|| config.data_dir.join("mail"), std::path::PathBuf::from),
                ),
                Some("smtp") => {
                    let url = std::env::var("CPOM_SMTP_URL").unwrap_or_default();
                    if url.trim().is_empty() {
                        anyhow::bail!(
                            "CPOM_MAIL_TRANSPORT=smtp : indiquez le serveur dans CPOM_SMTP_URL (ex. smtp://utilisateur:motdepasse@relais.ars.fr:587?tls=required)"
                        );
                    }
                    cpom_web::reminders::Transport::smtp(&url)
                        .map_err(|e| anyhow::anyhow!("CPOM_SMTP_URL : {e}"))?
                }
                Some(other) => {
                    anyhow::bail!(
                        "CPOM_MAIL_TRANSPORT : « {other} » n'est ni log, ni file, ni smtp"
                    )
                }
            };
            let from = std::env::var("CPOM_MAIL_FROM")
                .ok()
                .filter(|f| !f.trim().is_empty())
                .unwrap_or_else(|| "cpom@localhost".into());
            let today = cpom_web::services::today();
            let s = cpom_web::reminders::send(&store, &transport, &from, days, today).await?;
            println!(
                "Rappels : {} campagne(s) concernée(s), {} rappel(s) envoyé(s), {} déjà envoyé(s) aujourd'hui, {} e-mail(s) non remis (voir le journal).",
                s.campaigns, s.sent, s.skipped, s.failed
            );
            if s.failed > 0 {
                anyhow::bail!("{} e-mail(s) de rappel non remis", s.failed);
            }
            Ok(())
        }
        Command::Generate {
            scale,
            region,
            seed,
        } => {
            let scale = match scale.as_str() {
                "national" => crate::generate::Scale::National,
                "region" => crate::generate::Scale::Region(
                    cpom_domain::RegionCode::parse(&region)
                        .map_err(|e| anyhow::anyhow!("--region : {}", e.message))?,
                ),
                other => anyhow::bail!("--scale : « {other} » n'est ni national ni region"),
            };
            let store = open_with(&config, true).await?;
            println!("Génération ({}) :", redact(&config.database_url));
            let start = std::time::Instant::now();
            let r =
                crate::generate::generate(&store, &crate::demo::data_dir(), &scale, seed).await?;
            println!(
                "{} entités juridiques, {} sites, {} référentiels, {} contrats signés ({} engagements), {} campagnes ; déclarations : {} ; en {:.1} s.",
                r.entities,
                r.sites,
                r.catalogues,
                r.contracts,
                r.engagements,
                r.campaigns,
                r.declarations
                    .iter()
                    .map(|(s, n)| format!("{s} {n}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                start.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Migrate => {
            open(&config).await?;
            println!("Base de données à jour ({}).", redact(&config.database_url));
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    role,
                    region,
                    ej,
                    name,
                },
        } => {
            let store = open(&config).await?;
            let email = Email::parse(&email)?;
            let password = read_password()?;
            let new = NewUser {
                display_name: DisplayName::parse(name.as_deref().unwrap_or(email.as_str()))?,
                email,
                role: Role::parse(&role)?,
                region: region.as_deref().map(RegionCode::parse).transpose()?,
                ej: ej.as_deref().map(FinessId::parse).transpose()?,
                password,
            };
            let user = store.create_user(&AuditActor::cli(), new).await?;
            println!(
                "Compte n° {} créé : {} ({}).",
                user.id,
                user.email,
                user.role.label()
            );
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Create { email, name },
        } => {
            let store = open(&config).await?;
            let email = Email::parse(&email)?;
            let Some(user) = store.find_user_by_email(&email).await? else {
                bail!("aucun compte n'a l'adresse {email}");
            };
            if !user.active {
                bail!("le compte {email} est désactivé");
            }
            let (_, secret) = store.create_token(&AuditActor::cli(), &user, &name).await?;
            println!("{secret}");
            Ok(())
        }
        Command::Backup { file } => {
            let store = open(&config).await?;
            let manifest = store
                .backup(&file)
                .await
                .with_context(|| format!("sauvegarde vers {}", file.display()))?;
            let rows: u64 = manifest.tables.iter().map(|(_, n)| n).sum();
            println!(
                "Sauvegarde écrite dans {} : {rows} lignes, {} fichiers.",
                file.display(),
                manifest.files
            );
            Ok(())
        }
        Command::Restore { file } => {
            let store = open(&config).await?;
            let manifest = store
                .restore(&file)
                .await
                .with_context(|| format!("restauration de {}", file.display()))?;
            let rows: u64 = manifest.tables.iter().map(|(_, n)| n).sum();
            println!(
                "Sauvegarde du {} restaurée : {rows} lignes, {} fichiers.",
                manifest.created_at, manifest.files
            );
            Ok(())
        }
        Command::Catalogue { command } => catalogue_command(&config, command).await,
        Command::Campaign {
            command:
                CampaignCommand::Open {
                    region,
                    year,
                    title,
                    deadline,
                },
        } => {
            let region = cpom_domain::RegionCode::parse(&region)
                .map_err(|e| anyhow::anyhow!("--region : {}", e.message))?;
            if !(2000..=2100).contains(&year) {
                anyhow::bail!("--year : {year} hors de la plage 2000–2100");
            }
            let deadline = match deadline {
                Some(d) => cpom_domain::territory::parse_date("deadline", "--deadline", &d)
                    .map_err(|e| anyhow::anyhow!("{}", e.message))?,
                None => chrono::NaiveDate::from_ymd_opt(year + 1, 3, 31)
                    .ok_or_else(|| anyhow::anyhow!("--year : {year}"))?,
            };
            let store = open(&config).await?;
            let (campaign, n) = store
                .open_campaign(
                    &AuditActor::cli(),
                    &cpom_store::repo::campaigns::NewCampaign {
                        region,
                        year,
                        title: title.unwrap_or_else(|| format!("Campagne {year}")),
                        deadline,
                        perimeter: cpom_store::repo::campaigns::Perimeter::Region,
                    },
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "Campagne n° {} ouverte : {n} déclaration(s) à saisir avant le {}.",
                campaign.id,
                cpom_domain::territory::date_fr(deadline)
            );
            Ok(())
        }
        Command::Import {
            kind,
            file,
            dry_run,
            region,
        } => {
            let Some(kind) = ImportKind::parse(&kind) else {
                let known: Vec<_> = ImportKind::ALL.iter().map(|k| k.as_str()).collect();
                bail!(
                    "type d'import « {kind} » inconnu : attendu {}",
                    known.join(", ")
                );
            };
            let region = region.as_deref().map(RegionCode::parse).transpose()?;
            let store = open(&config).await?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let report = store
                .import_path(
                    &AuditActor::cli(),
                    region.as_ref(),
                    &ImportFile {
                        kind,
                        path: &file,
                        file_name: &name,
                        expected_checksum: None,
                    },
                    !dry_run,
                )
                .await
                .map_err(|e| anyhow::anyhow!("{} : {e}", file.display()))?;
            print_report(&report);
            if !report.rejected.is_empty() {
                bail!(
                    "{} ligne(s) rejetée(s) : rien n'a été importé",
                    report.rejected.len()
                );
            }
            Ok(())
        }
    }
}

/// Reads a catalogue file; its located problems, in French, otherwise.
fn read_catalogue(file: &std::path::Path) -> anyhow::Result<Catalogue> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("lecture de {}", file.display()))?;
    match read_toml(&text) {
        Ok(c) => Ok(c),
        Err(errors) => {
            for e in &errors {
                eprintln!("{} : {e}", file.display());
            }
            bail!(
                "{} problème(s) dans {} : rien n'a été importé",
                errors.len(),
                file.display()
            )
        }
    }
}

async fn catalogue_command(config: &Config, command: CatalogueCommand) -> anyhow::Result<()> {
    let actor = AuditActor::cli();
    match command {
        CatalogueCommand::Check { file } => {
            let c = read_catalogue(&file)?;
            let targets: usize = c.indicators.iter().map(|i| i.targets.len()).sum();
            let to_confirm = c
                .indicators
                .iter()
                .flat_map(|i| &i.targets)
                .filter(|t| t.to_confirm)
                .count();
            println!(
                "{} ({}) : valide — {} orientation(s), {} objectif(s), {} action(s), {} fiche(s), {targets} cible(s) dont {to_confirm} à confirmer, {} question(s).",
                c.title,
                c.slug,
                c.orientations.len(),
                c.objectives.len(),
                c.actions.len(),
                c.indicators.len(),
                c.questions.len()
            );
            Ok(())
        }
        CatalogueCommand::Import { file, publish } => {
            let c = read_catalogue(&file)?;
            let store = open(config).await?;
            let (outcome, v) = store.import_catalogue(&actor, &c, publish).await?;
            let what = match outcome {
                ImportOutcome::Created => "créé",
                ImportOutcome::NewVersion => "nouvelle version créée",
                ImportOutcome::DraftUpdated => "brouillon remplacé",
                ImportOutcome::Unchanged => "inchangé (même contenu)",
            };
            println!(
                "{} ({}) : {what} — version {}, {}.",
                v.title,
                v.slug,
                v.version,
                v.state.label()
            );
            Ok(())
        }
        CatalogueCommand::Publish { slug } => {
            let store = open(config).await?;
            let draft = store
                .catalogue_versions(&slug)
                .await?
                .into_iter()
                .find(|v| v.state == CatalogueState::Draft)
                .with_context(|| {
                    format!("le référentiel « {slug} » n'a pas de brouillon à publier")
                })?;
            let v = store
                .publish_catalogue(&actor, &slug, draft.version, draft.row_version)
                .await?;
            println!("{} ({}) : version {} publiée.", v.title, v.slug, v.version);
            Ok(())
        }
        CatalogueCommand::Export {
            slug,
            format,
            version,
            output,
        } => {
            let store = open(config).await?;
            let (meta, c) = store
                .catalogue(&slug, version, true)
                .await
                .map_err(|e| match e {
                    cpom_store::StoreError::NotFound => {
                        anyhow::anyhow!("référentiel « {slug} » introuvable")
                    }
                    other => other.into(),
                })?;
            let bytes = match format.as_str() {
                "json" => {
                    let mut text = serde_json::to_string_pretty(&catalogue_json(&meta, &c))?;
                    text.push('\n');
                    text.into_bytes()
                }
                "toml" => write_toml(&c).into_bytes(),
                "xlsx" => {
                    if output.is_none() {
                        bail!(
                            "le format xlsx s'écrit dans un fichier : ajoutez --output FICHIER.xlsx"
                        );
                    }
                    cpom_import::catalogue_xlsx::write_xlsx(&c)?
                }
                other => bail!("format « {other} » inconnu : json, toml ou xlsx"),
            };
            match output {
                Some(path) => {
                    std::fs::write(&path, bytes)
                        .with_context(|| format!("écriture de {}", path.display()))?;
                    println!(
                        "{} v{} écrit dans {}.",
                        meta.slug,
                        meta.version,
                        path.display()
                    );
                }
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
            Ok(())
        }
        CatalogueCommand::List => {
            let store = open(config).await?;
            let page = store
                .list_catalogues(&cpom_domain::ScopeFilter::All, true, 1, 1000)
                .await?;
            if page.items.is_empty() {
                println!("Aucun référentiel.");
            }
            for v in page.items {
                println!(
                    "{:<36} v{:<3} {:<10} région {}  {} fiche(s)  {}",
                    v.slug,
                    v.version,
                    v.state.label(),
                    v.region,
                    v.indicators,
                    v.title
                );
            }
            Ok(())
        }
    }
}

/// Prints an import report: counts, then every rejected line and a summary of skipped ones.
fn print_report(r: &ImportReport) {
    println!(
        "{} — {} (SHA-256 {})",
        r.kind.label(),
        r.file_name,
        r.checksum
    );
    println!(
        "  créés : {}   modifiés : {}   inchangés : {}   rejetés : {}   ignorés : {}   entités juridiques créées : {}",
        r.created,
        r.updated,
        r.unchanged,
        r.rejected.len(),
        r.skipped.len(),
        r.entities_created
    );
    for rej in &r.rejected {
        eprintln!("  rejet {rej}");
    }
    for s in r.skipped.iter().take(5) {
        println!("  ignoré {s}");
    }
    if r.skipped.len() > 5 {
        println!(
            "  … et {} autre(s) ligne(s) ignorée(s)",
            r.skipped.len() - 5
        );
    }
    match (r.applied, r.import_id) {
        (true, Some(id)) => println!("Import appliqué (n° {id} dans l'historique)."),
        _ if r.rejected.is_empty() => println!("Aperçu seulement : rien n'a été écrit."),
        _ => {}
    }
}

fn read_password() -> anyhow::Result<PlainPassword> {
    if let Ok(p) = std::env::var("CPOM_PASSWORD") {
        return Ok(PlainPassword::parse(&p)?);
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "mot de passe absent : définissez CPOM_PASSWORD ou lancez la commande dans un terminal"
        );
    }
    let first = rpassword::prompt_password("Mot de passe (12 caractères au moins) : ")?;
    let second = rpassword::prompt_password("Confirmation : ")?;
    if first != second {
        bail!("les deux saisies diffèrent");
    }
    Ok(PlainPassword::parse(&first)?)
}

async fn serve(store: Store, config: &Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&config.bind)
        .await
        .with_context(|| format!("CPOM_BIND : impossible d'écouter sur {}", config.bind))?;
    let cleaner = tokio::spawn(clean_up(store.clone()));
    let app = cpom_web::build_app(store.clone(), config.web());
    tracing::info!(bind = %config.bind, database = store.backend_name(), "cpom ready");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    cleaner.abort();
    store.close().await?;
    tracing::info!("cpom stopped");
    Ok(())
}

/// Hourly clean-up (the first at start-up) of expired sessions, old sign-in attempts, the
/// uploads a stopped server or an abandoned preview left (`cpom_web::upload::sweep`), and
/// the temporary files of stored-file writes a stopped server left
/// (`cpom_web::upload::sweep_partials`).
async fn clean_up(store: Store) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        for dir in ["imports", "incoming"] {
            let dir = store.files_dir().join(dir);
            sweep_logged("left-over uploads", move |now| {
                cpom_web::upload::sweep(&dir, now)
            })
            .await;
        }
        let files = store.files_dir().to_owned();
        sweep_logged("left-over partial writes", move |now| {
            cpom_web::upload::sweep_partials(&files, now)
        })
        .await;
        let now = chrono::Utc::now();
        if let Err(e) = store.purge_sessions(now.timestamp()).await {
            tracing::warn!(error = %e, "session clean-up failed");
        }
        if let Err(e) = store
            .purge_login_attempts(now - chrono::Duration::days(30))
            .await
        {
            tracing::warn!(error = %e, "sign-in attempts clean-up failed");
        }
    }
}

/// Runs a sweep of files off the async threads and logs what it removed or why it failed.
async fn sweep_logged(
    what: &'static str,
    sweep: impl FnOnce(std::time::SystemTime) -> std::io::Result<usize> + Send + 'static,
) {
    match tokio::task::spawn_blocking(move || sweep(std::time::SystemTime::now())).await {
        Ok(Ok(0)) => {}
        Ok(Ok(n)) => tracing::info!(removed = n, what, "files removed"),
        Ok(Err(e)) => tracing::warn!(error = %e, what, "clean-up failed"),
        Err(e) => tracing::warn!(error = %e, what, "clean-up task failed"),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested, finishing requests in flight");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_are_hidden() {
        assert_eq!(
            redact("postgres://cpom:secret@db:5432/cpom"),
            "postgres://cpom:***@db:5432/cpom"
        );
        assert_eq!(
            redact("sqlite://data/cpom.sqlite?mode=rwc"),
            "sqlite://data/cpom.sqlite?mode=rwc"
        );
    }
}
