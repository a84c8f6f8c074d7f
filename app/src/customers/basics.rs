//! The form for every basic fact of an archive. It shows the fields of the
//! kind chosen (a person's gender, birthday and occupation; a company's
//! industry and size), offers the standard lists, and checks an ID number
//! as it is typed, offering the birthday and gender a resident ID holds.

use domain::archive::{CompanySize, Customer, FieldValue, Gender, PartyKind, SourceChannel, wire_name};
use domain::mutation::FieldEdit;
use domain::standard::INDUSTRIES;
use domain::time::Date;
use domain::{Change, CustomerName, Email, FieldError, identity, validate};
use leptos::prelude::*;

use super::address::AddressFields;
use super::forms::{FormButtons, category_options, from_wire, parse_date, parse_phones, stage_options};
use crate::form::{Choice, Field, check, optional, optional_options, record_error_message, standard_options};
use crate::i18n::{Label, field_error_message, fill, use_locale, use_texts};
use crate::offline::{today, use_offline};

/// Reads the email list as typed: addresses separated by commas or spaces.
fn parse_emails(text: &str) -> Result<Vec<Email>, FieldError> {
    text.split([',', '，', '、', ';', '；', ' ']).filter(|s| !s.trim().is_empty()).map(Email::parse).collect()
}

const GENDERS: [Gender; 3] = [Gender::Male, Gender::Female, Gender::Other];
const SIZES: [CompanySize; 4] =
    [CompanySize::Micro, CompanySize::Small, CompanySize::Medium, CompanySize::Large];
const SOURCES: [SourceChannel; 6] = [
    SourceChannel::RepEntry,
    SourceChannel::WebForm,
    SourceChannel::Import,
    SourceChannel::Referral,
    SourceChannel::Event,
    SourceChannel::ECommerce,
];

