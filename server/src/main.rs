//! `server`: runs the customer archive, or one administration command.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use server::config::Settings;
use server::startup::{self, SHUTDOWN_GRACE};

const USAGE: &str = "usage:
  server                          serve the customer archive
  server create-admin USERNAME    create an admin; reads the password from the first line of stdin
  server backup FILE              write the whole database to FILE (SurrealQL)
  server restore FILE             load FILE into an empty database
  server import FILE [--dry-run] [--keeper USER|--pool] [--match phone,email,name_city]
                                  import a spreadsheet (.xlsx, .xls, .csv in any encoding) as the
                                  system, columns guessed from their headers; new customers go to
                                  USER or the pool (default); existing ones are found by the --match
                                  keys (default phone,email); prints the rows in error, and last:
                                  import: rows=N create=N update=N skip=N error=N
  server dedup-sweep              look at every archive for likely duplicates and queue the pairs;
                                  last line: dedup: scanned=N pairs=N seconds=S
  server pool recycle [--dry-run] [--date YYYY-MM-DD]
                                  send archives due by the pools' recycle rules back to their pools
                                  (--dry-run: only list them); last line: recycle: candidates=N warned=N
  server automation run [--dry-run] [--date YYYY-MM-DD]
                                  fire the reminders of that day (default today) to the record
                                  keepers and the rules' time triggers, each occasion once, and
                                  carry out what rules fired (--dry-run: only list them);
                                  last line: automation: rules=N firings=N emails=N
  server analytics bgnbd FILE     fit the BG/NBD churn model to a CSV of id,frequency,recency,T (weeks)
  server --help

Settings come from crm.toml (or the file named by CRM_CONFIG) and CRM_*
environment variables:
  CRM_DATABASE_URL       surrealkv://data/crm.db (default), mem://, ws://HOST:PORT
  CRM_DATABASE_USER      user for a SurrealDB server (with CRM_DATABASE_PASSWORD)
  CRM_ADDR               address to listen on (default 127.0.0.1:3000)
  CRM_SITE_ROOT          built site to serve (default target/site)
  CRM_MAX_BODY_BYTES     largest request body (default 2097152)
  CRM_SESSION_DAYS       days a session lasts without use (default 30)
  CRM_SECURE_COOKIES     true when served over TLS (default false)
  RUST_LOG               log filter (default info)

Exit codes: 2 usage or settings, 3 data directory in use, 4 database,
5 address in use, 6 command refused (or a file it cannot use).";

enum Command {
    Serve,
    CreateAdmin(String),
    Backup(PathBuf),
    Restore(PathBuf),
    FitBgNbd(PathBuf),
    DedupSweep,
    Import(PathBuf, server::commands::ImportCommand),
    Recycle { dry_run: bool, date: Option<domain::time::Date> },
    Automation { dry_run: bool, date: Option<domain::time::Date> },
}

/// `--dry-run` and `--date YYYY-MM-DD`, the options of a daily job run by hand.
fn day_options(command: &str, options: &[&str]) -> Result<(bool, Option<domain::time::Date>), String> {
    let (mut dry_run, mut date) = (false, None);
    let mut options = options.iter();
    while let Some(option) = options.next() {
        match *option {
            "--dry-run" => dry_run = true,
            "--date" => {
                let raw = options.next().ok_or("'--date' takes a date, YYYY-MM-DD")?;
                let parsed = domain::time::Date::parse_field(raw, "date")
                    .map_err(|_| format!("'{raw}' is not a date; write YYYY-MM-DD"))?;
                date = Some(parsed);
            }
            other => return Err(format!("'{command}' does not take '{other}'")),
        }
    }
    Ok((dry_run, date))
}

fn parse(args: &[String]) -> Result<Option<Command>, String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        [] => Ok(Some(Command::Serve)),
        ["--help" | "-h" | "help"] => Ok(None),
        ["create-admin", name] => Ok(Some(Command::CreateAdmin((*name).into()))),
        ["backup", file] => Ok(Some(Command::Backup(file.into()))),
        ["restore", file] => Ok(Some(Command::Restore(file.into()))),
        ["dedup-sweep"] => Ok(Some(Command::DedupSweep)),
        ["import", file, options @ ..] => {
            let mut command = server::commands::ImportCommand {
                dry_run: false,
                keeper: None,
                keys: domain::import::MatchKeys::default(),
            };
            let mut options = options.iter();
            while let Some(option) = options.next() {
                match *option {
                    "--dry-run" => command.dry_run = true,
                    "--pool" => command.keeper = None,
                    "--keeper" => {
                        command.keeper =
                            Some(options.next().ok_or("'--keeper' takes a user name")?.to_string())
                    }
                    "--match" => {
                        let keys = options.next().ok_or("'--match' takes keys, e.g. phone,email")?;
                        command.keys =
                            domain::import::MatchKeys { phone: false, email: false, name_city: false };
                        for key in keys.split(',') {
                            match key.trim() {
                                "phone" => command.keys.phone = true,
                                "email" => command.keys.email = true,
                                "name_city" => command.keys.name_city = true,
                                other => {
                                    return Err(format!(
                                        "'{other}' is not a match key: phone, email, name_city"
                                    ));
                                }
                            }
                        }
                    }
                    other => return Err(format!("'import' does not take '{other}'")),
                }
            }
            Ok(Some(Command::Import(file.into(), command)))
        }
        ["import"] => Err("'import' takes a file".into()),
        ["pool", "recycle", options @ ..] => {
            let (dry_run, date) = day_options("pool recycle", options)?;
            Ok(Some(Command::Recycle { dry_run, date }))
        }
        ["automation", "run", options @ ..] => {
            let (dry_run, date) = day_options("automation run", options)?;
            Ok(Some(Command::Automation { dry_run, date }))
        }
        ["automation", ..] => Err("'automation' takes: run [--dry-run] [--date YYYY-MM-DD]".into()),
        ["pool", ..] => Err("'pool' takes: recycle [--dry-run] [--date YYYY-MM-DD]".into()),
        ["analytics", "bgnbd", file] => Ok(Some(Command::FitBgNbd(file.into()))),
        ["analytics", ..] => Err("'analytics' takes: bgnbd FILE".into()),
        [command @ ("create-admin" | "backup" | "restore"), ..] => {
            Err(format!("'{command}' takes one argument"))
        }
        [other, ..] => Err(format!("unknown argument '{other}'")),
    }
}

