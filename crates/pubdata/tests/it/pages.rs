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
pub async fn sign_in(t: &TestApp, username: &str) -> Client {
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
        t.store
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
    // The form again, beside its error, with the error's status.
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
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
    // The platform as shipped: the demo's placeholder years go.
    t.sql("DELETE FROM calendar_years WHERE year > 2026").await;
    t.app.reload_calendar().await.unwrap();
    let c = sign_in(&t, "admin").await;
    let (_, html) = page(&t, &c, "/calendar?from=2026-09-30&days=5").await;
    assert!(html.contains("id=\"due-date\">2026-10-13<"));
    let (_, html) = page(&t, &c, "/calendar?from=2026-12-30&days=5").await;
    assert!(html.contains("2027"), "unknown year is explained");
    let next = chrono::Datelike::year(&pubdata_domain::calendar::today_cst()) + 1;
    if next == 2027 {
        // Next year's schedule is missing: the keepers are told.
        assert!(
            html.contains("id=\"calendar-gap\"") && html.contains("2027年的法定节假日安排尚未录入"),
            "the missing year is flagged"
        );
    }
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
    if next == 2027 {
        assert!(!html.contains("id=\"calendar-gap\""), "no gap once entered");
    }

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
        t.store.get_org(id).await.unwrap().name,
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
        t.store.get_org(id).await.unwrap().name,
        "清远市统计局（普查中心）"
    );
}

