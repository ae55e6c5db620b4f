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
		char *p = xasprintf("%s/%s", path, e->d_name);
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

/* A directory of node recordings: each is imported as its own node, in
 * name order. */
static int node_recordings(struct importer *im, const char *path, char **subs, size_t n)
{
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = imp_recording(im, subs[i]);
	imp_set_input(im, path);   /* subs[] is freed by the caller */
	return rc;
}

/* An SQLite database: the original tool's, or ours */
static int database(struct importer *im, const char *path)
{
	imp_set_input(im, path);
	return legacy_import(im, path);
}

int input_import(struct importer *im, const char *path, const struct input_opts *o)
{
	struct stat st;
	int rc;
	(void)o;
	if (!strcmp(path, "-"))
		return imp_recording(im, path);
	if (stat(path, &st) != 0)
		return ig_error("%s: cannot open: %s", path, strerror(errno));
	if (S_ISREG(st.st_mode) && ig_is_sqlite(path))
		return database(im, path);
	if (S_ISDIR(st.st_mode) && !has_segments(path)) {
		char **subs;
		size_t n = node_dirs(path, &subs);
		rc = n ? node_recordings(im, path, subs, n) : imp_recording(im, path);
		for (size_t i = 0; i < n; i++)
			free(subs[i]);
		free(subs);
		return rc;
	}
	return imp_recording(im, path);
}
