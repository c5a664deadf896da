-- The tracing daemon's messages: every trace request received from another
-- State, the daemon's signed acknowledgement of it, and every change of its
-- status with the signed response when there is one.
--
-- Requests and status changes are records sealed in the audit log like the
-- others (log_index names the leaf; see registry/record.c): their leaves
-- hold the SHA-256 of the stored message, and 'regctl log verify' computes
-- it again from the message as stored, so that a changed message body is
-- caught.  The *_sha256 columns repeat that digest for quick comparisons (a
-- repeated request is told from a conflicting one by it); a CHECK ties each
-- to its message, and it is also how every parameter of the registry's
-- INSERT is used.  Nothing is ever changed or removed.

CREATE TABLE trace_request (
	id               uuid PRIMARY KEY,
	parent_id        uuid CHECK (parent_id <> id),
	requesting_state char(2) NOT NULL REFERENCES country,
	requested_state  char(2) NOT NULL REFERENCES country,
	caller           text NOT NULL CHECK (octet_length(caller) BETWEEN 1 AND 300),
	kid              text NOT NULL CHECK (octet_length(kid) BETWEEN 1 AND 200),
	priority         text NOT NULL CHECK (priority IN ('urgent', 'routine')),
	received_at      timestamptz NOT NULL,
	due_by           timestamptz NOT NULL,
	message          text NOT NULL CHECK (octet_length(message) BETWEEN 1 AND 4194304),
	message_sha256   text NOT NULL CONSTRAINT trace_request_message_sha256
		CHECK (message_sha256 = encode(sha256(convert_to(message, 'UTF8')), 'base64')),
	log_index        bigint NOT NULL UNIQUE,
	CHECK (due_by >= received_at)
);
COMMENT ON TABLE trace_request IS 'One trace request received from another State: who sent it, with which key, its priority and due date, and the signed message (JWS compact serialisation) exactly as received.';

-- Not a record of its own: the acknowledgement is the daemon's own signed
-- statement of what the request's leaf already seals (its id, States,
-- priority, times and the message's digest) plus that leaf's index, which
-- is why it cannot be in that leaf.  It is written in the transaction that
-- stores the request, and its signature, not the log, vouches for it.
CREATE TABLE trace_ack (
	request_id uuid PRIMARY KEY REFERENCES trace_request,
	message    text NOT NULL CHECK (octet_length(message) BETWEEN 1 AND 1048576)
);
COMMENT ON TABLE trace_ack IS 'The signed acknowledgement (trace-ack/1 JWS) that the daemon returned for a received trace request.';

CREATE TABLE trace_status (
	id              uuid PRIMARY KEY,
	request_id      uuid NOT NULL REFERENCES trace_request,
	status          text NOT NULL CHECK (status IN ('in_progress', 'answered',
		'restricted', 'need_more_info', 'declined')),
	at              timestamptz NOT NULL,
	reasons         text CHECK (octet_length(reasons) BETWEEN 2 AND 20000),
	response        text CHECK (octet_length(response) BETWEEN 1 AND 4194304),
	response_sha256 text CONSTRAINT trace_status_response_sha256
		CHECK (response_sha256 = encode(sha256(convert_to(response, 'UTF8')), 'base64')),
	log_index       bigint NOT NULL UNIQUE,
	CHECK ((response IS NULL) = (response_sha256 IS NULL)),
	-- An answer is a signed response; tracing has none yet.
	CHECK ((status = 'in_progress') = (response IS NULL))
);
-- The latest status of a request is the one with the highest leaf index
-- (leaves follow commit order; clocks may tie).
CREATE INDEX trace_status_request ON trace_status (request_id, log_index);
COMMENT ON TABLE trace_status IS 'One change of a received trace request''s status, with the signed response (trace-response/1 JWS) when it was answered.';

-- Append-only for everyone, as the other records.
DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['trace_request', 'trace_ack', 'trace_status']
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
