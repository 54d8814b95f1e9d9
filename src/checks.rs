//! Data-quality rules. Key rules come from the `-- check:` declarations beside each model in
//! `sql/schema/`; reconciliation rules (`sql/checks/*.sql`, each naming its rule and the tables
//! it applies to in its header) tie staging back to what was read, so every count can be traced
//! to files.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::sql::{self, CheckDecl, Param, Severity, Statement};
use crate::value::Value;
use crate::warehouse::Warehouse;

/// The outcome of one rule: `violations` rows break it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub table: String,
    pub name: String,
    pub severity: Severity,
    pub violations: i64,
    /// What a failed rule found, said as people read it, when a count alone says too little
    /// (freshness: how old the newest event is; volume: which days dipped).
    pub detail: Option<String>,
    /// Up to [`SAMPLES`] of the rows that break a failed rule, as text (`col=value, ...`);
    /// empty when it passed or counts rather than lists rows (the reconciliation rules).
    pub samples: Vec<String>,
}

/// Sample rows kept per failed rule.
pub const SAMPLES: usize = 20;

/// When a measured lag is a warning and when an error, in hours; `None` never.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub warn_hours: Option<f64>,
    pub error_hours: Option<f64>,
}

impl Thresholds {
    fn any(&self) -> bool {
        self.warn_hours.is_some() || self.error_hours.is_some()
    }

    fn describe(&self) -> String {
        let part = |what: &str, h: Option<f64>| h.map(|h| format!("{what} above {h} h"));
        [
            part("warn", self.warn_hours),
            part("error", self.error_hours),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
    }

    /// Whether `lag` crosses a threshold, and with which severity: a rule declared `warn`
    /// only ever warns.
    fn judge(&self, lag: f64, declared: Severity) -> Option<Severity> {
        if self.error_hours.is_some_and(|e| lag > e) {
            Some(declared)
        } else if self.warn_hours.is_some_and(|w| lag > w) {
            Some(Severity::Warn)
        } else {
            None
        }
    }
}

/// The thresholds of the `freshness` and `volume` rules (settings; `CheckOptions::default()`
/// holds the documented defaults, which the settings declare too).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckOptions {
    /// Hours the newest event may lie before the end of the day the newest loaded file's name
    /// gives (`2018-11-30-events.json`: 2018-12-01 00:00 UTC).
    pub freshness_vs_file: Thresholds,
    /// Hours the newest event may lie before now; off unless set (sample data is years old).
    pub freshness_vs_now: Thresholds,
    /// Days either side of a day that make its neighbourhood.
    pub volume_window_days: u32,
    /// A day below this share (in %) of the median of its neighbours' counts fails `volume`.
    pub volume_min_percent: f64,
}

impl Default for CheckOptions {
    fn default() -> CheckOptions {
        CheckOptions {
            freshness_vs_file: Thresholds {
                warn_hours: Some(12.0),
                error_hours: Some(24.0),
            },
            freshness_vs_now: Thresholds {
                warn_hours: None,
                error_hours: None,
            },
            volume_window_days: 3,
            volume_min_percent: 10.0,
        }
    }
}

impl CheckResult {
    pub fn passed(&self) -> bool {
        self.violations == 0
    }
}

/// All rule results plus the figures people ask about first.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub results: Vec<CheckResult>,
    /// Songplays that found their song in the catalogue, and all songplays.
    pub matched_songplays: i64,
    pub songplays: i64,
    /// Rows rejected by loads that failed on --max-errors, kept in `load_errors` (as
    /// STL_LOAD_ERRORS keeps them) for files the ledger does not hold.
    pub kept_rejected: i64,
    pub elapsed: Duration,
}

impl CheckReport {
    /// The error-severity rules that failed: what blocks publishing and fails `check`.
    pub fn failed(&self) -> Vec<&CheckResult> {
        self.results
            .iter()
            .filter(|r| !r.passed() && r.severity == Severity::Error)
            .collect()
    }

