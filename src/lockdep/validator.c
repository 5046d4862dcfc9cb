// SPDX-License-Identifier: MIT
/*
 * validator.c - the dependency validator's per-task side: held-lock
 * stacks, owed events, event histories, atomic contexts and allocation
 * scopes, and the annotations the primitives call (lock_acquire(),
 * lock_release(), lock_wait(), lock_signal(), ...). The graph lives in
 * graph.c, reports in report.c, the watchdog in hung_task.c; the model is
 * described in docs/lockdep.md.
 *
 * Invariants and locking:
 *  - Each thread has one struct ld_task, made on its first annotation and
 *    freed by a thread-exit destructor; it is on ld_registry (protected by
 *    ld_registry_lock, a pthread mutex) from creation to destruction.
 *  - Only the owner writes its ld_task. The fields the watchdog prints
 *    (name, held stack, owed events, blocked state) are atomics written
 *    inside the task's seqcount (odd while a write is in progress); the
 *    watchdog reads them under ld_registry_lock and retries on a change.
 *    The seqcount orders with compiler barriers only (x86-64 keeps stores
 *    and loads in order; TSan does not support thread fences); on a weaker
 *    machine a snapshot could be torn, which only affects what a report
 *    prints, never the graph.
 *  - ctx_key is the sum of one hash per held entry with a class (class,
 *    shared or not); nr_ctx counts those terms. A context is ctx_key plus
 *    one hash per owed class with a non-zero count (computed when needed:
 *    other tasks discharge debts). A chain key (context, new class,
 *    recursive or not) in the chain cache means every edge from that
 *    context to that class exists.
 *  - A task owes an event per instance (a page), in owed_inst[]; each
 *    instance counts once in its class's owed[] entry. Whoever ends the
 *    event discharges the instance, in its owner's table if need be
 *    (found under ld_registry_lock, which keeps the owner alive).
 *  - nr_spin counts held LOCKDEP_SPIN entries; the task is atomic while
 *    nr_spin + atomic_depth > 0. atomic_episode changes each time it
 *    becomes atomic, so one sleep is reported once per atomic section.
 *  - The engine never calls a ballast primitive and never re-enters
 *    itself: its locks are pthread mutexes (lock order: ld_registry_lock,
 *    ld_graph_lock, then report.c's report lock, then log.c's sym_lock).
 *    It allocates from the C heap only (task state, reports).
 * Nothing here sleeps but on those internal mutexes.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if BALLAST_LOCKDEP

pthread_mutex_t ld_registry_lock = PTHREAD_MUTEX_INITIALIZER;
LIST_HEAD(ld_registry);
static _Atomic(unsigned long) nr_tasks;
static _Atomic(unsigned long) hist_epoch = 1;

static pthread_key_t task_key;
static pthread_once_t task_key_once = PTHREAD_ONCE_INIT;
static __thread struct ld_task *task_current;

#define CYCLE_MAX 64u

uint64_t ld_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static inline uint64_t held_term(const struct ld_class *c, bool shared)
{
	return mix64((uint64_t)c->id << 2 | shared);
}

static inline uint64_t owed_term(const struct ld_class *c)
{
	return mix64((uint64_t)c->id << 2 | 2);
}

/* ------------------------------------------------------------------ */
/* Tasks                                                                 */
/* ------------------------------------------------------------------ */

static void seq_begin(struct ld_task *t)
{
	unsigned int s = atomic_load_explicit(&t->seq, memory_order_relaxed);

	atomic_store_explicit(&t->seq, s + 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_release);
}

static void seq_end(struct ld_task *t)
{
	unsigned int s = atomic_load_explicit(&t->seq, memory_order_relaxed);

	atomic_store_explicit(&t->seq, s + 1, memory_order_release);
}

static void task_exit(void *arg)
{
	struct ld_task *t = arg;
	unsigned int nr = atomic_load_explicit(&t->nr_held,
					       memory_order_relaxed);

	if (nr) {
		struct ld_class *c = atomic_load_explicit(
			&t->held[nr - 1].class, memory_order_relaxed);

		ld_report_misuse(t, "task \"%s\" exited holding %u lock(s), "
				 "the last taken %s", t->name, nr,
				 c ? c->name : "(no class)");
	}
	pthread_mutex_lock(&ld_registry_lock);
	list_del(&t->node);
	pthread_mutex_unlock(&ld_registry_lock);
	atomic_fetch_sub(&nr_tasks, 1);
	if (task_current == t)
		task_current = NULL;
	free(t);
}

