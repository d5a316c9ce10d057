//! Campaign reminders, run daily by `cpom remind`: in the days before an open campaign's
//! deadline, the users of the legal entities with declarations still to enter, and the
//! agency of the region when declarations await validation, get an in-app notification and
//! an e-mail — never the same reminder twice the same day.

use std::path::PathBuf;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use chrono::NaiveDate;
use cpom_domain::ScopeFilter;
use cpom_store::repo::notifications::Audience;
use cpom_store::{Store, StoreError};

/// Where e-mails go.
#[derive(Clone)]
pub enum Transport {
    /// Written to the log (the default).
    Log,
    /// Written as `.eml` files into a folder (for a mail relay to pick up, or to read).
    File(PathBuf),
    /// Sent to an SMTP server.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Log => write!(f, "Log"),
            Transport::File(dir) => write!(f, "File({})", dir.display()),
            Transport::Smtp(_) => write!(f, "Smtp"),
        }
    }
}

impl Transport {
    /// An SMTP transport from a URL: `smtp://host:25` (plain), `smtp://user:password@host:587?tls=required`
    /// (STARTTLS), `smtps://user:password@host:465` (TLS from the start). The server's
    /// certificate is checked against the system's certificate store.
    pub fn smtp(url: &str) -> Result<Self, String> {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url.trim())
            .map(|b| Transport::Smtp(b.build()))
            .map_err(|e| format!("adresse SMTP invalide ({e}) : attendu smtp://hôte:port, smtp://utilisateur:motdepasse@hôte:587?tls=required ou smtps://hôte:465"))
    }
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
    /// E-mails that could not be delivered (the in-app notification was given; logged).
    pub failed: usize,
}

/// A plain-text e-mail in UTF-8.
fn message(from: &str, to: &str, subject: &str, body: &str) -> Result<Message, String> {
    let from: Mailbox = from
        .parse()
        .map_err(|e| format!("expéditeur « {from} » invalide : {e}"))?;
    let to: Mailbox = to
        .parse()
        .map_err(|e| format!("destinataire « {to} » invalide : {e}"))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_owned())
        .map_err(|e| format!("message invalide : {e}"))
}

async fn deliver(transport: &Transport, n: usize, mail: &Message) -> Result<(), String> {
    match transport {
        Transport::Log => {
            let to: Vec<String> = mail
                .envelope()
                .to()
                .iter()
                .map(ToString::to_string)
                .collect();
            tracing::info!(to = ?to, bytes = mail.formatted().len(), "reminder e-mail");
            Ok(())
        }
        Transport::File(dir) => {
            let name = format!(
                "{}-{n:05}.eml",
                chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f")
            );
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| format!("{}: {e}", dir.display()))?;
            tokio::fs::write(dir.join(name), mail.formatted())
                .await
                .map_err(|e| format!("{}: {e}", dir.display()))
        }
        Transport::Smtp(smtp) => smtp
            .send(mail.clone())
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP : {e}")),
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
            // The in-app notification is given; a mail that cannot go is logged and counted.
            match async { deliver(transport, summary.sent, &mail?).await }.await {
                Ok(()) => summary.sent += 1,
                Err(error) => {
                    tracing::warn!(user, error, "reminder e-mail not delivered");
                    summary.failed += 1;
                }
            }
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_encoded_and_bad_addresses_refused() {
        let m = message("a@b.fr", "c@d.fr", "Échéance", "ligne 1\nligne 2").expect("message");
        let text = String::from_utf8(m.formatted()).expect("utf-8");
        assert!(
            text.contains("Subject: =?utf-8?b?w4ljaMOpYW5jZQ==?="),
            "{text}"
        );
        assert!(text.contains("From: a@b.fr\r\n"), "{text}");
        let e = message("pas une adresse", "c@d.fr", "s", "b").expect_err("bad sender");
        assert!(
            e.starts_with("expéditeur « pas une adresse » invalide"),
            "{e}"
        );
        assert!(Transport::smtp("smtp://relais.ars.fr:587?tls=required").is_ok());
        assert!(Transport::smtp("http://relais").is_err());
    }
}
