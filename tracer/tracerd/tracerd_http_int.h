/*
 * tracerd's HTTP/1.1 reader (tracerd_http_read.c): the parsing half of the
 * strict framing that tracerd_http.c puts in front of evhttp, apart from
 * the connection, its timers and its answers, so that it can be driven
 * from a buffer (tests/fuzz/fuzz_http.c) by the very functions the daemon
 * runs.  Never installed.
 */
#ifndef TRACER_TRACERD_HTTP_INT_H
#define TRACER_TRACERD_HTTP_INT_H


#if !defined(REG_PART_TRACER) && !defined(REG_WHITEBOX)
#error "tracerd_http_int.h is internal to tracer/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include <stdint.h>

#include <event2/buffer.h>

#define TRD_HTTP_HEAD_MAX 16384		/* bytes of a header section */

/* Where the reader is in the connection's bytes. */
enum trd_http_state {
	TRD_HTTP_HEAD,			/* a header section (or nothing yet) */
	TRD_HTTP_BODY,			/* a Content-Length body */
	TRD_HTTP_CHUNK_SIZE,		/* a chunk's size line */
	TRD_HTTP_CHUNK_DATA,		/* a chunk's data */
	TRD_HTTP_CHUNK_END,		/* the CRLF after a chunk's data */
	TRD_HTTP_TRAILER,		/* the CRLF after the last chunk */
	TRD_HTTP_REFUSED		/* nothing more is read (a fault, or the
					 * close a request asked for) */
};

/* What the connection does with its deadline after a read: the reader
 * only says, the connection keeps the timer (header_timeout seconds). */
enum trd_http_timer {
	TRD_HTTP_TIMER_KEEP,		/* leave it as it is */
	TRD_HTTP_TIMER_START,		/* start it unless it is running */
	TRD_HTTP_TIMER_RESTART,		/* start it again from now */
	TRD_HTTP_TIMER_STOP		/* stop it */
};

struct trd_http_reader {
	struct evbuffer *raw;		/* read, not yet passed on */
	uint64_t body_max;		/* [limits] body_max */
	enum trd_http_state state;
	uint64_t left;			/* body or chunk bytes still to pass */
	uint64_t body;			/* chunked: the body's bytes so far */
	int close_after;		/* the last request passed asked it */
	const char *name;		/* refused: the problem type (static);
					 * NULL when closed after a request */
	char detail[160];		/* refused: what was wrong */
	/* What the last trd__http_read() did, for the connection: */
	enum trd_http_timer timer;
	int completed;			/* requests passed whole */
};

/* Makes r ready for a connection's first byte, with body_max.  Returns 0,
 * or -1 out of memory; trd__http_reader_clear() frees what it holds. */
int trd__http_reader_init(struct trd_http_reader *r, uint64_t body_max);
void trd__http_reader_clear(struct trd_http_reader *r);

/*
 * Reads src (all of it is taken) and appends to dst what of the
 * connection's bytes so far is sound: whole header sections (rewritten
 * without "Connection" and as HTTP/1.1 when the request asks for the
 * close), then exactly the body each announces.  Sets r->timer and
 * r->completed.  Returns -1 when this read found a fault (the state is
 * then TRD_HTTP_REFUSED, r->name and r->detail say which, and nothing
 * after the fault is passed), else 0.  Once the state is
 * TRD_HTTP_REFUSED it reads nothing more and returns 0: the caller drops
 * what arrives.
 */
int trd__http_read(struct trd_http_reader *r, struct evbuffer *src,
    struct evbuffer *dst);

/* Refuses the connection's input from now on with the problem type name
 * (a static string) and detail; a reader refused already stays as it is. */
void trd__http_refuse(struct trd_http_reader *r, const char *name,
    const char *detail);

#endif
