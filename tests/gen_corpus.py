#!/usr/bin/python3
"""Generates a realistic registry corpus and trace requests with known answers.

Usage:

    tests/gen_corpus.py --seed N --weapons N --out DIR
                        [--requests N] [--state CC] [--start N]

The corpus is what a national record office would hold: 50 invented
manufacturers from 16 countries with their models, serial formats and
aliases; dealers, brokers, State agencies, foreign importers and private
persons; weapons registered with their manufacture marking; each weapon's
history (manufacture, import or first transfer, sales, loans, exports,
thefts, losses, seizures, recoveries, deactivations, destructions) that
passes the registry's rules; import markings; and trace requests made from
registered weapons whose serials were damaged in known ways, each with the
right answer and labels computed by brute force over every weapon.

The same seed and arguments give byte-identical files.  Weapons are made in
blocks of 1,000 whose content depends only on the seed and the block's
number, so that weapon i can be made again from (seed, i) alone:

    gen_corpus.py --seed 7 --weapons 100000 --out A
    gen_corpus.py --seed 7 --start 100000 --weapons 900000 --out B

gives in A and B together the weapons, events and markings of

    gen_corpus.py --seed 7 --weapons 1000000 --out C

(the requests of B are drawn from all 1,000,000 weapons and labelled
against all of them).  At most 4,096,000 weapons can be made with one seed.

Files written into DIR:

  setup.tsv      manufacturers and parties, tab-separated, no header:
                   manufacturer NAME COUNTRY ALIASES
                     (ALIASES: "name:TEXT" or "code:TEXT" separated by "|")
                   party OFFICE_REF KIND NAME COUNTRY REGION LICENCE
                 It always lists everything that the weapons 0 to
                 start+weapons-1 need; loading it twice skips what exists.
  weapons.csv    the registry's weapon import format (README, "Importing CSV")
  events.csv     the registry's event import format
  markings.tsv   import markings: WEAPON_OFFICE_REF KIND TEXT LOCATION
                 COUNTRY YEAR NEW_SERIAL (tab-separated, no header; NEW_SERIAL
                 may be empty)
  requests.jsonl one object a line: {"damage", "truth", "level",
                 "ambiguous", "misleading", "request"}, the request being a
                 trace-request/1 document (proto/README.md)

Serials are compared as the trace engine compares them: upper case, letters
and digits only ("normalised"), and for look-alikes "folded" (O Q D -> 0,
I L 7 -> 1, S -> 5, B -> 8, Z -> 2, G -> 6).  A request's "level" says how
the true weapon's serial relates to the serial in the request: "exact"
(equal normalised), "fold" (equal folded), "wildcard" (the folded pattern
with "?" for one character and "*" for any run matches the folded serial)
or "edit1" (folded, one substitution or one swap of adjacent characters).
"misleading" is true when another weapon matches at a better level and
agrees with every other field the request gives; "ambiguous" when another
weapon matches at the same level and agrees likewise.  An import marking's
new serial counts as a serial of its weapon.

Only the Python 3 standard library is used.  A one-line summary goes to
standard error.
"""

import argparse
import bisect
import datetime
import json
import os
import random
import sys
import time
import uuid

# ---------------------------------------------------------------- constants

# Weapons are made in blocks of this many, each from its own random stream.
BLOCK = 1000
# A serial number's production space is cut into slots of SLOT consecutive
# numbers, and block b may only use the slots whose number is b modulo
# MAX_BLOCKS: so no two blocks can ever give a manufacturer the same serial,
# and each block is made without looking at the others.
SLOT = 32
MAX_BLOCKS = 4096
MAX_WEAPONS = BLOCK * MAX_BLOCKS
# The registry holds about 1% of the manufacturers' serial spaces when it
# holds 1,000,000 weapons: the spaces add up to this many serials.
SERIAL_SPACE = 100_000_000
# Private persons are recorded as the registry grows: this many a block, up
# to PERSONS_MAX, after which old ones buy again.
PERSONS_PER_BLOCK = 50
PERSONS_MAX = 50_000

NDEALERS = 200
NBROKERS = 15
NIMPORTERS = 100

FIRST_YEAR = 1950
LAST_YEAR = 2025
# No event is dated after END; requests are made after it.
END = datetime.date(2026, 6, 30).toordinal()
DAY0 = datetime.date(1949, 1, 1).toordinal()
DATES = [datetime.date.fromordinal(d).isoformat()
         for d in range(DAY0, datetime.date(2028, 1, 1).toordinal())]
JAN1 = {y: datetime.date(y, 1, 1).toordinal() for y in range(1948, 2029)}

A26 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
A23 = "ABCDEFGHJKLMNPRSTUVWXYZ"	# without I, O and Q, as many makers do
DIGITS = "0123456789"


def dstr(o):
    """The YYYY-MM-DD text of a date ordinal."""
    return DATES[o - DAY0]


def year_of(o):
    """The year of a date ordinal."""
    return int(DATES[o - DAY0][:4])


# ------------------------------------------------------------ serial keys

_DELETE = "".join(chr(c) for c in range(128) if not chr(c).isalnum())
_FOLD_FROM = "OQDIL7SBZG"
_FOLD_TO = "0001115826"
# Normalised: upper case, letters and digits only.
NORM = str.maketrans(A26.lower(), A26, _DELETE)
# Folded: normalised, with look-alikes made one character.
FOLD = str.maketrans(A26.lower() + _FOLD_FROM, A26 + _FOLD_TO, _DELETE)
# The same for serials as read, which keep their wildcards.
_DELETE_PAT = _DELETE.replace("?", "").replace("*", "")
NORM_PAT = str.maketrans(A26.lower(), A26, _DELETE_PAT)
FOLD_PAT = str.maketrans(A26.lower() + _FOLD_FROM, A26 + _FOLD_TO, _DELETE_PAT)
# The characters a folded serial can hold.
FOLDED_ALPHABET = "".join(sorted(set((A26 + DIGITS).translate(FOLD))))
LOOKALIKES = ["O0QD", "I1L7", "S5", "B8", "Z2", "G6"]
LOOKALIKE_OF = {c: g.replace(c, "") for g in LOOKALIKES for c in g}


def fold(s):
    """The folded key of a serial as marked."""
    return s.translate(FOLD)


# ------------------------------------------------------------ reference data

