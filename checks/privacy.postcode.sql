-- code: privacy.postcode
-- severity: warning
-- title: Postal code in free text
-- description: A participant's free text holds a postal code: a UK (SW1A 1AA) or Canadian (K1A 0B1)
--   postcode, a US ZIP+4 (94110-1234), a US ZIP after a state code (CA 94110) or after the word
--   zip/postal code. A bare five-digit number is not reported (too many false alarms). Participant free
--   text is scanned: utterances, the free-text answers of profiles.csv and assistant_interpretation.
--   VOGUE is human-subjects data: redact the text before publishing. The finding's value shows only the
--   first characters of the match, so that the report does not spread it.
-- requires: conversations, utterances, participants, rating_rows
SELECT file, row, "column", pointer, keys,
       format('{}… ({} characters)', left(hits[1], 3), length(hits[1])) AS value,
       'no postal code' AS expected,
       format('{} holds what looks like a postal code ({} match(es)): redact it before publishing', field, len(hits))
           AS message
FROM (
    SELECT *, regexp_extract_all(text, '\b([A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}|[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d|\d{5}-\d{4}|(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY),? \d{5}|(?i:zip|post(?:al)?)(?:[ -]?(?i:code))?(?:[ :#]|(?i: is ))*\d{5})\b', 1) AS hits
    FROM free_text_candidate
    WHERE regexp_matches(text, '\d')
)
WHERE len(hits) > 0
ORDER BY file, row, "column", pointer
