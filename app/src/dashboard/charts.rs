//! Charts drawn as SVG by the app itself: a few hundred bytes of markup,
//! readable on a phone or a tablet in portrait, no chart library to download.
//! The numbers are always in a table beside them.

use leptos::prelude::*;

const WIDTH: f64 = 320.0;

/// One bar: its label, its value and the value as people read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Under or beside the bar.
    pub label: String,
    /// Its length.
    pub value: f64,
    /// What is written at its end.
    pub text: String,
}

fn scale(bars: &[Bar]) -> f64 {
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    if max > 0.0 { max } else { 1.0 }
}

/// Vertical bars over time (months, weeks), oldest on the left.
#[component]
pub fn ColumnChart(title: String, bars: Vec<Bar>) -> impl IntoView {
    const HEIGHT: f64 = 170.0;
    const TOP: f64 = 16.0;
    const BOTTOM: f64 = 28.0;
    let max = scale(&bars);
    let slot = WIDTH / bars.len().max(1) as f64;
    let plot = HEIGHT - TOP - BOTTOM;
    let columns = bars
        .into_iter()
        .enumerate()
        .map(|(i, bar)| {
            let h = (bar.value.max(0.0) / max * plot).max(if bar.value > 0.0 { 1.0 } else { 0.0 });
            let x = i as f64 * slot;
            let y = TOP + plot - h;
            // Every label when they fit, otherwise every other one.
            let show_label = slot >= 24.0 || i % 2 == 0;
            view! {
                <g class="chart-column">
                    <title>{format!("{}: {}", bar.label, bar.text)}</title>
                    <rect x=format!("{:.1}", x + slot * 0.15) y=format!("{y:.1}") width=format!("{:.1}", slot * 0.7) height=format!("{h:.1}") />
                    {show_label
                        .then(|| {
                            view! {
                                <text class="chart-label" x=format!("{:.1}", x + slot / 2.0) y=format!("{:.1}", HEIGHT - 10.0) text-anchor="middle">
                                    {bar.label.clone()}
                                </text>
                            }
                        })}
                </g>
            }
        })
        .collect_view();
    let label = title.clone();
    view! {
        <svg class="chart" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=label>
            <title>{title}</title>
            <line class="chart-axis" x1="0" x2=WIDTH.to_string() y1=(TOP + plot).to_string() y2=(TOP + plot).to_string() />
            {columns}
        </svg>
    }
}

/// Horizontal bars for categories (stages, reps, segments), longest first as given.
#[component]
pub fn BarChart(title: String, bars: Vec<Bar>) -> impl IntoView {
    const ROW: f64 = 26.0;
    const LABEL: f64 = 96.0;
    const VALUE: f64 = 80.0;
    let max = scale(&bars);
    let height = ROW * bars.len().max(1) as f64 + 4.0;
    let rows = bars
        .into_iter()
        .enumerate()
        .map(|(i, bar)| {
            let y = i as f64 * ROW + 4.0;
            let w = bar.value.max(0.0) / max * (WIDTH - LABEL - VALUE);
            view! {
                <g class="chart-row">
                    <title>{format!("{}: {}", bar.label, bar.text)}</title>
                    <text class="chart-label" x=format!("{:.1}", LABEL - 6.0) y=format!("{:.1}", y + 15.0) text-anchor="end">
                        {bar.label.clone()}
                    </text>
                    <rect x=LABEL.to_string() y=format!("{y:.1}") width=format!("{w:.1}") height="18" />
                    <text class="chart-value" x=format!("{:.1}", LABEL + w + 4.0) y=format!("{:.1}", y + 15.0)>
                        {bar.text.clone()}
                    </text>
                </g>
            }
        })
        .collect_view();
    let label = title.clone();
    view! {
        <svg class="chart" viewBox=format!("0 0 {WIDTH} {height}") role="img" aria-label=label>
            <title>{title}</title>
            {rows}
        </svg>
    }
}
