//! `sparkify copy`: Redshift COPY ... FORMAT AS JSON statements, run by the binary against
//! DuckDB and PostgreSQL, on tables sparkify did not create. Each documented rule cites the
//! AWS page it comes from (Amazon Redshift Database Developer Guide).

mod common;
// The S3 source test's server (moto on 127.0.0.1).
#[path = "common/moto.rs"]
mod moto;

use std::path::Path;
use std::process::Output;

use common::{pg, sparkify, text};
use sparkify::value::Value;
use sparkify::warehouse::Warehouse;
use sparkify::warehouse::duckdb::DuckDb;
use sparkify::warehouse::postgres::{Postgres, Target};

/// One warehouse under test: its `--warehouse` value and a way to look inside.
struct Engine {
    name: &'static str,
    warehouse: String,
}

impl Engine {
    fn open(&self) -> Box<dyn Warehouse> {
        match self.warehouse.strip_prefix("duckdb:") {
            Some(path) => Box::new(DuckDb::open(Path::new(path)).expect("open duckdb")),
            None => Box::new(
                Postgres::connect(Target::parse(&self.warehouse, 5432, "disable").unwrap())
                    .expect("connect"),
            ),
        }
    }

    fn execute(&self, sql: &str) {
        self.open()
            .execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Every row of a query, each cell as text (NULL as "NULL"), so both engines compare alike.
    fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        let result = self
            .open()
            .query(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        result
            .rows
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|v| match v {
                        Value::Null => "NULL".to_string(),
                        Value::Text(s) => s,
                        Value::Int(n) => n.to_string(),
                        Value::Double(d) => d.to_string(),
                        Value::Bool(b) => b.to_string(),
                    })
                    .collect()
            })
            .collect()
    }

    fn count(&self, table: &str) -> i64 {
        self.open()
            .count(&format!("SELECT COUNT(*) FROM {table}"))
            .unwrap()
    }

    fn copy(&self, cwd: &Path, statement: &str) -> Output {
        sparkify()
            .current_dir(cwd)
            .args(["copy", "--warehouse", &self.warehouse, statement])
            .output()
    }
}

/// DuckDB in `dir`, and a fresh PostgreSQL database.
fn engines(dir: &Path) -> Vec<Engine> {
    vec![
        Engine {
            name: "duckdb",
            warehouse: format!("duckdb:{}", dir.join("w.duckdb").display()),
        },
        Engine {
            name: "postgres",
            warehouse: pg::server().new_database(),
        },
    ]
}

fn write(dir: &Path, name: &str, body: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, body).unwrap();
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

const PRODUCTS: &str = "CREATE TABLE products (
    id INTEGER NOT NULL,
    name VARCHAR(10),
    price DECIMAL(8,2),
    in_stock BOOLEAN DEFAULT true,
    note VARCHAR(20) DEFAULT 'none',
    added TIMESTAMP
)";

