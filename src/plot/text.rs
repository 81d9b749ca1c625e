//! Text that has to fit: a bold title shrunk until it fits its width, long labels cut in the
//! middle, and grid labels (`optimizer=adam, learning_rate=0.01`) factored into their varying
//! values and an axis title that names the keys once.

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend, FontDesc, FontFamily};
use plotters::style::FontStyle;

use super::style::FONT;

/// A bold font of `largest` px, a pixel smaller at a time (down to `smallest`) while `text`
/// with `padding` pixels beside it is wider than `width`.
pub fn fitting_font<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    (largest, smallest): (f64, f64),
    width: u32,
    padding: u32,
) -> FontDesc<'static> {
    let mut size = largest;
    while size > smallest {
        let font = FontDesc::new(FontFamily::Name(FONT), size, FontStyle::Bold);
        match area.estimate_text_size(text, &font.into()) {
            Ok((w, _)) if w + padding > width => size -= 1.0,
            _ => break,
        }
    }
    FontDesc::new(FontFamily::Name(FONT), size, FontStyle::Bold)
}

/// `label` cut in the middle with an ellipsis to at most `max` characters.
pub fn shorten(label: &str, max: usize) -> String {
    let chars: Vec<char> = label.chars().collect();
    if chars.len() <= max || max < 5 {
        return label.to_string();
    }
    let head = (max - 1) / 2;
    let tail = max - 1 - head;
    let mut s: String = chars[..head].iter().collect();
    s.push('…');
    s.extend(&chars[chars.len() - tail..]);
    s
}

/// A grid label (`optimizer=adam(beta_1=0.9), learning_rate=0.01`) as its (key, value) pairs,
/// split at top-level commas only (values may hold bracketed parameter lists); `None` when a
/// part is not `key=value`.
fn label_pairs(label: &str) -> Option<Vec<(&str, &str)>> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, ch) in label.char_indices() {
        match ch {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&label[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&label[start..]);
    parts
        .into_iter()
        .map(|p| {
            let (k, v) = p.trim().split_once('=')?;
            let k = k.trim();
            (!k.is_empty() && !k.contains(['(', '[', '{', ' '])).then_some((k, v.trim()))
        })
        .collect()
}

/// Category labels made short by saying the axis names once: when every label is `k=v, …`
/// with the same keys in the same order, each becomes the values of the keys that vary across
/// cells, and the second item names those keys (plus the keys every cell shares, with their
/// value) for the axis title. Otherwise the labels come back as they are, with no title.
pub fn factor_labels(labels: &[String]) -> (Vec<String>, String) {
    let unchanged = || (labels.to_vec(), String::new());
    let parsed: Option<Vec<Vec<(&str, &str)>>> = labels.iter().map(|l| label_pairs(l)).collect();
    let Some(parsed) = parsed else {
        return unchanged();
    };
    let Some(first) = parsed.first() else {
        return unchanged();
    };
    let keys: Vec<&str> = first.iter().map(|p| p.0).collect();
    if parsed
        .iter()
        .any(|p| p.iter().map(|q| q.0).ne(keys.iter().copied()))
    {
        return unchanged();
    }
    let varies: Vec<bool> = (0..keys.len())
        .map(|i| parsed.iter().any(|p| p[i].1 != first[i].1))
        .collect();
    if !varies.contains(&true) {
        return unchanged();
    }
    let short = parsed
        .iter()
        .map(|p| {
            p.iter()
                .zip(&varies)
                .filter(|(_, &v)| v)
                .map(|(q, _)| q.1)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    let varying: Vec<&str> = keys
        .iter()
        .zip(&varies)
        .filter(|(_, &v)| v)
        .map(|(k, _)| *k)
        .collect();
    let fixed: Vec<String> = first
        .iter()
        .zip(&varies)
        .filter(|(_, &v)| !v)
        .map(|((k, v), _)| format!("{k}={v}"))
        .collect();
    let mut title = varying.join(", ");
    if !fixed.is_empty() {
        title.push_str(&format!("   (every cell: {})", fixed.join(", ")));
    }
    (short, title)
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::{IntoDrawingArea, SVGBackend};

    #[test]
    fn long_labels_are_shortened_in_the_middle() {
        assert_eq!(shorten("short", 10), "short");
        let s = shorten("optimizer=adam,learning_rate=0.001,batch=32", 21);
        assert_eq!(s.chars().count(), 21);
        assert_eq!(s, "optimizer=…1,batch=32");
    }

    #[test]
    fn grid_labels_are_factored_into_values_and_an_axis_title() {
        let labels: Vec<String> = [
            "optimizer=adam(beta_1=0.9, beta_2=0.99), learning_rate=0.01, batch=32",
            "optimizer=sgd, learning_rate=0.1, batch=32",
        ]
        .map(String::from)
        .to_vec();
        let (short, title) = factor_labels(&labels);
        assert_eq!(short, ["adam(beta_1=0.9, beta_2=0.99), 0.01", "sgd, 0.1"]);
        assert_eq!(title, "optimizer, learning_rate   (every cell: batch=32)");
        assert_eq!(
            label_pairs("model.norm=batch(momentum=0.9)"),
            Some(vec![("model.norm", "batch(momentum=0.9)")])
        );
        // Different keys, free text, or nothing varying: left as they are.
        for labels in [
            vec!["optimizer=sgd".to_string(), "learning_rate=0.1".to_string()],
            vec!["sgd".to_string(), "adam".to_string()],
            vec!["optimizer=sgd".to_string()],
            vec![],
        ] {
            assert_eq!(factor_labels(&labels), (labels.clone(), String::new()));
        }
    }

    #[test]
    fn titles_shrink_to_fit_down_to_the_smallest_size() {
        super::super::style::register_font();
        let mut svg = String::new();
        let area = SVGBackend::with_string(&mut svg, (400, 100)).into_drawing_area();
        let size = |text: &str| fitting_font(&area, text, (22.0, 13.0), 400, 30).get_size();
        assert_eq!(size("short"), 22.0);
        let long = "a title much too long for four hundred pixels at twenty-two";
        let shrunk = size(long);
        assert!((13.0..22.0).contains(&shrunk), "{shrunk}");
        assert_eq!(size(&long.repeat(4)), 13.0);
    }
}
