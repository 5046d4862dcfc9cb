// SPDX-License-Identifier: MIT
/*
 * cmd_run.c - `ballast run`: start a host and a guest as two processes,
 * play a scenario (workload phases through the guest agent, balloon
 * targets through QMP), show progress, and print a summary whose memory
 * figures come from the host's view of the guest RAM memfd.
 *
 * The default scenario, for a guest of RAM bytes:
 *   touch    the workload touches 90% of RAM (the guest has used its
 *            memory before: free pages are backed, as in a VM that ran)
 *   settle   the workload shrinks to 60% of RAM
 *   inflate  the balloon leaves the guest 72% of RAM (workload + 12%)
 *   grow     the workload asks for 78%: reclaim takes the page cache and
 *            deflate-on-OOM gives memory back
 *   reset    the balloon target goes back to all of RAM
 *   overcommit  the workload asks for 105% of RAM: the OOM killer takes
 *            one of its workers (reclaim took the page cache first)
 *   release  the workload frees everything
 *
 * The workload's memory is faulted in through the guest's software MMU
 * (anonymous regions), and a page-cache worker rewrites a file of RAM/10
 * in the run's backing directory, so reclaim, writeback and the OOM killer
 * all have work; their counters are in the progress line and the summary.
 * A verify error in the workload (memory that changed under its owner)
 * fails the run.
 */
#include "cli.h"
#include <ballast/lib/spawn.h>

#include <ballast/lib/jsock.h>
#include <ballast/lib/size.h>
#include <ballast/page.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RUN_TIMEOUT_MS 10000
#define PHASE_TIMEOUT_S 90
#define STALL_S 5		/* no progress this long: the phase ends */

struct sample {
	double t;
	uint64_t guest_ram;	/* QMP query-balloon actual */
	uint64_t balloon;	/* guest's balloon size */
	uint64_t held;		/* workload */
	uint64_t free;
	uint64_t host_alloc;	/* memfd backed bytes, as the host sees it */
	uint64_t host_ballooned;
	uint64_t oom_deflated;
	uint64_t oom_notifications;
	uint64_t cache;		/* page-cache pages, bytes */
	uint64_t reclaimed;	/* pages, kswapd + direct */
	uint64_t written;	/* pages written back */
	uint64_t oom_kills;
	uint64_t verify_errors;
};

struct run {
	uint64_t ram;
	char dir[PATH_MAX];
	char vhost[PATH_MAX + 32], qmp_path[PATH_MAX + 32], agent_path[PATH_MAX + 32];
	char cache_dir[PATH_MAX + 32];
	char host_log[PATH_MAX + 32], guest_log[PATH_MAX + 32];
	pid_t host, guest;
	struct jsock_client *qmp, *agent;
	struct timespec t0;
	bool tty;
};

struct phase_result {
	const char *name;
	double seconds;
	struct sample start, end;
	bool timed_out;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = 1;
}

static double elapsed(const struct run *r)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - r->t0.tv_sec) +
	       (double)(now.tv_nsec - r->t0.tv_nsec) / 1e9;
}

static json_int_t jget(json_t *o, const char *path)
{
	char buf[128], *save = NULL, *key;

	snprintf(buf, sizeof(buf), "%s", path);
	for (key = strtok_r(buf, ".", &save); key && o;
	     key = strtok_r(NULL, ".", &save))
		o = json_object_get(o, key);
	return json_is_integer(o) ? json_integer_value(o) : 0;
}

