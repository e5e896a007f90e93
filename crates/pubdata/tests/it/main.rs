//! Black-box tests: each starts the real server on port 0 with a fresh
//! database — SQLite, or a new database on the PostgreSQL server that
//! `PUBDATA_TEST_POSTGRES` names — and talks HTTP to it. One binary, one
//! module per area.

mod common;

mod access;

mod audit;
mod auth;
mod backup;
mod bad_input;
mod calendar;
mod catalog;
mod checkpoints;
mod ckan;
mod cli;
mod datasets;
mod dcat;
mod derive;
mod disputes;
mod guomi;
mod http_basics;
mod objections;
mod open;
mod open_applications;
mod open_catalog;
mod open_indexes;
mod open_plans;
mod open_proposals;
mod operation;
mod orgs;
mod pages;
mod procurement;
mod projects;
mod reident;
mod reminders;
mod scale;
mod secrets;
mod security;
mod sharing;
mod sharing_props;
mod supervision;
mod supervision_reports;
mod tokens;
mod violations;
