-- code: xref.chosen-item-rated-low
-- severity: warning
-- title: Chosen item rated low by the Seeker
-- description: An item of gt_items (the items the Seeker chose) has a Seeker rating of 2 or lower. This
--   occurs in the release (people change their minds) and is a warning: check that gt_items and the rating
--   row belong to the same conversation.
-- requires: conversations, item_ratings
SELECT ir.source_file AS file, ir.source_row AS row, format('item_{}', ir.item_id) AS "column",
       {'conversation_id': ir.conversation_id, 'item_id': ir.item_id} AS keys,
       ir.rating AS value,
       '3..5' AS expected,
       format('conversation {}: the Seeker chose item {} (gt_items) but rated it {}', ir.conversation_id,
              ir.item_id, ir.rating) AS message
FROM (SELECT DISTINCT conversation_id, item_id FROM listed_item WHERE list = 'gt_items') AS g
JOIN item_ratings AS ir USING (conversation_id, item_id)
WHERE ir.source_file LIKE '%seeker_ratings.csv'
  AND ir.rating <= 2
ORDER BY file, row, "column"
