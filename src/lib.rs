//! `sparkify`: builds the Sparkify music-streaming star schema from JSON logs and song files.
//!
//! Data flows one way: [`source`] lists and reads files, [`copy`] turns JSON into typed rows
//! with Redshift COPY semantics, a [`warehouse`] stores them, [`pipeline`] runs the SQL
//! transforms in `sql/`, and [`checks`] verifies the result.

pub mod allocator;
pub mod analytics;
pub mod app;
pub mod aws;
pub mod checks;
pub mod cli;
pub mod config;
pub mod copy;
pub mod error;
pub mod files;
pub mod generate;
pub mod infra;
pub mod interrupt;
pub mod output;
pub mod pipeline;
pub mod prompt;
pub mod schema;
pub mod secrets;
pub mod settings;
pub mod source;
pub mod sql;
pub mod time;
pub mod value;
pub mod warehouse;

pub use error::{Error, Result};
