#!/usr/bin/env python3
"""Generates the demo's records for four States (BE, NL, DE, FR): seeded, so
that the same seed and scale give the same files.

    etc/demo/gen-data.py OUT [--seed N] [--scale F] [--chains N]

writes, for each State XX, into OUT/XX/:

    setup.sh     the manufacturers (with their codes) and parties that the
                 CSV files name; run it with REGCTL set to regctl and its
                 options, and REGISTRY_PII_KEY to the State's personal-data
                 key file (private persons' identities are encrypted)
    weapons.csv  weapons with their manufacture markings (regctl import)
    events.csv   their histories (regctl import), in order per weapon
    marks.tsv    import markings for weapons that entered the State, one a
                 line: office_ref, text, location, country, year (regctl
                 mark needs the weapon's id, which the import gives)

and OUT/chains.tsv: weapons made in BE, exported to NL, re-exported to DE
(one a line: serial as marked, the serial misread by one look-alike
character, manufacturer code, model, type, calibre, year), the first of
which is the demo's scripted weapon, recovered in FR after a theft in DE.

The records are fictitious.  Manufacturers' names, models and serial
formats are real-looking so that the data reads like a registry's; no
record describes a real weapon, sale or person.  At scale 1 there are
20,000 weapons in BE's registry and about 5,000 in each other's.
Standard library only.
"""
import argparse
import datetime
import os
import random
import sys

STATES = ["BE", "NL", "DE", "FR"]
BASE_COUNT = {"BE": 20000, "NL": 5000, "DE": 5000, "FR": 5000}
LAST_DAY = datetime.date(2025, 10, 31)