const SELECT_PRODUCTS: &str = "SELECT CAST(id AS VARCHAR), name, CAST(price AS VARCHAR), \
    CAST(in_stock AS VARCHAR), note, CAST(added AS VARCHAR) FROM products ORDER BY id";

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_copy_loads_any_table_by_its_catalog_with_redshifts_json_rules() {
    let tmp = tempfile::tempdir().unwrap();
    // copy-usage_notes-copy-from-json: a record is a JSON value, not a line; AWS's own
    // example glues two objects as `}{`, and an object may span lines.
    write(
        tmp.path(),
        "data/part-1.json",
        "{\"id\": 1, \"name\": \"tea\", \"price\": 20.259, \"added\": 1541105830796, \"colour\": \"red\"}{\"id\": 2,\n  \"price\": \"3\",\n  \"added\": 1541105830000\n}\n",
    );
    write(
        tmp.path(),
        "data/part-2.json",
        "{\"id\": 3, \"name\": \"\", \"price\": \"\", \"in_stock\": false, \"note\": \"x\"}\n",
    );
    for e in engines(tmp.path()) {
        e.execute(PRODUCTS);
        let out = e.copy(
            tmp.path(),
            "copy products (id, name, price, added) from 'data/part' \
             format as json 'auto' timeformat 'epochmillisecs'",
        );
        let stdout = common::ok(&out);
        assert!(
            stdout
                .contains("Load into table 'products' completed, 3 record(s) loaded successfully."),
            "{}: {stdout}",
            e.name
        );
        assert_eq!(
            e.rows(SELECT_PRODUCTS),
            vec![
                // copy-parameters-data-conversion (ROUNDEC): extra digits are truncated,
                // 20.259 → 20.25. A key with no column (`colour`) is ignored
                // (copy-usage_notes-copy-from-json).
                row(&[
                    "1",
                    "tea",
                    "20.25",
                    "true",
                    "none",
                    "2018-11-01 20:57:10.796"
                ]),
                // copy-parameters-column-mapping: columns left out of the column list get
                // their DEFAULT (in_stock, note); a listed column no key matches (name) is NULL.
                row(&["2", "NULL", "3.00", "true", "none", "2018-11-01 20:57:10"]),
                // copy-parameters-data-conversion: "" is NULL in a non-character column and
                // stays "" in a character column (no EMPTYASNULL). in_stock and note are not
                // in the list: their keys are ignored and the DEFAULT applies.
                row(&["3", "", "NULL", "true", "none", "NULL"]),
            ],
            "{}",
            e.name
        );

        // Without a column list every column is loaded: one that no key matches is NULL,
        // not its DEFAULT (copy-parameters-column-mapping).
        e.execute("DELETE FROM products");
        common::ok(&e.copy(
            tmp.path(),
            "COPY products FROM 'data/part-2.json' JSON 'auto'",
        ));
        assert_eq!(
            e.rows(SELECT_PRODUCTS),
            vec![row(&["3", "", "NULL", "false", "x", "NULL"])],
            "{}",
            e.name
        );
        common::ok(&e.copy(
            tmp.path(),
            "COPY products FROM 'data/part-1.json' JSON 'auto' TIMEFORMAT 'epochmillisecs'",
        ));
        let rows = e.rows(SELECT_PRODUCTS);
        assert_eq!(rows[0][3..5], row(&["NULL", "NULL"]), "{}", e.name);
    }
}

#[test]
fn more_rejected_rows_than_maxerror_leave_the_table_unchanged_and_exit_4() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "bad.json",
        "{\"id\": 1, \"name\": \"ok\"}\n{\"id\": \"one\"}\n{\"name\": \"no id\"}\n{\"id\": 4}\n",
    );
    for e in engines(tmp.path()) {
        e.execute(PRODUCTS);
        e.execute("INSERT INTO products (id, name) VALUES (100, 'before')");
        let out = e.copy(
            tmp.path(),
            "COPY products FROM 'bad.json' JSON 'auto' MAXERROR 1",
        );
        let (stdout, stderr) = text(&out);
        assert_eq!(code(&out), Some(4), "{}: {stdout}{stderr}", e.name);
        assert!(
            stderr.contains("COPY into products rejected: 2 bad row(s), more than MAXERROR 1")
                && stderr.contains("the table is unchanged"),
            "{}: {stderr}",
            e.name
        );
        assert_eq!(e.count("products"), 1, "{}", e.name);
        // The rejected rows stay, as STL_LOAD_ERRORS keeps those of a failed COPY; a NULL for
        // a NOT NULL column rejects the row (copy-parameters-data-load, load error 1213).
        let errors = e.rows(
            "SELECT table_name, CAST(line AS VARCHAR), column_name, reason FROM load_errors \
             ORDER BY line",
        );
        assert_eq!(errors.len(), 2, "{}: {errors:?}", e.name);
        assert_eq!(errors[0][..3], row(&["products", "2", "id"]), "{}", e.name);
        assert!(errors[0][3].contains("invalid digit"), "{errors:?}");
        assert_eq!(
            errors[1],
            row(&["products", "3", "id", "Missing data for not-null field"]),
            "{}",
            e.name
        );

        e.execute("DELETE FROM load_errors");
        let out = e.copy(
            tmp.path(),
            "COPY products FROM 'bad.json' JSON AS 'auto' MAXERROR AS 2",
        );
        let stdout = common::ok(&out);
        assert!(
            stdout.contains("2 record(s) loaded successfully.")
                && stdout.contains("2 record(s) could not be loaded."),
            "{}: {stdout}",
            e.name
        );
        assert_eq!(e.count("products"), 3, "{}", e.name);
        assert_eq!(e.count("load_errors"), 2, "{}", e.name);
    }
}

