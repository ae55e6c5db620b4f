/*
 * demo_dirs.h - what a directory output already holds, so that a new
 * recording never mixes with or deletes another (docs/cli.md "Output
 * files"): `demo -o` and the recorder's -o and --append use it (named
 * demo_* so that tests/demo's unit-demo, which links record/demo*.c, has it).
 */
#ifndef INGERO_DEMO_DIRS_H
#define INGERO_DEMO_DIRS_H

#include <stddef.h>

/* Number of seg-*.igz files in dir (0 when dir is absent or unreadable);
 * the name of the highest into last (when not NULL). */
int rec_dir_segments(const char *dir, char *last, size_t len);

/* Identity of a segment, from its header. */
struct rec_seg_id {
	char node[256];
	char boot_id[64];
	char recorder[128];      /* "ingero-record 0.1.0", "ingero-record demo incident" */
};
/* 0, or -1 when path is not a readable segment. */
int rec_seg_identify(const char *path, struct rec_seg_id *id);

/* 1 when the segment was written by `ingero-record demo` */
int rec_seg_is_demo(const struct rec_seg_id *id);

/* This machine's boot id (/proc/sys/kernel/random/boot_id), "" unknown. */
void rec_boot_id(char *buf, size_t len);

#endif
