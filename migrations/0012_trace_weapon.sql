-- The trace engine's read model, one row per weapon (replaces migration
-- 0011's row per record).
--
-- A trace of a serial read whole reads its candidates with one probe of one
-- index; with a row per record it still read and sent a row for each of a
-- weapon's records, and the server's share of a trace was two and a half
-- times a point SELECT's.  Here a weapon's records are one array of record
-- literals (trace_rec, in the order of 0011's columns), sent whole.
--
-- The rows are derived: the triggers below write them in the same statement
-- as the records they repeat, so they are never behind.  Unlike the records
-- they are rewritten (a new record is appended to its weapon's array), so
-- the table is vacuumed as any updated table is.  Nobody writes them but the
-- triggers (which run as the owner); the application may only read them.
DROP TRIGGER weapon_trace_rows ON weapon;
DROP TRIGGER marking_trace_rows ON marking;
DROP TRIGGER component_trace_rows ON component;
DROP TRIGGER event_trace_rows ON event;
DROP FUNCTION reg_trace_rows_weapon();
DROP FUNCTION reg_trace_rows_marking();
DROP FUNCTION reg_trace_rows_component();
DROP FUNCTION reg_trace_rows_event();
DROP TABLE trace_row;

-- One record of a weapon: the weapon (w), a marking (m), a component (c)
-- or an event (e); the engine reads the fields in this order.
CREATE TYPE trace_rec AS (
	kind              "char",
	weapon_id         uuid,
	manufacturer_id   uuid,		-- w
	model             text,		-- w
	type              text,		-- w
	calibre           text,		-- w
	serial            text,		-- w: the weapon's, c: the component's
	country           text,		-- w: of manufacture, m: the marking's
	year              smallint,	-- w: of manufacture, m: the marking's
	text              text,		-- m
	location          text,		-- m
	new_serial        text,		-- m
	id                uuid,		-- e
	seq               integer,	-- e
	what              text,		-- m, c, e: the record's own kind
	event_date        date,		-- e, and the rest
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
	log_index         bigint	-- the repeated record's
);

CREATE TABLE trace_weapon (
	weapon_id uuid PRIMARY KEY,
	key       text NOT NULL,	-- the weapon's serial's search key (0005)
	-- Each a trace_rec's text (written with DateStyle ISO): the weapon's
	-- own first, then its other records in the order they were written.
	recs      text[] NOT NULL
);
-- Looked up by equality only: a hash index reaches the row in fewer pages
-- than a b-tree of millions of keys.
CREATE INDEX trace_weapon_key ON trace_weapon USING hash (key);
COMMENT ON TABLE trace_weapon IS 'The trace engine''s read model: each weapon''s records (trace_rec literals) under its serial''s search key; written only by triggers.';

-- The weapon's own record opens its row.
CREATE FUNCTION reg_trace_weapon_weapon() RETURNS trigger LANGUAGE plpgsql
	SECURITY DEFINER SET search_path = public, pg_temp
	SET DateStyle = 'ISO, YMD' AS $$
BEGIN
	INSERT INTO trace_weapon (weapon_id, key, recs)
	SELECT n.id, translate(n.serial_norm, 'D7', '01'),
		ARRAY[ROW('w', n.id, n.manufacturer_id, n.model, n.type, n.calibre,
		n.serial, n.country_of_manufacture, n.year_of_manufacture, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		n.log_index)::trace_rec::text]
	FROM new_rows n;
	RETURN NULL;
END
$$;

-- The other records are appended to their weapon's row, a statement's
-- records of one weapon at once (an upsert probes the primary key per
-- weapon, whatever the statement's size).
CREATE FUNCTION reg_trace_weapon_marking() RETURNS trigger LANGUAGE plpgsql
	SECURITY DEFINER SET search_path = public, pg_temp
	SET DateStyle = 'ISO, YMD' AS $$
BEGIN
	INSERT INTO trace_weapon AS t (weapon_id, key, recs)
	SELECT n.weapon_id, reg_trace_key(n.weapon_id),
		array_agg(ROW('m', n.weapon_id, NULL, NULL, NULL, NULL, NULL,
		n.country, n.year, n.text, n.location, n.new_serial, NULL, NULL,
		n.kind, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL, n.log_index)::trace_rec::text
		ORDER BY n.log_index)
	FROM new_rows n GROUP BY n.weapon_id
	ON CONFLICT (weapon_id) DO UPDATE SET recs = t.recs || EXCLUDED.recs;
	RETURN NULL;
END
$$;

CREATE FUNCTION reg_trace_weapon_component() RETURNS trigger LANGUAGE plpgsql
	SECURITY DEFINER SET search_path = public, pg_temp
	SET DateStyle = 'ISO, YMD' AS $$
BEGIN
	INSERT INTO trace_weapon AS t (weapon_id, key, recs)
	SELECT n.weapon_id, reg_trace_key(n.weapon_id),
		array_agg(ROW('c', n.weapon_id, NULL, NULL, NULL, NULL, n.serial,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, n.kind, NULL, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		NULL, n.log_index)::trace_rec::text ORDER BY n.log_index)
	FROM new_rows n GROUP BY n.weapon_id
	ON CONFLICT (weapon_id) DO UPDATE SET recs = t.recs || EXCLUDED.recs;
	RETURN NULL;
END
$$;

CREATE FUNCTION reg_trace_weapon_event() RETURNS trigger LANGUAGE plpgsql
	SECURITY DEFINER SET search_path = public, pg_temp
	SET DateStyle = 'ISO, YMD' AS $$
BEGIN
	INSERT INTO trace_weapon AS t (weapon_id, key, recs)
	SELECT n.weapon_id, reg_trace_key(n.weapon_id),
		array_agg(ROW('e', n.weapon_id, NULL, NULL, NULL, NULL, NULL, NULL,
		NULL, NULL, NULL, NULL, n.id, n.seq, n.kind, n.event_date,
		n.from_party, n.to_party, n.licence_number, n.licence_issued,
		n.licence_expires, n.euc_ref, n.export_country, n.import_country,
		array_to_string(n.transit_countries, ','), n.final_recipient,
		n.certificate, n.corrects, n.reason, n.note,
		n.log_index)::trace_rec::text ORDER BY n.log_index)
	FROM new_rows n GROUP BY n.weapon_id
	ON CONFLICT (weapon_id) DO UPDATE SET recs = t.recs || EXCLUDED.recs;
	RETURN NULL;
END
$$;

-- One statement's rows at once (a COPY of an import batch is one statement).
CREATE TRIGGER weapon_trace_weapon AFTER INSERT ON weapon
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION reg_trace_weapon_weapon();
CREATE TRIGGER marking_trace_weapon AFTER INSERT ON marking
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION reg_trace_weapon_marking();
CREATE TRIGGER component_trace_weapon AFTER INSERT ON component
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION reg_trace_weapon_component();
CREATE TRIGGER event_trace_weapon AFTER INSERT ON event
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION reg_trace_weapon_event();

-- The records already stored, as the triggers would have written them.
SET LOCAL DateStyle = 'ISO, YMD';
INSERT INTO trace_weapon (weapon_id, key, recs)
SELECT w.id, translate(w.serial_norm, 'D7', '01'),
	ARRAY[ROW('w', w.id, w.manufacturer_id, w.model, w.type, w.calibre,
	w.serial, w.country_of_manufacture, w.year_of_manufacture, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, w.log_index)::trace_rec::text]
	|| coalesce((SELECT array_agg(r ORDER BY i) FROM (
		SELECT m.log_index, ROW('m', m.weapon_id, NULL, NULL, NULL, NULL,
		NULL, m.country, m.year, m.text, m.location, m.new_serial, NULL,
		NULL, m.kind, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL, m.log_index)::trace_rec::text
		FROM marking m WHERE m.weapon_id = w.id
		UNION ALL
		SELECT c.log_index, ROW('c', c.weapon_id, NULL, NULL, NULL, NULL,
		c.serial, NULL, NULL, NULL, NULL, NULL, NULL, NULL, c.kind, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		NULL, NULL, NULL, c.log_index)::trace_rec::text
		FROM component c WHERE c.weapon_id = w.id
		UNION ALL
		SELECT e.log_index, ROW('e', e.weapon_id, NULL, NULL, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL, e.id, e.seq, e.kind,
		e.event_date, e.from_party, e.to_party, e.licence_number,
		e.licence_issued, e.licence_expires, e.euc_ref, e.export_country,
		e.import_country, array_to_string(e.transit_countries, ','),
		e.final_recipient, e.certificate, e.corrects, e.reason, e.note,
		e.log_index)::trace_rec::text
		FROM event e WHERE e.weapon_id = w.id) AS x (i, r)), '{}')
FROM weapon w;

-- For reading the read model in SQL (checks, an operator's questions): one
-- row per record, 0011's columns.
CREATE VIEW trace_row AS
SELECT t.key, r.*
FROM trace_weapon t CROSS JOIN LATERAL unnest(t.recs::trace_rec[]) AS r;

-- Read by the application, written by none.
REVOKE ALL ON trace_weapon FROM PUBLIC;
GRANT SELECT ON trace_weapon TO registry_app;
REVOKE ALL ON trace_row FROM PUBLIC;
GRANT SELECT ON trace_row TO registry_app;
