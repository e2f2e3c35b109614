-- code: xref.unknown-item
-- severity: error
-- title: Listed item not in the catalogue mapping
-- description: An id in a transcript's mentioned_items or gt_items is not in
--   supplements/catalogue_mapping.csv. Item ids are global ids of the mapping: fix the id, or add the
--   item (mapping row, item JSON and image) if it really is missing.
-- requires: conversations, catalogue_membership
SELECT l.source_file AS file,
       format('/{}/{}', l.list, l.position) AS pointer,
       {'conversation_id': l.conversation_id, 'item_id': l.item_id} AS keys,
       l.item_id AS value,
       'an id of supplements/catalogue_mapping.csv' AS expected,
       format('{} of conversation {} holds item {}, which supplements/catalogue_mapping.csv does not have: '
              'fix the id or add the item to the mapping', l.list, l.conversation_id, l.item_id) AS message
FROM listed_item AS l
WHERE l.item_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM catalogue_membership AS m WHERE m.item_id = l.item_id)
ORDER BY file, pointer
