-- code: xref.catalogue-block
-- severity: error
-- title: Catalogue items do not form one block per catalogue
-- description: In supplements/catalogue_mapping.csv the catalogue items (mapped items that have an item
--   JSON) form one contiguous block of ids per catalogue, all blocks of one size (1–12 a, 13–24 b, 25–36 c
--   in the release; nothing is assumed: blocks are derived from the file). A catalogue's block spans those of
--   its items that have a neighbouring id in the same catalogue. Reported, one finding per id: an id inside
--   a block that is not an item of that catalogue (no item JSON, mapped to another catalogue, or no mapping
--   row), and a catalogue item outside its catalogue's block; one finding per catalogue whose ids are
--   scattered, or whose otherwise clean block differs in size from most blocks. Fix the mapping row or
--   restore the item JSON.
-- requires: catalogue_membership
-- uses: files
WITH member AS (
    SELECT ci.*,
           EXISTS (SELECT 1 FROM catalogue_item AS n
                   WHERE n.catalogue = ci.catalogue
                     AND n.item_id IN (ci.item_id::BIGINT - 1, ci.item_id::BIGINT + 1))
               AS has_neighbour
    FROM catalogue_item AS ci
), span AS (
    SELECT catalogue, min(item_id) AS lo, max(item_id) AS hi
    FROM member
    WHERE has_neighbour
    GROUP BY catalogue
), block AS (
    -- n: the catalogue's items inside its span; n_holes: the other ids of the span
    SELECT s.catalogue, s.lo, s.hi, count(*) AS n, s.hi::BIGINT - s.lo + 1 - count(*) AS n_holes
    FROM span AS s
    JOIN catalogue_item AS ci ON ci.catalogue = s.catalogue AND ci.item_id BETWEEN s.lo AND s.hi
    GROUP BY s.catalogue, s.lo, s.hi
), unmapped_json AS (
    -- ids with an item JSON but no mapping row: xref.item-not-mapped reports them
    SELECT TRY_CAST(regexp_extract(path, '^metadata/item_(\d+)\.json$', 1) AS BIGINT) AS item_id
    FROM files
    WHERE regexp_matches(path, '^metadata/item_\d+\.json$')
), scattered AS (
    -- more holes than items: not a block at all (and never enumerate a huge span)
    SELECT * FROM block WHERE n_holes > n
), hole AS (
    SELECT b.catalogue AS block_catalogue, b.lo, b.hi, b.n, g.item_id::INTEGER AS item_id
    FROM (SELECT * FROM block WHERE n_holes <= n) AS b, generate_series(b.lo, b.hi) AS g(item_id)
    WHERE NOT EXISTS (SELECT 1 FROM catalogue_item AS ci
                      WHERE ci.item_id = g.item_id AND ci.catalogue = b.catalogue)
), problem AS (
    SELECT h.item_id,
           CASE WHEN m.item_id IS NULL
                THEN format('id {} lies inside catalogue {}''s block {}..{} but has no mapping row',
                            h.item_id, h.block_catalogue, h.lo, h.hi)
                WHEN m.catalogue = h.block_catalogue
                THEN format('item {} lies inside catalogue {}''s block {}..{} but has no metadata/item_{}.json',
                            h.item_id, h.block_catalogue, h.lo, h.hi, h.item_id)
                ELSE format('item {} lies inside catalogue {}''s block {}..{} but is mapped to catalogue {}{}',
                            h.item_id, h.block_catalogue, h.lo, h.hi, m.catalogue,
                            CASE WHEN m.has_metadata THEN '' ELSE ' (and has no item JSON)' END)
           END AS reason
    FROM hole AS h
    LEFT JOIN mapped_item AS m USING (item_id)
    WHERE NOT (m.item_id IS NULL AND h.item_id IN (SELECT item_id FROM unmapped_json WHERE item_id IS NOT NULL))
    UNION ALL
    SELECT mb.item_id,
           CASE WHEN b.catalogue IS NULL
                THEN format('item {} has an item JSON, making it a catalogue item of catalogue {}, but no '
                            'neighbouring id is an item of catalogue {}', mb.item_id, mb.catalogue, mb.catalogue)
                ELSE format('item {} is a catalogue item of catalogue {} but lies outside its block {}..{}',
                            mb.item_id, mb.catalogue, b.lo, b.hi)
           END
    FROM member AS mb
    LEFT JOIN block AS b USING (catalogue)
    WHERE (b.catalogue IS NULL OR mb.item_id NOT BETWEEN b.lo AND b.hi)
      AND mb.catalogue NOT IN (SELECT catalogue FROM scattered)
), usual_size AS (
    SELECT n FROM (SELECT n, count(*) AS k FROM block GROUP BY n) ORDER BY k DESC, n DESC LIMIT 1
), irregular AS (
    -- catalogues that some finding above already explains
    SELECT DISTINCT block_catalogue AS catalogue FROM hole
    UNION SELECT catalogue FROM scattered
    UNION SELECT mb.catalogue FROM member AS mb LEFT JOIN block AS b USING (catalogue)
          WHERE b.catalogue IS NULL OR mb.item_id NOT BETWEEN b.lo AND b.hi
)
SELECT 'supplements/catalogue_mapping.csv' AS file, min(m.source_row) AS row,
       {'item_id': p.item_id, 'catalogue': NULL::VARCHAR} AS keys,
       p.item_id AS value,
       'one contiguous block of catalogue items per catalogue' AS expected,
       string_agg(p.reason, '; ' ORDER BY p.reason) || ': fix the mapping row or the item JSON' AS message
FROM problem AS p
LEFT JOIN mapped_item AS m USING (item_id)
GROUP BY p.item_id
UNION ALL
SELECT 'supplements/catalogue_mapping.csv', NULL,
       {'item_id': NULL::INTEGER, 'catalogue': catalogue},
       n_holes,
       'one contiguous block of catalogue items per catalogue',
       format('the items of catalogue {} are scattered: {} of the ids {}..{} are not its items; catalogue items '
              'form one contiguous block per catalogue', catalogue, n_holes, lo, hi)
FROM scattered
UNION ALL
SELECT 'supplements/catalogue_mapping.csv', NULL,
       {'item_id': NULL::INTEGER, 'catalogue': b.catalogue},
       b.n,
       format('{} items, like most catalogues', u.n),
       format('catalogue {} holds {} catalogue items ({}..{}) but most catalogues hold {}: an item JSON or a '
              'mapping row is missing or extra at the edge of the block', b.catalogue, b.n, b.lo, b.hi, u.n)
FROM block AS b, usual_size AS u
WHERE b.n <> u.n
  AND b.catalogue NOT IN (SELECT catalogue FROM irregular)
ORDER BY row NULLS LAST, keys
