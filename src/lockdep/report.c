// SPDX-License-Identifier: MIT
/*
 * report.c - the validator's reports: readable text on stderr (kind of
 * problem, chain of classes, for each edge the symbolized stack where it was
 * first seen), one JSON object per line for tools, the record that tests
 * claim reports from, the continue/abort choice and the report hook.
 *
 * Invariants and locking:
 *  - report_lock (pthread mutex, internal) serialises emitting reports and
 *    protects records, nr_records, dedupe, limits_hit and the JSON file; it
 *    nests inside ld_graph_lock and ld_registry_lock, never around them.
 *    Symbolization (log.c's sym_lock) nests inside it.
 *  - A report is composed without report_lock (into a memory stream), then
 *    emitted whole with one write(2), so reports never interleave.
 *  - counts[k] (atomic) = reports of kind k since start or the last reset;
 *    every report is also in records[] (claimable) unless the record array
 *    is full, in which case it counts in nr_unrecorded and can never be
 *    claimed (so it fails a test that checks for unclaimed reports).
 *  - Sites already reported (invalid context, allocation scope, misuse)
 *    and cycles already reported (by their classes in order, from the
 *    smallest class id: one cycle closed again by a new type of one of its
 *    edges is the same cycle) are remembered in dedupe[] and not reported
 *    again; "limit" reports are made once per table.
 *  - The hook and abort() run after report_lock is released.
 * Nothing here uses a ballast lock; it allocates from the C heap only.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if BALLAST_LOCKDEP

#define MAX_RECORDS 512
#define DEDUPE_SIZE 4096
#define MAX_LIMITS 16
#define SUMMARY_LEN 320

struct record {
	enum lockdep_report_kind kind;
	bool claimed;
	char summary[SUMMARY_LEN];
};

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static struct record records[MAX_RECORDS];
static unsigned int nr_records;
static unsigned long nr_unrecorded;
static uint64_t dedupe[DEDUPE_SIZE];
static const char *limits_hit[MAX_LIMITS];
static int json_fd = -1;
static unsigned long report_seq;

static _Atomic(unsigned long) counts[LOCKDEP_NR_REPORT_KINDS];
static _Atomic(int) report_mode = LOCKDEP_MODE_CONTINUE;
static _Atomic(bool) exit_check = BALLAST_TESTING;

static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static lockdep_report_hook_fn hook_fn;	/* hook_lock */
static void *hook_arg;			/* hook_lock */

static const char *const kind_names[LOCKDEP_NR_REPORT_KINDS] = {
	[LOCKDEP_REPORT_CYCLE] = "cycle",
	[LOCKDEP_REPORT_RECURSION] = "recursion",
	[LOCKDEP_REPORT_INVALID_CONTEXT] = "invalid-context",
	[LOCKDEP_REPORT_ALLOC_SCOPE] = "alloc-scope",
	[LOCKDEP_REPORT_HUNG_TASK] = "hung-task",
	[LOCKDEP_REPORT_MISUSE] = "misuse",
	[LOCKDEP_REPORT_LIMIT] = "limit",
};

static const char *const kind_titles[LOCKDEP_NR_REPORT_KINDS] = {
	[LOCKDEP_REPORT_CYCLE] = "possible circular dependency",
	[LOCKDEP_REPORT_RECURSION] = "possible recursive locking",
	[LOCKDEP_REPORT_INVALID_CONTEXT] =
		"sleeping function called from invalid context",
	[LOCKDEP_REPORT_ALLOC_SCOPE] =
		"allocation laxer than its caller's allocation context",
	[LOCKDEP_REPORT_HUNG_TASK] = "task blocked too long",
	[LOCKDEP_REPORT_MISUSE] = "bad annotation or unlock",
	[LOCKDEP_REPORT_LIMIT] = "validator table full",
};

static const char *const lock_kind_names[] = {
	[LOCKDEP_SPIN] = "spinlock", [LOCKDEP_MUTEX] = "mutex",
	[LOCKDEP_RWSEM] = "rwsem", [LOCKDEP_COMPLETION] = "completion",
	[LOCKDEP_EVENT] = "event", [LOCKDEP_PSEUDO] = "pseudo-lock",
};

static const char *const via_names[] = {
	[LD_VIA_ACQUIRE] = "acquire", [LD_VIA_WAIT] = "wait",
	[LD_VIA_OWED] = "owed", [LD_VIA_SIGNAL] = "signal",
};