static void task_key_init(void)
{
	pthread_key_create(&task_key, task_exit);
	ld_report_init();
}

static struct ld_task *task_create(void)
{
	struct ld_task *t;

	pthread_once(&task_key_once, task_key_init);
	t = calloc(1, sizeof(*t));
	if (!t)
		ballast_fatal("no memory for the validator's task state");
	snprintf(t->name, sizeof(t->name), "thread-%d", (int)gettid());
	t->hist_epoch = atomic_load(&hist_epoch);
	pthread_mutex_lock(&ld_registry_lock);
	list_add_tail(&t->node, &ld_registry);
	pthread_mutex_unlock(&ld_registry_lock);
	atomic_fetch_add(&nr_tasks, 1);
	pthread_setspecific(task_key, t);
	task_current = t;
	return t;
}

struct ld_task *ld_task_current(void)
{
	struct ld_task *t = task_current;

	return likely(t) ? t : task_create();
}

void lockdep_set_task_name(const char *name)
{
	struct ld_task *t = ld_task_current();

	/* The watchdog copies names under ld_registry_lock. */
	pthread_mutex_lock(&ld_registry_lock);
	snprintf(t->name, sizeof(t->name), "%s", name);
	pthread_mutex_unlock(&ld_registry_lock);
}

/* ------------------------------------------------------------------ */
/* Classes and maps                                                      */
/* ------------------------------------------------------------------ */

void lockdep_init_map(struct lockdep_map *map, const char *name,
		      const struct lock_class_key *key, enum lockdep_kind kind,
		      const char *file, int line)
{
	map->name = name;
	map->key = key;
	map->kind = kind;
	map->file = file;
	map->line = line;
	for (unsigned int i = 0; i < LOCKDEP_MAX_SUBCLASSES; i++)
		atomic_store_explicit(&map->class_cache[i], NULL,
				      memory_order_relaxed);
}

static inline bool kind_sleeps(enum lockdep_kind kind)
{
	return kind != LOCKDEP_SPIN;
}

/* ------------------------------------------------------------------ */
/* Context checks                                                        */
/* ------------------------------------------------------------------ */

static inline bool task_atomic(const struct ld_task *t)
{
	return t->nr_spin || t->atomic_depth;
}

static void enter_atomic(struct ld_task *t)
{
	if (!task_atomic(t))
		t->atomic_episode = ++t->next_seq;
}

static void check_sleep(struct ld_task *t, const char *what, const char *file,
			int line, unsigned long ip)
{
	if (likely(!task_atomic(t)) || t->ctx_reported == t->atomic_episode)
		return;
	/* A site reported before does not silence the rest of the section. */
	if (ld_report_invalid_context(t, what, file, line, ip))
		t->ctx_reported = t->atomic_episode;
}

/* ------------------------------------------------------------------ */
/* Dependencies                                                          */
/* ------------------------------------------------------------------ */

struct dep_stack {
	unsigned long entries[LD_EDGE_STACK_DEPTH];
	unsigned int nr;
	unsigned int skip;	/* engine frames above the annotation */
	bool saved;
};

static __noinline void save_stack(struct dep_stack *s)
{
	/* The trace starts at the primitive that called the annotation. */
	s->nr = (unsigned int)stack_trace_save(s->entries,
					       LD_EDGE_STACK_DEPTH, s->skip);
	s->saved = true;
}

/*
 * Record @from -> @to (type @dep) if new; report a cycle or a recursion it
 * closes. Returns false if the edge table is full (the edge is missing).
 */
static __noinline bool add_dep(struct ld_task *t, struct ld_class *from,
			       struct ld_class *to, unsigned int dep,
			       enum ld_via via, unsigned long from_ip,
			       unsigned long to_ip, int read,
			       struct dep_stack *stack)
{
	uint32_t cycle[CYCLE_MAX];
	unsigned int nr;
	bool full;

	if (ld_edge_known(from, to, dep))
		return true;
	if (!stack->saved)
		save_stack(stack);
	nr = ld_edge_add(from, to, dep, via, from_ip, to_ip, t->name,
			 stack->entries, stack->nr, cycle, CYCLE_MAX, &full);
	if (!nr)
		return !full;
	if (from == to)
		ld_report_recursion(t, cycle[0], to, read, to_ip, via);
	else
		ld_report_cycle(t, cycle, min(nr, CYCLE_MAX), nr, to, read,
				to_ip);
	return true;
}

