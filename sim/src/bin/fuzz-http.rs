//! `fuzz-http`: generated and mutated requests against every door of the
//! real server: each server function as anonymous, rep, manager and admin,
//! and every page. Valid bodies get one value changed to an extreme (huge,
//! empty, negative, enormous, the wrong type, deeply nested), JSON gets cut
//! short, forms get JSON and JSON gets forms, pushes carry random mutation
//! sequences. It fails on any 5xx or dropped answer, any panic in the
//! server's log, any answer slower than 2 s, and if `/healthz` does not
//! answer at the end.
//!
//! ```text
//! cargo build -p server --bin server && cargo build -p sim --bin fuzz-http
//! target/debug/fuzz-http [--cases N] [--seed S] [--server target/debug/server]
//! ```
//!
//! It starts its own server on 127.0.0.1 with a fresh SurrealKV directory
//! and stops it at the end. Its last line:
//! `fuzz-http: cases=N 5xx=N panics=N slowest_ms=N`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use domain::archive::{Fields, Interaction, InteractionKind, LabelledPhone, Order, PhoneLabel};
use domain::ids::{CustomerId, ItemId, UserId};
use domain::money::{Currency, Money};
use domain::mutation::{FieldEdit, Sequencer};
use domain::time::{Date, Timestamp};
use domain::{Change, CustomerName, Phone};
use serde_json::{Value, json};
use sim::rng::Rng;
use sim::server_process::{ServerProcess, create_user, sign_in};

const USAGE: &str = "usage: fuzz-http [--cases N] [--seed S] [--server PATH]";
const PASSWORD: &str = "fuzz-test-password";
/// An answer slower than this is a failure.
const SLOW: Duration = Duration::from_secs(2);

struct Options {
    cases: u64,
    seed: u64,
    server: PathBuf,
}

fn options() -> Result<Options, String> {
    let here = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut options = Options { cases: 2_000, seed: 1, server: here.with_file_name("server") };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().ok_or(format!("{arg} needs a value\n{USAGE}"))?;
        let number = || value.parse::<u64>().map_err(|_| format!("{arg} takes a number"));
        match arg.as_str() {
            "--cases" => options.cases = number()?.max(1),
            "--seed" => options.seed = number()?,
            "--server" => options.server = value.into(),
            _ => return Err(format!("unknown argument `{arg}`\n{USAGE}")),
        }
    }
    if !options.server.exists() {
        return Err(format!(
            "no server binary at {}: build it with `cargo build -p server --bin server` or pass --server",
            options.server.display()
        ));
    }
    Ok(options)
}

/// How a server function reads its arguments.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Form,
    Json,
}

/// Every server function, how it is called, and a valid set of arguments.
const DOORS: &[(&str, Encoding)] = &[
    ("admin/users", Encoding::Form),
    ("admin/users/create", Encoding::Form),
    ("admin/users/disable", Encoding::Form),
    ("admin/users/reset_password", Encoding::Form),
    ("admin/users/role_team", Encoding::Form),
    ("team/list", Encoding::Form),
    ("team/handover", Encoding::Json),
    ("review/rules", Encoding::Form),
    ("review/rules/save", Encoding::Json),
    ("quality/report", Encoding::Form),
    ("pool/rules", Encoding::Form),
    ("pool/rules/save", Encoding::Json),
    ("pool/preview", Encoding::Json),
    ("duplicates/queue", Encoding::Form),
    ("duplicates/pair", Encoding::Form),
    ("duplicates/dismiss", Encoding::Form),
    ("duplicates/merge", Encoding::Json),
    ("auth/sign_in", Encoding::Form),
    ("auth/sign_out", Encoding::Form),
    ("auth/change_password", Encoding::Form),
    ("auth/me", Encoding::Form),
    ("audit/list", Encoding::Form),
    ("audit/search", Encoding::Json),
    ("audit/export", Encoding::Json),
    ("audit/history", Encoding::Form),
    ("customers/list", Encoding::Json),
    ("customers/get", Encoding::Form),
    ("customers/conflicts", Encoding::Form),
    ("customers/duplicate_hints", Encoding::Json),
    ("sync/push", Encoding::Json),
    ("sync/pull", Encoding::Json),
    ("dashboard/overview", Encoding::Form),
    ("dashboard/churn", Encoding::Form),
    ("dashboard/value", Encoding::Form),
    ("dashboard/export", Encoding::Form),
    ("import/preview", Encoding::Json),
    ("import/check", Encoding::Json),
    ("import/commit", Encoding::Json),
    ("import/failed_rows", Encoding::Json),
    ("import/recent", Encoding::Json),
    ("import/progress", Encoding::Json),
    ("import/cancel", Encoding::Json),
    ("import/undo", Encoding::Json),
];