static int take_sample(struct run *r, struct sample *s)
{
	json_t *q = NULL, *h = NULL, *g = NULL;
	int ret;

	ret = jsock_client_execute(r->qmp, "query-balloon", NULL, &q);
	if (!ret)
		ret = jsock_client_execute(r->qmp, "x-ballast-query-balloon",
					   NULL, &h);
	if (!ret)
		ret = jsock_client_execute(r->agent, "guest-ballast-status",
					   NULL, &g);
	if (!ret) {
		json_t *dev = json_array_get(json_object_get(h, "devices"), 0);

		s->t = elapsed(r);
		s->guest_ram = (uint64_t)jget(q, "actual");
		s->host_alloc = (uint64_t)jget(dev, "memfd-allocated-bytes");
		s->host_ballooned = (uint64_t)jget(dev, "host-ballooned-bytes");
		s->balloon = (uint64_t)jget(g, "devices.virtio-balloon.balloon-bytes");
		s->held = (uint64_t)jget(g, "workload.held-bytes");
		s->free = (uint64_t)jget(g, "free-bytes");
		s->oom_deflated = (uint64_t)jget(
			g, "devices.virtio-balloon.oom-deflated-bytes");
		s->oom_notifications = (uint64_t)jget(
			g, "devices.virtio-balloon.oom-notifications");
		s->cache = (uint64_t)jget(g, "vmstat.nr_file_pages") << 12;
		s->reclaimed = (uint64_t)(jget(g, "vmstat.pgsteal_kswapd") +
					  jget(g, "vmstat.pgsteal_direct"));
		s->written = (uint64_t)jget(g, "vmstat.nr_written");
		s->oom_kills = (uint64_t)jget(g, "vmstat.oom_kill");
		s->verify_errors = (uint64_t)jget(g, "workload.verify-errors");
	}
	json_decref(q);
	json_decref(h);
	json_decref(g);
	return ret;
}

static const char *mib(uint64_t bytes, char *buf, size_t len)
{
	snprintf(buf, len, "%5llu MiB", (unsigned long long)(bytes >> 20));
	return buf;
}

static void progress(struct run *r, const char *phase, const struct sample *s)
{
	char a[32], b[32], c[32], d[32], e[32], f[32];

	printf("%s[%-10s] %5.1fs RAM %s | balloon %s | anon %s | cache %s | "
	       "host backs %s | OOM-deflated %s | reclaimed %llu | written %llu | "
	       "OOM kills %llu%s", r->tty ? "\r" : "", phase, s->t,
	       mib(s->guest_ram, a, sizeof(a)), mib(s->balloon, b, sizeof(b)),
	       mib(s->held, c, sizeof(c)), mib(s->cache, f, sizeof(f)),
	       mib(s->host_alloc, d, sizeof(d)),
	       mib(s->oom_deflated, e, sizeof(e)),
	       (unsigned long long)s->reclaimed,
	       (unsigned long long)s->written,
	       (unsigned long long)s->oom_kills, r->tty ? "" : "\n");
	fflush(stdout);
}

static int set_workload(struct run *r, uint64_t bytes)
{
	json_t *ret;
	int err = jsock_client_execute(r->agent, "guest-ballast-workload",
				       json_pack("{s:I}", "target-bytes",
						 (json_int_t)bytes), &ret);

	json_decref(ret);
	return err;
}

static int set_balloon(struct run *r, uint64_t guest_keeps)
{
	json_t *ret;
	int err = jsock_client_execute(r->qmp, "balloon",
				       json_pack("{s:I}", "value",
						 (json_int_t)guest_keeps), &ret);

	json_decref(ret);
	return err;
}

enum goal_kind { GOAL_HELD_AT_LEAST, GOAL_HELD_AT_MOST, GOAL_RAM_AT_MOST,
		 GOAL_RAM_AT_LEAST, GOAL_OOM_KILLS_AT_LEAST };

static bool goal_met(enum goal_kind k, uint64_t v, const struct sample *s)
{
	switch (k) {
	case GOAL_HELD_AT_LEAST: return s->held >= v;
	case GOAL_HELD_AT_MOST: return s->held <= v;
	case GOAL_RAM_AT_MOST: return s->guest_ram <= v;
	case GOAL_RAM_AT_LEAST: return s->guest_ram >= v;
	case GOAL_OOM_KILLS_AT_LEAST: return s->oom_kills >= v;
	}
	return true;
}

/*
 * Wait until the goal is met, or nothing moved for STALL_S seconds (the
 * guest cannot give more), or PHASE_TIMEOUT_S passed.
 */
