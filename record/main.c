/* ingero-record: dispatch to the subcommands (see record.h). */
#include <stdio.h>
#include <string.h>

#include "ingero.h"
#include "record.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ingero-record [record] [options]     trace CUDA processes (root)\n"
		"       ingero-record check [--json]          is this host ready?\n"
		"       ingero-record bundle -o FILE.tar.zst [DIR]  support bundle\n"
		"       ingero-record demo SCENARIO -o DIR    write a synthetic recording\n"
		"       ingero-record --version\n"
		"Run 'ingero-record SUBCOMMAND --help' for the options of each.\n");
}

int main(int argc, char **argv)
{
	if (argc >= 2) {
		const char *c = argv[1];
		if (!strcmp(c, "check"))
			return cmd_check(argc - 1, argv + 1);
		if (!strcmp(c, "bundle"))
			return cmd_bundle(argc - 1, argv + 1);
		if (!strcmp(c, "demo"))
			return cmd_demo(argc - 1, argv + 1);
		if (!strcmp(c, "record"))
			return cmd_record(argc - 1, argv + 1);
		if (!strcmp(c, "--version") || !strcmp(c, "version")) {
			printf("ingero-record %s (format %d.%d)\n", INGERO_VERSION,
			       INGERO_FORMAT_MAJOR, INGERO_FORMAT_MINOR);
			return 0;
		}
		if (!strcmp(c, "-h") || !strcmp(c, "--help") || !strcmp(c, "help")) {
			usage(stdout);
			return 0;
		}
	}
	return cmd_record(argc, argv);
}
