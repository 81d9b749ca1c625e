//! The Markdown trainbench writes (report.md, claims.md) as HTML: headings with anchors,
//! paragraphs, `-` lists, fenced code, pipe tables (each made sortable by the page's script),
//! and inline code, bold, italics and links. It is not a general Markdown parser: it reads
//! exactly the subset the Markdown writers produce, so every table of a report appears in its
//! page. A line that is only an image is handed to the caller, which puts the interactive chart
//! there. Every piece of text is escaped.

use super::escape::{anchor, escape};

/// What to put where a line is only an image `![alt](src)`.
pub trait Images {
    /// The HTML for the image `src` described by `alt`.
    fn image(&mut self, alt: &str, src: &str) -> String;
}

/// `md` as an HTML fragment; `images` gives what stands for each image.
pub fn to_html(md: &str, images: &mut dyn Images) -> String {
    let lines: Vec<&str> = md.lines().collect();
    let mut out = String::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut i = 0;
    let flush = |paragraph: &mut Vec<&str>, out: &mut String| {
        if !paragraph.is_empty() {
            out.push_str(&format!("<p>{}</p>\n", inline(&paragraph.join(" "))));
            paragraph.clear();
        }
    };
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            flush(&mut paragraph, &mut out);
            i += 1;
        } else if let Some(fence) = trimmed.strip_prefix("```") {
            flush(&mut paragraph, &mut out);
            let _ = fence;
            let mut code = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].trim_end().starts_with("```") {
                code.push(lines[i]);
                i += 1;
            }
            i += 1;
            out.push_str(&format!(
                "<pre><code>{}</code></pre>\n",
                escape(&code.join("\n"))
            ));
        } else if let Some((level, text)) = heading(trimmed) {
            flush(&mut paragraph, &mut out);
            out.push_str(&format!(
                "<h{level} id=\"{}\">{}</h{level}>\n",
                anchor(text),
                inline(text)
            ));
            i += 1;
        } else if trimmed.starts_with('|') {
            flush(&mut paragraph, &mut out);
            let start = i;
            while i < lines.len() && lines[i].trim_start().starts_with('|') {
                i += 1;
            }
            out.push_str(&table(&lines[start..i]));
        } else if let Some(item) = trimmed.strip_prefix("- ") {
            flush(&mut paragraph, &mut out);
            out.push_str("<ul>\n");
            let mut item = item.to_string();
            i += 1;
            loop {
                // A line indented under an item continues it.
                while i < lines.len()
                    && lines[i].starts_with("  ")
                    && !lines[i].trim_start().starts_with("- ")
                {
                    item.push(' ');
                    item.push_str(lines[i].trim());
                    i += 1;
                }
                out.push_str(&format!("<li>{}</li>\n", inline(&item)));
                match lines.get(i).and_then(|l| l.trim_end().strip_prefix("- ")) {
                    Some(next) => {
                        item = next.to_string();
                        i += 1;
                    }
                    None => break,
                }
            }
            out.push_str("</ul>\n");
        } else if let Some((alt, src)) = lone_image(trimmed) {
            flush(&mut paragraph, &mut out);
            out.push_str(&images.image(alt, src));
            out.push('\n');
            i += 1;
        } else {
            paragraph.push(trimmed.trim_start());
            i += 1;
        }
    }
    flush(&mut paragraph, &mut out);
    out
}

/// `(level, text)` of a `#` heading.
fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.chars().take_while(|&c| c == '#').count();
    if (1..=6).contains(&level) && line[level..].starts_with(' ') {
        Some((level, line[level..].trim()))
    } else {
        None
    }
}

/// `(alt, src)` when the whole line is one image.
fn lone_image(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("![")?;
    let (alt, rest) = rest.split_once("](")?;
    let src = rest.strip_suffix(')')?;
    (!src.contains(')') && !src.contains(' ')).then_some((alt, src))
}

/// The cells of a table row: split at `|` not escaped as `\|`, outer pipes dropped.
fn row_cells(line: &str) -> Vec<String> {
    let line = line.trim();
    let line = line.strip_prefix('|').unwrap_or(line);
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cell).trim().to_string()),
            c => cell.push(c),
        }
    }
    if !cell.trim().is_empty() {
        cells.push(cell.trim().to_string());
    }
    cells
}

