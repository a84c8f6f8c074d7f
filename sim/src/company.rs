//! The large company the benchmarks seed: 100 reps in 10 teams, and
//! archives with a name, a mobile and a city drawn from the archive's
//! number alone, so every run seeds the same company.

use domain::apply::{ApplyContext, apply};
use domain::archive::{Customer, Fields, LabelledPhone, PhoneLabel};
use domain::ids::{CustomerId, UserId};
use domain::mutation::Sequencer;
use domain::time::{Date, Timestamp};
use domain::{Change, CustomerName, Phone};

/// Reps in the company; archive `i` is kept by rep `i % REPS`.
pub const REPS: usize = 100;
/// Teams; rep `r` is in team `r % TEAMS`.
pub const TEAMS: usize = 10;

/// Archive `i` as it is created: who keeps it, its name, mobile and city.
pub fn created_only(i: usize, today: Date) -> (Customer, Option<String>) {
    let rep = i % REPS;
    let owner = UserId(format!("rep-{rep:03}"));
    let fields = identity_fields(i, &owner);
    let mutation = Sequencer::new(owner).next(
        CustomerId::new(),
        Change::Create { fields: Box::new(fields) },
        Timestamp(0),
    );
    let ctx = ApplyContext { version: i as u64 + 1, today };
    let (customer, _) = apply(None, &mutation, &ctx).expect("a valid seed change");
    (customer, Some(format!("team-{}", rep % TEAMS)))
}

/// Archive `i`'s facts as it is created: [`identity`], kept by `owner`.
pub fn identity_fields(i: usize, owner: &UserId) -> Fields {
    let (name, mobile, city) = identity(i);
    let mut fields = Fields::named(CustomerName::parse(&name).expect("name"));
    fields.owner = Some(owner.clone());
    fields.phones =
        vec![LabelledPhone { label: PhoneLabel::Mobile, number: Phone::parse(&mobile).expect("mobile") }];
    fields.address.city = Some(city);
    fields
}

/// An empty store for a benchmark: in memory, or on disk in `dir`.
pub async fn bench_store(engine: &str, dir: &std::path::Path) -> Result<store::Store, String> {
    let url = match engine {
        "mem" => "mem://".to_owned(),
        _ => format!("surrealkv://{}", dir.join("crm.db").display()),
    };
    let (store, _) = store::Store::open(&url, None).await.map_err(|e| e.to_string())?;
    Ok(store)
}

/// Archive `i`'s name, mobile and city, from `i` alone (the analytics
/// draws stay as they were). One archive in 200 is a second record of the
/// one before it: same name, mobile and city, as old spreadsheets hold them.
pub fn identity(i: usize) -> (String, String, String) {
    const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
    const GIVEN: &str = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌宇浩凯丹玲晶燕云飞亮婷雪琳慧颖俊峰博晨宁海波林斌欣怡佳琪子涵梓轩宇航思远天佑嘉怡雨桐可馨梦瑶诗涵欣妍一诺";
    const CITIES: &[&str] = &[
        "北京市",
        "上海市",
        "广州市",
        "深圳市",
        "杭州市",
        "南京市",
        "苏州市",
        "成都市",
        "重庆市",
        "武汉市",
        "西安市",
        "天津市",
        "长沙市",
        "郑州市",
        "青岛市",
        "宁波市",
        "厦门市",
        "合肥市",
        "福州市",
        "济南市",
    ];
    let i = if i % 200 == 199 { i - 1 } else { i };
    // splitmix64: a well-spread number from the index.
    let mut h = (i as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    let (surnames, given): (Vec<char>, Vec<char>) = (SURNAMES.chars().collect(), GIVEN.chars().collect());
    let pick = |set: &[char], n: u64| set[(n % set.len() as u64) as usize];
    let mut name = String::from(pick(&surnames, h));
    name.push(pick(&given, h >> 8));
    if h >> 60 > 4 {
        name.push(pick(&given, h >> 16));
    }
    let city = CITIES[((h >> 24) % CITIES.len() as u64) as usize];
    (name, format!("139{:08}", i), city.to_owned())
}
