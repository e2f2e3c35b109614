-- Tables and views shared by the checks of this folder, created once before the checks run. Not a
-- check: files whose name starts with "_" are not checks. vogue_pack.validate.crosscheck registers every table
-- of the data model first (a table that could not be built is registered empty), so these always
-- exist; each check still lists in its "requires" header the model tables it needs, and does not run
-- (one check.not-run finding) when one is unavailable. Derived tables that several checks read are
-- materialised (TEMP TABLE) so that they are computed once.

-- One transcript per conversation id: the first by path when two transcripts claim one id
-- (xref.duplicate-transcript reports the others).
CREATE TEMP TABLE transcript AS
SELECT *
FROM conversations
QUALIFY row_number() OVER (PARTITION BY conversation_id ORDER BY source_file) = 1;

-- Rating rows with the role of the file they come from (the role cell itself is a schema check).
CREATE TEMP TABLE rating_row AS
SELECT *,
       CASE WHEN source_file LIKE '%seeker_ratings.csv' THEN 'Seeker'
            WHEN source_file LIKE '%assistant_ratings.csv' THEN 'Assistant' END AS file_role
FROM rating_rows;

-- The first mapping row of each item id (schema.unique reports repeated ids).
CREATE TEMP TABLE mapped_item AS
SELECT *
FROM catalogue_membership
QUALIFY row_number() OVER (PARTITION BY item_id ORDER BY source_row) = 1;

-- Catalogue items: mapped items that have an item JSON.
CREATE TEMP TABLE catalogue_item AS
SELECT item_id, catalogue, source_row
FROM mapped_item
WHERE has_metadata;

-- Every conversation id seen in a transcript or a rating row, with what each source says, and the
-- conversation's agreed catalogue and scenario: the value at least two of (transcript, seeker row,
-- assistant row) share, else the transcript's. Checks compare items and ratings with the agreed values,
-- so one wrong cell is reported once instead of cascading into every item of the conversation.
CREATE TEMP TABLE conversation_context AS
WITH seeker AS (
    SELECT * FROM rating_row WHERE file_role = 'Seeker'
    QUALIFY row_number() OVER (PARTITION BY conversation_id ORDER BY source_row) = 1
), assistant AS (
    SELECT * FROM rating_row WHERE file_role = 'Assistant'
    QUALIFY row_number() OVER (PARTITION BY conversation_id ORDER BY source_row) = 1
), ids AS (
    SELECT conversation_id FROM transcript
    UNION SELECT conversation_id FROM seeker
    UNION SELECT conversation_id FROM assistant
)
SELECT ids.conversation_id,
       t.source_file AS transcript_file,
       t.catalogue AS transcript_catalogue,
       t.scenario AS transcript_scenario,
       s.source_file AS seeker_file, s.source_row AS seeker_row, s.participant_id AS seeker_id,
       s.catalogue AS seeker_catalogue, s.scenario AS seeker_scenario,
       a.source_file AS assistant_file, a.source_row AS assistant_row, a.participant_id AS assistant_id,
       a.catalogue AS assistant_catalogue, a.scenario AS assistant_scenario,
       CASE WHEN s.catalogue = a.catalogue AND t.catalogue IS DISTINCT FROM s.catalogue THEN s.catalogue
            ELSE coalesce(t.catalogue, s.catalogue, a.catalogue) END AS catalogue,
       CASE WHEN s.scenario = a.scenario AND t.scenario IS DISTINCT FROM s.scenario THEN s.scenario
            ELSE coalesce(t.scenario, s.scenario, a.scenario) END AS scenario
FROM ids
LEFT JOIN transcript AS t USING (conversation_id)
LEFT JOIN seeker AS s USING (conversation_id)
LEFT JOIN assistant AS a USING (conversation_id);

