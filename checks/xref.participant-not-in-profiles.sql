-- code: xref.participant-not-in-profiles
-- severity: error
-- title: Participant without a row in profiles.csv
-- description: A participant who rates conversations (seeker_ratings.csv, assistant_ratings.csv) or has
--   profile-survey ratings (fashion_profiles/ratings.csv) has no row in fashion_profiles/profiles.csv.
--   Every participant has one profile: add the row, or fix the participant id. One finding per participant;
--   when profiles.csv holds no row at all, one finding replaces one per participant.
-- requires: rating_rows, participants, profile_ratings
WITH reference AS (
    SELECT participant_id, source_file AS file, source_row AS row FROM rating_row
    UNION ALL
    SELECT participant_id, 'fashion_profiles/ratings.csv', min(source_row) FROM profile_ratings
    GROUP BY participant_id
), missing AS (
    SELECT participant_id, file, list(row ORDER BY row) AS rows
    FROM reference AS r
    WHERE participant_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM participants AS p WHERE p.participant_id = r.participant_id)
    GROUP BY participant_id, file
), per_participant AS (
    SELECT participant_id,
           string_agg(format('{} row(s) {}', file, array_to_string(list_slice(rows, 1, 5), ', ')
                             || CASE WHEN len(rows) > 5 THEN ', …' ELSE '' END), '; ' ORDER BY file) AS seen
    FROM missing
    GROUP BY participant_id
)
SELECT 'fashion_profiles/profiles.csv' AS file,
       {'participant_id': participant_id} AS keys,
       participant_id AS value,
       'a row in profiles.csv' AS expected,
       format('participant {} has no row in profiles.csv but appears in {}: add the profile row or fix the id',
              participant_id, seen) AS message
FROM per_participant
WHERE EXISTS (SELECT 1 FROM participants)
UNION ALL
SELECT 'fashion_profiles/profiles.csv' AS file,
       {'participant_id': NULL::VARCHAR} AS keys,
       count(*) AS value,
       'a row in profiles.csv' AS expected,
       format('profiles.csv holds no participant row, but {} participants rate conversations or have profile '
              'ratings: restore the file''s rows', count(*)) AS message
FROM per_participant
WHERE NOT EXISTS (SELECT 1 FROM participants)
HAVING count(*) > 0
ORDER BY value
