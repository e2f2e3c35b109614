-- code: xref.text-mention-outside-catalogue
-- severity: warning
-- title: Text names an item outside the conversation's catalogue
-- description: An utterance names an item (ItemNN, Item NN or item N, any case) that the mapping does not
--   put in the conversation's catalogue. Free-text references are noisy in the release, so this is a warning; check the
--   utterance for a typo. One finding per conversation and item, on the first utterance that names it.
-- requires: conversations, utterances, catalogue_membership
-- uses: rating_rows
SELECT c.transcript_file AS file, m.source_pointer AS pointer,
       {'conversation_id': m.conversation_id, 'item_id': m.item_id} AS keys,
       m.mention AS value,
       format('an item of catalogue {}', c.catalogue) AS expected,
       format('the text names {} ({} time(s), first here), which is not an item of the conversation''s '
              'catalogue {}{}', m.mention, m.n, c.catalogue,
              CASE WHEN o.item_id IS NOT NULL THEN format(' (item {} is in catalogue {})', m.item_id, o.catalogue)
                   ELSE ' (the mapping has no item with that id)' END) AS message
FROM text_mention AS m
JOIN conversation_context AS c USING (conversation_id)
LEFT JOIN mapped_item AS o ON o.item_id = m.item_id
WHERE c.transcript_file IS NOT NULL
  AND c.catalogue IS NOT NULL
  AND o.catalogue IS DISTINCT FROM c.catalogue
ORDER BY file, pointer
