-- code: xref.pair-repeats-scenario
-- severity: error
-- title: Pair covers a scenario twice
-- description: A Seeker/Assistant pair covers each scenario at most once. The second and later
--   conversations (by id) of the same pair and scenario are reported, on the transcript's scenario:
--   fix the scenario, or the participant ids.
-- requires: rating_rows
-- uses: conversations
SELECT coalesce(transcript_file, seeker_file) AS file,
       CASE WHEN transcript_file IS NULL THEN seeker_row END AS row,
       CASE WHEN transcript_file IS NULL THEN 'scenario' END AS "column",
       CASE WHEN transcript_file IS NOT NULL THEN '/scenario' END AS pointer,
       {'conversation_id': conversation_id, 'seeker_id': seeker_id, 'assistant_id': assistant_id,
        'scenario': scenario} AS keys,
       scenario AS value,
       'each scenario once per pair' AS expected,
       format('conversation {}: Seeker {} and Assistant {} already covered scenario {} in conversation {}: '
              'a pair covers each scenario at most once', conversation_id, seeker_id, assistant_id, scenario,
              first_id) AS message
FROM (
    SELECT *, row_number() OVER w AS k, first(conversation_id) OVER w AS first_id
    FROM conversation_context
    WHERE seeker_id IS NOT NULL AND assistant_id IS NOT NULL AND scenario IS NOT NULL
    WINDOW w AS (PARTITION BY seeker_id, assistant_id, scenario ORDER BY conversation_id)
)
WHERE k > 1
ORDER BY file, row
