/*
 * ingero-mcp - serve an analysis to AI assistants over the Model Context
 * Protocol: JSON-RPC 2.0, one message per line on stdin/stdout (the MCP
 * "stdio" transport); logs go to stderr only.
 *
 * Robustness: a message is at most --max-message bytes (longer lines are
 * skipped up to their newline and answered with -32600); malformed JSON gets
 * -32700, anything that is not a request -32600, unknown methods -32601, bad
 * parameters -32602; EOF ends the server cleanly (temporary files removed).
 * stdout is written with a deadline: a client that stops reading for 60 s
 * ends the server instead of blocking it forever.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingero.h"
#include "mcp.h"

struct mcp_server S;

/* protocol versions we speak, newest first */
static const char *const versions[] = { "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", NULL };

static size_t max_message = 4 << 20;
static int write_timeout_ms = 60000;

void mcp_log(const char *fmt, ...)
{
	va_list ap;
	if (ig_quiet)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", MCP_NAME);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ------------------------------------------------------------ output */

static void out_write(const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(1, s, n);
		if (w > 0) { s += w; n -= (size_t)w; continue; }
		if (w < 0 && errno == EINTR) continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = { .fd = 1, .events = POLLOUT };
			int r = poll(&p, 1, write_timeout_ms);
			if (r > 0 && !(p.revents & (POLLERR | POLLHUP | POLLNVAL))) continue;
			if (r < 0 && errno == EINTR) continue;
			mcp_log("the client stopped reading stdout for %d s: exiting", write_timeout_ms / 1000);
		} else if (w < 0 && errno != EPIPE) {
			mcp_log("stdout: %s: exiting", strerror(errno));
		}
		mcp_close_db();
		ig_analysis_release(&S.an);
		exit(0);
	}
}

static __attribute__((unused)) void send_json(json_object *o)
{
	size_t n;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	out_write(s, n);
	out_write("\n", 1);
}

