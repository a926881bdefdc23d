-- Parked events keep the mailbox's payload bytes as they came (rows parked before keep their JSON as bytes).
ALTER TABLE early_events ALTER COLUMN payload TYPE bytea USING convert_to(payload, 'UTF8');
