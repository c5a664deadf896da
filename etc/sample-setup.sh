#!/bin/sh
# Records the manufacturers and parties that etc/sample-weapons.csv and
# etc/sample-events.csv name, so that the samples import cleanly:
#
#   etc/sample-setup.sh
#   ./regctl import etc/sample-weapons.csv
#   ./regctl import etc/sample-events.csv
#
# The database is regctl's (--db in REGCTL, else REGISTRY_DB, else libpq's
# PG* variables, else the local default cluster).  REGCTL names the program
# and its common options (default: ./regctl).  Running the script again
# leaves what is already recorded alone.
set -eu
REGCTL=${REGCTL:-./regctl}

# manufacturer NAME COUNTRY [CODE]
manufacturer() {
	if $REGCTL manufacturer find --name "$1" >/dev/null 2>&1; then
		echo "manufacturer '$1' is already recorded"
	else
		$REGCTL manufacturer add --name "$1" --country "$2"
	fi
	if [ $# -ge 3 ] && ! $REGCTL manufacturer find --name "$3" >/dev/null 2>&1; then
		$REGCTL manufacturer alias --manufacturer "$1" --alias "$3" --kind code
	fi
}

# party OFFICE_REF KIND COUNTRY NAME [LICENCE [REGION]]
party() {
	if out=$($REGCTL party add --office-ref "$1" --kind "$2" --country "$3" \
	    --name "$4" ${5:+--licence "$5"} ${6:+--region "$6"} 2>&1); then
		echo "$out"
		return
	fi
	case $out in
	*"already exists"*) echo "party $1 is already recorded" ;;
	*) echo "$out" >&2; exit 1 ;;
	esac
}

manufacturer "Fabrique Nationale Herstal" BE FN
manufacturer "Heckler & Koch" DE HK
manufacturer "Glock" AT
manufacturer "Česká zbrojovka" CZ CZ

party P-MFR-FN manufacturer BE "FN Herstal SA" BE-MFR-0001 "Liège"
party P-FOR-HK foreign_exporter DE "Heckler & Koch GmbH"
party P-FOR-GL foreign_exporter AT "Glock Ges.m.b.H."
party P-FOR-CZ foreign_exporter CZ "Česká zbrojovka a.s."
party P-DLR-001 dealer BE "Armurerie Liégeoise SPRL" BE-DLR-4417 "Liège"
party P-DLR-002 dealer BE "Wapenhandel Antwerpen NV" BE-DLR-5120 "Antwerpen"
party P-AGY-DEF state_agency BE "Ministry of Defence"
party P-AGY-POL state_agency BE "Federal Police"
party P-FOR-KE foreign_importer KE "Kenya Police Service"