#[test]
fn what_cannot_run_is_refused_by_name_with_exit_2_before_anything_is_loaded() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "d/a.json", "{\"id\": 1}\n");
    write(
        tmp.path(),
        "d/files.manifest",
        "{\"entries\": [{\"url\": \"a.json\"}]}",
    );
    for e in engines(tmp.path()) {
        e.execute(PRODUCTS);
        e.execute("CREATE TABLE odd (id INTEGER, tags INTEGER[])");
        for (statement, needle) in [
            (
                "COPY products FROM 'd/a.json' JSON 'auto' LZOP",
                "LZOP is not supported yet",
            ),
            ("COPY products FROM 'd/a.json' CSV", "CSV is not supported"),
            (
                "COPY products FROM 'd/a.json' JSON 'auto' FILLRECORD",
                "FILLRECORD is not supported",
            ),
            (
                "COPY products FROM 'd/a.json' FORMAT AS AVRO 'auto'",
                "FORMAT AVRO is not supported",
            ),
            ("COPY products FROM 'd/a.json'", "no data format"),
            (
                "COPY nope FROM 'd/a.json' JSON 'auto'",
                "table nope does not exist",
            ),
            (
                "COPY products (id, colour) FROM 'd/a.json' JSON 'auto'",
                "column colour of the column list does not exist",
            ),
            (
                "COPY odd FROM 'd/a.json' JSON 'auto'",
                "column tags of odd has type",
            ),
            (
                "COPY products FROM 'd/files.manifest' JSON 'auto'",
                "does not say MANIFEST",
            ),
            (
                "COPY products FROM 'd/a.json' JSON 'auto' MAXERROR",
                "line 1, column 51: expected a number after MAXERROR",
            ),
        ] {
            let out = e.copy(tmp.path(), statement);
            let (_, stderr) = text(&out);
            assert_eq!(code(&out), Some(2), "{}: {statement}: {stderr}", e.name);
            assert!(stderr.contains(needle), "{}: {statement}: {stderr}", e.name);
        }
        assert_eq!(e.count("products"), 0, "{}", e.name);
        // A column list that leaves the odd column out loads the rest.
        common::ok(&e.copy(tmp.path(), "COPY odd (id) FROM 'd/a.json' JSON 'auto'"));
        assert_eq!(e.count("odd"), 1, "{}", e.name);
    }
}

#[test]
fn a_file_of_statements_runs_in_order_and_manifest_names_a_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "d/a.json", "{\"id\": 1}\n");
    write(tmp.path(), "d/b.json", "{\"id\": 2}\n{\"id\": 3}\n");
    // MANIFEST makes it a manifest, whatever its name (copy-parameters-data-source-s3).
    write(
        tmp.path(),
        "d/load-list.json",
        "{\"entries\": [{\"url\": \"b.json\", \"mandatory\": true}]}",
    );
    write(
        tmp.path(),
        "copies.sql",
        "-- two loads\nCOPY products (id) FROM 'd/a.json' JSON 'auto' IAM_ROLE 'arn:aws:iam::123456789012:role/r';\n\
         copy products (id)\n  from 'd/load-list.json'\n  manifest\n  json 'auto' region 'us-west-2';\n",
    );
    for e in engines(tmp.path()) {
        e.execute(PRODUCTS);
        let out = sparkify()
            .current_dir(tmp.path())
            .args(["copy", "--warehouse", &e.warehouse, "-f", "copies.sql"])
            .output();
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{}: {stdout}{stderr}", e.name);
        assert_eq!(
            stdout.matches("loaded successfully").count(),
            2,
            "{}: {stdout}",
            e.name
        );
        assert!(
            stdout.contains("1 record(s) loaded") && stdout.contains("2 record(s) loaded"),
            "{stdout}"
        );
        assert!(
            stderr.contains("IAM_ROLE accepted; locally it changes nothing")
                && stderr.contains("REGION accepted; locally it changes nothing"),
            "{}: {stderr}",
            e.name
        );
        assert!(!stderr.contains("123456789012"), "{stderr}");
        assert_eq!(
            e.rows("SELECT CAST(id AS VARCHAR) FROM products ORDER BY id"),
            vec![row(&["1"]), row(&["2"]), row(&["3"])],
            "{}",
            e.name
        );
    }
}

