// SPDX-License-Identifier: MIT
/*
 * test_balloon_qmp.c - a QMP conversation with the running host process,
 * as a management tool has it: before any guest, with a guest whose real
 * driver is connected, the errors in QMP's form, and BALLOON_CHANGE
 * events while the guest moves.
 *
 * Raw connections (a socket, one JSON text per line) are used where the
 * bytes on the wire matter: the greeting and commands before
 * qmp_capabilities; the jsock client everywhere else.
 *
 * Several guests on one host: the real driver over two front-ends of this
 * process (each connection is its own device with its own record, though
 * they share this process's RAM), and a raw guest (features, queues and
 * one inflate buffer written by the test, then gone without a word) for
 * guests that misbehave or report nothing; `ballast ctl` runs against
 * them as a user runs it.
 */
#include "../support/balloon_e2e.h"
#include "../support/lockdep_test.h"

#include <ballast/alloc.h>

#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define RAM (32UL << 20)
#define MiB (1UL << 20)

static struct balloon_e2e e2e;

static int setup(void **state)
{
	if (lockdep_test_setup(state))
		return -1;
	e2e_guest_boot(RAM, 0);
	e2e_host_start(&e2e, NULL);
	return 0;
}

static int teardown(void **state)
{
	if (e2e.vb)
		e2e_driver_stop(&e2e);
	e2e_host_stop(&e2e);
	e2e_guest_shutdown();
	return lockdep_test_teardown(state);
}

/* ------------------------------------------------------------------ */
/* A raw QMP connection                                                  */
/* ------------------------------------------------------------------ */

struct raw_qmp {
	int fd;
	char buf[8192];
	size_t len;
};

