/*
 * ingero_bpf.h - the kernel/user boundary of ingero-record.
 *
 * Fixed-width structs shared by bpf/ingero.bpf.c and the record/ sources.  These are
 * NOT the on-disk format: record/record_events.c translates every struct below into
 * formats/ingero.h records, so the two layouts change independently.
 *
 * Sizes are pinned with _Static_assert; append fields only at the end and
 * bump the size assertion.
 */
#ifndef INGERO_BPF_H
#define INGERO_BPF_H

#ifndef __VMLINUX_H__
#include <stdint.h>
typedef uint8_t __ibpf_u8;
typedef uint16_t __ibpf_u16;
typedef uint32_t __ibpf_u32;
typedef int32_t __ibpf_s32;
typedef uint64_t __ibpf_u64;
#else
typedef __u8 __ibpf_u8;
typedef __u16 __ibpf_u16;
typedef __u32 __ibpf_u32;
typedef __s32 __ibpf_s32;
typedef __u64 __ibpf_u64;
#endif

/* source and op codes, op flags: the enums of formats/ops.def */
#include "ingero_ops.h"

#define IBPF_NARGS 6
#define IBPF_COMM_LEN 16
#define IBPF_SRC_MAX INGERO_SRC_MAX
#define IBPF_STACK_DEPTH 64      /* = INGERO_STACK_MAX */

/* ibpf_event.flags */
#define IBPF_F_SAMPLED 0x1       /* = INGERO_EVF_SAMPLED */
#define IBPF_F_HAS_COMM 0x100    /* an ibpf_event_comm: comm[] and comm2[] follow */
#define IBPF_F_RENAME 0x400      /* with HAS_COMM: task tid of pid renamed itself to comm[]
                                    (prctl PR_SET_NAME, pthread_setname_np); not an event */

/*
 * One record in the ring buffer: a completed call (uretprobe) or a kernel
 * event.  ts = start, CLOCK_BOOTTIME ns (bpf_ktime_get_boot_ns); dur in ns.
 * source/op use the formats/ops.def codes.  stack_id: id in the `stacks`
 * STACK_TRACE map, -1 = none; taken at return, so its first frame is the
 * call site and `ip` holds the called function.  Events that name other tasks (sched_switch,
 * fork, exec, OOM kill) are an ibpf_event_comm with IBPF_F_HAS_COMM set;
 * every other event (all CUDA calls) is this struct alone.
 */
struct ibpf_event {
	__ibpf_u64 ts;
	__ibpf_u64 dur;
	__ibpf_u32 pid;          /* tgid */
	__ibpf_u32 tid;
	__ibpf_u8 source;
	__ibpf_u8 op;
	__ibpf_u16 flags;
	__ibpf_s32 ret;
	__ibpf_u32 cpu;
	__ibpf_s32 stack_id;
	__ibpf_u64 arg[IBPF_NARGS];
	__ibpf_u64 ip;           /* with a stack: the probed function's address
				    (stack_id's frames start at the call site) */
};
_Static_assert(sizeof(struct ibpf_event) == 96, "ibpf_event layout");

struct ibpf_event_comm {
	struct ibpf_event e;
	char comm[IBPF_COMM_LEN];   /* sched_switch: arg1's task; fork: the child; else pid's */
	char comm2[IBPF_COMM_LEN];  /* sched_switch: comm of arg3's task */
};
_Static_assert(sizeof(struct ibpf_event_comm) == 128, "ibpf_event_comm layout");

/* stack_mode (rodata): which CUDA calls carry a user stack */
#define IBPF_STACK_OFF 0
#define IBPF_STACK_SMART 1     /* first calls per thread and call site, slow ones, 1-in-N */
#define IBPF_STACK_ALL 2       /* every call */

/*
 * Uprobe attach cookie: which function a generic entry/return program is
 * looking at.  cookie = source << 8 | op.
 */
#define IBPF_COOKIE(src, op) (((__ibpf_u64)(src) << 8) | (op))
#define IBPF_COOKIE_SRC(c) ((__ibpf_u8)((c) >> 8))
#define IBPF_COOKIE_OP(c) ((__ibpf_u8)(c))
/* NCCL: ncclBcast (buff, count, ...) differs from ncclBroadcast; both op 6.
 * The PROBE value of ncclBcast's INGERO_OP_ALIAS row in ops.def. */
#define IBPF_NCCL_BCAST_LEGACY 0x80  /* or-ed into the op of the cookie */

/* Sampling key: 1-in-rate for (tgid, source, op); absent = every call. */
struct ibpf_sample_key {
	__ibpf_u32 tgid;
	__ibpf_u8 source;
	__ibpf_u8 op;
	__ibpf_u16 pad;
};
_Static_assert(sizeof(struct ibpf_sample_key) == 8, "ibpf_sample_key layout");

/* In-kernel page-allocation aggregate per tgid (per-CPU hash value). */
struct ibpf_page_agg {
	__ibpf_u64 bytes;
	__ibpf_u64 count;
	__ibpf_u64 first_ts;
	__ibpf_u64 last_ts;
	__ibpf_u32 tid;          /* last allocating thread */
	__ibpf_u32 pad;
};
_Static_assert(sizeof(struct ibpf_page_agg) == 40, "ibpf_page_agg layout");

/* NCCL communicator state, keyed by the ncclComm_t pointer value (u64). */
struct ibpf_nccl_comm {
	__ibpf_u64 hash;         /* hash of the ncclUniqueId: same on every rank */
	__ibpf_u64 seq;          /* collectives issued so far on this comm */
	__ibpf_u32 rank;
	__ibpf_u32 nranks;
};
_Static_assert(sizeof(struct ibpf_nccl_comm) == 24, "ibpf_nccl_comm layout");

/* traced map value */
#define IBPF_TRACED_PID 1        /* named by the user / found by the scanner */
#define IBPF_TRACED_CHILD 2      /* forked from a traced process */
#define IBPF_TRACED_AUTO 3       /* hit a CUDA uprobe (default mode) */

#endif
