//! The built-in questions on the real sample, their CSV and JSON output, and the HTML report,
//! checked in a real headless Chromium.

mod common;

use std::process::Command;

use common::*;
use sparkify::analytics;
use sparkify::value::Value;
use sparkify::warehouse::Warehouse;
use sparkify::warehouse::duckdb::DuckDb;

fn t(s: &str) -> Value {
    Value::Text(s.into())
}
fn i(v: i64) -> Value {
    Value::Int(v)
}

fn sample_warehouse(dir: &tempfile::TempDir) -> DuckDb {
    let mut wh = DuckDb::open(&dir.path().join("w.duckdb")).unwrap();
    build(&mut wh, &sample_dir());
    wh
}

/// Expected answers were computed from the raw JSON with an independent script (not SQL).
#[test]
fn every_question_answers_the_sample_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut wh = sample_warehouse(&dir);
    let mut ask = |name: &str| analytics::run(&mut wh, name, None).unwrap();

    let hours = ask("plays_by_hour");
    let plays: Vec<i64> = hours
        .rows
        .iter()
        .map(|r| match r[1] {
            Value::Int(v) => v,
            _ => -1,
        })
        .collect();
    assert_eq!(
        plays,
        [
            155, 154, 117, 109, 136, 162, 183, 179, 207, 270, 312, 336, 308, 324, 432, 477, 542,
            494, 498, 367, 360, 280, 217, 201
        ]
    );
    let listeners: Vec<i64> = hours
        .rows
        .iter()
        .map(|r| match r[2] {
            Value::Int(v) => v,
            _ => -1,
        })
        .collect();
    assert_eq!(
        listeners,
        [
            23, 26, 27, 22, 26, 29, 25, 20, 26, 27, 32, 31, 37, 43, 42, 53, 45, 38, 33, 30, 31, 35,
            26, 25
        ]
    );
    assert_eq!(hours.columns, ["hour", "plays", "users"]);

    let weekdays = ask("plays_by_weekday");
    assert_eq!(weekdays.rows.len(), 7);
    assert_eq!(weekdays.rows[0], [i(0), t("Sunday"), i(396)]);
    let counts: Vec<&Value> = weekdays.rows.iter().map(|r| &r[2]).collect();
    assert_eq!(
        counts,
        [
            &i(396),
            &i(1014),
            &i(1071),
            &i(1364),
            &i(1052),
            &i(1295),
            &i(628)
        ]
    );

    let levels = ask("free_vs_paid");
    assert_eq!(levels.rows[0][..3], [t("paid"), i(5591), i(22)]);
    assert_eq!(levels.rows[1][..3], [t("free"), i(1229), i(82)]);
    assert_eq!(levels.rows[0][3], Value::Double(81.98));

    let locations = ask("top_locations");
    assert_eq!(
        locations.rows[0],
        [t("San Francisco-Oakland-Hayward, CA"), i(691), i(2)]
    );
    assert_eq!(
        locations.rows[1][..2],
        [t("Portland-South Portland, ME"), i(665)]
    );
    assert_eq!(
        locations.rows[2][..2],
        [t("Lansing-East Lansing, MI"), i(557)]
    );

    let platforms = ask("top_platforms");
    let names: Vec<(&Value, &Value)> = platforms.rows.iter().map(|r| (&r[0], &r[1])).collect();
    assert_eq!(
        names,
        [
            (&t("Mac"), &i(3000)),
            (&t("Windows"), &i(2428)),
            (&t("Linux"), &i(1153)),
            (&t("iPhone"), &i(239))
        ]
    );

    let busiest = ask("busiest_users");
    assert_eq!(
        busiest.rows[0],
        [i(49), t("Chloe"), t("Cuevas"), t("paid"), i(689), i(42)]
    );
    assert_eq!(
        (
            &busiest.rows[1][0],
            &busiest.rows[1][4],
            &busiest.rows[1][5]
        ),
        (&i(80), &i(665), &i(33))
    );
    assert_eq!(
        (
            &busiest.rows[2][0],
            &busiest.rows[2][4],
            &busiest.rows[2][5]
        ),
        (&i(97), &i(557), &i(16))
    );

    let daily = ask("daily_active_users");
    assert_eq!(daily.rows.len(), 30);
    assert_eq!(daily.rows[0], [t("2018-11-01"), i(4), i(11)]);
    assert_eq!(daily.rows[1], [t("2018-11-02"), i(21), i(155)]);
    assert_eq!(daily.rows[2], [t("2018-11-03"), i(10), i(100)]);

    let sessions = ask("session_lengths");
    assert_eq!(
        sessions.rows,
        [
            [t("1 song"), i(284), i(284)],
            [t("2-5 songs"), i(307), i(878)],
            [t("6-10 songs"), i(49), i(375)],
            [t("11-25 songs"), i(51), i(860)],
            [t("26-50 songs"), i(47), i(1737)],
            [t("51+ songs"), i(38), i(2686)],
        ]
    );

    let changes = ask("level_changes");
    let who: Vec<[Value; 3]> = changes
        .rows
        .iter()
        .map(|r| [r[0].clone(), r[3].clone(), r[4].clone()])
        .collect();
    // (user, upgrades, downgrades): user 15 went free -> paid -> free, seven others upgraded.
    let expected: Vec<[Value; 3]> = [15, 16, 29, 36, 49, 80, 85, 88]
        .iter()
        .map(|&u| [i(u), i(1), i(i64::from(u == 15))])
        .collect();
    assert_eq!(who, expected);
    assert_eq!(changes.rows[0][5], t("2018-11-21 11:16:56.796"));

    // The sample matches one play to the catalogue (SOURCE.md).
    assert_eq!(
        ask("top_songs").rows,
        [[t("Setanta matins"), t("Elena"), i(1)]]
    );
    assert_eq!(ask("top_artists").rows, [[t("Elena"), i(1), i(1)]]);
}