# Manufacturers: name, country, code, and models (model, type, calibre,
# serial format, marking location).  Serial formats: 'D' a digit, 'L' a
# capital letter (not I, O, Q), anything else as written.
MANUFACTURERS = {
    "FN": ("Fabrique Nationale Herstal", "BE", [
        ("Five-seveN MK2", "pistol", "5.7x28mm", "386LDDDDDD", "frame"),
        ("FN 509", "pistol", "9x19mm", "GKSDDDDDD", "frame"),
        ("P90", "submachine_gun", "5.7x28mm", "FN0DDDDDD", "receiver"),
        ("SCAR-L", "assault_rifle", "5.56x45mm NATO", "LC0DDDDD", "receiver"),
        ("FNC", "assault_rifle", "5.56x45mm NATO", "000DDDDDD", "receiver"),
        ("Minimi", "light_machine_gun", "5.56x45mm NATO", "MDDDDDD", "receiver"),
    ]),
    "BRN": ("Browning", "BE", [
        ("B525 Sporter", "shotgun", "12 gauge", "DDDDDNZDDD", "receiver"),
        ("BAR MK3", "rifle", ".308 Win", "DDDDDMWDDD", "receiver"),
    ]),
    "LBC": ("Lebeau-Courally", "BE", [
        ("Sidelock", "shotgun", "12 gauge", "DDDDD", "receiver"),
    ]),
    "NWM": ("Nederlandse Wapen- en Munitiefabriek", "NL", [
        ("NWM AR-10", "rifle", "7.62x51mm NATO", "NWMDDDDD", "receiver"),
    ]),
    "KJW": ("Kempen Jachtwapens", "NL", [
        ("KJ Drilling", "rifle", "8x57 JRS", "KJDDDD", "receiver"),
        ("KJ Bock", "shotgun", "20 gauge", "KJBDDDD", "receiver"),
    ]),
    "HK": ("Heckler & Koch", "DE", [
        ("SFP9", "pistol", "9x19mm", "24-DDDDDD", "frame"),
        ("MP5", "submachine_gun", "9x19mm", "6DDDDDDD", "receiver"),
        ("G36", "assault_rifle", "5.56x45mm NATO", "9DDDDDDD", "receiver"),
        ("HK416", "assault_rifle", "5.56x45mm NATO", "DDD-DDDDDD", "receiver"),
    ]),
    "CW": ("Carl Walther", "DE", [
        ("PPQ M2", "pistol", "9x19mm", "FLLDDDD", "frame"),
        ("P99", "pistol", "9x19mm", "DDDDDDD", "frame"),
    ]),
    "HAE": ("C.G. Haenel", "DE", [
        ("Jaeger 10", "rifle", ".308 Win", "HDDDDDD", "receiver"),
    ]),
    "VC": ("Verney-Carron", "FR", [
        ("Sagittaire", "shotgun", "12 gauge", "DDDDDD", "receiver"),
        ("Speedline", "rifle", "9.3x62mm", "VCDDDDD", "receiver"),
    ]),
    "MAS": ("Manufacture d'armes de Saint-Etienne", "FR", [
        ("MAS 49/56", "rifle", "7.5x54mm French", "LDDDDD", "receiver"),
        ("FAMAS F1", "assault_rifle", "5.56x45mm NATO", "DDDDDDD", "receiver"),
    ]),
    "PGM": ("PGM Precision", "FR", [
        ("Ultima Ratio", "rifle", "7.62x51mm NATO", "PGMDDDD", "receiver"),
    ]),
    "GL": ("Glock", "AT", [
        ("G17 Gen5", "pistol", "9x19mm", "LLLLDDD", "frame"),
        ("G19 Gen5", "pistol", "9x19mm", "LLLLDDD", "frame"),
    ]),
    "CZ": ("Ceska zbrojovka", "CZ", [
        ("CZ 75 B", "pistol", "9x19mm", "LDDDDDD", "frame"),
        ("Scorpion EVO 3", "submachine_gun", "9x19mm", "LDDDDDD", "receiver"),
    ]),
    "BER": ("Beretta", "IT", [
        ("92 FS", "pistol", "9x19mm", "BERDDDDDDZ", "frame"),
        ("686 Silver Pigeon", "shotgun", "12 gauge", "LDDDDDLL", "receiver"),
    ]),
}
# Which manufacturers each State makes weapons with, with weights.
MAKERS = {
    "BE": [("FN", 8), ("BRN", 3), ("LBC", 1)],
    "NL": [("NWM", 2), ("KJW", 1)],
    "DE": [("HK", 5), ("CW", 4), ("HAE", 2)],
    "FR": [("VC", 4), ("MAS", 2), ("PGM", 1)],
}
OUTSIDE = ["GL", "CZ", "BER"]
# Share of each State's registry made at home and imported from outside the
# four; the rest is what the other three export to it (import markings are
# recorded one at a time, which the demo's first run waits for).
SHARES = {"BE": (0.99, 0.005), "NL": (0.93, 0.02),
          "DE": (0.97, 0.01), "FR": (0.97, 0.01)}
# Chances that a weapon leaves: from the works or an importer, from a
# dealer, from a State agency (as surplus, to a State outside the four).
EXPORT = (0.01, 0.008, 0.05)
# Exports to States outside the four (no import record anywhere here).
FAR = [("KE", "Kenya Police Service"), ("US", "Century Arms International"),
       ("CA", "Canadian Forces Logistics"), ("PE", "Ejercito del Peru")]

