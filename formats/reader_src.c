/*
 * reader_src.c - the reader's sources: a segment file, stdin, a recording
 * directory (its seg-*.igz in number order) or a tar bundle (tar, tar.zst,
 * tar.gz; read in place through libarchive, never extracted), handed to the
 * frame layer one segment at a time as compressed bytes in r->cb.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader_int.h"

/* ------------------------------------------------------- raw input */

ssize_t rd_fd_read(int fd, void *buf, size_t n)
{
	for (;;) {
		ssize_t k = read(fd, buf, n);
		if (k < 0 && errno == EINTR)
			continue;
		return k;
	}
}

/* up to n bytes of the input (the fd, or the buffer of ingero_reader_open_mem) */
ssize_t rd_src_read(struct ingero_reader *r, void *buf, size_t n)
{
	if (!r->is_mem)
		return rd_fd_read(r->fd, buf, n);
	size_t left = r->mem_len - r->mem_pos;
	if (n > left)
		n = left;
	memcpy(buf, r->mem + r->mem_pos, n);
	r->mem_pos += n;
	return (ssize_t)n;
}

/* libarchive pulls bytes from here: the peeked prefix, then the fd (or the
 * rest of the memory buffer, in place) */
static la_ssize_t ar_read_cb(struct archive *a, void *ctx, const void **buf)
{
	struct ingero_reader *r = ctx;
	(void)a;
	if (r->peek_pos < r->peek_len) {
		*buf = r->peek + r->peek_pos;
		size_t n = r->peek_len - r->peek_pos;
		r->peek_pos = r->peek_len;
		return (la_ssize_t)n;
	}
	if (r->is_mem) {
		*buf = r->mem + r->mem_pos;
		size_t n = r->mem_len - r->mem_pos;
		r->mem_pos = r->mem_len;
		rd_count(r, n);
		return (la_ssize_t)n;
	}
	if (!r->rdbuf && !(r->rdbuf = malloc(RDBUF))) {
		archive_set_error(a, ENOMEM, "out of memory");
		return -1;
	}
	ssize_t k = rd_fd_read(r->fd, r->rdbuf, RDBUF);
	if (k < 0) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	rd_count(r, (size_t)k);
	*buf = r->rdbuf;
	return k;
}

/*
 * Up to `want` bytes of the current tar member.  archive_read_data_block
 * is used rather than archive_read_data, which zero-fills sparse holes up
 * to the (GNU realsize) offset a damaged header claims, i.e. gigabytes of
 * data that is not in the file.  Every byte returned here was read from
 * the input, and a member never yields more than its declared size: a hole
 * (sparse member), data beyond the declared size or a read that makes no
 * progress is a corrupt member (-2, warned; the caller goes on with the
 * next member).  Returns bytes, 0 at the member's end, -1 on a read error.
 */
static ssize_t ar_data(struct ingero_reader *r, uint8_t *dst, size_t want)
{
	while (r->blk_left == 0) {
		const void *b;
		size_t n = 0;
		la_int64_t off = 0;
		int k = archive_read_data_block(r->ar, &b, &n, &off);
		if (k == ARCHIVE_EOF) {
			if (r->m_size >= 0 && r->m_next != (uint64_t)r->m_size) {
				rd_warn(r, INGERO_ETRUNC, r->m_next,
				     "tar member declares %lld bytes but holds %llu: corrupt member at byte %llu",
				     (long long)r->m_size, (unsigned long long)r->m_next,
				     (unsigned long long)r->m_next);
				return -2;
			}
			return 0;
		}
		if (k < ARCHIVE_WARN || k == ARCHIVE_RETRY)
			return -1;
		if (off < 0 || (uint64_t)off != r->m_next) {
			rd_warn(r, INGERO_ECORRUPT, r->m_next,
			     "tar member data has a hole or goes back (sparse or damaged member) at byte %llu",
			     (unsigned long long)r->m_next);
			return -2;
		}
		if (r->m_size >= 0 && (n > (uint64_t)r->m_size || r->m_next > (uint64_t)r->m_size - n)) {
			rd_warn(r, INGERO_ECORRUPT, r->m_next,
			     "tar member data exceeds its declared size of %lld bytes at byte %llu",
			     (long long)r->m_size, (unsigned long long)r->m_next);
			return -2;
		}
		if (n == 0) {
			if (++r->m_zero >= 64) {
				rd_warn(r, INGERO_ECORRUPT, r->m_next,
				     "tar member read makes no progress at byte %llu",
				     (unsigned long long)r->m_next);
				return -2;
			}
			continue;
		}
		r->m_zero = 0;
		r->blk = b;
		r->blk_left = n;
		r->m_next += n;
	}
	size_t n = r->blk_left < want ? r->blk_left : want;
	memcpy(dst, r->blk, n);
	r->blk += n;
	r->blk_left -= n;
	return (ssize_t)n;
}

