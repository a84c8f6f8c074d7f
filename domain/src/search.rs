//! Finding an archive by what a person types, through keys an index holds.
//!
//! A search matches an archive when its name contains the text, its
//! initials start with it, its pinyin contains it, or (for three digits
//! or more, where the viewer may see phones) one of its phones contains
//! the digits. Scanning every archive for that takes seconds at 100,000
//! customers, so each archive also carries [`index_keys`]: short pieces of
//! those values that an exact index can look up. [`routes`] names, for each
//! way a text can match, pieces the archive must then hold, so the store
//! reads only archives holding the rarest of them and checks the full rule
//! on those: the keys narrow, they never decide.

use std::collections::BTreeSet;

/// Bumped whenever [`index_keys`] changes, or what is stored of them, so
/// stored keys are rebuilt.
pub const KEYS_VERSION: u32 = 4;

/// What starts the key of an initials prefix.
const INITIALS_KEY: &str = "in:";
/// What starts the key of one character of a name.
const NAME_CHAR_KEY: &str = "n1:";

/// Phone digits are indexed in pieces of this many; shorter digit
/// searches read archives in order instead.
const DIGIT_PIECE: usize = 4;
/// Initials are indexed by their first letters, up to this many.
const INITIALS_PREFIX: usize = 4;
/// Pinyin is also indexed in pieces of this many letters: the pairs alone
/// are each held by thousands of archives at 100,000 (a whole name typed
/// in pinyin is made of common pairs), pieces of four by a few hundred.
const PINYIN_PIECE: usize = 4;
/// And in pieces of this many: every piece of four of some whole names is
/// held by a thousand archives and more at 100,000 (`mengyu`: `meng`,
/// `engy`, `ngyu`), a piece of six by about as many as bear the name.
const PINYIN_LONG_PIECE: usize = 6;

/// A search as typed: the text lower-cased, and its digits when there are
/// at least three of them (then it also looks through phones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText {
    /// Trimmed and lower-cased.
    pub text: String,
    /// The text's digits, when three or more.
    pub digits: Option<String>,
}

impl SearchText {
    /// `None` when there is nothing to search for.
    pub fn parse(raw: &str) -> Option<Self> {
        let text = raw.trim().to_lowercase();
        if text.is_empty() {
            return None;
        }
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        Some(Self { digits: (digits.len() >= 3).then_some(digits), text })
    }
}

/// Which value of the archive a route looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The name contains the text.
    Name,
    /// The initials start with the text.
    Initials,
    /// The pinyin contains the text.
    Pinyin,
    /// A phone contains the digits.
    Phone,
}

/// One way a search can match, and the keys an archive matched that way is
/// sure to hold. No keys: this way cannot be narrowed by the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// What is compared.
    pub part: Part,
    /// Every one of these is among the archive's [`index_keys`].
    pub keys: Vec<String>,
}

/// The values of an archive a search looks at.
#[derive(Debug, Clone, Copy)]
pub struct Searchable<'a> {
    /// The name as stored.
    pub name: &'a str,
    /// Full pinyin, lower case, no spaces.
    pub pinyin: &'a str,
    /// First letters.
    pub initials: &'a str,
    /// Phones in E.164.
    pub phones: &'a [String],
    /// Email addresses, normalised.
    pub emails: &'a [String],
}

fn grams(text: &str, n: usize) -> impl Iterator<Item = String> + '_ {
    let chars: Vec<char> = text.chars().collect();
    let count = chars.len().saturating_sub(n - 1);
    (0..count).map(move |i| chars[i..i + n].iter().collect())
}

