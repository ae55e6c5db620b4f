/* bundle.c - `ingero-record bundle -o FILE.tar.zst [DIR]`: one file to attach
 * to a support request.  A pax tar compressed with zstd (libarchive) holding
 *   rec/seg-*.igz      the recording's segments (every offline tool reads the
 *                      bundle in place: ingero-dump bundle.tar.zst)
 *   recorder.log       DIR/recorder.log when present
 *   check.txt/.json    `ingero-record check`, run in-process
 *   system.txt         kernel, OS, CPU, memory, NVIDIA driver and GPUs
 *   bundle.txt         when/how the bundle was made, files left out and why
 *   MANIFEST.sha256    sha256 of every member (`sha256sum -c MANIFEST.sha256`)
 * Member names are ours (rec/ + a checked basename); files in DIR with odd
 * names, symlinks and non-regular files are left out, never followed. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "ingero.h"
#include "check.h"
#include "record.h"
#include "sha256.h"

struct bundle {
	struct archive *a;
	FILE *manifest;          /* memstream: "<hex>  <name>\n" */
	char *mbuf;
	size_t mlen;
	FILE *info;              /* memstream: bundle.txt */
	char *ibuf;
	size_t ilen;
	time_t now;
	int members;
	char err[PATH_MAX + 512];
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ingero-record bundle -o FILE.tar.zst [--force] [DIR]\n"
		"       ingero-record bundle --hash FILE...\n"
		"Writes a support bundle: the recording in DIR (default ~/.ingero/rec/<host>/)\n"
		"under rec/, DIR/recorder.log, the output of 'ingero-record check' (check.txt,\n"
		"check.json), system information (system.txt) and MANIFEST.sha256.  Every\n"
		"offline tool reads the bundle directly (ingero-analyze bundle.tar.zst).\n"
		"  -o FILE    output file ('-' = stdout); refuses to overwrite without --force\n"
		"  --force    overwrite FILE if it exists\n"
		"  --hash     print the SHA-256 of each FILE (sha256sum format; self-test)\n");
}

/* names we put in the archive: no path separators, no leading dot, no
 * control or shell-special characters (they also go into MANIFEST lines) */
static int safe_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 200 || s[0] == '.' || s[0] == '-')
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-' ||
		      *p == '+' || *p == '@'))
			return 0;
	return 1;
}

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

static int arc_fail(struct bundle *b, const char *what)
{
	snprintf(b->err, sizeof(b->err), "%s: %s", what, archive_error_string(b->a) ?
		 archive_error_string(b->a) : "archive error");
	return -1;
}

static struct archive_entry *entry_new(const char *name, int64_t size, time_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return NULL;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, size);
	archive_entry_set_mtime(e, mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	return e;
}

static void manifest_add(struct bundle *b, const char *name, struct sha256 *h)
{
	uint8_t d[32];
	char hex[65];
	sha256_final(h, d);
	sha256_hex(d, hex);
	fprintf(b->manifest, "%s  %s\n", hex, name);
	b->members++;
}

static int add_mem(struct bundle *b, const char *name, const void *data, size_t len,
		   int in_manifest)
{
	struct archive_entry *e = entry_new(name, (int64_t)len, b->now);
	if (!e) {
		snprintf(b->err, sizeof(b->err), "out of memory");
		return -1;
	}
	int r = archive_write_header(b->a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return arc_fail(b, name);
	if (len && archive_write_data(b->a, data, len) != (la_ssize_t)len)
		return arc_fail(b, name);
	if (archive_write_finish_entry(b->a) != ARCHIVE_OK)
		return arc_fail(b, name);
	if (in_manifest) {
		struct sha256 h;
		sha256_init(&h);
		sha256_update(&h, data, len);
		manifest_add(b, name, &h);
	}
	return 0;
}

/* Copy one regular file (not followed if a symlink).  Returns 0, 1 when the
 * file was left out (vanished, not regular: noted in bundle.txt), -1 on an
 * archive error. */
static int add_file(struct bundle *b, const char *name, const char *path, dev_t skip_dev,
		    ino_t skip_ino)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		fprintf(b->info, "left out %s: %s\n", path, strerror(errno));
		return 1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_dev == skip_dev && st.st_ino == skip_ino)) {
		fprintf(b->info, "left out %s: not a regular file\n", path);
		close(fd);
		return 1;
	}
	/* a live recording grows: take the size now, copy exactly that much (the
	 * reader treats a cut last frame as truncation, as after a crash) */
	int64_t size = st.st_size;
	struct archive_entry *e = entry_new(name, size, st.st_mtime);
	if (!e) {
		close(fd);
		snprintf(b->err, sizeof(b->err), "out of memory");
		return -1;
	}
	int r = archive_write_header(b->a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK) {
		close(fd);
		return arc_fail(b, name);
	}
	struct sha256 h;
	sha256_init(&h);
	static char buf[1 << 16];
	int64_t left = size;
	while (left > 0) {
		size_t want = left < (int64_t)sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t got = read(fd, buf, want);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			/* shrank under us: pad with zeros so the tar stays consistent,
			 * and hash what we stored */
			fprintf(stderr, "ingero-record: bundle: '%s' shrank while copying\n", path);
			fprintf(b->info, "%s shrank while copying: zero-padded\n", path);
			memset(buf, 0, want);
			got = (ssize_t)want;
		}
		if (archive_write_data(b->a, buf, (size_t)got) != (la_ssize_t)got) {
			close(fd);
			return arc_fail(b, name);
		}
		sha256_update(&h, buf, (size_t)got);
		left -= got;
	}
	close(fd);
	if (archive_write_finish_entry(b->a) != ARCHIVE_OK)
		return arc_fail(b, name);
	manifest_add(b, name, &h);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* rec/ + every *.igz in dir, in name order */
