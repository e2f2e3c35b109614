-- code: xref.pairing
-- severity: error
-- title: Seeker and Assistant not a fixed pair
-- description: Each Seeker always works with the same Assistant (and each Assistant with the same Seeker).
--   A conversation whose pair differs from the participant's usual partner (the partner of most of their
--   conversations; the smaller id on ties) is reported once, on the participant_id cell that breaks the
--   pair: the Seeker's when only the Assistant's usual partner differs, else the Assistant's (when both
--   participants usually work with others, the message names both rows).
-- requires: rating_rows
-- uses: conversations
WITH pair AS (
    SELECT * FROM conversation_context WHERE seeker_id IS NOT NULL AND assistant_id IS NOT NULL
), counted AS (
    SELECT seeker_id, assistant_id, count(*) AS n FROM pair GROUP BY seeker_id, assistant_id
), seeker_usual AS (
    SELECT seeker_id, assistant_id AS usual, n FROM counted
    QUALIFY row_number() OVER (PARTITION BY seeker_id ORDER BY n DESC, assistant_id) = 1
), assistant_usual AS (
    SELECT assistant_id, seeker_id AS usual, n FROM counted
    QUALIFY row_number() OVER (PARTITION BY assistant_id ORDER BY n DESC, seeker_id) = 1
), judged AS (
    SELECT p.*, su.usual AS seeker_usual, su.n AS seeker_n, au.usual AS assistant_usual, au.n AS assistant_n,
           -- blame the seeker cell only when the Assistant's usual partner is someone else and the
           -- Seeker's is this Assistant; otherwise the assistant cell
           p.seeker_id <> au.usual AND p.assistant_id = su.usual AS blame_seeker
    FROM pair AS p
    JOIN seeker_usual AS su USING (seeker_id)
    JOIN assistant_usual AS au USING (assistant_id)
    WHERE p.assistant_id <> su.usual OR p.seeker_id <> au.usual
)
SELECT CASE WHEN blame_seeker THEN seeker_file ELSE assistant_file END AS file,
       CASE WHEN blame_seeker THEN seeker_row ELSE assistant_row END AS row,
       'participant_id' AS "column",
       {'conversation_id': conversation_id, 'seeker_id': seeker_id, 'assistant_id': assistant_id} AS keys,
       CASE WHEN blame_seeker THEN seeker_id ELSE assistant_id END AS value,
       CASE WHEN blame_seeker THEN assistant_usual ELSE seeker_usual END AS expected,
       format('conversation {} pairs Seeker {} with Assistant {}, but Seeker {} works with {} in {} '
              'conversation(s) and Assistant {} with {} in {}: each Seeker always works with the same '
              'Assistant; {}', conversation_id, seeker_id, assistant_id, seeker_id, seeker_usual, seeker_n,
              assistant_id, assistant_usual, assistant_n,
              CASE WHEN blame_seeker THEN 'fix the Seeker''s participant_id'
                   WHEN seeker_id = assistant_usual THEN 'fix the Assistant''s participant_id'
                   ELSE format('one of the two participant ids is wrong (the Seeker''s is on row {} of {})',
                               seeker_row, seeker_file) END) AS message
FROM judged
ORDER BY file, row
