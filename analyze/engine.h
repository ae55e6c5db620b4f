/* engine.h - the causal engine of ingero-analyze (analyze/engine*.c).
 * Reads an analysis database (analyze/schema.sql), writes causal_chains,
 * prints the incident report. */
#ifndef INGERO_ENGINE_H
#define INGERO_ENGINE_H

#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>

struct json_object;

struct ingero_engine_opts {
	const char *node;   /* only this node (NULL = all) */
	int64_t pid;        /* only this pid (-1 = all) */
	const char *op;     /* only this op name (NULL = all) */
	int64_t since_ns;   /* unix ns window [since, until); 0 = open */
	int64_t until_ns;
};

/* Run the engine; replaces the rows of causal_chains.  Returns the number of
 * chains found, or -1 with a one-line message in err. */
int ingero_engine_run(sqlite3 *db, const struct ingero_engine_opts *o, char *err, size_t errlen);
/* Incident report from causal_chains, deterministic order (severity, impact, id). */
int ingero_engine_report_text(sqlite3 *db, FILE *out);
/* Same as a JSON array of chain objects (caller owns the reference). */
struct json_object *ingero_engine_report_json(sqlite3 *db);

#endif
