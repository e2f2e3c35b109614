-- code: xref.rating-outside-catalogue
-- severity: error
-- title: Item of another catalogue rated
-- description: A rating row rates (1..5) a catalogue item that is not in the conversation's catalogue; the
--   cells of all other catalogue items hold exactly -1. Set the cell to -1, or fix the conversation's
--   catalogue. When every row of a file for the conversations of one catalogue rates the item (the item's
--   mapping row is then the likelier culprit), one finding for the column replaces one per row. Rows of
--   conversations without a transcript are not checked.
-- requires: conversations, rating_rows, item_ratings, catalogue_membership
WITH rated_row AS (
    SELECT r.source_file, r.source_row, r.conversation_id, c.catalogue
    FROM rating_row AS r
    JOIN conversation_context AS c USING (conversation_id)
    WHERE c.transcript_file IS NOT NULL AND c.catalogue IS NOT NULL
), bad AS (
    SELECT ir.source_file, ir.source_row, ir.conversation_id, ir.role, ir.item_id, ir.rating,
           rr.catalogue, ci.catalogue AS item_catalogue
    FROM item_ratings AS ir
    JOIN rated_row AS rr USING (source_file, source_row, conversation_id)
    JOIN catalogue_item AS ci USING (item_id)
    WHERE ci.catalogue <> rr.catalogue
), whole_column AS (
    SELECT b.source_file, b.item_id, b.catalogue, any_value(b.item_catalogue) AS item_catalogue,
           count(*) AS n
    FROM bad AS b
    GROUP BY b.source_file, b.item_id, b.catalogue
    HAVING count(*) > 1
       AND count(*) = (SELECT count(*) FROM rated_row AS rr
                       WHERE rr.source_file = b.source_file AND rr.catalogue = b.catalogue)
)
SELECT b.source_file AS file, b.source_row AS row, format('item_{}', b.item_id) AS "column",
       {'conversation_id': b.conversation_id, 'role': b.role, 'item_id': b.item_id, 'catalogue': NULL::VARCHAR}
           AS keys,
       b.rating AS value,
       -1 AS expected,
       format('conversation {} is in catalogue {}, but this row rates item {} of catalogue {} ({}): cells of '
              'items outside the conversation''s catalogue hold -1', b.conversation_id, b.catalogue,
              b.item_id, b.item_catalogue, coalesce(b.rating::VARCHAR, 'unreadable')) AS message
FROM bad AS b
ANTI JOIN whole_column AS w ON w.source_file = b.source_file AND w.item_id = b.item_id AND w.catalogue = b.catalogue
UNION ALL
SELECT source_file AS file, NULL AS row, format('item_{}', item_id) AS "column",
       {'conversation_id': NULL::INTEGER, 'role': NULL::VARCHAR, 'item_id': item_id, 'catalogue': catalogue},
       NULL AS value,
       -1 AS expected,
       format('all {} rows of catalogue-{} conversations rate item {}, which the mapping puts in catalogue {}: '
              'check the mapping row of item {}; otherwise these cells hold -1', n, catalogue, item_id,
              item_catalogue, item_id) AS message
FROM whole_column
ORDER BY file, row, "column"
