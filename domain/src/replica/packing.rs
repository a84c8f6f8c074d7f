//! Cached archives are mostly the same few stamps repeated per field, so
//! they compress well. localStorage counts UTF-16 code units, so the
//! compressed bytes travel 15 bits per character, in a range of code points
//! (U+4E00 to U+CDFF) that are all valid and never surrogates.

/// Marks a packed value; a value without it is plain JSON (older caches).
const MARK: &str = "z1:";
const BASE: u32 = 0x4E00;

/// `json` deflated and written as characters.
pub fn pack(json: &str) -> String {
    let bytes = miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 6);
    let mut out = String::with_capacity(MARK.len() + 12 + bytes.len() * 8 / 15 * 3 + 3);
    out.push_str(MARK);
    out.push_str(&bytes.len().to_string());
    out.push(':');
    let (mut acc, mut bits) = (0_u32, 0_u32);
    for byte in bytes {
        acc = (acc << 8) | u32::from(byte);
        bits += 8;
        if bits >= 15 {
            bits -= 15;
            out.push(char::from_u32(BASE + ((acc >> bits) & 0x7FFF)).expect("in range"));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from_u32(BASE + ((acc << (15 - bits)) & 0x7FFF)).expect("in range"));
    }
    out
}

/// The JSON in `stored`, packed or plain; none when it is damaged.
pub fn unpack(stored: &str) -> Option<String> {
    let Some(rest) = stored.strip_prefix(MARK) else { return Some(stored.to_owned()) };
    let (len, chars) = rest.split_once(':')?;
    let len: usize = len.parse().ok()?;
    let mut bytes = Vec::with_capacity(len);
    let (mut acc, mut bits) = (0_u32, 0_u32);
    for c in chars.chars() {
        let value = u32::from(c).checked_sub(BASE).filter(|v| *v <= 0x7FFF)?;
        acc = (acc << 15) | value;
        bits += 15;
        while bits >= 8 && bytes.len() < len {
            bits -= 8;
            bytes.push(((acc >> bits) & 0xFF) as u8);
        }
        acc &= (1 << bits) - 1;
    }
    if bytes.len() != len {
        return None;
    }
    let json = miniz_oxide::inflate::decompress_to_vec(&bytes).ok()?;
    String::from_utf8(json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips_and_takes_far_fewer_characters() {
        let stamp = r#"{"client":"0190c2a4-8f7e-7b6a-9c3d-2e1f0a9b8c7d","author":"alice"}"#;
        let json = format!("{{\"stamps\":[{}]}}", vec![stamp; 20].join(","));
        let packed = pack(&json);
        assert_eq!(unpack(&packed).as_deref(), Some(json.as_str()));
        assert!(
            packed.chars().count() * 5 < json.chars().count(),
            "{} vs {}",
            packed.chars().count(),
            json.len()
        );
    }

    #[test]
    fn every_length_of_input_round_trips() {
        for n in 0..64 {
            let text: String = (0..n).map(|i| char::from(b'a' + (i * 7 % 26) as u8)).collect();
            assert_eq!(unpack(&pack(&text)).as_deref(), Some(text.as_str()), "length {n}");
        }
    }

    #[test]
    fn plain_json_from_an_older_cache_still_reads_and_damage_is_noticed() {
        assert_eq!(unpack("{\"a\":1}").as_deref(), Some("{\"a\":1}"));
        let mut damaged = pack("{\"a\":1}");
        damaged.pop();
        assert_eq!(unpack(&damaged), None);
    }
}
