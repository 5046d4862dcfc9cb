// SPDX-License-Identifier: MIT
/*
 * internal.h - shared between the validator's files only (graph.c,
 * validator.c, report.c, hung_task.c). Nothing outside src/lockdep includes
 * it.
 */
#ifndef BALLAST_LOCKDEP_INTERNAL_H
#define BALLAST_LOCKDEP_INTERNAL_H

#include <ballast/lockdep.h>
#include <ballast/lib/list.h>

#include <stdio.h>

#if BALLAST_LOCKDEP

/* Compiled bounds of the tables (lockdep_set_limits() may lower them). */
#define LD_MAX_CLASSES 4096u
#define LD_MAX_EDGES 32768u
#define LD_MAX_CHAINS 65536u
#define LD_MAX_STACK_ENTRIES (1u << 18)
#define LD_EDGE_STACK_DEPTH 16u

/* Per task. */
#define LD_MAX_HELD 48u
#define LD_MAX_OWED 8u
#define LD_MAX_OWED_INSTANCES 128u	/* two writeback batches */
#define LD_MAX_WINDOWS 8u
#define LD_MAX_SCOPES 16u

#define LD_NONE UINT32_MAX

/*
 * Dependency types, as lockdep's: how the earlier lock was held (Exclusive
 * or Shared) and how the later one is acquired (Non-recursive or
 * Recursive read). An event, a wait target and a pseudo-lock are always
 * exclusive / non-recursive.
 */
#define LD_DEP_EN 0x1u
#define LD_DEP_ER 0x2u
#define LD_DEP_SN 0x4u
#define LD_DEP_SR 0x8u
#define LD_DEP_FROM_E (LD_DEP_EN | LD_DEP_ER)
#define LD_DEP_TO_N (LD_DEP_EN | LD_DEP_SN)

static inline unsigned int ld_dep_bit(bool from_shared, bool to_recursive)
{
	return from_shared ? (to_recursive ? LD_DEP_SR : LD_DEP_SN)
			   : (to_recursive ? LD_DEP_ER : LD_DEP_EN);
}

/* How an edge was first seen. */
enum ld_via {
	LD_VIA_ACQUIRE,		/* held lock -> lock acquired */
	LD_VIA_WAIT,		/* held lock -> event waited for */
	LD_VIA_OWED,		/* owed event -> acquisition or wait */
	LD_VIA_SIGNAL,		/* signalled event -> earlier acquisition */
};

/*
 * struct ld_class - one lock class (key, subclass). Everything is
 * immutable after publication in the class hash except first_out (graph
 * lock).
 */
struct ld_class {
	uint32_t id;
	uint8_t subclass;
	uint8_t kind;			/* enum lockdep_kind */
	const void *key;
	char name[48];
	const char *file;
	int line;
	uint32_t first_out;		/* graph lock: head of out-edge list */
};

/*
 * struct ld_edge - a dependency from -> to. dep: atomic (read by the lock
 * free fast path); next_out: graph lock; the rest immutable once published.
 */
struct ld_edge {
	uint32_t from, to;
	uint32_t next_out;
	_Atomic(uint8_t) dep;
	uint8_t via;			/* enum ld_via, first seen */
	uint16_t nr_stack;
	uint32_t stack;			/* offset in the stack pool, or LD_NONE */
	unsigned long from_ip;		/* where @from was taken / owed */
	unsigned long to_ip;		/* where @to was taken / waited for */
	char task[16];
};

/*
 * struct ld_held - one entry of a task's held-lock stack. Written by the
 * owner, read by the hung-task watchdog under the task's seqcount: atomic.
 */
struct ld_held {
	_Atomic(struct ld_class *) class;	/* NULL: class table was full */
	_Atomic(const struct lockdep_map *) map;
	_Atomic(unsigned long) ip;
	_Atomic(uint8_t) read;
	_Atomic(uint8_t) trylock;
};

/*
 * One owed event class. count: atomic, the task's instances of it in
 * owed_inst[] (any task that discharges one decrements it); the slot is
 * free when it is 0, and only then does the owner set class and ip.
 */
struct ld_owed {
	_Atomic(struct ld_class *) class;
	_Atomic(unsigned long) count;
	_Atomic(unsigned long) ip;
};

/*
 * One owed instance (a page under writeback). inst: atomic, NULL when
 * free; set by the owner, cleared by whichever task discharges it (a
 * compare-and-swap, so exactly once). slot: atomic, the owed[] entry of
 * its class, stable while inst is set. seq: owner only, order of owing.
 */
struct ld_owed_inst {
	_Atomic(const void *) inst;
	_Atomic(uint8_t) slot;
	uint64_t seq;
};

/* Owner only: one acquisition or wait, for completion windows. */
struct ld_hist {
	struct ld_class *class;
	unsigned long ip;
	uint8_t read;
};

struct ld_window {
	struct ld_class *class;		/* a completion class signalled */
	uint64_t pos;			/* history position after the signal */
};

struct ld_scope {
	unsigned int allowed;
	const char *what;
	unsigned long ip;
};

