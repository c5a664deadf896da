-- The migration runner's bookkeeping: one row per applied migration file.
CREATE TABLE schema_migrations (
	version    integer PRIMARY KEY CHECK (version > 0),
	name       text NOT NULL UNIQUE,
	sha256     text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	applied_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE schema_migrations IS
	'One row per applied migration: its number, file name and the SHA-256 of its text.';

-- The role the registry's programs work under: it may read and append to
-- record tables, never change or remove a row.  Roles belong to the whole
-- cluster, so another database may have created it already.
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'registry_app') THEN
		CREATE ROLE registry_app NOLOGIN;
	END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO registry_app;
GRANT SELECT ON schema_migrations TO registry_app;

-- Refuses any change to a row of an append-only table, for every role.
CREATE FUNCTION reg_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
		USING ERRCODE = 'insufficient_privilege',
		      HINT = 'records are never changed or removed; a correction is a new record';
END
$$;