/// A small file to import: UTF-8 with a byte-order mark, as Excel saves it.
fn import_file() -> Vec<u8> {
    "\u{feff}客户名称,手机\r\n模糊导入,13900139000\r\n".as_bytes().to_vec()
}

const PAGES: &[&str] = &[
    "/",
    "/signin",
    "/customers",
    "/customers/new",
    "/api/customers/export?format=csv",
    "/api/customers/export?format=xlsx&stage=lead&text=%E7%8E%8B",
    "/dashboard",
    "/dashboard/churn?below=0.3",
    "/dashboard/value?segment=champions",
    "/sync",
    "/admin/users",
    "/team",
    "/audit",
    "/duplicates",
    "/quality",
    "/pool",
    "/admin/fields",
    "/healthz",
    "/sw.js",
    "/offline-shell",
    "/manifest.webmanifest",
];

/// Who sends a request: nobody, or a signed-in user's cookie.
struct Caller {
    name: &'static str,
    user: Option<&'static str>,
    cookie: Option<String>,
}

struct Fuzzer {
    http: reqwest::Client,
    /// For files sent for import: keeps no connection for the next request.
    uploads: reqwest::Client,
    base: String,
    rng: Rng,
    customers: Vec<CustomerId>,
    /// A file the manager uploaded for import, and an import of it.
    file: String,
    import: String,
    cases: u64,
    failures: u64,
    slowest: Duration,
    made: u64,
}

