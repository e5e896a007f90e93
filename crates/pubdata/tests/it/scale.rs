//! Several servers on one database (the scale-out path): leases of
//! background jobs, and state every server shares — sessions, login
//! throttling, scheduled pulls run once.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::cli::start_with_env;
use crate::common::*;

#[tokio::test]
async fn a_job_lease_is_held_by_one_server_at_a_time_and_passes_on_when_it_runs_out() {
    let t = TestApp::empty().await;
    let s = &t.store;
    let minute = chrono::Duration::seconds(60);
    assert!(s.try_lease("test-sweep", "server-a", minute).await.unwrap());
    assert!(
        !s.try_lease("test-sweep", "server-b", minute).await.unwrap(),
        "b must wait while a holds the lease"
    );
    assert!(
        s.try_lease("test-sweep", "server-a", minute).await.unwrap(),
        "the holder renews"
    );
    assert!(
        s.try_lease("test-pulls", "server-b", minute).await.unwrap(),
        "another job is another lease"
    );
    // A lease that has run out (its server stopped) passes to the next asker.
    assert!(
        s.try_lease("test-once", "server-a", chrono::Duration::seconds(-1))
            .await
            .unwrap()
    );
    assert!(s.try_lease("test-once", "server-b", minute).await.unwrap());
    assert!(!s.try_lease("test-once", "server-a", minute).await.unwrap());
}