/* Read more compressed bytes of the current segment into cb (reader_int.h).  1 = got
 * bytes, 0 = none (end of the segment; r->ceof set), <0 buffer limit or
 * ENOMEM.  Every call that returns 0 sets ceof, and every byte added comes
 * from a finite source (the file, or a tar member bounded by its declared
 * size), so loops that call fill() until it returns <= 0 terminate. */
int rd_fill(struct ingero_reader *r)
{
	if (r->ceof)
		return 0;
	if (r->cstart > 0) {
		memmove(r->cb, r->cb + r->cstart, r->clen - r->cstart);
		r->cbase += r->cstart;
		r->clen -= r->cstart;
		r->cstart = 0;
	}
	if (r->ccap - r->clen < READ_CHUNK / 4) {
		size_t cap = r->ccap ? r->ccap * 2 : READ_CHUNK * 2;
		if (cap > CBUF_MAX + READ_CHUNK)
			cap = CBUF_MAX + READ_CHUNK;
		if (cap <= r->ccap)
			return -1;  /* caller treats as "too large" */
		uint8_t *nb = realloc(r->cb, cap);
		if (!nb)
			return INGERO_ENOMEM;
		r->cb = nb;
		r->ccap = cap;
	}
	size_t want = r->ccap - r->clen;
	if (want > READ_CHUNK)
		want = READ_CHUNK;
	ssize_t k;
	if (r->mode == R_ARCHIVE)
		k = ar_data(r, r->cb + r->clen, want);
	else
		k = rd_src_read(r, r->cb + r->clen, want);
	if (k == -2) {   /* ar_data warned: the member is corrupt */
		r->ceof = 1;
		return 0;
	}
	if (k < 0) {
		rd_warn(r, INGERO_EIO, r->cbase + r->clen, "read error at byte %llu: %s",
		     (unsigned long long)(r->cbase + r->clen),
		     r->mode == R_ARCHIVE ? archive_error_string(r->ar) : strerror(errno));
		r->ceof = 1;
		return 0;
	}
	if (k == 0)
		r->ceof = 1;
	if (r->mode != R_ARCHIVE)
		rd_count(r, (size_t)k);
	r->clen += (size_t)k;
	return (int)(k > 0);
}

/* ------------------------------------------------------- segments */

static int seg_num(const char *name, unsigned long *n)
{
	char *end;
	if (strncmp(name, "seg-", 4) != 0)
		return 0;
	*n = strtoul(name + 4, &end, 10);
	return end != name + 4 && !strcmp(end, ".igz");
}

static int seg_cmp(const void *a, const void *b)
{
	const char *x = strrchr(*(char *const *)a, '/') + 1;
	const char *y = strrchr(*(char *const *)b, '/') + 1;
	unsigned long nx = 0, ny = 0;
	seg_num(x, &nx);
	seg_num(y, &ny);
	if (nx != ny)
		return nx < ny ? -1 : 1;
	return strcmp(x, y);
}

static void seg_reset(struct ingero_reader *r)
{
	r->cstart = r->clen = 0;
	r->cbase = 0;
	r->ceof = 0;
	r->blk = NULL;
	r->blk_left = 0;
	r->m_next = 0;
	r->m_size = -1;
	r->m_zero = 0;
}

