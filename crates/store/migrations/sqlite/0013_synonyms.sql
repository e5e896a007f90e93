-- The synonym list of search (同义词表, OPN-3): abbreviations people type
-- and the full terms they stand for (社保 → 社会保险 …), used by the
-- catalogue search and the open data portal; data the authority edits,
-- seeded with domain::catalog::SYNONYMS.

CREATE TABLE synonyms (
    position      INTEGER PRIMARY KEY,
    abbreviation  TEXT NOT NULL,
    term          TEXT NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
