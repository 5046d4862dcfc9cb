// SPDX-License-Identifier: MIT
/* balloon_e2e.c - see balloon_e2e.h. */
#include "balloon_e2e.h"

#include <ballast/alloc.h>
#include <ballast/balloon.h>
#include <ballast/lib/spawn.h>
#include <ballast/migrate.h>
#include <ballast/reclaim.h>
#include <ballast/slab.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static unsigned int boot_flags;
static unsigned int e2e_seq;

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* Guest memory core                                                     */
/* ------------------------------------------------------------------ */

void e2e_guest_boot(size_t ram_bytes, unsigned int flags)
{
	boot_flags = flags;
	test_mem_setup(ram_bytes);
	assert_int_equal(reclaim_init(), 0);
	if (flags & E2E_KSWAPD)
		assert_int_equal(kswapd_run(), 0);
	assert_int_equal(balloon_init(), 0);
	if (flags & E2E_COMPACTION)
		assert_int_equal(compaction_init(), 0);
}

void e2e_compaction_stop(void)
{
	if (boot_flags & E2E_COMPACTION)
		compaction_exit();
	boot_flags &= ~E2E_COMPACTION;
}

void e2e_guest_shutdown(void)
{
	if (boot_flags & E2E_COMPACTION)
		compaction_exit();
	balloon_exit();
	if (boot_flags & E2E_KSWAPD)
		kswapd_stop();
	reclaim_exit();
	assert_int_equal(node_page_state(NR_BALLOON_PAGES), 0);
	test_mem_teardown();
}

/* ------------------------------------------------------------------ */
/* Host process                                                          */
/* ------------------------------------------------------------------ */

void e2e_print_host_log(struct balloon_e2e *e)
{
	char line[512];
	FILE *f = fopen(e->log_path, "r");

	if (!f)
		return;
	fprintf(stderr, "# host log %s:\n", e->log_path);
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "#   %s", line);
	fclose(f);
}

/* Spawn the host on e's paths and connect a negotiated QMP client. */
static void host_spawn(struct balloon_e2e *e, const char *const *extra)
{
	const char *exe = getenv("BALLAST_BIN");
	char *argv[32];
	int n = 0, ret;

	if (!exe || !*exe)
		fail_msg("BALLAST_BIN is not set (run through tools/run-tests.sh)");
	argv[n++] = (char *)"host";
	argv[n++] = (char *)"--vhost";
	argv[n++] = e->vhost_path;
	argv[n++] = (char *)"--qmp";
	argv[n++] = e->qmp_path;
	argv[n++] = (char *)"--quiet";
	for (int i = 0; extra && extra[i] && n < 30; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	ret = ballast_spawn(exe, argv, e->log_path, E2E_TIMEOUT_MS, &e->host_pid);
	if (ret) {
		e2e_print_host_log(e);
		fail_msg("cannot start %s host: %s", exe, strerror(-ret));
	}
	ret = jsock_client_connect(&e->qmp, e->qmp_path, "qmp_capabilities",
				   E2E_TIMEOUT_MS);
	if (ret)
		fail_msg("QMP connect to %s: %s", e->qmp_path, strerror(-ret));
}

void e2e_host_start(struct balloon_e2e *e, const char *const *extra)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->dir, sizeof(e->dir), "/tmp/ballast-e2e-%d-%u", (int)getpid(),
		 e2e_seq++);
	if (mkdir(e->dir, 0700) && errno != EEXIST)
		fail_msg("mkdir %s: %s", e->dir, strerror(errno));
	snprintf(e->vhost_path, sizeof(e->vhost_path), "%s/vhost.sock", e->dir);
	snprintf(e->qmp_path, sizeof(e->qmp_path), "%s/qmp.sock", e->dir);
	snprintf(e->log_path, sizeof(e->log_path), "%s/host.log", e->dir);
	host_spawn(e, extra);
}

void e2e_host_kill(struct balloon_e2e *e)
{
	jsock_client_close(e->qmp);
	e->qmp = NULL;
	if (kill(e->host_pid, SIGKILL))
		fail_msg("kill host %d: %s", (int)e->host_pid, strerror(errno));
	if (ballast_reap(e->host_pid, E2E_TIMEOUT_MS) != 128 + SIGKILL)
		fail_msg("host %d did not die of SIGKILL", (int)e->host_pid);
}

