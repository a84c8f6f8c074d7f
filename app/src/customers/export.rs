//! The list's export: a file of what the filters select, among every
//! archive the user may see (on the server, not only this device's cache),
//! masked as they see it. Each format is a plain link, so the browser
//! downloads the file as it streams and shows its own progress.

use domain::export::{ExportFormat, address};
use domain::portfolio::Filter;
use leptos::prelude::*;

use crate::i18n::use_texts;

/// The export button of the customer list and its formats.
#[component]
pub fn ExportMenu(filter: Signal<Filter>) -> impl IntoView {
    let texts = use_texts();
    let label = move |format: ExportFormat| match format {
        ExportFormat::Xlsx => texts.export_xlsx,
        ExportFormat::Csv => texts.export_csv,
        ExportFormat::CsvGbk => texts.export_csv_gbk,
    };
    view! {
        <details class="export-menu" data-testid="customer-export">
            <summary class="button">{texts.export_title}</summary>
            <div class="export-choices">
                {ExportFormat::ALL
                    .into_iter()
                    .map(|format| {
                        view! {
                            <a
                                class="button"
                                href=move || address(&filter.get(), format)
                                download=""
                                data-format=format.wire()
                            >
                                {label(format)}
                            </a>
                        }
                    })
                    .collect_view()}
                <p class="muted">{texts.export_hint}</p>
            </div>
        </details>
    }
}
