//! Where a chart drew each seed, for pages that make the chart interactive (the HTML report): a
//! [`Hit`] names the series (cell) and the member (its n-th seed) and holds the pixels drawn for
//! it, in the chart's own coordinates. Recording hits draws nothing, so the PNG and SVG files
//! are the same whether or not anyone asks for them. Nothing here writes HTML.

use std::cell::RefCell;

/// The pixels one seed of one series was drawn at.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Index of the series (a cell, in the order the chart was given them).
    pub series: usize,
    /// Index of the member within the series (its seed, in the order given).
    pub member: usize,
    /// Polylines in pixels, top-left origin: one point for a marker (a seed's value, a
    /// diverged run's cross), several for a curve (clipped curves may be several pieces).
    pub lines: Vec<Vec<(i32, i32)>>,
}

/// Where a chart puts its hits while drawing: nothing when no one asked.
#[derive(Debug, Default)]
pub struct HitRecorder(Option<RefCell<Vec<Hit>>>);

impl HitRecorder {
    /// A recorder that keeps what it is given.
    pub fn recording() -> HitRecorder {
        HitRecorder(Some(RefCell::new(Vec::new())))
    }

    /// Forgets what was recorded (a chart drawn twice, PNG then SVG, records once per drawing).
    pub fn clear(&self) {
        if let Some(hits) = &self.0 {
            hits.borrow_mut().clear();
        }
    }

    /// Records one hit; with no recorder, nothing.
    pub fn push(&self, series: usize, member: usize, lines: Vec<Vec<(i32, i32)>>) {
        if let Some(hits) = &self.0 {
            hits.borrow_mut().push(Hit {
                series,
                member,
                lines,
            });
        }
    }

    /// What was recorded.
    pub fn take(self) -> Vec<Hit> {
        self.0.map(RefCell::into_inner).unwrap_or_default()
    }
}
