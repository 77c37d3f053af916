-- Foundation: jurisdictions with boundaries, users, sessions, the hash-chained audit log.

CREATE TABLE jurisdictions (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code        text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{2,12}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kind        text NOT NULL CHECK (kind IN ('province', 'city', 'county', 'station', 'village')),
  parent_id   uuid REFERENCES jurisdictions(id),
  -- ids of all ancestors, nearest last; lets policy and queries climb without recursion
  path        uuid[] NOT NULL DEFAULT '{}',
  centre_lat  double precision,
  centre_lon  double precision,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'province') = (parent_id IS NULL))
);
CREATE INDEX jurisdictions_parent_idx ON jurisdictions (parent_id);
CREATE INDEX jurisdictions_path_idx ON jurisdictions USING gin (path);

-- One row per polygon part (GeoJSON MultiPolygon → several rows). Points are (lon, lat).
CREATE TABLE jurisdiction_boundaries (
  id               bigserial PRIMARY KEY,
  jurisdiction_id  uuid NOT NULL REFERENCES jurisdictions(id) ON DELETE CASCADE,
  kind             text NOT NULL,
  outer_ring       polygon NOT NULL,
  holes            polygon[] NOT NULL DEFAULT '{}',
  bbox             box NOT NULL
);
CREATE INDEX jurisdiction_boundaries_bbox_idx ON jurisdiction_boundaries USING gist (bbox);
CREATE INDEX jurisdiction_boundaries_j_idx ON jurisdiction_boundaries (jurisdiction_id);

CREATE TABLE users (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username         text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9._-]{3,64}$'),
  display_name     text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  role             text NOT NULL CHECK (role IN ('officer', 'duty_officer', 'investigator', 'village_committee',
                                                 'household_owner', 'auditor', 'system_admin')),
  jurisdiction_id  uuid NOT NULL REFERENCES jurisdictions(id),
  phone            text,
  password_hash    text NOT NULL,
  disabled         boolean NOT NULL DEFAULT false,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_jurisdiction_idx ON users (jurisdiction_id);

-- Failed logins, for lockout; successes clear nothing (the window simply moves on).
CREATE TABLE login_failures (
  id        bigserial PRIMARY KEY,
  username  text NOT NULL,
  at        timestamptz NOT NULL DEFAULT now(),
  ip        text
);
CREATE INDEX login_failures_user_at_idx ON login_failures (username, at);

-- Bearer sessions: only the SHA-256 of the token is stored.
CREATE TABLE sessions (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token_hash  bytea NOT NULL UNIQUE,
  user_id     uuid NOT NULL REFERENCES users(id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  ip          text
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Append-only, hash-chained: hash = sha256(prev_hash || canonical row), computed by the gateway.
CREATE TABLE audit_log (
  id            bigserial PRIMARY KEY,
  at            timestamptz NOT NULL,
  actor_user_id uuid,
  actor_name    text,
  action        text NOT NULL,
  outcome       text NOT NULL CHECK (outcome IN ('allow', 'deny', 'ok', 'fail', 'info')),
  camera_id     uuid,
  grant_id      uuid,
  station_id    uuid,
  case_no       text,
  window_from   timestamptz,
  window_to     timestamptz,
  reason        text,
  details       jsonb NOT NULL DEFAULT '{}',
  prev_hash     bytea NOT NULL,
  hash          bytea NOT NULL UNIQUE
);
CREATE INDEX audit_log_camera_idx ON audit_log (camera_id, at) WHERE camera_id IS NOT NULL;
CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id, at);
CREATE INDEX audit_log_grant_idx ON audit_log (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX audit_log_case_idx ON audit_log (case_no) WHERE case_no IS NOT NULL;
CREATE INDEX audit_log_at_idx ON audit_log (at);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- The gateway's runtime role: everything it needs, and no UPDATE/DELETE/TRUNCATE on the audit log.
-- Created only where the migrating user may create roles; elsewhere the triggers above still hold.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shouwang_app') THEN
    BEGIN
      CREATE ROLE shouwang_app NOLOGIN;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'cannot create role shouwang_app; running as the migrating user';
      RETURN;
    END;
  END IF;
  EXECUTE format('GRANT shouwang_app TO %I', current_user);
  GRANT USAGE ON SCHEMA public TO shouwang_app;
  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO shouwang_app;
  GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO shouwang_app;
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO shouwang_app;
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO shouwang_app;
  REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM shouwang_app;
END $$;
