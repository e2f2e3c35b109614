-- code: xref.profile-rating-unknown-item
-- severity: error
-- title: Profile rating column of an unmapped item
-- description: A column item_k (or item_k_duplicate) of fashion_profiles/ratings.csv names an item id that
--   supplements/catalogue_mapping.csv lacks. Every item id, profile-survey items included, is in the
--   mapping (and has an image). One finding per column: fix the column name or add the item.
-- requires: profile_ratings, catalogue_membership
SELECT 'fashion_profiles/ratings.csv' AS file, min(pr.source_row) AS row, pr."column" AS "column",
       {'item_id': pr.item_id} AS keys,
       pr.item_id AS value,
       'an id of supplements/catalogue_mapping.csv' AS expected,
       format('column {} names item {}, which supplements/catalogue_mapping.csv does not have: fix the column '
              'or add the item (mapping row and image)', pr."column", pr.item_id) AS message
FROM profile_ratings AS pr
WHERE NOT EXISTS (SELECT 1 FROM catalogue_membership AS m WHERE m.item_id = pr.item_id)
GROUP BY pr."column", pr.item_id
ORDER BY "column"
