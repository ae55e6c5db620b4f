/* Minimal unit-test helpers: each CHECK prints PASS/FAIL lines that
 * tests/run.sh counts.  Use T_CHECK(cond, "name fmt", ...). */
#ifndef INGERO_UNIT_H
#define INGERO_UNIT_H
#include <stdio.h>
static int t_failed;
#define T_CHECK(cond, ...) do { \
	if (cond) { printf("PASS: "); printf(__VA_ARGS__); printf("\n"); } \
	else { t_failed++; printf("FAIL: "); printf(__VA_ARGS__); \
	       printf(" (%s:%d: %s)\n", __FILE__, __LINE__, #cond); } \
	fflush(stdout); } while (0)
#define T_SKIP(...) do { printf("SKIP: "); printf(__VA_ARGS__); printf("\n"); } while (0)
#define T_DONE() return t_failed ? 1 : 0
#endif
