//! `server analytics bgnbd FILE`: fits the BG/NBD churn model to purchase
//! summaries from elsewhere, for analysts checking the model on their data.

use std::path::Path;

use domain::analytics::bgnbd::{self, History};

/// A CSV of per-customer summaries (`id,frequency,recency,T`, the last two
/// in weeks as in the paper; UTF-8, an optional byte-order mark, columns in
/// any order, others ignored), read into histories. An error names the line.
pub fn read_summaries(text: &str) -> Result<Vec<History>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err("the file is empty; its first line must be the header id,frequency,recency,T".into());
    };
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    let column = |name: &str| {
        names.iter().position(|n| *n == name).ok_or_else(|| {
            format!("line 1: the header has no column `{name}`; it must name id,frequency,recency,T")
        })
    };
    let (frequency, recency, age) = (column("frequency")?, column("recency")?, column("T")?);
    column("id")?;
    let mut out = Vec::new();
    for (index, line) in lines {
        let number = index + 1;
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != names.len() {
            return Err(format!(
                "line {number}: {} fields where the header has {}",
                cells.len(),
                names.len()
            ));
        }
        let read = |at: usize, name: &str| -> Result<f64, String> {
            let value: f64 = cells[at]
                .parse()
                .map_err(|_| format!("line {number}: {name} `{}` is not a number", cells[at]))?;
            if !value.is_finite() || value < 0.0 {
                return Err(format!("line {number}: {name} {value} must be zero or more"));
            }
            Ok(value)
        };
        let h = History {
            frequency: read(frequency, "frequency")?,
            recency: read(recency, "recency")?,
            age: read(age, "T")?,
        };
        if h.frequency.fract() != 0.0 {
            return Err(format!(
                "line {number}: frequency {} must be a whole number of repeat purchases",
                h.frequency
            ));
        }
        if h.recency > h.age {
            return Err(format!("line {number}: recency {} is later than T {}", h.recency, h.age));
        }
        if h.frequency == 0.0 && h.recency != 0.0 {
            return Err(format!(
                "line {number}: with no repeat purchase recency must be 0, not {}",
                h.recency
            ));
        }
        out.push(h);
    }
    Ok(out)
}

/// Reads `file`, fits the model and describes the fit; the last line is
/// `bgnbd: r=<x> alpha=<x> a=<x> b=<x> loglik=<x>`.
pub fn bgnbd_command(file: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let cohort = read_summaries(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let started = std::time::Instant::now();
    let fit = bgnbd::fit(&cohort).map_err(|e| format!("{}: cannot fit the model: {e}", file.display()))?;
    let p = fit.params;
    let repeaters = cohort.iter().filter(|h| h.frequency > 0.0).count();
    Ok(format!(
        "customers: {} ({repeaters} with repeat purchases)\n\
         purchase rate  ~ Gamma(r = {:.6}, alpha = {:.6})\n\
         drop-out       ~ Beta(a = {:.6}, b = {:.6})\n\
         fitted in {} ms\n\
         bgnbd: r={:.6} alpha={:.6} a={:.6} b={:.6} loglik={:.4}",
        fit.customers,
        p.r,
        p.alpha,
        p.a,
        p.b,
        started.elapsed().as_millis(),
        p.r,
        p.alpha,
        p.a,
        p.b,
        fit.log_likelihood
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_are_read_by_column_name_with_a_bom_and_crlf() {
        let text = "\u{feff}id,T,frequency,recency\r\n1,38.86,2,30.43\r\n\r\n2,40,0,0\r\n";
        let cohort = read_summaries(text).unwrap();
        assert_eq!(
            cohort,
            vec![
                History { frequency: 2.0, recency: 30.43, age: 38.86 },
                History { frequency: 0.0, recency: 0.0, age: 40.0 },
            ]
        );
    }

    #[test]
    fn a_malformed_row_is_reported_with_its_line_number() {
        let cases = [
            ("id,frequency,recency,T\n1,2,3,4\n2,x,1,5\n", "line 3: frequency `x` is not a number"),
            ("id,frequency,recency,T\n1,2,9,4\n", "line 2: recency 9 is later than T 4"),
            ("id,frequency,recency,T\n1,2,3\n", "line 2: 3 fields where the header has 4"),
            ("id,frequency,recency,T\n1,-1,0,4\n", "line 2: frequency -1 must be zero or more"),
            ("id,frequency,recency,T\n1,1.5,1,4\n", "line 2: frequency 1.5 must be a whole number"),
            ("id,freq,recency,T\n", "line 1: the header has no column `frequency`"),
            ("", "the file is empty"),
        ];
        for (text, expected) in cases {
            let error = read_summaries(text).unwrap_err();
            assert!(error.starts_with(expected), "{text:?}: {error}");
        }
    }
}
