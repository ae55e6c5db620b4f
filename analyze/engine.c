/* placeholder: the causal engine (replaced by the real implementation) */
#include "engine.h"
int ingero_engine_run(sqlite3 *db, const struct ingero_engine_opts *o, char *err, size_t errlen)
{
	(void)db; (void)o; (void)err; (void)errlen;
	return 0;
}
int ingero_engine_report_text(sqlite3 *db, FILE *out)
{
	(void)db;
	fprintf(out, "INCIDENT REPORT — no causal chains detected\n");
	return 0;
}
struct json_object *ingero_engine_report_json(sqlite3 *db)
{
	(void)db;
	return NULL;
}
