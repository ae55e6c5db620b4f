/*
 * reader_int.h - the reader's state, shared by its units:
 *
 *   reader.c         the public API: open, next record, close; warnings
 *   reader_src.c     sources: a segment file, stdin, a recording directory,
 *                    a tar bundle (libarchive, in place); segment by segment
 *   reader_frame.c   frames: find, check and decompress the next zstd frame
 *   reader_decode.c  records: decode one msgpack record of a frame
 *
 * formats/ never prints or exits: problems are warnings through the
 * caller's ingero_warn_fn, or an error code with an ingero_error.
 */
#ifndef INGERO_READER_INT_H
#define INGERO_READER_INT_H

#include <archive.h>
#include <stdint.h>
#include <sys/types.h>
#include <zstd.h>

#include "fmt_int.h"
#include "mp_int.h"

enum { R_FILE, R_DIR, R_ARCHIVE };
#define INGERO_ENOSEG (-1000)   /* internal: a bundle without segments */
#define SEG_WARN_SHOWN 2        /* warnings passed on per segment; the rest summed up */

/* enough for a zstd frame header and one whole block (at most 128 KiB
 * compressed): the first block of a tar.zst must decode to tell it apart */
#define PEEK_BYTES ((128u << 10) + 64)
#ifndef READ_CHUNK                /* fuzz builds use smaller buffers (cheaper under ASan) */
#define READ_CHUNK (1u << 20)
#endif
#ifndef DBUF_INIT                 /* first decompression buffer of a streamed frame */
#define DBUF_INIT (1u << 20)
#endif
#define RDBUF (64u << 10)
#define CBUF_MAX ((size_t)FMT_FRAME_MAX + (4u << 20))

struct ingero_reader {
	int mode;
	char *path;
	int fd, own_fd;
	/* ingero_reader_open_mem: the input is mem[0..mem_len), not fd */
	const uint8_t *mem;
	size_t mem_len, mem_pos;
	int is_mem;
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
	uint8_t *rdbuf;          /* RDBUF bytes, allocated on the first fd read */
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
	uint64_t nbytes;         /* input bytes read (ingero_reader_bytes) */
	/* a node-gaps frame (FMT_REC_NODE_GAPS): per node, the end of its last
	 * event in the frame (valid when nb_epoch[node] == epoch) */
	int node_gaps;
	uint64_t *nb_end;
	uint32_t *nb_epoch;
	uint32_t nb_cap, epoch;
	uint64_t frame_base;
};

/* count input bytes read; another thread may read the count */
static inline void rd_count(struct ingero_reader *r, size_t k)
{
	__atomic_store_n(&r->nbytes, r->nbytes + k, __ATOMIC_RELAXED);
}

static inline int is_skippable(uint32_t m)
{
	return (m & 0xFFFFFFF0u) == 0x184D2A50u;
}

static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* reader.c: a warning of the current file (passed on, kept or summed up);
 * a fatal error (returns code, later calls return it too) */
void rd_warn(struct ingero_reader *r, int code, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int rd_fatal(struct ingero_reader *r, int code, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* reader_src.c */
ssize_t rd_fd_read(int fd, void *buf, size_t n);
ssize_t rd_src_read(struct ingero_reader *r, void *buf, size_t n);
/* Detect what path is (directory, segment stream, bundle) and prepare r to
 * read it: 0, or an error code with *err filled. */
int rd_open_source(struct ingero_reader *r, const char *path, struct ingero_error *err);
/* More compressed bytes of the current segment into cb: 1 got bytes, 0
 * none (end of the segment; ceof set), <0 buffer limit or ENOMEM. */
int rd_fill(struct ingero_reader *r);
/* Open the next segment stream: 1 opened, 0 none left, <0 fatal. */
int rd_next_segment(struct ingero_reader *r);
void rd_end_segment(struct ingero_reader *r);

/* reader_frame.c: load the next complete frame of the segment into db: 1
 * loaded, 0 the segment is exhausted, <0 fatal (ENOMEM). */
int rd_load_frame(struct ingero_reader *r);

/* reader_decode.c */
/* Decode one record: 1 = *rec filled, 0 = skipped (unknown kind),
 * <0 = INGERO_ECORRUPT / EFORMAT / ECRITICAL. */
int rd_decode(struct ingero_reader *r, struct ingero_record *rec);
/* An owned copy of the first header into r->hdr: 0 or INGERO_ENOMEM. */
int rd_keep_header(struct ingero_reader *r, const struct ingero_header *h);

#endif
