//! Versioned schema migrations, applied in order at start-up.
//!
//! Each migration runs in one transaction together with the record of its
//! version, so it is applied entirely or not at all, and exactly once: a
//! second start finds every version recorded and applies nothing.

use surrealdb::types::SurrealValue;

use crate::{Store, StoreError};

/// One schema change.
struct Migration {
    version: u32,
    name: &'static str,
    sql: &'static str,
}

/// Every migration, oldest first. Never edit one that has shipped: add another.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "customers",
        sql: r#"
        DEFINE TABLE customer SCHEMAFULL;
        DEFINE FIELD name ON customer TYPE string
            ASSERT string::len($value) > 0 AND string::len($value) <= 120;
        DEFINE FIELD created_at ON customer TYPE datetime DEFAULT time::now() READONLY;
        DEFINE INDEX customer_created_at ON customer FIELDS created_at;
    "#,
    },
    Migration { version: 2, name: "archives, accounts, sync, audit", sql: MIGRATION_2 },
    // Filled from the archives at start (`Store::backfill_summaries`), then
    // kept by every push.
    Migration {
        version: 3,
        name: "analytics summaries",
        sql: r#"
        DEFINE TABLE summary SCHEMAFULL;
        DEFINE FIELD doc ON summary TYPE string;
        DEFINE FIELD version ON summary TYPE int ASSERT $value > 0;
        DEFINE FIELD owner ON summary TYPE option<string>;
        DEFINE FIELD team ON summary TYPE option<string>;
        DEFINE FIELD deleted ON summary TYPE bool;
        DEFINE INDEX summary_version ON summary FIELDS version;
    "#,
    },
    // Sessions end a fixed time after sign-in however active they are.
    // Older sessions have no start and are judged by their expiry.
    Migration {
        version: 4,
        name: "session start",
        sql: r#"
        DEFINE FIELD started_at ON session TYPE option<int>;
    "#,
    },
    // Failed sign-ins, so that every app server on the database counts the
    // same ones (`store/src/attempts.rs`).
    Migration {
        version: 5,
        name: "failed sign-ins",
        sql: r#"
        DEFINE TABLE failed_attempt SCHEMAFULL;
        DEFINE FIELD key ON failed_attempt TYPE string;
        DEFINE FIELD at ON failed_attempt TYPE int;
        DEFINE INDEX failed_attempt_key ON failed_attempt FIELDS key, at;
        DEFINE INDEX failed_attempt_at ON failed_attempt FIELDS at;
    "#,
    },
    // Company settings, one record each; first the custom field definitions
    // (`store/src/custom_fields.rs`).
    Migration {
        version: 6,
        name: "settings",
        sql: r#"
        DEFINE TABLE setting SCHEMAFULL;
        DEFINE FIELD doc ON setting TYPE string;
        DEFINE FIELD version ON setting TYPE int;
    "#,
    },
    // Running the team: why an archive was moved, and when each user last
    // signed in and synced (`store/src/accounts.rs`, `store/src/handover.rs`).
    Migration {
        version: 7,
        name: "workbench",
        sql: r#"
        DEFINE FIELD reason ON audit TYPE option<string> READONLY;
        DEFINE FIELD last_sign_in ON user TYPE option<int>;
        DEFINE FIELD last_sync ON user TYPE option<int>;
    "#,
    },
    // Likely duplicates found across the whole archive, and what a person
    // decided about them (`store/src/dedup.rs`).
    Migration {
        version: 8,
        name: "duplicate pairs",
        sql: r#"
        DEFINE TABLE duplicate_pair SCHEMAFULL;
        DEFINE FIELD a ON duplicate_pair TYPE string;
        DEFINE FIELD b ON duplicate_pair TYPE string;
        DEFINE FIELD score ON duplicate_pair TYPE int;
        DEFINE FIELD reasons ON duplicate_pair TYPE string;
        DEFINE FIELD status ON duplicate_pair TYPE string ASSERT $value IN ["open", "dismissed", "merged"];
        DEFINE FIELD found_at ON duplicate_pair TYPE int;
        DEFINE FIELD decided_by ON duplicate_pair TYPE option<string>;
        DEFINE FIELD decided_at ON duplicate_pair TYPE option<int>;
        DEFINE INDEX duplicate_pair_status ON duplicate_pair FIELDS status, score;
        -- Phones and emails as single keys: the engine does not look inside
        -- an array through an index, so the lookups go through this table.
        DEFINE TABLE dedup_key SCHEMAFULL;
        DEFINE FIELD key ON dedup_key TYPE string;
        DEFINE FIELD customer ON dedup_key TYPE string;
        DEFINE INDEX dedup_key_key ON dedup_key FIELDS key;
        DEFINE INDEX dedup_key_customer ON dedup_key FIELDS customer;
        FOR $c IN (SELECT record::id(id) AS id, phones, emails FROM customer WHERE deleted = false) {
            FOR $p IN $c.phones { CREATE dedup_key SET key = 'p:' + $p, customer = $c.id; };
            FOR $e IN $c.emails { CREATE dedup_key SET key = 'e:' + $e, customer = $c.id; };
        };
    "#,
    },
    // Search through an index: pieces of each archive's name, pinyin,
    // initials and phones that an exact index can look up
    // (`domain/src/search.rs`). `Store::open` fills them for archives
    // stored before (`store/src/search.rs`).
    Migration {
        version: 9,
        name: "search keys",
        sql: r#"
        DEFINE FIELD search_keys ON customer TYPE option<array<string>>;
        DEFINE INDEX customer_search_keys ON customer FIELDS search_keys.*;
        -- Whole phones and emails are search keys too: duplicate checks
        -- look them up there, always current, instead of in a table of
        -- their own written after the fact.
        REMOVE TABLE dedup_key;
    "#,
    },
    // Pools (`store/src/pool.rs`): which pool an archive without a keeper
    // sits in (none: the company's), and every move in or out of a pool,
    // which the claim rules count. Archives in the pool so far stay in the
    // company pool.
    Migration {
        version: 10,
        name: "pools",
        sql: r#"
        DEFINE FIELD pool ON customer TYPE option<string>;
        DEFINE FIELD pool ON revocation TYPE option<string>;
        DEFINE TABLE pool_move SCHEMAFULL;
        DEFINE FIELD customer ON pool_move TYPE string;
        DEFINE FIELD user ON pool_move TYPE string;
        DEFINE FIELD kind ON pool_move TYPE string ASSERT $value IN ['claim', 'release', 'recycle', 'assign'];
        DEFINE FIELD day ON pool_move TYPE string;
        DEFINE FIELD version ON pool_move TYPE int;
        DEFINE INDEX pool_move_user_day ON pool_move FIELDS user, day;
        DEFINE INDEX pool_move_customer ON pool_move FIELDS customer;
        DEFINE TABLE job SCHEMAFULL;
        DEFINE FIELD holder ON job TYPE option<string>;
        DEFINE FIELD lease_until ON job TYPE int;
        DEFINE FIELD last_done ON job TYPE option<string>;
        DEFINE FIELD last_report ON job TYPE option<string>;
    "#,
    },
    // A mutation's record id is its client and number (`<client>:<seq>`,
    // the number zero-padded), which already makes each one unique and is
    // how a push finds the ones it resends. Neither index was read, and
    // keeping them took over half of writing a mutation.
    Migration {
        version: 11,
        name: "mutation log without indexes",
        sql: r#"
        REMOVE INDEX mutation_client_seq ON mutation;
        REMOVE INDEX mutation_customer ON mutation;
    "#,
    },
    // Imports (`store/src/imports.rs`): each one committed, with what its
    // updates overwrote, so it can be undone as a whole.
    Migration {
        version: 12,
        name: "imports",
        sql: r#"
        DEFINE TABLE import SCHEMAFULL;
        DEFINE FIELD user ON import TYPE string;
        DEFINE FIELD team ON import TYPE option<string>;
        DEFINE FIELD file ON import TYPE string;
        DEFINE FIELD at ON import TYPE int;
        DEFINE FIELD mutations ON import TYPE int ASSERT $value >= 0;
        DEFINE FIELD counts ON import TYPE array<int>;
        DEFINE FIELD before ON import TYPE string;
        DEFINE FIELD undone ON import TYPE option<string>;
        DEFINE INDEX import_at ON import FIELDS at;
    "#,
    },
    Migration {
        version: 13,
        name: "import mappings",
        sql: r#"
        DEFINE TABLE import_mapping SCHEMAFULL;
        DEFINE FIELD mapping ON import_mapping TYPE string;
        DEFINE FIELD user ON import_mapping TYPE string;
        DEFINE FIELD at ON import_mapping TYPE int;
    "#,
    },
    // An import runs as a job (`store/src/import_jobs.rs`): its changes are
    // kept in batches before the first is pushed, and how far it got, so a
    // restarted server carries on where it stopped. Imports from before
    // have no status: they ran to the end in their request.
    Migration {
        version: 14,
        name: "import jobs",
        sql: r#"
        DEFINE FIELD status ON import TYPE option<string>;
        DEFINE FIELD sha256 ON import TYPE option<string>;
        DEFINE FIELD pushed ON import TYPE option<int>;
        DEFINE FIELD refused ON import TYPE option<int>;
        DEFINE FIELD finished ON import TYPE option<int>;
        DEFINE FIELD cancel ON import TYPE option<bool>;
        DEFINE FIELD holder ON import TYPE option<string>;
        DEFINE FIELD lease ON import TYPE option<int>;
        DEFINE INDEX import_status ON import FIELDS status;
        DEFINE TABLE import_batch SCHEMAFULL;
        DEFINE FIELD body ON import_batch TYPE string;
    "#,
    },
    // Files uploaded for import (`store/src/import_files.rs`), in chunks.
    Migration {
        version: 15,
        name: "import files",
        sql: r#"
        DEFINE TABLE import_file SCHEMAFULL;
        DEFINE FIELD user ON import_file TYPE string;
        DEFINE FIELD name ON import_file TYPE string;
        DEFINE FIELD size ON import_file TYPE int;
        DEFINE FIELD sha256 ON import_file TYPE string;
        DEFINE FIELD at ON import_file TYPE int;
        DEFINE FIELD chunks ON import_file TYPE int;
        DEFINE INDEX import_file_at ON import_file FIELDS at;
        DEFINE TABLE import_file_chunk SCHEMAFULL;
        DEFINE FIELD file ON import_file_chunk TYPE string;
        DEFINE FIELD n ON import_file_chunk TYPE int;
        DEFINE FIELD data ON import_file_chunk TYPE bytes;
        DEFINE INDEX import_file_chunk_file ON import_file_chunk FIELDS file;
    "#,
    },
    // An import's undo runs as a job of its own (an `import` row whose
    // `undoes` names the import), so it survives a closed page or a restart.
    Migration {
        version: 16,
        name: "undo jobs",
        sql: r#"
        DEFINE FIELD undoes ON import TYPE option<string>;
    "#,
    },
    // A pull reads what changed in the viewer's scope since its cookie.
    // Through the version index alone that meant every archive anyone in
    // the company changed since, for each pull; keeper and team indexes that
    // end in the version let each branch of the scope read only its own.
    // The engine looks up `CONTAINS` only through an index on an array's
    // elements (`.*`), so the index on whole `shared_with` arrays was never
    // read, and neither were the ones on phones and emails (whole phones
    // and emails are search keys): each was only written.
    Migration {
        version: 17,
        name: "pull through the scope's indexes",
        sql: r#"
        REMOVE INDEX customer_owner ON customer;
        REMOVE INDEX customer_team ON customer;
        REMOVE INDEX customer_shared ON customer;
        REMOVE INDEX customer_phones ON customer;
        REMOVE INDEX customer_emails ON customer;
        DEFINE INDEX customer_owner_version ON customer FIELDS owner, version;
        DEFINE INDEX customer_team_version ON customer FIELDS team, version;
        DEFINE INDEX customer_shared_with ON customer FIELDS shared_with.*;
    "#,
    },
    // Reminders fired to record keepers, one row per occasion: the row's
    // id is the occasion's key, so a second firing finds it there.
    Migration {
        version: 18,
        name: "notifications",
        sql: r#"
        DEFINE TABLE notification SCHEMAFULL;
        DEFINE FIELD key ON notification TYPE string;
        DEFINE FIELD user ON notification TYPE string;
        DEFINE FIELD kind ON notification TYPE string;
        DEFINE FIELD customer ON notification TYPE string;
        DEFINE FIELD name ON notification TYPE string;
        DEFINE FIELD on ON notification TYPE string;
        DEFINE FIELD lunar ON notification TYPE bool;
        DEFINE FIELD keeper ON notification TYPE option<string>;
        DEFINE FIELD at ON notification TYPE int;
        DEFINE FIELD read ON notification TYPE bool;
        DEFINE INDEX notification_user_at ON notification FIELDS user, at;
        DEFINE INDEX notification_user_read ON notification FIELDS user, read;
    "#,
    },
    // Messages that leave the system, each written before it is sent; a
    // sender claims due ones with a lease.
    Migration {
        version: 19,
        name: "outbox",
        sql: r#"
        DEFINE TABLE outbox SCHEMAFULL;
        DEFINE FIELD kind ON outbox TYPE string;
        DEFINE FIELD customer ON outbox TYPE option<string>;
        DEFINE FIELD to ON outbox TYPE string;
        DEFINE FIELD subject ON outbox TYPE string;
        DEFINE FIELD body ON outbox TYPE string;
        DEFINE FIELD month ON outbox TYPE string;
        DEFINE FIELD message_id ON outbox TYPE string;
        DEFINE FIELD status ON outbox TYPE string ASSERT $value IN ['queued', 'sent', 'failed', 'uncertain'];
        DEFINE FIELD attempts ON outbox TYPE int;
        DEFINE FIELD last_error ON outbox TYPE option<string>;
        DEFINE FIELD next_at ON outbox TYPE int;
        DEFINE FIELD holder ON outbox TYPE option<string>;
        DEFINE FIELD lease_until ON outbox TYPE int;
        DEFINE FIELD created_at ON outbox TYPE int;
        DEFINE FIELD sent_at ON outbox TYPE option<int>;
        DEFINE INDEX outbox_due ON outbox FIELDS status, next_at;
        DEFINE INDEX outbox_customer_month ON outbox FIELDS customer, month;
    "#,
    },
    // Workflow rules, and one event per firing: its record id names the
    // rule, the customer and the occasion, so an occasion fires once. The
    // events are also each rule's run log. `rule_state` remembers which
    // customers a threshold rule fired for, until they drop below it.
    Migration {
        version: 20,
        name: "workflow rules",
        sql: r#"
        DEFINE TABLE rule SCHEMAFULL;
        DEFINE FIELD doc ON rule TYPE string;
        DEFINE FIELD enabled ON rule TYPE bool;
        DEFINE FIELD on_change ON rule TYPE bool;
        DEFINE FIELD name ON rule TYPE string;
        DEFINE FIELD updated_at ON rule TYPE int;
        DEFINE TABLE rule_event SCHEMAFULL;
        DEFINE FIELD rule ON rule_event TYPE string;
        DEFINE FIELD customer ON rule_event TYPE string;
        DEFINE FIELD occasion ON rule_event TYPE string;
        DEFINE FIELD name ON rule_event TYPE string;
        DEFINE FIELD day ON rule_event TYPE string;
        DEFINE FIELD depth ON rule_event TYPE int;
        DEFINE FIELD state ON rule_event TYPE string ASSERT $value IN ['pending', 'done', 'skipped', 'failed'];
        DEFINE FIELD reason ON rule_event TYPE option<string>;
        DEFINE FIELD changes ON rule_event TYPE int DEFAULT 0;
        DEFINE FIELD emails ON rule_event TYPE int DEFAULT 0;
        DEFINE FIELD at ON rule_event TYPE int;
        DEFINE FIELD done_at ON rule_event TYPE option<int>;
        DEFINE INDEX rule_event_state ON rule_event FIELDS state, at;
        DEFINE INDEX rule_event_rule ON rule_event FIELDS rule, at;
        DEFINE TABLE rule_state SCHEMAFULL;
        DEFINE FIELD above ON rule_state TYPE bool;
    "#,
    },
    // A user's own address, for the morning digest of their reminders and
    // for rules that write to a customer's keeper.
    Migration {
        version: 21,
        name: "user email",
        sql: r#"
        DEFINE FIELD email ON user TYPE option<string>;
        DEFINE FIELD digest ON user TYPE option<bool>;
    "#,
    },
    // The first two letters of the initials (their search key) again, in
    // an index ordered by version, so a search by two letters (thousands
    // of archives at 100,000) reads a page newest first in slices of
    // versions, as the list does. One entry, rewritten at each change to
    // the archive; the other keys stay in an index without the version,
    // which such a change leaves untouched.
    Migration {
        version: 22,
        name: "pairs of initials by version",
        sql: r#"
        DEFINE FIELD initials_pair ON customer TYPE option<string>;
        DEFINE INDEX customer_initials_pair_version ON customer FIELDS initials_pair, version;
    "#,
    },
    // The pair of initials joined by the name's single characters (a
    // surname is one, held by a thousand archives and more at 100,000):
    // every key many archives share, in one index by team and version, read
    // like the pair before, a team at a time (a manager's team holds a
    // tenth of a surname's archives or fewer, and they are all that is
    // read). One entry per key, all rewritten at each change to the archive
    // (a person's name has two or three characters). The search keys move
    // to a table of their own, written when they change: in the archive's
    // row each change read, checked and wrote them all again.
    Migration {
        version: 23,
        name: "common search keys by version",
        sql: r#"
        REMOVE INDEX customer_initials_pair_version ON customer;
        REMOVE FIELD initials_pair ON customer;
        REMOVE INDEX customer_search_keys ON customer;
        REMOVE FIELD search_keys ON customer;
        DEFINE TABLE customer_keys SCHEMAFULL;
        DEFINE FIELD keys ON customer_keys TYPE array<string>;
        DEFINE INDEX customer_keys_keys ON customer_keys FIELDS keys.*;
        DEFINE FIELD paged_keys ON customer TYPE option<array<string>>;
        DEFINE INDEX customer_paged_keys_team_version ON customer FIELDS paged_keys.*, team, version;
    "#,
    },
    // Fewer rows per change. An archive's analytics summary moves into the
    // archive's row (a column, read through the version index as the
    // summaries' own index was), filled for stored archives at start-up by
    // `Store::backfill_summaries`. The item tables (contacts, orders,
    // interactions, feedback, tasks) were projections no query ever read:
    // every change to an item wrote a row and two index entries for nothing.
    // The archive's document holds every item. `counter:users` moves with
    // every change to a user's team or standing, so a push knows when the
    // users it has in memory are still current (`Store::colleagues_at`).
    Migration {
        version: 24,
        name: "summaries in the archive's row; no item projections; a stamp of the users",
        sql: r#"
        DEFINE FIELD summary ON customer TYPE option<string>;
        REMOVE TABLE summary;
        REMOVE TABLE contact;
        REMOVE TABLE sale_order;
        REMOVE TABLE interaction;
        REMOVE TABLE feedback;
        REMOVE TABLE task;
        CREATE counter:users SET current = 0, epoch = '';
    "#,
    },
];

