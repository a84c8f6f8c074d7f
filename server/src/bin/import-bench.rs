//! `import-bench`: an old system's export of `--rows` customers imported
//! into an archive that already holds `--existing`, on the embedded
//! SurrealKV engine in a temporary directory, through the same path as the
//! import page and `server import` (a dry run, then the commit as a job).
//!
//! The file is made as people type: Chinese names, mobiles written several
//! ways (`13800138000`, `138 0013 8000`, `138-0013-8000`, `+86 138…`), one
//! row in twenty a customer already in the archive (by mobile), one in a
//! hundred with a mobile that cannot be one.
//!
//! `cargo run --release -p server --features bench --bin import-bench [-- --rows N --existing N]`
//!
//! Its last line: `import-bench: rows=N created=N updated=N errors=N
//! dry_run_s=N commit_s=N rows_per_s=N peak_rss_mb=N`. The peak memory is
//! mostly the embedded engine's: its write buffer and read cache are sized
//! from the machine's memory (on 24 GiB, up to 1 GiB and 11 GiB).

use std::time::Instant;

use app::import::KeeperChoice;
use domain::archive::{Fields, LabelledPhone, PhoneLabel};
use domain::ids::CustomerId;
use domain::import::MatchKeys;
use domain::mutation::Sequencer;
use domain::policy::{Role, Viewer};
use domain::time::Timestamp;
use domain::{Change, CustomerName, Phone};
use store::{MAX_BATCH, NewUser, Store};

const SURNAMES: [&str; 12] = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙"];
const GIVEN: [&str; 10] = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军"];
const CITIES: [&str; 6] = ["杭州", "上海", "北京", "广州", "成都", "苏州"];

fn number_from_args(flag: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn name(i: usize) -> String {
    format!("{}{}{}", SURNAMES[i % SURNAMES.len()], GIVEN[(i / 7) % GIVEN.len()], i)
}

/// The mobile of the `i`th customer, 11 digits.
fn mobile(i: usize) -> String {
    format!("13{}{:08}", i % 10, i)
}

/// `number` as somebody typed it.
fn typed(number: &str, how: usize) -> String {
    let (a, b, c) = (&number[..3], &number[3..7], &number[7..]);
    match how % 4 {
        0 => number.to_owned(),
        1 => format!("{a} {b} {c}"),
        2 => format!("{a}-{b}-{c}"),
        _ => format!("+86 {number}"),
    }
}

/// The export: rows matching existing customers 1 in 20, bad ones 1 in 100.
fn file(rows: usize, existing: usize) -> Vec<u8> {
    let mut text = String::from("客户名称,手机,城市,备注\r\n");
    for row in 0..rows {
        let (who, number) = if row % 20 == 7 && existing > 0 {
            let i = (row * 31) % existing;
            (name(i), mobile(i))
        } else {
            let i = existing + row;
            (name(i), mobile(i))
        };
        let number = if row % 100 == 13 { "12345".to_owned() } else { typed(&number, row) };
        text.push_str(&format!("{who},{number},{},老系统导出\r\n", CITIES[row % CITIES.len()]));
    }
    text.into_bytes()
}

async fn seed(store: &Store, viewer: &Viewer, existing: usize) -> Result<(), Box<dyn std::error::Error>> {
    let mut client = Sequencer::new(viewer.user.clone());
    let mutations: Vec<_> = (0..existing)
        .map(|i| {
            let mut fields = Fields::named(CustomerName::parse(&name(i)).expect("name"));
            fields.owner = Some(viewer.user.clone());
            fields.phones = vec![LabelledPhone {
                label: PhoneLabel::Mobile,
                number: Phone::parse(&mobile(i)).expect("phone"),
            }];
            client.next(
                CustomerId::new(),
                Change::Create { fields: Box::new(fields) },
                Timestamp(1_700_000_000_000),
            )
        })
        .collect();
    for batch in mutations.chunks(MAX_BATCH) {
        let reply = store.push(viewer, client.client, batch, store::today()).await?;
        if let Some(refused) =
            reply.results.iter().find(|r| matches!(r.outcome, store::Outcome::Rejected { .. }))
        {
            return Err(format!("seeding was refused: {refused:?}").into());
        }
    }
    Ok(())
}

/// The most memory the process held so far (Linux), in MiB; 0 when unknown.
fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap_or_default();
    line.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()).unwrap_or(0) / 1024
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `RUST_LOG=store::sync::push=debug` shows each batch's check and commit
    // times; without it, no subscriber costs anything.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    } else {
        store::without_tracing();
    }
    let rows = number_from_args("--rows", 100_000);
    let existing = number_from_args("--existing", 100_000);
    let dir = tempfile::tempdir()?;
    let url = format!("surrealkv://{}", dir.path().join("crm.db").display());
    let (store, _) = Store::open(&url, None).await?;
    let admin = store
        .create_user(&NewUser {
            username: "bench".into(),
            display_name: "Bench".into(),
            role: Role::Admin,
            team: Some("bench".into()),
            password: "bench-password".into(),
        })
        .await?
        .viewer();

    let started = Instant::now();
    seed(&store, &admin, existing).await?;
    println!(
        "seed: {existing} customers in {:.1} s, peak memory {} MiB",
        started.elapsed().as_secs_f64(),
        peak_rss_mb()
    );
    let bytes = file(rows, existing);
    println!("file: {rows} rows, {} KB", bytes.len() / 1024);

    let settings = server::config::Settings::default();
    let state =
        server::startup::app_state(server::startup::leptos_options(&settings), store.clone(), &settings);
    let keys = MatchKeys { phone: true, email: false, name_city: false };
    let started = Instant::now();
    let dry = app::import::import_file(
        &state,
        &admin,
        "老系统导出.csv",
        bytes.clone(),
        (keys, KeeperChoice::Pool),
        true,
        |_, _| {},
    )
    .await
    .map_err(|e| format!("dry run: {e}"))?;
    let dry_run_s = started.elapsed().as_secs_f64();
    println!("dry run: {dry_run_s:.1} s: {:?}", dry.report);

    let started = Instant::now();
    let mut last = Instant::now();
    let done = app::import::import_file(
        &state,
        &admin,
        "老系统导出.csv",
        bytes,
        (keys, KeeperChoice::Pool),
        false,
        |n, of| {
            if last.elapsed().as_secs() >= 5 {
                println!("commit: {n}/{of} changes");
                last = Instant::now();
            }
        },
    )
    .await
    .map_err(|e| format!("commit: {e}"))?;
    let commit_s = started.elapsed().as_secs_f64();
    let report = &done.report;
    if report.created + report.updated + report.skipped + report.errors != rows {
        return Err(format!("the counts do not add up to the rows: {report:?}").into());
    }
    println!(
        "import-bench: rows={rows} created={} updated={} errors={} dry_run_s={dry_run_s:.1} commit_s={commit_s:.1} rows_per_s={:.0} peak_rss_mb={}",
        report.created,
        report.updated,
        report.errors,
        rows as f64 / commit_s,
        peak_rss_mb(),
    );
    drop(state);
    store.close(std::time::Duration::from_secs(30)).await?;
    Ok(())
}