fn cli(args: &[&str], cwd: &std::path::Path) -> (Option<i32>, String, String) {
    let out = sparkify().args(args).current_dir(cwd).output();
    let (stdout, stderr) = text(&out);
    (out.status.code(), stdout, stderr)
}

#[test]
fn csv_and_json_output_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut wh = sample_warehouse(&dir);
    let expected = analytics::run(&mut wh, "busiest_users", Some(5)).unwrap();
    drop(wh);

    let (code, stdout, stderr) = cli(
        &[
            "analytics",
            "busiest_users",
            "--format",
            "csv",
            "--limit",
            "5",
            "--warehouse",
            "duckdb:w.duckdb",
        ],
        dir.path(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    let mut reader = csv::Reader::from_reader(stdout.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header, expected.columns);
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(rows.len(), 5);
    for (row, want) in rows.iter().zip(&expected.rows) {
        let want: Vec<String> = want
            .iter()
            .map(|c| match c {
                Value::Int(v) => v.to_string(),
                Value::Text(s) => s.clone(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(row, &want);
    }

    let (code, stdout, stderr) = cli(
        &[
            "analytics",
            "busiest_users",
            "--format",
            "json",
            "--limit",
            "5",
            "--warehouse",
            "duckdb:w.duckdb",
        ],
        dir.path(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    let parsed: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(&stdout).unwrap();
    assert_eq!(parsed.len(), 5);
    for (obj, want) in parsed.iter().zip(&expected.rows) {
        for (col, cell) in expected.columns.iter().zip(want) {
            let got = &obj[col];
            match cell {
                Value::Int(v) => assert_eq!(got.as_i64(), Some(*v), "{col}"),
                Value::Text(s) => assert_eq!(got.as_str(), Some(s.as_str()), "{col}"),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    // The list is generated from the SQL files, and a typo names the choices.
    let (code, stdout, _) = cli(&["analytics"], dir.path());
    assert_eq!(code, Some(0));
    assert_eq!(stdout.lines().filter(|l| l.starts_with("  ")).count(), 14);
    assert!(
        stdout.contains("plays_by_hour        Song plays by hour of day (UTC)"),
        "{stdout}"
    );
    let (code, _, stderr) = cli(&["analytics", "plays_by_minute"], dir.path());
    assert_eq!(code, Some(2));
    // The choices are the files of sql/analytics/, in name order.
    assert!(
        stderr.contains("choose one of: busiest_users, conversions_by_week, daily_active_users,"),
        "{stderr}"
    );
    assert!(stderr.contains("top_songs"), "{stderr}");
}

/// Runs `run` on the built sample `times` times (nothing new: each publishes and is recorded).
fn record_runs(wh: &mut dyn Warehouse, times: usize) {
    let sample = sample_dir();
    let mut requests = vec![
        events_request(&sample, jsonpaths(&sample), true),
        songs_request(&sample),
    ];
    for r in &mut requests {
        r.refresh = sparkify::pipeline::Refresh::Incremental;
    }
    for _ in 0..times {
        sparkify::pipeline::etl(
            wh,
            &requests,
            &Default::default(),
            &sparkify::pipeline::Silent,
            sparkify::pipeline::Audit::PublishIfPassing,
        )
        .unwrap();
    }
}

fn report(dir: &tempfile::TempDir) -> String {
    let mut wh = sample_warehouse(dir);
    record_runs(&mut wh, 2);
    // A hostile value must be shown, not executed.
    wh.execute("UPDATE users SET first_name = '<script>alert(1)</script>' WHERE user_id = 49")
        .unwrap();
    sparkify::analytics::report::build(&mut wh).unwrap()
}

#[test]
fn the_report_has_figures_charts_and_data_quality_and_escapes_data() {
    let dir = tempfile::tempdir().unwrap();
    let html = report(&dir);
    assert_eq!(html.matches("<svg").count(), 7, "one SVG per chart");
    for needle in [
        "Sparkify listening report",
        "6,820",
        "Plays by hour of day",
        "Busiest hour: 16:00 UTC.",
        "82.0 %",
        "All 61 checks passed.",
        "1 of 6,820 song plays matched a catalogue song (0.01 %)",
        "staging_events",
        "Cuevas",
        "Free → paid upgrades per week",
        "8 upgrades, by the week",
        "Time from first event to paid",
        "Plays before and from the first upgrade",
    ] {
        assert!(html.contains(needle), "report lacks {needle:?}");
    }
    assert!(!html.contains("<script"), "data reached the page unescaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
    // Self-contained: nothing for the browser to fetch (the only URL is the SVG namespace).
    for fetch in ["src=", "href=", "<link", "@import", "url("] {
        assert!(
            !html.contains(fetch),
            "report would fetch something: {fetch}"
        );
    }
}

/// The report's tables show their first rows, fetched with a LIMIT, and count the rest in the
/// warehouse: 1,234 load errors are counted and 20 shown.
#[test]
fn the_report_shows_the_first_rows_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let mut wh = sample_warehouse(&dir);
    wh.execute(
        "INSERT INTO load_errors SELECT 'staging_events', 'many.json', range, NULL, NULL, NULL, \
         NULL, 'bad', TIMESTAMP '2018-11-30 00:00:00' FROM range(1234)",
    )
    .unwrap();
    let listeners = analytics::run(&mut wh, "busiest_users", None)
        .unwrap()
        .rows
        .len();
    assert!(listeners > 10);
    let html = sparkify::analytics::report::build(&mut wh).unwrap();
    assert!(
        html.contains("1,234 row(s) were rejected while loading"),
        "{html}"
    );
    assert_eq!(html.matches("<td>many.json</td>").count(), 20);
    assert!(
        html.contains(&format!("and {} more", listeners - 10)),
        "{html}"
    );
}

/// The report lists the latest 10 runs and counts the earlier ones.
#[test]
fn the_report_lists_the_latest_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut wh = sample_warehouse(&dir);
    let html = sparkify::analytics::report::build(&mut wh).unwrap();
    assert!(html.contains("No run recorded yet."), "{html}");
    record_runs(&mut wh, 12);
    let html = sparkify::analytics::report::build(&mut wh).unwrap();
    let runs = &html[html.find("Latest runs").unwrap()..];
    assert_eq!(runs.matches("<td>published</td>").count(), 10, "{runs}");
    assert!(runs.contains("and 2 earlier"), "{runs}");
    let newest = wh
        .query("SELECT MAX(run_id) FROM runs")
        .unwrap()
        .rows
        .remove(0)
        .remove(0);
    let Value::Text(newest) = newest else {
        panic!("{newest:?}")
    };
    // Newest first.
    let first_row = runs.find("<td>").unwrap();
    assert!(
        runs[first_row..].starts_with(&format!("<td>{newest}</td>")),
        "{runs}"
    );
}

/// Opens the report in headless Chromium: the DOM it builds must hold the six charts, the page
/// Opens the report in headless Chromium: the DOM it builds must hold the seven charts, the page
/// must log no console errors, and a screenshot is kept for people to look at.
/// A headless Chromium that hangs (a GPU probe, a profile lock) must fail the test, not stall
/// the suite: a render of this page takes a few seconds.
const CHROMIUM_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Runs `cmd` in a process group of its own; after `limit` the whole group (Chromium's
/// renderer and GPU processes too) is killed and the test fails with what it printed.
fn within(mut cmd: Command, limit: std::time::Duration) -> (String, String) {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    let mut child = cmd
        .process_group(0)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run chromium");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let start = std::time::Instant::now();
    let timed_out = loop {
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        if start.elapsed() > limit {
            let _ = Command::new("kill")
                .args(["-KILL", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            break true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    assert!(!timed_out, "chromium still running after {limit:?}:\n{err}");
    (out, err)
}

#[test]
fn the_report_renders_in_headless_chromium() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("headless Chromium is needed: apt-get install chromium (scripts/test installs it)");
    let dir = tempfile::tempdir().unwrap();
    let html = report(&dir);
    let page = dir.path().join("report.html");
    std::fs::write(&page, html).unwrap();
    let url = format!("file://{}", page.display());
    let profile = dir.path().join("profile");
    let base = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ];
    let run = |extra: &[String]| {
        let mut cmd = Command::new(chromium);
        cmd.args(base)
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .arg(&url);
        within(cmd, CHROMIUM_LIMIT)
    };

    let (dom, log) = run(&["--dump-dom".to_string()]);
    assert_eq!(
        dom.matches("<svg").count(),
        7,
        "charts in the rendered DOM\n{log}"
    );
    assert!(dom.contains("Sparkify listening report"));
    // The run history: both recorded runs, each a row of its own.
    let runs = &dom[dom
        .find("Latest runs")
        .expect("a run history section\n{dom}")..];
    assert_eq!(runs.matches("<td>published</td>").count(), 2, "{runs}");
    assert_eq!(runs.matches("<td>incremental</td>").count(), 2, "{runs}");
    let console_errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") && (l.contains("ERROR") || l.contains("Uncaught")))
        .collect();
    assert!(
        console_errors.is_empty(),
        "console errors: {console_errors:?}"
    );

    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sparkify-report.png");
    let _ = std::fs::remove_file(&shot);
    let (_, log) = run(&[
        format!("--screenshot={}", shot.display()),
        "--window-size=1400,3200".to_string(),
        "--hide-scrollbars".to_string(),
    ]);
    let png = std::fs::read(&shot)
        .unwrap_or_else(|e| panic!("no screenshot at {}: {e}\n{log}", shot.display()));
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "screenshot of {} bytes",
        png.len()
    );
    println!("report screenshot: {}", shot.display());
}
