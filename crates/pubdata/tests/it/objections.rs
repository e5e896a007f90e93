//! Objections and corrections (异议与更正, OBJ-1, Art. 28): a data user's
//! report, a data subject's objection, what each may see, the source
//! department's correction as a new version or its confirmation, proof
//! documents and the deadline.

use pubdata_service::demo::objections::{DEMO_PNG, citizen_demo_id_card_no};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;
use crate::sharing::{granted, shared_population};

fn request(entry: i64, fields: &[&str]) -> Value {
    json!({
        "entry_id": entry,
        "scenario": "最低生活保障资格审核",
        "using_unit": "清远市民政局社会救助科",
        "fields": fields,
        "mode": "api",
        "until": "2027-12-31",
        "purpose": "核对低保申请人身份信息"
    })
}

/// The population dataset with citizen-demo's record added, and 市民政局
/// granted 公民身份号码, 姓名 and 出生日期: (dataset, qy-gaj token).
async fn setup(t: &TestApp) -> (i64, String) {
    let (entry, ds, gaj) = shared_population(t).await;
    let (status, v) = t
        .post(
            &format!("/api/v1/datasets/{ds}/records"),
            &gaj,
            json!({"upsert": [{"公民身份号码": citizen_demo_id_card_no(), "姓名": "王小明",
                               "出生日期": "1985-06-01", "行政区划": "清城区"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    granted(
        t,
        "qy-mzj",
        request(entry, &["公民身份号码", "姓名", "出生日期"]),
        json!({"approve": true, "masks": {"姓名": "none", "公民身份号码": "keep:6,4"}}),
    )
    .await;
    (ds, gaj)
}

fn objection(ds: i64, key: &str, field: &str) -> Value {
    json!({"dataset_id": ds, "key": {"公民身份号码": key}, "field": field,
           "description": "与申请人提供的户口簿不一致"})
}

async fn denied_reads(t: &TestApp, ds: i64) -> usize {
    t.store
        .audit_batch(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| {
            r.event.action == "dataset.read"
                && r.event.target == format!("dataset:{ds}")
                && r.event.detail["basis"] == "objection"
                && r.event.detail["refused"].is_string()
        })
        .count()
}

async fn rows_at(t: &TestApp, token: &str, ds: i64, version: Option<i64>) -> Vec<Value> {
    let q = version.map(|v| format!("?version={v}")).unwrap_or_default();
    let (status, r) = t
        .get(&format!("/api/v1/datasets/{ds}/rows{q}"), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    r["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_data_users_objection_is_corrected_as_a_new_version_and_the_objector_sees_before_and_after()
 {
    let t = TestApp::demo().await;
    let (ds, gaj) = setup(&t).await;
    let mzj = t.login("qy-mzj").await;
    let versions_before = rows_at(&t, &gaj, ds, None).await.len();
    let (_, d) = t.get(&format!("/api/v1/datasets/{ds}"), &gaj).await;
    let about = d["current_version"].as_i64().unwrap();

    let mut body = objection(ds, "441802199001010017", "姓名");
    body["claimed_value"] = json!("王小伍");
    let (status, o) = t.post("/api/v1/objections", &mzj, body).await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    let id = o["id"].as_i64().unwrap();
    assert_eq!(o["state"], "open");
    assert_eq!(o["channel"], "data_user");
    assert_eq!(o["about_version"], about);
    assert_eq!(o["deadline"]["working_days_left"], 5, "{o}");
    assert!(o["proceed_notice"].as_str().unwrap().contains("证明材料"));
    // A case for the source department, under Art. 28.
    let cases = t
        .store
        .list_cases(&pubdata_service::model::CaseFilter {
            subject: Some(format!("objection:{id}")),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].kind.as_str(), "objection");
    assert_eq!(cases[0].responder_org, t.org_id("qy-gaj").await);
    assert!(cases[0].basis.contains("第二十八条"));

    // The source sees it incoming; the data user among its own.
    let (_, incoming) = t.get("/api/v1/objections?side=incoming", &gaj).await;
    assert!(incoming.as_array().unwrap().iter().any(|x| x["id"] == id));
    let (_, mine) = t.get("/api/v1/objections?side=mine", &mzj).await;
    assert!(mine.as_array().unwrap().iter().any(|x| x["id"] == id));
    let (_, none) = t.get("/api/v1/objections?side=incoming", &mzj).await;
    assert!(none.as_array().unwrap().is_empty(), "{none}");

    // Only the source department resolves it; the refusal is recorded.
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/objections/{id}/resolution"),
            Some(&mzj),
            Some(json!({"outcome": "confirmed", "reply": "无误"})),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let refused = t
        .store
        .audit_batch(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.event.action == "objection.resolve" && r.event.actor == "qy-mzj")
        .count();
    assert_eq!(refused, 1);
    // A confirmation needs a reply.
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/objections/{id}/resolution"),
            Some(&gaj),
            Some(json!({"outcome": "confirmed", "reply": "  "})),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "reply_required").await;
    // A correction failing the dataset's checks changes nothing.
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/objections/{id}/resolution"),
            Some(&gaj),
            Some(json!({"outcome": "corrected", "corrections": {"出生日期": "not a date"}})),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "correction_rejected").await;
    let (_, d) = t.get(&format!("/api/v1/datasets/{ds}"), &gaj).await;
    assert_eq!(d["current_version"], about, "nothing was written");

    let (status, o) = t
        .post(
            &format!("/api/v1/objections/{id}/resolution"),
            &gaj,
            json!({"outcome": "corrected", "reply": "经核查户籍档案，姓名已更正",
                   "corrections": {"姓名": "王小伍"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["state"], "corrected");
    let new_version = o["correction_version"].as_i64().unwrap();
    assert_eq!(new_version, about + 1);
    // The old version is unchanged; the new one holds the correction.
    let old = rows_at(&t, &gaj, ds, Some(about)).await;
    let now = rows_at(&t, &gaj, ds, None).await;
    assert_eq!(now.len(), versions_before);
    let name_of = |rows: &[Value]| {
        rows.iter()
            .find(|r| r["公民身份号码"] == "441802199001010017")
            .unwrap()["姓名"]
            .clone()
    };
    assert_eq!(name_of(&old), "王小五");
    assert_eq!(name_of(&now), "王小伍");
    let (_, versions) = t
        .get(&format!("/api/v1/datasets/{ds}/versions"), &gaj)
        .await;
    let listed = versions
        .as_array()
        .or_else(|| versions["items"].as_array())
        .unwrap_or_else(|| panic!("{versions}"));
    assert!(
        listed
            .iter()
            .any(|v| v["version"] == new_version && v["source"] == format!("objection:{id}")),
        "{versions}"
    );
    // The case is closed.
    let cases = t
        .store
        .list_cases(&pubdata_service::model::CaseFilter {
            subject: Some(format!("objection:{id}")),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(cases[0].state.as_str(), "closed");
    assert_eq!(cases[0].outcome.as_deref(), Some("corrected"));
    // Resolved once only.
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/objections/{id}/resolution"),
            Some(&gaj),
            Some(json!({"outcome": "confirmed", "reply": "无误"})),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "objection_resolved").await;

    // The objector sees before and after, only its granted fields.
    let (status, o) = t.get(&format!("/api/v1/objections/{id}"), &mzj).await;
    assert_eq!(status, StatusCode::OK, "{o}");
    let record = o["record"].as_array().unwrap();
    let fields: Vec<&str> = record
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["公民身份号码", "姓名", "出生日期"]);
    let name = record.iter().find(|f| f["field"] == "姓名").unwrap();
    assert_eq!(name["before"], "王小五");
    assert_eq!(name["after"], "王小伍");
    assert_eq!(name["changed"], true);
    // As granted: the identity number masked.
    let idno = record
        .iter()
        .find(|f| f["field"] == "公民身份号码")
        .unwrap();
    assert_eq!(idno["before"], "441802********0017");
    assert_eq!(o["reply"], "经核查户籍档案，姓名已更正");
    // The source sees every field; an unrelated agency nothing at all.
    let (_, o) = t.get(&format!("/api/v1/objections/{id}"), &gaj).await;
    assert_eq!(o["record"].as_array().unwrap().len(), 4);
    let rsj = t.login("qy-rsj").await;
    let r = t
        .call(
            Method::GET,
            &format!("/api/v1/objections/{id}"),
            Some(&rsj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn an_objection_on_data_one_cannot_see_is_refused_without_revealing_the_record() {
    let t = TestApp::demo().await;
    let (ds, _) = setup(&t).await;
    // No grant at all.
    let rsj = t.login("qy-rsj").await;
    let r = t
        .call(
            Method::POST,
            "/api/v1/objections",
            Some(&rsj),
            Some(objection(ds, "441802199001010017", "姓名")),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "grant_required").await;
    // A field outside the grant.
    let mzj = t.login("qy-mzj").await;
    let r = t
        .call(
            Method::POST,
            "/api/v1/objections",
            Some(&mzj),
            Some(objection(ds, "441802199001010017", "行政区划")),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "field_not_granted").await;

    // Backflow to 英德市: a 清城区 record and a record that does not exist
    // answer alike.
    let sjj = t.login("qy-sjj").await;
    let (status, g) = t
        .post(
            "/api/v1/grants",
            &sjj,
            json!({
                "dataset_id": ds, "grantee_org": t.org_id("yd-mzj").await,
                "fields": ["公民身份号码", "姓名"],
                "row_filter": {"field": "行政区划", "values": ["英德市"]},
                "mode": "api", "until": "2027-12-31",
                "scenario": "英德市低保资格复核", "purpose": "回流英德市户籍人口",
                "using_unit": "英德市民政局"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let yd = t.login("yd-mzj").await;
    let outside = t
        .call(
            Method::POST,
            "/api/v1/objections",
            Some(&yd),
            Some(objection(ds, "440524188001010014", "姓名")),
        )
        .await;
    let outside = assert_problem(outside, StatusCode::NOT_FOUND, "not_found").await;
    let missing = t
        .call(
            Method::POST,
            "/api/v1/objections",
            Some(&yd),
            Some(objection(ds, "110105194912310021", "姓名")),
        )
        .await;
    let missing = assert_problem(missing, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(outside["detail"], missing["detail"], "no difference leaks");
    // Inside its rows, it may object.
    let (status, o) = t
        .post(
            "/api/v1/objections",
            &yd,
            objection(ds, "441802199001010017", "姓名"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    assert_eq!(denied_reads(&t, ds).await, 4, "every refusal is recorded");
    let (_, list) = t.get("/api/v1/objections", &rsj).await;
    assert!(list.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_data_subject_objects_only_about_their_own_record() {
    let t = TestApp::demo().await;
    let (ds, gaj) = setup(&t).await;
    let citizen = t.login("citizen-demo").await;
    let own = citizen_demo_id_card_no();
    let (status, o) = t
        .post(
            "/api/v1/objections",
            &citizen,
            json!({"dataset_id": ds, "key": {"公民身份号码": own}, "field": "出生日期",
                   "claimed_value": "1985-06-11", "description": "出生日期登记有误"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    assert_eq!(o["channel"], "subject_online");
    assert_eq!(o["subject_id_card_no"], own);
    let id = o["id"].as_i64().unwrap();
    // Another person's record: refused, and recorded.
    let r = t
        .call(
            Method::POST,
            "/api/v1/objections",
            Some(&citizen),
            Some(objection(ds, "441802199001010017", "姓名")),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    assert_eq!(denied_reads(&t, ds).await, 1);

    // The agency corrects; the citizen sees the result, every field of their record.
    let (status, _) = t
        .post(
            &format!("/api/v1/objections/{id}/resolution"),
            &gaj,
            json!({"outcome": "corrected", "corrections": {"出生日期": "1985-06-11"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, o) = t.get(&format!("/api/v1/objections/{id}"), &citizen).await;
    assert_eq!(o["state"], "corrected");
    let birth = o["record"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "出生日期")
        .unwrap()
        .clone();
    assert_eq!(
        (birth["before"].clone(), birth["after"].clone()),
        (json!("1985-06-01"), json!("1985-06-11"))
    );
    let (_, mine) = t.get("/api/v1/objections?side=mine", &citizen).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);

    // Counter staff of a grantee, for a person: only that person's record.
    let mzj = t.login("qy-mzj").await;
    let mut body = objection(ds, "441802199001010017", "姓名");
    body["subject_id_card_no"] = json!(own);
    let r = t
        .call(Method::POST, "/api/v1/objections", Some(&mzj), Some(body))
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let mut body = objection(ds, &own, "姓名");
    body["subject_id_card_no"] = json!(own);
    let (status, o) = t.post("/api/v1/objections", &mzj, body).await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    assert_eq!(o["channel"], "subject_counter");
    // An invalid identity number is a bad request body, not a refusal.
    let mut body = objection(ds, &own, "姓名");
    body["subject_id_card_no"] = json!("123");
    let r = t
        .call(Method::POST, "/api/v1/objections", Some(&mzj), Some(body))
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
}

async fn upload(
    t: &TestApp,
    token: &str,
    id: i64,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    t.client
        .post(t.url(&format!("/api/v1/objections/{id}/proofs")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn proofs_are_size_limited_typed_by_content_and_downloaded_only_by_those_concerned() {
    let t = TestApp::demo().await;
    let (ds, gaj) = setup(&t).await;
    let citizen = t.login("citizen-demo").await;
    let (status, o) = t
        .post(
            "/api/v1/objections",
            &citizen,
            json!({"dataset_id": ds, "key": {"公民身份号码": citizen_demo_id_card_no()},
                   "field": "姓名", "description": "姓名用字有误"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    let id = o["id"].as_i64().unwrap();

    let r = upload(&t, &citizen, id, "户口簿.png", DEMO_PNG.to_vec()).await;
    let (status, proof) = json_of(r).await;
    assert_eq!(status, StatusCode::CREATED, "{proof}");
    assert_eq!(proof["media_type"], "image/png");
    let proof_id = proof["id"].as_i64().unwrap();
    // Too large (over 5 MiB), by the body limit or by the count.
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(5 * 1024 * 1024 + 1, b' ');
    let r = upload(&t, &citizen, id, "big.pdf", big).await;
    assert_problem(r, StatusCode::PAYLOAD_TOO_LARGE, "proof_too_large").await;
    let r = upload(&t, &citizen, id, "huge.pdf", vec![b'%'; 7 * 1024 * 1024]).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A name that says PDF does not make it one.
    let r = upload(
        &t,
        &citizen,
        id,
        "proof.pdf",
        b"MZ\x90\x00 not a pdf".to_vec(),
    )
    .await;
    assert_problem(
        r,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "proof_type_unsupported",
    )
    .await;
    // Only the objector attaches.
    let r = upload(&t, &gaj, id, "x.png", DEMO_PNG.to_vec()).await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;

    let (_, o) = t.get(&format!("/api/v1/objections/{id}"), &citizen).await;
    assert_eq!(o["proofs"].as_array().unwrap().len(), 1);
    // The objector and the source download it; others do not see it.
    for who in [&citizen, &gaj] {
        let r = t
            .call(
                Method::GET,
                &format!("/api/v1/objections/{id}/proofs/{proof_id}"),
                Some(who),
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "image/png");
        assert_eq!(r.bytes().await.unwrap().as_ref(), DEMO_PNG);
    }
    for user in ["qy-mzj", "ent-demo"] {
        let token = t.login(user).await;
        let r = t
            .call(
                Method::GET,
                &format!("/api/v1/objections/{id}/proofs/{proof_id}"),
                Some(&token),
                None,
            )
            .await;
        assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
    }
}

#[tokio::test]
async fn an_objection_not_answered_in_five_working_days_turns_overdue() {
    let t = TestApp::demo().await;
    let (ds, _) = setup(&t).await;
    let mzj = t.login("qy-mzj").await;
    let (status, o) = t
        .post(
            "/api/v1/objections",
            &mzj,
            objection(ds, "441802199001010017", "姓名"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    let id = o["id"].as_i64().unwrap();
    t.sql(&format!(
        "UPDATE objections SET due_on = '2026-01-09' WHERE id = {id};
         UPDATE cases SET opened_on = '2026-01-02', due_on = '2026-01-09' WHERE subject = 'objection:{id}'"
    ))
    .await;
    let swept = t.app.sweep_deadlines().await.unwrap();
    assert!(swept.iter().any(|c| c.subject == format!("objection:{id}")));
    let (_, o) = t.get(&format!("/api/v1/objections/{id}"), &mzj).await;
    assert_eq!(o["deadline"]["overdue"], true, "{o}");
    assert_eq!(o["deadline"]["due"], "2026-01-09");
}

#[tokio::test]
async fn the_demo_has_objections_in_every_state() {
    let t = TestApp::full_demo().await;
    let sjj = t.login("auditor").await;
    let (status, all) = t.get("/api/v1/objections", &sjj).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let all = all.as_array().unwrap();
    for state in ["open", "corrected", "confirmed"] {
        assert!(all.iter().any(|o| o["state"] == state), "{state}: {all:?}");
    }
    assert!(
        all.iter().any(|o| o["deadline"]["overdue"] == true),
        "{all:?}"
    );
    assert!(all.iter().any(|o| o["channel"] == "data_user"));
    assert!(all.iter().any(|o| o["channel"] == "subject_online"));
    let corrected = all.iter().find(|o| o["state"] == "corrected").unwrap();
    assert!(corrected["correction_version"].as_i64().is_some());
    assert!(
        all.iter()
            .any(|o| o["proofs"].as_array().unwrap().len() == 1)
    );
}

#[tokio::test]
async fn the_pages_file_show_and_resolve_an_objection_in_both_languages() {
    use crate::pages::{hidden, sign_in};
    let t = TestApp::demo().await;
    let (ds, _) = setup(&t).await;
    let citizen = sign_in(&t, "citizen-demo").await;
    let own = citizen_demo_id_card_no();
    let form = citizen
        .get(t.url(&format!("/objections/new?dataset={ds}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        form.contains(&format!("value=\"{own}\" readonly")),
        "{form}"
    );
    let csrf = hidden(&form, "csrf");
    let key_field = "key.公民身份号码".to_string();
    let ds_text = ds.to_string();
    let r = citizen
        .post(t.url("/objections/new"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("dataset_id", ds_text.as_str()),
            (key_field.as_str(), own.as_str()),
            ("field", "姓名"),
            ("claimed_value", "王晓明"),
            ("description", "姓名用字有误"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/objections/"), "{to}");
    let page = citizen
        .get(t.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"proceed-notice\""), "{page}");
    assert!(
        page.contains("可继续办理") || page.contains("应当依法办理"),
        "{page}"
    );
    assert!(page.contains("id=\"proof-form\""));
    assert!(
        !page.contains("id=\"resolve-form\""),
        "the objector does not resolve"
    );
    // Another person's record through the form: refused on the form, 403.
    let r = citizen
        .post(t.url("/objections/new"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("dataset_id", ds_text.as_str()),
            (key_field.as_str(), "441802199001010017"),
            ("description", "不是我的"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The source department's page has the resolution form; a confirmation
    // without a reply comes back with the error.
    let (_, list) = t
        .get("/api/v1/objections?side=incoming", &t.login("qy-gaj").await)
        .await;
    let id = list[0]["id"].as_i64().unwrap();
    let gaj = sign_in(&t, "qy-gaj").await;
    let page = gaj
        .get(t.url(&format!("/objections/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"resolve-form\""));
    let csrf = hidden(&page, "csrf");
    let r = gaj
        .post(t.url(&format!("/objections/{id}/resolution")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("outcome", "confirmed"),
            ("reply", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = gaj
        .post(t.url(&format!("/objections/{id}/resolution")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("outcome", "corrected"),
            ("field", "姓名"),
            ("value", "王晓明"),
            ("reply", "已更正"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = gaj
        .get(t.url(&format!("/objections/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-state=\"corrected\""), "{page}");
    assert!(page.contains("王晓明"));
    // The list, in English.
    let _ = gaj
        .get(t.url("/lang?to=en&next=/objections"))
        .send()
        .await
        .unwrap();
    let list = gaj
        .get(t.url("/objections"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("Objections and corrections"), "{list}");
    assert!(list.contains(&format!("/objections/{id}")));
}
