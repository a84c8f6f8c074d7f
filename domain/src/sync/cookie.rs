//! The pull cookie: where a device's next pull starts.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Where a device's next pull starts: the server database's epoch (a new
/// one after a restore) and the last version the device has taken. Written
/// `<epoch>.<version>` on the wire and in storage.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cookie {
    /// Which life of the database the version counts in.
    pub epoch: String,
    /// The last version taken.
    pub version: u64,
}

impl Cookie {
    /// Reads `<epoch>.<version>`; None for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let (epoch, version) = text.rsplit_once('.')?;
        if epoch.is_empty() {
            return None;
        }
        Some(Self { epoch: epoch.to_owned(), version: version.parse().ok()? })
    }

    /// Whether `self` is older than `other` in the same life of the
    /// database: a pull that answers with such a cookie went backwards.
    pub fn is_before(&self, other: &Cookie) -> bool {
        self.epoch == other.epoch && self.version < other.version
    }
}

impl fmt::Display for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.epoch, self.version)
    }
}

impl Serialize for Cookie {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cookie {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("not a sync cookie: {text:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_reads_back_what_it_writes_and_refuses_anything_else() {
        let cookie = Cookie { epoch: "7f3a.b2".into(), version: 42 };
        assert_eq!(cookie.to_string(), "7f3a.b2.42");
        assert_eq!(Cookie::parse("7f3a.b2.42"), Some(cookie.clone()));
        let json = serde_json::to_string(&cookie).unwrap();
        assert_eq!(json, "\"7f3a.b2.42\"");
        assert_eq!(serde_json::from_str::<Cookie>(&json).unwrap(), cookie);
        for bad in ["", "42", ".42", "abc.", "abc.-1", "abc.x"] {
            assert_eq!(Cookie::parse(bad), None, "{bad:?}");
        }
        assert!(serde_json::from_str::<Cookie>("\"abc\"").is_err());
    }

    #[test]
    fn only_an_older_version_of_the_same_epoch_is_before() {
        let at = |epoch: &str, version| Cookie { epoch: epoch.into(), version };
        assert!(at("e", 3).is_before(&at("e", 4)));
        assert!(!at("e", 4).is_before(&at("e", 4)));
        assert!(!at("e", 3).is_before(&at("f", 9)), "a new epoch starts over");
    }
}
