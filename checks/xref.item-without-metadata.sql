-- code: xref.item-without-metadata
-- severity: error
-- title: Listed item has no item JSON
-- description: An item of the conversation's catalogue that a transcript lists in mentioned_items or
--   gt_items has no metadata/item_{id}.json. Every item a conversation refers to has metadata: restore
--   the file. One finding per item, naming the conversations that list it.
-- requires: conversations, catalogue_membership
-- uses: rating_rows
SELECT format('metadata/item_{}.json', l.item_id) AS file,
       {'item_id': l.item_id} AS keys,
       l.item_id AS value,
       'an item JSON for every listed item' AS expected,
       format('item {} (catalogue {}) is listed by {} conversation(s) ({}) but metadata/item_{}.json does not '
              'exist: restore it', l.item_id, m.catalogue, count(DISTINCT l.conversation_id),
              array_to_string(list_slice(list(DISTINCT l.source_file ORDER BY l.source_file), 1, 5), ', '),
              l.item_id) AS message
FROM listed_item AS l
JOIN conversation_context AS c USING (conversation_id)
JOIN mapped_item AS m USING (item_id)
WHERE m.catalogue = c.catalogue
  AND NOT m.has_metadata
GROUP BY l.item_id, m.catalogue
ORDER BY value
