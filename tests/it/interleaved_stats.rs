//! benches/reference/interleaved.py's bookkeeping, without timing anything: the interval of the
//! median from order statistics, which halves count as disturbed, that disturbed pairs leave
//! the statistics (and that a row whose pairs are all disturbed says so and uses them all),
//! and the peak and GFLOP/s figures. The script needs only Python's standard library (`python3`,
//! or `TRAINBENCH_PYTHON`); its two sides are replaced by fakes here.

use std::path::Path;
use std::process::Command;

/// Python run with benches/reference on its path; prints "ok" when every assertion holds.
const CHECKS: &str = r#"
import argparse, interleaved as i

# Order statistics: n = 7 gives the min-max at 1 - 2/128 = 98.4%; n = 10 ranks 2 and 9 at
# 1 - 2·11/1024 = 97.9%; under 6 pairs no interval reaches 95%.
assert i.median_interval(list(range(7))) == (0, 6, 0.984375, 1), i.median_interval(list(range(7)))
assert i.median_interval(list(range(10))) == (1, 8, 1 - 22 / 1024, 2)
assert i.median_interval(list(range(5))) is None
s = i.summary([1.3, 0.9, 1.0, 1.1, 1.05, 0.95, 1.2])
assert (s["median"], s["min"], s["max"], s["q1"], s["q3"]) == (1.05, 0.9, 1.3, 0.975, 1.15), s

settings = argparse.Namespace(max_steal=0.05, max_others=0.10, keep_disturbed=False, pairs=4)
quiet = {"steal_share": 0.01, "others_share": 0.02}
assert i.disturbance(quiet, settings) is None
assert "steal 6.0%" in i.disturbance({"steal_share": 0.06, "others_share": 0.0}, settings)
assert "others 30.0%" in i.disturbance({"steal_share": 0.0, "others_share": 0.3}, settings)

def side(rates, loads):
    calls = iter(zip(rates, loads))
    def run():
        rate, load = next(calls)
        return {"per_second": rate, "seconds_per_iter": 1.0 / rate}, dict(load)
    return run

# Pair 3's PyTorch half had 20% steal: its ratio (10) must not count.
busy = {"steal_share": 0.2, "others_share": 0.0}
r = i.run_pairs("train_step/x", side([2.0, 2.2, 2.0, 1.8], [quiet] * 4),
                side([1.0, 2.0, 0.2, 1.0], [quiet, quiet, busy, quiet]), settings)
assert [p["order"][0] for p in r["pairs"]] == ["trainbench", "pytorch"] * 2
assert r["kept_pairs"] == [1, 2, 4] and r["used_pairs"] == [1, 2, 4] and r["note"] is None
assert r["pairs"][2]["disturbed"].startswith("pytorch: steal"), r["pairs"][2]["disturbed"]
assert r["ratio"]["median"] == 1.8 and r["ratio"]["max"] == 2.0, r["ratio"]

# Every pair disturbed: all are used, and the row says so.
settings.pairs = 2
r2 = i.run_pairs("peak/sgemm_2048", side([4e9, 5e9], [busy] * 2), side([6e9, 3e9], [quiet] * 2), settings)
assert r2["kept_pairs"] == [] and r2["used_pairs"] == [1, 2] and "every pair" in r2["note"]

# The peak is the best half used of either side (6 GFLOP/s, PyTorch's); a row's GFLOP/s are
# its FLOPs per iteration over its seconds per iteration, median over the pairs used.
peak = i.add_flops([r, r2], {"train_step/x": 3e9})
assert peak["gflops"] == 6.0 and peak["side"] == "pytorch", peak
assert r["gflops"]["trainbench"] == 3e9 * 2.0 / 1e9, r["gflops"]
assert abs(r["percent_of_peak"]["trainbench"] - 100.0) < 1e-9, r["percent_of_peak"]
print("ok")
"#;

#[test]
fn interleaved_comparison_drops_disturbed_pairs_and_states_the_spread() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var("TRAINBENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&python)
        .current_dir(root.join("benches/reference"))
        .args(["-c", CHECKS])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim() == "ok",
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
