// SPDX-License-Identifier: MIT
/*
 * lockdep.h - ballast's lock primitives and the dependency validator that
 * watches them (layer 12 of ARCHITECTURE.md; it sits at the bottom of the
 * stack in practice: every other layer uses these primitives).
 *
 * Rules for users:
 *  1. Every lock is a ballast lock: spinlock_t, struct mutex,
 *     struct rw_semaphore; every wait is a ballast wait: a completion or a
 *     page-bit wait from page.h. Never use a pthread lock for state that
 *     ballast's own code shares.
 *  2. Locks have a class: one per initialisation site (spin_lock_init() and
 *     friends make a static key at the call site), or an explicit key with
 *     spin_lock_init_key(), mutex_init_key(), init_rwsem_key() and
 *     init_completion_key(), or, for DEFINE_* static locks, the lock
 *     itself. Locks of one class taken nested need spin_lock_nested(),
 *     mutex_lock_nested(), down_read_nested() or down_write_nested() with
 *     a distinct subclass (0..LOCKDEP_MAX_SUBCLASSES-1), ordered by the
 *     caller.
 *  3. A spinlock holder never sleeps and never allocates with direct
 *     reclaim. Sleeping: mutex, rwsem, page lock, completion waits and any
 *     allocation that may enter direct reclaim.
 *  4. A function that may sleep says so on entry with might_sleep(); a
 *     function that may allocate says so with might_alloc() (alloc.h).
 *  5. A successful trylock is recorded as held but orders nothing before it.
 *  6. Waiting for an event (a completion, a page bit) while holding a lock
 *     makes the lock depend on whoever signals the event. A task that has
 *     started an event it has not yet handed off (set PG_writeback on a page
 *     it has not submitted) owes it: what it then acquires or waits for
 *     depends on that event. Declare it with lockdep_event_owe() and
 *     lockdep_event_discharge(), per instance (the page): ending one page
 *     pays for that page only, whichever task ends it.
 *
 * With BALLAST_LOCKDEP=0 (release builds) the validator is compiled out: the
 * maps are empty, the annotations are empty inlines, and the primitives are
 * thin inline wrappers around the C library's futex-based locks.
 */
#ifndef BALLAST_LOCKDEP_H
#define BALLAST_LOCKDEP_H

#include <pthread.h>
#include <stdatomic.h>
#include <ballast/lib/compiler.h>
#include <ballast/lib/log.h>

/* ------------------------------------------------------------------ */
/* Classes and maps                                                      */
/* ------------------------------------------------------------------ */

#define LOCKDEP_MAX_SUBCLASSES 8
/* Acquisitions and waits a task remembers for lock_signal(). */
#define LOCKDEP_HISTORY 64

/* Identity of a lock class: only its address matters. Static storage. */
struct lock_class_key {
	char __unused_byte;
};

enum lockdep_kind {
	LOCKDEP_SPIN,		/* spinlock_t: holder must not sleep */
	LOCKDEP_MUTEX,		/* struct mutex */
	LOCKDEP_RWSEM,		/* struct rw_semaphore */
	LOCKDEP_COMPLETION,	/* struct completion: an event */
	LOCKDEP_EVENT,		/* a page bit or other signalled event */
	LOCKDEP_PSEUDO,		/* a pseudo-lock (reclaim contexts) */
};

/*
 * What the validator knows of one lock, wait object or pseudo-lock.
 * name, key, kind, file, line: immutable after init.
 * class_cache: atomic; the validator's cached class pointers per subclass.
 */
struct lockdep_map {
#if BALLAST_LOCKDEP
	const char *name;
	const struct lock_class_key *key;
	const char *file;
	int line;
	enum lockdep_kind kind;
	_Atomic(void *) class_cache[LOCKDEP_MAX_SUBCLASSES];
#endif
};

#if BALLAST_LOCKDEP
#define LOCKDEP_MAP_INIT(_name, _kind) \
	{ .name = (_name), .key = NULL, .file = __FILE__, .line = __LINE__, \
	  .kind = (_kind) }
#else
#define LOCKDEP_MAP_INIT(_name, _kind) {}
#endif

/*
 * read argument of lock_acquire(). ballast's rw_semaphore is writer
 * preferring, so its readers are LOCKDEP_SHARED: a reader waits behind a
 * queued writer and therefore depends on everything that writer waits for.
 * LOCKDEP_SHARED_RECURSIVE is for a reader that never waits behind a writer
 * (as Linux's read_lock() in interrupt context); no ballast primitive uses
 * it yet, the engine models it as lockdep does (docs/lockdep.md).
 */
#define LOCKDEP_EXCLUSIVE 0
#define LOCKDEP_SHARED 1
#define LOCKDEP_SHARED_RECURSIVE 2

#if BALLAST_LOCKDEP
/*
 * The Context: lines of the annotations below say "C heap only" for their
 * allocations: the validator never allocates from ballast's allocator, so
 * it never enters reclaim, but it callocs a thread's state on that
 * thread's first annotation and composes reports in memory. Its internal
 * mutexes (pthread) are held briefly and never around a ballast primitive.
 */

/**
 * lockdep_init_map() - give a map its class.
 * @map: the map, embedded in the lock.
 * @name: class name printed in reports (static storage).
 * @key: class key; NULL keys the class by @map itself (static locks).
 * @kind: what the map stands for.
 * @file, @line: initialisation site, printed in reports.
 *
 * Context: @map is not in use (any other locks may be held); never
 * sleeps; no allocation; never enters reclaim, callable from reclaim, a
 * shrinker or an OOM notifier.
 */
void lockdep_init_map(struct lockdep_map *map, const char *name,
		      const struct lock_class_key *key, enum lockdep_kind kind,
		      const char *file, int line);