REGIONS = {
    "BE": ["Liège", "Antwerpen", "Brussel", "Namur", "Gent", "Hasselt"],
    "NL": ["Noord-Holland", "Zuid-Holland", "Utrecht", "Gelderland", "Limburg"],
    "DE": ["Bayern", "Nordrhein-Westfalen", "Baden-Württemberg", "Hessen", "Sachsen"],
    "FR": ["Auvergne-Rhône-Alpes", "Grand Est", "Occitanie", "Bretagne", "Île-de-France"],
}
DEALER_NAMES = {
    "BE": ["Armurerie Liégeoise SPRL", "Wapenhandel Antwerpen NV", "Armurerie Namuroise",
           "Jachtwapens Gent BV", "Armes & Tradition Bruxelles", "Wapens Hasselt BVBA",
           "Armurerie de la Meuse", "Schietsport Vlaanderen NV"],
    "NL": ["Wapenhandel Den Haag BV", "Jachthuis Utrecht", "Wapenhuis Limburg BV",
           "Schietsport Holland", "Wapenimport Rotterdam BV", "Jacht & Sport Arnhem"],
    "DE": ["Waffen Müller GmbH", "Jagdwaffen Schmidt KG", "Waffenhandel Köln GmbH",
           "Sportwaffen Bayern GmbH", "Waffen Frankonia Import", "Büchsenmacher Weber"],
    "FR": ["Armurerie Lyonnaise", "Armes de Bretagne SARL", "Armurerie du Grand Est",
           "Chasse et Tir Toulouse", "Armurerie Parisienne SAS", "Importation Armes Sud"],
}
AGENCIES = {
    "BE": [("AGY-DEF", "Ministry of Defence"), ("AGY-POL", "Federal Police")],
    "NL": [("AGY-DEF", "Ministerie van Defensie"), ("AGY-POL", "Politie Nederland")],
    "DE": [("AGY-DEF", "Bundeswehr"), ("AGY-POL", "Bundespolizei")],
    "FR": [("AGY-DEF", "Ministère des Armées"), ("AGY-POL", "Police nationale")],
}
FIRST = {
    "BE": ["Jan", "Marie", "Luc", "Sofie", "Pieter", "Nathalie", "Koen", "Isabelle"],
    "NL": ["Jeroen", "Anouk", "Bram", "Femke", "Sander", "Lotte", "Ruud", "Inge"],
    "DE": ["Jürgen", "Katrin", "Stefan", "Sabine", "Matthias", "Anja", "Uwe", "Petra"],
    "FR": ["Jean", "Claire", "Olivier", "Camille", "Nicolas", "Élodie", "Hervé", "Sylvie"],
}
LAST = {
    "BE": ["Peeters", "Janssens", "Dubois", "Lambert", "Maes", "Claes", "Dupont"],
    "NL": ["de Jong", "Jansen", "de Vries", "van Dijk", "Bakker", "Visser", "Smit"],
    "DE": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Wagner"],
    "FR": ["Martin", "Bernard", "Durand", "Lefebvre", "Moreau", "Girard", "Roux"],
}
LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
# Look-alikes a reader may confuse (the registry folds them when it searches).
MISREAD = {"8": "B", "0": "O", "1": "I", "5": "S", "2": "Z", "6": "G"}
FOLD = {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "7": "1", "S": "5",
        "B": "8", "Z": "2", "G": "6"}


def norm(serial):
    s = "".join(c for c in serial.upper() if c.isalnum())
    return "".join(FOLD.get(c, c) for c in s)


def near(a, b):
    """Whether two normalised serials are equal or one edit apart."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (len(diff) == 2 and diff[1] == diff[0] + 1 and
                a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    if len(a) > len(b):
        a, b = b, a
    for i in range(len(b)):
        if b[:i] + b[i + 1:] == a:
            return True
    return False


def csvq(v):
    v = "" if v is None else str(v)
    if any(c in v for c in ',"\n'):
        return '"' + v.replace('"', '""') + '"'
    return v


def shq(v):
    return "'" + str(v).replace("'", "'\\''") + "'"


class Registry:
    """One State's records as they are generated."""

    def __init__(self, code):
        self.code = code
        self.manufacturers = set()
        self.parties = []          # (ref, kind, country, name, licence, region)
        self.persons = []          # (ref, region, licence, name, address, doc, born)
        self.party_refs = set()
        self.weapons = []
        self.events = []
        self.marks = []
        self.nev = 0

    def party(self, ref, kind, country, name, licence="", region=""):
        if ref not in self.party_refs:
            self.party_refs.add(ref)
            self.parties.append((ref, kind, country, name, licence, region))
        return ref

    def weapon(self, ref, code, model, wtype, calibre, serial, country, year, loc):
        self.manufacturers.add(code)
        mark = "%s %s" % (MANUFACTURERS[code][0].upper(), serial)
        self.weapons.append((ref, code, model, wtype, calibre, serial, country,
                             year, mark, loc, ""))

    def event(self, wref, kind, date, frm="", to="", lic=None, euc="",
              exp_c="", imp_c="", transit="", final="", note=""):
        self.nev += 1
        ln, li, le = lic if lic else ("", "", "")
        self.events.append(("%s-E-%07d" % (self.code, self.nev), wref, kind,
                            date.isoformat(), frm, to, ln, li, le, euc, exp_c, imp_c,
                            transit, final, "", note))


