//! Black-box tests: each starts the real server on port 0 with a fresh
//! SQLite database and talks HTTP to it. One binary, one module per area.

mod common;

mod audit;
mod auth;
mod bad_input;
mod calendar;
mod catalog;
mod cli;
mod datasets;
mod http_basics;
mod orgs;
mod pages;
mod tokens;
