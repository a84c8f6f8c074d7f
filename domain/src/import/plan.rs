//! A verdict for every row before anything is written, and the changes
//! that carry the verdicts out. A dry run shows the verdicts; a commit
//! pushes these very changes, so what the dry run said is what happens.

use std::collections::{BTreeSet, HashMap};

use crate::archive::{Customer, FieldValue, Fields};
use crate::custom_field::{CustomEdit, CustomFields};
use crate::ids::{ClientId, CustomerId, MutationId, UserId};
use crate::mutation::FieldEdit;
use crate::time::{Date, Timestamp};
use crate::{ApplyContext, Change, FieldError, Mutation, apply};
use serde::{Deserialize, Serialize};

use super::cells::{Issue, ReadRow, read_row};
use super::columns::Target;

/// Which values find a customer the archive already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchKeys {
    /// The same phone number.
    pub phone: bool,
    /// The same email address.
    pub email: bool,
    /// The same name in the same city.
    pub name_city: bool,
}

impl Default for MatchKeys {
    fn default() -> Self {
        Self { phone: true, email: true, name_city: false }
    }
}

/// Who keeps the customers an import creates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "keeper", content = "user", rename_all = "snake_case")]
pub enum Keeper {
    /// One rep.
    User(UserId),
    /// Nobody: the public pool.
    Pool,
    /// The user named in the file's keeper column (one rep when empty).
    Column(UserId),
}

/// What becomes of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// A new archive.
    Create,
    /// An archive that exists gets the row's values.
    Update {
        /// The archive.
        customer: CustomerId,
        /// The fields that change (`phones`, `custom:level`, `tag:VIP` ...).
        changes: Vec<String>,
    },
    /// Nothing is written.
    Skip {
        /// `duplicate` (of an earlier row of the file) or `unchanged`.
        reason: String,
        /// The earlier row, for a duplicate; the archive, for unchanged.
        of: String,
    },
    /// The row breaks a rule; nothing of it is written.
    Error {
        /// What is wrong, cell by cell.
        issues: Vec<Issue>,
    },
}

impl Verdict {
    /// Where the verdict counts among create, update, skip and error.
    pub fn slot(&self) -> usize {
        match self {
            Verdict::Create => 0,
            Verdict::Update { .. } => 1,
            Verdict::Skip { .. } => 2,
            Verdict::Error { .. } => 3,
        }
    }
}

/// One row's verdict and the changes that carry it out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Planned {
    /// The row's line in the file (the headers are line 1).
    pub line: usize,
    /// The customer's name as the row gives it.
    pub name: String,
    /// What becomes of it.
    pub verdict: Verdict,
    /// Conversions the row was read with.
    pub notes: Vec<Issue>,
    /// The changes, in order, each for one archive.
    #[serde(skip)]
    pub changes: Vec<(CustomerId, Change)>,
}

/// Every row's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Plan {
    /// One per data row, in file order.
    pub rows: Vec<Planned>,
}

impl Plan {
    /// How many rows have each verdict: create, update, skip, error.
    pub fn counts(&self) -> [usize; 4] {
        let mut counts = [0; 4];
        for row in &self.rows {
            counts[row.verdict.slot()] += 1;
        }
        counts
    }

    /// Every change of every row, in file order.
    pub fn changes(&self) -> impl Iterator<Item = &(CustomerId, Change)> {
        self.rows.iter().flat_map(|r| &r.changes)
    }
}

/// An archive as the match keys find it: its id and the values they
/// compare, without the rest of it (an import holds one per archive the
/// importer sees, and fetches the whole archive only for a row that finds it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Findable {
    /// The archive.
    pub id: CustomerId,
    /// Its phone numbers, E.164.
    pub phones: Vec<String>,
    /// Its email addresses.
    pub emails: Vec<String>,
    /// Its name.
    pub name: String,
    /// Its city.
    pub city: Option<String>,
}

impl Findable {
    /// The values of `customer` the match keys compare.
    pub fn of(customer: &Customer) -> Self {
        let f = &customer.fields;
        Self {
            id: customer.id,
            phones: f.phones.iter().map(|p| p.number.e164().to_owned()).collect(),
            emails: f.emails.iter().map(|e| e.as_str().to_owned()).collect(),
            name: f.name.as_str().to_owned(),
            city: f.address.city.clone(),
        }
    }
}

