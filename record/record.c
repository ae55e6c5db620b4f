/* placeholder: replaced by the real implementation */
#include <stdio.h>
#include "record.h"
int cmd_record(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "ingero-record: 'record' is not implemented yet\n");
	return 1;
}
