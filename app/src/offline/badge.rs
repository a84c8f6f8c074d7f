//! The sync badge in the top bar: online or not, what waits to be sent,
//! conflicts, when the last sync ended. Tapping it opens the sync page.

use leptos::prelude::*;

use super::engine::{Problem, now_ms, use_offline};
use crate::i18n::{ago, fill, use_locale, use_texts};

/// Always visible while someone is signed in.
#[component]
pub fn SyncBadge() -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let status = offline.status();
    // Re-rendered once a minute so "3 minutes ago" stays true.
    let minute = RwSignal::new(0_u32);
    Effect::new(move |_| {
        set_interval(move || minute.update(|m| *m = m.wrapping_add(1)), std::time::Duration::from_secs(60));
    });

    let state = move || {
        let s = status.get();
        if !s.online || s.problem == Some(Problem::Offline) {
            "offline"
        } else if s.problem.is_some() || s.refused > 0 {
            "problem"
        } else if s.pending > 0 || s.syncing {
            "pending"
        } else {
            "synced"
        }
    };
    let line = move || {
        let s = status.get();
        if s.pending > 0 {
            fill(texts.pending_n, &[("n", &s.pending.to_string())])
        } else if s.syncing {
            texts.syncing.to_owned()
        } else {
            texts.all_synced.to_owned()
        }
    };
    let when = move || {
        minute.track();
        match status.get().last_synced {
            Some(at) => fill(texts.synced_at, &[("t", &ago(locale, at, now_ms()))]),
            None => texts.never_synced.to_owned(),
        }
    };
    let conflicts = move || {
        let n = status.get().conflicts;
        (n > 0).then(|| view! { <span class="badge-conflicts">{fill(texts.conflicts_n, &[("n", &n.to_string())])}</span> })
    };
    let refused = move || {
        let n = status.get().refused;
        (n > 0).then(
            || view! { <span class="badge-refused">{fill(texts.refused_n, &[("n", &n.to_string())])}</span> },
        )
    };
    let progress = move || {
        status.get().first_pull.map(|(done, head)| {
            let percent = (done * 100).checked_div(head).map_or(100, |p| p.min(100));
            view! {
                <div class="first-pull" role="status">
                    <span>{texts.first_pull}</span>
                    <progress max="100" value=percent.to_string()></progress>
                </div>
            }
        })
    };

    view! {
        <Show when=move || status.get().ready>
            <a
                class="sync-badge"
                href="/sync"
                data-state=state
                data-pending=move || status.get().pending.to_string()
                on:click=move |_| offline.sync_now()
            >
                <span class="dot" aria-hidden="true"></span>
                <span class="badge-text">
                    <span class="badge-online">{move || if state() == "offline" { texts.offline } else { texts.online }}</span>
                    <span class="badge-line">{line}</span>
                    <span class="badge-when">{when}</span>
                </span>
                {conflicts}
                {refused}
            </a>
            {progress}
        </Show>
    }
}
