// SPDX-License-Identifier: MIT
/*
 * bench_balloon.c - the balloon end to end (release build): this process
 * is a 2 GiB guest running the real virtio-balloon driver, the real
 * `ballast host` ($BALLAST_BIN) is the device, and QMP sets the targets.
 *
 *   balloon.inflate_gib_s         1 GiB into the balloon: from the QMP
 *                                 "balloon" command until BALLOON_CHANGE
 *                                 reports the target (every page
 *                                 allocated, told, punched, acknowledged)
 *   balloon.deflate_gib_s         the same 1 GiB back out
 *   balloon.punch_ceiling_gib_s   baseline: one fallocate(PUNCH_HOLE) of a
 *                                 fully backed 1 GiB memfd range
 *   balloon.inflate_vs_ceiling    inflate / ceiling
 *
 * Method: ROUNDS rounds, median reported. Before each inflate every free
 * page of the guest is touched, so the punches free real memory as they
 * would in a guest that has run for a while; the memfd's backed size is
 * checked to have dropped by 1 GiB. The ceiling's memfd is written whole
 * before each punch.
 */
#include "common/bench.h"
#include "../tests/support/fragment.h"

#include <ballast/alloc.h>
#include <ballast/balloon.h>
#include <ballast/drivers.h>
#include <ballast/lib/jsock.h>
#include <ballast/lib/spawn.h>
#include <ballast/reclaim.h>
#include <ballast/slab.h>
#include <ballast/vhost_user.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAM (2UL << 30)
#define BALLOON (1UL << 30)
#define ROUNDS 5
#define TIMEOUT_MS 120000

static struct jsock_client *qmp;

static int fail(const char *what, int err)
{
	fprintf(stderr, "bench_balloon: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

static int64_t actual(void)
{
	json_t *ret = NULL;
	int64_t a = -1;

	if (!jsock_client_execute(qmp, "query-balloon", NULL, &ret))
		a = json_integer_value(json_object_get(ret, "actual"));
	json_decref(ret);
	return a;
}

/* Set the target, wait for the BALLOON_CHANGE that reports it: seconds. */
static double move_to(uint64_t guest_bytes)
{
	json_t *ret = NULL, *ev;
	uint64_t t0 = bench_now_ns();
	int err;

	err = jsock_client_execute(qmp, "balloon",
				   json_pack("{s:I}", "value",
					     (json_int_t)guest_bytes), &ret);
	json_decref(ret);
	if (err)
		return -1;
	for (;;) {
		json_t *data;

		if (jsock_client_next_event(qmp, TIMEOUT_MS, &ev))
			return -1;
		data = json_object_get(ev, "data");
		if (json_integer_value(json_object_get(data, "actual")) ==
		    (json_int_t)guest_bytes) {
			json_decref(ev);
			break;
		}
		json_decref(ev);
	}
	return (double)(bench_now_ns() - t0) / 1e9;
}

/* One fallocate(PUNCH_HOLE) of a fully backed 1 GiB memfd range: GiB/s. */
static double punch_ceiling(void)
{
	double samples[ROUNDS];
	int fd = memfd_create("bench-punch", MFD_CLOEXEC);
	char *p;

	if (fd < 0 || ftruncate(fd, BALLOON))
		return 0;
	p = mmap(NULL, BALLOON, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 0;
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0;

		for (size_t off = 0; off < BALLOON; off += PAGE_SIZE)
			p[off] = 1;
		t0 = bench_now_ns();
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			      BALLOON))
			return 0;
		samples[r] = 1e9 / (double)(bench_now_ns() - t0);
	}
	munmap(p, BALLOON);
	close(fd);
	return bench_median(samples, ROUNDS);
}

int main(void)
{
	const char *exe = getenv("BALLAST_BIN");
	char dir[64], vhost[96], qmp_path[96], log_path[96];
	char *argv[] = { (char *)"host", (char *)"--vhost", vhost,
			 (char *)"--qmp", qmp_path, (char *)"--quiet", NULL };
	struct vhost_user_frontend_opts fo = {
		.path = vhost, .device_id = VIRTIO_ID_BALLOON,
		.queue_size = 256,
	};
	double in_s[ROUNDS], out_s[ROUNDS], inflate, deflate, ceiling;
	struct virtio_device *vdev;
	struct virtio_balloon *vb;
	json_t *ret = NULL;
	pid_t host;
	int err;

	if (!exe)
		exe = "build/release/ballast";
	signal(SIGPIPE, SIG_IGN);
	ceiling = punch_ceiling();
	if (!ceiling)
		return fail("punch ceiling", errno);

	snprintf(dir, sizeof(dir), "/tmp/ballast-bench-balloon-%d", (int)getpid());
	snprintf(vhost, sizeof(vhost), "%s/vhost.sock", dir);
	snprintf(qmp_path, sizeof(qmp_path), "%s/qmp.sock", dir);
	snprintf(log_path, sizeof(log_path), "%s/host.log", dir);
	if (mkdir(dir, 0700))
		return fail(dir, errno);
	err = ballast_spawn(exe, argv, log_path, TIMEOUT_MS, &host);
	if (err)
		return fail("starting the host", err);
	err = jsock_client_connect(&qmp, qmp_path, "qmp_capabilities", TIMEOUT_MS);
	if (err)
		return fail("QMP", err);

	err = page_ram_init(RAM);
	if (!err)
		err = alloc_init();
	if (!err)
		err = slab_init();
	if (!err)
		err = reclaim_init();
	if (!err)
		err = balloon_init();
	if (err)
		return fail("guest memory core", err);
	err = vhost_user_frontend_create(&fo, &vdev);
	if (!err)
		err = virtballoon_probe(vdev, &vb);
	if (err)
		return fail("balloon driver", err);

	for (int r = 0; r < ROUNDS; r++) {
		size_t backed;

		touch_free_memory();
		backed = page_ram_allocated_bytes();
		in_s[r] = move_to(RAM - BALLOON);
		if (in_s[r] < 0 || actual() != (int64_t)(RAM - BALLOON))
			return fail("inflate", ETIMEDOUT);
		if (backed - page_ram_allocated_bytes() != BALLOON)
			fprintf(stderr, "bench_balloon: round %d returned %zu "
				"bytes, not 1 GiB\n", r,
				backed - page_ram_allocated_bytes());
		out_s[r] = move_to(RAM);
		if (out_s[r] < 0)
			return fail("deflate", ETIMEDOUT);
		in_s[r] = 1.0 / in_s[r];
		out_s[r] = 1.0 / out_s[r];
	}
	inflate = bench_median(in_s, ROUNDS);
	deflate = bench_median(out_s, ROUNDS);

	virtballoon_remove(vb);
	vhost_user_frontend_destroy(vdev);
	err = jsock_client_execute(qmp, "quit", NULL, &ret);
	json_decref(ret);
	jsock_client_close(qmp);
	if (err || ballast_reap(host, TIMEOUT_MS) != 0)
		fprintf(stderr, "bench_balloon: the host did not quit cleanly "
			"(log %s)\n", log_path);
	else {
		unlink(log_path);
		rmdir(dir);
	}

	printf("  %-40s %14s %s\n", "figure", "value", "unit");
	bench_record("balloon.inflate_gib_s", inflate, "GiB/s");
	bench_record("balloon.deflate_gib_s", deflate, "GiB/s");
	bench_record("balloon.punch_ceiling_gib_s", ceiling, "GiB/s");
	bench_record("balloon.inflate_vs_ceiling", inflate / ceiling, "ratio");
	return 0;
}
