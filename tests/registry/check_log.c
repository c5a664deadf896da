/* The audit log in PostgreSQL: appends, proofs, checkpoints, tampering
 * and concurrency, against a real database. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <check.h>
#include <openssl/rand.h>

#include "common/hex.h"
#include "registry/registry.h"
#include "testutil.h"

static const char *ci;		/* this test's database */
static char *tmpdir;
static reg_key *key;

static void
setup(void)
{
	char path[4200];
	reg_error err = REG_ERROR_INIT;

	ci = tu_db_migrated();
	tmpdir = tu_tmpdir();
	snprintf(path, sizeof(path), "%s/log.key", tmpdir);
	ck_assert_msg(reg_key_generate("test.example/XX", path, &err) == 0, "%s",
	    err.message);
	ck_assert_msg(reg_key_load(path, &key, &err) == 0, "%s", err.message);
}

static void
teardown(void)
{
	reg_key_free(key);
	key = NULL;
	tu_rmtree(tmpdir);
	free(tmpdir);
}

static reg_ctx *
app(void)
{
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;

	ck_assert_msg(reg_open(ci, 0, &ctx, &err) == 0, "%s", err.message);
	return ctx;
}

static void
hexto(const char *hex, struct reg_hash *h)
{
	ck_assert_int_eq(cm_hex_decode(hex, 64, h->b, 0), 0);
}

static void
append_n(reg_ctx *ctx, uint64_t n, const char *prefix)
{
	reg_error err = REG_ERROR_INIT;
	char buf[64];
	uint64_t i, idx;

	for (i = 0; i < n; i++) {
		int len = snprintf(buf, sizeof(buf), "%s-%" PRIu64, prefix, i);

		ck_assert_msg(reg_log_append(ctx, buf, (size_t)len, &idx, &err) == 0,
		    "%s", err.message);
	}
}

static uint64_t
log_size(reg_ctx *ctx)
{
	reg_error err = REG_ERROR_INIT;
	uint64_t n = 0;

	ck_assert_msg(reg_log_size(ctx, &n, &err) == 0, "%s", err.message);
	return n;
}

/* The RFC 6962 test leaves and the published roots of sizes 1 to 8. */
static const char *rfc_leaves[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f"
};
static const char *rfc_roots[8] = {
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
};

static void
append_rfc(reg_ctx *ctx)
{
	reg_error err = REG_ERROR_INIT;
	uint8_t b[16];
	size_t i, n;
	uint64_t idx;

	for (i = 0; i < 8; i++) {
		n = strlen(rfc_leaves[i]) / 2;
		ck_assert_int_eq(cm_hex_decode(rfc_leaves[i], 2 * n, b, 0), 0);
		ck_assert_int_eq(reg_log_append(ctx, b, n, &idx, &err), 0);
		ck_assert_uint_eq(idx, i);
	}
}

START_TEST(rfc6962_roots_from_database)
{
	reg_ctx *ctx = app();
	reg_error err = REG_ERROR_INIT;
	struct reg_hash root, want;
	int i;

	append_rfc(ctx);
	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(reg_log_root(ctx, (uint64_t)i + 1, &root, &err), 0);
		hexto(rfc_roots[i], &want);
		ck_assert_msg(memcmp(root.b, want.b, 32) == 0, "root of size %d", i + 1);
	}
	/* The empty tree: SHA-256 of nothing. */
	ck_assert_int_eq(reg_log_root(ctx, 0, &root, &err), 0);
	hexto("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", &want);
	ck_assert(memcmp(root.b, want.b, 32) == 0);
	reg_close(ctx);
}
END_TEST

START_TEST(rfc6962_published_proofs)
{
	reg_ctx *ctx = app();
	reg_error err = REG_ERROR_INIT;
	struct reg_proof *p = NULL;
	struct reg_hash want;

	append_rfc(ctx);
	/* Inclusion of leaf 0 in the tree of 8 (RFC 6962 test data). */
	ck_assert_int_eq(reg_log_prove_inclusion(ctx, 0, 8, &p, &err), 0);
	ck_assert_uint_eq(p->n, 3);
	hexto("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", &want);
	ck_assert(memcmp(p->hashes[0].b, want.b, 32) == 0);
	hexto("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", &want);
	ck_assert(memcmp(p->hashes[1].b, want.b, 32) == 0);
	hexto("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4", &want);
	ck_assert(memcmp(p->hashes[2].b, want.b, 32) == 0);
	reg_free(p);
	/* Consistency from 1 to 8. */
	ck_assert_int_eq(reg_log_prove_consistency(ctx, 1, 8, &p, &err), 0);
	ck_assert_uint_eq(p->n, 3);
	hexto("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", &want);
	ck_assert(memcmp(p->hashes[0].b, want.b, 32) == 0);
	reg_free(p);
	/* Consistency from 6 to 8. */
	ck_assert_int_eq(reg_log_prove_consistency(ctx, 6, 8, &p, &err), 0);
	ck_assert_uint_eq(p->n, 3);
	hexto("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", &want);
	ck_assert(memcmp(p->hashes[0].b, want.b, 32) == 0);
	hexto("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", &want);
	ck_assert(memcmp(p->hashes[1].b, want.b, 32) == 0);
	hexto("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7", &want);
	ck_assert(memcmp(p->hashes[2].b, want.b, 32) == 0);
	reg_free(p);
	reg_close(ctx);
}
END_TEST