/**
 * lock_acquire() - record that the current task holds @map.
 * @map: the lock.
 * @subclass: 0, or the nesting level for same-class nesting.
 * @trylock: non-zero for a successful trylock: held, but no new edges.
 * @read: LOCKDEP_EXCLUSIVE or LOCKDEP_SHARED (rwsem readers).
 * @ip: acquisition site (_RET_IP_ of the primitive).
 *
 * Adds an edge from every held lock (and every event the task owes) to
 * @map, checks new edges for cycles, checks the context (rule 3).
 * Context: any locks held (they are what it records); never sleeps; C heap
 * only (tables, bounded: a full table is reported, not corrupted; reports);
 * never enters reclaim, callable from reclaim, a shrinker or an OOM
 * notifier.
 */
void lock_acquire(struct lockdep_map *map, unsigned int subclass, int trylock,
		  int read, unsigned long ip);

/**
 * lock_release() - record that the current task no longer holds @map.
 * @map: the lock; held by the current task.
 * @ip: release site.
 *
 * Releasing a map the task does not hold is reported (kind "misuse").
 * Context: the caller holds @map and any other locks; never sleeps; C heap
 * only (a misuse report); never enters reclaim, callable from reclaim, a
 * shrinker or an OOM notifier.
 */
void lock_release(struct lockdep_map *map, unsigned long ip);

/**
 * lock_wait() - the current task waits for the event @map (a completion,
 * a page bit). Adds edges from everything held or owed to @map, even when
 * the wait will not block; checks the sleeping context.
 * @map: the event.
 * @ip: the wait's site.
 *
 * Context: any locks held (they become dependencies); called before
 * blocking, never sleeps itself; C heap only (tables, reports); never
 * enters reclaim, callable from reclaim, a shrinker or an OOM notifier.
 */
void lock_wait(struct lockdep_map *map, unsigned long ip);

/**
 * lockdep_event_owe() - the current task has started the event @instance
 * of class @map, which others may wait for, and has not handed it off
 * (rule 6). At most 8 classes and 128 instances owed at once per task
 * (more is reported as "limit" and not recorded).
 * @map: the event's class.
 * @instance: the event (a page), not NULL; owed once at a time.
 * @ip: where it was started, printed in reports.
 *
 * Context: any locks held; never sleeps; C heap only (a limit report);
 * never enters reclaim, callable from reclaim, a shrinker or an OOM
 * notifier.
 */
void lockdep_event_owe(struct lockdep_map *map, const void *instance,
		       unsigned long ip);

/**
 * lockdep_event_discharge() - @instance of @map is no longer owed: it
 * happened or was handed off. Whichever task owes it is discharged, the
 * current one or another (an I/O completion ending a page another task
 * started); no effect if nobody owes it. With @instance NULL, the current
 * task hands off the oldest instance of @map it owes.
 * @map: the event's class.
 * @instance: the event, or NULL.
 *
 * Context: any locks held; takes the validator's task registry mutex
 * briefly when another task owes @instance, never sleeps otherwise; C
 * heap only; never enters reclaim, callable from reclaim, a shrinker or an
 * OOM notifier.
 */
void lockdep_event_discharge(struct lockdep_map *map, const void *instance);

/**
 * lock_wait_timeout() - the current task waits for @map with a timeout.
 * @map: the event.
 * @ip: the wait's site.
 *
 * A wait that ends by itself cannot deadlock: only the sleeping context is
 * checked (rule 3); no dependency is recorded.
 * Context: any locks held (none becomes a dependency); called before
 * blocking, never sleeps itself; C heap only (a report); never enters
 * reclaim, callable from reclaim, a shrinker or an OOM notifier.
 */
void lock_wait_timeout(struct lockdep_map *map, unsigned long ip);

/**
 * lock_signal() - the current task signals the event @map (complete()).
 * @map: the event.
 * @ip: the signal's site.
 *
 * Everything the task acquired or waited for since it last signalled @map
 * (at most its last LOCKDEP_HISTORY acquisitions and waits) becomes a
 * dependency of @map: a waiter on @map that holds one of those locks can
 * deadlock with this task. See docs/lockdep.md, "Events".
 * Context: any locks held (complete() may be called under locks); never
 * sleeps; C heap only (tables, cycle reports); never enters reclaim,
 * callable from reclaim, a shrinker or an OOM notifier.
 */
void lock_signal(struct lockdep_map *map, unsigned long ip);

/**
 * lock_is_held() - does the current task hold @map?
 * @map: the lock.
 *
 * Context: any locks held; never sleeps; C heap only (the task's state on
 * its first annotation); never enters reclaim, callable from reclaim, a
 * shrinker or an OOM notifier.
 * Return: true if @map is on the current task's held-lock stack.
 */
bool lock_is_held(const struct lockdep_map *map);

/**
 * __might_sleep() - report a sleep from invalid context: with a spinlock
 * held or inside lockdep_atomic_enter(). Use might_sleep().
 * @file, @line: the site, printed in the report.
 *
 * Reports at most once per atomic section and per site.
 * Context: any locks held; never sleeps; C heap only (the report); never
 * enters reclaim, callable from reclaim, a shrinker or an OOM notifier.
 */
void __might_sleep(const char *file, int line);

/**
 * __might_sleep_ip() - as __might_sleep(), naming the code address @ip as
 * the site: primitives that may sleep (page-bit waits, allocations) pass
 * their caller's _RET_IP_, so each caller is a site of its own.
 * @ip: the caller's address, symbolized (function, file:line) in the
 *      report.
 *
 * Context: as __might_sleep().
 */
void __might_sleep_ip(unsigned long ip);

/**
 * lockdep_atomic_enter() / lockdep_atomic_exit() - mark an atomic section
 * (as preempt_disable() does): sleeping inside is reported. Nestable; an
 * exit without an enter is reported as misuse.
 *
 * Context: current task only, any locks held; never sleeps; C heap only (a
 * misuse report); never enters reclaim, callable from reclaim, a shrinker
 * or an OOM notifier.
 */
void lockdep_atomic_enter(void);
void lockdep_atomic_exit(void);