static int run_phase(struct run *r, const char *name, enum goal_kind k,
		     uint64_t v, struct phase_result *res)
{
	struct timespec tick = { 0, 20 * 1000000L };
	struct sample s, last;
	double last_move;
	int ret;

	res->name = name;
	ret = take_sample(r, &res->start);
	if (ret)
		return ret;
	last = res->start;
	last_move = res->start.t;
	double next_line = 0;

	for (;;) {
		nanosleep(&tick, NULL);
		if (interrupted)
			return -EINTR;
		ret = take_sample(r, &s);
		if (ret)
			return ret;
		if (s.t >= next_line) {
			progress(r, name, &s);
			next_line = s.t + (r->tty ? 0.25 : 2);
		}
		if (goal_met(k, v, &s))
			break;
		if (s.guest_ram != last.guest_ram || s.held != last.held ||
		    s.balloon != last.balloon) {
			last_move = s.t;
			last = s;
		}
		if (s.t - last_move > STALL_S || s.t - res->start.t > PHASE_TIMEOUT_S) {
			res->timed_out = true;
			break;
		}
	}
	res->end = s;
	res->seconds = s.t - res->start.t;
	return 0;
}

static void summary(struct run *r, struct phase_result *ph, int n)
{
	const struct phase_result *settle = &ph[1], *inflate = &ph[2],
				  *grow = &ph[3], *reset = &ph[4],
				  *last = &ph[n - 1];
	uint64_t inflated = inflate->end.balloon - inflate->start.balloon;
	uint64_t returned = settle->end.host_alloc > inflate->end.host_alloc
				    ? settle->end.host_alloc -
					      inflate->end.host_alloc
				    : 0;
	uint64_t deflated = reset->start.balloon - reset->end.balloon;
	char a[32], b[32], c[32], d[32];

	printf("%s\nballast run: summary (guest RAM %llu MiB)\n\n",
	       r->tty ? "" : "", (unsigned long long)(r->ram >> 20));
	printf("  %-10s %8s  %9s  %9s  %9s  %s\n", "phase", "seconds",
	       "balloon", "anon", "host backs", "");
	for (int i = 0; i < n; i++)
		printf("  %-10s %8.2f  %s  %s  %s  %s\n", ph[i].name,
		       ph[i].seconds, mib(ph[i].end.balloon, a, sizeof(a)),
		       mib(ph[i].end.held, b, sizeof(b)),
		       mib(ph[i].end.host_alloc, c, sizeof(c)),
		       ph[i].timed_out ? "(stopped moving before its goal)" : "");
	printf("\n  memory the host got back when the balloon inflated: %s\n"
	       "    (the memfd's backed size, %s before and %s after)\n",
	       mib(returned, a, sizeof(a)),
	       mib(settle->end.host_alloc, b, sizeof(b)),
	       mib(inflate->end.host_alloc, c, sizeof(c)));
	if (inflated)
		printf("  inflate: %s in %.2f s = %.2f s per GiB\n",
		       mib(inflated, d, sizeof(d)), inflate->seconds,
		       inflate->seconds / ((double)inflated / (1 << 30)));
	if (deflated)
		printf("  deflate: %s in %.2f s = %.2f s per GiB\n",
		       mib(deflated, d, sizeof(d)), reset->seconds,
		       reset->seconds / ((double)deflated / (1 << 30)));
	printf("  deflate-on-OOM while the workload grew: %s in %llu OOM "
	       "notifications\n",
	       mib(grow->end.oom_deflated - grow->start.oom_deflated, a,
		   sizeof(a)),
	       (unsigned long long)(grow->end.oom_notifications -
				    grow->start.oom_notifications));
	printf("  reclaim: %llu pages reclaimed (%llu while the balloon "
	       "inflated, %llu while the workload grew)\n",
	       (unsigned long long)last->end.reclaimed,
	       (unsigned long long)(inflate->end.reclaimed -
				    inflate->start.reclaimed),
	       (unsigned long long)(grow->end.reclaimed -
				    grow->start.reclaimed));
	printf("  writeback: %llu pages written to the backing file\n",
	       (unsigned long long)last->end.written);
	printf("  OOM killer: %llu kills (the workload overcommitted RAM)\n",
	       (unsigned long long)last->end.oom_kills);
	printf("  workload verify errors: %llu\n",
	       (unsigned long long)last->end.verify_errors);
	printf("  host record at the end: %s ballooned (guest says %s)\n",
	       mib(last->end.host_ballooned, a, sizeof(a)),
	       mib(last->end.balloon, b, sizeof(b)));
	printf("\n  logs: %s, %s\n", r->host_log, r->guest_log);
}

