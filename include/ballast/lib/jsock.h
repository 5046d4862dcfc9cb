// SPDX-License-Identifier: MIT
/*
 * jsock.h - a JSON command server on a UNIX socket, in the shape of QEMU's
 * QMP and guest agent: each command {"execute": NAME, "arguments": {...},
 * "id": ...} gets one reply {"return": ...} or {"error": {"class": ...,
 * "desc": ...}} echoing "id"; the server may greet, may require a
 * negotiation command first, and may broadcast events.
 *
 * Rules for users:
 *  1. Everything read from a connection is untrusted: input and output are
 *     bounded per connection (JSOCK_MAX_INPUT / JSOCK_MAX_OUTPUT); a client
 *     that exceeds them is closed; malformed input is answered with a
 *     GenericError; nothing ends the process.
 *  2. One thread runs jsock_server_poll() and every command function; no
 *     locking inside.
 *  3. A command function returns the "return" value (a new reference), or
 *     NULL with *err set (jsock_error()).
 */
#ifndef BALLAST_LIB_JSOCK_H
#define BALLAST_LIB_JSOCK_H

#include <jansson.h>
#include <stdbool.h>
#include <ballast/lib/compiler.h>

#define JSOCK_MAX_INPUT (64 * 1024)
#define JSOCK_MAX_OUTPUT (1024 * 1024)

#define JSOCK_GENERIC_ERROR "GenericError"
#define JSOCK_COMMAND_NOT_FOUND "CommandNotFound"

struct jsock_server;
struct jsock_conn;

typedef json_t *(*jsock_cmd_fn)(void *ctx, struct jsock_conn *conn,
				json_t *args, json_t **err);

struct jsock_command {
	const char *name;
	jsock_cmd_fn fn;
};

struct jsock_config {
	const struct jsock_command *commands;
	size_t nr_commands;
	/* Sent on connect when non-NULL (QMP's greeting); a new reference. */
	json_t *(*greeting)(void *ctx);
	/* Command that must come first (QMP: "qmp_capabilities"), or NULL. */
	const char *negotiation;
	void *ctx;
};

/**
 * jsock_server_create() - listen on @path (an existing file is replaced;
 * NULL: no listening socket, connections come from
 * jsock_server_add_conn() only).
 * @cfg: copied; its tables must outlive the server.
 * Context: no ballast locks; allocates from the C heap.
 * Return: 0 or a negative errno.
 */
int __must_check jsock_server_create(struct jsock_server **sp, const char *path,
				     const struct jsock_config *cfg);

/**
 * jsock_server_add_conn() - serve a connected socket as a client, greeting
 * it if the server greets.
 * @s: the server.
 * @fd: a connected stream socket, preferably non-blocking; the server owns
 * it from now on, even on failure.
 * Context: the server's thread (rule 2); no locks; never sleeps;
 * allocates from the C heap only (the connection and its input buffer),
 * never guest memory, so no reclaim.
 * Return: 0, -ENOMEM, or a negative errno of epoll_ctl(2) (@fd closed).
 */
int __must_check jsock_server_add_conn(struct jsock_server *s, int fd);

/**
 * jsock_server_destroy() - close every client and the listening socket
 * (if any), unlink its path and free the server (NULL is ignored).
 * Context: the server's thread (rule 2), or after it stopped; no locks;
 * never waits (close(2), unlink(2) only); frees only.
 */
void jsock_server_destroy(struct jsock_server *s);

/**
 * jsock_server_fd() - readable when jsock_server_poll() has work.
 * Context: any thread (the descriptor is fixed at creation); never
 * sleeps; no allocation. Return: the epoll descriptor (owned by @s).
 */
int jsock_server_fd(const struct jsock_server *s);