static int add_recording(struct bundle *b, const char *dir, dev_t odev, ino_t oino, int *nseg)
{
	DIR *d = opendir(dir);
	*nseg = 0;
	if (!d) {
		snprintf(b->err, sizeof(b->err), "cannot open '%s': %s", dir, strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d))) {
		const char *nm = de->d_name;
		if (!strcmp(nm, ".") || !strcmp(nm, "..") || !strcmp(nm, "recorder.log"))
			continue;
		if (!ends_with(nm, ".igz"))
			continue;
		if (!safe_name(nm)) {
			fprintf(stderr, "ingero-record: bundle: refusing file with unsafe name in '%s'\n",
				dir);
			fprintf(b->info, "left out a file with an unsafe name (");
			for (const unsigned char *p = (const unsigned char *)nm; *p; p++)
				fprintf(b->info, (*p >= 0x21 && *p < 0x7f && *p != '\\') ? "%c" : "\\x%02x",
					*p);
			fprintf(b->info, ")\n");
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof(*names));
			if (!nn) {
				rc = -1;
				snprintf(b->err, sizeof(b->err), "out of memory");
				goto out;
			}
			names = nn;
		}
		if (!(names[n] = strdup(nm))) {
			rc = -1;
			snprintf(b->err, sizeof(b->err), "out of memory");
			goto out;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char path[PATH_MAX], mem[256];
		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path) ||
		    snprintf(mem, sizeof(mem), "rec/%s", names[i]) >= (int)sizeof(mem)) {
			fprintf(b->info, "left out %s: path too long\n", names[i]);
			continue;
		}
		int r = add_file(b, mem, path, odev, oino);
		if (r < 0)
			rc = -1;
		else if (r == 0)
			(*nseg)++;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

static void cat_file(FILE *out, const char *title, const char *path, int max_lines)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	fprintf(out, "== %s (%s)\n", title, path);
	char line[1024];
	int n = 0;
	while (fgets(line, sizeof(line), f) && (max_lines <= 0 || n < max_lines)) {
		fputs(line, out);
		if (!strchr(line, '\n'))
			fputc('\n', out);
		n++;
	}
	fclose(f);
	fputc('\n', out);
}

static void system_info(FILE *o)
{
	struct utsname u;
	if (uname(&u) == 0)
		fprintf(o, "== uname\n%s %s %s %s %s\n\n", u.sysname, u.nodename, u.release,
			u.version, u.machine);
	cat_file(o, "kernel", "/proc/version", 0);
	cat_file(o, "boot id", "/proc/sys/kernel/random/boot_id", 0);
	cat_file(o, "os", "/etc/os-release", 0);
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f) {
		char line[1024], model[512] = "";
		int ncpu = 0;
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "processor", 9))
				ncpu++;
			else if (!model[0] && !strncmp(line, "model name", 10)) {
				char *c = strchr(line, ':');
				if (c) {
					c++;
					while (*c == ' ')
						c++;
					c[strcspn(c, "\n")] = 0;
					snprintf(model, sizeof(model), "%s", c);
				}
			}
		}
		fclose(f);
		fprintf(o, "== cpu (/proc/cpuinfo)\n%d x %s\n\n", ncpu, model[0] ? model : "?");
	}
	cat_file(o, "memory", "/proc/meminfo", 8);
	cat_file(o, "load", "/proc/loadavg", 0);
	cat_file(o, "nvidia driver", "/proc/driver/nvidia/version", 0);
	glob_t g;
	if (glob("/proc/driver/nvidia/gpus/*/information", 0, NULL, &g) == 0)
		for (size_t i = 0; i < g.gl_pathc; i++)
			cat_file(o, "gpu", g.gl_pathv[i], 0);
	globfree(&g);
	fprintf(o, "== ingero\ningero-record %s (format %d.%d)\n", INGERO_VERSION,
		INGERO_FORMAT_MAJOR, INGERO_FORMAT_MINOR);
}

