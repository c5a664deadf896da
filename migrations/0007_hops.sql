-- Trace requests this State sends: a domestic investigator's or liaison
-- officer's request to another State, forwarded under this State's
-- signature (hop 0), and every follow-up request the daemon sends on its own
-- when an answer refers the weapon to the State it was exported to (hops 1,
-- 2, ...), linked by parent_id to the hop whose answer named that State.
-- With each hop, what came back: the other State's signed acknowledgement,
-- its signed answer or refusal, and why the chain ended.
--
-- Hops and their events are records sealed in the audit log (record.c:
-- types trace_hop and trace_hop_event): who asked what, of whom, when, and
-- what was disclosed to us.  As for received requests, leaves hold the
-- SHA-256 of the stored messages, computed again from the messages at
-- verification.  Nothing is ever changed or removed.

CREATE TABLE trace_hop (
	id               uuid PRIMARY KEY,
	root_id          uuid NOT NULL REFERENCES trace_hop,
	parent_id        uuid REFERENCES trace_hop CHECK (parent_id <> id),
	hop              integer NOT NULL CHECK (hop BETWEEN 0 AND 32),
	requesting_state char(2) NOT NULL REFERENCES country,
	requested_state  char(2) NOT NULL REFERENCES country,
	-- The liaison hub the request goes through (a user-assigned code), or
	-- NULL when sent to the State's own daemon.
	via              char(2) CHECK (via ~ '^[A-Z]{2}$'),
	submitted_by     text NOT NULL CHECK (octet_length(submitted_by) BETWEEN 1 AND 300),
	kid              text NOT NULL CHECK (octet_length(kid) BETWEEN 1 AND 200),
	priority         text NOT NULL CHECK (priority IN ('urgent', 'routine')),
	created_at       timestamptz NOT NULL,
	due_by           timestamptz NOT NULL,
	-- Hop 0: the submitter's signed request as received.
	origin           text CHECK (octet_length(origin) BETWEEN 1 AND 4194304),
	origin_sha256    text CONSTRAINT trace_hop_origin_sha256
		CHECK (origin_sha256 = encode(sha256(convert_to(origin, 'UTF8')), 'base64')),
	-- The request as sent, signed by this State.
	message          text NOT NULL CHECK (octet_length(message) BETWEEN 1 AND 4194304),
	message_sha256   text NOT NULL CONSTRAINT trace_hop_message_sha256
		CHECK (message_sha256 = encode(sha256(convert_to(message, 'UTF8')), 'base64')),
	log_index        bigint NOT NULL UNIQUE,
	CHECK ((hop = 0) = (parent_id IS NULL)),
	CHECK ((hop = 0) = (root_id = id)),
	CHECK ((hop = 0) = (origin IS NOT NULL)),
	CHECK ((origin IS NULL) = (origin_sha256 IS NULL)),
	CHECK (due_by >= created_at)
);
CREATE INDEX trace_hop_root ON trace_hop (root_id, hop);
COMMENT ON TABLE trace_hop IS 'One trace request this State sent to another State: a domestic request forwarded (hop 0) or a referral followed (hop > 0).';

-- The daemon's own signed acknowledgement to the submitter of hop 0 (not a
-- leaf of its own, as trace_ack).
CREATE TABLE trace_hop_ack (
	hop_id  uuid PRIMARY KEY REFERENCES trace_hop,
	message text NOT NULL CHECK (octet_length(message) BETWEEN 1 AND 1048576)
);
COMMENT ON TABLE trace_hop_ack IS 'The signed acknowledgement (trace-ack/1 JWS) returned to the domestic submitter of a forwarded trace request.';

CREATE TABLE trace_hop_event (
	id             uuid PRIMARY KEY,
	hop_id         uuid NOT NULL REFERENCES trace_hop,
	kind           text NOT NULL CHECK (kind IN ('acknowledged', 'answered',
		'refused', 'ended')),
	-- acknowledged: the other State's status; answered: the response's
	-- status; refused: the problem's name; ended: why the chain ends here.
	status         text NOT NULL CHECK (status ~ '^[a-z_-]{1,40}$'),
	at             timestamptz NOT NULL,
	due_by         timestamptz,
	detail         text CHECK (octet_length(detail) BETWEEN 1 AND 2000),
	-- What the other State sent: its signed acknowledgement, response or
	-- problem document, exactly as received.
	message        text CHECK (octet_length(message) BETWEEN 1 AND 4194304),
	message_sha256 text CONSTRAINT trace_hop_event_message_sha256
		CHECK (message_sha256 = encode(sha256(convert_to(message, 'UTF8')), 'base64')),
	log_index      bigint NOT NULL UNIQUE,
	CHECK ((message IS NULL) = (message_sha256 IS NULL)),
	CHECK ((kind IN ('acknowledged', 'answered')) <= (message IS NOT NULL))
);
CREATE INDEX trace_hop_event_hop ON trace_hop_event (hop_id, log_index);
COMMENT ON TABLE trace_hop_event IS 'What happened to a trace request this State sent: acknowledged, answered, refused, or the end of its chain.';

DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['trace_hop', 'trace_hop_ack', 'trace_hop_event']
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
