//! Redshift cannot run here, so its SQL is pinned by golden files and parsed with a Redshift
//! dialect parser. The transforms are shared with PostgreSQL, where the other tests run them
//! against a real server. Set UPDATE_GOLDEN=1 to rewrite the golden files after a reviewed change.

use std::path::{Path, PathBuf};

use sparkify::config::Ini;
use sparkify::copy::FormatSpec;
use sparkify::copy::compressed::Compression;
use sparkify::pipeline;
use sparkify::settings::Settings;
use sparkify::source::Source;
use sparkify::sql::Dialect;
use sparkify::warehouse::redshift::copy_statement;
use sqlparser::dialect::RedshiftSqlDialect;
use sqlparser::parser::Parser;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn compressed_sources_copy_with_their_keyword() {
    // copy-parameters-file-compression: Redshift decompresses by the keyword alone, so the
    // pipeline's COPY of .gz/.bz2/.zst files must say which (found from the files' names
    // before the run; a source mixing kinds is refused, see tests/compressed.rs).
    let ini = seed_cfg();
    let auth = Settings::new(ini.clone(), &[]).copy_auth().unwrap();
    let s3 = |key: &str| Source::parse(ini.get("S3", key).unwrap()).unwrap();
    let build = |c| {
        sparkify::warehouse::redshift::copy_statement_with(
            "staging_events",
            &s3("LOG_DATA"),
            &FormatSpec::JsonPaths(s3("LOG_JSONPATH")),
            &auth,
            // MAXERROR is outside the parser's grammar (see the README), so 0: not written.
            0,
            &sparkify::copy::Conversion::default(),
            Some(c),
        )
        .unwrap()
    };
    let gzip = build(Compression::Gzip);
    golden(
        "redshift_copy_staging_events_gzip.sql",
        &format!("{gzip};\n"),
    );
    parses("COPY ... GZIP", &gzip);
    for (c, word) in [
        (Compression::Zstd, "\nZSTD\n"),
        (Compression::Bzip2, "\nBZIP2\n"),
    ] {
        let copy = build(c);
        parses(word.trim(), &copy);
        assert_eq!(copy, gzip.replace("\nGZIP\n", word), "{copy}");
    }
    // Plain sources carry no keyword.
    let (events, songs) = copies(0);
    for word in ["GZIP", "ZSTD", "BZIP2"] {
        assert!(
            !events.contains(word) && !songs.contains(word),
            "{events}\n{songs}"
        );
    }
}

fn seed_cfg() -> Ini {
    Ini::load(&root().join("tests/fixtures/dwh.cfg")).unwrap()
}

fn golden(name: &str, actual: &str) {
    let path: PathBuf = root().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{name} differs from its golden file.\n--- golden\n{expected}\n--- actual\n{actual}"
    );
}

fn parses(what: &str, sql: &str) {
    if let Err(e) = Parser::parse_sql(&RedshiftSqlDialect {}, sql) {
        panic!("{what} does not parse as Redshift SQL: {e}\n{sql}");
    }
}

fn copies(max_errors: u64) -> (String, String) {
    let ini = seed_cfg();
    let auth = Settings::new(ini.clone(), &[])
        .copy_auth()
        .expect("IAM role from dwh.cfg");
    let s3 = |key: &str| Source::parse(ini.get("S3", key).unwrap()).unwrap();
    let events = copy_statement(
        "staging_events",
        &s3("LOG_DATA"),
        &FormatSpec::JsonPaths(s3("LOG_JSONPATH")),
        &auth,
        max_errors,
    )
    .unwrap();
    let songs = copy_statement(
        "staging_songs",
        &s3("SONG_DATA"),
        &FormatSpec::Auto,
        &auth,
        max_errors,
    )
    .unwrap();
    (events, songs)
}

#[test]
fn copy_statements_built_from_the_seed_dwh_cfg_are_pinned_and_parse() {
    let (events, songs) = copies(0);
    golden("redshift_copy_staging_events.sql", &format!("{events};\n"));
    golden("redshift_copy_staging_songs.sql", &format!("{songs};\n"));
    parses("COPY staging_events", &events);
    parses("COPY staging_songs", &songs);
    let (events, _) = copies(25);
    golden(
        "redshift_copy_staging_events_maxerror.sql",
        &format!("{events};\n"),
    );
}