/// What the archive holds, indexed by the match keys: the first archive
/// (in the order given) that has a value wins it.
struct Index<'a> {
    phone: HashMap<&'a str, CustomerId>,
    email: HashMap<&'a str, CustomerId>,
    name_city: HashMap<(&'a str, &'a str), CustomerId>,
}

impl<'a> Index<'a> {
    fn of(existing: &'a [Findable]) -> Self {
        let mut index = Index { phone: HashMap::new(), email: HashMap::new(), name_city: HashMap::new() };
        for found in existing {
            for phone in &found.phones {
                index.phone.entry(phone).or_insert(found.id);
            }
            for email in &found.emails {
                index.email.entry(email).or_insert(found.id);
            }
            if let Some(city) = &found.city {
                index.name_city.entry((&found.name, city)).or_insert(found.id);
            }
        }
        index
    }

    fn find(&self, fields: &Fields, keys: MatchKeys) -> Option<CustomerId> {
        let by_phone = || fields.phones.iter().find_map(|p| self.phone.get(p.number.e164()).copied());
        let by_email = || fields.emails.iter().find_map(|e| self.email.get(e.as_str()).copied());
        let by_name = || {
            let city = fields.address.city.as_deref()?;
            self.name_city.get(&(fields.name.as_str(), city)).copied()
        };
        keys.phone
            .then(by_phone)
            .flatten()
            .or_else(|| keys.email.then(by_email).flatten())
            .or_else(|| keys.name_city.then(by_name).flatten())
    }
}

/// The keys a row is found by, to find duplicates within the file.
fn row_keys(fields: &Fields, keys: MatchKeys) -> Vec<String> {
    let mut out = Vec::new();
    if keys.phone {
        out.extend(fields.phones.iter().map(|p| format!("phone:{}", p.number.e164())));
    }
    if keys.email {
        out.extend(fields.emails.iter().map(|e| format!("email:{}", e.as_str())));
    }
    if keys.name_city {
        out.extend(fields.address.city.iter().map(|c| format!("name:{}/{c}", fields.name.as_str())));
    }
    out
}

/// Plans an import of `rows` (cells as read) at once against `existing`:
/// [`Planner`] over every row.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    mapping: &[Option<Target>],
    rows: &[Vec<String>],
    custom: &CustomFields,
    keys: MatchKeys,
    keeper: &Keeper,
    existing: &[Customer],
    user_of: impl Fn(&str) -> Option<UserId>,
    today: Date,
) -> Plan {
    let findable: Vec<Findable> = existing.iter().filter(|c| !c.deleted()).map(Findable::of).collect();
    let fetch = |id: CustomerId| existing.iter().find(|c| c.id == id).cloned();
    let mut planner = Planner::new(mapping, custom, keys, keeper, &findable, user_of, fetch, today);
    Plan { rows: rows.iter().map(|cells| planner.row(cells)).collect() }
}

/// Plans an import one row at a time, as the file is read: with `mapping`
/// saying what each column is, against the archives the importer sees in
/// full (`existing`; `fetch` gives the whole archive when a row finds one).
/// `user_of` turns a keeper column's user name into a user the importer may
/// hand customers to (none: the row is refused). Of the rows it has planned
/// it keeps only their match keys, to find duplicates within the file.
pub struct Planner<'a, U, F> {
    mapping: &'a [Option<Target>],
    custom: &'a CustomFields,
    keys: MatchKeys,
    keeper: &'a Keeper,
    index: Index<'a>,
    user_of: U,
    fetch: F,
    today: Date,
    name_column: Option<usize>,
    seen: HashMap<String, usize>,
    line: usize,
    matched: Option<Customer>,
}

