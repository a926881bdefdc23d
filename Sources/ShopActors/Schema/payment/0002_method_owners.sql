-- A method belongs to one user. The original's seed methods become shared demo methods (no owner), usable
-- by every user only while cluster.conf [payment] shared_demo_methods is on. Tokens are kept only as
-- their SHA-256.
ALTER TABLE methods ADD COLUMN shared BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE methods ADD COLUMN token_sha256 TEXT;
ALTER TABLE methods ADD COLUMN created_at TIMESTAMPTZ NOT NULL DEFAULT now();
UPDATE methods SET token_sha256 = encode(sha256(convert_to(token, 'UTF8')), 'hex');
ALTER TABLE methods ALTER COLUMN token_sha256 SET NOT NULL;
ALTER TABLE methods DROP COLUMN token;
UPDATE methods SET shared = true, user_id = '' WHERE id IN ('method-1', 'method-2', 'method-fail');
CREATE INDEX methods_user ON methods (user_id, created_at, id);
