-- code: xref.participant-not-in-profile-ratings
-- severity: error
-- title: Participant without a row in ratings.csv
-- description: A participant who rates conversations (seeker_ratings.csv, assistant_ratings.csv) or has a
--   profile (fashion_profiles/profiles.csv) has no row in fashion_profiles/ratings.csv, the profile-survey
--   item ratings. profiles.csv and ratings.csv hold the same participants: add the row, or fix the id. One
--   finding per participant; when ratings.csv holds no row at all, one finding replaces one per participant.
-- requires: rating_rows, participants, profile_ratings
WITH reference AS (
    SELECT participant_id, source_file AS file, source_row AS row FROM rating_row
    UNION ALL
    SELECT participant_id, 'fashion_profiles/profiles.csv', source_row FROM participants
), missing AS (
    SELECT participant_id, file, list(row ORDER BY row) AS rows
    FROM reference AS r
    WHERE participant_id IS NOT NULL
      AND r.participant_id NOT IN (SELECT DISTINCT participant_id FROM profile_ratings)
    GROUP BY participant_id, file
), per_participant AS (
    SELECT participant_id,
           string_agg(format('{} row(s) {}', file, array_to_string(list_slice(rows, 1, 5), ', ')
                             || CASE WHEN len(rows) > 5 THEN ', …' ELSE '' END), '; ' ORDER BY file) AS seen
    FROM missing
    GROUP BY participant_id
)
SELECT 'fashion_profiles/ratings.csv' AS file,
       {'participant_id': participant_id} AS keys,
       participant_id AS value,
       'a row in ratings.csv' AS expected,
       format('participant {} has no row in ratings.csv but appears in {}: add the row or fix the id',
              participant_id, seen) AS message
FROM per_participant
WHERE EXISTS (SELECT 1 FROM profile_ratings)
UNION ALL
SELECT 'fashion_profiles/ratings.csv' AS file,
       {'participant_id': NULL::VARCHAR} AS keys,
       count(*) AS value,
       'a row in ratings.csv' AS expected,
       format('ratings.csv holds no participant row, but {} participants rate conversations or have a '
              'profile: restore the file''s rows', count(*)) AS message
FROM per_participant
WHERE NOT EXISTS (SELECT 1 FROM profile_ratings)
HAVING count(*) > 0
ORDER BY value
