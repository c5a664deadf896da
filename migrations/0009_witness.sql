-- Witnessed logs (proto/README.md 13.3.4).
--
-- The log's side: the cosignatures that this State's witnesses (other
-- States' daemons) gave its checkpoints, each verified before it was
-- stored, served with the checkpoint they sign.
--
-- The witness's side: the checkpoints of peer States' logs that this
-- daemon cosigned, each only after a consistency proof from the one before,
-- and the alarms it raised when a peer showed a checkpoint that does not
-- extend the last one it cosigned (a fork), with both checkpoints as
-- evidence.  An operator acknowledges an alarm by adding a row to
-- witness_alarm_ack (tracerd(8), "WITNESS"); the alarm itself stays.
--
-- Nothing is ever changed or removed.

CREATE TABLE log_cosignature (
	seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	checkpoint bigint NOT NULL REFERENCES log_checkpoint,
	witness    text NOT NULL CHECK (octet_length(witness) BETWEEN 1 AND 300),
	line       text NOT NULL CHECK (octet_length(line) BETWEEN 1 AND 1000),
	signed_at  timestamptz NOT NULL,
	received_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (checkpoint, line)
);
CREATE INDEX log_cosignature_checkpoint ON log_cosignature (checkpoint, witness);
COMMENT ON TABLE log_cosignature IS 'One witness cosignature (C2SP tlog-cosignature line) of a checkpoint of this State''s log: the checkpoint, the witness as "name+key id", the signature line as received, its timestamp and when it arrived.';

CREATE TABLE witness_cosigned (
	seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	state       char(2) NOT NULL REFERENCES country,
	origin      text NOT NULL CHECK (octet_length(origin) BETWEEN 1 AND 255),
	size        bigint NOT NULL CHECK (size >= 0),
	root        bytea NOT NULL CHECK (length(root) = 32),
	note        text NOT NULL CHECK (octet_length(note) BETWEEN 1 AND 2097152),
	line        text NOT NULL CHECK (octet_length(line) BETWEEN 1 AND 1000),
	cosigned_at timestamptz NOT NULL
);
CREATE INDEX witness_cosigned_state ON witness_cosigned (state, seq);
COMMENT ON TABLE witness_cosigned IS 'One checkpoint of a peer State''s log that this daemon cosigned as a witness: the State, the checkpoint (origin, size, root), its signed note as received, the cosignature line made and its time.';

CREATE TABLE witness_alarm (
	seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	state          char(2) NOT NULL REFERENCES country,
	kind           text NOT NULL CHECK (kind IN ('fork')),
	reason         text NOT NULL CHECK (octet_length(reason) BETWEEN 1 AND 1000),
	cosigned_note  text NOT NULL CHECK (octet_length(cosigned_note) BETWEEN 1 AND 2097152),
	seen_size      bigint NOT NULL CHECK (seen_size >= 0),
	seen_root      bytea NOT NULL CHECK (length(seen_root) = 32),
	seen_note      text NOT NULL CHECK (octet_length(seen_note) BETWEEN 1 AND 2097152),
	raised_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX witness_alarm_state ON witness_alarm (state, seq);
COMMENT ON TABLE witness_alarm IS 'One alarm of the witness: a peer State showed a signed checkpoint that does not extend the last one this daemon cosigned (same size and another root, a smaller size, or a consistency proof that fails); both signed notes are kept as evidence.';

CREATE TABLE witness_alarm_ack (
	alarm           bigint PRIMARY KEY REFERENCES witness_alarm,
	operator        text NOT NULL CHECK (octet_length(operator) BETWEEN 1 AND 200),
	comment         text CHECK (octet_length(comment) BETWEEN 1 AND 4000),
	acknowledged_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE witness_alarm_ack IS 'An operator''s acknowledgement of a witness alarm: who, why and when; the peer is no longer shown as forked once all its alarms are acknowledged.';

-- Append-only for everyone, as the log and the records.
DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['log_cosignature', 'witness_cosigned',
		'witness_alarm', 'witness_alarm_ack']
	LOOP
		EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', t);
		EXECUTE format('GRANT SELECT, INSERT ON %I TO registry_app', t);
		EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I '
			'FOR EACH ROW EXECUTE FUNCTION reg_refuse_change()', t || '_append_only', t);
		EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I '
			'FOR EACH STATEMENT EXECUTE FUNCTION reg_refuse_change()', t || '_no_truncate', t);
	END LOOP;
END
$$;