static json_object *response(json_object *id, json_object *result)
{
	json_object *r = json_object_new_object();
	json_object_object_add(r, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(r, "id", id ? json_object_get(id) : NULL);
	json_object_object_add(r, "result", result);
	return r;
}

static json_object *error_resp(json_object *id, int code, const char *msg)
{
	json_object *r = json_object_new_object(), *e = json_object_new_object();
	json_object_object_add(r, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(r, "id", id ? json_object_get(id) : NULL);
	json_object_object_add(e, "code", json_object_new_int(code));
	json_object_object_add(e, "message", mcp_str(msg));
	json_object_object_add(r, "error", e);
	return r;
}

/* ------------------------------------------------------------- input */

static struct {
	char *buf;
	size_t len, cap;
	int eof;
	int discarding;          /* inside a line longer than max_message */
	size_t scanned;          /* bytes of buf already searched for cancellations */
} in;

/* ids of requests cancelled before we served them (JSON text of the id) */
static char *cancelled[64];
static int ncancelled;

static int fill(int block)
{
	if (in.eof) return 0;
	if (!block) {
		struct pollfd p = { .fd = 0, .events = POLLIN };
		if (poll(&p, 1, 0) <= 0) return 0;
	}
	if (in.cap - in.len < 65536) {
		in.cap = in.cap ? in.cap * 2 : 1 << 17;
		in.buf = xrealloc(in.buf, in.cap);
	}
	ssize_t r;
	do r = read(0, in.buf + in.len, in.cap - in.len);
	while (r < 0 && errno == EINTR);
	if (r <= 0) { in.eof = 1; return 0; }
	in.len += (size_t)r;
	return 1;
}

/* Next line (without the newline) into *line (malloc'ed); 1, 0 at EOF,
 * or 2 for a line over max_message (skipped). */
static int next_line(char **line, size_t *n, int block)
{
	for (;;) {
		char *nl = in.len ? memchr(in.buf, '\n', in.len) : NULL;
		if (nl) {
			size_t k = (size_t)(nl - in.buf);
			int was = in.discarding || k > max_message;
			if (!was) {
				*line = xstrndup(in.buf, k);
				*n = k;
			}
			memmove(in.buf, nl + 1, in.len - k - 1);
			in.len -= k + 1;
			in.scanned = in.scanned > k + 1 ? in.scanned - (k + 1) : 0;
			in.discarding = 0;
			if (was) return 2;
			return 1;
		}
		if (in.len > max_message) {
			in.discarding = 1;
			in.len = 0;
			in.scanned = 0;
		}
		if (!fill(block)) {
			if (!in.eof) return 0;
			if (in.len && !in.discarding) {    /* last line without a newline */
				*line = xstrndup(in.buf, in.len);
				*n = in.len;
				in.len = 0;
				return 1;
			}
			if (in.discarding) { in.discarding = 0; return 2; }
			return 0;
		}
	}
}

static json_object *parse(const char *s, size_t n, int *bad)
{
	json_tokener *tok = json_tokener_new_ex(64);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	/* s[n] is the NUL or the newline after the message: passing it ends
	 * a bare top-level number ("42") */
	json_object *o = json_tokener_parse_ex(tok, s, (int)(n >= INT32_MAX ? INT32_MAX : n + 1));
	size_t used = tok->char_offset;
	int err = json_tokener_get_error(tok) != json_tokener_success;
	json_tokener_free(tok);
	while (!err && used < n && (s[used] == ' ' || s[used] == '\n' || s[used] == '\t' || s[used] == '\r')) used++;
	if (err || !o || used < n || memchr(s, 0, n)) {
		json_object_put(o);
		*bad = 1;
		return NULL;
	}
	*bad = 0;
	return o;
}

static char *id_text(json_object *id)
{
	return xstrdup(json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN));
}

static void note_cancel(json_object *msg)
{
	json_object *m, *p, *rid;
	if (!json_object_object_get_ex(msg, "method", &m) || !json_object_is_type(m, json_type_string) ||
	    strcmp(json_object_get_string(m), "notifications/cancelled") ||
	    !json_object_object_get_ex(msg, "params", &p) || !json_object_object_get_ex(p, "requestId", &rid))
		return;
	char *t = id_text(rid);
	if (S.running_id && !strcmp(t, json_object_to_json_string_ext(S.running_id, JSON_C_TO_STRING_PLAIN))) {
		S.cancel_now = 1;
		free(t);
		return;
	}
	if (ncancelled == 64) { free(cancelled[0]); memmove(cancelled, cancelled + 1, 63 * sizeof *cancelled); ncancelled--; }
	cancelled[ncancelled++] = t;
}

static int was_cancelled(json_object *id)
{
	char *t = id_text(id);
	for (int i = 0; i < ncancelled; i++)
		if (!strcmp(cancelled[i], t)) {
			free(cancelled[i]);
			memmove(cancelled + i, cancelled + i + 1, (size_t)(ncancelled - i - 1) * sizeof *cancelled);
			ncancelled--;
			free(t);
			return 1;
		}
	free(t);
	return 0;
}

/* Read what is waiting on stdin without blocking and look for
 * cancellations among the complete lines (they stay queued). */
int mcp_no_stdin;

void mcp_poll_input(void)
{
	if (mcp_no_stdin) return;
	while (in.len < max_message && fill(0)) {}
	if (in.discarding) return;
	/* scan the complete lines that arrived for cancellations */
	size_t off = in.scanned;
	while (off < in.len) {
		char *nl = memchr(in.buf + off, '\n', in.len - off);
		if (!nl) break;
		size_t k = (size_t)(nl - (in.buf + off));
		if (k && memmem(in.buf + off, k, "notifications/cancelled", 23)) {
			int bad;
			json_object *o = parse(in.buf + off, k, &bad);
			if (o) note_cancel(o);
			json_object_put(o);
		}
		off += k + 1;
	}
	in.scanned = off;
}

/* ----------------------------------------------------------- protocol */

static int initialized;

static json_object *do_initialize(json_object *params)
{
	json_object *pv = NULL, *r = json_object_new_object(), *caps = json_object_new_object(), *t;
	const char *want = NULL, *ver = versions[0];
	if (params && json_object_object_get_ex(params, "protocolVersion", &pv) && json_object_is_type(pv, json_type_string))
		want = json_object_get_string(pv);
	for (int i = 0; want && versions[i]; i++)
		if (!strcmp(want, versions[i]))
			ver = versions[i];
	S.structured = strcmp(ver, "2025-06-18") >= 0;
	json_object_object_add(r, "protocolVersion", json_object_new_string(ver));
	t = json_object_new_object();
	json_object_object_add(t, "listChanged", json_object_new_boolean(0));
	json_object_object_add(caps, "tools", t);
	t = json_object_new_object();
	json_object_object_add(t, "listChanged", json_object_new_boolean(0));
	json_object_object_add(caps, "prompts", t);
	json_object_object_add(r, "capabilities", caps);
	t = json_object_new_object();
	json_object_object_add(t, "name", json_object_new_string(MCP_NAME));
	json_object_object_add(t, "title", json_object_new_string("Ingero-C GPU causal trace analysis"));
	json_object_object_add(t, "version", json_object_new_string(INGERO_VERSION));
	json_object_object_add(r, "serverInfo", t);
	char *ins = xasprintf(
		"Read-only analysis of one GPU trace (%s). Start with get_trace_stats and "
		"get_causal_chains, then get_steps, get_stacks and get_timeline to confirm a cause; run_sql for "
		"anything else (read-only SQLite; schema: SELECT name, sql FROM sqlite_master). Outputs are compact "
		"text; pass {\"verbose\": true} for full JSON. The prompt 'investigate' walks through it.",
		S.demo_name ? S.demo_name : S.input);
	json_object_object_add(r, "instructions", mcp_str(ins));
	free(ins);
	return r;
}

/* One message; returns a response to send or NULL. */
static json_object *handle(json_object *msg)
{
	json_object *v, *id = NULL, *params = NULL;
	int has_id;
	if (!json_object_is_type(msg, json_type_object))
		return error_resp(NULL, -32600, "Invalid Request: not a JSON object");
	has_id = json_object_object_get_ex(msg, "id", &id);
	if (has_id && id && !json_object_is_type(id, json_type_string) && !json_object_is_type(id, json_type_int))
		return error_resp(NULL, -32600, "Invalid Request: id must be a string or an integer");
	if (!json_object_object_get_ex(msg, "jsonrpc", &v) || !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "2.0"))
		return has_id ? error_resp(id, -32600, "Invalid Request: jsonrpc must be \"2.0\"") : NULL;
	if (!json_object_object_get_ex(msg, "method", &v) || !json_object_is_type(v, json_type_string)) {
		if (json_object_object_get_ex(msg, "result", NULL) || json_object_object_get_ex(msg, "error", NULL))
			return NULL;   /* a response: we send no requests, ignore it */
		return error_resp(has_id ? id : NULL, -32600, "Invalid Request: no method");
	}
	const char *m = json_object_get_string(v);
	if (json_object_object_get_ex(msg, "params", &params) && params &&
	    !json_object_is_type(params, json_type_object) && !json_object_is_type(params, json_type_array))
		return has_id ? error_resp(id, -32602, "Invalid params: params must be an object") : NULL;
	if (params && !json_object_is_type(params, json_type_object))
		params = NULL;
	if (!has_id) {             /* notifications */
		if (!strcmp(m, "notifications/initialized")) initialized = 1;
		else if (!strcmp(m, "notifications/cancelled")) note_cancel(msg);
		/* others (progress, roots/list_changed, ...) need nothing from us */
		return NULL;
	}
	if (!id)
		return error_resp(NULL, -32600, "Invalid Request: id must not be null");
	if (was_cancelled(id))
		return NULL;
	if (!strcmp(m, "initialize"))
		return response(id, do_initialize(params));
	if (!strcmp(m, "ping"))
		return response(id, json_object_new_object());
	if (!strcmp(m, "tools/list")) {
		json_object *r = json_object_new_object();
		json_object_object_add(r, "tools", mcp_tools_list());
		return response(id, r);
	}
	if (!strcmp(m, "prompts/list")) {
		json_object *r = json_object_new_object();
		json_object_object_add(r, "prompts", mcp_prompts_list());
		return response(id, r);
	}
	if (!strcmp(m, "tools/call") || !strcmp(m, "prompts/get")) {
		json_object *nm = NULL, *args = NULL;
		char err[512] = "";
		int code = -32602;
		if (!params || !json_object_object_get_ex(params, "name", &nm) || !json_object_is_type(nm, json_type_string))
			return error_resp(id, -32602, "Invalid params: 'name' (a string) is required");
		json_object_object_get_ex(params, "arguments", &args);
		if (args && !json_object_is_type(args, json_type_object))
			return error_resp(id, -32602, "Invalid params: 'arguments' must be an object");
		json_object *r;
		if (m[0] == 't') {
			S.running_id = id;
			S.cancel_now = 0;
			r = mcp_tool_call(json_object_get_string(nm), args, &code, err, sizeof err);
			S.running_id = NULL;
			if (S.cancel_now) { json_object_put(r); S.cancel_now = 0; return NULL; }
		} else {
			r = mcp_prompt_get(json_object_get_string(nm), args, err, sizeof err);
		}
		return r ? response(id, r) : error_resp(id, code, err);
	}
	char e[300];
	snprintf(e, sizeof e, "Method not found: %.200s", m);
	return error_resp(id, -32601, e);
}

