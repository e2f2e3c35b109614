-- code: privacy.url
-- severity: warning
-- title: URL in free text
-- description: A participant's free text holds a URL (http://, https://, www. or a bare domain such as
--   shop.com; a domain after @ is part of an e-mail address and left to privacy.email). Participant free
--   text is scanned: utterances, the free-text answers of profiles.csv and assistant_interpretation.
--   VOGUE is human-subjects data: redact the text before publishing. The finding's value shows only the
--   first characters of the match, so that the report does not spread it.
-- requires: conversations, utterances, participants, rating_rows
SELECT file, row, "column", pointer, keys,
       format('{}… ({} characters)', left(hits[1], 3), length(hits[1])) AS value,
       'no URL' AS expected,
       format('{} holds what looks like a URL ({} match(es)): check that it does not identify a participant, and remove it if it does', field, len(hits))
           AS message
FROM (
    SELECT *, regexp_extract_all(text, '(?i)(?:^|[^@\w.-])((?:https?://|www\.)[^\s<>"'')]+|[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|edu|gov|uk|info|biz|ly)\b(?:/[^\s<>"'')]*)?)', 1) AS hits
    FROM free_text_candidate
    WHERE contains(text, '.') OR contains(text, '/')
)
WHERE len(hits) > 0
ORDER BY file, row, "column", pointer
