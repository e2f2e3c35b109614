-- code: xref.rating-row-without-transcript
-- severity: error
-- title: Rating row for a conversation without a transcript
-- description: A row of seeker_ratings.csv or assistant_ratings.csv names a conversation_id for which no
--   transcript exists (no conversation_trials/transcripts/c{id}_*.json). Remove the row or restore the
--   transcript. Rows whose transcript file exists but could not be read are not reported again here:
--   that file has its own finding. When no transcript could be read at all, one finding replaces one per row.
-- requires: conversations, rating_rows, files
WITH transcript_file AS (
    -- transcript files by the id in their name, whether or not they could be read
    SELECT TRY_CAST(regexp_extract(path, '/c(\d+)_[^/]*\.json$', 1) AS INTEGER) AS conversation_id
    FROM files
    WHERE regexp_matches(path, '^conversation_trials/transcripts/(conversations/)?c\d+_[^/]*\.json$')
), orphan AS (
    SELECT r.*
    FROM rating_row AS r
    WHERE r.conversation_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM conversations AS c WHERE c.conversation_id = r.conversation_id)
      AND NOT EXISTS (SELECT 1 FROM transcript_file AS f WHERE f.conversation_id = r.conversation_id)
), n_transcripts AS (
    SELECT count(*) AS n FROM conversations
)
SELECT source_file AS file, source_row AS row, 'conversation_id' AS "column",
       {'conversation_id': conversation_id, 'role': file_role} AS keys,
       conversation_id AS value,
       'the id of a transcript' AS expected,
       format('row rates conversation {}, which has no transcript (no conversation_trials/transcripts/c{}_*.json): '
              'remove the row or restore the transcript', conversation_id, conversation_id) AS message
FROM orphan
WHERE (SELECT n FROM n_transcripts) > 0
UNION ALL
SELECT source_file AS file, NULL AS row, 'conversation_id' AS "column",
       {'conversation_id': NULL::INTEGER, 'role': file_role} AS keys,
       count(*) AS value,
       'the id of a transcript' AS expected,
       format('none of the {} rows has a transcript: no transcript could be read; restore '
              'conversation_trials/transcripts/', count(*)) AS message
FROM orphan
WHERE (SELECT n FROM n_transcripts) = 0
GROUP BY source_file, file_role
ORDER BY file, row
