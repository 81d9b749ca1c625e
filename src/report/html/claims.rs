//! The claims page's Markdown before it becomes HTML: each "Every seed" line (`- id · check:
//! s0 a vs b (difference), …`) becomes a small table of its own (seed, a, b, difference), so the
//! per-seed values sort like any table, and a study named in the claims table links to its
//! report page when it has one. Text in, text out; the verdicts come from `claims`.

/// `md` (claims.md) with its per-seed lines as tables and its studies linked where
/// `has_report(study)`.
pub fn prepare(md: &str, has_report: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(md.len() * 2);
    for line in md.lines() {
        if let Some(table) = per_seed_table(line) {
            out.push_str(&table);
        } else if line.starts_with("| ") && !line.starts_with("| claim ") {
            out.push_str(&link_study(line, &has_report));
            out.push('\n');
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The claims table's third column, a study's name, as a link to its report.
fn link_study(line: &str, has_report: &impl Fn(&str) -> bool) -> String {
    let cells: Vec<&str> = line.split(" | ").collect();
    match cells.get(2) {
        Some(study)
            if cells.len() >= 6
                && !study.is_empty()
                && study.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && has_report(study) =>
        {
            let mut cells: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
            cells[2] = format!("[{study}]({study}/report.html)");
            cells.join(" | ")
        }
        _ => line.to_string(),
    }
}

/// `- id · check: s0 a vs b (d), s1 …` as a heading and a table; `None` for any other line.
fn per_seed_table(line: &str) -> Option<String> {
    let rest = line.strip_prefix("- ")?;
    let start = rest
        .match_indices(": s")
        .map(|(i, _)| i)
        .find(|&i| rest[i + 3..].starts_with(|c: char| c.is_ascii_digit()))?;
    let (name, values) = (&rest[..start], &rest[start + 2..]);
    let mut rows = Vec::new();
    let mut paired = false;
    for item in values.split(", ") {
        let item = item.strip_prefix('s')?;
        let (seed, value) = item.split_once(' ')?;
        seed.parse::<u64>().ok()?;
        match value.split_once(" vs ") {
            Some((a, rest)) => {
                let (b, difference) = rest.split_once(" (")?;
                let difference = difference.strip_suffix(')')?;
                paired = true;
                rows.push(format!("| {seed} | {a} | {b} | {difference} |"));
            }
            None => rows.push(format!("| {seed} | {value} | | |")),
        }
    }
    let header = if paired {
        "| seed | a | b | difference |\n| ---: | ---: | ---: | ---: |"
    } else {
        "| seed | value | | |\n| ---: | ---: | ---: | ---: |"
    };
    Some(format!("#### {name}\n\n{header}\n{}\n\n", rows.join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_seed_lines_become_tables_and_studies_links() {
        let md = "| claim | the chapter says | study | verdict | before | what changed |\n\
                  | --- | --- | --- | --- | --- | --- |\n\
                  | init-1 | x: y | initializers | **supported** | – | z |\n\
                  | act-1 | x | nowhere | **supported** | – | z |\n\
                  - init-1 · ReLU: He beats N(0,1): s0 0.6912 vs 0.1000 (+0.5912), s1 +∞ vs 0.1 (–)\n\
                  - bn-2 · folded: s3 0.5\n\
                  - a plain item\n";
        let out = prepare(md, |s| s == "initializers");
        assert!(
            out.contains(
                "| init-1 | x: y | [initializers](initializers/report.html) | **supported** |"
            ),
            "{out}"
        );
        assert!(out.contains("| act-1 | x | nowhere |"), "{out}");
        assert!(
            out.contains("#### init-1 · ReLU: He beats N(0,1)\n\n| seed | a | b | difference |"),
            "{out}"
        );
        assert!(
            out.contains("| 0 | 0.6912 | 0.1000 | +0.5912 |\n| 1 | +∞ | 0.1 | – |"),
            "{out}"
        );
        assert!(
            out.contains("#### bn-2 · folded\n\n| seed | value | | |"),
            "{out}"
        );
        assert!(out.contains("| 3 | 0.5 | | |"), "{out}");
        assert!(out.contains("- a plain item"), "{out}");
    }
}
