-- code: xref.scenario-catalogue
-- severity: error
-- title: Scenario used with two catalogues
-- description: Each scenario belongs to one catalogue (derived from the conversations: the catalogue most
--   of its conversations use). A conversation of that scenario with another catalogue is reported: its
--   scenario (or its catalogue) is wrong.
-- requires: conversations
-- uses: rating_rows
WITH per_catalogue AS (
    SELECT scenario, catalogue, count(*) AS n
    FROM conversation_context
    WHERE transcript_file IS NOT NULL AND scenario IS NOT NULL AND catalogue IS NOT NULL
    GROUP BY scenario, catalogue
), usual AS (
    SELECT scenario, catalogue, n
    FROM per_catalogue
    QUALIFY row_number() OVER (PARTITION BY scenario ORDER BY n DESC, catalogue) = 1
)
SELECT c.transcript_file AS file, '/scenario' AS pointer,
       {'conversation_id': c.conversation_id, 'scenario': c.scenario} AS keys,
       c.catalogue AS value,
       u.catalogue AS expected,
       format('conversation {} is in scenario {} with catalogue {}, but scenario {} belongs to catalogue {} '
              '({} conversation(s)): a scenario belongs to one catalogue; fix the scenario or the catalogue',
              c.conversation_id, c.scenario, c.catalogue, c.scenario, u.catalogue, u.n) AS message
FROM conversation_context AS c
JOIN usual AS u USING (scenario)
WHERE c.transcript_file IS NOT NULL
  AND c.catalogue IS NOT NULL
  AND c.catalogue <> u.catalogue
ORDER BY file
