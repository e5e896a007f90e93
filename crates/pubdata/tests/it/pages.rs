use reqwest::{Client, StatusCode};

use crate::common::*;

/// The value of a hidden form field in a page.
pub fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden field {name}"))
        + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

/// Signs in through the login page; returns a client holding the session cookie.
async fn sign_in(t: &TestApp, username: &str) -> Client {
    let c = client();
    let page = c
        .get(t.url("/login?next=/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf");
    let r = c
        .post(t.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{username} signs in");
    c
}

async fn page(t: &TestApp, c: &Client, path: &str) -> (StatusCode, String) {
    let r = c.get(t.url(path)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn every_demo_account_signs_in_on_the_page_and_sees_its_dashboard() {
    let t = TestApp::demo().await;
    for (user, org) in [
        ("admin", "清远市政务服务和数据管理局"),
        ("qy-sjj", "清远市政务服务和数据管理局"),
        ("qy-gaj", "清远市公安局"),
        ("qy-scjgj", "清远市市场监督管理局"),
        ("qy-mzj", "清远市民政局"),
        ("qy-rsj", "清远市人力资源和社会保障局"),
        ("yd-sjj", "英德市政务服务和数据管理局"),
        ("yd-mzj", "英德市民政局"),
        ("auditor", "清远市政务服务和数据管理局"),
        ("ent-demo", "清远市示范数据科技有限公司"),
        ("citizen-demo", "（无）"),
    ] {
        let c = sign_in(&t, user).await;
        let (status, html) = page(&t, &c, "/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("工作台"), "{user}: zh-CN dashboard");
        assert!(html.contains(org), "{user}: shows {org}");
        assert!(html.contains("待办事项"), "{user}: pending work section");
    }
}

#[tokio::test]
async fn a_wrong_password_on_the_page_says_so_and_pages_need_a_session() {
    let t = TestApp::demo().await;
    let c = client();
    let r = c.get(t.url("/users")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?next=/users");
    let login = c
        .get(t.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = c
        .post(t.url("/login"))
        .form(&[
            ("csrf", hidden(&login, "csrf").as_str()),
            ("username", "qy-gaj"),
            ("password", "wrong-password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("用户名或密码错误"));
    // A login form posted without the login page's token is refused.
    let r = client()
        .post(t.url("/login"))
        .form(&[
            ("csrf", "forged"),
            ("username", "qy-gaj"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("表单已过期"));
}

#[tokio::test]
async fn the_language_switch_turns_pages_english() {
    let t = TestApp::demo().await;
    let c = sign_in(&t, "qy-gaj").await;
    let r = c.get(t.url("/lang?to=en&next=/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&t, &c, "/").await;
    assert!(html.contains("Dashboard") && html.contains("lang=\"en\""));
    assert!(!html.contains("工作台"));
}

#[tokio::test]
async fn an_admin_manages_users_on_the_pages_and_forms_need_the_csrf_token() {
    let t = TestApp::demo().await;
    let c = sign_in(&t, "admin").await;
    let (status, html) = page(&t, &c, "/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("qy-gaj") && html.contains("citizen-demo"));
    let csrf = hidden(&html, "csrf");
    let org = t.org_id("qy-wjj").await.to_string();
    let r = c
        .post(t.url("/users"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "qy-wjj"),
            ("display_name", "卫健局数据管理员"),
            ("password", "a-long-password"),
            ("kind", "staff"),
            ("org_id", org.as_str()),
            ("role", "agency_data_admin"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let (_, html) = page(&t, &c, &location).await;
    assert!(html.contains("卫健局数据管理员") && html.contains("部门数据管理员"));

    // The same form without the token changes nothing.
    let r = c
        .post(t.url("/users"))
        .form(&[
            ("csrf", ""),
            ("username", "qy-x"),
            ("display_name", "x"),
            ("password", "a-long-password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        t.app
            .store
            .get_user_by_username("qy-x")
            .await
            .unwrap()
            .is_none()
    );

    // A form error is shown on the page.
    let r = c
        .post(t.url("/users"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "qy-y"),
            ("display_name", "y"),
            ("password", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("password"));
}

#[tokio::test]
async fn agency_staff_see_no_admin_pages() {
    let t = TestApp::demo().await;
    let c = sign_in(&t, "qy-mzj").await;
    let (_, html) = page(&t, &c, "/").await;
    assert!(!html.contains("href=\"/audit\""));
    let (status, html) = page(&t, &c, "/audit").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("无权"));
    let (status, _) = page(&t, &c, "/orgs").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "everyone sees the organisation tree"
    );
}

#[tokio::test]
async fn an_agency_admin_creates_a_token_on_the_page_and_sees_it_once() {
    let t = TestApp::demo().await;
    let c = sign_in(&t, "qy-scjgj").await;
    let (_, html) = page(&t, &c, "/tokens").await;
    let r = c
        .post(t.url("/tokens"))
        .form(&[
            ("csrf", hidden(&html, "csrf").as_str()),
            ("name", "企业登记推送"),
        ])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"new-token\">pat_"));
    let (_, again) = page(&t, &c, "/tokens").await;
    assert!(again.contains("企业登记推送") && !again.contains("id=\"new-token\""));
}

#[tokio::test]
async fn calendar_and_audit_pages_work() {
    let t = TestApp::demo().await;
    let c = sign_in(&t, "admin").await;
    let (_, html) = page(&t, &c, "/calendar?from=2026-09-30&days=5").await;
    assert!(html.contains("id=\"due-date\">2026-10-13<"));
    let (_, html) = page(&t, &c, "/calendar?from=2026-12-30&days=5").await;
    assert!(html.contains("2027"), "unknown year is explained");
    let csrf = hidden(&html, "csrf");
    let r = c
        .post(t.url("/calendar/years"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("year", "2027"),
            ("source", "测试"),
            ("off", "2027-01-01\n2027-02-06..2027-02-13"),
            ("work", "2027-02-14"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&t, &c, "/calendar?from=2026-12-28&days=5").await;
    assert!(html.contains("id=\"due-date\">2027-01-05<"));

    let a = sign_in(&t, "auditor").await;
    // The filter form sends every field, empty ones included.
    let (status, html) = page(
        &t,
        &a,
        "/audit?actor=&action=calendar.put_year&target=&outcome=&since=&until=",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("calendar:2027"));
}

#[tokio::test]
async fn an_admin_renames_an_org_on_its_page_and_others_only_view_it() {
    let t = TestApp::demo().await;
    let id = t.org_id("qy-tjj").await;
    let c = sign_in(&t, "admin").await;
    let (status, html) = page(&t, &c, &format!("/orgs/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("清远市统计局") && html.contains("id=\"org-edit\""));
    let r = c
        .post(t.url(&format!("/orgs/{id}")))
        .form(&[
            ("csrf", hidden(&html, "csrf").as_str()),
            ("name", "清远市统计局（普查中心）"),
            ("name_en", ""),
            ("parent_id", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        t.app.store.get_org(id).await.unwrap().name,
        "清远市统计局（普查中心）"
    );

    let other = sign_in(&t, "qy-mzj").await;
    let (status, html) = page(&t, &other, &format!("/orgs/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("id=\"org-edit\""));
    let r = other
        .post(t.url(&format!("/orgs/{id}")))
        .form(&[("csrf", hidden(&html, "csrf").as_str()), ("name", "被篡改")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        t.app.store.get_org(id).await.unwrap().name,
        "清远市统计局（普查中心）"
    );
}