fn table(lines: &[&str]) -> String {
    let rows: Vec<Vec<String>> = lines.iter().map(|l| row_cells(l)).collect();
    let is_rule = |r: &Vec<String>| {
        !r.is_empty()
            && r.iter()
                .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':')))
    };
    let (head, align, body) = match rows.get(1) {
        Some(rule) if is_rule(rule) => (Some(&rows[0]), rule.clone(), &rows[2..]),
        _ => (None, Vec::new(), &rows[..]),
    };
    let right: Vec<bool> = align.iter().map(|a| a.ends_with(':')).collect();
    let class = |j: usize| {
        if right.get(j).copied().unwrap_or(false) {
            " class=\"num\""
        } else {
            ""
        }
    };
    let mut out = String::from("<div class=\"table-wrap\"><table class=\"sortable\">\n");
    if let Some(head) = head {
        out.push_str("<thead><tr>");
        for (j, h) in head.iter().enumerate() {
            out.push_str(&format!(
                "<th{} title=\"sort\">{}</th>",
                class(j),
                inline(h)
            ));
        }
        out.push_str("</tr></thead>\n");
    }
    out.push_str("<tbody>\n");
    for row in body {
        out.push_str("<tr>");
        for (j, c) in row.iter().enumerate() {
            out.push_str(&format!(
                "<td{}>{}</td>",
                cell_class(c, right.get(j).copied().unwrap_or(false)),
                inline(c)
            ));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
    out
}

/// The class of a table cell: right-aligned numbers; a diverged run's entry in the diverged
/// colour, as the charts mark it; intervals kept on one line; a verdict in its colour.
fn cell_class(text: &str, right: bool) -> String {
    let mut classes: Vec<&str> = Vec::new();
    if right {
        classes.push("num");
    }
    if text.starts_with("diverged@") || text.starts_with("diverged at step") {
        classes.push("diverged");
    }
    if text.starts_with('[') {
        classes.push("interval");
    }
    for verdict in ["supported", "contradicted", "inconclusive", "invalid"] {
        if text.starts_with(&format!("**{verdict}**")) {
            classes.push(match verdict {
                "supported" => "verdict-supported",
                "contradicted" => "verdict-contradicted",
                _ => "verdict-other",
            });
        }
    }
    if classes.is_empty() {
        String::new()
    } else {
        format!(" class=\"{}\"", classes.join(" "))
    }
}

/// Inline Markdown: `code`, **bold**, *italics*, [links](href) and `\|`; the rest escaped.
pub fn inline(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('`') {
            if let Some(end) = after.find('`') {
                out.push_str(&format!("<code>{}</code>", escape(&after[..end])));
                rest = &after[end + 1..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix("**") {
            if let Some(end) = after.find("**") {
                out.push_str(&format!("<strong>{}</strong>", inline(&after[..end])));
                rest = &after[end + 2..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix('*') {
            if !after.starts_with(' ') {
                if let Some(end) = after.find('*') {
                    if end > 0 && !after[..end].ends_with(' ') {
                        out.push_str(&format!("<em>{}</em>", inline(&after[..end])));
                        rest = &after[end + 1..];
                        continue;
                    }
                }
            }
        }
        if let Some(after) = rest.strip_prefix('[') {
            if let Some((label, tail)) = after.split_once("](") {
                if let Some(end) = tail.find(')') {
                    let href = &tail[..end];
                    if !label.contains('[') && !href.contains(' ') {
                        out.push_str(&format!(
                            "<a href=\"{}\">{}</a>",
                            escape(href),
                            inline(label)
                        ));
                        rest = &tail[end + 1..];
                        continue;
                    }
                }
            }
        }
        if let Some(after) = rest.strip_prefix("\\|") {
            out.push('|');
            rest = after;
            continue;
        }
        let c = rest.chars().next().expect("rest is not empty");
        out.push_str(&escape(c.encode_utf8(&mut [0; 4])));
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Named;
    impl Images for Named {
        fn image(&mut self, alt: &str, src: &str) -> String {
            format!(
                "<figure data-src=\"{}\">{}</figure>",
                escape(src),
                escape(alt)
            )
        }
    }

    #[test]
    fn tables_keep_every_cell_escaped_and_right_aligned_where_marked() {
        let md = "| cell | n |\n| --- | ---: |\n| model.act=\"<x>\" \\| y | 10 |\n| b | diverged@step 4 |\n";
        let html = to_html(md, &mut Named);
        assert!(html.contains("<table class=\"sortable\">"), "{html}");
        assert!(
            html.contains("<th class=\"num\" title=\"sort\">n</th>"),
            "{html}"
        );
        assert!(
            html.contains("<td>model.act=&quot;&lt;x&gt;&quot; | y</td><td class=\"num\">10</td>"),
            "{html}"
        );
        assert!(
            html.contains("<td class=\"num diverged\">diverged@step 4</td>"),
            "{html}"
        );
        let prose = to_html(
            "| a |\n| --- |\n| diverged runs count |\n| [0.1, 0.2] |\n",
            &mut Named,
        );
        assert!(
            prose.contains("<td>diverged runs count</td>"),
            "only a run's entry: {prose}"
        );
        assert!(
            prose.contains("<td class=\"interval\">[0.1, 0.2]</td>"),
            "{prose}"
        );
    }

    #[test]
    fn headings_lists_paragraphs_code_and_images() {
        let md = "# Study `a<b`\n\nsome *x* and **y** [runs](runs.parquet)\nmore\n\n- one\n  two\n- three\n\n![alt \"q\"](test_acc.png)\n\n```\nx < y\n```\n";
        let html = to_html(md, &mut Named);
        assert!(
            html.contains("<h1 id=\"study-a-b\">Study <code>a&lt;b</code></h1>"),
            "{html}"
        );
        assert!(
            html.contains("<p>some <em>x</em> and <strong>y</strong> <a href=\"runs.parquet\">runs</a> more</p>"),
            "{html}"
        );
        assert!(
            html.contains("<ul>\n<li>one two</li>\n<li>three</li>\n</ul>"),
            "{html}"
        );
        assert!(
            html.contains("<figure data-src=\"test_acc.png\">alt &quot;q&quot;</figure>"),
            "{html}"
        );
        assert!(html.contains("<pre><code>x &lt; y</code></pre>"), "{html}");
    }

    #[test]
    fn a_lone_star_is_text() {
        assert_eq!(inline("2 * 3 and a*"), "2 * 3 and a*");
        assert_eq!(inline("`unclosed"), "`unclosed");
    }
}
