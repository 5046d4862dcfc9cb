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
#include <linux/virtio_balloon.h>

#include "balloon_host.h"
#include "qmp.h"

/* Stat tags newer than Debian 12's uapi header (virtio 1.3's values). */
#ifndef VIRTIO_BALLOON_S_OOM_KILL
#define VIRTIO_BALLOON_S_OOM_KILL	10
#define VIRTIO_BALLOON_S_ALLOC_STALL	11
#define VIRTIO_BALLOON_S_ASYNC_SCAN	12
#define VIRTIO_BALLOON_S_DIRECT_SCAN	13
#define VIRTIO_BALLOON_S_ASYNC_RECLAIM	14
#define VIRTIO_BALLOON_S_DIRECT_RECLAIM	15
#endif
#define BALLOON_DEV_NR_STATS		16

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
