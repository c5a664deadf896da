/*
 * Acknowledgements and status documents ("trace-ack/1"): the requested
 * State's daemon says that it stored a trace request, which request (by the
 * hash of the signed message it received), when the answer is due, and
 * later the request's status; proto/README.md, "Trace acknowledgement".
 */
#include "config.h"

#include <string.h>

#include "proto_int.h"

/* A request's status, from its receipt to its answer (or none in time). */
static const char *const statuses[] = {
	"acknowledged", "in_progress", "answered", "restricted",
	"need_more_info", "declined", "overdue", NULL
};

static const char *const priorities[] = { "urgent", "routine", NULL };

/* The statuses of a request that was answered, whose document says when. */
static bool
status_answered(const char *st)
{
	return strcmp(st, "answered") == 0 || strcmp(st, "restricted") == 0 ||
	    strcmp(st, "need_more_info") == 0 || strcmp(st, "declined") == 0;
}

/* The answer is due, and was sent, no earlier than the request came; and
 * the document says when the answer was sent exactly when there was one. */
static int
check_ack(struct proto__walk *w, const void *obj)
{
	const proto_ack *a = obj;

	if (proto__timestamp_cmp(a->due_by, a->received_at) < 0)
		return proto__walk_fail_at(w, "due_by", PROTO_EVALUE,
		    "'%s' is before received_at (%s)", a->due_by,
		    a->received_at);
	if (status_answered(a->status) && a->responded_at[0] == '\0')
		return proto__walk_fail_at(w, "responded_at", PROTO_EMISSING,
		    "required member missing (status '%s' says when the "
		    "answer was sent)", a->status);
	if (!status_answered(a->status) && a->responded_at[0] != '\0')
		return proto__walk_fail_at(w, "responded_at", PROTO_EVALUE,
		    "must be absent when status is '%s' (no answer was sent)",
		    a->status);
	if (a->responded_at[0] != '\0' &&
	    proto__timestamp_cmp(a->responded_at, a->received_at) < 0)
		return proto__walk_fail_at(w, "responded_at", PROTO_EVALUE,
		    "'%s' is before received_at (%s)", a->responded_at,
		    a->received_at);
	return 0;
}

static const struct proto__field ack_fields[] = {
	{ PROTO__F(proto_ack, request_id, PROTO__K_UUID, PROTO__REQUIRED) },
	{ PROTO__F(proto_ack, requesting_state, PROTO__K_COUNTRY,
	  PROTO__REQUIRED) },
	{ PROTO__F(proto_ack, requested_state, PROTO__K_COUNTRY,
	  PROTO__REQUIRED) },
	{ PROTO__F(proto_ack, priority, PROTO__K_ENUM, PROTO__REQUIRED),
	  .values = priorities },
	{ PROTO__F(proto_ack, received_at, PROTO__K_TIMESTAMP,
	  PROTO__REQUIRED) },
	{ PROTO__F(proto_ack, due_by, PROTO__K_TIMESTAMP, PROTO__REQUIRED) },
	{ PROTO__F(proto_ack, request_sha256, PROTO__K_HASH, PROTO__REQUIRED) },
	{ PROTO__F(proto_ack, log_index, PROTO__K_I64, PROTO__HAS),
	  .min = 0, .imax = PROTO_INT_MAX,
	  .has_off = offsetof(proto_ack, has_log_index) },
	{ PROTO__F(proto_ack, status, PROTO__K_ENUM, PROTO__REQUIRED),
	  .values = statuses },
	{ PROTO__F(proto_ack, responded_at, PROTO__K_TIMESTAMP, 0) },
	{ PROTO__ARR(proto_ack, status_reasons, PROTO__K_TEXT, 0, 16),
	  .max = 1000 },
};

const struct proto__type proto__ack_type = {
	sizeof(proto_ack), ack_fields, PROTO__NFIELDS(ack_fields), check_ack,
	PROTO_SCHEMA_ACK
};

/* ------------------------------------------------------------- public */

int
proto_ack_parse(const char *json, size_t len, proto_ack **out,
    proto_error *err)
{
	void *p = NULL;
	int r;

	if (out == NULL)
		return proto__fail(err, PROTO_EINVAL, "", "no place for the result");
	r = proto__doc_parse(json, len, &proto__ack_type, &p, err);
	*out = p;
	return r;
}

int
proto_ack_to_json(const proto_ack *ack, char **out, proto_error *err)
{
	return proto__doc_write(&proto__ack_type, ack, out, err);
}

proto_ack *
proto_ack_new(void)
{
	return calloc(1, sizeof(proto_ack));
}

void
proto_ack_free(proto_ack *ack)
{
	proto__doc_free(&proto__ack_type, ack);
}
