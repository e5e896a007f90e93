//! The open data as a DCAT-AP catalogue (`GET /api/v1/open/dcat`) for
//! harvesters: its structure, every open dataset in it and nothing else,
//! and the portal linking it.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::ckan::ckan_world;
use crate::common::*;

#[tokio::test]
async fn the_dcat_catalogue_lists_every_open_dataset_and_nothing_else() {
    let t = TestApp::demo().await;
    let (sites, stops, closed) = ckan_world(&t).await;
    let r = t.call(Method::GET, "/api/v1/open/dcat", None, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/ld+json");
    let doc: Value = r.json().await.unwrap();

    // The catalogue: published by the platform, home page the portal.
    assert_eq!(doc["@type"], "dcat:Catalog");
    assert_eq!(doc["@context"]["dcat"], "http://www.w3.org/ns/dcat#");
    assert_eq!(doc["@context"]["dct"], "http://purl.org/dc/terms/");
    assert_eq!(doc["dct:title"]["@value"], "公共数据开放平台");
    assert_eq!(doc["dct:publisher"]["@type"], "foaf:Agent");
    assert_eq!(doc["foaf:homepage"]["@id"], format!("{}/open", t.base));

    // Every open dataset, none other.
    let datasets = doc["dcat:dataset"].as_array().unwrap();
    let pages: Vec<String> = datasets
        .iter()
        .map(|d| d["dcat:landingPage"]["@id"].as_str().unwrap().to_string())
        .collect();
    let page = |id: i64| format!("{}/open/datasets/{id}", t.base);
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert!(pages.contains(&page(sites)) && pages.contains(&page(stops)));
    assert!(!pages.contains(&page(closed)));
    assert!(
        !doc.to_string().contains("内部网点统计"),
        "the closed dataset is absent"
    );

    let d = datasets
        .iter()
        .find(|d| d["dcat:landingPage"]["@id"] == page(sites))
        .unwrap();
    assert_eq!(d["@type"], "dcat:Dataset");
    let (_, meta) = json_of(
        t.call(
            Method::GET,
            &format!("/api/v1/open/datasets/{sites}"),
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(d["dct:identifier"], meta["entry_code"]);
    assert_eq!(d["dct:title"]["@value"], "社会保险经办网点");
    assert_eq!(d["dct:title"]["@language"], "zh-CN");
    assert_eq!(d["dct:description"]["@value"], meta["summary"]);
    assert_eq!(d["dct:publisher"]["@type"], "foaf:Agent");
    assert_eq!(
        d["dct:publisher"]["foaf:name"]["@value"],
        "清远市市场监督管理局"
    );
    let keywords: Vec<&str> = d["dcat:keyword"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["@value"].as_str().unwrap())
        .collect();
    assert_eq!(keywords, ["网点", "社会保险"]);
    assert_eq!(d["dcat:theme"]["skos:notation"], "101");
    assert_eq!(
        d["dct:accrualPeriodicity"]["@id"],
        "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
    );
    assert!(d["dct:modified"].as_str().unwrap().starts_with("20"));

    // A distribution per download format, and one for the API, which a
    // data service serves.
    let dists = d["dcat:distribution"].as_array().unwrap();
    assert_eq!(dists.len(), 4);
    for (dist, format, media) in [
        (&dists[0], "CSV", "text/csv"),
        (&dists[1], "JSON", "application/json"),
    ] {
        assert_eq!(dist["@type"], "dcat:Distribution");
        assert_eq!(
            dist["dcat:downloadURL"]["@id"],
            format!(
                "{}/api/v1/open/datasets/{sites}/download?format={}",
                t.base,
                format.to_lowercase()
            )
        );
        assert_eq!(dist["dcat:accessURL"]["@id"], page(sites));
        assert_eq!(
            dist["dct:format"]["@id"],
            format!("http://publications.europa.eu/resource/authority/file-type/{format}")
        );
        assert_eq!(
            dist["dcat:mediaType"]["@id"],
            format!("https://www.iana.org/assignments/media-types/{media}")
        );
        // The download it names works.
        let url = dist["dcat:downloadURL"]["@id"].as_str().unwrap();
        let r = t.client.get(url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{url}");
    }
    let api = &dists[3];
    let service_id = api["dcat:accessService"]["@id"].as_str().unwrap();
    let service = doc["dcat:service"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["@id"] == service_id)
        .unwrap();
    assert_eq!(service["@type"], "dcat:DataService");
    assert_eq!(service["dcat:servesDataset"]["@id"], d["@id"]);
    assert_eq!(
        service["dcat:endpointURL"]["@id"],
        format!("{}/api/v1/open/datasets/{sites}/rows", t.base)
    );

    // The portal links the catalogue, for machines and people.
    let html = t
        .call(Method::GET, "/open", None, None)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(
            r#"<link rel="alternate" type="application/ld+json" href="/api/v1/open/dcat""#
        )
    );
    assert!(html.contains(r#"id="open-dcat""#));
}
