// SPDX-License-Identifier: MIT
/*
 * test_virtio_echo.c - volume through the vhost-user echo device in a
 * separate host process: a million buffers both ways with no loss or
 * duplication, with and without EVENT_IDX and indirect tables, and the
 * same while the host is killed and restarted twice (the guest reconnects
 * and loses nothing).
 *
 * Every request carries its sequence number out to the device and comes
 * back transformed in its writable half; the driver (support/virtio_echo.h)
 * counts each sequence number once and fails on a second sighting, a bad
 * reply or 30 s without progress. Counts shrink under the sanitizers
 * (test_scaled()).
 */
#include "../support/test_support.h"
#include "../support/virtio_echo.h"

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static char sock_path[108];
static pid_t host_pid;
static unsigned int sock_seq;

static int host_setup(void **state)
{
	snprintf(sock_path, sizeof(sock_path), "/tmp/ballast-vus-%d-%u.sock",
		 (int)getpid(), sock_seq++);
	assert_int_equal(vhost_user_echo_spawn(sock_path, &host_pid), 0);
	return 0;
}

static int host_teardown(void **state)
{
	int status;

	assert_int_equal(kill(host_pid, SIGTERM), 0);
	assert_int_equal(waitpid(host_pid, &status, 0), host_pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	return 0;
}

static void run_echo(uint64_t features, bool multi_sg, unsigned long total)
{
	struct echo_drv d;
	uint64_t processed;

	assert_int_equal(echo_drv_create(&d, sock_path, 256, 256, features, 0,
					 ECHO_XOR), 0);
	d.multi_sg = multi_sg;
	assert_int_equal(echo_run(&d, total), 0);
	assert_int_equal(d.done, total);
	assert_int_equal(d.dups + d.bad, 0);
	assert_int_equal(echo_processed(&d, &processed), 0);
	assert_int_equal(processed, total);
	echo_drv_destroy(&d);
}

/*
 * A million requests (each 16 bytes out as two entries through an
 * indirect table, 16 bytes back), EVENT_IDX on: all come back once.
 */
static void test_echo_million_buffers_event_idx_indirect(void **state)
{
	run_echo((1ULL << VIRTIO_RING_F_EVENT_IDX) |
			 (1ULL << VIRTIO_RING_F_INDIRECT_DESC),
		 true, test_scaled(1000000));
}

/* The same without EVENT_IDX or indirect tables (flags and direct chains). */
static void test_echo_buffers_without_event_idx(void **state)
{
	run_echo(0, false, test_scaled(200000));
}

/* Kill the host with SIGKILL and start another on the same socket. */
static void restart_host(struct echo_drv *d, void *arg)
{
	unsigned long *restarts = arg;
	int status;

	assert_int_equal(kill(host_pid, SIGKILL), 0);
	assert_int_equal(waitpid(host_pid, &status, 0), host_pid);
	assert_int_equal(vhost_user_echo_spawn(sock_path, &host_pid), 0);
	if (++*restarts < 2) {
		d->hook = restart_host;
		d->hook_at = d->total * 2 / 3;
	}
}

/*
 * The host dies twice mid-traffic (at 1/3 and 2/3 of the requests, with
 * up to 256 in flight and some completed but not yet harvested); the
 * guest reconnects on its own (reconnect_ms) and re-posts what was in
 * flight: every request comes back exactly once.
 */
static void test_echo_host_restart_reconnects_without_loss(void **state)
{
	unsigned long total = test_scaled(300000), restarts = 0;
	struct echo_drv d;

	assert_int_equal(echo_drv_create(&d, sock_path, 256, 256,
					 (1ULL << VIRTIO_RING_F_EVENT_IDX) |
					 (1ULL << VIRTIO_RING_F_INDIRECT_DESC),
					 5, 0), 0);
	d.multi_sg = true;
	d.hook = restart_host;
	d.hook_arg = &restarts;
	d.hook_at = total / 3;
	assert_int_equal(echo_run(&d, total), 0);
	assert_int_equal(d.done, total);
	assert_int_equal(d.dups + d.bad, 0);
	assert_int_equal(restarts, 2);
	assert_int_equal(vhost_user_frontend_nr_reconnects(d.vdev), 2);
	echo_drv_destroy(&d);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, host_setup, host_teardown)
		T(test_echo_million_buffers_event_idx_indirect),
		T(test_echo_buffers_without_event_idx),
		T(test_echo_host_restart_reconnects_without_loss),
#undef T
	};
	int status;

	if (vhost_user_echo_main(argc, argv, &status))
		return status;
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("virtio_echo", tests,
					   test_mem_group_setup,
					   test_mem_group_teardown);
}