struct owed_snap {
	struct ld_class *class;
	unsigned long ip;
};

/*
 * The owed part of @t's context: its classes with a debt, into @snap.
 * Another task may pay a debt meanwhile, so the caller keys the context
 * and adds the edges from this one snapshot (two reads could disagree
 * and cache a key whose edge was never added). Return: how many.
 */
static unsigned int owed_snapshot(struct ld_task *t,
				  struct owed_snap snap[LD_MAX_OWED])
{
	unsigned int nr = 0;

	if (!atomic_load_explicit(&t->nr_owed, memory_order_relaxed))
		return 0;
	for (unsigned int i = 0; i < LD_MAX_OWED; i++) {
		if (!atomic_load_explicit(&t->owed[i].count,
					  memory_order_relaxed))
			continue;
		snap[nr].class = atomic_load_explicit(&t->owed[i].class,
						      memory_order_relaxed);
		snap[nr++].ip = atomic_load_explicit(&t->owed[i].ip,
						     memory_order_relaxed);
	}
	return nr;
}

/* Edges from everything @t holds or owes to @class, acquired as @read. */
static __noinline void check_deps(struct ld_task *t, struct ld_class *class, int read,
		       enum ld_via via, unsigned long ip)
{
	bool to_r = read == LOCKDEP_SHARED_RECURSIVE;
	unsigned int nr = atomic_load_explicit(&t->nr_held,
					       memory_order_relaxed);
	struct owed_snap owed[LD_MAX_OWED];
	unsigned int nr_owed = owed_snapshot(t, owed);
	struct dep_stack stack;
	bool complete = true;
	uint64_t key = t->ctx_key;

	if (!t->nr_ctx && !nr_owed)
		return;
	for (unsigned int i = 0; i < nr_owed; i++)
		key += owed_term(owed[i].class);
	key = mix64(key ^ mix64((uint64_t)class->id << 1 | to_r));
	if (ld_chain_known(key))
		return;
	stack.saved = false;
	stack.skip = 4;	/* save_stack, add_dep, check_deps, annotation */
	for (unsigned int i = 0; i < nr; i++) {
		struct ld_held *h = &t->held[i];
		struct ld_class *c = atomic_load_explicit(
			&h->class, memory_order_relaxed);
		bool shared = atomic_load_explicit(&h->read,
						   memory_order_relaxed);
		unsigned int dep = ld_dep_bit(shared, to_r);

		/* A recursive read under a read of the same class never
		 * waits (lockdep's -(SR)-> self dependency). */
		if (!c || (c == class && dep == LD_DEP_SR))
			continue;
		complete &= add_dep(t, c, class, dep, via,
				    atomic_load_explicit(&h->ip,
							 memory_order_relaxed),
				    ip, read, &stack);
	}
	for (unsigned int i = 0; i < nr_owed; i++)
		complete &= add_dep(t, owed[i].class, class,
				    ld_dep_bit(false, to_r), LD_VIA_OWED,
				    owed[i].ip, ip, read, &stack);
	/* A context with an edge missing (table full) is checked again. */
	if (complete)
		ld_chain_add(key);
}

/* ------------------------------------------------------------------ */
/* Event history (lock_signal windows)                                   */
/* ------------------------------------------------------------------ */

static void hist_sync_epoch(struct ld_task *t)
{
	unsigned long e = atomic_load_explicit(&hist_epoch,
					       memory_order_relaxed);

	if (likely(t->hist_epoch == e))
		return;
	t->hist_epoch = e;
	t->hist_pos = 0;
	memset(t->windows, 0, sizeof(t->windows));
}

static void hist_record(struct ld_task *t, struct ld_class *class, int read,
			unsigned long ip)
{
	struct ld_hist *h;

	hist_sync_epoch(t);
	h = &t->hist[t->hist_pos++ % LOCKDEP_HISTORY];
	h->class = class;
	h->ip = ip;
	h->read = (uint8_t)read;
}

/* ------------------------------------------------------------------ */
/* Annotations                                                           */
/* ------------------------------------------------------------------ */

