//! Reminders to record keepers: the daily run that fires them, and each
//! keeper's list of notifications.
//!
//! A fired reminder is a `notification` row whose record id is the
//! reminder's key ([`domain::reminder::Reminder::key`]). Writing it is an
//! `INSERT IGNORE`, so an occasion fires once however often a day is run
//! (a restart, a catch-up, two servers racing past the job's lease).

use domain::archive::Customer;
use domain::calendar::Festival;
use domain::care::{self, CareSettings, Skip, Template, Values};
use domain::ids::{CustomerId, UserId};
use domain::policy::{self, Role, Viewer};
use domain::reminder::{
    Notification, Reminder, ReminderKind, festivals_to_tell, reminders_between, services_between,
};
use domain::time::Date;
use serde::{Deserialize, Serialize};

use crate::query::{take_all, take_one};
use crate::{Store, StoreError};

/// Archives read per page by the daily run.
const PAGE: usize = 1000;
/// Notifications a keeper's list shows.
pub const MAX_NOTIFICATIONS: usize = 200;
/// Reminders a morning digest lists (the rest are counted).
const DIGEST_LINES: usize = 30;

/// What a run of the reminders found and fired.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderRun {
    /// Archives read.
    pub scanned: usize,
    /// Reminders due in the run's days, fired now or before.
    pub due: Vec<Reminder>,
    /// How many of them this run fired (0 for a dry run).
    pub fired: usize,
    /// Care messages due on the run's last day (birthday and festival
    /// greetings), or why not.
    pub care: Vec<CareMail>,
    /// How many of them this run queued (0 for a dry run).
    pub queued: usize,
    /// Festivals told of in the run's days, with their days.
    pub festivals: Vec<(Festival, Date)>,
    /// How many festival notifications this run wrote (0 for a dry run).
    pub festival_notes: usize,
}

/// What a care message greets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Occasion {
    Birthday,
    Festival(Festival),
}

/// A care message the run found due: to whom, or why it is not sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareMail {
    /// The archive.
    pub customer: CustomerId,
    /// Its name.
    pub name: String,
    /// The address, or why there is none to write to.
    pub to: Result<String, Skip>,
}

#[derive(Deserialize)]
struct DocRow {
    id: String,
    doc: String,
}

#[derive(Deserialize)]
struct NotificationRow {
    key: String,
    kind: ReminderKind,
    customer: String,
    name: String,
    on: String,
    lunar: bool,
    keeper: Option<String>,
    at: i64,
    read: bool,
}

impl NotificationRow {
    fn into_notification(self) -> Option<Notification> {
        let on = Date::parse_field(&self.on, "on").ok()?;
        let customer = if self.customer.is_empty() { None } else { Some(self.customer.parse().ok()?) };
        Some(Notification {
            key: self.key,
            kind: self.kind,
            customer,
            name: self.name,
            on,
            lunar: self.lunar,
            keeper: self.keeper.map(UserId),
            at: self.at,
            read: self.read,
        })
    }
}