/**
 * jsock_server_poll() - accept, read, answer and write for up to
 * @timeout_ms (0: only what is ready).
 * Context: the server's thread (rule 2); no locks; sleeps in
 * epoll_wait(2) up to @timeout_ms (sockets are non-blocking otherwise);
 * runs the command functions; allocates from the C heap (buffers,
 * jansson values). Return: 0 (also when interrupted by a signal) or a
 * negative errno of epoll_wait(2).
 */
int jsock_server_poll(struct jsock_server *s, int timeout_ms);

/**
 * jsock_server_event() - send event @name with @data (stolen) to every
 * negotiated client, with QMP's timestamp.
 * Context: the server's thread (rule 2), also from a command function; no
 * locks; never sleeps (non-blocking sends; what does not fit is queued);
 * allocates from the C heap.
 */
void jsock_server_event(struct jsock_server *s, const char *name, json_t *data);

/**
 * jsock_server_nr_clients() - connected clients.
 * Context: the server's thread; never sleeps; no allocation.
 */
size_t jsock_server_nr_clients(const struct jsock_server *s);

/**
 * jsock_error() - a new {"class": @cls, "desc": ...} object.
 * Context: any; no locks; never sleeps; allocates from the C heap
 * (jansson). Return: the object, or NULL if out of memory.
 */
json_t *jsock_error(const char *cls, const char *fmt, ...) __printf(2, 3);

/**
 * jsock_args_only() - false (and *err set) if @args has a member not in
 * the NULL-terminated @allowed.
 * jsock_arg() - member @name of @args if present with @type (JSON_TRUE
 * accepts either boolean); NULL otherwise, with *err set when @required
 * or when the type is wrong.
 * Context: any (a command function, usually); no locks; never sleep;
 * allocate from the C heap only for *err (jsock_error()).
 */
bool jsock_args_only(json_t *args, const char *const *allowed, json_t **err);
json_t *jsock_arg(json_t *args, const char *name, json_type type,
		  bool required, json_t **err);

/*
 * A blocking client for tools and tests: connect, skip a greeting,
 * negotiate, and run commands, skipping events (optionally collecting
 * them).
 */
struct jsock_client;

/**
 * jsock_client_connect() - connect to @path; if @negotiation is non-NULL,
 * read the greeting and run that command. @timeout_ms (> 0) bounds every
 * read and every send of this client (SO_SNDTIMEO).
 * Context: no locks; may sleep (connect(2), then poll(2) and send(2), each
 * up to @timeout_ms); allocates from the C heap.
 * Return: 0, -ENOENT/-ECONNREFUSED (no server), -ETIMEDOUT, -EPROTO,
 * -ENAMETOOLONG (@path too long for a UNIX socket), -ENOMEM, or another
 * negative errno from socket(2) or connect(2).
 */
int __must_check jsock_client_connect(struct jsock_client **cp,
				      const char *path, const char *negotiation,
				      int timeout_ms);

/**
 * jsock_client_close() - close the connection and free @c (NULL is
 * ignored). Context: the client's one caller; no locks; never sleeps;
 * frees only.
 */
void jsock_client_close(struct jsock_client *c);

/**
 * jsock_client_execute() - run @name with @args (stolen; may be NULL).
 * Context: one caller at a time per client; no locks; may sleep (send(2)
 * and poll(2), each up to the connect timeout); allocates from the C
 * heap; events read meanwhile are queued.
 * Return: 0 with *ret the "return" value, or -EREMOTEIO with *ret the
 * "error" object (both new references); -ETIMEDOUT, -EPROTO, -EPIPE,
 * -ENOMEM, or another negative errno from send(2).
 */
int __must_check jsock_client_execute(struct jsock_client *c, const char *name,
				      json_t *args, json_t **ret);

/**
 * jsock_client_next_event() - wait up to @timeout_ms for an event.
 * Context: as jsock_client_execute(), waiting up to @timeout_ms per read.
 * Return: 0 with *event set, -ETIMEDOUT, -EPROTO, -EPIPE.
 */
int __must_check jsock_client_next_event(struct jsock_client *c,
					 int timeout_ms, json_t **event);

#endif
