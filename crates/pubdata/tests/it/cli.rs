//! The `pubdata` binary itself: calendar and audit verification.

use std::process::Command;

use sqlx::Connection;

use crate::common::*;

pub fn pubdata(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pubdata"))
        .args(args)
        .output()
        .expect("runs")
}

#[test]
fn calendar_add_prints_the_date_and_refuses_unknown_years() {
    let out = pubdata(&["calendar", "add", "2026-02-13", "1"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2026-02-14");
    let out = pubdata(&["calendar", "add", "2026-12-28", "5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("calendar_unknown_year"));
}

/// SQL that lifts the audit log's append-only guard, as an attacker with
/// database access would.
pub(crate) fn drop_guard(t: &TestApp) -> &'static str {
    if t.on_postgres() {
        "ALTER TABLE audit_log DISABLE TRIGGER USER;"
    } else {
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
    }
}

/// Runs SQL on a test database, returning the database's answer.
async fn raw_sql(url: &str, sql: &str) -> Result<(), sqlx::Error> {
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await?;
        sqlx::raw_sql(sql).execute(&mut c).await.map(|_| ())
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await?;
        sqlx::raw_sql(sql).execute(&mut c).await.map(|_| ())
    }
}

async fn verify(t: &TestApp) -> (bool, String) {
    let out = pubdata(&["audit", "verify", "--database", &t.db_url]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn audit_verify_passes_an_intact_chain_and_names_an_altered_record() {
    let mut t = TestApp::demo().await;
    t.login("qy-gaj").await;
    t.stop().await;
    let (ok, text) = verify(&t).await;
    assert!(ok, "{text}");
    assert!(text.contains("intact"));

    // The log refuses updates through SQL; an attacker with the file drops the guard first.
    let refused = raw_sql(&t.db_url, "UPDATE audit_log SET actor = 'x' WHERE id = 3").await;
    assert!(refused.is_err(), "audit_log is append-only");
    t.sql(&format!(
        "{} UPDATE audit_log SET outcome = 'failure' WHERE id = 7;",
        drop_guard(&t)
    ))
    .await;
    let (ok, text) = verify(&t).await;
    assert!(!ok);
    assert!(
        text.contains("record 7") && text.contains("altered"),
        "{text}"
    );
}

#[tokio::test]
async fn audit_verify_catches_deleted_records_in_the_middle_and_at_the_end() {
    let mut t = TestApp::demo().await;
    t.stop().await;
    t.sql(&format!(
        "{} DELETE FROM audit_log WHERE id = 5;",
        drop_guard(&t)
    ))
    .await;
    let (ok, text) = verify(&t).await;
    assert!(!ok);
    assert!(text.contains("record 6"), "{text}");

    let mut t = TestApp::demo().await;
    t.stop().await;
    t.sql(&format!(
        "{} DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log);",
        drop_guard(&t)
    ))
    .await;
    let (ok, text) = verify(&t).await;
    assert!(!ok);
    assert!(text.contains("deleted"), "{text}");
}

/// Starts `pubdata ARGS… --listen 127.0.0.1:0` and returns it with its base URL.
pub fn start(args: &[&str]) -> (std::process::Child, String) {
    start_with_env(args, &[])
}

/// [`start`] with extra environment variables.
pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_pubdata"))
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{line}");
    (child, base)
}

#[tokio::test]
async fn the_first_admin_is_created_from_the_command_line_and_serve_shuts_down_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("p.db").display());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pubdata"))
        .args([
            "user",
            "create-admin",
            "chief",
            "--org",
            "qy",
            "--org-name",
            "清远市",
            "--database",
            &db,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        cmd.stdin
            .take()
            .unwrap()
            .write_all(b"a-strong-password\n")
            .unwrap();
    }
    let out = cmd.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let (mut server, base) = start(&["serve", "--database", &db]);
    let c = reqwest::Client::new();
    let r = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "chief", "password": "a-strong-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let me: serde_json::Value = c
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["roles"][0]["role"], "platform_admin");
    // No demo accounts on `serve`.
    let r = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "admin", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let pid = server.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = server.wait().unwrap();
    assert!(status.success(), "SIGTERM shuts down cleanly: {status}");
}

#[test]
fn a_wrong_database_url_is_a_clear_startup_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_pubdata"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            "mysql://user:secret@db/x",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot open database"), "{err}");
    assert!(
        !err.contains("secret"),
        "the password never reaches the output: {err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_pubdata"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            "sqlite:///nonexistent-dir/x/y.db",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open database"));
    // PostgreSQL that does not answer: the refusal itself, at once.
    let started = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_pubdata"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database"])
        .arg("postgres://u:secret@127.0.0.1:1/x")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot open database") && err.contains("refused"),
        "{err}"
    );
    assert!(!err.contains("secret"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// `pubdata migrate-store` moves a demo world from SQLite to PostgreSQL:
/// every row, the audit chain verified on the target, and the platform
/// serves from it. Runs in the PostgreSQL pass of the suite.
#[tokio::test]
async fn migrate_store_moves_the_demo_world_to_postgres_with_its_audit_chain() {
    let Ok(server) = std::env::var("PUBDATA_TEST_POSTGRES") else {
        eprintln!("PUBDATA_TEST_POSTGRES not set: runs in the PostgreSQL pass");
        return;
    };
    if server.is_empty() {
        return;
    }
    // The source: a SQLite platform with the demo seeded.
    let dir = tempfile::tempdir().unwrap();
    let from = format!("sqlite://{}", dir.path().join("src.db").display());
    // Stored secrets move sealed: the target's servers need the same key.
    let key_file = dir.path().join("pubdata-secret.key");
    {
        let store = pubdata_store::open(&from).await.unwrap();
        let app = pubdata_service::App::new(store).await.unwrap();
        app.set_secret_key(Some(
            pubdata_service::secrets::SecretKey::create(&key_file).unwrap(),
        ));
        let size = pubdata_service::demo::DemoSize {
            population: 2000,
            enterprises: 500,
        };
        app.seed_demo_sized(size).await.unwrap();
    }
    let src = pubdata_store::open(&from).await.unwrap();
    let src_written = src.audit_written().await.unwrap();
    let src_datasets = src.list_datasets(None, None, 1000).await.unwrap();
    let to = test_database_url(&dir).await;
    assert!(to.starts_with("postgres"));

    let out = pubdata(&["migrate-store", "--from", &from, "--to", &to]);
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("audit chain intact on the target"), "{text}");

    // Independently: `audit verify` on the target, and the same contents.
    let out = pubdata(&["audit", "verify", "--database", &to]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dst = pubdata_store::open(&to).await.unwrap();
    assert_eq!(dst.backend(), "postgres");
    assert_eq!(dst.audit_written().await.unwrap(), src_written);
    assert_eq!(
        dst.list_orgs().await.unwrap(),
        src.list_orgs().await.unwrap()
    );
    for d in &src_datasets {
        let moved = dst.get_dataset(d.id).await.unwrap();
        assert_eq!(&moved, d);
        assert_eq!(
            dst.dataset_rows(&moved, None, None, 50).await.unwrap(),
            src.dataset_rows(d, None, None, 50).await.unwrap()
        );
    }
    // Every copied table holds as many rows on both sides.
    {
        use sqlx::Connection;
        let mut a = sqlx::SqliteConnection::connect(&from).await.unwrap();
        let mut b = sqlx::PgConnection::connect(&to).await.unwrap();
        let mut filled = 0;
        for table in pubdata_store::migrate::TABLES {
            let q = format!("SELECT count(*) FROM {table}");
            let n: i64 = sqlx::query_scalar(&q).fetch_one(&mut a).await.unwrap();
            let m: i64 = sqlx::query_scalar(&q).fetch_one(&mut b).await.unwrap();
            assert_eq!(n, m, "{table}");
            filled += usize::from(n > 0);
        }
        // The demo fills most areas (sharing, derivatives, objections …).
        assert!(filled >= 25, "{filled} tables with rows");
    }
    // A second run refuses: the target already holds a platform.
    let out = pubdata(&["migrate-store", "--from", &from, "--to", &to]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds a platform"));

    // The platform serves from the target; demo accounts log in, new ids continue.
    let (mut server, base) = start(&[
        "serve",
        "--database",
        &to,
        "--secret-key",
        key_file.to_str().unwrap(),
    ]);
    let client = client();
    let r = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "qy-gaj", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    server.kill().unwrap();
    let _ = server.wait();
    let dst = pubdata_store::open(&to).await.unwrap();
    assert!(dst.audit_written().await.unwrap() > src_written);
    let out = pubdata(&["audit", "verify", "--database", &to]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_load_killed_midway_leaves_the_previous_version_intact() {
    let mut t = TestApp::demo().await;
    let (id, gaj) = crate::datasets::population_dataset(&t).await;
    let v1 = "公民身份号码,姓名,性别,出生日期\n11010519491231002X,张三,女,1949-12-31\n";
    let (status, _) = crate::datasets::upload(&t, &gaj, id, "v1.csv", v1.as_bytes().to_vec()).await;
    assert_eq!(status, reqwest::StatusCode::CREATED);
    t.stop().await;

    // A large file: persons in the dataset's four columns.
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    let mut rng = pubdata_service::demo::synth::Rng::new(5);
    {
        use std::io::Write;
        writeln!(out, "公民身份号码,姓名,性别,出生日期").unwrap();
        for n in 0..400_000 {
            let p = pubdata_service::demo::synth::person(&mut rng, n);
            writeln!(out, "{},{},{},{}", p[0], p[1], p[2], p[3]).unwrap();
        }
    }
    drop(out);
    let mut child = Command::new(env!("CARGO_BIN_EXE_pubdata"))
        .args([
            "import",
            "--dataset",
            &id.to_string(),
            "--database",
            &t.db_url,
        ])
        .arg(&big)
        .env("RUST_LOG", "warn")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the progress line: rows are being written.
    {
        use std::io::Read;
        let mut err = child.stderr.take().unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 256];
        while !String::from_utf8_lossy(&seen).contains("rows/s") {
            let n = err.read(&mut buf).unwrap();
            assert!(
                n > 0,
                "import ended before its first progress line: {}",
                String::from_utf8_lossy(&seen)
            );
            seen.extend_from_slice(&buf[..n]);
        }
        std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    }
    child.kill().unwrap(); // SIGKILL mid-load: no chance to clean up
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the import was killed before it finished"
    );

    // The database opens, version 1 is still current, and the chain verifies.
    let store = pubdata_store::open(&t.db_url).await.unwrap();
    let d = store.get_dataset(id).await.unwrap();
    assert_eq!((d.current_version, d.row_count), (1, 1));
    assert_eq!(
        store.dataset_rows(&d, None, None, 10).await.unwrap().len(),
        1
    );
    let (ok, text) = verify(&t).await;
    assert!(ok, "{text}");
    // And a load after the crash works.
    let out = Command::new(env!("CARGO_BIN_EXE_pubdata"))
        .args([
            "import",
            "--quiet",
            "--dataset",
            &id.to_string(),
            "--database",
            &t.db_url,
        ])
        .arg(&big)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = store.get_dataset(id).await.unwrap();
    assert_eq!((d.current_version, d.row_count), (2, 400_000));
}

/// The first load into an empty dataset takes SQLite's fast path (its own
/// connection and writer thread): killed midway, it leaves nothing behind.
#[tokio::test]
async fn a_first_load_killed_midway_leaves_the_dataset_empty() {
    let mut t = TestApp::demo().await;
    let (id, _gaj) = crate::datasets::population_dataset(&t).await;
    t.stop().await;
    if !t.db_url.starts_with("sqlite:") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    let mut rng = pubdata_service::demo::synth::Rng::new(6);
    {
        use std::io::Write;
        writeln!(out, "公民身份号码,姓名,性别,出生日期").unwrap();
        for n in 0..400_000 {
            let p = pubdata_service::demo::synth::person(&mut rng, n);
            writeln!(out, "{},{},{},{}", p[0], p[1], p[2], p[3]).unwrap();
        }
    }
    drop(out);
    let import = |quiet: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_pubdata"));
        c.arg("import");
        if quiet {
            c.arg("--quiet");
        }
        c.args(["--dataset", &id.to_string(), "--database", &t.db_url])
            .arg(&big)
            .env("RUST_LOG", "warn");
        c
    };
    let mut child = import(false)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Read;
        let mut err = child.stderr.take().unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 256];
        while !String::from_utf8_lossy(&seen).contains("rows/s") {
            let n = err.read(&mut buf).unwrap();
            assert!(
                n > 0,
                "import ended before its first progress line: {}",
                String::from_utf8_lossy(&seen)
            );
            seen.extend_from_slice(&buf[..n]);
        }
        std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    }
    child.kill().unwrap();
    assert!(!child.wait().unwrap().success());

    let store = pubdata_store::open(&t.db_url).await.unwrap();
    let d = store.get_dataset(id).await.unwrap();
    assert_eq!((d.current_version, d.row_count), (0, 0));
    assert!(
        store
            .dataset_rows(&d, None, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.dataset_versions(id).await.unwrap().is_empty());
    let (ok, text) = verify(&t).await;
    assert!(ok, "{text}");
    let out = import(true).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = store.get_dataset(id).await.unwrap();
    assert_eq!((d.current_version, d.row_count), (1, 400_000));
    let (ok, text) = verify(&t).await;
    assert!(ok, "{text}");
}

/// Behind HTTPS (`--secure-cookies`) the platform's cookies are `Secure`;
/// without it they are not (plain HTTP on a developer's machine).
#[tokio::test]
async fn secure_cookies_are_marked_secure_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, secure) in [(Some("--secure-cookies"), true), (None, false)] {
        let db = format!("sqlite://{}/s{secure}.db", dir.path().display());
        let mut args = vec!["serve", "--database", db.as_str()];
        args.extend(flag);
        let (mut server, base) = start(&args);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        for path in ["/login?next=/", "/lang?to=en"] {
            let r = client.get(format!("{base}{path}")).send().await.unwrap();
            let set: Vec<String> = r
                .headers()
                .get_all("set-cookie")
                .iter()
                .map(|v| v.to_str().unwrap().to_string())
                .collect();
            assert!(!set.is_empty(), "{path} sets a cookie");
            for c in &set {
                assert_eq!(c.contains("; Secure"), secure, "{path}: {c}");
            }
        }
        server.kill().unwrap();
        let _ = server.wait();
    }
}