static int start_processes(struct run *r, const char *exe)
{
	char ram[32];
	char *host_argv[] = { (char *)"host", (char *)"--vhost", r->vhost,
			      (char *)"--qmp", r->qmp_path,
			      (char *)"--stats-interval", (char *)"1", NULL };
	char *guest_argv[] = { (char *)"guest", (char *)"--ram", ram,
			       (char *)"--vhost", r->vhost, (char *)"--agent",
			       r->agent_path, (char *)"--cache-dir", r->cache_dir,
			       NULL };
	int ret;

	snprintf(ram, sizeof(ram), "%llu", (unsigned long long)r->ram);
	ret = ballast_spawn(exe, host_argv, r->host_log, RUN_TIMEOUT_MS,
			    &r->host);
	if (ret) {
		fprintf(stderr, "ballast run: the host did not start: %s "
			"(see %s)\n", strerror(-ret), r->host_log);
		return ret;
	}
	ret = ballast_spawn(exe, guest_argv, r->guest_log, RUN_TIMEOUT_MS,
			    &r->guest);
	if (ret) {
		fprintf(stderr, "ballast run: the guest did not start: %s "
			"(see %s)\n", strerror(-ret), r->guest_log);
		return ret;
	}
	ret = jsock_client_connect(&r->qmp, r->qmp_path, "qmp_capabilities",
				   RUN_TIMEOUT_MS);
	if (!ret)
		ret = jsock_client_connect(&r->agent, r->agent_path, NULL,
					   RUN_TIMEOUT_MS);
	if (ret)
		fprintf(stderr, "ballast run: cannot talk to host or guest: %s\n",
			strerror(-ret));
	return ret;
}

/* ballast_reap()'s result in words. */
static const char *exit_desc(int status, char *buf, size_t len)
{
	if (status == -ETIMEDOUT)
		snprintf(buf, len, "did not exit in time (killed)");
	else if (status < 0)
		snprintf(buf, len, "could not be reaped (%s)", strerror(-status));
	else
		snprintf(buf, len, "ended with status %d (128+N: signal N)",
			 status);
	return buf;
}

static int stop_processes(struct run *r)
{
	json_t *ret = NULL;
	int guest_status = 0, host_status = 0;

	if (r->agent &&
	    !jsock_client_execute(r->agent, "guest-shutdown", NULL, &ret))
		json_decref(ret);
	if (r->guest)
		guest_status = ballast_reap(r->guest, 30000);
	if (r->qmp && !jsock_client_execute(r->qmp, "quit", NULL, &ret))
		json_decref(ret);
	if (r->host)
		host_status = ballast_reap(r->host, 10000);
	jsock_client_close(r->agent);
	jsock_client_close(r->qmp);
	if (guest_status || host_status) {
		char g[48], h[48];

		fprintf(stderr, "ballast run: guest %s, host %s (see the logs)\n",
			exit_desc(guest_status, g, sizeof(g)),
			exit_desc(host_status, h, sizeof(h)));
		return -1;
	}
	return 0;
}

