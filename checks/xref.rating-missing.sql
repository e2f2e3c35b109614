-- code: xref.rating-missing
-- severity: error
-- title: Catalogue item not rated
-- description: Both roles rate every item of the conversation's catalogue with 1..5. This rating row holds
--   no rating (-1 or blank) for one of them. Fill in the rating. When an item column lacks a rating in every
--   row that should rate it (a column missing from the file, say), one finding for the column replaces one
--   per row. Rows of conversations without a transcript are not checked (xref.rating-row-without-transcript).
-- requires: conversations, rating_rows, item_ratings, catalogue_membership
WITH expected AS (
    SELECT r.source_file, r.source_row, r.conversation_id, r.file_role, ci.item_id, c.catalogue,
           ir.item_id IS NULL AS is_missing
    FROM rating_row AS r
    JOIN conversation_context AS c USING (conversation_id)
    JOIN catalogue_item AS ci ON ci.catalogue = c.catalogue
    LEFT JOIN item_ratings AS ir
        ON ir.conversation_id = r.conversation_id AND ir.item_id = ci.item_id
       AND ir.source_row = r.source_row AND ir.source_file = r.source_file
    WHERE c.transcript_file IS NOT NULL
), whole_column AS (
    SELECT source_file, item_id, count(*) AS n_expected
    FROM expected
    GROUP BY source_file, item_id
    HAVING bool_and(is_missing) AND count(*) > 1
), missing AS (
    SELECT * FROM expected WHERE is_missing
)
SELECT m.source_file AS file, m.source_row AS row, format('item_{}', m.item_id) AS "column",
       {'conversation_id': m.conversation_id, 'role': m.file_role, 'item_id': m.item_id} AS keys,
       NULL::VARCHAR AS value,
       '1..5' AS expected,
       format('conversation {}: the {} did not rate item {} of catalogue {} (cell -1 or blank): both roles '
              'rate every item of the conversation''s catalogue with 1..5', m.conversation_id, m.file_role,
              m.item_id, m.catalogue) AS message
FROM missing AS m
ANTI JOIN whole_column AS w ON w.source_file = m.source_file AND w.item_id = m.item_id
UNION ALL
SELECT source_file AS file, NULL AS row, format('item_{}', item_id) AS "column",
       {'conversation_id': NULL::INTEGER, 'role': NULL::VARCHAR, 'item_id': item_id} AS keys,
       NULL::VARCHAR AS value,
       '1..5' AS expected,
       format('no row rates item {}: the column item_{} is missing, or -1/blank in all {} rows of '
              'conversations of its catalogue; restore the column''s ratings', item_id, item_id, n_expected)
           AS message
FROM whole_column
ORDER BY file, row, "column"
