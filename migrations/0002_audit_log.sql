-- The signed, tamper-evident audit log (RFC 6962 / RFC 9162 Merkle tree).

-- One row per leaf.  "nodes" holds the leaf hash and then the hashes of the
-- complete subtrees that this leaf completes, by level: the subtree of level
-- l and index k (leaves k*2^l .. (k+1)*2^l - 1) is stored at offset 32*l in
-- the row of its last leaf.  A proof or a root therefore reads O(log n) rows.
CREATE TABLE log_entry (
	idx   bigint PRIMARY KEY CHECK (idx >= 0),
	leaf  bytea NOT NULL CHECK (length(leaf) <= 65536),
	nodes bytea NOT NULL CHECK (length(nodes) >= 32 AND length(nodes) % 32 = 0)
);
COMMENT ON TABLE log_entry IS
	'One leaf of the audit log: its index, its bytes, its hash and the hashes of the complete subtrees it ends.';

-- Signed checkpoints (C2SP tlog-checkpoint bodies in C2SP signed notes).
CREATE TABLE log_checkpoint (
	seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	size       bigint NOT NULL CHECK (size >= 0),
	root       bytea NOT NULL CHECK (length(root) = 32),
	note       text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX log_checkpoint_size ON log_checkpoint (size);
COMMENT ON TABLE log_checkpoint IS
	'One signed checkpoint of the audit log: tree size, root hash and the signed note.';

-- Append-only for everyone: the programs' role may only read and insert,
-- and triggers refuse changes and removals whoever asks.
REVOKE ALL ON log_entry, log_checkpoint FROM PUBLIC;
GRANT SELECT, INSERT ON log_entry, log_checkpoint TO registry_app;

CREATE TRIGGER log_entry_append_only BEFORE UPDATE OR DELETE ON log_entry
	FOR EACH ROW EXECUTE FUNCTION reg_refuse_change();
CREATE TRIGGER log_entry_no_truncate BEFORE TRUNCATE ON log_entry
	FOR EACH STATEMENT EXECUTE FUNCTION reg_refuse_change();
CREATE TRIGGER log_checkpoint_append_only BEFORE UPDATE OR DELETE ON log_checkpoint
	FOR EACH ROW EXECUTE FUNCTION reg_refuse_change();
CREATE TRIGGER log_checkpoint_no_truncate BEFORE TRUNCATE ON log_checkpoint
	FOR EACH STATEMENT EXECUTE FUNCTION reg_refuse_change();
