-- Footage leaving the gateway: evidence exports (clip + signed manifest) and privacy masks.

-- Recorded ranges, kept merged by triggers on the segment index, so listing 30 days of 10 s segments reads a few
-- rows instead of 259,200. A segment starting within 1.5 s of a range's end extends it; deleting one splits or trims it.
CREATE TABLE recording_ranges (
  id         bigserial PRIMARY KEY,
  camera_id  uuid NOT NULL REFERENCES cameras(id),
  stream     text NOT NULL CHECK (stream IN ('main', 'sub')),
  start_at   timestamptz NOT NULL,
  end_at     timestamptz NOT NULL CHECK (end_at >= start_at)
);
CREATE INDEX recording_ranges_time_idx ON recording_ranges (camera_id, stream, start_at);

-- Islands of the given pieces (start_at, end_at): a piece starting more than 1.5 s after every earlier one ended
-- begins a new range. Used on new segments plus the ranges they touch, and to rebuild after deletes.
CREATE FUNCTION recording_ranges_islands(cam uuid, st text, pieces jsonb) RETURNS void LANGUAGE sql AS $$
  INSERT INTO recording_ranges (camera_id, stream, start_at, end_at)
  SELECT cam, st, min(s), max(e)
  FROM (
    SELECT s, e, sum(CASE WHEN prev IS NULL OR s > prev + interval '1.5 seconds' THEN 1 ELSE 0 END) OVER (ORDER BY s, e) AS grp
    FROM (
      SELECT s, e, max(e) OVER (ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
      FROM (SELECT (p->>'s')::timestamptz AS s, (p->>'e')::timestamptz AS e FROM jsonb_array_elements(pieces) p) x
    ) y
  ) z
  GROUP BY grp
$$;

-- After an INSERT statement: per camera and stream, the new segments and the ranges they touch become islands again.
-- One pass per statement, so a bulk insert (a repair at start-up) costs the same per row as a single one.
CREATE FUNCTION recording_ranges_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  k record;
  pieces jsonb;
BEGIN
  FOR k IN SELECT camera_id, stream, min(start_at) AS lo, max(end_at) AS hi FROM new_segments GROUP BY camera_id, stream LOOP
    PERFORM pg_advisory_xact_lock(hashtextextended(k.camera_id::text || k.stream, 7366290011));
    WITH touched AS (
      DELETE FROM recording_ranges
      WHERE camera_id = k.camera_id AND stream = k.stream
        AND start_at <= k.hi + interval '1.5 seconds' AND end_at >= k.lo - interval '1.5 seconds'
      RETURNING start_at, end_at
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object('s', start_at, 'e', end_at)), '[]'::jsonb) INTO pieces
    FROM (SELECT start_at, end_at FROM touched
          UNION ALL SELECT start_at, end_at FROM new_segments WHERE camera_id = k.camera_id AND stream = k.stream) u;
    PERFORM recording_ranges_islands(k.camera_id, k.stream, pieces);
  END LOOP;
  RETURN NULL;
END $$;

-- Rebuilds the ranges overlapping [lo, hi] from the segments still indexed there.
CREATE FUNCTION recording_ranges_rebuild(cam uuid, st text, lo timestamptz, hi timestamptz) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  rlo timestamptz;
  rhi timestamptz;
  pieces jsonb;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(cam::text || st, 7366290011));
  WITH gone AS (
    DELETE FROM recording_ranges
    WHERE camera_id = cam AND stream = st AND start_at <= hi + interval '1.5 seconds' AND end_at >= lo - interval '1.5 seconds'
    RETURNING start_at, end_at
  )
  SELECT least(min(start_at), lo), greatest(max(end_at), hi) INTO rlo, rhi FROM gone;
  SELECT coalesce(jsonb_agg(jsonb_build_object('s', start_at, 'e', end_at)), '[]'::jsonb) INTO pieces
  FROM recording_segments WHERE camera_id = cam AND stream = st AND start_at >= rlo AND start_at <= rhi;
  PERFORM recording_ranges_islands(cam, st, pieces);
END $$;

