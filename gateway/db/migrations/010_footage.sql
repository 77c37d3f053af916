-- Footage leaving the gateway: evidence exports (clip + signed manifest) and privacy masks.

-- Recorded ranges, kept merged by a trigger on the segment index, so listing 30 days of 10 s segments reads a few
-- rows instead of 259,200. A segment starting within 1.5 s of a range's end extends it; deleting one splits or trims it.
CREATE TABLE recording_ranges (
  id         bigserial PRIMARY KEY,
  camera_id  uuid NOT NULL REFERENCES cameras(id),
  stream     text NOT NULL CHECK (stream IN ('main', 'sub')),
  start_at   timestamptz NOT NULL,
  end_at     timestamptz NOT NULL CHECK (end_at >= start_at)
);
CREATE INDEX recording_ranges_time_idx ON recording_ranges (camera_id, stream, start_at);

CREATE FUNCTION recording_ranges_add(cam uuid, st text, s timestamptz, e timestamptz) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  lo timestamptz;
  hi timestamptz;
  keep bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(cam::text || st, 7366290011));
  SELECT least(min(start_at), s), greatest(max(end_at), e), min(id) INTO lo, hi, keep
    FROM recording_ranges
    WHERE camera_id = cam AND stream = st AND start_at <= e + interval '1.5 seconds' AND end_at >= s - interval '1.5 seconds';
  IF keep IS NULL THEN
    INSERT INTO recording_ranges (camera_id, stream, start_at, end_at) VALUES (cam, st, s, e);
  ELSE
    DELETE FROM recording_ranges
      WHERE camera_id = cam AND stream = st AND start_at <= e + interval '1.5 seconds' AND end_at >= s - interval '1.5 seconds' AND id <> keep;
    UPDATE recording_ranges SET start_at = lo, end_at = hi WHERE id = keep;
  END IF;
END $$;

-- After a segment is gone: the range that held it keeps what lies before and after it (each one index probe).
CREATE FUNCTION recording_ranges_remove(cam uuid, st text, s timestamptz, e timestamptz) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  r recording_ranges%ROWTYPE;
  before_end timestamptz;
  after_start timestamptz;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(cam::text || st, 7366290011));
  SELECT * INTO r FROM recording_ranges
    WHERE camera_id = cam AND stream = st AND start_at <= s AND end_at >= e ORDER BY start_at DESC LIMIT 1;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  SELECT end_at INTO before_end FROM recording_segments
    WHERE camera_id = cam AND stream = st AND start_at >= r.start_at AND start_at < s ORDER BY start_at DESC LIMIT 1;
  SELECT start_at INTO after_start FROM recording_segments
    WHERE camera_id = cam AND stream = st AND start_at > s AND start_at <= r.end_at ORDER BY start_at LIMIT 1;
  DELETE FROM recording_ranges WHERE id = r.id;
  IF before_end IS NOT NULL THEN
    INSERT INTO recording_ranges (camera_id, stream, start_at, end_at) VALUES (cam, st, r.start_at, before_end);
  END IF;
  IF after_start IS NOT NULL THEN
    INSERT INTO recording_ranges (camera_id, stream, start_at, end_at) VALUES (cam, st, after_start, r.end_at);
  END IF;
END $$;

CREATE FUNCTION recording_ranges_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    PERFORM recording_ranges_remove(OLD.camera_id, OLD.stream, OLD.start_at, OLD.end_at);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM recording_ranges_add(NEW.camera_id, NEW.stream, NEW.start_at, NEW.end_at);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER recording_segments_ranges AFTER INSERT OR DELETE OR UPDATE OF camera_id, stream, start_at, end_at
  ON recording_segments FOR EACH ROW EXECUTE FUNCTION recording_ranges_sync();

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
