// SPDX-License-Identifier: MIT
/*
 * log.h - messages, warnings, the one fatal helper, and stack traces.
 *
 * Rules for users:
 *  1. Report an error once, where it is consumed. A function that returns
 *     an errno does not also print it.
 *  2. WARN_ON_ONCE() is for broken internal invariants: it prints once per
 *     call site (with a stack trace in debug builds) and returns the
 *     condition so the caller can recover.
 *  3. ballast_fatal() is only for states where continuing would corrupt
 *     memory; it prints file, function, line and the message, then aborts.
 *  4. Untrusted input (guest RAM, sockets, files, arguments) never reaches
 *     an assertion or ballast_fatal(): it is validated and refused.
 *  5. Logging never allocates from ballast's allocator and takes no ballast
 *     lock, so it is safe from any context, including reclaim and the
 *     validator itself.
 */
#ifndef BALLAST_LIB_LOG_H
#define BALLAST_LIB_LOG_H

#include <stdatomic.h>
#include <ballast/lib/compiler.h>

enum log_level {
	LOG_ERR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

/**
 * log_set_level() - choose the most verbose level that is printed.
 * @level: messages above it are dropped (default LOG_INFO).
 *
 * Context: no locks; never sleeps; no allocation; callable anywhere.
 */
void log_set_level(enum log_level level);

/**
 * log_printf() - print one message with a level and a prefix.
 * @level: its level.
 * @fmt: printf format; a trailing newline is added when missing.
 *
 * Context: no locks; never sleeps on ballast primitives (one write(2));
 * no allocation; callable from any context.
 */
void log_printf(enum log_level level, const char *fmt, ...) __printf(2, 3);

#define pr_err(...) log_printf(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) log_printf(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_printf(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_printf(LOG_DEBUG, __VA_ARGS__)

/**
 * log_ratelimit() - true if a message from @state may be printed now.
 * @state: per-call-site state: at most 10 messages per 5 seconds.
 *
 * Context: no locks; never sleeps; no allocation.
 */
struct log_ratelimit_state {
	_Atomic(long) window_start_ms;	/* atomic */
	_Atomic(int) printed;		/* atomic */
};
bool log_ratelimit(struct log_ratelimit_state *state);

#define pr_err_ratelimited(...)                                      \
	do {                                                         \
		static struct log_ratelimit_state __rs;              \
		if (log_ratelimit(&__rs))                            \
			pr_err(__VA_ARGS__);                         \
	} while (0)
#define pr_warn_ratelimited(...)                                     \
	do {                                                         \
		static struct log_ratelimit_state __rs;              \
		if (log_ratelimit(&__rs))                            \
			pr_warn(__VA_ARGS__);                        \
	} while (0)

/* Maximum frames kept by stack_trace_save(). */
#define STACK_TRACE_MAX 24

/**
 * stack_trace_save() - record the caller's stack.
 * @entries: return addresses, innermost first.
 * @max: capacity of @entries.
 * @skip: innermost frames to drop (0 keeps the caller of this function).
 *
 * Context: no locks; never sleeps; no allocation after the first call.
 * Return: number of entries stored.
 */
size_t stack_trace_save(unsigned long *entries, size_t max, size_t skip);

/**
 * stack_trace_print() - print a saved stack, symbolized.
 * @entries: as saved by stack_trace_save().
 * @nr: number of entries.
 * @indent: spaces before each line.
 *
 * Frames are printed as "function+offset (file:line)" when debug
 * information is available, "function+offset" or the raw address otherwise.
 *
 * Context: no locks; may block on a pipe to addr2line (debug reports only);
 * allocates from the C heap, never from ballast.
 */
void stack_trace_print(const unsigned long *entries, size_t nr, int indent);

/* One resolved frame; an address may resolve to several (inlining). */
struct stack_sym {
	char func[96];		/* "?" when unknown */
	char file[160];		/* path from the source tree root, or "" */
	int line;		/* 0 when unknown */
	unsigned long offset;	/* from the exported symbol, 0 if unknown */
	bool inlined;		/* inlined into the entry that follows */
};

/**
 * stack_trace_symbolize() - resolve a return address saved by
 * stack_trace_save() to function, file and line.
 * @addr: the return address (the call site is looked up, addr - 1).
 * @out: receives the frames for @addr, innermost (inlined) first.
 * @max: capacity of @out (at least 1).
 *
 * Uses one long-lived "addr2line -a -f -i" process per object and caches
 * every address; falls back to dladdr() names when that fails.
 * Context: no locks needed (an internal mutex serialises callers); may
 * block on the pipe to addr2line; allocates from the C heap only.
 * Return: the number of entries written, at least 1.
 */
size_t stack_trace_symbolize(unsigned long addr, struct stack_sym *out,
			     size_t max);

/**
 * dump_stack() - print the current stack (debug builds) or nothing.
 *
 * Context: as stack_trace_print().
 */
void dump_stack(void);

/**
 * __warn_report() - implementation of WARN_ON_ONCE() and WARN_ON(); use
 * the macros: prints the site and the condition, then dump_stack().
 *
 * Context: as log_printf() and dump_stack(): no ballast locks; may block
 * on the pipe to addr2line (debug builds); allocates from the C heap
 * only; callable from any context (rule 5).
 */
void __warn_report(const char *file, int line, const char *func,
		   const char *cond);

#define WARN_ON_ONCE(cond)                                                \
	({                                                                \
		static _Atomic(bool) __warned;                            \
		bool __c = !!(cond);                                      \
		if (unlikely(__c) && !atomic_exchange_explicit(           \
				&__warned, true, memory_order_relaxed))   \
			__warn_report(__FILE__, __LINE__, __func__, #cond); \
		unlikely(__c);                                            \
	})

#define WARN_ON(cond)                                                     \
	({                                                                \
		bool __c = !!(cond);                                      \
		if (unlikely(__c))                                        \
			__warn_report(__FILE__, __LINE__, __func__, #cond); \
		unlikely(__c);                                            \
	})

/**
 * __ballast_fatal() - print file, function, line and a message; abort.
 *
 * Context: any; never returns.
 */
void __ballast_fatal(const char *file, int line, const char *func,
		     const char *fmt, ...) __printf(4, 5) __noreturn;
#define ballast_fatal(...) \
	__ballast_fatal(__FILE__, __LINE__, __func__, __VA_ARGS__)

/*
 * Assertions: BALLAST_BUG_ON() is checked in debug builds (cheap checks);
 * BALLAST_BUG_ON_FULL() only in full builds (whole-structure checks).
 */
#if BALLAST_DEBUG >= 1
#define BALLAST_BUG_ON(cond)                                             \
	do {                                                             \
		if (unlikely(cond))                                      \
			ballast_fatal("assertion failed: %s", #cond);    \
	} while (0)
#else
#define BALLAST_BUG_ON(cond) ((void)sizeof(!(cond)))
#endif
#if BALLAST_DEBUG >= 2
#define BALLAST_BUG_ON_FULL(cond) BALLAST_BUG_ON(cond)
#else
#define BALLAST_BUG_ON_FULL(cond) ((void)sizeof(!(cond)))
#endif

/**
 * log_misuse_count() - number of API misuse reports printed so far.
 *
 * Tests assert on it after provoking misuse on purpose.
 * Context: no locks; never sleeps.
 */
unsigned long log_misuse_count(void);

/**
 * report_misuse() - report misuse of an API (double free, bad order,
 * refcount underflow): the message, then a stack trace in debug builds.
 * The caller refuses the operation and returns; nothing is corrupted.
 *
 * Context: no locks; never sleeps on ballast primitives; no allocation.
 */
void __report_misuse(const char *func, const char *fmt, ...) __printf(2, 3);
#define report_misuse(...) __report_misuse(__func__, __VA_ARGS__)

#endif /* BALLAST_LIB_LOG_H */
