//! Objects tagged by one of their keys, read with the tag first.
//!
//! serde's derived reader of an enum tagged inside its object cannot know
//! the variant until it meets the tag, so it reads the whole object into an
//! intermediate tree first and the variant from that: slower, and a second
//! reader of every type inside, compiled into the browser's code. This
//! crate writes the tag first, so its hand-written readers (`Pulled`,
//! `Change`) take the tag from the first key and read the rest straight
//! into the variant; an object with its tag elsewhere comes here.

use serde::de::{self, DeserializeOwned, MapAccess};
use serde::ser::{SerializeMap, Serializer};

/// Reads the rest of an object whose first key was `first` (`tag` was not
/// first) by gathering its fields and reading them again from JSON text
/// with `tag` first. Through text rather than a tree, so the reader of `T`
/// is the one that reads JSON text everywhere else.
pub(crate) fn reread<'de, A: MapAccess<'de>, T: DeserializeOwned>(
    tag: &'static str,
    first: Option<String>,
    mut map: A,
) -> Result<T, A::Error> {
    let mut fields: Vec<(String, serde_json::Value)> = Vec::new();
    if let Some(key) = first {
        fields.push((key, map.next_value()?));
        while let Some(field) = map.next_entry()? {
            fields.push(field);
        }
    }
    let at = fields.iter().position(|(key, _)| key == tag).ok_or_else(|| de::Error::missing_field(tag))?;
    let tagged = fields.remove(at);
    let mut text = Vec::new();
    let mut writer = serde_json::Serializer::new(&mut text);
    let mut object = writer.serialize_map(Some(fields.len() + 1)).map_err(de::Error::custom)?;
    for (key, value) in std::iter::once(&tagged).chain(&fields) {
        object.serialize_entry(key, value).map_err(de::Error::custom)?;
    }
    object.end().map_err(de::Error::custom)?;
    serde_json::from_slice(&text).map_err(de::Error::custom)
}
