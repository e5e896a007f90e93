//! The open data as a DCAT-AP catalogue (开放目录, DCAT-AP 2/3 JSON-LD) for
//! harvesters: a `dcat:Catalog` published by the platform whose home page
//! is the portal, each open dataset a `dcat:Dataset` (the entry code as
//! `dct:identifier`, its agency a `foaf:Agent`, keywords, theme, the EU
//! frequency vocabulary, the portal page as landing page) with a
//! `dcat:Distribution` per download format and one for its open data API,
//! served by a `dcat:DataService`. Only unconditionally open datasets are
//! listed (the portal's set).

use serde_json::{Value, json};

use crate::App;
use crate::error::Result;

/// The EU file-type vocabulary.
const FILE_TYPE: &str = "http://publications.europa.eu/resource/authority/file-type/";
/// IANA media types, as DCAT-AP names them.
const IANA: &str = "https://www.iana.org/assignments/media-types/";

/// The downloads: (`format=`, EU file type, media type, title).
const DOWNLOADS: [(&str, &str, &str, &str); 3] = [
    ("csv", "CSV", "text/csv", "CSV"),
    ("json", "JSON", "application/json", "JSON"),
    (
        "xlsx",
        "XLSX",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "XLSX",
    ),
];

/// The platform's name, as the catalogue's publisher.
pub const PLATFORM: &str = "公共数据开放平台";

fn zh(s: &str) -> Value {
    json!({"@value": s, "@language": "zh-CN"})
}

impl App {
    /// The DCAT-AP catalogue of the open data; `site` is the address the
    /// caller reached (every IRI is absolute).
    pub async fn open_dcat(&self, site: &str) -> Result<Value> {
        let loaded = self.open_loaded(None, None).await?;
        let tree = self.org_tree().await?;
        let mut services = vec![];
        let mut datasets = vec![];
        let mut modified = None;
        for l in &loaded {
            let v = &l.view;
            let id = v.id;
            let page = format!("{site}/open/datasets/{id}");
            let dataset_iri = format!("{page}#dataset");
            let service_iri = format!("{site}/api/v1/open/datasets/{id}/rows#service");
            let changed = l
                .dataset
                .last_load_at
                .map_or(l.entry.updated_at, |t| t.max(l.entry.updated_at));
            modified = modified.max(Some(changed));
            let org = tree.get(v.org_id);
            let mut distributions: Vec<Value> = DOWNLOADS
                .iter()
                .map(|(param, file_type, media, title)| {
                    let url = format!("{site}/api/v1/open/datasets/{id}/download?format={param}");
                    json!({
                        "@id": url,
                        "@type": "dcat:Distribution",
                        "dct:title": zh(&format!("{}（{title}）", v.title)),
                        "dcat:accessURL": {"@id": page},
                        "dcat:downloadURL": {"@id": url},
                        "dct:format": {"@id": format!("{FILE_TYPE}{file_type}")},
                        "dcat:mediaType": {"@id": format!("{IANA}{media}")},
                        "dct:modified": changed.to_rfc3339(),
                    })
                })
                .collect();
            let rows = format!("{site}/api/v1/open/datasets/{id}/rows");
            distributions.push(json!({
                "@id": format!("{rows}#distribution"),
                "@type": "dcat:Distribution",
                "dct:title": zh(&format!("{}（开放数据接口）", v.title)),
                "dcat:accessURL": {"@id": rows},
                "dcat:accessService": {"@id": service_iri},
                "dct:format": {"@id": format!("{FILE_TYPE}JSON")},
                "dcat:mediaType": {"@id": format!("{IANA}application/json")},
            }));
            services.push(json!({
                "@id": service_iri,
                "@type": "dcat:DataService",
                "dct:title": zh(&format!("{}（开放数据接口）", v.title)),
                "dcat:endpointURL": {"@id": rows},
                "dcat:endpointDescription": {"@id": format!("{site}/api/v1/openapi.json")},
                "dcat:servesDataset": {"@id": dataset_iri},
                "dct:accessRights": {"@id": "http://publications.europa.eu/resource/authority/access-right/PUBLIC"},
            }));
            datasets.push(json!({
                "@id": dataset_iri,
                "@type": "dcat:Dataset",
                "dct:identifier": v.entry_code,
                "dct:title": zh(&v.title),
                "dct:description": zh(&v.summary),
                "dct:publisher": {
                    "@id": format!("{site}/open?org={}", v.org_id),
                    "@type": "foaf:Agent",
                    "foaf:name": zh(&v.org_name),
                    "dct:identifier": org.map(|o| o.code.clone()).unwrap_or_default(),
                },
                "dcat:keyword": v.keywords.iter().map(|k| zh(k)).collect::<Vec<_>>(),
                "dcat:theme": {
                    "@id": format!("{site}/ns/classification/{}", v.classification),
                    "@type": "skos:Concept",
                    "skos:notation": v.classification,
                },
                "dct:accrualPeriodicity": {
                    "@id": crate::catalog_export::frequency_uri(l.entry.content.update_frequency),
                },
                "dct:issued": l.entry.published_on.map(|d| d.to_string()),
                "dct:modified": changed.to_rfc3339(),
                "dct:accessRights": {"@id": "http://publications.europa.eu/resource/authority/access-right/PUBLIC"},
                "dcat:landingPage": {"@id": page},
                "dcat:distribution": distributions,
            }));
        }
        Ok(json!({
            "@context": {
                "dcat": "http://www.w3.org/ns/dcat#",
                "dct": "http://purl.org/dc/terms/",
                "foaf": "http://xmlns.com/foaf/0.1/",
                "skos": "http://www.w3.org/2004/02/skos/core#",
                "xsd": "http://www.w3.org/2001/XMLSchema#",
                "dct:issued": {"@type": "xsd:date"},
                "dct:modified": {"@type": "xsd:dateTime"},
            },
            "@id": format!("{site}/open#catalog"),
            "@type": "dcat:Catalog",
            "dct:title": zh(PLATFORM),
            "dct:description": zh("无条件开放的公共数据：数据集、下载与开放数据接口"),
            "dct:publisher": {
                "@id": format!("{site}/#platform"),
                "@type": "foaf:Agent",
                "foaf:name": zh(PLATFORM),
            },
            "foaf:homepage": {"@id": format!("{site}/open")},
            "dct:language": {"@id": "http://publications.europa.eu/resource/authority/language/ZHO"},
            "dct:modified": modified.map(|t| t.to_rfc3339()),
            "dcat:service": services,
            "dcat:dataset": datasets,
        }))
    }
}
