-- code: privacy.email
-- severity: warning
-- title: E-mail address in free text
-- description: A participant's free text holds an e-mail address (name@domain.tld). Participant free text
--   is scanned: utterances, the free-text answers of profiles.csv and assistant_interpretation. VOGUE is
--   human-subjects data: redact the text before publishing. The finding's value shows only the first
--   characters of the match, so that the report does not spread it.
-- requires: conversations, utterances, participants, rating_rows
SELECT file, row, "column", pointer, keys,
       format('{}… ({} characters)', left(hits[1], 3), length(hits[1])) AS value,
       'no e-mail address' AS expected,
       format('{} holds what looks like an e-mail address ({} match(es)): redact it before publishing', field, len(hits))
           AS message
FROM (
    SELECT *, regexp_extract_all(text, '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}', 0) AS hits
    FROM free_text_candidate
    WHERE contains(text, '@')
)
WHERE len(hits) > 0
ORDER BY file, row, "column", pointer