static struct ld_class *map_class(struct ld_task *t, struct lockdep_map *map,
				  unsigned int subclass)
{
	if (unlikely(subclass >= LOCKDEP_MAX_SUBCLASSES)) {
		ld_report_misuse(t, "%s: subclass %u out of range (max %u)",
				 map->name, subclass,
				 LOCKDEP_MAX_SUBCLASSES - 1);
		subclass = LOCKDEP_MAX_SUBCLASSES - 1;
	}
	return ld_class_get(map, subclass);
}

void lock_acquire(struct lockdep_map *map, unsigned int subclass, int trylock,
		  int read, unsigned long ip)
{
	struct ld_task *t = ld_task_current();
	struct ld_class *class = map_class(t, map, subclass);
	unsigned int nr;
	struct ld_held *h;

	if (!trylock) {
		if (kind_sleeps(map->kind))
			check_sleep(t, "acquire", NULL, 0, ip);
		if (class) {
			check_deps(t, class, read, LD_VIA_ACQUIRE, ip);
			hist_record(t, class, read, ip);
		}
	}
	nr = atomic_load_explicit(&t->nr_held, memory_order_relaxed);
	if (unlikely(nr >= LD_MAX_HELD)) {
		if (!t->nr_dropped++)
			ld_limit_report("held-lock stack", LD_MAX_HELD);
		return;
	}
	if (map->kind == LOCKDEP_SPIN)
		enter_atomic(t);
	h = &t->held[nr];
	seq_begin(t);
	atomic_store_explicit(&h->class, class, memory_order_relaxed);
	atomic_store_explicit(&h->map, map, memory_order_relaxed);
	atomic_store_explicit(&h->ip, ip, memory_order_relaxed);
	atomic_store_explicit(&h->read, read != LOCKDEP_EXCLUSIVE,
			      memory_order_relaxed);
	atomic_store_explicit(&h->trylock, trylock != 0,
			      memory_order_relaxed);
	atomic_store_explicit(&t->nr_held, nr + 1, memory_order_relaxed);
	seq_end(t);
	if (map->kind == LOCKDEP_SPIN)
		t->nr_spin++;
	if (class) {
		t->ctx_key += held_term(class, read != LOCKDEP_EXCLUSIVE);
		t->nr_ctx++;
	}
}

void lock_release(struct lockdep_map *map, unsigned long ip)
{
	struct ld_task *t = ld_task_current();
	unsigned int nr = atomic_load_explicit(&t->nr_held,
					       memory_order_relaxed);
	struct ld_class *class;
	bool shared;
	int i;

	for (i = (int)nr - 1; i >= 0; i--)
		if (atomic_load_explicit(&t->held[i].map,
					 memory_order_relaxed) == map)
			break;
	if (i < 0) {
		if (t->nr_dropped) {
			t->nr_dropped--;
			return;
		}
		ld_report_misuse(t, "releasing %s, which task \"%s\" does "
				 "not hold", map->name ? map->name : "?",
				 t->name);
		return;
	}
	class = atomic_load_explicit(&t->held[i].class, memory_order_relaxed);
	shared = atomic_load_explicit(&t->held[i].read, memory_order_relaxed);
	seq_begin(t);
	for (unsigned int j = (unsigned int)i; j + 1 < nr; j++) {
		struct ld_held *d = &t->held[j], *s = &t->held[j + 1];

		atomic_store_explicit(&d->class, atomic_load_explicit(
			&s->class, memory_order_relaxed), memory_order_relaxed);
		atomic_store_explicit(&d->map, atomic_load_explicit(
			&s->map, memory_order_relaxed), memory_order_relaxed);
		atomic_store_explicit(&d->ip, atomic_load_explicit(
			&s->ip, memory_order_relaxed), memory_order_relaxed);
		atomic_store_explicit(&d->read, atomic_load_explicit(
			&s->read, memory_order_relaxed), memory_order_relaxed);
		atomic_store_explicit(&d->trylock, atomic_load_explicit(
			&s->trylock, memory_order_relaxed),
			memory_order_relaxed);
	}
	atomic_store_explicit(&t->nr_held, nr - 1, memory_order_relaxed);
	seq_end(t);
	if (map->kind == LOCKDEP_SPIN)
		t->nr_spin--;
	if (class) {
		t->ctx_key -= held_term(class, shared);
		t->nr_ctx--;
	}
}

