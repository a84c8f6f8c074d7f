//! Care mail through a real SMTP server (aiosmtpd) on loopback: queued
//! once, retried after a refusal for now, failed on a refusal for good,
//! held when the connection broke mid-message until an admin retries it,
//! and noted on the record when sent.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use domain::Change;
use domain::archive::{Consent, ContactChannel, FieldValue, InteractionKind};
use domain::care::{CareSettings, Skip, Template};
use domain::email::Email;
use domain::ids::{CustomerId, UserId};
use domain::mutation::FieldEdit;
use domain::policy::{Role, Viewer};
use server::mail::{Mailer, send_due};
use store::{CareSender, MailStatus};

use crate::support::{Session, TestApp};

/// aiosmtpd on a free loopback port, writing what it accepts to a directory.
struct SmtpServer {
    child: Child,
    port: u16,
}

impl SmtpServer {
    fn start(dir: &Path, options: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_server.py");
        let mut child = Command::new("/usr/bin/python3")
            .arg(script)
            .arg(port.to_string())
            .arg(dir)
            .args(options)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 with aiosmtpd (Debian's python3-aiosmtpd; the set-up installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP server did not start");
        Self { child, port }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An archive kept by `a`, born today (in 1980), with `email` and consent or not.
async fn customer(a: &mut Session, name: &str, email: &str, consent: bool) -> CustomerId {
    let id = a.create("a", name).await;
    let today = store::today();
    let born = domain::time::Date::new(1980, today.month(), today.day());
    let consent = Consent { marketing: consent, channel: Some(ContactChannel::Email), at: None, how: None };
    let edits = vec![
        FieldEdit { value: FieldValue::Birthday(born), base: 1 },
        FieldEdit { value: FieldValue::Emails(vec![Email::parse(email).unwrap()]), base: 1 },
        FieldEdit { value: FieldValue::Consent(consent), base: 1 },
    ];
    let outcome = a.push(id, Change::SetFields { edits }).await;
    assert_eq!(outcome["status"], "applied", "{outcome}");
    id
}

fn received(dir: &Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect()
}

#[tokio::test]
async fn a_birthday_greeting_goes_out_once_retried_held_or_failed_as_the_mail_server_answers() {
    let app = TestApp::spawn().await;
    let admin = Viewer { user: UserId("root".into()), role: Role::Admin, team: None };
    let mut a = app.sign_in("a").await;
    // Claimed in the order they were made: the first meets the refusal for now.
    let wang = customer(&mut a, "王芳", "wang@example.com", true).await;
    customer(&mut a, "李雷", "li@example.com", false).await;
    customer(&mut a, "韩梅", "nobody@example.com", true).await;
    customer(&mut a, "断线", "drop@example.com", true).await;
    let greeting = Template {
        subject: "{name}，生日快乐".into(),
        body: "亲爱的{name}：\n祝您生日快乐！\n—— {keeper}".into(),
    };
    let settings = CareSettings {
        birthday_greeting: Some(greeting),
        quiet_from_hour: 0,
        quiet_until_hour: 0,
        ..CareSettings::default()
    };
    app.store.save_care_settings(&admin, &settings).await.unwrap();

    let today = store::today();
    let run = app.store.run_reminders(today, today, false).await.unwrap();
    assert_eq!(run.queued, 3, "{:?}", run.care);
    let li = run.care.iter().find(|c| c.name == "李雷").unwrap();
    assert_eq!(li.to, Err(Skip::NoConsent));
    let again = app.store.run_reminders(today, today, false).await.unwrap();
    assert_eq!(again.queued, 0, "a greeting is queued once");

    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(
        dir.path(),
        &["--refuse-first", "1", "--reject", "nobody@example.com", "--drop-first", "drop@example.com"],
    );
    let mailer =
        Mailer::new(&format!("smtp://127.0.0.1:{}", smtp.port), "客户关怀 <care@example.com>").unwrap();
    let mut sender = CareSender::new();
    let now = store::now_millis();
    assert_eq!(send_due(&app.store, &mailer, "s1", &mut sender, now).await, 3);
    assert!(received(dir.path()).is_empty(), "refused, rejected, dropped");
    assert_eq!(send_due(&app.store, &mailer, "s1", &mut sender, now).await, 0, "the retry waits a minute");

    let view = app.store.outbox(&admin).await.unwrap();
    assert_eq!((view.queued, view.sent), (1, 0));
    let failed = view.problems.iter().find(|m| m.to == "nobody@example.com").unwrap();
    assert_eq!(failed.status, MailStatus::Failed);
    assert!(failed.last_error.as_deref().unwrap_or_default().contains("550"), "{failed:?}");
    let held = view.problems.iter().find(|m| m.to == "drop@example.com").unwrap().clone();
    assert_eq!(held.status, MailStatus::Uncertain, "may have been delivered: not sent again by itself");

    let later = now + 61_000;
    assert_eq!(send_due(&app.store, &mailer, "s1", &mut sender, later).await, 1);
    let mails = received(dir.path());
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("To: wang@example.com"), "{}", mails[0]);
    assert!(mails[0].contains("care@example.com"), "{}", mails[0]);

    // An admin who checked with the customer sends the held one again,
    // under the Message-ID it had.
    app.store.retry_mail(&admin, &held.key).await.unwrap();
    assert_eq!(send_due(&app.store, &mailer, "s1", &mut sender, later).await, 1);
    let mails = received(dir.path());
    assert_eq!(mails.len(), 2);
    assert!(mails[1].contains(&format!("Message-ID: {}", held.message_id)), "{}", mails[1]);
    assert_eq!(send_due(&app.store, &mailer, "s1", &mut sender, later + 3_600_000).await, 0);
    assert_eq!(app.store.outbox(&admin).await.unwrap().sent, 2);

    // The greeting is on the record, by the system, so the keeper sees it.
    let (record, _) = app.store.customer_for(&admin, &wang.to_string()).await.unwrap().unwrap();
    let noted: Vec<_> = record.interactions.values().map(|i| i.value()).collect();
    assert!(
        noted.iter().any(|i| i.kind == InteractionKind::Email && i.summary == "王芳，生日快乐"),
        "{noted:?}"
    );
}

#[tokio::test]
async fn care_settings_and_the_outbox_are_for_admins_and_a_bad_template_is_refused_by_field() {
    let app = TestApp::spawn().await;
    let rep = app.sign_in("a").await;
    assert_eq!(rep.form("care", &[]).await.status(), 403);
    let root = app.sign_in("root").await;
    let view: serde_json::Value = root.form("care", &[]).await.json().await.unwrap();
    assert_eq!(view["mail_configured"], false, "{view}");
    assert_eq!(view["settings"]["quiet_from_hour"], 21);

    let settings = |subject: &str| {
        serde_json::json!({ "settings": {
            "birthday_greeting": { "subject": subject, "body": "{name}，生日快乐" },
            "quiet_from_hour": 21, "quiet_until_hour": 9, "monthly_cap": 2,
        }})
    };
    let refused = root.json("care/save", settings("你好{phone}")).await;
    assert_eq!(refused.status(), 422);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(body.to_string().contains("subject.invalid"), "{body}");
    let saved = root.json("care/save", settings("{name}，生日快乐")).await;
    assert!(saved.status().is_success());
    let view: serde_json::Value = root.form("care", &[]).await.json().await.unwrap();
    assert_eq!(view["settings"]["birthday_greeting"]["subject"], "{name}，生日快乐", "{view}");
    assert_eq!(rep.json("care/save", settings("x")).await.status(), 403);
}
