-- code: xref.item-outside-catalogue
-- severity: error
-- title: Listed item outside the conversation's catalogue
-- description: An id in mentioned_items or gt_items is mapped to another catalogue than the
--   conversation's. A conversation only discusses the items of its own catalogue: fix the id, or the
--   conversation's catalogue. The conversation's catalogue is the one its transcript and rating rows agree
--   on (two of three; the transcript's when all differ), so a single wrong catalogue cell is reported
--   once, by xref.catalogue-mismatch, and not here for every item.
-- requires: conversations, catalogue_membership
-- uses: rating_rows
SELECT l.source_file AS file,
       format('/{}/{}', l.list, l.position) AS pointer,
       {'conversation_id': l.conversation_id, 'item_id': l.item_id} AS keys,
       l.item_id AS value,
       format('an item of catalogue {}', c.catalogue) AS expected,
       format('{} of conversation {} holds item {}, which belongs to catalogue {} '
              '(catalogue_mapping.csv row {}), not to the conversation''s catalogue {}: fix the id',
              l.list, l.conversation_id, l.item_id, m.catalogue, m.source_row, c.catalogue) AS message
FROM listed_item AS l
JOIN conversation_context AS c USING (conversation_id)
JOIN mapped_item AS m USING (item_id)
WHERE c.catalogue IS NOT NULL
  AND m.catalogue IS DISTINCT FROM c.catalogue
ORDER BY file, pointer