impl Store {
    /// Fires the reminders a run covering the days `from` to `to` gives
    /// (see [`reminders_between`]) to the keepers of the archives, or for
    /// an overdue complaint to their managers, unless `dry_run`. An
    /// occasion fired before, by this run or another, is not fired again.
    ///
    /// Care messages the company sends (birthday and festival greetings)
    /// are queued in the outbox for the run's last day, `to`, once each.
    pub async fn run_reminders(
        &self,
        from: Date,
        to: Date,
        dry_run: bool,
    ) -> Result<ReminderRun, StoreError> {
        let mut run = ReminderRun::default();
        let care_settings = self.care_settings().await?;
        let festival = care_settings.festival_on(to);
        let mut after = String::new();
        loop {
            let mut response = self
                .db
                // Pages by key range from the last id: a filter on the id instead read
                // the table from its start for every page (minutes at 100,000 archives).
                .query(
                    "SELECT record::id(id) AS id, doc FROM type::record('customer', $after>..)
                     WHERE owner != NONE AND deleted = false LIMIT $limit",
                )
                .bind(("after", after.clone()))
                .bind(("limit", PAGE as i64))
                .await
                .map_err(StoreError::from_db)?;
            let rows: Vec<DocRow> = take_all(&mut response, 0)?;
            let Some(last) = rows.last() else { break };
            after = last.id.clone();
            let full = rows.len() == PAGE;
            run.scanned += rows.len();
            let customers: Vec<Customer> = rows
                .iter()
                .filter_map(|row| {
                    serde_json::from_str(&row.doc)
                        .map_err(|_| tracing::error!(customer = %row.id, "stored archive does not parse"))
                        .ok()
                })
                .collect();
            let intervals = &care_settings.service_intervals;
            let due: Vec<Reminder> = customers
                .iter()
                .flat_map(|c| {
                    let mut due = reminders_between(c, from, to);
                    due.extend(services_between(c, intervals, from, to));
                    due
                })
                .collect();
            let mut greetings = Vec::new();
            if let Some(template) = &care_settings.birthday_greeting {
                let born_today: Vec<&Customer> = customers.iter().filter(|c| birthday_on(c, to)).collect();
                greetings.push((Occasion::Birthday, template, born_today));
            }
            if let (Some(festival), Some(greeting)) = (festival, &care_settings.festival_greeting) {
                greetings.push((
                    Occasion::Festival(festival),
                    &greeting.template,
                    customers.iter().collect(),
                ));
            }
            for (occasion, template, customers) in greetings.into_iter().filter(|(_, _, c)| !c.is_empty()) {
                let (found, queued) =
                    self.greet(&care_settings, occasion, template, &customers, to, dry_run).await?;
                run.care.extend(found);
                run.queued += queued;
            }
            if !dry_run && !due.is_empty() {
                run.fired += self.fire(&due).await?;
            }
            run.due.extend(due);
            if !full {
                break;
            }
        }
        run.festivals = festivals_to_tell(from, to);
        if !dry_run {
            run.festival_notes = self.fire_festivals(&run.festivals).await?;
        }
        tracing::info!(from = %from, to = %to, scanned = run.scanned, due = run.due.len(), fired = run.fired, "reminders run");
        Ok(run)
    }

    /// Queues each user who asked for it the morning digest of `day`: their
    /// unread reminders, oldest occasion first, in one message to their
    /// own address, once a day; how many (a dry run: how many it would).
    pub async fn send_digests(&self, day: Date, dry_run: bool) -> Result<usize, StoreError> {
        let users = self.list_users().await?;
        let month = format!("{:04}-{:02}", day.year(), day.month());
        let mut mails = Vec::new();
        for user in users.iter().filter(|u| u.digest && !u.disabled) {
            let Some(to) = &user.email else { continue };
            let (list, _) = self.notifications(&user.id).await?;
            let mut open: Vec<&Notification> = list.iter().filter(|n| !n.read).collect();
            if open.is_empty() {
                continue;
            }
            open.sort_by_key(|n| n.on);
            let lines: Vec<String> = open
                .iter()
                .take(DIGEST_LINES)
                .map(|n| match n.kind {
                    ReminderKind::Festival => {
                        let festival = Festival::ALL.into_iter().find(|f| f.as_str() == n.name);
                        format!("{}  {}", n.on, festival.map_or(n.name.as_str(), |f| f.name_zh()))
                    }
                    _ => format!("{}  {}  {}", n.on, n.kind.name_zh(), n.name),
                })
                .collect();
            let more = open.len().saturating_sub(DIGEST_LINES);
            let tail = if more > 0 { format!("\n……还有 {more} 条。") } else { String::new() };
            mails.push(crate::NewMail {
                key: format!("digest:{}:{day}", user.id),
                kind: "digest",
                customer: None,
                to: to.clone(),
                subject: format!("今天的客户提醒（{} 条）", open.len()),
                body: format!(
                    "{}，早上好！\n\n{}{tail}\n\n在“提醒”页面查看并标为已读。",
                    user.display_name,
                    lines.join("\n")
                ),
                // Mail to a colleague, not a customer: no quiet hours.
                not_before: crate::now_millis(),
                month: month.clone(),
            });
        }
        if dry_run {
            return Ok(mails.len());
        }
        self.queue_mail(&mails).await
    }

    /// Fires `today`'s reminders now, as an admin asks from the app (after
    /// an import, say): the daily job's work for the day, each occasion still once.
    pub async fn run_reminders_now(&self, viewer: &Viewer, today: Date) -> Result<ReminderRun, StoreError> {
        if !policy::may_run_automation(viewer) {
            return Err(StoreError::Forbidden("automation.forbidden".into()));
        }
        self.run_reminders(today, today, false).await
    }