void lock_wait(struct lockdep_map *map, unsigned long ip)
{
	struct ld_task *t = ld_task_current();
	struct ld_class *class = map_class(t, map, 0);

	check_sleep(t, "wait", NULL, 0, ip);
	if (!class)
		return;
	check_deps(t, class, LOCKDEP_EXCLUSIVE, LD_VIA_WAIT, ip);
	/*
	 * A wait for an event is not part of a completion window: a wait
	 * followed by a signal is how tokens are handed on (a relay of two
	 * completions would otherwise be a cycle however it is primed).
	 * Waiting for a lock to be released (a page lock) is kept.
	 */
	if (class->kind != LOCKDEP_EVENT && class->kind != LOCKDEP_COMPLETION)
		hist_record(t, class, LOCKDEP_EXCLUSIVE, ip);
}

void lock_wait_timeout(struct lockdep_map *map, unsigned long ip)
{
	check_sleep(ld_task_current(), "wait", NULL, 0, ip);
}

static struct ld_window *window_get(struct ld_task *t, struct ld_class *class)
{
	struct ld_window *w;

	for (unsigned int i = 0; i < LD_MAX_WINDOWS; i++)
		if (t->windows[i].class == class)
			return &t->windows[i];
	/* Not signalled before (or forgotten): the window is the history. */
	w = &t->windows[t->window_next++ % LD_MAX_WINDOWS];
	w->class = class;
	w->pos = 0;
	return w;
}

void lock_signal(struct lockdep_map *map, unsigned long ip)
{
	struct ld_task *t = ld_task_current();
	struct ld_class *class = map_class(t, map, 0);
	struct dep_stack stack;
	struct ld_window *w;
	uint64_t start;

	if (!class)
		return;
	hist_sync_epoch(t);
	w = window_get(t, class);
	start = w->pos;
	if (t->hist_pos > LOCKDEP_HISTORY &&
	    start < t->hist_pos - LOCKDEP_HISTORY)
		start = t->hist_pos - LOCKDEP_HISTORY;
	stack.saved = false;
	stack.skip = 3;	/* save_stack, add_dep, lock_signal */
	for (uint64_t p = start; p < t->hist_pos; p++) {
		struct ld_hist *h = &t->hist[p % LOCKDEP_HISTORY];

		/* Same class: another instance of this event (a parent task
		 * waiting for its children's exit, say); not tracked. */
		if (h->class == class)
			continue;
		add_dep(t, class, h->class,
			ld_dep_bit(false, h->read == LOCKDEP_SHARED_RECURSIVE),
			LD_VIA_SIGNAL, ip, h->ip, h->read, &stack);
	}
	w->pos = t->hist_pos;
}

void lockdep_event_owe(struct lockdep_map *map, const void *instance,
		       unsigned long ip)
{
	struct ld_task *t = ld_task_current();
	struct ld_class *class = map_class(t, map, 0);
	struct ld_owed *o = NULL, *free_slot = NULL;
	struct ld_owed_inst *e = NULL;

	if (!class)
		return;
	for (unsigned int i = 0; i < LD_MAX_OWED_INSTANCES && !e; i++)
		if (!atomic_load_explicit(&t->owed_inst[i].inst,
					  memory_order_relaxed))
			e = &t->owed_inst[i];
	if (!e) {
		ld_limit_report("owed-event instance", LD_MAX_OWED_INSTANCES);
		return;
	}
	for (unsigned int i = 0; i < LD_MAX_OWED && !o; i++) {
		struct ld_owed *s = &t->owed[i];
		struct ld_class *c = atomic_load_explicit(
			&s->class, memory_order_relaxed);

		if (!atomic_load_explicit(&s->count, memory_order_relaxed)) {
			if (!free_slot)
				free_slot = s;
		} else if (c == class) {
			o = s;
		}
	}
	if (o) {
		atomic_fetch_add_explicit(&o->count, 1, memory_order_relaxed);
	} else if (free_slot) {
		o = free_slot;
		seq_begin(t);
		atomic_store_explicit(&o->ip, ip, memory_order_relaxed);
		atomic_store_explicit(&o->class, class, memory_order_relaxed);
		atomic_store_explicit(&o->count, 1, memory_order_relaxed);
		seq_end(t);
	} else {
		ld_limit_report("owed-event", LD_MAX_OWED);
		return;
	}
	/* Counted before published: a discharger never takes it below 0. */
	atomic_fetch_add_explicit(&t->nr_owed, 1, memory_order_relaxed);
	atomic_store_explicit(&e->slot, (uint8_t)(o - t->owed),
			      memory_order_relaxed);
	e->seq = ++t->owed_seq;
	atomic_store_explicit(&e->inst, instance, memory_order_release);
}

