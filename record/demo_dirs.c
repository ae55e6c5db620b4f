/* demo_dirs.c - see demo_dirs.h */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "ingero.h"
#include "demo_dirs.h"

static int is_segment_name(const char *n)
{
	size_t l = strlen(n);

	return l > 8 && !strncmp(n, "seg-", 4) && !strcmp(n + l - 4, ".igz");
}

int rec_dir_segments(const char *dir, char *last, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char best[256] = "";
	int n = 0;

	if (last && len)
		*last = 0;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (!is_segment_name(de->d_name))
			continue;
		n++;
		if (strlen(de->d_name) < sizeof(best) &&
		    (strlen(de->d_name) > strlen(best) ||
		     (strlen(de->d_name) == strlen(best) && strcmp(de->d_name, best) > 0)))
			snprintf(best, sizeof(best), "%s", de->d_name);
	}
	closedir(d);
	if (last && len && n)
		snprintf(last, len, "%s/%s", dir, best);
	return n;
}

int rec_seg_identify(const char *path, struct rec_seg_id *id)
{
	struct ingero_reader *rd = NULL;
	struct ingero_error err = { 0 };
	struct ingero_record rec;
	const struct ingero_header *h;
	int rc = -1;

	memset(id, 0, sizeof(*id));
	if (ingero_reader_open(&rd, path, &err) < 0)
		return -1;
	if (ingero_reader_next(rd, &rec) >= 0 && (h = ingero_reader_header(rd))) {
		snprintf(id->node, sizeof(id->node), "%s", h->node ? h->node : "");
		snprintf(id->boot_id, sizeof(id->boot_id), "%s", h->boot_id ? h->boot_id : "");
		snprintf(id->recorder, sizeof(id->recorder), "%s", h->recorder ? h->recorder : "");
		rc = 0;
	}
	ingero_reader_close(rd);
	return rc;
}

int rec_seg_is_demo(const struct rec_seg_id *id)
{
	return !strncmp(id->recorder, "ingero-record demo", 18);
}

void rec_boot_id(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	if (!len)
		return;
	*buf = 0;
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}
