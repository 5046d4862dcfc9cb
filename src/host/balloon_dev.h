// SPDX-License-Identifier: MIT
/*
 * balloon_dev.h - the virtio-balloon device of the host (private to
 * src/host): the vhost-user device ops, and the per-device operations the
 * QMP commands use.
 */
#ifndef BALLAST_HOST_BALLOON_DEV_H
#define BALLAST_HOST_BALLOON_DEV_H

#include <ballast/vhost_user.h>
#include <ballast/lib/list.h>
#include <ballast/lib/virtio_balloon_stats.h>

#include "balloon_host.h"
#include "qmp.h"

#define BALLOON_DEV_QUEUE_SIZE		256
#define BALLOON_DEV_MAX_PFNS		16384	/* per message: 64 KiB */
#define BALLOON_DEV_MAX_STATS_BYTES	(64 * 10)

/* The host: every device, and the QMP server that reports on them. */
struct host {
	struct list_head devices;	/* event-loop thread only */
	unsigned int next_id;
	struct qmp_server *qmp;
	int64_t stats_interval_s;	/* for new devices */
	bool quiet;
};

extern const struct vhost_user_dev_ops balloon_dev_ops;
extern const struct qmp_balloon_ops balloon_qmp_ops;

/**
 * balloon_dev_tick() - periodic work of every device of @host at @now_ms:
 * ask for stats when a device's polling interval elapsed, and scan
 * MUST_TELL_HOST balloons for pages the guest wrote while ballooned.
 * Context: the event-loop thread.
 */
void balloon_dev_tick(struct host *host, int64_t now_ms);

#endif
