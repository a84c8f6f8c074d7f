//! CSV as Excel in China opens it: UTF-8 with a byte-order mark, CRLF line
//! ends, and cells a spreadsheet would run as formulas defused (the cell
//! rules are `domain::export`'s, shared with the server's exports); and the
//! links that hand a file made in the page to the browser as a download.

/// A whole CSV document from a header and rows.
pub fn csv_document(header: &[String], rows: &[Vec<String>]) -> String {
    let mut out = String::from("\u{feff}");
    for line in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        out.push_str(&domain::export::csv_line(line));
    }
    out
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
    let file = RwSignal::new(None::<(String, String)>);
    Effect::new(move |_| {
        if let Some(csv) = csv.get() {
            let encoded: String = js_sys::encode_uri_component(&csv).into();
            file.set(Some((file_name.clone(), format!("data:text/csv;charset=utf-8,{encoded}"))));
        }
    });
    view! { <DownloadLink file=file.into() label /> }
}

/// A link that hands each new file, `(name, address)`, to the browser as a
/// download (it clicks itself once the address is set), and stays to
/// download it again.
#[leptos::component]
pub fn DownloadLink(
    file: leptos::prelude::Signal<Option<(String, String)>>,
    label: &'static str,
) -> impl leptos::IntoView {
    use leptos::prelude::*;
    let link = NodeRef::<leptos::html::A>::new();
    Effect::new(move |_| {
        if file.get().is_some() {
            // Let the link take its new address, then open it.
            request_animation_frame(move || {
                if let Some(a) = link.get_untracked() {
                    a.click();
                }
            });
        }
    });
    let part = move |pick: fn((String, String)) -> String| file.get().map(pick).unwrap_or_default();
    view! {
        <a
            node_ref=link
            class="export-link"
            href=move || part(|f| f.1)
            download=move || part(|f| f.0)
            hidden=move || file.get().is_none()
        >
            {label}
        </a>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_starts_with_the_byte_order_mark_and_ends_lines_with_crlf() {
        let csv = csv_document(&["客户".into(), "数量".into()], &[vec!["甲".into(), "3".into()]]);
        assert_eq!(csv, "\u{feff}客户,数量\r\n甲,3\r\n");
    }
}