/// A command's result as a message to print or a message and exit code.
fn refused(result: Result<String, server::commands::CommandError>) -> Result<Option<String>, (String, u8)> {
    result.map(Some).map_err(|e| (e.to_string(), e.exit_code()))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse(&args) {
        Ok(Some(command)) => command,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("server: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Analysis of a file touches no database and needs no settings.
    if let Command::FitBgNbd(file) = &command {
        return match server::analytics::bgnbd_command(file) {
            Ok(report) => {
                println!("{report}");
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("server: {message}");
                ExitCode::from(6)
            }
        };
    }
    let settings = match Settings::from_process() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("server: configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    // Every date this process names (today, a deadline, quiet hours) is the company's.
    domain::time::use_company_zone(&settings.time_zone);
    if let Err(message) = server::telemetry::init() {
        eprintln!("server: configuration error: {message}");
        return ExitCode::from(2);
    }
    let password = match &command {
        Command::CreateAdmin(_) => {
            let mut line = String::new();
            if std::io::stdin().lock().read_line(&mut line).is_err()
                || line.trim_end_matches(['\r', '\n']).is_empty()
            {
                eprintln!(
                    "server: create-admin reads the password from the first line of stdin; none was given"
                );
                return ExitCode::from(2);
            }
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
        _ => String::new(),
    };
    // Server functions over the store nest deep futures; debug builds
    // outgrow tokio's 2 MiB worker stacks, so give every build room.
    let runtime =
        match tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(8 << 20).build() {
            Ok(runtime) => runtime,
            Err(error) => {
                eprintln!("server: cannot start the async runtime: {error}");
                return ExitCode::FAILURE;
            }
        };
    let result = runtime.block_on(async {
        use server::commands;
        match &command {
            Command::Serve => {
                tracing::info!(?settings, "starting");
                startup::run(settings, startup::shutdown_signal())
                    .await
                    .map(|()| None)
                    .map_err(|e| (e.to_string(), e.exit_code()))
            }
            Command::CreateAdmin(name) => refused(commands::create_admin(&settings, name, &password).await),
            Command::Backup(file) => refused(commands::backup(&settings, file).await),
            Command::Restore(file) => refused(commands::restore(&settings, file).await),
            Command::FitBgNbd(_) => Ok(None),
            // Its figures are the last line as they are, for scripts to read.
            Command::Recycle { dry_run, date } => {
                match commands::recycle(&settings, *dry_run, date.unwrap_or_else(store::today)).await {
                    Ok(lines) => {
                        println!("{lines}");
                        Ok(None)
                    }
                    Err(error) => Err((error.to_string(), error.exit_code())),
                }
            }
            Command::Automation { dry_run, date } => {
                match commands::automation(&settings, *dry_run, date.unwrap_or_else(store::today)).await {
                    Ok(lines) => {
                        println!("{lines}");
                        Ok(None)
                    }
                    Err(error) => Err((error.to_string(), error.exit_code())),
                }
            }
            // The rows in error and the figures are the output, for scripts to read.
            Command::Import(file, options) => match commands::import(&settings, file, options).await {
                Ok(lines) => {
                    println!("{lines}");
                    Ok(None)
                }
                Err(error) => Err((error.to_string(), error.exit_code())),
            },
            Command::DedupSweep => match commands::dedup_sweep(&settings).await {
                Ok(line) => {
                    println!("{line}");
                    Ok(None)
                }
                Err(error) => Err((error.to_string(), error.exit_code())),
            },
        }
    });
    // Background tasks (database flushes) get a bounded time to finish.
    runtime.shutdown_timeout(SHUTDOWN_GRACE);
    match result {
        Ok(message) => {
            if let Some(message) = message {
                println!("server: {message}");
            }
            ExitCode::SUCCESS
        }
        Err((message, code)) => {
            eprintln!("server: {message}");
            ExitCode::from(code)
        }
    }
}
