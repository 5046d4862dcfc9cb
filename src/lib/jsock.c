// SPDX-License-Identifier: MIT
/*
 * jsock.c - JSON command server and blocking client over UNIX sockets
 * (QMP's framing and error forms).
 *
 * Invariants and locking:
 *  - Server: single-threaded (the caller's event loop); no locks. Each
 *    connection has an input buffer of not yet parsed bytes
 *    (< JSOCK_MAX_INPUT) and an output buffer of unwritten replies and
 *    events (< JSOCK_MAX_OUTPUT); sockets are non-blocking and EPOLLOUT is
 *    armed only while output is pending.
 *  - Input is a stream of JSON values, split across reads or several per
 *    read: complete values are answered in order, an incomplete tail waits,
 *    a syntax error discards the buffered input with one GenericError.
 *  - Client: one caller at a time; replies are matched by order (one
 *    command in flight), events are queued until asked for.
 * Untrusted: every byte read by the server. Oversized input or output, or
 * a socket error, closes that client only.
 */
#include <ballast/lib/jsock.h>
#include <ballast/lib/list.h>
#include <ballast/lib/log.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct jsock_conn {
	int fd;
	bool negotiated;
	bool closing;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_cap;
	struct list_head node;
};

struct jsock_server {
	int listen_fd;
	int epfd;
	char *path;
	struct jsock_config cfg;
	struct list_head conns;
	size_t nr_conns;
};

json_t *jsock_error(const char *cls, const char *fmt, ...)
{
	char desc[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	return json_pack("{s:s, s:s}", "class", cls, "desc", desc);
}

bool jsock_args_only(json_t *args, const char *const *allowed, json_t **err)
{
	const char *key;
	json_t *v;

	json_object_foreach(args, key, v) {
		bool ok = false;

		for (const char *const *a = allowed; *a; a++)
			if (!strcmp(key, *a))
				ok = true;
		if (!ok) {
			*err = jsock_error(JSOCK_GENERIC_ERROR,
					   "Parameter '%s' is unexpected", key);
			return false;
		}
	}
	return true;
}

json_t *jsock_arg(json_t *args, const char *name, json_type type,
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
			*err = jsock_error(JSOCK_GENERIC_ERROR,
					   "Parameter '%s' is missing", name);
		return NULL;
	}
	if (json_typeof(v) != type &&
	    !(type == JSON_TRUE && json_is_boolean(v))) {
		*err = jsock_error(JSOCK_GENERIC_ERROR,
				   "Invalid parameter type for '%s', expected: %s",
				   name, type_names[type]);
		return NULL;
	}
	return v;
}

/* ------------------------------------------------------------------ */
/* Server output                                                         */
/* ------------------------------------------------------------------ */

static void conn_arm(struct jsock_server *s, struct jsock_conn *c)
{
	struct epoll_event ev = {
		.events = EPOLLIN | (c->out_len ? EPOLLOUT : 0u),
		.data.ptr = c,
	};

	epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void conn_flush(struct jsock_server *s, struct jsock_conn *c)
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
	conn_arm(s, c);
}

/* Queue @msg (stolen) and CRLF, as QEMU ends its lines. */
static void conn_send(struct jsock_server *s, struct jsock_conn *c, json_t *msg)
{
	char *text = msg ? json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER)
			 : NULL;
	size_t len = text ? strlen(text) : 0;

	json_decref(msg);
	if (!text) {
		c->closing = true;
		return;
	}
	if (c->out_len + len + 2 > JSOCK_MAX_OUTPUT) {
		pr_warn("jsock: client fd %d is not reading; closing it", c->fd);
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
	conn_flush(s, c);
}

void jsock_server_event(struct jsock_server *s, const char *name, json_t *data)
{
	struct jsock_conn *c;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	list_for_each_entry(c, &s->conns, node) {
		if (c->closing || (s->cfg.negotiation && !c->negotiated))
			continue;
		conn_send(s, c, json_pack("{s:s, s:O, s:{s:I, s:I}}", "event",
					  name, "data", data, "timestamp",
					  "seconds", (json_int_t)ts.tv_sec,
					  "microseconds",
					  (json_int_t)(ts.tv_nsec / 1000)));
	}
	json_decref(data);
}