# Manufacturers: name, country, aliases (kind, text), serial format, size
# class, what they make.  The names are invented.  Formats:
#   ("digits", W, SEP)          W digits, e.g. 0412337 or 1234 5678
#   ("prefix", L, D, ALPHA, SEP) L letters then D digits, e.g. KX 104233
#   ("letter1", SEP)            one letter then 7 digits, e.g. C4410276
#   ("year", SEP)               the year then 6 digits, e.g. 1987-012345
#   ("mixed", SEP)              2 digits, 2 letters, 4 digits, e.g. 12AB3456
#   ("suffix", W, SEP)          W digits then a check letter, e.g. 123456K
MANUFACTURERS = [
    ("Meuse Valley Arms SA", "BE", [("name", "Meuse Valley Arms"), ("code", "MVA")],
     ("prefix", 2, 6, A23, ""), "L", "mix"),
    ("Armurerie Vandermeulen SA", "BE", [("name", "Vandermeulen"), ("code", "AVM")],
     ("digits", 6, ""), "S", "shot"),
    ("Ateliers Dorvaux", "BE", [("name", "Dorvaux Armes"), ("code", "ADX")],
     ("suffix", 6, ""), "S", "civ"),
    ("Precision Liegeoise SA", "BE", [("name", "Precilieg"), ("code", "PLG")],
     ("digits", 7, ""), "M", "pist"),
    ("Halden Waffenwerk GmbH", "DE", [("name", "Halden Waffenwerk"), ("code", "HWW")],
     ("prefix", 2, 5, A26, " "), "L", "mix"),
    ("Rheinhardt & Sohn Jagdwaffen", "DE",
     [("name", "Rheinhardt und Sohn"), ("name", "Rheinhardt Jagdwaffen"), ("code", "R&S")],
     ("digits", 7, ""), "M", "hunt"),
    ("Oberkirch Praezisionswaffen GmbH", "DE", [("name", "Oberkirch"), ("code", "OPW")],
     ("year", "-"), "M", "hunt"),
    ("Vogtland Geraetebau AG", "DE", [("name", "Vogtland Geraete"), ("code", "VGB")],
     ("letter1", ""), "L", "mil"),
    ("Eifel Sportwaffen KG", "DE", [("name", "Eifel Sport"), ("code", "ESW")],
     ("suffix", 7, ""), "S", "civ"),
    ("Alpenhof Waffenbau GmbH", "AT", [("name", "Alpenhof"), ("code", "AWB")],
     ("prefix", 3, 5, A23, ""), "L", "pist"),
    ("Traunsee Jagdgewehre", "AT", [("name", "Traunsee"), ("code", "TJG")],
     ("digits", 6, ""), "S", "hunt"),
    ("Kaerntner Waffenschmiede", "AT", [("code", "KWS")],
     ("year", "/"), "S", "civ"),
    ("Vondrak Zbrojovka a.s.", "CZ", [("name", "Vondrak"), ("name", "Zbrojovka Vondrak"), ("code", "VDK")],
     ("digits", 8, ""), "L", "mix"),
    ("Moravska Zbrojni Dilna s.r.o.", "CZ", [("name", "Moravska Zbrojni"), ("code", "MZD")],
     ("prefix", 2, 6, A23, " "), "M", "civ"),
    ("Sumava Arms s.r.o.", "CZ", [("name", "Sumava"), ("code", "SUM")],
     ("mixed", ""), "S", "civ"),
    ("Armi Castellani S.p.A.", "IT", [("name", "Castellani"), ("code", "ACS")],
     ("digits", 8, ""), "L", "civ"),
    ("Officine Brescello S.r.l.", "IT", [("name", "Brescello"), ("code", "OBR")],
     ("prefix", 2, 5, A26, "-"), "M", "pist"),
    ("Fabbrica d'Armi Valcamonica", "IT", [("name", "Valcamonica"), ("code", "FAV")],
     ("suffix", 6, "-"), "S", "shot"),
    ("Tirreno Armi S.p.A.", "IT", [("name", "Tirreno"), ("code", "TAR")],
     ("letter1", ""), "M", "mix"),
    ("Armas Iturbe S.A.", "ES", [("name", "Iturbe"), ("code", "AIT")],
     ("digits", 6, ""), "S", "civ"),
    ("Talleres Aranzadi S.A.", "ES", [("name", "Aranzadi"), ("code", "TAZ")],
     ("year", "-"), "M", "civ"),
    ("Industrias Deba S.L.", "ES", [("name", "Deba"), ("code", "IDB")],
     ("mixed", "-"), "S", "shot"),
    ("Manufacture d'Armes de Vauclerc", "FR",
     [("name", "Vauclerc"), ("name", "MA Vauclerc"), ("code", "MAV")],
     ("digits", 7, ""), "L", "mix"),
    ("Armes Lefauvre SARL", "FR", [("name", "Lefauvre"), ("code", "ALF")],
     ("suffix", 7, ""), "M", "hunt"),
    ("Societe Lorraine d'Armement", "FR", [("name", "Lorraine Armement"), ("code", "SLA")],
     ("prefix", 3, 5, A23, "-"), "M", "mil"),
    ("Cobb Creek Firearms Inc.", "US", [("name", "Cobb Creek"), ("code", "CCF")],
     ("prefix", 2, 7, A26, ""), "XL", "pist"),
    ("Ridgeline Arms Company", "US",
     [("name", "Ridgeline Arms"), ("name", "Ridgeline"), ("code", "RAC")],
     ("digits", 8, ""), "XL", "civ"),
    ("Delmont Arms Corporation", "US", [("name", "Delmont"), ("code", "DAC")],
     ("prefix", 3, 6, A26, ""), "L", "mix"),
    ("Harlan Mills Rifle Works", "US", [("name", "Harlan Mills"), ("code", "HMR")],
     ("digits", 8, " "), "L", "hunt"),
    ("Tamarack Firearms LLC", "US", [("name", "Tamarack"), ("code", "TFA")],
     ("mixed", ""), "M", "civ"),
    ("Bayou Ordnance Inc.", "US", [("name", "Bayou"), ("code", "BOI")],
     ("letter1", ""), "M", "mil"),
    ("Copperhill Arms Inc.", "US", [("name", "Copperhill"), ("code", "CHA")],
     ("prefix", 2, 6, A23, "-"), "M", "pist"),
    ("Volzhsky Oruzheiny Zavod", "RU", [("name", "Volzhsky Zavod"), ("code", "VOZ")],
     ("year", " "), "L", "mil"),
    ("Uralmetall Arms Plant", "RU", [("name", "Uralmetall"), ("code", "UMZ")],
     ("letter1", ""), "M", "hunt"),
    ("Kama Mechanical Works", "RU", [("name", "Kama Works"), ("code", "KMW")],
     ("prefix", 2, 6, A23, ""), "L", "mix"),
    ("Northern Huaxing Machinery", "CN", [("name", "Huaxing"), ("code", "NHM")],
     ("digits", 8, ""), "XL", "mil"),
    ("Qinghe Machinery Works", "CN", [("name", "Qinghe"), ("code", "QMW")],
     ("digits", 8, ""), "L", "mil"),
    ("Lanxi Arms Factory", "CN", [("name", "Lanxi"), ("code", "LAF")],
     ("mixed", ""), "M", "civ"),
    ("Anatolia Silah Sanayi A.S.", "TR", [("name", "Anatolia Silah"), ("code", "ANS")],
     ("prefix", 2, 5, A26, ""), "L", "shot"),
    ("Bosphorus Arms Ltd.", "TR", [("name", "Bosphorus"), ("code", "BOS")],
     ("suffix", 6, ""), "S", "pist"),
    ("Konya Av Tufekleri", "TR", [("name", "Konya Av"), ("code", "KAT")],
     ("letter1", ""), "M", "shot"),
    ("Industria de Armas Paranaense", "BR", [("name", "Paranaense"), ("code", "IAP")],
     ("digits", 7, ""), "L", "pist"),
    ("Taquari Armas Ltda.", "BR", [("name", "Taquari"), ("code", "TQA")],
     ("prefix", 3, 5, A23, ""), "M", "civ"),
    ("Waffenfabrik Engelberg AG", "CH", [("name", "Engelberg"), ("code", "WFE")],
     ("digits", 6, ""), "S", "mix"),
    ("Thunersee Praezision AG", "CH", [("name", "Thunersee"), ("code", "TPZ")],
     ("suffix", 7, "-"), "S", "hunt"),
    ("Vasterdal Vapen AB", "SE", [("name", "Vasterdal"), ("code", "VDV")],
     ("year", "-"), "S", "hunt"),
    ("Norrbotten Gevarsfaktori AB", "SE", [("name", "Norrbotten"), ("code", "NGF")],
     ("digits", 8, ""), "M", "mil"),
    ("Hollandsche Wapenfabriek Zuidhorn", "NL",
     [("name", "Wapenfabriek Zuidhorn"), ("code", "HWZ")],
     ("prefix", 2, 6, A23, " "), "M", "mix"),
    ("Delftse Geweermakerij B.V.", "NL", [("name", "Delftse Geweer"), ("code", "DGM")],
     ("digits", 7, ""), "S", "civ"),
    ("Pennine Gunmakers Ltd", "GB", [("name", "Pennine"), ("code", "PGM")],
     ("suffix", 6, ""), "S", "hunt"),
]

SIZE_CLASS = {"S": 0.6e6, "M": 1.5e6, "L": 3.0e6, "XL": 6.0e6}

# What a maker of each profile makes, with weights.
PROFILE_TYPES = {
    "civ": [("pistol", 40), ("rifle", 28), ("shotgun", 14), ("revolver", 10), ("carbine", 8)],
    "pist": [("pistol", 75), ("revolver", 15), ("carbine", 10)],
    "hunt": [("rifle", 60), ("shotgun", 35), ("carbine", 5)],
    "shot": [("shotgun", 80), ("rifle", 20)],
    "mix": [("pistol", 30), ("rifle", 20), ("assault_rifle", 15), ("submachine_gun", 10),
            ("carbine", 10), ("light_machine_gun", 8), ("shotgun", 7)],
    "mil": [("assault_rifle", 25), ("submachine_gun", 14), ("light_machine_gun", 12),
            ("heavy_machine_gun", 8), ("grenade_launcher", 8), ("mortar", 7),
            ("pistol", 16), ("rifle", 10)],
}
MILITARY_TYPES = {"submachine_gun", "assault_rifle", "light_machine_gun",
                  "heavy_machine_gun", "grenade_launcher", "mortar"}

CALIBRES = {
    "pistol": [("9x19mm", 55), (".45 ACP", 10), (".40 S&W", 10), (".380 ACP", 8),
               (".22 LR", 7), ("7.65x17mm", 5), ("10mm Auto", 5)],
    "revolver": [(".357 Magnum", 35), (".38 Special", 35), (".44 Magnum", 15), (".22 LR", 15)],
    "rifle": [(".308 Winchester", 20), ("7.62x51mm", 10), (".30-06 Springfield", 15),
              ("6.5x55mm", 10), (".223 Remington", 10), (".22 LR", 15), ("7x64mm", 10),
              (".300 Winchester Magnum", 10)],
    "carbine": [("5.56x45mm", 40), ("9x19mm", 30), ("7.62x39mm", 30)],
    "shotgun": [("12 gauge", 80), ("20 gauge", 20)],
    "submachine_gun": [("9x19mm", 80), (".45 ACP", 20)],
    "assault_rifle": [("5.56x45mm", 50), ("7.62x39mm", 40), ("5.45x39mm", 10)],
    "light_machine_gun": [("5.56x45mm", 50), ("7.62x51mm", 30), ("7.62x54mmR", 20)],
    "heavy_machine_gun": [("12.7x99mm", 50), ("12.7x108mm", 50)],
    "grenade_launcher": [("40mm", 100)],
    "mortar": [("60mm", 60), ("81mm", 40)],
}

MODEL_WORDS = ["Falcon", "Kestrel", "Osprey", "Condor", "Merlin", "Harrier", "Sparrow",
               "Ranger", "Sentinel", "Warden", "Marshal", "Lynx", "Marten", "Badger",
               "Stag", "Ibex", "Chamois", "Heron", "Comet", "Meteor", "Orion", "Atlas",
               "Nova", "Vega", "Polaris", "Tundra", "Sierra", "Alpine", "Forester",
               "Pathfinder", "Drover", "Corsair", "Granite", "Talon", "Vanguard"]
ROMAN = ["II", "III", "IV", "V"]

# Country names, for authorities and importers.
COUNTRY_NAMES = {
    "AE": "United Arab Emirates", "AT": "Austria", "AU": "Australia", "BE": "Belgium",
    "BR": "Brazil", "CA": "Canada", "CH": "Switzerland", "CL": "Chile", "CN": "China",
    "CZ": "Czechia", "DE": "Germany", "DK": "Denmark", "ES": "Spain", "FI": "Finland",
    "FR": "France", "GB": "United Kingdom", "GH": "Ghana", "IE": "Ireland", "IT": "Italy",
    "JP": "Japan", "KE": "Kenya", "LU": "Luxembourg", "NL": "Netherlands", "NO": "Norway",
    "NZ": "New Zealand", "PL": "Poland", "PT": "Portugal", "RU": "Russia", "SE": "Sweden",
    "SG": "Singapore", "SK": "Slovakia", "TR": "Turkey", "US": "United States",
    "ZA": "South Africa", "EE": "Estonia", "LT": "Lithuania", "LV": "Latvia",
    "HU": "Hungary", "RO": "Romania", "HR": "Croatia", "SI": "Slovenia", "GR": "Greece",
}

# Where exported weapons go, with weights.
EXPORT_COUNTRIES = [("DE", 10), ("BE", 6), ("FR", 8), ("GB", 6), ("US", 12), ("CA", 5),
                    ("AU", 4), ("NO", 4), ("SE", 4), ("FI", 3), ("DK", 3), ("PL", 5),
                    ("CZ", 4), ("AT", 4), ("CH", 4), ("IT", 4), ("ES", 4), ("KE", 3),
                    ("ZA", 3), ("BR", 2), ("AE", 3), ("SG", 2), ("NZ", 2), ("CL", 2),
                    ("GH", 2), ("NL", 5), ("EE", 2), ("LT", 2)]
TRANSIT_COUNTRIES = ["DE", "FR", "BE", "AT", "CH", "IT", "PL", "CZ", "DK", "NL", "ES", "GB"]
# States that send trace requests, with weights.
REQUESTING_STATES = [("DE", 10), ("FR", 8), ("BE", 8), ("GB", 6), ("US", 6), ("ES", 4),
                     ("IT", 4), ("PL", 4), ("SE", 3), ("NO", 2), ("AT", 3), ("CZ", 3),
                     ("KE", 2), ("ZA", 2), ("IE", 2), ("DK", 2), ("NL", 6), ("CH", 2)]

