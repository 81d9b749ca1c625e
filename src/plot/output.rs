//! The one writer of charts and figures: [`write`] draws a [`Draw`] into `<stem>.png` and
//! `<stem>.svg`. Each file is drawn to a temporary name in the same directory, synced and renamed
//! into place ([`crate::atomic`]), so a failed or interrupted write never leaves a partial chart where a finished
//! one was; the bytes are those the plotters backends write. What is drawn lives elsewhere.

use std::error::Error as StdError;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::{BitMapBackend, DrawingArea, DrawingBackend, IntoDrawingArea, SVGBackend};

use super::style::register_font;
use crate::atomic;
use crate::error::{Error, Result};

/// What drawing code returns: plotters' errors are boxed, [`write`] turns them into
/// [`Error::Chart`] naming the file.
pub type DrawResult = std::result::Result<(), Box<dyn StdError>>;

/// Something that draws itself on any plotters backend (the PNG and the SVG get the same
/// drawing code).
pub trait Draw {
    /// Draws on `root`, the whole picture.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

/// `<stem>.<ext>` (the extension appended, so a dot in the name stays).
fn with_ext(stem: &Path, ext: &str) -> PathBuf {
    let mut name: OsString = stem.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

fn chart_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Chart {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn write_png(path: &Path, size: (u32, u32), drawing: &impl Draw) -> Result<()> {
    let tmp = atomic::temporary(path);
    let drawn: DrawResult = {
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        drawing
            .draw(&root)
            .and_then(|_| root.present().map_err(|e| e.into()))
    };
    // The backend is gone here; on failure it may have saved a partial picture at `tmp`.
    match drawn {
        Ok(()) => atomic::commit(&tmp, path),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(chart_error(path, e))
        }
    }
}

fn write_svg(path: &Path, size: (u32, u32), drawing: &impl Draw) -> Result<()> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        drawing
            .draw(&root)
            .and_then(|_| root.present().map_err(|e| e.into()))
            .map_err(|e| chart_error(path, e))?;
    }
    atomic::write(path, svg.as_bytes())
}

/// Draws `drawing` (`size` pixels) as SVG text, the same bytes [`write`] puts in `<stem>.svg`
/// (for pages that embed a chart).
pub fn svg_string(size: (u32, u32), drawing: &impl Draw) -> Result<String> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        drawing
            .draw(&root)
            .and_then(|_| root.present().map_err(|e| e.into()))
            .map_err(|e| chart_error(Path::new("(inline SVG)"), e))?;
    }
    Ok(svg)
}

/// Draws `drawing` (`size` pixels) into `<stem>.png` and `<stem>.svg` and returns their paths.
/// A file is replaced only once it is completely written.
pub fn write(stem: &Path, size: (u32, u32), drawing: &impl Draw) -> Result<[PathBuf; 2]> {
    register_font();
    let png = with_ext(stem, "png");
    let svg = with_ext(stem, "svg");
    write_png(&png, size, drawing)?;
    write_svg(&svg, size, drawing)?;
    Ok([png, svg])
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::style::RGBColor;

    /// Fills the picture, then fails or not.
    struct Filled {
        fail: bool,
    }

    impl Draw for Filled {
        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
        where
            DB::ErrorType: 'static,
        {
            root.fill(&RGBColor(10, 20, 30))?;
            if self.fail {
                return Err("drawing failed".into());
            }
            Ok(())
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn both_files_are_written_and_nothing_else_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let files = write(&dir.path().join("a.b"), (40, 30), &Filled { fail: false }).unwrap();
        assert_eq!(
            files,
            [dir.path().join("a.b.png"), dir.path().join("a.b.svg")]
        );
        assert_eq!(names(dir.path()), ["a.b.png", "a.b.svg"]);
        assert_eq!(&std::fs::read(&files[0]).unwrap()[1..4], b"PNG");
        let svg = std::fs::read_to_string(&files[1]).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn a_failed_drawing_keeps_the_old_chart_and_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let stem = dir.path().join("chart");
        write(&stem, (40, 30), &Filled { fail: false }).unwrap();
        let before = std::fs::read(dir.path().join("chart.png")).unwrap();
        let e = write(&stem, (40, 30), &Filled { fail: true }).unwrap_err();
        let message = e.to_string();
        assert!(
            message.contains("chart.png") && message.contains("drawing failed"),
            "{message}"
        );
        assert_eq!(names(dir.path()), ["chart.png", "chart.svg"]);
        assert_eq!(std::fs::read(dir.path().join("chart.png")).unwrap(), before);
    }

    #[test]
    fn an_unwritable_directory_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let stem = dir.path().join("missing").join("chart");
        let e = write(&stem, (40, 30), &Filled { fail: false }).unwrap_err();
        assert!(e.to_string().contains("chart.png"), "{e}");
    }
}
