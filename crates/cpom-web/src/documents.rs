//! Contract documents, shared by the pages and the API: the region's template, the contract
//! as PDF, DOCX or annex-1 XLSX, the ZIP of a region's contracts, and the signed scan.

use chrono::NaiveDate;
use cpom_docs::Archive;
use cpom_domain::contract_document::{
    ContractDocument, ContractTemplate, DocumentInput, RegistrySnapshot,
};
use cpom_domain::{Action, FinessId, RegionCode};
use cpom_store::repo::contract_documents::{ContractFile, StoredTemplate};
use cpom_store::repo::contracts::{Contract, ContractFilter};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::services::{self, today};

/// A file format of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The whole contract, to print and sign.
    Pdf,
    /// The whole contract, editable.
    Docx,
    /// Annex 1 alone, as a workbook.
    Xlsx,
}

impl Format {
    /// Reads a file extension.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pdf" => Some(Format::Pdf),
            "docx" => Some(Format::Docx),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    /// File extension.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Xlsx => "xlsx",
        }
    }

    /// Media type.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// A file ready to download.
pub struct Download {
    /// Name proposed to the browser.
    pub file_name: String,
    /// Media type.
    pub mime: &'static str,
    /// Content.
    pub bytes: Vec<u8>,
}

/// Largest signed scan accepted.
pub const MAX_SCAN: u64 = 20 * 1024 * 1024;

/// The registry facts a contract prints, read on `on` (see
/// [`Store::registry_snapshot`](cpom_store::Store::registry_snapshot)).
pub async fn registry_snapshot(
    state: &AppState,
    ej: &FinessId,
    on: NaiveDate,
) -> Result<RegistrySnapshot, AppError> {
    Ok(state.store.registry_snapshot(ej, on).await?)
}

async fn document_of(
    state: &AppState,
    c: &Contract,
    template: &ContractTemplate,
) -> Result<ContractDocument, AppError> {
    let live;
    let registry = match &c.content.registry {
        Some(frozen) => frozen,
        None => {
            live = registry_snapshot(state, &c.ej, today()).await?;
            &live
        }
    };
    let region_name = cpom_domain::region::REGIONS
        .iter()
        .find(|r| r.code == c.region.as_str())
        .map_or_else(|| c.region.to_string(), |r| r.name.to_string());
    let settings = state.store.region_settings(&c.region).await?.bands;
    let band = c.band.map(|b| b.label(&settings));
    cpom_domain::contract_document::build(&DocumentInput {
        template,
        region_name: &region_name,
        title: &c.title,
        ej_name: &c.ej_name,
        ej_finess: c.ej.as_str(),
        start_year: c.start_year,
        end_year: c.end_year,
        state: c.state,
        avenant: c.avenant,
        band,
        content: &c.content,
        registry,
    })
    .map_err(|e| AppError::Internal(format!("contract template of {}: {e}", c.region)))
}

fn render(doc: &ContractDocument, format: Format) -> Result<Vec<u8>, AppError> {
    match format {
        Format::Pdf => Ok(cpom_docs::pdf::render(doc)),
        Format::Docx => cpom_docs::docx::render(doc).map_err(AppError::Internal),
        Format::Xlsx => cpom_docs::xlsx::render(doc).map_err(AppError::Internal),
    }
}

fn file_name(c: &Contract, format: Format) -> String {
    let what = if format == Format::Xlsx {
        "annexe-1"
    } else {
        "contrat"
    };
    format!(
        "cpom-{}-{what}-{}-v{}.{}",
        c.ej,
        c.id,
        c.avenant,
        format.ext()
    )
}

/// One contract the actor may see, as a file.
pub async fn contract_download(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    format: Format,
) -> Result<Download, AppError> {
    let c = services::contract(state, cu, id).await?;
    let template = state.store.contract_template(&c.region).await?.template;
    let doc = document_of(state, &c, &template).await?;
    Ok(Download {
        file_name: file_name(&c, format),
        mime: format.mime(),
        bytes: render(&doc, format)?,
    })
}

/// An earlier signed version of a contract the actor may see, as a file.
pub async fn version_download(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    avenant: i32,
    format: Format,
) -> Result<Download, AppError> {
    let (mut c, version, _) = services::contract_version(state, cu, id, avenant).await?;
    c.content = version.content;
    c.avenant = version.avenant;
    c.state = cpom_domain::contract::ContractState::Signed;
    let template = state.store.contract_template(&c.region).await?.template;
    let mut doc = document_of(state, &c, &template).await?;
    let this = if avenant == 0 {
        "Contrat initial".to_string()
    } else {
        format!("Avenant n°\u{a0}{avenant}")
    };
    doc.version_label = format!(
        "{this} — version signée, remplacée par l'avenant n°\u{a0}{}",
        avenant + 1
    );
    Ok(Download {
        file_name: file_name(&c, format),
        mime: format.mime(),
        bytes: render(&doc, format)?,
    })
}

