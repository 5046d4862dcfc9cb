// SPDX-License-Identifier: MIT
/*
 * test_qmp.c - the QMP server over a real UNIX socket, with an in-process
 * fake balloon device: greeting, negotiation, the balloon commands and
 * their errors, framing of split and concatenated input, events, and
 * clients that misbehave.
 */
#include "../../support/test_support.h"
#include "../../../src/host/qmp.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define RAM (1ULL << 30)

struct fake_dev {
	const char *id;
	uint64_t target;
	int64_t interval;
};

static struct fake_dev devs[] = { { "balloon0", RAM, 0 }, { "balloon1", RAM, 0 } };
static size_t nr_devs;
static struct qmp_server *q;
static char path[108];

static void *f_find(void *ctx, const char *id)
{
	for (size_t i = 0; i < nr_devs; i++)
		if (!id || !strcmp(id, devs[i].id))
			return &devs[i];
	return NULL;
}

static json_t *f_list(void *ctx)
{
	json_t *a = json_array();

	for (size_t i = 0; i < nr_devs; i++)
		json_array_append_new(a, json_string(devs[i].id));
	return a;
}

static uint64_t f_ram(void *dev) { return RAM; }

static int f_set_target(void *dev, uint64_t t)
{
	((struct fake_dev *)dev)->target = t;
	return 0;
}

static uint64_t f_actual(void *dev) { return ((struct fake_dev *)dev)->target; }

static json_t *f_stats(void *dev)
{
	return json_pack("{s:{s:I}, s:I}", "stats", "stat-free-memory",
			 (json_int_t)123, "last-update", (json_int_t)42);
}

static int64_t f_interval(void *dev) { return ((struct fake_dev *)dev)->interval; }

static int f_set_interval(void *dev, int64_t s)
{
	((struct fake_dev *)dev)->interval = s;
	return 0;
}

static json_t *f_info(void *dev)
{
	return json_pack("{s:s}", "id", ((struct fake_dev *)dev)->id);
}

static const struct qmp_balloon_ops fake_ops = {
	.find = f_find, .list = f_list, .ram_bytes = f_ram,
	.set_target = f_set_target, .actual_bytes = f_actual,
	.guest_stats = f_stats, .stats_interval = f_interval,
	.set_stats_interval = f_set_interval, .host_info = f_info,
};

