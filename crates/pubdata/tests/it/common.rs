use std::net::SocketAddr;
use std::sync::Arc;

use pubdata_service::App;
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;

pub const PASSWORD: &str = "demo-password";

/// A running platform on a throwaway database.
pub struct TestApp {
    pub base: String,
    pub db_url: String,
    pub app: Arc<App>,
    /// The platform's store, for tests that look behind the service layer.
    pub store: Arc<dyn pubdata_store::Store>,
    pub client: Client,
    _dir: TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    /// The platform with the demo organisations and accounts seeded.
    pub async fn demo() -> TestApp {
        let t = Self::empty().await;
        t.app.seed_demo_world().await.expect("demo seeds");
        t
    }

    /// The platform with the whole demo seeded, every area's demo data included.
    pub async fn full_demo() -> TestApp {
        let t = Self::empty().await;
        let size = pubdata_service::demo::DemoSize {
            population: 3000,
            enterprises: 1500,
        };
        t.app.seed_demo_sized(size).await.expect("demo seeds");
        t
    }

    /// The platform as `pubdata serve` starts it: no accounts at all.
    pub async fn empty() -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let db_url = test_database_url(&dir).await;
        Self::on(db_url, dir).await
    }

    /// The platform on the database at `db_url` (`dir` lives as long as it).
    pub async fn on(db_url: String, dir: TempDir) -> TestApp {
        let store = pubdata_store::open(&db_url).await.expect("store opens");
        let app = App::new(store.clone()).await.expect("app starts");
        // As `pubdata serve` does: the secret key beside the database.
        let (key, _) = pubdata_service::secrets::SecretKey::read_or_create(
            &dir.path().join("pubdata-secret.key"),
        )
        .expect("secret key");
        app.set_secret_key(Some(key));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn({
            let app = app.clone();
            async move {
                pubdata_web::serve(listener, app, async {
                    let _ = stopped.await;
                })
                .await
                .expect("server runs");
            }
        });
        TestApp {
            base: format!("http://{addr}"),
            db_url,
            app,
            store,
            client: client(),
            _dir: dir,
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// The throwaway folder beside the database (its secret key file).
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// Stops the server gracefully (the database stays for inspection).
    pub async fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.server.take() {
            let _ = h.await;
        }
    }

    /// Whether this test runs on PostgreSQL (`PUBDATA_TEST_POSTGRES` set).
    pub fn on_postgres(&self) -> bool {
        self.db_url.starts_with("postgres")
    }

    /// Runs SQL straight on the test database, behind the platform's back
    /// (to age records or to play an attacker with database access).
    pub async fn sql(&self, sql: &str) {
        use sqlx::Connection;
        if self.on_postgres() {
            let mut c = sqlx::PgConnection::connect(&self.db_url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
            c.close().await.unwrap();
        } else {
            let mut c = sqlx::SqliteConnection::connect(&self.db_url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
            c.close().await.unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn login(&self, username: &str) -> String {
        let r = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::OK, "login of {username}");
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request")
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        json_of(self.call(Method::GET, path, Some(token), None).await).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        json_of(self.call(Method::POST, path, Some(token), Some(body)).await).await
    }

    pub async fn org_id(&self, code: &str) -> i64 {
        self.store.get_org_by_code(code).await.unwrap().unwrap().id
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// A fresh database for one test: a SQLite file in `dir`, or, when
/// `PUBDATA_TEST_POSTGRES` names a server (`postgres://USER@HOST:PORT/DB`),
/// a new database on it.
pub async fn test_database_url(dir: &TempDir) -> String {
    match std::env::var("PUBDATA_TEST_POSTGRES") {
        Ok(server) if !server.is_empty() => {
            use sqlx::Connection;
            static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let name = format!(
                "t_{}_{}_{}",
                std::process::id(),
                N.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                rand::random::<u32>()
            );
            let mut c = sqlx::PgConnection::connect(&server)
                .await
                .expect("PUBDATA_TEST_POSTGRES server reachable");
            drop_finished_tests_databases(&mut c).await;
            sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                .execute(&mut c)
                .await
                .expect("create test database");
            c.close().await.ok();
            let base = server.rsplit_once('/').expect("URL has a database").0;
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}", dir.path().join("pubdata.db").display()),
    }
}

/// Drops the databases of test processes that have ended. Each test runs in
/// its own process (nextest) and names its databases `t_<pid>_…` or
/// `push_<pid>`; without this the suite leaves one database per test behind,
/// about 12 MB each, several GB in all, and a CI machine with a small disk
/// runs out of space. A test cannot drop its own database when it ends
/// (`Drop` cannot wait for the server), so the next test sweeps. Best effort:
/// two tests sweeping at once may race on one database, and a failed drop
/// is left for the next sweep.
async fn drop_finished_tests_databases(c: &mut sqlx::PgConnection) {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 't\\_%' OR datname LIKE 'push\\_%'",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap_or_default();
    for name in names {
        // Only the exact shapes the tests create (`t_<pid>_<n>_<random>`,
        // `push_<pid>`): a server named by PUBDATA_TEST_POSTGRES may hold
        // other databases that merely start with `t_`.
        let pid: Option<u32> = match name.split('_').collect::<Vec<_>>().as_slice() {
            ["t", pid, n, r] if n.parse::<u32>().is_ok() && r.parse::<u32>().is_ok() => {
                pid.parse().ok()
            }
            ["push", pid] => pid.parse().ok(),
            _ => None,
        };
        let Some(pid) = pid else { continue };
        if pid == std::process::id() || std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut *c)
            .await;
    }
}

pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn json_of(r: Response) -> (StatusCode, Value) {
    let status = r.status();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Asserts a problem+json answer with this status and code.
pub async fn assert_problem(r: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(r.status(), status, "status");
    assert_eq!(
        r.headers().get("content-type").unwrap().to_str().unwrap(),
        "application/problem+json"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], code, "problem code in {body}");
    assert_eq!(body["status"], status.as_u16());
    body
}
