/* tools.h - shared by the tool files (tools.c, tools2.c). */
#ifndef INGERO_MCP_TOOLS_H
#define INGERO_MCP_TOOLS_H

#include "mcp.h"

#define TEXT_MAX (24 * 1024)      /* compact text of one result */
#define CELL_MAX 1000             /* run_sql: characters of one cell */
#define SQL_BYTES_MAX (256 * 1024) /* run_sql: bytes of all cells */

struct res {
	json_object *sc;              /* structuredContent */
	char *txt;                    /* compact text */
	size_t len, cap;
	int cut;                      /* text cut at TEXT_MAX */
	int verbose;
	int is_error;
};
struct args {
	json_object *o;               /* may be NULL */
};

void tp(struct res *r, const char *fmt, ...) IG_PRINTF(2, 3);
int terr(struct res *r, const char *fmt, ...) IG_PRINTF(2, 3);   /* returns -1 */
int a_int(struct res *r, struct args *a, const char *k, int64_t def, int64_t min, int64_t max, int64_t *out);
int a_num(struct res *r, struct args *a, const char *k, double def, double min, double max, double *out);
int a_bool(struct res *r, struct args *a, const char *k, int def, int *out);
/* NULL when absent; -1 when not a string */
int a_str(struct res *r, struct args *a, const char *k, const char **out);
/* op name -> source/op, or an error naming the known ops */
int a_op(struct res *r, const char *name, int *source, int *op);
/* node name -> index, or an error naming the known nodes */
int a_node(struct res *r, const char *name, int *node);

#define JADD(o, k, v) json_object_object_add((o), (k), (v))
#define JI(v) json_object_new_int64((int64_t)(v))
#define JD(v) json_object_new_double((double)(v))
#define JB(v) json_object_new_boolean((v) ? 1 : 0)
const char *dur(int64_t ns, char *buf);   /* buf: IG_DUR_BUF */
/* "comm" of (node, pid) from processes / process_names, "" when unknown */
const char *comm_of(const char *node, int64_t pid);
int sev_rank(const char *s);               /* HIGH 0, MEDIUM 1, LOW 2, else 3 */
int has_rows(const char *table);

/* tools2.c */
int t_get_stacks(struct args *a, struct res *r);     /* tools_events.c */
int t_get_timeline(struct args *a, struct res *r);
int t_graph_lifecycle(struct args *a, struct res *r);
int t_graph_frequency(struct args *a, struct res *r);
int t_get_nodes(struct args *a, struct res *r);
int t_run_sql(struct args *a, struct res *r);
int t_get_check(struct args *a, struct res *r);
int t_run_demo(struct args *a, struct res *r);

#endif
