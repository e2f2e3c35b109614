-- code: privacy.handle
-- severity: warning
-- title: Social-media handle in free text
-- description: A participant's free text holds a social-media handle (@name, not part of an e-mail
--   address). Participant free text is scanned: utterances, the free-text answers of profiles.csv and
--   assistant_interpretation. VOGUE is human-subjects data: redact the text before publishing. The
--   finding's value shows only the first characters of the match, so that the report does not spread it.
-- requires: conversations, utterances, participants, rating_rows
SELECT file, row, "column", pointer, keys,
       format('{}… ({} characters)', left(hits[1], 3), length(hits[1])) AS value,
       'no social-media handle' AS expected,
       format('{} holds what looks like a social-media handle ({} match(es)): redact it before publishing', field, len(hits))
           AS message
FROM (
    SELECT *, regexp_extract_all(text, '(?:^|[^A-Za-z0-9_.@])(@[A-Za-z_][A-Za-z0-9_.]{1,29})', 1) AS hits
    FROM free_text_candidate
    WHERE contains(text, '@')
)
WHERE len(hits) > 0
ORDER BY file, row, "column", pointer
