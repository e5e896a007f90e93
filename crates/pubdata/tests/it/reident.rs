//! Re-identification risk before release (OPN-5): a derivative of personal
//! data that is opened passes k-anonymity over its quasi-identifiers, or it
//! is not made; a refreshed version that fails is withheld from the public
//! until one passes; the periodic review re-checks it.

use pubdata_service::jobs::Job;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

/// Five and five people in two common groups, and two who stand alone.
const PEOPLE: &str = "登记编号,经营者姓名,出生日期,性别,所在区县,行业\n\
G01,甲一,1991-03-01,男,清城区,餐饮\nG02,甲二,1991-04-02,男,清城区,零售\n\
G03,甲三,1991-05-03,男,清城区,餐饮\nG04,甲四,1992-06-04,男,清城区,零售\n\
G05,甲五,1992-07-05,男,清城区,餐饮\nG06,乙一,1981-03-01,女,清新区,零售\n\
G07,乙二,1981-04-02,女,清新区,餐饮\nG08,乙三,1981-05-03,女,清新区,零售\n\
G09,乙四,1982-06-04,女,清新区,餐饮\nG10,乙五,1982-07-05,女,清新区,零售\n\
G11,丙一,1930-01-01,女,连山壮族瑶族自治县,零售\nG12,丁一,1950-01-01,男,英德市,餐饮\n";

