/*
 * Chains ("trace-chain/1", proto/README.md 13.6): the hops of a trace
 * request that a State's daemon sent on and followed from State to State,
 * each with its signed messages.  The daemon writes it (GET
 * /v1/traces/{id}/chain) and tracectl reads it; both through this codec.
 *
 * The document is written compact with its members in the order of the
 * descriptions below, the bytes the daemon served before this codec; it is
 * not in the canonical form of section 7.  A detail is any text of 1 to
 * 2000 characters, as the schema says: the daemon words it from what other
 * States answered, which a chain must still be able to show.
 */
#include "config.h"

#include <string.h>

#include "proto_int.h"

/* Why a chain ends (the hop's end, and the chain's end.reason). */
static const char *const end_reasons[] = {
	"last_legal_holder", "diversion", "not_found", "ambiguous",
	"restricted", "need_more_info", "declined", "refused", "not_followed",
	"returned", "loop", "max_hops", "no_route", "unreadable", "unwritable",
	NULL
};

static const char *const hop_statuses[] = {
	"sending", "acknowledged", "overdue", "answered", "refused", NULL
};

static const char *const response_statuses[] = {
	"found", "not_found", "ambiguous", "restricted", "need_more_info",
	"declined", NULL
};

/* A liaison hub's code: two capital letters (not necessarily a country:
 * hubs may use user-assigned codes such as XH). */
static const char *
check_hub(const char *s)
{
	if (strlen(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' ||
	    s[1] > 'Z')
		return "is not two capital letters";
	return NULL;
}

/* A refusal's name: the problem type's name, or http-NNN when the answer
 * was no problem document. */
static const char *
check_refusal(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_' || *s == '-'))
			return "holds a character other than a-z, 0-9, _ and -";
	return NULL;
}

/* A JWS compact serialisation: three base64url parts, the second may be
 * empty. */
static const char *
check_jws(const char *s)
{
	size_t part = 0, len = 0;

	for (; ; s++) {
		if (*s == '.' || *s == '\0') {
			if (len == 0 && part != 1)
				return "is not a JWS compact serialisation (an empty "
				    "part)";
			if (*s == '\0')
				break;
			if (++part > 2)
				return "is not a JWS compact serialisation (more "
				    "than three parts)";
			len = 0;
			continue;
		}
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return "is not a JWS compact serialisation (a character "
			    "outside base64url)";
		len++;
	}
	return part == 2 ? NULL : "is not a JWS compact serialisation (fewer "
	    "than three parts)";
}

static const struct proto__field end_fields[] = {
	{ PROTO__F(struct proto_chain_end, reason, PROTO__K_ENUM,
	  PROTO__REQUIRED), .values = end_reasons },
	{ PROTO__F(struct proto_chain_end, state, PROTO__K_COUNTRY,
	  PROTO__REQUIRED) },
	{ PROTO__F(struct proto_chain_end, detail, PROTO__K_TEXT,
	  PROTO__ANY_CHARS), .max = 2000 },
};

static const struct proto__type end_type = {
	sizeof(struct proto_chain_end), end_fields, PROTO__NFIELDS(end_fields),
	NULL, NULL
};

#define JWS(m, fl) { PROTO__F(struct proto_chain_hop, m, PROTO__K_LINE, fl), \
	.max = PROTO_CHAIN_JWS_MAX, .format = check_jws }
#define TS(m, fl) { PROTO__F(struct proto_chain_hop, m, PROTO__K_TIMESTAMP, fl) }

static const struct proto__field hop_fields[] = {
	{ PROTO__F(struct proto_chain_hop, hop, PROTO__K_INT, PROTO__REQUIRED),
	  .min = 0, .imax = PROTO_CHAIN_HOPS_MAX - 1 },
	{ PROTO__F(struct proto_chain_hop, request_id, PROTO__K_UUID,
	  PROTO__REQUIRED) },
	{ PROTO__F(struct proto_chain_hop, parent_id, PROTO__K_UUID, 0) },
	{ PROTO__F(struct proto_chain_hop, requested_state, PROTO__K_COUNTRY,
	  PROTO__REQUIRED) },
	{ PROTO__F(struct proto_chain_hop, via, PROTO__K_LINE, 0), .max = 2,
	  .format = check_hub },
	{ PROTO__F(struct proto_chain_hop, status, PROTO__K_ENUM,
	  PROTO__REQUIRED), .values = hop_statuses },
	TS(sent_at, PROTO__REQUIRED),
	TS(due_by, PROTO__REQUIRED),
	TS(acknowledged_at, 0),
	TS(answered_at, 0),
	{ PROTO__F(struct proto_chain_hop, response_status, PROTO__K_ENUM, 0),
	  .values = response_statuses },
	{ PROTO__F(struct proto_chain_hop, refusal, PROTO__K_LINE, 0), .max = 40,
	  .format = check_refusal },
	TS(refused_at, 0),
	{ PROTO__F(struct proto_chain_hop, end, PROTO__K_ENUM, 0),
	  .values = end_reasons },
	{ PROTO__F(struct proto_chain_hop, detail, PROTO__K_TEXT,
	  PROTO__ANY_CHARS), .max = 2000 },
	JWS(request, PROTO__REQUIRED),
	JWS(acknowledgement, 0),
	JWS(response, 0),
	JWS(problem, 0),
};