static int run_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ram", required_argument, NULL, 'm' },
		{ "scenario", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run r = { .ram = PAGE_RAM_DEFAULT_BYTES };
	struct phase_result ph[7] = { 0 };
	const char *scenario = "default";
	char exe[PATH_MAX], err[128];
	ssize_t len;
	int opt, ret, n = 0;
	uint64_t R;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+m:s:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (parse_size(optarg, &r.ram))
				return ballast_usage_error("run",
					"--ram '%s' is not a size (e.g. 1G)", optarg);
			if (page_ram_size_check(r.ram, err, sizeof(err)))
				return ballast_usage_error("run", "--ram: %s", err);
			break;
		case 's':
			scenario = optarg;
			if (strcmp(scenario, "default"))
				return ballast_usage_error("run",
					"unknown scenario '%s' (known: default)",
					scenario);
			break;
		case 'h':
			printf("usage: ballast run [--ram SIZE] [--scenario default]\n");
			return BALLAST_EXIT_OK;
		default:
			return ballast_usage_error("run", "unknown option '%s'",
						   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ballast_usage_error("run", "unexpected argument '%s'",
					   argv[optind]);
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return BALLAST_EXIT_FAIL;
	exe[len] = 0;
	snprintf(r.dir, sizeof(r.dir), "%s/ballast-run.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(r.dir)) {
		perror("ballast run: mkdtemp");
		return BALLAST_EXIT_FAIL;
	}
	snprintf(r.vhost, sizeof(r.vhost), "%s/vhost.sock", r.dir);
	snprintf(r.qmp_path, sizeof(r.qmp_path), "%s/qmp.sock", r.dir);
	snprintf(r.agent_path, sizeof(r.agent_path), "%s/agent.sock", r.dir);
	snprintf(r.cache_dir, sizeof(r.cache_dir), "%s/cache", r.dir);
	snprintf(r.host_log, sizeof(r.host_log), "%s/host.log", r.dir);
	snprintf(r.guest_log, sizeof(r.guest_log), "%s/guest.log", r.dir);
	r.tty = isatty(STDOUT_FILENO);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	clock_gettime(CLOCK_MONOTONIC, &r.t0);
	printf("ballast run: scenario %s, guest RAM %llu MiB, in %s\n", scenario,
	       (unsigned long long)(r.ram >> 20), r.dir);

	R = r.ram;
	ret = start_processes(&r, exe);
/* Whole pages: the guest and the device count in pages. */
#define PCT(p) ((R / 100 * (p)) & ~(uint64_t)(PAGE_SIZE - 1))
#define PHASE(name, set, kind, value)                                     \
	do {                                                              \
		if (!ret)                                                 \
			ret = (set);                                      \
		if (!ret)                                                 \
			ret = run_phase(&r, name, kind, value, &ph[n++]); \
		if (!ret && r.tty)                                        \
			putchar('\n');                                    \
	} while (0)
	PHASE("touch", set_workload(&r, PCT(90)), GOAL_HELD_AT_LEAST, PCT(90));
	PHASE("settle", set_workload(&r, PCT(60)), GOAL_HELD_AT_MOST, PCT(60));
	PHASE("inflate", set_balloon(&r, PCT(72)), GOAL_RAM_AT_MOST, PCT(72));
	PHASE("grow", set_workload(&r, PCT(78)), GOAL_HELD_AT_LEAST, PCT(78));
	PHASE("reset", set_balloon(&r, R), GOAL_RAM_AT_LEAST, R);
	PHASE("overcommit", set_workload(&r, PCT(105)), GOAL_OOM_KILLS_AT_LEAST,
	      1);
	PHASE("release", set_workload(&r, 0), GOAL_HELD_AT_MOST, 0);
#undef PHASE
#undef PCT
	if (ret) {
		fprintf(stderr, "\nballast run: stopped: %s\n",
			ret == -EINTR ? "interrupted" : strerror(-ret));
	} else {
		summary(&r, ph, n);
		if (ph[n - 1].end.verify_errors) {
			fprintf(stderr, "ballast run: the workload found %llu pages "
				"whose contents changed under it\n",
				(unsigned long long)ph[n - 1].end.verify_errors);
			ret = -EIO;
		}
	}
	if (stop_processes(&r))
		ret = -1;
	unlink(r.vhost);
	unlink(r.qmp_path);
	unlink(r.agent_path);
	return ret ? BALLAST_EXIT_FAIL : BALLAST_EXIT_OK;
}

const struct ballast_cmd ballast_cmd_run = {
	.name = "run",
	.args = "[--ram SIZE] [--scenario NAME]",
	.summary = "start host and guest, play a scenario, print a summary",
	.run = run_cmd,
};
