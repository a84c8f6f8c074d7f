//! Server search through the index answers exactly what reading every
//! archive would, with the same masking.

use domain::archive::{Fields, LabelledPhone, PhoneLabel};
use domain::ids::{CustomerId, UserId};
use domain::policy::Sight;
use domain::{Change, CustomerName, Phone};
use store::{CustomerQuery, Outcome};

use crate::support::World;

struct Made {
    id: CustomerId,
    name: String,
    phone: String,
}

/// A small spread-out archive: people, companies, a Latin name, phones
/// that share pieces; kept by reps of both teams, some shared.
async fn company(world: &mut World) -> Vec<Made> {
    const SURNAMES: [&str; 5] = ["张", "王", "覃", "欧阳", "李"];
    const GIVEN: [&str; 6] = ["伟", "芳", "子涵", "建国", "一诺", "华"];
    let mut made = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for i in 0..60 {
        names.push(format!("{}{}", SURNAMES[i % 5], GIVEN[(i / 5) % 6]));
    }
    names.extend(
        ["北京华为科技有限公司", "Acme Trading", "ABC科技", "张伟华", "上海张江 伟业 Ltd"].map(String::from),
    );
    for (i, name) in names.iter().enumerate() {
        let owner = ["a", "b", "c"][i % 3];
        let id = CustomerId::new();
        let phone = format!("1391{:03}{:04}", i % 7, 1000 + i * 37);
        let mut fields = Fields::named(CustomerName::parse(name).unwrap());
        fields.owner = Some(UserId(owner.into()));
        fields.phones =
            vec![LabelledPhone { label: PhoneLabel::Mobile, number: Phone::parse(&phone).unwrap() }];
        if i % 10 == 0 {
            // Shared across teams: seen masked by the other team's people.
            fields.shared_with = [UserId(if owner == "c" { "a" } else { "c" }.into())].into();
        }
        let outcome = world.push_one(owner, id, Change::Create { fields: Box::new(fields) }).await;
        assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
        made.push(Made {
            id,
            name: CustomerName::parse(name).unwrap().as_str().to_owned(),
            phone: Phone::parse(&phone).unwrap().e164().to_owned(),
        });
    }
    made
}

/// What a search must answer, worked out from every archive the viewer
/// may see, newest first.
async fn expected(world: &World, made: &[Made], viewer: &str, text: &str) -> Vec<String> {
    let viewer = world.viewer(viewer);
    let seen = world.store.every_visible_customer(&viewer).await.unwrap();
    let text = text.trim().to_lowercase();
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let mut hits: Vec<(u64, String)> = seen
        .iter()
        .filter(|(customer, sight)| {
            let made = made.iter().find(|m| m.id == customer.id).unwrap();
            let keys = domain::dedup::search_keys(&made.name);
            made.name.to_lowercase().contains(&text)
                || keys.initials.starts_with(&text)
                || keys.pinyin.contains(&text)
                || (digits.len() >= 3 && *sight == Sight::Full && made.phone.contains(&digits))
        })
        .map(|(customer, _)| (customer.version, customer.id.to_string()))
        .collect();
    hits.sort_by(|x, y| y.cmp(x));
    hits.into_iter().map(|(_, id)| id).collect()
}

async fn found(world: &World, viewer: &str, text: &str) -> Vec<String> {
    found_page(world, viewer, text, 500).await
}

/// The ids on the first page of `limit` the list shows `viewer` for `text`.
async fn found_page(world: &World, viewer: &str, text: &str, limit: u32) -> Vec<String> {
    let query = CustomerQuery { text: Some(text.into()), limit, ..Default::default() };
    world
        .store
        .list_customers(&world.viewer(viewer), &query)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect()
}

#[tokio::test]
async fn every_kind_of_search_finds_what_reading_every_archive_would() {
    let mut world = World::new().await;
    let made = company(&mut world).await;
    let searches = [
        "张",
        "覃",
        "伟",
        "张伟",
        "欧阳子涵",
        "ZW",
        "zw",
        "z",
        "oy",
        "ouyang",
        "zhangwei",
        "angw",
        "qin",
        "华为",
        "科技",
        "acme",
        "trading",
        "abc",
        "Acme T",
        "张江伟",
        "伟业 l",
        "1391",
        "139",
        "913",
        "0001",
        "13910010000",
        "139 1001",
        "nobody",
        "王芳 ",
        "  ",
        "3",
        "4a",
    ];
    let mut nonempty = 0;
    for viewer in ["root", "m", "n", "a", "c"] {
        for text in searches {
            let want = expected(&world, &made, viewer, text).await;
            let got = found(&world, viewer, text).await;
            assert_eq!(got, want, "{viewer} searching {text:?}");
            nonempty += usize::from(!got.is_empty());
        }
    }
    assert!(nonempty > 100, "the searches should mostly find something ({nonempty})");
}

