//! Data-quality rules. Key rules come from the `-- check:` declarations beside each model in
//! `sql/schema/`; reconciliation rules tie staging back to what was read, so every count can be
//! traced to files.

use std::time::{Duration, Instant};

use crate::error::Result;
use crate::sql::{self, CheckDecl, MODELS, STAGING_TABLES, quote_literal};
use crate::warehouse::Warehouse;

/// The outcome of one rule: `violations` rows break it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub table: String,
    pub name: String,
    pub violations: i64,
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
    pub elapsed: Duration,
}

impl CheckReport {
    pub fn failed(&self) -> Vec<&CheckResult> {
        self.results.iter().filter(|r| !r.passed()).collect()
    }

    pub fn match_rate(&self) -> f64 {
        if self.songplays == 0 {
            0.0
        } else {
            self.matched_songplays as f64 / self.songplays as f64
        }
    }
}

/// A rule as SQL that counts violations.
struct Rule {
    table: String,
    name: String,
    sql: String,
}

impl Rule {
    /// The statement that is run. SUM() is NUMERIC on PostgreSQL; one cast makes every engine
    /// answer a plain integer.
    fn statement(&self) -> String {
        format!("SELECT CAST(({}) AS BIGINT)", self.sql)
    }
}

fn declared_rules(table: &str) -> Result<Vec<Rule>> {
    Ok(sql::checks(table)?
        .into_iter()
        .map(|decl| match decl {
            CheckDecl::Unique(cols) => {
                let cols = cols.join(", ");
                Rule {
                    table: table.into(),
                    name: format!("unique ({cols})"),
                    sql: format!(
                        "SELECT COUNT(*) FROM (SELECT {cols} FROM {table} GROUP BY {cols} \
                         HAVING COUNT(*) > 1) duplicated"
                    ),
                }
            }
            CheckDecl::NotNull(col) => Rule {
                table: table.into(),
                name: format!("{col} not null"),
                sql: format!("SELECT COUNT(*) FROM {table} WHERE {col} IS NULL"),
            },
            CheckDecl::References {
                column,
                table: target_table,
                target,
            } => Rule {
                table: table.into(),
                name: format!("{column} references {target_table}.{target}"),
                sql: format!(
                    "SELECT COUNT(*) FROM {table} f WHERE f.{column} IS NOT NULL AND NOT EXISTS \
                     (SELECT 1 FROM {target_table} d WHERE d.{target} = f.{column})"
                ),
            },
        })
        .collect())
}

fn reconciliation_rules() -> Vec<Rule> {
    let mut rules = Vec::new();
    for t in STAGING_TABLES {
        let q = quote_literal(t);
        rules.push(Rule {
            table: t.into(),
            name: "rows read = rows loaded + rows rejected".into(),
            sql: format!(
                "SELECT COUNT(*) FROM load_ledger WHERE table_name = {q} \
                 AND rows_read <> rows_loaded + rows_rejected"
            ),
        });
        rules.push(Rule {
            table: t.into(),
            name: "rows loaded = rows in table".into(),
            sql: format!(
                "SELECT ABS((SELECT COUNT(*) FROM {t}) - \
                 (SELECT COALESCE(SUM(rows_loaded), 0) FROM load_ledger WHERE table_name = {q}))"
            ),
        });
        rules.push(Rule {
            table: t.into(),
            name: "rows rejected = rows in load_errors".into(),
            sql: format!(
                "SELECT ABS((SELECT COUNT(*) FROM load_errors WHERE table_name = {q}) - \
                 (SELECT COALESCE(SUM(rows_rejected), 0) FROM load_ledger WHERE table_name = {q}))"
            ),
        });
    }
    // Every distinct NextSong event with a user and a time became exactly one songplay.
    rules.push(Rule {
        table: "songplays".into(),
        name: "one songplay per NextSong event".into(),
        sql: "SELECT ABS((SELECT COUNT(*) FROM songplays) - (SELECT COUNT(*) FROM (\
              SELECT DISTINCT userid, sessionid, iteminsession, ts FROM staging_events \
              WHERE page = 'NextSong' AND ts IS NOT NULL AND userid IS NOT NULL) events))"
            .into(),
    });
    rules
}

fn all_rules() -> Result<Vec<Rule>> {
    let mut rules = Vec::new();
    for table in MODELS.iter().chain(&["load_ledger"]) {
        rules.extend(declared_rules(table)?);
    }
    rules.extend(reconciliation_rules());
    Ok(rules)
}

/// `(table, rule name, SQL counting violations)` of every rule, for review and dialect tests.
pub fn rule_sql() -> Result<Vec<(String, String, String)>> {
    Ok(all_rules()?
        .into_iter()
        .map(|r| {
            (
                r.table,
                r.name,
                format!("SELECT CAST(({}) AS BIGINT)", r.sql),
            )
        })
        .collect())
}

/// Runs every rule against the warehouse.
pub fn run(wh: &mut dyn Warehouse) -> Result<CheckReport> {
    let start = Instant::now();
    let rules = all_rules()?;
    let mut results = Vec::with_capacity(rules.len());
    for rule in rules {
        let violations = wh.count(&rule.statement())?;
        results.push(CheckResult {
            table: rule.table,
            name: rule.name,
            violations,
        });
    }
    let matched_songplays = wh.count("SELECT COUNT(*) FROM songplays WHERE song_id IS NOT NULL")?;
    let songplays = wh.count("SELECT COUNT(*) FROM songplays")?;
    Ok(CheckReport {
        results,
        matched_songplays,
        songplays,
        elapsed: start.elapsed(),
    })
}
