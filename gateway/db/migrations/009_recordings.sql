-- Recorded footage: the segment index is the truth for listing (never a directory scan), gaps are
-- recorded as gaps, and footage inside an approved grant's window or attached to a case is held from
-- retention until released.

-- Household cameras record only as their owner's consent allows; police and village cameras by policy.
ALTER TABLE camera_consents ADD COLUMN recording_allowed boolean NOT NULL DEFAULT false;
ALTER TABLE cameras ADD COLUMN recording_allowed boolean;          -- null: the owner class's default
ALTER TABLE cameras ADD COLUMN recording jsonb NOT NULL DEFAULT '{}'; -- per-camera overrides of recording.* config

-- One finished (or, after a crash, repaired) MPEG-TS segment; each starts with a keyframe.
-- Wall clock of a frame: start_at + (pts - first_pts_90k) / 90000 s.
CREATE TABLE recording_segments (
  id             bigserial PRIMARY KEY,
  camera_id      uuid NOT NULL REFERENCES cameras(id),
  stream         text NOT NULL CHECK (stream IN ('main', 'sub')),
  start_at       timestamptz NOT NULL,
  end_at         timestamptz NOT NULL CHECK (end_at >= start_at),
  bytes          bigint NOT NULL CHECK (bytes >= 0),
  path           text NOT NULL UNIQUE,  -- relative to the segment store's root
  sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  format         text NOT NULL DEFAULT 'mpegts' CHECK (format IN ('mpegts', 'fmp4')),
  first_pts_90k  bigint,
  keyframes      jsonb,                 -- optional [{ "ms": offset from start_at, "byte": offset in file }]
  repaired       boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recording_segments_time_idx ON recording_segments (camera_id, stream, start_at);
CREATE INDEX recording_segments_age_idx ON recording_segments (start_at);

CREATE TABLE recording_gaps (
  id         bigserial PRIMARY KEY,
  camera_id  uuid NOT NULL REFERENCES cameras(id),
  stream     text NOT NULL CHECK (stream IN ('main', 'sub')),
  start_at   timestamptz NOT NULL,
  end_at     timestamptz NOT NULL CHECK (end_at >= start_at),
  reason     text NOT NULL CHECK (reason IN ('camera_offline', 'disk_full', 'restart', 'corrupt', 'not_recording', 'error')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recording_gaps_time_idx ON recording_gaps (camera_id, stream, start_at);

-- Footage that retention must not delete: an approved grant's footage window, or a case's footage.
CREATE TABLE footage_holds (
  id           bigserial PRIMARY KEY,
  camera_id    uuid NOT NULL REFERENCES cameras(id),
  start_at     timestamptz NOT NULL,
  end_at       timestamptz NOT NULL CHECK (end_at >= start_at),
  grant_id     uuid,
  case_no      text,
  reason       text NOT NULL,
  created_by   uuid REFERENCES users(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  released_at  timestamptz,
  released_by  uuid REFERENCES users(id)
);
CREATE INDEX footage_holds_camera_idx ON footage_holds (camera_id, start_at) WHERE released_at IS NULL;
CREATE UNIQUE INDEX footage_holds_grant_uidx ON footage_holds (grant_id, camera_id) WHERE grant_id IS NOT NULL AND released_at IS NULL;