#[tokio::test]
async fn a_renamed_archive_is_found_by_its_new_name_only_and_a_deleted_one_not_at_all() {
    let mut world = World::new().await;
    let made = company(&mut world).await;
    let renamed = made[0].id;
    let version = world.version(renamed).await;
    let outcome = world
        .push_one(
            "a",
            renamed,
            Change::SetFields {
                edits: vec![domain::mutation::FieldEdit {
                    value: domain::archive::FieldValue::Name(CustomerName::parse("诸葛亮").unwrap()),
                    base: version,
                }],
            },
        )
        .await;
    assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    assert_eq!(found(&world, "root", "诸葛").await, vec![renamed.to_string()]);
    assert_eq!(found(&world, "root", "zhuge").await, vec![renamed.to_string()]);
    assert!(!found(&world, "root", &made[0].name).await.contains(&renamed.to_string()));

    let gone = made[1].id;
    let version = world.version(gone).await;
    let outcome = world.push_one("b", gone, Change::Delete { base: version }).await;
    assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    assert!(!found(&world, "root", &made[1].phone[3..]).await.contains(&gone.to_string()));
}

#[tokio::test]
async fn a_page_of_any_size_holds_the_newest_of_what_reading_every_archive_finds() {
    let mut world = World::new().await;
    let made = company(&mut world).await;
    // One busy archive takes the newest versions, one is deleted: the
    // newest versions hold few archives, so a page reads further back.
    let busy = made[5].id;
    for n in 0..40 {
        let base = world.version(busy).await;
        let outcome = world.push_one("c", busy, Change::AddTag { tag: format!("t{n}"), base }).await;
        assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    }
    let gone = made[7].id;
    let base = world.version(gone).await;
    assert!(matches!(world.push_one("b", gone, Change::Delete { base }).await, Outcome::Applied { .. }));
    // Archives of no team: in the company's pool, in north's pool, kept by
    // the admin (who is in none).
    for (n, owner, pool) in [(10, None, None), (20, None, Some("north")), (15, Some("root"), None)] {
        let id = made[n].id;
        let base = world.version(id).await;
        let change = Change::Reassign {
            owner: owner.map(|o: &str| UserId(o.into())),
            base,
            reason: None,
            pool: pool.map(Into::into),
            over_limit: false,
        };
        let outcome = world.push_one("root", id, change).await;
        assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    }
    for viewer in ["root", "m", "a"] {
        for text in ["", "张", "zw", "139", "acme", "nobody"] {
            let want = expected(&world, &made, viewer, text).await;
            for limit in [1, 2, 5, 17, 64] {
                let got = found_page(&world, viewer, text, limit).await;
                let newest = &want[..want.len().min(limit as usize)];
                assert_eq!(got, newest, "{viewer} searching {text:?}, {limit} a page");
            }
        }
    }
}

#[tokio::test]
async fn an_import_finds_by_the_columns_exactly_the_archives_seen_in_full() {
    use domain::import::Findable;
    let mut world = World::new().await;
    company(&mut world).await;
    // One in the company's pool with an email and a city, and one deleted.
    let pooled = CustomerId::new();
    let mut fields = Fields::named(CustomerName::parse("公海客户").unwrap());
    fields.emails = vec![domain::Email::parse("pool@example.com").unwrap()];
    fields.address.city = Some("杭州".into());
    let outcome = world.push_one("root", pooled, Change::Create { fields: Box::new(fields) }).await;
    assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    let gone = world.create("a", "已删除").await;
    let base = world.version(gone).await;
    assert!(matches!(world.push_one("a", gone, Change::Delete { base }).await, Outcome::Applied { .. }));

    for user in ["a", "c", "m", "n", "root"] {
        let viewer = world.viewer(user);
        let found = world.store.findable_customers(&viewer).await.unwrap();
        let expected: Vec<Findable> = world
            .store
            .every_visible_customer(&viewer)
            .await
            .unwrap()
            .iter()
            .filter(|(_, sight)| *sight == Sight::Full)
            .map(|(customer, _)| Findable::of(customer))
            .collect();
        assert_eq!(found, expected, "{user}");
        assert!(found.iter().all(|f| f.id != gone), "{user}: a deleted archive is found by nobody");
        let in_pool = found.iter().any(|f| f.id == pooled);
        assert_eq!(in_pool, user != "a" && user != "c", "{user}: managers and admins run the company pool");
    }
    let all = world.store.findable_customers(&world.viewer("root")).await.unwrap();
    assert_eq!(all.len(), 66, "every archive but the deleted one");
    let pool = all.iter().find(|f| f.id == pooled).unwrap();
    assert_eq!(
        (pool.emails.as_slice(), pool.city.as_deref()),
        (&["pool@example.com".to_owned()][..], Some("杭州"))
    );
}
