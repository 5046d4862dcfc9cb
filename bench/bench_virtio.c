// SPDX-License-Identifier: MIT
/*
 * bench_virtio.c - one virtqueue between two processes (release build):
 * the guest (this process) drives the echo device of a vhost-user host
 * (this program executed again, vhost_user_echo_spawn()).
 *
 *   virtio.roundtrips_per_s         one 16+16-byte request at a time:
 *                                   add, kick, interrupt, harvest
 *   virtio.buffers_per_s            requests through a full queue,
 *                                   without EVENT_IDX (flags only)
 *   virtio.buffers_per_s_event_idx  the same with EVENT_IDX
 *   virtio.pipe_roundtrips_per_s    baseline: a byte ping-ponged through
 *                                   two pipes between two processes
 *
 * Method: ROUNDS rounds per figure, median reported. The streaming
 * figures keep 256 requests in flight on a ring of 1024 (two descriptors
 * each) and verify every reply (support/virtio_echo.h, shared with the
 * tests rather than copied).
 */
#include "common/bench.h"
#include "../tests/support/virtio_echo.h"

#include <ballast/slab.h>

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define RAM (256UL << 20)
#define ROUNDS 5
#define ROUNDTRIPS 20000
#define STREAM 1000000

/* Baseline: a child echoes bytes on a pipe pair. Fork before any thread. */
static double pipe_roundtrips_per_s(void)
{
	double samples[ROUNDS];
	int ping[2], pong[2];
	pid_t child;
	char c = 0;

	if (pipe(ping) || pipe(pong))
		return 0;
	child = fork();
	if (child == 0) {
		close(ping[1]);		/* so the parent's close ends the loop */
		close(pong[0]);
		while (read(ping[0], &c, 1) == 1 && write(pong[1], &c, 1) == 1)
			;
		_exit(0);
	}
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = bench_now_ns();

		for (int i = 0; i < ROUNDTRIPS; i++)
			if (write(ping[1], &c, 1) != 1 ||
			    read(pong[0], &c, 1) != 1)
				return 0;
		samples[r] = ROUNDTRIPS * 1e9 / (double)(bench_now_ns() - t0);
	}
	close(ping[1]);
	waitpid(child, NULL, 0);
	close(ping[0]);
	close(pong[0]);
	close(pong[1]);
	return bench_median(samples, ROUNDS);
}

/* One request at a time; the interrupt thread wakes us on completion. */
static double roundtrips_per_s(const char *path)
{
	double samples[ROUNDS];
	struct echo_drv d;

	if (echo_drv_create(&d, path, 256, 1, 1ULL << VIRTIO_RING_F_EVENT_IDX,
			    0, ECHO_XOR))
		return 0;
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = bench_now_ns();

		for (int i = 0; i < ROUNDTRIPS; i++)
			if (echo_run(&d, 1))
				return 0;
		samples[r] = ROUNDTRIPS * 1e9 / (double)(bench_now_ns() - t0);
	}
	echo_drv_destroy(&d);
	return bench_median(samples, ROUNDS);
}

static double buffers_per_s(const char *path, uint64_t features)
{
	double samples[ROUNDS];
	struct echo_drv d;

	if (echo_drv_create(&d, path, 1024, 256, features, 0, ECHO_XOR))
		return 0;
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = bench_now_ns();

		if (echo_run(&d, STREAM))
			return 0;
		samples[r] = STREAM * 1e9 / (double)(bench_now_ns() - t0);
	}
	echo_drv_destroy(&d);
	return bench_median(samples, ROUNDS);
}

int main(int argc, char **argv)
{
	char path[108];
	double baseline, rt, plain, event;
	pid_t host;
	int status;

	if (vhost_user_echo_main(argc, argv, &status))
		return status;
	baseline = pipe_roundtrips_per_s();
	signal(SIGPIPE, SIG_IGN);
	if (page_ram_init(RAM) || alloc_init() || slab_init()) {
		fprintf(stderr, "bench_virtio: cannot set up guest RAM\n");
		return 1;
	}
	snprintf(path, sizeof(path), "/tmp/ballast-bench-vu-%d.sock",
		 (int)getpid());
	if (vhost_user_echo_spawn(path, &host)) {
		fprintf(stderr, "bench_virtio: cannot start the host\n");
		return 1;
	}
	rt = roundtrips_per_s(path);
	plain = buffers_per_s(path, 0);
	event = buffers_per_s(path, 1ULL << VIRTIO_RING_F_EVENT_IDX);
	kill(host, SIGTERM);
	waitpid(host, NULL, 0);
	if (!rt || !plain || !event) {
		fprintf(stderr, "bench_virtio: a run failed\n");
		return 1;
	}
	printf("  %-40s %14s %s\n", "figure", "value", "unit");
	bench_record("virtio.pipe_roundtrips_per_s", baseline, "1/s");
	bench_record("virtio.roundtrips_per_s", rt, "1/s");
	bench_record("virtio.buffers_per_s", plain, "1/s");
	bench_record("virtio.buffers_per_s_event_idx", event, "1/s");
	return 0;
}