void e2e_host_restart(struct balloon_e2e *e, const char *const *extra)
{
	host_spawn(e, extra);
}

void e2e_host_stop(struct balloon_e2e *e)
{
	json_t *ret = NULL;
	int err, status;

	err = jsock_client_execute(e->qmp, "quit", NULL, &ret);
	json_decref(ret);
	jsock_client_close(e->qmp);
	e->qmp = NULL;
	status = ballast_reap(e->host_pid, E2E_TIMEOUT_MS);
	if (err || status != 0) {
		e2e_print_host_log(e);
		fail_msg("host: quit %s, exit status %d", strerror(-err), status);
	}
	if (getenv("BALLAST_E2E_SHOW_LOG"))
		e2e_print_host_log(e);
	unlink(e->log_path);
	unlink(e->vhost_path);
	unlink(e->qmp_path);
	rmdir(e->dir);
}

/* ------------------------------------------------------------------ */
/* Guest devices                                                         */
/* ------------------------------------------------------------------ */

int e2e_frontend_create(struct balloon_e2e *e, struct virtio_device **vdevp)
{
	struct vhost_user_frontend_opts fo = {
		.path = e->vhost_path,
		.device_id = VIRTIO_ID_BALLOON,
		.queue_size = E2E_QUEUE_SIZE,
		.timeout_ms = E2E_TIMEOUT_MS,
	};

	return vhost_user_frontend_create(&fo, vdevp);
}

static bool driver_settled(struct balloon_e2e *e, void *arg)
{
	json_t *dev = e2e_host_device(e);
	bool ok = dev != NULL;

	json_decref(dev);
	return ok;
}

void e2e_driver_start(struct balloon_e2e *e)
{
	assert_int_equal(e2e_frontend_create(e, &e->vdev), 0);
	assert_int_equal(virtballoon_probe(e->vdev, &e->vb), 0);
	e2e_wait(e, driver_settled, NULL, 10, "the host to see the device");
	touch_free_memory();
	e->backed_empty = page_ram_allocated_bytes();
}

void e2e_driver_stop(struct balloon_e2e *e)
{
	virtballoon_remove(e->vb);
	e->vb = NULL;
	vhost_user_frontend_destroy(e->vdev);
	e->vdev = NULL;
}

/* ------------------------------------------------------------------ */
/* QMP                                                                   */
/* ------------------------------------------------------------------ */

json_t *e2e_qmp(struct balloon_e2e *e, const char *cmd, json_t *args)
{
	json_t *ret = NULL;
	int err = jsock_client_execute(e->qmp, cmd, args, &ret);

	if (err) {
		char *text = ret ? json_dumps(ret, JSON_COMPACT) : NULL;

		fail_msg("QMP %s: %s %s", cmd, strerror(-err), text ? text : "");
	}
	return ret;
}

void e2e_qmp_error(struct balloon_e2e *e, const char *cmd, json_t *args,
		   const char *cls, const char *desc)
{
	json_t *ret = NULL;
	int err = jsock_client_execute(e->qmp, cmd, args, &ret);
	const char *c = json_string_value(json_object_get(ret, "class"));
	const char *d = json_string_value(json_object_get(ret, "desc"));

	if (err != -EREMOTEIO || !c || !d || strcmp(c, cls) ||
	    !strstr(d, desc)) {
		char *text = ret ? json_dumps(ret, JSON_COMPACT) : NULL;

		fail_msg("QMP %s: expected %s '%s', got %s (%s)", cmd, cls,
			 desc, text ? text : "nothing", strerror(-err));
	}
	json_decref(ret);
}

json_t *e2e_host_device(struct balloon_e2e *e)
{
	json_t *ret = e2e_qmp(e, "x-ballast-query-balloon", NULL);
	json_t *devs = json_object_get(ret, "devices");
	json_t *dev = NULL;

	if (json_array_size(devs))
		dev = json_incref(json_array_get(devs,
						 json_array_size(devs) - 1));
	json_decref(ret);
	return dev;
}

