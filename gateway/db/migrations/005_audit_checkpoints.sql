-- Signed checkpoints of the audit chain (head id, head hash, row count, time), kept apart from audit_log.
-- A checkpoint a partner or auditor keeps reveals later truncation or re-chaining of the log.

CREATE TABLE audit_checkpoints (
  id         bigserial PRIMARY KEY,
  at         timestamptz NOT NULL,
  head_id    bigint NOT NULL CHECK (head_id >= 0),
  head_hash  bytea NOT NULL,
  row_count  bigint NOT NULL CHECK (row_count >= 0),
  kid        text NOT NULL,
  -- compact JWS (EdDSA) over the fields above; the verifier trusts this, not the columns
  jws        text NOT NULL
);
CREATE INDEX audit_checkpoints_head_idx ON audit_checkpoints (head_id);

CREATE FUNCTION audit_checkpoints_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_checkpoints is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_refuse_change();

-- Default privileges give the runtime role UPDATE/DELETE on new tables; checkpoints are append-only like the log.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shouwang_app') THEN
    REVOKE UPDATE, DELETE, TRUNCATE ON audit_checkpoints FROM shouwang_app;
  END IF;
END $$;