LEGAL_SUFFIX = {"DE": "GmbH", "AT": "GmbH", "CH": "AG", "FR": "SARL", "BE": "NV",
                "NL": "B.V.", "GB": "Ltd", "IE": "Ltd", "US": "Inc.", "CA": "Inc.",
                "AU": "Pty Ltd", "NZ": "Ltd", "SE": "AB", "NO": "AS", "DK": "ApS",
                "FI": "Oy", "PL": "sp. z o.o.", "CZ": "s.r.o.", "SK": "s.r.o.",
                "IT": "S.r.l.", "ES": "S.L.", "PT": "Lda.", "BR": "Ltda.", "ZA": "(Pty) Ltd",
                "KE": "Ltd", "AE": "LLC", "SG": "Pte Ltd", "CL": "SpA", "GH": "Ltd",
                "EE": "OU", "LT": "UAB", "LV": "SIA", "JP": "K.K."}

REGIONS = {
    "NL": ["Groningen", "Friesland", "Drenthe", "Overijssel", "Flevoland", "Gelderland",
           "Utrecht", "Noord-Holland", "Zuid-Holland", "Zeeland", "Noord-Brabant",
           "Limburg"],
    "BE": ["Antwerpen", "Limburg", "Oost-Vlaanderen", "Vlaams-Brabant", "West-Vlaanderen",
           "Brabant wallon", "Hainaut", "Liège", "Luxembourg", "Namur",
           "Brussels-Capital"],
    "DE": ["Baden-Württemberg", "Bayern", "Berlin", "Brandenburg", "Bremen", "Hamburg",
           "Hessen", "Mecklenburg-Vorpommern", "Niedersachsen", "Nordrhein-Westfalen",
           "Rheinland-Pfalz", "Saarland", "Sachsen", "Sachsen-Anhalt",
           "Schleswig-Holstein", "Thüringen"],
    "AT": ["Burgenland", "Kärnten", "Niederösterreich", "Oberösterreich", "Salzburg",
           "Steiermark", "Tirol", "Vorarlberg", "Wien"],
    "CH": ["Zürich", "Bern", "Luzern", "Schwyz", "Fribourg", "Solothurn", "Basel-Stadt",
           "St. Gallen", "Graubünden", "Aargau", "Thurgau", "Ticino", "Vaud", "Valais",
           "Genève"],
    "FR": ["Auvergne-Rhône-Alpes", "Bourgogne-Franche-Comté", "Bretagne",
           "Centre-Val de Loire", "Corse", "Grand Est", "Hauts-de-France",
           "Île-de-France", "Normandie", "Nouvelle-Aquitaine", "Occitanie",
           "Pays de la Loire", "Provence-Alpes-Côte d'Azur"],
    "LU": ["Capellen", "Clervaux", "Diekirch", "Echternach", "Esch-sur-Alzette",
           "Grevenmacher", "Luxembourg", "Mersch", "Redange", "Remich", "Vianden", "Wiltz"],
    "GB": ["North East", "North West", "Yorkshire and the Humber", "East Midlands",
           "West Midlands", "East of England", "London", "South East", "South West",
           "Wales", "Scotland", "Northern Ireland"],
    "IE": ["Dublin", "Cork", "Galway", "Kerry", "Limerick", "Donegal", "Mayo", "Wexford",
           "Kildare", "Meath", "Tipperary", "Waterford"],
    "US": ["Texas", "California", "Florida", "Pennsylvania", "Ohio", "Georgia",
           "Michigan", "Virginia", "Tennessee", "Missouri", "Montana", "Arizona",
           "Colorado", "Wisconsin", "Alabama", "Idaho"],
    "IT": ["Piemonte", "Lombardia", "Veneto", "Liguria", "Emilia-Romagna", "Toscana",
           "Umbria", "Marche", "Lazio", "Abruzzo", "Campania", "Puglia", "Calabria",
           "Sicilia", "Sardegna", "Trentino-Alto Adige"],
    "ES": ["Andalucía", "Aragón", "Asturias", "Illes Balears", "Canarias", "Cantabria",
           "Castilla-La Mancha", "Castilla y León", "Cataluña", "Comunitat Valenciana",
           "Extremadura", "Galicia", "La Rioja", "Comunidad de Madrid", "Región de Murcia",
           "Navarra", "País Vasco"],
    "PT": ["Lisboa", "Porto", "Braga", "Setúbal", "Aveiro", "Faro", "Coimbra", "Leiria",
           "Viseu", "Santarém", "Évora", "Madeira", "Açores"],
    "SE": ["Stockholm", "Uppsala", "Skåne", "Västra Götaland", "Östergötland",
           "Jönköping", "Halland", "Dalarna", "Gävleborg", "Västernorrland", "Jämtland",
           "Västerbotten", "Norrbotten", "Värmland", "Örebro", "Kalmar"],
    "NO": ["Oslo", "Viken", "Innlandet", "Vestfold og Telemark", "Agder", "Rogaland",
           "Vestland", "Møre og Romsdal", "Trøndelag", "Nordland", "Troms og Finnmark"],
    "DK": ["Hovedstaden", "Sjælland", "Syddanmark", "Midtjylland", "Nordjylland"],
    "FI": ["Uusimaa", "Varsinais-Suomi", "Pirkanmaa", "Pohjois-Pohjanmaa", "Keski-Suomi",
           "Pohjois-Savo", "Lappi", "Satakunta", "Kanta-Häme", "Päijät-Häme",
           "Pohjanmaa", "Etelä-Karjala"],
    "PL": ["Dolnośląskie", "Kujawsko-Pomorskie", "Lubelskie", "Lubuskie", "Łódzkie",
           "Małopolskie", "Mazowieckie", "Opolskie", "Podkarpackie", "Podlaskie",
           "Pomorskie", "Śląskie", "Świętokrzyskie", "Warmińsko-Mazurskie",
           "Wielkopolskie", "Zachodniopomorskie"],
    "CZ": ["Praha", "Středočeský", "Jihočeský", "Plzeňský", "Karlovarský", "Ústecký",
           "Liberecký", "Královéhradecký", "Pardubický", "Vysočina", "Jihomoravský",
           "Olomoucký", "Zlínský", "Moravskoslezský"],
    "SK": ["Bratislavský", "Trnavský", "Trenčiansky", "Nitriansky", "Žilinský",
           "Banskobystrický", "Prešovský", "Košický"],
}
GENERIC_REGIONS = ["Capital Region", "Northern Region", "Southern Region",
                   "Eastern Region", "Western Region", "Central Region",
                   "Coastal Region", "Highland Region"]

NAMES = {
    "nl": (["Jan", "Pieter", "Kees", "Willem", "Hendrik", "Joost", "Bram", "Sander", "Ruud",
            "Maarten", "Thijs", "Daan", "Anouk", "Sanne", "Marieke", "Femke", "Ingrid",
            "Els", "Lotte", "Eva", "Bas", "Gert", "Koen", "Niels", "Wouter", "Jeroen"],
           ["de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer",
            "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
            "van Dijk", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf",
            "van der Meer", "Kok", "Jacobs", "Vermeulen", "van Leeuwen", "Kuipers",
            "Veenstra", "Post", "Huisman", "Schouten", "Prins"]),
    "de": (["Thomas", "Michael", "Andreas", "Stefan", "Jürgen", "Klaus", "Wolfgang", "Uwe",
            "Markus", "Matthias", "Sabine", "Petra", "Claudia", "Monika", "Karin",
            "Ursula", "Anja", "Tobias", "Florian", "Johannes", "Lukas", "Julia", "Katrin",
            "Heinz", "Dieter", "Bernd"],
           ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner",
            "Becker", "Schulz", "Hoffmann", "Koch", "Bauer", "Richter", "Klein", "Wolf",
            "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann",
            "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Lehmann", "Huber",
            "Mayer", "Gruber", "Steiner"]),
    "fr": (["Jean", "Pierre", "Michel", "Philippe", "Alain", "Nicolas", "Christophe",
            "Laurent", "Julien", "Olivier", "Marie", "Nathalie", "Isabelle", "Sylvie",
            "Catherine", "Sophie", "Camille", "Thierry", "Éric", "Luc", "Hugo", "Émile",
            "Claire", "Anne", "Benoît", "Yves"],
           ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit",
            "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel",
            "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel",
            "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François",
            "Peeters", "Maes", "Claes", "Lejeune"]),
    "en": (["James", "John", "Robert", "Michael", "William", "David", "Richard", "Thomas",
            "Charles", "Daniel", "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth",
            "Susan", "Sarah", "Karen", "Mark", "Paul", "Andrew", "Steven", "Emma",
            "Helen", "Gary", "Peter"],
           ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
            "Taylor", "Anderson", "Thomas", "Moore", "Jackson", "White", "Harris",
            "Clark", "Lewis", "Walker", "Hall", "Allen", "Young", "King", "Wright",
            "Scott", "Green", "Baker", "Hill", "Campbell", "Mitchell", "Roberts",
            "Murphy", "Kelly"]),
    "it": (["Giuseppe", "Giovanni", "Antonio", "Mario", "Luigi", "Francesco", "Angelo",
            "Vincenzo", "Pietro", "Salvatore", "Maria", "Anna", "Giuseppina", "Rosa",
            "Angela", "Giovanna", "Teresa", "Lucia", "Marco", "Andrea", "Paolo",
            "Stefano", "Chiara", "Francesca", "Luca", "Roberto"],
           ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo",
            "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini",
            "Costa", "Giordano", "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana",
            "Santoro", "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli", "Martini",
            "Leone", "Longo", "Gentile"]),
    "es": (["Antonio", "José", "Manuel", "Francisco", "David", "Juan", "Javier", "Daniel",
            "Carlos", "Jesús", "María", "Carmen", "Ana", "Isabel", "Laura", "Cristina",
            "Marta", "Lucía", "Pablo", "Sergio", "Alejandro", "Rosa", "Pilar", "Elena",
            "Miguel", "Raúl"],
           ["García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez",
            "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno",
            "Muñoz", "Álvarez", "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres",
            "Domínguez", "Vázquez", "Ramos", "Gil", "Ramírez", "Serrano", "Blanco",
            "Molina", "Ortega", "Delgado"]),
    "nordic": (["Lars", "Anders", "Johan", "Erik", "Per", "Nils", "Karl", "Mikael",
                "Jonas", "Henrik", "Anna", "Eva", "Maria", "Karin", "Kristina", "Ingrid",
                "Sara", "Ola", "Bjørn", "Sven", "Matti", "Jukka", "Mikko", "Liisa",
                "Astrid", "Sigrid"],
               ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson",
                "Olsson", "Persson", "Svensson", "Gustafsson", "Hansen", "Johansen",
                "Olsen", "Larsen", "Andersen", "Pedersen", "Nielsen", "Jensen",
                "Christensen", "Berg", "Lindberg", "Lindqvist", "Korhonen", "Virtanen",
                "Mäkinen", "Nieminen", "Lund", "Dahl", "Holm", "Bakke", "Haugen",
                "Lindström"]),
    "slavic": (["Jan", "Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Marek",
                "Jiří", "Petr", "Josef", "Pavel", "Martin", "Tomáš", "Anna", "Maria",
                "Katarzyna", "Małgorzata", "Agnieszka", "Jana", "Eva", "Hana", "Lenka",
                "Michal", "Lukáš", "Zofia", "Ewa"],
               ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński",
                "Lewandowski", "Zieliński", "Szymański", "Woźniak", "Dąbrowski",
                "Kozłowski", "Jankowski", "Mazur", "Kwiatkowski", "Krawczyk", "Novák",
                "Svoboda", "Novotný", "Dvořák", "Černý", "Procházka", "Kučera",
                "Veselý", "Horák", "Němec", "Pokorný", "Marek", "Pospíšil", "Hájek",
                "Král", "Jelínek"]),
}
STATE_LANGUAGE = {"NL": "nl", "BE": "nl", "DE": "de", "AT": "de", "CH": "de",
                  "LU": "fr", "FR": "fr", "GB": "en", "IE": "en", "US": "en",
                  "CA": "en", "AU": "en", "NZ": "en", "IT": "it", "ES": "es",
                  "PT": "es", "SE": "nordic", "NO": "nordic", "DK": "nordic",
                  "FI": "nordic", "IS": "nordic", "PL": "slavic", "CZ": "slavic",
                  "SK": "slavic"}
