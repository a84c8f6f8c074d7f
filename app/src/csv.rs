//! CSV as Excel in China opens it: UTF-8 with a byte-order mark, CRLF line
//! ends, and cells a spreadsheet would run as formulas defused.

/// A whole CSV document from a header and rows.
pub fn csv_document(header: &[String], rows: &[Vec<String>]) -> String {
    let mut out = String::from("\u{feff}");
    for line in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        out.push_str(&line.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// Quotes a CSV cell when it must be, and defuses cells a spreadsheet would
/// run as a formula.
pub fn csv_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\r', '\n']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

/// A link that hands each new `csv` to the browser as a download (it clicks
/// itself once the address is set), and stays to download it again.
#[leptos::component]
pub fn CsvDownload(
    csv: leptos::prelude::Signal<Option<String>>,
    #[prop(into)] file_name: String,
    label: &'static str,
) -> impl leptos::IntoView {
    use leptos::prelude::*;
    let link = NodeRef::<leptos::html::A>::new();
    let href = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(csv) = csv.get() {
            let encoded: String = js_sys::encode_uri_component(&csv).into();
            href.set(format!("data:text/csv;charset=utf-8,{encoded}"));
            // Let the link take its new address, then open it.
            request_animation_frame(move || {
                if let Some(a) = link.get_untracked() {
                    a.click();
                }
            });
        }
    });
    view! {
        <a node_ref=link class="export-link" href=move || href.get() download=file_name hidden=move || href.get().is_empty()>
            {label}
        </a>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_with_commas_quotes_or_formulas_are_made_safe() {
        assert_eq!(csv_cell("张三"), "张三");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=SUM(A1)"), "'=SUM(A1)");
    }

    #[test]
    fn a_document_starts_with_the_byte_order_mark_and_ends_lines_with_crlf() {
        let csv = csv_document(&["客户".into(), "数量".into()], &[vec!["甲".into(), "3".into()]]);
        assert_eq!(csv, "\u{feff}客户,数量\r\n甲,3\r\n");
    }
}
