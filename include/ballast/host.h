// SPDX-License-Identifier: MIT
/*
 * host.h - the host process: the virtio-balloon device back-end for any
 * number of guests (one device per vhost-user connection), the host's own
 * record of every balloon, real hole punching, and the QMP control socket.
 *
 * Rules for users:
 *  1. host_run() owns the calling thread until the host is told to quit
 *     (QMP "quit", SIGINT or SIGTERM). It uses only the virtio and lib
 *     layers: no guest memory-management code runs in the host.
 *  2. Everything a guest writes (rings, buffers, config) and everything a
 *     QMP client sends is untrusted (vhost_user.h, jsock.h).
 */
#ifndef BALLAST_HOST_H
#define BALLAST_HOST_H

#include <stdint.h>
#include <ballast/lib/compiler.h>

struct host_opts {
	const char *vhost_path;		/* vhost-user socket to listen on */
	const char *qmp_path;		/* QMP socket to listen on */
	int64_t stats_interval_s;	/* initial guest-stats polling (0: off) */
	int ready_fd;			/* >= 0: one byte written once listening */
	bool quiet;			/* no per-event log lines */
};

/**
 * host_run() - serve devices and QMP until told to quit.
 * Context: process level; takes the calling thread; installs SIGINT and
 * SIGTERM handling (signalfd); allocates from the C heap only.
 * Return: 0 after a clean quit; a negative errno if the sockets could not
 * be set up or the event loop failed.
 */
int host_run(const struct host_opts *opts);

#endif
