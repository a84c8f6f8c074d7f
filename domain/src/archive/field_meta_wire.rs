//! How an archive's field bookkeeping is written: each distinct write once,
//! and each field naming its write by position.
//!
//! A new archive's twenty-odd fields all carry the same write (client,
//! author, mutation, versions), so writing it out per field made the
//! bookkeeping four fifths of every archive on the wire, in the database
//! and in the browser's storage. Now:
//!
//! ```json
//! {"stamps": [{"version": 1, ...}], "fields": {"name": 0, "phones": {"s": 0, "rivals": [...]}}}
//! ```
//!
//! A field with competing values carries them beside its write's position.
//! The earlier form, a map from field name to `{"stamp": ..., "rivals": [...]}`,
//! is still read: archives stored before are not rewritten.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, IntoDeserializer, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{FieldMeta, FieldName, FieldValue};
use crate::merge::{Candidate, Stamp};

/// One field as written: its write's position, and any rivals.
enum Entry<'a> {
    Plain(usize),
    Rivals { stamp: usize, rivals: &'a [Candidate<FieldValue>] },
}

impl Serialize for Entry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Entry::Plain(index) => serializer.serialize_u64(*index as u64),
            Entry::Rivals { stamp, rivals } => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("s", stamp)?;
                map.serialize_entry("rivals", rivals)?;
                map.end()
            }
        }
    }
}

/// Writes `meta` in the compact form.
pub(super) fn serialize<S: Serializer>(
    meta: &BTreeMap<FieldName, FieldMeta>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut stamps: Vec<&Stamp> = Vec::new();
    // Each field's write position, in the map's order: written for every
    // archive in every pull, so no second map is built.
    let positions: Vec<usize> = meta
        .values()
        // Few distinct writes per archive: a scan beats a map.
        .map(|field| match stamps.iter().position(|s| **s == field.stamp) {
            Some(index) => index,
            None => {
                stamps.push(&field.stamp);
                stamps.len() - 1
            }
        })
        .collect();
    let mut map = serializer.serialize_map(Some(2))?;
    map.serialize_entry("stamps", &stamps)?;
    map.serialize_entry("fields", &Positioned { meta, positions: &positions })?;
    map.end()
}

/// The fields of `meta`, each with its write's position.
struct Positioned<'a> {
    meta: &'a BTreeMap<FieldName, FieldMeta>,
    positions: &'a [usize],
}

impl Serialize for Positioned<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.meta.len()))?;
        for ((name, field), &index) in self.meta.iter().zip(self.positions) {
            let entry = if field.rivals.is_empty() {
                Entry::Plain(index)
            } else {
                Entry::Rivals { stamp: index, rivals: &field.rivals }
            };
            map.serialize_entry(name, &entry)?;
        }
        map.end()
    }
}

/// Reads either form.
pub(super) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<FieldName, FieldMeta>, D::Error> {
    deserializer.deserialize_map(MetaVisitor)
}

/// A field as read: a position, or a position with rivals.
enum OwnedEntry {
    Plain(usize),
    Rivals { stamp: usize, rivals: Vec<Candidate<FieldValue>> },
}

