// SPDX-License-Identifier: MIT
/*
 * qmp.h - the host's control socket: the subset of QEMU's QMP that tools
 * use for balloons (private to src/host).
 *
 * Protocol, as QEMU speaks it: on connect the server sends a greeting;
 * the client must send {"execute": "qmp_capabilities"} before anything
 * else; every command gets exactly one reply, {"return": ...} or
 * {"error": {"class": ..., "desc": ...}}, echoing the command's "id";
 * events are {"event": ..., "data": ..., "timestamp": {...}}.
 *
 * Commands: qmp_capabilities, query-commands, balloon, query-balloon,
 * qom-get / qom-set of a balloon device's guest-stats and
 * guest-stats-polling-interval, quit; ballast's extension
 * x-ballast-query-balloon. Event: BALLOON_CHANGE.
 *
 * Rules for users:
 *  1. Everything read from a connection is untrusted (jsock.h rule 1).
 *  2. One thread (the host's event loop) runs the server and the device
 *     callbacks.
 *  3. Context (every function here unless it says otherwise): that thread;
 *     no locks (the host has no ballast locks); never sleeps except in
 *     qmp_server_poll(); allocates from the C heap only (jansson, jsock
 *     buffers).
 */
#ifndef BALLAST_HOST_QMP_H
#define BALLAST_HOST_QMP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <ballast/lib/compiler.h>

#include <ballast/lib/jsock.h>

#define QMP_MAX_INPUT JSOCK_MAX_INPUT	/* bytes buffered per connection */

/* Error classes of QMP beyond jsock's. */
#define QMP_DEVICE_NOT_ACTIVE "DeviceNotActive"
#define QMP_DEVICE_NOT_FOUND "DeviceNotFound"

/* What the QMP commands need from the host's balloon devices. */
struct qmp_balloon_ops {
	/* Device @id (NULL: the first one), or NULL if there is none. */
	void *(*find)(void *ctx, const char *id);
	/* Every device's id, in order, as a JSON array of strings. */
	json_t *(*list)(void *ctx);
	uint64_t (*ram_bytes)(void *dev);
	/* Ask the guest to leave it @target bytes; 0 or -errno. */
	int (*set_target)(void *dev, uint64_t target_bytes);
	/* Guest RAM minus what the guest reports ballooned, in bytes. */
	uint64_t (*actual_bytes)(void *dev);
	/* QEMU's guest-stats object: {"stats": {...}, "last-update": N}. */
	json_t *(*guest_stats)(void *dev);
	int64_t (*stats_interval)(void *dev);
	/* Seconds between stats requests (0: none); 0 or -errno. */
	int (*set_stats_interval)(void *dev, int64_t seconds);
	/* ballast's extension: the host's own record, as a JSON object. */
	json_t *(*host_info)(void *dev);
};

struct qmp_server;

/**
 * qmp_server_create() - listen on the UNIX socket @path (created; an
 * existing socket file is replaced; NULL: no socket, clients come from
 * qmp_server_add_conn() only, as in tests and fuzzers).
 * @ops, @ctx: the balloon devices.
 * Context: rule 3; allocates the server from the C heap.
 * Return: 0, or a negative errno (socket, bind, listen, epoll).
 */
int __must_check qmp_server_create(struct qmp_server **qp, const char *path,
				   const struct qmp_balloon_ops *ops, void *ctx);

/**
 * qmp_server_add_conn() - serve the connected, non-blocking stream socket
 * @fd as a QMP client (owned by the server from now on, even on failure);
 * it gets the greeting.
 * Context: rule 3; allocates from the C heap.
 * Return: 0 or a negative errno (jsock_server_add_conn()).
 */
int __must_check qmp_server_add_conn(struct qmp_server *q, int fd);

/**
 * qmp_server_destroy() - close every client and the socket (its path is
 * unlinked) and free @q (NULL is ignored). Context: rule 3; frees only.
 */
void qmp_server_destroy(struct qmp_server *q);

/**
 * qmp_server_fd() - an fd that is readable when qmp_server_poll() has work.
 * Context: any thread; never sleeps; no allocation.
 */
int qmp_server_fd(const struct qmp_server *q);

/**
 * qmp_server_poll() - accept, read and answer for up to @timeout_ms (0:
 * do what is ready). Context: rule 3; sleeps in epoll_wait(2) up to
 * @timeout_ms; runs the commands and through them @ops.
 * Return: 0, or a negative errno from epoll.
 */
int qmp_server_poll(struct qmp_server *q, int timeout_ms);

/**
 * qmp_server_quit_requested() - a client sent "quit".
 * Context: rule 3; no allocation.
 */
bool qmp_server_quit_requested(const struct qmp_server *q);

/**
 * qmp_server_event() - send event @name with @data (stolen) to every
 * negotiated client. Context: rule 3 (non-blocking sends).
 */
void qmp_server_event(struct qmp_server *q, const char *name, json_t *data);

/**
 * qmp_server_nr_clients() - connected clients.
 * Context: rule 3; no allocation.
 */
size_t qmp_server_nr_clients(const struct qmp_server *q);

#endif