-- Every entry of mentioned_items and gt_items of every transcript, with its position in the list.
CREATE TEMP TABLE listed_item AS
SELECT conversation_id, source_file, 'mentioned_items' AS list,
       unnest(mentioned_items) AS item_id, generate_subscripts(mentioned_items, 1) - 1 AS position
FROM conversations
UNION ALL
SELECT conversation_id, source_file, 'gt_items' AS list,
       unnest(gt_items) AS item_id, generate_subscripts(gt_items, 1) - 1 AS position
FROM conversations;

-- Item names in utterance text (ItemNN, and the rarer variants "Item NN" and "item N", any case), one
-- row per conversation and item: how often the text names it, and the first utterance (and spelling)
-- that does. item_id is null when the digits do not fit an integer.
CREATE TEMP TABLE text_mention AS
SELECT conversation_id, item_id, count(*) AS n,
       arg_min(source_pointer, {'turn': turn, 'utterance': utterance}) AS source_pointer,
       arg_min(mention, {'turn': turn, 'utterance': utterance}) AS mention
FROM (
    SELECT conversation_id, turn, utterance, source_pointer, mention,
           TRY_CAST(regexp_extract(mention, '(\d+)$', 1) AS INTEGER) AS item_id
    FROM (
        SELECT conversation_id, turn, utterance, source_pointer,
               unnest(regexp_extract_all(text, '(?i)\bitem ?\d+\b')) AS mention
        FROM utterances
        WHERE text ILIKE '%item%'
    )
)
GROUP BY conversation_id, item_id;

-- Participant free text, one row per field: utterances, the free-text columns of profiles.csv and the
-- Assistant's interpretation in assistant_ratings.csv (the privacy.* checks scan these).
CREATE TEMP VIEW free_text AS
SELECT t.source_file AS file, NULL::INTEGER AS row, NULL::VARCHAR AS "column", u.source_pointer AS pointer,
       {'conversation_id': u.conversation_id, 'turn': u.turn, 'utterance': u.utterance,
        'participant_id': NULL::VARCHAR} AS keys,
       'utterance text' AS field, u.text
FROM utterances AS u
LEFT JOIN transcript AS t USING (conversation_id)
WHERE u.text IS NOT NULL
UNION ALL
SELECT 'fashion_profiles/profiles.csv', source_row, field, NULL,
       {'conversation_id': NULL::INTEGER, 'turn': NULL::INTEGER, 'utterance': NULL::INTEGER,
        'participant_id': participant_id},
       'profile answer ' || field, text
FROM (
    UNPIVOT (SELECT participant_id, source_row, style_preferences, style_vibes_raw AS style_vibes,
                    purchase_frequency, monthly_spend, best_colors, clothing_feel FROM participants)
    ON style_preferences, style_vibes, purchase_frequency, monthly_spend, best_colors, clothing_feel
    INTO NAME field VALUE text
)
WHERE text IS NOT NULL
UNION ALL
SELECT source_file, source_row, 'assistant_interpretation', NULL,
       {'conversation_id': conversation_id, 'turn': NULL::INTEGER, 'utterance': NULL::INTEGER,
        'participant_id': participant_id},
       'assistant interpretation', assistant_interpretation
FROM rating_rows
WHERE assistant_interpretation IS NOT NULL;

-- The free_text rows that could hold contact details: a fast first pass that the privacy.* checks read
-- instead of free_text. It must admit every text a privacy check can match: '@' (e-mail, handle), '+'
-- (international phone), '://', 'www.', a .com-like domain, three digits in a row (phone, ZIP), a
-- digit followed by two capitals or a capital-digit-capital (UK and Canadian postcodes). A new check for
-- another kind of text scans free_text itself, or widens this pattern.
CREATE TEMP TABLE free_text_candidate AS
SELECT *
FROM free_text
WHERE regexp_matches(text, '[@+]|://|(?i:www\.)|(?i:\.(?:com|net|org|io|edu|gov|uk|info|biz|ly))\b|\d\d\d|\d[A-Z][A-Z]|[A-Z]\d[A-Z]');