/// The archive as documents, with columns for what the app looks up; the
/// item tables are projections of the archive for queries and dashboards.
/// The v1 customers (a name only) are kept aside in `legacy_customer`.
const MIGRATION_2: &str = r#"
    DEFINE TABLE legacy_customer SCHEMALESS;
    INSERT INTO legacy_customer (SELECT name, created_at, record::id(id) AS key FROM customer);
    REMOVE TABLE customer;

    DEFINE TABLE counter SCHEMAFULL;
    DEFINE FIELD current ON counter TYPE int ASSERT $value >= 0;
    DEFINE FIELD epoch ON counter TYPE string;
    CREATE counter:sync SET current = 0, epoch = <string> rand::uuid::v7();

    DEFINE TABLE customer SCHEMAFULL;
    DEFINE FIELD doc ON customer TYPE string;
    DEFINE FIELD version ON customer TYPE int ASSERT $value > 0;
    DEFINE FIELD owner ON customer TYPE option<string>;
    DEFINE FIELD team ON customer TYPE option<string>;
    DEFINE FIELD shared_with ON customer TYPE array<string>;
    DEFINE FIELD deleted ON customer TYPE bool;
    DEFINE FIELD conflicted ON customer TYPE bool;
    DEFINE FIELD name ON customer TYPE string ASSERT string::len($value) > 0 AND string::len($value) <= 120;
    DEFINE FIELD pinyin ON customer TYPE string;
    DEFINE FIELD initials ON customer TYPE string;
    DEFINE FIELD phones ON customer TYPE array<string>;
    DEFINE FIELD emails ON customer TYPE array<string>;
    DEFINE FIELD stage ON customer TYPE string;
    DEFINE FIELD category ON customer TYPE string;
    DEFINE FIELD city ON customer TYPE option<string>;
    DEFINE FIELD created_at ON customer TYPE int;
    DEFINE FIELD updated_at ON customer TYPE int;
    DEFINE INDEX customer_version ON customer FIELDS version;
    DEFINE INDEX customer_owner ON customer FIELDS owner;
    DEFINE INDEX customer_team ON customer FIELDS team;
    DEFINE INDEX customer_shared ON customer FIELDS shared_with;
    DEFINE INDEX customer_phones ON customer FIELDS phones;
    DEFINE INDEX customer_emails ON customer FIELDS emails;
    DEFINE INDEX customer_name ON customer FIELDS name;
    DEFINE INDEX customer_stage ON customer FIELDS stage;
    DEFINE INDEX customer_category ON customer FIELDS category;
    DEFINE INDEX customer_city ON customer FIELDS city;

    DEFINE TABLE contact SCHEMAFULL;
    DEFINE FIELD customer ON contact TYPE string;
    DEFINE FIELD version ON contact TYPE int;
    DEFINE FIELD removed ON contact TYPE bool;
    DEFINE FIELD doc ON contact TYPE string;
    DEFINE FIELD name ON contact TYPE string;
    DEFINE FIELD phones ON contact TYPE array<string>;
    DEFINE INDEX contact_customer ON contact FIELDS customer;
    DEFINE INDEX contact_phones ON contact FIELDS phones;

    DEFINE TABLE sale_order SCHEMAFULL;
    DEFINE FIELD customer ON sale_order TYPE string;
    DEFINE FIELD version ON sale_order TYPE int;
    DEFINE FIELD removed ON sale_order TYPE bool;
    DEFINE FIELD doc ON sale_order TYPE string;
    DEFINE FIELD product ON sale_order TYPE string;
    DEFINE FIELD amount ON sale_order TYPE int;
    DEFINE FIELD currency ON sale_order TYPE string;
    DEFINE FIELD date ON sale_order TYPE string ASSERT string::len($value) = 10;
    DEFINE INDEX order_customer ON sale_order FIELDS customer;
    DEFINE INDEX order_date ON sale_order FIELDS date;

    DEFINE TABLE interaction SCHEMAFULL;
    DEFINE FIELD customer ON interaction TYPE string;
    DEFINE FIELD version ON interaction TYPE int;
    DEFINE FIELD removed ON interaction TYPE bool;
    DEFINE FIELD doc ON interaction TYPE string;
    DEFINE FIELD kind ON interaction TYPE string;
    DEFINE FIELD at ON interaction TYPE int;
    DEFINE FIELD satisfaction ON interaction TYPE option<int> ASSERT $value = NONE OR ($value >= 1 AND $value <= 5);
    DEFINE FIELD follow_up ON interaction TYPE option<string>;
    DEFINE INDEX interaction_customer ON interaction FIELDS customer;
    DEFINE INDEX interaction_at ON interaction FIELDS at;

    DEFINE TABLE feedback SCHEMAFULL;
    DEFINE FIELD customer ON feedback TYPE string;
    DEFINE FIELD version ON feedback TYPE int;
    DEFINE FIELD removed ON feedback TYPE bool;
    DEFINE FIELD doc ON feedback TYPE string;
    DEFINE FIELD kind ON feedback TYPE string;
    DEFINE FIELD status ON feedback TYPE string;
    DEFINE FIELD received_at ON feedback TYPE int;
    DEFINE INDEX feedback_customer ON feedback FIELDS customer;
    DEFINE INDEX feedback_status ON feedback FIELDS status;

    DEFINE TABLE task SCHEMAFULL;
    DEFINE FIELD customer ON task TYPE string;
    DEFINE FIELD version ON task TYPE int;
    DEFINE FIELD removed ON task TYPE bool;
    DEFINE FIELD doc ON task TYPE string;
    DEFINE FIELD kind ON task TYPE string;
    DEFINE FIELD due ON task TYPE string ASSERT string::len($value) = 10;
    DEFINE FIELD done ON task TYPE bool;
    DEFINE INDEX task_customer ON task FIELDS customer;
    DEFINE INDEX task_due ON task FIELDS due;

    DEFINE TABLE team SCHEMAFULL;
    DEFINE FIELD name ON team TYPE string ASSERT string::len($value) > 0;
    DEFINE FIELD created_at ON team TYPE datetime DEFAULT time::now() READONLY;

    DEFINE TABLE user SCHEMAFULL;
    DEFINE FIELD display_name ON user TYPE string ASSERT string::len($value) > 0 AND string::len($value) <= 60;
    DEFINE FIELD role ON user TYPE string ASSERT $value IN ["rep", "manager", "admin"];
    DEFINE FIELD team ON user TYPE option<string>;
    DEFINE FIELD password_hash ON user TYPE string ASSERT string::starts_with($value, "$argon2id$");
    DEFINE FIELD disabled ON user TYPE bool DEFAULT false;
    DEFINE FIELD created_at ON user TYPE datetime DEFAULT time::now() READONLY;
    DEFINE INDEX user_team ON user FIELDS team;

    DEFINE TABLE session SCHEMAFULL;
    DEFINE FIELD user ON session TYPE string;
    DEFINE FIELD expires_at ON session TYPE int;
    DEFINE FIELD created_at ON session TYPE datetime DEFAULT time::now() READONLY;
    DEFINE INDEX session_user ON session FIELDS user;

    DEFINE TABLE client SCHEMAFULL;
    DEFINE FIELD user ON client TYPE string;
    DEFINE FIELD last_seq ON client TYPE int ASSERT $value >= 0;
    DEFINE FIELD created_at ON client TYPE datetime DEFAULT time::now() READONLY;

    DEFINE TABLE mutation SCHEMAFULL;
    DEFINE FIELD mutation ON mutation TYPE string;
    DEFINE FIELD client ON mutation TYPE string;
    DEFINE FIELD seq ON mutation TYPE int ASSERT $value > 0;
    DEFINE FIELD author ON mutation TYPE string;
    DEFINE FIELD customer ON mutation TYPE string;
    DEFINE FIELD kind ON mutation TYPE string;
    DEFINE FIELD status ON mutation TYPE string ASSERT $value IN ["applied", "conflict", "rejected"];
    DEFINE FIELD outcome ON mutation TYPE string;
    DEFINE FIELD version ON mutation TYPE option<int>;
    DEFINE FIELD body ON mutation TYPE string;
    DEFINE FIELD received_at ON mutation TYPE datetime DEFAULT time::now() READONLY;
    DEFINE INDEX mutation_client_seq ON mutation FIELDS client, seq UNIQUE;
    DEFINE INDEX mutation_customer ON mutation FIELDS customer;

    DEFINE TABLE conflict SCHEMAFULL;
    DEFINE FIELD customer ON conflict TYPE string;
    DEFINE FIELD subject ON conflict TYPE string;
    DEFINE FIELD open ON conflict TYPE bool;
    DEFINE FIELD opened_version ON conflict TYPE int;
    DEFINE FIELD opened_by ON conflict TYPE string;
    DEFINE FIELD closed_version ON conflict TYPE option<int>;
    DEFINE FIELD closed_by ON conflict TYPE option<string>;
    DEFINE INDEX conflict_customer ON conflict FIELDS customer, open;

    DEFINE TABLE revocation SCHEMAFULL;
    DEFINE FIELD customer ON revocation TYPE string;
    DEFINE FIELD version ON revocation TYPE int;
    DEFINE FIELD users ON revocation TYPE array<string>;
    DEFINE FIELD teams ON revocation TYPE array<string>;
    DEFINE FIELD from_pool ON revocation TYPE bool;
    DEFINE INDEX revocation_version ON revocation FIELDS version;

    DEFINE TABLE audit SCHEMAFULL;
    DEFINE FIELD at ON audit TYPE datetime DEFAULT time::now() READONLY;
    DEFINE FIELD version ON audit TYPE option<int> READONLY;
    DEFINE FIELD user ON audit TYPE string READONLY;
    DEFINE FIELD client ON audit TYPE option<string> READONLY;
    DEFINE FIELD customer ON audit TYPE option<string> READONLY;
    DEFINE FIELD team ON audit TYPE option<string> READONLY;
    DEFINE FIELD mutation ON audit TYPE option<string> READONLY;
    DEFINE FIELD action ON audit TYPE string READONLY;
    DEFINE FIELD subject ON audit TYPE option<string> READONLY;
    DEFINE FIELD old ON audit TYPE option<string> READONLY;
    DEFINE FIELD new ON audit TYPE option<string> READONLY;
    DEFINE INDEX audit_customer ON audit FIELDS customer;
    DEFINE INDEX audit_team ON audit FIELDS team;
    DEFINE INDEX audit_at ON audit FIELDS at;