/// A published, not-open entry of 市场监督管理局 with personal items and
/// a record number as key, its dataset loaded: (dataset id, token).
async fn personal_parent(t: &TestApp) -> (i64, String) {
    let scj = t.login("qy-scjgj").await;
    let sjj = t.login("qy-sjj").await;
    let (status, e) = t
        .post(
            "/api/v1/catalog/entries",
            &scj,
            json!({
                "name": "个体工商户经营者登记信息",
                "summary": "个体工商户登记编号、经营者及行业",
                "classification": "101",
                "data_form": "database",
                "items": [
                    {"name": "登记编号", "data_type": "string"},
                    {"name": "经营者姓名", "data_type": "string", "personal": true},
                    {"name": "出生日期", "data_type": "date", "personal": true},
                    {"name": "性别", "data_type": "string"},
                    {"name": "所在区县", "data_type": "string"},
                    {"name": "行业", "data_type": "string"}
                ],
                "share_type": "conditional",
                "share_conditions": "用于市场监管",
                "share_basis": "《市场主体登记管理条例》",
                "share_scope": "全市政务部门",
                "share_modes": ["api"],
                "open_attribute": "none",
                "open_clauses": ["privacy_without_consent"],
                "open_grounds": "涉及个人信息",
                "update_frequency": "monthly",
                "keywords": ["个体工商户"]
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    let entry = e["id"].as_i64().unwrap();
    t.post(
        &format!("/api/v1/catalog/entries/{entry}/submit"),
        &scj,
        json!(null),
    )
    .await;
    let (status, r) = t
        .post(
            &format!("/api/v1/catalog/entries/{entry}/review"),
            &sjj,
            json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let (status, d) = t
        .post(
            "/api/v1/datasets",
            &scj,
            json!({"entry_id": entry, "name": "个体工商户经营者", "key": ["登记编号"], "columns": [
                {"name": "登记编号", "type": "string", "nullable": false},
                {"name": "经营者姓名", "type": "string"},
                {"name": "出生日期", "type": "date"},
                {"name": "性别", "type": "string"},
                {"name": "所在区县", "type": "string"},
                {"name": "行业", "type": "string"}
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    let id = d["id"].as_i64().unwrap();
    let (status, v) =
        crate::datasets::upload(t, &scj, id, "g.csv", PEOPLE.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    (id, scj)
}

fn open_derivation(parent: i64, transforms: Value, extra: Value) -> Value {
    let mut v = json!({
        "parent_dataset_id": parent,
        "name": "个体工商户经营者结构（开放）",
        "share_type": "unconditional",
        "grade": "L1",
        "open_attribute": "unconditional",
        "transforms": transforms
    });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

async fn anonymous(t: &TestApp, path: &str) -> StatusCode {
    t.call(Method::GET, path, None, None).await.status()
}

#[tokio::test]
async fn an_open_derivative_must_pass_k_anonymity_and_is_withheld_when_a_version_fails() {
    let t = TestApp::demo().await;
    let (parent, scj) = personal_parent(&t).await;
    let sjj = t.login("qy-sjj").await;

    // Age band, sex and district: two people stand alone.
    let risky = json!({"登记编号": "keep", "出生日期": "age_band:10", "性别": "keep",
                       "所在区县": "keep", "行业": "keep"});
    let (status, report) = t
        .post(
            "/api/v1/derivations/check",
            &scj,
            open_derivation(parent, risky.clone(), json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report["quasi_identifiers"],
        json!(["出生日期", "性别", "所在区县"]),
        "the defaults: observable and generalised fields, not the key"
    );
    assert_eq!(report["k"], 5);
    assert_eq!(report["passed"], false);
    assert_eq!(report["records"], 12);
    assert_eq!(report["classes_at_risk"], 2);
    assert_eq!(report["records_at_risk"], 2);
    assert_eq!(report["smallest_class"], 1);
    assert_eq!(report["at_risk"][0]["records"], 1);
    // The check read the parent through the door.
    let reads = t
        .store
        .audit_batch(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| {
            r.event.action == "dataset.read"
                && r.event.target == format!("dataset:{parent}")
                && r.event.detail["basis"] == "derivation"
        })
        .count();
    assert_eq!(reads, 1);

    // Asked for, it is refused with the classes at risk; nothing is made.
    let r = t
        .call(
            Method::POST,
            "/api/v1/derivations",
            Some(&scj),
            Some(open_derivation(parent, risky.clone(), json!({}))),
        )
        .await;
    let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "reidentification_risk").await;
    assert_eq!(p["errors"][0]["field"], "quasi_identifiers", "{p}");
    assert!(p.to_string().contains("连山壮族瑶族自治县"), "{p}");
    let (_, list) = t.get("/api/v1/derivations", &scj).await;
    assert_eq!(list.as_array().unwrap().len(), 0);
    // Bad declarations are refused plainly.
    for (extra, needle) in [
        (json!({"quasi_identifiers": ["登记编号"]}), "key"),
        (
            json!({"quasi_identifiers": ["电话"]}),
            "not a derived field",
        ),
        (json!({"k": 1}), "between 2"),
    ] {
        let r = t
            .call(
                Method::POST,
                "/api/v1/derivations",
                Some(&scj),
                Some(open_derivation(parent, risky.clone(), extra)),
            )
            .await;
        let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
        assert!(p.to_string().contains(needle), "{needle}: {p}");
    }

    // Sex alone: six and six. Made, reviewed, filled, checked, open.
    let safe = json!({"登记编号": "keep", "性别": "keep", "行业": "keep"});
    let (status, d) = t
        .post(
            "/api/v1/derivations",
            &scj,
            open_derivation(parent, safe, json!({"quasi_identifiers": ["性别"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(d["reid_required"], true);
    assert_eq!(d["k"], 5);
    assert_eq!(d["reid_checks"][0]["purpose"], "creation");
    assert_eq!(d["reid_checks"][0]["report"]["passed"], true);
    let id = d["id"].as_i64().unwrap();
    let entry = d["entry_id"].as_i64().unwrap();
    let (status, r) = t
        .post(
            &format!("/api/v1/catalog/entries/{entry}/review"),
            &sjj,
            json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert!(t.app.run_job(Job::Derivations).await.unwrap());
    let (_, d) = t.get(&format!("/api/v1/derivations/{id}"), &scj).await;
    let derived = d["dataset_id"].as_i64().unwrap();
    assert_eq!(d["withheld"], false, "{d}");
    assert_eq!(d["reid_checks"][0]["purpose"], "refresh");
    assert_eq!(d["reid_checks"][0]["version"], 1);
    assert_eq!(
        anonymous(&t, &format!("/api/v1/open/datasets/{derived}")).await,
        StatusCode::OK
    );

    // A new parent version adds one person of a sex no one else records:
    // the refreshed version fails and is withheld from the public.
    let more = format!("{PEOPLE}G13,戊一,1990-01-01,未说明,清城区,餐饮\n");
    let (status, v) = crate::datasets::upload(&t, &scj, parent, "g2.csv", more.into_bytes()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert!(t.app.run_job(Job::Derivations).await.unwrap());
    let (_, d) = t.get(&format!("/api/v1/derivations/{id}"), &scj).await;
    assert_eq!(d["withheld"], true, "{d}");
    assert_eq!(d["reid_checks"][0]["version"], 2);
    assert_eq!(d["reid_checks"][0]["report"]["passed"], false);
    assert_eq!(
        d["reid_checks"][0]["report"]["at_risk"][0]["values"],
        json!(["未说明"])
    );
    for path in [
        format!("/api/v1/open/datasets/{derived}"),
        format!("/api/v1/open/datasets/{derived}/rows"),
        format!("/api/v1/open/datasets/{derived}/download?format=csv"),
    ] {
        assert_eq!(anonymous(&t, &path).await, StatusCode::NOT_FOUND, "{path}");
    }
    let (_, all) = json_of(
        t.call(Method::GET, "/api/v1/open/datasets?limit=100", None, None)
            .await,
    )
    .await;
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["id"] != derived),
        "{all}"
    );

    // The parent is corrected: the next version passes and is open again.
    let (status, _) =
        crate::datasets::upload(&t, &scj, parent, "g3.csv", PEOPLE.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(t.app.run_job(Job::Derivations).await.unwrap());
    assert_eq!(
        anonymous(&t, &format!("/api/v1/open/datasets/{derived}")).await,
        StatusCode::OK
    );

    // The periodic review (Art. 37) checks it once; "check now" again.
    assert!(t.app.run_job(Job::ReidReview).await.unwrap());
    let (_, d) = t.get(&format!("/api/v1/derivations/{id}"), &scj).await;
    assert_eq!(d["reid_checks"][0]["purpose"], "review", "{d}");
    assert_eq!(d["reid_checks"][0]["checked_by"], "system:reid_review");
    let reviews = |d: &Value| {
        d["reid_checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["purpose"] == "review")
            .count()
    };
    assert_eq!(reviews(&d), 1);
    assert!(t.app.run_job(Job::ReidReview).await.unwrap());
    let (_, d) = t.get(&format!("/api/v1/derivations/{id}"), &scj).await;
    assert_eq!(reviews(&d), 1, "reviewed at most every 30 days");
    let (status, c) = t
        .post(
            &format!("/api/v1/derivations/{id}/reid-check"),
            &scj,
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["purpose"], "review");
    assert_eq!(c["report"]["passed"], true);
    // Another agency may not.
    let mzj = t.login("qy-mzj").await;
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/derivations/{id}/reid-check"),
            Some(&mzj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
}