/// Edits the basic facts of `customer`. Sensitive fields hidden from this
/// user (`masked`) are not offered.
#[component]
pub fn BasicsForm(customer: Customer, masked: bool, #[prop(into)] on_done: Callback<()>) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let id = customer.id;
    let f = customer.fields.clone();
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let phone_text = f.phones.iter().map(|p| p.number.national()).collect::<Vec<_>>().join(", ");
    let name = RwSignal::new(f.name.as_str().to_owned());
    let kind = RwSignal::new(wire_name(&f.kind));
    let gender = RwSignal::new(f.gender.map(|g| wire_name(&g)).unwrap_or_default());
    let birthday = RwSignal::new(f.birthday.map(|d| d.to_string()).unwrap_or_default());
    let birthday_lunar = RwSignal::new(f.birthday_lunar);
    let occupation = RwSignal::new(text(&f.occupation));
    let industry = RwSignal::new(text(&f.industry));
    let size = RwSignal::new(f.company_size.map(|s| wire_name(&s)).unwrap_or_default());
    let id_number = RwSignal::new(text(&f.id_number));
    let phones = RwSignal::new(phone_text);
    let email = RwSignal::new(f.emails.iter().map(Email::as_str).collect::<Vec<_>>().join(", "));
    let province = RwSignal::new(text(&f.address.province));
    let city = RwSignal::new(text(&f.address.city));
    let district = RwSignal::new(text(&f.address.district));
    let detail = RwSignal::new(text(&f.address.detail));
    let region = RwSignal::new(text(&f.region));
    let source = RwSignal::new(wire_name(&f.source));
    let stage = RwSignal::new(wire_name(&f.stage));
    let category = RwSignal::new(wire_name(&f.category));
    let review = RwSignal::new(f.next_review_at.map(|d| d.to_string()).unwrap_or_default());
    let shared = RwSignal::new(f.shared_with.iter().map(|u| u.0.as_str()).collect::<Vec<_>>().join(", "));
    // Only the record keeper shares an archive; the server checks that too.
    let keeper = f.owner.is_some() && f.owner == offline.user();
    let failure = RwSignal::new(None::<String>);

    let party = move || from_wire::<PartyKind>(&kind.get()).unwrap_or_default();
    let is_person = Memo::new(move |_| party() == PartyKind::Person);
    let name_error = Signal::derive(move || {
        CustomerName::parse(&name.get()).err().map(|e| field_error_message(locale, &e))
    });
    let phone_error = Signal::derive(move || check(locale, &phones.get(), parse_phones));
    let email_error = Signal::derive(move || check(locale, &email.get(), parse_emails));
    let birthday_error = Signal::derive(move || {
        let day = parse_date(&birthday.get(), "birthday").map_err(|e| field_error_message(locale, &e)).err();
        day.or_else(|| {
            let value = FieldValue::Birthday(parse_date(&birthday.get(), "birthday").ok().flatten());
            validate::field(&value, today()).err().map(|e| field_error_message(locale, &e))
        })
    });
    let id_error = Signal::derive(move || {
        let kind = party();
        check(locale, &id_number.get(), |number| identity::check(kind, number, today()))
    });
    let review_error = Signal::derive(move || check(locale, &review.get(), |s| Date::parse_field(s, "date")));
    // What a valid resident ID says that the form does not have yet.
    let from_id = Memo::new(move |_| {
        if !is_person.get() {
            return None;
        }
        let said = identity::resident_id(&identity::normalise(&id_number.get()), today()).ok()?;
        let missing = birthday.get().trim().is_empty() || gender.get().is_empty();
        missing.then_some(said)
    });
    let take_from_id = move |_| {
        if let Some(said) = from_id.get_untracked() {
            if birthday.get_untracked().trim().is_empty() {
                birthday.set(said.birthday.to_string());
            }
            if gender.get_untracked().is_empty() {
                gender.set(wire_name(&said.gender));
            }
        }
    };

    let original = f.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let values = (|| -> Result<Vec<FieldValue>, FieldError> {
            let kind = party();
            let mut out = vec![
                FieldValue::Name(CustomerName::parse(&name.get_untracked())?),
                FieldValue::Kind(kind),
                FieldValue::Source(from_wire(&source.get_untracked()).unwrap_or_default()),
                FieldValue::Stage(from_wire(&stage.get_untracked()).unwrap_or_default()),
                FieldValue::Category(from_wire(&category.get_untracked()).unwrap_or_default()),
                FieldValue::Region(optional(&region.get_untracked())),
                FieldValue::NextReviewAt(parse_date(&review.get_untracked(), "date")?),
                FieldValue::Emails(parse_emails(&email.get_untracked())?),
            ];
            // The other kind's fields keep what they hold: switching a
            // person to a company and back loses nothing.
            match kind {
                PartyKind::Person => out.extend([
                    FieldValue::Gender(from_wire(&gender.get_untracked())),
                    FieldValue::Birthday(parse_date(&birthday.get_untracked(), "birthday")?),
                    FieldValue::BirthdayLunar(birthday_lunar.get_untracked()),
                    FieldValue::Occupation(optional(&occupation.get_untracked())),
                ]),
                PartyKind::Company => out.extend([
                    FieldValue::Industry(optional(&industry.get_untracked())),
                    FieldValue::CompanySize(from_wire(&size.get_untracked())),
                ]),
            }
            if !masked {
                let number = optional(&identity::normalise(&id_number.get_untracked()));
                validate::id_number(kind, number.as_deref(), today())?;
                out.push(FieldValue::IdNumber(number));
                out.push(FieldValue::Phones(parse_phones(&phones.get_untracked())?));
                let mut address = original.address.clone();
                address.province = optional(&province.get_untracked());
                address.city = optional(&city.get_untracked());
                address.district = optional(&district.get_untracked());
                address.detail = optional(&detail.get_untracked());
                out.push(FieldValue::Address(address));
            }
            if keeper {
                let users = shared
                    .get_untracked()
                    .split([',', '，', '、', ' '])
                    .map(str::trim)
                    .filter(|u| !u.is_empty())
                    .map(|u| domain::ids::UserId(u.to_owned()))
                    .collect();
                out.push(FieldValue::SharedWith(users));
            }
            Ok(out)
        })();
        let values = match values {
            Ok(values) => values,
            Err(error) => return failure.set(Some(field_error_message(locale, &error))),
        };
        let base = offline.base(&id);
        let edits: Vec<FieldEdit> = values
            .into_iter()
            .filter(|v| *v != FieldValue::read(&original, v.name()))
            .map(|value| FieldEdit { value, base })
            .collect();
        if edits.is_empty() {
            return on_done.run(());
        }
        match offline.record(id, Change::SetFields { edits }) {
            Ok(_) => on_done.run(()),
            Err(error) => failure.set(Some(record_error_message(locale, &error))),
        }
    };

    let kinds = vec![
        ("person".to_owned(), PartyKind::Person.label(locale)),
        ("company".to_owned(), PartyKind::Company.label(locale)),
    ];
    let industries = standard_options(INDUSTRIES, &f.industry.clone().unwrap_or_default(), locale);
    view! {
        <form class="stacked-form" novalidate on:submit=save data-form="basics">
            <Field id="edit-name" label=texts.name_label value=name error=name_error />
            <Choice id="edit-kind" label=texts.kind_label value=kind options=kinds />
            {move || if is_person.get() {
                view! {
                    <Choice id="edit-gender" label=texts.gender_label value=gender options=optional_options(&GENDERS, locale) />
                    <Field id="edit-birthday" label=texts.birthday_label value=birthday error=birthday_error kind="date" />
                    <label class="check">
                        <input
                            id="edit-birthday-lunar"
                            type="checkbox"
                            prop:checked=move || birthday_lunar.get()
                            on:change=move |ev| birthday_lunar.set(event_target_checked(&ev))
                        />
                        <span>{texts.birthday_lunar_label}</span>
                    </label>
                    <Field id="edit-occupation" label=texts.occupation_label value=occupation />
                }.into_any()
            } else {
                view! {
                    <Choice id="edit-industry" label=texts.industry_label value=industry options=industries.clone() />
                    <Choice id="edit-size" label=texts.company_size_label value=size options=optional_options(&SIZES, locale) />
                }.into_any()
            }}
            // Sensitive fields: only those who see them in full edit them.
            {(!masked).then(|| view! {
                <Field id="edit-id-number" label=texts.id_number_label value=id_number error=id_error />
                {move || from_id.get().map(|said| {
                    let hint = fill(texts.id_fill_hint, &[
                        ("birthday", &said.birthday.to_string()),
                        ("gender", &said.gender.label(locale)),
                    ]);
                    view! {
                        <p class="suggestion" role="status" data-testid="id-fill">
                            <span>{hint}</span>
                            <button type="button" class="button" on:click=take_from_id>{texts.id_fill}</button>
                        </p>
                    }
                })}
                <Field id="edit-phones" label=texts.phones_label value=phones error=phone_error kind="tel" inputmode="tel" />
            })}
            <Field id="edit-email" label=texts.email_label value=email error=email_error kind="email" />
            {(!masked).then(|| view! {
                <AddressFields province city district detail />
            })}
            <Field id="edit-region" label=texts.region_label value=region />
            <Choice id="edit-source" label=texts.source_label value=source options=SOURCES.iter().map(|s| (wire_name(s), s.label(locale))).collect() />
            <Choice id="edit-stage" label=texts.stage_label value=stage options=stage_options(locale) />
            <Choice id="edit-category" label=texts.category_label value=category options=category_options(locale) />
            <Field id="edit-review" label=texts.next_review_label value=review error=review_error kind="date" />
            {keeper.then(|| view! { <Field id="edit-shared" label=texts.shared_with_label value=shared placeholder=texts.shared_with_hint /> })}
            <FormButtons failure on_done />
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_email_of_a_record_is_kept_when_its_basics_are_edited() {
        let emails = parse_emails("li@example.com, Li.Lei@Example.com；work@example.cn").unwrap();
        let emails: Vec<&str> = emails.iter().map(Email::as_str).collect();
        assert_eq!(emails, ["li@example.com", "li.lei@example.com", "work@example.cn"]);
        assert!(parse_emails("").unwrap().is_empty());
        assert_eq!(parse_emails("li@example.com, nope").unwrap_err().code, "email.invalid");
    }
}
