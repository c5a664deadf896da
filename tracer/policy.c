/*
 * The disclosure policy: what a domestic investigator and what each
 * foreign State may see of a trace's answer, read from an INI file (inih).
 *
 *   [registry]
 *   state = NL                      ; required: this registry's State
 *   [authority]
 *   name = ..., contact_name = ..., contact_email = ..., contact_phone = ...
 *   [domestic] / [foreign] / [foreign.DE]
 *   answer = yes | no               ; no: decline (decline_reason = text)
 *   private_holders = named | licensed | withheld
 *   private_region = yes | no
 *   holder_licences = yes | no
 *   transfer_licences = yes | no
 *   notes = yes | no
 *   weapon_id = yes | no
 *
 * A [foreign.XX] section overrides [foreign] for State XX, key by key.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "tracer_int.h"

enum { F_ANSWER = 1, F_REASON = 2, F_PRIVATE = 4, F_REGION = 8, F_HLIC = 16,
	F_TLIC = 32, F_NOTES = 64, F_WID = 128 };

/* The authority's defaults for the fields the file left empty. */
static void
default_authority(tr_policy *p)
{
	const char *name = proto_country_name(p->state);

	if (p->authority[0] == '\0')
		snprintf(p->authority, sizeof(p->authority),
		    "National point of contact for tracing, %s", name ? name : p->state);
	if (p->contact_name[0] == '\0')
		snprintf(p->contact_name, sizeof(p->contact_name), "Tracing desk");
	/* A reserved domain (RFC 2606) until the policy names a real address. */
	if (p->contact_email[0] == '\0' && p->contact_phone[0] == '\0')
		snprintf(p->contact_email, sizeof(p->contact_email),
		    "tracing@%c%c.invalid", p->state[0] - 'A' + 'a',
		    p->state[1] - 'A' + 'a');
}

static void
defaults(tr_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->domestic = (struct tr__audience){ .answer = 1, .private_holders = TR__NAMED,
	    .private_region = 1, .holder_licences = 1, .transfer_licences = 1,
	    .notes = 1, .weapon_id = 1 };
	p->foreign = (struct tr__audience){ .answer = 1,
	    .private_holders = TR__LICENSED, .private_region = 1,
	    .holder_licences = 0, .transfer_licences = 1, .notes = 0,
	    .weapon_id = 1 };
}

struct parse {
	struct tr__ini ini;		/* first: inih's user pointer */
	tr_policy *p;
	char seen[64][16];
	int nseen;
	char last[16];
	int have_state;
};

#define fail(ps, ...) tr__ini_fail(&(ps)->ini, __VA_ARGS__)

static int
yesno(const char *v, int *out)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = 1;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static int
audience_key(struct parse *ps, struct tr__audience *a, const char *key,
    const char *v)
{
	int b;

	if (strcmp(key, "private_holders") == 0) {
		if (strcmp(v, "named") == 0)
			a->private_holders = TR__NAMED;
		else if (strcmp(v, "licensed") == 0)
			a->private_holders = TR__LICENSED;
		else if (strcmp(v, "withheld") == 0)
			a->private_holders = TR__HIDE;
		else
			return fail(ps, "private_holders is '%.40s': one of named, "
			    "licensed, withheld", v);
		a->set |= F_PRIVATE;
		return 1;
	}
	if (strcmp(key, "decline_reason") == 0) {
		if (strlen(v) >= sizeof(a->decline_reason))
			return fail(ps, "decline_reason is too long (at most 399 "
			    "bytes)");
		snprintf(a->decline_reason, sizeof(a->decline_reason), "%s", v);
		a->set |= F_REASON;
		return 1;
	}
	if (yesno(v, &b) != 0)
		return fail(ps, "%s is '%.40s': yes or no", key, v);
	if (strcmp(key, "answer") == 0) {
		a->answer = b;
		a->set |= F_ANSWER;
	} else if (strcmp(key, "private_region") == 0) {
		a->private_region = b;
		a->set |= F_REGION;
	} else if (strcmp(key, "holder_licences") == 0) {
		a->holder_licences = b;
		a->set |= F_HLIC;
	} else if (strcmp(key, "transfer_licences") == 0) {
		a->transfer_licences = b;
		a->set |= F_TLIC;
	} else if (strcmp(key, "notes") == 0) {
		a->notes = b;
		a->set |= F_NOTES;
	} else if (strcmp(key, "weapon_id") == 0) {
		a->weapon_id = b;
		a->set |= F_WID;
	} else {
		return fail(ps, "unknown key '%.40s' in an audience section", key);
	}
	return 1;
}

static int
text_key(struct parse *ps, char *out, size_t outlen, const char *key,
    const char *v)
{
	if (strlen(v) >= outlen || v[0] == '\0')
		return fail(ps, "%s must be 1 to %s bytes", key,
		    outlen > 60 ? "200" : "50");
	snprintf(out, outlen, "%s", v);
	return 1;
}