    /// Queues the greeting for `occasion` to each of `customers` on `day`
    /// who may get one (consent, an address, the month's cap); what it
    /// found, and how many it queued.
    async fn greet(
        &self,
        care: &CareSettings,
        occasion: Occasion,
        template: &Template,
        customers: &[&Customer],
        day: Date,
        dry_run: bool,
    ) -> Result<(Vec<CareMail>, usize), StoreError> {
        let keepers: Vec<UserId> = customers.iter().filter_map(|c| c.fields.owner.clone()).collect();
        let names = self.names_of(&keepers).await?;
        let month = format!("{:04}-{:02}", day.year(), day.month());
        let not_before = care.send_after(domain::time::Timestamp(crate::now_millis())).0;
        let reachable: Vec<String> =
            customers.iter().filter(|c| care::recipient(c).is_ok()).map(|c| c.id.to_string()).collect();
        let sent = self.care_sent_in(reachable, &month).await?;
        let mut found = Vec::new();
        let mut mails = Vec::new();
        for customer in customers {
            let id = customer.id.to_string();
            let mut to = care::recipient(customer).map(|email| email.as_str().to_owned());
            if to.is_ok() && !care.within_cap(sent.get(&id).copied().unwrap_or(0)) {
                to = Err(Skip::Capped);
            }
            if let Ok(address) = &to {
                let keeper = customer.fields.owner.as_ref();
                let values = Values {
                    name: customer.fields.name.as_str().to_owned(),
                    date: format!("{}月{}日", day.month(), day.day()),
                    keeper: keeper
                        .map(|k| names.get(k).cloned().unwrap_or_else(|| k.0.clone()))
                        .unwrap_or_default(),
                    festival: match occasion {
                        Occasion::Festival(festival) => festival.name_zh().to_owned(),
                        Occasion::Birthday => String::new(),
                    },
                };
                let (subject, body) = template.render(&values);
                let (kind, key) = match occasion {
                    Occasion::Birthday => ("care_birthday", format!("care:birthday:{id}:{day}")),
                    Occasion::Festival(f) => {
                        ("care_festival", format!("care:festival:{}:{id}:{day}", f.as_str()))
                    }
                };
                mails.push(crate::NewMail {
                    key,
                    kind,
                    customer: Some(id),
                    to: address.clone(),
                    subject,
                    body,
                    not_before,
                    month: month.clone(),
                });
            }
            found.push(CareMail {
                customer: customer.id,
                name: customer.fields.name.as_str().to_owned(),
                to,
            });
        }
        let queued = if dry_run { 0 } else { self.queue_mail(&mails).await? };
        Ok((found, queued))
    }

    /// Writes the notifications of `due` that do not exist yet; how many.
    async fn fire(&self, due: &[Reminder]) -> Result<usize, StoreError> {
        let now = crate::now_millis();
        // An overdue complaint goes to the keeper's managers (admins when
        // the keeper has no team or it has no manager), each told once.
        let users =
            if due.iter().any(|r| r.kind.escalates()) { self.list_users().await? } else { Vec::new() };
        let told = |r: &Reminder| -> Vec<UserId> {
            if !r.kind.escalates() {
                return vec![r.keeper.clone()];
            }
            let team = users.iter().find(|u| u.id == r.keeper).and_then(|u| u.team.clone());
            let active = |role: Role| users.iter().filter(move |u| u.role == role && !u.disabled);
            let managers: Vec<UserId> = active(Role::Manager)
                .filter(|u| team.is_some() && u.team == team)
                .map(|u| u.id.clone())
                .collect();
            if managers.is_empty() { active(Role::Admin).map(|u| u.id.clone()).collect() } else { managers }
        };
        let rows: Vec<serde_json::Value> = due
            .iter()
            .flat_map(|r| told(r).into_iter().map(move |user| (r, user)))
            .map(|(r, user)| {
                let escalated = r.kind.escalates();
                let key = if escalated { format!("{}>{}", r.key(), user) } else { r.key() };
                crate::query::without_nulls(serde_json::json!({
                    "key": key,
                    "user": user.0,
                    "kind": r.kind.as_str(),
                    "customer": r.customer.to_string(),
                    "name": r.name,
                    "on": r.on.to_string(),
                    "lunar": r.lunar,
                    "keeper": escalated.then(|| r.keeper.0.clone()),
                    "at": now,
                }))
            })
            .collect();
        self.insert_notifications(rows).await
    }