START_TEST(proofs_verify_at_every_size)
{
	reg_ctx *ctx = app();
	reg_error err = REG_ERROR_INIT;
	struct reg_proof *p = NULL;
	struct reg_hash roots[70];
	uint64_t n, m, i;

	append_n(ctx, 70, "leaf");
	for (n = 1; n <= 70; n++)
		ck_assert_int_eq(reg_log_root(ctx, n, &roots[n - 1], &err), 0);
	for (n = 1; n <= 70; n++) {
		for (i = 0; i < n; i++) {
			ck_assert_int_eq(reg_log_prove_inclusion(ctx, i, n, &p, &err), 0);
			ck_assert_msg(reg_merkle_verify_inclusion(i, n, &p->leaf_hash,
			    p->hashes, p->n, &roots[n - 1], &err) == 0,
			    "inclusion %" PRIu64 " in %" PRIu64 ": %s", i, n, err.message);
			reg_free(p);
		}
		/* The same proofs read together, in a shuffled order with a
		 * repeat: equal to the ones read one by one. */
		{
			uint64_t idx[71];
			struct reg_proof *all[71], *one = NULL;
			size_t k, cnt = 0;

			for (i = 0; i < n; i++)
				idx[cnt++] = (i * 37) % n;
			idx[cnt++] = 0;
			ck_assert_int_eq(reg_log_prove_inclusions(ctx, idx, cnt, n, all,
			    &err), 0);
			for (k = 0; k < cnt; k++) {
				ck_assert_int_eq(reg_log_prove_inclusion(ctx, idx[k], n, &one,
				    &err), 0);
				ck_assert_uint_eq(all[k]->index, idx[k]);
				ck_assert_uint_eq(all[k]->size, n);
				ck_assert_uint_eq(all[k]->n, one->n);
				ck_assert(memcmp(&all[k]->leaf_hash, &one->leaf_hash, 32) == 0);
				ck_assert(memcmp(all[k]->hashes, one->hashes,
				    one->n * sizeof(one->hashes[0])) == 0);
				reg_free(one);
				reg_free(all[k]);
			}
		}
		for (m = 1; m <= n; m++) {
			ck_assert_int_eq(reg_log_prove_consistency(ctx, m, n, &p, &err), 0);
			ck_assert_msg(reg_merkle_verify_consistency(m, n, &roots[m - 1],
			    &roots[n - 1], p->hashes, p->n, &err) == 0,
			    "consistency %" PRIu64 " to %" PRIu64 ": %s", m, n, err.message);
			reg_free(p);
		}
	}
	/* Refused whole: an index beyond the size, a size beyond the log. */
	{
		uint64_t idx[3] = { 1, 69, 70 };
		struct reg_proof *all[3];

		ck_assert_int_eq(reg_log_prove_inclusions(ctx, idx, 3, 70, all, &err),
		    REG_ERANGE);
		ck_assert(all[0] == NULL && all[1] == NULL && all[2] == NULL);
		reg_error_clear(&err);
		ck_assert_int_eq(reg_log_prove_inclusions(ctx, idx, 2, 71, all, &err),
		    REG_ERANGE);
		ck_assert(all[0] == NULL && all[1] == NULL);
		ck_assert_int_eq(reg_log_prove_inclusions(ctx, idx, 0, 70, all, &err), 0);
	}
	reg_close(ctx);
}
END_TEST

START_TEST(batch_equals_single)
{
	reg_ctx *a = app(), *b;
	reg_error err = REG_ERROR_INIT;
	struct reg_leaf leaves[100];
	char bufs[100][16];
	struct reg_hash ra, rb;
	uint64_t first;
	int i;
	const char *ci_a = ci;

	for (i = 0; i < 100; i++) {
		leaves[i].len = (size_t)snprintf(bufs[i], sizeof(bufs[i]), "leaf-%d", i);
		leaves[i].data = bufs[i];
	}
	ck_assert_int_eq(reg_log_append_batch(a, leaves, 37, &first, &err), 0);
	ck_assert_uint_eq(first, 0);
	ck_assert_int_eq(reg_log_append_batch(a, leaves + 37, 63, &first, &err), 0);
	ck_assert_uint_eq(first, 37);
	ci = tu_db_migrated();
	b = app();
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(reg_log_append(b, bufs[i], strlen(bufs[i]), &first, &err), 0);
	ck_assert_int_eq(reg_log_root(a, 100, &ra, &err), 0);
	ck_assert_int_eq(reg_log_root(b, 100, &rb, &err), 0);
	ck_assert(memcmp(ra.b, rb.b, 32) == 0);
	(void)ci_a;
	reg_close(a);
	reg_close(b);
}
END_TEST

