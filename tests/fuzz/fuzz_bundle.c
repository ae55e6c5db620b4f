/*
 * fuzz_bundle.c - libFuzzer target for bundle (tar) input of the reader.
 * Byte 0 selects: mode = b0 & 3: 0 = the rest is the bundle file as is (tar,
 * tar.gz, tar.zst bytes); 1/2/3 = the rest describes members, written here as a
 * valid tar (1), tar.gz (2) or tar.zst (3) so the fuzzer reaches the member
 * and segment logic past the archive framing.  Member: [type][name length]
 * [name][size u16 le][data]; type & 3: 0 file, 1 dir, 2 symlink (to the
 * data), 3 file whose data is wrapped in a zstd frame (a segment).  Bit 2 of
 * b0: add a trailing "ingero-bundle.json" manifest member.  Read in memory
 * (ingero_reader_open_mem); the replay checks it against the file reader.
 */
#include <archive.h>
#include <archive_entry.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *tarbuf;
static size_t tarcap;

/* build the archive in tarbuf; returns its length or 0 */
static size_t build(const uint8_t *p, size_t n, int mode, int manifest)
{
	struct archive *a = archive_write_new();
	size_t used = 0;
	if (!a) return 0;
	archive_write_set_format_pax_restricted(a);
	if (mode == 2) archive_write_add_filter_gzip(a);
	if (mode == 3) archive_write_add_filter_zstd(a);
	/* level 1: the compressor's tables are set up (zeroed) per archive, and
	 * level 3's zstd / level 6's deflate ones dominated a run */
	if (mode >= 2) archive_write_set_filter_option(a, NULL, "compression-level", "1");
	archive_write_set_bytes_in_last_block(a, 1);
	size_t need = n * 3 + 64 * 1024;
	if (need > tarcap) {
		uint8_t *nb = realloc(tarbuf, need);
		if (!nb) { archive_write_free(a); return 0; }
		tarbuf = nb;
		tarcap = need;
	}
	if (archive_write_open_memory(a, tarbuf, tarcap, &used) != ARCHIVE_OK) { archive_write_free(a); return 0; }
	struct archive_entry *e = archive_entry_new();
	int members = 0;
	while (n >= 2 && members++ < 64) {
		int type = p[0] & 3;
		size_t nl = p[1] % 64;
		p += 2; n -= 2;
		if (nl > n) nl = n;
		char name[80];
		memcpy(name, p, nl);
		name[nl] = 0;
		if (!nl) strcpy(name, "seg-1.igz");
		p += nl; n -= nl;
		size_t dl = 0;
		if (n >= 2) { dl = (size_t)(p[0] | p[1] << 8); p += 2; n -= 2; }
		if (dl > n) dl = n;
		const uint8_t *d = p;
		size_t dn = dl;
		p += dl; n -= dl;
		if (type == 3 && !(d = fz_zstd(d, dn, &dn))) continue;
		archive_entry_clear(e);
		archive_entry_set_pathname(e, name);
		archive_entry_set_mtime(e, 1700000000, 0);
		if (type == 1) {
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
			archive_entry_set_size(e, 0);
			archive_write_header(a, e);
			continue;
		}
		if (type == 2) {
			char tgt[80];
			size_t tl = dn < sizeof(tgt) - 1 ? dn : sizeof(tgt) - 1;
			memcpy(tgt, d, tl);
			tgt[tl] = 0;
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, tgt);
			archive_entry_set_size(e, 0);
			archive_write_header(a, e);
			continue;
		}
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)dn);
		if (archive_write_header(a, e) == ARCHIVE_OK && dn) archive_write_data(a, d, dn);
	}
	if (manifest) {
		static const char m[] = "{\"format\":\"ingero-bundle\",\"version\":1}";
		archive_entry_clear(e);
		archive_entry_set_pathname(e, "ingero-bundle.json");
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, sizeof(m) - 1);
		if (archive_write_header(a, e) == ARCHIVE_OK) archive_write_data(a, m, sizeof(m) - 1);
	}
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
	return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1) return 0;
	int mode = data[0] & 3;
	if (mode == 0) {
		fz_read_mem(data + 1, size - 1);
	} else {
		size_t len = build(data + 1, size - 1, mode, data[0] & 4);
		if (len) fz_read_mem(tarbuf, len);
	}
	return 0;
}