DEALER_FORMS = {
    "nl": ["Wapenhandel {s}", "{s} Jacht & Sport", "Schietsport {s}", "{s} Wapens B.V.",
           "Jachthuis {s}", "Geweermakerij {s}"],
    "de": ["Waffen {s}", "{s} Jagd und Sport GmbH", "Büchsenmacherei {s}",
           "Waffenhandel {s}", "{s} Sportwaffen"],
    "fr": ["Armurerie {s}", "{s} Chasse et Tir SARL", "Armes {s}", "Maison {s} Armes"],
    "en": ["{s} Gunsmiths Ltd", "{s} Sporting Arms", "{s} & Sons Gun Shop",
           "{s} Outdoor Supply", "{s} Firearms"],
    "it": ["Armeria {s}", "{s} Caccia e Tiro S.r.l.", "Armi {s}"],
    "es": ["Armería {s}", "{s} Caza y Tiro S.L.", "Armas {s}"],
    "nordic": ["{s} Vapen AB", "{s} Jakt og Fiske", "{s} Børsemakeri", "{s} Asekauppa"],
    "slavic": ["Zbrojownia {s}", "{s} Sport s.r.o.", "Puškařství {s}", "Broń {s}"],
}

FOUND_CIRCUMSTANCES = [
    "Seized during the search of a vehicle after a shooting.",
    "Found in a locker at the railway station.",
    "Surrendered anonymously at a police station.",
    "Seized at the border in a lorry's cargo, hidden among machine parts.",
    "Found during a house search in a drugs investigation.",
    "Recovered from a river by divers after a tip-off.",
    "Seized from a person arrested after a robbery.",
    "Found in a cache with ammunition and other weapons.",
    "Offered for sale online and seized in a controlled purchase.",
    "Found in the estate of a deceased person without a licence.",
]
INTENDED_USES = [
    "Criminal investigation: establishing the point of diversion and the persons involved.",
    "Criminal investigation of a shooting.",
    "Investigation of illicit trafficking across borders.",
    "Establishing the lawful owner of a recovered weapon.",
    "Investigation of an arms embargo violation.",
]
LEGAL_REFERENCES = {
    "NL": "Wet wapens en munitie, article 26",
    "BE": "Wapenwet van 8 juni 2006, article 5",
    "DE": "Waffengesetz, section 52",
    "FR": "Code de la sécurité intérieure, article L317-8",
    "GB": "Firearms Act 1968, section 1",
    "IE": "Firearms Act 1925, section 2",
    "US": "18 U.S.C. 922(g)",
    "ES": "Reglamento de Armas, artículo 4",
    "IT": "Legge 110/1975, articolo 2",
    "AT": "Waffengesetz 1996, section 50",
    "CH": "Waffengesetz, article 33",
}
THEFT_NOTES = ["burglary at the holder's home", "stolen from a vehicle",
               "burglary at the premises", "stolen during transport",
               "stolen from a gun cabinet", "theft reported by the holder"]
LOSS_NOTES = ["lost while hunting", "lost in a house move", "missing at stock check",
              "lost in transport", "reported missing by the holder"]


def weighted(pairs):
    """Values and cumulative weights, for pick()."""
    vals, cum, t = [], [], 0.0
    for v, w in pairs:
        t += w
        vals.append(v)
        cum.append(t)
    return vals, cum


def pick(rnd, table):
    """A value of a weighted() table, chosen with the random() function rnd."""
    vals, cum = table
    return vals[bisect.bisect_right(cum, rnd() * cum[-1])]


def csv_field(s):
    """A CSV field, quoted when it must be (RFC 4180)."""
    if "," in s or '"' in s or "\n" in s:
        return '"' + s.replace('"', '""') + '"'
    return s


# ------------------------------------------------------------ serial formats