START_TEST(rollback_burns_no_index)
{
	reg_ctx *ctx = app();
	reg_error err = REG_ERROR_INIT;
	uint64_t idx;

	append_n(ctx, 3, "a");
	ck_assert_int_eq(reg_tx_begin(ctx, &err), 0);
	ck_assert_int_eq(reg_log_append(ctx, "x", 1, &idx, &err), 0);
	ck_assert_uint_eq(idx, 3);
	ck_assert_int_eq(reg_log_append(ctx, "y", 1, &idx, &err), 0);
	ck_assert_uint_eq(idx, 4);
	ck_assert_int_eq(reg_tx_rollback(ctx, &err), 0);
	ck_assert_uint_eq(log_size(ctx), 3);
	ck_assert_int_eq(reg_log_append(ctx, "z", 1, &idx, &err), 0);
	ck_assert_uint_eq(idx, 3);
	ck_assert_int_eq(reg_log_verify(ctx, key, NULL, &err), 0);
	reg_close(ctx);
}
END_TEST

START_TEST(bad_input_appends_nothing)
{
	reg_ctx *ctx = app();
	reg_error err = REG_ERROR_INIT;
	struct reg_proof *p = NULL;
	struct reg_hash root;
	static uint8_t big[REG_LOG_LEAF_MAX + 1];
	struct reg_leaf two[2] = { { "ok", 2 }, { big, sizeof(big) } };
	uint64_t idx;

	append_n(ctx, 4, "a");
	ck_assert_int_eq(reg_log_append(ctx, big, sizeof(big), &idx, &err), REG_ETOOBIG);
	reg_error_clear(&err);
	ck_assert_int_eq(reg_log_append_batch(ctx, two, 2, &idx, &err), REG_ETOOBIG);
	ck_assert_uint_eq(log_size(ctx), 4);
	/* Exactly the limit is accepted. */
	ck_assert_int_eq(reg_log_append(ctx, big, REG_LOG_LEAF_MAX, &idx, &err), 0);
	reg_error_clear(&err);
	ck_assert_int_eq(reg_log_prove_inclusion(ctx, 5, 5, &p, &err), REG_ERANGE);
	reg_error_clear(&err);
	ck_assert_int_eq(reg_log_prove_inclusion(ctx, 0, 6, &p, &err), REG_ERANGE);
	ck_assert_msg(strstr(err.message, "beyond the log") != NULL, "%s", err.message);
	reg_error_clear(&err);
	ck_assert_int_eq(reg_log_prove_consistency(ctx, 0, 5, &p, &err), REG_ERANGE);
	reg_error_clear(&err);
	ck_assert_int_eq(reg_log_prove_consistency(ctx, 4, 3, &p, &err), REG_ERANGE);
	reg_error_clear(&err);
	ck_assert_int_eq(reg_log_root(ctx, 99, &root, &err), REG_ERANGE);
	ck_assert_ptr_null(p);
	reg_close(ctx);
}
END_TEST

START_TEST(append_only_for_everyone)
{
	reg_ctx *ctx = app();
	char msg[512];

	append_n(ctx, 2, "a");
	reg_close(ctx);
	/* The superuser meets the triggers. */
	ck_assert_int_eq(tu_try_exec(ci, "UPDATE log_entry SET leaf = 'x' WHERE idx = 0",
	    msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "append-only") != NULL, "%s", msg);
	ck_assert_int_eq(tu_try_exec(ci, "DELETE FROM log_entry", msg, sizeof(msg)), -1);
	ck_assert_int_eq(tu_try_exec(ci, "TRUNCATE log_entry", msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "append-only") != NULL, "%s", msg);
	/* The programs' role has no UPDATE or DELETE at all. */
	ck_assert_int_eq(tu_try_exec(ci, "SET ROLE registry_app; "
	    "UPDATE log_entry SET leaf = 'x' WHERE idx = 0", msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "permission denied") != NULL, "%s", msg);
	ck_assert_int_eq(tu_try_exec(ci, "SET ROLE registry_app; DELETE FROM log_checkpoint",
	    msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "permission denied") != NULL, "%s", msg);
}
END_TEST

