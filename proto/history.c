/*
 * A candidate's history: events as the registry records them (numbered per
 * weapon, corrections pointing at what they correct), each with its audit
 * log index and optionally an inclusion proof; proto/README.md, "Events".
 */
#include "config.h"

#include <string.h>

#include "proto_int.h"

/* The registry's event kinds (migrations/0004_records.sql). */
static const char *const event_kinds[] = {
	"manufacture", "domestic_transfer", "export", "import", "transit",
	"state_to_civilian", "loan", "return", "loss", "theft", "recovery",
	"seizure", "confiscation", "deactivation", "destruction",
	"records_to_state", NULL
};

/* -------------------------------------------------------------- proofs */

/* The proof is of a leaf in the tree, with as many hashes as RFC 9162
 * gives such a proof. */
static int
check_proof(struct proto__walk *w, const void *obj)
{
	const struct proto_inclusion_proof *p = obj;
	size_t want;

	if (p->index >= p->size)
		return proto__walk_fail_at(w, "index", PROTO_EVALUE,
		    "%lld is not below the tree size %lld",
		    (long long)p->index, (long long)p->size);
	want = proto__inclusion_path_len((uint64_t)p->index, (uint64_t)p->size);
	if (p->n_hashes != want)
		return proto__walk_fail_at(w, "hashes", PROTO_EVALUE,
		    "has %zu hashes; a proof of leaf %lld in a tree of %lld "
		    "has %zu", p->n_hashes, (long long)p->index,
		    (long long)p->size, want);
	return 0;
}

static const struct proto__field proof_fields[] = {
	{ PROTO__F(struct proto_inclusion_proof, index, PROTO__K_I64,
	  PROTO__REQUIRED), .min = 0, .imax = PROTO_INT_MAX },
	{ PROTO__F(struct proto_inclusion_proof, size, PROTO__K_I64,
	  PROTO__REQUIRED), .min = 1, .imax = PROTO_INT_MAX },
	{ PROTO__F(struct proto_inclusion_proof, leaf_hash, PROTO__K_HASH,
	  PROTO__REQUIRED) },
	{ PROTO__ARR(struct proto_inclusion_proof, hashes, PROTO__K_HASH,
	  PROTO__REQUIRED | PROTO__EMPTY_OK, 64) },
};

static const struct proto__type proof_type = {
	sizeof(struct proto_inclusion_proof), proof_fields,
	PROTO__NFIELDS(proof_fields), check_proof, NULL
};

/* -------------------------------------------------------------- events */

/* The rules within one event: a correction says why, points backwards,
 * and a proof is of the event's own leaf. */
static int
check_event(struct proto__walk *w, const void *obj)
{
	const struct proto_event *e = obj;

	if (e->corrects != 0 && e->reason == NULL)
		return proto__walk_fail_at(w, "reason", PROTO_EMISSING,
		    "required member missing (a correction says why)");
	if (e->corrects == 0 && e->reason != NULL)
		return proto__walk_fail_at(w, "corrects", PROTO_EMISSING,
		    "required member missing (a reason is given only with a "
		    "correction)");
	if (e->corrects != 0 && e->corrects >= e->seq)
		return proto__walk_fail_at(w, "corrects", PROTO_EVALUE,
		    "%d is not an earlier event than %d", e->corrects, e->seq);
	if (e->corrected_by != 0 && e->corrected_by <= e->seq)
		return proto__walk_fail_at(w, "corrected_by", PROTO_EVALUE,
		    "%d is not a later event than %d", e->corrected_by, e->seq);
	if (e->inclusion_proof != NULL &&
	    e->inclusion_proof->index != e->log_index)
		return proto__walk_fail_at(w, "inclusion_proof.index",
		    PROTO_EVALUE, "%lld is not the event's log_index %lld",
		    (long long)e->inclusion_proof->index,
		    (long long)e->log_index);
	return 0;
}

