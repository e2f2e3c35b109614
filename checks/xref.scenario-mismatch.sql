-- code: xref.scenario-mismatch
-- severity: error
-- title: Scenario differs between transcript and rating rows
-- description: The transcript, the seeker row and the assistant row of a conversation must give the same
--   scenario. The finding is on the source that differs from the other two (on both rating rows when
--   they differ from the transcript and from each other): correct that cell.
-- requires: conversations, rating_rows
WITH source AS (
    SELECT conversation_id, scenario AS agreed, 'transcript' AS source, transcript_file AS file,
           NULL::INTEGER AS row, NULL::VARCHAR AS "column", '/scenario' AS pointer,
           transcript_scenario AS value
    FROM conversation_context
    UNION ALL
    SELECT conversation_id, scenario, 'seeker row', seeker_file, seeker_row, 'scenario', NULL, seeker_scenario
    FROM conversation_context
    UNION ALL
    SELECT conversation_id, scenario, 'assistant row', assistant_file, assistant_row, 'scenario', NULL,
           assistant_scenario
    FROM conversation_context
)
SELECT s.file, s.row, s."column", s.pointer,
       {'conversation_id': s.conversation_id} AS keys,
       s.value,
       s.agreed AS expected,
       format('conversation {}: the {} says scenario {}, but the transcript says {}, the seeker row {} and '
              'the assistant row {}: a conversation has one scenario in all three files',
              s.conversation_id, s.source, s.value, coalesce(c.transcript_scenario::VARCHAR, '(none)'),
              coalesce(c.seeker_scenario::VARCHAR, '(none)'), coalesce(c.assistant_scenario::VARCHAR, '(none)'))
           AS message
FROM source AS s
JOIN conversation_context AS c USING (conversation_id)
WHERE s.file IS NOT NULL
  AND c.transcript_file IS NOT NULL
  AND s.value IS NOT NULL
  AND s.value IS DISTINCT FROM s.agreed
ORDER BY s.file, s.row
