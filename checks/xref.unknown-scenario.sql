-- code: xref.unknown-scenario
-- severity: error
-- title: Scenario missing from scenarios.json
-- description: Conversations use a scenario number that conversation_trials/scenarios.json does not
--   define. Add the scenario to scenarios.json, or fix the conversations' scenario. One finding per
--   scenario number, listing the conversations that use it (their agreed scenario: a single differing
--   cell is reported by xref.scenario-mismatch instead).
-- requires: conversations, scenarios
-- uses: rating_rows
SELECT 'conversation_trials/scenarios.json' AS file,
       {'scenario': c.scenario} AS keys,
       c.scenario AS value,
       (SELECT list(scenario ORDER BY scenario) FROM scenarios) AS expected,
       format('scenario {} is used by {} conversation(s) ({}) but scenarios.json has no such scenario: add '
              'it, or fix the conversations', c.scenario, count(*),
              array_to_string(list_slice(list(coalesce(c.transcript_file, c.seeker_file, c.assistant_file)
                                              ORDER BY c.conversation_id), 1, 5), ', ')) AS message
FROM conversation_context AS c
WHERE c.scenario IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM scenarios AS s WHERE s.scenario = c.scenario)
GROUP BY c.scenario
ORDER BY value
