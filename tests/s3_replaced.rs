//! An S3 object replaced between the listing and the read (moto on 127.0.0.1): the load reads
//! the object as it is, and what it reports for the ledger (size, ETag) describes the bytes it
//! read, not the listing. The library's S3 client reads its endpoint from the environment, so
//! this test has a binary of its own.

#[path = "common/moto.rs"]
mod moto;

use std::sync::Mutex;

use sparkify::copy::JsonFormat;
use sparkify::copy::load::{self, FileReport, LoadOptions, RowSink};
use sparkify::source::{Source, s3};
use sparkify::value::Row;

struct Rows<'a>(&'a Mutex<Vec<Row>>);

impl RowSink for Rows<'_> {
    fn append(&mut self, rows: Vec<Row>) -> sparkify::Result<()> {
        self.0.lock().unwrap().extend(rows);
        Ok(())
    }
}

#[test]
fn an_object_replaced_between_list_and_read_is_recorded_as_read() {
    let m = moto::server();
    for (name, value) in moto::env(&m.endpoint) {
        // SAFETY: the one test of this binary sets these before the library's S3 client
        // exists; nothing else reads the environment meanwhile.
        unsafe { std::env::set_var(name, value) };
    }
    m.create_bucket("replaced");
    let first = br#"{"song_id": "S1", "title": "one"}"#.to_vec();
    m.put("replaced", "song_data/a.json", first.clone());

    let source = Source::parse("s3://replaced/song_data").unwrap();
    let listed = source.list().unwrap().files;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].size, first.len() as u64);

    // Replaced after the listing, before the read: longer, so the size tells them apart too.
    let second = [
        r#"{"song_id": "S2", "title": "two"}"#,
        r#"{"song_id": "S3", "title": "three"}"#,
    ]
    .join("\n")
    .into_bytes();
    m.put("replaced", "song_data/a.json", second.clone());
    let now = s3::head("s3://replaced/song_data/a.json")
        .unwrap()
        .expect("the object exists");
    assert_ne!(now.version, listed[0].version);

    let fetched = source.read(&listed[0]).unwrap();
    assert_eq!(fetched.bytes, second);
    assert_eq!(fetched.file.location, listed[0].location);
    assert_eq!(
        (fetched.file.size, &fetched.file.version),
        (now.size, &now.version)
    );

    // The load's per-file report, which the pipeline writes into load_ledger, says the same.
    let spec = sparkify::sql::table_spec("staging_songs").unwrap();
    let rows = Mutex::new(Vec::new());
    let mut reports: Vec<FileReport> = Vec::new();
    let report = load::load(
        &spec,
        &JsonFormat::Auto,
        &listed,
        &|f| source.open(f),
        &LoadOptions::default(),
        &mut Rows(&rows),
        &mut |f| reports.push(f.clone()),
    )
    .unwrap();
    assert_eq!(rows.lock().unwrap().len(), 2);
    assert_eq!(report.files.len(), 1);
    let file = &report.files[0];
    assert_eq!((file.size, &file.version), (now.size, &now.version));
    assert_eq!((file.rows_read, file.rows_loaded), (2, 2));
    assert_eq!(reports, report.files);

    // An object that did not change reads as listed (the If-Match request succeeds).
    let again = source.list().unwrap().files;
    let fetched = source.read(&again[0]).unwrap();
    assert_eq!(fetched.file, again[0]);
}