class World:
    def __init__(self, seed, scale, nchains):
        self.r = random.Random(seed)
        self.scale = scale
        self.nchains = nchains
        self.reg = {s: Registry(s) for s in STATES}
        self.serials = set()
        self.protected = []        # normalised serials no other may come near
        self.nw = {s: 0 for s in STATES}
        self.chains = []
        self.dealers = {}
        self.persons = {}
        for s in STATES:
            self.setup_state(s)

    # ------------------------------------------------------------ parties
    def setup_state(self, s):
        g = self.reg[s]
        r = self.r
        for code, _w in MAKERS[s]:
            name, _c, _m = MANUFACTURERS[code]
            g.party("%s-MFR-%s" % (s, code), "manufacturer", s, name,
                    "%s-MFR-%s" % (s, code), r.choice(REGIONS[s]))
        self.dealers[s] = []
        for i, name in enumerate(DEALER_NAMES[s]):
            ref = "%s-DLR-%03d" % (s, i + 1)
            g.party(ref, "dealer", s, name, "%s-DLR-%04d" % (s, 1000 + i * 37),
                    r.choice(REGIONS[s]))
            self.dealers[s].append(ref)
        for ref, name in AGENCIES[s]:
            g.party("%s-%s" % (s, ref), "state_agency", s, name)
        n = max(20, int(round((150 if s == "BE" else 60) * min(1.0, self.scale * 2))))
        self.persons[s] = []
        for i in range(n):
            ref = "%s-PP-%04d" % (s, i + 1)
            region = r.choice(REGIONS[s])
            g.persons.append((ref, region, "%s-WL-%06d" % (s, r.randrange(10 ** 6)),
                              "%s %s" % (r.choice(FIRST[s]), r.choice(LAST[s])),
                              "%d, street %d, %s" % (r.randrange(1, 200), i + 1, region),
                              "%s-ID-%08d" % (s, r.randrange(10 ** 8)),
                              "%d-%02d-%02d" % (r.randrange(1940, 2000),
                                                r.randrange(1, 13), r.randrange(1, 29))))
            g.party_refs.add(ref)
            self.persons[s].append(ref)

    def importer(self, s):
        """One of State s's dealers that import (the first three)."""
        return self.r.choice(self.dealers[s][:3])

    def foreign_importer(self, exporter_state, dest, dest_ref):
        """The party in the exporter's registry standing for dest's importer."""
        g = self.reg[exporter_state]
        i = int(dest_ref.rsplit("-", 1)[1]) - 1
        return g.party("%s-FI-%s-%s" % (exporter_state, dest, dest_ref.rsplit("-", 1)[1]),
                       "foreign_importer", dest, DEALER_NAMES[dest][i])

    def foreign_exporter(self, importer_state, src, src_ref):
        g = self.reg[importer_state]
        src_name = dict((p[0], p[3]) for p in self.reg[src].parties).get(src_ref, src_ref)
        return g.party("%s-FE-%s-%s" % (importer_state, src, src_ref.split("-", 1)[1]),
                       "foreign_exporter", src, src_name)

    # ------------------------------------------------------------ serials
    def serial(self, fmt):
        r = self.r
        while True:
            s = "".join(r.choice("0123456789") if c == "D" else
                        r.choice(LETTERS) if c == "L" else c for c in fmt)
            n = norm(s)
            if n in self.serials or any(near(n, p) for p in self.protected):
                continue
            self.serials.add(n)
            return s

    def protect(self, serial):
        n = norm(serial)
        self.protected.append(n)
        return serial

    # ------------------------------------------------------------ dates
    def after(self, d, lo, hi):
        return d + datetime.timedelta(days=self.r.randint(lo, hi))

    def licence(self, s, kind, d):
        yr = d.year
        n = self.r.randrange(10 ** 5)
        num = {"BE": "%s/%s/%d/%05d" % (s, kind, yr, n),
               "NL": "NL-%s-%d-%05d" % ("UVL" if kind == "EXP" else "INV", yr, n),
               "DE": "DE-BAFA-%s-%d-%06d" % ("AG" if kind == "EXP" else "EG", yr, n),
               "FR": "FR-%s-%d-%05d" % ("AEMG" if kind == "EXP" else "AIMG", yr, n)}[s]
        issued = d - datetime.timedelta(days=self.r.randint(20, 90))
        return (num, issued.isoformat(), (issued + datetime.timedelta(days=365)).isoformat())

    # ------------------------------------------------------------ lives
    def new_ref(self, s):
        self.nw[s] += 1
        return "%s-W-%06d" % (s, self.nw[s])

    def domestic(self, s, wref, d, holder, may_export=True, is_state=False):
        """A weapon's life in State s from date d with holder; returns
        (date, holder, ended) where ended says the weapon left the
        registry's reach (exported, destroyed, stolen)."""
        g = self.reg[s]
        r = self.r
        # To a dealer, then to a licensed private person or an agency.
        if holder.startswith(s + "-MFR") or holder in self.dealers[s][:3]:
            if r.random() < EXPORT[0]:
                return self.export(s, wref, d, holder)
            nd = self.after(d, 10, 200)
            if nd > LAST_DAY:
                return d, holder, False
            if r.random() < 0.12:
                to = s + "-" + r.choice(AGENCIES[s])[0]
            else:
                to = r.choice(self.dealers[s])
            if to != holder:
                g.event(wref, "domestic_transfer", nd, holder, to)
                d, holder = nd, to
        if holder in self.dealers[s]:
            x = r.random()
            nd = self.after(d, 10, 700)
            if nd > LAST_DAY:
                return d, holder, False
            if x < 0.01:
                g.event(wref, "theft", nd, note="burglary at the dealer's premises")
                return nd, holder, True
            if x < 0.75:
                to = r.choice(self.persons[s])
                g.event(wref, "domestic_transfer", nd, holder, to,
                        note="sale to a licensed private holder")
                d, holder = nd, to
            elif x < 0.75 + EXPORT[1] and may_export:
                return self.export(s, wref, d, holder)
        if holder.startswith(s + "-PP"):
            x = r.random()
            nd = self.after(d, 200, 4000)
            if nd > LAST_DAY:
                return d, holder, False
            if x < 0.015:
                g.event(wref, "theft", nd, note="reported stolen from the holder's home")
                return nd, holder, True
            if x < 0.025:
                g.event(wref, "loss", nd, note="reported lost while hunting")
                return nd, holder, True
            if x < 0.08:
                to = r.choice(self.dealers[s])
                g.event(wref, "domestic_transfer", nd, holder, to, note="sold back to a dealer")
                d, holder = nd, to
        elif holder.startswith(s + "-AGY"):
            x = r.random()
            nd = self.after(d, 1000, 6000)
            if nd > LAST_DAY:
                return d, holder, False
            if x < 0.05:
                g.event(wref, "destruction", nd, holder,
                        note="surplus destroyed under supervision, certificate on file")
                return nd, holder, True
            if x < 0.05 + EXPORT[2] and may_export:
                return self.export(s, wref, d, holder, far=True)
        return d, holder, False

    def export(self, s, wref, d, holder, far=False):
        r = self.r
        g = self.reg[s]
        nd = self.after(d, 30, 400)
        if nd > LAST_DAY:
            return d, holder, False
        if far or r.random() < 0.35:
            cc, name = r.choice(FAR)
            to = g.party("%s-FI-%s-1" % (s, cc), "foreign_importer", cc, name)
            g.event(wref, "export", nd, holder, to, self.licence(s, "EXP", nd),
                    "EUC-%s-%d-%04d" % (cc, nd.year, r.randrange(10 ** 4)), s, cc,
                    r.choice(["", "", "", "FR", "NL"]).replace(s, ""), name)
            return nd, None, True
        dest = r.choice([x for x in STATES if x != s])
        dref = self.importer(dest)
        to = self.foreign_importer(s, dest, dref)
        lic = self.licence(s, "EXP", nd)
        euc = "EUC-%s-%d-%04d" % (dest, nd.year, r.randrange(10 ** 4))
        g.event(wref, "export", nd, holder, to, lic, euc, s, dest, "",
                DEALER_NAMES[dest][int(dref.rsplit("-", 1)[1]) - 1])
        self.pending.append((dest, s, holder, wref, nd, dref, euc))
        return nd, None, True

    def arrive(self, dest, src, src_holder, src_wref, d, dref, euc):
        """The import into dest of a weapon exported by src."""
        r = self.r
        w = self.wdesc[(src, src_wref)]
        g = self.reg[dest]
        wref = self.new_ref(dest)
        self.wdesc[(dest, wref)] = w
        code, model, wtype, cal, serial, country, year, loc = w
        g.weapon(wref, code, model, wtype, cal, serial, country, year, loc)
        nd = self.after(d, 3, 30)
        fe = self.foreign_exporter(dest, src, src_holder)
        g.event(wref, "import", nd, fe, dref, self.licence(dest, "IMP", nd), euc, src, dest)
        g.marks.append((wref, "%s %02d %s" % (dest, nd.year % 100,
                                               DEALER_NAMES[dest][int(dref[-3:]) - 1].upper()),
                        loc, dest, nd.year))
        self.domestic(dest, wref, nd, dref)

    def make(self, s, code, start_year=1978):
        r = self.r
        name, country, models = MANUFACTURERS[code]
        model, wtype, cal, fmt, loc = r.choice(models)
        year = r.randint(start_year, 2024)
        serial = self.serial(fmt)
        return (code, model, wtype, cal, serial, country, year, loc)

    def generate(self):
        r = self.r
        self.pending = []
        self.wdesc = {}
        self.scripted_chains()
        for s in STATES:
            total = int(BASE_COUNT[s] * self.scale)
            home, outside = SHARES[s]
            g = self.reg[s]
            makers = [c for c, w in MAKERS[s] for _ in range(w)]
            for _ in range(int(total * home)):
                w = self.make(s, r.choice(makers))
                wref = self.new_ref(s)
                self.wdesc[(s, wref)] = w
                g.weapon(wref, *w)
                d = datetime.date(w[6], r.randint(1, 12), r.randint(1, 28))
                mfr = "%s-MFR-%s" % (s, w[0])
                g.event(wref, "manufacture", d, "", mfr)
                self.domestic(s, wref, d, mfr)
            for _ in range(int(total * outside)):
                w = self.make(s, r.choice(OUTSIDE), 1990)
                wref = self.new_ref(s)
                self.wdesc[(s, wref)] = w
                g.weapon(wref, *w)
                d = datetime.date(w[6], r.randint(1, 12), r.randint(1, 28))
                d = self.after(d, 30, 300)
                if d > LAST_DAY:
                    d = LAST_DAY
                fe = g.party("%s-FE-%s-1" % (s, w[5]), "foreign_exporter", w[5],
                             MANUFACTURERS[w[0]][0] + " (exports)")
                imp = self.importer(s)
                g.event(wref, "import", d, fe, imp, self.licence(s, "IMP", d),
                        "", w[5], s)
                g.marks.append((wref, "%s %02d" % (s, d.year % 100), w[7], s, d.year))
                self.domestic(s, wref, d, imp)
        # Imports of what the four exported to each other (an import may
        # lead to a re-export, hence the loop).
        while self.pending:
            p = self.pending.pop(0)
            self.arrive(*p)

    # ------------------------------------------------------------ the chains
    def scripted_chains(self):
        """Weapons made in BE, exported to NL, re-exported to DE; the first
        is the demo's: stolen in DE in 2024 (and recovered in FR)."""
        r = self.r
        models = [m for m in MANUFACTURERS["FN"][2] if m[1] == "pistol"]
        for i in range(self.nchains):
            model, wtype, cal, fmt, loc = models[0] if i == 0 else r.choice(models)
            while True:
                serial = self.serial(fmt)
                # The misread: one '8' (or another look-alike) read wrong.
                pos = [j for j, c in enumerate(serial) if c in MISREAD and j >= 3]
                if i == 0:
                    pos = [j for j in pos if serial[j] == "8"]
                if pos:
                    break
            self.protect(serial)
            j = pos[0] if i == 0 else r.choice(pos)
            misread = serial[:j] + MISREAD[serial[j]] + serial[j + 1:]
            year = 2016 if i == 0 else r.randint(2010, 2019)
            w = ("FN", model, wtype, cal, serial, "BE", year, loc)
            be, nl, de = self.reg["BE"], self.reg["NL"], self.reg["DE"]
            # BE: manufacture, to a dealer, export to NL.
            wref = self.new_ref("BE")
            be.weapon(wref, *w)
            d = datetime.date(year, 3, 1) + datetime.timedelta(days=r.randint(0, 60))
            be.event(wref, "manufacture", d, "", "BE-MFR-FN")
            d2 = self.after(d, 20, 90)
            be.event(wref, "domestic_transfer", d2, "BE-MFR-FN", "BE-DLR-002")
            d3 = self.after(d2, 60, 200)
            nl_imp = "NL-DLR-001"
            euc = "EUC-NL-%d-%04d" % (d3.year, r.randrange(10 ** 4))
            be.event(wref, "export", d3, "BE-DLR-002",
                     self.foreign_importer("BE", "NL", nl_imp),
                     self.licence("BE", "EXP", d3), euc, "BE", "NL", "",
                     DEALER_NAMES["NL"][0])
            # NL: import (and its marking), a domestic sale, export to DE.
            wn = self.new_ref("NL")
            nl.weapon(wn, *w)
            d4 = self.after(d3, 3, 20)
            nl.event(wn, "import", d4, self.foreign_exporter("NL", "BE", "BE-DLR-002"),
                     nl_imp, self.licence("NL", "IMP", d4), euc, "BE", "NL")
            nl.marks.append((wn, "NL %02d %s" % (d4.year % 100, DEALER_NAMES["NL"][0].upper()),
                             loc, "NL", d4.year))
            d5 = self.after(d4, 30, 300)
            nl.event(wn, "domestic_transfer", d5, nl_imp, "NL-DLR-004")
            d6 = self.after(d5, 60, 400)
            de_imp = "DE-DLR-005"
            euc2 = "EUC-DE-%d-%04d" % (d6.year, r.randrange(10 ** 4))
            nl.event(wn, "export", d6, "NL-DLR-004",
                     self.foreign_importer("NL", "DE", de_imp),
                     self.licence("NL", "EXP", d6), euc2, "NL", "DE", "",
                     DEALER_NAMES["DE"][4])
            # DE: import, a dealer, a licensed private holder, and for the
            # demo's weapon (and some others) a theft.
            wd = self.new_ref("DE")
            de.weapon(wd, *w)
            d7 = self.after(d6, 3, 20)
            de.event(wd, "import", d7, self.foreign_exporter("DE", "NL", "NL-DLR-004"),
                     de_imp, self.licence("DE", "IMP", d7), euc2, "NL", "DE")
            de.marks.append((wd, "DE %02d %s" % (d7.year % 100, DEALER_NAMES["DE"][4].upper()),
                             loc, "DE", d7.year))
            d8 = self.after(d7, 20, 200)
            de.event(wd, "domestic_transfer", d8, de_imp, "DE-DLR-002")
            d9 = self.after(d8, 20, 300)
            holder = self.persons["DE"][i % len(self.persons["DE"])]
            de.event(wd, "domestic_transfer", d9, "DE-DLR-002", holder,
                     note="sale to a licensed private holder")
            if i == 0 or r.random() < 0.4:
                d10 = datetime.date(2024, 9, 14) if i == 0 else self.after(d9, 100, 1500)
                if d10 <= LAST_DAY:
                    de.event(wd, "theft", d10,
                             note="reported stolen in a burglary of the holder's home")
            self.chains.append((serial, misread, "FN", model, wtype, cal, year))

    # ------------------------------------------------------------ output
    def write(self, out):
        for s in STATES:
            g = self.reg[s]
            d = os.path.join(out, s)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "setup.sh"), "w") as f:
                f.write(SETUP_HEAD % {"state": s})
                codes = set(g.manufacturers) | set(c for c, _ in MAKERS[s])
                for code in sorted(codes):
                    f.write("manufacturer %s %s %s\n" % (
                        shq(MANUFACTURERS[code][0]), MANUFACTURERS[code][1], code))
                for p in g.parties:
                    f.write("party %s\n" % " ".join(shq(x) for x in p))
                for p in g.persons:
                    f.write("person %s\n" % " ".join(shq(x) for x in p))
            with open(os.path.join(d, "weapons.csv"), "w") as f:
                f.write("office_ref,manufacturer,model,type,calibre,serial,country,year,"
                        "mark_text,mark_location,mark_kind\n")
                for w in g.weapons:
                    f.write(",".join(csvq(x) for x in w) + "\n")
            # Events in file order per weapon: group them by weapon, keeping
            # each weapon's order (the generator writes them in date order).
            by = {}
            for e in g.events:
                by.setdefault(e[1], []).append(e)
            with open(os.path.join(d, "events.csv"), "w") as f:
                f.write("office_ref,weapon,kind,date,from,to,licence_number,licence_issued,"
                        "licence_expires,euc_ref,export_country,import_country,"
                        "transit_countries,final_recipient,certificate,note\n")
                for w in g.weapons:
                    for e in by.get(w[0], []):
                        f.write(",".join(csvq(x) for x in e) + "\n")
            with open(os.path.join(d, "marks.tsv"), "w") as f:
                for m in g.marks:
                    f.write("\t".join(str(x) for x in m) + "\n")
        with open(os.path.join(out, "chains.tsv"), "w") as f:
            for c in self.chains:
                f.write("\t".join(str(x) for x in c) + "\n")
        with open(os.path.join(out, "summary.txt"), "w") as f:
            for s in STATES:
                g = self.reg[s]
                kinds = {}
                for e in g.events:
                    kinds[e[2]] = kinds.get(e[2], 0) + 1
                f.write("%s: %d weapons, %d events (%s), %d parties, %d import markings\n" % (
                    s, len(g.weapons), len(g.events),
                    ", ".join("%s %d" % kv for kv in sorted(kinds.items())),
                    len(g.parties) + len(g.persons), len(g.marks)))


