/*
 * report.h - ingero-report: one self-contained HTML file from an analysis
 * database (docs/report.md).
 *   report.c       CLI, page skeleton, helpers, verdict, manifest and
 *                  provenance sections, written as static HTML
 *   report_tables.c  the table sections (chains, step findings, ops,
 *                  processes, NCCL ranks, CUDA graphs)
 *   report_data.c  the events scan (per-op / per-process statistics, binned
 *                  latency percentiles) and every plot's data as JSON
 *   report.js/css  the page's own plotting and table code, embedded at build
 *                  time (report.mk generates report_assets.c)
 */
#ifndef INGERO_REPORT_H
#define INGERO_REPORT_H

#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>

#include "common.h"

#define REPORT_BINS 600          /* time bins of the binned plots */
#define REPORT_TOP_OPS 3         /* ops in the latency plot */
#define REPORT_MAX_POINTS 1200   /* points per raw series before downsampling */
/* SQL: chains and findings, most severe first */
#define SEV_ORDER "CASE severity WHEN 'HIGH' THEN 0 WHEN 'MEDIUM' THEN 1 WHEN 'LOW' THEN 2 ELSE 3 END"

struct rep_op {
	int source, op;
	char name[48];
	int64_t *dur;                /* every duration, ns */
	uint16_t *bin;               /* its time bin */
	size_t n, cap;
	int64_t total, max;
	int64_t p50, p95, p99;
};

struct rep_proc {
	uint32_t node;               /* strtab id */
	int64_t pid;
	uint64_t cuda_calls, host_events;
	int64_t cuda_ns, offcpu_pre_ns, offcpu_blk_ns;
	int chains;
};

struct rep {
	sqlite3 *db;
	FILE *f;                     /* the HTML being written */
	int64_t t0, t1;              /* span, unix ns */
	struct rep_op *ops;
	size_t nops;
	struct rep_proc *procs;
	size_t nprocs;
	struct ig_strtab nodes;      /* node names (ids in rep_proc.node) */
	int has_steps;
	/* JSON of the plots (built in memory, written once) */
	char *json;
	size_t json_len;
	int nplots;
};

/* report_data.c */
int rep_scan(struct rep *r);                 /* events -> ops, procs */
int rep_plots_json(struct rep *r);           /* -> r->json */
void rep_op_pcts(struct rep *r);             /* after rep_plots_json */
void rep_free(struct rep *r);
const char *rep_node(const struct rep *r, uint32_t id);
/* per-rank NCCL arrival lateness (the table in report.c) */
struct rep_rank {
	char node[64];
	int64_t rank;
	uint64_t colls, last;
	int64_t p50, p99, max;       /* lateness, ns */
};
int rep_nccl_ranks(struct rep *r, struct rep_rank **out, size_t *n);

/* report_assets.c (generated) */
extern const char rep_asset_css[];
extern const char rep_asset_js[];

/* report_tables.c: the table sections of the page */
void rep_sec_chains(struct rep *r);
void rep_sec_step_findings(struct rep *r);
void rep_sec_ops(struct rep *r);
void rep_sec_procs(struct rep *r);
void rep_sec_nccl(struct rep *r);
void rep_sec_graphs(struct rep *r);

/* helpers (report.c) */
void rep_html(FILE *f, const char *s);       /* HTML-escaped, valid UTF-8 */
const char *rep_dur(int64_t ns, char *b, size_t n);
const char *rep_utc(int64_t ns, char *b, size_t n);    /* "2026-12-02 10:00:00.123 UTC" */
const char *rep_col(sqlite3_stmt *st, int i);          /* text column, "" for NULL */
int64_t rep_i64(sqlite3_stmt *st, int i);
sqlite3_stmt *rep_prep(struct rep *r, const char *sql); /* NULL (and a warning) on error */
int64_t rep_count(struct rep *r, const char *table, const char *where);
void rep_json_list(FILE *f, const char *js, int max);  /* a JSON string array as <li>s */

#endif