/* Discharge @e of @t if it still holds @inst (exactly one caller wins). */
static bool inst_discharge(struct ld_task *t, struct ld_owed_inst *e,
			   const void *inst)
{
	uint8_t slot = atomic_load_explicit(&e->slot, memory_order_relaxed);

	if (!atomic_compare_exchange_strong_explicit(&e->inst, &inst, NULL,
						     memory_order_acq_rel,
						     memory_order_relaxed))
		return false;
	atomic_fetch_sub_explicit(&t->owed[slot].count, 1,
				  memory_order_relaxed);
	atomic_fetch_sub_explicit(&t->nr_owed, 1, memory_order_relaxed);
	return true;
}

/* @t's entry for @inst of @class, or with @inst NULL its oldest one. */
static struct ld_owed_inst *inst_find(struct ld_task *t,
				      const struct ld_class *class,
				      const void *inst)
{
	struct ld_owed_inst *found = NULL;

	for (unsigned int i = 0; i < LD_MAX_OWED_INSTANCES; i++) {
		struct ld_owed_inst *e = &t->owed_inst[i];
		const void *p = atomic_load_explicit(&e->inst,
						     memory_order_acquire);
		uint8_t slot = atomic_load_explicit(&e->slot,
						    memory_order_relaxed);

		if (!p || (inst && p != inst) ||
		    atomic_load_explicit(&t->owed[slot].class,
					 memory_order_relaxed) != class)
			continue;
		if (inst)
			return e;
		if (!found || e->seq < found->seq)
			found = e;
	}
	return found;
}

void lockdep_event_discharge(struct lockdep_map *map, const void *instance)
{
	struct ld_task *t = ld_task_current(), *o;
	struct ld_class *class = map_class(t, map, 0);
	struct ld_owed_inst *e;

	if (!class)
		return;
	/* Ours, usually; another task may have discharged it meanwhile. */
	while ((e = inst_find(t, class, instance))) {
		const void *p = atomic_load_explicit(&e->inst,
						     memory_order_relaxed);

		if ((p && inst_discharge(t, e, p)) || instance)
			return;
	}
	if (!instance)
		return;
	/* Owed by another task (or by nobody, past the bound). */
	pthread_mutex_lock(&ld_registry_lock);
	list_for_each_entry(o, &ld_registry, node) {
		if (o != t && (e = inst_find(o, class, instance)) &&
		    inst_discharge(o, e, instance))
			break;
	}
	pthread_mutex_unlock(&ld_registry_lock);
}

bool lock_is_held(const struct lockdep_map *map)
{
	struct ld_task *t = ld_task_current();
	unsigned int nr = atomic_load_explicit(&t->nr_held,
					       memory_order_relaxed);

	for (unsigned int i = 0; i < nr; i++)
		if (atomic_load_explicit(&t->held[i].map,
					 memory_order_relaxed) == map)
			return true;
	return false;
}

void __might_sleep(const char *file, int line)
{
	check_sleep(ld_task_current(), "might_sleep", file, line, _RET_IP_);
}

void __might_sleep_ip(unsigned long ip)
{
	check_sleep(ld_task_current(), "might_sleep", NULL, 0, ip);
}

void lockdep_report_misuse(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ld_report_misuse(ld_task_current(), "%s", msg);
}

void lockdep_atomic_enter(void)
{
	struct ld_task *t = ld_task_current();

	enter_atomic(t);
	t->atomic_depth++;
}

void lockdep_atomic_exit(void)
{
	struct ld_task *t = ld_task_current();

	if (!t->atomic_depth) {
		ld_report_misuse(t, "lockdep_atomic_exit() without "
				 "lockdep_atomic_enter()");
		return;
	}
	t->atomic_depth--;
}

