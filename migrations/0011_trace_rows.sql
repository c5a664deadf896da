-- The trace engine's read model: every weapon, marking, component and event
-- record once more, as one row under the search key of its weapon's serial
-- (the key of migration 0005: translate(serial_norm, 'D7', '01')).
--
-- A trace of a serial read whole then reads its candidates and all their
-- records with one probe of one index, instead of a join of four tables
-- with two aggregates, which cost the server about three times as much.
-- The rows are derived: the triggers below write them in the same
-- statement as the records they repeat, so they are never behind; like the
-- records, they are never changed or removed.  Nobody writes them but the
-- triggers (which run as the owner), and the application may only read them.
CREATE TABLE trace_row (
	key               text NOT NULL,	-- the weapon's serial's search key
	-- The engine reads every column but key, in this order.
	kind              "char" NOT NULL CHECK (kind IN ('w', 'm', 'c', 'e')),
	weapon_id         uuid NOT NULL,
	-- w: the weapon
	manufacturer_id   uuid,
	model             text,
	type              text,
	calibre           text,
	serial            text,		-- w: the weapon's, c: the component's
	country           text,		-- w: of manufacture, m: the marking's
	year              smallint,	-- w: of manufacture, m: the marking's
	-- m: a marking
	text              text,
	location          text,
	new_serial        text,
	-- e: an event
	id                uuid,
	seq               integer,
	what              text,		-- m, c, e: the record's own kind
	event_date        date,
	from_party        uuid,
	to_party          uuid,
	licence_number    text,
	licence_issued    date,
	licence_expires   date,
	euc_ref           text,
	export_country    text,
	import_country    text,
	transit           text,		-- the transit countries, comma-separated
	final_recipient   text,
	certificate       text,
	corrects          uuid,
	reason            text,
	note              text,
	log_index         bigint NOT NULL	-- the repeated record's
);
-- Looked up by equality only: a hash index reaches the rows in fewer pages
-- than a b-tree of millions of keys.
CREATE INDEX trace_row_key ON trace_row USING hash (key);
COMMENT ON TABLE trace_row IS 'The trace engine''s read model: each weapon, marking, component and event record repeated under its weapon''s serial search key; written only by triggers.';

-- The search key of a weapon's serial, looked up by the weapon's id: one
-- probe of the primary key for each row of a statement, whatever its size
-- (a join of a statement's rows with weapon may be planned as a scan of
-- every weapon, which a batch of an import cannot afford).
CREATE FUNCTION reg_trace_key(weapon_id uuid) RETURNS text
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	RETURN (SELECT translate(w.serial_norm, 'D7', '01') FROM weapon w WHERE w.id = $1);

CREATE FUNCTION reg_trace_rows_weapon() RETURNS trigger LANGUAGE plpgsql
	SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
	INSERT INTO trace_row (key, weapon_id, kind, log_index, manufacturer_id,
		model, type, calibre, serial, country, year)
	SELECT translate(n.serial_norm, 'D7', '01'), n.id, 'w', n.log_index,
		n.manufacturer_id, n.model, n.type, n.calibre, n.serial,
		n.country_of_manufacture, n.year_of_manufacture
	FROM new_rows n;
	RETURN NULL;
END
$$;

CREATE FUNCTION reg_trace_rows_marking() RETURNS trigger LANGUAGE plpgsql
	SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
	INSERT INTO trace_row (key, weapon_id, kind, log_index, what, text,
		location, country, year, new_serial)
	SELECT reg_trace_key(n.weapon_id), n.weapon_id, 'm', n.log_index, n.kind,
		n.text, n.location, n.country, n.year, n.new_serial
	FROM new_rows n;
	RETURN NULL;
END
$$;

CREATE FUNCTION reg_trace_rows_component() RETURNS trigger LANGUAGE plpgsql
	SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
	INSERT INTO trace_row (key, weapon_id, kind, log_index, what, serial)
	SELECT reg_trace_key(n.weapon_id), n.weapon_id, 'c', n.log_index, n.kind,
		n.serial
	FROM new_rows n;
	RETURN NULL;
