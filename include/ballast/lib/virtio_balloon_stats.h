// SPDX-License-Identifier: MIT
/*
 * virtio_balloon_stats.h - the balloon statistics tags both ends use:
 * <linux/virtio_balloon.h>'s, plus the ones virtio 1.3 added that Debian
 * 12's uapi header lacks (same values as the specification).
 */
#ifndef BALLAST_LIB_VIRTIO_BALLOON_STATS_H
#define BALLAST_LIB_VIRTIO_BALLOON_STATS_H

#include <linux/virtio_balloon.h>

#ifndef VIRTIO_BALLOON_S_OOM_KILL
#define VIRTIO_BALLOON_S_OOM_KILL	10
#define VIRTIO_BALLOON_S_ALLOC_STALL	11
#define VIRTIO_BALLOON_S_ASYNC_SCAN	12
#define VIRTIO_BALLOON_S_DIRECT_SCAN	13
#define VIRTIO_BALLOON_S_ASYNC_RECLAIM	14
#define VIRTIO_BALLOON_S_DIRECT_RECLAIM	15
#endif

/* Tags below this are the ones ballast sends and reads. */
#define BALLAST_BALLOON_NR_STATS		16

#endif
