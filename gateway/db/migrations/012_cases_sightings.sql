-- Route tracing: cases (one canonical case number across every station), their members, sightings
-- ordered into a route, and every edit of a sighting kept as history.

CREATE TABLE cases (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_no           text NOT NULL UNIQUE CHECK (length(case_no) BETWEEN 1 AND 256),
  title             text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  owner_station_id  uuid NOT NULL REFERENCES jurisdictions(id),
  created_by        uuid NOT NULL REFERENCES users(id),
  -- Earliest time the case covers (the incident); sightings and searches before it are refused.
  opened_at         timestamptz NOT NULL,
  status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  closed_at         timestamptz,
  closed_by         uuid REFERENCES users(id),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_owner_station_idx ON cases (owner_station_id, status);

CREATE TABLE case_members (
  case_id     uuid NOT NULL REFERENCES cases(id),
  user_id     uuid NOT NULL REFERENCES users(id),
  role        text NOT NULL CHECK (role IN ('owner', 'member')),
  added_by    uuid REFERENCES users(id),
  added_at    timestamptz NOT NULL DEFAULT now(),
  removed_at  timestamptz,
  removed_by  uuid REFERENCES users(id),
  PRIMARY KEY (case_id, user_id)
);
CREATE INDEX case_members_user_idx ON case_members (user_id) WHERE removed_at IS NULL;

CREATE TABLE sightings (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id           uuid NOT NULL REFERENCES cases(id),
  camera_id         uuid NOT NULL REFERENCES cameras(id),
  seen_at           timestamptz NOT NULL,
  note              text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
  confidence        real NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  -- A still taken through the media edge with a play token for this camera; the token's grant is kept.
  snapshot          bytea,
  snapshot_sha256   text CHECK (snapshot_sha256 IS NULL OR snapshot_sha256 ~ '^[0-9a-f]{64}$'),
  snapshot_grant_id uuid,
  access_grant_id   uuid,
  created_by        uuid NOT NULL REFERENCES users(id),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  version           integer NOT NULL DEFAULT 1,
  deleted_at        timestamptz
);
CREATE INDEX sightings_case_idx ON sightings (case_id, seen_at) WHERE deleted_at IS NULL;

CREATE TABLE sighting_history (
  id           bigserial PRIMARY KEY,
  sighting_id  uuid NOT NULL REFERENCES sightings(id),
  version      integer NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('created', 'edited', 'deleted')),
  changed_by   uuid NOT NULL REFERENCES users(id),
  changed_at   timestamptz NOT NULL DEFAULT now(),
  before       jsonb,
  after        jsonb
);
CREATE INDEX sighting_history_sighting_idx ON sighting_history (sighting_id, id);

-- The in-memory camera index catches up on rows changed since its last look (changes no bus message announced).
CREATE INDEX cameras_updated_idx ON cameras (updated_at);