async fn send(
    c: &reqwest::Client,
    method: Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut r = c.request(method, url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Two `pubdata serve` processes on one database serve one platform: a
/// session from one works on the other, failed logins count across both,
/// a logout on one ends the session on the other within the principal
/// cache's lifetime, and a scheduled pull runs once, not twice.
#[tokio::test]
async fn two_servers_on_one_database_serve_one_platform_and_run_each_job_once() {
    use sqlx::Connection;
    let mut t = TestApp::demo().await;
    let (id, gaj) = crate::datasets::population_dataset(&t).await;
    let dir = tempfile::tempdir().unwrap();
    let src_url = format!("sqlite://{}", dir.path().join("hj.db").display());
    let mut src = sqlx::SqliteConnection::connect(&format!("{src_url}?mode=rwc"))
        .await
        .unwrap();
    sqlx::raw_sql(
        "CREATE TABLE people (公民身份号码 TEXT PRIMARY KEY, 姓名 TEXT, 性别 TEXT, 出生日期 TEXT);
         INSERT INTO people VALUES ('11010519491231002X', '张三', '女', '1949-12-31');",
    )
    .execute(&mut src)
    .await
    .unwrap();
    crate::datasets::set_pull_source(&t, &gaj, id, json!({"url": src_url, "query": "people"}))
        .await;
    // The in-process server stops; its leases are cleared as if they had run out.
    t.stop().await;
    t.sql("DELETE FROM job_leases").await;

    let env = [("PUBDATA_JOB_PERIOD_SECS", "1")];
    // Every server of one platform holds the same secret key file.
    let key = t.dir().join("pubdata-secret.key");
    let key = key.to_str().unwrap();
    let serve = ["serve", "--database", &t.db_url, "--secret-key", key];
    let (mut a, base_a) = start_with_env(&serve, &env);
    let (mut b, base_b) = start_with_env(&serve, &env);
    let c = client();

    // Sessions live in the database: a login on A works on B.
    let (status, login) = send(
        &c,
        Method::POST,
        format!("{base_a}/api/v1/auth/login"),
        None,
        Some(json!({"username": "qy-sjj", "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let token = login["token"].as_str().unwrap().to_string();
    let (status, me) = send(
        &c,
        Method::GET,
        format!("{base_b}/api/v1/me"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["username"], "qy-sjj");

    // The platform administrator's view of the servers (before this client is throttled).
    let (_, admin_login) = send(
        &c,
        Method::POST,
        format!("{base_b}/api/v1/auth/login"),
        None,
        Some(json!({"username": "admin", "password": PASSWORD})),
    )
    .await;
    let admin = admin_login["token"].as_str().unwrap().to_string();

    // Failed logins count across servers: four on A, one on B, then both refuse.
    for (n, base) in [&base_a, &base_a, &base_a, &base_a, &base_b]
        .iter()
        .enumerate()
    {
        let (status, _) = send(
            &c,
            Method::POST,
            format!("{base}/api/v1/auth/login"),
            None,
            Some(json!({"username": "qy-gaj", "password": "wrong"})),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    for base in [&base_a, &base_b] {
        let (status, _) = send(
            &c,
            Method::POST,
            format!("{base}/api/v1/auth/login"),
            None,
            Some(json!({"username": "qy-gaj", "password": PASSWORD})),
        )
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{base}");
    }

    // The scheduled pull (daily data, never pulled) runs once on one server.
    let store = pubdata_store::open(&t.db_url).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let d = store.get_dataset(id).await.unwrap();
        if d.current_version >= 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no server ran the scheduled pull"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Both servers tick every second for a while longer; neither pulls again.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let versions = store.dataset_versions(id).await.unwrap();
    assert_eq!(versions.len(), 1, "{versions:?}");
    assert_eq!(
        (versions[0].mode.as_str(), versions[0].actor.as_str()),
        ("pull", "scheduler")
    );
    let holders = store
        .list_audit(&pubdata_store::AuditFilter {
            action: Some("dataset.load".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(holders.len(), 1, "one load recorded");
    // Each server ticked the pulls job; exactly one ran it, the other skipped.
    let mut ran = vec![];
    for base in [&base_a, &base_b] {
        let text = c
            .get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let count = |outcome: &str| -> u64 {
            let key =
                format!("pubdata_background_jobs_total{{job=\"pulls\",outcome=\"{outcome}\"}} ");
            text.lines()
                .find_map(|l| l.strip_prefix(key.as_str()))
                .map(|n| n.trim().parse().unwrap())
                .unwrap_or(0)
        };
        ran.push((count("ran"), count("skipped")));
    }
    // The system view names the same server on both, and each knows itself.
    let mut views = vec![];
    for base in [&base_a, &base_b] {
        let (status, sys) = send(
            &c,
            Method::GET,
            format!("{base}/api/v1/system"),
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{sys}");
        views.push(sys);
    }
    let pulls = |v: &Value| {
        v["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["job"] == "pulls")
            .unwrap()
            .clone()
    };
    assert_eq!(pulls(&views[0])["holder"], pulls(&views[1])["holder"]);
    assert_ne!(views[0]["instance"], views[1]["instance"]);
    let here: Vec<bool> = views
        .iter()
        .map(|v| pulls(v)["here"].as_bool().unwrap())
        .collect();
    assert_eq!(here.iter().filter(|h| **h).count(), 1, "{views:?}");
    let holder_ran = ran[here.iter().position(|h| *h).unwrap()].0;
    assert!(
        holder_ran > 0,
        "the lease holder is the server that ran the job"
    );
    assert_eq!(
        views[0]["backend"],
        if t.on_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    );

    let runners = ran.iter().filter(|(r, _)| *r > 0).count();
    assert_eq!(runners, 1, "one server runs the leased job: {ran:?}");
    assert!(
        ran.iter().any(|(_, s)| *s > 0),
        "the other skips it: {ran:?}"
    );

    // A logout on A ends the session on B within the principal cache's lifetime.
    let (status, _) = send(
        &c,
        Method::POST,
        format!("{base_a}/api/v1/auth/logout"),
        Some(&token),
        None,
    )
    .await;
    assert!(status.is_success(), "{status}");
    let deadline = Instant::now() + pubdata_service::auth::PRINCIPAL_TTL + Duration::from_secs(3);
    loop {
        let (status, _) = send(
            &c,
            Method::GET,
            format!("{base_b}/api/v1/me"),
            Some(&token),
            None,
        )
        .await;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "B still accepts a session ended on A"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    a.kill().unwrap();
    b.kill().unwrap();
    let _ = (a.wait(), b.wait());
}

/// `scripts/pg-cluster`: a private PostgreSQL cluster for one test.
pub const PG_CLUSTER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/pg-cluster");

/// Runs `scripts/pg-cluster ARGS…`, which must succeed; its output.
pub fn pg_cluster(args: &[&str]) -> String {
    let out = std::process::Command::new(PG_CLUSTER)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pg-cluster {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// PostgreSQL dies in the middle of a load: the load fails with a clear
/// 503, the acknowledged version stays current, and when the database is
/// back the same server answers again without a restart.
#[tokio::test]
async fn postgres_killed_during_a_load_loses_nothing_and_the_server_reconnects() {
    if std::env::var("PUBDATA_TEST_POSTGRES").map_or(true, |s| s.is_empty()) {
        eprintln!("PUBDATA_TEST_POSTGRES not set: runs in the PostgreSQL pass");
        return;
    }
    // A cluster of this test's own, so stopping it disturbs no other test.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port().to_string()
    };
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let url = pg_cluster(&["start", data, &port]);
    struct Stop(String);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = std::process::Command::new(PG_CLUSTER)
                .args(["stop", &self.0])
                .output();
        }
    }
    let _stop = Stop(data.to_string());

    let t = TestApp::on(url, tempfile::tempdir().unwrap()).await;
    t.app.seed_demo_world().await.unwrap();
    let (id, gaj) = crate::datasets::population_dataset(&t).await;
    let v1 = "公民身份号码,姓名,性别,出生日期\n11010519491231002X,张三,女,1949-12-31\n";
    let (status, _) = crate::datasets::upload(&t, &gaj, id, "v1.csv", v1.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::CREATED);

    // A large load, and the database stops hard (immediate: like a crash) during it.
    let mut big = String::from("公民身份号码,姓名,性别,出生日期\n");
    let mut rng = pubdata_service::demo::synth::Rng::new(9);
    for n in 0..300_000 {
        let p = pubdata_service::demo::synth::person(&mut rng, n);
        big.push_str(&format!("{},{},{},{}\n", p[0], p[1], p[2], p[3]));
    }
    let load = tokio::spawn({
        let (base, token, client) = (t.base.clone(), gaj.clone(), t.client.clone());
        async move {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(big.into_bytes()).file_name("big.csv"),
            );
            let r = client
                .post(format!("{base}/api/v1/datasets/{id}/loads"))
                .bearer_auth(token)
                .multipart(form)
                .send()
                .await
                .unwrap();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    pg_cluster(&["kill", data]);
    let (status, body) = load.await.unwrap();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "database_unavailable", "{body}");
    let r = t.client.get(t.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);

    // The database returns; the same server reconnects by itself.
    pg_cluster(&["start", data, &port]);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = t.client.get(t.url("/readyz")).send().await.unwrap();
        if r.status() == StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "the server did not reconnect");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Version 1, acknowledged before the crash, is current and whole.
    let (status, d) = t.get(&format!("/api/v1/datasets/{id}"), &gaj).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(
        (d["current_version"].as_i64(), d["row_count"].as_i64()),
        (Some(1), Some(1))
    );
    let n = pubdata_service::audit::verify_chain(t.store.as_ref())
        .await
        .unwrap();
    assert!(n > 10);
    // And the next load goes through.
    let v2 = "公民身份号码,姓名,性别,出生日期\n11010519491231002X,张三丰,女,1949-12-31\n";
    let (status, v) = crate::datasets::upload(&t, &gaj, id, "v2.csv", v2.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["version"], 2);
}

/// The dataset tables are ready to be distributed by `_key` (Citus): no
/// foreign key touches them and every unique index includes `_key`, as a
/// distributed table's unique indexes must. Checked on the demo's
/// PostgreSQL schema (Citus itself is not packaged by Debian).
#[tokio::test]
async fn dataset_tables_can_be_distributed_by_key() {
    use sqlx::{Connection, Row};
    let t = TestApp::full_demo().await;
    if !t.on_postgres() {
        eprintln!("PUBDATA_TEST_POSTGRES not set: runs in the PostgreSQL pass");
        return;
    }
    let mut c = sqlx::PgConnection::connect(&t.db_url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT relname::text FROM pg_class WHERE relkind = 'r' AND relname ~ '^ds_[0-9]+$' ORDER BY 1",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    assert!(tables.len() >= 3, "{tables:?}");
    let fks: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_constraint WHERE contype = 'f'
           AND (conrelid::regclass::text ~ '^ds_[0-9]+$' OR confrelid::regclass::text ~ '^ds_[0-9]+$')",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert_eq!(fks, 0, "no foreign key touches a dataset table");
    let uniques = sqlx::query(
        "SELECT i.indexrelid::regclass::text AS name,
                bool_or(a.attname = '_key') AS has_key
           FROM pg_index i JOIN pg_class r ON r.oid = i.indrelid
           JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum = ANY(i.indkey)
          WHERE i.indisunique AND r.relname ~ '^ds_[0-9]+$'
          GROUP BY 1",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    assert_eq!(
        uniques.len(),
        tables.len(),
        "one unique (key) index per table"
    );
    for u in &uniques {
        assert!(
            u.get::<bool, _>("has_key"),
            "{}",
            u.get::<String, _>("name")
        );
    }
}

/// The backup job (SQLite): a whole, restorable copy whose audit chain
/// verifies, the newest seven kept, each backup audited. On PostgreSQL the
/// job does not run: its own tools back it up (docs/SCALING.md).
#[tokio::test]
async fn the_backup_job_writes_restorable_copies_and_keeps_seven() {
    use pubdata_service::jobs::{BACKUPS_KEPT, Job};
    let t = TestApp::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("backups");
    assert!(
        !t.app.run_job(Job::Backup).await.unwrap(),
        "no backup directory, no backup"
    );
    t.app.set_backup_dir(Some(backups.clone()));
    if t.on_postgres() {
        assert!(!t.app.run_job(Job::Backup).await.unwrap());
        assert!(!backups.exists() || std::fs::read_dir(&backups).unwrap().count() == 0);
        return;
    }
    assert!(t.app.run_job(Job::Backup).await.unwrap());
    let first = std::fs::read_dir(&backups)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    // The copy is a whole platform: it opens, its chain verifies, the orgs are there.
    let url = format!("sqlite://{}", first.display());
    let out = crate::cli::pubdata(&["audit", "verify", "--database", &url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copy = pubdata_store::open(&url).await.unwrap();
    assert_eq!(
        copy.list_orgs().await.unwrap(),
        t.store.list_orgs().await.unwrap()
    );
    drop(copy);
    for _ in 0..BACKUPS_KEPT + 2 {
        t.app.backup_now().await.unwrap().expect("written");
    }
    let names: Vec<String> = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".db"))
        .collect();
    assert_eq!(names.len(), BACKUPS_KEPT, "{names:?}");
    assert!(!names.iter().any(|n| n.ends_with(".partial")));
    let audited = t
        .store
        .list_audit(&pubdata_store::AuditFilter {
            action: Some("system.backup".into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audited.len(), BACKUPS_KEPT + 3);
}
