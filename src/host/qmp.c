// SPDX-License-Identifier: MIT
/*
 * qmp.c - QMP server: connections, framing, negotiation, errors, events,
 * and the balloon commands.
 *
 * Invariants and locking:
 *  - Single-threaded (the host's event loop); no locks.
 *  - Each connection has an input buffer (< QMP_MAX_INPUT bytes of not yet
 *    parsed input) and an output buffer (< QMP_MAX_OUTPUT bytes of replies
 *    and events not yet written). Sockets are non-blocking; EPOLLOUT is
 *    armed only while output is pending.
 *  - Input is a stream of JSON values, possibly split across reads or
 *    several per read: each complete value is parsed and answered in order;
 *    an incomplete tail waits for more bytes; a syntax error discards the
 *    buffered input and is answered with one GenericError.
 * Untrusted: every byte read from a client. Oversized input or output, or
 * a write error, closes that client only.
 */
#include "qmp.h"

#include <ballast/lib/list.h>
#include <ballast/lib/log.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define QMP_VERSION_MAJOR 9
#define QMP_VERSION_MINOR 0

struct qmp_conn {
	int fd;
	bool negotiated;
	bool closing;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_cap;
	struct list_head node;
};

struct qmp_server {
	int listen_fd;
	int epfd;
	char *path;
	const struct qmp_balloon_ops *ops;
	void *ctx;
	struct list_head conns;
	size_t nr_conns;
	bool quit;
};

typedef json_t *(*qmp_cmd_fn)(struct qmp_server *q, struct qmp_conn *c,
			      json_t *args, json_t **err);

static json_t *qmp_error(const char *cls, const char *fmt, ...)
	__printf(2, 3);