fn digits_of(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

fn prefix(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

/// The keys stored with an archive: its name's single characters and
/// pairs, its pinyin's letter pairs and pieces of four and six, its
/// initials' first letters, pieces of four digits of each phone, and each whole
/// phone and email (what the duplicate checks look up).
pub fn index_keys(values: Searchable<'_>) -> Vec<String> {
    let mut keys = BTreeSet::new();
    let name = values.name.to_lowercase();
    keys.extend(name.chars().filter(|c| !c.is_whitespace()).map(|c| format!("{NAME_CHAR_KEY}{c}")));
    keys.extend(grams(&name, 2).map(|g| format!("n2:{g}")));
    keys.extend(grams(values.pinyin, 2).map(|g| format!("py:{g}")));
    keys.extend(grams(values.pinyin, PINYIN_PIECE).map(|g| format!("p4:{g}")));
    keys.extend(grams(values.pinyin, PINYIN_LONG_PIECE).map(|g| format!("p6:{g}")));
    // Letters other than a-z and digits are rare in pinyin (a name's
    // accented or unconverted letters): they are keys alone too, so one
    // such letter is searched through the index.
    keys.extend(values.pinyin.chars().filter(|c| !c.is_ascii_alphanumeric()).map(|c| format!("p1:{c}")));
    let initials: Vec<char> = values.initials.chars().take(INITIALS_PREFIX).collect();
    keys.extend((1..=initials.len()).map(|n| initials_key(&initials[..n].iter().collect::<String>())));
    for phone in values.phones {
        keys.extend(grams(&digits_of(phone), DIGIT_PIECE).map(|g| format!("ph:{g}")));
        keys.insert(phone_key(phone));
    }
    keys.extend(values.emails.iter().map(|e| email_key(e)));
    keys.into_iter().collect()
}

fn initials_key(prefix: &str) -> String {
    format!("{INITIALS_KEY}{prefix}")
}

/// Whether `key` is one that thousands of archives share at 100,000: a
/// single character of a name (a surname, or a character common in given
/// names) or the first two letters of initials. The store keeps each
/// archive's such keys ([`paged_keys`]) also in an index ordered by
/// version, and reads a page of a common one newest first without reading
/// every archive that holds it. (One letter of initials is never looked up
/// by key: the same letter typed is in most pinyin. Three or more are held
/// by few, as are two characters of a name.)
pub fn is_paged(key: &str) -> bool {
    key.starts_with(NAME_CHAR_KEY)
        || key.strip_prefix(INITIALS_KEY).is_some_and(|letters| letters.chars().count() == 2)
}

/// The keys among `keys` that are [`is_paged`].
pub fn paged_keys(keys: &[String]) -> Vec<String> {
    keys.iter().filter(|k| is_paged(k)).cloned().collect()
}

/// The key of a whole phone (E.164), for duplicate checks.
pub fn phone_key(e164: &str) -> String {
    format!("p:{e164}")
}

/// The key of a whole email address, for duplicate checks.
pub fn email_key(email: &str) -> String {
    format!("e:{email}")
}

/// The ways `search` can match and the keys each needs. A way that can
/// never match (pinyin and initials hold only letters and digits) is left
/// out; phones are in only when the search has digits enough.
pub fn routes(search: &SearchText) -> Vec<Route> {
    let text = search.text.as_str();
    let length = text.chars().count();
    let mut routes = Vec::new();

    let name_keys = if length == 1 {
        vec![format!("{NAME_CHAR_KEY}{text}")]
    } else {
        grams(text, 2).map(|g| format!("n2:{g}")).collect()
    };
    routes.push(Route { part: Part::Name, keys: name_keys });

    // Initials and pinyin hold letters and digits only (a name's other
    // letters and digits are kept as typed, lower-cased).
    let word = text.chars().all(char::is_alphanumeric);
    if word {
        routes.push(Route { part: Part::Initials, keys: vec![initials_key(&prefix(text, INITIALS_PREFIX))] });
    }
    if word {
        let keys = match text.chars().next() {
            _ if length >= PINYIN_LONG_PIECE => {
                grams(text, PINYIN_LONG_PIECE).map(|g| format!("p6:{g}")).collect()
            }
            _ if length >= PINYIN_PIECE => grams(text, PINYIN_PIECE).map(|g| format!("p4:{g}")).collect(),
            _ if length >= 2 => grams(text, 2).map(|g| format!("py:{g}")).collect(),
            Some(c) if !c.is_ascii_alphanumeric() => vec![format!("p1:{c}")],
            // One of a-z or 0-9 is in most archives: read them in order.
            _ => vec![],
        };
        routes.push(Route { part: Part::Pinyin, keys });
    }
    if let Some(digits) = &search.digits {
        let keys = grams(digits, DIGIT_PIECE).map(|g| format!("ph:{g}")).collect();
        routes.push(Route { part: Part::Phone, keys });
    }
    // In the order typed (the store prefers the last of equally rare keys).
    for route in &mut routes {
        let mut seen = BTreeSet::new();
        route.keys.retain(|k| seen.insert(k.clone()));
    }
    routes
}

/// Whether `values` match `search` by `part`: the rule the store's query
/// applies, written out so the keys can be proven against it.
pub fn matches_by(search: &SearchText, part: Part, values: Searchable<'_>) -> bool {
    match part {
        Part::Name => values.name.to_lowercase().contains(&search.text),
        Part::Initials => values.initials.starts_with(&search.text),
        Part::Pinyin => values.pinyin.contains(&search.text),
        Part::Phone => {
            search.digits.as_ref().is_some_and(|d| values.phones.iter().any(|p| p.contains(d.as_str())))
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn values<'a>(name: &'a str, pinyin: &'a str, initials: &'a str, phones: &'a [String]) -> Searchable<'a> {
        Searchable { name, pinyin, initials, phones, emails: &[] }
    }

    #[test]
    fn a_name_is_found_by_any_piece_of_it_and_its_letters() {
        let phones = vec!["+8613912345678".to_owned()];
        let keys = index_keys(values("张伟华", "zhangweihua", "zwh", &phones));
        for needed in
            ["n1:张", "n2:伟华", "py:gw", "p4:ngwe", "p6:angwei", "in:zw", "ph:5678", "p:+8613912345678"]
        {
            assert!(keys.contains(&needed.to_owned()), "{needed} missing from {keys:?}");
        }
    }

    #[test]
    fn the_keys_many_share_are_a_names_characters_and_a_pair_of_initials_and_a_search_looks_for_them() {
        let keys = index_keys(values("张伟华", "zhangweihua", "zwh", &[]));
        assert_eq!(paged_keys(&keys), ["in:zw", "n1:伟", "n1:华", "n1:张"]);
        let by_letters = routes(&SearchText::parse("ZW").unwrap());
        let initials = by_letters.iter().find(|r| r.part == Part::Initials).unwrap();
        assert_eq!(initials.keys, ["in:zw"]);
        let by_surname = routes(&SearchText::parse("张").unwrap());
        let name = by_surname.iter().find(|r| r.part == Part::Name).unwrap();
        assert_eq!(name.keys, ["n1:张"]);
        assert!(initials.keys.iter().chain(&name.keys).all(|k| is_paged(k)));
        for other in ["in:z", "in:zwh", "n2:张伟", "py:zw", "p1:é"] {
            assert!(!is_paged(other), "{other}");
        }
    }

    #[test]
    fn a_search_lists_only_the_ways_it_could_match() {
        let spaced = routes(&SearchText::parse("张 伟").unwrap());
        assert_eq!(spaced.iter().map(|r| r.part).collect::<Vec<_>>(), vec![Part::Name]);
        let letters = routes(&SearchText::parse("ZW").unwrap());
        assert_eq!(
            letters.iter().map(|r| r.part).collect::<Vec<_>>(),
            vec![Part::Name, Part::Initials, Part::Pinyin]
        );
        let mobile = routes(&SearchText::parse("139 1234 5678").unwrap());
        assert_eq!(mobile.last().unwrap().part, Part::Phone);
        assert_eq!(mobile.last().unwrap().keys.len(), 8);
        assert!(
            routes(&SearchText::parse("z").unwrap()).iter().any(|r| r.keys.is_empty()),
            "one letter is everywhere"
        );
    }

    fn name_strategy() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop::sample::select(vec!['张', '伟', '华', 'a', 'B', '1', ' ', '科', 'é', '-']),
            1..8,
        )
        .prop_map(|c| c.into_iter().collect())
    }

    proptest! {
        /// Whatever way an archive matches a search, it holds every key
        /// that way names: narrowing by a key never loses an archive.
        #[test]
        fn an_archive_that_matches_holds_the_keys_of_its_way(
            name in name_strategy(),
            pinyin in "[a-zü0-9]{0,10}",
            initials in "[a-zé0-9]{0,5}",
            phone in "\\+86[0-9]{5,11}",
            start in 0usize..12,
            len in 1usize..8,
            from in 0u8..4,
        ) {
            let phones = vec![phone.clone()];
            let archive = values(&name, &pinyin, &initials, &phones);
            let source: String = match from {
                0 => name.to_lowercase(),
                1 => initials.clone(),
                2 => pinyin.clone(),
                _ => phone.clone(),
            };
            let chars: Vec<char> = source.chars().collect();
            let start = start.min(chars.len());
            let raw: String = chars[start..(start + len).min(chars.len())].iter().collect();
            let Some(search) = SearchText::parse(&raw) else { return Ok(()) };
            let keys: BTreeSet<String> = index_keys(archive).into_iter().collect();
            let routes = routes(&search);
            for part in [Part::Name, Part::Initials, Part::Pinyin, Part::Phone] {
                if !matches_by(&search, part, archive) {
                    continue;
                }
                let route = routes.iter().find(|r| r.part == part);
                prop_assert!(route.is_some(), "{part:?} matches {raw:?} but has no route");
                for key in &route.unwrap().keys {
                    prop_assert!(keys.contains(key), "{part:?}: {key} missing for {raw:?} in {keys:?}");
                }
            }
        }
    }
}
