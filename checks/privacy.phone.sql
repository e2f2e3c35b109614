-- code: privacy.phone
-- severity: warning
-- title: Phone number in free text
-- description: A participant's free text holds a phone number (555-123-4567, (555) 123 4567, +44 20 7946
--   0958, 020 7946 0958, ten or more digits in a row). Prices, sizes, times, dates and item names do not
--   match. Participant free text is scanned: utterances, the free-text answers of profiles.csv and
--   assistant_interpretation. VOGUE is human-subjects data: redact the text before publishing. The
--   finding's value shows only the first characters of the match, so that the report does not spread it.
-- requires: conversations, utterances, participants, rating_rows
SELECT file, row, "column", pointer, keys,
       format('{}… ({} characters)', left(hits[1], 3), length(hits[1])) AS value,
       'no phone number' AS expected,
       format('{} holds what looks like a phone number ({} match(es)): redact it before publishing', field, len(hits))
           AS message
FROM (
    SELECT *, regexp_extract_all(text, '(?:^|[^\w$€£.,:/+-])((?:\+?1[ .-]?|\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\) ?|\d{3}[ .-])\d{3}[ .-]?\d{4}|\+\d{1,3}(?:[ .-]?\d{2,4}){3,4}|0\d{2,4}[ .-]\d{3,4}[ .-]?\d{3,4}|\d{10,13})(?:$|[^\w%:/-])', 1) AS hits
    FROM free_text_candidate
    WHERE regexp_matches(text, '\d{3}')
)
WHERE len(hits) > 0
ORDER BY file, row, "column", pointer