impl<'a, U, F> Planner<'a, U, F>
where
    U: Fn(&str) -> Option<UserId>,
    F: FnMut(CustomerId) -> Option<Customer>,
{
    /// A planner before the first row.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        mapping: &'a [Option<Target>],
        custom: &'a CustomFields,
        keys: MatchKeys,
        keeper: &'a Keeper,
        existing: &'a [Findable],
        user_of: U,
        fetch: F,
        today: Date,
    ) -> Self {
        Self {
            mapping,
            custom,
            keys,
            keeper,
            index: Index::of(existing),
            user_of,
            fetch,
            today,
            name_column: mapping.iter().position(|m| m == &Some(Target::Name)),
            seen: HashMap::new(),
            line: 1,
            matched: None,
        }
    }

    /// The archive the last row found, as it was fetched.
    pub fn matched(&self) -> Option<&Customer> {
        self.matched.as_ref()
    }

    /// The verdict of the next row of the file (the headers are line 1).
    pub fn row(&mut self, cells: &[String]) -> Planned {
        self.matched = None;
        self.line += 1;
        let line = self.line;
        let name =
            self.name_column.and_then(|c| cells.get(c)).map(|c| c.trim().to_owned()).unwrap_or_default();
        let row = match read_row(self.mapping, cells, self.custom, self.today) {
            Ok(row) => row,
            Err(issues) => {
                let verdict = Verdict::Error { issues };
                return Planned { line, name, verdict, notes: Vec::new(), changes: Vec::new() };
            }
        };
        let notes = row.notes.clone();
        let own_keys = row_keys(&row.fields, self.keys);
        if let Some(first) = own_keys.iter().find_map(|k| self.seen.get(k)) {
            let verdict = Verdict::Skip { reason: "duplicate".into(), of: first.to_string() };
            return Planned { line, name, verdict, notes, changes: Vec::new() };
        }
        for key in own_keys {
            self.seen.insert(key, line);
        }
        self.matched = self.index.find(&row.fields, self.keys).and_then(&mut self.fetch);
        let (verdict, changes) = match &self.matched {
            Some(customer) => update(customer, &row, self.today),
            None => create(self.mapping, row, self.custom, self.keeper, &self.user_of, self.today),
        };
        Planned { line, name, verdict, notes, changes }
    }
}

fn error(column: Option<usize>, error: FieldError) -> Verdict {
    Verdict::Error { issues: vec![Issue { column, error }] }
}

fn create(
    mapping: &[Option<Target>],
    row: ReadRow,
    custom: &CustomFields,
    keeper: &Keeper,
    user_of: &impl Fn(&str) -> Option<UserId>,
    today: Date,
) -> (Verdict, Vec<(CustomerId, Change)>) {
    let keeper_column = mapping.iter().position(|m| m == &Some(Target::Keeper));
    let owner = match (keeper, &row.keeper) {
        (Keeper::Pool, _) => None,
        (Keeper::User(user), _) => Some(user.clone()),
        (Keeper::Column(fallback), None) => Some(fallback.clone()),
        (Keeper::Column(_), Some(name)) => match user_of(name) {
            Some(user) => Some(user),
            None => return (error(keeper_column, FieldError::new("keeper", "unknown")), Vec::new()),
        },
    };
    // A new archive needs what the form would ask for.
    let missing: Vec<Issue> = custom
        .active()
        .filter(|f| f.required && !row.fields.custom.contains_key(&f.key))
        .map(|f| Issue { column: None, error: FieldError::new(&f.error_field(), "required") })
        .collect();
    if !missing.is_empty() {
        return (Verdict::Error { issues: missing }, Vec::new());
    }
    let mut fields = row.fields;
    fields.owner = owner;
    let id = CustomerId::new();
    let mut changes = vec![(id, Change::Create { fields: Box::new(fields) })];
    changes.extend(row.tags.into_iter().map(|tag| (id, Change::AddTag { tag, base: 0 })));
    match check(None, &changes, today) {
        Ok(()) => (Verdict::Create, changes),
        Err(issues) => (Verdict::Error { issues }, Vec::new()),
    }
}