static int
handler(void *user, const char *section, const char *key, const char *v)
{
	struct parse *ps = user;
	tr_policy *p = ps->p;
	int i;

	if (strcmp(section, ps->last) != 0) {
		for (i = 0; i < ps->nseen; i++)
			if (strcmp(ps->seen[i], section) == 0)
				return fail(ps, "section [%.15s] is given twice", section);
		if (ps->nseen == 64)
			return fail(ps, "more than 64 sections");
		snprintf(ps->seen[ps->nseen++], sizeof(ps->seen[0]), "%s", section);
		snprintf(ps->last, sizeof(ps->last), "%s", section);
	}
	if (strcmp(section, "registry") == 0) {
		if (strcmp(key, "state") != 0)
			return fail(ps, "unknown key '%.40s' in [registry]", key);
		if (!proto_country_valid(v))
			return fail(ps, "state '%.20s' is not an ISO 3166-1 alpha-2 "
			    "code", v);
		snprintf(p->state, sizeof(p->state), "%s", v);
		ps->have_state = 1;
		return 1;
	}
	if (strcmp(section, "authority") == 0) {
		if (strcmp(key, "name") == 0)
			return text_key(ps, p->authority, sizeof(p->authority), key, v);
		if (strcmp(key, "contact_name") == 0)
			return text_key(ps, p->contact_name, sizeof(p->contact_name), key, v);
		if (strcmp(key, "contact_email") == 0) {
			if (strchr(v, '@') == NULL)
				return fail(ps, "contact_email '%.60s' is not an email "
				    "address", v);
			return text_key(ps, p->contact_email, sizeof(p->contact_email),
			    key, v);
		}
		if (strcmp(key, "contact_phone") == 0)
			return text_key(ps, p->contact_phone, sizeof(p->contact_phone), key, v);
		return fail(ps, "unknown key '%.40s' in [authority]", key);
	}
	if (strcmp(section, "domestic") == 0)
		return audience_key(ps, &p->domestic, key, v);
	if (strcmp(section, "foreign") == 0)
		return audience_key(ps, &p->foreign, key, v);
	if (strncmp(section, "foreign.", 8) == 0) {
		const char *code = section + 8;
		struct tr__state_policy *sp;

		if (!proto_country_valid(code))
			return fail(ps, "section [%.15s]: '%.4s' is not an ISO 3166-1 "
			    "alpha-2 code", section, code);
		for (i = 0; i < p->nstates; i++)
			if (strcmp(p->states[i].code, code) == 0)
				return audience_key(ps, &p->states[i].a, key, v);
		sp = realloc(p->states, (size_t)(p->nstates + 1) * sizeof(*sp));
		if (sp == NULL)
			return fail(ps, "out of memory");
		p->states = sp;
		sp = &p->states[p->nstates++];
		memset(sp, 0, sizeof(*sp));
		snprintf(sp->code, sizeof(sp->code), "%s", code);
		return audience_key(ps, &sp->a, key, v);
	}
	return fail(ps, "unknown section [%.15s]", section);
}

int
tr_policy_default(const char *state, tr_policy **out, reg_error *err)
{
	tr_policy *p;

	*out = NULL;
	if (state == NULL || !proto_country_valid(state))
		return tr__fail(err, REG_EINVAL, "'%.20s' is not an ISO 3166-1 alpha-2 "
		    "code", state ? state : "");
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return tr__fail(err, REG_ENOMEM, "out of memory");
	defaults(p);
	snprintf(p->state, sizeof(p->state), "%s", state);
	default_authority(p);
	*out = p;
	return 0;
}

int
tr_policy_load(const char *path, tr_policy **out, reg_error *err)
{
	struct parse ps;
	tr_policy *p;
	FILE *f;
	int r, i;

	*out = NULL;
	if ((f = fopen(path, "r")) == NULL)
		return tr__fail(err, errno == ENOENT ? REG_ENOTFOUND : REG_EIO,
		    "cannot open policy file %s: %s", path, strerror(errno));
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		fclose(f);
		return tr__fail(err, REG_ENOMEM, "out of memory");
	}
	memset(&ps, 0, sizeof(ps));
	ps.p = p;
	defaults(p);
	ps.ini.f = f;
	r = tr__ini_run(&ps.ini, path, handler, err);
	fclose(f);
	if (r != 0 || !ps.have_state) {
		if (r == 0)
			tr__fail(err, REG_EINVAL, "%s: [registry] state = XX is "
			    "required (this registry's State)", path);
		tr_policy_free(p);
		return r != 0 ? r : REG_EINVAL;
	}
	default_authority(p);
	for (i = 0; i < p->nstates; i++)
		if (strcmp(p->states[i].code, p->state) == 0) {
			tr__fail(err, REG_EINVAL, "%s: [foreign.%s] names this "
			    "registry's own State; use [domestic]", path, p->state);
			tr_policy_free(p);
			return REG_EINVAL;
		}
	*out = p;
	return 0;
}

const char *
tr_policy_state(const tr_policy *p)
{
	return p->state;
}

void
tr_policy_free(tr_policy *p)
{
	if (p == NULL)
		return;
	free(p->states);
	free(p);
}

void
tr__policy_for(const tr_policy *p, const char *requester,
    struct tr__audience *out)
{
	const struct tr__audience *o = NULL;
	int i;

	if (strcmp(requester, p->state) == 0) {
		*out = p->domestic;
		return;
	}
	*out = p->foreign;
	for (i = 0; i < p->nstates; i++)
		if (strcmp(p->states[i].code, requester) == 0)
			o = &p->states[i].a;
	if (o == NULL)
		return;
	if (o->set & F_ANSWER)
		out->answer = o->answer;
	if (o->set & F_REASON)
		memcpy(out->decline_reason, o->decline_reason, sizeof(out->decline_reason));
	if (o->set & F_PRIVATE)
		out->private_holders = o->private_holders;
	if (o->set & F_REGION)
		out->private_region = o->private_region;
	if (o->set & F_HLIC)
		out->holder_licences = o->holder_licences;
	if (o->set & F_TLIC)
		out->transfer_licences = o->transfer_licences;
	if (o->set & F_NOTES)
		out->notes = o->notes;
	if (o->set & F_WID)
		out->weapon_id = o->weapon_id;
}