#[test]
fn copy_help_says_what_runs_what_changes_nothing_and_what_is_refused() {
    let out = sparkify().args(["copy", "--help"]).output();
    let help = common::ok(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for needle in [
        "-f, --file <FILE> A file of one or more COPY statements",
        "MAXERROR [AS] n, MANIFEST, GZIP, ZSTD, BZIP2 (read as a stream), TIMEFORMAT",
        "Accepted and changing nothing locally",
        "is refused (exit 2) naming it",
        "On Redshift the statement is sent as it is",
        "Exit 4 when more rows are rejected than MAXERROR",
    ] {
        assert!(help.contains(needle), "{needle:?} not in: {help}");
    }
}

const EVENTS: &str = "CREATE TABLE events (
    kind VARCHAR(20),
    first_tag VARCHAR(20),
    detail VARCHAR(200),
    tags VARCHAR(200)
)";

#[test]
fn jsonpaths_missing_objects_load_null_but_a_missing_array_element_fails_the_copy() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "paths.json",
        r#"{"jsonpaths": ["$.kind", "$.tags[0]", "$.detail", "$['tags']"]}"#,
    );
    // An object or array a path (or 'auto') reaches loads as its JSON text into a character
    // column (copy-usage_notes-copy-from-json); a path whose object element is missing loads
    // NULL (copy-parameters-data-format).
    write(
        tmp.path(),
        "good.json",
        "{\"kind\": \"a\", \"tags\": [\"x\", \"y\"], \"detail\": {\"k\": [1, 2]}}\n{\"tags\": []}\n",
    );
    write(
        tmp.path(),
        "gap.json",
        "{\"kind\": \"b\", \"tags\": [\"x\"]}\n{\"kind\": \"c\", \"tags\": []}\n",
    );
    for e in engines(tmp.path()) {
        e.execute(EVENTS);
        let out = e.copy(tmp.path(), "COPY events FROM 'good.json' JSON 'paths.json'");
        // The second record's tags is an empty array: tags[0] is an array element that is not
        // there, which fails the whole COPY (copy-parameters-data-format), whatever MAXERROR.
        let (_, stderr) = text(&out);
        assert_ne!(code(&out), Some(0), "{}: {stderr}", e.name);
        assert!(
            stderr.contains("Invalid JSONPath format: Not an array or index out of range."),
            "{}: {stderr}",
            e.name
        );
        assert_eq!(e.count("events"), 0, "{}", e.name);
        let out = e.copy(
            tmp.path(),
            "COPY events FROM 'gap.json' JSON 'paths.json' MAXERROR 10",
        );
        assert!(
            text(&out).1.contains("Not an array or index out of range"),
            "{}",
            e.name
        );
        assert_eq!(e.count("events"), 0, "{}", e.name);

        write(
            tmp.path(),
            "fixed.json",
            "{\"kind\": \"a\", \"tags\": [\"x\", \"y\"], \"detail\": {\"k\": [1, 2]}}\n{\"tags\": [\"z\"]}\n",
        );
        common::ok(&e.copy(
            tmp.path(),
            "COPY events FROM 'fixed.json' JSON 'paths.json'",
        ));
        assert_eq!(
            e.rows("SELECT kind, first_tag, detail, tags FROM events ORDER BY first_tag"),
            vec![
                row(&["a", "x", r#"{"k":[1,2]}"#, r#"["x","y"]"#]),
                row(&["NULL", "z", "NULL", r#"["z"]"#]),
            ],
            "{}",
            e.name
        );
    }
}

#[test]
fn a_jsonpaths_file_whose_key_is_not_jsonpaths_is_ignored_for_auto_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    // copy-usage_notes-copy-from-json: "If the name is any string other than "jsonpaths",
    // COPY uses the 'auto' argument instead of using the JSONPaths file."
    write(
        tmp.path(),
        "paths.json",
        r#"{"paths": ["$.tags[0]", "$.kind", "$.kind", "$.kind"]}"#,
    );
    write(
        tmp.path(),
        "data.json",
        "{\"kind\": \"a\", \"tags\": [1], \"detail\": [true]}\n",
    );
    for e in engines(tmp.path()) {
        e.execute(EVENTS);
        let out = e.copy(tmp.path(), "COPY events FROM 'data.json' JSON 'paths.json'");
        let (_, stderr) = text(&out);
        common::ok(&out);
        assert!(
            stderr.contains("paths.json")
                && stderr.contains("\"paths\", not \"jsonpaths\"")
                && stderr.contains("'auto'"),
            "{}: {stderr}",
            e.name
        );
        assert_eq!(
            e.rows("SELECT kind, first_tag, detail, tags FROM events"),
            vec![row(&["a", "NULL", "[true]", "[1]"])],
            "{}",
            e.name
        );
    }
}

const READINGS: &str = "CREATE TABLE readings (
    label VARCHAR(4),
    code CHAR(3),
    amount DECIMAL(6,2),
    taken TIMESTAMP,
    day DATE
)";

const SELECT_READINGS: &str = "SELECT label, CAST(code AS VARCHAR), CAST(amount AS VARCHAR), \
    CAST(taken AS VARCHAR), CAST(day AS VARCHAR) FROM readings ORDER BY amount";

#[test]
fn the_data_conversion_options_change_what_loads_as_documented() {
    let tmp = tempfile::tempdir().unwrap();
    // copy-parameters-data-conversion, one option at a time.
    write(
        tmp.path(),
        "r.json",
        "{\"label\": \"kilowatt\", \"code\": \"\", \"amount\": \"1.005\", \"taken\": 1541105830, \"day\": \"11/01/2018\"}\n\
         {\"label\": \"  \", \"code\": \"abcd\", \"amount\": 2.999, \"taken\": 0, \"day\": \"02/29/2016\"}\n",
    );
    write(
        tmp.path(),
        "t.json",
        "{\"label\": \"a\", \"amount\": 1, \"taken\": \"01.11.2018 9:01:46 PM\"}\n\
         {\"label\": \"b\", \"amount\": 2, \"taken\": \"2018-11-01T21:01:46.5\"}\n",
    );
    for e in engines(tmp.path()) {
        e.execute(READINGS);
        // Without the options: too long for VARCHAR(4) and CHAR(3), the epoch numbers are not
        // timestamps, the dates are not YYYY-MM-DD: every row is rejected.
        let out = e.copy(
            tmp.path(),
            "COPY readings FROM 'r.json' JSON 'auto' MAXERROR 5",
        );
        let stdout = common::ok(&out);
        assert!(
            stdout.contains("2 record(s) could not be loaded"),
            "{}: {stdout}",
            e.name
        );

        e.execute("DELETE FROM readings");
        let out = e.copy(
            tmp.path(),
            "COPY readings FROM 'r.json' JSON 'auto' TIMEFORMAT 'epochsecs' \
             DATEFORMAT 'MM/DD/YYYY' TRUNCATECOLUMNS BLANKSASNULL EMPTYASNULL ROUNDEC",
        );
        let stdout = common::ok(&out);
        // DuckDB keeps no length for VARCHAR(n) or CHAR(n) (its catalog says VARCHAR), so
        // only PostgreSQL has lengths to truncate to.
        let lengths = e.name == "postgres";
        assert!(
            stdout.contains("2 record(s) loaded successfully."),
            "{}: {stdout}",
            e.name
        );
        assert_eq!(
            stdout.contains("INFO:  2 value(s) truncated to fit their column (TRUNCATECOLUMNS)."),
            lengths,
            "{}: {stdout}",
            e.name
        );
        let (kilo, abc) = if lengths {
            ("kilo", "abc")
        } else {
            ("kilowatt", "abcd")
        };
        assert_eq!(
            e.rows(SELECT_READINGS),
            vec![
                // TRUNCATECOLUMNS cuts "kilowatt" to 4 bytes; EMPTYASNULL makes "" NULL;
                // ROUNDEC rounds 1.005 to 1.01 (truncated it would be 1.00).
                row(&[kilo, "NULL", "1.01", "2018-11-01 20:57:10", "2018-11-01"]),
                // BLANKSASNULL makes "  " NULL; CHAR(3) keeps "abc".
                row(&["NULL", abc, "3.00", "1970-01-01 00:00:00", "2016-02-29"]),
            ],
            "{}",
            e.name
        );

        e.execute("DELETE FROM readings");
        common::ok(&e.copy(
            tmp.path(),
            "COPY readings (label, amount, taken) FROM 't.json' JSON 'auto' \
             TIMEFORMAT AS 'DD.MM.YYYY HH12:MI:SS AM' MAXERROR 1",
        ));
        common::ok(&e.copy(
            tmp.path(),
            "COPY readings (label, amount, taken) FROM 't.json' JSON 'auto' TIMEFORMAT 'auto' \
             MAXERROR 1",
        ));
        assert_eq!(
            e.rows("SELECT label, CAST(taken AS VARCHAR) FROM readings ORDER BY label, taken"),
            vec![
                row(&["a", "2018-11-01 21:01:46"]),
                row(&["b", "2018-11-01 21:01:46.5"]),
            ],
            "{}",
            e.name
        );
    }
}

#[test]
fn acceptinvchars_replaces_invalid_utf8_and_says_how_often() {
    let tmp = tempfile::tempdir().unwrap();
    let mut data = b"{\"label\": \"ok\"}\n{\"label\": \"b".to_vec();
    data.extend_from_slice(b"\xff\xfe");
    data.extend_from_slice(b"d\"}\n");
    std::fs::write(tmp.path().join("bad.json"), data).unwrap();
    for e in engines(tmp.path()) {
        e.execute(READINGS);
        // Without ACCEPTINVCHARS invalid UTF-8 rejects its row (copy-parameters-data-conversion).
        let out = e.copy(
            tmp.path(),
            "COPY readings (label) FROM 'bad.json' JSON 'auto'",
        );
        assert_eq!(code(&out), Some(4), "{}: {:?}", e.name, text(&out));
        assert_eq!(e.count("readings"), 0, "{}", e.name);
        // With it, each invalid byte becomes the replacement character ("an invalid
        // three-byte character will be replaced with '^^^'"), and the count is reported, as
        // Redshift logs it in STL_REPLACEMENTS.
        let out = e.copy(
            tmp.path(),
            "COPY readings (label) FROM 'bad.json' JSON 'auto' ACCEPTINVCHARS AS '^'",
        );
        let stdout = common::ok(&out);
        assert!(
            stdout.contains(
                "INFO:  2 invalid UTF-8 byte(s) replaced with '^' in 1 line(s) (ACCEPTINVCHARS)."
            ),
            "{}: {stdout}",
            e.name
        );
        assert_eq!(
            e.rows("SELECT label FROM readings ORDER BY label"),
            vec![row(&["b^^d"]), row(&["ok"])],
            "{}",
            e.name
        );
    }
}

#[test]
fn the_pipeline_stages_with_the_copy_options_given_and_says_what_they_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let sources = common::dataset(&data, 1, 30);
    // One more event whose artist is longer than staging_events.artist's VARCHAR(512).
    let long = serde_json::json!({
        "artist": "x".repeat(600), "auth": "Logged In", "firstName": "A", "gender": "F",
        "itemInSession": 0, "lastName": "B", "length": 200.5, "level": "free",
        "location": "X", "method": "PUT", "page": "NextSong", "registration": 1.0,
        "sessionId": 1, "song": "s", "status": 200, "ts": 1541105830796_i64,
        "userAgent": "UA", "userId": "7"
    });
    write(&data, "log_data/zz-long.json", &format!("{long}\n"));
    for e in engines(tmp.path()) {
        let out = common::run(tmp.path(), &e.warehouse, &sources, &[]);
        assert_eq!(code(&out), Some(4), "{}: {:?}", e.name, text(&out));
        // From the environment (as from [COPY] OPTIONS or --copy-options).
        let out = common::run_command(tmp.path(), &e.warehouse, &sources, &[])
            .env("SPARKIFY_COPY_OPTIONS", "TRUNCATECOLUMNS")
            .output();
        let (_, stderr) = text(&out);
        common::ok(&out);
        assert!(
            stderr.contains(
                "staging_events: 1 value(s) truncated to fit their column (TRUNCATECOLUMNS)"
            ),
            "{}: {stderr}",
            e.name
        );
        assert_eq!(
            e.rows("SELECT CAST(MAX(LENGTH(artist)) AS VARCHAR) FROM staging_events"),
            vec![row(&["512"])],
            "{}",
            e.name
        );
    }
}