#[tokio::test]
async fn an_agency_drafts_on_the_editor_with_rules_shown_and_the_authority_approves_on_the_page() {
    let t = TestApp::demo().await;
    let c = sign_in(&t, "qy-mzj").await;
    let (status, html) = page(&t, &c, "/catalog/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("有条件共享须写明条件和依据"),
        "rules explained inline"
    );
    let csrf = hidden(&html, "csrf");
    let form = |share_basis: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("name", "婚姻登记信息".to_string()),
            ("summary", "全市婚姻登记记录".to_string()),
            ("classification", "206".to_string()),
            ("grade", "L3".to_string()),
            ("data_form", "database".to_string()),
            (
                "items",
                "公民身份号码|string|是\n登记日期|date|否".to_string(),
            ),
            ("share_type", "conditional".to_string()),
            ("share_conditions", "用于婚姻状况核验".to_string()),
            ("share_basis", share_basis.to_string()),
            ("share_scope", "全市".to_string()),
            ("share_modes", "api".to_string()),
            ("share_modes", "file".to_string()),
            ("open_attribute", "none".to_string()),
            ("open_clauses", "privacy_without_consent".to_string()),
            ("open_conditions", String::new()),
            ("open_grounds", "涉及个人信息".to_string()),
            ("update_frequency", "daily".to_string()),
            ("keywords", "婚姻，登记".to_string()),
        ]
    };
    // A conditional share without a basis is refused with the field named.
    let r = c
        .post(t.url("/catalog/new"))
        .form(&form(""))
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"field-errors\"") && html.contains("share_basis"),
        "{html}"
    );
    let r = c
        .post(t.url("/catalog/new"))
        .form(&form("《婚姻登记条例》"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let (_, html) = page(&t, &c, &location).await;
    assert!(
        html.contains("婚姻登记信息") && html.contains("编制中") && html.contains("接口、文件")
    );
    let r = c
        .post(t.url(&format!("{location}/submit")))
        .form(&[("csrf", hidden(&html, "csrf"))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&t, &c, &location).await;
    assert!(html.contains("id=\"review-due\""), "the due date is shown");

    // The dashboard of the agency shows the outgoing review; the authority's shows it pending.
    let (_, home) = page(&t, &c, "/").await;
    assert!(home.contains("id=\"outgoing-list\"") && home.contains("婚姻登记信息"));
    let a = sign_in(&t, "qy-sjj").await;
    let (_, home) = page(&t, &a, "/").await;
    assert!(home.contains("id=\"pending-list\"") && home.contains("目录审核"));
    let (_, queue) = page(&t, &a, "/catalog/review").await;
    assert!(queue.contains("婚姻登记信息"));
    let (_, html) = page(&t, &a, &location).await;
    let r = a
        .post(t.url(&format!("{location}/review")))
        .form(&[
            ("csrf", hidden(&html, "csrf").as_str()),
            ("decision", "approve"),
            ("reason", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&t, &a, &location).await;
    assert!(html.contains("已发布"));

    // The published entry is found by search on the catalogue page.
    let other = sign_in(&t, "qy-gaj").await;
    let (_, html) = page(&t, &other, "/catalog?q=婚姻").await;
    assert!(html.contains("婚姻登记信息"));
}

#[tokio::test]
async fn the_collection_page_refuses_a_second_source_naming_the_owner() {
    let t = TestApp::demo().await;
    let gaj = sign_in(&t, "qy-gaj").await;
    let (_, html) = page(&t, &gaj, "/collection").await;
    let r = gaj
        .post(t.url("/collection"))
        .form(&[
            ("csrf", hidden(&html, "csrf").as_str()),
            ("data_item", "公民身份号码"),
            ("basis", "《居民身份证法》"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("已保存"));
    let mzj = sign_in(&t, "qy-mzj").await;
    let (_, html) = page(&t, &mzj, "/collection").await;
    let r = mzj
        .post(t.url("/collection"))
        .form(&[
            ("csrf", hidden(&html, "csrf").as_str()),
            ("data_item", "公民身份号码"),
            ("basis", "婚姻登记"),
        ])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("清远市公安局"), "names the owner");
    let (_, html) = page(&t, &mzj, "/collection?q=身份").await;
    assert!(html.contains("id=\"item-results\"") && html.contains("清远市公安局"));
}

#[tokio::test]
async fn not_shared_entries_are_filed_with_the_authority_and_the_scheme_page_is_the_authoritys() {
    let t = TestApp::demo().await;
    let gaj = t.login("qy-gaj").await;
    let mut e = crate::catalog::population_entry();
    e["name"] = serde_json::json!("出入境证件信息");
    e["share_type"] = serde_json::json!("none");
    e["share_basis"] = serde_json::json!("《中华人民共和国出境入境管理法》");
    let (status, _) = t.post("/api/v1/catalog/entries", &gaj, e).await;
    assert_eq!(status, StatusCode::CREATED);
    let a = sign_in(&t, "qy-sjj").await;
    let (_, html) = page(&t, &a, "/catalog/review").await;
    let filed = &html[html.find("id=\"filed-list\"").unwrap()..];
    assert!(filed.contains("出入境证件信息") && filed.contains("出境入境管理法"));

    let (_, html) = page(&t, &a, "/catalog/scheme").await;
    assert!(html.contains("id=\"class-form\""), "{html}");
    let r = a
        .post(t.url("/catalog/scheme/classes"))
        .form(&[
            ("csrf", hidden(&html, "csrf").as_str()),
            ("parent", "2"),
            ("code", "213"),
            ("name", "应急管理"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("应急管理"));
    let m = sign_in(&t, "qy-mzj").await;
    let (_, html) = page(&t, &m, "/catalog/scheme").await;
    assert!(!html.contains("id=\"class-form\"") && html.contains("应急管理"));
}

#[tokio::test]
async fn an_agency_defines_a_dataset_uploads_on_the_page_and_sees_the_report_of_a_bad_file() {
    let t = TestApp::demo().await;
    let (entry, _) = crate::catalog::published_population_entry(&t).await;

    let c = sign_in(&t, "qy-gaj").await;
    let (_, html) = page(&t, &c, "/datasets").await;
    assert!(html.contains("id=\"dataset-form\""));
    let r = c
        .post(t.url("/datasets"))
        .form(&[
            ("csrf", hidden(&html, "csrf").as_str()),
            ("entry_id", entry.to_string().as_str()),
            ("name", "户籍人口"),
            (
                "columns",
                "公民身份号码|string|否|id_card\n姓名|string|否\n出生日期|date",
            ),
            ("key", "公民身份号码"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let (_, html) = page(&t, &c, &location).await;
    assert!(html.contains("id=\"upload-form\"") && html.contains("尚未汇聚数据"));

    let upload = |csv: &'static str| {
        reqwest::multipart::Form::new()
            .text("csrf", hidden(&html, "csrf"))
            .part(
                "file",
                reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("人口.csv"),
            )
    };
    let r = c
        .post(t.url(&format!("{location}/upload")))
        .multipart(upload(
            "公民身份号码,姓名,出生日期\n11010519491231002X,张三,1949-12-31\n",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c
        .post(t.url(&format!("{location}/upload")))
        .multipart(upload(
            "公民身份号码,姓名,出生日期\n110105194912310021,李四,1949-12-31\n",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"load-report\"")
            && html.contains("id_card")
            && html.contains("110105194912310021")
    );
    assert!(
        html.contains("id=\"current-version\">v1<"),
        "the previous version stays"
    );
    let (_, html) = page(&t, &c, &format!("{location}?key=11010519491231002X")).await;
    assert!(html.contains("id=\"row-history\"") && html.contains("张三"));

    // Without the form's token the upload is refused.
    let forged = reqwest::multipart::Form::new().text("csrf", "forged").part(
        "file",
        reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("x.csv"),
    );
    let r = c
        .post(t.url(&format!("{location}/upload")))
        .multipart(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_base_database_page_shows_sources_and_looks_up_a_record_for_the_authority() {
    let t = TestApp::full_demo().await;
    let a = sign_in(&t, "qy-sjj").await;
    let (status, html) = page(&t, &a, "/base").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("人口基础库")
            && html.contains("清远市公安局")
            && html.contains("清远市市场监督管理局")
    );
    let d = t.store.list_datasets(None, None, 100).await.unwrap();
    let pop = d.iter().find(|x| x.name == "户籍人口").unwrap();
    let (key, values) = t
        .store
        .dataset_rows(pop, None, None, 1)
        .await
        .unwrap()
        .remove(0);
    let (_, html) = page(&t, &a, &format!("/base?base=population&key={key}")).await;
    let name = values[1].clone().unwrap();
    assert!(
        html.contains("id=\"base-record\"") && html.contains(&name),
        "{name}"
    );
}

/// 系统状态: auditors and administrators see the backend, this server and who
/// runs each background job; agencies do not.
#[tokio::test]
async fn the_system_page_shows_the_servers_jobs_to_auditors_only() {
    let t = TestApp::demo().await;
    let c = sign_in(&t, "auditor").await;
    let page = c
        .get(t.url("/system"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"system-jobs\""), "{page}");
    let backend = if t.on_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    assert!(
        page.contains(&format!("id=\"system-backend\">{backend}<")),
        "{page}"
    );
    assert!(
        page.contains("期限巡检") && page.contains(t.app.instance()),
        "{page}"
    );
    let home = c
        .get(t.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("id=\"nav-system\""));
    let c = sign_in(&t, "qy-gaj").await;
    let r = c.get(t.url("/system")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// Every form a page posts goes through `CsrfForm`: without the session's
/// token, or with another, it answers 403 before the handler runs (so even a
/// form for something that does not exist, or one missing its fields, is
/// refused as such) and changes nothing; without a session it goes to the
/// login page.
#[tokio::test]
async fn every_page_form_refuses_a_post_without_the_sessions_csrf_token() {
    let t = TestApp::demo().await;
    let c = sign_in(&t, "admin").await;
    let forms = [
        "/logout",
        "/orgs",
        "/orgs/1",
        "/users",
        "/users/1",
        "/users/1/roles",
        "/users/1/roles/1/revoke",
        "/tokens",
        "/tokens/1/revoke",
        "/calendar/years",
        "/catalog/new",
        "/catalog/entries/1/edit",
        "/catalog/entries/1/submit",
        "/catalog/entries/1/consent",
        "/catalog/entries/1/review",
        "/catalog/entries/1/delist",
        "/catalog/entries/1/update-obligation",
        "/catalog/scheme/grades",
        "/catalog/scheme/classes",
        "/collection",
        "/datasets",
        "/datasets/exemptions",
        "/datasets/1/pull-source",
        "/datasets/1/pull",
        "/base/population/fields",
        "/sharing/new",
        "/sharing/requests/1/decision",
        "/sharing/grants/1/implement",
        "/sharing/grants/1/revoke",
        "/sharing/grants/1/verify",
        "/sharing/grants/1/usage-reports",
        "/sharing/grants/1/push-target",
        "/sharing/grants/1/push",
        "/sharing/demands",
        "/sharing/demands/1/answer",
        "/sharing/grants/1/deliveries",
        "/sharing/backflow",
    ];
    for path in forms {
        for token in [None, Some(""), Some("forged")] {
            let mut form = vec![("name", "x")];
            if let Some(token) = token {
                form.push(("csrf", token));
            }
            let r = c.post(t.url(path)).form(&form).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path} with {token:?}");
            assert!(r.text().await.unwrap().contains("CSRF"), "{path}");
        }
    }
    // A complete, valid grade without the token is not saved.
    let r = c
        .post(t.url("/catalog/scheme/grades"))
        .form(&[
            ("code", "L9"),
            ("name", "不该保存"),
            ("rank", "9"),
            ("allows_unconditional_share", "false"),
            ("max_open", "none"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, html) = page(&t, &c, "/catalog/scheme").await;
    assert!(!html.contains("不该保存"));
    // Logout was refused too: the session still works.
    let (status, _) = page(&t, &c, "/").await;
    assert_eq!(status, StatusCode::OK);
    // Without a session the form leads to the login page.
    let r = client()
        .post(t.url("/catalog/scheme/grades"))
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
}

/// Pages and the API share one error policy: a refused service call shows
/// the error page with 403, its title and the problem's code — in Chinese,
/// or English after the switch — never the page with an empty list.
#[tokio::test]
async fn a_page_whose_service_call_is_refused_shows_403_not_an_empty_list() {
    let t = TestApp::demo().await;
    // 市民 王小明 acts for no organisation: the dataset list is refused.
    let c = sign_in(&t, "citizen-demo").await;
    let (status, html) = page(&t, &c, "/datasets").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("403 禁止访问") && html.contains("<code>forbidden</code>"));
    assert!(html.contains("您的角色无权进行此操作"));
    assert!(
        !html.contains("id=\"dataset-list\""),
        "no (empty) list: {html}"
    );
    c.get(t.url("/lang?to=en")).send().await.unwrap();
    let (status, html) = page(&t, &c, "/datasets").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("403 Forbidden") && html.contains("Your roles do not allow this."));
    // What the page only offers those allowed is not asked for at all:
    // the dashboard and the data-item search still work.
    for path in ["/", "/collection"] {
        let (status, _) = page(&t, &c, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
}

/// A database outage on a page is the 503 error page naming
/// `database_unavailable` (with `Retry-After`), not an empty catalogue and
/// not the login page — and the pages work again when the database returns.
#[tokio::test]
async fn a_database_outage_shows_503_on_the_page_not_an_empty_list() {
    use crate::scale::{PG_CLUSTER, pg_cluster};
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
    let c = sign_in(&t, "qy-gaj").await;
    let (status, html) = page(&t, &c, "/catalog").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"entry-list\""));

    pg_cluster(&["kill", data]);
    for path in ["/catalog", "/"] {
        let r = c.get(t.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert!(r.headers().contains_key("retry-after"), "{path}");
        let html = r.text().await.unwrap();
        assert!(html.contains("503 服务暂不可用"), "{path}: {html}");
        assert!(html.contains("<code>database_unavailable</code>"), "{path}");
        assert!(!html.contains("id=\"entry-list\""), "{path}");
    }

    pg_cluster(&["start", data, &port]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, _) = page(&t, &c, "/catalog").await;
        if status == StatusCode::OK {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the page did not come back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}