/**
 * lockdep_block_begin() / lockdep_block_end() - the current task blocks
 * waiting for @map (a contended lock or an event). The hung-task watchdog
 * reports tasks blocked longer than its threshold.
 * @map: what the task blocks on.
 * @ip: the blocking call's site.
 *
 * Context: called by the primitives around the blocking call, with what
 * their caller holds; never sleep; C heap only (the class of @map on
 * first use); never enter reclaim, callable from reclaim, a shrinker or an
 * OOM notifier.
 */
void lockdep_block_begin(const struct lockdep_map *map, unsigned long ip);
void lockdep_block_end(void);

/*
 * Allocation scopes (detects item 5 of the issue: an allocation API called
 * with a restrictive mask that internally allocates with a laxer one).
 * @allowed and @bits are sets of LOCKDEP_ALLOC_* capabilities computed by
 * the allocator from the effective GFP mask.
 */
#define LOCKDEP_ALLOC_RECLAIM 0x1u	/* may enter direct reclaim */
#define LOCKDEP_ALLOC_IO 0x2u		/* reclaim may start I/O */
#define LOCKDEP_ALLOC_FS 0x4u		/* reclaim may call into the fs */

/**
 * lockdep_alloc_scope_push() - an allocating API was entered with a mask
 * that allows only @allowed; allocations made inside it until the matching
 * pop must not allow more.
 * @allowed: LOCKDEP_ALLOC_* capabilities of the API's mask.
 * @what: name of the API, for the report (static string).
 * @ip: the API's call site.
 *
 * lockdep_alloc_scope_pop() closes the innermost scope; popping with none
 * open is reported as misuse. At most 16 scopes nest per task (more is a
 * limit report).
 * Context: current task only, any locks held; never sleep; C heap only (a
 * limit or misuse report); never enter reclaim, callable from reclaim, a
 * shrinker or an OOM notifier.
 */
void lockdep_alloc_scope_push(unsigned int allowed, const char *what,
			      unsigned long ip);
void lockdep_alloc_scope_pop(void);

/**
 * lockdep_alloc_check() - an allocation with capabilities @bits is made;
 * report if an open scope allows less, naming the innermost such scope's
 * API and site and @what at @ip (kind "alloc-scope", once per site pair).
 * @bits: LOCKDEP_ALLOC_* capabilities of the allocation's effective mask.
 * @what: what allocates, for the report (static string).
 * @ip: the allocation's site.
 *
 * Context: current task only, any locks held; never sleeps; C heap only
 * (the report); never enters reclaim, callable from reclaim, a shrinker or
 * an OOM notifier.
 */
void lockdep_alloc_check(unsigned int bits, const char *what,
			 unsigned long ip);

/**
 * lockdep_report_misuse() - report misuse of a lock primitive (releasing a
 * lock or page bit the task does not hold, ending an event never started,
 * destroying a held mutex) as a validator report of kind "misuse":
 * printed with the stack, claimable by tests, written to JSON, and
 * aborting in abort mode. The caller refuses the operation. The same
 * message is reported once. Release builds use report_misuse() (log.h).
 * @fmt: printf format of the message, which names the lock.
 *
 * Context: any locks held; never sleeps; C heap only (the report); never
 * enters reclaim, callable from reclaim, a shrinker or an OOM notifier.
 */
void lockdep_report_misuse(const char *fmt, ...) __printf(1, 2);

/**
 * lockdep_set_task_name() - name the current task in reports.
 * @name: copied (up to 15 characters).
 *
 * Context: any locks held; takes the validator's task registry mutex
 * briefly, never sleeps otherwise; C heap only; never enters reclaim,
 * callable from reclaim, a shrinker or an OOM notifier.
 */
void lockdep_set_task_name(const char *name);

/* ------------------------------------------------------------------ */
/* Reports, knobs and the test API                                      */
/* ------------------------------------------------------------------ */

enum lockdep_report_kind {
	LOCKDEP_REPORT_CYCLE,		/* circular dependency (locks, reclaim,
					 * events) */
	LOCKDEP_REPORT_RECURSION,	/* same class nested without subclass */
	LOCKDEP_REPORT_INVALID_CONTEXT,	/* sleeping in atomic context */
	LOCKDEP_REPORT_ALLOC_SCOPE,	/* nested allocation laxer than scope */
	LOCKDEP_REPORT_HUNG_TASK,	/* blocked longer than the threshold */
	LOCKDEP_REPORT_MISUSE,		/* unbalanced annotations */
	LOCKDEP_REPORT_LIMIT,		/* a bounded table is full */
	LOCKDEP_NR_REPORT_KINDS
};

/* What happens after a report is printed (env BALLAST_LOCKDEP). */
enum lockdep_mode {
	LOCKDEP_MODE_CONTINUE,		/* keep running ("continue") */
	LOCKDEP_MODE_ABORT,		/* abort() the process ("abort") */
};

/**
 * lockdep_set_mode() - choose between report-and-continue and
 * report-and-abort; the initial mode comes from $BALLAST_LOCKDEP
 * ("continue", the default, or "abort").
 * @mode: LOCKDEP_MODE_CONTINUE or LOCKDEP_MODE_ABORT.
 *
 * Context: any locks held; never sleeps; no allocation; never enters
 * reclaim, callable from reclaim, a shrinker or an OOM notifier.
 */
void lockdep_set_mode(enum lockdep_mode mode);

/**
 * lockdep_set_json_path() - also write every report as one JSON object per
 * line to @path (appended); NULL stops. The initial path comes from
 * $BALLAST_LOCKDEP_JSON.
 * @path: the file, created if need be; NULL: no JSON output.
 *
 * Context: no ballast lock needed; opens and closes a file, takes the
 * validator's report mutex briefly, never sleeps on ballast primitives; no
 * allocation from ballast; never enters reclaim (meant for start-up and
 * tests, not for reclaim).
 * Return: 0, or a negative errno from open(2) (the old file is kept).
 */
int __must_check lockdep_set_json_path(const char *path);

/**
 * lockdep_report_kind_name() - "cycle", "recursion", ... for @kind.
 * @kind: a report kind.
 *
 * Context: any locks held; never sleeps; no allocation; never enters
 * reclaim, callable from anywhere.
 * Return: a static string ("?" for an unknown kind).
 */
