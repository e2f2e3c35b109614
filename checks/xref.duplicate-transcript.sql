-- code: xref.duplicate-transcript
-- severity: error
-- title: Two transcripts claim one conversation
-- description: Two transcript files hold the same conversation_id. Each conversation has exactly one
--   transcript: renumber or remove the extra file. The finding is on every file after the first (by path);
--   the other checks use the first file.
-- requires: conversations
SELECT source_file AS file, '/conversation_id' AS pointer,
       {'conversation_id': conversation_id} AS keys,
       conversation_id AS value,
       'a conversation_id no other transcript uses' AS expected,
       format('conversation_id {} is also claimed by {}: each conversation has exactly one transcript; '
              'renumber or remove one of them', conversation_id, first_file) AS message
FROM (
    SELECT conversation_id, source_file,
           first(source_file) OVER w AS first_file,
           row_number() OVER w AS k
    FROM conversations
    WINDOW w AS (PARTITION BY conversation_id ORDER BY source_file)
)
WHERE k > 1
ORDER BY file
