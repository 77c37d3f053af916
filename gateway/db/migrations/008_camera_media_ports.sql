-- Media ports an operator allowed for one camera at enrolment, on top of the configured cameras.mediaPorts;
-- and a health state of its own for a camera whose stored credentials cannot be decrypted.

ALTER TABLE cameras ADD COLUMN media_ports integer[] NOT NULL DEFAULT '{}'
  CHECK (cardinality(media_ports) <= 8 AND 1 <= ALL (media_ports) AND 65535 >= ALL (media_ports));

ALTER TABLE camera_health DROP CONSTRAINT camera_health_state_check;
ALTER TABLE camera_health ADD CONSTRAINT camera_health_state_check
  CHECK (state IN ('unknown', 'online', 'offline', 'auth_failed', 'degraded', 'credentials_unreadable'));