/// An existing archive takes the row's values where the row has one and it
/// differs; phones, emails and tags are added to what it has, never replaced.
fn update(customer: &Customer, row: &ReadRow, today: Date) -> (Verdict, Vec<(CustomerId, Change)>) {
    let (stored, new) = (&customer.fields, &row.fields);
    let base = customer.version;
    let mut values: Vec<FieldValue> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for target in &row.given {
        let value = match target {
            Target::Phones => {
                let mut phones = stored.phones.clone();
                phones.extend(
                    new.phones
                        .iter()
                        .filter(|p| !stored.phones.iter().any(|s| s.number == p.number))
                        .cloned(),
                );
                FieldValue::Phones(phones)
            }
            Target::Emails => {
                let mut emails = stored.emails.clone();
                emails.extend(new.emails.iter().filter(|e| !stored.emails.contains(e)).cloned());
                FieldValue::Emails(emails)
            }
            Target::Province | Target::City | Target::District | Target::Address => {
                let mut address = values
                    .iter()
                    .find_map(|v| match v {
                        FieldValue::Address(a) => Some(a.clone()),
                        _ => None,
                    })
                    .unwrap_or_else(|| stored.address.clone());
                match target {
                    Target::Province => address.province = new.address.province.clone(),
                    Target::City => address.city = new.address.city.clone(),
                    Target::District => address.district = new.address.district.clone(),
                    _ => address.detail = new.address.detail.clone(),
                }
                values.retain(|v| !matches!(v, FieldValue::Address(_)));
                FieldValue::Address(address)
            }
            Target::Kind => FieldValue::Kind(new.kind),
            Target::Birthday => FieldValue::Birthday(new.birthday),
            Target::Gender => FieldValue::Gender(new.gender),
            Target::Occupation => FieldValue::Occupation(new.occupation.clone()),
            Target::Industry => FieldValue::Industry(new.industry.clone()),
            Target::Region => FieldValue::Region(new.region.clone()),
            Target::Category => FieldValue::Category(new.category.clone()),
            Target::Stage => FieldValue::Stage(new.stage),
            Target::IdNumber => FieldValue::IdNumber(new.id_number.clone()),
            // The name found the archive or is the same; keepers are moved by reassigning, not importing.
            Target::Name | Target::Keeper | Target::Tags | Target::Custom(_) => continue,
        };
        values.push(value);
    }
    values.retain(|v| *v != FieldValue::read(stored, v.name()));
    names.extend(values.iter().map(|v| v.name().as_str().to_owned()));
    let edits: Vec<FieldEdit> = values.into_iter().map(|value| FieldEdit { value, base }).collect();
    let custom: Vec<CustomEdit> = new
        .custom
        .iter()
        .filter(|(key, value)| stored.custom.get(*key) != Some(value))
        .map(|(key, value)| CustomEdit { key: key.clone(), value: Some(value.clone()), base })
        .collect();
    names.extend(custom.iter().map(|e| format!("custom:{}", e.key)));
    let shown: BTreeSet<&str> = customer.visible_tags().collect();
    let tags: Vec<&String> = row.tags.iter().filter(|t| !shown.contains(t.as_str())).collect();
    names.extend(tags.iter().map(|t| format!("tag:{t}")));

    let id = customer.id;
    let mut changes = Vec::new();
    if !edits.is_empty() {
        changes.push((id, Change::SetFields { edits }));
    }
    if !custom.is_empty() {
        changes.push((id, Change::SetCustom { edits: custom }));
    }
    changes.extend(tags.into_iter().map(|tag| (id, Change::AddTag { tag: tag.clone(), base })));
    if changes.is_empty() {
        return (Verdict::Skip { reason: "unchanged".into(), of: id.to_string() }, changes);
    }
    match check(Some(customer), &changes, today) {
        Ok(()) => (Verdict::Update { customer: id, changes: names }, changes),
        Err(issues) => (Verdict::Error { issues }, Vec::new()),
    }
}