class SerialFormat:
    """How a manufacturer's serials are written.  A serial is a function of
    its position (an integer) alone, so that the same position under two
    makers with the same kind of format is the same serial."""

    def __init__(self, spec):
        self.kind = spec[0]
        k = self.kind
        if k == "digits":
            self.width, self.sep = spec[1], spec[2]
            self.capacity = 10 ** self.width
            self.key = ("digits", self.width)
        elif k == "prefix":
            self.nl, self.nd, self.alpha, self.sep = spec[1], spec[2], spec[3], spec[4]
            self.capacity = len(self.alpha) ** self.nl * 10 ** self.nd
            self.key = ("prefix", self.nl, self.nd, self.alpha)
        elif k == "letter1":
            self.sep = spec[1]
            self.capacity = 26 * 10 ** 7
            self.key = ("letter1",)
        elif k == "year":
            self.sep = spec[1]
            self.capacity = None	# per year, 1,000,000
            self.key = ("year",)
        elif k == "mixed":
            self.sep = spec[1]
            self.capacity = 100 * 676 * 10 ** 4
            self.key = ("mixed",)
        elif k == "suffix":
            self.width, self.sep = spec[1], spec[2]
            self.capacity = 10 ** self.width
            self.key = ("suffix", self.width)
        else:
            raise ValueError(k)

    def text(self, pos):
        """The serial at position pos, as marked."""
        k = self.kind
        if k == "digits":
            s = str(pos).zfill(self.width)
            if self.sep:
                h = self.width // 2
                s = s[:h] + self.sep + s[h:]
            return s
        if k == "prefix":
            li, d = divmod(pos, 10 ** self.nd)
            a, n = self.alpha, len(self.alpha)
            letters = ""
            for _ in range(self.nl):
                li, r = divmod(li, n)
                letters = a[r] + letters
            return letters + self.sep + str(d).zfill(self.nd)
        if k == "letter1":
            li, d = divmod(pos, 10 ** 7)
            return A26[li] + self.sep + str(d).zfill(7)
        if k == "year":
            y, n = divmod(pos, 1_000_000)
            return "%d%s%06d" % (1900 + y, self.sep, n)
        if k == "mixed":
            rest, d4 = divmod(pos, 10 ** 4)
            d2, li = divmod(rest, 676)
            s = self.sep
            return "%02d%s%s%s%s%04d" % (d2, s, A26[li // 26], A26[li % 26], s, d4)
        # suffix: digits and a check letter over them.
        s = str(pos).zfill(self.width)
        c = 0
        for i, ch in enumerate(s):
            c += (i + 3) * (ord(ch) - 48)
        return s + self.sep + A23[c % 23]


class Maker:
    """A manufacturer with its models, serial space and production years."""

    def __init__(self, idx, row):
        (self.name, self.country, self.aliases, spec, self.size_class,
         self.profile) = row
        self.idx = idx
        self.fmt = SerialFormat(spec)
        self.party = "MFR-%03d" % (idx + 1)
        names = [t for k, t in self.aliases if k == "name"]
        self.mark = (names[0] if names else self.name).upper()


# ------------------------------------------------------------ the catalogue

class Catalogue:
    """Everything that does not depend on the number of weapons:
    manufacturers, models, serial spaces, parties."""

    def __init__(self, seed, state):
        self.seed = seed
        self.state = state
        rng = random.Random("%s:catalogue" % seed)
        self.makers = [Maker(i, row) for i, row in enumerate(MANUFACTURERS)]
        self._check_aliases()
        self._serial_spaces(rng)
        self._models(rng)
        self._parties(rng)
        total = sum(m.size for m in self.makers)
        self.maker_pick = weighted([(m.idx, m.size) for m in self.makers])
        self.serial_total = total
        # Twins: makers whose serials can be the same strings.
        by_key = {}
        for m in self.makers:
            by_key.setdefault(m.fmt.key, []).append(m.idx)
        for m in self.makers:
            m.partners = [j for j in by_key[m.fmt.key] if j != m.idx]

    def _check_aliases(self):
        """Every name and code is distinct after normalisation, as the
        registry requires."""
        seen = {}
        for m in self.makers:
            for t in [m.name] + [t for _, t in m.aliases]:
                n = t.translate(NORM)
                if not n or n in seen:
                    raise SystemExit("gen_corpus: alias %r clashes with %r" % (t, seen.get(n)))
                seen[n] = t
            for t in [m.name] + [t for _, t in m.aliases]:
                if "," in t or '"' in t or "\t" in t or "|" in t:
                    raise SystemExit("gen_corpus: name %r holds a separator" % t)

    def _serial_spaces(self, rng):
        """Gives each manufacturer a range of serial positions and maps its
        positions to years of production."""
        raw = [SIZE_CLASS[m.size_class] * rng.uniform(0.8, 1.25) for m in self.makers]
        scale = SERIAL_SPACE / sum(raw)
        for m, r in zip(self.makers, raw):
            m.size = int(r * scale)
            m.y0 = rng.choice([1950, 1950, 1950, 1955, 1960, 1965, 1970, 1975, 1980,
                               1985, 1990, 1995])
            m.growth = rng.uniform(1.0, 1.06)
        groups = {}
        for m in self.makers:
            groups.setdefault(m.fmt.key, []).append(m)
        for key in sorted(groups, key=repr):
            ms = groups[key]
            rng.shuffle(ms)
            if key == ("year",):
                # Each maker numbers from its own offset within the year.
                for k, m in enumerate(ms):
                    m.n0 = 1 + k * 200_000
                    self._year_segments(m, rng, cap=199_000)
                continue
            cap = ms[0].fmt.capacity
            need = sum(m.size for m in ms)
            if need > 0.9 * cap:
                f = 0.9 * cap / need
                for m in ms:
                    m.size = int(m.size * f)
                need = sum(m.size for m in ms)
            # Consecutive ranges with random gaps, a few overlapping a little.
            free = cap - need
            cuts = sorted(rng.random() for _ in range(len(ms)))
            lo = 0
            prev = 0.0
            for m, c in zip(ms, cuts):
                lo += int((c - prev) * free)
                prev = c
                overlap = int(m.size * rng.uniform(0, 0.03)) if rng.random() < 0.3 else 0
                m.lo = max(0, lo - overlap)
                lo = m.lo + m.size
                self._range_segments(m, rng)

    @staticmethod
    def _weights(m, rng):
        return [(m.growth ** (y - m.y0)) * rng.uniform(0.6, 1.4)
                for y in range(m.y0, LAST_YEAR + 1)]

    def _range_segments(self, m, rng):
        """A contiguous range: one segment to draw from, years by position."""
        w = self._weights(m, rng)
        tw = sum(w)
        m.year_lo, m.year_of = [], []
        pos = m.lo
        for y, wy in zip(range(m.y0, LAST_YEAR + 1), w):
            m.year_lo.append(pos)
            m.year_of.append(y)
            pos += int(m.size * wy / tw)
        m.segs = [(0, m.lo, m.lo + m.size)]
        m.seg_cum = [m.size]

    def _year_segments(self, m, rng, cap):
        """Year-prefixed serials: one segment a year."""
        w = self._weights(m, rng)
        tw = sum(w)
        m.segs, m.seg_cum = [], []
        v = 0
        for y, wy in zip(range(m.y0, LAST_YEAR + 1), w):
            n = min(cap, int(m.size * wy / tw))
            if n <= 0:
                continue
            base = (y - 1900) * 1_000_000 + m.n0
            m.segs.append((v, base, base + n))
            v += n
            m.seg_cum.append(v)
        m.size = v
        m.year_lo = m.year_of = None

    def year_at(self, m, pos):
        """The year of manufacture of maker m's serial at position pos."""
        if m.year_lo is None:
            y = 1900 + pos // 1_000_000
        else:
            i = bisect.bisect_right(m.year_lo, pos) - 1
            y = m.year_of[i] if i >= 0 else m.y0
        return min(LAST_YEAR, max(m.y0, y))

    def _models(self, rng):
        """Two to six models a maker, each with its type, calibre, years."""
        self.models = []	# (maker, name, type, calibre, location, from, to)
        for m in self.makers:
            n = rng.randint(2, 6)
            style = rng.randrange(5)
            names = set()
            types = weighted(PROFILE_TYPES[m.profile])
            m.models = []
            weights = []
            for k in range(n):
                for _ in range(100):
                    name = self._model_name(rng, style, m)
                    if name not in names:
                        break
                names.add(name)
                t = pick(rng.random, types) if k > 0 or m.profile == "mil" else \
                    PROFILE_TYPES[m.profile][0][0]
                cal = pick(rng.random, weighted(CALIBRES[t]))
                if t == "pistol":
                    loc = "frame" if rng.random() < 0.7 else "slide"
                elif t == "revolver":
                    loc = "frame"
                elif t == "mortar":
                    loc = "barrel"
                else:
                    loc = "receiver"
                if k == 0:
                    y_from, y_to = m.y0, LAST_YEAR
                else:
                    y_from = rng.randint(m.y0, 2018)
                    y_to = min(LAST_YEAR, y_from + rng.randint(8, 45))
                mid = len(self.models)
                self.models.append((m.idx, name, t, cal, loc, y_from, y_to))
                m.models.append(mid)
                weights.append(3.0 if k == 0 else rng.uniform(0.5, 2.0))
            m.model_weights = weights

    @staticmethod
    def _model_name(rng, style, m):
        """An invented model designation in the maker's style."""
        letters = "".join(c for c in m.mark if c.isalpha())
        if style == 0:
            return "%s-%d" % (rng.choice(["P", "M", "R", "K", "G", "T", letters[:2]]),
                              rng.choice([rng.randint(1, 99), rng.randint(100, 999)]))
        if style == 1:
            return "%s %d%s" % (rng.choice(MODEL_WORDS), rng.randint(1, 99),
                                rng.choice(["", "", "C", "S", "L", "X", "SC"]))
        if style == 2:
            return "%s%d" % (rng.choice(["M", "P", "AR", "SR", "K", letters[:1]]),
                             rng.randint(10, 990))
        if style == 3:
            return "%s %s" % (rng.choice(MODEL_WORDS), rng.choice(ROMAN + ["Compact",
                                                                          "Sport", "Tactical"]))
        return rng.choice(MODEL_WORDS)

    def _parties(self, rng):
        """Dealers, brokers, State agencies and foreign importers; private
        persons are made as the registry grows (person())."""
        st = self.state
        lang = STATE_LANGUAGE.get(st, "en")
        self.lang = lang
        self.regions = REGIONS.get(st, GENERIC_REGIONS)
        last = NAMES[lang][1]
        self.parties = []	# (office_ref, kind, name, country, region, licence)
        for m in self.makers:
            self.parties.append((m.party, "manufacturer", m.name, m.country,
                                 "", ""))
        # Dealers.
        self.dealers = []
        names = set()
        for k in range(NDEALERS):
            region = rng.choice(self.regions)
            for _ in range(50):
                name = rng.choice(DEALER_FORMS[lang]).format(s=rng.choice(last))
                if name not in names:
                    break
                name = "%s (%s)" % (name, region)
                if name not in names:
                    break
            names.add(name)
            ref = "DLR-%04d" % (k + 1)
            self.parties.append((ref, "dealer", name, st, region,
                                 "%s-DLR-%05d" % (st, rng.randint(1000, 99999))))
            self.dealers.append((ref, name))
        # Brokers.
        self.brokers = []
        for k in range(NBROKERS):
            name = "%s %s %s" % (rng.choice(NAMES["en"][1]),
                                 rng.choice(["Defence Brokerage", "International Trading",
                                             "Arms Brokers", "Export Services"]),
                                 LEGAL_SUFFIX.get(st, "Ltd"))
            ref = "BRK-%03d" % (k + 1)
            self.parties.append((ref, "broker", name, st, rng.choice(self.regions),
                                 "%s-BRK-%04d" % (st, rng.randint(100, 9999))))
            self.brokers.append(ref)
        # State agencies: police units by region, defence, others.
        self.police, self.defence, self.other_agencies = [], [], []
        agencies = []
        for r in self.regions[:16]:
            agencies.append(("police", "National Police, %s Unit" % r, r))
        agencies.append(("police", "National Police, Central Unit", self.regions[0]))
        for n in ["Ministry of Defence, Central Logistics", "Army, 1st Division",
                  "Army, 2nd Brigade", "Navy, Marine Corps",
                  "Air Force, Security Squadron", "Military Police",
                  "Army, Special Operations Command"]:
            agencies.append(("defence", n, self.regions[0]))
        for n in ["Customs Administration", "Coast Guard", "Prison Service",
                  "Ministry of Justice, Confiscated Goods Office",
                  "National Forensic Institute", "Tax Investigation Service"]:
            agencies.append(("other", n, self.regions[0]))
        for k, (kind, name, region) in enumerate(agencies[:34]):
            ref = "AGY-%03d" % (k + 1)
            self.parties.append((ref, "state_agency", name, st, region, ""))
            {"police": self.police, "defence": self.defence,
             "other": self.other_agencies}[kind].append(ref)
        # Foreign importers in the countries weapons are exported to.
        dest = weighted([(c, w) for c, w in EXPORT_COUNTRIES if c != st])
        self.importers = []
        self.gov_importers = []
        for k in range(NIMPORTERS):
            c = pick(rng.random, dest)
            ref = "FIM-%03d" % (k + 1)
            cname = COUNTRY_NAMES.get(c, c)
            if rng.random() < 0.25:
                name = rng.choice(["%s National Police", "Ministry of Defence of %s",
                                   "%s Armed Forces Procurement Agency",
                                   "Ministry of Interior of %s"]) % cname
                self.gov_importers.append(len(self.importers))
            else:
                lg = STATE_LANGUAGE.get(c, "en")
                name = "%s %s %s" % (rng.choice(NAMES[lg][1]),
                                     rng.choice(["Import", "Arms Import", "Sporting Imports",
                                                 "Trading", "Outdoor"]),
                                     LEGAL_SUFFIX.get(c, "Ltd"))
            self.parties.append((ref, "foreign_importer", name, c, "", ""))
            self.importers.append((ref, name, c))
        if not self.gov_importers:
            self.gov_importers.append(0)
        self.party_name = {p[0]: p[2] for p in self.parties}
        self.person_names = NAMES[lang]

    def person(self, n):
        """Private person number n (from 0): office reference and party row."""
        rng = random.Random("%s:person:%d" % (self.seed, n))
        first, last = self.person_names
        name = "%s %s" % (rng.choice(first), rng.choice(last))
        lic = "%s-WL-%07d" % (self.state, rng.randint(0, 9999999)) \
            if rng.random() < 0.9 else ""
        return ("PRS-%06d" % (n + 1), "private_person", name, self.state,
                rng.choice(self.regions), lic)


# ------------------------------------------------------------ weapons

CLUSTER_SIZES = weighted([(k, k ** -1.3) for k in range(1, 21)])


class Weapons:
    """Every weapon's identity, in parallel lists indexed by weapon number."""

    def __init__(self):
        self.maker = []
        self.model = []
        self.serial = []
        self.year = []
        self.new_serial = []	# None, or the importer's serial
        self.import_year = []	# year of the import marking, or 0
        self.importer = []	# office reference of the importer, or None


def make_block(cat, b):
    """The weapons of block b: a list of tuples
    (maker, model, serial, year, d0, d1, first_holder, cluster, mark, new_serial, twin)
    where d0 is the manufacture date, d1 the date of the first transfer or
    import (ordinals), mark 0 (none) or 1 (import marking)."""
    rng = random.Random("%s:weapons:%d" % (cat.seed, b))
    rnd = rng.random
    r = b % MAX_BLOCKS
    used = {}
    out = []
    base = b * BLOCK
    cluster = 0
    domestic = cat.state
    makers = cat.makers
    while len(out) < BLOCK:
        m = makers[pick(rnd, cat.maker_pick)]
        k = pick(rnd, CLUSTER_SIZES)
        slot = None
        mused = used.setdefault(m.idx, set())
        for _ in range(30):
            v = int(rnd() * m.size)
            si = bisect.bisect_right(m.seg_cum, v)
            _, lo, hi = m.segs[si]
            p = lo + (v - (m.seg_cum[si - 1] if si else 0))
            s = p // SLOT
            s += (r - s) % MAX_BLOCKS
            if s * SLOT >= lo and (s + 1) * SLOT <= hi and s not in mused:
                slot = s
                break
        if slot is None:
            continue
        mused.add(slot)
        k = min(k, BLOCK - len(out))
        off = int(rnd() * (SLOT - k + 1))
        pos0 = slot * SLOT + off
        year0 = cat.year_at(m, pos0)
        mid = _model_for(cat, m, year0, rnd)
        foreign = m.country != domestic
        first = _first_holder(cat, mid, rnd)
        doy = int(rnd() * 300)
        delay = 7 + int(rnd() * 150)
        mark = 1 if foreign and rnd() < 0.021 else 0
        for j in range(k):
            pos = pos0 + j
            y = cat.year_at(m, pos)
            d0 = JAN1[y] + min(doy + j, 330)
            d1 = d0 + delay
            ns = None
            if mark and rnd() < 0.5:
                ns = "IMP-%s-%07d" % (domestic, base + len(out) + 1)
            out.append((m.idx, mid, m.fmt.text(pos), y, d0, d1, first, cluster, mark, ns, 0))
        cluster += 1
        # Now and then the same serial under another maker with the same
        # kind of serial format: a coincidence that happens in real
        # registries, made here on purpose for about 0.5% of weapons.
        if m.partners and len(out) < BLOCK and rnd() < 0.0065 * k:
            m2 = makers[m.partners[int(rnd() * len(m.partners))]]
            pos = pos0 + int(rnd() * k)
            s = pos // SLOT
            m2used = used.setdefault(m2.idx, set())
            # A year-prefixed serial names its year: m2 must have made
            # weapons then.
            if s not in m2used and (m2.fmt.kind != "year" or
                                    1900 + pos // 1_000_000 >= m2.y0):
                m2used.add(s)
                y = cat.year_at(m2, pos)
                mid2 = _model_for(cat, m2, y, rnd)
                first = _first_holder(cat, mid2, rnd)
                d0 = JAN1[y] + int(rnd() * 300)
                out.append((m2.idx, mid2, m2.fmt.text(pos), y, d0, d0 + 7 + int(rnd() * 150),
                            first, cluster, 0, None, 1))
                cluster += 1
    return out


def _model_for(cat, m, year, rnd):
    """A model of maker m made in year (weighted)."""
    cand = [(mid, w) for mid, w in zip(m.models, m.model_weights)
            if cat.models[mid][5] <= year <= cat.models[mid][6]]
    if not cand:
        cand = [(m.models[0], 1.0)]
    t = sum(w for _, w in cand) * rnd()
    for mid, w in cand:
        t -= w
        if t < 0:
            return mid
    return cand[-1][0]


def _first_holder(cat, mid, rnd):
    """Who receives a new batch from the maker: a dealer, or a State agency
    for military weapons and some police pistols."""
    t = cat.models[mid][2]
    if t in MILITARY_TYPES:
        return cat.defence[int(rnd() * len(cat.defence))] if rnd() < 0.85 else \
            cat.police[int(rnd() * len(cat.police))]
    if t == "pistol" and rnd() < 0.08:
        return cat.police[int(rnd() * len(cat.police))]
    return cat.dealers[int(rnd() * len(cat.dealers))][0]


# ------------------------------------------------------------ events

class History:
    """Writes one weapon's history as rows of events.csv, keeping to the
    registry's rules: each transfer from the current holder, none while
    lost or stolen, nothing after destruction or export, dates never
    backwards."""

    __slots__ = ("cat", "rnd", "rows", "wref", "eref", "n", "holder", "d", "st",
                 "civil", "b")

    def __init__(self, cat, rnd, b):
        self.cat = cat
        self.rnd = rnd
        self.b = b
        self.st = cat.state

    def add(self, kind, frm, to, tail=",,,,,,,,,,"):
        self.n += 1
        self.rows.append("%s%02d,%s,%s,%s,%s,%s%s\n" % (
            self.eref, self.n, self.wref, kind, DATES[self.d - DAY0], frm, to, tail))

    def later(self, lo, hi):
        """Moves the date on by lo to hi days (never past END)."""
        d = self.d + lo + int(self.rnd() * (hi - lo + 1))
        self.d = d if d < END else END

    def until(self, lo, hi):
        """Moves the date on by lo to hi days, or says False (and stays)
        when that would pass END: what happens after END is not known."""
        d = self.d + lo + int(self.rnd() * (hi - lo + 1))
        if d > END:
            return False
        self.d = d
        return True

    def person(self):
        """A private person: mostly one recorded with this block, sometimes
        an older one."""
        rnd = self.rnd
        b = self.b if rnd() < 0.75 else int(rnd() * (self.b + 1))
        n = (b * PERSONS_PER_BLOCK + int(rnd() * PERSONS_PER_BLOCK)) % PERSONS_MAX
        return "PRS-%06d" % (n + 1)

    def dealer(self):
        c = self.cat
        return c.dealers[int(self.rnd() * len(c.dealers))][0]

    def police(self):
        c = self.cat
        return c.police[int(self.rnd() * len(c.police))]

    def agency(self):
        c = self.cat
        if not self.civil and self.rnd() < 0.8:
            return c.defence[int(self.rnd() * len(c.defence))]
        lst = c.police if self.rnd() < 0.8 else c.other_agencies
        return lst[int(self.rnd() * len(lst))]

    def transfer(self, kind, to):
        """A transfer from the current holder; none to the holder itself."""
        if to == self.holder:
            return
        self.add(kind, self.holder, to)
        self.holder = to

    def other(self, choose):
        """A party from choose() other than the current holder."""
        for _ in range(20):
            p = choose()
            if p != self.holder:
                return p
        return p

    def export(self):
        """An export to a foreign importer with its licence, end-user
        certificate and sometimes transit countries; nothing follows."""
        c, rnd = self.cat, self.rnd
        if not self.civil and rnd() < 0.7:
            imp = c.importers[c.gov_importers[int(rnd() * len(c.gov_importers))]]
        else:
            imp = c.importers[int(rnd() * len(c.importers))]
        ref, name, ic = imp
        y = year_of(self.d)
        issued = self.d - 14 - int(rnd() * 100)
        lic = "EL-%s-%d-%05d" % (self.st, y, int(rnd() * 100000))
        euc = "EUC-%s-%d-%04d" % (ic, y, int(rnd() * 10000))
        transit = ""
        if rnd() < 0.15:
            t = [x for x in TRANSIT_COUNTRIES if x != self.st and x != ic]
            a = t[int(rnd() * len(t))]
            transit = a
            if rnd() < 0.4:
                b = t[int(rnd() * len(t))]
                if b != a:
                    transit = a + ";" + b
        note = rnd() < 0.5 and ("surplus sale" if not self.civil or
                                self.holder.startswith("AGY") else "commercial export")
        self.add("export", self.holder, ref, ",%s,%s,%s,%s,%s,%s,%s,%s,,%s" % (
            lic, dstr(issued), dstr(issued + 365), euc, self.st, ic, transit,
            csv_field(name), note or ""))
        self.holder = None

    def destroy(self):
        y = year_of(self.d)
        self.add("destruction", self.holder, "",
                 ",,,,,,,,,DEST-%s-%d-%06d,destroyed by the State" % (
                     self.st, y, int(self.rnd() * 1000000)))
        self.holder = None

    def generate(self, i, w, rows):
        """Appends the rows of weapon i (a make_block() tuple) to rows."""
        c, rnd = self.cat, self.rnd
        mi, mid, d0, d1, first, mark = w[0], w[1], w[4], w[5], w[6], w[8]
        m = c.makers[mi]
        self.rows = rows
        self.wref = "W%09d" % (i + 1)
        self.eref = "E%09d" % (i + 1)
        self.n = 0
        self.civil = c.models[mid][2] not in MILITARY_TYPES
        self.d = d0
        self.holder = m.party
        self.add("manufacture", "", m.party)
        self.d = min(d1, END)
        if m.country == self.st:
            self.transfer("domestic_transfer", first)
        else:
            issued = self.d - 30 - int(rnd() * 90)
            self.add("import", m.party, first, ",IL-%s-%d-%05d,%s,%s,,%s,%s,,,,%s" % (
                self.st, year_of(issued), int(rnd() * 100000), dstr(issued),
                dstr(issued + 365), m.country, self.st,
                "import marking applied" if mark else ""))
            self.holder = first
        # The third event: to the first user.
        if first.startswith("DLR"):
            self.later(5, 400)
            u = rnd()
            if self.civil and u < 0.85:
                self.transfer("domestic_transfer", self.person())
            elif u < 0.93:
                self.transfer("domestic_transfer", self.other(self.agency))
            else:
                self.transfer("domestic_transfer", self.other(self.dealer))
        else:
            self.later(10, 300)
            self.transfer("domestic_transfer", self.other(self.agency))
        # Later life: sales, loans, exports and the like.
        fate = rnd()
        room = 20 - 4
        alive = True
        while alive and self.n < room and self.d < END and rnd() < 0.78:
            h = self.holder
            u = rnd()
            if h.startswith("PRS"):
                # A private holder keeps a weapon for years, then sells it,
                # lends it, or hands it in.
                if not self.until(200, 4000):
                    break
                if u < 0.55:
                    self.transfer("domestic_transfer", self.person())
                elif u < 0.80:
                    self.transfer("domestic_transfer", self.dealer())
                elif u < 0.90:
                    friend = self.person()
                    if friend != h:
                        self.transfer("loan", friend)
                        if self.until(7, 365):
                            self.transfer("return", h)
                        else:
                            alive = False
                elif u < 0.915:
                    self.transfer("domestic_transfer", self.police())
                    if rnd() < 0.4 and self.until(30, 700):
                        self.destroy()
                        alive = False
                else:
                    self.transfer("domestic_transfer", self.person())
            elif h.startswith("DLR"):
                # A dealer sells within months, mostly to private persons.
                if not self.until(10, 400):
                    break
                if u < 0.65 and self.civil:
                    self.transfer("domestic_transfer", self.person())
                elif u < 0.76:
                    self.transfer("domestic_transfer", self.agency())
                elif u < 0.88:
                    self.transfer("domestic_transfer", self.other(self.dealer))
                elif u < 0.96:
                    self.export()
                    alive = False
                else:
                    self.transfer("domestic_transfer", c.brokers[int(rnd() * len(c.brokers))])
                    if self.until(5, 90):
                        self.export()
                    alive = False
            elif h.startswith("AGY"):
                # An agency reissues, lends, sells surplus or destroys it.
                if not self.until(100, 3000):
                    break
                if u < 0.40:
                    self.transfer("domestic_transfer", self.other(self.agency))
                elif u < 0.55:
                    other = self.agency()
                    if other != h:
                        self.transfer("loan", other)
                        if self.until(30, 700):
                            self.transfer("return", h)
                        else:
                            alive = False
                elif u < 0.85:
                    if self.civil:
                        self.transfer("state_to_civilian", self.dealer())
                    else:
                        self.transfer("domestic_transfer", self.other(self.agency))
                elif u < 0.95:
                    self.export()
                    alive = False
                elif u < 0.97:
                    self.destroy()
                    alive = False
                else:
                    self.transfer("domestic_transfer", self.other(self.agency))
            else:
                break
        if alive and self.d < END:
            self._fate(fate)
        return self.n

    def _fate(self, u):
        """What may end a weapon's legal life: theft, loss, seizure,
        deactivation or destruction, with what follows them."""
        rnd = self.rnd
        h = self.holder
        if u < 0.072 and not self.until(30, 3000):
            return
        if u < 0.03:
            self.add("theft", "", "", ",,,,,,,,,,%s" % THEFT_NOTES[int(rnd() * len(THEFT_NOTES))])
            self._recovered(0.35, h)
        elif u < 0.045:
            self.add("loss", "", "", ",,,,,,,,,,%s" % LOSS_NOTES[int(rnd() * len(LOSS_NOTES))])
            self._recovered(0.2, h)
        elif u < 0.058 and not h.startswith("AGY"):
            pol = self.police()
            self.add("seizure", h, pol, ",,,,,,,,,,seized in a criminal investigation")
            self.holder = pol
            if rnd() < 0.5 and self.until(30, 500):
                to = self.cat.other_agencies[3 % len(self.cat.other_agencies)]
                self.add("confiscation", pol, to, ",,,,,,,,,,confiscated by court order")
                self.holder = to
            if rnd() < 0.6 and self.until(30, 700):
                self.destroy()
        elif u < 0.065:
            self.add("deactivation", h, "", ",,,,,,,,,DEACT-%s-%d-%06d,deactivated to "
                     "Regulation (EU) 2018/337" % (self.st, year_of(self.d),
                                                   int(rnd() * 1000000)))
            if rnd() < 0.3 and self.until(30, 1500):
                self.transfer("domestic_transfer", self.person())
        elif u < 0.072:
            self.destroy()
        elif u < 0.076 and h.startswith("DLR") and self.until(30, 1500):
            self.add("records_to_state", "", "",
                     ",,,,,,,,,,the dealer ceased trading; records passed to the State")

    def _recovered(self, p, owner):
        """A stolen or lost weapon found again (with probability p): to the
        police, and then back to its owner or destroyed."""
        rnd = self.rnd
        if rnd() >= p or not self.until(1, 900):
            return
        pol = self.police()
        self.add("recovery", "", pol, ",,,,,,,,,,recovered by the police")
        self.holder = pol
        u = rnd()
        if u < 0.5 and owner != pol:
            if self.until(7, 120):
                self.transfer("domestic_transfer", owner)
        elif u < 0.8 and self.until(30, 700):
            self.destroy()


# ------------------------------------------------------------ requests

DAMAGES = ["exact", "misread1", "misread2", "unreadable1", "unreadable2",
           "obliterated_run", "wrong_char", "transposition", "no_manufacturer",
           "alias_manufacturer", "model_misspelt", "importer_serial"]
LEVELS = {"exact": 0, "fold": 1, "wildcard": 2, "edit1": 3}


def alnum_positions(s):
    return [i for i, ch in enumerate(s) if ch.isalnum()]


def damage_serial(rng, kind, serial):
    """The serial as read after damage of the given kind, or None when this
    serial cannot take it (the caller then picks another weapon)."""
    pos = alnum_positions(serial)
    s = list(serial)
    if kind in ("exact", "no_manufacturer", "alias_manufacturer", "model_misspelt"):
        return serial
    if kind in ("misread1", "misread2"):
        cand = [i for i in pos if s[i] in LOOKALIKE_OF]
        n = 1 if kind == "misread1" else 2
        if len(cand) < n:
            return None
        for i in rng.sample(cand, n):
            s[i] = rng.choice(LOOKALIKE_OF[s[i]])
        return "".join(s)
    if kind in ("unreadable1", "unreadable2"):
        n = 1 if kind == "unreadable1" else 2
        for i in rng.sample(pos, n):
            s[i] = "?"
        return "".join(s)
    if kind == "obliterated_run":
        n = rng.choice([2, 3])
        starts = [i for i in pos if all(j in pos for j in range(i, i + n))]
        starts = [i for i in starts if len(pos) - n >= 1]
        if not starts:
            return None
        i = rng.choice(starts)
        return serial[:i] + "*" + serial[i + n:]
    if kind == "wrong_char":
        i = rng.choice(pos)
        ch = s[i]
        pool = DIGITS if ch.isdigit() else A26
        pool = [x for x in pool if fold(x) != fold(ch)]
        s[i] = rng.choice(pool)
        return "".join(s)
    if kind == "transposition":
        cand = [i for i in pos if i + 1 in pos and fold(s[i]) != fold(s[i + 1])]
        if not cand:
            return None
        i = rng.choice(cand)
        s[i], s[i + 1] = s[i + 1], s[i]
        return "".join(s)
    raise ValueError(kind)


def misspell_model(rng, model):
    """The model name as an investigator might write it: a letter dropped or
    doubled, the case or the spacing changed."""
    for _ in range(20):
        op = rng.randrange(4)
        s = model
        letters = [i for i, ch in enumerate(s) if ch.isalpha()]
        if op == 0 and len(letters) >= 2:
            i = rng.choice(letters)
            s = s[:i] + s[i + 1:]
        elif op == 1 and letters:
            i = rng.choice(letters)
            s = s[:i] + s[i] + s[i:]
        elif op == 2:
            s = s.lower() if s != s.lower() else s.upper()
        elif op == 3:
            if " " in s or "-" in s:
                s = s.replace(rng.choice([" ", "-"]) if " " in s and "-" in s else
                              (" " if " " in s else "-"), rng.choice(["", "-", " "]), 1)
            else:
                j = next((k for k in range(1, len(s)) if s[k].isdigit() != s[k - 1].isdigit()),
                         None)
                if j is not None:
                    s = s[:j] + rng.choice([" ", "-"]) + s[j:]
        if s != model and s.strip() and s.strip() == s:
            return s
    return model.lower() if model.lower() != model else model + model[-1]


class Index:
    """Every weapon's folded serials, for finding all weapons that match a
    serial as read, by brute force."""

    def __init__(self, W):
        self.W = W
        d = {}
        get = d.get
        for i, s in enumerate(W.serial):
            k = s.translate(FOLD)
            v = get(k)
            if v is None:
                d[k] = i
            elif isinstance(v, list):
                v.append(i)
            else:
                d[k] = [v, i]
        for i, s in enumerate(W.new_serial):
            if s is not None:
                k = s.translate(FOLD)
                v = get(k)
                if v is None:
                    d[k] = i
                elif isinstance(v, list):
                    v.append(i)
                else:
                    d[k] = [v, i]
        self.d = d
        self._fwd = self._rev = None

    def lookup(self, key):
        v = self.d.get(key)
        if v is None:
            return ()
        return v if isinstance(v, list) else (v,)

    def star(self, prefix, suffix):
        """Weapons whose folded serial starts with prefix and ends with
        suffix (a "*" between them standing for any run, even empty)."""
        if self._fwd is None:
            self._fwd = sorted(self.d)
            self._rev = sorted(k[::-1] for k in self.d)
        if len(prefix) >= len(suffix):
            keys, a, b = self._fwd, prefix, suffix
            lo = bisect.bisect_left(keys, a)
            hi = bisect.bisect_left(keys, a + "\x7f")
            found = [k for k in keys[lo:hi] if k.endswith(b) and len(k) >= len(a) + len(b)]
        else:
            keys, a, b = self._rev, suffix[::-1], prefix[::-1]
            lo = bisect.bisect_left(keys, a)
            hi = bisect.bisect_left(keys, a + "\x7f")
            found = [k[::-1] for k in keys[lo:hi]
                     if k.endswith(b) and len(k) >= len(a) + len(b)]
        out = []
        for k in found:
            out.extend(self.lookup(k))
        return out

    def levels(self, read):
        """{weapon: best level} for every weapon matching the serial as
        read at any level."""
        W = self.W
        best = {}
        if "?" in read or "*" in read:
            pat = read.translate(FOLD_PAT)
            if "*" in pat:
                p, _, s = pat.partition("*")
                if "?" in p or "?" in s or "*" in s:
                    raise ValueError("one '*' and no '?' together, please")
                for i in self.star(p, s):
                    best[i] = LEVELS["wildcard"]
            else:
                qs = [j for j, ch in enumerate(pat) if ch == "?"]
                chars = list(pat)
                for fill in _fillings(len(qs)):
                    for j, ch in zip(qs, fill):
                        chars[j] = ch
                    for i in self.lookup("".join(chars)):
                        best[i] = LEVELS["wildcard"]
            return best
        norm = read.translate(NORM)
        key = read.translate(FOLD)
        for i in self.lookup(key):
            exact = W.serial[i].translate(NORM) == norm or \
                (W.new_serial[i] is not None and W.new_serial[i].translate(NORM) == norm)
            best[i] = LEVELS["exact"] if exact else LEVELS["fold"]
        e1 = LEVELS["edit1"]
        for v in _edits1(key):
            for i in self.lookup(v):
                if i not in best:
                    best[i] = e1
        return best


def _fillings(k):
    if k == 0:
        return [()]
    return [(a,) + rest for a in FOLDED_ALPHABET for rest in _fillings(k - 1)]


def _edits1(key):
    """Every string one substitution (over the folded alphabet) or one swap
    of adjacent characters away from key."""
    out = set()
    for j, ch in enumerate(key):
        head, tail = key[:j], key[j + 1:]
        for a in FOLDED_ALPHABET:
            if a != ch:
                out.add(head + a + tail)
    for j in range(len(key) - 1):
        if key[j] != key[j + 1]:
            out.add(key[:j] + key[j + 1] + key[j] + key[j + 2:])
    out.discard(key)
    return sorted(out)


def make_requests(cat, W, nreq, total):
    """The trace requests with their answers and labels."""
    # The requests depend on the corpus (weapons 0 .. total-1), not on how
    # it was made: one run, or several with --start.
    rng = random.Random("%s:requests:%d:%d" % (cat.seed, nreq, total))
    rnd = rng.random
    index = Index(W)
    with_new = [i for i in range(total) if W.new_serial[i] is not None]
    kinds = [DAMAGES[k % len(DAMAGES)] for k in range(nreq)]
    rng.shuffle(kinds)
    if not with_new:
        kinds = [k if k != "importer_serial" else "exact" for k in kinds]
    states = weighted(REQUESTING_STATES)
    st = cat.state
    out = []
    for n, kind in enumerate(kinds):
        for _ in range(1000):
            t = with_new[int(rnd() * len(with_new))] if kind == "importer_serial" \
                else int(rnd() * total)
            m = cat.makers[W.maker[t]]
            mdl = cat.models[W.model[t]]
            if kind == "importer_serial":
                read = W.new_serial[t]
            else:
                read = damage_serial(rng, kind, W.serial[t])
            if read is None:
                continue
            model = mdl[1]
            if kind == "model_misspelt":
                model = misspell_model(rng, mdl[1])
                if model == mdl[1]:
                    continue
            break
        else:
            raise SystemExit("gen_corpus: no weapon can take damage %s" % kind)
        manufacturer = m.name
        if kind == "alias_manufacturer":
            manufacturer = rng.choice([a for _, a in m.aliases])
        gives_maker = kind != "no_manufacturer"
        gives_model = kind != "no_manufacturer"
        # The labels, by brute force over every weapon.
        levels = index.levels(read)
        tl = levels.get(t)
        if tl is None:
            raise SystemExit("gen_corpus: the true weapon does not match %r (%s)" %
                             (read, kind))
        ambiguous = misleading = False
        for i, lv in levels.items():
            if i == t or lv > tl:
                continue
            if W.model[i] != W.model[t]:
                # Agreement field by field, as the request gives them.
                oi = cat.models[W.model[i]]
                if gives_maker and W.maker[i] != W.maker[t]:
                    continue
                if gives_model and oi[1] != mdl[1]:
                    continue
                if oi[2] != mdl[2] or oi[3] != mdl[3]:
                    continue
                if cat.makers[W.maker[i]].country != m.country:
                    continue
            if W.year[i] != W.year[t]:
                continue
            if lv < tl:
                misleading = True
            else:
                ambiguous = True
        level = [k for k, v in LEVELS.items() if v == tl][0]
        # The request document.
        rs = st if rnd() < 0.3 else pick(rnd, states)
        found = END + 1 + int(rnd() * 120)
        created = found + 1 + int(rnd() * 20)
        secs = int(rnd() * 86400)
        wildcard = "?" in read or "*" in read
        if wildcard:
            cond = "partly_restored"
        elif kind in ("misread1", "misread2", "wrong_char", "transposition") and rnd() < 0.3:
            cond = "restored"
        else:
            cond = "legible"
        weapon = {"serial": read, "serial_condition": cond}
        if gives_maker:
            weapon["manufacturer"] = manufacturer
        if gives_model:
            weapon["model"] = model
        weapon["type"] = mdl[2]
        weapon["calibre"] = mdl[3]
        weapon["country_of_manufacture"] = m.country
        weapon["year_of_manufacture"] = W.year[t]
        if kind == "importer_serial":
            iy = W.import_year[t]
            weapon["markings"] = [
                {"text": "%s %s %02d" % (read, st, iy % 100), "kind": "import",
                 "location": mdl[4], "country": st, "year": iy}]
            weapon["importer"] = {"name": cat.party_name[W.importer[t]],
                                  "country": st, "year": iy}
        cname = COUNTRY_NAMES.get(rs, rs)
        grounds = ["illicit_under_national_law"]
        if rnd() < 0.2:
            grounds.append("unlicensed")
        req = {
            "schema": "trace-request/1",
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "requesting_state": rs,
            "requested_state": st,
            "requesting_authority": {
                "name": "%s, national firearms tracing unit" % cname,
                "contact": {"name": "Duty officer, firearms tracing",
                            "email": "tracing@police.example.%s" % rs.lower()}},
            "priority": "urgent" if rnd() < 0.25 else "routine",
            "created_at": "%sT%02d:%02d:%02dZ" % (dstr(created), secs // 3600,
                                                   secs // 60 % 60, secs % 60),
            "case_reference": "%s-%d-FT-%05d" % (rs, year_of(created), n + 1),
            "weapon": weapon,
            "illicit_basis": {"grounds": grounds,
                              "legal_reference": LEGAL_REFERENCES.get(
                                  rs, "National firearms law of %s" % cname)},
            "found": {"date": dstr(found),
                      "place": rng.choice(REGIONS.get(rs, GENERIC_REGIONS)),
                      "country": rs,
                      "circumstances": rng.choice(FOUND_CIRCUMSTANCES)},
            "intended_use": rng.choice(INTENDED_USES),
        }
        out.append({"damage": kind, "truth": "W%09d" % (t + 1), "level": level,
                     "ambiguous": ambiguous, "misleading": misleading, "request": req})
    return out


# ------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, required=True, help="the random seed")
    ap.add_argument("--weapons", type=int, required=True,
                    help="how many weapons to write")
    ap.add_argument("--out", required=True, help="the folder to write (created)")
    ap.add_argument("--requests", type=int, default=2000,
                    help="how many trace requests (default 2000)")
    ap.add_argument("--state", default="NL",
                    help="the State whose registry this is, ISO 3166-1 alpha-2 (default NL)")
    ap.add_argument("--start", type=int, default=0,
                    help="number of the first weapon to write (default 0): weapons "
                    "before it are made again in memory, for the labels")
    a = ap.parse_args()
    if a.weapons < 1 or a.start < 0 or a.requests < 0:
        ap.error("--weapons must be positive, --start and --requests not negative")
    if a.start + a.weapons > MAX_WEAPONS:
        ap.error("--start + --weapons may not exceed %d" % MAX_WEAPONS)
    st = a.state
    if len(st) != 2 or not ("AA" <= st <= "ZZ") or not st.isalpha():
        ap.error("--state is an ISO 3166-1 alpha-2 code in capitals, e.g. NL")
    t0 = time.monotonic()
    cat = Catalogue(a.seed, st)
    os.makedirs(a.out, exist_ok=True)
    start, end = a.start, a.start + a.weapons
    last_block = (end - 1) // BLOCK

    # setup.tsv: everything the weapons 0 .. end-1 need.
    with open(os.path.join(a.out, "setup.tsv"), "w", encoding="utf-8", newline="\n") as f:
        for m in cat.makers:
            f.write("manufacturer\t%s\t%s\t%s\n" % (
                m.name, m.country, "|".join("%s:%s" % kt for kt in m.aliases)))
        for p in cat.parties:
            f.write("party\t%s\n" % "\t".join(p))
        npersons = min(PERSONS_MAX, (last_block + 1) * PERSONS_PER_BLOCK)
        for n in range(npersons):
            f.write("party\t%s\n" % "\t".join(cat.person(n)))

    W = Weapons()
    nevents = nmarks = ntwins = 0
    fw = open(os.path.join(a.out, "weapons.csv"), "w", encoding="utf-8", newline="\n")
    fe = open(os.path.join(a.out, "events.csv"), "w", encoding="utf-8", newline="\n")
    fm = open(os.path.join(a.out, "markings.tsv"), "w", encoding="utf-8", newline="\n")
    fw.write("office_ref,manufacturer,model,type,calibre,serial,country,year,"
             "mark_text,mark_location,mark_kind\n")
    fe.write("office_ref,weapon,kind,date,from,to,licence_number,licence_issued,"
             "licence_expires,euc_ref,export_country,import_country,transit_countries,"
             "final_recipient,certificate,note\n")
    makers, models = cat.makers, cat.models
    mark_cal = {}
    for b in range(last_block + 1):
        block = make_block(cat, b)
        base = b * BLOCK
        n = min(BLOCK, end - base)
        for w in block[:n]:
            W.maker.append(w[0])
            W.model.append(w[1])
            W.serial.append(w[2])
            W.year.append(w[3])
            W.new_serial.append(w[9])
            if w[8]:
                W.import_year.append(year_of(w[5]))
                W.importer.append(w[6])
            else:
                W.import_year.append(0)
                W.importer.append(None)
        if base + BLOCK <= start:
            continue
        # Events come from a stream of their own, so that making the
        # weapons again (for labels) does not need them.
        erng = random.Random("%s:events:%d" % (cat.seed, b))
        hist = History(cat, erng.random, b)
        wrows, erows, mrows = [], [], []
        for j, w in enumerate(block):
            i = base + j
            if i >= end:
                break
            rows = erows if start <= i < end else []
            ne = hist.generate(i, w, rows)
            if not (start <= i < end):
                continue
            nevents += ne
            ntwins += w[10]
            mi, mid, serial, year = w[0], w[1], w[2], w[3]
            m = makers[mi]
            md = models[mid]
            cal = mark_cal.get(md[3])
            if cal is None:
                cal = mark_cal[md[3]] = md[3][:-2] if md[3].endswith("mm") else md[3]
            wrows.append("W%09d,%s,%s,%s,%s,%s,%s,%d,%s %s %s %s,%s,\n" % (
                i + 1, m.name, md[1], md[2], md[3], serial, m.country, year,
                m.mark, m.country, serial, cal, md[4]))
            if w[8]:
                iy = year_of(w[5])
                ns = w[9] or ""
                text = ("%s %s %02d" % (ns, st, iy % 100)) if ns else "%s %02d" % (st, iy % 100)
                mrows.append("W%09d\timport\t%s\t%s\t%s\t%d\t%s\n" % (
                    i + 1, text, md[4], st, iy, ns))
                nmarks += 1
        fw.write("".join(wrows))
        fe.write("".join(erows))
        fm.write("".join(mrows))
    fw.close()
    fe.close()
    fm.close()
    t1 = time.monotonic()

    reqs = make_requests(cat, W, a.requests, end)
    with open(os.path.join(a.out, "requests.jsonl"), "w", encoding="utf-8",
              newline="\n") as f:
        for r in reqs:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    t2 = time.monotonic()
    amb = sum(r["ambiguous"] for r in reqs)
    mis = sum(r["misleading"] for r in reqs)
    sys.stderr.write(
        "gen_corpus: %d weapons (%d..%d), %d events, %d import markings, %d twins, "
        "%d parties, %d requests (%d ambiguous, %d misleading); serial density "
        "%.3f%%; %.1fs corpus + %.1fs requests\n" % (
            a.weapons, start, end - 1, nevents, nmarks, ntwins,
            len(cat.parties) + npersons, len(reqs), amb, mis,
            100.0 * end / cat.serial_total, t1 - t0, t2 - t1))


if __name__ == "__main__":
    main()
