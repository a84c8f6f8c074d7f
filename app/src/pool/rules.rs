//! The rules form for whoever runs a pool: admins (every pool) and a
//! team's manager (their team's), with a preview of what the recycle rules
//! would send back now, before they are saved.

use std::collections::BTreeSet;

use domain::archive::wire_name;
use domain::policy::Role;
use domain::pool::{MAX_DAYS, MAX_POOL_NAME, PoolRules, PoolSettings, RecycleRule, Silence, added_key};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::api::{RecyclePreview, load_pool_rules, preview_recycle, save_pool_rules};
use super::page::pool_label;
use crate::auth::use_current_user;
use crate::i18n::{app_error_message, field_error_message, fill, use_locale, use_texts};

/// The choice of pool that adds one: never a pool's key (an added pool's
/// name is never empty).
const NEW_POOL: &str = "*";

/// What a recycle rule may count from, in the order the form offers them.
const SILENCES: [Silence; 3] = [Silence::NoInteraction, Silence::NoOrder, Silence::OrderEnded];

/// One recycle rule as typed.
#[derive(Debug, Clone, PartialEq, Default)]
struct RuleDraft {
    silence: Silence,
    days: String,
    vip_days: String,
    /// Only these stages and categories (wire names); none ticked: any.
    stages: BTreeSet<String>,
    categories: BTreeSet<String>,
    /// Only archives with one of these tags, as typed (commas or spaces).
    tags: String,
}