/* ~/.ingero/rec/<host>/ of the invoking user, as the recorder writes it */
static void default_dir(char *out, size_t len)
{
	const char *home = NULL;
	const char *su = getenv("SUDO_USER");
	struct passwd *pw = su && *su ? getpwnam(su) : NULL;
	if (pw)
		home = pw->pw_dir;
	if (!home)
		home = getenv("HOME");
	if (!home)
		home = "/root";
	char host[256] = "localhost";
	gethostname(host, sizeof(host) - 1);
	snprintf(out, len, "%s/.ingero/rec/%s", home, host);
}

static int hash_files(int argc, char **argv, int first)
{
	int rc = 0;
	if (first >= argc) {
		fprintf(stderr, "ingero-record: bundle --hash: no file given\n");
		return INGERO_EXIT_USAGE;
	}
	static char buf[1 << 16];
	for (int i = first; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			fprintf(stderr, "ingero-record: cannot open '%s': %s\n", argv[i], strerror(errno));
			rc = 1;
			continue;
		}
		struct sha256 h;
		sha256_init(&h);
		size_t got;
		while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
			sha256_update(&h, buf, got);
		int bad = ferror(f);
		fclose(f);
		if (bad) {
			fprintf(stderr, "ingero-record: cannot read '%s'\n", argv[i]);
			rc = 1;
			continue;
		}
		uint8_t d[32];
		char hex[65];
		sha256_final(&h, d);
		sha256_hex(d, hex);
		printf("%s  %s\n", hex, argv[i]);
	}
	return rc;
}