/* One message line (line[n] must be its NUL or newline): the response to
 * send, or NULL.  The fuzz target (tests/mcp/fuzz_rpc.c) calls this. */
json_object *mcp_process_line(const char *line, size_t n)
{
	size_t k = 0;
	while (k < n && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r')) k++;
	if (k == n) return NULL;      /* blank line */
	int bad;
	json_object *msg = parse(line, n, &bad), *out = NULL;
	mcp_poll_input();     /* cancellations queued behind this message */
	if (bad) {
		out = error_resp(NULL, -32700, "Parse error: not valid JSON (one message per line, UTF-8)");
	} else if (json_object_is_type(msg, json_type_array)) {
		size_t len = json_object_array_length(msg);
		if (!len) {
			out = error_resp(NULL, -32600, "Invalid Request: empty batch");
		} else {
			out = json_object_new_array();
			for (size_t i = 0; i < len; i++) {
				json_object *x = handle(json_object_array_get_idx(msg, i));
				if (x) json_object_array_add(out, x);
			}
			if (!json_object_array_length(out)) { json_object_put(out); out = NULL; }
		}
	} else {
		out = handle(msg);
	}
	json_object_put(msg);
	return out;
}

static __attribute__((unused)) void serve(void)
{
	char *line;
	size_t n;
	int r;
	while ((r = next_line(&line, &n, 1)) != 0) {
		json_object *out;
		if (r == 2) {
			char e[128];
			snprintf(e, sizeof e, "Invalid Request: message longer than %zu bytes", max_message);
			out = error_resp(NULL, -32600, e);
		} else {
			out = mcp_process_line(line, n);
			free(line);
		}
		if (out) send_json(out);
		json_object_put(out);
	}
}

/* -------------------------------------------------------------- setup */

static struct {
	pthread_t th;
	int running;               /* a thread to join */
	int rc, ok;
	char *path;
	struct mcp_index ix;
} bg;

static void *index_thread(void *arg)
{
	(void)arg;
	sqlite3 *db = ig_db_open_ro(bg.path);
	bg.rc = -1;
	if (db) {
		sqlite3_exec(db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
		bg.rc = mcp_index_build(db, &bg.ix);
		sqlite3_close(db);
	}
	if (!bg.rc)
		mcp_log("indexed %llu events, %d node(s) in %.2f s%s", (unsigned long long)bg.ix.events, bg.ix.nnodes,
			bg.ix.scan_s, bg.ix.narrow ? " (event_rows)" : "");
	return NULL;
}

static void index_done(void)
{
	bg.running = 0;
	free(bg.path);
	bg.path = NULL;
	bg.ok = bg.rc == 0;
	if (bg.ok) S.ix = bg.ix;
	memset(&bg.ix, 0, sizeof bg.ix);
}

int mcp_index_wait(void)
{
	if (!bg.running) return bg.ok ? 0 : -1;
	for (;;) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
		if (pthread_timedjoin_np(bg.th, NULL, &ts) == 0) break;
		mcp_poll_input();
		if (S.cancel_now) return 1;
	}
	index_done();
	return bg.ok ? 0 : -1;
}

void mcp_close_db(void)
{
	if (bg.running) {
		mcp_index_stop = 1;
		pthread_join(bg.th, NULL);
		mcp_index_stop = 0;
		index_done();
	}
	if (S.guard) {
		ig_sqlguard_close(S.guard);
		free(S.guard);
		S.guard = NULL;
	}
	if (S.db) sqlite3_close(S.db);
	S.db = NULL;
	mcp_index_free(&S.ix);
}

int mcp_open_db(const char *path, char *msg, size_t msglen)
{
	sqlite3 *db = ig_db_open_ro(path);
	if (!db) {
		snprintf(msg, msglen, "%s: cannot open the analysis database", path);
		return -1;
	}
	sqlite3_exec(db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
	struct ig_sqlguard *g = xcalloc(1, sizeof *g);
	g->timeout_s = 5;
	g->timeout_opt = "timeout_s";
	g->memory_opt = "run_sql's memory limit";
	if (ig_sqlguard_open(g, path)) {
		snprintf(msg, msglen, "%s", g->msg);
		free(g);
		sqlite3_close(db);
		return -1;
	}
	mcp_close_db();
	S.db = db;
	S.guard = g;
	S.kind = ig_db_kind(db, "main");
	bg.path = xstrdup(path);
	bg.ok = 0;
	if (pthread_create(&bg.th, NULL, index_thread, NULL) != 0) {
		index_thread(NULL);
		index_done();
		if (!bg.ok) { snprintf(msg, msglen, "%s: cannot read the events", path); return -1; }
	} else {
		bg.running = 1;
	}
	return 0;
}

#ifndef MCP_NO_MAIN
static void usage(FILE *f)
{
	fprintf(f,
		"usage: " MCP_NAME " [options] [--db] INPUT\n"
		"Serves the analysis of INPUT to an AI assistant over the Model Context Protocol\n"
		"(JSON-RPC 2.0 on stdin/stdout; logs on stderr).  INPUT: an analysis database\n"
		"(ingero-analyze -o, or the original Ingero's .db), a recording directory, a\n"
		"merged recording or a bundle (analyzed once into a private temporary database,\n"
		"removed on exit).\n"
		"  --db INPUT          the input (same as the positional argument)\n"
		"  --max-message N     longest accepted message in bytes (default 4194304)\n"
		"  -q, --quiet         no log lines on stderr\n"
		"  -v, --verbose       more log lines\n"
		"  -h, --help          this text\n"
		"      --version       print the version\n"
		"Register it in a client (docs/mcp.md), e.g. Claude Code:\n"
		"  claude mcp add ingero -- " MCP_NAME " /path/to/trace.db\n"
		"Exit status: 0 when the client closes the connection, 1 error, 2 usage error.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'd' }, { "max-message", required_argument, NULL, 'M' },
		{ "quiet", no_argument, NULL, 'q' }, { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *input = NULL;
	int c;
	uint64_t u;
	ig_set_prog(MCP_NAME);
	signal(SIGPIPE, SIG_IGN);
	while ((c = ig_getopt(argc, argv, "hqv", lo, NULL)) != -1) {
		switch (c) {
		case 'd': input = optarg; break;
		case 'M':
			if (ig_parse_u64(optarg, 1024, 1ULL << 30, &u))
				return ig_usage_error("--max-message: '%s' is not a size in bytes (1024 .. 1073741824)", optarg);
			max_message = (size_t)u;
			break;
		case 'q': ig_quiet++; break;
		case 'v': ig_verbose++; break;
		case 'h': usage(stdout); return ig_exit(0);
		case 'V': ig_print_version(); return ig_exit(0);
		default: return IG_EXIT_USAGE;
		}
	}
	if (optind < argc && !input)
		input = argv[optind++];
	if (optind < argc)
		return ig_usage_error("one INPUT only (got '%s' too)", argv[optind]);
	if (!input)
		return ig_usage_error("no INPUT: give an analysis database, a recording or a bundle");
	if (!strcmp(input, "-"))
		return ig_usage_error("INPUT cannot be '-': stdin carries the MCP messages");
	if (isatty(1))
		mcp_log("note: this is an MCP server speaking JSON-RPC on stdin/stdout; register it in an "
			"MCP client (docs/mcp.md) rather than running it in a terminal");
	S.input = input;
	if (ig_analysis_open(&S.an, input, NULL))
		return IG_EXIT_FAIL;
	char msg[1200];
	if (mcp_open_db(S.an.path, msg, sizeof msg)) {
		ig_error("%s", msg);
		ig_analysis_release(&S.an);
		return IG_EXIT_FAIL;
	}
	mcp_log("serving %s (indexing its events in the background)", input);
	/* stdout must never block us forever: non-blocking writes with a deadline */
	struct stat sb;
	if (fstat(1, &sb) == 0 && (S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode)))
		fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
	serve();
	mcp_close_db();
	ig_analysis_release(&S.an);
	mcp_demo_cleanup();
	free(in.buf);
	for (int i = 0; i < ncancelled; i++) free(cancelled[i]);
	return 0;
}
#endif