#[test]
fn copy_from_a_local_folder_is_refused_on_redshift() {
    let auth = Settings::new(seed_cfg(), &[]).copy_auth().unwrap();
    let err = copy_statement(
        "staging_songs",
        &Source::Local("data/song_data".into()),
        &FormatSpec::Auto,
        &auth,
        0,
    )
    .unwrap_err();
    assert!(err.to_string().contains("must be an s3:// URI"), "{err}");
}

#[test]
fn the_environment_overrides_dwh_cfg_for_the_copy() {
    let auth = Settings::new(
        seed_cfg(),
        &[
            ("SPARKIFY_IAM_ROLE", "arn:aws:iam::1:role/other"),
            ("AWS_REGION", "eu-west-1"),
        ],
    )
    .copy_auth()
    .unwrap();
    assert_eq!(auth.iam_role, "arn:aws:iam::1:role/other");
    assert_eq!(auth.region, "eu-west-1");
    assert!(Settings::default().copy_auth().is_none());
}

#[test]
fn ddl_and_transforms_are_pinned_and_parse() {
    let create = pipeline::create_script(Dialect::Redshift, false).unwrap();
    golden("redshift_create.sql", &create);
    // sqlparser does not know Redshift's SQL UDF syntax; the function file is pinned above.
    let tables = create
        .split_once("LANGUAGE sql;")
        .map(|(_, rest)| rest)
        .expect("the function definition comes first");
    // Redshift's `GENERATED BY DEFAULT AS IDENTITY(seed, step)` is outside sqlparser's grammar,
    // which only knows the equivalent PostgreSQL form `(START WITH seed INCREMENT BY step)`.
    // The Redshift clause is asserted verbatim below; the statements are parsed with the
    // equivalent form in its place.
    parses(
        "Redshift DDL",
        &tables.replace(
            "GENERATED BY DEFAULT AS IDENTITY(1, 1)",
            "GENERATED BY DEFAULT AS IDENTITY (START WITH 1 INCREMENT BY 1)",
        ),
    );
    for table in [
        "songplays",
        "songs",
        "users",
        "artists",
        "time",
        "staging_events",
    ] {
        assert!(
            tables.contains(&format!("CREATE TABLE IF NOT EXISTS {table}")),
            "{table}"
        );
    }
    assert!(tables.contains("GENERATED BY DEFAULT AS IDENTITY(1, 1)"));
    assert!(tables.contains("DISTKEY (song_id)\nSORTKEY (start_time)"));

    let transform = pipeline::transform_script(Dialect::Redshift).unwrap();
    golden("redshift_transform.sql", &transform);
    parses("Redshift transforms", &transform);
    // An incremental run's update of the star schema from its new rows: delete + insert,
    // which Redshift runs as it is (its MERGE takes one source row per target row, and the
    // rows here come from windows over several).
    let incremental = pipeline::incremental_script(Dialect::Redshift).unwrap();
    golden("redshift_transform_incremental.sql", &incremental);
    parses("Redshift incremental transforms", &incremental);
    for file in [
        "move_new_rows.sql",
        "clear_increment.sql",
        "record_transform_state.sql",
        "transform_state.sql",
    ] {
        let text = sparkify::sql::file(&format!("bookkeeping/{file}")).unwrap();
        parses(
            file,
            &text
                .replace(":table", "staging_events")
                .replace(":new_table", "staging_events_new")
                .replace(":'hash'", "'h'")
                .replace(":'version'", "'v'")
                .replace(":'now'", "'2026-12-02 12:00:00'"),
        );
    }

    // A backfill by date (`--from/--to`, with [S3] MANIFEST_PREFIX on Redshift): the same
    // files on every engine, in the order src/pipeline/backfill.rs runs them, each parsed with
    // its placeholders given values.
    let mut backfill = String::new();
    for file in [
        "ledger_rows",
        "events_in_range",
        "plays_in_range",
        "remove",
        "forget_files",
        "outside_range",
        "arrived",
        "users_history",
        "users",
        "time",
    ] {
        let text = sparkify::sql::file(&format!("backfill/{file}.sql")).unwrap();
        backfill.push_str(&format!("-- sql/backfill/{file}.sql\n{text}\n"));
        parses(
            &format!("backfill/{file}.sql"),
            &text
                .replace(":'from_ms'", "'1541376000000'")
                .replace(":'to_ms'", "'1541462400000'")
                .replace(":'table'", "'staging_events'")
                .replace(":'files'", "'s3://b/log_data/2018-11-05-events.json'"),
        );
    }
    assert_eq!(
        sparkify::sql::files_in("backfill").count(),
        10,
        "every backfill file is pinned here (songplays runs the incremental update's step)"
    );
    golden("redshift_backfill.sql", &backfill);

    // Every rule, whole and in the narrowed form an incremental run sends.
    for scope in [
        sparkify::checks::Scope::All,
        sparkify::checks::Scope::Changed,
    ] {
        for (table, name, sql) in
            sparkify::checks::rule_sql(scope, sparkify::sql::Dialect::Redshift).unwrap()
        {
            parses(&format!("check {table}: {name} ({scope:?})"), &sql.text);
        }
    }
    for q in sparkify::analytics::questions() {
        parses(&format!("analytics {}", q.name), q.sql);
    }
    // What the freshness and volume checks and the report's run history ask.
    for (name, text) in sparkify::sql::files_in("monitors") {
        parses(
            &format!("monitors/{name}.sql"),
            &text
                .replace(":table", "staging_events")
                .replace(":column", "ts")
                .replace(":'table'", "'staging_events'"),
        );
    }
}

