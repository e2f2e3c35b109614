-- code: xref.text-mentions-differ
-- severity: warning
-- title: Text mentions differ from mentioned_items
-- description: The items the utterances name (ItemNN, Item NN or item N) and mentioned_items disagree: an
--   item of the conversation's catalogue is named in the text but missing from mentioned_items (finding on
--   the first utterance naming it), or mentioned_items holds an item the text never names (finding on the
--   list entry). Free-text references are noisy in the release, so this is a warning. Names of items outside
--   the catalogue are reported by xref.text-mention-outside-catalogue (text) and xref.item-outside-catalogue
--   (mentioned_items) instead.
-- requires: conversations, utterances, catalogue_membership
-- uses: rating_rows
WITH listed AS (
    SELECT l.*
    FROM listed_item AS l
    JOIN transcript AS t ON t.conversation_id = l.conversation_id AND t.source_file = l.source_file
    WHERE l.list = 'mentioned_items' AND l.item_id IS NOT NULL
)
SELECT c.transcript_file AS file, m.source_pointer AS pointer,
       {'conversation_id': m.conversation_id, 'item_id': m.item_id} AS keys,
       m.item_id AS value,
       'an item of mentioned_items' AS expected,
       format('the text names {} ({} time(s), first here), but mentioned_items lacks item {}', m.mention, m.n,
              m.item_id) AS message
FROM text_mention AS m
JOIN conversation_context AS c USING (conversation_id)
JOIN mapped_item AS mi ON mi.item_id = m.item_id AND mi.catalogue = c.catalogue
WHERE c.transcript_file IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM listed AS l
                  WHERE l.conversation_id = m.conversation_id AND l.item_id = m.item_id)
UNION ALL
SELECT l.source_file AS file, format('/mentioned_items/{}', l.position) AS pointer,
       {'conversation_id': l.conversation_id, 'item_id': l.item_id} AS keys,
       l.item_id AS value,
       'named in the text' AS expected,
       format('mentioned_items holds item {}, but no utterance names it (as Item{})', l.item_id,
              lpad(l.item_id::VARCHAR, 2, '0')) AS message
FROM listed AS l
JOIN conversation_context AS c USING (conversation_id)
JOIN mapped_item AS mi ON mi.item_id = l.item_id AND mi.catalogue = c.catalogue
WHERE NOT EXISTS (SELECT 1 FROM text_mention AS m
                  WHERE m.conversation_id = l.conversation_id AND m.item_id = l.item_id)
ORDER BY file, pointer