const char *lockdep_report_kind_name(enum lockdep_report_kind kind);

/**
 * lockdep_report_count() - reports of @kind since start or the last
 * lockdep_reset(), claimed or not.
 * @kind: a report kind.
 *
 * Context: any locks held; never sleeps; no allocation; never enters
 * reclaim, callable from anywhere.
 * Return: the number of reports of @kind (0 for an unknown kind).
 */
unsigned long lockdep_report_count(enum lockdep_report_kind kind);

/**
 * lockdep_report_claim() - mark the unclaimed reports of @kind whose
 * one-line summary contains @mention (NULL: any) as expected.
 * @kind: a report kind.
 * @mention: a substring of the summary, or NULL.
 *
 * Every report has a summary such as "cycle: A -> B -> A" naming the
 * classes involved; tests claim what they provoked and fail on the rest
 * (lockdep_reports_unclaimed()).
 * Context: any locks held; takes the validator's report mutex briefly,
 * never sleeps otherwise; no allocation; never enters reclaim (a test
 * API, not for reclaim).
 * Return: the number of reports claimed.
 */
unsigned long lockdep_report_claim(enum lockdep_report_kind kind,
				   const char *mention);

/**
 * lockdep_reports_unclaimed() - reports nobody claimed; with @print, their
 * summaries are printed on stderr.
 * @print: print the summaries too.
 *
 * In test builds (BALLAST_TESTING), a process that exits with unclaimed
 * reports prints them and exits with status 3 unless
 * $BALLAST_LOCKDEP_EXIT_CHECK is "0".
 * Context: any locks held; takes the validator's report mutex briefly,
 * never sleeps on ballast primitives; no allocation; never enters reclaim
 * (a test API, not for reclaim).
 * Return: the number of unclaimed reports (including any past the
 * record's 512 entries, which cannot be claimed).
 */
unsigned long lockdep_reports_unclaimed(bool print);

/*
 * lockdep_report_hook_fn - called after each report has been printed, from
 * the reporting thread, with no validator lock held. It must not use
 * ballast locks (it may run inside any lock operation).
 */
typedef void (*lockdep_report_hook_fn)(enum lockdep_report_kind kind,
				       const char *summary, void *arg);

/**
 * lockdep_set_report_hook() - install @fn (NULL removes it).
 * @fn: the hook, or NULL.
 * @arg: passed to @fn.
 *
 * Context: any locks held; takes the hook's internal mutex briefly, never
 * sleeps otherwise; no allocation; never enters reclaim (a test API, not
 * for reclaim).
 */
void lockdep_set_report_hook(lockdep_report_hook_fn fn, void *arg);

/**
 * lockdep_reset() - forget the dependency graph, the chain cache, the
 * reports and every task's event history; classes are kept.
 *
 * Context: quiescent: no other thread runs a lock operation, and no task
 * holds a lock or owes an event (threads that will use locks again may
 * exist, idle); takes the validator's internal mutexes, never sleeps
 * otherwise; no allocation from ballast; never enters reclaim, not
 * callable from reclaim, a shrinker or an OOM notifier (they hold a
 * pseudo-lock).
 * Return: 0, or -EBUSY (nothing reset) if a task holds a lock or owes an
 * event.
 */
int __must_check lockdep_reset(void);

/* Sizes and fills of the bounded tables. */
struct lockdep_stats {
	unsigned long nr_classes, max_classes;
	unsigned long nr_edges, max_edges;
	unsigned long nr_chains, max_chains;
	unsigned long nr_stack_entries, max_stack_entries;
	unsigned long nr_tasks;
};

/**
 * lockdep_get_stats() - fill @stats with the tables' fill and bounds.
 * @stats: filled in.
 *
 * Context: any locks held; never sleeps; no allocation; never enters
 * reclaim, callable from anywhere.
 */
void lockdep_get_stats(struct lockdep_stats *stats);

/**
 * lockdep_set_limits() - lower the table bounds (test builds use it to
 * reach them cheaply); 0 restores a bound to its compiled maximum, larger
 * values are clamped to it. A bound below the current fill means "full".
 * @max_classes, @max_edges, @max_chains: the bounds, in entries.
 *
 * Context: any locks held; never sleeps; no allocation; never enters
 * reclaim (a test API, not for reclaim).
 */
void lockdep_set_limits(unsigned long max_classes, unsigned long max_edges,
			unsigned long max_chains);

/**
 * lockdep_print_held_locks() - print every task's held locks, owed events
 * and what it is blocked on (as the hung-task report does), on stderr.
 *
 * Context: any locks held; takes the validator's internal mutexes briefly,
 * never sleeps on ballast primitives; C heap only (the snapshot); never
 * enters reclaim, callable from reclaim, a shrinker or an OOM notifier.
 */
void lockdep_print_held_locks(void);

/* Largest hung-task threshold: one day, in milliseconds. */
#define LOCKDEP_HUNG_TASK_MAX_MS 86400000ul

/**
 * lockdep_hung_task_start() - start the hung-task watchdog: a thread (not a
 * ballast task; it takes no ballast lock) that reports every task blocked
 * in a lock or wait (lockdep_block_begin/end) for longer than
 * @threshold_ms, once per blocking, with every task's held locks. If it
 * runs already, only its threshold changes (one lockdep_hung_task_stop()
 * stops it however often it was started). The test fixtures
 * (tests/support) start it with 0 and stop it in their teardown.
 * @threshold_ms: 1..LOCKDEP_HUNG_TASK_MAX_MS; 0 takes
 *	$BALLAST_HUNG_TASK_MS (decimal milliseconds in that range), else
 *	10000. A bad $BALLAST_HUNG_TASK_MS is warned about once and gives
 *	10000.
 *
 * Context: no ballast lock held; may sleep (thread creation); no
 * allocation from ballast (the thread's stack); never enters reclaim, not
 * callable from reclaim, a shrinker or an OOM notifier.
 * Return: 0 (started, or threshold changed), -EINVAL if @threshold_ms is
 * above LOCKDEP_HUNG_TASK_MAX_MS, or a negative errno from
 * pthread_create().
 */
