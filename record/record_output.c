/*
 * record_output.c - where the recording goes: the output directory (owned
 * by the invoking user under sudo) and the segment writer with its header.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "record_int.h"
#include "demo_dirs.h"

static int mkdir_p(const char *dir, uid_t uid, gid_t gid, bool own)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;

			*p = 0;
			if (mkdir(tmp, 0750) == 0) {
				if (own && chown(tmp, uid, gid))
					return -1;
			} else if (errno != EEXIST) {
				return -1;
			}
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

/*
 * One recording per directory (docs/cli.md "Output files"): a directory
 * that holds segments is refused, so a new run never mixes with an older
 * one (which would then analyze as one recording) nor has its segments
 * deleted by --max-disk; --append continues it on purpose, when it is a
 * recording of this node and boot.  -o must name a directory (or nothing).
 */
static int check_output_dir(struct rec *r)
{
	struct stat st;
	struct rec_seg_id id;
	char last[PATH_MAX + 300], boot[64];
	int n;

	if (stat(r->outdir, &st))
		return 0;               /* absent: created; else mkdir_p says what is wrong */
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, PROG ": '%s' is not a directory: give -o a new or empty directory "
			"(the recording is a directory of segments)\n", r->outdir);
		return -1;
	}
	n = rec_dir_segments(r->outdir, last, sizeof(last));
	if (!n)
		return 0;
	if (!r->o.append) {
		fprintf(stderr, PROG ": '%s' already holds a recording (%d segment%s): give -o a new "
			"directory, or --append to continue that recording\n", r->outdir, n,
			n == 1 ? "" : "s");
		return -1;
	}
	rec_boot_id(boot, sizeof(boot));
	if (rec_seg_identify(last, &id)) {
		fprintf(stderr, PROG ": --append: cannot read '%s': give -o a new directory\n", last);
		return -1;
	}
	if (strcmp(id.node, r->o.node) || rec_seg_is_demo(&id) ||
	    (boot[0] && id.boot_id[0] && strcmp(id.boot_id, boot))) {
		fprintf(stderr, PROG ": --append: '%s' holds a recording of node '%s' (%s%s), not of "
			"this node ('%s') since this boot: give -o a new directory\n", r->outdir,
			id.node, rec_seg_is_demo(&id) ? "a demo" : "boot ",
			rec_seg_is_demo(&id) ? "" : id.boot_id, r->o.node);
		return -1;
	}
	return 0;
}

int rec_setup_output(struct rec *r)
{
	const char *sudo_user = getenv("SUDO_USER");
	struct passwd *pw = NULL;

	r->own_uid = getuid();
	r->own_gid = getgid();
	if (sudo_user && geteuid() == 0 && (pw = getpwnam(sudo_user))) {
		r->own_uid = pw->pw_uid;
		r->own_gid = pw->pw_gid;
		r->chown_files = true;
	}
	if (r->o.out) {
		snprintf(r->outdir, sizeof(r->outdir), "%s", r->o.out);
	} else {
		const char *home = pw ? pw->pw_dir : getenv("HOME");

		if (!home) {
			struct passwd *me = getpwuid(getuid());

			home = me ? me->pw_dir : "/tmp";
		}
		snprintf(r->outdir, sizeof(r->outdir), "%s/.ingero/rec/%s", home, r->o.node);
	}
	if (check_output_dir(r))
		return -1;
	if (mkdir_p(r->outdir, r->own_uid, r->own_gid, r->chown_files) ||
	    access(r->outdir, W_OK | X_OK)) {
		fprintf(stderr, PROG ": cannot write to '%s': %s: choose a writable directory "
			"with -o DIR\n", r->outdir, strerror(errno));
		return -1;
	}
	return 0;
}

void rec_chown_outputs(struct rec *r)
{
	DIR *d;
	struct dirent *de;

	if (!r->chown_files || !(d = opendir(r->outdir)))
		return;
	while ((de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (!fstatat(dirfd(d), de->d_name, &st, 0) && st.st_uid != r->own_uid)
			if (fchownat(dirfd(d), de->d_name, r->own_uid, r->own_gid, 0))
				continue;
	}
	closedir(d);
}

int rec_open_writer(struct rec *r, int argc, char **argv)
{
	struct ingero_writer_opts wo = { 0 };
	struct ingero_error err = { 0 };
	struct utsname un;
	char host[256] = "", boot_id[64] = "", cmdline[2048] = "";
	size_t n = 0;
	int rc;

	uname(&un);
	gethostname(host, sizeof(host));
	rec_boot_id(boot_id, sizeof(boot_id));
	n = snprintf(cmdline, sizeof(cmdline), "ingero-record");
	for (int i = 1; i < argc && n < sizeof(cmdline); i++)
		n += snprintf(cmdline + n, sizeof(cmdline) - n, " %s", argv[i]);
	wo.dir = r->outdir;
	wo.seg_max_bytes = r->o.seg_size;
	wo.seg_max_ns = r->o.seg_ns;
	wo.disk_budget = r->o.max_disk;
	wo.frame_max_ns = NSEC;
	wo.fsync = INGERO_FSYNC_FRAME;
	/* level 1: ~40% less consumer CPU than 3 for ~15% more bytes */
	wo.zstd_level = r->o.zstd_level;
	wo.file_mode = 0640;
	wo.hdr.major = INGERO_FORMAT_MAJOR;
	wo.hdr.minor = INGERO_FORMAT_MINOR;
	wo.hdr.node = r->o.node;
	wo.hdr.host = host;
	wo.hdr.boot_id = boot_id;
	wo.hdr.kernel = un.release;
	wo.hdr.recorder = "ingero-record " INGERO_VERSION;
	wo.hdr.cmdline = cmdline;
	wo.hdr.clock = "boottime";
	wo.hdr.start_ts = rec_boottime_ns();
	wo.hdr.rank = -1;
	{
		struct ingero_anchor a;

		rec_anchor_now(&a);
		wo.hdr.anchor.boottime = a.boottime;
		wo.hdr.anchor.realtime = a.realtime;
		wo.hdr.anchor.monotonic = a.monotonic;
		wo.hdr.anchor.error_ns = a.error_ns;
	}
	wo.on_rotate = rec_on_rotate;
	wo.rotate_ctx = r;
	rc = ingero_writer_open(&r->w, &wo, &err);
	if (rc < 0) {
		char buf[1100];

		fprintf(stderr, PROG ": %s: choose a writable directory with -o DIR\n",
			ingero_strerror(&err, buf, sizeof(buf)));
		return -1;
	}
	return 0;
}
