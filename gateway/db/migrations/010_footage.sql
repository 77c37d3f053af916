-- Footage leaving the gateway: evidence exports (clip + signed manifest) and privacy masks.

-- Listing merges segment ranges with one ordered pass: a covering index keeps it an index-only scan.
CREATE INDEX recording_segments_range_idx ON recording_segments (camera_id, stream, start_at) INCLUDE (end_at, bytes);

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
