// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr bench`: assembles the rows every benchmark wrote to `$TYR_BENCH_OUT/*.jsonl` (`make bench` sets it) into a
//! short Markdown report — one table per benchmark and peer (the kernel's own C, built from its sources and run in
//! the same process, or a Rust baseline), each row our figure, the peer's from the same run and the ratio, cold and
//! warm — and an SVG with two plots: GPUVM ns/op against live VAs, and io-pgtable ns/page per workload (warm). The
//! end-to-end figures (`tyr e2e`) and every ratio are also set beside earlier runs' from a history file ([`trend`]).

pub mod trend;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use plotters::prelude::*;
use serde_json::Value;

use crate::e2e::Figure;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A rows file could not be read.
    #[error("{path}: {err}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        err: std::io::Error,
    },
    /// No rows at all.
    #[error("no benchmark rows in {0} (run `make bench`, which sets TYR_BENCH_OUT)")]
    Empty(PathBuf),
    /// The plot could not be drawn.
    #[error("plot: {0}")]
    Plot(String),
}

/// One benchmark row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Which benchmark (`io_pgtable`, `gpuvm`, `vm_bind`).
    pub bench: String,
    /// Workload name.
    pub workload: String,
    /// Operation.
    pub op: String,
    /// `cold` (first run on a fresh allocator), `warm` (allocator reused) or none.
    pub warmth: Option<String>,
    /// Unit of the figures (`ns/page`, `ns/op`, `B/VA`; a bare noun means ns per that).
    pub unit: String,
    /// Position on a plot's x axis (live VAs), if any.
    pub x: Option<f64>,
    /// Our figure.
    pub ours: f64,
    /// The peer's figure in the same run.
    pub peer: f64,
    /// The peer.
    pub peer_name: String,
}

impl Row {
    /// ours / peer.
    pub fn ratio(&self) -> f64 {
        self.ours / self.peer
    }
}

/// Parses JSON-line rows (lines that are not rows are skipped).
pub fn parse(text: &str) -> Vec<Row> {
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| {
            Some(Row {
                bench: v["bench"].as_str()?.to_string(),
                workload: v["workload"].as_str()?.to_string(),
                op: v["op"].as_str()?.to_string(),
                warmth: v["warmth"]
                    .as_str()
                    .filter(|w| *w != "-")
                    .map(str::to_string),
                unit: v["unit"].as_str().unwrap_or("op").to_string(),
                x: v["x"].as_f64(),
                ours: v["ours"].as_f64()?,
                peer: v["peer"].as_f64()?,
                peer_name: v["peer_name"].as_str().unwrap_or("peer").to_string(),
            })
        })
        .collect()
}

/// Reads every `*.jsonl` in `dir`, in name order: the peer rows, then the end-to-end figures.
pub fn read_all(dir: &Path) -> Result<(Vec<Row>, Vec<Figure>), BenchError> {
    let io = |err| BenchError::Io {
        path: dir.to_path_buf(),
        err,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    paths.sort();
    let mut rows = Vec::new();
    let mut figs = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).map_err(|err| BenchError::Io {
            path: p.clone(),
            err,
        })?;
        rows.extend(parse(&text));
        figs.extend(
            text.lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .filter_map(|v| Figure::from_row(&v)),
        );
    }
    if rows.is_empty() && figs.is_empty() {
        return Err(BenchError::Empty(dir.to_path_buf()));
    }
    Ok((rows, figs))
}

/// Reads every `*.jsonl` in `dir`: the peer rows.
pub fn read_dir(dir: &Path) -> Result<Vec<Row>, BenchError> {
    read_all(dir).map(|(rows, _)| rows)
}

/// The Markdown report: one table per benchmark and peer, in the order the rows came.
pub fn report(rows: &[Row], svg: Option<&str>) -> String {
    let mut out = String::from("# Benchmark report\n\n");
    out.push_str(
        "Every figure was measured in the same run on this machine, ours and the peer's on the same workload; ratio = \
         ours / peer (below 1: ours is faster or smaller). Cold: the first run on a fresh allocator; warm: the \
         allocator reused (best of the runs). Units: ns per page, block or op, or heap bytes per live VA.\n",
    );
    let mut groups: Vec<(&str, &str)> = Vec::new();
    for r in rows {
        let g = (r.bench.as_str(), r.peer_name.as_str());
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    for (b, peer) in groups {
        writeln!(out, "\n## {b} (peer: {peer})\n").ok();
        out.push_str(
            "| workload | op | warmth | unit | tyr | peer | ratio |\n|---|---|---|---|---:|---:|---:|\n",
        );
        for r in rows.iter().filter(|r| r.bench == b && r.peer_name == peer) {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {:.2}x |",
                r.workload,
                r.op,
                r.warmth.as_deref().unwrap_or("-"),
                r.unit,
                figure(r.ours),
                figure(r.peer),
                r.ratio()
            )
            .ok();
        }
    }
    if let Some(svg) = svg {
        writeln!(
            out,
            "\n![GPUVM ns/op against live VAs; io-pgtable ns/page per workload]({svg})"
        )
        .ok();
    }
    out
}