impl Fuzzer {
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.below(items.len() as u64) as usize]
    }

    fn customer(&mut self) -> CustomerId {
        self.customers[self.rng.below(self.customers.len() as u64) as usize]
    }

    /// Valid arguments for `door`, as `user` would send them.
    fn sample(&mut self, door: &str, user: Option<&str>) -> Value {
        self.made += 1;
        let customer = self.customer().to_string();
        match door {
            "admin/users/create" => json!({
                "username": format!("fz{}", self.made), "display_name": "模糊测试", "role": "rep",
                "team": "north", "password": "a fine password",
            }),
            "admin/users/disable" => json!({ "username": "b", "disabled": "false" }),
            "admin/users/reset_password" => json!({ "username": "b", "password": "reset password 12" }),
            // The same role and team again: a fuzz run must not reshape the teams it tests.
            "admin/users/role_team" => json!({ "username": "b", "role": "rep", "team": "north" }),
            "team/handover" => json!({
                "selection": { "keeper": "b" }, "to": "a", "reason": "模糊测试", "commit": false,
            }),
            // The rules as they are: a fuzz run must not change what it tests.
            "review/rules/save" => json!({ "rules": domain::review::ReviewRules::default() }),
            "pool/rules/save" | "pool/preview" => {
                json!({ "team": "north", "rules": domain::pool::PoolRules::default() })
            }
            "auth/sign_in" => json!({ "username": "c", "password": "not the password" }),
            "auth/change_password" => json!({ "current": "not the password", "new": "another password 1" }),
            "audit/list" => json!({ "customer": customer, "limit": "20" }),
            "audit/search" | "audit/export" => {
                json!({ "filter": { "action": "reassign", "from": "2026-01-01", "limit": 20 } })
            }
            "audit/history" => json!({ "id": customer }),
            "customers/duplicate_hints" => {
                let mut fields = Fields::named(CustomerName::parse("模糊客户").expect("a valid name"));
                fields.phones = vec![LabelledPhone {
                    label: PhoneLabel::Mobile,
                    number: Phone::parse("13800138000").expect("a phone"),
                }];
                json!({ "fields": fields })
            }
            // No such pair: the answer must be a clean 404, never a change.
            "duplicates/pair" | "duplicates/dismiss" => json!({ "key": format!("{customer}_{customer}") }),
            "duplicates/merge" => {
                json!({ "key": format!("{customer}_{customer}"), "keep": customer, "edits": [] })
            }
            "customers/list" => json!({ "query": { "text": "客", "limit": 20 } }),
            "customers/get" | "customers/conflicts" => json!({ "id": customer }),
            "sync/push" => self.push(user.unwrap_or("a")),
            "sync/pull" => json!({ "cookie": null, "limit": 50 }),
            "dashboard/churn" => json!({ "threshold": "0.5", "fresh": "true" }),
            "dashboard/value" => json!({ "segment": "champions", "window_days": "365" }),
            "dashboard/export" => json!({ "table": "stages" }),
            "import/preview" => json!({ "file": { "file": self.file, "encoding": null } }),
            "import/check" | "import/commit" | "import/failed_rows" => json!({
                "file": { "file": self.file, "encoding": null },
                "options": {
                    "mapping": [{ "to": "name" }, { "to": "phones" }],
                    "keys": { "phone": true, "email": false, "name_city": false },
                    "keeper": { "keeper": "me" },
                },
                "english": false,
            }),
            "import/progress" | "import/cancel" | "import/undo" => json!({ "id": self.import }),
            _ => json!({}),
        }
    }

    /// A push of one to five random mutations from a new device of `user`.
    fn push(&mut self, user: &str) -> Value {
        let mut sequencer = Sequencer::new(UserId(user.into()));
        let count = 1 + self.rng.below(5);
        let mut mutations = Vec::new();
        for _ in 0..count {
            let customer = self.customer();
            let change = match self.rng.below(6) {
                0 => {
                    let mut fields = Fields::named(CustomerName::parse("模糊客户").expect("a valid name"));
                    fields.owner = Some(UserId(user.into()));
                    Change::Create { fields: Box::new(fields) }
                }
                1 => Change::AddTag { tag: format!("标签{}", self.rng.below(5)), base: self.rng.below(50) },
                2 => Change::PutOrder {
                    id: ItemId::new(),
                    order: Order {
                        product: "净水器".into(),
                        quantity: 1 + self.rng.below(3) as u32,
                        amount: Money { minor: self.rng.below(1_000_000) as i64, currency: Currency::cny() },
                        date: Date::new(2026, 1 + self.rng.below(12) as u8, 1).expect("a date"),
                        channel: None,
                        ends_on: None,
                    },
                    base: 0,
                },
                3 => Change::PutInteraction {
                    id: ItemId::new(),
                    interaction: Interaction {
                        kind: InteractionKind::Call,
                        at: Timestamp(1_700_000_000_000 + self.rng.below(1 << 30) as i64),
                        summary: "回访".into(),
                        satisfaction: Some(1 + self.rng.below(5) as u8),
                        next_follow_up: None,
                    },
                    base: 0,
                },
                4 => Change::SetFields {
                    edits: vec![FieldEdit {
                        value: domain::archive::FieldValue::Occupation(Some("工程师".into())),
                        base: self.rng.below(50),
                    }],
                },
                _ => Change::Delete { base: self.rng.below(50) },
            };
            mutations.push(sequencer.next(customer, change, Timestamp(1_700_000_000_000)));
        }
        json!({ "client": sequencer.client, "mutations": mutations })
    }

    /// An extreme value to put where a valid one was.
    fn extreme(&mut self) -> Value {
        match self.rng.below(16) {
            0 => json!(""),
            1 => json!("x".repeat(100_000)),
            2 => json!("\u{0}\u{202e}\u{ffff}𝕏'\"<script>alert(1)</script>"),
            3 => json!(-1),
            4 => json!(i64::MAX),
            5 => json!(i64::MIN),
            6 => json!(u64::MAX),
            7 => json!(1e308),
            8 => json!(true),
            9 => Value::Null,
            10 => json!([]),
            11 => json!({ "unexpected": { "deeply": [1, 2, 3] } }),
            12 => {
                let mut nested = json!(0);
                for _ in 0..200 {
                    nested = json!([nested]);
                }
                nested
            }
            13 => json!(vec![0; 5_000]),
            14 => json!("' OR 1=1; DELETE customer; --"),
            _ => json!("9".repeat(40)),
        }
    }

    /// `value` with one randomly chosen part replaced, removed or added to.
    fn mutate(&mut self, value: &mut Value, depth: u32) {
        let descend = depth < 6 && self.rng.chance(2, 3);
        match value {
            Value::Object(map) if !map.is_empty() => {
                let keys: Vec<String> = map.keys().cloned().collect();
                let key = self.pick(&keys).clone();
                match self.rng.below(8) {
                    0 => {
                        map.remove(&key);
                    }
                    1 => {
                        map.insert(format!("extra{}", self.rng.below(3)), self.extreme());
                    }
                    _ if descend => {
                        let child = map.get_mut(&key).expect("a key just listed");
                        self.mutate(child, depth + 1);
                    }
                    _ => {
                        let extreme = self.extreme();
                        map.insert(key, extreme);
                    }
                }
            }
            Value::Array(items) if !items.is_empty() => {
                let at = self.rng.below(items.len() as u64) as usize;
                if descend {
                    self.mutate(&mut items[at], depth + 1);
                } else if self.rng.chance(1, 2) {
                    items[at] = self.extreme();
                } else {
                    items.remove(at);
                }
            }
            other => *other = self.extreme(),
        }
    }

    /// One request; counts it, its time, and whether it failed. With
    /// `leave`, hangs up after the headers, as a phone whose rep closed the
    /// tab mid-load does.
    async fn send(
        &mut self,
        caller: &Caller,
        what: &str,
        request: reqwest::RequestBuilder,
        shown: &str,
        leave: bool,
    ) {
        let request = match &caller.cookie {
            Some(cookie) => request.header("cookie", cookie),
            None => request,
        };
        let started = Instant::now();
        // The whole answer, body included: a page that panics half way
        // through streaming has already sent a 200.
        let answer = match request.send().await {
            Ok(response) if leave => Ok(response.status()),
            Ok(response) => {
                let status = response.status();
                response.bytes().await.map(|_| status)
            }
            Err(error) => Err(error),
        };
        let took = started.elapsed();
        self.cases += 1;
        self.slowest = self.slowest.max(took);
        let failed = match &answer {
            Ok(status) => status.is_server_error(),
            Err(_) => true,
        };
        if failed || took > SLOW {
            self.failures += u64::from(failed);
            let status = answer.as_ref().map_or_else(|e| e.to_string(), |s| s.to_string());
            let shown: String = shown.chars().take(300).collect();
            eprintln!(
                "fuzz-http: {what} as {} answered {status} in {} ms: {shown}",
                caller.name,
                took.as_millis()
            );
        }
    }

    /// One generated case against a server function.
    async fn call(&mut self, callers: &[Caller]) {
        let (door, encoding) = *self.pick(DOORS);
        let caller = &callers[self.rng.below(callers.len() as u64) as usize];
        // Signing out one of the fuzzing sessions would make the rest anonymous.
        let caller = if door == "auth/sign_out" { &callers[0] } else { caller };
        let mut body = self.sample(door, caller.user);
        if self.rng.chance(4, 5) {
            self.mutate(&mut body, 0);
        }
        let url = format!("{}/api/{door}", self.base);
        let text = body.to_string();
        let request = match (encoding, self.rng.below(10)) {
            // Cut short.
            (_, 0) => {
                let cut = self.rng.below(text.len() as u64 + 1) as usize;
                let cut = (0..=cut).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
                self.http.post(&url).header("content-type", "application/json").body(text[..cut].to_owned())
            }
            // The other encoding.
            (Encoding::Form, 1) => self.http.post(&url).json(&body),
            (Encoding::Json, 1) => self.http.post(&url).form(&form_fields(&body)),
            // Bytes that are not text.
            (_, 2) => self
                .http
                .post(&url)
                .header("content-type", "application/json")
                .body(vec![0xff, 0xfe, 0x00, 0x7b]),
            (Encoding::Form, _) => self.http.post(&url).form(&form_fields(&body)),
            (Encoding::Json, _) => self.http.post(&url).json(&body),
        };
        self.send(caller, door, request, &text, false).await;
    }

    /// One file sent for import: a real one, nothing, bytes that are no
    /// spreadsheet, under names an attacker would try.
    async fn upload(&mut self, callers: &[Caller]) {
        let caller = &callers[self.rng.below(callers.len() as u64) as usize];
        let name = match self.rng.below(6) {
            0 => "客户.csv".to_owned(),
            1 => "../../../etc/passwd".to_owned(),
            2 => "x".repeat(5_000),
            3 => String::new(),
            4 => "%00.xlsx".to_owned(),
            _ => "客户.xlsx".to_owned(),
        };
        let body = match self.rng.below(4) {
            0 => import_file(),
            1 => Vec::new(),
            2 => vec![0xff; 1 + self.rng.below(70_000) as usize],
            _ => b"PK\x03\x04 not a workbook".to_vec(),
        };
        let mut url = format!("{}/api/import/files", self.base);
        if self.rng.chance(5, 6) {
            url.push_str(&format!("?name={}", encode_query(&name)));
        }
        // On a connection of its own: a refusal sent before the body is read
        // closes the connection, and a pooled one would break the next case.
        let request = self.uploads.post(url).body(body);
        self.send(caller, "import/files", request, &name, false).await;
    }

    /// One page, sometimes with a mangled path or query.
    async fn page(&mut self, callers: &[Caller]) {
        let caller = &callers[self.rng.below(callers.len() as u64) as usize];
        let customer = self.customer();
        let mut path = if self.rng.chance(1, 4) {
            format!("/customers/{customer}")
        } else {
            self.pick(PAGES).to_string()
        };
        match self.rng.below(6) {
            0 => path.push_str(&format!("?below={}&segment=%00%ff{}", self.rng.next(), "z".repeat(2_000))),
            1 => path.push_str(&"/..%2f".repeat(20)),
            2 => path = format!("/customers/{}", "%e4%b8".repeat(50)),
            _ => {}
        }
        let request = self.http.get(format!("{}{path}", self.base));
        let leave = self.rng.chance(1, 8);
        self.send(caller, "page", request, &path, leave).await;
    }
}

