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
        let size = pubdata_service::demo_datasets::DemoSize {
            population: 3000,
            enterprises: 1500,
        };
        t.app.seed_demo_sized(size).await.expect("demo seeds");
        t
    }

    /// The platform as `pubdata serve` starts it: no accounts at all.
    pub async fn empty() -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let db_url = format!("sqlite://{}", dir.path().join("pubdata.db").display());
        let store = pubdata_store::open(&db_url).await.expect("store opens");
        let app = App::new(store).await.expect("app starts");
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
            client: client(),
            _dir: dir,
            stop: Some(stop),
            server: Some(server),
        }
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
        self.app
            .store
            .get_org_by_code(code)
            .await
            .unwrap()
            .unwrap()
            .id
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
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