START_TEST(checkpoint_signed_and_made_on_growth)
{
	reg_ctx *ctx = app();
	reg_error err = REG_ERROR_INIT;
	struct reg_checkpoint cp, cp2;
	struct reg_hash root;
	char *note = NULL, *note2 = NULL, *text = NULL, *count;

	ck_assert_int_eq(reg_log_latest_checkpoint(ctx, &note, &cp, &err), REG_ENOTFOUND);
	reg_error_clear(&err);
	append_rfc(ctx);
	ck_assert_msg(reg_log_checkpoint(ctx, key, &note, &cp, &err) == 0, "%s", err.message);
	ck_assert_uint_eq(cp.size, 8);
	ck_assert_str_eq(cp.origin, "test.example/XX");
	ck_assert(strncmp(note, "test.example/XX\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqt"
	    "L0lgz+Nw7/RgQyg=\n\n\xe2\x80\x94 test.example/XX ", 72) == 0);
	ck_assert_int_eq(reg_note_verify(key, note, strlen(note), &text, &err), 0);
	reg_free(text);
	/* No growth: the same checkpoint. */
	ck_assert_int_eq(reg_log_checkpoint(ctx, key, &note2, &cp2, &err), 0);
	ck_assert_str_eq(note, note2);
	count = tu_query1(ci, "SELECT count(*) FROM log_checkpoint");
	ck_assert_str_eq(count, "1");
	free(count);
	reg_free(note2);
	/* Growth: a new one, consistent with the old. */
	append_n(ctx, 5, "more");
	ck_assert_int_eq(reg_log_checkpoint(ctx, key, &note2, &cp2, &err), 0);
	ck_assert_uint_eq(cp2.size, 13);
	ck_assert_int_eq(reg_log_root(ctx, 13, &root, &err), 0);
	ck_assert(memcmp(root.b, cp2.root.b, 32) == 0);
	ck_assert_int_eq(reg_log_verify(ctx, key, NULL, &err), 0);
	reg_free(note);
	reg_free(note2);
	reg_close(ctx);
}
END_TEST

/* Runs SQL as a superuser with the append-only triggers off, as an
 * attacker who owns the database would. */
static void
tamper(const char *sql)
{
	char full[2048];

	snprintf(full, sizeof(full), "SET session_replication_role = replica; %s", sql);
	tu_exec(ci, full);
}

/* A log of 20 leaves with checkpoints at 10 and 20. */
static reg_ctx *
prepared_log(void)
{
	reg_ctx *ctx = app();
	reg_error err = REG_ERROR_INIT;
	struct reg_log_report rep;

	append_n(ctx, 10, "rec");
	ck_assert_int_eq(reg_log_checkpoint(ctx, key, NULL, NULL, &err), 0);
	append_n(ctx, 10, "rec2");
	ck_assert_int_eq(reg_log_checkpoint(ctx, key, NULL, NULL, &err), 0);
	ck_assert_msg(reg_log_verify(ctx, key, &rep, &err) == 0, "%s", err.message);
	ck_assert_uint_eq(rep.entries, 20);
	ck_assert_uint_eq(rep.checkpoints, 2);
	return ctx;
}

static void
expect_caught(reg_ctx *ctx, int64_t bad_index, int64_t bad_ckpt, const char *words)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_log_report rep;

	ck_assert_int_eq(reg_log_verify(ctx, key, &rep, &err), REG_EVERIFY);
	ck_assert_msg(rep.bad_index == bad_index, "bad index %" PRId64 ", wanted %" PRId64
	    ": %s", rep.bad_index, bad_index, err.message);
	ck_assert_msg(rep.bad_checkpoint == bad_ckpt, "bad checkpoint %" PRId64
	    ", wanted %" PRId64 ": %s", rep.bad_checkpoint, bad_ckpt, err.message);
	ck_assert_msg(strstr(err.message, words) != NULL, "message: %s", err.message);
}

START_TEST(tamper_leaf_bytes)
{
	reg_ctx *ctx = prepared_log();

	tamper("UPDATE log_entry SET leaf = 'rec-7 forged' WHERE idx = 7");
	expect_caught(ctx, 7, -1, "leaf 7: its bytes do not have its stored hash");
	reg_close(ctx);
}
END_TEST

START_TEST(tamper_delete_leaf)
{
	reg_ctx *ctx = prepared_log();

	tamper("DELETE FROM log_entry WHERE idx = 12");
	expect_caught(ctx, 12, -1, "leaf 12 is missing");
	reg_close(ctx);
}
END_TEST

START_TEST(tamper_delete_last_leaves)
{
	reg_ctx *ctx = prepared_log();

	tamper("DELETE FROM log_entry WHERE idx >= 15");
	expect_caught(ctx, 15, 2, "leaves were removed");
	reg_close(ctx);
}
END_TEST

START_TEST(tamper_swap_leaves)
{
	reg_ctx *ctx = prepared_log();

	tamper("UPDATE log_entry SET leaf = CASE idx WHEN 3 THEN "
	    "(SELECT leaf FROM log_entry WHERE idx = 9) ELSE "
	    "(SELECT leaf FROM log_entry WHERE idx = 3) END WHERE idx IN (3, 9)");
	expect_caught(ctx, 3, -1, "leaf 3");
	reg_close(ctx);
}
END_TEST

