use super::*;

fn one(text: &str) -> CopyStatement {
    let mut all = parse_script(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(all.len(), 1, "{text}");
    all.remove(0)
}

fn refused(text: &str) -> ParseError {
    match parse_script(text) {
        Ok(s) => panic!("{text} parsed: {s:?}"),
        Err(e) => e,
    }
}

#[test]
fn keywords_in_any_case_and_options_in_any_order() {
    let a = one(
        "copy Songs from 'data/song_data' format as json 'auto' maxerror as 3 \
         iam_role 'arn:aws:iam::1:role/r' compupdate off",
    );
    let b = one(
        "COPY songs FROM 'data/song_data' COMPUPDATE OFF MAXERROR 3 JSON AS 'auto' \
         IAM_ROLE 'arn:aws:iam::1:role/r'",
    );
    assert_eq!(a.table, "songs");
    assert_eq!(a.from, "data/song_data");
    for s in [&a, &b] {
        assert!(s.options.contains(&CopyOption::Json(JsonArg::Auto)));
        assert!(s.options.contains(&CopyOption::MaxError(3)));
        assert!(s.options.contains(&CopyOption::NoOp("IAM_ROLE")));
        assert!(s.options.contains(&CopyOption::NoOp("COMPUPDATE")));
    }
}

#[test]
fn strings_take_doubled_quotes_and_identifiers_may_be_quoted() {
    let s = one(r#"COPY "events" ("user_id", ts) FROM 'it''s here' JSON 'auto ignorecase'"#);
    assert_eq!(s.table, "events");
    assert_eq!(s.columns, Some(vec!["user_id".into(), "ts".into()]));
    assert_eq!(s.from, "it's here");
    assert_eq!(s.options, vec![CopyOption::Json(JsonArg::AutoIgnoreCase)]);
}

#[test]
fn a_script_holds_several_statements_with_comments() {
    let all = parse_script(
        "-- first\nCOPY a FROM 'x' JSON 'auto';\n/* second */ COPY s.b (c) FROM 'y'\n\
         FORMAT JSON 'paths.json' MANIFEST;\n\n",
    )
    .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].text, "COPY a FROM 'x' JSON 'auto'");
    assert_eq!(all[0].line, 2);
    assert_eq!(all[1].table, "s.b");
    assert_eq!(all[1].line, 3);
    assert!(all[1].options.contains(&CopyOption::Manifest));
    assert!(
        all[1]
            .options
            .contains(&CopyOption::Json(JsonArg::Paths("paths.json".into())))
    );
}

#[test]
fn conversion_options_parse_with_their_arguments() {
    let s = one(
        "COPY t FROM 'x' JSON 'auto' TIMEFORMAT 'epochmillisecs' DATEFORMAT AS 'YYYY/MM/DD' \
         ACCEPTINVCHARS AS '^' TRUNCATECOLUMNS BLANKSASNULL EMPTYASNULL ROUNDEC REGION 'eu-west-1' \
         CREDENTIALS 'aws_iam_role=arn:aws:iam::1:role/r' STATUPDATE",
    );
    for o in [
        CopyOption::TimeFormat(TimeFormat::EpochMillisecs),
        CopyOption::DateFormat(TimeFormat::Pattern("YYYY/MM/DD".into())),
        CopyOption::AcceptInvChars('^'),
        CopyOption::TruncateColumns,
        CopyOption::BlanksAsNull,
        CopyOption::EmptyAsNull,
        CopyOption::RoundDec,
        CopyOption::NoOp("REGION"),
        CopyOption::NoOp("CREDENTIALS"),
        CopyOption::NoOp("STATUPDATE"),
    ] {
        assert!(s.options.contains(&o), "{o:?} in {:?}", s.options);
    }
    let s = one("COPY t FROM 'x' JSON 'auto' ACCEPTINVCHARS");
    assert!(s.options.contains(&CopyOption::AcceptInvChars('?')));
}

#[test]
fn errors_say_where_and_what() {
    let cases = [
        (
            "COPY t FROM x JSON 'auto'",
            1,
            13,
            "the source after FROM as a quoted string",
        ),
        (
            "COPY t FROM 'x'\n  JSON 'auto' CSV",
            2,
            15,
            "CSV is not supported",
        ),
        (
            "COPY t FROM 'x' FORMAT AS PARQUET",
            1,
            27,
            "FORMAT PARQUET is not supported",
        ),
        (
            "COPY t FROM 'x' JSON 'auto' LZOP",
            1,
            29,
            "LZOP is not supported yet",
        ),
        (
            "COPY t FROM 'x' JSON 'auto' FILLRECORD",
            1,
            29,
            "FILLRECORD is not supported",
        ),
        ("COPY t FROM 'x'", 1, 16, "no data format"),
        (
            "COPY t FROM 'x' JSON 'auto' MAXERROR many",
            1,
            38,
            "expected a number",
        ),
        (
            "COPY t FROM 'x' JSON 'auto' MAXERROR 1 MAXERROR 2",
            1,
            40,
            "given twice",
        ),
        ("COPY t (a, a) FROM 'x' JSON 'auto'", 1, 13, "listed twice"),
        (
            "COPY t (a b) FROM 'x' JSON 'auto'",
            1,
            11,
            "expected ',' or ')'",
        ),
        ("COPY t FROM 'x JSON 'auto'", 1, 26, "not closed"),
        ("SELECT 1", 1, 1, "expected a COPY statement, found SELECT"),
        (
            "COPY t TO 'x'",
            1,
            8,
            "expected FROM after the table, found TO",
        ),
        ("", 1, 1, "no COPY statement"),
        (
            "COPY t FROM 'x' JSON 'auto' ACCEPTINVCHARS AS 'ab'",
            1,
            29,
            "one ASCII character",
        ),
        ("COPY t FROM 'x' JSON", 1, 21, "the JSON argument"),
    ];
    for (text, line, column, needle) in cases {
        let e = refused(text);
        assert!(e.message.contains(needle), "{text}: {e}");
        assert_eq!((e.line, e.column), (line, column), "{text}: {e}");
    }
}

#[test]
fn secrets_in_no_op_options_are_not_kept() {
    let s =
        one("COPY t FROM 'x' JSON 'auto' ACCESS_KEY_ID 'AKIAEXAMPLE' SECRET_ACCESS_KEY 'sekrit'");
    let shown = format!("{:?}", s.options);
    assert!(
        !shown.contains("sekrit") && !shown.contains("AKIAEXAMPLE"),
        "{shown}"
    );
}
