//! `/import`: pick a file, see how it was read and what each column is
//! taken for (and correct it), check every row without writing anything,
//! then import.

use domain::import::{Encoding, Issue, MatchKeys, Planned, Target, Verdict};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos::wasm_bindgen::JsCast;

use super::api::{
    DryRun, ImportOptions, ImportProgress, ImportReport, ImportState, KeeperChoice, Preview, UPLOAD_PATH,
    Upload, UploadedFile,
};
use super::{import_check, import_commit, import_failed_rows, import_preview};
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::i18n::{
    Texts, app_error_message, field_error_message, fill, subject_label, use_locale, use_texts,
};

/// What a target is called.
fn target_label(t: &Texts, target: &Target, custom: &[(String, String)]) -> String {
    let text = match target {
        Target::Name => t.name_label,
        Target::Kind => t.kind_label,
        Target::Phones => t.phones_label,
        Target::Emails => t.email_label,
        Target::Province => t.province_label,
        Target::City => t.city_label,
        Target::District => t.district_label,
        Target::Address => t.address_label,
        Target::Birthday => t.birthday_label,
        Target::Gender => t.gender_label,
        Target::Occupation => t.occupation_label,
        Target::Industry => t.industry_label,
        Target::Region => t.region_label,
        Target::Category => t.category_label,
        Target::Stage => t.stage_label,
        Target::IdNumber => t.id_number_label,
        Target::Tags => t.tags_title,
        Target::Keeper => t.owner_label,
        Target::Custom(key) => {
            return custom.iter().find(|(k, _)| k == key).map_or(key.clone(), |(_, l)| l.clone());
        }
    };
    text.to_owned()
}

/// A mapping choice as the select's value: the target's JSON.
fn target_value(target: &Option<Target>) -> String {
    target.as_ref().and_then(|t| serde_json::to_string(t).ok()).unwrap_or_default()
}

fn encoding_name(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Utf8 => "UTF-8",
        Encoding::Gb18030 => "GB18030 / GBK",
        Encoding::Utf16Le => "UTF-16 LE",
        Encoding::Utf16Be => "UTF-16 BE",
        Encoding::Workbook => "Excel",
    }
}

/// The file the person picked, if any.
fn picked(ev: &leptos::ev::Event) -> Option<web_sys::File> {
    let input = ev.target()?.dyn_into::<web_sys::HtmlInputElement>().ok()?;
    input.files()?.get(0)
}

/// Sends `file` as it is (the browser streams it from disk) to be kept for
/// the import's steps. An answer the server refused comes back as its error.
async fn send(file: web_sys::File) -> Result<UploadedFile, AppError> {
    use crate::offline::{function, property};
    use leptos::wasm_bindgen::JsValue;
    let failed = || AppError::Request { message: "the file could not be sent".into() };
    let window = JsValue::from(leptos::prelude::window());
    let fetch = function(&window, "fetch").ok_or_else(failed)?;
    let name = js_sys::encode_uri_component(&file.name());
    let url = format!("{UPLOAD_PATH}?name={name}");
    let init = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&init, &"method".into(), &"POST".into());
    let _ = js_sys::Reflect::set(&init, &"body".into(), &file);
    let _ = js_sys::Reflect::set(&init, &"credentials".into(), &"same-origin".into());
    let promise: js_sys::Promise =
        fetch.call2(&window, &url.into(), &init).map_err(|_| failed())?.dyn_into().map_err(|_| failed())?;
    // A rejected fetch: the network is down.
    let response = wasm_bindgen_futures::JsFuture::from(promise).await.map_err(|_| failed())?;
    let text = function(&response, "text").ok_or_else(failed)?.call0(&response).map_err(|_| failed())?;
    let text =
        wasm_bindgen_futures::JsFuture::from(text.dyn_into::<js_sys::Promise>().map_err(|_| failed())?)
            .await
            .map_err(|_| failed())?
            .as_string()
            .unwrap_or_default();
    if property(&response, "ok").and_then(|ok| ok.as_bool()) == Some(true) {
        serde_json::from_str(&text).map_err(|_| failed())
    } else {
        Err(serde_json::from_str(&text).unwrap_or(AppError::Internal))
    }
}