#[test]
fn rows_a_copy_rejected_are_not_reported_by_check_as_a_failed_pipeline_load() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "p.json", "{\"id\": 1}\n{\"id\": \"x\"}\n");
    for e in engines(tmp.path()) {
        let sparkify_cmd = |args: &[&str]| {
            sparkify()
                .current_dir(tmp.path())
                .args(args)
                .args(["--warehouse", &e.warehouse])
                .output()
        };
        common::ok(&sparkify_cmd(&["create-tables"]));
        e.execute("CREATE TABLE p (id INTEGER)");
        common::ok(&e.copy(tmp.path(), "COPY p FROM 'p.json' JSON 'auto' MAXERROR 1"));
        assert_eq!(e.count("load_errors"), 1, "{}", e.name);
        // `check`'s count of rows kept from failed pipeline loads is about the staging tables;
        // a COPY's rejected rows are its own record, not a failed load.
        let stdout = common::ok(&sparkify_cmd(&["check"]));
        assert!(
            !stdout.contains("Rows rejected by failed loads"),
            "{}: {stdout}",
            e.name
        );
    }
}

#[test]
fn gzip_files_are_read_as_a_stream_with_lines_counted_from_the_file_start() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    // About 10 MB of text, one bad record near the end: many reads of the decompressed stream,
    // with the line still counted from the file's start.
    let mut data = String::new();
    let n = 120_000;
    for i in 0..n {
        let id = if i == n - 2 {
            "\"bad\"".to_string()
        } else {
            i.to_string()
        };
        data.push_str(&format!(
            "{{\"id\": {id}, \"name\": \"{}\"}}\n",
            "n".repeat(80)
        ));
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data.as_bytes()).unwrap();
    std::fs::write(tmp.path().join("big.json.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(tmp.path().join("plain.json"), "{\"id\": 1}\n").unwrap();
    for e in engines(tmp.path()) {
        e.execute("CREATE TABLE items (id INTEGER, name VARCHAR(100))");
        // copy-parameters-file-compression: GZIP says every file is gzip.
        let out = e.copy(
            tmp.path(),
            "COPY items FROM 'big.json.gz' JSON 'auto' GZIP MAXERROR 1",
        );
        let stdout = common::ok(&out);
        assert!(
            stdout.contains(&format!("{} record(s) loaded successfully.", "119,999")),
            "{}: {stdout}",
            e.name
        );
        assert_eq!(e.count("items"), n - 1, "{}", e.name);
        assert_eq!(
            e.rows("SELECT CAST(line AS VARCHAR), column_name FROM load_errors"),
            vec![row(&[&(n - 1).to_string(), "id"])],
            "{}",
            e.name
        );
        // A file that is not gzip fails the COPY whole, naming the file.
        let out = e.copy(tmp.path(), "COPY items FROM 'plain.json' JSON 'auto' GZIP");
        let (_, stderr) = text(&out);
        assert_eq!(code(&out), Some(1), "{}: {stderr}", e.name);
        assert!(
            stderr.contains(
                "plain.json: cannot decompress (GZIP, as the COPY says): invalid gzip header; \
                 nothing was loaded"
            ),
            "{}: {stderr}",
            e.name
        );
        assert_eq!(e.count("items"), n - 1, "{}", e.name);
    }
}

#[test]
fn a_copy_from_an_s3_prefix_reads_every_object_the_prefix_names() {
    // copy-parameters-data-source-s3: FROM 's3://bucket/prefix' is a key prefix, so
    // `data/p` also names `data/p_old/...`; the same listing the pipeline uses.
    let m = moto::server();
    m.create_bucket("copy-src");
    m.put(
        "copy-src",
        "data/p/1.json",
        b"{\"id\": 1}\n{\"id\": 2}\n".to_vec(),
    );
    m.put("copy-src", "data/p_old/2.json", b"{\"id\": 3}\n".to_vec());
    m.put("copy-src", "data/q/3.json", b"{\"id\": 4}\n".to_vec());
    let tmp = tempfile::tempdir().unwrap();
    let e = &engines(tmp.path())[0];
    e.execute(PRODUCTS);
    let out = sparkify()
        .current_dir(tmp.path())
        .envs(moto::env(&m.endpoint))
        .args([
            "copy",
            "--warehouse",
            &e.warehouse,
            "COPY products (id) FROM 's3://copy-src/data/p' JSON 'auto'",
        ])
        .output();
    let stdout = common::ok(&out);
    assert!(
        stdout.contains("3 record(s) loaded successfully."),
        "{stdout}"
    );
    assert_eq!(
        e.rows("SELECT CAST(id AS VARCHAR) FROM products ORDER BY id"),
        vec![row(&["1"]), row(&["2"]), row(&["3"])]
    );
}

#[test]
fn zstd_files_load_frame_after_frame() {
    let tmp = tempfile::tempdir().unwrap();
    let zstd = |text: &[u8]| {
        ruzstd::encoding::compress_to_vec(text, ruzstd::encoding::CompressionLevel::Fastest)
    };
    // copy-parameters-file-compression: ZSTD says every file is Zstandard.
    let mut data = zstd(b"{\"id\": 1}\n{\"id\": 2}\n");
    data.extend(zstd(b"{\"id\": 3}\n"));
    std::fs::write(tmp.path().join("d.json.zst"), data).unwrap();
    for e in engines(tmp.path()) {
        e.execute(PRODUCTS);
        let out = e.copy(
            tmp.path(),
            "COPY products (id) FROM 'd.json.zst' FORMAT JSON 'auto' ZSTD",
        );
        let stdout = common::ok(&out);
        assert!(
            stdout.contains("3 record(s) loaded successfully."),
            "{}: {stdout}",
            e.name
        );
        // Without ZSTD the bytes are read as JSON text, as Redshift would: rejected.
        let out = e.copy(
            tmp.path(),
            "COPY products (id) FROM 'd.json.zst' JSON 'auto'",
        );
        assert_eq!(code(&out), Some(4), "{}: {:?}", e.name, text(&out));
        assert_eq!(e.count("products"), 3, "{}", e.name);
    }
}

#[test]
fn bzip2_files_load_as_a_stream() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    // copy-parameters-file-compression: BZIP2 says every file is bzip2.
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(b"{\"id\": 1}\n{\"id\": 2}\n").unwrap();
    std::fs::write(tmp.path().join("d.json.bz2"), e.finish().unwrap()).unwrap();
    for e in engines(tmp.path()) {
        e.execute(PRODUCTS);
        let out = e.copy(
            tmp.path(),
            "COPY products (id) FROM 'd.json.bz2' JSON 'auto' BZIP2",
        );
        let stdout = common::ok(&out);
        assert!(
            stdout.contains("2 record(s) loaded successfully."),
            "{}: {stdout}",
            e.name
        );
        assert_eq!(e.count("products"), 2, "{}", e.name);
    }
}