int cmd_bundle(int argc, char **argv)
{
	const char *out = NULL, *dir = NULL;
	int force = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--hash")) {
			return hash_files(argc, argv, i + 1);
		} else if (!strcmp(a, "--force") || !strcmp(a, "-f")) {
			force = 1;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (++i >= argc) {
				fprintf(stderr, "ingero-record: bundle: -o needs a file name\n");
				return INGERO_EXIT_USAGE;
			}
			out = argv[i];
		} else if (!strncmp(a, "--output=", 9)) {
			out = a + 9;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "ingero-record: bundle: unknown option '%s'\n", a);
			usage(stderr);
			return INGERO_EXIT_USAGE;
		} else if (!dir) {
			dir = a;
		} else {
			fprintf(stderr, "ingero-record: bundle: more than one recording directory\n");
			return INGERO_EXIT_USAGE;
		}
	}
	if (!out) {
		fprintf(stderr, "ingero-record: bundle: missing -o FILE.tar.zst\n");
		usage(stderr);
		return INGERO_EXIT_USAGE;
	}

	char defdir[PATH_MAX];
	int dir_given = dir != NULL;
	if (!dir) {
		default_dir(defdir, sizeof(defdir));
		dir = defdir;
	}
	struct stat dst;
	int have_dir = stat(dir, &dst) == 0 && S_ISDIR(dst.st_mode);
	if (dir_given && !have_dir) {
		fprintf(stderr, "ingero-record: bundle: '%s' is not a recording directory\n", dir);
		return 1;
	}

	int to_stdout = !strcmp(out, "-");
	int fd = 1;
	int out_regular = 0;     /* only a regular file we wrote is removed on failure */
	struct stat pst;
	if (!to_stdout && stat(out, &pst) == 0 && !S_ISREG(pst.st_mode)) {
		/* a device or pipe (/dev/null, a FIFO): write into it, never
		 * truncate, replace or remove it */
		if (S_ISDIR(pst.st_mode)) {
			fprintf(stderr, "ingero-record: bundle: '%s' is a directory\n", out);
			return 1;
		}
		fd = open(out, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "ingero-record: bundle: cannot open '%s': %s\n", out,
				strerror(errno));
			return 1;
		}
	} else if (!to_stdout) {
		fd = open(out, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL), 0640);
		if (fd < 0) {
			if (errno == EEXIST)
				fprintf(stderr, "ingero-record: bundle: '%s' exists (use --force to "
					"overwrite)\n", out);
			else
				fprintf(stderr, "ingero-record: bundle: cannot create '%s': %s\n", out,
					strerror(errno));
			return 1;
		}
	}
	struct stat ost;
	dev_t odev = 0;
	ino_t oino = 0;
	if (!to_stdout && fstat(fd, &ost) == 0) {
		odev = ost.st_dev;
		oino = ost.st_ino;
		out_regular = S_ISREG(ost.st_mode);
	}

	int rc = 1;
	struct bundle b;
	memset(&b, 0, sizeof(b));
	b.now = time(NULL);
	b.manifest = open_memstream(&b.mbuf, &b.mlen);
	b.info = open_memstream(&b.ibuf, &b.ilen);
	b.a = archive_write_new();
	if (!b.manifest || !b.info || !b.a) {
		snprintf(b.err, sizeof(b.err), "out of memory");
		goto cleanup;
	}
	/* no zero padding after the zstd stream: `zstd -dc` must accept it */
	archive_write_set_bytes_in_last_block(b.a, 1);
	if (archive_write_set_format_pax_restricted(b.a) != ARCHIVE_OK ||
	    archive_write_add_filter_zstd(b.a) != ARCHIVE_OK ||
	    archive_write_open_fd(b.a, fd) != ARCHIVE_OK) {
		arc_fail(&b, "cannot start the archive");
		goto cleanup;
	}

	fprintf(b.info, "ingero-record %s bundle\ncreated %ld (unix seconds)\nrecording %s%s\n",
		INGERO_VERSION, (long)b.now, dir, have_dir ? "" : " (not found: no recording)");

	int nseg = 0;
	if (have_dir) {
		if (add_recording(&b, dir, odev, oino, &nseg) < 0)
			goto cleanup;
		char logp[PATH_MAX];
		if (snprintf(logp, sizeof(logp), "%s/recorder.log", dir) < (int)sizeof(logp) &&
		    access(logp, F_OK) == 0 && add_file(&b, "recorder.log", logp, odev, oino) < 0)
			goto cleanup;
	}
	fprintf(b.info, "segments %d\n", nseg);

	/* check, in-process */
	struct check_item *items = NULL;
	int n = check_run(&items);
	if (n < 0) {
		snprintf(b.err, sizeof(b.err), "out of memory");
		goto cleanup;
	}
	char *cbuf = NULL;
	size_t clen = 0;
	FILE *cf = open_memstream(&cbuf, &clen);
	if (cf) {
		check_print_text(cf, items, n);
		fclose(cf);
		if (add_mem(&b, "check.txt", cbuf, clen, 1) < 0) {
			free(cbuf);
			free(items);
			goto cleanup;
		}
		free(cbuf);
	}
	cbuf = NULL;
	clen = 0;
	cf = open_memstream(&cbuf, &clen);
	if (cf) {
		check_print_json(cf, items, n);
		fclose(cf);
		if (add_mem(&b, "check.json", cbuf, clen, 1) < 0) {
			free(cbuf);
			free(items);
			goto cleanup;
		}
		free(cbuf);
	}
	free(items);

	cbuf = NULL;
	clen = 0;
	cf = open_memstream(&cbuf, &clen);
	if (cf) {
		system_info(cf);
		fclose(cf);
		if (add_mem(&b, "system.txt", cbuf, clen, 1) < 0) {
			free(cbuf);
			goto cleanup;
		}
		free(cbuf);
	}

	fflush(b.info);
	if (add_mem(&b, "bundle.txt", b.ibuf, b.ilen, 1) < 0)
		goto cleanup;
	fflush(b.manifest);
	if (add_mem(&b, "MANIFEST.sha256", b.mbuf, b.mlen, 0) < 0)
		goto cleanup;
	if (archive_write_close(b.a) != ARCHIVE_OK) {
		arc_fail(&b, "cannot finish the archive");
		goto cleanup;
	}
	if (!to_stdout && fsync(fd) != 0 && errno != EINVAL) {
		snprintf(b.err, sizeof(b.err), "cannot write '%s': %s", out, strerror(errno));
		goto cleanup;
	}
	if (!to_stdout)
		fprintf(stderr, "ingero-record: bundle: wrote %s (%d segments, %d files)\n", out,
			nseg, b.members + 1);
	rc = 0;

cleanup:
	if (b.a)
		archive_write_free(b.a);
	if (b.manifest)
		fclose(b.manifest);
	if (b.info)
		fclose(b.info);
	free(b.mbuf);
	free(b.ibuf);
	if (!to_stdout) {
		if (close(fd) != 0 && rc == 0) {
			snprintf(b.err, sizeof(b.err), "cannot write '%s': %s", out, strerror(errno));
			rc = 1;
		}
		if (rc != 0 && out_regular)
			unlink(out);
	}
	if (rc != 0)
		fprintf(stderr, "ingero-record: bundle: %s\n", b.err[0] ? b.err : "failed");
	return rc;
}