/// The import page.
#[component]
pub fn ImportPage() -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let upload = RwSignal::new(None::<Upload>);
    let preview = RwSignal::new(None::<Preview>);
    let mapping = RwSignal::new(Vec::<Option<Target>>::new());
    let keys = RwSignal::new(MatchKeys::default());
    let keeper = RwSignal::new("me".to_owned());
    let keeper_user = RwSignal::new(String::new());
    let dry_run = RwSignal::new(None::<DryRun>);
    // What a commit did, and for a stopped one how far it got.
    let report = RwSignal::new(None::<(ImportReport, Option<(u64, u64)>)>);
    // The import being followed while it runs.
    let job = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Counts commits, so the list of recent imports shows the new one.
    let committed = RwSignal::new(0usize);
    let job_ended = move |end: ImportProgress| {
        let stopped = (end.state == ImportState::Cancelled).then_some((end.pushed, end.changes));
        report.set(Some((end.report, stopped)));
        job.set(None);
        busy.set(false);
        committed.update(|n| *n += 1);
    };

    let load_preview = move || {
        let Some(file) = upload.get_untracked() else { return };
        busy.set(true);
        failure.set(None);
        spawn_local(async move {
            match import_preview(file).await {
                Ok(read) => {
                    mapping.set(read.mapping.clone());
                    preview.set(Some(read));
                }
                Err(error) => failure.set(Some(app_error_message(locale, &error))),
            }
            busy.set(false);
        });
    };
    let on_file = move |ev: leptos::ev::Event| {
        preview.set(None);
        dry_run.set(None);
        report.set(None);
        upload.set(None);
        let Some(file) = picked(&ev) else { return };
        busy.set(true);
        failure.set(None);
        spawn_local(async move {
            match send(file).await {
                Ok(kept) => {
                    upload.set(Some(Upload { file: kept.id, encoding: None }));
                    load_preview();
                }
                Err(error) => {
                    failure.set(Some(app_error_message(locale, &error)));
                    busy.set(false);
                }
            }
        });
    };
    let options = move || ImportOptions {
        mapping: mapping.get_untracked(),
        keys: keys.get_untracked(),
        keeper: match keeper.get_untracked().as_str() {
            "pool" => KeeperChoice::Pool,
            "column" => KeeperChoice::Column,
            "user" => KeeperChoice::User(keeper_user.get_untracked().trim().to_owned()),
            _ => KeeperChoice::Me,
        },
    };
    let check = move |_| {
        let Some(file) = upload.get_untracked() else { return };
        busy.set(true);
        failure.set(None);
        report.set(None);
        let options = options();
        spawn_local(async move {
            match import_check(file, options).await {
                Ok(result) => dry_run.set(Some(result)),
                Err(error) => failure.set(Some(app_error_message(locale, &error))),
            }
            busy.set(false);
        });
    };
    let commit = move |_| {
        let Some(file) = upload.get_untracked() else { return };
        busy.set(true);
        failure.set(None);
        let options = options();
        spawn_local(async move {
            match import_commit(file, options).await {
                Ok(started) => {
                    dry_run.set(None);
                    committed.update(|n| *n += 1);
                    match started.id {
                        // Followed until it ends; the page stays busy meanwhile.
                        Some(id) => return job.set(Some(id)),
                        None => report.set(Some((started.report, None))),
                    }
                }
                Err(error) => failure.set(Some(app_error_message(locale, &error))),
            }
            busy.set(false);
        });
    };
    // The rows in error as a file, in the format they came in.
    let failed_file = RwSignal::new(None::<(String, String)>);
    let download_failed = move |_| {
        let Some(file) = upload.get_untracked() else { return };
        busy.set(true);
        failure.set(None);
        let options = options();
        let english = locale == crate::i18n::Locale::En;
        spawn_local(async move {
            match import_failed_rows(file, options, english).await {
                Ok(download) => failed_file.set(Some((
                    download.name,
                    format!("data:{};base64,{}", download.content_type, download.data),
                ))),
                Err(error) => failure.set(Some(app_error_message(locale, &error))),
            }
            busy.set(false);
        });
    };
    // Any change of the choices makes the last check stale.
    let stale = move || {
        dry_run.set(None);
        failed_file.set(None);
    };

    view! {
        <SignedIn>
            <section class="card">
                <h1>{texts.import_title}</h1>
                <p class="muted">{texts.import_help}</p>
                <div class="stacked-form">
                    <label for="import-file">{texts.import_file}</label>
                    <input id="import-file" type="file" accept=".csv,.txt,.xlsx,.xls,.xlsm,.xlsb,.ods" on:change=on_file />
                </div>
                <p class="form-error" role="alert">{move || failure.get()}</p>
                {move || busy.get().then(|| view! { <p class="muted" role="status">{texts.loading}</p> })}
            </section>
            {move || preview.get().map(|read| {
                let custom = read.custom.clone();
                let headers = read.headers.clone();
                view! {
                    <section class="card" data-testid="import-preview">
                        <h2>{fill(texts.import_rows, &[("n", &read.rows.to_string())])}</h2>
                        {read.saved.clone().map(|(user, at)| {
                            let date = domain::time::Timestamp(at).local_date().to_string();
                            view! { <p class="muted" data-testid="import-saved-mapping">{fill(texts.import_saved_mapping, &[("user", &user), ("date", &date)])}</p> }
                        })}
                        {(read.encoding != Encoding::Workbook).then(|| view! {
                            <label for="import-encoding">{texts.import_encoding}</label>
                            <select id="import-encoding" on:change=move |ev| {
                                let picked = event_target_value(&ev);
                                let encoding = Encoding::TEXT.into_iter().find(|e| format!("{e:?}") == picked);
                                upload.update(|u| if let Some(u) = u { u.encoding = encoding });
                                stale();
                                load_preview();
                            }>
                                {Encoding::TEXT.into_iter().map(|e| view! {
                                    <option value=format!("{e:?}") selected=e == read.encoding>{encoding_name(e)}</option>
                                }).collect_view()}
                            </select>
                        })}
                        <div class="table-scroll">
                            <table class="import-table">
                                <thead>
                                    <tr>
                                        {headers.iter().enumerate().map(|(column, header)| {
                                            let custom = custom.clone();
                                            let current = read.mapping.get(column).cloned().flatten();
                                            view! {
                                                <th>
                                                    <span class="header">{header.clone()}</span>
                                                    <select aria-label=format!("{} {}", texts.import_column, header) data-column=column on:change=move |ev| {
                                                        let picked = event_target_value(&ev);
                                                        let target: Option<Target> = serde_json::from_str(&picked).ok();
                                                        mapping.update(|m| {
                                                            // Grown when short, never cut: the columns after this one keep theirs.
                                                            if m.len() <= column {
                                                                m.resize(column + 1, None);
                                                            }
                                                            m[column] = target;
                                                        });
                                                        stale();
                                                    }>
                                                        <option value="" selected=current.is_none()>{texts.import_ignore}</option>
                                                        {Target::BUILT_IN.iter().cloned().chain(custom.iter().map(|(k, _)| Target::Custom(k.clone()))).map(|target| {
                                                            let selected = current.as_ref() == Some(&target);
                                                            view! { <option value=target_value(&Some(target.clone())) selected=selected>{target_label(texts, &target, &custom)}</option> }
                                                        }).collect_view()}
                                                    </select>
                                                </th>
                                            }
                                        }).collect_view()}
                                    </tr>
                                </thead>
                                <tbody>
                                    {read.sample.iter().map(|row| view! {
                                        <tr>{row.iter().map(|cell| view! { <td>{cell.clone()}</td> }).collect_view()}</tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <fieldset class="choices">
                            <legend>{texts.import_match}</legend>
                            <label class="check">
                                <input type="checkbox" prop:checked=move || keys.get().phone on:change=move |ev| { keys.update(|k| k.phone = event_target_checked(&ev)); stale(); } />
                                <span>{texts.phones_label}</span>
                            </label>
                            <label class="check">
                                <input type="checkbox" prop:checked=move || keys.get().email on:change=move |ev| { keys.update(|k| k.email = event_target_checked(&ev)); stale(); } />
                                <span>{texts.email_label}</span>
                            </label>
                            <label class="check">
                                <input type="checkbox" prop:checked=move || keys.get().name_city on:change=move |ev| { keys.update(|k| k.name_city = event_target_checked(&ev)); stale(); } />
                                <span>{texts.import_name_city}</span>
                            </label>
                        </fieldset>
                        <label for="import-keeper">{texts.import_keeper}</label>
                        <select id="import-keeper" on:change=move |ev| { keeper.set(event_target_value(&ev)); stale(); }>
                            <option value="me">{texts.import_keeper_me}</option>
                            <option value="column">{texts.import_keeper_column}</option>
                            <option value="user">{texts.import_keeper_user}</option>
                            <option value="pool">{texts.import_keeper_pool}</option>
                        </select>
                        {move || (keeper.get() == "user").then(|| view! {
                            <label for="import-keeper-user">{texts.username_label}</label>
                            <input id="import-keeper-user" type="text" autocapitalize="none" prop:value=move || keeper_user.get()
                                on:input=move |ev| { keeper_user.set(event_target_value(&ev)); stale(); } />
                        })}
                        <div class="button-row">
                            <button type="button" class="button primary" on:click=check disabled=move || busy.get()>{texts.import_check}</button>
                        </div>
                    </section>
                }
            })}
            {move || dry_run.get().map(|result| {
                let headers = preview.get_untracked().map(|p| p.headers).unwrap_or_default();
                let [create, update, skip, error] = result.counts;
                let rows: Vec<AnyView> =
                    result.rows.into_iter().map(|row| row_view(texts, locale, &headers, row)).collect();
                let summary = fill(texts.import_counts, &[
                    ("create", &create.to_string()),
                    ("update", &update.to_string()),
                    ("skip", &skip.to_string()),
                    ("error", &error.to_string()),
                ]);
                view! {
                    <section class="card" data-testid="import-check">
                        <h2>{texts.import_check_title}</h2>
                        <p class="import-counts" data-create=create data-update=update data-skip=skip data-error=error>{summary}</p>
                        <ul class="plain-list import-rows">
                            {rows}
                        </ul>
                        <div class="button-row">
                            <button type="button" class="button primary" on:click=commit disabled=move || busy.get() || create + update == 0>
                                {fill(texts.import_commit, &[("n", &(create + update).to_string())])}
                            </button>
                            {(error > 0).then(|| view! {
                                <button type="button" class="button" data-testid="import-failed-rows" on:click=download_failed disabled=move || busy.get()>
                                    {fill(texts.import_failed_rows, &[("n", &error.to_string())])}
                                </button>
                            })}
                            <crate::csv::DownloadLink file=failed_file.into() label=texts.dashboard.download />
                        </div>
                    </section>
                }
            })}
            {move || job.get().map(|id| view! { <super::progress::ImportProgressCard id on_end=job_ended /> })}
            {move || report.get().map(|(done, stopped)| view! {
                <section class="card" data-testid="import-report">
                    {match stopped {
                        Some((pushed, changes)) => view! {
                            <p class="form-error" role="status" data-testid="import-stopped">{fill(texts.import_stopped, &[
                                ("done", &pushed.to_string()),
                                ("total", &changes.to_string()),
                            ])}</p>
                        }.into_any(),
                        None => view! {
                            <p class="form-done" role="status">{fill(texts.import_done, &[
                                ("create", &done.created.to_string()),
                                ("update", &done.updated.to_string()),
                                ("skip", &done.skipped.to_string()),
                                ("error", &done.errors.to_string()),
                            ])}</p>
                        }.into_any(),
                    }}
                    {(done.refused > 0).then(|| view! {
                        <p class="form-error">{fill(texts.import_refused, &[("n", &done.refused.to_string())])}</p>
                    })}
                </section>
            })}
            <super::recent::RecentImports refresh=committed.into() />
        </SignedIn>
    }
}

/// What is wrong with a cell, under its column's header ("「手机」…").
pub(super) fn issue_text(locale: crate::i18n::Locale, headers: &[String], issue: &Issue) -> String {
    let message = field_error_message(locale, &issue.error);
    match issue.column.and_then(|c| headers.get(c)) {
        Some(header) => format!("「{header}」{message}"),
        None => message,
    }
}

/// One row of a check: its line, name, verdict and reasons.
fn row_view(texts: &'static Texts, locale: crate::i18n::Locale, headers: &[String], row: Planned) -> AnyView {
    let issue_text = |issue: &Issue| issue_text(locale, headers, issue);
    let (kind, what) = match &row.verdict {
        Verdict::Create => ("create", texts.import_will_create.to_owned()),
        Verdict::Update { changes, .. } => {
            let fields: Vec<String> = changes.iter().map(|c| subject_label(locale, c)).collect();
            ("update", fill(texts.import_will_update, &[("fields", &fields.join("、"))]))
        }
        Verdict::Skip { reason, of } if reason == "duplicate" => {
            ("skip", fill(texts.import_duplicate, &[("line", of)]))
        }
        Verdict::Skip { .. } => ("skip", texts.import_unchanged.to_owned()),
        Verdict::Error { issues } => ("error", issues.iter().map(issue_text).collect::<Vec<_>>().join(" ")),
    };
    let notes: Vec<String> = row.notes.iter().map(issue_text).collect();
    view! {
        <li class="import-row" data-verdict=kind data-line=row.line>
            <strong>{fill(texts.import_line, &[("n", &row.line.to_string())])}</strong>
            " "
            {row.name}
            " · "
            <span>{what}</span>
            {(!notes.is_empty()).then(|| view! { <br /><span class="muted">{notes.join(" ")}</span> })}
        </li>
    }
    .into_any()
}
