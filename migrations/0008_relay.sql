-- A liaison hub's relays (tracerd in hub mode, proto/README.md 13.5): the
-- metadata of every trace request that the hub relayed from one State to
-- another, and every change of its status that the hub saw in the requested
-- State's signed answers.  Never a message's body: the hub keeps who sent
-- what to whom and when, the SHA-256 of the message as received (so that
-- either State can show which message it was), and the status, due time
-- and answer time as the requested State signed them.
--
-- Both tables are records sealed in the hub's own audit log like the
-- others (log_index names the leaf; see registry/record.c), so that the
-- hub's log shows what passed through it.  Nothing is ever changed or
-- removed.

CREATE TABLE relay (
	id               uuid PRIMARY KEY,
	requesting_state char(2) NOT NULL REFERENCES country,
	requested_state  char(2) NOT NULL REFERENCES country,
	caller           text NOT NULL CHECK (octet_length(caller) BETWEEN 1 AND 300),
	kid              text NOT NULL CHECK (octet_length(kid) BETWEEN 1 AND 200),
	priority         text NOT NULL CHECK (priority IN ('urgent', 'routine')),
	received_at      timestamptz NOT NULL,
	request_sha256   text NOT NULL CHECK (request_sha256 ~ '^[A-Za-z0-9+/]{43}=$'),
	log_index        bigint NOT NULL UNIQUE,
	CHECK (requesting_state <> requested_state)
);
COMMENT ON TABLE relay IS 'One trace request that the liaison hub relayed: its id, who sent it (State, certificate, key) to which State, its priority, when the hub received it and the SHA-256 of the signed message; never the message.';

CREATE TABLE relay_status (
	id               uuid PRIMARY KEY,
	request_id       uuid NOT NULL REFERENCES relay,
	-- The requested State's statuses (trace-ack/1), and the hub's own
	-- outcomes of a forwarding: refused (the requested State answered
	-- with a problem) and unavailable (it could not be reached).
	status           text NOT NULL CHECK (status IN ('acknowledged', 'in_progress',
		'answered', 'restricted', 'need_more_info', 'declined', 'overdue',
		'refused', 'unavailable')),
	at               timestamptz NOT NULL,
	http_status      integer CHECK (http_status BETWEEN 100 AND 599),
	due_by           timestamptz,
	responded_at     timestamptz,
	document_sha256  text CHECK (document_sha256 ~ '^[A-Za-z0-9+/]{43}=$'),
	log_index        bigint NOT NULL UNIQUE,
	CHECK ((status = 'unavailable') = (http_status IS NULL))
);
-- The latest status of a relay is the one with the highest leaf index.
CREATE INDEX relay_status_request ON relay_status (request_id, log_index);
COMMENT ON TABLE relay_status IS 'One change of a relayed trace request''s status as the liaison hub saw it in the requested State''s signed answer (or the hub''s own outcome of a forwarding), with the HTTP status, due and answer times, and the SHA-256 of the answer relayed.';

-- Append-only for everyone, as the other records.
DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['relay', 'relay_status']
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