"#;

/// The schema version this build expects.
pub const SCHEMA_VERSION: u32 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// What a migration run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Versions applied by this run, in order; empty when already up to date.
    pub applied: Vec<u32>,
    /// The schema version after the run.
    pub version: u32,
}

#[derive(SurrealValue)]
struct AppliedVersion {
    version: i64,
}

impl Store {
    /// Applies every migration not yet recorded in the database.
    pub async fn migrate(&self) -> Result<MigrationReport, StoreError> {
        self.migrate_to(SCHEMA_VERSION).await
    }

    /// Applies the migrations not yet recorded, up to and including `target`.
    pub(crate) async fn migrate_to(&self, target: u32) -> Result<MigrationReport, StoreError> {
        self.db
            .query(
                "DEFINE TABLE IF NOT EXISTS schema_migration SCHEMAFULL;
                 DEFINE FIELD IF NOT EXISTS version ON schema_migration TYPE int;
                 DEFINE FIELD IF NOT EXISTS name ON schema_migration TYPE string;
                 DEFINE FIELD IF NOT EXISTS applied_at ON schema_migration TYPE datetime DEFAULT time::now();",
            )
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;

        let current = self.schema_version().await?;
        let mut applied = Vec::new();
        for migration in MIGRATIONS.iter().filter(|m| m.version > current && m.version <= target) {
            let sql = format!(
                "BEGIN TRANSACTION;\n{}\nCREATE type::record('schema_migration', $version) SET version = $version, name = $name;\nCOMMIT TRANSACTION;",
                migration.sql
            );
            let mut response = self
                .db
                .query(sql)
                .bind(("version", i64::from(migration.version)))
                .bind(("name", migration.name))
                .await
                .map_err(StoreError::from_db)?;
            let errors = response.take_errors();
            if !errors.is_empty() {
                // Every statement of a failed transaction reports failure; the
                // ones that say why are the useful part of the log.
                for (index, error) in &errors {
                    if !error.to_string().contains("not executed due to") {
                        tracing::error!(version = migration.version, statement = index, %error, "migration failed");
                    }
                }
                return Err(StoreError::Other);
            }
            tracing::info!(version = migration.version, name = migration.name, "applied migration");
            applied.push(migration.version);
        }
        Ok(MigrationReport { applied, version: self.schema_version().await? })
    }

    /// The highest migration version recorded, 0 for an empty database.
    pub(crate) async fn schema_version(&self) -> Result<u32, StoreError> {
        let mut response = self
            .db
            .query("SELECT version FROM schema_migration ORDER BY version DESC LIMIT 1")
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<AppliedVersion> = response.take(0).map_err(StoreError::from_db)?;
        Ok(rows.first().map_or(0, |r| r.version as u32))
    }
}