void lockdep_block_begin(const struct lockdep_map *map, unsigned long ip)
{
	struct ld_task *t = ld_task_current();
	struct ld_class *class = NULL;

	for (unsigned int i = 0; i < LOCKDEP_MAX_SUBCLASSES && !class; i++)
		class = atomic_load_explicit(&map->class_cache[i],
					     memory_order_acquire);
	if (!class)
		class = ld_class_get((struct lockdep_map *)map, 0);
	seq_begin(t);
	atomic_store_explicit(&t->blocked_class, class, memory_order_relaxed);
	atomic_store_explicit(&t->blocked_ip, ip, memory_order_relaxed);
	atomic_fetch_add_explicit(&t->blocked_episode, 1,
				  memory_order_relaxed);
	atomic_store_explicit(&t->blocked_since_ns, ld_now_ns(),
			      memory_order_relaxed);
	seq_end(t);
}

void lockdep_block_end(void)
{
	struct ld_task *t = ld_task_current();

	seq_begin(t);
	atomic_store_explicit(&t->blocked_since_ns, 0, memory_order_relaxed);
	seq_end(t);
}

/* ------------------------------------------------------------------ */
/* Allocation scopes                                                     */
/* ------------------------------------------------------------------ */

void lockdep_alloc_scope_push(unsigned int allowed, const char *what,
			      unsigned long ip)
{
	struct ld_task *t = ld_task_current();

	if (t->nr_scopes >= LD_MAX_SCOPES) {
		if (!t->scopes_dropped++)
			ld_limit_report("allocation scope", LD_MAX_SCOPES);
		return;
	}
	t->scopes[t->nr_scopes++] = (struct ld_scope){ allowed, what, ip };
}

void lockdep_alloc_scope_pop(void)
{
	struct ld_task *t = ld_task_current();

	if (t->scopes_dropped) {
		t->scopes_dropped--;
		return;
	}
	if (!t->nr_scopes) {
		ld_report_misuse(t, "lockdep_alloc_scope_pop() without a push");
		return;
	}
	t->nr_scopes--;
}

