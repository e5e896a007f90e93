//! Sharing (Art. 23–29): requests on statutory deadlines, minimum
//! authorisation, the guarded data path, verification and backflow.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

const ROWS: &str = "公民身份号码,姓名,出生日期,行政区划\n\
11010519491231002X,张三丰,1949-12-31,英德市\n\
440524188001010014,李四,1880-01-01,清城区\n\
441802199001010017,王小五,1990-01-01,英德市\n";

/// The published conditional population entry of 清远市公安局 and its
/// loaded dataset: (entry id, dataset id, qy-gaj token).
pub async fn shared_population(t: &TestApp) -> (i64, i64, String) {
    let (entry, gaj) = crate::catalog::published_population_entry(t).await;
    let (status, d) = t
        .post("/api/v1/datasets", &gaj, json!({
            "entry_id": entry,
            "name": "户籍人口",
            "columns": [
                {"name": "公民身份号码", "type": "string", "nullable": false, "checks": ["id_card"]},
                {"name": "姓名", "type": "string", "nullable": false},
                {"name": "出生日期", "type": "date"},
                {"name": "行政区划", "type": "string"}
            ],
            "key": ["公民身份号码"]
        }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    let id = d["id"].as_i64().unwrap();
    let (status, v) = crate::datasets::upload(t, &gaj, id, "p.csv", ROWS.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    (entry, id, gaj)
}

fn request(entry: i64, fields: &[&str], mode: &str) -> Value {
    json!({
        "entry_id": entry,
        "scenario": "最低生活保障资格审核",
        "using_unit": "清远市民政局社会救助科",
        "fields": fields,
        "mode": mode,
        "until": "2027-12-31",
        "purpose": "核对低保申请人身份信息"
    })
}

/// Access records of `action` on `target`, oldest first.
async fn records(t: &TestApp, action: &str, target: &str) -> Vec<Value> {
    t.store
        .audit_batch(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.event.action == action && r.event.target == target)
        .map(|r| r.event.detail)
        .collect()
}

/// Files, approves (with `decision`) and implements a request; the grant id.
pub async fn granted(t: &TestApp, who: &str, req: Value, decision: Value) -> i64 {
    let token = t.login(who).await;
    let gaj = t.login("qy-gaj").await;
    let (status, r) = t.post("/api/v1/share-requests", &token, req).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let id = r["id"].as_i64().unwrap();
    let (status, r) = t
        .post(
            &format!("/api/v1/share-requests/{id}/decision"),
            &gaj,
            decision,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let grant = r["grant_id"].as_i64().unwrap();
    let (status, g) = t
        .post(
            &format!("/api/v1/grants/{grant}/implement"),
            &gaj,
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    grant
}

#[tokio::test]
async fn a_conditional_request_is_answered_narrowed_implemented_and_read_exactly_as_granted() {
    let t = TestApp::demo().await;
    let (entry, ds, gaj) = shared_population(&t).await;
    let mzj = t.login("qy-mzj").await;

    // No grant yet: refused with the contract's code, and the refusal recorded.
    let r = t
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/data/{ds}"),
            Some(&mzj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "grant_required").await;
    let target = format!("dataset:{ds}");
    let refused = records(&t, "dataset.read", &target).await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["refused"], "grant_required");

    // Fields outside the entry, a past end date, a mode the entry lacks.
    for (body, field) in [
        (
            request(entry, &["公民身份号码", "婚姻状况"], "api"),
            "fields",
        ),
        (
            {
                let mut b = request(entry, &["姓名"], "api");
                b["until"] = json!("2020-01-01");
                b
            },
            "until",
        ),
        (request(entry, &["姓名"], "file"), "mode"),
    ] {
        let r = t
            .call(
                reqwest::Method::POST,
                "/api/v1/share-requests",
                Some(&mzj),
                Some(body),
            )
            .await;
        let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }

    // A conditional entry: pending, the source answers within 2 working days.
    let (status, r) = t
        .post(
            "/api/v1/share-requests",
            &mzj,
            request(entry, &["公民身份号码", "姓名", "出生日期"], "api"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["state"], "pending");
    let id = r["id"].as_i64().unwrap();
    let today = pubdata_domain::calendar::today_cst();
    let cal = t.app.calendar();
    let due = cal
        .add_working_days(today, pubdata_domain::calendar::WorkingDays::of(2))
        .unwrap();
    assert_eq!(r["answer_due"], due.to_string());
    assert_eq!(r["answer_deadline"]["overdue"], false);

    // The source department's dashboard shows the case with its deadline.
    let (_, pending) = t.get("/api/v1/cases/pending", &gaj).await;
    let case = pending["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "share_answer")
        .unwrap_or_else(|| panic!("{pending}"));
    assert_eq!(case["due_on"], due.to_string());
    assert_eq!(case["subject_link"], format!("/sharing/requests/{id}"));

    // The requester cannot answer its own request; a refusal needs a basis.
    let r = t
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/share-requests/{id}/decision"),
            Some(&mzj),
            Some(json!({"approve": true})),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let r = t
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/share-requests/{id}/decision"),
            Some(&gaj),
            Some(json!({"approve": false, "basis": "  "})),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "basis_required").await;
    // Approval can only narrow.
    let r = t
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/share-requests/{id}/decision"),
            Some(&gaj),
            Some(json!({"approve": true, "fields": ["公民身份号码", "行政区划"]})),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;

    // Approved with narrowed fields: a grant awaiting implementation (3 working days).
    let (status, r) = t
        .post(
            &format!("/api/v1/share-requests/{id}/decision"),
            &gaj,
            json!({"approve": true, "fields": ["公民身份号码", "姓名"], "until": "2027-06-30"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "approved");
    let implement_due = cal
        .add_working_days(today, pubdata_domain::calendar::WorkingDays::of(3))
        .unwrap();
    assert_eq!(r["implement_due"], implement_due.to_string());
    let grant = r["grant_id"].as_i64().unwrap();
    // Answered once only.
    let r2 = t
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/share-requests/{id}/decision"),
            Some(&gaj),
            Some(json!({"approve": false, "basis": "《中华人民共和国居民身份证法》"})),
        )
        .await;
    assert_problem(r2, StatusCode::CONFLICT, "request_not_pending").await;

    // Not usable until implemented.
    let r = t
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/data/{ds}"),
            Some(&mzj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "grant_required").await;
    let (status, g) = t
        .post(
            &format!("/api/v1/grants/{grant}/implement"),
            &gaj,
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(g["state"], "active");
    assert_eq!(g["fields"], json!(["公民身份号码", "姓名"]));
    assert_eq!(g["data_user"], "市民政局数据管理员 刘洋 (qy-mzj)");
    let (_, r) = t.get(&format!("/api/v1/share-requests/{id}"), &mzj).await;
    assert_eq!(r["state"], "granted");

    // The grantee reads exactly the granted fields, masked (personal items).
    let (status, page) = t.get(&format!("/api/v1/data/{ds}"), &mzj).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["columns"], json!(["公民身份号码", "姓名"]));
    assert_eq!(
        page["items"],
        json!([
            {"公民身份号码": "110105********002X", "姓名": "张**"},
            {"公民身份号码": "440524********0014", "姓名": "李*"},
            {"公民身份号码": "441802********0017", "姓名": "王**"}
        ])
    );
    // By key (the whole key it already holds), paged, and as CSV.
    let (status, one) = t
        .get(
            &format!("/api/v1/data/{ds}?公民身份号码=440524188001010014"),
            &mzj,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(
        one["items"],
        json!([{"公民身份号码": "440524********0014", "姓名": "李*"}])
    );
    let (_, p1) = t
        .get(&format!("/api/v1/data/{ds}?limit=2&fields=姓名"), &mzj)
        .await;
    assert_eq!(p1["items"], json!([{"姓名": "张**"}, {"姓名": "李*"}]));
    let cursor = p1["next_cursor"].as_str().unwrap();
    let (_, p2) = t
        .get(
            &format!("/api/v1/data/{ds}?limit=2&fields=姓名&cursor={cursor}"),
            &mzj,
        )
        .await;
    assert_eq!(p2["items"], json!([{"姓名": "王**"}]));
    assert!(p2["next_cursor"].is_null());
    let csv = t
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/data/{ds}?format=csv"),
            Some(&mzj),
            None,
        )
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(
        csv.text().await.unwrap(),
        "公民身份号码,姓名\n110105********002X,张**\n440524********0014,李*\n441802********0017,王**\n"
    );

    // Nothing outside the grant: a field, a filter on a hidden field, a
    // range on the masked key, injection in filters and cursors.
    for (q, code, status) in [
        (
            "fields=出生日期",
            "field_not_granted",
            StatusCode::FORBIDDEN,
        ),
        (
            "出生日期=1949-12-31",
            "field_not_granted",
            StatusCode::FORBIDDEN,
        ),
        (
            "行政区划=英德市",
            "field_not_granted",
            StatusCode::FORBIDDEN,
        ),
        (
            "公民身份号码.gte=4",
            "field_not_granted",
            StatusCode::FORBIDDEN,
        ),
        ("姓名=张三丰", "field_not_granted", StatusCode::FORBIDDEN),
        (
            "cursor=%27%20OR%201%3D1",
            "invalid_cursor",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("limit=5000", "invalid_query", StatusCode::BAD_REQUEST),
    ] {
        let r = t
            .call(
                reqwest::Method::GET,
                &format!("/api/v1/data/{ds}?{q}"),
                Some(&mzj),
                None,
            )
            .await;
        assert_problem(r, status, code).await;
    }
    let (status, inj) = t
        .get(
            &format!("/api/v1/data/{ds}?公民身份号码=%27%20OR%20%271%27%3D%271"),
            &mzj,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        inj["items"],
        json!([]),
        "a filter value is a value, never SQL"
    );

    // Every answered read is in the audit chain, with grant, fields and rows.
    let reads: Vec<Value> = records(&t, "dataset.read", &target)
        .await
        .into_iter()
        .filter(|r| r["refused"].is_null())
        .collect();
    assert_eq!(reads.len(), 6, "{reads:?}");
    assert!(
        reads
            .iter()
            .all(|r| r["basis"] == "grant" && r["grant"] == grant)
    );
    assert_eq!(reads[0]["rows"], 3);
    assert_eq!(reads[0]["fields"], json!(["公民身份号码", "姓名"]));
    assert_eq!(reads[0]["purpose"], "核对低保申请人身份信息");
    // …and counted on the grant's page.
    let (_, g) = t.get(&format!("/api/v1/grants/{grant}"), &gaj).await;
    assert_eq!(g["usage"][0]["reads"], 6, "{g}");

    // The grantee's application token reads the same; another
    // organisation's token holds no grant.
    let (_, tok) = t
        .post("/api/v1/tokens", &mzj, json!({"name": "低保系统"}))
        .await;
    let app_token = tok["token"].as_str().unwrap();
    let (status, page) = t
        .get(&format!("/api/v1/data/{ds}?limit=1"), app_token)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"][0]["姓名"], "张**");
    let scj = t.login("qy-scjgj").await;
    let r = t
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/data/{ds}"),
            Some(&scj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "grant_required").await;

    // A usage report; then revocation ends every read.
    let (status, rep) = t
        .post(
            &format!("/api/v1/grants/{grant}/usage-reports"),
            &mzj,
            json!({"period": "2026-Q4", "summary": "核验低保申请 120 件", "uses": 120}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rep}");
    let (status, g) = t
        .post(
            &format!("/api/v1/grants/{grant}/revoke"),
            &gaj,
            json!({"reason": "业务已结束"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(g["state"], "revoked");
    let r = t
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/data/{ds}"),
            Some(&mzj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "grant_revoked").await;
    let (_, g) = t.get(&format!("/api/v1/grants/{grant}"), &mzj).await;
    assert_eq!(g["usage_reports"][0]["uses"], 120);
}

#[tokio::test]
async fn concurrent_reads_are_committed_in_groups_each_in_the_chain_and_counted() {
    let t = TestApp::demo().await;
    let (entry, ds, gaj) = shared_population(&t).await;
    let grant = granted(
        &t,
        "qy-mzj",
        request(entry, &["公民身份号码", "姓名"], "api"),
        json!({"approve": true}),
    )
    .await;
    let mzj = t.login("qy-mzj").await;
    let keys = [
        "11010519491231002X",
        "440524188001010014",
        "441802199001010017",
    ];
    // 45 reads at once: the journal commits whatever waits in one group.
    let mut reads = tokio::task::JoinSet::new();
    for n in 0..45 {
        let (client, base, token) = (t.client.clone(), t.base.clone(), mzj.clone());
        let key = keys[n % 3];
        reads.spawn(async move {
            let r = client
                .get(format!("{base}/api/v1/data/{ds}?公民身份号码={key}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (key, r.status(), r.json::<Value>().await.unwrap())
        });
    }
    while let Some(read) = reads.join_next().await {
        let (key, status, page) = read.unwrap();
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{page}");
        assert_eq!(items[0]["公民身份号码"].as_str().unwrap()[14..], key[14..]);
    }
    // Each read has its own record, the chain still links record to record
    // across the groups, and the grant counts every read and row.
    let target = format!("dataset:{ds}");
    let recorded = records(&t, "dataset.read", &target).await;
    assert_eq!(recorded.len(), 45);
    assert!(
        recorded
            .iter()
            .all(|r| r["grant"] == grant && r["rows"] == 1),
        "{recorded:?}"
    );
    let batch = t.store.audit_batch(0, 100_000).await.unwrap();
    assert_eq!(
        pubdata_service::audit::verify_chain(t.store.as_ref())
            .await
            .unwrap(),
        batch.len() as u64
    );
    let (_, g) = t.get(&format!("/api/v1/grants/{grant}"), &gaj).await;
    assert_eq!(g["usage"][0]["reads"], 45, "{g}");
    assert_eq!(g["usage"][0]["rows_out"], 45, "{g}");
}

#[tokio::test]
async fn a_grant_expires_by_itself_and_its_rate_limit_answers_429() {
    let t = TestApp::demo().await;
    let (entry, ds, _) = shared_population(&t).await;
    let grant = granted(
        &t,
        "qy-mzj",
        request(entry, &["姓名"], "api"),
        json!({"approve": true}),
    )
    .await;
    let mzj = t.login("qy-mzj").await;
    let (status, _) = t.get(&format!("/api/v1/data/{ds}"), &mzj).await;
    assert_eq!(status, StatusCode::OK);

    t.sql(&format!(
        "UPDATE grants SET rate_limit = 2 WHERE id = {grant}"
    ))
    .await;
    // The bucket was filled at the old rate; forget it by suspending and resuming.
    let gaj = t.login("qy-gaj").await;
    for action in ["suspend", "resume"] {
        let (status, g) = t
            .post(
                &format!("/api/v1/grants/{grant}/{action}"),
                &gaj,
                json!({"reason": "调整频率"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{g}");
        if action == "suspend" {
            // The door's copy of the grant (read just above) is dropped at
            // once: a suspended grant reads nothing.
            let r = t
                .call(
                    reqwest::Method::GET,
                    &format!("/api/v1/data/{ds}"),
                    Some(&mzj),
                    None,
                )
                .await;
            assert_problem(r, StatusCode::FORBIDDEN, "grant_revoked").await;
        }
    }
    let mut limited = None;
    for _ in 0..4 {
        let r = t
            .call(
                reqwest::Method::GET,
                &format!("/api/v1/data/{ds}"),
                Some(&mzj),
                None,
            )
            .await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("the third read within a minute is limited");
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;

    // Expired yesterday: refused with grant_expired, nothing changed by hand
    // but the date.
    t.sql(&format!(
        "UPDATE grants SET valid_until = '2026-01-01', valid_from = '2025-01-01' WHERE id = {grant}"
    ))
    .await;
    // Changed behind the server's back: seen once its copy of the grants
    // expires (as a change made on another server would be).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = t
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/data/{ds}"),
            Some(&mzj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "grant_expired").await;
    let (_, g) = t.get(&format!("/api/v1/grants/{grant}"), &mzj).await;
    assert_eq!(g["usable"], false);
    assert_eq!(g["refusal"], "grant_expired");
}

#[tokio::test]
async fn verification_answers_match_or_not_and_never_a_value() {
    let t = TestApp::demo().await;
    let (entry, ds, _) = shared_population(&t).await;
    let mzj = t.login("qy-mzj").await;
    // An api grant does not allow verification, nor a verify grant reading.
    let grant = granted(
        &t,
        "qy-mzj",
        request(entry, &["姓名", "出生日期"], "verify"),
        json!({"approve": true}),
    )
    .await;
    let r = t
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/data/{ds}"),
            Some(&mzj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "grant_required").await;

    let (status, v) = t
        .post(
            &format!("/api/v1/verify/{ds}"),
            &mzj,
            json!({"key": {"公民身份号码": "11010519491231002X"},
                   "claims": {"姓名": "张三丰", "出生日期": "1949-12-30"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        v,
        json!({"found": true, "matches": {"姓名": true, "出生日期": false}})
    );
    let (status, v) = t
        .post(
            &format!("/api/v1/verify/{ds}"),
            &mzj,
            json!({"items": [
                {"key": {"公民身份号码": "440524188001010014"}, "claims": {"姓名": "李四"}},
                {"key": {"公民身份号码": "440524188001010022"}, "claims": {"姓名": "李四"}}
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        v,
        json!({"results": [
            {"found": true, "matches": {"姓名": true}},
            {"found": false, "matches": {"姓名": false}}
        ]})
    );
    // A claim on a field outside the grant; a key that is not the key.
    let r = t
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/verify/{ds}"),
            Some(&mzj),
            Some(json!({"key": {"公民身份号码": "11010519491231002X"}, "claims": {"行政区划": "英德市"}})),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "field_not_granted").await;
    let r = t
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/verify/{ds}"),
            Some(&mzj),
            Some(json!({"key": {"姓名": "张三丰"}, "claims": {"出生日期": "1949-12-31"}})),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;

    // Probing one key with varied claims is recorded as such.
    for day in 1..=7 {
        let (status, _) = t
            .post(
                &format!("/api/v1/verify/{ds}"),
                &mzj,
                json!({"key": {"公民身份号码": "11010519491231002X"},
                       "claims": {"出生日期": format!("1949-12-{day:02}")}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let target = format!("dataset:{ds}");
    let probes = records(&t, "dataset.verify_probing", &target).await;
    assert!(!probes.is_empty());
    assert_eq!(probes[0]["grant"], grant);
    let checks = records(&t, "dataset.verify", &target).await;
    assert_eq!(checks.len(), 9);
    assert_eq!(checks[1]["records"], 2);
    assert_eq!(checks[1]["found"], 1);
}

#[tokio::test]
async fn backflow_to_a_county_returns_only_its_rows() {
    let t = TestApp::demo().await;
    let (_, ds, _) = shared_population(&t).await;
    let sjj = t.login("qy-sjj").await;
    let yd_org = t.org_id("yd-mzj").await;
    let body = json!({
        "dataset_id": ds, "grantee_org": yd_org,
        "fields": ["公民身份号码", "姓名", "出生日期"],
        "row_filter": {"field": "行政区划", "values": ["英德市"]},
        "mode": "api", "until": "2027-12-31",
        "scenario": "英德市低保资格复核", "purpose": "回流英德市户籍人口",
        "using_unit": "英德市民政局"
    });
    // Only the data authority over the source returns data.
    let yd = t.login("yd-sjj").await;
    let r = t
        .call(
            reqwest::Method::POST,
            "/api/v1/grants",
            Some(&yd),
            Some(body.clone()),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let (status, g) = t.post("/api/v1/grants", &sjj, body).await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    assert_eq!(g["row_filter"]["values"], json!(["英德市"]));

    let ydmzj = t.login("yd-mzj").await;
    let (status, page) = t
        .get(&format!("/api/v1/data/{ds}?fields=出生日期"), &ydmzj)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        page["items"],
        json!([{"出生日期": "1949-12-31"}, {"出生日期": "1990-01-01"}]),
        "英德市 rows only"
    );
    // The same from the sharing page, by the city authority's reviewer.
    let c = crate::pages::sign_in(&t, "qy-sjj").await;
    let page = c
        .get(t.url("/sharing"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"backflow-form\""), "{page}");
    let csrf = crate::pages::hidden(&page, "csrf");
    let (ds_s, yd_s) = (ds.to_string(), yd_org.to_string());
    let r = c
        .post(t.url("/sharing/backflow"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("dataset_id", ds_s.as_str()),
            ("grantee_org", yd_s.as_str()),
            ("fields", "姓名，出生日期"),
            ("filter_field", "行政区划"),
            ("filter_values", "英德市"),
            ("until", "2027-12-31"),
            ("scenario", "英德市低保复核"),
            ("purpose", "回流"),
            ("using_unit", "英德市民政局"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let link = r.headers()["location"].to_str().unwrap().to_string();
    let g2 = link.rsplit('/').next().unwrap();
    let (_, page) = t
        .get(&format!("/api/v1/data/{ds}?grant={g2}"), &ydmzj)
        .await;
    assert_eq!(page["columns"], json!(["姓名", "出生日期"]));
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    // Even asked by key, a row of another region does not leave.
    let first = g["id"].as_i64().unwrap();
    let (_, none) = t
        .get(
            &format!("/api/v1/data/{ds}?grant={first}&公民身份号码=440524188001010014"),
            &ydmzj,
        )
        .await;
    assert_eq!(none["items"], json!([]));
}

#[tokio::test]
async fn unshared_entries_and_own_data_are_refused_with_clear_codes() {
    let t = TestApp::demo().await;
    let (entry, _, gaj) = shared_population(&t).await;
    let r = t
        .call(
            reqwest::Method::POST,
            "/api/v1/share-requests",
            Some(&gaj),
            Some(request(entry, &["姓名"], "api")),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "own_data").await;
    let mzj = t.login("qy-mzj").await;
    let mut body = request(entry, &["姓名"], "api");
    body["entry_id"] = json!(999_999);
    let r = t
        .call(
            reqwest::Method::POST,
            "/api/v1/share-requests",
            Some(&mzj),
            Some(body),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    // A citizen has no organisation to request for.
    let citizen = t.login("citizen-demo").await;
    let r = t
        .call(
            reqwest::Method::POST,
            "/api/v1/share-requests",
            Some(&citizen),
            Some(request(entry, &["姓名"], "api")),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn the_demo_has_requests_in_every_state_grants_of_each_kind_and_backflow_to_yingde() {
    let t = TestApp::full_demo().await;
    let admin = t.login("admin").await;
    let (status, all) = t.get("/api/v1/share-requests?limit=200", &admin).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let all = all.as_array().unwrap();
    for state in ["pending", "approved", "refused", "granted"] {
        assert!(
            all.iter().any(|r| r["state"] == state),
            "no {state} request"
        );
    }
    assert!(
        all.iter().any(|r| r["answer_deadline"]["overdue"] == true),
        "an overdue request"
    );
    assert!(all.iter().any(
        |r| r["state"] == "refused" && r["basis"].as_str().unwrap().contains("个人信息保护法")
    ));
    let (_, grants) = t.get("/api/v1/grants", &admin).await;
    let grants = grants.as_array().unwrap();
    for mode in ["api", "verify"] {
        assert!(
            grants
                .iter()
                .any(|g| g["mode"] == mode && g["state"] == "active"),
            "{mode}"
        );
    }
    assert!(grants.iter().any(|g| g["state"] == "pending"));
    assert!(
        grants
            .iter()
            .any(|g| g["grantee_name"] == "清远市示范数据科技有限公司")
    );
    let backflow = grants
        .iter()
        .find(|g| !g["row_filter"].is_null())
        .expect("a backflow grant");
    // 英德市民政局 reads only 英德市 rows of 户籍人口.
    let yd = t.login("yd-mzj").await;
    let ds = backflow["dataset_id"].as_i64().unwrap();
    let (status, page) = t.get(&format!("/api/v1/data/{ds}?limit=50"), &yd).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 50);
    // A full page of 1,000 rows still says more follow.
    let mzj = t.login("qy-mzj").await;
    let (status, full) = t
        .get(&format!("/api/v1/data/{ds}?limit=1000&fields=姓名"), &mzj)
        .await;
    assert_eq!(status, StatusCode::OK, "{full}");
    assert_eq!(full["items"].as_array().unwrap().len(), 1000);
    assert!(full["next_cursor"].is_string(), "3,000 people: more follow");
    let (_, mine) = t.get("/api/v1/grants?side=received", &yd).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    // The source department sees its open cases with their deadlines.
    let gaj = t.login("qy-gaj").await;
    let (_, pending) = t.get("/api/v1/cases/pending", &gaj).await;
    let kinds: Vec<&str> = pending["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"share_answer"), "{kinds:?}");
}

#[tokio::test]
async fn on_the_pages_a_request_is_filed_narrowed_approved_implemented_previewed_and_exported() {
    use crate::pages::{hidden, sign_in};
    let t = TestApp::demo().await;
    let (entry, _, _) = shared_population(&t).await;
    let mzj = sign_in(&t, "qy-mzj").await;
    let form = mzj
        .get(t.url(&format!("/sharing/new?entry={entry}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("id=\"request-form\""), "{form}");
    assert!(form.contains("有条件共享"));
    let csrf = hidden(&form, "csrf");
    let entry_s = entry.to_string();
    let r = mzj
        .post(t.url("/sharing/new"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("entry_id", entry_s.as_str()),
            ("fields", "公民身份号码"),
            ("fields", "姓名"),
            ("fields", "出生日期"),
            ("mode", "api"),
            ("scenario", "最低生活保障资格审核"),
            ("using_unit", "清远市民政局社会救助科"),
            ("purpose", "核对低保申请人身份信息"),
            ("until", "2027-12-31"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let link = r.headers()["location"].to_str().unwrap().to_string();
    assert!(link.starts_with("/sharing/requests/"), "{link}");

    // The source department sees it in its queue with the due date, and
    // narrows it on the decision form; a refusal without basis is shown.
    let gaj = sign_in(&t, "qy-gaj").await;
    let queue = gaj
        .get(t.url("/sharing"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        queue.contains("id=\"incoming-requests\"") && queue.contains("人口基础信息"),
        "{queue}"
    );
    let page = gaj
        .get(t.url(&link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"answer-due\""), "{page}");
    let csrf = hidden(&page, "csrf");
    let refused = gaj
        .post(t.url(&format!("{link}/decision")))
        .form(&[("csrf", csrf.as_str()), ("approve", "false"), ("basis", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("id=\"form-error\""));
    let r = gaj
        .post(t.url(&format!("{link}/decision")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("approve", "true"),
            ("fields", "公民身份号码"),
            ("fields", "姓名"),
            ("mode", "api"),
            ("until", "2027-06-30"),
            ("basis", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = gaj
        .get(t.url(&link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"implement-due\""), "{page}");
    let grant_link = {
        let at = page.find("href=\"/sharing/grants/").unwrap() + 6;
        page[at..at + page[at..].find('"').unwrap()].to_string()
    };
    let gpage = gaj
        .get(t.url(&grant_link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&gpage, "csrf");
    let r = gaj
        .post(t.url(&format!("{grant_link}/implement")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // The grantee's grant page previews exactly the granted fields, masked.
    let gpage = mzj
        .get(t.url(&grant_link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(gpage.contains("id=\"preview\""), "{gpage}");
    assert!(gpage.contains("110105********002X") && gpage.contains("张**"));
    assert!(!gpage.contains("张三丰") && !gpage.contains("1949-12-31"));
    let csv = mzj
        .get(t.url(&format!("{grant_link}/export.csv")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().next(), Some("公民身份号码,姓名"));
    assert_eq!(csv.lines().count(), 4);
}

/// The rows of `table` in a push target, in key order.
async fn target_rows(url: &str, table: &str) -> Vec<Vec<Option<String>>> {
    use sqlx::{Connection, Row};
    let q = format!("SELECT * FROM \"{table}\" ORDER BY \"_key\"");
    let to_vec =
        |n: usize, get: &dyn Fn(usize) -> Option<String>| (0..n).map(get).collect::<Vec<_>>();
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        let rows = sqlx::query(&q).fetch_all(&mut c).await.unwrap();
        rows.iter()
            .map(|r| to_vec(r.len(), &|i| r.get::<Option<String>, _>(i)))
            .collect()
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        let rows = sqlx::query(&q).fetch_all(&mut c).await.unwrap();
        rows.iter()
            .map(|r| to_vec(r.len(), &|i| r.get::<Option<String>, _>(i)))
            .collect()
    }
}

#[tokio::test]
async fn a_table_push_lands_the_granted_view_in_the_grantees_sqlite_and_postgresql_databases() {
    let t = TestApp::demo().await;
    let (entry, ds, gaj) = shared_population(&t).await;
    let grant = granted(
        &t,
        "qy-mzj",
        request(entry, &["公民身份号码", "姓名"], "table"),
        json!({"approve": true}),
    )
    .await;
    let mzj = t.login("qy-mzj").await;
    let dir = tempfile::tempdir().unwrap();
    let mut targets = vec![format!("sqlite://{}/mzj.db", dir.path().display())];
    if let Some(server) = std::env::var("PUBDATA_TEST_POSTGRES")
        .ok()
        .filter(|s| s.starts_with("postgres"))
    {
        use sqlx::Connection;
        let name = format!("push_{}", std::process::id());
        let mut c = sqlx::PgConnection::connect(&server).await.unwrap();
        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut c)
            .await
            .unwrap();
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&mut c)
            .await
            .unwrap();
        targets.push(format!("{}/{name}", server.rsplit_once('/').unwrap().0));
    }
    let rows_v2 = "公民身份号码,姓名,出生日期,行政区划\n\
11010519491231002X,张三丰,1949-12-31,英德市\n\
440524188001010014,李四光,1880-01-01,清城区\n\
441802200001010012,赵六,2000-01-01,连州市\n";
    for (n, url) in targets.iter().enumerate() {
        // Only the grantee registers its target; an api grant has none.
        let body = json!({"url": url, "table": "户籍人口_共享", "every_minutes": 60});
        let r = t
            .call(
                reqwest::Method::PUT,
                &format!("/api/v1/grants/{grant}/push-target"),
                Some(&gaj),
                Some(body.clone()),
            )
            .await;
        assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
        let r = t
            .call(
                reqwest::Method::PUT,
                &format!("/api/v1/grants/{grant}/push-target"),
                Some(&mzj),
                Some(body),
            )
            .await;
        let (status, target) = json_of(r).await;
        assert_eq!(status, StatusCode::OK, "{target}");
        assert_eq!(target["pushed_version"], 0);
        assert!(!target["url"].as_str().unwrap().contains("s3cret"));
        // Sealed at rest: the database holds no password either.
        let sealed = t.store.stored_secrets("push_targets.url").await.unwrap();
        assert!(
            sealed
                .iter()
                .any(|(k, v)| *k == grant && v.starts_with("sealed:v1:") && !v.contains("s3cret")),
            "{sealed:?}"
        );

        let (status, out) = t
            .post(&format!("/api/v1/grants/{grant}/push"), &mzj, json!(null))
            .await;
        assert_eq!(status, StatusCode::OK, "{out}");
        let v = if n == 0 { 1 } else { 2 };
        assert_eq!(out["version"], v);
        let got = target_rows(url, "户籍人口_共享").await;
        if n == 0 {
            assert_eq!(out["upserted"], 3);
            assert_eq!(
                got,
                vec![
                    vec![
                        Some("11010519491231002X".into()),
                        Some("110105********002X".into()),
                        Some("张**".into())
                    ],
                    vec![
                        Some("440524188001010014".into()),
                        Some("440524********0014".into()),
                        Some("李*".into())
                    ],
                    vec![
                        Some("441802199001010017".into()),
                        Some("441802********0017".into()),
                        Some("王**".into())
                    ],
                ]
            );
            // A new version: one changed, one gone, one new — only those travel.
            let (status, v2) =
                crate::datasets::upload(&t, &gaj, ds, "p2.csv", rows_v2.as_bytes().to_vec()).await;
            assert_eq!(status, StatusCode::CREATED, "{v2}");
            let (_, out) = t
                .post(&format!("/api/v1/grants/{grant}/push"), &mzj, json!(null))
                .await;
            assert_eq!(
                (out["upserted"].as_u64(), out["deleted"].as_u64()),
                (Some(2), Some(1)),
                "{out}"
            );
            let got = target_rows(url, "户籍人口_共享").await;
            let names: Vec<_> = got.iter().map(|r| r[2].clone().unwrap()).collect();
            assert_eq!(names, ["张**", "李**", "赵*"]);
            // Nothing new: nothing travels.
            let (_, out) = t
                .post(&format!("/api/v1/grants/{grant}/push"), &mzj, json!(null))
                .await;
            assert_eq!(
                (out["upserted"].as_u64(), out["deleted"].as_u64()),
                (Some(0), Some(0))
            );
        } else {
            // A fresh target gets the whole current view.
            assert_eq!(out["upserted"], 3);
            let names: Vec<_> = got.iter().map(|r| r[2].clone().unwrap()).collect();
            assert_eq!(names, ["张**", "李**", "赵*"]);
        }
        let (_, target) = t
            .get(&format!("/api/v1/grants/{grant}/push-target"), &gaj)
            .await;
        assert_eq!(target["pushed_version"], 2);
        assert!(target["last_error"].is_null());
    }

    // An unreachable target: refused, recorded, the version unchanged.
    let bad = json!({"url": "sqlite:///nonexistent-dir/x/y.db", "table": "t1"});
    let r = t
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/grants/{grant}/push-target"),
            Some(&mzj),
            Some(bad),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = t
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/grants/{grant}/push"),
            Some(&mzj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "push_target_failed").await;
    let (_, target) = t
        .get(&format!("/api/v1/grants/{grant}/push-target"), &mzj)
        .await;
    assert_eq!(target["failures"], 1);
    assert_eq!(target["pushed_version"], 0);
    assert!(
        target["last_error"]
            .as_str()
            .unwrap()
            .contains("push target")
    );
    // The leased background job pushes due targets by itself.
    let fresh = json!({"url": format!("sqlite://{}/job.db", dir.path().display()), "table": "t2"});
    let r = t
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/grants/{grant}/push-target"),
            Some(&mzj),
            Some(fresh),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        t.app
            .run_job(pubdata_service::jobs::Job::Pushes)
            .await
            .unwrap()
    );
    let (_, target) = t
        .get(&format!("/api/v1/grants/{grant}/push-target"), &mzj)
        .await;
    assert_eq!(target["pushed_version"], 2, "{target}");
    let job_db = format!("sqlite://{}/job.db", dir.path().display());
    assert_eq!(target_rows(&job_db, "t2").await.len(), 3);
    // Each push's reads are in the audit chain.
    let reads = records(&t, "dataset.read", &format!("dataset:{ds}")).await;
    assert!(
        reads
            .iter()
            .any(|r| r["asked"]["mode"] == "table" && r["grant"] == grant)
    );
}

#[tokio::test]
async fn on_the_grant_page_the_grantee_registers_a_push_target_and_pushes() {
    use crate::pages::{hidden, sign_in};
    let t = TestApp::demo().await;
    let (entry, _, _) = shared_population(&t).await;
    let grant = granted(
        &t,
        "qy-mzj",
        request(entry, &["姓名"], "table"),
        json!({"approve": true}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/page.db", dir.path().display());
    let c = sign_in(&t, "qy-mzj").await;
    let page = c
        .get(t.url(&format!("/sharing/grants/{grant}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"push-target-form\""), "{page}");
    let csrf = hidden(&page, "csrf");
    let r = c
        .post(t.url(&format!("/sharing/grants/{grant}/push-target")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("url", url.as_str()),
            ("table", "低保_人口"),
            ("every_minutes", "60"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c
        .post(t.url(&format!("/sharing/grants/{grant}/push")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = c
        .get(t.url(&format!("/sharing/grants/{grant}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"push-version\">1<"), "{page}");
    assert_eq!(target_rows(&url, "低保_人口").await.len(), 3);
}

#[tokio::test]
async fn a_cross_level_request_is_filed_with_the_level_above_and_the_requesters_authority() {
    let t = TestApp::demo().await;
    let (entry, _, _) = shared_population(&t).await;
    let yd = t.login("yd-mzj").await;
    let mut body = request(entry, &["姓名"], "api");
    body["using_unit"] = json!("英德市民政局");
    let (status, r) = t.post("/api/v1/share-requests", &yd, body).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (yd_sjj, qy_sjj) = (t.org_id("yd-sjj").await, t.org_id("qy-sjj").await);
    assert_eq!(r["filed_with"], json!([yd_sjj, qy_sjj]));
    assert_eq!(
        r["filed_with_names"],
        json!(["英德市政务服务和数据管理局", "清远市政务服务和数据管理局"])
    );
    for who in ["yd-sjj", "qy-sjj"] {
        let token = t.login(who).await;
        let (_, filed) = t.get("/api/v1/share-requests?side=filed", &token).await;
        assert_eq!(filed.as_array().unwrap().len(), 1, "{who}: {filed}");
    }
    // A request within one level is not filed.
    let mzj = t.login("qy-mzj").await;
    let (_, r) = t
        .post(
            "/api/v1/share-requests",
            &mzj,
            request(entry, &["姓名"], "api"),
        )
        .await;
    assert_eq!(r["filed_with"], json!([]));
}

#[tokio::test]
async fn a_demand_for_uncatalogued_data_is_confirmed_within_5_working_days_and_linked_when_catalogued()
 {
    let t = TestApp::demo().await;
    let (entry, _, _) = shared_population(&t).await;
    let mzj = t.login("qy-mzj").await;
    let gaj_org = t.org_id("qy-gaj").await;
    let body = json!({"source_org": gaj_org, "description": "户籍人口的监护关系信息",
                      "items": ["公民身份号码", "监护人姓名"], "scenario": "未成年人救助保护",
                      "purpose": "核实困境儿童监护情况"});
    let (status, d) = t.post("/api/v1/data-demands", &mzj, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(d["state"], "pending");
    let due = t
        .app
        .calendar()
        .add_working_days(
            pubdata_domain::calendar::today_cst(),
            pubdata_domain::calendar::WorkingDays::of(5),
        )
        .unwrap();
    assert_eq!(d["answer_due"], due.to_string());
    assert_eq!(d["deadline"]["overdue"], false);
    let id = d["id"].as_i64().unwrap();

    // The source department has the case on its dashboard.
    let gaj = t.login("qy-gaj").await;
    let (_, pending) = t.get("/api/v1/cases/pending", &gaj).await;
    assert!(
        pending["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "data_demand"
                && c["subject_link"] == format!("/sharing/demands/{id}")),
        "{pending}"
    );
    // The requester cannot answer; not shareable needs a basis.
    let r = t
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/data-demands/{id}/answer"),
            Some(&mzj),
            Some(json!({"shareable": true})),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let r = t
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/data-demands/{id}/answer"),
            Some(&gaj),
            Some(json!({"shareable": false})),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "basis_required").await;
    // Shareable: confirmed, then linked to the published entry it was catalogued as.
    let (status, d) = t
        .post(
            &format!("/api/v1/data-demands/{id}/answer"),
            &gaj,
            json!({"shareable": true, "answer": "将编入户籍登记信息目录"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["state"], "confirmed");
    let (_, pending) = t.get("/api/v1/cases/pending", &gaj).await;
    assert!(
        !pending["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "data_demand")
    );
    let (status, d) = t
        .post(
            &format!("/api/v1/data-demands/{id}/entry"),
            &gaj,
            json!({"entry_id": entry}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["state"], "catalogued");
    assert_eq!(d["entry_name"], "人口基础信息");
    let (_, mine) = t.get("/api/v1/data-demands?side=made", &mzj).await;
    assert_eq!(mine[0]["entry_id"], entry);

    // A second demand, refused with its basis, on the page.
    let (_, d2) = t.post("/api/v1/data-demands", &mzj, body).await;
    let id2 = d2["id"].as_i64().unwrap();
    let c = crate::pages::sign_in(&t, "qy-gaj").await;
    let page = c
        .get(t.url(&format!("/sharing/demands/{id2}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"demand-due\""), "{page}");
    let csrf = crate::pages::hidden(&page, "csrf");
    let r = c
        .post(t.url(&format!("/sharing/demands/{id2}/answer")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("shareable", "false"),
            ("basis", "《中华人民共和国未成年人保护法》第四条"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, d2) = t.get(&format!("/api/v1/data-demands/{id2}"), &mzj).await;
    assert_eq!(d2["state"], "refused");
    assert!(d2["basis"].as_str().unwrap().contains("未成年人保护法"));
}

#[tokio::test]
async fn a_file_grant_exports_csv_and_xlsx_and_records_offline_deliveries() {
    let t = TestApp::demo().await;
    let (entry, ds, gaj) = shared_population(&t).await;
    let (mzj_org, gaj_org) = (t.org_id("qy-mzj").await, t.org_id("qy-gaj").await);
    let g = t
        .store
        .create_grant(
            pubdata_store::NewGrant {
                request_id: None,
                dataset_id: ds,
                entry_id: entry,
                source_org: gaj_org,
                grantee_org: mzj_org,
                using_unit: "清远市民政局".into(),
                scenario: "年度低保复核".into(),
                purpose: "年度低保复核".into(),
                data_user: "qy-mzj".into(),
                fields: vec!["公民身份号码".into(), "姓名".into()],
                masks: [("姓名".to_string(), "name".to_string())].into(),
                row_filter: None,
                mode: pubdata_domain::share::DeliveryMode::File,
                valid_from: pubdata_domain::calendar::today_cst(),
                valid_until: pubdata_domain::calendar::today_cst() + chrono::Duration::days(30),
                rate_limit: 600,
                research_only: false,
                state: pubdata_domain::share::GrantState::Active,
                created_by: "test".into(),
            },
            pubdata_domain::audit::AuditEvent {
                actor: "test".into(),
                actor_user_id: None,
                org_id: None,
                action: "grant.test".into(),
                target: String::new(),
                outcome: pubdata_domain::audit::Outcome::Success,
                detail: json!({}),
                client_ip: None,
            },
        )
        .await
        .unwrap();
    let mzj = t.login("qy-mzj").await;
    let csv = t
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/grants/{}/export", g.id),
            Some(&mzj),
            None,
        )
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert_eq!(
        csv.text().await.unwrap(),
        "公民身份号码,姓名\n11010519491231002X,张**\n440524188001010014,李*\n441802199001010017,王**\n"
    );
    let xlsx = t
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/grants/{}/export?format=xlsx", g.id),
            Some(&mzj),
            None,
        )
        .await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    let bytes = xlsx.bytes().await.unwrap();
    use calamine::Reader;
    let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = wb.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.get_value((2, 1)).unwrap().to_string(), "李*");
    // The source department cannot export; the grantee cannot record deliveries.
    let r = t
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/grants/{}/export", g.id),
            Some(&gaj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let offline = json!({"kind": "copy", "description": "光盘拷贝：2026年12月低保复核名单", "rows": 3, "received_by": "刘洋（市民政局）"});
    let r = t
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/grants/{}/deliveries", g.id),
            Some(&mzj),
            Some(offline.clone()),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let (status, d) = t
        .post(
            &format!("/api/v1/grants/{}/deliveries", g.id),
            &gaj,
            offline,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    let (_, view) = t.get(&format!("/api/v1/grants/{}", g.id), &gaj).await;
    let kinds: Vec<&str> = view["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["copy", "export_xlsx", "export_csv"]);
    assert_eq!(view["deliveries"][0]["received_by"], "刘洋（市民政局）");
    // On the page: the export links and the delivery table.
    let c = crate::pages::sign_in(&t, "qy-mzj").await;
    let page = c
        .get(t.url(&format!("/sharing/grants/{}", g.id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("id=\"export-xlsx\"") && page.contains("光盘拷贝"),
        "{page}"
    );
    let r = c
        .get(t.url(&format!("/sharing/grants/{}/export.csv", g.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().starts_with("公民身份号码,姓名\n"));
}
