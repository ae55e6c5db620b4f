/*
 * reader.c - reads a segment file, a recording directory, a tar bundle
 * (through libarchive, in place) or stdin, frame by frame.  A damaged frame
 * is a warning: records before it are kept and reading resumes at the next
 * zstd frame magic.  Memory is bounded: a frame decompresses to at most
 * FMT_FRAME_MAX bytes and every msgpack length is checked against the bytes
 * actually present.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "fmt_int.h"
#include "mp_int.h"

enum { R_FILE, R_DIR, R_ARCHIVE };
#define INGERO_ENOSEG (-1000)   /* internal: a bundle without segments */
#define SEG_WARN_SHOWN 2        /* warnings passed on per segment; the rest summed up */

/* enough for a zstd frame header and one whole block (at most 128 KiB
 * compressed): the first block of a tar.zst must decode to tell it apart */
#define PEEK_BYTES ((128u << 10) + 64)
#define READ_CHUNK (1u << 20)
#define CBUF_MAX ((size_t)FMT_FRAME_MAX + (4u << 20))

struct ingero_reader {
	int mode;
	char *path;
	int fd, own_fd;
	/* directory */
	char **files;
	size_t nfiles, fidx;
	/* archive */
	struct archive *ar;
	uint8_t *peek;
	size_t peek_len, peek_pos;
	char *last_entry;
	int seekable;            /* a regular file: entries are read in name order */
	char **order;            /* .igz entry names, sorted */
	size_t norder, oidx;
	uint8_t rdbuf[64 << 10];
	/* current member: data_block pieces not yet copied, bounds */
	const uint8_t *blk;
	size_t blk_left;
	uint64_t m_next;         /* member offset of the next byte libarchive gives */
	int64_t m_size;          /* declared size, -1 when not set */
	unsigned m_zero;         /* consecutive empty blocks (looping read guard) */
	int file_used;
	/* current segment */
	int seg_active, seg_count, seg_frames_ok;
	char curfile[512];
	uint8_t *cb;
	size_t ccap, cstart, clen;
	uint64_t cbase;
	int ceof;
	/* current frame */
	ZSTD_DCtx *dctx;
	uint8_t *db;
	size_t dcap;
	struct mp_cur cur;
	int in_frame, first_in_frame;
	uint64_t frame_off;
	uint64_t prev_end;
	uint32_t tbits;   /* of the current frame, for packed events */
	uint32_t node;
	struct ingero_stack stack;
	/* first header, owned copy */
	struct ingero_header hdr;
	char *hdr_str[7];
	int have_hdr;
	/* warnings and errors */
	ingero_warn_fn warn_fn;
	void *warn_ctx;
	unsigned nwarn;
	struct ingero_error last_warn;
	/* warnings raised inside ingero_reader_open (before a warn_fn can be
	 * set) are kept here and passed on by the first _next */
	int opening;
	unsigned npend, nunsafe;
	struct ingero_error pend[8];
	char first_unsafe[256];
	/* per segment: the first SEG_WARN_SHOWN warnings go to warn_fn, the
	 * rest are counted and summed up in one line when the segment ends */
	unsigned seg_nwarn, seg_supp;
	struct ingero_error supp_last;
	int fatal;
	char zerr[128];
};

