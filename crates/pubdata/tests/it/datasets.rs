use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

/// A published population entry of 清远市公安局 and its dataset; returns (dataset id, qy-gaj token).
pub async fn population_dataset(t: &TestApp) -> (i64, String) {
    let (id, gaj) = crate::catalog::published_population_entry(t).await;
    let (status, d) = t
        .post("/api/v1/datasets", &gaj, json!({
            "entry_id": id,
            "name": "户籍人口",
            "columns": [
                {"name": "公民身份号码", "type": "string", "nullable": false, "checks": ["id_card"]},
                {"name": "姓名", "type": "string", "nullable": false},
                {"name": "性别", "type": "string", "checks": ["flag:enum:男|女"]},
                {"name": "出生日期", "type": "date"}
            ],
            "key": ["公民身份号码"]
        }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(
        d["columns"][0]["personal"], true,
        "personal flag taken from the catalogue item"
    );
    (d["id"].as_i64().unwrap(), gaj)
}

/// Configures a dataset's table-pull source (expects 200).
pub async fn set_pull_source(t: &TestApp, token: &str, id: i64, source: Value) {
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/datasets/{id}/pull-source"),
            Some(token),
            Some(source),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

/// Pulls a dataset now: the status and the load report or problem.
pub async fn pull(t: &TestApp, token: &str, id: i64) -> (StatusCode, Value) {
    t.post(&format!("/api/v1/datasets/{id}/pull"), token, json!(null))
        .await
}

pub async fn upload(
    t: &TestApp,
    token: &str,
    id: i64,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    let r = t
        .client
        .post(t.url(&format!("/api/v1/datasets/{id}/loads")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    json_of(r).await
}

const V1: &str = "\u{feff}公民身份号码,姓名,性别,出生日期\n11010519491231002X,张三,女,1949-12-31\n440524188001010014,李四,男,1880-01-01\n441802199001010011,王五,男,1990-01-01\n";

#[tokio::test]
async fn a_file_load_is_versioned_and_a_bad_file_changes_nothing() {
    let t = TestApp::demo().await;
    let (id, gaj) = population_dataset(&t).await;
    // 441802199001010011 needs its real check digit.
    let ok_id = {
        let first17 = b"44180219900101001";
        format!(
            "44180219900101001{}",
            pubdata_domain::ids::id_card_check(first17)
        )
    };
    let v1 = V1.replace("441802199001010011", &ok_id);
    let (status, v) = upload(&t, &gaj, id, "人口.csv", v1.clone().into_bytes()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["version"].as_i64(), v["inserted"].as_i64()),
        (Some(1), Some(3))
    );

    // Bad check digit, bad date, missing name: refused with row-level errors.
    let bad = "公民身份号码,姓名,性别,出生日期\n11010519491231002X,张三,女,1949-12-31\n110105194912310021,赵六,男,1949-12-31\n440524188001010014,,男,1880-13-01\n";
    let (status, report) = upload(&t, &gaj, id, "bad.csv", bad.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(report["code"], "load_rejected");
    let errs: Vec<(i64, &str, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["column"].as_str().unwrap(),
                e["rule"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        errs,
        [
            (2, "公民身份号码", "id_card"),
            (3, "姓名", "required"),
            (3, "出生日期", "type")
        ]
    );
    let (_, d) = t.get(&format!("/api/v1/datasets/{id}"), &gaj).await;
    assert_eq!(
        (d["current_version"].as_i64(), d["row_count"].as_i64()),
        (Some(1), Some(3)),
        "nothing changed"
    );

    // GB18030: one changed, one gone, one new → version 2.
    let v2 = format!(
        "公民身份号码,姓名,性别,出生日期\n11010519491231002X,张三丰,女,1949-12-31\n{ok_id},王五,男,1990-01-01\n44052418800101003X,钱七,未知,1880-01-01\n"
    );
    let v2 = v2.replace(
        "44052418800101003X",
        &format!(
            "44052418800101003{}",
            pubdata_domain::ids::id_card_check(b"44052418800101003")
        ),
    );
    let (gb, _, _) = encoding_rs::GB18030.encode(&v2);
    let (status, v) = upload(&t, &gaj, id, "人口-gb.csv", gb.to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(
        (
            v["inserted"].as_i64(),
            v["updated"].as_i64(),
            v["deleted"].as_i64(),
            v["flagged"].as_i64()
        ),
        (Some(1), Some(1), Some(1), Some(1))
    );

    // Version 1 is still readable; the current rows are version 2's.
    let (_, old) = t
        .get(&format!("/api/v1/datasets/{id}/rows?version=1"), &gaj)
        .await;
    let names: Vec<&str> = old["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["姓名"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3);
    assert!(names.contains(&"张三") && names.contains(&"李四"));
    let (_, cur) = t.get(&format!("/api/v1/datasets/{id}/rows"), &gaj).await;
    let names: Vec<&str> = cur["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["姓名"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"张三丰") && !names.contains(&"李四"));

    // The flagged 性别 is a quality issue; completeness and validity are scored.
    let (_, q) = t.get(&format!("/api/v1/datasets/{id}/quality"), &gaj).await;
    assert_eq!(q["issues"][0]["rule"], "enum");
    assert!(q["validity"].as_f64().unwrap() < 1.0);
    assert_eq!(q["completeness"].as_f64().unwrap(), 1.0);
    let (_, versions) = t
        .get(&format!("/api/v1/datasets/{id}/versions"), &gaj)
        .await;
    assert_eq!(versions["items"].as_array().unwrap().len(), 2);

    // Reads are audited.
    let reads = t
        .store
        .list_audit(&pubdata_store::AuditFilter {
            action: Some("dataset.read".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(reads.len(), 2);
}

#[tokio::test]
async fn duplicate_keys_empty_files_and_wrong_headers_are_refused() {
    let t = TestApp::demo().await;
    let (id, gaj) = population_dataset(&t).await;
    let dup = "公民身份号码,姓名,性别,出生日期\n11010519491231002X,张三,女,1949-12-31\n11010519491231002X,张三,女,1949-12-31\n";
    let (status, r) = upload(&t, &gaj, id, "dup.csv", dup.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (
            r["errors"][0]["row"].as_i64(),
            r["errors"][0]["rule"].as_str()
        ),
        (Some(2), Some("duplicate_key"))
    );
    let (status, r) = upload(
        &t,
        &gaj,
        id,
        "empty.csv",
        "公民身份号码,姓名,性别,出生日期\n".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(
        (status, r["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("empty_load"))
    );
    let (status, r) = upload(
        &t,
        &gaj,
        id,
        "x.csv",
        "身份证,名字\n1,2\n".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(
        (status, r["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("header_mismatch"))
    );
    assert!(r["detail"].as_str().unwrap().contains("missing columns"));
    let ragged = "公民身份号码,姓名,性别,出生日期\n11010519491231002X,张三\n";
    let (_, r) = upload(&t, &gaj, id, "ragged.csv", ragged.as_bytes().to_vec()).await;
    assert_eq!(r["errors"][0]["rule"], "ragged_row");
    let (_, d) = t.get(&format!("/api/v1/datasets/{id}"), &gaj).await;
    assert_eq!(d["current_version"], 0);

    // Another agency cannot load it.
    let mzj = t.login("qy-mzj").await;
    let (status, _) = upload(&t, &mzj, id, "v.csv", V1.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn xlsx_and_json_files_load_too() {
    let t = TestApp::demo().await;
    let (id, gaj) = population_dataset(&t).await;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["公民身份号码", "姓名", "性别", "出生日期"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "11010519491231002X").unwrap();
    ws.write_string(1, 1, "张三").unwrap();
    ws.write_string(1, 2, "女").unwrap();
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(1949, 12, 31).unwrap();
    ws.write_datetime_with_format(
        1,
        3,
        &date,
        &rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd"),
    )
    .unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let (status, v) = upload(&t, &gaj, id, "人口.xlsx", bytes).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let (_, rows) = t.get(&format!("/api/v1/datasets/{id}/rows"), &gaj).await;
    assert_eq!(rows["items"][0]["出生日期"], "1949-12-31");

    let ndjson = "{\"公民身份号码\":\"440524188001010014\",\"姓名\":\"李四\",\"性别\":\"男\",\"出生日期\":\"1880-01-01\"}\n";
    let (status, v) = upload(&t, &gaj, id, "人口.ndjson", ndjson.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["inserted"].as_i64(), v["deleted"].as_i64()),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn an_agency_system_pushes_batches_with_its_application_token() {
    let t = TestApp::demo().await;
    let (id, gaj) = population_dataset(&t).await;
    let (_, tok) = t
        .post("/api/v1/tokens", &gaj, json!({"name": "户籍系统"}))
        .await;
    let app = tok["token"].as_str().unwrap().to_string();
    let (status, v) = t
        .post(&format!("/api/v1/datasets/{id}/records"), &app, json!({
            "upsert": [{"公民身份号码": "11010519491231002X", "姓名": "张三", "性别": "女", "出生日期": "1949-12-31"},
                       {"公民身份号码": "440524188001010014", "姓名": "李四", "性别": "男", "出生日期": "1880-01-01"}]
        }))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["inserted"], 2);
    let (status, v) = t
        .post(&format!("/api/v1/datasets/{id}/records"), &app, json!({
            "upsert": [{"公民身份号码": "11010519491231002X", "姓名": "张三", "性别": "女", "出生日期": "1949-12-30"}],
            "delete": [{"公民身份号码": "440524188001010014"}]
        }))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (
            v["version"].as_i64(),
            v["updated"].as_i64(),
            v["deleted"].as_i64()
        ),
        (Some(2), Some(1), Some(1))
    );
    // A bad record refuses the whole batch.
    let (status, r) = t
        .post(&format!("/api/v1/datasets/{id}/records"), &app, json!({
            "upsert": [{"公民身份号码": "11010519491231002X", "姓名": "张三"}, {"公民身份号码": "123", "姓名": "坏"}]
        }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (
            r["errors"][0]["row"].as_i64(),
            r["errors"][0]["rule"].as_str()
        ),
        (Some(2), Some("id_card"))
    );
    let (_, d) = t.get(&format!("/api/v1/datasets/{id}"), &gaj).await;
    assert_eq!(
        (d["current_version"].as_i64(), d["row_count"].as_i64()),
        (Some(2), Some(1))
    );
    // Another agency's token cannot push.
    let mzj = t.login("qy-mzj").await;
    let (_, other) = t.post("/api/v1/tokens", &mzj, json!({"name": "x"})).await;
    let (status, _) = t
        .post(
            &format!("/api/v1/datasets/{id}/records"),
            other["token"].as_str().unwrap(),
            json!({"delete": [{"公民身份号码": "11010519491231002X"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_dataset_not_refreshed_within_its_frequency_is_stale() {
    let t = TestApp::demo().await;
    let (id, gaj) = population_dataset(&t).await;
    let (_, d) = t.get(&format!("/api/v1/datasets/{id}"), &gaj).await;
    assert_eq!(d["stale"], false);
    t.sql("UPDATE datasets SET created_at = '2026-01-01T00:00:00.000000Z'")
        .await;
    let (_, d) = t.get(&format!("/api/v1/datasets/{id}"), &gaj).await;
    assert_eq!(d["stale"], true, "daily data not loaded for months");
    let sjj = t.login("qy-sjj").await;
    let (status, stale) = t.get("/api/v1/supervision/stale", &sjj).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stale["items"][0]["id"], id);
    let (_, q) = t.get(&format!("/api/v1/datasets/{id}/quality"), &gaj).await;
    assert_eq!(q["timeliness"], 0.0);
    let r = t
        .call(
            Method::GET,
            "/api/v1/datasets?cursor=bogus",
            Some(&gaj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_cursor").await;
}

#[tokio::test]
async fn the_demo_has_population_and_enterprise_datasets_with_issues_and_a_stale_one() {
    let t = TestApp::full_demo().await;
    let sjj = t.login("qy-sjj").await;
    let (_, list) = t.get("/api/v1/datasets?limit=200", &sjj).await;
    let items = list["items"].as_array().unwrap();
    let by_name = |n: &str| {
        items
            .iter()
            .find(|d| d["name"] == n)
            .unwrap_or_else(|| panic!("{n} missing"))
            .clone()
    };
    let pop = by_name("户籍人口");
    assert_eq!(pop["row_count"], 3000);
    let ent = by_name("企业登记");
    assert_eq!(ent["row_count"], 1500);
    assert_eq!(by_name("社保参保")["stale"], true);
    let gaj = t.login("qy-gaj").await;
    let (_, q) = t
        .get(&format!("/api/v1/datasets/{}/quality", pop["id"]), &gaj)
        .await;
    assert!(
        q["issues"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["column"] == "联系电话")
    );
    assert!(!q["issues"].as_array().unwrap().is_empty());
    let scj = t.login("qy-scjgj").await;
    let (_, q) = t
        .get(&format!("/api/v1/datasets/{}/quality", ent["id"]), &scj)
        .await;
    assert_eq!(q["issues"][0]["value"], "迁出");
    let (_, stale) = t.get("/api/v1/supervision/stale", &sjj).await;
    assert_eq!(stale["items"].as_array().unwrap().len(), 1);
    // An agency sees only its own datasets: 公安局's four (户籍人口, and those
    // behind 户籍登记信息, 居民身份证信息 and 机动车登记信息) and the two
    // desensitised derivatives of 户籍人口.
    let (_, own) = t.get("/api/v1/datasets", &gaj).await;
    let own = own["items"].as_array().unwrap();
    assert_eq!(own.len(), 6, "{own:?}");
    assert!(own.iter().all(|d| d["org"] == pop["org"]));
    assert!(
        own.iter()
            .any(|d| d["name"] == "户籍人口年龄与区县分布（脱敏）")
    );
    // The other departments' datasets hold the same people and enterprises
    // as the sources, agreeing on every base field.
    for base in ["population", "legal_person"] {
        let (status, c) = t.get(&format!("/api/v1/base/{base}/conflicts"), &sjj).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(c["items"], json!([]), "{base}");
    }
}

#[tokio::test]
async fn an_agency_files_an_aggregation_exemption_that_the_authority_sees() {
    let t = TestApp::demo().await;
    let mzj = t.login("qy-mzj").await;
    let (status, x) = t
        .post(
            "/api/v1/aggregation/exemptions",
            &mzj,
            json!({"reason": "殡葬系统为省级垂管系统，本级无接口、库表或文件导出权限"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{x}");
    let (status, body) = t
        .post(
            "/api/v1/aggregation/exemptions",
            &mzj,
            json!({"reason": " "}),
        )
        .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
    );
    let sjj = t.login("qy-sjj").await;
    let (_, all) = t.get("/api/v1/aggregation/exemptions", &sjj).await;
    assert_eq!(all["items"][0]["org_id"], t.org_id("qy-mzj").await);
    let gaj = t.login("qy-gaj").await;
    let (_, own) = t.get("/api/v1/aggregation/exemptions", &gaj).await;
    assert_eq!(
        own["items"].as_array().unwrap().len(),
        0,
        "another agency's filing is not listed"
    );
    let auditor = t.login("auditor").await;
    let (status, _) = t
        .post(
            "/api/v1/aggregation/exemptions",
            &auditor,
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_platform_pulls_an_agencys_table_fully_then_incrementally_and_reports_an_unreachable_source()
 {
    use sqlx::Connection;
    let t = TestApp::demo().await;
    let (id, gaj) = population_dataset(&t).await;
    let dir = tempfile::tempdir().unwrap();
    let src_url = format!("sqlite://{}", dir.path().join("hj.db").display());
    let mut src = sqlx::SqliteConnection::connect(&format!("{src_url}?mode=rwc"))
        .await
        .unwrap();
    sqlx::raw_sql(
        "CREATE TABLE people (公民身份号码 TEXT PRIMARY KEY, 姓名 TEXT, 性别 TEXT, 出生日期 TEXT, updated_at TEXT);
         INSERT INTO people VALUES ('11010519491231002X', '张三', '女', '1949-12-31', '2026-11-01T08:00:00');
         INSERT INTO people VALUES ('440524188001010014', '李四', '男', '1880-01-01', '2026-11-02T08:00:00');",
    )
    .execute(&mut src)
    .await
    .unwrap();
    set_pull_source(
        &t,
        &gaj,
        id,
        json!({"url": src_url, "query": "people", "incremental_column": "updated_at"}),
    )
    .await;
    let (status, v) = pull(&t, &gaj, id).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["mode"].as_str(), v["inserted"].as_i64()),
        (Some("pull"), Some(2))
    );

    sqlx::raw_sql(
        "UPDATE people SET 姓名 = '张三丰', updated_at = '2026-11-20T08:00:00' WHERE 公民身份号码 = '11010519491231002X';
         INSERT INTO people VALUES ('44180219900101001X', '王五', '男', '1990-01-01', '2026-11-21T08:00:00');",
    )
    .execute(&mut src)
    .await
    .unwrap();
    // 王五's number needs its real check digit.
    let ok = format!(
        "44180219900101001{}",
        pubdata_domain::ids::id_card_check(b"44180219900101001")
    );
    sqlx::query("UPDATE people SET 公民身份号码 = ? WHERE 姓名 = '王五'")
        .bind(&ok)
        .execute(&mut src)
        .await
        .unwrap();
    let (status, v) = pull(&t, &gaj, id).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(
        (
            v["rows_in"].as_i64(),
            v["inserted"].as_i64(),
            v["updated"].as_i64(),
            v["deleted"].as_i64()
        ),
        (Some(2), Some(1), Some(1), Some(0))
    );
    let (_, s) = t
        .get(&format!("/api/v1/datasets/{id}/pull-source"), &gaj)
        .await;
    assert_eq!(s["last_value"], "2026-11-21T08:00:00");

    // An unreachable source: a clear error, nothing changed.
    set_pull_source(
        &t,
        &gaj,
        id,
        json!({"url": "sqlite:///no/such/dir/x.db", "query": "people"}),
    )
    .await;
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/datasets/{id}/pull"),
            Some(&gaj),
            None,
        )
        .await;
    let body = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "pull_source_error").await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("/no/such/dir/x.db")
    );
    let (_, d) = t.get(&format!("/api/v1/datasets/{id}"), &gaj).await;
    assert_eq!(d["current_version"], 2);
    let (_, s) = t
        .get(&format!("/api/v1/datasets/{id}/pull-source"), &gaj)
        .await;
    assert!(s["last_error"].is_string());

    // The schedule pulls a source that was never pulled.
    let r = t
        .call(Method::PUT, &format!("/api/v1/datasets/{id}/pull-source"), Some(&gaj), Some(json!({"url": src_url, "query": "SELECT 公民身份号码, 姓名, 性别, 出生日期 FROM people"})))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(t.app.run_due_pulls().await.unwrap(), 1);
    assert_eq!(
        t.app.run_due_pulls().await.unwrap(),
        0,
        "not due again within a day"
    );
    let (_, d) = t.get(&format!("/api/v1/datasets/{id}"), &gaj).await;
    assert_eq!(
        (d["current_version"].as_i64(), d["row_count"].as_i64()),
        (Some(3), Some(3))
    );
}

#[tokio::test]
async fn base_fields_have_one_source_records_assemble_and_disagreements_are_reported() {
    let t = TestApp::demo().await;
    let (pop, gaj) = population_dataset(&t).await;
    let v = "公民身份号码,姓名,性别,出生日期\n11010519491231002X,张三,女,1949-12-31\n440524188001010014,李四,男,1880-01-01\n";
    upload(&t, &gaj, pop, "p.csv", v.as_bytes().to_vec()).await;
    let (status, f) = t
        .post(
            "/api/v1/base/population/fields",
            &gaj,
            json!({"field": "姓名", "dataset_id": pop}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    t.post(
        "/api/v1/base/population/fields",
        &gaj,
        json!({"field": "出生日期", "dataset_id": pop}),
    )
    .await;

    // 民政局 holds names too (a marriage dataset keyed by the same number), one differing.
    let mzj = t.login("qy-mzj").await;
    let sjj = t.login("qy-sjj").await;
    let mut entry = crate::catalog::population_entry();
    entry["name"] = json!("婚姻登记信息");
    let (_, e) = t.post("/api/v1/catalog/entries", &mzj, entry).await;
    let eid = e["id"].as_i64().unwrap();
    t.post(
        &format!("/api/v1/catalog/entries/{eid}/submit"),
        &mzj,
        json!(null),
    )
    .await;
    t.post(
        &format!("/api/v1/catalog/entries/{eid}/review"),
        &sjj,
        json!({"decision": "approve"}),
    )
    .await;
    let (_, d) = t
        .post("/api/v1/datasets", &mzj, json!({"entry_id": eid, "name": "婚姻登记", "key": ["公民身份号码"],
            "columns": [{"name": "公民身份号码", "type": "string", "checks": ["id_card"]}, {"name": "姓名", "type": "string"}]}))
        .await;
    let marriage = d["id"].as_i64().unwrap();
    let m = "公民身份号码,姓名\n11010519491231002X,张三\n440524188001010014,李肆\n";
    let (status, _) = upload(&t, &mzj, marriage, "m.csv", m.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::CREATED);

    // A second source for 姓名 is refused, naming the owner.
    let (status, body) = t
        .post(
            "/api/v1/base/population/fields",
            &mzj,
            json!({"field": "姓名", "dataset_id": marriage}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("base_field_has_source"))
    );
    assert!(body["detail"].as_str().unwrap().contains("清远市公安局"));

    let (status, rec) = t
        .get("/api/v1/base/population/records/440524188001010014", &sjj)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rec["values"][0]["field"], "姓名");
    assert_eq!(
        rec["values"][0]["value"], "李四",
        "the source department's value, not another's"
    );
    let (_, c) = t.get("/api/v1/base/population/conflicts", &sjj).await;
    let items = c["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        (items[0]["value"].as_str(), items[0]["other_value"].as_str()),
        (Some("李四"), Some("李肆"))
    );
    // The disagreement is a quality issue of 民政局's dataset, for it to fix;
    // the source's dataset has none.
    let (_, q) = t
        .get(&format!("/api/v1/datasets/{marriage}/quality"), &mzj)
        .await;
    let issues: Vec<&Value> = q["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["rule"] == "base_conflict")
        .collect();
    assert_eq!(issues.len(), 1, "{q}");
    assert_eq!(
        (issues[0]["column"].as_str(), issues[0]["value"].as_str()),
        (Some("姓名"), Some("李肆"))
    );
    assert!(
        issues[0]["message"].as_str().unwrap().contains("李四"),
        "{q}"
    );
    let (_, q) = t
        .get(&format!("/api/v1/datasets/{pop}/quality"), &gaj)
        .await;
    assert!(!q.to_string().contains("base_conflict"), "{q}");
    let page = crate::pages::sign_in(&t, "qy-mzj")
        .await
        .get(t.url(&format!("/datasets/{marriage}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let listed = &page[page.find("id=\"quality-issues\"").expect("issues listed")..];
    assert!(
        listed.contains("base_conflict") && listed.contains("李肆"),
        "the page lists it"
    );
    // Agencies do not read assembled records.
    let (status, _) = t
        .get("/api/v1/base/population/records/440524188001010014", &mzj)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, list) = t.get("/api/v1/base", &mzj).await;
    assert_eq!(list["items"][0]["fields"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn references_to_another_dataset_are_checked_and_scored_for_consistency() {
    let t = TestApp::demo().await;
    let (pop, gaj) = population_dataset(&t).await;
    let v = "公民身份号码,姓名,性别,出生日期\n11010519491231002X,张三,女,1949-12-31\n";
    upload(&t, &gaj, pop, "p.csv", v.as_bytes().to_vec()).await;
    let rsj = t.login("qy-rsj").await;
    let sjj = t.login("qy-sjj").await;
    let mut entry = crate::catalog::population_entry();
    entry["name"] = json!("社会保险参保信息");
    let (_, e) = t.post("/api/v1/catalog/entries", &rsj, entry).await;
    let eid = e["id"].as_i64().unwrap();
    t.post(
        &format!("/api/v1/catalog/entries/{eid}/submit"),
        &rsj,
        json!(null),
    )
    .await;
    t.post(
        &format!("/api/v1/catalog/entries/{eid}/review"),
        &sjj,
        json!({"decision": "approve"}),
    )
    .await;
    let cols = |check: &str| json!([{"name": "参保编号", "type": "string"}, {"name": "公民身份号码", "type": "string", "checks": [check]}]);
    let (status, body) = t.post("/api/v1/datasets", &rsj, json!({"entry_id": eid, "name": "x", "key": ["参保编号"], "columns": cols("ref:99999")})).await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("columns"))
    );
    let (_, strict) = t.post("/api/v1/datasets", &rsj, json!({"entry_id": eid, "name": "严格", "key": ["参保编号"], "columns": cols(&format!("ref:{pop}"))})).await;
    let (_, lenient) = t.post("/api/v1/datasets", &rsj, json!({"entry_id": eid, "name": "宽松", "key": ["参保编号"], "columns": cols(&format!("flag:ref:{pop}"))})).await;
    let rows = "参保编号,公民身份号码\nA1,11010519491231002X\nA2,440524188001010014\n";
    let (status, r) = upload(
        &t,
        &rsj,
        strict["id"].as_i64().unwrap(),
        "s.csv",
        rows.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (
            r["errors"][0]["row"].as_i64(),
            r["errors"][0]["rule"].as_str()
        ),
        (Some(2), Some("reference"))
    );
    let lid = lenient["id"].as_i64().unwrap();
    let (status, _) = upload(&t, &rsj, lid, "l.csv", rows.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, q) = t
        .get(&format!("/api/v1/datasets/{lid}/quality"), &rsj)
        .await;
    assert_eq!(q["consistency"].as_f64(), Some(0.5));
    assert_eq!(q["issues"][0]["rule"], "reference");
}

#[tokio::test]
async fn an_xlsx_with_formulas_and_merged_cells_gets_a_row_report_not_a_crash() {
    let t = TestApp::demo().await;
    let (id, gaj) = population_dataset(&t).await;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["公民身份号码", "姓名", "性别", "出生日期"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    // Row 1: the identity number is a formula (its cached value is 0).
    ws.write_formula(1, 0, "=1+1").unwrap();
    ws.write_string(1, 1, "张三").unwrap();
    // Rows 2–3: a name merged across two rows leaves row 3 without one.
    ws.write_string(2, 0, "11010519491231002X").unwrap();
    ws.write_string(3, 0, "440524188001010014").unwrap();
    ws.merge_range(2, 1, 3, 1, "李四", &rust_xlsxwriter::Format::new())
        .unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let (status, r) = upload(&t, &gaj, id, "公式.xlsx", bytes).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    let errs: Vec<(i64, &str, &str)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["column"].as_str().unwrap(),
                e["rule"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        errs,
        [(1, "公民身份号码", "id_card"), (3, "姓名", "required")]
    );
    let (_, d) = t.get(&format!("/api/v1/datasets/{id}"), &gaj).await;
    assert_eq!(d["current_version"], 0);
}

/// A table pull from the agency's own PostgreSQL database: values of every
/// type arrive as text, the incremental column keeps its high-water mark,
/// and the password never shows. Runs in the PostgreSQL pass of the suite.
#[tokio::test]
async fn the_platform_pulls_from_an_agencys_postgresql_database() {
    use sqlx::Connection;
    if std::env::var("PUBDATA_TEST_POSTGRES").map_or(true, |s| s.is_empty()) {
        eprintln!("PUBDATA_TEST_POSTGRES not set: runs in the PostgreSQL pass");
        return;
    }
    let t = TestApp::demo().await;
    let (id, gaj) = population_dataset(&t).await;
    let dir = tempfile::tempdir().unwrap();
    let src_url = test_database_url(&dir).await;
    let mut src = sqlx::PgConnection::connect(&src_url).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE people (id_no TEXT PRIMARY KEY, name VARCHAR(20), sex CHAR(1), born DATE, seq INTEGER, updated_at TIMESTAMP);
         INSERT INTO people VALUES ('11010519491231002X', '张三', '女', '1949-12-31', 1, '2026-11-01 08:00:00');
         INSERT INTO people VALUES ('440524188001010014', 'O''Neil', '男', '1880-01-01', 2, '2026-11-02 08:00:00');",
    )
    .execute(&mut src)
    .await
    .unwrap();
    // With a password in the URL (the test server trusts any).
    let with_password = src_url.replacen("postgres@", "postgres:s3cret@", 1);
    let query = "SELECT id_no AS 公民身份号码, name AS 姓名, sex AS 性别, born AS 出生日期, updated_at FROM people";
    set_pull_source(
        &t,
        &gaj,
        id,
        json!({"url": with_password, "query": query, "incremental_column": "updated_at"}),
    )
    .await;
    let (status, v) = pull(&t, &gaj, id).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["inserted"], 2);
    let (_, s) = t
        .get(&format!("/api/v1/datasets/{id}/pull-source"), &gaj)
        .await;
    assert_eq!(s["last_value"], "2026-11-02 08:00:00");
    assert!(!s.to_string().contains("s3cret"), "{s}");
    // Nor to a supervisor who may view the dataset, nor in the audit chain.
    let auditor = t.login("auditor").await;
    let (status, s) = t
        .get(&format!("/api/v1/datasets/{id}/pull-source"), &auditor)
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    let shown = s["url"].as_str().unwrap();
    assert!(shown.contains("postgres:***@"), "{shown}");
    let chain = t.store.audit_batch(0, 100_000).await.unwrap();
    assert!(!format!("{chain:?}").contains("s3cret"));
    // Nor in the database: the URL is sealed at rest with the key file.
    let stored = t.store.stored_secrets("pull_sources.url").await.unwrap();
    assert!(
        stored.iter().any(|(k, v)| *k == id
            && v.starts_with("sealed:v1:aes256gcm:")
            && !v.contains("s3cret")),
        "{stored:?}"
    );
    let (_, rows) = t.get(&format!("/api/v1/datasets/{id}/rows"), &gaj).await;
    let text = rows.to_string();
    assert!(
        text.contains("O'Neil") && text.contains("1949-12-31"),
        "{text}"
    );

    // Only rows beyond the high-water mark come next time.
    sqlx::raw_sql(
        "UPDATE people SET name = '张三丰', updated_at = '2026-11-20 08:00:00' WHERE seq = 1;",
    )
    .execute(&mut src)
    .await
    .unwrap();
    let (status, v) = pull(&t, &gaj, id).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["rows_in"].as_i64(), v["updated"].as_i64()),
        (Some(1), Some(1))
    );
}

/// A 2 GiB upload is refused before it is read (413 `body_too_large`), and
/// the dataset keeps its version.
#[tokio::test]
async fn a_2_gib_upload_is_refused_and_changes_nothing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t = TestApp::demo().await;
    let (id, gaj) = population_dataset(&t).await;
    let v1 = "公民身份号码,姓名,性别,出生日期\n11010519491231002X,张三,女,1949-12-31\n";
    let (status, _) = upload(&t, &gaj, id, "v1.csv", v1.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::CREATED);

    let addr = t.base.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/datasets/{id}/loads HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {gaj}\r\n\
         Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: {}\r\n\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n\
         公民身份号码,姓名,性别,出生日期\n",
        2u64 << 30
    );
    s.write_all(head.as_bytes()).await.unwrap();
    // Some of the 2 GiB follows; the server answers without waiting for the rest.
    let rows = "11010519491231002X,张三,女,1949-12-31\n".repeat(20_000);
    let _ = s.write_all(rows.as_bytes()).await;
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(20), s.read(&mut answer))
        .await
        .expect("an answer before the body is complete")
        .unwrap();
    let text = String::from_utf8_lossy(&answer[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("body_too_large"), "{text}");
    drop(s);

    let (_, d) = t.get(&format!("/api/v1/datasets/{id}"), &gaj).await;
    assert_eq!(
        (d["current_version"].as_i64(), d["row_count"].as_i64()),
        (Some(1), Some(1))
    );
}

/// An upload without a declared length is counted as it arrives: past
/// 1 GiB it is refused (413), the spooled part is dropped, nothing changes.
#[tokio::test]
async fn a_streamed_upload_past_1_gib_is_refused_and_changes_nothing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t = TestApp::demo().await;
    let (id, gaj) = population_dataset(&t).await;
    let addr = t.base.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/datasets/{id}/loads HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {gaj}\r\n\
         Content-Type: multipart/form-data; boundary=XyZ\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let part = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n公民身份号码,姓名,性别,出生日期\n";
    s.write_all(format!("{:x}\r\n{part}\r\n", part.len()).as_bytes())
        .await
        .unwrap();
    // 4 MiB chunks of rows until the server answers (at most 1.25 GiB).
    let rows = "11010519491231002X,张三,女,1949-12-31\n".repeat(4 * 1024 * 1024 / 40);
    let chunk = format!("{:x}\r\n{rows}\r\n", rows.len());
    let (mut rd, mut wr) = s.into_split();
    let step = rows.len();
    let writer = tokio::spawn(async move {
        let mut sent = 0usize;
        while sent < (5usize << 30) / 4 {
            if wr.write_all(chunk.as_bytes()).await.is_err() {
                break; // the server closed the connection after answering
            }
            sent += rows.len();
        }
        sent
    });
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(120), rd.read(&mut answer))
        .await
        .expect("an answer")
        .unwrap();
    let text = String::from_utf8_lossy(&answer[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("body_too_large"), "{text}");
    drop(rd);
    let sent = writer.await.unwrap();
    // Counted by whole chunks written: the one the answer cut short is not.
    assert!(
        sent + 2 * step > 1 << 30,
        "refused only past 1 GiB ({sent} bytes sent)"
    );
    let (_, d) = t.get(&format!("/api/v1/datasets/{id}"), &gaj).await;
    assert_eq!(d["current_version"], 0);
}

/// `GET /api/v1/datasets?q=` finds datasets by their name or their
/// catalogue entry's name, within what the caller may list; `%` and `_`
/// are plain characters.
#[tokio::test]
async fn datasets_are_searched_by_name_and_entry() {
    let t = TestApp::demo().await;
    let (id, gaj) = population_dataset(&t).await;
    let names = |v: &Value| -> Vec<i64> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_i64().unwrap())
            .collect()
    };
    for q in ["户籍", "人口基础", "%E4%BA%BA%E5%8F%A3"] {
        let (status, v) = t.get(&format!("/api/v1/datasets?q={q}"), &gaj).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(names(&v), vec![id], "q={q}: {v}");
    }
    for q in ["婚姻", "%25", "_"] {
        let (status, v) = t.get(&format!("/api/v1/datasets?q={q}"), &gaj).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert!(names(&v).is_empty(), "q={q}: {v}");
    }
    // Another agency's search does not reach 公安局's datasets.
    let mzj = t.login("qy-mzj").await;
    let (_, v) = t.get("/api/v1/datasets?q=户籍", &mzj).await;
    assert!(names(&v).is_empty(), "{v}");
    let (status, _) = t
        .get(&format!("/api/v1/datasets?q={}", "长".repeat(101)), &gaj)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