END
$$;

CREATE FUNCTION reg_trace_rows_event() RETURNS trigger LANGUAGE plpgsql
	SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
	INSERT INTO trace_row (key, weapon_id, kind, log_index, id, seq, what,
		event_date, from_party, to_party, licence_number, licence_issued,
		licence_expires, euc_ref, export_country, import_country,
		transit, final_recipient, certificate, corrects, reason, note)
	SELECT reg_trace_key(n.weapon_id), n.weapon_id, 'e', n.log_index,
		n.id, n.seq, n.kind, n.event_date, n.from_party, n.to_party,
		n.licence_number, n.licence_issued, n.licence_expires, n.euc_ref,
		n.export_country, n.import_country, array_to_string(n.transit_countries, ','),
		n.final_recipient, n.certificate, n.corrects, n.reason, n.note
	FROM new_rows n;
	RETURN NULL;
END
$$;

-- One statement's rows at once (a COPY of an import batch is one statement).
CREATE TRIGGER weapon_trace_rows AFTER INSERT ON weapon
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION reg_trace_rows_weapon();
CREATE TRIGGER marking_trace_rows AFTER INSERT ON marking
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION reg_trace_rows_marking();
CREATE TRIGGER component_trace_rows AFTER INSERT ON component
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION reg_trace_rows_component();
CREATE TRIGGER event_trace_rows AFTER INSERT ON event
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION reg_trace_rows_event();

-- The records already stored.
INSERT INTO trace_row (key, weapon_id, kind, log_index, manufacturer_id, model,
	type, calibre, serial, country, year)
SELECT translate(serial_norm, 'D7', '01'), id, 'w', log_index, manufacturer_id,
	model, type, calibre, serial, country_of_manufacture, year_of_manufacture
FROM weapon;
INSERT INTO trace_row (key, weapon_id, kind, log_index, what, text, location,
	country, year, new_serial)
SELECT translate(w.serial_norm, 'D7', '01'), m.weapon_id, 'm', m.log_index,
	m.kind, m.text, m.location, m.country, m.year, m.new_serial
FROM marking m JOIN weapon w ON w.id = m.weapon_id;
INSERT INTO trace_row (key, weapon_id, kind, log_index, what, serial)
SELECT translate(w.serial_norm, 'D7', '01'), c.weapon_id, 'c', c.log_index,
	c.kind, c.serial
FROM component c JOIN weapon w ON w.id = c.weapon_id;
INSERT INTO trace_row (key, weapon_id, kind, log_index, id, seq, what,
	event_date, from_party, to_party, licence_number, licence_issued,
	licence_expires, euc_ref, export_country, import_country, transit,
	final_recipient, certificate, corrects, reason, note)
SELECT translate(w.serial_norm, 'D7', '01'), e.weapon_id, 'e', e.log_index,
	e.id, e.seq, e.kind, e.event_date, e.from_party, e.to_party,
	e.licence_number, e.licence_issued, e.licence_expires, e.euc_ref,
	e.export_country, e.import_country, array_to_string(e.transit_countries, ','),
	e.final_recipient,
	e.certificate, e.corrects, e.reason, e.note
FROM event e JOIN weapon w ON w.id = e.weapon_id;

-- Append-only like the records; read by the application, written by none.
REVOKE ALL ON trace_row FROM PUBLIC;
GRANT SELECT ON trace_row TO registry_app;
CREATE TRIGGER trace_row_append_only BEFORE UPDATE OR DELETE ON trace_row
	FOR EACH ROW EXECUTE FUNCTION reg_refuse_change();
CREATE TRIGGER trace_row_no_truncate BEFORE TRUNCATE ON trace_row
	FOR EACH STATEMENT EXECUTE FUNCTION reg_refuse_change();
