//! Campaign reminders, run daily by `cpom remind`: in the days before an open campaign's
//! deadline, the users of the legal entities with declarations still to enter, and the
//! agency of the region when declarations await validation, get an in-app notification and
//! an e-mail — never the same reminder twice the same day.

use std::path::PathBuf;

use chrono::NaiveDate;
use cpom_domain::ScopeFilter;
use cpom_store::repo::notifications::Audience;
use cpom_store::{Store, StoreError};

/// Where e-mails go.
#[derive(Debug, Clone)]
pub enum Transport {
    /// Written to the log (the default).
    Log,
    /// Written as `.eml` files into a folder (for a mail relay to pick up, or to read).
    File(PathBuf),
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Campaigns whose reminders were due.
    pub campaigns: usize,
    /// Reminders sent.
    pub sent: usize,
    /// Reminders already sent that day, not sent again.
    pub skipped: usize,
}

/// An e-mail as RFC 5322 text, the subject encoded for non-ASCII letters.
fn message(from: &str, to: &str, subject: &str, body: &str) -> String {
    use base64::Engine;
    use std::fmt::Write;
    let mut encoded = String::new();
    for chunk in subject.as_bytes().chunks(45) {
        let _ = write!(
            encoded,
            " =?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(chunk)
        );
    }
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject:{encoded}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n",
        body.replace('\n', "\r\n")
    )
}

fn deliver(transport: &Transport, n: usize, to: &str, mail: &str) -> Result<(), StoreError> {
    match transport {
        Transport::Log => {
            tracing::info!(to, bytes = mail.len(), "reminder e-mail");
            Ok(())
        }
        Transport::File(dir) => {
            std::fs::create_dir_all(dir)?;
            let name = format!(
                "{}-{n:05}.eml",
                chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f")
            );
            std::fs::write(dir.join(name), mail)?;
            Ok(())
        }
    }
}

/// Sends the reminders due on `today` for deadlines within `days` days.
pub async fn send(
    store: &Store,
    transport: &Transport,
    from: &str,
    days: i64,
    today: NaiveDate,
) -> Result<Summary, StoreError> {
    let mut summary = Summary::default();
    for c in store.list_campaigns(&ScopeFilter::All).await? {
        let campaign = c.campaign;
        if !cpom_domain::campaign::reminder_due(campaign.open, campaign.deadline, days, today) {
            continue;
        }
        summary.campaigns += 1;
        let deadline = cpom_domain::territory::date_fr(campaign.deadline);
        let link = format!("/campagnes/{}", campaign.id);
        let (pending, awaiting) = store.reminder_targets(campaign.id).await?;
        let mut targets: Vec<(i64, &str, String)> = vec![];
        for ej in &pending {
            for user in store.audience(Audience::Establishment(ej), None).await? {
                targets.push((
                    user,
                    "declare",
                    format!(
                        "Campagne « {} » : des déclarations de votre établissement restent à saisir ou à soumettre avant le {deadline}.",
                        campaign.title
                    ),
                ));
            }
        }
        if awaiting {
            let agency = Audience::Agency {
                region: &campaign.region,
                negotiator: None,
            };
            for user in store.audience(agency, None).await? {
                targets.push((
                    user,
                    "validate",
                    format!(
                        "Campagne « {} » : des déclarations soumises attendent votre validation.",
                        campaign.title
                    ),
                ));
            }
        }
        for (user, kind, text) in targets {
            if !store
                .record_reminder(user, campaign.id, kind, today)
                .await?
            {
                summary.skipped += 1;
                continue;
            }
            store.notify(&[user], None, &text, &link).await?;
            let account = store.get_user(user).await?;
            let mail = message(
                from,
                account.email.as_str(),
                &format!("cpom — rappel : {}", campaign.title),
                &format!(
                    "Bonjour {},\n\n{text}\n\nÉchéance : {deadline}.\nLien : {link}\n",
                    account.display_name
                ),
            );
            deliver(transport, summary.sent, account.email.as_str(), &mail)?;
            summary.sent += 1;
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_encoded_and_lines_end_with_crlf() {
        let m = message("a@b.fr", "c@d.fr", "Échéance", "ligne 1\nligne 2");
        assert!(m.contains("Subject: =?UTF-8?B?w4ljaMOpYW5jZQ==?="), "{m}");
        assert!(m.ends_with("ligne 1\r\nligne 2\r\n"));
    }
}