    /// The warn-severity rules that failed: reported, not blocking.
    pub fn warned(&self) -> Vec<&CheckResult> {
        self.results
            .iter()
            .filter(|r| !r.passed() && r.severity == Severity::Warn)
            .collect()
    }

    pub fn match_rate(&self) -> f64 {
        if self.songplays == 0 {
            0.0
        } else {
            self.matched_songplays as f64 / self.songplays as f64
        }
    }
}

/// A rule as SQL that counts violations, and (for rules about rows) SQL that lists some.
struct Rule {
    table: String,
    name: String,
    severity: Severity,
    sql: Statement,
    samples: Option<Statement>,
    /// The constraint that, where the engine enforces it, makes the rule hold without reading
    /// the table ([`primary_key_holds`], [`not_null_holds`]).
    enforced: Option<Enforced>,
}

/// A constraint a rule can trust instead of reading every row.
#[derive(Debug, Clone)]
enum Enforced {
    /// A `unique` rule's columns: a primary key among them.
    PrimaryKey(Vec<String>),
    /// A `not_null` rule's column: its NOT NULL constraint.
    NotNull(String),
}

impl Rule {
    /// The statement that is run. SUM() is NUMERIC on PostgreSQL; one cast makes every engine
    /// answer a plain integer.
    fn statement(&self) -> Statement {
        self.sql
            .clone()
            .map_text(|sql| format!("SELECT CAST(({sql}) AS BIGINT)"))
    }
}

/// Which rows the rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every row: a full run, `check`, or a warehouse not known to have passed before.
    All,
    /// An incremental run on a warehouse that passed every check before it: the rows of each
    /// table its `-- changed:` declaration names (the rows the run may have written or
    /// removed; the rest passed and did not change), read from the run's scratch tables before
    /// they are emptied. A table without one, and a rule that cannot be narrowed so, is checked
    /// whole.
    Changed,
}

/// What breaks a rule: `FROM ...` clauses whose rows are counted (summed) for the rule and
/// listed (with LIMIT) for its samples, with their parameters.
struct Broken {
    name: String,
    clauses: Vec<String>,
    binds: Vec<Value>,
    sample_cols: &'static str,
    enforced: Option<Enforced>,
}

