/* analysis.c - an analysis database for any input (see db.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "db.h"

/* ingero-analyze beside /proc/self/exe, else the name for execvp's PATH */
static char *analyze_path(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			char *p = xasprintf("%s/ingero-analyze", self);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return xstrdup("ingero-analyze");
}

/* 1 when the database at path is to be (re)analyzed under flags: the
 * original tool's .db with IG_ANALYSIS_IMPORT_ORIGINAL, ours without the
 * engine's schema_info keys (ingero-analyze --no-report) with
 * IG_ANALYSIS_ENGINE */
static int needs_analysis(const char *path, unsigned flags)
{
	sqlite3 *db = NULL;
	char *uri = ig_db_uri(path, "mode=ro&immutable=1");
	int kind = IG_DB_OTHER, engine = 0;
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) == SQLITE_OK) {
		kind = ig_db_kind(db, "main");
		if (kind == IG_DB_OURS)
			engine = ig_db_int(db, "SELECT count(*) FROM schema_info WHERE key = 'engine.events'", 0) > 0;
	}
	sqlite3_close(db);
	free(uri);
	return (kind == IG_DB_ORIGINAL && (flags & IG_ANALYSIS_IMPORT_ORIGINAL)) ||
	       (kind == IG_DB_OURS && !engine && (flags & IG_ANALYSIS_ENGINE));
}

/* Copy the child's stderr to ours line by line, its "ingero-analyze: "
 * prefix replaced by this tool's name; returns the number of lines that
 * are not warnings. */
static int relay_stderr(int fd)
{
	static const char pre[] = "ingero-analyze: ";
	char buf[4096];
	size_t len = 0;
	int errors = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0)
			len += (size_t)n;
		/* print every complete line (or a full buffer, or the rest at EOF) */
		char *start = buf, *nl;
		buf[len] = 0;
		while ((nl = memchr(start, '\n', len - (size_t)(start - buf))) ||
		       (n <= 0 && start < buf + len) || (len == sizeof buf - 1 && start == buf)) {
			char *end = nl ? nl : buf + len;
			*end = 0;
			const char *msg = strncmp(start, pre, sizeof pre - 1) ? start : start + sizeof pre - 1;
			if (!strncmp(start, pre, sizeof pre - 1)) {
				if (strncmp(msg, "warning: ", 9))
					errors++;
				fprintf(stderr, "%s: %s\n", ig_prog(), msg);
			} else {
				fprintf(stderr, "%s\n", msg);
			}
			start = end + (nl ? 1 : 0);
			if (!nl)
				break;
		}
		len -= (size_t)(start - buf);
		memmove(buf, start, len);
		if (n <= 0)
			break;
	}
	return errors;
}

int ig_analysis_open(struct ig_analysis *a, const char *input, const char *const *extra)
{
	return ig_analysis_open_flags(a, input, extra, 0);
}

int ig_analysis_open_flags(struct ig_analysis *a, const char *input, const char *const *extra, unsigned flags)
{
	memset(a, 0, sizeof *a);
	if (strcmp(input, "-") && ig_is_sqlite(input) && !needs_analysis(input, flags)) {
		a->path = xstrdup(input);
		return 0;
	}
	if (!(a->dir = ig_tmpdir_create()))
		return -1;
	a->path = xasprintf("%s/analysis.db", a->dir);
	ig_tmp_register(a->path);
	char *prog = analyze_path();
	const char *argv[64];
	int n = 0;
	argv[n++] = prog;
	argv[n++] = "-q";   /* the engine runs (chains, steps); its report goes to /dev/null */
	argv[n++] = "-o";
	argv[n++] = a->path;
	for (int i = 0; extra && extra[i] && n < 60; i++)
		argv[n++] = extra[i];
	argv[n++] = "--";
	argv[n++] = input;
	argv[n] = NULL;
	fflush(NULL);
	int pfd[2];
	if (pipe(pfd) < 0) {
		ig_error("cannot start %s: %s", prog, strerror(errno));
		free(prog);
		ig_analysis_release(a);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		ig_error("cannot start %s: %s", prog, strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		free(prog);
		ig_analysis_release(a);
		return -1;
	}
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0)
			dup2(fd, 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		execvp(prog, (char *const *)argv);
		fprintf(stderr, "ingero-analyze: cannot run %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	/* The analyzer's messages are the caller's: "ingero-analyze: x" is
	   passed on as "<prog>: x", one line each, as they come. */
	int errors = relay_stderr(pfd[0]);
	close(pfd[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	free(prog);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		if (!errors || !WIFEXITED(st))
			ig_error("%s: could not be analyzed (ingero-analyze %s %d)", input,
				 WIFEXITED(st) ? "exited with" : "killed by signal",
				 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		ig_analysis_release(a);
		return -1;
	}
	return 0;
}

void ig_analysis_release(struct ig_analysis *a)
{
	if (!a)
		return;
	if (a->dir && a->path) {
		unlink(a->path);
		ig_tmp_unregister(a->path);
	}
	if (a->dir) {
		rmdir(a->dir);
		ig_tmp_unregister(a->dir);
	}
	free(a->path);
	free(a->dir);
	a->path = a->dir = NULL;
}
