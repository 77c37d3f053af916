-- Agreements between stations or counties, grant requests and grants, play-token signing keys.

-- An agreement binds two jurisdictions (station or county); a county party covers all its stations.
CREATE TABLE agreements (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code                text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9._-]{2,64}$'),
  name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  party_a_id          uuid NOT NULL REFERENCES jurisdictions(id),
  party_b_id          uuid NOT NULL REFERENCES jurisdictions(id),
  tier                smallint NOT NULL CHECK (tier IN (1, 2, 3)),
  allowed_actions     text[] NOT NULL CHECK (cardinality(allowed_actions) > 0
                        AND allowed_actions <@ ARRAY['live', 'playback', 'export', 'snapshot', 'ptz']::text[]),
  max_footage_hours   integer NOT NULL CHECK (max_footage_hours BETWEEN 1 AND 24 * 90),
  max_grant_minutes   integer NOT NULL CHECK (max_grant_minutes BETWEEN 1 AND 60 * 24 * 30),
  emergency_allowed   boolean NOT NULL DEFAULT false,
  emergency_minutes   integer CHECK (emergency_minutes IS NULL OR emergency_minutes BETWEEN 1 AND 24 * 60),
  contacts            jsonb NOT NULL DEFAULT '[]',
  valid_from          timestamptz NOT NULL DEFAULT now(),
  valid_to            timestamptz,
  active              boolean NOT NULL DEFAULT true,
  created_by          uuid REFERENCES users(id),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CHECK (party_a_id <> party_b_id),
  CHECK (NOT emergency_allowed OR emergency_minutes IS NOT NULL),
  CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE INDEX agreements_party_a_idx ON agreements (party_a_id) WHERE active;
CREATE INDEX agreements_party_b_idx ON agreements (party_b_id) WHERE active;

-- A request and, once approved, the grant it became: one row, one state machine.
-- A member row (parent_id set) is another requester joined to an existing request for the same case
-- and cameras (scenario 5): it needs no approval task of its own and follows its parent's decision.
CREATE TABLE grants (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  batch_id               uuid NOT NULL,
  parent_id              uuid REFERENCES grants(id),
  requester_user_id      uuid NOT NULL REFERENCES users(id),
  requester_station_id   uuid NOT NULL REFERENCES jurisdictions(id),
  owner_station_id       uuid NOT NULL REFERENCES jurisdictions(id),
  agreement_id           uuid REFERENCES agreements(id),
  -- who decides: the owning station's duty officers, or a home camera's owner (or delegated committee)
  approver_kind          text NOT NULL CHECK (approver_kind IN ('station', 'owner')),
  approver_user_id       uuid REFERENCES users(id),
  approver_village_id    uuid REFERENCES jurisdictions(id),
  case_no                text NOT NULL CHECK (length(case_no) BETWEEN 1 AND 64),
  reason                 text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
  requested_camera_ids   uuid[] NOT NULL CHECK (cardinality(requested_camera_ids) > 0),
  camera_ids             uuid[] NOT NULL CHECK (cardinality(camera_ids) > 0),
  requested_actions      text[] NOT NULL,
  actions                text[] NOT NULL CHECK (cardinality(actions) > 0),
  requested_footage_from timestamptz,
  requested_footage_to   timestamptz,
  footage_from           timestamptz,
  footage_to             timestamptz,
  live_from              timestamptz,
  live_to                timestamptz,
  lifetime_minutes       integer NOT NULL CHECK (lifetime_minutes > 0),
  state                  text NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'revoked', 'expired', 'withdrawn')),
  emergency              boolean NOT NULL DEFAULT false,
  review_state           text CHECK (review_state IN ('pending_review', 'upheld', 'misuse')),
  reviewed_by            uuid REFERENCES users(id),
  reviewed_at            timestamptz,
  review_note            text,
  decided_by             uuid REFERENCES users(id),
  decided_at             timestamptz,
  decision_reason        text,
  -- pending: the request lapses at this time; approved: the grant ends at this time
  expires_at             timestamptz NOT NULL,
  version                integer NOT NULL DEFAULT 1,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  CHECK ((footage_from IS NULL) = (footage_to IS NULL) AND (footage_from IS NULL OR footage_from <= footage_to)),
  CHECK ((live_from IS NULL) = (live_to IS NULL) AND (live_from IS NULL OR live_from <= live_to)),
  CHECK (emergency = (review_state IS NOT NULL)),
  CHECK (camera_ids <@ requested_camera_ids OR parent_id IS NOT NULL)
);
CREATE INDEX grants_requester_idx ON grants (requester_user_id, state);
CREATE INDEX grants_owner_station_idx ON grants (owner_station_id, state);
CREATE INDEX grants_approver_user_idx ON grants (approver_user_id, state) WHERE approver_user_id IS NOT NULL;
CREATE INDEX grants_case_idx ON grants (case_no, owner_station_id) WHERE state IN ('pending', 'approved');
CREATE INDEX grants_open_expiry_idx ON grants (expires_at) WHERE state IN ('pending', 'approved');
CREATE INDEX grants_cameras_idx ON grants USING gin (camera_ids);
CREATE INDEX grants_parent_idx ON grants (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX grants_review_idx ON grants (owner_station_id) WHERE review_state = 'pending_review';
CREATE INDEX grants_revoked_idx ON grants (updated_at) WHERE state = 'revoked';

-- Every state change of a grant, for its history view (the audit log holds the same, hash-chained).
CREATE TABLE grant_events (
  id          bigserial PRIMARY KEY,
  grant_id    uuid NOT NULL REFERENCES grants(id),
  at          timestamptz NOT NULL DEFAULT now(),
  actor_id    uuid REFERENCES users(id),
  kind        text NOT NULL,
  from_state  text,
  to_state    text,
  note        text,
  details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX grant_events_grant_idx ON grant_events (grant_id, id);

-- Play-token signing keys (Ed25519 JWKs). Public halves of all keys stay until dropped, so tokens
-- signed before a rotation still verify. Only the active key keeps its private half, AES-256-GCM
-- encrypted with secrets.credentialKey when one is configured ('aes:' prefix), else stored as-is
-- ('plain:'): it never leaves the database and the gateway processes.
CREATE TABLE signing_keys (
  kid          text PRIMARY KEY,
  public_jwk   jsonb NOT NULL,
  private_jwk  text,
  active       boolean NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now(),
  retired_at   timestamptz,
  CHECK (NOT active OR private_jwk IS NOT NULL)
);
CREATE UNIQUE INDEX signing_keys_one_active_uidx ON signing_keys (active) WHERE active;