#[test]
fn the_cluster_endpoint_comes_from_dwh_cfg_with_tls_and_no_password_shown() {
    let cfg = Settings::new(seed_cfg(), &[]);
    let t = cfg.redshift_target("redshift").unwrap();
    assert_eq!(
        t.host,
        "sparkify-dwh.c1x2y3z4.us-west-2.redshift.amazonaws.com"
    );
    assert_eq!(
        (t.port, t.database.as_str(), t.user.as_str()),
        (5439, "sparkify", "awsuser")
    );
    assert_eq!(t.password.as_deref(), Some("Passw0rdFromCfg"));
    assert_eq!(t.sslmode, "require");
    assert_eq!(
        t.to_string(),
        "redshift://awsuser@sparkify-dwh.c1x2y3z4.us-west-2.redshift.amazonaws.com:5439/sparkify"
    );
    // A URL names the endpoint; the password still comes from dwh.cfg when the URL has none.
    let t = cfg
        .redshift_target("redshift://admin@example.internal/dev")
        .unwrap();
    assert_eq!((t.user.as_str(), t.port), ("admin", 5439));
    assert_eq!(t.password.as_deref(), Some("Passw0rdFromCfg"));
    let err = Settings::default().redshift_target("redshift").unwrap_err();
    assert!(err.to_string().contains("[CLUSTER] HOST"), "{err}");
}

fn seed_auth() -> sparkify::warehouse::redshift::CopyAuth {
    Settings::new(seed_cfg(), &[]).copy_auth().unwrap()
}

#[test]
fn a_manifest_source_copies_with_the_manifest_keyword() {
    let copy = copy_statement(
        "staging_events",
        &Source::S3("s3://udacity-dend/manifests/2018-11.manifest".into()),
        &FormatSpec::Auto,
        &seed_auth(),
        0,
    )
    .unwrap();
    golden("redshift_copy_manifest.sql", &format!("{copy};\n"));
    parses("COPY ... MANIFEST", &copy);
    // A prefix is not a manifest.
    let (events, _) = copies(0);
    assert!(!events.contains("MANIFEST"), "{events}");
}

#[test]
fn backslashes_and_quotes_in_a_key_stay_inside_the_literal() {
    // On Redshift `\'` escapes the quote: doubling only `'` would end the literal early and run
    // the rest as SQL with the loader's rights.
    let key = "s3://udacity-dend/log_data/x\\'; DROP TABLE users; --\nnext\\\\.json";
    let copy = copy_statement(
        "staging_events",
        &Source::S3(key.into()),
        &FormatSpec::Auto,
        &seed_auth(),
        0,
    )
    .unwrap();
    golden("redshift_copy_hostile_key.sql", &format!("{copy};\n"));
    // One statement, and the FROM literal holds the key exactly once Redshift unescapes it.
    let parsed = Parser::parse_sql(&RedshiftSqlDialect {}, &copy).unwrap();
    assert_eq!(parsed.len(), 1, "{copy}");
    assert!(
        copy.contains("x\\\\''; DROP TABLE users; --\nnext\\\\\\\\.json'"),
        "{copy}"
    );
}

