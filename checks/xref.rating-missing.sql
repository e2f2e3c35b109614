-- code: xref.rating-missing
-- severity: error
-- title: Catalogue item not rated
-- description: Both roles rate every item of the conversation's catalogue with 1..5. This rating row holds
--   no rating (-1 or blank) for one of them. Fill in the rating. When an item column lacks a rating in every
--   row that should rate it (a column missing from the file, say), one finding for the column replaces one
--   per row. Rows of conversations without a transcript are not checked (xref.rating-row-without-transcript).
-- requires: conversations, rating_rows, item_ratings, catalogue_membership
WITH row_context AS (
    SELECT r.source_file, r.source_row, r.conversation_id, r.file_role, c.catalogue
    FROM rating_row AS r
    JOIN conversation_context AS c USING (conversation_id)
    WHERE c.transcript_file IS NOT NULL
), rated AS (
    -- per rating row: how many items of the conversation's catalogue hold a rating
    SELECT ir.source_file, ir.source_row, ir.conversation_id, count(*) AS n
    FROM item_ratings AS ir
    JOIN conversation_context AS c USING (conversation_id)
    JOIN catalogue_item AS ci ON ci.item_id = ir.item_id AND ci.catalogue = c.catalogue
    GROUP BY ir.source_file, ir.source_row, ir.conversation_id
), catalogue_size AS (
    SELECT catalogue, count(*) AS n FROM catalogue_item GROUP BY catalogue
), short_row AS (
    -- rows that lack at least one rating (a fast first pass over the counts)
    SELECT rc.*
    FROM row_context AS rc
    JOIN catalogue_size AS s USING (catalogue)
    LEFT JOIN rated AS r USING (source_file, source_row, conversation_id)
    WHERE coalesce(r.n, 0) < s.n
), missing AS (
    SELECT sr.*, ci.item_id
    FROM short_row AS sr
    JOIN catalogue_item AS ci USING (catalogue)
    ANTI JOIN item_ratings AS ir
        ON ir.conversation_id = sr.conversation_id AND ir.item_id = ci.item_id
       AND ir.source_row = sr.source_row AND ir.source_file = sr.source_file
), rows_per_catalogue AS (
    SELECT source_file, catalogue, count(*) AS n_rows FROM row_context GROUP BY source_file, catalogue
), whole_column AS (
    SELECT m.source_file, m.item_id, any_value(p.n_rows) AS n_expected
    FROM missing AS m
    JOIN rows_per_catalogue AS p USING (source_file, catalogue)
    GROUP BY m.source_file, m.item_id, m.catalogue
    HAVING count(*) = any_value(p.n_rows) AND count(*) > 1
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
