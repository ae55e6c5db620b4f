/* inputs.c - what each input of ingero-analyze is, and who reads it:
 *
 *   an SQLite database   the original Go tool's (legacy.c) or ours (ours.c)
 *   a directory of node recordings (subdirectories holding segments)
 *                        each subdirectory is a node (import.c), after the
 *                        unmerged-clock check below
 *   anything else        one recording: a segment file, a recording
 *                        directory, a bundle, "-" (import.c)
 *
 * The importers never call each other; this file is the only one that knows
 * them all. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "db.h"
#include "analyze.h"

static int has_segments(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;
	if (!d)
		return 0;
	while (!found && (e = readdir(d)))
		if (!strncmp(e->d_name, "seg-", 4) && strstr(e->d_name, ".igz"))
			found = 1;
	closedir(d);
	return found;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the subdirectories of path that hold segments, in name order */
static size_t node_dirs(const char *path, char ***out)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char **subs = NULL;
	size_t n = 0, cap = 0;
	*out = NULL;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		size_t pl = strlen(path);
		char *p = xasprintf("%s%s%s", path, pl && path[pl - 1] == '/' ? "" : "/", e->d_name);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode) && has_segments(p)) {
			ig_grow(&subs, &cap, n + 1, sizeof *subs);
			subs[n++] = p;
		} else {
			free(p);
		}
	}
	closedir(d);
	if (n > 1)
		qsort(subs, n, sizeof *subs, cmpstr);
	*out = subs;
	return n;
}

/* Bytes of input under path (files, segments of directories and of their
 * subdirectories), for the progress line; 0 for stdin. */
uint64_t input_bytes(const char *path)
{
	struct stat st;
	if (!strcmp(path, "-") || stat(path, &st) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	uint64_t sum = 0;
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *p = xasprintf("%s/%s", path, e->d_name);
		if (stat(p, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				sum += has_segments(p) ? input_bytes(p) : 0;
			else if (S_ISREG(st.st_mode) && !strncmp(e->d_name, "seg-", 4))
				sum += (uint64_t)st.st_size;
		}
		free(p);
	}
	if (d)
		closedir(d);
	return sum;
}

/* s, quoted for a POSIX shell when it needs it (malloc'ed) */
static char *shq(const char *s)
{
	if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._+-=:,@%") == strlen(s))
		return xstrdup(s);
	size_t n = 3;
	for (const char *p = s; *p; p++)
		n += *p == '\'' ? 4 : 1;
	char *q = xmalloc(n), *w = q;
	*w++ = '\'';
	for (const char *p = s; *p; p++) {
		if (*p == '\'') {
			memcpy(w, "'\\''", 4);
			w += 4;
		} else {
			*w++ = *p;
		}
	}
	*w++ = '\'';
	*w = 0;
	return q;
}

/* "cannot analyze unmerged node recordings" with the command that merges
 * them: ingero-merge P... -o OUT && ingero-analyze OUT [the user's options] */
static int refuse_unmerged(const char *what, const char *names, char *const *paths, const char *out,
			   const struct input_opts *o)
{
	size_t len = 64 + strlen(out) * 8;
	for (int i = 0; i < o->nopts; i++)
		len += strlen(o->opts[i]) * 4 + 3;
	for (size_t i = 0; paths[i]; i++)
		len += strlen(paths[i]) * 4 + 3;
	char *cmd = xcalloc(1, len), *q;
	strcat(cmd, "ingero-merge");
	for (size_t i = 0; paths[i]; i++) {
		strcat(cmd, " ");
		strcat(cmd, q = shq(paths[i]));
		free(q);
	}
	strcat(cmd, " -o ");
	strcat(cmd, q = shq(out));
	strcat(cmd, " && ingero-analyze ");
	strcat(cmd, q);
	free(q);
	for (int i = 0; i < o->nopts; i++) {
		strcat(cmd, " ");
		strcat(cmd, q = shq(o->opts[i]));
		free(q);
	}
	ig_error("%s: node recordings that are not merged (%s): their clocks are not corrected, so "
		 "cross-node findings would be wrong; merge them first: %s   (or --no-merge-check "
		 "to analyze them as they are)", what, names, cmd);
	free(cmd);
	return -1;
}

int input_check_merged(struct importer *im, const struct input_opts *o)
{
	char *names, **paths;
	size_t n = imp_unmerged(im, &names, &paths);
	int rc = 0;
	if (n && o->no_merge_check)
		imp_warn(im, "%zu node recordings analyzed without clock correction (%s): "
			 "cross-node findings may be wrong", n, names);
	else if (n)
		rc = refuse_unmerged("inputs", names, paths, "merged.igz", o);
	free(names);
	free(paths);
	return rc;
}

/* A directory of node recordings: each is imported as its own node, in
 * name order, with --no-merge-check only. */
static int node_recordings(struct importer *im, const char *path, char **subs, size_t n,
			   const struct input_opts *o)
{
	int rc = 0;
	if (n > 1 && !o->no_merge_check) {
		/* OUT: DIR.igz beside DIR ("merged.igz" for . and /) */
		char *out = xstrdup(path);
		size_t l = strlen(out);
		while (l > 1 && out[l - 1] == '/')
			out[--l] = 0;
		const char *b = strrchr(out, '/');
		b = b ? b + 1 : out;
		char *name = (!*b || !strcmp(b, ".") || !strcmp(b, "..")) ? xstrdup("merged.igz")
									 : xasprintf("%s.igz", out);
		size_t cap = 0, len = 1;
		char *names = NULL;
		for (size_t i = 0; i < n; i++)
			len += strlen(subs[i]) + 2;
		names = xcalloc(1, len);
		for (size_t i = 0; i < n; i++) {
			const char *s = strrchr(subs[i], '/');
			if (i)
				strcat(names, ", ");
			strcat(names, s ? s + 1 : subs[i]);
		}
		char **paths = NULL;
		ig_grow(&paths, &cap, n + 1, sizeof *paths);
		memcpy(paths, subs, n * sizeof *paths);
		paths[n] = NULL;
		rc = refuse_unmerged(path, names, paths, name, o);
		free(paths);
		free(names);
		free(name);
		free(out);
		return rc;
	}
	for (size_t i = 0; i < n && !rc; i++)
		rc = imp_recording(im, subs[i]);
	imp_set_input(im, path);   /* subs[] is freed by the caller */
	return rc;
}

/* An SQLite database: the original tool's, or ours */
static int database(struct importer *im, const char *path)
{
	sqlite3 *db = ig_db_open_ro(path);
	if (!db)
		return -1;
	int kind = ig_db_kind(db, "main");
	sqlite3_close(db);
	imp_set_input(im, path);
	return kind == IG_DB_OURS ? ours_import(im, path) : legacy_import(im, path);
}

int input_import(struct importer *im, const char *path, const struct input_opts *o)
{
	struct stat st;
	int rc;
	if (!strcmp(path, "-"))
		return imp_recording(im, path);
	if (stat(path, &st) != 0)
		return ig_error("%s: cannot open: %s", path, strerror(errno));
	if (S_ISREG(st.st_mode) && ig_is_sqlite(path))
		return database(im, path);
	if (S_ISDIR(st.st_mode) && !has_segments(path)) {
		char **subs;
		size_t n = node_dirs(path, &subs);
		rc = n ? node_recordings(im, path, subs, n, o) : imp_recording(im, path);
		for (size_t i = 0; i < n; i++)
			free(subs[i]);
		free(subs);
		return rc;
	}
	return imp_recording(im, path);
}
