/* ingero-record: dispatch to the subcommands (see record.h). */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "ingero.h"
#include "record.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ingero-record record [options]         trace every CUDA process (root)\n"
		"       ingero-record [record] -p PID|-u USER|--cuda-lib PATH|-d T [options]\n"
		"       ingero-record check [--json]          is this host ready?\n"
		"       ingero-record bundle -o FILE.tar.zst [DIR]  support bundle\n"
		"       ingero-record demo SCENARIO -o DIR    write a synthetic recording\n"
		"       ingero-record --version\n"
		"Run 'ingero-record SUBCOMMAND --help' for the options of each\n"
		"('ingero-record record --help' for the recorder's).\n");
}

int main(int argc, char **argv)
{
	ig_set_prog("ingero-record");
	/* bare: usage, not a host-wide unbounded recording (as perf, bpftrace) */
	if (argc < 2) {
		usage(stderr);
		return IG_EXIT_USAGE;
	}
	const char *c = argv[1];
	if (!strcmp(c, "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(c, "bundle"))
		return cmd_bundle(argc - 1, argv + 1);
	if (!strcmp(c, "demo"))
		return cmd_demo(argc - 1, argv + 1);
	if (!strcmp(c, "record"))
		return cmd_record(argc - 1, argv + 1, true);
	if (!strcmp(c, "--version") || !strcmp(c, "version")) {
		ig_print_version();
		return ig_exit(0);
	}
	if (!strcmp(c, "-h") || !strcmp(c, "--help") || !strcmp(c, "help")) {
		usage(stdout);
		return ig_exit(0);
	}
	return cmd_record(argc, argv, false);
}