int __must_check lockdep_hung_task_start(unsigned long threshold_ms);

/**
 * lockdep_hung_task_threshold() - the running watchdog's threshold.
 *
 * Context: any locks held; takes the watchdog's internal mutex briefly,
 * never sleeps on ballast primitives; no allocation; never enters reclaim,
 * callable from anywhere.
 * Return: the threshold in milliseconds, 0 if the watchdog is not running.
 */
unsigned long lockdep_hung_task_threshold(void);

/**
 * lockdep_hung_task_stop() - stop the watchdog and wait for its thread;
 * nothing if it is not running.
 *
 * Context: no ballast lock held; may sleep (joins the thread); no
 * allocation; never enters reclaim, not callable from reclaim, a shrinker
 * or an OOM notifier.
 */
void lockdep_hung_task_stop(void);

#else /* !BALLAST_LOCKDEP */

/*
 * Release builds: the validator's entry points above are empty inlines
 * (lock_is_held() answers true, lockdep_hung_task_start() succeeds without
 * a watchdog); callers still follow the contexts documented above.
 */
static inline void lockdep_init_map(struct lockdep_map *map, const char *name,
				    const struct lock_class_key *key,
				    enum lockdep_kind kind, const char *file,
				    int line) {}
static inline void lock_acquire(struct lockdep_map *map, unsigned int subclass,
				int trylock, int read, unsigned long ip) {}
static inline void lock_release(struct lockdep_map *map, unsigned long ip) {}
static inline void lock_wait(struct lockdep_map *map, unsigned long ip) {}
static inline void lockdep_event_owe(struct lockdep_map *map,
				     const void *instance, unsigned long ip) {}
static inline void lockdep_event_discharge(struct lockdep_map *map,
					   const void *instance) {}
static inline bool lock_is_held(const struct lockdep_map *map) { return true; }
static inline void __might_sleep(const char *file, int line) {}
static inline void __might_sleep_ip(unsigned long ip) {}
static inline void lockdep_atomic_enter(void) {}
static inline void lockdep_atomic_exit(void) {}
static inline void lockdep_block_begin(const struct lockdep_map *map,
				       unsigned long ip) {}
static inline void lockdep_block_end(void) {}
static inline void lockdep_alloc_scope_push(unsigned int allowed,
					    const char *what,
					    unsigned long ip) {}
static inline void lockdep_alloc_scope_pop(void) {}
static inline void lockdep_alloc_check(unsigned int bits, const char *what,
				       unsigned long ip) {}
#define lockdep_report_misuse(...) report_misuse(__VA_ARGS__)
static inline void lockdep_set_task_name(const char *name) {}
static inline void lock_wait_timeout(struct lockdep_map *map,
				     unsigned long ip) {}
static inline void lock_signal(struct lockdep_map *map, unsigned long ip) {}
static inline int lockdep_hung_task_start(unsigned long threshold_ms)
{
	return 0;
}
static inline unsigned long lockdep_hung_task_threshold(void)
{
	return 0;
}
static inline void lockdep_hung_task_stop(void) {}
static inline void lockdep_print_held_locks(void) {}
#endif /* BALLAST_LOCKDEP */

#define might_sleep() __might_sleep(__FILE__, __LINE__)

/* ------------------------------------------------------------------ */
/* Spinlocks                                                             */
/* ------------------------------------------------------------------ */

/*
 * spinlock_t - a short critical section whose holder never sleeps. In user
 * space a holder can still be preempted, so a contended waiter spins
 * briefly and then sleeps on a futex; the validator treats it as a
 * spinlock all the same. val: atomic (0 free, 1 held, 2 held with
 * sleepers); dep_map: immutable.
 */
