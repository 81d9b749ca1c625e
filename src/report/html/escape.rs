//! Escaping text for HTML: every string a page shows or puts in an attribute goes through
//! [`escape`] (cell labels hold quotes, brackets and `<`). Nothing else lives here.

/// `s` safe as HTML text and as a double- or single-quoted attribute value.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A fragment identifier made of `s`: letters, digits, `-` and `_` kept, anything else `-`.
pub fn anchor(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(
            escape(r#"a<b & "c" 'd'>"#),
            "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;"
        );
        assert_eq!(escape("optimizer=adam"), "optimizer=adam");
    }

    #[test]
    fn anchors_keep_only_safe_characters() {
        assert_eq!(
            anchor("Versus the baseline `sgd`, paired"),
            "versus-the-baseline-sgd-paired"
        );
        assert_eq!(anchor("a<\"x\">"), "a-x");
    }
}