/// The tags typed for a rule: split at commas (either width) and spaces.
fn typed_tags(text: &str) -> BTreeSet<String> {
    text.split([',', '，', ' ', '、']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

/// What the form holds, as typed.
#[derive(Debug, Clone, PartialEq, Default)]
struct Draft {
    daily_claims: String,
    hold_limit: String,
    cooldown: String,
    protection: String,
    rules: Vec<RuleDraft>,
}

impl Draft {
    fn of(rules: &PoolRules) -> Self {
        let optional = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
        Self {
            daily_claims: optional(rules.daily_claims),
            hold_limit: optional(rules.hold_limit),
            cooldown: rules.cooldown_days.to_string(),
            protection: rules.protection_days.to_string(),
            rules: rules
                .recycle
                .iter()
                .map(|r| RuleDraft {
                    silence: r.silence,
                    days: r.days.to_string(),
                    vip_days: r.days_by_category.get("vip").map(|d| d.to_string()).unwrap_or_default(),
                    stages: r.stages.clone(),
                    categories: r.categories.clone(),
                    tags: r.tags.iter().cloned().collect::<Vec<_>>().join("，"),
                })
                .collect(),
        }
    }

    /// The rules typed, on top of `base` (what the form does not show is
    /// kept); `Err` when a number is not a whole number of days in range.
    fn rules(&self, base: &PoolRules) -> Result<PoolRules, ()> {
        let days = |raw: &str, least: u32| -> Result<Option<u32>, ()> {
            match raw.trim() {
                "" => Ok(None),
                text => {
                    text.parse::<u32>().ok().filter(|d| (least..=MAX_DAYS).contains(d)).map(Some).ok_or(())
                }
            }
        };
        let mut recycle = Vec::new();
        for (i, draft) in self.rules.iter().enumerate() {
            let kept = base.recycle.get(i).cloned();
            let mut rule = kept.unwrap_or(RecycleRule {
                silence: Silence::NoInteraction,
                days: 0,
                days_by_category: Default::default(),
                stages: Default::default(),
                categories: Default::default(),
                tags: Default::default(),
            });
            rule.silence = draft.silence;
            rule.stages = draft.stages.clone();
            rule.categories = draft.categories.clone();
            rule.tags = typed_tags(&draft.tags);
            rule.days = days(&draft.days, 1)?.ok_or(())?;
            match days(&draft.vip_days, 1)? {
                Some(vip) => drop(rule.days_by_category.insert("vip".into(), vip)),
                None => drop(rule.days_by_category.remove("vip")),
            }
            recycle.push(rule);
        }
        Ok(PoolRules {
            daily_claims: days(&self.daily_claims, 1)?,
            hold_limit: days(&self.hold_limit, 1)?,
            cooldown_days: days(&self.cooldown, 0)?.unwrap_or(0),
            protection_days: days(&self.protection, 0)?.unwrap_or(0),
            recycle,
            ..base.clone()
        })
    }
}

/// The pool rules form, for admins and managers.
#[component]
pub fn PoolRulesCard() -> impl IntoView {
    let texts = use_texts();
    let t = texts.pool;
    let locale = use_locale();
    let user = use_current_user();
    let settings = RwSignal::new(None::<PoolSettings>);
    let message = RwSignal::new(None::<Result<(), String>>);
    let preview = RwSignal::new(None::<Vec<RecyclePreview>>);
    let draft = RwSignal::new(Draft::default());
    // Which pool: "" is the company's, a team's by its name, an added one
    // by its key, and NEW_POOL one the admin is about to add.
    let pool = RwSignal::new(None::<String>);
    let new_name = RwSignal::new(String::new());
    let teams = RwSignal::new(Vec::<String>::new());
    let me = move || user.get().and_then(Result::ok).flatten();
    let pools = move || -> Vec<(String, String)> {
        let Some(me) = me() else { return Vec::new() };
        let label = |key: &str| pool_label(t, Some(key).filter(|k| !k.is_empty()));
        match me.role {
            Role::Admin => {
                let added: Vec<String> =
                    settings.with(|s| s.iter().flat_map(PoolSettings::added_pools).cloned().collect());
                std::iter::once(String::new())
                    .chain(teams.get())
                    .chain(added)
                    .map(|key| {
                        let text = label(&key);
                        (key, text)
                    })
                    .chain(std::iter::once((NEW_POOL.to_owned(), t.new_pool.to_owned())))
                    .collect()
            }
            _ => me.team.map(|team| (team.clone(), label(&team))).into_iter().collect(),
        }
    };
    let team_of = |key: &str| (!key.is_empty()).then(|| key.to_owned());
    let show = move |key: &str| {
        let rules = settings.with_untracked(|s| s.as_ref().map(|s| s.rules(team_of(key).as_deref())));
        draft.set(Draft::of(&rules.unwrap_or_default()));
        preview.set(None);
    };
    Effect::new(move |_| {
        spawn_local(async move {
            if let Ok(list) = crate::team::list_teams().await {
                teams.set(list.into_iter().map(|team| team.name).collect());
            }
            match load_pool_rules().await {
                Ok(loaded) => settings.set(Some(loaded)),
                Err(error) => message.set(Some(Err(app_error_message(locale, &error)))),
            }
        });
    });
    // The first pool offered, once both the person and the rules are known.
    Effect::new(move |_| {
        if pool.get().is_none()
            && settings.with(Option::is_some)
            && let Some((key, _)) = pools().into_iter().next()
        {
            show(&key);
            pool.set(Some(key));
        }
    });
    let typed = move || -> Result<(Option<String>, PoolRules), String> {
        let mut key = pool.get_untracked().unwrap_or_default();
        if key == NEW_POOL {
            key = added_key(&new_name.get_untracked()).map_err(|e| field_error_message(locale, &e))?;
        }
        let team = team_of(&key);
        let base =
            settings.with_untracked(|s| s.as_ref().map(|s| s.rules(team.as_deref()))).unwrap_or_default();
        draft
            .with_untracked(|d| d.rules(&base))
            .map(|rules| (team, rules))
            .map_err(|()| t.days_range.to_owned())
    };
    let run_preview = move |_| match typed() {
        Ok((team, rules)) => {
            message.set(None);
            spawn_local(async move {
                match preview_recycle(team, rules).await {
                    Ok(rows) => preview.set(Some(rows)),
                    Err(error) => message.set(Some(Err(app_error_message(locale, &error)))),
                }
            });
        }
        Err(text) => message.set(Some(Err(text))),
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match typed() {
            Ok((team, rules)) => {
                message.set(None);
                spawn_local(async move {
                    match save_pool_rules(team.clone(), rules).await {
                        Ok(saved) => {
                            settings.set(Some(saved));
                            // A pool just added is the one shown now.
                            pool.set(team.or(Some(String::new())));
                            new_name.set(String::new());
                            message.set(Some(Ok(())));
                        }
                        Err(error) => message.set(Some(Err(app_error_message(locale, &error)))),
                    }
                });
            }
            Err(text) => message.set(Some(Err(text))),
        }
    };
    // Inputs are drawn again only when a rule is added or removed, so typing keeps its focus.
    let count = Memo::new(move |_| draft.with(|d| d.rules.len()));
    // The stages and categories a rule may be narrowed to, each a box.
    let (stages, categories) =
        (crate::customers::stage_options(locale), crate::customers::category_options(locale));
    let ticks = move |i: usize,
                      options: Vec<(String, String)>,
                      set: fn(&mut RuleDraft) -> &mut BTreeSet<String>,
                      ticked: BTreeSet<String>| {
        options
            .into_iter()
            .map(|(value, label)| {
                let on = ticked.contains(&value);
                view! {
                    <label class="check">
                        <input type="checkbox" value=value.clone() prop:checked=on on:change=move |ev| {
                            let checked = event_target_checked(&ev);
                            let value = value.clone();
                            draft.update(|d| {
                                let set = set(&mut d.rules[i]);
                                if checked { set.insert(value); } else { set.remove(&value); }
                            });
                        } />
                        <span>{label}</span>
                    </label>
                }
            })
            .collect_view()
    };
    let field = move |id: &'static str,
                      label: &'static str,
                      hint: Option<&'static str>,
                      get: fn(&Draft) -> String,
                      set: fn(&mut Draft, String)| {
        view! {
            <label for=id>{label}</label>
            <input id=id type="number" inputmode="numeric" min="0" max=MAX_DAYS.to_string() placeholder=hint.unwrap_or_default()
                prop:value=move || draft.with(get) on:input=move |ev| draft.update(|d| set(d, event_target_value(&ev))) />
        }
    };
    view! {
        <section class="card" data-testid="pool-rules">
            <h2>{t.rules_title}</h2>
            <p class="muted">{t.rules_help}</p>
            <form class="stacked-form" novalidate on:submit=save>
                <label for="rules-pool">{t.which_pool}</label>
                <select id="rules-pool" on:change=move |ev| {
                    let key = event_target_value(&ev);
                    show(&key);
                    pool.set(Some(key));
                }>
                    {move || pools().into_iter().map(|(key, label)| {
                        let chosen = pool.get_untracked().as_deref() == Some(key.as_str());
                        view! { <option value=key selected=chosen>{label}</option> }
                    }).collect_view()}
                </select>
                <Show when=move || pool.get().as_deref() == Some(NEW_POOL)>
                    <label for="rules-new-pool">{t.new_pool_name}</label>
                    <input id="rules-new-pool" type="text" maxlength=MAX_POOL_NAME.to_string() placeholder=t.new_pool_placeholder
                        prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev)) />
                </Show>
                {field("rules-daily", t.daily_claims, Some(t.no_limit), |d| d.daily_claims.clone(), |d, v| d.daily_claims = v)}
                {field("rules-hold", t.hold_limit, Some(t.no_limit), |d| d.hold_limit.clone(), |d, v| d.hold_limit = v)}
                {field("rules-cooldown", t.cooldown, None, |d| d.cooldown.clone(), |d, v| d.cooldown = v)}
                {field("rules-protection", t.protection, None, |d| d.protection.clone(), |d, v| d.protection = v)}
                <h3>{t.recycle_rules}</h3>
                {move || {
                    let n = count.get();
                    if n == 0 {
                        return view! { <p class="muted">{t.no_rules}</p> }.into_any();
                    }
                    (0..n).map(|i| {
                        let current = draft.with_untracked(|d| d.rules[i].clone());
                        view! {
                            <fieldset class="rule-row" data-rule=i.to_string()>
                                <legend>{format!("{} {}", t.recycle_rules, i + 1)}</legend>
                                <label for=format!("rule-{i}-silence")>{t.rule_silence}</label>
                                <select id=format!("rule-{i}-silence") on:change=move |ev| {
                                    let value = event_target_value(&ev);
                                    if let Some(silence) = SILENCES.into_iter().find(|s| wire_name(s) == value) {
                                        draft.update(|d| d.rules[i].silence = silence);
                                    }
                                }>
                                    {SILENCES.into_iter().map(|silence| {
                                        let label = match silence {
                                            Silence::NoInteraction => t.silence_interaction,
                                            Silence::NoOrder => t.silence_order,
                                            Silence::OrderEnded => t.silence_ended,
                                        };
                                        view! {
                                        <option value=wire_name(&silence) selected=current.silence == silence>{label}</option>
                                    }}).collect_view()}
                                </select>
                                <label for=format!("rule-{i}-days")>{t.rule_days}</label>
                                <input id=format!("rule-{i}-days") type="number" inputmode="numeric" min="1" max=MAX_DAYS.to_string()
                                    prop:value=current.days.clone()
                                    on:input=move |ev| draft.update(|d| d.rules[i].days = event_target_value(&ev)) />
                                <label for=format!("rule-{i}-vip")>{t.rule_vip_days}</label>
                                <input id=format!("rule-{i}-vip") type="number" inputmode="numeric" min="1" max=MAX_DAYS.to_string()
                                    placeholder=t.same_days prop:value=current.vip_days.clone()
                                    on:input=move |ev| draft.update(|d| d.rules[i].vip_days = event_target_value(&ev)) />
                                <details class="rule-filters" open=!(current.stages.is_empty() && current.categories.is_empty() && current.tags.is_empty())>
                                    <summary>{t.rule_filters}</summary>
                                    <p class="muted">{t.rule_filters_help}</p>
                                    <fieldset class="check-group">
                                        <legend>{texts.stage_label}</legend>
                                        {ticks(i, stages.clone(), |d| &mut d.stages, current.stages.clone())}
                                    </fieldset>
                                    <fieldset class="check-group">
                                        <legend>{texts.category_label}</legend>
                                        {ticks(i, categories.clone(), |d| &mut d.categories, current.categories.clone())}
                                    </fieldset>
                                    <label for=format!("rule-{i}-tags")>{t.rule_tags}</label>
                                    <input id=format!("rule-{i}-tags") type="text" prop:value=current.tags.clone()
                                        on:input=move |ev| draft.update(|d| d.rules[i].tags = event_target_value(&ev)) />
                                </details>
                                <button type="button" class="button" on:click=move |_| draft.update(|d| drop(d.rules.remove(i)))>{t.remove_rule}</button>
                            </fieldset>
                        }
                    }).collect_view().into_any()
                }}
                <button type="button" class="button" data-action="add-rule" on:click=move |_| draft.update(|d| d.rules.push(RuleDraft::default()))>{t.add_rule}</button>
                {move || match message.get() {
                    Some(Ok(())) => view! { <p class="form-done" role="status">{t.saved}</p> }.into_any(),
                    Some(Err(text)) => view! { <p class="form-error" role="alert">{text}</p> }.into_any(),
                    None => ().into_any(),
                }}
                {move || preview.get().map(|rows| view! {
                    <div data-testid="recycle-preview">
                        <p>{fill(t.preview_count, &[("n", &rows.len().to_string())])}</p>
                        <ul class="plain-list">
                            {rows.into_iter().take(50).map(|r| view! {
                                <li><a href=format!("/customers/{}", r.customer)>
                                    {fill(t.preview_line, &[("name", &r.name), ("keeper", &r.keeper), ("on", &r.on)])}
                                </a></li>
                            }).collect_view()}
                        </ul>
                    </div>
                })}
                <div class="button-row">
                    <button type="button" class="button" data-action="preview" on:click=run_preview disabled=move || settings.with(Option::is_none)>{t.preview}</button>
                    <button type="submit" class="button primary" disabled=move || settings.with(Option::is_none)>{t.save}</button>
                </div>
            </form>
        </section>
    }
}