static const struct proto__type hop_type = {
	sizeof(struct proto_chain_hop), hop_fields, PROTO__NFIELDS(hop_fields),
	NULL, NULL
};

/* The rules that relate the chain's members (see proto.h). */
static int
check_chain(struct proto__walk *w, const void *obj)
{
	const proto_chain *c = obj;
	const struct proto_chain_hop *h;
	char rel[64];
	size_t i;

	if (c->complete && c->end == NULL)
		return proto__walk_fail_at(w, "end", PROTO_EMISSING,
		    "required member missing (the chain is complete)");
	if (!c->complete && c->end != NULL)
		return proto__walk_fail_at(w, "end", PROTO_EVALUE,
		    "must be absent while the chain is not complete");
	for (i = 0; i < c->n_hops; i++) {
		h = &c->hops[i];
		if (h->hop != (int)i) {
			snprintf(rel, sizeof(rel), "hops[%zu].hop", i);
			return proto__walk_fail_at(w, rel, PROTO_EVALUE,
			    "is %d, not its place in the chain (%zu)", h->hop, i);
		}
		if (i > 0 && strcmp(h->parent_id, c->hops[i - 1].request_id) != 0) {
			snprintf(rel, sizeof(rel), "hops[%zu].parent_id", i);
			return proto__walk_fail_at(w, rel, PROTO_EVALUE, "'%s' "
			    "must be the request_id of the hop before (%s)",
			    h->parent_id, c->hops[i - 1].request_id);
		}
	}
	if (strcmp(c->hops[0].request_id, c->id) != 0)
		return proto__walk_fail_at(w, "hops[0].request_id", PROTO_EVALUE,
		    "'%s' is not the chain's id (%s)", c->hops[0].request_id,
		    c->id);
	if (c->end != NULL && strcmp(c->end->state,
	    c->hops[c->n_hops - 1].requested_state) != 0)
		return proto__walk_fail_at(w, "end.state", PROTO_EVALUE,
		    "'%s' is not the last hop's requested_state (%s)",
		    c->end->state, c->hops[c->n_hops - 1].requested_state);
	return 0;
}

static const struct proto__field chain_fields[] = {
	{ PROTO__F(proto_chain, id, PROTO__K_UUID, PROTO__REQUIRED) },
	{ PROTO__F(proto_chain, requesting_state, PROTO__K_COUNTRY,
	  PROTO__REQUIRED) },
	{ PROTO__F(proto_chain, assembled_at, PROTO__K_TIMESTAMP,
	  PROTO__REQUIRED) },
	{ PROTO__F(proto_chain, complete, PROTO__K_BOOL, PROTO__REQUIRED) },
	{ PROTO__F(proto_chain, end, PROTO__K_OBJECT_PTR, 0), .type = &end_type },
	{ PROTO__ARR(proto_chain, hops, PROTO__K_OBJECT, PROTO__REQUIRED,
	  PROTO_CHAIN_HOPS_MAX), .type = &hop_type },
};

const struct proto__type proto__chain_type = {
	sizeof(proto_chain), chain_fields, PROTO__NFIELDS(chain_fields),
	check_chain, PROTO_SCHEMA_CHAIN
};

/* ------------------------------------------------------------- public */

int
proto_chain_parse(const char *json, size_t len, proto_chain **out,
    proto_error *err)
{
	void *p = NULL;
	int r;

	if (out == NULL)
		return proto__fail(err, PROTO_EINVAL, "", "no place for the result");
	r = proto__doc_parse_max(json, len, PROTO_CHAIN_DOC_MAX,
	    &proto__chain_type, &p, err);
	*out = p;
	return r;
}

int
proto_chain_to_json(const proto_chain *chain, char **out, proto_error *err)
{
	return proto__doc_write_ordered(&proto__chain_type, chain,
	    PROTO_CHAIN_DOC_MAX, out, err);
}

proto_chain *
proto_chain_new(void)
{
	return calloc(1, sizeof(proto_chain));
}

void
proto_chain_free(proto_chain *chain)
{
	proto__doc_free(&proto__chain_type, chain);
}
