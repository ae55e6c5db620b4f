/* sql_schema.h - `ingero-sql --schema`: tables and columns with descriptions. */
#ifndef INGERO_SQL_SCHEMA_H
#define INGERO_SQL_SCHEMA_H
#include <sqlite3.h>
#include <stdio.h>
/* Print every table (and view) of `db` with its columns; tables and columns
 * of the Ingero-C schema (and the original's shared ones) get a one-line
 * description.  Returns 0, or -1 after printing an error to stderr. */
int ingero_sql_print_schema(sqlite3 *db, FILE *out);
#endif