static void warn(struct ingero_reader *r, int code, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void warn(struct ingero_reader *r, int code, uint64_t off, const char *fmt, ...)
{
	struct ingero_error e;
	va_list ap;
	memset(&e, 0, sizeof(e));
	e.code = code;
	e.offset = off;
	snprintf(e.file, sizeof(e.file), "%s", r->curfile);
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	r->nwarn++;
	r->last_warn = e;
	if (r->seg_active && !r->opening && r->seg_nwarn++ >= SEG_WARN_SHOWN) {
		r->seg_supp++;
		r->supp_last = e;
		return;
	}
	if (r->opening) {
		if (r->npend < sizeof(r->pend) / sizeof(r->pend[0]))
			r->pend[r->npend++] = e;
		return;
	}
	if (r->warn_fn)
		r->warn_fn(r->warn_ctx, &e);
}

static int set_fatal(struct ingero_reader *r, int code, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int set_fatal(struct ingero_reader *r, int code, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	struct ingero_error *e = &r->last_warn;
	memset(e, 0, sizeof(*e));
	e->code = code;
	e->offset = off;
	snprintf(e->file, sizeof(e->file), "%s", r->curfile);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	r->fatal = code;
	return code;
}

/* ------------------------------------------------------- raw input */

static ssize_t fd_read(int fd, void *buf, size_t n)
{
	for (;;) {
		ssize_t k = read(fd, buf, n);
		if (k < 0 && errno == EINTR)
			continue;
		return k;
	}
}

/* libarchive pulls bytes from here: the peeked prefix, then the fd */
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
	ssize_t k = fd_read(r->fd, r->rdbuf, sizeof(r->rdbuf));
	if (k < 0) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
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
				warn(r, INGERO_ETRUNC, r->m_next,
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
			warn(r, INGERO_ECORRUPT, r->m_next,
			     "tar member data has a hole or goes back (sparse or damaged member) at byte %llu",
			     (unsigned long long)r->m_next);
			return -2;
		}
		if (r->m_size >= 0 && (n > (uint64_t)r->m_size || r->m_next > (uint64_t)r->m_size - n)) {
			warn(r, INGERO_ECORRUPT, r->m_next,
			     "tar member data exceeds its declared size of %lld bytes at byte %llu",
			     (long long)r->m_size, (unsigned long long)r->m_next);
			return -2;
		}
		if (n == 0) {
			if (++r->m_zero >= 64) {
				warn(r, INGERO_ECORRUPT, r->m_next,
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

/* Read more compressed bytes of the current segment into cb.  1 = got
 * bytes, 0 = none (end of the segment; r->ceof set), <0 buffer limit or
 * ENOMEM.  Every call that returns 0 sets ceof, and every byte added comes
 * from a finite source (the file, or a tar member bounded by its declared
 * size), so loops that call fill() until it returns <= 0 terminate. */
static int fill(struct ingero_reader *r)
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
		k = fd_read(r->fd, r->cb + r->clen, want);
	if (k == -2) {   /* ar_data warned: the member is corrupt */
		r->ceof = 1;
		return 0;
	}
	if (k < 0) {
		warn(r, INGERO_EIO, r->cbase + r->clen, "read error at byte %llu: %s",
		     (unsigned long long)(r->cbase + r->clen),
		     r->mode == R_ARCHIVE ? archive_error_string(r->ar) : strerror(errno));
		r->ceof = 1;
		return 0;
	}
	if (k == 0)
		r->ceof = 1;
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
			warn(r, INGERO_EFORMAT, 0, "member '%s': %s, skipped", nm, why);
		}
		return -1;
	}
	size_t nl = strlen(*name);
	return type == AE_IFREG && nl >= 4 && !strcmp(*name + nl - 4, ".igz");
}

static int no_segments(struct ingero_reader *r)
{
	snprintf(r->curfile, sizeof(r->curfile), "%s", r->path);
	return set_fatal(r, INGERO_EFORMAT, 0, "no seg-*.igz segments in bundle at byte 0");
}

/* (Re)open libarchive on the input from its first byte. */
static int ar_open(struct ingero_reader *r)
{
	if (r->ar) {
		archive_read_free(r->ar);
		r->ar = NULL;
		if (lseek(r->fd, (off_t)r->peek_len, SEEK_SET) < 0)
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
					warn(r, INGERO_ECORRUPT, 0, "bundle: cannot find entry '%s' again", want);
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
static int next_segment(struct ingero_reader *r)
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
			warn(r, INGERO_EIO, 0, "cannot open segment: %s", strerror(errno));
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
					return set_fatal(r, INGERO_EFORMAT, 0, "not a readable bundle (%s) at byte 0",
							 archive_error_string(r->ar));
				warn(r, INGERO_ECORRUPT, 0, "bundle: %s", archive_error_string(r->ar));
				return 0;
			}
			const char *name;
			if (member_class(r, ent, &name, 1) != 1)
				continue;
			snprintf(r->curfile, sizeof(r->curfile), "%s:%s", r->path, name);
			if (r->last_entry && strcmp(name, r->last_entry) < 0)
				warn(r, INGERO_EFORMAT, 0, "bundle entry out of name order (read in archive order) at byte 0");
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

static void end_segment(struct ingero_reader *r)
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

static int is_skippable(uint32_t m)
{
	return (m & 0xFFFFFFF0u) == 0x184D2A50u;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Skip to the next zstd frame magic after cstart (exclusive). */
static void resync(struct ingero_reader *r)
{
	size_t pos = r->cstart + 1;
	for (;;) {
		for (; pos + 4 <= r->clen; pos++)
			if (r->cb[pos] == 0x28 && le32(r->cb + pos) == FMT_ZSTD_MAGIC) {
				r->cstart = pos;
				return;
			}
		if (r->ceof) {
			r->cstart = r->clen;
			return;
		}
		/* keep the last 3 bytes: a magic may straddle the refill */
		r->cstart = pos > r->clen ? r->clen : pos;
		if (fill(r) < 0) {
			r->cstart = r->clen;
			return;
		}
		pos = r->cstart;
	}
}

/* Decompress a frame of unknown content size: 1 ok, 0 corrupt (r->zerr),
 * <0 fatal. */
static int stream_frame(struct ingero_reader *r, const uint8_t *src, size_t csz, size_t *out)
{
	ZSTD_inBuffer in = { src, csz, 0 };
	ZSTD_DCtx_reset(r->dctx, ZSTD_reset_session_only);
	*out = 0;
	for (;;) {
		if (r->dcap - *out < (64u << 10)) {
			if (r->dcap >= (size_t)FMT_FRAME_MAX + 1) {
				snprintf(r->zerr, sizeof(r->zerr), "frame exceeds the 64 MiB limit");
				return 0;
			}
			size_t cap = r->dcap ? r->dcap * 2 : 1 << 20;
			if (cap > (size_t)FMT_FRAME_MAX + 1)
				cap = (size_t)FMT_FRAME_MAX + 1;
			uint8_t *nb = realloc(r->db, cap);
			if (!nb)
				return set_fatal(r, INGERO_ENOMEM, 0, "out of memory");
			r->db = nb;
			r->dcap = cap;
		}
		ZSTD_outBuffer o = { r->db, r->dcap - 1, *out };
		size_t k = ZSTD_decompressStream(r->dctx, &o, &in);
		*out = o.pos;
		if (ZSTD_isError(k)) {
			snprintf(r->zerr, sizeof(r->zerr), "%s", ZSTD_getErrorName(k));
			return 0;
		}
		if (k == 0)
			return 1;
		if (*out > FMT_FRAME_MAX) {
			snprintf(r->zerr, sizeof(r->zerr), "frame exceeds the 64 MiB limit");
			return 0;
		}
		if (in.pos == in.size && o.pos < o.size) {
			snprintf(r->zerr, sizeof(r->zerr), "truncated frame");
			return 0;
		}
	}
}

/* Load the next complete frame of the segment into db: 1 loaded, 0 the
 * segment is exhausted, <0 fatal (ENOMEM). */
static int load_frame(struct ingero_reader *r)
{
	for (;;) {
		while (r->clen - r->cstart < 8 && !r->ceof)
			if (fill(r) < 0)
				return INGERO_ENOMEM;
		size_t avail = r->clen - r->cstart;
		uint64_t off = r->cbase + r->cstart;
		if (avail == 0) {
			if (off == 0 && r->seg_count >= 1)
				warn(r, INGERO_ETRUNC, 0, "empty segment at byte 0");
			return 0;
		}
		if (avail < 4) {
			warn(r, INGERO_ETRUNC, off, "truncated frame at byte %llu", (unsigned long long)off);
			r->cstart = r->clen;
			return 0;
		}
		uint32_t magic = le32(r->cb + r->cstart);
		if (is_skippable(magic)) {
			if (avail < 8) {
				warn(r, INGERO_ETRUNC, off, "truncated frame at byte %llu",
				     (unsigned long long)off);
				r->cstart = r->clen;
				return 0;
			}
			uint64_t left = 8 + (uint64_t)le32(r->cb + r->cstart + 4);
			while (left) {
				size_t have = r->clen - r->cstart;
				size_t k = have < left ? have : (size_t)left;
				r->cstart += k;
				left -= k;
				if (left && fill(r) <= 0 && r->clen == r->cstart) {
					warn(r, INGERO_ETRUNC, off, "truncated frame at byte %llu",
					     (unsigned long long)off);
					return 0;
				}
			}
			continue;
		}
		if (magic != FMT_ZSTD_MAGIC) {
			warn(r, INGERO_ECORRUPT, off, "bad frame magic at byte %llu", (unsigned long long)off);
			resync(r);
			continue;
		}
		size_t csz, d;
		for (;;) {
			csz = ZSTD_findFrameCompressedSize(r->cb + r->cstart, avail);
			if (!ZSTD_isError(csz))
				break;
			if (ZSTD_getErrorCode(csz) != ZSTD_error_srcSize_wrong) {
				warn(r, INGERO_ECORRUPT, off, "corrupt frame at byte %llu: %s",
				     (unsigned long long)off, ZSTD_getErrorName(csz));
				goto bad;
			}
			if (r->ceof) {
				warn(r, INGERO_ETRUNC, off, "truncated frame at byte %llu",
				     (unsigned long long)off);
				r->cstart = r->clen;
				return 0;
			}
			if (avail > CBUF_MAX) {
				warn(r, INGERO_ECORRUPT, off, "corrupt frame at byte %llu: frame too large",
				     (unsigned long long)off);
				goto bad;
			}
			int k = fill(r);
			if (k < 0 && k != -1)
				return k;
			if (k == -1) {
				warn(r, INGERO_ECORRUPT, off, "corrupt frame at byte %llu: frame too large",
				     (unsigned long long)off);
				goto bad;
			}
			avail = r->clen - r->cstart;
		}
		const uint8_t *src = r->cb + r->cstart;
		unsigned long long fcs = ZSTD_getFrameContentSize(src, csz);
		if (fcs == ZSTD_CONTENTSIZE_ERROR) {
			warn(r, INGERO_ECORRUPT, off, "corrupt frame at byte %llu: bad frame header",
			     (unsigned long long)off);
			goto bad;
		}
		if (fcs == ZSTD_CONTENTSIZE_UNKNOWN) {
			/* e.g. `zstd` fed from a pipe: stream into a growing buffer */
			d = 0;
			int k = stream_frame(r, src, csz, &d);
			if (k < 0)
				return k;
			if (k == 0) {
				warn(r, INGERO_ECORRUPT, off, "corrupt frame at byte %llu: %s",
				     (unsigned long long)off, r->zerr);
				goto bad;
			}
			r->cstart += csz;
			if (d == 0)
				continue;
			goto loaded_d;
		}
		if (fcs > FMT_FRAME_MAX) {
			warn(r, INGERO_ECORRUPT, off, "corrupt frame at byte %llu: frame of %llu bytes exceeds the 64 MiB limit",
			     (unsigned long long)off, fcs);
			goto bad;
		}
		if (fcs + 1 > r->dcap) {
			size_t cap = r->dcap ? r->dcap : 1 << 16;
			while (cap < fcs + 1)
				cap *= 2;
			uint8_t *nb = realloc(r->db, cap);
			if (!nb)
				return set_fatal(r, INGERO_ENOMEM, off, "out of memory");
			r->db = nb;
			r->dcap = cap;
		}
		d = ZSTD_decompressDCtx(r->dctx, r->db, (size_t)fcs, src, csz);
		if (ZSTD_isError(d)) {
			warn(r, INGERO_ECORRUPT, off, "corrupt frame at byte %llu: %s",
			     (unsigned long long)off, ZSTD_getErrorName(d));
			goto bad;
		}
		r->cstart += csz;
		if (d == 0)
			continue;
		{
loaded_d:;
		}
		r->cur.p = r->db;
		r->cur.end = r->db + d;
		r->cur.err = 0;
		r->frame_off = off;
		r->in_frame = 1;
		r->first_in_frame = 1;
		r->prev_end = 0;
		r->tbits = 0;
		r->node = 0;
		r->seg_frames_ok++;
		return 1;
bad:
		resync(r);
	}
}

/* ------------------------------------------------------- decoding */

/* A string made NUL-terminated in place: the bytes move one position back
 * over their (already consumed) msgpack header. */
static const char *get_cstr(struct mp_cur *c)
{
	const uint8_t *s;
	const uint8_t *start = c->p;
	uint32_t n = mp_get_str(c, &s);
	if (c->err)
		return "";
	if (s == start)   /* cannot happen: every header is >= 1 byte */
		return "";
	uint8_t *d = (uint8_t *)s - 1;
	memmove(d, s, n);
	d[n] = 0;
	return (const char *)d;
}

#define U(field) ((field) = (__typeof__(field))(i++ < n ? mp_get_int(c) : 0))
#define I(field, def) ((field) = (__typeof__(field))(i++ < n ? (int64_t)mp_get_int(c) : (def)))
#define D(field) ((field) = (i++ < n ? mp_get_double(c) : 0.0))
#define S(field) ((field) = (i++ < n ? get_cstr(c) : ""))

static int decode_header(struct ingero_reader *r, struct mp_cur *c, uint32_t n,
			 struct ingero_header *h)
{
	memset(h, 0, sizeof(*h));
	h->node = h->host = h->boot_id = h->kernel = h->recorder = h->cmdline = "";
	h->clock = "boottime";
	h->rank = -1;
	if (n < 5)
		return INGERO_EFORMAT;
	const uint8_t *s;
	uint32_t len = mp_get_str(c, &s);
	if (c->err || len != sizeof(INGERO_MAGIC) - 1 || memcmp(s, INGERO_MAGIC, len))
		return INGERO_EFORMAT;
	h->major = (uint32_t)mp_get_int(c);
	h->minor = (uint32_t)mp_get_int(c);
	if (c->err)
		return INGERO_ECORRUPT;
	if (h->major != INGERO_FORMAT_MAJOR)
		return INGERO_EFORMAT;
	uint32_t m;
	if (mp_get_map(c, &m))
		return INGERO_ECORRUPT;
	for (uint32_t k = 0; k < m && !c->err; k++) {
		const uint8_t *key;
		uint32_t kl = mp_get_str(c, &key);
		if (c->err)
			break;
#define K(name) (kl == sizeof(name) - 1 && !memcmp(key, name, kl))
		if (K("node")) h->node = get_cstr(c);
		else if (K("host")) h->host = get_cstr(c);
		else if (K("boot_id")) h->boot_id = get_cstr(c);
		else if (K("kernel")) h->kernel = get_cstr(c);
		else if (K("recorder")) h->recorder = get_cstr(c);
		else if (K("cmdline")) h->cmdline = get_cstr(c);
		else if (K("clock")) h->clock = get_cstr(c);
		else if (K("start_ts")) h->start_ts = mp_get_int(c);
		else if (K("segment")) h->segment = (uint32_t)mp_get_int(c);
		else if (K("rank")) h->rank = (int32_t)mp_get_int(c);
		else if (K("anchor_boottime")) h->anchor.boottime = mp_get_int(c);
		else if (K("anchor_realtime")) h->anchor.realtime = mp_get_int(c);
		else if (K("anchor_monotonic")) h->anchor.monotonic = mp_get_int(c);
		else if (K("anchor_error_ns")) h->anchor.error_ns = mp_get_int(c);
		else mp_skip(c);   /* "ops" and keys of later minor versions */
#undef K
	}
	for (uint32_t i = 5; i < n && !c->err; i++)
		mp_skip(c);
	(void)r;
	return c->err ? INGERO_ECORRUPT : 0;
}

static int keep_header(struct ingero_reader *r, const struct ingero_header *h)
{
	const char *src[7] = { h->node, h->host, h->boot_id, h->kernel, h->recorder,
			       h->cmdline, h->clock };
	r->hdr = *h;
	for (int i = 0; i < 7; i++)
		if (!(r->hdr_str[i] = strdup(src[i])))
			return INGERO_ENOMEM;
	r->hdr.node = r->hdr_str[0]; r->hdr.host = r->hdr_str[1];
	r->hdr.boot_id = r->hdr_str[2]; r->hdr.kernel = r->hdr_str[3];
	r->hdr.recorder = r->hdr_str[4]; r->hdr.cmdline = r->hdr_str[5];
	r->hdr.clock = r->hdr_str[6];
	r->have_hdr = 1;
	return 0;
}

static uint32_t get_u64_array(struct mp_cur *c, uint64_t *dst, uint32_t max)
{
	uint32_t m;
	if (mp_get_array(c, &m))
		return 0;
	for (uint32_t j = 0; j < m; j++) {
		if (j < max) dst[j] = mp_get_int(c);
		else mp_skip(c);
	}
	return m < max ? m : max;
}

/* Decode one record: 1 = *rec filled, 0 = skipped (unknown kind),
 * <0 = INGERO_ECORRUPT / EFORMAT / ECRITICAL. */
static int decode(struct ingero_reader *r, struct ingero_record *rec)
{
	struct mp_cur *c = &r->cur;
	uint32_t n;
	if (mp_get_array(c, &n) || n == 0)
		return INGERO_ECORRUPT;
	uint8_t b = c->p < c->end ? *c->p : 0xc1;
	if (b >= 0x80 && b != 0xcc && b != 0xcd && b != 0xce && b != 0xcf)
		return INGERO_ECORRUPT;   /* kind must be a non-negative integer */
	uint64_t kind = mp_get_int(c);
	if (c->err)
		return INGERO_ECORRUPT;
	uint32_t i = 1;
	rec->kind = (int)kind;
	rec->node = r->node;
	rec->file = r->curfile;
	rec->offset = r->frame_off;

	if (kind == INGERO_REC_EVENT) {
		struct ingero_event *e = &rec->u.ev;
		uint64_t t[16];
		uint32_t k = n - 1 < 16 ? n - 1 : 16;
		if (MP_NEED(c, 16 * 9)) {   /* hot path: no per-field bounds checks */
			const uint8_t *p = c->p;
			int bad = 0;
			/* unrolled: each field position gets its own branch history */
#define G(j) t[j] = (j) < k ? mp_get_int_fast(&p, &bad) : 0
			G(0); G(1); G(2); G(3); G(4); G(5); G(6); G(7);
			G(8); G(9); G(10); G(11); G(12); G(13); G(14); G(15);
#undef G
			if (bad)
				return INGERO_ECORRUPT;
			c->p = p;
		} else {
			for (uint32_t j = 0; j < 16; j++)
				t[j] = j < k ? mp_get_int(c) : 0;
		}
		for (uint32_t j = 17; j < n && !c->err; j++)
			mp_skip(c);
		if (c->err)
			return INGERO_ECORRUPT;
		e->source = (uint8_t)t[0];
		e->op = (uint8_t)t[1];
		e->pid = (uint32_t)t[2];
		e->tid = (uint32_t)t[3];
		e->ts = r->prev_end + t[4];
		e->dur = t[5];
		e->cpu = (uint32_t)t[6];
		e->stack_id = t[7];
		memcpy(e->arg, &t[8], sizeof(e->arg));
		e->ret = (int32_t)(int64_t)t[14];
		e->flags = (uint16_t)t[15];
		r->prev_end = e->ts + e->dur;
		return 1;
	}
	if (kind == FMT_REC_EVENT_PACKED) {
		/* [64, source, op, pid, tid, tail..., T] (docs/format.md 3.1) */
		struct ingero_event *e = &rec->u.ev;
		uint64_t t[FMT_PK_MAX];
		uint32_t m = n - 1;
		if (m < 5 || m > FMT_PK_MAX)
			return INGERO_ECORRUPT;
		if (MP_NEED(c, FMT_PK_MAX * 9)) {   /* hot path: no per-field bounds checks */
			const uint8_t *p = c->p;
			int bad = 0;
#define G(j) t[j] = (j) < m ? mp_get_int_fast(&p, &bad) : 0
			G(0); G(1); G(2); G(3); G(4); G(5); G(6); G(7); G(8);
			G(9); G(10); G(11); G(12); G(13); G(14); G(15); G(16);
#undef G
			if (bad)
				return INGERO_ECORRUPT;
			c->p = p;
		} else {
			for (uint32_t j = 0; j < FMT_PK_MAX; j++)
				t[j] = j < m ? mp_get_int(c) : 0;
			if (c->err)
				return INGERO_ECORRUPT;
		}
		/* t[j] = 0 for j >= m: after clearing the time elements, the
		 * tail is t[4..13] with its omitted fields already 0 */
		uint32_t K = r->tbits < 64 ? r->tbits : 64;
		uint64_t mask = K < 64 ? (1ull << K) - 1 : ~0ull;
		uint64_t T = t[m - 1], dts, dur;
		if ((T & mask) != mask) {
			if (m > 15)
				return INGERO_ECORRUPT;   /* more than 10 tail elements */
			dts = T & mask;
			dur = K < 64 ? T >> K : 0;
			t[m - 1] = 0;
		} else {
			if (m < 7 || m > 17)
				return INGERO_ECORRUPT;
			dts = t[m - 3];
			dur = t[m - 2];
			t[m - 1] = t[m - 2] = t[m - 3] = 0;
		}
		e->source = (uint8_t)t[0];
		e->op = (uint8_t)t[1];
		e->pid = (uint32_t)t[2];
		e->tid = (uint32_t)t[3];
		e->ts = r->prev_end + dts;
		e->dur = dur;
		e->cpu = (uint32_t)t[4];
		e->stack_id = t[5];
		memcpy(e->arg, &t[6], sizeof(e->arg));
		e->ret = (int32_t)(int64_t)t[12];
		e->flags = (uint16_t)t[13];
		r->prev_end = e->ts + e->dur;
		rec->kind = INGERO_REC_EVENT;
		return 1;
	}
	if (kind >= INGERO_REC_CRITICAL_MIN)
		return INGERO_ECRITICAL;
	switch (kind) {
	case INGERO_REC_HEADER: {
		int k = decode_header(r, c, n, &rec->u.hdr);
		if (k)
			return k;
		r->node = 0;
		rec->node = 0;
		return 1;
	}
	case INGERO_REC_PROCESS: {
		struct ingero_process *x = &rec->u.proc;
		U(x->pid); U(x->ppid); U(x->uid); S(x->comm); S(x->cmdline);
		I(x->rank, -1); I(x->local_rank, -1); I(x->world_size, -1);
		U(x->cgroup_id); U(x->start_ts);
		break;
	}
	case INGERO_REC_THREAD:
		U(rec->u.thr.tid); U(rec->u.thr.pid); S(rec->u.thr.name);
		break;
	case INGERO_REC_MODULE: {
		struct ingero_module *x = &rec->u.mod;
		U(x->id); U(x->pid); U(x->start); U(x->end); U(x->file_offset);
		S(x->path); S(x->build_id);
		break;
	}
	case INGERO_REC_SYMBOL:
		U(rec->u.sym.id); U(rec->u.sym.module_id); U(rec->u.sym.offset); S(rec->u.sym.name);
		break;
	case INGERO_REC_STACK: {
		struct ingero_stack *x = &r->stack;
		uint64_t tmp[INGERO_STACK_MAX];
		memset(x, 0, sizeof(*x));
		U(x->id); U(x->pid);
		if (i++ < n)
			x->depth = get_u64_array(c, x->ips, INGERO_STACK_MAX);
		if (i++ < n)
			get_u64_array(c, x->syms, INGERO_STACK_MAX);
		if (i++ < n) {
			uint32_t m = get_u64_array(c, tmp, INGERO_STACK_MAX);
			for (uint32_t j = 0; j < m; j++)
				x->offs[j] = (uint32_t)tmp[j];
		}
		rec->u.stack = x;
		break;
	}
	case INGERO_REC_SYS: {
		struct ingero_sys *x = &rec->u.sys;
		U(x->ts); D(x->cpu_pct); D(x->mem_pct); U(x->mem_avail_mb); U(x->swap_used_mb);
		D(x->load1); D(x->iowait_pct); U(x->pgmajfault); U(x->ctxt);
		break;
	}
	case INGERO_REC_GPU: {
		struct ingero_gpu *x = &rec->u.gpu;
		U(x->ts); U(x->index); D(x->util_pct); U(x->mem_used_mb); U(x->mem_total_mb);
		U(x->sm_clock_mhz); U(x->mem_clock_mhz); U(x->throttle_reasons); U(x->temp_c);
		D(x->power_w);
		break;
	}
	case INGERO_REC_ANCHOR:
		U(rec->u.anchor.boottime); U(rec->u.anchor.realtime);
		U(rec->u.anchor.monotonic); U(rec->u.anchor.error_ns);
		break;
	case INGERO_REC_LOST:
		U(rec->u.lost.ts); U(rec->u.lost.source); U(rec->u.lost.count); U(rec->u.lost.reason);
		break;
	case INGERO_REC_FOOTER:
		U(rec->u.footer.events); U(rec->u.footer.min_ts); U(rec->u.footer.max_ts);
		U(rec->u.footer.lost);
		break;
	case INGERO_REC_NODE: {
		struct ingero_node *x = &rec->u.nodeinfo;
		U(x->index); S(x->name); S(x->host); S(x->boot_id); I(x->rank, -1);
		I(x->offset_ns, 0); D(x->drift_ppb); U(x->ref_ts); S(x->method);
		D(x->confidence_ns); U(x->samples);
		break;
	}
	case INGERO_REC_FRAME:
		U(rec->u.frame.seq); U(rec->u.frame.base_ts);
		{
			uint64_t tb = 0;
			U(tb);
			r->tbits = tb < 64 ? (uint32_t)tb : 64;
		}
		r->prev_end = rec->u.frame.base_ts;
		r->node = 0;
		rec->node = 0;
		break;
	case INGERO_REC_CTX:
		U(rec->u.ctx_node);
		r->node = rec->u.ctx_node;
		rec->node = r->node;
		break;
	case INGERO_REC_NOTE:
		U(rec->u.note.ts); U(rec->u.note.level); S(rec->u.note.text);
		break;
	case INGERO_REC_SAMPLING: {
		struct ingero_sampling *x = &rec->u.sampling;
		U(x->ts); U(x->pid); U(x->source); U(x->op); U(x->rate);
		break;
	}
	default:   /* unknown kind < 64: skipped */
		for (; i < n && !c->err; i++)
			mp_skip(c);
		return c->err ? INGERO_ECORRUPT : 0;
	}
	for (; i < n && !c->err; i++)   /* fields of later minor versions */
		mp_skip(c);
	return c->err ? INGERO_ECORRUPT : 1;
}

int ingero_reader_next(struct ingero_reader *r, struct ingero_record *rec)
{
	if (!r || !rec)
		return INGERO_EINVAL;
	if (r->npend) {
		for (unsigned i = 0; i < r->npend; i++)
			if (r->warn_fn)
				r->warn_fn(r->warn_ctx, &r->pend[i]);
		r->npend = 0;
	}
	for (;;) {
		if (r->fatal)
			return r->fatal;
		if (r->in_frame) {
			if (r->cur.p >= r->cur.end) {
				r->in_frame = 0;
				continue;
			}
			const uint8_t *at = r->cur.p;
			int first = r->first_in_frame;
			r->first_in_frame = 0;
			int k = decode(r, rec);
			if (k == 1) {
				if (rec->kind == INGERO_REC_HEADER) {
					if (!r->have_hdr && keep_header(r, &rec->u.hdr))
						return set_fatal(r, INGERO_ENOMEM, r->frame_off, "out of memory");
				} else if (first && r->seg_count == 1 && r->seg_frames_ok == 1 &&
					   !r->have_hdr && r->frame_off == 0) {
					return set_fatal(r, INGERO_EFORMAT, 0,
							 "not an Ingero recording (no header) at byte 0");
				}
				return 1;
			}
			if (k == 0)
				continue;
			uint64_t at_off = (uint64_t)(at - r->db);
			if (k == INGERO_ECRITICAL)
				return set_fatal(r, k, r->frame_off,
						 "record kind %d must be understood by a newer reader at byte %llu",
						 rec->kind, (unsigned long long)r->frame_off);
			if (k == INGERO_EFORMAT && first && r->seg_count == 1 && !r->have_hdr)
				return set_fatal(r, k, r->frame_off,
						 "not an Ingero recording or unsupported version at byte %llu",
						 (unsigned long long)r->frame_off);
			if (first && r->frame_off == 0 && r->seg_count == 1 && !r->have_hdr)
				return set_fatal(r, INGERO_EFORMAT, 0,
						 "not an Ingero recording (no header) at byte 0");
			warn(r, INGERO_ECORRUPT, r->frame_off,
			     "bad record (decompressed offset %llu) in frame at byte %llu",
			     (unsigned long long)at_off, (unsigned long long)r->frame_off);
			r->in_frame = 0;
			continue;
		}
		if (r->seg_active) {
			int k = load_frame(r);
			if (k == 1)
				continue;
			if (k < 0)
				return r->fatal ? r->fatal : set_fatal(r, k, 0, "out of memory");
			end_segment(r);
			continue;
		}
		int k = next_segment(r);
		if (k <= 0)
			return k;
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
 * 512 bytes and look for the ustar magic. */
static int zstd_is_tar(const uint8_t *p, size_t n)
{
	uint8_t out[512];
	ZSTD_DCtx *d = ZSTD_createDCtx();
	if (!d)
		return 0;
	ZSTD_inBuffer in = { p, n, 0 };
	ZSTD_outBuffer o = { out, sizeof(out), 0 };
	while (o.pos < o.size && in.pos < in.size) {
		size_t k = ZSTD_decompressStream(d, &o, &in);
		if (ZSTD_isError(k) || k == 0)
			break;
	}
	ZSTD_freeDCtx(d);
	return o.pos >= 262 && !memcmp(out + 257, "ustar", 5);
}

int ingero_reader_open(struct ingero_reader **rp, const char *path, struct ingero_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	if (!rp || !path)
		return fmt_seterr(err, INGERO_EINVAL, 0, "", 0, "no input");
	*rp = NULL;
	struct ingero_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return fmt_seterr(err, INGERO_ENOMEM, 0, path, 0, "out of memory");
	r->fd = -1;
	r->path = strdup(!strcmp(path, "-") ? "<stdin>" : path);
	r->dctx = ZSTD_createDCtx();
	int code = 0;
	if (!r->path || !r->dctx) {
		code = fmt_seterr(err, INGERO_ENOMEM, 0, path, 0, "out of memory");
		goto fail;
	}
	snprintf(r->curfile, sizeof(r->curfile), "%s", r->path);
	struct stat st;
	if (strcmp(path, "-") != 0) {
		if (stat(path, &st) < 0) {
			code = fmt_seterr(err, INGERO_EIO, errno, path, 0, "cannot open: %s", strerror(errno));
			goto fail;
		}
		if (S_ISDIR(st.st_mode)) {
			r->mode = R_DIR;
			if ((code = list_dir(r, err)))
				goto fail;
			*rp = r;
			return 0;
		}
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {
			code = fmt_seterr(err, INGERO_EIO, errno, path, 0, "cannot open: %s", strerror(errno));
			goto fail;
		}
		r->own_fd = 1;
	} else {
		r->fd = 0;
		r->own_fd = 0;
	}
	/* peek at the start to tell a segment stream from a bundle */
	r->cb = malloc(READ_CHUNK * 2);
	if (!r->cb) {
		code = fmt_seterr(err, INGERO_ENOMEM, 0, path, 0, "out of memory");
		goto fail;
	}
	r->ccap = READ_CHUNK * 2;
	while (r->clen < PEEK_BYTES) {
		ssize_t k = fd_read(r->fd, r->cb + r->clen, PEEK_BYTES - r->clen);
		if (k < 0) {
			code = fmt_seterr(err, INGERO_EIO, errno, r->path, 0, "read error: %s", strerror(errno));
			goto fail;
		}
		if (k == 0) {
			r->ceof = 1;
			break;
		}
		r->clen += (size_t)k;
	}
	const uint8_t *p = r->cb;
	size_t n = r->clen;
	int archive = 0;
	if (n >= 4 && le32(p) == FMT_ZSTD_MAGIC)
		archive = zstd_is_tar(p, n);
	else if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		archive = 1;
	else if (n >= 262 && !memcmp(p + 257, "ustar", 5))
		archive = 1;
	else if (n >= 4 && (le32(p) == FMT_ZSTD_MAGIC || is_skippable(le32(p))))
		archive = 0;
	else if (n < 4 && !memcmp(p, "\x28\xb5\x2f\xfd", n))
		archive = 0;   /* a segment cut inside its first magic: a warning later */
	else if (n > 0) {
		code = fmt_seterr(err, INGERO_EFORMAT, 0, r->path, 0,
				  "not an Ingero recording (no zstd frame magic) at byte 0");
		goto fail;
	}
	if (!archive) {
		r->mode = R_FILE;
		*rp = r;
		return 0;
	}
	r->mode = R_ARCHIVE;
	r->peek = r->cb;
	r->peek_len = r->clen;
	r->peek_pos = 0;
	r->cb = NULL;
	r->ccap = r->clen = 0;
	r->ceof = 0;
	if (ar_open(r)) {
		code = fmt_seterr(err, INGERO_EFORMAT, 0, r->path, 0, "not a readable bundle (%s) at byte 0",
				  r->ar ? archive_error_string(r->ar) : "out of memory");
		goto fail;
	}
	r->seekable = strcmp(path, "-") != 0 && S_ISREG(st.st_mode);
	r->opening = 1;
	code = r->seekable ? list_bundle(r) : 0;
	r->opening = 0;
	if (code) {
		if (code == INGERO_ENOSEG && r->nunsafe)
			code = fmt_seterr(err, INGERO_EFORMAT, 0, r->path, 0,
					  "no seg-*.igz segments in bundle at byte 0 (%u unsafe member%s skipped: '%s'%s)",
					  r->nunsafe, r->nunsafe > 1 ? "s" : "", r->first_unsafe,
					  r->nunsafe > 1 ? ", ..." : "");
		else if (code == INGERO_ENOSEG)
			code = fmt_seterr(err, INGERO_EFORMAT, 0, r->path, 0,
					  "no seg-*.igz segments in bundle at byte 0");
		else
			fmt_seterr(err, code, 0, r->path, 0, "not a readable bundle at byte 0");
		goto fail;
	}
	*rp = r;
	return 0;
fail:
	ingero_reader_close(r);
	return code;
}

void ingero_reader_set_warn(struct ingero_reader *r, ingero_warn_fn fn, void *ctx)
{
	if (!r)
		return;
	r->warn_fn = fn;
	r->warn_ctx = ctx;
}

const struct ingero_header *ingero_reader_header(const struct ingero_reader *r)
{
	return r && r->have_hdr ? &r->hdr : NULL;
}

unsigned ingero_reader_warnings(const struct ingero_reader *r)
{
	return r ? r->nwarn : 0;
}

const struct ingero_error *ingero_reader_last_warning(const struct ingero_reader *r)
{
	return r && (r->nwarn || r->fatal) ? &r->last_warn : NULL;
}

void ingero_reader_close(struct ingero_reader *r)
{
	if (!r)
		return;
	if (r->ar)
		archive_read_free(r->ar);
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	for (size_t i = 0; i < r->nfiles; i++)
		free(r->files[i]);
	free(r->files);
	for (int i = 0; i < 7; i++)
		free(r->hdr_str[i]);
	ZSTD_freeDCtx(r->dctx);
	free(r->cb);
	free(r->db);
	free(r->peek);
	free(r->last_entry);
	for (size_t i = 0; i < r->norder; i++)
		free(r->order[i]);
	free(r->order);
	free(r->path);
	free(r);
}
