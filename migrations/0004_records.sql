-- The registry's records: reference data, weapons, their markings and
-- components, parties, and each weapon's history.  Every row is a record
-- sealed in the audit log: log_index names the leaf that holds its canonical
-- bytes (see registry/record.c), and 'regctl log verify' re-derives the leaf
-- from the row.  Nothing is ever changed or removed: a correction is a new
-- record.

-- Small arms and light weapons, after the ITI's definitions (paragraph 4).
CREATE TABLE weapon_type (
	code     text PRIMARY KEY CHECK (code ~ '^[a-z_]+$'),
	name     text NOT NULL,
	category text NOT NULL CHECK (category IN ('small_arm', 'light_weapon'))
);
COMMENT ON TABLE weapon_type IS 'One kind of small arm or light weapon.';
INSERT INTO weapon_type (code, name, category) VALUES
	('pistol', 'Self-loading pistol', 'small_arm'),
	('revolver', 'Revolver', 'small_arm'),
	('rifle', 'Rifle', 'small_arm'),
	('carbine', 'Carbine', 'small_arm'),
	('shotgun', 'Shotgun', 'small_arm'),
	('submachine_gun', 'Sub-machine gun', 'small_arm'),
	('assault_rifle', 'Assault rifle', 'small_arm'),
	('light_machine_gun', 'Light machine gun', 'small_arm'),
	('heavy_machine_gun', 'Heavy machine gun', 'light_weapon'),
	('grenade_launcher', 'Hand-held, under-barrel or mounted grenade launcher', 'light_weapon'),
	('anti_aircraft_gun', 'Portable anti-aircraft gun', 'light_weapon'),
	('anti_tank_gun', 'Portable anti-tank gun', 'light_weapon'),
	('recoilless_rifle', 'Recoilless rifle', 'light_weapon'),
	('anti_tank_launcher', 'Portable launcher of anti-tank missile or rocket systems', 'light_weapon'),
	('anti_aircraft_launcher', 'Portable launcher of anti-aircraft missile systems (MANPADS)', 'light_weapon'),
	('mortar', 'Mortar of a calibre under 100 mm', 'light_weapon');

CREATE TABLE manufacturer (
	id          uuid PRIMARY KEY,
	name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	country     char(2) NOT NULL REFERENCES country,
	recorded_at timestamptz NOT NULL,
	log_index   bigint NOT NULL UNIQUE
);
COMMENT ON TABLE manufacturer IS 'One maker of weapons, with its country; names and codes are aliases.';

-- Every name variant and code of a manufacturer, normalised for search
-- (upper case, letters and digits only).  The canonical name is one too.
CREATE TABLE manufacturer_alias (
	id              uuid PRIMARY KEY,
	manufacturer_id uuid NOT NULL REFERENCES manufacturer,
	alias           text NOT NULL CHECK (length(alias) BETWEEN 1 AND 200),
	alias_norm      text NOT NULL UNIQUE CHECK (alias_norm ~ '^[A-Z0-9]+$'),
	kind            text NOT NULL CHECK (kind IN ('name', 'code')),
	recorded_at     timestamptz NOT NULL,
	log_index       bigint NOT NULL UNIQUE
);
CREATE INDEX manufacturer_alias_manufacturer ON manufacturer_alias (manufacturer_id);
COMMENT ON TABLE manufacturer_alias IS 'One name variant or code by which a manufacturer is known.';

CREATE TABLE party (
	id             uuid PRIMARY KEY,
	kind           text NOT NULL CHECK (kind IN ('manufacturer', 'dealer', 'broker',
		'state_agency', 'foreign_importer', 'foreign_exporter', 'private_person')),
	name           text CHECK (length(name) BETWEEN 1 AND 300),
	country        char(2) NOT NULL REFERENCES country,
	region         text CHECK (length(region) <= 200),
	licence        text CHECK (length(licence) <= 200),
	office_ref     text UNIQUE CHECK (length(office_ref) BETWEEN 1 AND 100),
	pii            bytea,
	pii_commitment bytea CHECK (length(pii_commitment) = 32),
	recorded_at    timestamptz NOT NULL,
	log_index      bigint NOT NULL UNIQUE,
	-- A private person's identity is only ever stored encrypted.
	CHECK ((kind = 'private_person') =
		(name IS NULL AND pii IS NOT NULL AND pii_commitment IS NOT NULL)),
	CHECK (kind = 'private_person' OR (pii IS NULL AND pii_commitment IS NULL))
);
COMMENT ON TABLE party IS 'One holder or handler of weapons: a business, a State agency, a foreign importer or exporter, or a private person (identity encrypted).';

