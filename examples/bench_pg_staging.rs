//! Benchmark: stage the same events into PostgreSQL with sparkify's loader (`COPY ... FROM
//! STDIN`) and with row-by-row `INSERT`s, the way the tutorial projects do it (psycopg2's
//! `cursor.execute` per row, which interpolates the values into SQL text client-side).
//!
//! Run with `scripts/bench-pg-staging.sh` (starts a throwaway server), or against a server of
//! your own: `cargo run --release --example bench_pg_staging -- postgres://USER:PW@HOST/DB`.
//! Prints wall times and the ratio; asserts nothing (speed is measured here, not in tests).

use std::time::{Duration, Instant};

use sparkify::copy::FormatSpec;
use sparkify::copy::load::{LoadOptions, RowSink};
use sparkify::generate::{GenerateOptions, generate};
use sparkify::pipeline::{self, Refresh, Silent, StageRequest};
use sparkify::source::Source;
use sparkify::sql::{Dialect, quote_literal_in};
use sparkify::value::{Row, Value};
use sparkify::warehouse::Warehouse;
use sparkify::warehouse::postgres::{Postgres, Target};

/// The tutorial's way: one INSERT statement per row, values as SQL literals.
struct InsertPerRow<'a> {
    client: &'a mut postgres::Client,
}

impl RowSink for InsertPerRow<'_> {
    fn append(&mut self, rows: Vec<Row>) -> sparkify::Result<()> {
        for row in rows {
            let values = row
                .iter()
                .map(|c| {
                    Ok(match c {
                        Value::Null => "NULL".to_string(),
                        Value::Text(s) => quote_literal_in(Dialect::Postgres, s)?,
                        Value::Int(v) => v.to_string(),
                        Value::Double(v) => format!("{v:?}"),
                        Value::Bool(b) => b.to_string(),
                    })
                })
                .collect::<sparkify::Result<Vec<String>>>()?;
            self.client
                .batch_execute(&format!(
                    "INSERT INTO staging_events VALUES ({})",
                    values.join(", ")
                ))
                .map_err(|e| sparkify::Error::warehouse(e.to_string()))?;
        }
        Ok(())
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let url = std::env::args().nth(1).ok_or_else(|| {
        anyhow::anyhow!("usage: bench_pg_staging postgres://USER:PW@HOST:PORT/DB [EVENTS]")
    })?;
    let events: u64 = std::env::args().nth(2).map_or(Ok(100_000), |s| s.parse())?;
    let runs = 3;

    let data = tempfile::tempdir()?;
    let opts = GenerateOptions {
        songs: 1_000,
        users: 500,
        days: 10,
        events_per_day: events / 10,
        seed: 1,
        match_rate: 0.5,
        compress: None,
    };
    let report = generate(data.path(), &opts, |_| {})?;
    let mut wh = Postgres::connect(Target::parse(&url, 5432, "prefer")?)?;
    pipeline::create_tables(&mut wh, false, &pipeline::Silent)?;
    let request = StageRequest {
        table: "staging_events".into(),
        source: Source::Local(data.path().join("log_data")),
        format: FormatSpec::JsonPaths(Source::Local(data.path().join("log_json_path.json"))),
        repair_mojibake: true,
        // Every run stages the same files again.
        refresh: Refresh::Full,
    };
    println!(
        "PostgreSQL staging of {} events ({:.1} MB of JSON) into {}, median of {runs} runs",
        report.events,
        report.bytes as f64 / 1e6,
        wh.describe()
    );

    let mut copy_times = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let r = pipeline::stage(&mut wh, &request, &LoadOptions::default(), &Silent)?;
        copy_times.push(start.elapsed());
        assert_eq!(r.rows_loaded, report.events);
    }

    // Same parsing, same transaction, only the way rows reach the server differs.
    let spec = sparkify::sql::table_spec("staging_events")?;
    let format = request.format.resolve()?;
    let files = request.source.list()?.files;
    let read = |f: &sparkify::source::SourceFile| request.source.open(f);
    let mut insert_times = Vec::new();
    for _ in 0..runs {
        wh.execute("BEGIN; DELETE FROM staging_events;")?;
        let start = Instant::now();
        let mut sink = InsertPerRow {
            client: wh.client(),
        };
        let options = LoadOptions {
            repair_mojibake: true,
            ..LoadOptions::default()
        };
        let r = sparkify::copy::load::load(
            &spec,
            &format,
            &files,
            &read,
            &options,
            &mut sink,
            &mut |_| {},
        )?;
        wh.execute("COMMIT")?;
        insert_times.push(start.elapsed());
        assert_eq!(r.rows_loaded(), report.events);
    }

    let (copy, insert) = (median(copy_times), median(insert_times));
    let rate = |d: Duration| report.events as f64 / d.as_secs_f64();
    println!(
        "{:<34}{:>10.2} s {:>12.0} rows/s   1.00x",
        "sparkify (COPY FROM STDIN)",
        copy.as_secs_f64(),
        rate(copy)
    );
    println!(
        "{:<34}{:>10.2} s {:>12.0} rows/s  {:>5.2}x slower",
        "row-by-row INSERT (one txn)",
        insert.as_secs_f64(),
        rate(insert),
        insert.as_secs_f64() / copy.as_secs_f64()
    );
    Ok(())
}
