//! Reading a pulled change straight into its variant (see
//! [`crate::tag_first`]): in the browser, the derived reader's intermediate
//! tree took two thirds of decoding a pulled page.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::Pulled;
use crate::archive::Customer;
use crate::dedup::SearchKeys;
use crate::ids::CustomerId;

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Op {
    Put,
    Delete,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Key {
    Op,
    Customer,
    Masked,
    Keys,
    Id,
    Version,
    #[serde(other)]
    Other,
}

impl<'de> Deserialize<'de> for Pulled {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(PulledVisitor)
    }
}

struct PulledVisitor;

impl<'de> Visitor<'de> for PulledVisitor {
    type Value = Pulled;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a pulled change tagged by `op`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pulled, A::Error> {
        let first: Option<String> = map.next_key()?;
        if first.as_deref() != Some("op") {
            return crate::tag_first::reread("op", first, map);
        }
        let (mut customer, mut masked, mut keys) = (None, None, None);
        let (mut id, mut version) = (None, None);
        let op: Op = map.next_value()?;
        let put = matches!(op, Op::Put);
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Op => return Err(de::Error::duplicate_field("op")),
                Key::Customer if put => customer = Some(map.next_value::<Box<Customer>>()?),
                Key::Masked if put => masked = Some(map.next_value::<bool>()?),
                Key::Keys if put => keys = Some(map.next_value::<SearchKeys>()?),
                Key::Id if !put => id = Some(map.next_value::<CustomerId>()?),
                Key::Version if !put => version = Some(map.next_value::<u64>()?),
                // Unknown, or another op's: skipped, as the derived reader did.
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(match op {
            Op::Put => Pulled::Put {
                customer: customer.ok_or_else(|| de::Error::missing_field("customer"))?,
                masked: masked.ok_or_else(|| de::Error::missing_field("masked"))?,
                keys: keys.unwrap_or_default(),
            },
            Op::Delete => Pulled::Delete {
                id: id.ok_or_else(|| de::Error::missing_field("id"))?,
                version: version.ok_or_else(|| de::Error::missing_field("version"))?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::mutation::Sequencer;
    use crate::replica::testing::{Server, create, rep};
    use crate::time::Timestamp;

    fn put() -> Pulled {
        let mut server = Server::default();
        let mutation = Sequencer::new(rep()).next(CustomerId::new(), create("张三"), Timestamp(1));
        server.push(&[mutation]);
        let Pulled::Put { customer, keys, .. } = server.pull(0).changes.remove(0) else { unreachable!() };
        Pulled::Put { customer, masked: true, keys }
    }

    #[test]
    fn a_change_reads_back_as_it_was_written() {
        let delete = Pulled::Delete { id: CustomerId::new(), version: 7 };
        for change in [put(), delete] {
            let text = serde_json::to_string(&change).expect("writes");
            assert!(text.starts_with(r#"{"op":"#), "the tag is written first: {text}");
            assert_eq!(serde_json::from_str::<Pulled>(&text).expect("reads"), change);
        }
    }

    #[test]
    fn a_tag_after_the_fields_unknown_fields_and_missing_keys_still_read() {
        let change = put();
        let Pulled::Put { customer, .. } = &change else { unreachable!() };
        let moved = json!({ "masked": true, "customer": customer, "later": [1, 2], "op": "put" });
        let read: Pulled = serde_json::from_value(moved).expect("reads");
        assert_eq!(read, change);
        let extra =
            json!({ "op": "delete", "id": customer.id, "version": 3, "later": {"a": 1}, "masked": "no" });
        assert_eq!(
            serde_json::from_value::<Pulled>(extra).expect("reads"),
            Pulled::Delete { id: customer.id, version: 3 }
        );
    }

    #[test]
    fn a_change_without_what_its_op_needs_is_refused_by_name() {
        let error = serde_json::from_str::<Pulled>(r#"{"op":"delete","version":3}"#).expect_err("refused");
        assert!(error.to_string().contains("`id`"), "{error}");
        let error = serde_json::from_str::<Pulled>(r#"{"op":"rename","id":"x"}"#).expect_err("refused");
        assert!(error.to_string().contains("rename"), "{error}");
        assert!(serde_json::from_str::<Pulled>(r#"{}"#).is_err());
        let twice = r#"{"op":"delete","op":"put","version":3}"#;
        let error = serde_json::from_str::<Pulled>(twice).expect_err("refused");
        assert!(error.to_string().contains("duplicate field `op`"), "{error}");
        let error = serde_json::from_str::<Pulled>(r#"{"version":3,"id":"x"}"#).expect_err("refused");
        assert!(error.to_string().contains("`op`"), "{error}");
    }
}