START_TEST(tamper_swap_whole_rows)
{
	reg_ctx *ctx = prepared_log();

	/* Leaf and hash moved together: caught by the subtree above them. */
	tamper("UPDATE log_entry SET leaf = s.leaf, nodes = s.nodes FROM "
	    "(SELECT idx, leaf, nodes FROM log_entry WHERE idx IN (2, 4)) s "
	    "WHERE log_entry.idx IN (2, 4) AND s.idx = 6 - log_entry.idx");
	expect_caught(ctx, 2, -1, "leaves 2..3");
	reg_close(ctx);
}
END_TEST

START_TEST(tamper_stored_node)
{
	reg_ctx *ctx = prepared_log();

	/* Leaf 15 keeps the hashes of levels 1 to 4; change level 2's. */
	tamper("UPDATE log_entry SET nodes = overlay(nodes placing "
	    "'\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea "
	    "from 65 for 32) WHERE idx = 15");
	expect_caught(ctx, 12, -1, "level 2");
	reg_close(ctx);
}
END_TEST

START_TEST(tamper_checkpoint_other_key)
{
	reg_ctx *ctx = prepared_log();
	reg_error err = REG_ERROR_INIT;
	reg_key *other = NULL;
	char path[4200], *note = NULL, *text = NULL, sql[2048], *body;
	PGconn *c;
	PGresult *res;
	const char *params[1];

	/* Same origin, another key: a note that says the right things. */
	snprintf(path, sizeof(path), "%s/other.key", tmpdir);
	ck_assert_int_eq(reg_key_generate("test.example/XX", path, &err), 0);
	ck_assert_int_eq(reg_key_load(path, &other, &err), 0);
	body = tu_query1(ci, "SELECT split_part(note, E'\\n\\n', 1) || E'\\n' FROM log_checkpoint WHERE seq = 1");
	ck_assert_int_eq(reg_note_sign(other, body, &note, &err), 0);
	c = tu_connect(ci);
	params[0] = note;
	res = PQexecParams(c, "SET session_replication_role = replica", 0, NULL, NULL, NULL, NULL, 0);
	PQclear(res);
	res = PQexecParams(c, "UPDATE log_checkpoint SET note = $1 WHERE seq = 1", 1, NULL,
	    params, NULL, NULL, 0);
	ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	PQfinish(c);
	expect_caught(ctx, -1, 1, "checkpoint 1 (size 10) is not signed by test.example/XX");
	(void)text;
	(void)sql;
	free(body);
	reg_free(note);
	reg_key_free(other);
	reg_close(ctx);
}
END_TEST

START_TEST(fork_caught_against_kept_checkpoint)
{
	reg_ctx *ctx = prepared_log();
	char *saved_note, *saved_root, sql[4096];

	/* Keep the checkpoint of size 20 as a witness would, fork from leaf
	 * 15 with hashes recomputed, and put the kept checkpoint back. */
	saved_note = tu_query1(ci, "SELECT note FROM log_checkpoint WHERE seq = 2");
	saved_root = tu_query1(ci, "SELECT encode(root, 'hex') FROM log_checkpoint WHERE seq = 2");
	tamper("DELETE FROM log_entry WHERE idx >= 15; DELETE FROM log_checkpoint WHERE seq = 2");
	append_n(ctx, 5, "forged");
	/* The note came from our own database; quote it for SQL safely. */
	{
		PGconn *c = tu_connect(ci);
		const char *params[2] = { saved_note, saved_root };
		PGresult *res = PQexecParams(c,
		    "INSERT INTO log_checkpoint (size, root, note) VALUES (20, decode($2, 'hex'), $1)",
		    2, NULL, params, NULL, NULL, 0);

		ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
		PQclear(res);
		PQfinish(c);
	}
	(void)sql;
	expect_caught(ctx, -1, 3, "does not match the stored tree");
	free(saved_note);
	free(saved_root);
	reg_close(ctx);
}
END_TEST

/*
 * Issue 17, finding 9: deleting the newest checkpoint row (as a superuser,
 * triggers and foreign keys off) went unnoticed by reg_log_verify().  A
 * witness's cosignature of it stays in log_cosignature and names it.
 */