/* ------------------------------------------------------------------ */
/* Server input                                                          */
/* ------------------------------------------------------------------ */

static void reply(struct jsock_server *s, struct jsock_conn *c, json_t *id,
		  json_t *ret, json_t *err)
{
	json_t *msg;

	if (!err && !ret)
		err = jsock_error(JSOCK_GENERIC_ERROR, "out of memory");
	msg = err ? json_pack("{s:o}", "error", err)
		  : json_pack("{s:o}", "return", ret);
	if (msg && id)
		json_object_set(msg, "id", id);
	conn_send(s, c, msg);
}

static void dispatch(struct jsock_server *s, struct jsock_conn *c, json_t *req)
{
	const char *neg = s->cfg.negotiation, *key, *name;
	json_t *id, *args, *exec, *v, *ret, *err = NULL;

	if (!json_is_object(req)) {
		reply(s, c, NULL, NULL, jsock_error(JSOCK_GENERIC_ERROR,
					"QMP input must be a JSON object"));
		return;
	}
	id = json_object_get(req, "id");
	json_object_foreach(req, key, v) {
		if (strcmp(key, "execute") && strcmp(key, "arguments") &&
		    strcmp(key, "id")) {
			reply(s, c, id, NULL, jsock_error(JSOCK_GENERIC_ERROR,
				"QMP input member '%s' is unexpected", key));
			return;
		}
	}
	exec = json_object_get(req, "execute");
	if (!exec || !json_is_string(exec)) {
		reply(s, c, id, NULL, jsock_error(JSOCK_GENERIC_ERROR,
			exec ? "QMP input member 'execute' must be a string"
			     : "QMP input lacks member 'execute'"));
		return;
	}
	args = json_object_get(req, "arguments");
	if (args && !json_is_object(args)) {
		reply(s, c, id, NULL, jsock_error(JSOCK_GENERIC_ERROR,
			"QMP input member 'arguments' must be an object"));
		return;
	}
	name = json_string_value(exec);
	if (neg && !c->negotiated && strcmp(name, neg)) {
		reply(s, c, id, NULL, jsock_error(JSOCK_COMMAND_NOT_FOUND,
			"Expecting capabilities negotiation with '%s'", neg));
		return;
	}
	if (neg && c->negotiated && !strcmp(name, neg)) {
		reply(s, c, id, NULL, jsock_error(JSOCK_COMMAND_NOT_FOUND,
			"Capabilities negotiation is already complete, command ignored"));
		return;
	}
	for (size_t i = 0; i < s->cfg.nr_commands; i++) {
		if (strcmp(name, s->cfg.commands[i].name))
			continue;
		args = args ? json_incref(args) : json_object();
		ret = s->cfg.commands[i].fn(s->cfg.ctx, c, args, &err);
		json_decref(args);
		if (neg && !strcmp(name, neg) && !err)
			c->negotiated = true;
		reply(s, c, id, err ? NULL : ret, err);
		if (err)
			json_decref(ret);
		return;
	}
	reply(s, c, id, NULL, jsock_error(JSOCK_COMMAND_NOT_FOUND,
					  "The command %s has not been found",
					  name));
}

static void conn_process(struct jsock_server *s, struct jsock_conn *c)
{
	size_t off = 0;

	while (off < c->in_len && !c->closing) {
		json_error_t jerr;
		json_t *req;

		while (off < c->in_len && memchr(" \t\r\n", c->in[off], 4))
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
			reply(s, c, NULL, NULL,
			      jsock_error(JSOCK_GENERIC_ERROR,
					  "JSON parse error, %s", jerr.text));
			off = c->in_len;
			break;
		}
		off += (size_t)jerr.position;
		dispatch(s, c, req);
		json_decref(req);
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
}

static void conn_close(struct jsock_server *s, struct jsock_conn *c)
{
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	list_del(&c->node);
	s->nr_conns--;
	free(c->in);
	free(c->out);
	free(c);
}