/// Every contract of a region the actor may see, as PDF, DOCX and annex-1 XLSX in one ZIP.
pub async fn region_archive(
    state: &AppState,
    cu: &CurrentUser,
    raw_region: Option<&str>,
) -> Result<Download, AppError> {
    // Without a region asked for or of one's own (a national administrator, an
    // establishment's user): every contract one sees.
    let region = match (
        raw_region.map(str::trim).filter(|r| !r.is_empty()),
        &cu.user.region,
    ) {
        (None, None) => None,
        _ => Some(services::settings_region(cu, raw_region)?),
    };
    let _turn = state.heavy_export_turn().await?;
    let scope =
        cpom_domain::policy::list_filter(&cu.actor(), cpom_domain::policy::Listing::Contracts);
    let filter = ContractFilter {
        signed_only: cu.user.role == cpom_domain::Role::Observer,
        ..ContractFilter::default()
    };
    let mut templates: std::collections::HashMap<RegionCode, ContractTemplate> = Default::default();
    let mut docs = vec![];
    for c in services::all_contracts(state, &scope, &filter).await? {
        if region.as_ref().is_some_and(|r| *r != c.region) {
            continue;
        }
        if !templates.contains_key(&c.region) {
            let t = state.store.contract_template(&c.region).await?.template;
            templates.insert(c.region.clone(), t);
        }
        let doc = document_of(state, &c, &templates[&c.region]).await?;
        docs.push((c, doc));
    }
    if docs.is_empty() {
        return Err(AppError::field(
            "region",
            "aucun contrat de cette région ne vous est visible",
        ));
    }
    // Rendered one file at a time into the archive, off the async threads.
    let bytes = tokio::task::spawn_blocking(move || {
        let mut archive = Archive::new();
        for (c, doc) in &docs {
            for format in [Format::Pdf, Format::Docx, Format::Xlsx] {
                archive
                    .add(&file_name(c, format), &render(doc, format)?)
                    .map_err(AppError::Internal)?;
            }
        }
        archive.finish().map_err(AppError::Internal)
    })
    .await
    .map_err(|e| AppError::Internal(format!("archive task: {e}")))??;
    let which = region.map_or_else(|| "visibles".to_string(), |r| format!("region-{r}"));
    Ok(Download {
        file_name: format!("cpom-contrats-{which}-{}.zip", today().format("%Y%m%d")),
        mime: "application/zip",
        bytes,
    })
}

/// The contract template of a region (its administrators).
pub async fn template(
    state: &AppState,
    cu: &CurrentUser,
    raw_region: Option<&str>,
) -> Result<StoredTemplate, AppError> {
    let region = services::settings_region(cu, raw_region)?;
    cu.authorize(&Action::ManageRegionSettings(region.clone()))?;
    Ok(state.store.contract_template(&region).await?)
}

/// Saves the contract template of a region read at `version`.
pub async fn set_template(
    state: &AppState,
    cu: &CurrentUser,
    raw_region: Option<&str>,
    template: &ContractTemplate,
    version: i64,
) -> Result<StoredTemplate, AppError> {
    let region: RegionCode = services::settings_region(cu, raw_region)?;
    cu.authorize(&Action::ManageRegionSettings(region.clone()))?;
    Ok(state
        .store
        .set_contract_template(&cu.user.audit_actor(), &region, template, version)
        .await?)
}

/// Whether the actor may attach the signed scan of this contract (the agency of the
/// region, once the contract is signed).
pub fn can_attach_scan(cu: &CurrentUser, c: &Contract) -> bool {
    c.state.signed()
        && cu
            .authorize(&Action::PrepareContract(services::contract_scope(c)))
            .is_ok()
}

/// Attaches the signed scan (a PDF) of a signed contract.
pub async fn attach_signed_scan(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    file_name: &str,
    bytes: &[u8],
) -> Result<ContractFile, AppError> {
    let c = services::contract(state, cu, id).await?;
    cu.authorize(&Action::PrepareContract(services::contract_scope(&c)))?;
    if !c.state.signed() {
        return Err(AppError::Conflict(
            "le scan signé se dépose une fois la signature enregistrée".into(),
        ));
    }
    if !bytes.starts_with(b"%PDF-") {
        return Err(AppError::field(
            "file",
            format!("{file_name} : le scan signé doit être un fichier PDF"),
        ));
    }
    Ok(state
        .store
        .attach_contract_file(&cu.user.audit_actor(), id, "signed_scan", file_name, bytes)
        .await?)
}

/// The files attached to a contract the actor may see.
pub async fn files(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
) -> Result<Vec<ContractFile>, AppError> {
    let c = services::contract(state, cu, id).await?;
    Ok(state.store.contract_files(c.id).await?)
}

/// One attached file of a contract the actor may see.
pub async fn file_download(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    file_id: i64,
) -> Result<Download, AppError> {
    let c = services::contract(state, cu, id).await?;
    let (file, path) = state.store.contract_file(c.id, file_id).await?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| AppError::Internal(format!("contract file {}: {e}", file.id)))?;
    Ok(Download {
        file_name: file.file_name,
        mime: "application/pdf",
        bytes,
    })
}
