-- Views for the common joins of the VOGUE release (vogue.duckdb).
--
-- vogue-pack build runs every vogue_pack/sql/*.sql file in name order after it has created the tables,
-- so these views exist in every release database. They are plain SQL over the tables of the data model
-- (docs/data-model.md); read docs/release-format.md for the whole release layout.

-- utterances_in_context: one row per utterance with its turn's time, the conversation's catalogue and
-- scenario, and the participant who spoke (from the rating file of the utterance's role).
CREATE VIEW utterances_in_context AS
SELECT
    u.conversation_id,
    c.catalogue,
    c.scenario,
    u.turn,
    t."timestamp",
    t.seconds,
    u.utterance,
    u.role,
    r.participant_id,
    u.text,
    u.tags,
    u.n_tokens
FROM utterances AS u
JOIN conversations AS c USING (conversation_id)
LEFT JOIN turns AS t USING (conversation_id, turn)
LEFT JOIN rating_rows AS r ON r.conversation_id = u.conversation_id AND r.role = u.role;

COMMENT ON VIEW utterances_in_context IS
    'One row per utterance with role, speaker (participant_id), tags, turn time, catalogue and scenario.';

-- utterance_tags: one row per dialogue-act tag of an utterance (tags unnested), with the role, because a
-- code's meaning depends on the role (RP is "refine preference" for a Seeker, "request preferences"
-- for an Assistant). Group by (role, tag) for tag frequencies.
CREATE VIEW utterance_tags AS
SELECT
    conversation_id,
    turn,
    utterance,
    role,
    tag_position,
    tags[tag_position] AS tag
FROM (SELECT *, generate_subscripts(tags, 1) AS tag_position FROM utterances);

COMMENT ON VIEW utterance_tags IS
    'One row per (utterance, tag): role and dialogue-act code; tag_position is 1-based.';

-- ratings_side_by_side: the Seeker's rating (ground truth) and the Assistant's prediction of the same
-- item in the same conversation, one row per catalogue item of each conversation, with whether the
-- item was mentioned and whether the Seeker chose it. A missing rating is NULL.
CREATE VIEW ratings_side_by_side AS
SELECT
    ci.conversation_id,
    c.catalogue,
    c.scenario,
    ci.item_id,
    ci.mentioned,
    ci.chosen,
    s.participant_id AS seeker_id,
    s.rating AS seeker_rating,
    a.participant_id AS assistant_id,
    a.rating AS assistant_rating
FROM conversation_items AS ci
JOIN conversations AS c USING (conversation_id)
LEFT JOIN item_ratings AS s
    ON s.conversation_id = ci.conversation_id AND s.item_id = ci.item_id AND s.role = 'Seeker'
LEFT JOIN item_ratings AS a
    ON a.conversation_id = ci.conversation_id AND a.item_id = ci.item_id AND a.role = 'Assistant';

COMMENT ON VIEW ratings_side_by_side IS
    'Per conversation and catalogue item: Seeker rating (truth), Assistant rating (prediction), mentioned and chosen flags.';

-- items_with_images: every mapped item id (catalogue and profile-survey items) with its metadata (NULL
-- for survey items, which have none), its image in the release (image_path is relative to the release
-- folder) and, when its image is an exact or near duplicate of other items' images, its duplicate cluster.
CREATE VIEW items_with_images AS
SELECT
    m.item_id,
    m.catalogue,
    m.has_metadata,
    i.product_name,
    i.product_brand,
    i.product_rating,
    i.categories,
    img.path AS image_path,
    img.sha256 AS image_sha256,
    img.bytes AS image_bytes,
    img.format AS image_format,
    img.width AS image_width,
    img.height AS image_height,
    img.mode AS image_mode,
    img.hash_algorithm,
    img.hash AS image_hash,
    d.duplicate_cluster,
    d.duplicate_of
FROM catalogue_membership AS m
LEFT JOIN items AS i USING (item_id)
LEFT JOIN images AS img USING (item_id)
LEFT JOIN (
    SELECT item_id, min(cluster) AS duplicate_cluster, list(other ORDER BY other) AS duplicate_of
    FROM (
        SELECT item_a AS item_id, item_b AS other, cluster FROM duplicate_pairs
        UNION ALL
        SELECT item_b AS item_id, item_a AS other, cluster FROM duplicate_pairs
    )
    GROUP BY item_id
) AS d USING (item_id);

COMMENT ON VIEW items_with_images IS
    'Every mapped item with its metadata, its image (image_path relative to the release folder) and its duplicate-image cluster.';

-- known_quirks: the warnings the release was built with, counted by code (findings holds each one with
-- its file and location).
CREATE VIEW known_quirks AS
SELECT code, severity, title, count(*) AS findings, count(DISTINCT file) AS files
FROM findings
GROUP BY code, severity, title
ORDER BY code;

COMMENT ON VIEW known_quirks IS 'Validation findings of the release counted by code (the known quirks).';