fn declared_rules(table: &str, scope: Scope, dialect: sql::Dialect) -> Result<Vec<Rule>> {
    let now = crate::time::now_utc();
    let next_year = now
        .get(..4)
        .and_then(|y| y.parse::<i64>().ok())
        .map_or_else(|| "9999".to_string(), |y| (y + 1).to_string());
    let changed = match scope {
        Scope::All => None,
        Scope::Changed => sql::changed(table)?,
    };
    // `AND` the row is one the run may have changed, or nothing. As the range of the changed
    // keys, which an index (or DuckDB's zone maps) reads as one stretch; the rows in the range
    // that did not change passed before, so checking them too changes no answer.
    let range = |alias: &str, c: &sql::Changed| {
        format!(
            "{alias}{key} BETWEEN (SELECT MIN(k) FROM ({keys}) lo (k)) \
             AND (SELECT MAX(k) FROM ({keys}) hi (k))",
            key = c.key,
            keys = c.keys
        )
    };
    let in_scope = |alias: &str| {
        changed
            .as_ref()
            .map_or_else(String::new, |c| format!(" AND {}", range(alias, c)))
    };
    sql::checks(table)?
        .into_iter()
        .map(|declared| {
            let broken = match declared.check {
                // A rule about several rows lists them itself. An incremental run takes its
                // narrowed form, `sql/violations/changed/NAME.sql`, where there is one (it lists
                // the same rows among those the run may have changed); otherwise it is checked
                // whole, in the dialect's own text where it has one.
                CheckDecl::NoRows { name, rule } => {
                    let narrowed = format!("violations/changed/{name}.sql");
                    let path = match scope {
                        Scope::Changed if sql::file(&narrowed).is_ok() => narrowed,
                        _ => sql::dialect_path(&format!("violations/{name}.sql"), dialect),
                    };
                    let listed = sql::statement(&path, &[])?;
                    return Ok(Some(Rule {
                        table: table.into(),
                        name: rule,
                        severity: declared.severity,
                        sql: listed
                            .clone()
                            .map_text(|rows| format!("SELECT COUNT(*) FROM ({rows}) violations")),
                        samples: Some(listed.map_text(|rows| {
                            format!("SELECT * FROM ({rows}) violations LIMIT {SAMPLES}")
                        })),
                        enforced: None,
                    }));
                }
                // Measured rather than counted: see [`Monitor`].
                CheckDecl::Freshness { .. } | CheckDecl::Volume { .. } => return Ok(None),
                CheckDecl::Unique(columns) => {
                    let cols = columns.join(", ");
                    // A duplicate the run made has a copy among the rows it changed; its other
                    // copy may be anywhere, so every row with those keys is grouped.
                    let rows = match &changed {
                        None => table.to_string(),
                        Some(c) => format!(
                            "{table} WHERE ({cols}) IN (SELECT {cols} FROM {table} WHERE {})",
                            range("", c)
                        ),
                    };
                    return Ok(Some(Rule {
                        table: table.into(),
                        name: format!("unique ({cols})"),
                        severity: declared.severity,
                        sql: Statement::plain(repeated_keys(&rows, &columns, dialect)),
                        samples: Some(Statement::plain(format!(
                            "SELECT {cols}, COUNT(*) AS copies FROM {rows} GROUP BY {cols} \
                             HAVING COUNT(*) > 1 ORDER BY {cols} LIMIT {SAMPLES}"
                        ))),
                        enforced: Some(Enforced::PrimaryKey(columns)),
                    }));
                }
                CheckDecl::NotNull(col) => Broken {
                    name: format!("{col} not null"),
                    // A row whose key is NULL falls in no range of keys: that rule reads
                    // every row.
                    clauses: vec![if changed.as_ref().is_some_and(|c| c.key == col) {
                        format!("{table} WHERE {col} IS NULL")
                    } else {
                        format!("{table} WHERE {col} IS NULL{}", in_scope(""))
                    }],
                    binds: Vec::new(),
                    sample_cols: "*",
                    enforced: Some(Enforced::NotNull(col)),
                },
                CheckDecl::References {
                    column,
                    table: target_table,
                    target,
                } => {
                    // An outer join rather than NOT EXISTS: DuckDB plans the correlated
                    // subquery with a duplicate-eliminating join first, 2.2-2.8 s against
                    // 0.6 s for songplays against time at 10M events (PostgreSQL plans both
                    // as the same anti join). A row matching several target rows has no NULL
                    // `d` side, so it is never counted, once or more.
                    let dangling = format!(
                        "{table} f LEFT JOIN {target_table} d ON d.{target} = f.{column} \
                         WHERE f.{column} IS NOT NULL AND d.{target} IS NULL"
                    );
                    // Narrowed, a dangling reference comes from a row the run changed, or from
                    // a target row it removed: one whose key its target's declaration names
                    // and that is no longer there (an old row pointing to it is counted once,
                    // outside the rows the run changed).
                    let target_changed = match scope {
                        Scope::All => None,
                        Scope::Changed => sql::changed(&target_table)?,
                    };
                    let clauses = match (&changed, target_changed) {
                        (Some(c), Some(t)) if t.key == target => {
                            let mut clauses = vec![format!("{dangling}{}", in_scope("f."))];
                            // Every row pointing to a removed key dangles. Unless the target's
                            // changed keys are this column's own: then a removed key is one of
                            // them, inside the range the first clause reads, and rows outside
                            // it cannot point to one. songplays.start_time → time; on
                            // PostgreSQL that clause hashed all of `time`, 8.3M rows, for a new
                            // day's 83,000 keys (2.9-3.3 s of the new day at 10M events,
                            // BENCHMARKS.md 2026-12-04, late evening).
                            if !(c.key == column && c.keys == t.keys) {
                                clauses.push(format!(
                                    "{table} f WHERE f.{column} IN (SELECT gone.k FROM ({}) \
                                     gone (k) WHERE NOT EXISTS (SELECT 1 FROM {target_table} d \
                                     WHERE d.{target} = gone.k)) AND NOT ({})",
                                    t.keys,
                                    range("f.", c)
                                ));
                            }
                            clauses
                        }
                        _ => vec![dangling],
                    };
                    Broken {
                        name: format!("{column} references {target_table}.{target}"),
                        clauses,
                        binds: Vec::new(),
                        sample_cols: "f.*",
                        enforced: None,
                    }
                }
                CheckDecl::AcceptedValues { column, values } => {
                    let marks: Vec<String> = (1..=values.len()).map(|i| format!("${i}")).collect();
                    Broken {
                        name: format!("{column} in ({})", values.join(", ")),
                        clauses: vec![format!(
                            "{table} WHERE {column} IS NOT NULL AND {column} NOT IN ({}){}",
                            marks.join(", "),
                            in_scope("")
                        )],
                        binds: values.into_iter().map(Value::Text).collect(),
                        sample_cols: "*",
                        enforced: None,
                    }
                }
                CheckDecl::Expect { column, condition } => {
                    let filled = sql::fill(
                        &condition,
                        &[
                            ("now", Param::Text(&now)),
                            ("next_year", Param::Text(&next_year)),
                        ],
                    )?;
                    Broken {
                        name: condition.clone(),
                        clauses: vec![format!(
                            "{table} WHERE {column} IS NOT NULL AND NOT ({}){}",
                            filled.text,
                            in_scope("")
                        )],
                        binds: filled.binds,
                        sample_cols: "*",
                        enforced: None,
                    }
                }
            };
            // Parameters are numbered in the text; the clauses that use them (one per rule
            // with parameters) are never more than one.
            let counts: Vec<String> = broken
                .clauses
                .iter()
                .map(|c| format!("(SELECT COUNT(*) FROM {c})"))
                .collect();
            let samples: Vec<String> = broken
                .clauses
                .iter()
                .map(|c| format!("SELECT {} FROM {c}", broken.sample_cols))
                .collect();
            let (count, samples) = if counts.len() == 1 {
                (
                    format!("SELECT COUNT(*) FROM {}", broken.clauses[0]),
                    format!("{} LIMIT {SAMPLES}", samples[0]),
                )
            } else {
                (
                    format!("SELECT {}", counts.join(" + ")),
                    format!("{} LIMIT {SAMPLES}", samples.join(" UNION ALL ")),
                )
            };
            Ok(Some(Rule {
                table: table.into(),
                name: broken.name,
                severity: declared.severity,
                sql: Statement {
                    text: count,
                    binds: broken.binds.clone(),
                },
                samples: Some(Statement {
                    text: samples,
                    binds: broken.binds,
                }),
                enforced: broken.enforced,
            }))
        })
        .filter_map(Result::transpose)
        .collect()
}