/* The declared size of a tar member (after seg_reset). */
static void member_size(struct ingero_reader *r, struct archive_entry *ent)
{
	if (archive_entry_size_is_set(ent) && archive_entry_size(ent) >= 0)
		r->m_size = archive_entry_size(ent);
}

/* A member name as printed in a message: control bytes shown as '?', long
 * names cut. */
static void safe_name(char *out, size_t len, const char *name)
{
	size_t j = 0;
	for (const unsigned char *p = (const unsigned char *)name; *p && j + 4 < len; p++)
		out[j++] = (*p < 0x20 || *p == 0x7f) ? '?' : (char)*p;
	if (name[j] && j + 4 >= len) {
		memcpy(out + j, "...", 3);
		j += 3;
	}
	out[j] = 0;
}

static int unsafe_path(const char *name)
{
	if (name[0] == '/')
		return 1;
	for (const char *p = name; *p; ) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		p += l;
		while (*p == '/')
			p++;
	}
	return 0;
}

/*
 * Classify a tar member: 1 = a segment (a regular file named *.igz),
 * 0 = not a segment (ignored), -1 = hostile and skipped: an absolute path,
 * a '..' component, or a link / device / fifo / socket (directories are
 * ignored silently).  Members are never extracted, but such names are what
 * a path-traversal tarball looks like, so they are reported (once, when
 * `report`) rather than read.
 */
static int member_class(struct ingero_reader *r, struct archive_entry *ent, const char **name,
			int report)
{
	*name = archive_entry_pathname(ent);
	if (!*name)
		*name = "";
	const char *why = NULL;
	unsigned type = archive_entry_filetype(ent);
	if (unsafe_path(*name))
		why = "unsafe path";
	else if (archive_entry_hardlink(ent) || (type != AE_IFREG && type != AE_IFDIR))
		why = "not a regular file (link or device)";
	if (why) {
		if (report) {
			char nm[256];
			safe_name(nm, sizeof(nm), *name);
			snprintf(r->curfile, sizeof(r->curfile), "%s", r->path);
			if (!r->nunsafe++)
				snprintf(r->first_unsafe, sizeof(r->first_unsafe), "%s", nm);
			rd_warn(r, INGERO_EFORMAT, 0, "member '%s': %s, skipped", nm, why);
		}
		return -1;
	}
	size_t nl = strlen(*name);
	return type == AE_IFREG && nl >= 4 && !strcmp(*name + nl - 4, ".igz");
}

static int no_segments(struct ingero_reader *r)
{
	snprintf(r->curfile, sizeof(r->curfile), "%s", r->path);
	return rd_fatal(r, INGERO_EFORMAT, 0, "no seg-*.igz segments in bundle at byte 0");
}

