-- Base databases (基础库, BASE-1): each field comes from exactly one source
-- department's dataset (COL-1).
CREATE TABLE base_tables (
    code     TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    key_name TEXT NOT NULL
);
INSERT INTO base_tables (code, name, key_name) VALUES
    ('population', '人口基础库', '公民身份号码'),
    ('legal_person', '法人基础库', '统一社会信用代码'),
    ('geo', '自然资源和空间地理基础库', '不动产单元号'),
    ('licence', '电子证照基础库', '证照编号');

CREATE TABLE base_fields (
    base_code     TEXT NOT NULL REFERENCES base_tables(code),
    field         TEXT NOT NULL,
    dataset_id    BIGINT NOT NULL REFERENCES datasets(id),
    source_column TEXT NOT NULL,
    org_id        BIGINT NOT NULL REFERENCES orgs(id),
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (base_code, field)
);
