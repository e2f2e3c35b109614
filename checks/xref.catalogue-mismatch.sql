-- code: xref.catalogue-mismatch
-- severity: error
-- title: Catalogue differs between transcript and rating rows
-- description: The transcript, the seeker row and the assistant row of a conversation must give the same
--   catalogue. The finding is on the source that differs from the other two (on both rating rows when
--   they differ from the transcript and from each other): correct that cell. Rows of conversations
--   without a transcript are reported by xref.rating-row-without-transcript instead.
-- requires: conversations, rating_rows
WITH source AS (
    SELECT conversation_id, catalogue AS agreed, 'transcript' AS source, transcript_file AS file,
           NULL::INTEGER AS row, NULL::VARCHAR AS "column", '/catalogue' AS pointer, transcript_catalogue AS value,
           format('the seeker row says {} and the assistant row {}', coalesce(seeker_catalogue::VARCHAR, '(none)'),
                  coalesce(assistant_catalogue::VARCHAR, '(none)')) AS others
    FROM conversation_context
    WHERE transcript_file IS NOT NULL
    UNION ALL
    SELECT conversation_id, catalogue, 'seeker row', seeker_file, seeker_row, 'catalogue', NULL, seeker_catalogue,
           format('the transcript says {} and the assistant row {}', transcript_catalogue,
                  coalesce(assistant_catalogue::VARCHAR, '(none)'))
    FROM conversation_context
    WHERE transcript_file IS NOT NULL
    UNION ALL
    SELECT conversation_id, catalogue, 'assistant row', assistant_file, assistant_row, 'catalogue', NULL,
           assistant_catalogue,
           format('the transcript says {} and the seeker row {}', transcript_catalogue,
                  coalesce(seeker_catalogue::VARCHAR, '(none)'))
    FROM conversation_context
    WHERE transcript_file IS NOT NULL
)
SELECT file, row, "column", pointer,
       {'conversation_id': conversation_id} AS keys,
       value,
       agreed AS expected,
       format('conversation {}: the {} says catalogue {}, but {}: a conversation has one catalogue in its '
              'transcript and both rating rows', conversation_id, source, value, others) AS message
FROM source
WHERE file IS NOT NULL
  AND value IS NOT NULL
  AND value IS DISTINCT FROM agreed
ORDER BY file, row
