-- code: image.missing
-- severity: error
-- title: Image missing
-- description: A mapped item has no item_{id}.png. Every id of supplements/catalogue_mapping.csv (catalogue
--   and profile-survey items) has an image in metadata/: restore it. When metadata/ holds no image at all,
--   one finding replaces one per item.
-- requires: files, catalogue_membership
WITH image AS (
    SELECT TRY_CAST(regexp_extract(path, '^metadata/item_(\d+)\.png$', 1) AS BIGINT) AS item_id
    FROM files
    WHERE regexp_matches(path, '^metadata/item_\d+\.png$')
), missing AS (
    SELECT m.item_id, m.catalogue, m.source_row
    FROM mapped_item AS m
    WHERE NOT EXISTS (SELECT 1 FROM image AS i WHERE i.item_id = m.item_id)
)
SELECT format('metadata/item_{}.png', item_id) AS file,
       {'item_id': item_id} AS keys,
       item_id AS value,
       'an image for every mapped item' AS expected,
       format('item {} (catalogue {}, catalogue_mapping.csv row {}) has no image metadata/item_{}.png: restore it',
              item_id, catalogue, source_row, item_id) AS message
FROM missing
WHERE EXISTS (SELECT 1 FROM image)
UNION ALL
SELECT 'metadata' AS file,
       {'item_id': NULL::BIGINT} AS keys,
       count(*) AS value,
       'an image for every mapped item' AS expected,
       format('metadata/ holds no item image at all, but {} items are mapped: restore the images', count(*))
           AS message
FROM missing
WHERE NOT EXISTS (SELECT 1 FROM image)
HAVING count(*) > 0
ORDER BY file