static void conn_read(struct jsock_server *s, struct jsock_conn *c)
{
	for (;;) {
		ssize_t n;

		if (c->in_len == JSOCK_MAX_INPUT) {
			pr_warn("jsock: client fd %d sent %d bytes without a "
				"complete command; closing it", c->fd,
				JSOCK_MAX_INPUT);
			c->closing = true;
			return;
		}
		n = recv(c->fd, c->in + c->in_len, JSOCK_MAX_INPUT - c->in_len,
			 0);
		if (n > 0) {
			c->in_len += (size_t)n;
			conn_process(s, c);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		c->closing = true;	/* EOF or error */
		return;
	}
}

int jsock_server_add_conn(struct jsock_server *s, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct jsock_conn *c = calloc(1, sizeof(*c));

	if (!c || !(c->in = malloc(JSOCK_MAX_INPUT))) {
		free(c);
		close(fd);
		return -ENOMEM;
	}
	c->fd = fd;
	ev.data.ptr = c;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int ret = -errno;

		free(c->in);
		free(c);
		close(fd);
		return ret;
	}
	list_add_tail(&c->node, &s->conns);
	s->nr_conns++;
	if (s->cfg.greeting)
		conn_send(s, c, s->cfg.greeting(s->cfg.ctx));
	return 0;
}

static void accept_conns(struct jsock_server *s)
{
	for (;;) {
		int fd = accept4(s->listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		/* A client we cannot take is closed; the others go on. */
		if (jsock_server_add_conn(s, fd))
			continue;
	}
}

int jsock_server_poll(struct jsock_server *s, int timeout_ms)
{
	struct epoll_event evs[16];
	struct jsock_conn *c, *next;
	int n = epoll_wait(s->epfd, evs, ARRAY_SIZE(evs), timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		if (!evs[i].data.ptr) {
			accept_conns(s);
			continue;
		}
		c = evs[i].data.ptr;
		if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			conn_read(s, c);
		if (evs[i].events & EPOLLOUT)
			conn_flush(s, c);
	}
	list_for_each_entry_safe(c, next, &s->conns, node)
		if (c->closing)
			conn_close(s, c);
	return 0;
}

int jsock_server_create(struct jsock_server **sp, const char *path,
			const struct jsock_config *cfg)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	struct jsock_server *s;
	int ret;

	if (path && strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	INIT_LIST_HEAD(&s->conns);
	s->cfg = *cfg;
	s->listen_fd = -1;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		ret = -errno;
		goto fail;
	}
	if (!path) {
		*sp = s;
		return 0;
	}
	s->path = strdup(path);
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			      0);
	if (!s->path || s->listen_fd < 0) {
		ret = s->path ? -errno : -ENOMEM;
		goto fail;
	}
	strcpy(addr.sun_path, path);
	unlink(path);
	if (bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(s->listen_fd, 16) < 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->listen_fd, &ev) < 0) {
		ret = -errno;
		goto fail;
	}
	*sp = s;
	return 0;
fail:
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	free(s->path);
	free(s);
	return ret;
}

void jsock_server_destroy(struct jsock_server *s)
{
	struct jsock_conn *c, *next;

	if (!s)
		return;
	list_for_each_entry_safe(c, next, &s->conns, node)
		conn_close(s, c);
	close(s->epfd);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(s->path);
	}
	free(s->path);
	free(s);
}

int jsock_server_fd(const struct jsock_server *s)
{
	return s->epfd;
}

size_t jsock_server_nr_clients(const struct jsock_server *s)
{
	return s->nr_conns;
}

/* ------------------------------------------------------------------ */
/* Client                                                                */
/* ------------------------------------------------------------------ */

#define CLIENT_MAX_EVENTS 256

struct jsock_client {
	int fd;
	int timeout_ms;
	char *buf;
	size_t len, cap;
	json_t *events;		/* queued events (array) */
};

