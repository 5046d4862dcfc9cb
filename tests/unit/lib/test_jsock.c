// SPDX-License-Identifier: MIT
/*
 * test_jsock.c - the blocking jsock client against a jsock server polled by
 * another thread: negotiation, replies, errors, events queued while a
 * command is in flight, and a timeout when the server is silent.
 */
#include "../../support/test_support.h"

#include <ballast/lib/jsock.h>
#include <ballast/task.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct jsock_server *srv;
static char path[108];
static _Atomic(bool) stop;

static json_t *cmd_hello(void *ctx, struct jsock_conn *c, json_t *args,
			 json_t **err)
{
	return json_object();
}

static json_t *cmd_echo(void *ctx, struct jsock_conn *c, json_t *args,
			json_t **err)
{
	static const char *const allowed[] = { "text", NULL };
	json_t *text;

	if (!jsock_args_only(args, allowed, err))
		return NULL;
	text = jsock_arg(args, "text", JSON_STRING, true, err);
	if (!text)
		return NULL;
	/* An event sent before the reply must not be taken for it. */
	jsock_server_event(srv, "ECHOED", json_pack("{s:O}", "text", text));
	return json_pack("{s:O}", "text", text);
}

static const struct jsock_command cmds[] = {
	{ "hello", cmd_hello },
	{ "echo", cmd_echo },
};

static json_t *greet(void *ctx)
{
	return json_pack("{s:s}", "hi", "there");
}

static int server_fn(void *arg)
{
	while (!atomic_load(&stop))
		jsock_server_poll(srv, 5);
	return 0;
}

/*
 * A negotiating client gets replies to its commands, errors as
 * -EREMOTEIO with the error object, and the event emitted during "echo"
 * afterwards from jsock_client_next_event().
 */
static void test_jsock_client_execute_replies_errors_events(void **state)
{
	struct jsock_config cfg = { .commands = cmds, .nr_commands = 2,
				    .greeting = greet, .negotiation = "hello" };
	struct jsock_client *c;
	struct task *t;
	json_t *ret, *ev;

	snprintf(path, sizeof(path), "/tmp/ballast-test-jsock-%d.sock", getpid());
	assert_int_equal(jsock_server_create(&srv, path, &cfg), 0);
	assert_int_equal(task_create(&t, "jsock", server_fn, NULL, 0), 0);

	assert_int_equal(jsock_client_connect(&c, path, "hello", 5000), 0);
	assert_int_equal(jsock_client_execute(c, "echo",
					      json_pack("{s:s}", "text", "hi"),
					      &ret), 0);
	assert_string_equal(json_string_value(json_object_get(ret, "text")), "hi");
	json_decref(ret);
	assert_int_equal(jsock_client_execute(c, "echo", NULL, &ret), -EREMOTEIO);
	assert_string_equal(json_string_value(json_object_get(ret, "class")),
			    "GenericError");
	json_decref(ret);
	assert_int_equal(jsock_client_execute(c, "nope", NULL, &ret), -EREMOTEIO);
	assert_string_equal(json_string_value(json_object_get(ret, "class")),
			    "CommandNotFound");
	json_decref(ret);
	assert_int_equal(jsock_client_next_event(c, 5000, &ev), 0);
	assert_string_equal(json_string_value(json_object_get(ev, "event")),
			    "ECHOED");
	json_decref(ev);
	assert_int_equal(jsock_client_next_event(c, 50, &ev), -ETIMEDOUT);
	jsock_client_close(c);

	atomic_store(&stop, true);
	assert_int_equal(task_destroy(t), 0);
	jsock_server_destroy(srv);
	assert_int_equal(jsock_client_connect(&c, path, NULL, 100), -ENOENT);
}

/* The next CRLF-terminated line on @fd, running @srv meanwhile. */
static json_t *read_line(int fd)
{
	char buf[512];
	size_t len = 0;

	for (int spins = 0; spins < 500 && len < sizeof(buf); spins++) {
		char *eol = memmem(buf, len, "\r\n", 2);
		ssize_t n;

		if (eol)
			return json_loadb(buf, (size_t)(eol - buf), 0, NULL);
		assert_int_equal(jsock_server_poll(srv, 10), 0);
		n = recv(fd, buf + len, sizeof(buf) - len, MSG_DONTWAIT);
		if (n > 0)
			len += (size_t)n;
	}
	fail_msg("no line from the server");
	return NULL;
}

/*
 * Setup: a server with no listening socket (NULL path).
 * Action: one end of a socket pair is added as a client; the other end
 * reads the greeting, negotiates, runs a command; the server is destroyed.
 * Expected: the added connection is served like an accepted one (greeting,
 * replies); destroying the server closes it (the peer reads end of file).
 */
static void test_jsock_server_add_conn_without_path_serves_client(void **state)
{
	struct jsock_config cfg = { .commands = cmds, .nr_commands = 2,
				    .greeting = greet, .negotiation = "hello" };
	static const char hello[] = "{\"execute\": \"hello\"}";
	static const char echo[] =
		"{\"execute\": \"echo\", \"arguments\": {\"text\": \"x\"}}";
	json_t *msg;
	int sv[2];
	char c;

	assert_int_equal(jsock_server_create(&srv, NULL, &cfg), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
					    SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(jsock_server_add_conn(srv, sv[0]), 0);
	assert_int_equal(jsock_server_nr_clients(srv), 1);
	msg = read_line(sv[1]);
	assert_string_equal(json_string_value(json_object_get(msg, "hi")),
			    "there");
	json_decref(msg);
	assert_int_equal(send(sv[1], hello, strlen(hello), 0), strlen(hello));
	msg = read_line(sv[1]);
	assert_non_null(json_object_get(msg, "return"));
	json_decref(msg);
	assert_int_equal(send(sv[1], echo, strlen(echo), 0), strlen(echo));
	msg = read_line(sv[1]);	/* the event comes before the reply */
	assert_string_equal(json_string_value(json_object_get(msg, "event")),
			    "ECHOED");
	json_decref(msg);
	jsock_server_destroy(srv);
	assert_int_equal(recv(sv[1], &c, 1, MSG_DONTWAIT), 0);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsock_client_execute_replies_errors_events),
		cmocka_unit_test(test_jsock_server_add_conn_without_path_serves_client),
	};

	return cmocka_run_group_tests_name("jsock", tests, NULL, NULL);
}