/*
 * struct ld_task - the validator's state of one thread.
 *
 * Owner only unless said otherwise: the held stack, owed events and the
 * blocked fields are atomics published under seq (a seqcount written by the
 * owner) so the watchdog can print them; owed instances are discharged by
 * any task (struct ld_owed_inst); node: registry_lock.
 */
struct ld_task {
	struct list_head node;
	_Atomic(unsigned int) seq;
	char name[16];			/* written under ld_registry_lock */
	struct ld_held held[LD_MAX_HELD];
	_Atomic(unsigned int) nr_held;
	unsigned int nr_dropped;	/* acquisitions not recorded (full) */
	unsigned int nr_spin;		/* held spinlocks */
	unsigned int atomic_depth;	/* lockdep_atomic_enter() nesting */
	uint64_t ctx_key;		/* multiset hash of held locks */
	unsigned int nr_ctx;		/* held locks with a class */
	uint64_t next_seq;		/* acquisition counter */
	uint64_t atomic_episode;	/* id of current atomic section */
	uint64_t ctx_reported;		/* episode already reported */
	struct ld_owed owed[LD_MAX_OWED];
	struct ld_owed_inst owed_inst[LD_MAX_OWED_INSTANCES];
	_Atomic(unsigned int) nr_owed;	/* atomic: instances in owed_inst[] */
	uint64_t owed_seq;
	/* event history for lock_signal() */
	struct ld_hist hist[LOCKDEP_HISTORY];
	uint64_t hist_pos;
	unsigned long hist_epoch;
	struct ld_window windows[LD_MAX_WINDOWS];
	unsigned int window_next;
	struct ld_scope scopes[LD_MAX_SCOPES];
	unsigned int nr_scopes;
	unsigned int scopes_dropped;
	/* blocked state, read by the watchdog */
	_Atomic(struct ld_class *) blocked_class;
	_Atomic(unsigned long) blocked_ip;
	_Atomic(uint64_t) blocked_since_ns;	/* 0: not blocked */
	_Atomic(uint64_t) blocked_episode;
	uint64_t hung_reported;		/* registry_lock (watchdog) */
};

/* graph.c */
extern pthread_mutex_t ld_graph_lock;
struct ld_class *ld_class_get(struct lockdep_map *map, unsigned int subclass);
struct ld_class *ld_class_by_id(uint32_t id);
struct ld_edge *ld_edge_by_id(uint32_t id);
bool ld_edge_known(struct ld_class *from, struct ld_class *to,
		   unsigned int dep);
bool ld_chain_known(uint64_t key);
void ld_chain_add(uint64_t key);
/*
 * Add from -> to with type @dep. If it is new (or a new type), check it
 * for a cycle; returns the cycle's length in edges (0: no cycle), of which
 * the first min(length, @max_cycle) are written to @cycle, the new edge
 * first. *@full is set if the edge table is full (the edge is not
 * recorded).
 */
unsigned int ld_edge_add(struct ld_class *from, struct ld_class *to,
			 unsigned int dep, enum ld_via via,
			 unsigned long from_ip, unsigned long to_ip,
			 const char *task, const unsigned long *stack,
			 unsigned int nr_stack, uint32_t *cycle,
			 unsigned int max_cycle, bool *full);
unsigned int ld_edge_stack(const struct ld_edge *edge,
			   const unsigned long **entries);
void ld_graph_reset(void);
void ld_graph_stats(struct lockdep_stats *stats);
void ld_graph_set_limits(unsigned long max_classes, unsigned long max_edges,
			 unsigned long max_chains);

/* validator.c */
struct ld_task *ld_task_current(void);
extern pthread_mutex_t ld_registry_lock;
extern struct list_head ld_registry;
uint64_t ld_now_ns(void);
void ld_print_tasks(FILE *out);
void ld_print_task(FILE *out, struct ld_task *t);

/* report.c */
void ld_report_init(void);
void ld_limit_report(const char *table, unsigned long bound);
/* @nr edges of a cycle of @len (more than @nr: the rest is not known). */
void ld_report_cycle(struct ld_task *t, const uint32_t *cycle,
		     unsigned int nr, unsigned int len, struct ld_class *target,
		     int read, unsigned long ip);
void ld_report_recursion(struct ld_task *t, uint32_t edge_id,
			 struct ld_class *class, int read, unsigned long ip,
			 enum ld_via via);
/* True if a report was made (false: the site was reported before). */
bool ld_report_invalid_context(struct ld_task *t, const char *what,
			       const char *file, int line, unsigned long ip);
void ld_report_alloc_scope(struct ld_task *t, const struct ld_scope *scope,
			   unsigned int bits, const char *what,
			   unsigned long ip);
void ld_report_misuse(struct ld_task *t, const char *fmt, ...) __printf(2, 3);
void ld_report_hung(const char *victim, struct ld_class *waits_for,
		    unsigned long ip, uint64_t blocked_ms,
		    uint64_t threshold_ms);
void ld_class_label(const struct ld_class *class, char *buf, size_t len);
void ld_format_ip(unsigned long ip, char *buf, size_t len);
void ld_reports_reset(void);

#endif /* BALLAST_LOCKDEP */
#endif /* BALLAST_LOCKDEP_INTERNAL_H */
