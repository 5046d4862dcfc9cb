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
 *  - Symbolization (debug reports only) keeps one addr2line process per
 *    object, fed over a socket, and caches every address it resolved;
 *    sym_lock (a pthread mutex private to this file) protects the objects
 *    and the cache. If addr2line fails, dladdr() names are printed.
 */
#include <ballast/lib/log.h>

#include <dlfcn.h>
#include <elf.h>
#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
 * Symbolization. One addr2line co-process per object file, spoken to over a
 * socket (so a dead child gives EPIPE, not SIGPIPE): each query is the
 * address followed by a sentinel address; with -a, addr2line echoes every
 * address before its frames, so the frames of one query are the lines
 * between the two echoes. Results are cached; sym_lock serialises all of
 * it.
 */
#define SYM_MAX_OBJECTS 8
#define SYM_CACHE_SIZE 4096
#define SYM_MAX_FRAMES 8
#define SYM_SENTINEL "0xffffffffffffffff"

struct sym_object {
	char *path;
	int fd;			/* our end of the socket, -1: unusable */
	FILE *in;		/* reads from fd */
};

struct sym_entry {
	unsigned long addr;
	size_t nr;
	struct stack_sym frames[];
};

static pthread_mutex_t sym_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sym_object sym_objects[SYM_MAX_OBJECTS];
static struct sym_entry *sym_cache[SYM_CACHE_SIZE];

/* Copy @src into @dst of @len bytes, truncating. */
static void sym_copy(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

static void sym_short_path(const char *path, char *out, size_t outlen)
{
	static const char *const roots[] = { "/src/", "/tests/", "/include/",
					     "/bench/", "/tools/" };
	const char *best = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(roots); i++) {
		const char *p = strstr(path, roots[i]);

		if (p && (!best || p < best))
			best = p;
	}
	if (best)
		path = best + 1;
	sym_copy(out, outlen, path);
}

static struct sym_object *sym_object_get(const char *path)
{
	posix_spawn_file_actions_t fa;
	static char a0[] = "addr2line", a1[] = "-a", a2[] = "-f", a3[] = "-i",
		    a4[] = "-C", a5[] = "-e";
	char *argv[] = { a0, a1, a2, a3, a4, a5, (char *)path, NULL };
	struct sym_object *o = NULL;
	int sv[2];
	pid_t pid;

