/* out.c - safe output files, scratch files removed on signals, checked
 * stdout (see common.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

/* Registered temporaries, removed by the signal handler.  A fixed table of
 * fixed buffers: the handler may only call async-signal-safe functions. */
#define TMP_SLOTS 16
static char tmp_paths[TMP_SLOTS][PATH_MAX];
static volatile sig_atomic_t tmp_used[TMP_SLOTS];   /* 1 file, 2 directory */
static int handlers_set;

static void on_signal(int sig)
{
	for (int i = 0; i < TMP_SLOTS; i++)
		if (tmp_used[i] == 1)
			unlink(tmp_paths[i]);
	for (int i = 0; i < TMP_SLOTS; i++)   /* directories after their files */
		if (tmp_used[i] == 2)
			rmdir(tmp_paths[i]);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void set_handlers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	if (handlers_set)
		return;
	handlers_set = 1;
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction sa, old;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		/* keep an ignored signal ignored (nohup, a shell's background job) */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

static void tmp_add(const char *path, int kind)
{
	if (!path || strlen(path) >= PATH_MAX)
		return;
	set_handlers();
	for (int i = 0; i < TMP_SLOTS; i++)
		if (!tmp_used[i]) {
			memcpy(tmp_paths[i], path, strlen(path) + 1);
			tmp_used[i] = kind;
			return;
		}
}

void ig_tmp_register(const char *path)
{
	tmp_add(path, 1);
}

char *ig_tmpdir_create(void)
{
	const char *td = getenv("TMPDIR");
	char *d = xasprintf("%s/%s-XXXXXX", td && *td ? td : "/tmp", ig_prog());
	if (!mkdtemp(d)) {
		ig_error("%s: cannot create a temporary directory: %s", d, strerror(errno));
		free(d);
		return NULL;
	}
	tmp_add(d, 2);
	return d;
}

void ig_tmp_remove_all(void)
{
	for (int i = 0; i < TMP_SLOTS; i++)
		if (tmp_used[i] == 1) {
			unlink(tmp_paths[i]);
			tmp_used[i] = 0;
		}
	for (int i = 0; i < TMP_SLOTS; i++)
		if (tmp_used[i] == 2) {
			rmdir(tmp_paths[i]);
			tmp_used[i] = 0;
		}
}

void ig_tmp_unregister(const char *path)
{
	if (!path)
		return;
	for (int i = 0; i < TMP_SLOTS; i++)
		if (tmp_used[i] && !strcmp(tmp_paths[i], path)) {
			tmp_used[i] = 0;
			return;
		}
}

int ig_exists(const char *path)
{
	struct stat sb;
	return lstat(path, &sb) == 0;
}

static char *dir_of(const char *path)
{
	char *c = xstrdup(path);
	char *d = xstrdup(dirname(c));
	free(c);
	return d;
}

char *ig_tmp_create(const char *near, const char *suffix)
{
	char *dir;
	const char *base = "ingero";
	if (near) {
		dir = dir_of(near);
		char *c = xstrdup(near);
		char *p = xasprintf("%s/.%s.XXXXXX%s", dir, basename(c), suffix ? suffix : "");
		free(c);
		free(dir);
		dir = p;
	} else {
		const char *td = getenv("TMPDIR");
		dir = xasprintf("%s/%s-%s-XXXXXX%s", td && *td ? td : "/tmp", base, ig_prog(),
				suffix ? suffix : "");
	}
	int fd = mkstemps(dir, suffix ? (int)strlen(suffix) : 0);
	if (fd < 0) {
		ig_error("%s: cannot create a temporary file: %s", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	close(fd);
	ig_tmp_register(dir);
	return dir;
}

int ig_out_open(struct ig_out *o, const char *path, unsigned flags)
{
	struct stat sb;
	memset(o, 0, sizeof *o);
	o->path = path;
	if (!path || !*path)
		return ig_error("no output file given");
	if (!strcmp(path, "-")) {
		if (flags & IG_OUT_NOSTDOUT)
			return ig_error("-: this output cannot go to stdout; give a file name");
		o->is_stdout = 1;
		o->f = stdout;
		return 0;
	}
	if (lstat(path, &sb) == 0) {
		if (S_ISLNK(sb.st_mode))
			return ig_error("%s: is a symbolic link; refusing to write through it", path);
		if (S_ISDIR(sb.st_mode))
			return ig_error("%s: is a directory", path);
		if (!S_ISREG(sb.st_mode))
			return ig_error("%s: not a regular file (device, FIFO or socket); refusing to replace it",
					path);
		if (!(flags & IG_OUT_FORCE))
			return ig_error("%s: already exists (use --force to replace it)", path);
	} else if (errno != ENOENT) {
		return ig_error("%s: %s", path, strerror(errno));
	}
	o->tmp = ig_tmp_create(path, NULL);
	if (!o->tmp)
		return -1;
	if (!(flags & IG_OUT_NOFILE)) {
		o->f = fopen(o->tmp, "wb");
		if (!o->f) {
			ig_error("%s: %s", o->tmp, strerror(errno));
			ig_out_abort(o);
			return -1;
		}
	}
	return 0;
}

void ig_out_abort(struct ig_out *o)
{
	if (!o)
		return;
	if (o->f && !o->is_stdout)
		fclose(o->f);
	o->f = NULL;
	if (o->tmp) {
		unlink(o->tmp);
		ig_tmp_unregister(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
	}
}

int ig_out_commit(struct ig_out *o)
{
	if (o->is_stdout) {
		if (fflush(stdout) || ferror(stdout))
			return ig_error("stdout: %s", strerror(errno ? errno : EIO));
		return 0;
	}
	if (!o->tmp)
		return ig_error("%s: output already closed", o->path ? o->path : "?");
	if (o->f) {
		int bad = fflush(o->f) != 0 || ferror(o->f);
		int e = errno;
		if (!bad && fsync(fileno(o->f)) != 0 && errno != EINVAL)
			bad = 1, e = errno;
		if (fclose(o->f) != 0 && !bad)
			bad = 1, e = errno;
		o->f = NULL;
		if (bad) {
			ig_error("%s: %s", o->path, strerror(e ? e : EIO));
			ig_out_abort(o);
			return -1;
		}
	}
	/* the target may have appeared meanwhile as something we never replace */
	struct stat sb;
	if (lstat(o->path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		ig_error("%s: became something other than a regular file; output left in %s", o->path,
			 o->tmp);
		ig_tmp_unregister(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	if (rename(o->tmp, o->path) != 0) {
		ig_error("%s: %s", o->path, strerror(errno));
		ig_out_abort(o);
		return -1;
	}
	ig_tmp_unregister(o->tmp);
	free(o->tmp);
	o->tmp = NULL;
	return 0;
}

int ig_exit(int rc)
{
	int bad = 0, e = 0;
	if (fflush(stdout) != 0 || ferror(stdout))
		bad = 1, e = errno;
	if (fclose(stdout) != 0 && !bad)
		bad = 1, e = errno;
	if (bad && e != EBADF) {
		fprintf(stderr, "%s: stdout: %s\n", ig_prog(), strerror(e ? e : EIO));
		return rc ? rc : IG_EXIT_FAIL;
	}
	return rc;
}