CREATE TABLE weapon (
	id                     uuid PRIMARY KEY,
	office_ref             text UNIQUE CHECK (length(office_ref) BETWEEN 1 AND 100),
	manufacturer_id        uuid REFERENCES manufacturer,
	model                  text CHECK (length(model) <= 200),
	type                   text NOT NULL REFERENCES weapon_type,
	calibre                text CHECK (length(calibre) <= 100),
	calibre_norm           text,
	serial                 text NOT NULL CHECK (length(serial) BETWEEN 1 AND 100),
	serial_norm            text NOT NULL CHECK (serial_norm ~ '^[A-Z0-9]*$'),
	country_of_manufacture char(2) NOT NULL REFERENCES country,
	year_of_manufacture    smallint CHECK (year_of_manufacture BETWEEN 1800 AND 2200),
	recorded_at            timestamptz NOT NULL,
	log_index              bigint NOT NULL UNIQUE
);
CREATE INDEX weapon_serial_norm ON weapon (serial_norm);
CREATE INDEX weapon_manufacturer ON weapon (manufacturer_id);
COMMENT ON TABLE weapon IS 'One marked small arm or light weapon: its identity as marked.';

CREATE TABLE marking (
	id          uuid PRIMARY KEY,
	weapon_id   uuid NOT NULL REFERENCES weapon,
	kind        text NOT NULL CHECK (kind IN ('manufacture', 'import', 'state_stock',
		'proof', 'remarking', 'alternative_code')),
	text        text NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
	location    text CHECK (location IN ('frame', 'receiver', 'slide', 'barrel', 'bolt',
		'cylinder', 'metal_insert', 'other')),
	country     char(2) REFERENCES country,
	year        smallint CHECK (year BETWEEN 1800 AND 2200),
	new_serial  text CHECK (length(new_serial) BETWEEN 1 AND 100),
	recorded_at timestamptz NOT NULL,
	log_index   bigint NOT NULL UNIQUE,
	-- An import marking says where and, where possible, when.
	CHECK (kind <> 'import' OR country IS NOT NULL)
);
CREATE INDEX marking_weapon ON marking (weapon_id);
COMMENT ON TABLE marking IS 'One mark applied to a weapon: manufacture, import, State stock, proof, re-marking or alternative code.';

CREATE TABLE component (
	id          uuid PRIMARY KEY,
	weapon_id   uuid NOT NULL REFERENCES weapon,
	kind        text NOT NULL CHECK (kind IN ('frame', 'receiver', 'barrel', 'slide',
		'bolt', 'cylinder', 'other')),
	serial      text NOT NULL CHECK (length(serial) BETWEEN 1 AND 100),
	serial_norm text NOT NULL,
	recorded_at timestamptz NOT NULL,
	log_index   bigint NOT NULL UNIQUE
);
CREATE INDEX component_weapon ON component (weapon_id);
CREATE INDEX component_serial_norm ON component (serial_norm);
COMMENT ON TABLE component IS 'One essential component of a weapon with its own serial (EU 2021/555 art. 4(5)(b)).';

