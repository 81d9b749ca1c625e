//! A chart inside a page: the SVG text the plot module draws (the same bytes as the chart's
//! `.svg` file, so the page looks like the PNG), made to scale with the page, with one
//! invisible target per seed on top where the seed was drawn. Hovering a target names its
//! cell, seed and value (an SVG `<title>` and the page's tooltip), clicking it goes to the run's
//! row, and the target carries `data-cell`, `data-seed` and `data-value`. What is drawn and
//! where comes from `crate::plot`; nothing is drawn here.

use std::fmt::Write as _;

use super::escape::escape;
use crate::plot::Hit;

/// What a chart's target says about its seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The run's cell label.
    pub cell: String,
    /// The run's seed.
    pub seed: u64,
    /// The value shown (formatted; "diverged at step N" for a diverged run).
    pub value: String,
    /// What the value is ("test accuracy").
    pub what: String,
    /// Where the run's row is (`#run-…`).
    pub href: String,
}

/// The opening tag of `svg` without its fixed `width` and `height` (the page sizes it; the
/// `viewBox` keeps its proportions).
fn scalable(svg: &str) -> String {
    let Some(end) = svg.find('>') else {
        return svg.to_string();
    };
    let mut tag = svg[..end].to_string();
    for attr in [" width=\"", " height=\""] {
        if let Some(start) = tag.find(attr) {
            if let Some(len) = tag[start + attr.len()..].find('"') {
                tag.replace_range(start..start + attr.len() + len + 1, "");
            }
        }
    }
    format!("{tag} role=\"img\"{}", &svg[end..])
}

/// The chart `svg` as a `<figure>` with `caption`, a target per hit that `point` describes.
pub fn figure(
    svg: &str,
    hits: &[Hit],
    point: impl Fn(&Hit) -> Option<Point>,
    caption: &str,
) -> String {
    let mut targets = String::from("<g class=\"hits\">\n");
    for hit in hits {
        let Some(p) = point(hit) else { continue };
        let tip = format!("{} · seed {} · {} {}", p.cell, p.seed, p.what, p.value);
        let _ = write!(
            targets,
            "<a class=\"hit\" href=\"{}\" data-cell=\"{}\" data-seed=\"{}\" data-value=\"{}\" \
             data-tip=\"{}\"><title>{}</title>",
            escape(&p.href),
            escape(&p.cell),
            p.seed,
            escape(&p.value),
            escape(&tip),
            escape(&tip)
        );
        for line in &hit.lines {
            match line.as_slice() {
                [] => {}
                [(x, y)] => {
                    let _ = write!(targets, "<circle cx=\"{x}\" cy=\"{y}\" r=\"6\"/>");
                }
                points => {
                    let xy: Vec<String> = points.iter().map(|(x, y)| format!("{x},{y}")).collect();
                    let _ = write!(targets, "<polyline points=\"{}\"/>", xy.join(" "));
                }
            }
        }
        targets.push_str("</a>\n");
    }
    targets.push_str("</g>\n");
    let svg = scalable(svg.trim_end());
    let svg = match svg.rfind("</svg>") {
        Some(end) => format!("{}{targets}</svg>", &svg[..end]),
        None => svg,
    };
    format!(
        "<figure class=\"chart\">\n{svg}\n<figcaption>{}</figcaption>\n</figure>",
        escape(caption)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_carry_cell_seed_and_value_escaped_and_the_svg_scales() {
        let svg = "<svg width=\"1000\" height=\"600\" viewBox=\"0 0 1000 600\" xmlns=\"http://www.w3.org/2000/svg\">\n<rect/>\n</svg>\n";
        let hits = vec![
            Hit {
                series: 0,
                member: 1,
                lines: vec![vec![(10, 20)]],
            },
            Hit {
                series: 1,
                member: 0,
                lines: vec![vec![(1, 2), (3, 4)]],
            },
        ];
        let html = figure(
            svg,
            &hits,
            |h| {
                Some(Point {
                    cell: format!("a=\"<{}>\"", h.series),
                    seed: h.member as u64 + 7,
                    value: "0.5000".into(),
                    what: "test accuracy".into(),
                    href: format!("#run-x-s{}", h.member),
                })
            },
            "every seed",
        );
        assert!(
            html.starts_with("<figure class=\"chart\">\n<svg viewBox=\"0 0 1000 600\""),
            "{html}"
        );
        assert!(!html.contains("width=\"1000\""), "{html}");
        assert!(
            html.contains(
                "data-cell=\"a=&quot;&lt;0&gt;&quot;\" data-seed=\"8\" data-value=\"0.5000\""
            ),
            "{html}"
        );
        assert!(html.contains("<title>a=&quot;&lt;0&gt;&quot; · seed 8 · test accuracy 0.5000</title><circle cx=\"10\" cy=\"20\" r=\"6\"/>"), "{html}");
        assert!(html.contains("<polyline points=\"1,2 3,4\"/>"), "{html}");
        assert!(html.contains("</g>\n</svg>"), "{html}");
    }
}
