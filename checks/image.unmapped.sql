-- code: image.unmapped
-- severity: error
-- title: Image of no mapped item
-- description: A metadata/item_{id}.png exists for an id that supplements/catalogue_mapping.csv lacks.
--   Add the item's mapping row, or remove the stray image.
-- requires: files, catalogue_membership
SELECT f.path AS file,
       {'item_id': f.item_id} AS keys,
       f.item_id AS value,
       'an id of supplements/catalogue_mapping.csv' AS expected,
       format('image {} belongs to item {}, which supplements/catalogue_mapping.csv does not have: add the '
              'mapping row or remove the image', f.path, f.item_id) AS message
FROM (
    SELECT path, TRY_CAST(regexp_extract(path, '^metadata/item_(\d+)\.png$', 1) AS BIGINT) AS item_id
    FROM files
    WHERE regexp_matches(path, '^metadata/item_\d+\.png$')
) AS f
WHERE NOT EXISTS (SELECT 1 FROM catalogue_membership AS m WHERE m.item_id = f.item_id)
ORDER BY file