/// Applies `changes` as the server will (the archive's rules, and the
/// phone metadata only the server has), so a dry run refuses what a commit
/// would have refused.
fn check(start: Option<&Customer>, changes: &[(CustomerId, Change)], today: Date) -> Result<(), Vec<Issue>> {
    let client = ClientId::new();
    let mut current = start.cloned();
    for (seq, (customer, change)) in changes.iter().enumerate() {
        let mutation = Mutation {
            id: MutationId::new(),
            client,
            seq: seq as u64 + 1,
            author: UserId(String::new()),
            client_time: Timestamp(0),
            customer: *customer,
            change: change.clone(),
        };
        let refused = |r: crate::Rejection| -> Vec<Issue> {
            if r.errors.is_empty() {
                vec![Issue { column: None, error: FieldError::new("row", &r.code) }]
            } else {
                r.errors.into_iter().map(|error| Issue { column: None, error }).collect()
            }
        };
        #[cfg(feature = "server")]
        crate::server_checks(&mutation).map_err(refused)?;
        let version = current.as_ref().map_or(0, |c| c.version) + 1;
        let (after, _) =
            apply(current.as_ref(), &mutation, &ApplyContext { version, today }).map_err(refused)?;
        current = Some(after);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::CustomerName;
    use crate::mutation::Sequencer;

    use super::*;

    fn today() -> Date {
        Date::new(2026, 11, 23).unwrap()
    }

    fn table(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter().map(|r| r.iter().map(|c| (*c).to_owned()).collect()).collect()
    }

    fn existing(name: &str, phone: &str) -> Customer {
        let mut fields = Fields::named(CustomerName::parse(name).unwrap());
        fields.phones = vec![crate::archive::LabelledPhone {
            label: crate::archive::PhoneLabel::Mobile,
            number: crate::Phone::parse(phone).unwrap(),
        }];
        let mut client = Sequencer::new(UserId("a".into()));
        let m = client.next(CustomerId::new(), Change::Create { fields: Box::new(fields) }, Timestamp(0));
        apply(None, &m, &ApplyContext { version: 5, today: today() }).unwrap().0
    }

    fn run(mapping: &[Target], rows: &[&[&str]], have: &[Customer]) -> Plan {
        let mapping: Vec<Option<Target>> = mapping.iter().cloned().map(Some).collect();
        let keeper = Keeper::Column(UserId("a".into()));
        let user_of = |name: &str| (name == "b").then(|| UserId("b".into()));
        plan(
            &mapping,
            &table(rows),
            &CustomFields::default(),
            MatchKeys::default(),
            &keeper,
            have,
            user_of,
            today(),
        )
    }

    #[test]
    fn each_row_gets_a_verdict_with_its_reason() {
        use Target::*;
        let have = [existing("老客户", "13800138000")];
        let plan = run(
            &[Name, Phones, Region, Keeper],
            &[
                &["新客户", "13900139000", "华东", "b"],
                &["老客户", "138 0013 8000", "华南", ""],
                &["重复", "13900139000", "", ""],
                &["", "13700137000", "", ""],
                &["别人的", "13600136000", "", "nobody"],
                &["老客户", "13800138000", "", ""],
            ],
            &have,
        );
        let verdicts: Vec<&Verdict> = plan.rows.iter().map(|r| &r.verdict).collect();
        assert_eq!(verdicts[0], &Verdict::Create);
        assert_eq!(verdicts[1], &Verdict::Update { customer: have[0].id, changes: vec!["region".into()] });
        assert_eq!(verdicts[2], &Verdict::Skip { reason: "duplicate".into(), of: "2".into() });
        assert!(matches!(verdicts[3], Verdict::Error { issues } if issues[0].error.code == "name.required"));
        assert!(matches!(verdicts[4], Verdict::Error { issues } if issues[0].error.code == "keeper.unknown"));
        assert_eq!(verdicts[5], &Verdict::Skip { reason: "duplicate".into(), of: "3".into() });
        assert_eq!(plan.counts(), [1, 1, 2, 2]);
        assert_eq!(plan.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn a_created_archive_is_kept_by_the_rep_the_row_names_and_gets_its_tags() {
        use Target::*;
        let plan = run(&[Name, Keeper, Tags], &[&["甲", "b", "展会,VIP候选"], &["乙", "", ""]], &[]);
        let (_, Change::Create { fields }) = &plan.rows[0].changes[0] else { panic!("a create first") };
        assert_eq!(fields.owner, Some(UserId("b".into())));
        assert_eq!(plan.rows[0].changes.len(), 3, "the create and two tags");
        let (_, Change::Create { fields }) = &plan.rows[1].changes[0] else { panic!("a create") };
        assert_eq!(fields.owner, Some(UserId("a".into())), "no name in the column: the rep picked");
    }

    #[test]
    fn an_update_adds_phones_and_leaves_an_identical_row_alone() {
        use Target::*;
        let have = [existing("老客户", "13800138000")];
        let plan = run(&[Name, Phones], &[&["老客户", "13800138000, 13900139000"]], &have);
        let (_, Change::SetFields { edits }) = &plan.rows[0].changes[0] else { panic!("an edit") };
        let FieldValue::Phones(phones) = &edits[0].value else { panic!("phones") };
        assert_eq!(phones.len(), 2, "the stored number stays, the new one is added");
        let same = run(&[Name, Phones], &[&["老客户", "13800138000"]], &have);
        assert!(matches!(&same.rows[0].verdict, Verdict::Skip { reason, .. } if reason == "unchanged"));
    }

    #[cfg(feature = "server")]
    #[test]
    fn a_number_the_server_would_refuse_is_refused_in_the_dry_run() {
        use Target::*;
        // Shaped like a mobile number, but no network has this prefix.
        let plan = run(&[Name, Phones], &[&["丙", "10000000000"]], &[]);
        assert!(matches!(&plan.rows[0].verdict, Verdict::Error { .. }), "{:?}", plan.rows[0].verdict);
    }
}