START_TEST(verify_names_deleted_cosigned_checkpoint)
{
	reg_ctx *ctx = prepared_log();
	reg_error err = REG_ERROR_INIT;
	reg_key *wit = NULL, *pub = NULL, *keys[1];
	char path[4200], *note = NULL, *line = NULL, *v = NULL, *body;
	size_t tl;

	snprintf(path, sizeof(path), "%s/wit.key", tmpdir);
	ck_assert_int_eq(reg_key_generate("witness.example/w", path, &err), 0);
	ck_assert_int_eq(reg_key_load(path, &wit, &err), 0);
	ck_assert_int_eq(reg_cosig_verifier(wit, &v, &err), 0);
	ck_assert_int_eq(reg_cosig_key_from_verifier(v, &pub, &err), 0);
	keys[0] = pub;
	ck_assert_int_eq(reg_log_latest_checkpoint(ctx, &note, NULL, &err), 0);
	ck_assert_int_eq(reg_cosign(wit, note, (uint64_t)time(NULL), &line, &err), 0);
	tl = (size_t)(strstr(note, "\n\n") - note) + 2;
	body = malloc(tl + strlen(line) + 1);
	ck_assert_ptr_nonnull(body);
	memcpy(body, note, tl);
	strcpy(body + tl, line);
	ck_assert_msg(reg_log_cosignature_add(ctx, keys, 1, body, strlen(body),
	    REG_COSIG_SKEW_DEFAULT, NULL, &err) == 0, "%s", err.message);

	tamper("DELETE FROM log_checkpoint WHERE seq = 2");
	expect_caught(ctx, -1, 2, "checkpoint 2");
	free(body);
	reg_free(line);
	reg_free(note);
	reg_free(v);
	reg_key_free(pub);
	reg_key_free(wit);
	reg_close(ctx);
}
END_TEST

/*
 * The same deletion with no witness: the checkpoint the daemon served,
 * kept outside the database ([log] served), names it.
 */
START_TEST(verify_names_deleted_served_checkpoint)
{
	reg_ctx *ctx = prepared_log();
	reg_error err = REG_ERROR_INIT;
	char *note = NULL;
	int64_t seq = 0;

	ck_assert_int_eq(reg_log_latest_checkpoint(ctx, &note, NULL, &err), 0);
	ck_assert_msg(reg_log_verify_served(ctx, key, note, &seq, &err) == 0, "%s",
	    err.message);
	ck_assert_int_eq(seq, 2);
	tamper("DELETE FROM log_checkpoint WHERE seq = 2");
	ck_assert_int_eq(reg_log_verify_served(ctx, key, note, &seq, &err),
	    REG_EVERIFY);
	ck_assert_int_eq(seq, -1);
	ck_assert_msg(strstr(err.message, "checkpoint of size 20") != NULL &&
	    strstr(err.message, "newest has size 10") != NULL, "%s", err.message);
	/* A note the log did not sign proves nothing. */
	reg_error_clear(&err);
	note[0] = note[0] == 'x' ? 'y' : 'x';
	ck_assert_int_eq(reg_log_verify_served(ctx, key, note, &seq, &err),
	    REG_EVERIFY);
	reg_free(note);
	reg_close(ctx);
}
END_TEST

START_TEST(checkpoint_refuses_altered_tree)
{
	reg_ctx *ctx = prepared_log();
	reg_error err = REG_ERROR_INIT;
	char *note = NULL;

	/* Leaf 19 keeps the level-2 hash of leaves 16..19, part of the root
	 * of size 20. */
	tamper("UPDATE log_entry SET nodes = overlay(nodes placing "
	    "'\\x1111111111111111111111111111111111111111111111111111111111111111'::bytea "
	    "from 65 for 32) WHERE idx = 19");
	append_n(ctx, 1, "new");
	ck_assert_int_eq(reg_log_checkpoint(ctx, key, &note, NULL, &err), REG_EVERIFY);
	ck_assert_msg(strstr(err.message, "no longer has the root of checkpoint 2") != NULL,
	    "%s", err.message);
	ck_assert_ptr_null(note);
	reg_close(ctx);
}
END_TEST

/*
 * Issue 17, finding 9: the daemon kept signing checkpoints over edited
 * leaves.  Before it signs, the log checks the leaves added since the
 * latest checkpoint (bytes against their hashes, the new root recomputed
 * from them, the records behind them re-encoded) and a sample of older
 * ones (all of them here: fewer than REG_LOG_CHECK_SAMPLE_DEFAULT).
 */

/* Three manufacturers (each a record and its first alias: leaves 0..5),
 * a checkpoint, one more (leaves 6 and 7) not yet in a checkpoint. */
static reg_ctx *
records_log(void)
{
	reg_ctx *ctx = app();
	reg_error err = REG_ERROR_INIT;
	static const char *const names[] = { "Alpha Arms", "Beta Guns", "Gamma Works",
		"Delta Steel" };
	int i;

	for (i = 0; i < 4; i++) {
		ck_assert_msg(reg_manufacturer_add(ctx, names[i], "BE", NULL, &err) == 0,
		    "%s", err.message);
		if (i == 2)
			ck_assert_msg(reg_log_checkpoint(ctx, key, NULL, NULL, &err) == 0,
			    "%s", err.message);
	}
	return ctx;
}

