//! JSON as WordPress writes it: `wp_json_encode` with PHP's default flags escapes `/`
//! as `\/` and every non-ASCII character as `\uXXXX` (UTF-16), so REST bodies and
//! webhook payloads (whose signature covers these exact bytes) look like a real site's.

use serde_json::Value;

/// `wp_json_encode($value)`.
pub(crate) fn wp_json(value: &Value) -> String {
    let plain = value.to_string();
    let mut out = String::with_capacity(plain.len() + plain.len() / 8);
    let mut units = [0u16; 2];
    // Outside strings serialised JSON holds neither `/` nor non-ASCII text, so every
    // character rewritten here is inside a string, where both escapes are valid.
    for c in plain.chars() {
        match c {
            '/' => out.push_str("\\/"),
            c if c.is_ascii() => out.push(c),
            c => {
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_like_php_and_round_trips() {
        let v = json!({"src": "https://x.example/a.jpg", "name": "Crème brûlée 🍮", "n": 1.5});
        let text = wp_json(&v);
        assert!(text.is_ascii());
        assert!(
            text.contains(r#""src":"https:\/\/x.example\/a.jpg""#),
            "{text}"
        );
        assert!(
            text.contains(r#""name":"Cr\u00e8me br\u00fbl\u00e9e \ud83c\udf6e""#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), v);
    }
}
