-- The paper's evaluation metrics for the human baseline, as DuckDB views.
--
-- The human baseline predicts the Seeker's 1..5 rating of each catalogue item of a conversation with the
-- Assistant's rating of the same item. Definitions: docs/metrics.md. Inputs: the release tables
-- item_ratings and conversation_items only, so that these views run before any other view file. vogue_pack.metrics.evaluate() with the "human" baseline gives the same
-- numbers (tests/test_metrics.py checks them to 1e-9).
--
-- Subsets: 'all' items, 'mentioned' items (in the transcript's mentioned_items), 'unmentioned' items.
-- Pearson (pearson, pc) is NULL, i.e. undefined and skipped, for a conversation with fewer than 2 items
-- or with a constant prediction or a constant truth; pc averages the defined values and pc_undefined
-- counts the skipped conversations.
--
-- Reproduce the paper's human row:  SELECT * FROM metrics_human_overall WHERE subset = 'all'

-- One row per cell the Seeker rated and the Assistant rated too.
CREATE OR REPLACE VIEW metrics_human_items AS
SELECT
    s.conversation_id,
    s.item_id,
    coalesce(ci.mentioned, false) AS mentioned,
    CAST(s.rating AS INTEGER) AS truth,
    CAST(a.rating AS INTEGER) AS prediction,
    CAST(abs(CAST(a.rating AS INTEGER) - CAST(s.rating AS INTEGER)) AS DOUBLE) AS abs_error
FROM item_ratings AS s
JOIN item_ratings AS a
    ON a.conversation_id = s.conversation_id
    AND a.item_id = s.item_id
    AND a.role = 'Assistant'
    AND a.rating IS NOT NULL
LEFT JOIN conversation_items AS ci
    ON ci.conversation_id = s.conversation_id
    AND ci.item_id = s.item_id
WHERE s.role = 'Seeker' AND s.rating IS NOT NULL
ORDER BY s.conversation_id, s.item_id;

-- The cells of metrics_human_items once per subset they belong to.
CREATE OR REPLACE VIEW metrics_human_subset_items AS
SELECT 'all' AS subset, * FROM metrics_human_items
UNION ALL
SELECT 'mentioned' AS subset, * FROM metrics_human_items WHERE mentioned
UNION ALL
SELECT 'unmentioned' AS subset, * FROM metrics_human_items WHERE NOT mentioned;

-- Per subset and conversation: items, accuracy, Pearson (NULL when undefined), MAE and macro MAE
-- (the mean over the truth classes present of each class's MAE).
CREATE OR REPLACE VIEW metrics_human_per_conversation AS
WITH per_class AS (
    SELECT subset, conversation_id, truth, avg(abs_error) AS class_mae
    FROM metrics_human_subset_items
    GROUP BY subset, conversation_id, truth
),
macro AS (
    SELECT subset, conversation_id, avg(class_mae) AS macro_mae
    FROM per_class
    GROUP BY subset, conversation_id
),
pooled AS (
    SELECT
        subset,
        conversation_id,
        count(*) AS items,
        avg(CAST(prediction = truth AS DOUBLE)) AS accuracy,
        CASE
            WHEN count(*) >= 2 AND min(prediction) < max(prediction) AND min(truth) < max(truth)
            THEN corr(CAST(prediction AS DOUBLE), CAST(truth AS DOUBLE))
        END AS pearson,
        avg(abs_error) AS mae
    FROM metrics_human_subset_items
    GROUP BY subset, conversation_id
)
SELECT subset, conversation_id, items, accuracy, pearson, mae, macro_mae
FROM pooled
JOIN macro USING (subset, conversation_id)
ORDER BY subset, conversation_id;

-- Per subset and rating 1..5: how often it is predicted and how often it is the truth (counts, shares).
CREATE OR REPLACE VIEW metrics_human_distribution AS
WITH subsets(subset) AS (VALUES ('all'), ('mentioned'), ('unmentioned')),
ratings AS (SELECT CAST(range AS INTEGER) AS rating FROM range(1, 6)),
totals AS (SELECT subset, count(*) AS n FROM metrics_human_subset_items GROUP BY subset),
predicted AS (
    SELECT subset, prediction AS rating, count(*) AS n
    FROM metrics_human_subset_items GROUP BY subset, prediction
),
actual AS (
    SELECT subset, truth AS rating, count(*) AS n
    FROM metrics_human_subset_items GROUP BY subset, truth
)
SELECT
    s.subset,
    r.rating,
    coalesce(p.n, 0) AS predicted,
    coalesce(a.n, 0) AS truth,
    CAST(coalesce(p.n, 0) AS DOUBLE) / t.n AS predicted_share,
    CAST(coalesce(a.n, 0) AS DOUBLE) / t.n AS truth_share
FROM subsets AS s
CROSS JOIN ratings AS r
LEFT JOIN totals AS t ON t.subset = s.subset
LEFT JOIN predicted AS p ON p.subset = s.subset AND p.rating = r.rating
LEFT JOIN actual AS a ON a.subset = s.subset AND a.rating = r.rating
ORDER BY s.subset, r.rating;

-- One row per subset: the paper's metrics plus MAE per truth class (NULL when the class is absent), the
-- per-class item counts, and two distances between the predicted and true rating distributions:
-- total_variation = 0.5 * sum_k |P(k) - Q(k)|; wasserstein_1 = sum_{k=1..4} |F_P(k) - F_Q(k)|.
CREATE OR REPLACE VIEW metrics_human_overall AS
WITH subsets(subset) AS (VALUES ('all'), ('mentioned'), ('unmentioned')),
pooled AS (
    SELECT
        subset,
        count(*) AS items,
        count(DISTINCT conversation_id) AS conversations,
        avg(CAST(prediction = truth AS DOUBLE)) AS accuracy,
        avg(abs_error) AS mae,
        avg(abs_error) FILTER (WHERE truth = 1) AS mae_gt_1,
        avg(abs_error) FILTER (WHERE truth = 2) AS mae_gt_2,
        avg(abs_error) FILTER (WHERE truth = 3) AS mae_gt_3,
        avg(abs_error) FILTER (WHERE truth = 4) AS mae_gt_4,
        avg(abs_error) FILTER (WHERE truth = 5) AS mae_gt_5,
        count(*) FILTER (WHERE truth = 1) AS items_gt_1,
        count(*) FILTER (WHERE truth = 2) AS items_gt_2,
        count(*) FILTER (WHERE truth = 3) AS items_gt_3,
        count(*) FILTER (WHERE truth = 4) AS items_gt_4,
        count(*) FILTER (WHERE truth = 5) AS items_gt_5
    FROM metrics_human_subset_items
    GROUP BY subset
),
per_conversation AS (
    SELECT
        subset,
        avg(pearson) AS pc,
        count(pearson) AS pc_conversations,
        count(*) - count(pearson) AS pc_undefined,
        avg(macro_mae) AS macro_mae
    FROM metrics_human_per_conversation
    GROUP BY subset
),
cumulative AS (
    SELECT
        subset,
        rating,
        predicted_share,
        truth_share,
        sum(predicted_share - truth_share) OVER (PARTITION BY subset ORDER BY rating) AS cdf_difference
    FROM metrics_human_distribution
),
distances AS (
    SELECT
        subset,
        0.5 * sum(abs(predicted_share - truth_share)) AS total_variation,
        sum(abs(cdf_difference)) FILTER (WHERE rating < 5) AS wasserstein_1
    FROM cumulative
    GROUP BY subset
)
SELECT
    subset,
    coalesce(items, 0) AS items,
    coalesce(conversations, 0) AS conversations,
    accuracy,
    pc,
    coalesce(pc_conversations, 0) AS pc_conversations,
    coalesce(pc_undefined, 0) AS pc_undefined,
    mae,
    mae_gt_1,
    mae_gt_2,
    mae_gt_3,
    mae_gt_4,
    mae_gt_5,
    macro_mae,
    coalesce(items_gt_1, 0) AS items_gt_1,
    coalesce(items_gt_2, 0) AS items_gt_2,
    coalesce(items_gt_3, 0) AS items_gt_3,
    coalesce(items_gt_4, 0) AS items_gt_4,
    coalesce(items_gt_5, 0) AS items_gt_5,
    total_variation,
    wasserstein_1
FROM subsets
LEFT JOIN pooled USING (subset)
LEFT JOIN per_conversation USING (subset)
LEFT JOIN distances USING (subset)
ORDER BY subset;