/* The next checkpoint is refused naming words, and nothing is signed. */
static void
expect_refused(reg_ctx *ctx, const char *words)
{
	reg_error err = REG_ERROR_INIT;
	char *note = NULL, *n;
	int r;

	r = reg_log_checkpoint(ctx, key, &note, NULL, &err);
	ck_assert_msg(r == REG_EVERIFY, "a checkpoint was signed over an edited log "
	    "(%d): %s", r, note != NULL ? note : err.message);
	ck_assert_msg(strstr(err.message, words) != NULL, "message: %s", err.message);
	ck_assert_ptr_null(note);
	n = tu_query1(ci, "SELECT count(*) FROM log_checkpoint");
	ck_assert_str_eq(n, "1");
	free(n);
}

START_TEST(checkpoint_refuses_edited_old_record)
{
	reg_ctx *ctx = records_log();

	tamper("UPDATE manufacturer SET name = 'Forged Arms' WHERE log_index = 2");
	expect_refused(ctx, "leaf 2");
	reg_close(ctx);
}
END_TEST

START_TEST(checkpoint_refuses_edited_old_leaf)
{
	reg_ctx *ctx = records_log();

	/* Leaf and its record edited alike, the leaf's hash left: the
	 * checkpoint's root no longer proves the leaf. */
	tamper("UPDATE manufacturer SET name = 'Forged Arms' WHERE log_index = 0; "
	    "UPDATE log_entry SET leaf = convert_to(replace(convert_from(leaf, 'UTF8'), "
	    "'Alpha Arms', 'Forged Arms'), 'UTF8') WHERE idx = 0");
	expect_refused(ctx, "leaf 0");
	reg_close(ctx);
}
END_TEST

START_TEST(checkpoint_refuses_edited_new_leaf)
{
	reg_ctx *ctx = records_log();

	tamper("UPDATE manufacturer SET name = 'Forged Steel' WHERE log_index = 6; "
	    "UPDATE log_entry SET leaf = convert_to(replace(convert_from(leaf, 'UTF8'), "
	    "'Delta Steel', 'Forged Steel'), 'UTF8') WHERE idx = 6");
	expect_refused(ctx, "leaf 6");
	reg_close(ctx);
}
END_TEST

START_TEST(checkpoint_refuses_edited_new_record)
{
	reg_ctx *ctx = records_log();

	tamper("UPDATE manufacturer SET name = 'Forged Steel' WHERE log_index = 6");
	expect_refused(ctx, "leaf 6");
	reg_close(ctx);
}
END_TEST

START_TEST(checkpoint_signs_untouched_records)
{
	reg_ctx *ctx = records_log();
	reg_error err = REG_ERROR_INIT;
	struct reg_checkpoint cp;

	ck_assert_msg(reg_log_checkpoint(ctx, key, NULL, &cp, &err) == 0, "%s",
	    err.message);
	ck_assert_uint_eq(cp.size, 8);
	reg_close(ctx);
}
END_TEST

/* A sample smaller than the log is drawn at random: a log that holds
 * signs at every size of sample; sample 0 checks the new leaves only. */
START_TEST(checkpoint_sample_sizes)
{
	reg_ctx *ctx = app();
	reg_error err = REG_ERROR_INIT;
	struct reg_checkpoint cp;
	static const uint64_t samples[] = { 0, 1, 7, 256, 257, 600, 100000 };
	size_t i;

	append_n(ctx, 500, "s");
	ck_assert_msg(reg_log_checkpoint(ctx, key, NULL, NULL, &err) == 0, "%s",
	    err.message);
	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		append_n(ctx, 3, "t");
		ck_assert_msg(reg_log_checkpoint_checked(ctx, key, samples[i], NULL,
		    &cp, &err) == 0, "sample %" PRIu64 ": %s", samples[i],
		    err.message);
		ck_assert_uint_eq(cp.size, 500 + 3 * (i + 1));
	}
	/* An old leaf edited, sample 0: only the new leaves are checked. */
	tamper("UPDATE log_entry SET leaf = 'forged' WHERE idx = 3");
	append_n(ctx, 1, "u");
	ck_assert_int_eq(reg_log_checkpoint_checked(ctx, key, 0, NULL, NULL, &err), 0);
	append_n(ctx, 1, "v");
	ck_assert_int_eq(reg_log_checkpoint_checked(ctx, key, 100000, NULL, NULL,
	    &err), REG_EVERIFY);
	ck_assert_msg(strstr(err.message, "leaf 3:") != NULL, "%s", err.message);
	reg_close(ctx);
}
END_TEST

/* Several processes append at once, each in its own transactions, some
 * rolling back: the committed leaves are gapless and the tree verifies. */
