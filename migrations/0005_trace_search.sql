-- Searching for a weapon described by a trace request: serials misread,
-- partly obliterated or one character wrong.
--
-- The search key of a serial is its normalised form (weapon.serial_norm:
-- upper case, letters and digits only, with O/Q->0, I/L->1, S->5, B->8,
-- Z->2, G->6 already folded) with the two look-alikes that serial_norm
-- keeps apart folded too: D->0 and 7->1.  tracer/fetch.c writes the same
-- expressions, so that the planner uses these indexes.
--
-- pg_trgm serves LIKE patterns with unknown characters anywhere (unreadable
-- positions) and suffix searches on weapons and components (importers'
-- serials are few: a b-tree serves them); fuzzystrmatch's levenshtein_less_equal()
-- filters near serials on the server.  Both are trusted extensions: the
-- database's owner may create them.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

-- The search key of a serial as marked (for import markings' new serials,
-- which have no normalised column): letters and digits only, upper case,
-- every look-alike folded.
CREATE FUNCTION reg_serial_key(serial text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN translate(upper(regexp_replace(serial, '[^A-Za-z0-9]', '', 'g')),
		'OQDILSBZG7', '0001158261');
COMMENT ON FUNCTION reg_serial_key(text) IS
	'The trace search key of a serial as marked: upper case, letters and digits, look-alikes folded.';

CREATE INDEX weapon_serial_key ON weapon
	(translate(serial_norm, 'D7', '01') text_pattern_ops);
CREATE INDEX weapon_serial_key_trgm ON weapon
	USING gin (translate(serial_norm, 'D7', '01') gin_trgm_ops);
CREATE INDEX component_serial_key ON component
	(translate(serial_norm, 'D7', '01') text_pattern_ops);
CREATE INDEX component_serial_key_trgm ON component
	USING gin (translate(serial_norm, 'D7', '01') gin_trgm_ops);
CREATE INDEX marking_new_serial_key ON marking
	(reg_serial_key(new_serial) text_pattern_ops) WHERE new_serial IS NOT NULL;
