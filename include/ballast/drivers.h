// SPDX-License-Identifier: MIT
/*
 * drivers.h - device drivers of the guest (layer 10): the virtio-balloon
 * driver.
 *
 * Rules for users:
 *  1. virtballoon_probe() takes a virtio_device from a transport (the
 *     vhost-user front-end) before its features are finalized, and owns
 *     it until virtballoon_remove().
 *  2. The driver moves the balloon toward the device's num_pages from its
 *     own worker thread; callers only read its state.
 *  3. The driver never allocates while holding its balloon lock (bug 1),
 *     and never waits for the device without a bound while holding it;
 *     its OOM notifier takes that lock, so nobody may hold it across an
 *     allocation that can enter reclaim.
 */
#ifndef BALLAST_DRIVERS_H
#define BALLAST_DRIVERS_H

#include <ballast/balloon.h>
#include <ballast/virtio.h>
#include <ballast/lib/virtio_balloon_stats.h>

/* Pages per inflate/deflate message, and per OOM notification. */
#define VIRTIO_BALLOON_ARRAY_PFNS_MAX	256
#define VIRTIO_BALLOON_OOM_NR_PAGES	256

/* Features the driver asks for. */
#define VIRTIO_BALLOON_DRIVER_FEATURES                                     \
	((1ULL << VIRTIO_F_VERSION_1) |                                    \
	 (1ULL << VIRTIO_BALLOON_F_MUST_TELL_HOST) |                       \
	 (1ULL << VIRTIO_BALLOON_F_STATS_VQ) |                             \
	 (1ULL << VIRTIO_BALLOON_F_DEFLATE_ON_OOM))

struct virtio_balloon;

/* A snapshot of the driver (virtballoon_get_info()). */
struct virtballoon_info {
	uint32_t target_pages;		/* the device's num_pages */
	uint32_t num_pages;		/* in the balloon (listed + isolated) */
	unsigned long isolated_pages;
	uint64_t oom_deflated_pages;	/* given back by the OOM notifier */
	uint64_t oom_notifications;
	uint64_t alloc_failures;	/* inflate allocations that failed */
	uint64_t stats_requests;
	uint64_t resyncs;		/* re-announcements to a new device */
	uint64_t ack_waits_failed;	/* waits for acknowledgements that
					 * ended with messages still posted:
					 * no answer in time, the device
					 * went away or broke */
	bool must_tell_host, stats_vq, deflate_on_oom;
};

/**
 * virtballoon_probe() - negotiate features, create the queues (inflate,
 * deflate, and stats if negotiated: numbered densely), post the stats
 * buffer, register the OOM notifier (DEFLATE_ON_OOM) and start the worker.
 *
 * Context: no locks held (takes the transport's lock); may sleep; allocates
 * the driver state from the C heap, the message and stats arrays and the
 * rings with GFP_KERNEL (guest RAM), so it may enter direct reclaim and
 * OOM; not from reclaim or an OOM notifier.
 * Return: 0 and *@vbp; -EINVAL if the device is not a balloon; the
 * transport's errno; -ENOMEM.
 */
int __must_check virtballoon_probe(struct virtio_device *vdev,
				   struct virtio_balloon **vbp);

/**
 * virtballoon_remove() - stop the worker and the OOM notifier; block
 * isolation and wait for compaction to give back the pages it isolated;
 * deflate the balloon while the device is there to be told; reset the
 * device; then every page still ballooned, or held by a deflate the device
 * never acknowledged, is the guest's again (a reset or vanished device
 * has no balloon), and the driver is freed. A host that is gone does not
 * hold it up: acknowledgements are awaited at most 5 s each, and not at
 * all once the transport is disconnected.
 *
 * Context: no locks held; takes balloon_lock, then balloon_pages_lock;
 * may sleep; no allocation; not from reclaim or an OOM notifier (it
 * unregisters the notifier and joins the worker).
 */
void virtballoon_remove(struct virtio_balloon *vb);

/**
 * virtballoon_get_info() - snapshot (each field read on its own, not under
 * one lock).
 * Context: no locks held; does not take balloon_lock; reads num_pages
 * from the device through the transport (its lock and a round trip), then
 * takes balloon_pages_lock; may sleep, up to the transport's timeout; no
 * allocation; not from reclaim or an OOM notifier.
 */
void virtballoon_get_info(struct virtio_balloon *vb,
			  struct virtballoon_info *info);

/**
 * virtballoon_check() - verify the driver's balloon: balloon_check() of its
 * page list, and pages in the balloon (listed + isolated) = num_pages, the
 * count the device was told. Each violation is printed.
 *
 * Context: takes balloon_lock, then balloon_pages_lock; may sleep (the
 * mutex); no allocation; not from reclaim or an OOM notifier.
 * Return: the number of violations (0: consistent).
 */
unsigned long virtballoon_check(struct virtio_balloon *vb);

#endif /* BALLAST_DRIVERS_H */