int64_t e2e_host_int(struct balloon_e2e *e, const char *key)
{
	json_t *dev = e2e_host_device(e);
	json_t *v = json_object_get(dev, key);
	int64_t n;

	if (!json_is_integer(v) && !json_is_boolean(v))
		fail_msg("host device has no integer '%s'", key);
	n = json_is_boolean(v) ? json_is_true(v) : json_integer_value(v);
	json_decref(dev);
	return n;
}

uint64_t e2e_actual(struct balloon_e2e *e)
{
	json_t *ret = e2e_qmp(e, "query-balloon", NULL);
	uint64_t actual = (uint64_t)json_integer_value(json_object_get(ret,
								       "actual"));

	json_decref(ret);
	return actual;
}

void e2e_wait(struct balloon_e2e *e, bool (*cond)(struct balloon_e2e *, void *),
	      void *arg, int poll_ms, const char *what)
{
	int64_t deadline = mono_ms() + E2E_TIMEOUT_MS;

	for (;;) {
		int64_t left;
		json_t *ev;
		int err;

		if (cond(e, arg))
			return;
		left = deadline - mono_ms();
		if (left <= 0)
			fail_msg("timed out after %d ms waiting for %s",
				 E2E_TIMEOUT_MS, what);
		if (poll_ms && left > poll_ms)
			left = poll_ms;
		/* Block on the QMP socket: an event or the re-check time. */
		err = jsock_client_next_event(e->qmp, (int)left, &ev);
		if (!err)
			json_decref(ev);
		else if (err != -ETIMEDOUT)
			fail_msg("QMP while waiting for %s: %s", what,
				 strerror(-err));
	}
}

static bool actual_is(struct balloon_e2e *e, void *arg)
{
	return e2e_actual(e) == *(uint64_t *)arg;
}

void e2e_balloon(struct balloon_e2e *e, uint64_t guest_bytes)
{
	char what[64];

	json_decref(e2e_qmp(e, "balloon", json_pack("{s:I}", "value",
						    (json_int_t)guest_bytes)));
	snprintf(what, sizeof(what), "actual = %llu bytes",
		 (unsigned long long)guest_bytes);
	e2e_wait(e, actual_is, &guest_bytes, 0, what);
}

void e2e_assert_agree(struct balloon_e2e *e, bool clean)
{
	struct virtballoon_info info;
	json_t *dev = e2e_host_device(e);
	uint64_t ram = page_ram_bytes(), host_pages, actual;
	size_t backed;

	assert_non_null(dev);
	virtballoon_get_info(e->vb, &info);
	host_pages = (uint64_t)json_integer_value(
		json_object_get(dev, "host-ballooned-bytes")) >> PAGE_SHIFT;
	actual = e2e_actual(e);
	assert_int_equal(virtballoon_check(e->vb), 0);
	assert_int_equal(info.isolated_pages, 0);
	assert_int_equal(info.num_pages, host_pages);
	assert_int_equal(node_page_state(NR_BALLOON_PAGES), info.num_pages);
	assert_int_equal(json_integer_value(json_object_get(
				 dev, "guest-ballooned-bytes")),
			 host_pages << PAGE_SHIFT);
	assert_int_equal(ram - actual, host_pages << PAGE_SHIFT);
	if (clean) {
		static const char *const zero[] = {
			"protocol-violations", "touched-while-ballooned",
			"refused-deflates", "double-inflates", "punch-errors",
		};

		for (size_t i = 0; i < ARRAY_SIZE(zero); i++)
			if (json_integer_value(json_object_get(dev, zero[i])))
				fail_msg("host counted %lld %s",
					 json_integer_value(json_object_get(
						 dev, zero[i])), zero[i]);
		assert_false(json_is_true(json_object_get(dev, "needs-reset")));
	}
	json_decref(dev);
	/* The memory really left: backed size = empty balloon - ballooned. */
	touch_free_memory();
	backed = page_ram_allocated_bytes();
	assert_int_equal(backed, e->backed_empty - (host_pages << PAGE_SHIFT));
	assert_int_equal(e2e_host_int(e, "memfd-allocated-bytes"), backed);
}