START_TEST(concurrent_writers)
{
	enum { WRITERS = 6, TXS = 15 };
	reg_ctx *ctx;
	reg_error err = REG_ERROR_INIT;
	pid_t pids[WRITERS];
	int i, st, committed = 0;
	char *v;

	for (i = 0; i < WRITERS; i++) {
		pids[i] = fork();
		ck_assert(pids[i] >= 0);
		if (pids[i] == 0) {
			reg_ctx *c = NULL;
			reg_error e = REG_ERROR_INIT;
			int t, ok = 0;
			uint64_t idx;
			char buf[64];

			if (reg_open(ci, 0, &c, &e) != 0)
				_exit(100);
			for (t = 0; t < TXS; t++) {
				int len = snprintf(buf, sizeof(buf), "w%d-t%d", i, t);

				if (reg_tx_begin(c, &e) != 0 ||
				    reg_log_append(c, buf, (size_t)len, &idx, &e) != 0 ||
				    reg_log_append(c, buf, (size_t)len, &idx, &e) != 0)
					_exit(101);
				usleep(500);
				if ((t + i) % 3 == 0) {
					if (reg_tx_rollback(c, &e) != 0)
						_exit(102);
				} else {
					if (reg_tx_commit(c, &e) != 0)
						_exit(103);
					ok++;
				}
			}
			reg_close(c);
			_exit(ok);
		}
	}
	for (i = 0; i < WRITERS; i++) {
		ck_assert(waitpid(pids[i], &st, 0) == pids[i]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) <= TXS,
		    "writer %d failed: %d", i, WEXITSTATUS(st));
		committed += WEXITSTATUS(st);
	}
	ctx = app();
	ck_assert_uint_eq(log_size(ctx), (uint64_t)committed * 2);
	v = tu_query1(ci, "SELECT count(*) = max(idx) + 1 FROM log_entry");
	ck_assert_str_eq(v, "t");
	free(v);
	ck_assert_int_eq(reg_log_checkpoint(ctx, key, NULL, NULL, &err), 0);
	ck_assert_msg(reg_log_verify(ctx, key, NULL, &err) == 0, "%s", err.message);
	reg_close(ctx);
}
END_TEST

static int
collect(uint64_t index, const uint8_t *leaf, size_t len, void *arg)
{
	char *acc = arg;
	size_t n = strlen(acc);

	snprintf(acc + n, 256 - n, "%" PRIu64 "=%.*s;", index, (int)len, (const char *)leaf);
	return 0;
}

START_TEST(entries_in_order)
{
	reg_ctx *ctx = app();
	reg_error err = REG_ERROR_INIT;
	char acc[256] = "";

	append_n(ctx, 5, "e");
	ck_assert_int_eq(reg_log_entries(ctx, 1, 4, collect, acc, &err), 0);
	ck_assert_str_eq(acc, "1=e-1;2=e-2;3=e-3;");
	acc[0] = '\0';
	ck_assert_int_eq(reg_log_entries(ctx, 2, 2, collect, acc, &err), 0);
	ck_assert_str_eq(acc, "");
	ck_assert_int_eq(reg_log_entries(ctx, 1, 6, collect, acc, &err), REG_ERANGE);
	reg_error_clear(&err);
	ck_assert_int_eq(reg_log_entries(ctx, 4, 3, collect, acc, &err), REG_ERANGE);
	reg_close(ctx);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, rfc6962_roots_from_database);
	tcase_add_test(tc, rfc6962_published_proofs);
	tcase_add_test(tc, proofs_verify_at_every_size);
	tcase_add_test(tc, batch_equals_single);
	tcase_add_test(tc, rollback_burns_no_index);
	tcase_add_test(tc, bad_input_appends_nothing);
	tcase_add_test(tc, append_only_for_everyone);
	tcase_add_test(tc, checkpoint_signed_and_made_on_growth);
	tcase_add_test(tc, checkpoint_refuses_altered_tree);
	tcase_add_test(tc, checkpoint_refuses_edited_old_record);
	tcase_add_test(tc, checkpoint_refuses_edited_old_leaf);
	tcase_add_test(tc, checkpoint_refuses_edited_new_leaf);
	tcase_add_test(tc, checkpoint_refuses_edited_new_record);
	tcase_add_test(tc, checkpoint_signs_untouched_records);
	tcase_add_test(tc, checkpoint_sample_sizes);
	tcase_add_test(tc, entries_in_order);
	tcase_add_test(tc, concurrent_writers);
	suite_add_tcase(s, tc);
	tc = tcase_create("tamper");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tamper_leaf_bytes);
	tcase_add_test(tc, tamper_delete_leaf);
	tcase_add_test(tc, tamper_delete_last_leaves);
	tcase_add_test(tc, tamper_swap_leaves);
	tcase_add_test(tc, tamper_swap_whole_rows);
	tcase_add_test(tc, tamper_stored_node);
	tcase_add_test(tc, tamper_checkpoint_other_key);
	tcase_add_test(tc, fork_caught_against_kept_checkpoint);
	tcase_add_test(tc, verify_names_deleted_cosigned_checkpoint);
	tcase_add_test(tc, verify_names_deleted_served_checkpoint);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
