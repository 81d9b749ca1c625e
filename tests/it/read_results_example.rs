//! examples/read_results.py, the README's example of reading runs.parquet and epochs.parquet
//! with polars and pandas, run on the committed optimizers results: its per-cell mean test
//! accuracy and mean final validation loss must be report.md's. Needs a Python with polars,
//! pandas and pyarrow (`TRAINBENCH_PYTHON`, else `python3`); without them the test says so and
//! passes, unless TRAINBENCH_REQUIRE_PYTHON is set (CI sets it).

use std::path::Path;
use std::process::Command;

/// `(mean, column 4)` of each cell row of the report.md table under `heading`.
fn report_means(md: &str, heading: &str) -> Vec<(String, String)> {
    let section = md.split(heading).nth(1).expect("the section");
    section
        .lines()
        .filter(|l| l.starts_with("| variant="))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].to_string(), cells[4].to_string())
        })
        .take(9)
        .collect()
}

#[test]
fn the_python_example_reads_the_numbers_report_md_shows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var("TRAINBENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = Command::new(&python)
        .args(["-c", "import polars, pandas, pyarrow"])
        .output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var_os("TRAINBENCH_REQUIRE_PYTHON").is_none(),
            "TRAINBENCH_REQUIRE_PYTHON is set but {python} cannot import polars, pandas and pyarrow"
        );
        println!(
            "SKIPPED: {python} cannot import polars, pandas and pyarrow (set TRAINBENCH_PYTHON \
             to a Python that can; TRAINBENCH_REQUIRE_PYTHON makes this a failure)"
        );
        return;
    }
    let out = Command::new(&python)
        .current_dir(root)
        .args(["examples/read_results.py", "results", "optimizers"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = std::fs::read_to_string(root.join("results/optimizers/report.md")).unwrap();
    let acc = report_means(&md, "## Test accuracy per cell");
    let loss = report_means(&md, "## Final validation loss per cell");
    assert_eq!(acc.len(), 9);
    for ((cell, acc_mean), (_, loss_mean)) in acc.iter().zip(&loss) {
        let row = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(cell.as_str()))
            .unwrap_or_else(|| panic!("{cell} is not in the output:\n{stdout}"));
        let fields: Vec<&str> = row.split_whitespace().collect();
        // cell, runs, diverged, mean test acc, mean final val loss, Δ, share.
        assert_eq!(fields[1], "10", "{row}");
        assert_eq!(fields[3], acc_mean, "{row}");
        assert_eq!(fields[4], loss_mean, "{row}");
    }
}
