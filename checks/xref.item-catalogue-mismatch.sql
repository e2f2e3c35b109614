-- code: xref.item-catalogue-mismatch
-- severity: error
-- title: Item JSON catalogue differs from the mapping
-- description: The catalogue key of metadata/item_{id}.json differs from the item's catalogue in
--   supplements/catalogue_mapping.csv. The mapping is the reference: fix whichever of the two is wrong.
-- requires: items, catalogue_membership
SELECT i.source_file AS file, '/catalogue' AS pointer,
       {'item_id': i.item_id} AS keys,
       i.catalogue AS value,
       m.catalogue AS expected,
       format('item {} says catalogue {}, but catalogue_mapping.csv row {} maps it to catalogue {}: make them '
              'agree', i.item_id, i.catalogue, m.source_row, m.catalogue) AS message
FROM items AS i
JOIN mapped_item AS m USING (item_id)
WHERE i.catalogue IS NOT NULL
  AND i.catalogue IS DISTINCT FROM m.catalogue
ORDER BY file
