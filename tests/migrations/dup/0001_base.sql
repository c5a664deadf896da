-- first
CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL UNIQUE, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