static void raw_connect(struct raw_qmp *r)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	r->len = 0;
	r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(r->fd >= 0);
	strcpy(addr.sun_path, e2e.qmp_path);
	assert_int_equal(connect(r->fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
}

/* The next CRLF-terminated JSON text; fails after E2E_TIMEOUT_MS. */
static json_t *raw_read(struct raw_qmp *r)
{
	for (;;) {
		char *eol = memmem(r->buf, r->len, "\r\n", 2);
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
		json_error_t jerr;
		ssize_t n;

		if (eol) {
			size_t line = (size_t)(eol - r->buf);
			json_t *msg = json_loadb(r->buf, line, 0, &jerr);

			memmove(r->buf, eol + 2, r->len - line - 2);
			r->len -= line + 2;
			if (!msg)
				fail_msg("not JSON from the host: %s", jerr.text);
			return msg;
		}
		if (poll(&pfd, 1, E2E_TIMEOUT_MS) != 1)
			fail_msg("the host did not answer");
		n = recv(r->fd, r->buf + r->len, sizeof(r->buf) - r->len, 0);
		if (n <= 0)
			fail_msg("the host closed the connection");
		r->len += (size_t)n;
	}
}

static json_t *raw_transact(struct raw_qmp *r, const char *text)
{
	assert_int_equal(send(r->fd, text, strlen(text), MSG_NOSIGNAL),
			 (ssize_t)strlen(text));
	return raw_read(r);
}

static void assert_error(json_t *msg, const char *cls, const char *desc)
{
	json_t *err = json_object_get(msg, "error");
	const char *c = json_string_value(json_object_get(err, "class"));
	const char *d = json_string_value(json_object_get(err, "desc"));

	if (!c || !d || strcmp(c, cls) || !strstr(d, desc))
		fail_msg("expected %s '%s', got %s", cls, desc,
			 json_dumps(msg, JSON_COMPACT));
	json_decref(msg);
}

/* ------------------------------------------------------------------ */

/*
 * Setup: a host, no guest.
 * Action: a raw connection reads the greeting and tries query-balloon
 * before negotiating; then negotiates; then the balloon commands.
 * Expected: the greeting names QMP's version and capabilities; before
 * qmp_capabilities only that command is accepted (CommandNotFound);
 * afterwards query-balloon and balloon say DeviceNotActive, qom-get of a
 * balloon path DeviceNotFound, and x-ballast-query-balloon lists nothing.
 */
static void test_qmp_before_any_guest_reports_device_not_active(void **state)
{
	struct raw_qmp r;
	json_t *greet, *ret;

	raw_connect(&r);
	greet = raw_read(&r);
	assert_non_null(json_object_get(json_object_get(greet, "QMP"), "version"));
	assert_true(json_is_array(json_object_get(json_object_get(greet, "QMP"),
						  "capabilities")));
	json_decref(greet);
	assert_error(raw_transact(&r, "{\"execute\": \"query-balloon\"}"),
		     "CommandNotFound", "Expecting capabilities negotiation");
	assert_error(raw_transact(&r, "{\"execute\": \"balloon\", \"arguments\":"
				      " {\"value\": 1048576}}"),
		     "CommandNotFound", "Expecting capabilities negotiation");
	ret = raw_transact(&r, "{\"execute\": \"qmp_capabilities\", \"id\": 7}");
	assert_non_null(json_object_get(ret, "return"));
	assert_int_equal(json_integer_value(json_object_get(ret, "id")), 7);
	json_decref(ret);
	assert_error(raw_transact(&r, "{\"execute\": \"qmp_capabilities\"}"),
		     "CommandNotFound", "already complete");
	close(r.fd);

	e2e_qmp_error(&e2e, "query-balloon", NULL, "DeviceNotActive",
		      "No balloon device has been activated");
	e2e_qmp_error(&e2e, "balloon", json_pack("{s:I}", "value",
						 (json_int_t)RAM),
		      "DeviceNotActive", "No balloon device has been activated");
	e2e_qmp_error(&e2e, "qom-get",
		      json_pack("{s:s, s:s}", "path", "/machine/peripheral/balloon0",
				"property", "guest-stats"),
		      "DeviceNotFound", "not found");
	ret = e2e_qmp(&e2e, "x-ballast-query-balloon", NULL);
	assert_int_equal(json_array_size(json_object_get(ret, "devices")), 0);
	json_decref(ret);
}

/*
 * Setup: the real driver connected (device balloon0, 32 MiB of RAM).
 * Action: every argument error of balloon, qom-get and qom-set, an
 * unknown command, then valid settings.
 * Expected: each error in QMP's form with QEMU's class and wording;
 * nothing reached the guest (target still all of RAM, actual = RAM);
 * valid values are applied and read back.
 */
static void test_qmp_bad_arguments_refused_nothing_reaches_guest(void **state)
{
	json_t *ret;

	e2e_driver_start(&e2e);
	e2e_qmp_error(&e2e, "balloon", json_pack("{s:i}", "value", -1),
		      "GenericError", "expects a size between 0 and 33554432");
	e2e_qmp_error(&e2e, "balloon", json_pack("{s:I}", "value",
						 (json_int_t)RAM + 1),
		      "GenericError", "expects a size between 0 and 33554432");
	e2e_qmp_error(&e2e, "balloon", NULL, "GenericError",
		      "Parameter 'value' is missing");
	e2e_qmp_error(&e2e, "balloon", json_pack("{s:s}", "value", "16M"),
		      "GenericError",
		      "Invalid parameter type for 'value', expected: integer");
	e2e_qmp_error(&e2e, "balloon", json_pack("{s:f}", "value", 1.5e7),
		      "GenericError",
		      "Invalid parameter type for 'value', expected: integer");
	e2e_qmp_error(&e2e, "balloon", json_pack("{s:i, s:i}", "value", 1,
						 "size", 2),
		      "GenericError", "Parameter 'size' is unexpected");
	e2e_qmp_error(&e2e, "balloon", json_pack("{s:i, s:s}", "value", 1,
						 "device", "nope"),
		      "DeviceNotFound", "Device 'nope' not found");
	e2e_qmp_error(&e2e, "frobnicate", NULL, "CommandNotFound",
		      "The command frobnicate has not been found");
	e2e_qmp_error(&e2e, "query-balloon", json_pack("{s:b}", "x", 1),
		      "GenericError", "Parameter 'x' is unexpected");

	e2e_qmp_error(&e2e, "qom-get", json_pack("{s:s}", "property",
						 "guest-stats"),
		      "GenericError", "Parameter 'path' is missing");
	e2e_qmp_error(&e2e, "qom-get", json_pack("{s:s, s:s}", "path",
						 "balloon0", "property", "x"),
		      "GenericError",
		      "Property 'virtio-balloon-device.x' not found");
	e2e_qmp_error(&e2e, "qom-get", json_pack("{s:s, s:s}", "path",
						 "/machine/peripheral/balloon9",
						 "property", "guest-stats"),
		      "DeviceNotFound", "not found");
	e2e_qmp_error(&e2e, "qom-get", json_pack("{s:i, s:s}", "path", 3,
						 "property", "guest-stats"),
		      "GenericError",
		      "Invalid parameter type for 'path', expected: string");
	e2e_qmp_error(&e2e, "qom-set", json_pack("{s:s, s:s}", "path",
						 "balloon0", "property",
						 "guest-stats-polling-interval"),
		      "GenericError", "Parameter 'value' is missing");
	e2e_qmp_error(&e2e, "qom-set", json_pack("{s:s, s:s, s:i}", "path",
						 "balloon0", "property",
						 "guest-stats-polling-interval",
						 "value", -5),
		      "GenericError", "timer value must be greater than zero");
	e2e_qmp_error(&e2e, "qom-set", json_pack("{s:s, s:s, s:I}", "path",
						 "balloon0", "property",
						 "guest-stats-polling-interval",
						 "value", (json_int_t)1 << 40),
		      "GenericError", "timer value is too big");
	e2e_qmp_error(&e2e, "qom-set", json_pack("{s:s, s:s, s:s}", "path",
						 "balloon0", "property",
						 "guest-stats-polling-interval",
						 "value", "2"),
		      "GenericError",
		      "Invalid parameter type for 'value', expected: integer");
	e2e_qmp_error(&e2e, "qom-set", json_pack("{s:s, s:s, s:i}", "path",
						 "balloon0", "property",
						 "guest-stats", "value", 2),
		      "GenericError",
		      "Property 'virtio-balloon-device.guest-stats' not found");

	/* Nothing reached the guest. */
	assert_int_equal(e2e_actual(&e2e), RAM);
	assert_int_equal(e2e_host_int(&e2e, "target-bytes"), RAM);

	/* Valid values are applied. */
	json_decref(e2e_qmp(&e2e, "qom-set",
			    json_pack("{s:s, s:s, s:i}", "path",
				      "/machine/peripheral/balloon0", "property",
				      "guest-stats-polling-interval", "value", 3)));
	ret = e2e_qmp(&e2e, "qom-get", json_pack("{s:s, s:s}", "path",
						 "balloon0", "property",
						 "guest-stats-polling-interval"));
	assert_int_equal(json_integer_value(ret), 3);
	json_decref(ret);
	e2e_balloon(&e2e, RAM);			/* the whole RAM: a no-op */
	e2e_balloon(&e2e, RAM - 4 * MiB);
	assert_int_equal(e2e_host_int(&e2e, "target-bytes"), RAM - 4 * MiB);
	e2e_assert_agree(&e2e, true);
}

/*
 * Wait for BALLOON_CHANGE events on @c until one reports @target; each
 * must move monotonically from @from towards @target. Return: events seen.
 */
static unsigned long follow_events(struct jsock_client *c, uint64_t from,
				   uint64_t target)
{
	uint64_t last = from;
	unsigned long n = 0;

	while (last != target) {
		json_t *ev, *data;
		uint64_t actual;
		int err = jsock_client_next_event(c, E2E_TIMEOUT_MS, &ev);

		if (err)
			fail_msg("no BALLOON_CHANGE towards %llu: %s",
				 (unsigned long long)target, strerror(-err));
		assert_string_equal(json_string_value(json_object_get(ev, "event")),
				    "BALLOON_CHANGE");
		assert_non_null(json_object_get(json_object_get(ev, "timestamp"),
						"seconds"));
		data = json_object_get(ev, "data");
		actual = (uint64_t)json_integer_value(json_object_get(data,
								      "actual"));
		if (target < from)
			assert_true(actual < last && actual >= target);
		else
			assert_true(actual > last && actual <= target);
		assert_int_equal(actual % PAGE_SIZE, 0);
		last = actual;
		n++;
		json_decref(ev);
	}
	return n;
}

/*
 * Setup: the real driver; a second negotiated client that only listens,
 * and a raw client that never negotiated.
 * Action: target 20 MiB of 32 (inflate 12 MiB), then back to 32 MiB.
 * Expected: the listener gets BALLOON_CHANGE events whose actual moves
 * monotonically to each target (the driver writes `actual` while it moves,
 * at most every 10 ms, and when it gets there); query-balloon agrees at
 * the end; the raw client got the greeting and no event.
 */
static void test_qmp_balloon_change_events_follow_guest(void **state)
{
	struct jsock_client *listener;
	struct raw_qmp raw;
	json_t *greet;
	char c;

	e2e_driver_start(&e2e);
	raw_connect(&raw);
	greet = raw_read(&raw);
	json_decref(greet);
	assert_int_equal(jsock_client_connect(&listener, e2e.qmp_path,
					      "qmp_capabilities", E2E_TIMEOUT_MS),
			 0);

	json_decref(e2e_qmp(&e2e, "balloon", json_pack("{s:I}", "value",
						       (json_int_t)(RAM - 12 * MiB))));
	assert_true(follow_events(listener, RAM, RAM - 12 * MiB) >= 1);
	assert_int_equal(e2e_actual(&e2e), RAM - 12 * MiB);
	e2e_assert_agree(&e2e, true);

	json_decref(e2e_qmp(&e2e, "balloon", json_pack("{s:I}", "value",
						       (json_int_t)RAM)));
	assert_true(follow_events(listener, RAM - 12 * MiB, RAM) >= 1);
	assert_int_equal(e2e_actual(&e2e), RAM);
	e2e_assert_agree(&e2e, true);

	/* Events went out in the same pass: the raw client has none. */
	assert_int_equal(recv(raw.fd, &c, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	close(raw.fd);
	jsock_client_close(listener);
}

/* ------------------------------------------------------------------ */
/* Several guests                                                        */
/* ------------------------------------------------------------------ */

/* The host's record of device @id, or NULL if the host has no such one. */
static json_t *host_dev(const char *id)
{
	json_t *ret = e2e_qmp(&e2e, "x-ballast-query-balloon", NULL);
	json_t *dev, *found = NULL;
	size_t i;

	json_array_foreach(json_object_get(ret, "devices"), i, dev)
		if (!strcmp(json_string_value(json_object_get(dev, "id")), id))
			found = json_incref(dev);
	json_decref(ret);
	return found;
}

static int64_t dev_int(const char *id, const char *key)
{
	json_t *dev = host_dev(id);
	json_t *v = json_object_get(dev, key);
	int64_t n;

	if (!json_is_integer(v))
		fail_msg("host device %s has no integer '%s'", id, key);
	n = json_integer_value(v);
	json_decref(dev);
	return n;
}

/*
 * Take the memfd's backed size again as the empty-balloon baseline, while
 * every balloon is empty: a second guest's set-up allocates after
 * e2e_driver_start() measured it, and may write parts of partly used
 * slab pages that were not backed then.
 */
static void rebase_backed_empty(void)
{
	assert_int_equal(node_page_state(NR_BALLOON_PAGES), 0);
	touch_free_memory();
	e2e.backed_empty = page_ram_allocated_bytes();
}

static size_t nr_devices(void)
{
	json_t *ret = e2e_qmp(&e2e, "x-ballast-query-balloon", NULL);
	size_t n = json_array_size(json_object_get(ret, "devices"));

	json_decref(ret);
	return n;
}

static bool devices_are(struct balloon_e2e *e, void *arg)
{
	return nr_devices() == *(size_t *)arg;
}

static void wait_devices(size_t n)
{
	e2e_wait(&e2e, devices_are, &n, 10, "the host's device count");
}

/* query-balloon of device @id (NULL: no "device" argument). */
static uint64_t actual_of(const char *id)
{
	json_t *ret = e2e_qmp(&e2e, "query-balloon",
			      id ? json_pack("{s:s}", "device", id) : NULL);
	uint64_t actual = (uint64_t)json_integer_value(json_object_get(ret,
								       "actual"));

	json_decref(ret);
	return actual;
}

struct actual_wait {
	const char *id;
	uint64_t bytes;
};

static bool actual_reached(struct balloon_e2e *e, void *arg)
{
	struct actual_wait *w = arg;

	return actual_of(w->id) == w->bytes;
}

static void wait_actual(const char *id, uint64_t bytes)
{
	struct actual_wait w = { id, bytes };

	e2e_wait(&e2e, actual_reached, &w, 0, id);
}

/* Device @id's record is its driver's balloon, as guest and host see it. */
static void assert_record_is(const char *id, struct virtio_balloon *vb)
{
	struct virtballoon_info info;

	virtballoon_get_info(vb, &info);
	assert_int_equal(virtballoon_check(vb), 0);
	assert_int_equal(dev_int(id, "host-ballooned-bytes"),
			 (uint64_t)info.num_pages << PAGE_SHIFT);
	assert_int_equal(dev_int(id, "guest-ballooned-bytes"),
			 (uint64_t)info.num_pages << PAGE_SHIFT);
	assert_int_equal(actual_of(id),
			 RAM - ((uint64_t)info.num_pages << PAGE_SHIFT));
	assert_int_equal(dev_int(id, "protocol-violations"), 0);
	assert_int_equal(dev_int(id, "refused-deflates"), 0);
	assert_int_equal(dev_int(id, "touched-while-ballooned"), 0);
}

/*
 * Setup: two guests on one host: the real driver over two front-ends,
 * devices balloon0 and balloon1.
 * Action: balloon balloon1 to RAM - 8 MiB; balloon without a device (the
 * first, balloon0) to RAM - 4 MiB; a polling interval on balloon1 only;
 * then the guest of balloon1 leaves (its driver removed: it deflates and
 * disconnects), and balloon0 moves again.
 *
 *   ballooned   after 1   after 2   balloon1 leaves   then
 *   balloon0    0         4 MiB     4 MiB             12 MiB
 *   balloon1    8 MiB     8 MiB     (gone)
 *
 * Expected: each command reaches only its device, and query-balloon with
 * and without "device" reports each guest's size; each host record is
 * its driver's balloon, and together they are what left the memfd; the
 * host drops balloon1 while balloon0 keeps its record and still moves,
 * every count agreeing and no violation anywhere.
 */
static void test_qmp_two_guests_routed_by_device_independent(void **state)
{
	struct virtio_device *vdev1;
	struct virtio_balloon *vb1;
	json_t *ret;

	e2e_driver_start(&e2e);
	assert_int_equal(e2e_frontend_create(&e2e, &vdev1), 0);
	assert_int_equal(virtballoon_probe(vdev1, &vb1), 0);
	wait_devices(2);
	rebase_backed_empty();

	json_decref(e2e_qmp(&e2e, "balloon",
			    json_pack("{s:I, s:s}", "value",
				      (json_int_t)(RAM - 8 * MiB), "device",
				      "balloon1")));
	wait_actual("balloon1", RAM - 8 * MiB);
	assert_int_equal(actual_of("balloon0"), RAM);
	assert_int_equal(actual_of(NULL), RAM);
	assert_int_equal(dev_int("balloon0", "target-bytes"), RAM);

	json_decref(e2e_qmp(&e2e, "balloon", json_pack("{s:I}", "value",
						       (json_int_t)(RAM - 4 * MiB))));
	wait_actual(NULL, RAM - 4 * MiB);
	assert_int_equal(actual_of("balloon0"), RAM - 4 * MiB);
	assert_int_equal(dev_int("balloon1", "target-bytes"), RAM - 8 * MiB);
	assert_record_is("balloon0", e2e.vb);
	assert_record_is("balloon1", vb1);
	touch_free_memory();
	assert_int_equal(page_ram_allocated_bytes(), e2e.backed_empty - 12 * MiB);
	assert_int_equal(dev_int("balloon0", "memfd-allocated-bytes"),
			 e2e.backed_empty - 12 * MiB);

	json_decref(e2e_qmp(&e2e, "qom-set",
			    json_pack("{s:s, s:s, s:i}", "path", "balloon1",
				      "property", "guest-stats-polling-interval",
				      "value", 2)));
	ret = e2e_qmp(&e2e, "qom-get", json_pack("{s:s, s:s}", "path",
						 "/machine/peripheral/balloon0",
						 "property",
						 "guest-stats-polling-interval"));
	assert_int_equal(json_integer_value(ret), 0);
	json_decref(ret);

	virtballoon_remove(vb1);
	vhost_user_frontend_destroy(vdev1);
	wait_devices(1);
	assert_null(host_dev("balloon1"));
	e2e_qmp_error(&e2e, "query-balloon", json_pack("{s:s}", "device",
						       "balloon1"),
		      "DeviceNotFound", "Device 'balloon1' not found");
	assert_record_is("balloon0", e2e.vb);
	e2e_balloon(&e2e, RAM - 12 * MiB);
	e2e_assert_agree(&e2e, true);
}

/* A guest with no driver: the test negotiates and posts by hand. */
static struct completion raw_used_done;

static void raw_used(struct virtqueue *vq)
{
	complete(&raw_used_done);
}

static struct virtio_device *raw_guest_start(struct virtqueue **vqs)
{
	static const struct virtqueue_info info[2] = {
		{ "inflate", raw_used }, { "deflate", raw_used },
	};
	struct virtio_device *vdev;

	init_completion(&raw_used_done);
	assert_int_equal(e2e_frontend_create(&e2e, &vdev), 0);
	vdev->features = (1ULL << VIRTIO_F_VERSION_1) |
			 (1ULL << VIRTIO_BALLOON_F_MUST_TELL_HOST);
	assert_int_equal(virtio_finalize_features(vdev), 0);
	assert_int_equal(virtio_find_vqs(vdev, 2, vqs, info), 0);
	assert_int_equal(virtio_device_ready(vdev), 0);
	return vdev;
}

/* Inflate @pages (the caller's) with one buffer; wait for the host. */
static void raw_guest_inflate(struct virtqueue *vq, struct page **pages,
			      unsigned int n)
{
	struct page *buf_page = alloc_page(GFP_KERNEL);
	uint32_t *buf;
	struct scatterlist sg;
	unsigned int len;

	assert_non_null(buf_page);
	buf = page_address(buf_page);
	for (unsigned int i = 0; i < n; i++)
		buf[i] = htole32((uint32_t)page_to_pfn(pages[i]));
	sg_init_one(&sg, buf, n * 4);
	assert_int_equal(virtqueue_add_outbuf(vq, &sg, 1, buf, GFP_KERNEL), 0);
	assert_true(virtqueue_kick(vq));
	while (!virtqueue_get_buf(vq, &len))
		if (!wait_for_completion_timeout(&raw_used_done, E2E_TIMEOUT_MS))
			fail_msg("the host did not use the inflate buffer");
	__free_page(buf_page);
}

/*
 * Setup: the real driver (balloon0) with 4 MiB ballooned, and a raw guest
 * (balloon1).
 * Action: the raw guest inflates 8 of its own pages and then disconnects
 * without deflating or resetting, as a guest that crashed.
 * Expected: while it is there, balloon1's record holds its 8 pages and
 * balloon0's is unchanged; after it vanishes the host drops balloon1 only,
 * and balloon0 keeps its record, still moves, and everything agrees.
 */
static void test_qmp_guest_vanishing_leaves_other_guest_alone(void **state)
{
	struct virtqueue *vqs[2];
	struct virtio_device *vdev;
	struct page *pages[8];

	e2e_driver_start(&e2e);
	for (int i = 0; i < 8; i++) {
		pages[i] = alloc_page(GFP_HIGHUSER_MOVABLE);
		assert_non_null(pages[i]);
		memset(page_address(pages[i]), 0x5a, PAGE_SIZE);
	}
	vdev = raw_guest_start(vqs);
	wait_devices(2);
	rebase_backed_empty();
	e2e_balloon(&e2e, RAM - 4 * MiB);
	raw_guest_inflate(vqs[0], pages, 8);
	assert_int_equal(dev_int("balloon1", "host-ballooned-bytes"),
			 8 * PAGE_SIZE);
	assert_record_is("balloon0", e2e.vb);

	vhost_user_frontend_destroy(vdev);
	wait_devices(1);
	assert_null(host_dev("balloon1"));
	assert_record_is("balloon0", e2e.vb);
	/* The vanished guest's pages are ours again: reuse, then free. */
	for (int i = 0; i < 8; i++) {
		memset(page_address(pages[i]), 0x5a, PAGE_SIZE);
		__free_page(pages[i]);
	}
	e2e_balloon(&e2e, RAM - 12 * MiB);
	e2e_assert_agree(&e2e, true);
	e2e_balloon(&e2e, RAM);
	e2e_assert_agree(&e2e, true);
}

/* Run "$BALLAST_BIN ctl --qmp <host> @args"; its output in *@out. */
static int run_ctl(const char *args, char **out)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "'%s' ctl --qmp '%s' %s 2>&1",
		 getenv("BALLAST_BIN"), e2e.qmp_path, args);
	return test_shell(cmd, out);
}

/* `ballast ctl @args` exits with @status and prints every one of @texts. */
static void expect_ctl(const char *args, int status, const char *const *texts)
{
	char *out;
	int got = run_ctl(args, &out);

	if (got != status)
		fail_msg("ctl %s: status %d (want %d):\n%s", args, got, status,
			 out);
	for (int i = 0; texts && texts[i]; i++)
		if (!strstr(out, texts[i]))
			fail_msg("ctl %s: no '%s' in:\n%s", args, texts[i], out);
	free(out);
}

/*
 * Setup: a raw guest connects and leaves (balloon0), and another connects
 * (balloon1), as after a reconnect; it negotiated no stats queue, so none
 * of its statistics was ever reported.
 * Action: ballast ctl interval and stats without --device, then with
 * --device: balloon, query (also of the departed balloon0); then stats
 * once no guest is connected.
 * Expected: without --device, interval and stats act on the host's first
 * device, balloon1 (not a fixed balloon0); statistics not reported read
 * "n/a", never a huge size; --device routes balloon and query to that
 * device only; a departed device and a host without devices are clear
 * failures (exit 1).
 */
static void test_ctl_device_option_follows_reconnected_guest(void **state)
{
	static const char *const stats_out[] = {
		"device:                balloon1", "last-update:           never",
		"stat-free-memory:      n/a", "stat-major-faults:     n/a", NULL,
	};
	static const char *const query_out[] = { "balloon1:", NULL };
	static const char *const gone_out[] = { "DeviceNotFound", NULL };
	static const char *const none_out[] = { "no balloon device", NULL };
	struct virtqueue *vqs[2];
	struct virtio_device *vdev;
	json_t *ret;
	char *out;

	vdev = raw_guest_start(vqs);
	wait_devices(1);
	vhost_user_frontend_destroy(vdev);
	wait_devices(0);
	vdev = raw_guest_start(vqs);
	wait_devices(1);

	expect_ctl("interval 2", 0, NULL);
	ret = e2e_qmp(&e2e, "qom-get", json_pack("{s:s, s:s}", "path",
						 "balloon1", "property",
						 "guest-stats-polling-interval"));
	assert_int_equal(json_integer_value(ret), 2);
	json_decref(ret);
	expect_ctl("stats", 0, stats_out);
	expect_ctl("--device balloon1 stats", 0, stats_out);
	expect_ctl("--device balloon1 balloon 16M", 0, NULL);
	assert_int_equal(dev_int("balloon1", "target-bytes"), 16 * MiB);
	expect_ctl("--device balloon1 query", 0, query_out);
	expect_ctl("--device balloon0 query", 1, gone_out);
	expect_ctl("--device balloon0 interval 1", 1, gone_out);
	assert_int_equal(run_ctl("query", &out), 0);
	assert_null(strstr(out, "balloon0"));
	free(out);

	assert_int_equal(virtio_reset_device(vdev), 0);
	vhost_user_frontend_destroy(vdev);
	wait_devices(0);
	expect_ctl("stats", 1, none_out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_qmp_before_any_guest_reports_device_not_active),
		T(test_qmp_bad_arguments_refused_nothing_reaches_guest),
		T(test_qmp_balloon_change_events_follow_guest),
		T(test_qmp_two_guests_routed_by_device_independent),
		T(test_qmp_guest_vanishing_leaves_other_guest_alone),
		T(test_ctl_device_option_follows_reconnected_guest),
#undef T
	};

	return cmocka_run_group_tests_name("balloon_qmp", tests, NULL, NULL);
}
