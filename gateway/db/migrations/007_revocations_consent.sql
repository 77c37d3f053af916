-- Durable revocations, login attempts counted before the password hash, owners' notices,
-- and the owner's choice whether an emergency grant may override "only on request".

-- Every user-, session- or token-wide revocation, so a restart remembers logouts, disables and resets.
-- Grant revocations live on the grant row itself.
CREATE TABLE revocations (
  id      bigserial PRIMARY KEY,
  kind    text NOT NULL CHECK (kind IN ('user', 'session', 'token')),
  key     text NOT NULL CHECK (length(key) BETWEEN 1 AND 100),
  reason  text NOT NULL CHECK (reason IN ('user_disabled', 'credentials_reset', 'session_logged_out', 'token_revoked')),
  at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revocations_at_idx ON revocations (at);
-- (rows older than the longest play-token lifetime are kept a week for the record, then pruned)

-- One row per login attempt, written before the password is checked: 'pending' until the hash answers.
-- Lockout counts pending and failed rows; the per-account rate counts every row.
CREATE TABLE login_attempts (
  id        bigserial PRIMARY KEY,
  username  text NOT NULL,
  ip        text,
  at        timestamptz NOT NULL DEFAULT now(),
  outcome   text NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'fail', 'ok'))
);
CREATE INDEX login_attempts_user_at_idx ON login_attempts (username, at);
CREATE INDEX login_attempts_at_idx ON login_attempts (at);

-- Things a user must be told (an admin reset their password, their camera changed owner).
CREATE TABLE user_notices (
  id             bigserial PRIMARY KEY,
  user_id        uuid NOT NULL REFERENCES users(id),
  kind           text NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
  message        text NOT NULL CHECK (length(message) BETWEEN 1 AND 2000),
  actor_user_id  uuid REFERENCES users(id),
  at             timestamptz NOT NULL DEFAULT now(),
  read_at        timestamptz
);
CREATE INDEX user_notices_user_idx ON user_notices (user_id, at);

-- Default no: an owner who chose "only on request" is asked even in an emergency unless they said otherwise.
-- The latest consent row of a camera is its current choice; owner_user_id says whose consent it was.
ALTER TABLE camera_consents ADD COLUMN emergency_bypass boolean NOT NULL DEFAULT false;
ALTER TABLE camera_consents ADD COLUMN owner_user_id uuid REFERENCES users(id);