static const char *dep_name(unsigned int dep)
{
	switch (dep) {
	case LD_DEP_EN: return "EN";
	case LD_DEP_ER: return "ER";
	case LD_DEP_SN: return "SN";
	case LD_DEP_SR: return "SR";
	default: return "mixed";
	}
}

/* ------------------------------------------------------------------ */
/* Configuration                                                         */
/* ------------------------------------------------------------------ */

static void exit_check_run(void)
{
	unsigned long n;

	if (!atomic_load(&exit_check))
		return;
	n = lockdep_reports_unclaimed(false);
	if (!n)
		return;
	fprintf(stderr, "ballast lockdep: %lu unexpected validator report(s) "
		"at exit:\n", n);
	lockdep_reports_unclaimed(true);
	fflush(NULL);
	_exit(3);
}

void ld_report_init(void)
{
	const char *mode = getenv("BALLAST_LOCKDEP");
	const char *json = getenv("BALLAST_LOCKDEP_JSON");
	const char *check = getenv("BALLAST_LOCKDEP_EXIT_CHECK");

	if (mode && !strcmp(mode, "abort"))
		lockdep_set_mode(LOCKDEP_MODE_ABORT);
	else if (mode && *mode && strcmp(mode, "continue"))
		pr_warn("BALLAST_LOCKDEP=%s: expected continue or abort", mode);
	if (json && *json && lockdep_set_json_path(json))
		pr_warn("BALLAST_LOCKDEP_JSON=%s: cannot open it", json);
	if (check && !strcmp(check, "0"))
		atomic_store(&exit_check, false);
	atexit(exit_check_run);
}

void lockdep_set_mode(enum lockdep_mode mode)
{
	atomic_store(&report_mode, (int)mode);
}

int lockdep_set_json_path(const char *path)
{
	int fd = -1, old;

	if (path) {
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			  0644);
		if (fd < 0)
			return -errno;
	}
	pthread_mutex_lock(&report_lock);
	old = json_fd;
	json_fd = fd;
	pthread_mutex_unlock(&report_lock);
	if (old >= 0)
		close(old);
	return 0;
}

void lockdep_set_report_hook(lockdep_report_hook_fn fn, void *arg)
{
	pthread_mutex_lock(&hook_lock);
	hook_fn = fn;
	hook_arg = arg;
	pthread_mutex_unlock(&hook_lock);
}

const char *lockdep_report_kind_name(enum lockdep_report_kind kind)
{
	return (unsigned int)kind < LOCKDEP_NR_REPORT_KINDS ? kind_names[kind]
							    : "?";
}

/* ------------------------------------------------------------------ */
/* Records and claims                                                    */
/* ------------------------------------------------------------------ */

unsigned long lockdep_report_count(enum lockdep_report_kind kind)
{
	if ((unsigned int)kind >= LOCKDEP_NR_REPORT_KINDS)
		return 0;
	return atomic_load(&counts[kind]);
}

unsigned long lockdep_report_claim(enum lockdep_report_kind kind,
				   const char *mention)
{
	unsigned long n = 0;

	pthread_mutex_lock(&report_lock);
	for (unsigned int i = 0; i < nr_records; i++) {
		struct record *r = &records[i];

		if (r->claimed || r->kind != kind)
			continue;
		if (mention && !strstr(r->summary, mention))
			continue;
		r->claimed = true;
		n++;
	}
	pthread_mutex_unlock(&report_lock);
	return n;
}

unsigned long lockdep_reports_unclaimed(bool print)
{
	unsigned long n;

	pthread_mutex_lock(&report_lock);
	n = nr_unrecorded;
	for (unsigned int i = 0; i < nr_records; i++) {
		if (records[i].claimed)
			continue;
		n++;
		if (print)
			fprintf(stderr, "  unclaimed %s report: %s\n",
				kind_names[records[i].kind],
				records[i].summary);
	}
	if (print && nr_unrecorded)
		fprintf(stderr, "  and %lu report(s) past the record\n",
			nr_unrecorded);
	pthread_mutex_unlock(&report_lock);
	return n;
}

void ld_reports_reset(void)
{
	pthread_mutex_lock(&report_lock);
	nr_records = 0;
	nr_unrecorded = 0;
	memset(dedupe, 0, sizeof(dedupe));
	memset(limits_hit, 0, sizeof(limits_hit));
	for (unsigned int i = 0; i < LOCKDEP_NR_REPORT_KINDS; i++)
		atomic_store(&counts[i], 0);
	pthread_mutex_unlock(&report_lock);
}

