-- The trace engine's read model: one row per weapon, under the search key
-- of its serial (the key of migration 0005: translate(serial_norm, 'D7',
-- '01')), holding all its records.
--
-- A trace of a serial read whole then reads its candidates and all their
-- records with one probe of one index and one row per weapon, which the
-- server sends as stored: a weapon's records are one array of record
-- literals (trace_rec).  Read as one row per record instead, the server's
-- share of a trace was two and a half times a point SELECT's.
--
-- The rows are derived: the triggers below write them in the same
-- statement as the records they repeat, so they are never behind.  Unlike
-- the records they are rewritten (a new record is appended to its weapon's
-- array), so the table is vacuumed as any updated table is.  Nobody writes
-- them but the triggers (which run as the owner); the application may only
-- read them.

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

-- Each kind of record as a trace_rec (simple enough to be inlined).
CREATE FUNCTION reg_trace_rec(w weapon) RETURNS trace_rec
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN ROW('w', w.id, w.manufacturer_id, w.model, w.type, w.calibre,
	w.serial, w.country_of_manufacture, w.year_of_manufacture, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, w.log_index)::trace_rec;
CREATE FUNCTION reg_trace_rec(m marking) RETURNS trace_rec
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN ROW('m', m.weapon_id, NULL, NULL, NULL, NULL, NULL, m.country,
	m.year, m.text, m.location, m.new_serial, NULL, NULL, m.kind, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	NULL, m.log_index)::trace_rec;
CREATE FUNCTION reg_trace_rec(c component) RETURNS trace_rec
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN ROW('c', c.weapon_id, NULL, NULL, NULL, NULL, c.serial, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, c.kind, NULL, NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	c.log_index)::trace_rec;
CREATE FUNCTION reg_trace_rec(e event) RETURNS trace_rec
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN ROW('e', e.weapon_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, e.id, e.seq, e.kind, e.event_date, e.from_party, e.to_party,
	e.licence_number, e.licence_issued, e.licence_expires, e.euc_ref,
	e.export_country, e.import_country,
	array_to_string(e.transit_countries, ','), e.final_recipient,
	e.certificate, e.corrects, e.reason, e.note, e.log_index)::trace_rec;

CREATE TABLE trace_weapon (
	weapon_id uuid PRIMARY KEY,
	key       text NOT NULL,	-- the weapon's serial's search key
	-- Each a trace_rec's text (written with DateStyle ISO): the weapon's
	-- own first, then its other records in the order they were written.
	recs      text[] NOT NULL
);
-- Looked up by equality only: a hash index reaches the row in fewer pages
-- than a b-tree of millions of keys.
CREATE INDEX trace_weapon_key ON trace_weapon USING hash (key);
COMMENT ON TABLE trace_weapon IS 'The trace engine''s read model: each weapon''s records (trace_rec literals) under its serial''s search key; written only by triggers.';

-- The search key of a weapon's serial, looked up by the weapon's id: one
-- probe of the primary key for each weapon of a statement, whatever its
-- size (a join of a statement's rows with weapon may be planned as a scan
-- of every weapon, which a batch of an import cannot afford).
CREATE FUNCTION reg_trace_key(weapon_id uuid) RETURNS text
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	RETURN (SELECT translate(w.serial_norm, 'D7', '01') FROM weapon w WHERE w.id = $1);

-- The weapon's own record opens its row.
CREATE FUNCTION reg_trace_weapon_open() RETURNS trigger LANGUAGE plpgsql
	SECURITY DEFINER SET search_path = public, pg_temp
	SET DateStyle = 'ISO, YMD' AS $$
BEGIN
	INSERT INTO trace_weapon (weapon_id, key, recs)
	SELECT n.id, translate(n.serial_norm, 'D7', '01'),
		ARRAY[reg_trace_rec(n::weapon)::text]
	FROM new_rows n;
	RETURN NULL;
END
$$;

-- Appends records to their weapons' rows, all of one weapon at once: an
-- upsert probes the primary key once per weapon.  Run by the triggers
-- below, as the owner; anyone else may not write the table.
CREATE FUNCTION reg_trace_weapon_add(recs trace_rec[]) RETURNS void
	LANGUAGE sql SET search_path = public, pg_temp
	SET DateStyle = 'ISO, YMD' AS $$
	INSERT INTO trace_weapon AS t (weapon_id, key, recs)
	SELECT r.weapon_id, reg_trace_key(r.weapon_id),
		array_agg(r::text ORDER BY r.log_index)
	FROM unnest($1) r GROUP BY r.weapon_id
	ON CONFLICT (weapon_id) DO UPDATE SET recs = t.recs || EXCLUDED.recs
$$;

-- A statement's markings, components or events.  A transition table's
-- rows are records: the cast names their table for reg_trace_rec (PL/pgSQL
-- plans a branch when it first runs it, for the table it then runs for).
CREATE FUNCTION reg_trace_weapon_append() RETURNS trigger LANGUAGE plpgsql
	SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
	IF TG_TABLE_NAME = 'marking' THEN
		PERFORM reg_trace_weapon_add(ARRAY(SELECT reg_trace_rec(n::marking)
			FROM new_rows n));
	ELSIF TG_TABLE_NAME = 'component' THEN
		PERFORM reg_trace_weapon_add(ARRAY(SELECT reg_trace_rec(n::component)
			FROM new_rows n));
	ELSE
		PERFORM reg_trace_weapon_add(ARRAY(SELECT reg_trace_rec(n::event)
			FROM new_rows n));
	END IF;
	RETURN NULL;
END
$$;

-- One statement's rows at once (a COPY of an import batch is one statement).
CREATE TRIGGER weapon_trace_weapon AFTER INSERT ON weapon
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION reg_trace_weapon_open();
CREATE TRIGGER marking_trace_weapon AFTER INSERT ON marking
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION reg_trace_weapon_append();
CREATE TRIGGER component_trace_weapon AFTER INSERT ON component
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION reg_trace_weapon_append();
CREATE TRIGGER event_trace_weapon AFTER INSERT ON event
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION reg_trace_weapon_append();

-- The records already stored, as the triggers would have written them.
SET LOCAL DateStyle = 'ISO, YMD';
INSERT INTO trace_weapon (weapon_id, key, recs)
SELECT w.id, translate(w.serial_norm, 'D7', '01'),
	ARRAY[reg_trace_rec(w)::text]
	|| coalesce((SELECT array_agg(r ORDER BY i) FROM (
		SELECT m.log_index, reg_trace_rec(m)::text FROM marking m
		WHERE m.weapon_id = w.id
		UNION ALL
		SELECT c.log_index, reg_trace_rec(c)::text FROM component c
		WHERE c.weapon_id = w.id
		UNION ALL
		SELECT e.log_index, reg_trace_rec(e)::text FROM event e
		WHERE e.weapon_id = w.id) AS x (i, r)), '{}')
FROM weapon w;

-- For reading the read model in SQL (checks, an operator's questions): one
-- row per record.
CREATE VIEW trace_row AS
SELECT t.key, r.*
FROM trace_weapon t CROSS JOIN LATERAL unnest(t.recs::trace_rec[]) AS r;

-- Read by the application, written by none.
REVOKE ALL ON FUNCTION reg_trace_weapon_add(trace_rec[]) FROM PUBLIC;
REVOKE ALL ON trace_weapon FROM PUBLIC;
GRANT SELECT ON trace_weapon TO registry_app;
REVOKE ALL ON trace_row FROM PUBLIC;
GRANT SELECT ON trace_row TO registry_app;