/* (Re)open libarchive on the input from its first byte. */
static int ar_open(struct ingero_reader *r)
{
	if (r->ar) {
		archive_read_free(r->ar);
		r->ar = NULL;
		if (r->is_mem)
			r->mem_pos = r->peek_len;
		else if (lseek(r->fd, (off_t)r->peek_len, SEEK_SET) < 0)
			return -1;
		r->peek_pos = 0;
	}
	r->ar = archive_read_new();
	if (!r->ar)
		return -1;
	archive_read_support_filter_all(r->ar);
	archive_read_support_format_tar(r->ar);
	return archive_read_open(r->ar, r, NULL, ar_read_cb, NULL) == ARCHIVE_OK ? 0 : -1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* First pass over a seekable bundle: the names of its .igz entries, sorted.
 * Segments inside are already compressed, so this pass is cheap. */
static int list_bundle(struct ingero_reader *r)
{
	size_t cap = 0;
	struct archive_entry *ent;
	int k;
	while ((k = archive_read_next_header(r->ar, &ent)) == ARCHIVE_OK || k == ARCHIVE_WARN) {
		const char *name;
		if (member_class(r, ent, &name, 1) != 1)
			continue;
		if (r->norder == cap) {
			cap = cap ? cap * 2 : 64;
			char **no = realloc(r->order, cap * sizeof(*no));
			if (!no)
				return INGERO_ENOMEM;
			r->order = no;
		}
		if (!(r->order[r->norder] = strdup(name)))
			return INGERO_ENOMEM;
		r->norder++;
	}
	if (!r->order && !(r->order = calloc(1, sizeof(*r->order))))
		return INGERO_ENOMEM;
	if (k != ARCHIVE_EOF && !r->norder)
		return INGERO_EFORMAT;   /* not a readable bundle */
	if (!r->norder)
		return INGERO_ENOSEG;
	qsort(r->order, r->norder, sizeof(*r->order), cmp_str);
	return ar_open(r) ? INGERO_EFORMAT : 0;
}

/* Position libarchive on the next entry in name order: forward when the
 * bundle is sorted (one pass), from the start again when it is not. */
static int next_sorted_entry(struct ingero_reader *r)
{
	while (r->oidx < r->norder) {
		const char *want = r->order[r->oidx];
		int restarted = 0;
		for (;;) {
			struct archive_entry *ent;
			const char *name;
			int k = archive_read_next_header(r->ar, &ent);
			if (k == ARCHIVE_EOF || k < ARCHIVE_WARN || k == ARCHIVE_RETRY) {
				if (restarted || ar_open(r)) {
					rd_warn(r, INGERO_ECORRUPT, 0, "bundle: cannot find entry '%s' again", want);
					break;
				}
				restarted = 1;
				continue;
			}
			if (member_class(r, ent, &name, 0) != 1 || strcmp(name, want))
				continue;
			snprintf(r->curfile, sizeof(r->curfile), "%s:%s", r->path, name);
			r->oidx++;
			seg_reset(r);
			member_size(r, ent);
			r->seg_active = 1;
			r->seg_count++;
			r->seg_frames_ok = 0;
			return 1;
		}
		r->oidx++;
	}
	return 0;
}

/* Open the next segment stream: 1 opened, 0 none left, <0 fatal. */
int rd_next_segment(struct ingero_reader *r)
{
	switch (r->mode) {
	case R_FILE:
		if (r->file_used)
			return 0;
		r->file_used = 1;
		snprintf(r->curfile, sizeof(r->curfile), "%s", r->path);
		break;  /* cb already holds the peeked prefix */
	case R_DIR:
		if (r->own_fd && r->fd >= 0)
			close(r->fd);
		r->fd = -1;
		while (r->fidx < r->nfiles) {
			const char *f = r->files[r->fidx++];
			snprintf(r->curfile, sizeof(r->curfile), "%s", f);
			r->fd = open(f, O_RDONLY | O_CLOEXEC);
			if (r->fd >= 0)
				break;
			rd_warn(r, INGERO_EIO, 0, "cannot open segment: %s", strerror(errno));
		}
		if (r->fd < 0)
			return 0;
		r->own_fd = 1;
		seg_reset(r);
		break;
	case R_ARCHIVE:
		if (r->order)
			return next_sorted_entry(r);
		for (;;) {
			struct archive_entry *ent;
			int k = archive_read_next_header(r->ar, &ent);
			if (k == ARCHIVE_EOF)
				return r->seg_count ? 0 : no_segments(r);
			if (k < ARCHIVE_WARN || k == ARCHIVE_RETRY) {
				snprintf(r->curfile, sizeof(r->curfile), "%s", r->path);
				if (!r->seg_count)
					return rd_fatal(r, INGERO_EFORMAT, 0, "not a readable bundle (%s) at byte 0",
							 archive_error_string(r->ar));
				rd_warn(r, INGERO_ECORRUPT, 0, "bundle: %s", archive_error_string(r->ar));
				return 0;
			}
			const char *name;
			if (member_class(r, ent, &name, 1) != 1)
				continue;
			snprintf(r->curfile, sizeof(r->curfile), "%s:%s", r->path, name);
			if (r->last_entry && strcmp(name, r->last_entry) < 0)
				rd_warn(r, INGERO_EFORMAT, 0, "bundle entry out of name order (read in archive order) at byte 0");
			free(r->last_entry);
			r->last_entry = strdup(name);
			seg_reset(r);
			member_size(r, ent);
			break;
		}
		break;
	}
	r->seg_active = 1;
	r->seg_count++;
	r->seg_frames_ok = 0;
	return 1;
}

void rd_end_segment(struct ingero_reader *r)
{
	if (r->seg_supp) {
		struct ingero_error e = r->supp_last;
		snprintf(e.msg, sizeof(e.msg), "%u more warning%s for this segment; last: %.400s",
			 r->seg_supp, r->seg_supp > 1 ? "s" : "", r->supp_last.msg);
		if (r->warn_fn)
			r->warn_fn(r->warn_ctx, &e);
	}
	r->seg_supp = r->seg_nwarn = 0;
	r->seg_active = 0;
	r->in_frame = 0;
	if (r->mode == R_DIR && r->fd >= 0) {
		close(r->fd);
		r->fd = -1;
	}
}

/* ------------------------------------------------------- open/close */

static int list_dir(struct ingero_reader *r, struct ingero_error *err)
{
	DIR *d = opendir(r->path);
	if (!d)
		return fmt_seterr(err, INGERO_EIO, errno, r->path, 0, "cannot open directory: %s",
				  strerror(errno));
	struct dirent *de;
	size_t cap = 0;
	while ((de = readdir(d))) {
		unsigned long n;
		if (!seg_num(de->d_name, &n))
			continue;
		if (r->nfiles == cap) {
			cap = cap ? cap * 2 : 64;
			char **nf = realloc(r->files, cap * sizeof(*nf));
			if (!nf) {
				closedir(d);
				return fmt_seterr(err, INGERO_ENOMEM, 0, r->path, 0, "out of memory");
			}
			r->files = nf;
		}
		size_t pl = strlen(r->path) + strlen(de->d_name) + 2;
		char *p = malloc(pl);
		if (!p) {
			closedir(d);
			return fmt_seterr(err, INGERO_ENOMEM, 0, r->path, 0, "out of memory");
		}
		snprintf(p, pl, "%s/%s", r->path, de->d_name);
		r->files[r->nfiles++] = p;
	}
	closedir(d);
	if (!r->nfiles)
		return fmt_seterr(err, INGERO_EFORMAT, 0, r->path, 0,
				  "no seg-*.igz segments in directory at byte 0");
	qsort(r->files, r->nfiles, sizeof(*r->files), seg_cmp);
	return 0;
}

/* Is the (zstd) stream starting in cb a tar archive?  Decode its first
 * 512 bytes (with the reader's context, reset before every frame) and look
 * for the ustar magic. */
static int zstd_is_tar(ZSTD_DCtx *d, const uint8_t *p, size_t n)
{
	uint8_t out[512];
	ZSTD_DCtx_reset(d, ZSTD_reset_session_only);
	ZSTD_inBuffer in = { p, n, 0 };
	ZSTD_outBuffer o = { out, sizeof(out), 0 };
	while (o.pos < o.size && in.pos < in.size) {
		size_t k = ZSTD_decompressStream(d, &o, &in);
		if (ZSTD_isError(k) || k == 0)
			break;
	}
	ZSTD_DCtx_reset(d, ZSTD_reset_session_only);
	return o.pos >= 262 && !memcmp(out + 257, "ustar", 5);
}

/* a file (or stdin) opened into r->fd, or a directory listed: 0 or code */
static int open_input(struct ingero_reader *r, const char *path, struct stat *st,
		      struct ingero_error *err)
{
	if (!strcmp(path, "-")) {
		r->fd = 0;
		r->own_fd = 0;
		return 0;
	}
	if (stat(path, st) < 0)
		return fmt_seterr(err, INGERO_EIO, errno, path, 0, "cannot open: %s", strerror(errno));
	if (S_ISDIR(st->st_mode)) {
		r->mode = R_DIR;
		return list_dir(r, err);
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return fmt_seterr(err, INGERO_EIO, errno, path, 0, "cannot open: %s", strerror(errno));
	r->own_fd = 1;
	return 0;
}

/* Peek at the start to tell a segment stream from a bundle: 1 bundle, 0
 * segment stream, or an error code (< 0). */
static int peek_kind(struct ingero_reader *r, const char *path, struct ingero_error *err)
{
	/* room for the whole peek (a fuzz build's READ_CHUNK is smaller); a
	 * memory input no bigger than that gets its size (+1: the read that
	 * sees the end) */
	size_t cap = READ_CHUNK * 2 > PEEK_BYTES ? READ_CHUNK * 2 : PEEK_BYTES;
	if (r->is_mem && r->mem_len < cap)
		cap = r->mem_len + 1;
	r->cb = malloc(cap);
	if (!r->cb)
		return fmt_seterr(err, INGERO_ENOMEM, 0, path, 0, "out of memory");
	r->ccap = cap;
	size_t lim = PEEK_BYTES < cap ? PEEK_BYTES : cap;
	while (r->clen < lim) {
		ssize_t k = rd_src_read(r, r->cb + r->clen, lim - r->clen);
		if (k < 0)
			return fmt_seterr(err, INGERO_EIO, errno, r->path, 0, "read error: %s",
					  strerror(errno));
		if (k == 0) {
			r->ceof = 1;
			break;
		}
		r->clen += (size_t)k;
		rd_count(r, (size_t)k);
	}
	const uint8_t *p = r->cb;
	size_t n = r->clen;
	if (n >= 4 && le32(p) == FMT_ZSTD_MAGIC)
		return zstd_is_tar(r->dctx, p, n);
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return 1;
	if (n >= 262 && !memcmp(p + 257, "ustar", 5))
		return 1;
	if (n >= 4 && (le32(p) == FMT_ZSTD_MAGIC || is_skippable(le32(p))))
		return 0;
	if (n < 4 && !memcmp(p, "\x28\xb5\x2f\xfd", n))
		return 0;   /* a segment cut inside its first magic: a warning later */
	if (n > 0)
		return fmt_seterr(err, INGERO_EFORMAT, 0, r->path, 0,
				  "not an Ingero recording (no zstd frame magic) at byte 0");
	return 0;
}

/* the peeked prefix goes to libarchive; a regular file is listed first */
static int open_bundle(struct ingero_reader *r, int seekable, struct ingero_error *err)
{
	r->mode = R_ARCHIVE;
	r->peek = r->cb;
	r->peek_len = r->clen;
	r->peek_pos = 0;
	r->cb = NULL;
	r->ccap = r->clen = 0;
	r->ceof = 0;
	if (ar_open(r))
		return fmt_seterr(err, INGERO_EFORMAT, 0, r->path, 0,
				  "not a readable bundle (%s) at byte 0",
				  r->ar ? archive_error_string(r->ar) : "out of memory");
	r->seekable = seekable;
	r->opening = 1;
	int code = r->seekable ? list_bundle(r) : 0;
	r->opening = 0;
	if (!code)
		return 0;
	if (code == INGERO_ENOSEG && r->nunsafe)
		return fmt_seterr(err, INGERO_EFORMAT, 0, r->path, 0,
				  "no seg-*.igz segments in bundle at byte 0 (%u unsafe member%s skipped: '%s'%s)",
				  r->nunsafe, r->nunsafe > 1 ? "s" : "", r->first_unsafe,
				  r->nunsafe > 1 ? ", ..." : "");
	if (code == INGERO_ENOSEG)
		return fmt_seterr(err, INGERO_EFORMAT, 0, r->path, 0,
				  "no seg-*.igz segments in bundle at byte 0");
	fmt_seterr(err, code, 0, r->path, 0, "not a readable bundle at byte 0");
	return code;
}

int rd_open_source(struct ingero_reader *r, const char *path, struct ingero_error *err)
{
	struct stat st;
	memset(&st, 0, sizeof(st));
	int code = r->is_mem ? 0 : open_input(r, path, &st, err);
	if (code || r->mode == R_DIR)
		return code;
	int k = peek_kind(r, path, err);
	if (k < 0)
		return k;
	if (!k) {
		r->mode = R_FILE;
		return 0;
	}
	return open_bundle(r, r->is_mem || (strcmp(path, "-") != 0 && S_ISREG(st.st_mode)), err);
}
