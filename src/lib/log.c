// SPDX-License-Identifier: MIT
/*
 * log.c - messages, rate limiting, warnings, misuse reports, the fatal
 * helper and symbolized stack traces.
 *
 * Invariants and locking:
 *  - Nothing here takes a ballast lock or allocates from ballast's
 *    allocator, so the validator, reclaim and the allocator may all log.
 *  - The level and the counters are atomics; each message is formatted into
 *    a stack buffer and written with one write(2), so lines from different
 *    threads never interleave within a line.
 *  - Symbolization (debug reports only) runs addr2line on the executable
 *    through a pipe; if that fails, dladdr() names are printed instead.
 */
#include <ballast/lib/log.h>

#include <dlfcn.h>
#include <execinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic(int) log_level = LOG_INFO;
static _Atomic(unsigned long) misuse_count;

void log_set_level(enum log_level level)
{
	atomic_store_explicit(&log_level, (int)level, memory_order_relaxed);
}

static const char *const level_names[] = {
	[LOG_ERR] = "error", [LOG_WARN] = "warning",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

static void log_write(const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(STDERR_FILENO, buf, len);

		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void log_vprintf(enum log_level level, const char *fmt, va_list ap)
{
	char buf[1024];
	int off, n;

	off = snprintf(buf, sizeof(buf), "ballast[%d] %s: ", (int)getpid(),
		       level_names[level]);
	n = vsnprintf(buf + off, sizeof(buf) - (size_t)off - 1, fmt, ap);
	if (n < 0)
		return;
	off += n;
	if (off > (int)sizeof(buf) - 2)
		off = (int)sizeof(buf) - 2;
	if (buf[off - 1] != '\n')
		buf[off++] = '\n';
	log_write(buf, (size_t)off);
}

void log_printf(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if ((int)level > atomic_load_explicit(&log_level, memory_order_relaxed))
		return;
	va_start(ap, fmt);
	log_vprintf(level, fmt, ap);
	va_end(ap);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool log_ratelimit(struct log_ratelimit_state *rs)
{
	long now = now_ms();
	long start = atomic_load_explicit(&rs->window_start_ms,
					  memory_order_relaxed);

	if (start == 0 || now - start > 5000) {
		if (atomic_compare_exchange_strong(&rs->window_start_ms,
						   &start, now))
			atomic_store(&rs->printed, 0);
	}
	return atomic_fetch_add(&rs->printed, 1) < 10;
}

size_t stack_trace_save(unsigned long *entries, size_t max, size_t skip)
{
	void *frames[STACK_TRACE_MAX + 8];
	int n = backtrace(frames, (int)ARRAY_SIZE(frames));
	size_t out = 0;

	/* Frame 0 is this function. */
	for (int i = 1 + (int)skip; i < n && out < max; i++)
		entries[out++] = (unsigned long)frames[i];
	return out;
}

/*
 * Resolve @addr to "file:line" with addr2line on the object that contains
 * it. Return addresses point after the call, so look up addr - 1.
 */
static bool addr2line(unsigned long addr, const Dl_info *info, char *out,
		      size_t outlen)
{
	char cmd[1024];
	unsigned long rel = addr - 1 - (unsigned long)info->dli_fbase;
	FILE *p;
	bool ok = false;

	if (!info->dli_fname || strchr(info->dli_fname, '\''))
		return false;
	snprintf(cmd, sizeof(cmd), "addr2line -e '%s' %#lx 2>/dev/null",
		 info->dli_fname, rel);
	p = popen(cmd, "r");
	if (!p)
		return false;
	{
		char line[512];

		if (fgets(line, sizeof(line), p) && line[0] != '?') {
			line[strcspn(line, "\n")] = 0;
			snprintf(out, outlen, "%s", line);
			ok = true;
		}
	}
	pclose(p);
	return ok;
}

void stack_trace_print(const unsigned long *entries, size_t nr, int indent)
{
	for (size_t i = 0; i < nr; i++) {
		Dl_info info;
		char where[512] = "";
		char line[1024];
		int len;

		memset(&info, 0, sizeof(info));
		if (!dladdr((void *)entries[i], &info))
			info.dli_fname = NULL;
		if (BALLAST_DEBUG && info.dli_fname)
			addr2line(entries[i], &info, where, sizeof(where));
		if (info.dli_sname)
			len = snprintf(line, sizeof(line), "%*s#%zu %s+%#lx%s%s%s\n",
				       indent, "", i, info.dli_sname,
				       entries[i] - (unsigned long)info.dli_saddr,
				       where[0] ? " (" : "", where,
				       where[0] ? ")" : "");
		else
			len = snprintf(line, sizeof(line), "%*s#%zu %#lx%s%s%s\n",
				       indent, "", i, entries[i],
				       where[0] ? " (" : "", where,
				       where[0] ? ")" : "");
		if (len > 0)
			log_write(line, min((size_t)len, sizeof(line) - 1));
	}
}

void dump_stack(void)
{
#if BALLAST_DEBUG
	unsigned long entries[STACK_TRACE_MAX];
	size_t nr = stack_trace_save(entries, ARRAY_SIZE(entries), 1);

	stack_trace_print(entries, nr, 2);
#endif
}

void __warn_report(const char *file, int line, const char *func,
		   const char *cond)
{
	log_printf(LOG_WARN, "WARNING at %s:%d %s(): %s", file, line, func,
		   cond);
	dump_stack();
}

unsigned long log_misuse_count(void)
{
	return atomic_load(&misuse_count);
}

void __report_misuse(const char *func, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	atomic_fetch_add(&misuse_count, 1);
	log_printf(LOG_ERR, "API misuse in %s(): %s", func, msg);
	dump_stack();
}

void __ballast_fatal(const char *file, int line, const char *func,
		     const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_printf(LOG_ERR, "FATAL at %s:%d %s(): %s", file, line, func, msg);
	{
		unsigned long entries[STACK_TRACE_MAX];
		size_t nr = stack_trace_save(entries, ARRAY_SIZE(entries), 0);

		stack_trace_print(entries, nr, 2);
	}
	abort();
}
