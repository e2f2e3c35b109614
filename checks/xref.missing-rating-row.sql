-- code: xref.missing-rating-row
-- severity: error
-- title: Conversation without its seeker or assistant rating row
-- description: A transcript exists, but seeker_ratings.csv or assistant_ratings.csv has no row for its
--   conversation_id. Every conversation has exactly one transcript, one seeker row and one assistant row.
--   Add the missing row, or remove the transcript if the conversation does not belong to the release.
--   When a rating file holds no row at all, one finding for the file replaces one per conversation.
-- requires: conversations, rating_rows
WITH side AS (
    SELECT * FROM (VALUES
        ('Seeker', 'conversation_trials/item_ratings/seeker_ratings.csv'),
        ('Assistant', 'conversation_trials/item_ratings/assistant_ratings.csv')
    ) AS v(role, rating_file)
), missing AS (
    SELECT s.role, s.rating_file, t.conversation_id, t.source_file,
           EXISTS (SELECT 1 FROM rating_row AS r WHERE r.file_role = s.role) AS file_has_rows
    FROM transcript AS t
    CROSS JOIN side AS s
    WHERE NOT EXISTS (SELECT 1 FROM rating_row AS r
                      WHERE r.conversation_id = t.conversation_id AND r.file_role = s.role)
)
SELECT rating_file AS file,
       {'conversation_id': conversation_id, 'role': role} AS keys,
       conversation_id AS value,
       'one row per conversation' AS expected,
       format('conversation {} ({}) has no row in {}: add the {}''s rating row for it', conversation_id,
              source_file, rating_file, role) AS message
FROM missing
WHERE file_has_rows
UNION ALL
SELECT rating_file AS file,
       {'conversation_id': NULL::INTEGER, 'role': role} AS keys,
       count(*) AS value,
       'one row per conversation' AS expected,
       format('{} holds no rating row at all, so none of the {} conversations with a transcript has its {} '
              'row: restore the file''s rows', rating_file, count(*), role) AS message
FROM missing
WHERE NOT file_has_rows
GROUP BY rating_file, role
ORDER BY file, value