#[test]
fn copy_values_that_are_not_what_they_claim_are_refused() {
    let auth = seed_auth();
    let copy = |source: &str, auth: &sparkify::warehouse::redshift::CopyAuth| {
        copy_statement(
            "staging_songs",
            &Source::S3(source.into()),
            &FormatSpec::Auto,
            auth,
            0,
        )
        .map_err(|e| e.to_string())
    };
    let nul = copy("s3://udacity-dend/a\0b", &auth).unwrap_err();
    assert!(nul.contains("NUL"), "{nul}");
    let bucket = copy("s3://Not_A_Bucket/x", &auth).unwrap_err();
    assert!(bucket.contains("bucket name"), "{bucket}");
    for role in [
        "arn:aws:iam::123456789012:role/x' IAM_ROLE 'other",
        "arn:aws:iam::12345:role/short-account",
        "arn:aws:s3:::a-bucket",
        "not an arn",
    ] {
        let bad = sparkify::warehouse::redshift::CopyAuth {
            iam_role: role.into(),
            region: "us-west-2".into(),
            source_regions: Default::default(),
            source_compression: Default::default(),
        };
        let err = copy("s3://udacity-dend/song_data", &bad).unwrap_err();
        assert!(err.contains("not an IAM role ARN"), "{role}: {err}");
    }
    for region in ["us-west-2'; --", "US-WEST-2", "uswest2", ""] {
        let bad = sparkify::warehouse::redshift::CopyAuth {
            iam_role: auth.iam_role.clone(),
            region: region.into(),
            source_regions: Default::default(),
            source_compression: Default::default(),
        };
        let err = copy("s3://udacity-dend/song_data", &bad).unwrap_err();
        assert!(err.contains("not an AWS region"), "{region}: {err}");
    }
    // Real ones pass: a role with a path, a region with a two-part middle.
    let good = sparkify::warehouse::redshift::CopyAuth {
        iam_role: "arn:aws-us-gov:iam::123456789012:role/service/sparkify.loader".into(),
        region: "us-gov-west-1".into(),
        source_regions: Default::default(),
        source_compression: Default::default(),
    };
    copy("s3://udacity-dend/song_data", &good).unwrap();
}

#[test]
fn copy_options_reach_the_redshift_copy_as_the_same_words() {
    // --copy-options / [COPY] OPTIONS: what the local loader applies is what the cluster's COPY
    // says, so a pipeline tried locally converts values the same way on Redshift.
    let ini = seed_cfg();
    let auth = Settings::new(ini.clone(), &[]).copy_auth().unwrap();
    let s3 = |key: &str| Source::parse(ini.get("S3", key).unwrap()).unwrap();
    let given = "roundec TRUNCATECOLUMNS acceptinvchars as '^' TIMEFORMAT 'epochmillisecs' \
                 DATEFORMAT AS 'MM/DD/YYYY' EMPTYASNULL BLANKSASNULL";
    let options = sparkify::copy::statement::parse_options(given).unwrap();
    let conversion = sparkify::copy::Conversion::from_options(&options, "test").unwrap();
    let events = sparkify::warehouse::redshift::copy_statement_with(
        "staging_events",
        &s3("LOG_DATA"),
        &FormatSpec::JsonPaths(s3("LOG_JSONPATH")),
        &auth,
        0,
        &conversion,
        None,
    )
    .unwrap();
    golden(
        "redshift_copy_staging_events_options.sql",
        &format!("{events};\n"),
    );
    // The words the COPY carries read back as the same options.
    let tail = events
        .split_once("JSON ")
        .and_then(|(_, rest)| rest.split_once('\n'))
        .map(|(_, rest)| {
            rest.replace("COMPUPDATE OFF", "")
                .replace("STATUPDATE OFF", "")
        })
        .unwrap();
    let reread = sparkify::copy::statement::parse_options(&tail).unwrap();
    assert_eq!(
        sparkify::copy::Conversion::from_options(&reread, "test").unwrap(),
        conversion,
        "{tail}"
    );
}