void lockdep_alloc_check(unsigned int bits, const char *what,
			 unsigned long ip)
{
	struct ld_task *t = ld_task_current();

	/* Every open scope binds; name the innermost one that forbids. */
	for (unsigned int i = t->nr_scopes; i-- > 0;) {
		if (bits & ~t->scopes[i].allowed) {
			ld_report_alloc_scope(t, &t->scopes[i], bits, what, ip);
			return;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Whole-engine operations                                               */
/* ------------------------------------------------------------------ */

int lockdep_reset(void)
{
	struct ld_task *self = ld_task_current(), *t;
	int busy = 0;

	pthread_mutex_lock(&ld_registry_lock);
	list_for_each_entry(t, &ld_registry, node) {
		if (atomic_load_explicit(&t->nr_held, memory_order_relaxed) ||
		    atomic_load_explicit(&t->nr_owed, memory_order_relaxed))
			busy = 1;
	}
	if (!busy) {
		ld_graph_reset();
		ld_reports_reset();
		atomic_fetch_add(&hist_epoch, 1);
	}
	pthread_mutex_unlock(&ld_registry_lock);
	if (busy)
		return -16;	/* -EBUSY */
	self->ctx_reported = 0;
	hist_sync_epoch(self);
	return 0;
}

void lockdep_get_stats(struct lockdep_stats *stats)
{
	ld_graph_stats(stats);
	stats->nr_tasks = atomic_load(&nr_tasks);
}

void lockdep_set_limits(unsigned long max_classes, unsigned long max_edges,
			unsigned long max_chains)
{
	ld_graph_set_limits(max_classes, max_edges, max_chains);
}

/* ------------------------------------------------------------------ */
/* Printing every task's state                                           */
/* ------------------------------------------------------------------ */

struct task_snap {
	char name[16];
	unsigned int nr_held;
	struct {
		struct ld_class *class;
		unsigned long ip;
		bool read, trylock;
	} held[LD_MAX_HELD];
	struct {
		struct ld_class *class;
		unsigned long count;
	} owed[LD_MAX_OWED];
	struct ld_class *blocked_class;
	unsigned long blocked_ip;
	uint64_t blocked_since;
};

/* Copy @t's printable state; ld_registry_lock held. */
static void task_snapshot(struct ld_task *t, struct task_snap *s)
{
	for (int tries = 0; tries < 1000; tries++) {
		unsigned int s1 = atomic_load_explicit(&t->seq,
						       memory_order_acquire);
		unsigned int n;

		if (s1 & 1)
			continue;
		memcpy(s->name, t->name, sizeof(s->name));
		s->name[sizeof(s->name) - 1] = 0;
		n = atomic_load_explicit(&t->nr_held, memory_order_relaxed);
		s->nr_held = min(n, LD_MAX_HELD);
		for (unsigned int i = 0; i < s->nr_held; i++) {
			struct ld_held *h = &t->held[i];

			s->held[i].class = atomic_load_explicit(
				&h->class, memory_order_relaxed);
			s->held[i].ip = atomic_load_explicit(
				&h->ip, memory_order_relaxed);
			s->held[i].read = atomic_load_explicit(
				&h->read, memory_order_relaxed);
			s->held[i].trylock = atomic_load_explicit(
				&h->trylock, memory_order_relaxed);
		}
		for (unsigned int i = 0; i < LD_MAX_OWED; i++) {
			s->owed[i].class = atomic_load_explicit(
				&t->owed[i].class, memory_order_relaxed);
			s->owed[i].count = atomic_load_explicit(
				&t->owed[i].count, memory_order_relaxed);
		}
		s->blocked_class = atomic_load_explicit(&t->blocked_class,
							memory_order_relaxed);
		s->blocked_ip = atomic_load_explicit(&t->blocked_ip,
						     memory_order_relaxed);
		s->blocked_since = atomic_load_explicit(&t->blocked_since_ns,
							memory_order_relaxed);
		atomic_signal_fence(memory_order_acquire);
		if (atomic_load_explicit(&t->seq, memory_order_relaxed) == s1)
			return;
	}
}

static void print_snap(FILE *out, const struct task_snap *s, uint64_t now)
{
	char label[96], where[256];

	fprintf(out, "  task \"%s\"", s->name);
	if (s->blocked_since) {
		ld_class_label(s->blocked_class, label, sizeof(label));
		ld_format_ip(s->blocked_ip, where, sizeof(where));
		fprintf(out, ": blocked for %llu ms on %s at %s\n",
			(unsigned long long)((now - s->blocked_since) /
					     1000000),
			label, where);
	} else {
		fprintf(out, ": running\n");
	}
	if (!s->nr_held)
		fprintf(out, "    holds no locks\n");
	for (unsigned int i = 0; i < s->nr_held; i++) {
		ld_class_label(s->held[i].class, label, sizeof(label));
		ld_format_ip(s->held[i].ip, where, sizeof(where));
		/* lock_acquire() comes before blocking on the lock itself. */
		bool acquiring = s->blocked_since && i + 1 == s->nr_held &&
				 s->held[i].class == s->blocked_class;

		fprintf(out, "    #%u %s%s%s %s at %s\n", i, label,
			s->held[i].read ? " (read)" : "",
			s->held[i].trylock ? " (trylock)" : "",
			acquiring ? "being acquired" : "taken", where);
	}
	for (unsigned int i = 0; i < LD_MAX_OWED; i++) {
		if (!s->owed[i].count)
			continue;
		ld_class_label(s->owed[i].class, label, sizeof(label));
		fprintf(out, "    owes %s x%lu\n", label, s->owed[i].count);
	}
}

/*
 * Print every task's state to @out, most interesting first: the caller
 * must not hold ld_registry_lock. Snapshots are taken under it, printed
 * (and symbolized) after.
 */
void ld_print_tasks(FILE *out)
{
	struct task_snap *snaps;
	struct ld_task *t;
	size_t n = 0, cap;
	uint64_t now = ld_now_ns();

	pthread_mutex_lock(&ld_registry_lock);
	cap = atomic_load(&nr_tasks) + 1;
	snaps = calloc(cap, sizeof(*snaps));
	if (snaps) {
		list_for_each_entry(t, &ld_registry, node) {
			if (n == cap)
				break;
			task_snapshot(t, &snaps[n++]);
		}
	}
	pthread_mutex_unlock(&ld_registry_lock);
	if (!snaps) {
		fprintf(out, "  (no memory to list the tasks)\n");
		return;
	}
	for (size_t i = 0; i < n; i++)
		print_snap(out, &snaps[i], now);
	free(snaps);
}

/* Print @t's own held locks (the reporting task). */
void ld_print_task(FILE *out, struct ld_task *t)
{
	struct task_snap *s = malloc(sizeof(*s));

	if (!s)
		return;
	task_snapshot(t, s);
	print_snap(out, s, ld_now_ns());
	free(s);
}

#endif /* BALLAST_LOCKDEP */
