-- code: xref.item-not-mapped
-- severity: error
-- title: Item JSON without a mapping row
-- description: A metadata/item_{id}.json exists for an id that supplements/catalogue_mapping.csv lacks.
--   Every item has a mapping row: add it (id and catalogue letter), or remove the stray file.
-- requires: files, catalogue_membership
SELECT f.path AS file,
       {'item_id': f.item_id} AS keys,
       f.item_id AS value,
       'an id of supplements/catalogue_mapping.csv' AS expected,
       format('item {} has metadata ({}) but no row in supplements/catalogue_mapping.csv: add the mapping row '
              'or remove the file', f.item_id, f.path) AS message
FROM (
    SELECT path, TRY_CAST(regexp_extract(path, '^metadata/item_(\d+)\.json$', 1) AS BIGINT) AS item_id
    FROM files
    WHERE regexp_matches(path, '^metadata/item_\d+\.json$')
) AS f
WHERE NOT EXISTS (SELECT 1 FROM catalogue_membership AS m WHERE m.item_id = f.item_id)
ORDER BY file