/// A figure with three significant digits or one decimal, whichever shows more (a 1 GiB unmap in one call is a few
/// hundredths of a ns per page).
fn figure(v: f64) -> String {
    match v.abs() {
        a if a >= 10.0 => format!("{v:.1}"),
        a if a >= 1.0 => format!("{v:.2}"),
        _ => format!("{v:.3}"),
    }
}

/// Whether a row is a warm (or warmth-less) timing, the kind the plots show.
fn plotted(r: &Row) -> bool {
    r.warmth.as_deref() != Some("cold") && !r.unit.starts_with("B/")
}

/// Draws the two plots into an SVG document.
pub fn plot(rows: &[Row]) -> Result<String, BenchError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1000, 420)).into_drawing_area();
        let e = |e: &dyn std::fmt::Display| BenchError::Plot(e.to_string());
        root.fill(&WHITE).map_err(|x| e(&x))?;
        let (left, right) = root.split_horizontally(500);

        // GPUVM ns/op against live VAs (log x): ours and the peer's.
        let gpuvm: Vec<&Row> = rows
            .iter()
            .filter(|r| r.bench == "gpuvm" && r.x.is_some() && plotted(r))
            .collect();
        // One peer per chart: the first one the rows name (the kernel's C when it ran).
        let first_peer = gpuvm.first().map(|r| r.peer_name.clone());
        let gpuvm: Vec<&Row> = gpuvm
            .into_iter()
            .filter(|r| Some(&r.peer_name) == first_peer.as_ref())
            .collect();
        let xs = |f: &dyn Fn(&Row) -> f64| gpuvm.iter().map(|r| f(r)).collect::<Vec<f64>>();
        let (xmin, xmax) = xs(&|r| r.x.unwrap_or(1.0))
            .iter()
            .fold((f64::MAX, 1.0f64), |(a, b), &x| (a.min(x), b.max(x)));
        let ymax = xs(&|r| r.ours.max(r.peer))
            .iter()
            .fold(1.0f64, |a, &b| a.max(b))
            * 1.15;
        let mut c = ChartBuilder::on(&left)
            .caption("GPUVM map+unmap: ns/op vs live VAs", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d((xmin.min(xmax) * 0.8..xmax * 1.25).log_scale(), 0.0..ymax)
            .map_err(|x| e(&x))?;
        c.configure_mesh()
            .x_desc("live VAs")
            .y_desc("ns/op")
            .draw()
            .map_err(|x| e(&x))?;
        let peer = gpuvm
            .first()
            .map_or("peer".to_string(), |r| r.peer_name.clone());
        for (name, color, f) in [
            ("tyr", BLUE, (|r: &Row| r.ours) as fn(&Row) -> f64),
            (peer.as_str(), RED, |r: &Row| r.peer),
        ] {
            let pts: Vec<(f64, f64)> = gpuvm.iter().map(|r| (r.x.unwrap_or(1.0), f(r))).collect();
            c.draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
                .map_err(|x| e(&x))?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
            c.draw_series(pts.iter().map(|&p| Circle::new(p, 4, color.filled())))
                .map_err(|x| e(&x))?;
        }
        c.configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE)
            .draw()
            .map_err(|x| e(&x))?;

        // io-pgtable ns/page per workload (map, warm), ours and the peer's side by side.
        let pg: Vec<&Row> = rows
            .iter()
            .filter(|r| r.bench == "io_pgtable" && r.op == "map" && plotted(r))
            .collect();
        let ymax = pg.iter().map(|r| r.ours.max(r.peer)).fold(1.0f64, f64::max) * 1.15;
        let n = pg.len().max(1) as i32;
        let mut c = ChartBuilder::on(&right)
            .caption("io-pgtable map: ns/unit per workload", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0..n * 3, 0.0..ymax)
            .map_err(|x| e(&x))?;
        let labels: Vec<String> = pg.iter().map(|r| r.workload.clone()).collect();
        c.configure_mesh()
            .disable_x_mesh()
            .x_labels(pg.len() * 3 + 1)
            .x_label_formatter(&|i| {
                if i % 3 == 1 {
                    labels.get((i / 3) as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc("ns per unit")
            .draw()
            .map_err(|x| e(&x))?;
        let peer = pg
            .first()
            .map_or("peer".to_string(), |r| r.peer_name.clone());
        for (k, name, color) in [(0, "tyr", BLUE), (1, peer.as_str(), RED)] {
            c.draw_series(pg.iter().enumerate().map(|(i, r)| {
                let v = if k == 0 { r.ours } else { r.peer };
                let x = i as i32 * 3 + k;
                Rectangle::new([(x, 0.0), (x + 1, v)], color.mix(0.8).filled())
            }))
            .map_err(|x| e(&x))?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
        }
        c.configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE)
            .draw()
            .map_err(|x| e(&x))?;
        root.present().map_err(|x| e(&x))?;
    }
    Ok(svg)
}

/// Reads `dir`, writes the report to `out` and the plot next to it (same name, `.svg`); returns the report. With a
/// `history` file, this run's figures are appended to it (run `run_id`, revision `rev`) and the report shows their
/// trend against the runs already there.
pub fn run(
    dir: &Path,
    out: &Path,
    history: Option<&Path>,
    run_id: u64,
    rev: &str,
) -> Result<String, BenchError> {
    let (rows, figs) = read_all(dir)?;
    let svg_path = out.with_extension("svg");
    let svg = plot(&rows)?;
    let write = |p: &Path, s: &str| {
        std::fs::write(p, s).map_err(|err| BenchError::Io {
            path: p.to_path_buf(),
            err,
        })
    };
    write(&svg_path, &svg)?;
    let name = svg_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let mut md = report(&rows, name.as_deref());
    if let Some(h) = history {
        let earlier = trend::read_and_append(h, &trend::points(run_id, rev, &rows, &figs))?;
        md.push_str(&trend::report(&figs, &rows, &earlier));
    } else {
        md.push_str(&trend::report(&figs, &rows, &[]));
    }
    write(out, &md)?;
    Ok(md)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROWS: &str = r#"{"bench":"gpuvm","workload":"disjoint 10^4","op":"map+unmap","warmth":"warm","unit":"ns/op","x":10000,"ours":300,"peer":150,"peer_name":"kernel C"}
{"bench":"gpuvm","workload":"disjoint 10^4","op":"map+unmap","warmth":"cold","unit":"ns/op","x":10000,"ours":900,"peer":600,"peer_name":"kernel C"}
{"bench":"gpuvm","workload":"disjoint 10^5","op":"map+unmap","warmth":"warm","unit":"ns/op","x":100000,"ours":400,"peer":250,"peer_name":"kernel C"}
{"bench":"gpuvm","workload":"disjoint 10^4","op":"live VAs","warmth":"-","unit":"B/VA","x":10000,"ours":76,"peer":120,"peer_name":"kernel C"}
{"bench":"gpuvm","workload":"disjoint 10^4","op":"map+unmap","warmth":"warm","unit":"ns/op","x":10000,"ours":300,"peer":100,"peer_name":"BTreeMap"}
{"bench":"gpuvm","workload":"overlap","op":"map+unmap","unit":"op","x":null,"ours":500,"peer":null,"peer_name":"BTreeMap"}
{"bench":"io_pgtable","workload":"4k-1g","op":"map","warmth":"warm","unit":"ns/page","x":null,"ours":20,"peer":40,"peer_name":"kernel C"}
{"bench":"io_pgtable","workload":"1g-unmap","op":"unmap","warmth":"warm","unit":"ns/page","x":null,"ours":0.0412,"peer":0.0206,"peer_name":"kernel C"}
not a row"#;

    #[test]
    fn rows_parse_and_rows_without_both_figures_are_dropped() {
        let rows = parse(ROWS);
        assert_eq!(rows.len(), 7);
        assert_eq!(rows[0].ratio(), 2.0);
        assert_eq!(rows[1].warmth.as_deref(), Some("cold"));
        assert_eq!(rows[3].warmth, None);
    }

    #[test]
    fn the_report_has_our_figure_the_peers_and_the_ratio_per_row() {
        let md = report(&parse(ROWS), Some("bench-report.svg"));
        assert!(md.contains("## gpuvm (peer: kernel C)"), "{md}");
        assert!(md.contains("## gpuvm (peer: BTreeMap)"), "{md}");
        assert!(md.find("(peer: kernel C)") < md.find("(peer: BTreeMap)"));
        assert!(
            md.contains("| disjoint 10^4 | map+unmap | warm | ns/op | 300.0 | 150.0 | 2.00x |"),
            "{md}"
        );
        assert!(
            md.contains("| disjoint 10^4 | map+unmap | cold | ns/op | 900.0 | 600.0 | 1.50x |"),
            "{md}"
        );
        assert!(
            md.contains("| disjoint 10^4 | live VAs | - | B/VA | 76.0 | 120.0 | 0.63x |"),
            "{md}"
        );
        assert!(
            md.contains("| 4k-1g | map | warm | ns/page | 20.0 | 40.0 | 0.50x |"),
            "{md}"
        );
        assert!(
            md.contains("| 1g-unmap | unmap | warm | ns/page | 0.041 | 0.021 | 2.00x |"),
            "{md}"
        );
        assert!(md.contains("](bench-report.svg)"));
    }

    #[test]
    fn the_plot_is_an_svg_with_both_charts() {
        let svg = plot(&parse(ROWS)).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("GPUVM map+unmap") && svg.contains("io-pgtable map"));
    }
}