static json_t *qmp_error(const char *cls, const char *fmt, ...)
{
	char desc[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	return json_pack("{s:s, s:s}", "class", cls, "desc", desc);
}

/* ------------------------------------------------------------------ */
/* Output                                                                */
/* ------------------------------------------------------------------ */

static void conn_arm(struct qmp_server *q, struct qmp_conn *c)
{
	struct epoll_event ev = {
		.events = EPOLLIN | (c->out_len ? EPOLLOUT : 0u),
		.data.ptr = c,
	};

	epoll_ctl(q->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void conn_flush(struct qmp_server *q, struct qmp_conn *c)
{
	while (c->out_len) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			c->closing = true;
			return;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	conn_arm(q, c);
}

/* Queue @msg (stolen) followed by CRLF, as QEMU terminates its lines. */
static void conn_send(struct qmp_server *q, struct qmp_conn *c, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
	size_t len = text ? strlen(text) : 0;

	json_decref(msg);
	if (!text) {
		c->closing = true;
		return;
	}
	if (c->out_len + len + 2 > QMP_MAX_OUTPUT) {
		/* A client that never reads: drop it rather than grow. */
		pr_warn("qmp: client fd %d is not reading; closing it", c->fd);
		free(text);
		c->closing = true;
		return;
	}
	if (c->out_len + len + 2 > c->out_cap) {
		size_t cap = max(c->out_cap * 2, c->out_len + len + 2);
		char *out = realloc(c->out, cap);

		if (!out) {
			free(text);
			c->closing = true;
			return;
		}
		c->out = out;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, text, len);
	memcpy(c->out + c->out_len + len, "\r\n", 2);
	c->out_len += len + 2;
	free(text);
	conn_flush(q, c);
}

void qmp_server_event(struct qmp_server *q, const char *name, json_t *data)
{
	struct qmp_conn *c;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	list_for_each_entry(c, &q->conns, node) {
		if (!c->negotiated || c->closing)
			continue;
		conn_send(q, c, json_pack("{s:s, s:O, s:{s:I, s:I}}", "event",
					  name, "data", data, "timestamp",
					  "seconds", (json_int_t)ts.tv_sec,
					  "microseconds",
					  (json_int_t)(ts.tv_nsec / 1000)));
	}
	json_decref(data);
}

/* ------------------------------------------------------------------ */
/* Argument checking                                                     */
/* ------------------------------------------------------------------ */

/*
 * Check @args against the allowed names; the first unknown one is an
 * error, as in QEMU's input visitor.
 */
static bool args_only(json_t *args, const char *const *allowed, json_t **err)
{
	const char *key;
	json_t *v;

	json_object_foreach(args, key, v) {
		bool ok = false;

		for (const char *const *a = allowed; *a; a++)
			if (!strcmp(key, *a))
				ok = true;
		if (!ok) {
			*err = qmp_error(QMP_GENERIC_ERROR,
					 "Parameter '%s' is unexpected", key);
			return false;
		}
	}
	return true;
}

static json_t *arg_get(json_t *args, const char *name, json_type type,
		       bool required, json_t **err)
{
	static const char *const type_names[] = {
		[JSON_OBJECT] = "object", [JSON_ARRAY] = "array",
		[JSON_STRING] = "string", [JSON_INTEGER] = "integer",
		[JSON_REAL] = "number", [JSON_TRUE] = "boolean",
		[JSON_FALSE] = "boolean", [JSON_NULL] = "null",
	};
	json_t *v = json_object_get(args, name);

	if (!v) {
		if (required)
			*err = qmp_error(QMP_GENERIC_ERROR,
					 "Parameter '%s' is missing", name);
		return NULL;
	}
	if (json_typeof(v) != type &&
	    !(type == JSON_TRUE && json_is_boolean(v))) {
		*err = qmp_error(QMP_GENERIC_ERROR,
				 "Invalid parameter type for '%s', expected: %s",
				 name, type_names[type]);
		return NULL;
	}
	return v;
}

/* A balloon device named by an optional "device" argument. */
static void *find_device(struct qmp_server *q, json_t *args, json_t **err)
{
	json_t *id = arg_get(args, "device", JSON_STRING, false, err);
	void *dev;

	if (*err)
		return NULL;
	dev = q->ops->find(q->ctx, id ? json_string_value(id) : NULL);
	if (!dev) {
		if (id)
			*err = qmp_error(QMP_DEVICE_NOT_FOUND,
					 "Device '%s' not found",
					 json_string_value(id));
		else
			*err = qmp_error(QMP_DEVICE_NOT_ACTIVE,
					 "No balloon device has been activated");
	}
	return dev;
}

/*
 * A QOM path naming a balloon device: "/machine/peripheral/ID" or, as
 * QEMU accepts partial paths, "ID".
 */
static void *find_qom_device(struct qmp_server *q, const char *path,
			     json_t **err)
{
	static const char prefix[] = "/machine/peripheral/";
	const char *id = path;
	void *dev = NULL;

	if (!strncmp(path, prefix, sizeof(prefix) - 1))
		id = path + sizeof(prefix) - 1;
	if (*id && !strchr(id, '/'))
		dev = q->ops->find(q->ctx, id);
	if (!dev)
		*err = qmp_error(QMP_DEVICE_NOT_FOUND, "Device '%s' not found",
				 path);
	return dev;
}

/* ------------------------------------------------------------------ */
/* Commands                                                              */
/* ------------------------------------------------------------------ */

static json_t *cmd_qmp_capabilities(struct qmp_server *q, struct qmp_conn *c,
				    json_t *args, json_t **err)
{
	static const char *const allowed[] = { "enable", NULL };
	json_t *enable, *cap;
	size_t i;

	if (!args_only(args, allowed, err))
		return NULL;
	enable = arg_get(args, "enable", JSON_ARRAY, false, err);
	if (*err)
		return NULL;
	json_array_foreach(enable, i, cap) {
		*err = qmp_error(QMP_GENERIC_ERROR,
				 "Capability '%s' not available",
				 json_is_string(cap) ? json_string_value(cap)
						     : "?");
		return NULL;
	}
	c->negotiated = true;
	return json_object();
}

static json_t *cmd_balloon(struct qmp_server *q, struct qmp_conn *c,
			   json_t *args, json_t **err)
{
	static const char *const allowed[] = { "value", "device", NULL };
	json_t *value;
	json_int_t bytes;
	uint64_t ram;
	void *dev;
	int ret;

	if (!args_only(args, allowed, err))
		return NULL;
	value = arg_get(args, "value", JSON_INTEGER, true, err);
	if (!value)
		return NULL;
	dev = find_device(q, args, err);
	if (!dev)
		return NULL;
	bytes = json_integer_value(value);
	ram = q->ops->ram_bytes(dev);
	if (bytes < 0 || (uint64_t)bytes > ram) {
		*err = qmp_error(QMP_GENERIC_ERROR,
				 "Parameter 'value' expects a size between 0 "
				 "and %" PRIu64 " bytes", ram);
		return NULL;
	}
	ret = q->ops->set_target(dev, (uint64_t)bytes);
	if (ret) {
		*err = qmp_error(QMP_GENERIC_ERROR, "balloon: %s",
				 strerror(-ret));
		return NULL;
	}
	return json_object();
}

static json_t *cmd_query_balloon(struct qmp_server *q, struct qmp_conn *c,
				 json_t *args, json_t **err)
{
	static const char *const allowed[] = { "device", NULL };
	void *dev;

	if (!args_only(args, allowed, err))
		return NULL;
	dev = find_device(q, args, err);
	if (!dev)
		return NULL;
	return json_pack("{s:I}", "actual",
			 (json_int_t)q->ops->actual_bytes(dev));
}

static json_t *cmd_x_query(struct qmp_server *q, struct qmp_conn *c,
			   json_t *args, json_t **err)
{
	static const char *const allowed[] = { NULL };
	json_t *ids, *out, *id;
	size_t i;

	if (!args_only(args, allowed, err))
		return NULL;
	ids = q->ops->list(q->ctx);
	out = json_array();
	json_array_foreach(ids, i, id) {
		void *dev = q->ops->find(q->ctx, json_string_value(id));

		if (dev)
			json_array_append_new(out, q->ops->host_info(dev));
	}
	json_decref(ids);
	return json_pack("{s:o}", "devices", out);
}

static json_t *cmd_qom_get(struct qmp_server *q, struct qmp_conn *c,
			   json_t *args, json_t **err)
{
	static const char *const allowed[] = { "path", "property", NULL };
	json_t *path, *prop;
	const char *name;
	void *dev;

	if (!args_only(args, allowed, err))
		return NULL;
	path = arg_get(args, "path", JSON_STRING, true, err);
	if (!path)
		return NULL;
	prop = arg_get(args, "property", JSON_STRING, true, err);
	if (!prop)
		return NULL;
	dev = find_qom_device(q, json_string_value(path), err);
	if (!dev)
		return NULL;
	name = json_string_value(prop);
	if (!strcmp(name, "guest-stats"))
		return q->ops->guest_stats(dev);
	if (!strcmp(name, "guest-stats-polling-interval"))
		return json_integer(q->ops->stats_interval(dev));
	*err = qmp_error(QMP_GENERIC_ERROR,
			 "Property 'virtio-balloon-device.%s' not found", name);
	return NULL;
}

static json_t *cmd_qom_set(struct qmp_server *q, struct qmp_conn *c,
			   json_t *args, json_t **err)
{
	static const char *const allowed[] = { "path", "property", "value",
					       NULL };
	json_t *path, *prop, *value;
	void *dev;
	json_int_t secs;

	if (!args_only(args, allowed, err))
		return NULL;
	path = arg_get(args, "path", JSON_STRING, true, err);
	if (!path)
		return NULL;
	prop = arg_get(args, "property", JSON_STRING, true, err);
	if (!prop)
		return NULL;
	if (!json_object_get(args, "value")) {
		*err = qmp_error(QMP_GENERIC_ERROR, "Parameter 'value' is missing");
		return NULL;
	}
	dev = find_qom_device(q, json_string_value(path), err);
	if (!dev)
		return NULL;
	if (strcmp(json_string_value(prop), "guest-stats-polling-interval")) {
		*err = qmp_error(QMP_GENERIC_ERROR,
				 "Property 'virtio-balloon-device.%s' not found",
				 json_string_value(prop));
		return NULL;
	}
	value = arg_get(args, "value", JSON_INTEGER, true, err);
	if (!value)
		return NULL;
	secs = json_integer_value(value);
	if (secs < 0) {
		*err = qmp_error(QMP_GENERIC_ERROR,
				 "timer value must be greater than zero");
		return NULL;
	}
	if (secs > UINT32_MAX / 1000) {
		*err = qmp_error(QMP_GENERIC_ERROR, "timer value is too big");
		return NULL;
	}
	if (q->ops->set_stats_interval(dev, secs)) {
		*err = qmp_error(QMP_GENERIC_ERROR, "cannot set the interval");
		return NULL;
	}
	return json_object();
}

static json_t *cmd_quit(struct qmp_server *q, struct qmp_conn *c, json_t *args,
			json_t **err)
{
	static const char *const allowed[] = { NULL };

	if (!args_only(args, allowed, err))
		return NULL;
	q->quit = true;
	return json_object();
}

static json_t *cmd_query_commands(struct qmp_server *q, struct qmp_conn *c,
				  json_t *args, json_t **err);

static const struct {
	const char *name;
	qmp_cmd_fn fn;
} commands[] = {
	{ "qmp_capabilities", cmd_qmp_capabilities },
	{ "query-commands", cmd_query_commands },
	{ "balloon", cmd_balloon },
	{ "query-balloon", cmd_query_balloon },
	{ "qom-get", cmd_qom_get },
	{ "qom-set", cmd_qom_set },
	{ "quit", cmd_quit },
	{ "x-ballast-query-balloon", cmd_x_query },
};

static json_t *cmd_query_commands(struct qmp_server *q, struct qmp_conn *c,
				  json_t *args, json_t **err)
{
	static const char *const allowed[] = { NULL };
	json_t *list;

	if (!args_only(args, allowed, err))
		return NULL;
	list = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		json_array_append_new(list, json_pack("{s:s}", "name",
						      commands[i].name));
	return list;
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                              */
/* ------------------------------------------------------------------ */

static void reply(struct qmp_server *q, struct qmp_conn *c, json_t *id,
		  json_t *ret, json_t *err)
{
	json_t *msg = err ? json_pack("{s:o}", "error", err)
			  : json_pack("{s:o}", "return", ret);

	if (id)
		json_object_set(msg, "id", id);
	conn_send(q, c, msg);
}

static void dispatch(struct qmp_server *q, struct qmp_conn *c, json_t *req)
{
	json_t *id = NULL, *args, *ret = NULL, *err = NULL, *exec;
	const char *key, *name;
	json_t *v;

	if (!json_is_object(req)) {
		reply(q, c, NULL, NULL, qmp_error(QMP_GENERIC_ERROR,
					"QMP input must be a JSON object"));
		return;
	}
	id = json_object_get(req, "id");
	json_object_foreach(req, key, v) {
		if (strcmp(key, "execute") && strcmp(key, "arguments") &&
		    strcmp(key, "id")) {
			reply(q, c, id, NULL,
			      qmp_error(QMP_GENERIC_ERROR,
					"QMP input member '%s' is unexpected",
					key));
			return;
		}
	}
	exec = json_object_get(req, "execute");
	if (!exec || !json_is_string(exec)) {
		reply(q, c, id, NULL, qmp_error(QMP_GENERIC_ERROR,
			exec ? "QMP input member 'execute' must be a string"
			     : "QMP input lacks member 'execute'"));
		return;
	}
	args = json_object_get(req, "arguments");
	if (args && !json_is_object(args)) {
		reply(q, c, id, NULL, qmp_error(QMP_GENERIC_ERROR,
			"QMP input member 'arguments' must be an object"));
		return;
	}
	name = json_string_value(exec);
	if (!c->negotiated && strcmp(name, "qmp_capabilities")) {
		reply(q, c, id, NULL, qmp_error(QMP_COMMAND_NOT_FOUND,
			"Expecting capabilities negotiation with 'qmp_capabilities'"));
		return;
	}
	if (c->negotiated && !strcmp(name, "qmp_capabilities")) {
		reply(q, c, id, NULL, qmp_error(QMP_COMMAND_NOT_FOUND,
			"Capabilities negotiation is already complete, command ignored"));
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(name, commands[i].name))
			continue;
		if (!args) {
			args = json_object();
			ret = commands[i].fn(q, c, args, &err);
			json_decref(args);
		} else {
			ret = commands[i].fn(q, c, args, &err);
		}
		reply(q, c, id, ret, err);
		return;
	}
	reply(q, c, id, NULL, qmp_error(QMP_COMMAND_NOT_FOUND,
					"The command %s has not been found",
					name));
}

/* Parse and answer every complete JSON value in the input buffer. */
static void conn_process(struct qmp_server *q, struct qmp_conn *c)
{
	size_t off = 0;

	while (off < c->in_len && !c->closing) {
		json_error_t jerr;
		json_t *req;

		while (off < c->in_len &&
		       strchr(" \t\r\n", c->in[off]) && c->in[off])
			off++;
		if (off == c->in_len)
			break;
		req = json_loadb(c->in + off, c->in_len - off,
				 JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES |
					 JSON_DECODE_ANY,
				 &jerr);
		if (!req) {
			if (json_error_code(&jerr) ==
			    json_error_premature_end_of_input)
				break;	/* wait for the rest */
			reply(q, c, NULL, NULL,
			      qmp_error(QMP_GENERIC_ERROR,
					"JSON parse error, %s", jerr.text));
			off = c->in_len;
			break;
		}
		off += (size_t)jerr.position;
		dispatch(q, c, req);
		json_decref(req);
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
}

static void conn_close(struct qmp_server *q, struct qmp_conn *c)
{
	epoll_ctl(q->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	list_del(&c->node);
	q->nr_conns--;
	free(c->in);
	free(c->out);
	free(c);
}

static void conn_read(struct qmp_server *q, struct qmp_conn *c)
{
	for (;;) {
		ssize_t n;

		if (c->in_len == QMP_MAX_INPUT) {
			pr_warn("qmp: client fd %d sent more than %d bytes "
				"without a complete command; closing it",
				c->fd, QMP_MAX_INPUT);
			c->closing = true;
			return;
		}
		n = recv(c->fd, c->in + c->in_len, QMP_MAX_INPUT - c->in_len, 0);
		if (n > 0) {
			c->in_len += (size_t)n;
			conn_process(q, c);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		c->closing = true;	/* EOF or error */
		return;
	}
}

static void accept_conns(struct qmp_server *q)
{
	for (;;) {
		int fd = accept4(q->listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct qmp_conn *c;
		struct epoll_event ev = { .events = EPOLLIN };

		if (fd < 0)
			return;
		c = calloc(1, sizeof(*c));
		if (c)
			c->in = malloc(QMP_MAX_INPUT);
		if (!c || !c->in) {
			if (c)
				free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		ev.data.ptr = c;
		if (epoll_ctl(q->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			free(c->in);
			free(c);
			close(fd);
			continue;
		}
		list_add_tail(&c->node, &q->conns);
		q->nr_conns++;
		conn_send(q, c, json_pack("{s:{s:{s:{s:i, s:i, s:i}, s:s}, s:[]}}",
					  "QMP", "version", "qemu", "micro", 0,
					  "minor", QMP_VERSION_MINOR, "major",
					  QMP_VERSION_MAJOR, "package",
					  "ballast", "capabilities"));
	}
}

int qmp_server_poll(struct qmp_server *q, int timeout_ms)
{
	struct epoll_event evs[16];
	struct qmp_conn *c, *next;
	int n = epoll_wait(q->epfd, evs, ARRAY_SIZE(evs), timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		if (!evs[i].data.ptr) {
			accept_conns(q);
			continue;
		}
		c = evs[i].data.ptr;
		if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			conn_read(q, c);
		if (evs[i].events & EPOLLOUT)
			conn_flush(q, c);
	}
	list_for_each_entry_safe(c, next, &q->conns, node)
		if (c->closing)
			conn_close(q, c);
	return 0;
}

int qmp_server_create(struct qmp_server **qp, const char *path,
		      const struct qmp_balloon_ops *ops, void *ctx)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	struct qmp_server *q;
	int ret;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	INIT_LIST_HEAD(&q->conns);
	q->ops = ops;
	q->ctx = ctx;
	q->epfd = -1;
	q->path = strdup(path);
	q->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			      0);
	if (!q->path || q->listen_fd < 0) {
		ret = q->path ? -errno : -ENOMEM;
		goto fail;
	}
	strcpy(addr.sun_path, path);
	unlink(path);
	if (bind(q->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(q->listen_fd, 16) < 0) {
		ret = -errno;
		goto fail;
	}
	q->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (q->epfd < 0 ||
	    epoll_ctl(q->epfd, EPOLL_CTL_ADD, q->listen_fd, &ev) < 0) {
		ret = -errno;
		goto fail;
	}
	*qp = q;
	return 0;
fail:
	if (q->epfd >= 0)
		close(q->epfd);
	if (q->listen_fd >= 0)
		close(q->listen_fd);
	free(q->path);
	free(q);
	return ret;
}

void qmp_server_destroy(struct qmp_server *q)
{
	struct qmp_conn *c, *next;

	if (!q)
		return;
	list_for_each_entry_safe(c, next, &q->conns, node)
		conn_close(q, c);
	close(q->epfd);
	close(q->listen_fd);
	unlink(q->path);
	free(q->path);
	free(q);
}

int qmp_server_fd(const struct qmp_server *q)
{
	return q->epfd;
}

bool qmp_server_quit_requested(const struct qmp_server *q)
{
	return q->quit;
}

size_t qmp_server_nr_clients(const struct qmp_server *q)
{
	return q->nr_conns;
}