CREATE FUNCTION recording_ranges_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  k record;
BEGIN
  FOR k IN SELECT camera_id, stream, min(start_at) AS lo, max(end_at) AS hi FROM old_segments GROUP BY camera_id, stream LOOP
    PERFORM recording_ranges_rebuild(k.camera_id, k.stream, k.lo, k.hi);
  END LOOP;
  RETURN NULL;
END $$;

-- A segment's time or camera changed (rare): rebuild around both its old and new place.
CREATE FUNCTION recording_ranges_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM recording_ranges_rebuild(OLD.camera_id, OLD.stream, OLD.start_at, OLD.end_at);
  PERFORM recording_ranges_rebuild(NEW.camera_id, NEW.stream, NEW.start_at, NEW.end_at);
  RETURN NULL;
END $$;

CREATE TRIGGER recording_segments_ranges_insert AFTER INSERT ON recording_segments
  REFERENCING NEW TABLE AS new_segments FOR EACH STATEMENT EXECUTE FUNCTION recording_ranges_after_insert();
CREATE TRIGGER recording_segments_ranges_delete AFTER DELETE ON recording_segments
  REFERENCING OLD TABLE AS old_segments FOR EACH STATEMENT EXECUTE FUNCTION recording_ranges_after_delete();
CREATE TRIGGER recording_segments_ranges_update AFTER UPDATE OF camera_id, stream, start_at, end_at ON recording_segments
  FOR EACH ROW EXECUTE FUNCTION recording_ranges_after_update();

-- Segments indexed before this migration.
INSERT INTO recording_ranges (camera_id, stream, start_at, end_at)
SELECT camera_id, stream, min(start_at), max(end_at)
FROM (
  SELECT camera_id, stream, start_at, end_at, sum(brk) OVER (PARTITION BY camera_id, stream ORDER BY start_at) AS grp
  FROM (
    SELECT camera_id, stream, start_at, end_at,
           CASE WHEN lag(end_at) OVER w IS NULL OR start_at > lag(end_at) OVER w + interval '1.5 seconds' THEN 1 ELSE 0 END AS brk
    FROM recording_segments WINDOW w AS (PARTITION BY camera_id, stream ORDER BY start_at)
  ) a
) b
GROUP BY camera_id, stream, grp;

-- One evidence export: the clip and its signed manifest are files under the export directory.
CREATE TABLE footage_exports (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  camera_id       uuid NOT NULL REFERENCES cameras(id),
  stream          text NOT NULL CHECK (stream IN ('main', 'sub')),
  requester_id    uuid NOT NULL REFERENCES users(id),
  grant_id        uuid,
  case_no         text,
  from_at         timestamptz NOT NULL,
  to_at           timestamptz NOT NULL CHECK (to_at > from_at),
  watermark       boolean NOT NULL DEFAULT false,
  state           text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'failed')),
  progress        real NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
  source          text NOT NULL DEFAULT 'gateway' CHECK (source IN ('gateway', 'camera')),
  clip_sha256     text CHECK (clip_sha256 ~ '^[0-9a-f]{64}$'),
  clip_bytes      bigint,
  manifest        text,        -- the signed manifest (JSON), exactly as served
  error           text,
  audit_id        bigint,
  created_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz
);
CREATE INDEX footage_exports_case_idx ON footage_exports (case_no, created_at);
CREATE INDEX footage_exports_requester_idx ON footage_exports (requester_id, created_at);

-- Privacy masks: every save is a new version; the newest is in force. Rectangles are fractions of the frame.
CREATE TABLE camera_masks (
  camera_id   uuid NOT NULL REFERENCES cameras(id),
  version     integer NOT NULL CHECK (version > 0),
  rects       jsonb NOT NULL,
  created_by  uuid NOT NULL REFERENCES users(id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (camera_id, version)
);

-- An owner lifts their mask for one grant: that grant's viewers and exports get the original.
CREATE TABLE grant_mask_lifts (
  grant_id      uuid NOT NULL,
  camera_id     uuid NOT NULL REFERENCES cameras(id),
  mask_version  integer NOT NULL,
  lifted_by     uuid NOT NULL REFERENCES users(id),
  lifted_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (grant_id, camera_id)
);