static const struct proto__field event_fields[] = {
	{ PROTO__F(struct proto_event, seq, PROTO__K_INT, PROTO__REQUIRED),
	  .min = 1, .imax = 2147483647 },
	{ PROTO__F(struct proto_event, kind, PROTO__K_ENUM, PROTO__REQUIRED),
	  .values = event_kinds },
	{ PROTO__F(struct proto_event, date, PROTO__K_DATE, PROTO__REQUIRED) },
	{ PROTO__F(struct proto_event, from, PROTO__K_OBJECT_PTR, 0),
	  .type = &proto__party_type },
	{ PROTO__F(struct proto_event, to, PROTO__K_OBJECT_PTR, 0),
	  .type = &proto__party_type },
	{ PROTO__F(struct proto_event, licence, PROTO__K_OBJECT_PTR, 0),
	  .type = &proto__licence_type },
	{ PROTO__F(struct proto_event, end_user_certificate, PROTO__K_LINE, 0),
	  .max = 100 },
	{ PROTO__F(struct proto_event, export_country, PROTO__K_COUNTRY, 0) },
	{ PROTO__F(struct proto_event, import_country, PROTO__K_COUNTRY, 0) },
	{ PROTO__ARR(struct proto_event, transit_countries, PROTO__K_COUNTRY,
	  0, 16) },
	{ PROTO__F(struct proto_event, final_recipient, PROTO__K_LINE, 0),
	  .max = 300 },
	{ PROTO__F(struct proto_event, certificate, PROTO__K_LINE, 0),
	  .max = 200 },
	{ PROTO__F(struct proto_event, log_index, PROTO__K_I64, PROTO__REQUIRED),
	  .min = 0, .imax = PROTO_INT_MAX },
	{ PROTO__F(struct proto_event, corrects, PROTO__K_INT, 0),
	  .min = 1, .imax = 2147483647 },
	{ PROTO__F(struct proto_event, corrected_by, PROTO__K_INT, 0),
	  .min = 1, .imax = 2147483647 },
	{ PROTO__F(struct proto_event, reason, PROTO__K_TEXT, 0), .max = 1000 },
	{ PROTO__F(struct proto_event, note, PROTO__K_TEXT, 0), .max = 2000 },
	{ PROTO__F(struct proto_event, inclusion_proof, PROTO__K_OBJECT_PTR, 0),
	  .type = &proof_type },
};

const struct proto__type proto__event_type = {
	sizeof(struct proto_event), event_fields, PROTO__NFIELDS(event_fields),
	check_event, NULL
};

/* ------------------------------------------------------------ histories */

const struct proto_event *
proto__history_find(const struct proto_event *ev, size_t n, int seq)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ev[i].seq == seq)
			return &ev[i];
	return NULL;
}

int
proto__history_check(struct proto__walk *w, const struct proto_event *ev,
    size_t n)
{
	const struct proto_event *o;
	char rel[64];
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0 && ev[i].seq <= ev[i - 1].seq) {
			snprintf(rel, sizeof(rel), "history[%zu].seq", i);
			return proto__walk_fail_at(w, rel, PROTO_EVALUE,
			    "%d does not follow %d: events are in order",
			    ev[i].seq, ev[i - 1].seq);
		}
	}
	for (i = 0; i < n; i++) {
		if (ev[i].corrects != 0) {
			o = proto__history_find(ev, n, ev[i].corrects);
			if (o == NULL || o->corrected_by == 0) {
				snprintf(rel, sizeof(rel), "history[%zu].corrects",
				    i);
				return proto__walk_fail_at(w, rel, PROTO_EVALUE,
				    "%d is not an event of this history marked "
				    "corrected_by", ev[i].corrects);
			}
		}
		if (ev[i].corrected_by != 0) {
			o = proto__history_find(ev, n, ev[i].corrected_by);
			if (o == NULL || o->corrects != ev[i].seq) {
				snprintf(rel, sizeof(rel),
				    "history[%zu].corrected_by", i);
				return proto__walk_fail_at(w, rel, PROTO_EVALUE,
				    "%d is not an event of this history that "
				    "corrects %d", ev[i].corrected_by, ev[i].seq);
			}
		}
	}
	return 0;
}