static int client_connect(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(addr.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	return fd;
}

/* Read one CRLF-terminated JSON line, running the server meanwhile. */
static json_t *read_msg(int fd)
{
	static char buf[65536];
	static size_t len;
	static int buf_fd = -1;
	json_error_t jerr;

	if (buf_fd != fd) {
		buf_fd = fd;
		len = 0;
	}
	for (int spins = 0; spins < 500; spins++) {
		char *eol = memmem(buf, len, "\r\n", 2);

		if (eol) {
			size_t line = (size_t)(eol - buf);
			json_t *msg = json_loadb(buf, line, 0, &jerr);

			memmove(buf, eol + 2, len - line - 2);
			len -= line + 2;
			assert_non_null(msg);
			return msg;
		}
		assert_int_equal(qmp_server_poll(q, 10), 0);
		ssize_t n = recv(fd, buf + len, sizeof(buf) - len, MSG_DONTWAIT);

		if (n > 0)
			len += (size_t)n;
		else if (n == 0)
			return NULL;	/* closed by the server */
	}
	fail_msg("no reply");
	return NULL;
}

static void send_raw(int fd, const char *text)
{
	assert_int_equal(send(fd, text, strlen(text), MSG_NOSIGNAL),
			 (ssize_t)strlen(text));
}

static json_t *transact(int fd, const char *req)
{
	send_raw(fd, req);
	return read_msg(fd);
}

static void assert_return(json_t *msg)
{
	if (!json_object_get(msg, "return"))
		fail_msg("not a return: %s", json_dumps(msg, 0));
	json_decref(msg);
}

static void assert_error(json_t *msg, const char *cls, const char *desc)
{
	json_t *err = json_object_get(msg, "error");

	if (!err || strcmp(json_string_value(json_object_get(err, "class")), cls) ||
	    !strstr(json_string_value(json_object_get(err, "desc")), desc))
		fail_msg("expected %s '%s', got %s", cls, desc,
			 json_dumps(msg, 0));
	json_decref(msg);
}

static int negotiated_client(void)
{
	int fd = client_connect();

	json_decref(read_msg(fd));	/* greeting */
	assert_return(transact(fd, "{\"execute\": \"qmp_capabilities\"}"));
	return fd;
}

static int setup(void **state)
{
	snprintf(path, sizeof(path), "/tmp/ballast-test-qmp-%d.sock", getpid());
	nr_devs = 2;
	devs[0].target = devs[1].target = RAM;
	assert_int_equal(qmp_server_create(&q, path, &fake_ops, NULL), 0);
	return 0;
}

static int teardown(void **state)
{
	qmp_server_destroy(q);
	return 0;
}

/*
 * The greeting names the protocol; nothing but qmp_capabilities is
 * accepted before negotiation; negotiating twice is refused.
 */
static void test_qmp_negotiation_gates_commands(void **state)
{
	int fd = client_connect();
	json_t *greet = read_msg(fd);

	assert_non_null(json_object_get(json_object_get(greet, "QMP"), "version"));
	assert_true(json_is_array(json_object_get(json_object_get(greet, "QMP"),
						  "capabilities")));
	json_decref(greet);
	assert_error(transact(fd, "{\"execute\": \"query-balloon\"}"),
		     "CommandNotFound",
		     "Expecting capabilities negotiation with 'qmp_capabilities'");
	assert_error(transact(fd, "{\"execute\": \"qmp_capabilities\", "
				  "\"arguments\": {\"enable\": [\"oob\"]}}"),
		     "GenericError", "Capability 'oob' not available");
	assert_return(transact(fd, "{\"execute\": \"qmp_capabilities\"}"));
	assert_error(transact(fd, "{\"execute\": \"qmp_capabilities\"}"),
		     "CommandNotFound", "already complete");
	close(fd);
}

/*
 * balloon takes the guest's target RAM size in bytes; bad arguments get
 * QEMU's error forms; query-balloon reports actual; "id" is echoed.
 */
static void test_qmp_balloon_arguments_are_validated(void **state)
{
	int fd = negotiated_client();
	json_t *msg;

	assert_error(transact(fd, "{\"execute\": \"balloon\"}"), "GenericError",
		     "Parameter 'value' is missing");
	assert_error(transact(fd, "{\"execute\": \"balloon\", \"arguments\": "
				  "{\"value\": \"512M\"}}"),
		     "GenericError",
		     "Invalid parameter type for 'value', expected: integer");
	assert_error(transact(fd, "{\"execute\": \"balloon\", \"arguments\": "
				  "{\"value\": 1, \"size\": 2}}"),
		     "GenericError", "Parameter 'size' is unexpected");
	assert_error(transact(fd, "{\"execute\": \"balloon\", \"arguments\": "
				  "{\"value\": -1}}"),
		     "GenericError", "expects a size between 0 and");
	assert_error(transact(fd, "{\"execute\": \"balloon\", \"arguments\": "
				  "{\"value\": 1073741825}}"),
		     "GenericError", "expects a size between 0 and");
	assert_error(transact(fd, "{\"execute\": \"balloon\", \"arguments\": "
				  "{\"value\": 1, \"device\": \"nope\"}}"),
		     "DeviceNotFound", "Device 'nope' not found");
	assert_return(transact(fd, "{\"execute\": \"balloon\", \"arguments\": "
				   "{\"value\": 536870912}}"));
	assert_int_equal(devs[0].target, 536870912);
	assert_return(transact(fd, "{\"execute\": \"balloon\", \"arguments\": "
				   "{\"value\": 0, \"device\": \"balloon1\"}}"));
	assert_int_equal(devs[1].target, 0);
	msg = transact(fd, "{\"execute\": \"query-balloon\", \"id\": [1, \"x\"]}");
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(msg, "return"), "actual")),
			 536870912);
	{
		json_t *want = json_pack("[i, s]", 1, "x");

		assert_true(json_equal(json_object_get(msg, "id"), want));
		json_decref(want);
	}
	json_decref(msg);
	close(fd);
}

/* qom-get/qom-set on the balloon's QOM path, and their errors. */
static void test_qmp_qom_stats_and_polling_interval(void **state)
{
	int fd = negotiated_client();
	json_t *msg;

	msg = transact(fd, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": "
			   "\"/machine/peripheral/balloon0\", \"property\": "
			   "\"guest-stats\"}}");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
				 json_object_get(msg, "return"), "stats"),
				 "stat-free-memory")), 123);
	json_decref(msg);
	assert_return(transact(fd, "{\"execute\": \"qom-set\", \"arguments\": "
				   "{\"path\": \"balloon0\", \"property\": "
				   "\"guest-stats-polling-interval\", \"value\": 2}}"));
	assert_int_equal(devs[0].interval, 2);
	msg = transact(fd, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": "
			   "\"balloon0\", \"property\": "
			   "\"guest-stats-polling-interval\"}}");
	assert_int_equal(json_integer_value(json_object_get(msg, "return")), 2);
	json_decref(msg);
	assert_error(transact(fd, "{\"execute\": \"qom-set\", \"arguments\": "
				  "{\"path\": \"balloon0\", \"property\": "
				  "\"guest-stats-polling-interval\", \"value\": -5}}"),
		     "GenericError", "timer value must be greater than zero");
	assert_error(transact(fd, "{\"execute\": \"qom-set\", \"arguments\": "
				  "{\"path\": \"balloon0\", \"property\": "
				  "\"guest-stats-polling-interval\", \"value\": 9999999999}}"),
		     "GenericError", "timer value is too big");
	assert_error(transact(fd, "{\"execute\": \"qom-get\", \"arguments\": "
				  "{\"path\": \"balloon0\", \"property\": \"x\"}}"),
		     "GenericError", "Property 'virtio-balloon-device.x' not found");
	assert_error(transact(fd, "{\"execute\": \"qom-get\", \"arguments\": "
				  "{\"path\": \"/machine/unattached/x\", "
				  "\"property\": \"guest-stats\"}}"),
		     "DeviceNotFound", "not found");
	close(fd);
}

