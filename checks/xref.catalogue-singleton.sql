-- code: xref.catalogue-singleton
-- severity: warning
-- title: A catalogue of one item
-- description: In supplements/catalogue_mapping.csv an item without an item JSON (a profile-survey item) is
--   the only item of its catalogue, while the other catalogues hold several (in the release: 12 items per
--   catalogue, the profile-survey items under one letter). A lone catalogue value is most likely a damaged
--   cell (a typo, stray characters) that would put a catalogue of its own into the release. One finding per
--   such item: fix the catalogue value. (A catalogue item, with an item JSON, is checked against its JSON by
--   xref.item-catalogue-mismatch instead).
-- requires: catalogue_membership
WITH sizes AS (
    SELECT catalogue, count(*) AS n FROM mapped_item GROUP BY catalogue
), lone AS (
    SELECT m.item_id, m.catalogue, m.source_row
    FROM mapped_item AS m
    JOIN sizes AS s USING (catalogue)
    WHERE s.n = 1 AND NOT m.has_metadata
), usual AS (
    SELECT min(n) AS n FROM sizes WHERE n > 1
)
SELECT 'supplements/catalogue_mapping.csv' AS file, l.source_row AS row, 'catalogue' AS "column",
       {'item_id': l.item_id, 'catalogue': left(l.catalogue, 60)} AS keys,
       left(l.catalogue, 60) AS value,
       'the catalogue of other items' AS expected,
       format('item {} is the only item of catalogue {}, while every other catalogue holds {} items or more: '
              'a damaged value? Fix the catalogue cell', l.item_id, left(l.catalogue, 60), u.n) AS message
FROM lone AS l, usual AS u
WHERE u.n IS NOT NULL
ORDER BY row