impl<'de> Deserialize<'de> for OwnedEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = OwnedEntry;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a stamp position, or {\"s\": position, \"rivals\": [...]}")
            }

            fn visit_u64<E: de::Error>(self, index: u64) -> Result<OwnedEntry, E> {
                Ok(OwnedEntry::Plain(index as usize))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OwnedEntry, A::Error> {
                let (mut stamp, mut rivals) = (None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "s" => stamp = Some(map.next_value()?),
                        "rivals" => rivals = Some(map.next_value()?),
                        _ => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(OwnedEntry::Rivals {
                    stamp: stamp.ok_or_else(|| de::Error::missing_field("s"))?,
                    rivals: rivals.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_any(EntryVisitor)
    }
}

struct MetaVisitor;

impl<'de> Visitor<'de> for MetaVisitor {
    type Value = BTreeMap<FieldName, FieldMeta>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field bookkeeping")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut stamps: Option<Vec<Stamp>> = None;
        let mut fields: Option<BTreeMap<FieldName, OwnedEntry>> = None;
        let mut earlier_form = BTreeMap::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "stamps" => stamps = Some(map.next_value()?),
                "fields" => fields = Some(map.next_value()?),
                name => {
                    let name = FieldName::deserialize(name.into_deserializer())?;
                    earlier_form.insert(name, map.next_value::<FieldMeta>()?);
                }
            }
        }
        let Some(fields) = fields else { return Ok(earlier_form) };
        let stamps = stamps.ok_or_else(|| de::Error::missing_field("stamps"))?;
        let stamp = |index: usize| {
            stamps
                .get(index)
                .cloned()
                .ok_or_else(|| de::Error::custom(format!("no stamp at position {index}")))
        };
        fields
            .into_iter()
            .map(|(name, entry)| {
                let meta = match entry {
                    OwnedEntry::Plain(index) => FieldMeta { stamp: stamp(index)?, rivals: Vec::new() },
                    OwnedEntry::Rivals { stamp: index, rivals } => FieldMeta { stamp: stamp(index)?, rivals },
                };
                Ok((name, meta))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ClientId, MutationId, UserId};
    use crate::time::Timestamp;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Holder(#[serde(with = "super")] BTreeMap<FieldName, FieldMeta>);

    fn stamp(version: u64, author: &str) -> Stamp {
        Stamp {
            version,
            base: version - 1,
            client: ClientId::new(),
            author: UserId(author.into()),
            mutation: MutationId::new(),
            client_time: Timestamp(1_795_000_000_000),
        }
    }

    fn occupation(text: &str, stamp: Stamp) -> Candidate<FieldValue> {
        Candidate { value: FieldValue::Occupation(Some(text.into())), stamp }
    }

    #[test]
    fn fields_written_together_share_one_stamp_and_come_back_whole() {
        let (created, edited) = (stamp(1, "a"), stamp(7, "b"));
        let mut meta: BTreeMap<FieldName, FieldMeta> = FieldName::ALL
            .iter()
            .map(|name| (*name, FieldMeta { stamp: created.clone(), rivals: Vec::new() }))
            .collect();
        let rival = occupation("律师", stamp(6, "c"));
        meta.insert(FieldName::Occupation, FieldMeta { stamp: edited, rivals: vec![rival] });
        let json = serde_json::to_value(Holder(meta.clone())).unwrap();
        assert_eq!(json["stamps"].as_array().unwrap().len(), 2, "two distinct writes: {json}");
        assert_eq!(json["fields"]["name"], 0);
        assert_eq!(json["fields"]["occupation"]["s"], 1);
        assert_eq!(json["fields"]["occupation"]["rivals"][0]["stamp"]["author"], "c");
        let back: Holder = serde_json::from_value(json).unwrap();
        assert_eq!(back.0, meta);
    }

    #[test]
    fn the_earlier_form_with_a_stamp_per_field_is_still_read() {
        let mut meta = BTreeMap::new();
        meta.insert(FieldName::Name, FieldMeta { stamp: stamp(3, "a"), rivals: Vec::new() });
        meta.insert(
            FieldName::Occupation,
            FieldMeta { stamp: stamp(4, "a"), rivals: vec![occupation("医生", stamp(4, "b"))] },
        );
        // What the derived form wrote: field name -> {"stamp", "rivals"}.
        let earlier = serde_json::to_string(&meta).unwrap();
        let back: Holder = serde_json::from_str(&earlier).unwrap();
        assert_eq!(back.0, meta);
        let empty: Holder = serde_json::from_str("{}").unwrap();
        assert!(empty.0.is_empty());
    }

    #[test]
    fn a_field_naming_a_stamp_that_is_not_there_is_an_error_not_a_panic() {
        let json = r#"{"stamps": [], "fields": {"name": 3}}"#;
        let error = serde_json::from_str::<Holder>(json).unwrap_err();
        assert!(error.to_string().contains("no stamp at position 3"), "{error}");
    }
}