CREATE TABLE event (
	id                uuid PRIMARY KEY,
	weapon_id         uuid NOT NULL REFERENCES weapon,
	seq               integer NOT NULL CHECK (seq >= 1),
	kind              text NOT NULL CHECK (kind IN ('manufacture', 'domestic_transfer',
		'export', 'import', 'transit', 'state_to_civilian', 'loan', 'return', 'loss',
		'theft', 'recovery', 'seizure', 'confiscation', 'deactivation', 'destruction',
		'records_to_state')),
	event_date        date NOT NULL,
	from_party        uuid REFERENCES party,
	to_party          uuid REFERENCES party,
	licence_number    text CHECK (length(licence_number) <= 100),
	licence_issued    date,
	licence_expires   date,
	euc_ref           text CHECK (length(euc_ref) <= 100),
	export_country    char(2) REFERENCES country,
	import_country    char(2) REFERENCES country,
	transit_countries char(2)[] NOT NULL DEFAULT '{}',
	final_recipient   text CHECK (length(final_recipient) <= 300),
	certificate       text CHECK (length(certificate) <= 200),
	corrects          uuid REFERENCES event,
	reason            text CHECK (length(reason) <= 1000),
	note              text CHECK (length(note) <= 2000),
	office_ref        text UNIQUE CHECK (length(office_ref) BETWEEN 1 AND 100),
	recorded_at       timestamptz NOT NULL,
	log_index         bigint NOT NULL UNIQUE,
	UNIQUE (weapon_id, seq),
	CHECK (licence_expires IS NULL OR licence_issued IS NULL OR licence_expires >= licence_issued),
	-- A correction names the event it corrects and why.
	CHECK ((corrects IS NULL) = (reason IS NULL))
);
COMMENT ON TABLE event IS 'One event of a weapon''s history, numbered per weapon; a correction names the event it corrects.';

-- Per-State retention, which may only lengthen the ITI's minimums.
CREATE TABLE retention_setting (
	record_class text PRIMARY KEY CHECK (record_class IN ('manufacture', 'other')),
	years        integer NOT NULL,
	CHECK ((record_class = 'manufacture' AND years >= 30) OR
	       (record_class = 'other' AND years >= 20))
);
COMMENT ON TABLE retention_setting IS 'The State''s retention period for a class of records, never below the ITI''s (30 years for manufacture, 20 for others).';
INSERT INTO retention_setting VALUES ('manufacture', 30), ('other', 20);

-- Append-only for everyone.
DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['weapon_type', 'manufacturer', 'manufacturer_alias', 'party',
		'weapon', 'marking', 'component', 'event', 'country']
	LOOP
		EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', t);
		EXECUTE format('GRANT SELECT ON %I TO registry_app', t);
		EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I '
			'FOR EACH ROW EXECUTE FUNCTION reg_refuse_change()', t || '_append_only', t);
		EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I '
			'FOR EACH STATEMENT EXECUTE FUNCTION reg_refuse_change()', t || '_no_truncate', t);
	END LOOP;
END
$$;
GRANT INSERT ON manufacturer, manufacturer_alias, party, weapon, marking, component, event
	TO registry_app;
GRANT SELECT ON retention_setting TO registry_app;

-- A weapon must carry its manufacture marking or a recorded alternative
-- code: checked when the transaction that registers it commits.
CREATE FUNCTION reg_weapon_marked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM marking m WHERE m.weapon_id = NEW.id
			AND m.kind IN ('manufacture', 'alternative_code')) THEN
		RAISE EXCEPTION 'weapon % has no manufacture marking or alternative code', NEW.id
			USING ERRCODE = 'check_violation',
			      HINT = 'register a weapon together with its manufacture marking';
	END IF;
	RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER weapon_marked AFTER INSERT ON weapon
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION reg_weapon_marked();

-- Events are numbered 1, 2, 3 ... per weapon without gaps, and nothing
-- follows a destruction but a correction.
CREATE FUNCTION reg_event_in_order() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	last_seq integer;
BEGIN
	SELECT max(seq) INTO last_seq FROM event WHERE weapon_id = NEW.weapon_id;
	IF NEW.seq <> coalesce(last_seq, 0) + 1 THEN
		RAISE EXCEPTION 'event % of weapon % out of order (last is %)', NEW.seq,
			NEW.weapon_id, coalesce(last_seq, 0) USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER event_in_order BEFORE INSERT ON event
	FOR EACH ROW EXECUTE FUNCTION reg_event_in_order();