    /// Tells every active rep and manager of `festivals` (each with its
    /// day), once each; how many notifications were new.
    async fn fire_festivals(&self, festivals: &[(Festival, Date)]) -> Result<usize, StoreError> {
        if festivals.is_empty() {
            return Ok(0);
        }
        let now = crate::now_millis();
        let users = self.list_users().await?;
        let told = users.iter().filter(|u| !u.disabled && matches!(u.role, Role::Rep | Role::Manager));
        let rows: Vec<serde_json::Value> = told
            .flat_map(|user| festivals.iter().map(move |(festival, on)| (user, festival, on)))
            .map(|(user, festival, on)| {
                serde_json::json!({
                    "key": format!("festival:{}:{on}>{}", festival.as_str(), user.id),
                    "user": user.id.0,
                    "kind": ReminderKind::Festival.as_str(),
                    "customer": "",
                    "name": festival.as_str(),
                    "on": on.to_string(),
                    "lunar": false,
                    "at": now,
                })
            })
            .collect();
        self.insert_notifications(rows).await
    }

    /// Writes the notification `rows` whose keys are new; how many.
    async fn insert_notifications(&self, rows: Vec<serde_json::Value>) -> Result<usize, StoreError> {
        // Two runners writing one key at once: the loser retries, and then
        // finds it written.
        for attempt in 0.. {
            let result = self
                .db
                .query(
                    "INSERT IGNORE INTO notification
                       array::map($rows, |$r| object::extend($r, { id: type::record('notification', $r.key), read: false }))
                     RETURN record::id(id) AS key",
                )
                .bind(("rows", rows.clone()))
                .await
                .and_then(crate::error::explain);
            match result {
                Ok(mut response) => {
                    let written: Vec<serde_json::Value> = take_all(&mut response, 0)?;
                    return Ok(written.len());
                }
                Err(error) if attempt < 5 && crate::sync::retryable(&error) => continue,
                Err(error) => return Err(StoreError::from_db(error)),
            }
        }
        unreachable!("the loop returns")
    }

    /// The newest notifications of `user`, and how many are unread.
    pub async fn notifications(&self, user: &UserId) -> Result<(Vec<Notification>, u64), StoreError> {
        let mut response = self
            .db
            .query(
                "SELECT key, kind, customer, name, on, lunar, keeper, at, read FROM notification
                   WHERE user = $user ORDER BY at DESC, key LIMIT $limit;
                 SELECT count() AS n FROM notification WHERE user = $user AND read = false GROUP ALL;",
            )
            .bind(("user", user.0.clone()))
            .bind(("limit", MAX_NOTIFICATIONS as i64))
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<NotificationRow> = take_all(&mut response, 0)?;
        let unread: Option<Count> = take_one(&mut response, 1)?;
        Ok((
            rows.into_iter().filter_map(NotificationRow::into_notification).collect(),
            unread.map_or(0, |c| c.n),
        ))
    }

    /// Marks `keys` (every unread one when `None`) of `user`'s
    /// notifications read; another user's keys are left alone.
    pub async fn mark_notifications_read(
        &self,
        user: &UserId,
        keys: Option<Vec<String>>,
    ) -> Result<(), StoreError> {
        let query = match keys {
            Some(_) => {
                "UPDATE notification SET read = true
                   WHERE user = $user AND read = false AND record::id(id) IN $keys"
            }
            None => "UPDATE notification SET read = true WHERE user = $user AND read = false",
        };
        self.db
            .query(query)
            .bind(("user", user.0.clone()))
            .bind(("keys", keys.unwrap_or_default()))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        Ok(())
    }

    /// The last day a daily job finished, if it ever did.
    pub async fn job_last_done(&self, name: &str) -> Result<Option<Date>, StoreError> {
        let mut response = self
            .db
            .query("SELECT VALUE last_done FROM type::record('job', $name)")
            .bind(("name", name.to_owned()))
            .await
            .map_err(StoreError::from_db)?;
        let day: Option<Option<String>> = take_one(&mut response, 0)?;
        Ok(day.flatten().and_then(|d| Date::parse_field(&d, "last_done").ok()))
    }
}

#[derive(Deserialize)]
struct Count {
    n: u64,
}

/// Whether `customer`'s birthday (solar or lunar) falls on `day`.
fn birthday_on(customer: &Customer, day: Date) -> bool {
    customer
        .fields
        .birthday
        .and_then(|born| domain::calendar::next_birthday(born, customer.fields.birthday_lunar, day))
        == Some(day)
}