/// The number of keys (`columns`) seen more than once among `rows`, a key whose columns are
/// all NULL being one key, as `GROUP BY` counts them. DuckDB counts them from one sort: in key
/// order a repeated key is a run of equal neighbours, counted at its first row. Its hash
/// aggregate of every key took 0.5-1.4 s for `songplays.songplay_id` at 10M events, the sort
/// 0.33 s, and 0.7 against 0.3 s for `time.start_time` (BENCHMARKS.md 2026-12-05). `LAG(1)` and
/// `LEAD(1)` tell the ends of the order apart from a neighbour whose key is NULL. PostgreSQL and
/// Redshift keep the aggregate: PostgreSQL skips the rule where a primary key enforces it, and
/// neither was measured with the sort.
fn repeated_keys(rows: &str, columns: &[String], dialect: sql::Dialect) -> String {
    let cols = columns.join(", ");
    if dialect != sql::Dialect::DuckDb {
        return format!(
            "SELECT COUNT(*) FROM (SELECT {cols} FROM {rows} GROUP BY {cols} \
             HAVING COUNT(*) > 1) duplicated"
        );
    }
    let mut selected = Vec::new();
    let (mut as_next, mut as_previous) = (Vec::new(), Vec::new());
    for (i, column) in columns.iter().enumerate() {
        selected.push(format!(
            "{column} AS k{i}, LAG({column}) OVER w AS p{i}, LEAD({column}) OVER w AS n{i}"
        ));
        as_next.push(format!("k{i} IS NOT DISTINCT FROM n{i}"));
        as_previous.push(format!("k{i} IS NOT DISTINCT FROM p{i}"));
    }
    format!(
        "SELECT COUNT(*) FROM (SELECT {}, LAG(1) OVER w AS has_previous, \
         LEAD(1) OVER w AS has_next FROM {rows} WINDOW w AS (ORDER BY {cols})) neighbours \
         WHERE has_next IS NOT NULL AND {} AND (has_previous IS NULL OR NOT ({}))",
        selected.join(", "),
        as_next.join(" AND "),
        as_previous.join(" AND ")
    )
}