/// `text` as a query value.
fn encode_query(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A JSON object as form fields: strings as they are, anything else as JSON.
fn form_fields(body: &Value) -> Vec<(String, String)> {
    match body {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect(),
        other => vec![("value".into(), other.to_string())],
    }
}

async fn run(options: Options) -> Result<bool, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let url = format!("surrealkv://{}", dir.path().join("crm.db").display());
    let server = ServerProcess::start(&options.server, &url, PASSWORD, "warn,server=info")?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let base = server.base.clone();

    let root = sign_in(&http, &base, "root", PASSWORD).await?;
    for user in
        [("a", "rep", "north"), ("b", "rep", "north"), ("c", "rep", "south"), ("m", "manager", "north")]
    {
        create_user(&http, &base, &root, user, PASSWORD).await?;
    }
    let callers = vec![
        Caller { name: "anonymous", user: None, cookie: None },
        Caller { name: "rep", user: Some("a"), cookie: Some(sign_in(&http, &base, "a", PASSWORD).await?) },
        Caller {
            name: "manager",
            user: Some("m"),
            cookie: Some(sign_in(&http, &base, "m", PASSWORD).await?),
        },
        Caller { name: "admin", user: Some("root"), cookie: Some(root) },
    ];
    // A few archives for the requests to name.
    let mut fuzzer = Fuzzer {
        http: http.clone(),
        uploads: reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?,
        base: base.clone(),
        rng: Rng::new(options.seed),
        customers: vec![CustomerId::new()],
        file: String::new(),
        import: String::new(),
        cases: 0,
        failures: 0,
        slowest: Duration::ZERO,
        made: 0,
    };
    let mut sequencer = Sequencer::new(UserId("a".into()));
    let mut created = Vec::new();
    for n in 0..5 {
        let id = CustomerId::new();
        let mut fields = Fields::named(CustomerName::parse(&format!("模糊客户{n}")).map_err(|e| e.code)?);
        fields.owner = Some(UserId("a".into()));
        created.push(sequencer.next(
            id,
            Change::Create { fields: Box::new(fields) },
            Timestamp(1_700_000_000_000),
        ));
        fuzzer.customers.push(id);
    }
    let response = http
        .post(format!("{base}/api/sync/push"))
        .header("cookie", callers[1].cookie.as_deref().unwrap_or_default())
        .json(&json!({ "client": sequencer.client, "mutations": created }))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status() != 200 {
        return Err(format!("seeding archives: {}", response.status()));
    }

    // A file and an import of it, for the import's doors to name.
    let manager = callers[2].cookie.as_deref().unwrap_or_default();
    let answer = |request: reqwest::RequestBuilder| async move {
        let response = request.header("cookie", manager).send().await.map_err(|e| e.to_string())?;
        response.json::<Value>().await.map_err(|e| e.to_string())
    };
    let kept =
        answer(http.post(format!("{base}/api/import/files?name=fuzz.csv")).body(import_file())).await?;
    fuzzer.file = kept["id"].as_str().ok_or(format!("uploading a file: {kept}"))?.to_owned();
    let sample = fuzzer.sample("import/commit", Some("m"));
    let started = answer(http.post(format!("{base}/api/import/commit")).json(&sample)).await?;
    fuzzer.import = started["id"].as_str().ok_or(format!("importing: {started}"))?.to_owned();

    let started = Instant::now();
    while fuzzer.cases < options.cases {
        if fuzzer.rng.chance(1, 20) {
            fuzzer.upload(&callers).await;
        } else if fuzzer.rng.chance(1, 5) {
            fuzzer.page(&callers).await;
        } else {
            fuzzer.call(&callers).await;
        }
        if fuzzer.cases % 10_000 == 0 {
            eprintln!("fuzz-http: {} cases in {:.0} s", fuzzer.cases, started.elapsed().as_secs_f64());
        }
    }
    let healthy = http.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status() == 200);
    if !healthy {
        eprintln!("fuzz-http: /healthz does not answer 200 after the run");
    }
    // Let the log reader catch up with the last lines.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let panics = server.panics();
    eprintln!(
        "fuzz-http: {:.1} s, {:.1} ms per case, server peak {:.0} MiB",
        started.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64() * 1000.0 / fuzzer.cases.max(1) as f64,
        server.peak_mib().unwrap_or_default()
    );
    println!(
        "fuzz-http: cases={} 5xx={} panics={panics} slowest_ms={}",
        fuzzer.cases,
        fuzzer.failures,
        fuzzer.slowest.as_millis()
    );
    Ok(healthy && fuzzer.failures == 0 && panics == 0 && fuzzer.slowest <= SLOW)
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(options).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("fuzz-http: {message}");
            ExitCode::FAILURE
        }
    }
}
