-- Rebuilding a camera's merged ranges after a delete read every segment of the touched ranges: for the oldest
-- segment of a 30-day range, 259,200 rows (about a second per statement, once per camera per retention pass).
-- Segments are at most an hour long (checked for new rows), so only the segments within an hour of the change are
-- read; each touched range's untouched part beyond that hour stands in as one piece on either side. Islands of
-- those pieces equal islands of every segment (the part beyond the hour has no breaks, being part of an old range).
ALTER TABLE recording_segments ADD CONSTRAINT recording_segments_at_most_an_hour
  CHECK (end_at <= start_at + interval '1 hour') NOT VALID;

CREATE OR REPLACE FUNCTION recording_ranges_rebuild(cam uuid, st text, lo timestamptz, hi timestamptz) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  rlo timestamptz;
  rhi timestamptz;
  wlo timestamptz := lo - interval '1 hour';
  whi timestamptz := hi + interval '1 hour';
  pieces jsonb;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(cam::text || st, 7366290011));
  WITH gone AS (
    DELETE FROM recording_ranges
    WHERE camera_id = cam AND stream = st AND start_at <= hi + interval '1.5 seconds' AND end_at >= lo - interval '1.5 seconds'
    RETURNING start_at, end_at
  )
  SELECT least(min(start_at), lo), greatest(max(end_at), hi) INTO rlo, rhi FROM gone;
  SELECT coalesce(jsonb_agg(jsonb_build_object('s', s, 'e', e)), '[]'::jsonb) INTO pieces
  FROM (
    -- the segments near the change, and those reaching into it from up to an hour before
    SELECT start_at AS s, end_at AS e FROM recording_segments
     WHERE camera_id = cam AND stream = st
       AND start_at >= greatest(rlo, wlo - interval '1 hour') AND start_at <= least(rhi, whi) AND end_at >= wlo
    UNION ALL SELECT rlo, wlo WHERE rlo < wlo
    UNION ALL SELECT whi, rhi WHERE rhi > whi
  ) p;
  PERFORM recording_ranges_islands(cam, st, pieces);
END $$;