/// The rules of `sql/checks/*.sql`, per table in creation order, then in file-name order. A
/// file names its rule in `-- rule:` and the tables it checks in `-- tables:`; `:table` /
/// `:'table'` in it stand for each of those tables.
fn reconciliation_rules(scope: Scope, dialect: sql::Dialect) -> Result<Vec<Rule>> {
    let mut files = Vec::new();
    for (name, text) in sql::files_in("checks") {
        // An incremental run takes a rule's narrowed form, `sql/checks/changed/NAME.sql`, where
        // there is one (it names the same rule and tables); otherwise the rule is checked
        // whole, in the dialect's own text where it has one.
        let narrowed = format!("checks/changed/{name}.sql");
        let path = match scope {
            Scope::Changed if sql::file(&narrowed).is_ok() => narrowed,
            _ => sql::dialect_path(&format!("checks/{name}.sql"), dialect),
        };
        let text = sql::file(&path).unwrap_or(text);
        let missing = |key: &str| Error::usage(format!("sql/{path}: no `-- {key}:` header"));
        let rule = sql::header(text, "rule").ok_or_else(|| missing("rule"))?;
        let tables = sql::header(text, "tables").ok_or_else(|| missing("tables"))?;
        files.push((path, rule, tables));
    }
    let known = sql::all_tables()?;
    for (path, _, tables) in &files {
        if let Some(t) = tables
            .split(',')
            .map(str::trim)
            .find(|t| !known.contains(t))
        {
            return Err(Error::usage(format!("sql/{path}: no table {t:?}")));
        }
    }
    let mut rules = Vec::new();
    for table in known {
        for (path, rule, tables) in &files {
            if !tables.split(',').any(|t| t.trim() == table) {
                continue;
            }
            rules.push(Rule {
                table: table.into(),
                name: rule.to_string(),
                severity: Severity::Error,
                sql: sql::statement(path, &[("table", Param::Text(table))])?,
                samples: None,
                enforced: None,
            });
        }
    }
    Ok(rules)
}

fn all_rules(scope: Scope, dialect: sql::Dialect) -> Result<Vec<Rule>> {
    let mut rules = Vec::new();
    // Every table's declarations run, staging and bookkeeping tables' too.
    for table in sql::all_tables()? {
        rules.extend(declared_rules(table, scope, dialect)?);
    }
    rules.extend(reconciliation_rules(scope, dialect)?);
    Ok(rules)
}

/// `(table, rule name, SQL counting violations)` of every rule as `dialect` runs it, for review
/// and dialect tests.
pub fn rule_sql(scope: Scope, dialect: sql::Dialect) -> Result<Vec<(String, String, Statement)>> {
    let mut out: Vec<(String, String, Statement)> = all_rules(scope, dialect)?
        .into_iter()
        .map(|r| {
            let statement = r.statement();
            (r.table, r.name, statement)
        })
        .collect();
    for m in monitors()? {
        for statement in m.statements(dialect)? {
            out.push((m.table.to_string(), m.name(), statement));
        }
    }
    Ok(out)
}