/*
 * Framing: a command split across writes is answered once complete; two
 * commands in one write get two replies in order; broken JSON gets one
 * error and the connection keeps working; non-object input and a missing
 * or mistyped "execute" are refused.
 */
static void test_qmp_input_framing_and_malformed_input(void **state)
{
	int fd = negotiated_client();
	json_t *msg;

	send_raw(fd, "{\"execute\": \"query-");
	assert_int_equal(qmp_server_poll(q, 10), 0);
	msg = transact(fd, "balloon\"}");
	assert_return(msg);
	send_raw(fd, "{\"execute\":\"query-balloon\",\"id\":1}"
		     "{\"execute\":\"query-balloon\",\"id\":2}");
	msg = read_msg(fd);
	assert_int_equal(json_integer_value(json_object_get(msg, "id")), 1);
	json_decref(msg);
	msg = read_msg(fd);
	assert_int_equal(json_integer_value(json_object_get(msg, "id")), 2);
	json_decref(msg);
	assert_error(transact(fd, "{\"execute\": }\n"), "GenericError",
		     "JSON parse error");
	assert_return(transact(fd, "{\"execute\": \"query-balloon\"}"));
	assert_error(transact(fd, "[1, 2]"), "GenericError",
		     "QMP input must be a JSON object");
	assert_error(transact(fd, "{\"arguments\": {}}"), "GenericError",
		     "QMP input lacks member 'execute'");
	assert_error(transact(fd, "{\"execute\": 7}"), "GenericError",
		     "must be a string");
	assert_error(transact(fd, "{\"execute\": \"balloon\", \"arguments\": 3}"),
		     "GenericError", "must be an object");
	assert_error(transact(fd, "{\"execute\": \"x\", \"bogus\": 1}"),
		     "GenericError", "QMP input member 'bogus' is unexpected");
	assert_error(transact(fd, "{\"execute\": \"frobnicate\"}"),
		     "CommandNotFound", "The command frobnicate has not been found");
	close(fd);
}

/* With no balloon device, balloon commands say so. */
static void test_qmp_without_device_reports_not_active(void **state)
{
	int fd = negotiated_client();

	nr_devs = 0;
	assert_error(transact(fd, "{\"execute\": \"query-balloon\"}"),
		     "DeviceNotActive", "No balloon device has been activated");
	close(fd);
}

/*
 * Events reach negotiated clients only; a client flooding the server with
 * an endless string is closed without affecting the other clients.
 */
static void test_qmp_events_and_hostile_client(void **state)
{
	int a = negotiated_client(), b = client_connect(), hog = client_connect();
	char junk[8192];
	json_t *msg;

	json_decref(read_msg(b));	/* greeting only: not negotiated */
	qmp_server_event(q, "BALLOON_CHANGE",
			 json_pack("{s:I}", "actual", (json_int_t)1024));
	msg = read_msg(a);
	assert_string_equal(json_string_value(json_object_get(msg, "event")),
			    "BALLOON_CHANGE");
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(msg, "data"), "actual")), 1024);
	assert_non_null(json_object_get(json_object_get(msg, "timestamp"),
					"microseconds"));
	json_decref(msg);
	assert_return(transact(b, "{\"execute\": \"qmp_capabilities\"}"));

	memset(junk, 'a', sizeof(junk));
	send_raw(hog, "[\"");
	for (int i = 0; i < QMP_MAX_INPUT / (int)sizeof(junk) + 2; i++) {
		if (send(hog, junk, sizeof(junk), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			break;
		qmp_server_poll(q, 0);
	}
	for (int i = 0; i < 10; i++)
		qmp_server_poll(q, 10);
	assert_int_equal(qmp_server_nr_clients(q), 2);
	assert_return(transact(a, "{\"execute\": \"query-balloon\"}"));
	close(hog);
	close(a);
	close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_qmp_negotiation_gates_commands),
		T(test_qmp_balloon_arguments_are_validated),
		T(test_qmp_qom_stats_and_polling_interval),
		T(test_qmp_input_framing_and_malformed_input),
		T(test_qmp_without_device_reports_not_active),
		T(test_qmp_events_and_hostile_client),
#undef T
	};

	return cmocka_run_group_tests_name("qmp", tests, NULL, NULL);
}