/* Read one JSON value from the stream (the server ends each with CRLF). */
static int client_read(struct jsock_client *c, int timeout_ms, json_t **msg)
{
	for (;;) {
		char *eol = c->len ? memmem(c->buf, c->len, "\r\n", 2) : NULL;
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		json_error_t jerr;
		ssize_t n;

		if (eol) {
			size_t line = (size_t)(eol - c->buf);

			*msg = json_loadb(c->buf, line, 0, &jerr);
			memmove(c->buf, eol + 2, c->len - line - 2);
			c->len -= line + 2;
			return *msg ? 0 : -EPROTO;
		}
		if (c->len == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 4096;
			char *b;

			if (cap > JSOCK_MAX_OUTPUT * 2)
				return -EPROTO;
			b = realloc(c->buf, cap);
			if (!b)
				return -ENOMEM;
			c->buf = b;
			c->cap = cap;
		}
		n = poll(&pfd, 1, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? -ETIMEDOUT : -errno;
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n <= 0)
			return n == 0 ? -EPIPE : -errno;
		c->len += (size_t)n;
	}
}

static int client_send(struct jsock_client *c, json_t *req)
{
	char *text = json_dumps(req, JSON_COMPACT);
	size_t len, off = 0;
	int ret = 0;

	json_decref(req);
	if (!text)
		return -ENOMEM;
	len = strlen(text);
	while (off < len) {
		ssize_t n = send(c->fd, text + off, len - off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* SO_SNDTIMEO ran out: the peer stopped reading. */
			ret = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		off += (size_t)n;
	}
	free(text);
	return ret;
}

int jsock_client_execute(struct jsock_client *c, const char *name,
			 json_t *args, json_t **ret)
{
	json_t *req = json_pack("{s:s}", "execute", name);
	int err;

	*ret = NULL;
	if (args)
		json_object_set_new(req, "arguments", args);
	err = client_send(c, req);
	if (err)
		return err;
	for (;;) {
		json_t *msg, *v;

		err = client_read(c, c->timeout_ms, &msg);
		if (err)
			return err;
		if (json_object_get(msg, "event")) {
			if (json_array_size(c->events) < CLIENT_MAX_EVENTS)
				json_array_append(c->events, msg);
			json_decref(msg);
			continue;
		}
		if ((v = json_object_get(msg, "return"))) {
			*ret = json_incref(v);
			err = 0;
		} else if ((v = json_object_get(msg, "error"))) {
			*ret = json_incref(v);
			err = -EREMOTEIO;
		} else {
			err = -EPROTO;
		}
		json_decref(msg);
		return err;
	}
}

int jsock_client_next_event(struct jsock_client *c, int timeout_ms,
			    json_t **event)
{
	json_t *msg;
	int err;

	if (json_array_size(c->events)) {
		*event = json_incref(json_array_get(c->events, 0));
		json_array_remove(c->events, 0);
		return 0;
	}
	for (;;) {
		err = client_read(c, timeout_ms, &msg);
		if (err)
			return err;
		if (json_object_get(msg, "event")) {
			*event = msg;
			return 0;
		}
		json_decref(msg);	/* a stray reply: ignore */
	}
}

int jsock_client_connect(struct jsock_client **cp, const char *path,
			 const char *negotiation, int timeout_ms)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct jsock_client *c;
	json_t *msg;
	int err;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->timeout_ms = timeout_ms;
	c->events = json_array();
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(addr.sun_path, path);
	if (c->fd < 0 ||
	    connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		err = -errno;
		goto fail;
	}
	if (timeout_ms > 0) {
		/* Sends are bounded too, should the peer stop reading. */
		struct timeval tv = { .tv_sec = timeout_ms / 1000,
				      .tv_usec = (timeout_ms % 1000) * 1000 };

		if (setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
			       sizeof(tv)) < 0) {
			err = -errno;
			goto fail;
		}
	}
	if (negotiation) {
		err = client_read(c, timeout_ms, &msg);	/* greeting */
		if (err)
			goto fail;
		json_decref(msg);
		err = jsock_client_execute(c, negotiation, NULL, &msg);
		json_decref(msg);
		if (err)
			goto fail;
	}
	*cp = c;
	return 0;
fail:
	jsock_client_close(c);
	return err == -EREMOTEIO ? -EPROTO : err;
}

void jsock_client_close(struct jsock_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	json_decref(c->events);
	free(c->buf);
	free(c);
}