/// Each row as `column=value, ...`.
fn sample_rows(found: &crate::value::QueryResult) -> Vec<String> {
    found
        .rows
        .iter()
        .map(|row| {
            found
                .columns
                .iter()
                .zip(row)
                .map(|(c, v)| format!("{c}={}", crate::output::plain(v)))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect()
}

/// Runs every rule against the warehouse, with the default thresholds.
pub fn run(wh: &mut dyn Warehouse) -> Result<CheckReport> {
    run_in(wh, &CheckOptions::default(), Scope::All)
}

/// Runs every rule against the warehouse.
pub fn run_with(wh: &mut dyn Warehouse, options: &CheckOptions) -> Result<CheckReport> {
    run_in(wh, options, Scope::All)
}

/// Runs every rule against the rows `scope` names, with the default thresholds.
pub fn run_scoped(wh: &mut dyn Warehouse, scope: Scope) -> Result<CheckReport> {
    run_in(wh, &CheckOptions::default(), scope)
}

/// Runs every rule against the rows `scope` names; the freshness and volume rules measure the
/// whole table whatever the scope (a new day is exactly what they judge).
pub fn run_in(wh: &mut dyn Warehouse, options: &CheckOptions, scope: Scope) -> Result<CheckReport> {
    let start = Instant::now();
    let rules = all_rules(scope, wh.dialect())?;
    let mut results = Vec::with_capacity(rules.len());
    for rule in rules {
        let held = match &rule.enforced {
            Some(Enforced::PrimaryKey(columns)) => primary_key_holds(wh, &rule.table, columns)?,
            Some(Enforced::NotNull(column)) => not_null_holds(wh, &rule.table, column)?,
            None => false,
        };
        let violations = if held {
            0
        } else {
            wh.fetch(&rule.statement())?.scalar_i64()?
        };
        let samples = match &rule.samples {
            Some(sql) if violations != 0 => sample_rows(&wh.fetch(sql)?),
            _ => Vec::new(),
        };
        results.push(CheckResult {
            table: rule.table,
            name: rule.name,
            severity: rule.severity,
            violations,
            detail: None,
            samples,
        });
    }
    for monitor in monitors()? {
        results.extend(monitor.run(wh, options)?);
    }
    let figures = wh.fetch(&sql::statement("figures/songplays.sql", &[])?)?;
    let songplays = figures.scalar_i64()?;
    let matched_songplays = figures.column_i64(1)?;
    let kept_rejected = wh
        .fetch(&sql::statement(
            "figures/kept_rejected.sql",
            &[("tables", sql::Param::TextList(&sql::STAGING_TABLES))],
        )?)?
        .scalar_i64()?;
    Ok(CheckReport {
        results,
        matched_songplays,
        songplays,
        kept_rejected,
        elapsed: start.elapsed(),
    })
}

/// Whether `table`'s primary key makes a `unique` rule on `columns` hold by itself: only on
/// PostgreSQL, which enforces the key (DuckDB's tables have none, see
/// `sql::without_primary_key`; Redshift's keys are informational only), and only when the
/// key's columns are among the rule's (`sql/bookkeeping/postgres_primary_key_holds.sql`).
pub fn primary_key_holds(wh: &mut dyn Warehouse, table: &str, columns: &[String]) -> Result<bool> {
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    postgres_catalogue_says(
        wh,
        "bookkeeping/postgres_primary_key_holds.sql",
        &[
            ("table", Param::Text(table)),
            ("columns", Param::TextList(&columns)),
        ],
    )
}

/// Whether `table`'s `column` is declared NOT NULL, which makes a `not_null` rule on it hold by
/// itself: only on PostgreSQL, which enforces the constraint for every row (DuckDB's star
/// tables are checked as they are, Redshift's constraints hold only for what COPY and INSERT
/// check), and only for a validated one (`sql/bookkeeping/postgres_not_null_holds.sql`).
pub fn not_null_holds(wh: &mut dyn Warehouse, table: &str, column: &str) -> Result<bool> {
    postgres_catalogue_says(
        wh,
        "bookkeeping/postgres_not_null_holds.sql",
        &[
            ("table", Param::Text(table)),
            ("column", Param::Text(column)),
        ],
    )
}

/// Whether PostgreSQL's catalogue query `path` finds the constraint it looks for (a count above
/// 0); on other engines, which do not enforce the constraints a rule could trust, never.
fn postgres_catalogue_says(
    wh: &mut dyn Warehouse,
    path: &str,
    params: &[(&str, Param)],
) -> Result<bool> {
    if wh.dialect() != sql::Dialect::Postgres {
        return Ok(false);
    }
    Ok(wh.fetch(&sql::statement(path, params)?)?.scalar_i64()? > 0)
}

/// A `freshness` or `volume` rule: measured from a few figures the warehouse answers, judged
/// here, so the same rule holds on every engine.
struct Monitor {
    table: &'static str,
    column: String,
    severity: Severity,
    volume: bool,
}

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: f64 = 3_600_000.0;

fn monitors() -> Result<Vec<Monitor>> {
    let mut out = Vec::new();
    for table in sql::all_tables()? {
        for declared in sql::checks(table)? {
            let (column, volume) = match declared.check {
                CheckDecl::Freshness { column } => (column, false),
                CheckDecl::Volume { column } => (column, true),
                _ => continue,
            };
            out.push(Monitor {
                table,
                column,
                severity: declared.severity,
                volume,
            });
        }
    }
    Ok(out)
}

impl Monitor {
    fn name(&self) -> String {
        if self.volume {
            format!("{} volume by day", self.column)
        } else {
            format!("{} freshness", self.column)
        }
    }

    fn params(&self) -> [(&'static str, Param<'_>); 2] {
        [
            ("table", Param::Text(self.table)),
            ("column", Param::Text(&self.column)),
        ]
    }

    /// The statement that counts rows per day, in the dialect's own text where it has one.
    fn daily_counts(&self, dialect: sql::Dialect) -> Result<Statement> {
        sql::statement(
            &sql::dialect_path("monitors/daily_counts.sql", dialect),
            &self.params(),
        )
    }

    /// The statements it sends.
    fn statements(&self, dialect: sql::Dialect) -> Result<Vec<Statement>> {
        if self.volume {
            Ok(vec![self.daily_counts(dialect)?])
        } else {
            Ok(vec![
                sql::statement("monitors/newest.sql", &self.params())?,
                sql::statement("monitors/loaded_files.sql", &self.params())?,
            ])
        }
    }

    fn result(&self, name: String, found: Option<(Severity, String)>) -> CheckResult {
        let (severity, violations, detail) = match found {
            Some((severity, detail)) => (severity, 1, Some(detail)),
            None => (self.severity, 0, None),
        };
        CheckResult {
            table: self.table.to_string(),
            name,
            severity,
            violations,
            samples: detail.iter().cloned().collect(),
            detail,
        }
    }

    fn run(&self, wh: &mut dyn Warehouse, options: &CheckOptions) -> Result<Vec<CheckResult>> {
        if self.volume {
            return self.volume(wh, options);
        }
        let newest = match wh
            .fetch(&sql::statement("monitors/newest.sql", &self.params())?)?
            .rows
            .first()
            .and_then(|r| r.first())
        {
            Some(Value::Int(ms)) => Some(*ms),
            _ => None,
        };
        let files = wh.fetch(&sql::statement(
            "monitors/loaded_files.sql",
            &self.params(),
        )?)?;
        // The newest day a loaded file's name gives (`2018-11-30-events.json`), with its name.
        let newest_file = files
            .rows
            .iter()
            .filter_map(|r| match r.first() {
                Some(Value::Text(path)) => {
                    let name = path.rsplit('/').next().unwrap_or(path);
                    crate::time::date_prefix_days(name).map(|day| (day, name.to_string()))
                }
                _ => None,
            })
            .max();
        let shown = |ms: i64| crate::time::format_timestamp_micros(ms.saturating_mul(1000));
        let mut out = Vec::new();
        let vs_file = options.freshness_vs_file;
        let found = match (newest, &newest_file) {
            (Some(ms), Some((day, name))) if vs_file.any() => {
                let lag = ((day + 1) * DAY_MS - ms) as f64 / HOUR_MS;
                vs_file.judge(lag, self.severity).map(|severity| {
                    (
                        severity,
                        format!(
                            "newest {} {} is {lag:.1} h before the end of {}, the day of the \
                             newest file ({name}); {}",
                            self.column,
                            shown(ms),
                            crate::time::format_date(*day),
                            vs_file.describe()
                        ),
                    )
                })
            }
            _ => None,
        };
        out.push(self.result(format!("{} vs newest file", self.name()), found));
        let vs_now = options.freshness_vs_now;
        if vs_now.any() {
            let now = crate::time::now_millis();
            let found = newest.and_then(|ms| {
                let lag = (now - ms) as f64 / HOUR_MS;
                vs_now.judge(lag, self.severity).map(|severity| {
                    (
                        severity,
                        format!(
                            "newest {} {} is {lag:.1} h old; {}",
                            self.column,
                            shown(ms),
                            vs_now.describe()
                        ),
                    )
                })
            });
            out.push(self.result(format!("{} vs now", self.name()), found));
        }
        Ok(out)
    }

    /// Each day from the second of the data to the last (the first starts wherever the logs
    /// start, so it is not judged; a day without rows counts 0) whose count is below
    /// `volume_min_percent` % of the median count of the `volume_window_days` days either side
    /// of it that lie within the data (at least two of them).
    fn volume(&self, wh: &mut dyn Warehouse, options: &CheckOptions) -> Result<Vec<CheckResult>> {
        let found = wh.fetch(&self.daily_counts(wh.dialect())?)?;
        let counts: std::collections::BTreeMap<i64, i64> = found
            .rows
            .iter()
            .filter_map(|r| match (r.first(), r.get(1)) {
                (Some(Value::Int(day)), Some(Value::Int(n))) => Some((*day, *n)),
                _ => None,
            })
            .collect();
        let (Some(&first), Some(&last)) = (counts.keys().next(), counts.keys().next_back()) else {
            return Ok(vec![self.result(self.name(), None)]);
        };
        let window = i64::from(options.volume_window_days);
        let count = |day: i64| counts.get(&day).copied().unwrap_or(0);
        let mut dips = Vec::new();
        for day in first + 1..=last {
            let mut around: Vec<i64> = (day - window..=day + window)
                .filter(|d| *d != day && (first..=last).contains(d))
                .map(count)
                .collect();
            if around.len() < 2 {
                continue;
            }
            around.sort_unstable();
            let mid = around.len() / 2;
            let median = if around.len().is_multiple_of(2) {
                (around[mid - 1] + around[mid]) as f64 / 2.0
            } else {
                around[mid] as f64
            };
            let n = count(day);
            if median > 0.0 && (n as f64) * 100.0 < options.volume_min_percent * median {
                dips.push(format!(
                    "{}: {n} rows, {:.1} % of the median {median} of the {window} days either \
                     side (below {} %)",
                    crate::time::format_date(day),
                    n as f64 * 100.0 / median,
                    options.volume_min_percent
                ));
            }
        }
        let mut result = self.result(self.name(), None);
        if !dips.is_empty() {
            result.violations = dips.len() as i64;
            result.detail = Some(match dips.len() {
                1 => dips[0].clone(),
                n => format!("{n} days, first {}", dips[0]),
            });
            dips.truncate(SAMPLES);
            result.samples = dips;
        }
        Ok(vec![result])
    }
}
