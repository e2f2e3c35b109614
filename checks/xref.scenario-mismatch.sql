-- code: xref.scenario-mismatch
-- severity: error
-- title: Scenario differs between transcript and rating rows
-- description: The transcript, the seeker row and the assistant row of a conversation must give the same
--   scenario. The finding is on the source that differs from the other two (on both rating rows when
--   they differ from the transcript and from each other): correct that cell. Rows of conversations
--   without a transcript are reported by xref.rating-row-without-transcript instead.
-- requires: conversations, rating_rows
WITH source AS (
    SELECT conversation_id, scenario AS agreed, 'transcript' AS source, transcript_file AS file,
           NULL::INTEGER AS row, NULL::VARCHAR AS "column", '/scenario' AS pointer, transcript_scenario AS value,
           format('the seeker row says {} and the assistant row {}', coalesce(seeker_scenario::VARCHAR, '(none)'),
                  coalesce(assistant_scenario::VARCHAR, '(none)')) AS others
    FROM conversation_context
    WHERE transcript_file IS NOT NULL
    UNION ALL
    SELECT conversation_id, scenario, 'seeker row', seeker_file, seeker_row, 'scenario', NULL, seeker_scenario,
           format('the transcript says {} and the assistant row {}', transcript_scenario,
                  coalesce(assistant_scenario::VARCHAR, '(none)'))
    FROM conversation_context
    WHERE transcript_file IS NOT NULL
    UNION ALL
    SELECT conversation_id, scenario, 'assistant row', assistant_file, assistant_row, 'scenario', NULL,
           assistant_scenario,
           format('the transcript says {} and the seeker row {}', transcript_scenario,
                  coalesce(seeker_scenario::VARCHAR, '(none)'))
    FROM conversation_context
    WHERE transcript_file IS NOT NULL
)
SELECT file, row, "column", pointer,
       {'conversation_id': conversation_id} AS keys,
       value,
       agreed AS expected,
       format('conversation {}: the {} says scenario {}, but {}: a conversation has one scenario in its '
              'transcript and both rating rows', conversation_id, source, value, others) AS message
FROM source
WHERE file IS NOT NULL
  AND value IS NOT NULL
  AND value IS DISTINCT FROM agreed
ORDER BY file, row
