//! Metrics sinks behind one `Recorder` interface: CSV and JSONL now, others later. A row is a
//! list of `(name, value)` with fixed names per group (`loss/q1`, `train/return`,
//! `test/success`, `perf/env_steps_per_s`…); a missing value (e.g. no evaluation this
//! iteration) is an empty CSV cell and `null` in JSONL.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One row of metrics, in column order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row(pub Vec<(String, Option<f64>)>);

impl Row {
    /// Appends a value.
    pub fn set(&mut self, name: &str, v: f64) -> &mut Self {
        self.0.push((name.to_string(), Some(v)));
        self
    }

    /// Appends an empty value (column kept, nothing measured).
    pub fn empty(&mut self, name: &str) -> &mut Self {
        self.0.push((name.to_string(), None));
        self
    }

    /// Value of a column.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.iter().find(|(n, _)| n == name).and_then(|(_, v)| *v)
    }
}

/// A metrics sink.
pub trait Recorder {
    /// Writes one row.
    fn record(&mut self, row: &Row) -> Result<()>;
    /// Pushes buffered rows to disk.
    fn flush(&mut self) -> Result<()>;
}

/// Discards everything.
pub struct NullRecorder;

impl Recorder for NullRecorder {
    fn record(&mut self, _: &Row) -> Result<()> {
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
}

/// CSV with a header from the first row; later rows must have the same columns.
pub struct CsvRecorder {
    path: PathBuf,
    out: BufWriter<File>,
    columns: Option<Vec<String>>,
}

impl CsvRecorder {
    /// Appends to `path` (a header is written if the file is new or empty).
    pub fn append(path: &Path) -> Result<Self> {
        let columns = read_csv(path)?.map(|(h, _)| h);
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        Ok(CsvRecorder {
            path: path.to_path_buf(),
            out: BufWriter::new(f),
            columns,
        })
    }
}

impl Recorder for CsvRecorder {
    fn record(&mut self, row: &Row) -> Result<()> {
        let names: Vec<String> = row.0.iter().map(|(n, _)| n.clone()).collect();
        match &self.columns {
            None => {
                writeln!(self.out, "{}", names.join(",")).map_err(|e| Error::io(&self.path, e))?;
                self.columns = Some(names);
            }
            Some(c) if *c != names => {
                return Err(Error::Checkpoint(format!(
                    "{}: columns changed ({} vs {} columns)",
                    self.path.display(),
                    c.len(),
                    names.len()
                )))
            }
            Some(_) => {}
        }
        let cells: Vec<String> = row
            .0
            .iter()
            .map(|(_, v)| v.map(fmt_num).unwrap_or_default())
            .collect();
        writeln!(self.out, "{}", cells.join(",")).map_err(|e| Error::io(&self.path, e))
    }

    fn flush(&mut self) -> Result<()> {
        self.out.flush().map_err(|e| Error::io(&self.path, e))
    }
}

/// One JSON object per line, with an `event` field.
pub struct JsonlRecorder {
    path: PathBuf,
    out: BufWriter<File>,
    event: String,
}

impl JsonlRecorder {
    /// Appends to `path`; every row is tagged `"event": event`.
    pub fn append(path: &Path, event: &str) -> Result<Self> {
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        Ok(JsonlRecorder {
            path: path.to_path_buf(),
            out: BufWriter::new(f),
            event: event.to_string(),
        })
    }

    /// Writes a free-form event (run start, resume, divergence…).
    pub fn event(&mut self, value: serde_json::Value) -> Result<()> {
        writeln!(self.out, "{value}").map_err(|e| Error::io(&self.path, e))?;
        self.flush()
    }
}

impl Recorder for JsonlRecorder {
    fn record(&mut self, row: &Row) -> Result<()> {
        let mut m = serde_json::Map::new();
        m.insert("event".into(), self.event.clone().into());
        for (n, v) in &row.0 {
            m.insert(
                n.clone(),
                v.and_then(serde_json::Number::from_f64)
                    .map_or(serde_json::Value::Null, Into::into),
            );
        }
        writeln!(self.out, "{}", serde_json::Value::Object(m)).map_err(|e| Error::io(&self.path, e))
    }

    fn flush(&mut self) -> Result<()> {
        self.out.flush().map_err(|e| Error::io(&self.path, e))
    }
}

/// Several sinks as one.
pub struct MultiRecorder(pub Vec<Box<dyn Recorder>>);

impl Recorder for MultiRecorder {
    fn record(&mut self, row: &Row) -> Result<()> {
        self.0.iter_mut().try_for_each(|r| r.record(row))
    }
    fn flush(&mut self) -> Result<()> {
        self.0.iter_mut().try_for_each(|r| r.flush())
    }
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.6e}")
    }
}

/// A CSV's header and rows (empty cells are `None`).
pub type Table = (Vec<String>, Vec<Vec<Option<f64>>>);

/// The position of column `name` in a header read from `csv`; an error names the file.
pub fn column(header: &[String], name: &str, csv: &Path) -> Result<usize> {
    header
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| Error::Checkpoint(format!("{}: no `{name}` column", csv.display())))
}

/// Header and rows of a metrics CSV (`None` if the file does not exist or is empty).
pub fn read_csv(path: &Path) -> Result<Option<Table>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return Ok(None);
    };
    let header: Vec<String> = header.split(',').map(str::to_string).collect();
    let rows = lines
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(|c| c.parse::<f64>().ok()).collect())
        .collect();
    Ok(Some((header, rows)))
}

/// Keeps only the rows whose `column` is ≤ `max` (used on resume: rows written after the last
/// checkpoint are dropped and will be produced again). Atomic rewrite.
pub fn truncate_csv(path: &Path, column: &str, max: f64) -> Result<()> {
    let Some((header, rows)) = read_csv(path)? else {
        return Ok(());
    };
    let Some(c) = header.iter().position(|h| h == column) else {
        return Ok(());
    };
    let mut text = header.join(",") + "\n";
    for r in rows
        .iter()
        .filter(|r| r.get(c).copied().flatten().is_some_and(|v| v <= max))
    {
        let cells: Vec<String> = r
            .iter()
            .map(|v| v.map(fmt_num).unwrap_or_default())
            .collect();
        text += &(cells.join(",") + "\n");
    }
    crate::report::write_atomic(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_roundtrip_and_truncate() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.csv");
        {
            let mut r = CsvRecorder::append(&p).unwrap();
            for i in 1..=3 {
                let mut row = Row::default();
                row.set("iteration", i as f64)
                    .set("loss/q1", 0.5 * i as f64)
                    .empty("test/success");
                r.record(&row).unwrap();
            }
            r.flush().unwrap();
        }
        let (h, rows) = read_csv(&p).unwrap().unwrap();
        assert_eq!(h, vec!["iteration", "loss/q1", "test/success"]);
        assert_eq!(rows[2], vec![Some(3.0), Some(1.5), None]);
        truncate_csv(&p, "iteration", 2.0).unwrap();
        assert_eq!(read_csv(&p).unwrap().unwrap().1.len(), 2);
        let mut r = CsvRecorder::append(&p).unwrap();
        let mut row = Row::default();
        row.set("iteration", 3.0);
        assert!(r.record(&row).is_err(), "changed columns are refused");
    }
}
