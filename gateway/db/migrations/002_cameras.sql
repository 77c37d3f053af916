-- Cameras, their owners' consent, and health.

CREATE TABLE cameras (
  id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  device_id               text NOT NULL UNIQUE CHECK (device_id ~ '^[0-9]{20}$'),
  name                    text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  owner_class             text NOT NULL CHECK (owner_class IN ('police', 'village', 'household')),
  station_id              uuid NOT NULL REFERENCES jurisdictions(id),
  village_id              uuid REFERENCES jurisdictions(id),
  owner_user_id           uuid REFERENCES users(id),
  owner_name              text,
  owner_phone             text,
  address                 text,
  sharing_mode            text CHECK (sharing_mode IN ('station', 'on_request', 'never_live')),
  delegated_to_committee  boolean NOT NULL DEFAULT false,
  lat                     double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  lon                     double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
  jurisdiction_override   text,
  onvif_host              text NOT NULL,
  onvif_port              integer NOT NULL CHECK (onvif_port BETWEEN 1 AND 65535),
  -- AES-256-GCM, 'kid.iv.tag.ciphertext' in base64url; never returned by the API
  credentials_enc         text NOT NULL,
  device_info             jsonb NOT NULL DEFAULT '{}',
  clock_offset_ms         integer NOT NULL DEFAULT 0,
  profiles                jsonb NOT NULL DEFAULT '[]',
  enabled                 boolean NOT NULL DEFAULT true,
  enrolled_by             uuid REFERENCES users(id),
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  removed_at              timestamptz,
  CHECK ((owner_class = 'household') = (sharing_mode IS NOT NULL))
);
-- One live camera per device address; a removed camera keeps its row (and its audit history).
CREATE UNIQUE INDEX cameras_endpoint_uidx ON cameras (onvif_host, onvif_port) WHERE removed_at IS NULL;
CREATE INDEX cameras_station_idx ON cameras (station_id) WHERE removed_at IS NULL;
CREATE INDEX cameras_village_idx ON cameras (village_id) WHERE removed_at IS NULL;
CREATE INDEX cameras_owner_idx ON cameras (owner_user_id) WHERE owner_user_id IS NOT NULL;
CREATE INDEX cameras_location_idx ON cameras USING gist (point(lon, lat)) WHERE removed_at IS NULL;

-- Every consent an owner gave or changed, kept.
CREATE TABLE camera_consents (
  id             bigserial PRIMARY KEY,
  camera_id      uuid NOT NULL REFERENCES cameras(id),
  sharing_mode   text NOT NULL CHECK (sharing_mode IN ('station', 'on_request', 'never_live')),
  consent_date   date NOT NULL,
  recorded_by    uuid REFERENCES users(id),
  document_ref   text,
  recorded_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX camera_consents_camera_idx ON camera_consents (camera_id, recorded_at);

-- Latest health per camera (status, not audit).
CREATE TABLE camera_health (
  camera_id     uuid PRIMARY KEY REFERENCES cameras(id),
  state         text NOT NULL CHECK (state IN ('unknown', 'online', 'offline', 'auth_failed', 'degraded')),
  reason        text,
  last_seen_at  timestamptz,
  checked_at    timestamptz NOT NULL DEFAULT now(),
  changed_at    timestamptz NOT NULL DEFAULT now(),
  flaps         integer NOT NULL DEFAULT 0
);

-- Enrolment batches from CSV files: the file's digest makes a re-run recognisable.
CREATE TABLE enrolment_batches (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  file_sha256  text NOT NULL,
  file_name    text,
  uploaded_by  uuid NOT NULL REFERENCES users(id),
  dry_run      boolean NOT NULL,
  rows_total   integer NOT NULL,
  enrolled     integer NOT NULL DEFAULT 0,
  updated      integer NOT NULL DEFAULT 0,
  unchanged    integer NOT NULL DEFAULT 0,
  rejected     integer NOT NULL DEFAULT 0,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz
);