typedef struct spinlock {
	_Atomic(int) val;
	struct lockdep_map dep_map;
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(lockname)                                  \
	{ .val = 0, .dep_map = LOCKDEP_MAP_INIT(#lockname, LOCKDEP_SPIN) }
#define DEFINE_SPINLOCK(x) spinlock_t x = __SPIN_LOCK_UNLOCKED(x)

/**
 * __spin_lock_init() - initialise @lock with class @key; use
 * spin_lock_init(), which makes one class per call site, or
 * spin_lock_init_key().
 * @lock: the lock, unlocked afterwards.
 * @name: class name printed in reports (static storage).
 * @key: class key (static storage).
 * @file, @line: initialisation site, printed in reports.
 *
 * Context: @lock is not in use (other locks may be held); never sleeps;
 * no allocation; never enters reclaim, callable from reclaim, a shrinker
 * or an OOM notifier.
 */
void __spin_lock_init(spinlock_t *lock, const char *name,
		      struct lock_class_key *key, const char *file, int line);
#define spin_lock_init(lock)                                              \
	do {                                                              \
		static struct lock_class_key __key;                       \
		__spin_lock_init((lock), #lock, &__key, __FILE__, __LINE__); \
	} while (0)
#define spin_lock_init_key(lock, name, key) \
	__spin_lock_init((lock), (name), (key), __FILE__, __LINE__)

/*
 * The raw lock word, without the validator (used by the primitives only:
 * spin_lock_nested(), spin_unlock(), spin_trylock() and their release-build
 * inlines). __raw_spin_trylock() and __raw_spin_unlock() never block;
 * __raw_spin_lock() takes the word, through __raw_spin_lock_slow() when
 * it is contended.
 */

/**
 * __raw_spin_lock_slow() - take the contended lock word @val: spin
 * briefly, then mark it as having sleepers (2) and block on the futex
 * until the holder's unlock wakes us.
 * @val: the lock word of a spinlock_t.
 *
 * Context: called by the spinlock primitives only, with what their caller
 * holds; blocks until the holder unlocks (a real wait, but the holder
 * never sleeps: rule 3); no allocation; no validator call; never enters
 * reclaim, callable from reclaim, a shrinker or an OOM notifier.
 */
void __raw_spin_lock_slow(_Atomic(int) *val);

/**
 * __raw_spin_unlock_wake() - wake one task sleeping on the lock word @val
 * (one FUTEX_WAKE), after an unlock that saw sleepers.
 * @val: the lock word of a spinlock_t, just released.
 *
 * Context: called by the spinlock primitives only; never sleeps; no
 * allocation; no validator call; never enters reclaim, callable from
 * reclaim, a shrinker or an OOM notifier.
 */
void __raw_spin_unlock_wake(_Atomic(int) *val);

static inline bool __raw_spin_trylock(_Atomic(int) *val)
{
	int free = 0;

	return atomic_compare_exchange_strong_explicit(
		val, &free, 1, memory_order_acquire, memory_order_relaxed);
}

static inline void __raw_spin_lock(_Atomic(int) *val)
{
	if (unlikely(!__raw_spin_trylock(val)))
		__raw_spin_lock_slow(val);
}

static inline void __raw_spin_unlock(_Atomic(int) *val)
{
	if (unlikely(atomic_exchange_explicit(val, 0, memory_order_release) ==
		     2))
		__raw_spin_unlock_wake(val);
}

/**
 * spin_lock_nested() - take @lock, spinning (then waiting on a futex)
 * while it is contended; spin_lock() is spin_lock_nested(@lock, 0).
 * @lock: the lock.
 * @subclass: nesting level for same-class nesting (rule 2).
 *
 * Context: the caller does not hold @lock (other locks may be held), and
 * holds it on return: an atomic section until spin_unlock(); never sleeps
 * in the validator's model (a contended waiter blocks until the holder,
 * which never sleeps, unlocks); no allocation; never enters reclaim,
 * callable from reclaim, a shrinker or an OOM notifier.
 */

/**
 * spin_unlock() - release @lock, held by the current task.
 * @lock: the lock.
 *
 * Context: the caller holds @lock; never sleeps; no allocation; never
 * enters reclaim, callable from reclaim, a shrinker or an OOM notifier.
 */

/**
 * spin_trylock() - take @lock if it is free, without waiting. A successful
 * trylock is held but orders nothing before it (rule 5).
 * @lock: the lock.
 *
 * Context: the caller does not hold @lock (other locks may be held);
 * never sleeps; no allocation; never enters reclaim, callable from
 * reclaim, a shrinker or an OOM notifier.
 * Return: true if taken (then held as by spin_lock()), false if it was
 * held.
 */
#if BALLAST_LOCKDEP
void spin_lock_nested(spinlock_t *lock, unsigned int subclass);
void spin_unlock(spinlock_t *lock);
bool spin_trylock(spinlock_t *lock);
#else
static inline void spin_lock_nested(spinlock_t *lock, unsigned int subclass)
{
	__raw_spin_lock(&lock->val);
}
static inline void spin_unlock(spinlock_t *lock)
{
	__raw_spin_unlock(&lock->val);
}
static inline bool spin_trylock(spinlock_t *lock)
{
	return __raw_spin_trylock(&lock->val);
}
#endif
#define spin_lock(lock) spin_lock_nested((lock), 0)
/* There are no interrupts in ballast: the irq variants are the plain ones. */
#define spin_lock_irq(lock) spin_lock(lock)
#define spin_unlock_irq(lock) spin_unlock(lock)
#define spin_lock_irqsave(lock, flags) \
	do { (flags) = 0; spin_lock(lock); } while (0)
#define spin_unlock_irqrestore(lock, flags) \
	do { (void)(flags); spin_unlock(lock); } while (0)

/* ------------------------------------------------------------------ */
/* Mutexes                                                               */
/* ------------------------------------------------------------------ */

/*
 * struct mutex - a sleeping lock. lock: owner only; owner: atomic, the task
 * cookie of the holder (debug builds), for lockdep_assert_held() and the
 * hung-task report; dep_map: immutable.
 */
struct mutex {
	pthread_mutex_t lock;
	_Atomic(unsigned long) owner;
	struct lockdep_map dep_map;
};

#define __MUTEX_INITIALIZER(lockname)                                  \
	{ .lock = PTHREAD_MUTEX_INITIALIZER, .owner = 0,               \
	  .dep_map = LOCKDEP_MAP_INIT(#lockname, LOCKDEP_MUTEX) }
#define DEFINE_MUTEX(x) struct mutex x = __MUTEX_INITIALIZER(x)

/**
 * __mutex_init() - initialise @lock with class @key; use mutex_init(),
 * which makes one class per call site, or mutex_init_key().
 * @lock: the mutex, unlocked afterwards.
 * @name: class name printed in reports (static storage).
 * @key: class key (static storage).
 * @file, @line: initialisation site, printed in reports.
 *
 * Context: @lock is not in use (other locks may be held); never sleeps;
 * no allocation; never enters reclaim, callable from reclaim, a shrinker
 * or an OOM notifier.
 */
void __mutex_init(struct mutex *lock, const char *name,
		  struct lock_class_key *key, const char *file, int line);
#define mutex_init(lock)                                                  \
	do {                                                              \
		static struct lock_class_key __key;                       \
		__mutex_init((lock), #lock, &__key, __FILE__, __LINE__);  \
	} while (0)
#define mutex_init_key(lock, name, key) \
	__mutex_init((lock), (name), (key), __FILE__, __LINE__)

/**
 * mutex_lock_nested() - take @lock, sleeping while it is contended.
 * @lock: the mutex.
 * @subclass: nesting level for same-class nesting (mutex_lock() uses 0).
 *
 * Context: the caller holds no spinlock and does not hold @lock (other
 * sleeping locks may be held), and holds it on return; may sleep; no
 * allocation; never enters reclaim; callable from reclaim, a shrinker or
 * an OOM notifier (the validator then records @lock inside the reclaim
 * pseudo-locks: it must not be held across a reclaim-capable allocation).
 */
void mutex_lock_nested(struct mutex *lock, unsigned int subclass);
#define mutex_lock(lock) mutex_lock_nested((lock), 0)

/**
 * mutex_trylock() - take @lock if it is free, without waiting. A
 * successful trylock is held but orders nothing before it (rule 5).
 * @lock: the mutex.
 *
 * Context: the caller does not hold @lock (any other locks may be held);
 * never sleeps; no allocation; never enters reclaim, callable from
 * reclaim, a shrinker or an OOM notifier.
 * Return: true if taken (then held as by mutex_lock()), false if it was
 * held.
 */
bool mutex_trylock(struct mutex *lock);

/**
 * mutex_unlock() - release @lock, held by the current task. Unlocking a
 * mutex the task does not hold is reported as misuse and refused.
 * @lock: the mutex.
 *
 * Context: the caller holds @lock; never sleeps; no allocation (a misuse
 * report uses the C heap); never enters reclaim, callable from reclaim, a
 * shrinker or an OOM notifier.
 */
void mutex_unlock(struct mutex *lock);

/**
 * mutex_destroy() - @lock is no longer used. Destroying a held mutex is
 * reported as misuse and refused.
 * @lock: the mutex, unlocked.
 *
 * Context: nobody holds or waits for @lock; never sleeps; no allocation
 * (a misuse report uses the C heap); never enters reclaim, callable from
 * reclaim, a shrinker or an OOM notifier.
 */
void mutex_destroy(struct mutex *lock);

/* ------------------------------------------------------------------ */
/* Read-write semaphores                                                 */
/* ------------------------------------------------------------------ */

/*
 * struct rw_semaphore - sleeping reader/writer lock; a waiting writer
 * blocks new readers (as Linux's rwsem does), so read-after-read by one
 * task while a writer waits can deadlock and is treated as a dependency.
 */
struct rw_semaphore {
	pthread_rwlock_t lock;
	_Atomic(unsigned long) owner;	/* atomic: writer's task cookie */
	struct lockdep_map dep_map;
};

#define __RWSEM_INITIALIZER(name)                                        \
	{ .lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP,      \
	  .owner = 0, .dep_map = LOCKDEP_MAP_INIT(#name, LOCKDEP_RWSEM) }
#define DECLARE_RWSEM(name) struct rw_semaphore name = __RWSEM_INITIALIZER(name)

/**
 * __init_rwsem() - initialise @sem (writer-preferring) with class @key;
 * use init_rwsem(), which makes one class per call site, or
 * init_rwsem_key().
 * @sem: the semaphore, unlocked afterwards.
 * @name: class name printed in reports (static storage).
 * @key: class key (static storage).
 * @file, @line: initialisation site, printed in reports.
 *
 * Context: @sem is not in use (other locks may be held); never sleeps; no
 * allocation; never enters reclaim, callable from reclaim, a shrinker or
 * an OOM notifier.
 */
void __init_rwsem(struct rw_semaphore *sem, const char *name,
		  struct lock_class_key *key, const char *file, int line);
#define init_rwsem(sem)                                                   \
	do {                                                              \
		static struct lock_class_key __key;                       \
		__init_rwsem((sem), #sem, &__key, __FILE__, __LINE__);    \
	} while (0)
#define init_rwsem_key(sem, name, key) \
	__init_rwsem((sem), (name), (key), __FILE__, __LINE__)

/**
 * down_read_nested() - take @sem for read, sleeping while a writer holds
 * it or waits for it (writers are preferred); down_read() is
 * down_read_nested(@sem, 0).
 * @sem: the semaphore.
 * @subclass: nesting level for same-class nesting (rule 2).
 *
 * Context: the caller holds no spinlock and does not hold @sem (other
 * sleeping locks may be held), and holds it for read on return; may
 * sleep; no allocation; never enters reclaim; callable from reclaim, a
 * shrinker or an OOM notifier (recorded inside the reclaim pseudo-locks).
 */
void down_read_nested(struct rw_semaphore *sem, unsigned int subclass);
#define down_read(sem) down_read_nested((sem), 0)

/**
 * down_read_trylock() - take @sem for read if no writer holds or waits
 * for it, without waiting; held but ordering nothing before it (rule 5).
 * @sem: the semaphore.
 *
 * Context: the caller does not hold @sem (any other locks may be held);
 * never sleeps; no allocation; never enters reclaim, callable from
 * reclaim, a shrinker or an OOM notifier.
 * Return: true if taken for read, false otherwise.
 */
bool down_read_trylock(struct rw_semaphore *sem);

/**
 * up_read() - release @sem, held for read by the current task.
 * @sem: the semaphore.
 *
 * Context: the caller holds @sem for read; never sleeps; no allocation;
 * never enters reclaim, callable from reclaim, a shrinker or an OOM
 * notifier.
 */
void up_read(struct rw_semaphore *sem);

/**
 * down_write_nested() - take @sem for write, sleeping while anyone holds
 * it; down_write() is down_write_nested(@sem, 0).
 * @sem: the semaphore.
 * @subclass: nesting level for same-class nesting (rule 2).
 *
 * Context: the caller holds no spinlock and does not hold @sem (other
 * sleeping locks may be held), and holds it for write on return; may
 * sleep; no allocation; never enters reclaim; callable from reclaim, a
 * shrinker or an OOM notifier (recorded inside the reclaim pseudo-locks).
 */
void down_write_nested(struct rw_semaphore *sem, unsigned int subclass);
#define down_write(sem) down_write_nested((sem), 0)

/**
 * down_write_trylock() - take @sem for write if nobody holds it, without
 * waiting; held but ordering nothing before it (rule 5).
 * @sem: the semaphore.
 *
 * Context: the caller does not hold @sem (any other locks may be held);
 * never sleeps; no allocation; never enters reclaim, callable from
 * reclaim, a shrinker or an OOM notifier.
 * Return: true if taken for write, false otherwise.
 */
bool down_write_trylock(struct rw_semaphore *sem);

/**
 * up_write() - release @sem, held for write by the current task.
 * @sem: the semaphore.
 *
 * Context: the caller holds @sem for write; never sleeps; no allocation;
 * never enters reclaim, callable from reclaim, a shrinker or an OOM
 * notifier.
 */
void up_write(struct rw_semaphore *sem);

/* ------------------------------------------------------------------ */
/* Completions                                                           */
/* ------------------------------------------------------------------ */

/*
 * struct completion - a one-shot (or counted) event. done: protected by
 * lock; dep_map: immutable; the class is the initialisation site.
 */
struct completion {
	pthread_mutex_t lock;
	pthread_cond_t wait;
	unsigned int done;
	struct lockdep_map dep_map;
};

/**
 * __init_completion() - initialise @x (not done) with class @key; use
 * init_completion(), which makes one class per call site, or
 * init_completion_key().
 * @x: the completion.
 * @name: class name printed in reports (static storage).
 * @key: class key (static storage).
 * @file, @line: initialisation site, printed in reports.
 *
 * Context: @x is not in use (any locks may be held); never sleeps; no
 * allocation; never enters reclaim, callable from reclaim, a shrinker or
 * an OOM notifier.
 */
void __init_completion(struct completion *x, const char *name,
		       struct lock_class_key *key, const char *file, int line);
#define init_completion(x)                                                \
	do {                                                              \
		static struct lock_class_key __key;                       \
		__init_completion((x), #x, &__key, __FILE__, __LINE__);   \
	} while (0)
#define init_completion_key(x, name, key) \
	__init_completion((x), (name), (key), __FILE__, __LINE__)

/**
 * reinit_completion() - reset @x to not done, for reuse.
 * @x: the completion.
 *
 * Context: nobody waits for @x and nobody completes it concurrently (any
 * locks may be held); takes @x's internal mutex briefly, never sleeps; no
 * allocation; never enters reclaim, callable from reclaim, a shrinker or
 * an OOM notifier.
 */
void reinit_completion(struct completion *x);

/**
 * wait_for_completion() - sleep until complete() has been called on @x
 * (consumes one completion).
 * @x: the completion.
 *
 * Context: the caller holds no spinlock; everything it holds becomes a
 * dependency of whoever completes @x; may sleep; no allocation; never
 * enters reclaim; callable from reclaim, a shrinker or an OOM notifier
 * only if @x's completer never waits for reclaim (the validator reports
 * the cycle otherwise).
 */
void wait_for_completion(struct completion *x);

/**
 * wait_for_completion_idle() - as wait_for_completion(), for a thread
 * waiting for work (kswapd, a driver's worker) rather than for something
 * it needs, or for another task to finish (task_destroy(): that task's own
 * waits are watched): the hung-task watchdog does not count the wait, as
 * Linux's detector skips TASK_IDLE sleepers.
 * @x: the completion.
 *
 * Context: the caller should hold nothing (dependencies are recorded as
 * for wait_for_completion()); may sleep; no allocation; never enters
 * reclaim; not for reclaim, a shrinker or an OOM notifier (they do not
 * idle).
 */
void wait_for_completion_idle(struct completion *x);

/**
 * wait_for_completion_timeout() - as wait_for_completion(), at most
 * @timeout_ms milliseconds.
 * @x: the completion.
 * @timeout_ms: the longest wait, in milliseconds.
 *
 * A wait that ends by itself records no dependency, only the sleeping
 * context is checked (lock_wait_timeout()), and is not watched by the
 * hung-task watchdog (a worker sleeping between passes is not hung).
 * Context: the caller holds no spinlock (other locks may be held); may
 * sleep (up to @timeout_ms); no allocation; never enters reclaim, callable
 * from reclaim, a shrinker or an OOM notifier.
 * Return: true if completed (one completion consumed), false on timeout.
 */
bool wait_for_completion_timeout(struct completion *x,
				 unsigned long timeout_ms);

/**
 * try_wait_for_completion() - consume a completion if one is pending.
 * @x: the completion.
 *
 * Context: any locks may be held (no dependency is recorded: it never
 * waits); takes @x's internal mutex briefly, never sleeps; no allocation;
 * never enters reclaim, callable from reclaim, a shrinker or an OOM
 * notifier.
 * Return: true if one was consumed, false if none was pending.
 */
bool try_wait_for_completion(struct completion *x);

/**
 * complete() / complete_all() - wake one waiter / all waiters, now and in
 * the future (complete_all).
 * @x: the completion.
 *
 * What the caller acquired or waited for since it last completed @x's
 * class becomes a dependency of @x (lock_signal()).
 * Context: any locks may be held; takes @x's internal mutex briefly, never
 * sleeps; no allocation from ballast (the validator uses the C heap);
 * never enters reclaim, callable from reclaim, a shrinker or an OOM
 * notifier.
 */
void complete(struct completion *x);
void complete_all(struct completion *x);

/**
 * completion_done() - would a wait for @x return at once?
 * @x: the completion.
 *
 * Context: any locks may be held; takes @x's internal mutex briefly, never
 * sleeps; no allocation; never enters reclaim, callable from reclaim, a
 * shrinker or an OOM notifier.
 * Return: true if a completion is pending (or complete_all() was called),
 * false if a wait would block.
 */
bool completion_done(struct completion *x);

/* ------------------------------------------------------------------ */
/* Assertions                                                            */
/* ------------------------------------------------------------------ */

#if BALLAST_LOCKDEP
#define lockdep_assert_held(l)                                             \
	do {                                                               \
		if (!lock_is_held(&(l)->dep_map))                          \
			ballast_fatal("%s not held", (l)->dep_map.name);   \
	} while (0)
#define lockdep_assert_not_held(l)                                         \
	do {                                                               \
		if (lock_is_held(&(l)->dep_map))                           \
			ballast_fatal("%s held", (l)->dep_map.name);       \
	} while (0)
#else
#define lockdep_assert_held(l) ((void)(l))
#define lockdep_assert_not_held(l) ((void)(l))
#endif

#endif /* BALLAST_LOCKDEP_H */