SETUP_HEAD = """#!/bin/sh
# Generated by etc/demo/gen-data.py: the manufacturers and parties of State
# %(state)s's demo records.  REGCTL names regctl with its options;
# REGISTRY_PII_KEY the personal-data key file.  Running it again leaves what
# is recorded alone.
set -eu
REGCTL=${REGCTL:-./regctl}
manufacturer() {	# NAME COUNTRY CODE
	if ! $REGCTL manufacturer find --name "$3" >/dev/null 2>&1; then
		$REGCTL manufacturer add --name "$1" --country "$2" >/dev/null
		$REGCTL manufacturer alias --manufacturer "$1" --alias "$3" --kind code >/dev/null
	fi
}
add() {
	if ! out=$($REGCTL party add "$@" 2>&1); then
		case $out in
		*"already exists"*) ;;
		*) echo "$out" >&2; exit 1 ;;
		esac
	fi
}
party() {	# REF KIND COUNTRY NAME LICENCE REGION
	add --office-ref "$1" --kind "$2" --country "$3" --name "$4" \\
	    ${5:+--licence "$5"} ${6:+--region "$6"}
}
person() {	# REF REGION LICENCE NAME ADDRESS ID-DOCUMENT BIRTH-DATE
	add --office-ref "$1" --kind private_person --country "${1%%%%-*}" --region "$2" \\
	    --licence "$3" --person-name "$4" --address "$5" --id-document "$6" \\
	    --birth-date "$7"
}
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--chains", type=int, default=60)
    a = ap.parse_args()
    if a.chains < 1:
        sys.exit("gen-data.py: --chains is at least 1")
    w = World(a.seed, a.scale, a.chains)
    w.generate()
    w.write(a.out)


if __name__ == "__main__":
    main()