	for (size_t i = 0; i < SYM_MAX_OBJECTS; i++) {
		if (sym_objects[i].path && !strcmp(sym_objects[i].path, path))
			return sym_objects[i].fd >= 0 ? &sym_objects[i] : NULL;
		if (!sym_objects[i].path && !o)
			o = &sym_objects[i];
	}
	if (!o)
		return NULL;
	o->path = strdup(path);
	o->fd = -1;
	if (!o->path)
		return NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, sv[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null",
					 O_WRONLY, 0);
	if (posix_spawnp(&pid, "addr2line", &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(sv[0]);
		close(sv[1]);
		return NULL;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	o->in = fdopen(dup(sv[0]), "r");
	if (!o->in) {
		close(sv[0]);
		return NULL;
	}
	o->fd = sv[0];
	return o;
}

static void sym_object_fail(struct sym_object *o)
{
	fclose(o->in);
	close(o->fd);
	o->in = NULL;
	o->fd = -1;
}

static bool sym_read_line(struct sym_object *o, char *buf, size_t len)
{
	if (!fgets(buf, (int)len, o->in))
		return false;
	buf[strcspn(buf, "\n")] = 0;
	return true;
}

/* Ask addr2line about @rel in @o; fill @out. Returns frames, 0 on failure. */
static size_t sym_query(struct sym_object *o, unsigned long rel,
			struct stack_sym *out, size_t max)
{
	char q[64], func[512], where[512];
	size_t nr = 0;
	int len = snprintf(q, sizeof(q), "%#lx\n" SYM_SENTINEL "\n", rel);

	if (send(o->fd, q, (size_t)len, MSG_NOSIGNAL) != len)
		goto fail;
	if (!sym_read_line(o, func, sizeof(func)))	/* address echo */
		goto fail;
	for (;;) {
		if (!sym_read_line(o, func, sizeof(func)))
			goto fail;
		if (!strcmp(func, SYM_SENTINEL))
			break;
		if (!sym_read_line(o, where, sizeof(where)))
			goto fail;
		if (nr < max) {
			struct stack_sym *s = &out[nr++];
			char *colon = strrchr(where, ':');

			memset(s, 0, sizeof(*s));
			sym_copy(s->func, sizeof(s->func), func);
			if (colon) {
				*colon = 0;
				s->line = atoi(colon + 1);
			}
			if (strcmp(where, "??"))
				sym_short_path(where, s->file, sizeof(s->file));
		}
	}
	/* the sentinel's own frame: "??" and "??:0" */
	if (!sym_read_line(o, func, sizeof(func)) ||
	    !sym_read_line(o, where, sizeof(where)))
		goto fail;
	for (size_t i = 0; i + 1 < nr; i++)
		out[i].inlined = true;
	return nr;
fail:
	sym_object_fail(o);
	return 0;
}

/* The load bias to subtract for @info's object (0 for a non-PIE exe). */
static unsigned long sym_bias(const Dl_info *info)
{
	const Elf64_Ehdr *eh = info->dli_fbase;

	if (eh && !memcmp(eh->e_ident, ELFMAG, SELFMAG) &&
	    eh->e_type == ET_EXEC)
		return 0;
	return (unsigned long)info->dli_fbase;
}

static size_t sym_resolve(unsigned long addr, struct stack_sym *out,
			  size_t max)
{
	struct sym_object *o;
	Dl_info info;
	size_t nr = 0;

	memset(&info, 0, sizeof(info));
	if (!dladdr((void *)addr, &info))
		info.dli_fname = NULL;
	if (BALLAST_DEBUG && info.dli_fname && info.dli_fname[0]) {
		o = sym_object_get(info.dli_fname);
		if (o)
			nr = sym_query(o, addr - 1 - sym_bias(&info), out, max);
	}
	if (nr && !strcmp(out[nr - 1].func, "??"))
		nr = 0;
	if (!nr) {
		memset(out, 0, sizeof(*out));
		sym_copy(out->func, sizeof(out->func),
			 info.dli_sname ? info.dli_sname : "?");
		nr = 1;
	}
	if (info.dli_sname && !strcmp(out[nr - 1].func, info.dli_sname))
		out[nr - 1].offset = addr - (unsigned long)info.dli_saddr;
	return nr;
}

size_t stack_trace_symbolize(unsigned long addr, struct stack_sym *out,
			     size_t max)
{
	size_t h = (addr * 0x9E3779B97F4A7C15ull) >> 52;
	struct stack_sym frames[SYM_MAX_FRAMES];
	struct sym_entry *e;
	size_t nr, total;

	pthread_mutex_lock(&sym_lock);
	for (size_t i = 0; i < 16; i++) {
		e = sym_cache[(h + i) % SYM_CACHE_SIZE];
		if (!e)
			break;
		if (e->addr == addr) {
			nr = min(e->nr, max);
			memcpy(out, e->frames + (e->nr - nr),
			       nr * sizeof(*out));
			pthread_mutex_unlock(&sym_lock);
			return nr;
		}
	}
	nr = sym_resolve(addr, frames, ARRAY_SIZE(frames));
	e = malloc(sizeof(*e) + nr * sizeof(frames[0]));
	if (e) {
		e->addr = addr;
		e->nr = nr;
		memcpy(e->frames, frames, nr * sizeof(frames[0]));
		for (size_t i = 0; i < 16; i++) {
			struct sym_entry **slot =
				&sym_cache[(h + i) % SYM_CACHE_SIZE];

			if (!*slot) {
				*slot = e;
				e = NULL;
				break;
			}
		}
		free(e);
	}
	pthread_mutex_unlock(&sym_lock);
	/* Keep the outermost frames (the real call site) if @max is short. */
	total = nr;
	nr = min(nr, max);
	memcpy(out, frames + (total - nr), nr * sizeof(*out));
	return nr;
}

void stack_trace_print(const unsigned long *entries, size_t nr, int indent)
{
	for (size_t i = 0; i < nr; i++) {
		struct stack_sym s[SYM_MAX_FRAMES];
		size_t n = stack_trace_symbolize(entries[i], s, ARRAY_SIZE(s));

		for (size_t j = 0; j < n; j++) {
			char line[512], off[32] = "", where[200] = "";
			int len;

			if (s[j].offset)
				snprintf(off, sizeof(off), "+%#lx",
					 s[j].offset);
			if (s[j].file[0])
				snprintf(where, sizeof(where), " (%s:%d)",
					 s[j].file, s[j].line);
			len = snprintf(line, sizeof(line), "%*s#%zu %s%s%s%s\n",
				       indent, "", i, s[j].func, off, where,
				       s[j].inlined ? " [inlined]" : "");
			if (len > 0)
				log_write(line, min((size_t)len,
						    sizeof(line) - 1));
		}
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