/* report_lock held. True if @key was seen (and remembers it). */
static bool dedupe_seen(uint64_t key)
{
	key = key ? key : 1;
	for (size_t i = 0; i < DEDUPE_SIZE; i++) {
		uint64_t *slot = &dedupe[(key + i) % DEDUPE_SIZE];

		if (*slot == key)
			return true;
		if (!*slot) {
			*slot = key;
			return false;
		}
	}
	return false;	/* full: report again rather than stay silent */
}

static bool site_reported(uint64_t key)
{
	bool seen;

	pthread_mutex_lock(&report_lock);
	seen = dedupe_seen(key);
	pthread_mutex_unlock(&report_lock);
	return seen;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	while (s && *s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return h;
}

/* The cycle's classes in order, rotated to start at the smallest id. */
static uint64_t cycle_key(const uint32_t *cycle, unsigned int nr)
{
	uint64_t h = 0xcbf29ce484222325ull ^ 3;
	unsigned int start = 0;

	for (unsigned int i = 1; i < nr; i++)
		if (ld_edge_by_id(cycle[i])->from <
		    ld_edge_by_id(cycle[start])->from)
			start = i;
	for (unsigned int i = 0; i < nr; i++) {
		uint32_t id = ld_edge_by_id(cycle[(start + i) % nr])->from;

		for (unsigned int b = 0; b < 4; b++, id >>= 8)
			h = (h ^ (id & 0xff)) * 0x100000001b3ull;
	}
	return h;
}

/* ------------------------------------------------------------------ */
/* Formatting helpers                                                    */
/* ------------------------------------------------------------------ */

void ld_class_label(const struct ld_class *class, char *buf, size_t len)
{
	const char *kind;

	if (!class) {
		snprintf(buf, len, "(untracked lock)");
		return;
	}
	kind = class->kind < ARRAY_SIZE(lock_kind_names)
		       ? lock_kind_names[class->kind] : "?";
	if (class->subclass)
		snprintf(buf, len, "%s/%u (%s)", class->name, class->subclass,
			 kind);
	else
		snprintf(buf, len, "%s (%s)", class->name, kind);
}

static void class_name(const struct ld_class *class, char *buf, size_t len)
{
	if (class->subclass)
		snprintf(buf, len, "%s/%u", class->name, class->subclass);
	else
		snprintf(buf, len, "%s", class->name);
}

void ld_format_ip(unsigned long ip, char *buf, size_t len)
{
	struct stack_sym s;

	if (!ip) {
		snprintf(buf, len, "?");
		return;
	}
	stack_trace_symbolize(ip, &s, 1);
	if (s.file[0])
		snprintf(buf, len, "%s (%s:%d)", s.func, s.file, s.line);
	else if (s.offset)
		snprintf(buf, len, "%s+%#lx", s.func, s.offset);
	else
		snprintf(buf, len, "%s [%#lx]", s.func, ip);
}

/* The name of the function containing @ip, into @buf. */
static const char *ip_function(unsigned long ip, char *buf, size_t len)
{
	struct stack_sym s;

	if (!ip)
		return "?";
	stack_trace_symbolize(ip, &s, 1);
	snprintf(buf, len, "%s", s.func[0] ? s.func : "?");
	return buf;
}

static json_t *json_site(unsigned long ip)
{
	struct stack_sym s[8];
	size_t n = stack_trace_symbolize(ip, s, ARRAY_SIZE(s));
	json_t *o = json_object();
	char addr[32];

	snprintf(addr, sizeof(addr), "%#lx", ip);
	json_object_set_new(o, "addr", json_string(addr));
	json_object_set_new(o, "function", json_string(s[0].func));
	if (s[0].file[0]) {
		json_object_set_new(o, "file", json_string(s[0].file));
		json_object_set_new(o, "line", json_integer(s[0].line));
	}
	if (n > 1)
		json_object_set_new(o, "inlined_into",
				    json_string(s[n - 1].func));
	return o;
}

/*
 * Print a stack to @f (one line per frame, inlined frames expanded) and
 * add it to @arr; @funcs (may be NULL) receives the function names, space
 * separated, for the context heuristics.
 */
static void put_stack(FILE *f, json_t *arr, const unsigned long *entries,
		      unsigned int nr, char *funcs, size_t funcs_len)
{
	size_t used = 0;

	if (!nr)
		fprintf(f, "        (no stack trace)\n");
	for (unsigned int i = 0; i < nr; i++) {
		struct stack_sym s[8];
		size_t n = stack_trace_symbolize(entries[i], s, ARRAY_SIZE(s));

		for (size_t j = 0; j < n; j++) {
			fprintf(f, "        #%u %s", i, s[j].func);
			if (s[j].offset)
				fprintf(f, "+%#lx", s[j].offset);
			if (s[j].file[0])
				fprintf(f, " (%s:%d)", s[j].file, s[j].line);
			fprintf(f, "%s\n", s[j].inlined ? " [inlined]" : "");
			if (funcs && used + strlen(s[j].func) + 2 < funcs_len)
				used += (size_t)snprintf(funcs + used,
							 funcs_len - used,
							 "%s ", s[j].func);
		}
		if (arr)
			json_array_append_new(arr, json_site(entries[i]));
	}
}

/* ------------------------------------------------------------------ */
/* Emitting                                                              */
/* ------------------------------------------------------------------ */

struct report {
	enum lockdep_report_kind kind;
	char *text;
	size_t len;
	FILE *f;
	json_t *json;
	char summary[SUMMARY_LEN];
};

static bool report_begin(struct report *r, enum lockdep_report_kind kind,
			 struct ld_task *t)
{
	r->kind = kind;
	r->text = NULL;
	r->summary[0] = 0;
	r->f = open_memstream(&r->text, &r->len);
	if (!r->f)
		return false;
	r->json = json_object();
	fprintf(r->f, "\n=================================================="
		"===================\nballast lockdep: %s [%s]\n"
		"--------------------------------------------------------"
		"-------------\n", kind_titles[kind], kind_names[kind]);
	json_object_set_new(r->json, "kind", json_string(kind_names[kind]));
	json_object_set_new(r->json, "title", json_string(kind_titles[kind]));
	if (t)
		json_object_set_new(r->json, "task", json_string(t->name));
	return true;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void report_end(struct report *r)
{
	lockdep_report_hook_fn fn;
	void *arg;
	char *line;

	fprintf(r->f, "======================================================"
		"===============\n");
	fclose(r->f);
	json_object_set_new(r->json, "summary", json_string(r->summary));
	json_object_set_new(r->json, "text", json_string(r->text));

	pthread_mutex_lock(&report_lock);
	json_object_set_new(r->json, "seq", json_integer((json_int_t)
							 ++report_seq));
	atomic_fetch_add(&counts[r->kind], 1);
	if (nr_records < MAX_RECORDS) {
		records[nr_records].kind = r->kind;
		records[nr_records].claimed = false;
		snprintf(records[nr_records].summary, SUMMARY_LEN, "%s",
			 r->summary);
		nr_records++;
	} else {
		nr_unrecorded++;
	}
	write_all(STDERR_FILENO, r->text, r->len);
	if (json_fd >= 0) {
		line = json_dumps(r->json, JSON_COMPACT);
		if (line) {
			size_t n = strlen(line);

			line[n] = '\n';	/* replaces the NUL; length known */
			write_all(json_fd, line, n + 1);
			free(line);
		}
	}
	pthread_mutex_unlock(&report_lock);
	json_decref(r->json);
	free(r->text);

	pthread_mutex_lock(&hook_lock);
	fn = hook_fn;
	arg = hook_arg;
	pthread_mutex_unlock(&hook_lock);
	if (fn)
		fn(r->kind, r->summary, arg);
	if (atomic_load(&report_mode) == LOCKDEP_MODE_ABORT) {
		fprintf(stderr, "ballast lockdep: aborting "
			"(BALLAST_LOCKDEP=abort)\n");
		abort();
	}
}

static void put_current_held(struct report *r, struct ld_task *t)
{
	fprintf(r->f, "\nheld by the reporting task:\n");
	ld_print_task(r->f, t);
}

static void put_current_stack(struct report *r)
{
	unsigned long entries[STACK_TRACE_MAX];
	size_t nr = stack_trace_save(entries, ARRAY_SIZE(entries), 2);
	json_t *arr = json_array();

	fprintf(r->f, "\nstack:\n");
	put_stack(r->f, arr, entries, (unsigned int)nr, NULL, 0);
	json_object_set_new(r->json, "stack", arr);
}

/* ------------------------------------------------------------------ */
/* Cycles and recursion                                                  */
/* ------------------------------------------------------------------ */

static bool is_pseudo(const struct ld_class *c)
{
	return c->kind == LOCKDEP_PSEUDO;
}

static bool is_event(const struct ld_class *c)
{
	return c->kind == LOCKDEP_EVENT || c->kind == LOCKDEP_COMPLETION;
}

static void describe_edge(FILE *f, const struct ld_edge *e,
			  const struct ld_class *from,
			  const struct ld_class *to)
{
	char a[64], b[64];

	class_name(from, a, sizeof(a));
	class_name(to, b, sizeof(b));
	if (e->via == LD_VIA_OWED)
		fprintf(f, "a task owing %s (started, not yet handed off) "
			"%s %s", a, is_event(to) ? "waits for" : "takes", b);
	else if (e->via == LD_VIA_SIGNAL)
		fprintf(f, "the task that signals %s first %s %s", a,
			is_event(to) ? "waits for" : "takes", b);
	else if (is_pseudo(from) && is_pseudo(to))
		fprintf(f, "code running in %s enters %s", a, b);
	else if (is_pseudo(from))
		fprintf(f, "%s is %s inside %s (direct reclaim, kswapd, a "
			"shrinker, an OOM notifier or the I/O path)", b,
			is_event(to) ? "waited for" : "taken", a);
	else if (is_pseudo(to))
		fprintf(f, "%s is held across an allocation that may enter %s",
			a, b);
	else if (e->via == LD_VIA_WAIT)
		fprintf(f, "%s is held while waiting for %s", a, b);
	else
		fprintf(f, "%s is held while taking %s", a, b);
}

/* Guess who runs inside reclaim from function names on a stack. */
static const char *reclaim_context(const char *funcs)
{
	if (strstr(funcs, "oom"))
		return "an OOM notifier";
	if (strstr(funcs, "shrink"))
		return "a shrinker";
	if (strstr(funcs, "kswapd"))
		return "kswapd";
	if (strstr(funcs, "io_path") || strstr(funcs, "writeback"))
		return "the I/O path";
	return "reclaim";
}

static void put_edge(struct report *r, json_t *arr, unsigned int i,
		     uint32_t id, bool is_new, char *funcs, size_t funcs_len)
{
	const struct ld_edge *e = ld_edge_by_id(id);
	const struct ld_class *from = ld_class_by_id(e->from);
	const struct ld_class *to = ld_class_by_id(e->to);
	unsigned int dep = atomic_load_explicit(
		&((struct ld_edge *)e)->dep, memory_order_relaxed);
	char a[96], b[96], s1[256], s2[256];
	const unsigned long *stack;
	unsigned int nr = ld_edge_stack(e, &stack);
	json_t *o = json_object(), *st = json_array();

	ld_class_label(from, a, sizeof(a));
	ld_class_label(to, b, sizeof(b));
	ld_format_ip(e->from_ip, s1, sizeof(s1));
	ld_format_ip(e->to_ip, s2, sizeof(s2));
	fprintf(r->f, "\n  [%u] %s -> %s  (%s, %s, %s in task \"%s\")\n      ",
		i, a, b, dep_name(dep), via_names[e->via],
		is_new ? "new" : "first seen", e->task);
	describe_edge(r->f, e, from, to);
	fprintf(r->f, "\n      %s %s at %s\n      %s %s at %s\n      stack:\n",
		from->name,
		e->via == LD_VIA_OWED ? "owed since" :
		e->via == LD_VIA_SIGNAL ? "signalled" : "taken", s1, to->name,
		e->via == LD_VIA_WAIT || is_event(to) ? "waited for" : "taken",
		s2);
	put_stack(r->f, st, stack, nr, funcs, funcs_len);
	json_object_set_new(o, "from", json_string(from->name));
	json_object_set_new(o, "to", json_string(to->name));
	json_object_set_new(o, "type", json_string(dep_name(dep)));
	json_object_set_new(o, "via", json_string(via_names[e->via]));
	json_object_set_new(o, "task", json_string(e->task));
	json_object_set_new(o, "new", json_boolean(is_new));
	json_object_set_new(o, "from_site", json_site(e->from_ip));
	json_object_set_new(o, "to_site", json_site(e->to_ip));
	json_object_set_new(o, "stack", st);
	json_array_append_new(arr, o);
}

void ld_report_cycle(struct ld_task *t, const uint32_t *cycle,
		     unsigned int nr, unsigned int len, struct ld_class *target,
		     int read, unsigned long ip)
{
	char funcs[4][1024], name[64], lock[64], pseudo[64];
	bool reclaim = false, event = false, truncated = len > nr;
	json_t *classes, *edges;
	struct report r;
	size_t off;
	int held_pseudo = -1, in_pseudo = -1;

	if (site_reported(cycle_key(cycle, nr)))
		return;
	if (!report_begin(&r, LOCKDEP_REPORT_CYCLE, t))
		return;
	classes = json_array();
	edges = json_array();
	/*
	 * Summary: the cycle in dependency order, starting at the new edge.
	 * A truncated one ends with the last class shown, not a loop.
	 */
	off = (size_t)snprintf(r.summary, SUMMARY_LEN, "cycle:");
	if (truncated)
		off += (size_t)snprintf(r.summary + off, SUMMARY_LEN - off,
					" (%u edges, the first %u shown)", len,
					nr);
	for (unsigned int i = 0; i <= nr; i++) {
		const struct ld_edge *e = ld_edge_by_id(cycle[i % nr]);
		const struct ld_class *c = ld_class_by_id(e->from);

		if (i == nr && truncated)
			c = ld_class_by_id(ld_edge_by_id(cycle[nr - 1])->to);
		class_name(c, name, sizeof(name));
		if (off < SUMMARY_LEN)
			off += (size_t)snprintf(r.summary + off,
						SUMMARY_LEN - off, "%s %s",
						i ? " ->" : "", name);
		if (i < nr) {
			const struct ld_class *to = ld_class_by_id(e->to);

			json_array_append_new(classes, json_string(name));
			reclaim |= is_pseudo(c);
			event |= is_event(c) || e->via == LD_VIA_WAIT;
			if (!is_pseudo(c) && is_pseudo(to) && held_pseudo < 0)
				held_pseudo = (int)i;
			if (is_pseudo(c) && !is_pseudo(to) && in_pseudo < 0)
				in_pseudo = (int)i;
		}
	}
	if (truncated && off < SUMMARY_LEN)
		snprintf(r.summary + off, SUMMARY_LEN - off, " -> ...");
	fprintf(r.f, "%s\n\ntask \"%s\" closed this cycle at %s:\n", r.summary,
		t->name, target->name);
	fprintf(r.f, "\nthe dependencies, each first seen with the stack "
		"below it:\n");
	for (unsigned int i = 0; i < nr; i++)
		put_edge(&r, edges, i, cycle[i], i == 0,
			 i < ARRAY_SIZE(funcs) ? funcs[i] : NULL,
			 sizeof(funcs[0]));
	if (truncated) {
		class_name(ld_class_by_id(ld_edge_by_id(cycle[0])->from), name,
			   sizeof(name));
		fprintf(r.f, "\n  ... and %u more dependencies back to %s, not "
			"shown (a report keeps the first %u)\n", len - nr, name,
			nr);
	}
	fprintf(r.f, "\nwhy it can deadlock:\n  ");
	if (held_pseudo >= 0 && in_pseudo >= 0) {
		const struct ld_edge *h = ld_edge_by_id(cycle[held_pseudo]);
		const struct ld_edge *in = ld_edge_by_id(cycle[in_pseudo]);
		const char *ctx = (unsigned int)in_pseudo < ARRAY_SIZE(funcs)
					  ? reclaim_context(funcs[in_pseudo])
					  : "reclaim";

		class_name(ld_class_by_id(h->from), lock, sizeof(lock));
		class_name(ld_class_by_id(h->to), pseudo, sizeof(pseudo));
		class_name(ld_class_by_id(in->to), name, sizeof(name));
		if (!strcmp(lock, name))
			fprintf(r.f, "%s is held across an allocation that may "
				"enter reclaim (%s), and %s is taken inside "
				"reclaim (%s).\n", lock, pseudo, lock, ctx);
		else
			fprintf(r.f, "%s is held across an allocation that may "
				"enter reclaim (%s); inside reclaim (%s) %s is "
				"taken, and the chain above leads from it back "
				"to %s.\n", lock, pseudo, ctx, name, lock);
	} else {
		fprintf(r.f, "each line is a task blocked by the next one:\n");
		for (unsigned int i = 0; i < nr; i++) {
			const struct ld_edge *e = ld_edge_by_id(cycle[i]);

			fprintf(r.f, "    ");
			describe_edge(r.f, e, ld_class_by_id(e->from),
				      ld_class_by_id(e->to));
			fprintf(r.f, "\n");
		}
		fprintf(r.f, "  %s\n",
			event ? "(a wait for an event depends on whoever "
				"signals it: docs/lockdep.md, Events)"
			      : "(as a lock order cycle)");
	}
	put_current_held(&r, t);
	json_object_set_new(r.json, "classes", classes);
	json_object_set_new(r.json, "edges", edges);
	json_object_set_new(r.json, "length", json_integer(len));
	json_object_set_new(r.json, "truncated", json_boolean(truncated));
	json_object_set_new(r.json, "through_reclaim", json_boolean(reclaim));
	json_object_set_new(r.json, "through_event", json_boolean(event));
	json_object_set_new(r.json, "site", json_site(ip));
	(void)read;
	report_end(&r);
}

void ld_report_recursion(struct ld_task *t, uint32_t edge_id,
			 struct ld_class *class, int read, unsigned long ip,
			 enum ld_via via)
{
	json_t *edges = json_array();
	char name[64];
	struct report r;

	if (!report_begin(&r, LOCKDEP_REPORT_RECURSION, t))
		return;
	class_name(class, name, sizeof(name));
	snprintf(r.summary, SUMMARY_LEN, "recursion: %s -> %s", name, name);
	fprintf(r.f, "%s\n\ntask \"%s\" ", r.summary, t->name);
	if (via == LD_VIA_OWED)
		fprintf(r.f, "owes %s and now waits for %s: the instance it "
			"waits for may be signalled only by a task that needs "
			"the one it owes (hand off what you owe first).\n",
			name, name);
	else if (class->kind == LOCKDEP_PSEUDO)
		fprintf(r.f, "runs in %s and makes an allocation that may "
			"enter %s again (recursion into reclaim).\n", name,
			name);
	else if (read != LOCKDEP_EXCLUSIVE)
		fprintf(r.f, "holds %s and takes it again for read: with a "
			"writer queued in between (rwsems prefer writers), the "
			"second read waits for the writer, which waits for the "
			"first.\n", name);
	else
		fprintf(r.f, "holds %s and %s another lock of the same class; "
			"if two tasks do so in opposite orders they deadlock. "
			"Use a _nested() variant with distinct subclasses if "
			"the order is fixed.\n", name,
			via == LD_VIA_WAIT ? "waits for" : "takes");
	fprintf(r.f, "\nthe dependency:\n");
	put_edge(&r, edges, 0, edge_id, true, NULL, 0);
	put_current_held(&r, t);
	json_object_set_new(r.json, "classes", json_pack("[s]", name));
	json_object_set_new(r.json, "edges", edges);
	json_object_set_new(r.json, "site", json_site(ip));
	report_end(&r);
}

/* ------------------------------------------------------------------ */
/* Contexts, scopes, misuse, limits, hung tasks                          */
/* ------------------------------------------------------------------ */

bool ld_report_invalid_context(struct ld_task *t, const char *what,
			       const char *file, int line, unsigned long ip)
{
	char site[256];
	struct report r;
	uint64_t key;

	if (file)
		snprintf(site, sizeof(site), "%s:%d", file, line);
	else
		ld_format_ip(ip, site, sizeof(site));
	key = hash_str(0xcbf29ce484222325ull ^ 1, site);
	if (site_reported(key))
		return false;
	if (!report_begin(&r, LOCKDEP_REPORT_INVALID_CONTEXT, t))
		return false;
	snprintf(r.summary, SUMMARY_LEN, "invalid-context: %s at %.120s in %s",
		 what, site, t->name);
	fprintf(r.f, "%s\n\ntask \"%s\" may sleep (%s) at %s while %s.\n",
		r.summary, t->name, what, site,
		t->nr_spin ? "holding a spinlock" : "in an atomic section");
	json_object_set_new(r.json, "what", json_string(what));
	json_object_set_new(r.json, "where", json_string(site));
	put_current_held(&r, t);
	put_current_stack(&r);
	report_end(&r);
	return true;
}

void ld_report_alloc_scope(struct ld_task *t, const struct ld_scope *scope,
			   unsigned int bits, const char *what,
			   unsigned long ip)
{
	char outer[256], inner[256];
	char fn_outer[sizeof(((struct stack_sym *)0)->func)];
	char fn_inner[sizeof(fn_outer)];
	struct report r;

	if (site_reported(hash_str(scope->ip * 31 + ip, "scope")))
		return;
	if (!report_begin(&r, LOCKDEP_REPORT_ALLOC_SCOPE, t))
		return;
	ld_format_ip(scope->ip, outer, sizeof(outer));
	ld_format_ip(ip, inner, sizeof(inner));
	/* Both sites by function, so a claim can name them. */
	snprintf(r.summary, SUMMARY_LEN, "alloc-scope: %.40s in %s inside "
		 "%.40s from %s", what ? what : "allocation",
		 ip_function(ip, fn_inner, sizeof(fn_inner)),
		 scope->what ? scope->what : "?",
		 ip_function(scope->ip, fn_outer, sizeof(fn_outer)));
	fprintf(r.f, "%s\n\n%s was called at %s with a mask that allows "
		"%s%s%s%s,\nbut inside it %s at %s allows %s%s%s%s.\n"
		"The nested allocation may enter reclaim its caller ruled out "
		"(open a memalloc scope in the caller instead of passing a "
		"mask down).\n", r.summary, scope->what ? scope->what : "?",
		outer, scope->allowed & LOCKDEP_ALLOC_RECLAIM ? "reclaim" :
		"no reclaim", scope->allowed & LOCKDEP_ALLOC_IO ? ", I/O" : "",
		scope->allowed & LOCKDEP_ALLOC_FS ? ", fs" : "", "",
		what ? what : "an allocation", inner,
		bits & LOCKDEP_ALLOC_RECLAIM ? "reclaim" : "no reclaim",
		bits & LOCKDEP_ALLOC_IO ? ", I/O" : "",
		bits & LOCKDEP_ALLOC_FS ? ", fs" : "", "");
	json_object_set_new(r.json, "scope", json_pack(
		"{s:s, s:i, s:o}", "what", scope->what ? scope->what : "?",
		"allowed", (int)scope->allowed, "site", json_site(scope->ip)));
	json_object_set_new(r.json, "nested", json_pack(
		"{s:s, s:i, s:o}", "what", what ? what : "?", "bits",
		(int)bits, "site", json_site(ip)));
	put_current_stack(&r);
	report_end(&r);
}

void ld_report_misuse(struct ld_task *t, const char *fmt, ...)
{
	char msg[256];
	struct report r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (site_reported(hash_str(0xcbf29ce484222325ull ^ 2, msg)))
		return;
	if (!report_begin(&r, LOCKDEP_REPORT_MISUSE, t))
		return;
	snprintf(r.summary, SUMMARY_LEN, "misuse: %.180s", msg);
	fprintf(r.f, "%s\n", msg);
	put_current_stack(&r);
	report_end(&r);
}

void ld_limit_report(const char *table, unsigned long bound)
{
	struct report r;
	bool seen = false;

	pthread_mutex_lock(&report_lock);
	for (unsigned int i = 0; i < MAX_LIMITS; i++) {
		if (limits_hit[i] == table) {
			seen = true;
			break;
		}
		if (!limits_hit[i]) {
			limits_hit[i] = table;
			break;
		}
	}
	pthread_mutex_unlock(&report_lock);
	if (seen || !report_begin(&r, LOCKDEP_REPORT_LIMIT, NULL))
		return;
	snprintf(r.summary, SUMMARY_LEN, "limit: %s table full at %lu",
		 table, bound);
	fprintf(r.f, "%s\n\nThe validator's %s table reached its bound of "
		"%lu entries. It stops adding to it and goes on with what it "
		"has: dependencies past this point may be missed. Raise the "
		"bound in src/lockdep/internal.h if real code reaches it.\n",
		r.summary, table, bound);
	json_object_set_new(r.json, "table", json_string(table));
	json_object_set_new(r.json, "bound", json_integer((json_int_t)bound));
	report_end(&r);
}

void ld_report_hung(const char *victim, struct ld_class *waits_for,
		    unsigned long ip, uint64_t blocked_ms,
		    uint64_t threshold_ms)
{
	char label[96], where[256];
	struct report r;

	if (!report_begin(&r, LOCKDEP_REPORT_HUNG_TASK, NULL))
		return;
	ld_class_label(waits_for, label, sizeof(label));
	ld_format_ip(ip, where, sizeof(where));
	snprintf(r.summary, SUMMARY_LEN, "hung-task: %s blocked on %s",
		 victim, waits_for ? waits_for->name : "?");
	fprintf(r.f, "%s\n\ntask \"%s\" has been blocked for %llu ms "
		"(threshold %llu ms) on %s at %s.\n\nall tasks:\n", r.summary,
		victim, (unsigned long long)blocked_ms,
		(unsigned long long)threshold_ms, label, where);
	ld_print_tasks(r.f);
	json_object_set_new(r.json, "task", json_string(victim));
	json_object_set_new(r.json, "waits_for",
			    json_string(waits_for ? waits_for->name : "?"));
	json_object_set_new(r.json, "blocked_ms",
			    json_integer((json_int_t)blocked_ms));
	json_object_set_new(r.json, "site", json_site(ip));
	report_end(&r);
}

void lockdep_print_held_locks(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return;
	fprintf(f, "ballast lockdep: held locks of every task:\n");
	ld_print_tasks(f);
	fclose(f);
	pthread_mutex_lock(&report_lock);
	write_all(STDERR_FILENO, text, len);
	pthread_mutex_unlock(&report_lock);
	free(text);
}

#endif /* BALLAST_LOCKDEP */
