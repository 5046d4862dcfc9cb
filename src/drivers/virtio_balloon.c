// SPDX-License-Identifier: MIT
/*
 * virtio_balloon.c - the virtio-balloon driver: inflate and deflate toward
 * the device's target, the stats queue, deflate-on-OOM, migration of
 * ballooned pages, and re-announcing the balloon to a restarted device.
 *
 * Invariants and locking:
 *  - balloon_lock (mutex) serialises every change of the balloon and every
 *    message on the inflate and deflate queues: it protects msgs[] and
 *    the writes of num_pages. Nothing allocates while holding it (bug 1):
 *    pages are allocated before it is taken (balloon_page_alloc()), and
 *    queue additions under it pass GFP_NOWAIT (a one-entry buffer never
 *    needs an indirect table anyway).
 *  - The OOM notifier takes balloon_lock, so no allocation that may enter
 *    reclaim is ever made with it held (the validator checks this), and
 *    no wait under it is unbounded: an acknowledgement is awaited at most
 *    BALLOON_ACK_TIMEOUT_MS, and not at all while the transport is
 *    disconnected (a host that died or restarted). Each wait is bounded,
 *    not every hold: a resync holds it across one wait per 256 ballooned
 *    pages (its walk needs the list unchanged), and the OOM notifier
 *    waits behind it.
 *  - A message belongs to the device from the moment it is posted until
 *    its acknowledgement is harvested (or the device was reset and it is
 *    detached): its pfns are never rewritten in between. One that is not
 *    acknowledged in time stays posted; a reconnecting transport posts it
 *    again to the new device (docs/virtio.md), so it is never undone.
 *    Nothing is posted while the transport is disconnected, and only a
 *    message that was never posted is undone.
 *  - A message on one queue is posted only while the other queue has none
 *    in flight, so the device sees the inflates and deflates of a pfn in
 *    the driver's order.
 *  - Inflate posts the batch before its pages enter the balloon: a batch
 *    that cannot be posted is freed without touching the list, where
 *    compaction may be isolating pages at any time. Up to BALLOON_NR_MSGS
 *    inflates are in flight; `actual` reaches a target only once they
 *    were all acknowledged.
 *  - num_pages = pages in the balloon (listed + isolated).
 *  - With MUST_TELL_HOST a page returns to the guest only after the device
 *    acknowledged its deflate: until then its message holds it (held[]).
 *    Migration does not wait for its deflate (it must not block on the
 *    device): every deflate acknowledgement wakes the worker, which
 *    harvests it if nobody else did.
 *  - The worker thread is the only one that writes the config space
 *    (`actual`); the OOM notifier only deflates and wakes it, because
 *    config writes are not allowed from reclaim. A wake-up for `actual`
 *    alone does not re-inflate (as Linux does not re-inflate after an OOM
 *    deflation until the host changes the target).
 *  - stats[] belongs to the device while posted on the stats queue, to
 *    the worker otherwise.
 * Lock order: balloon_lock -> balloon_pages_lock (balloon.c) -> queue locks.
 */
#include <ballast/drivers.h>
#include <ballast/slab.h>
#include <ballast/task.h>
#include <ballast/lib/testhook.h>

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BALLOON_ACK_POLL_MS 100	/* between checks of the transport */
#define BALLOON_ACK_TIMEOUT_MS 5000	/* a device that does not answer */
#define BALLOON_BACKOFF_MS 200		/* after a move made no progress */
#define BALLOON_ACTUAL_EVERY_MS 10	/* `actual` while the balloon moves */
#define BALLOON_NR_MSGS 8		/* inflates in flight at once */

/*
 * One inflate or deflate message. Owned by the device while posted (vq
 * set), by balloon_lock's holder otherwise. held[]: pages of a deflate
 * that go back to the guest once the device acknowledged it.
 */
struct balloon_msg {
	uint32_t *pfns;				/* guest RAM */
	unsigned int num_pfns;
	struct virtqueue *vq;			/* posted on; NULL: free */
	unsigned int nr_held;
	struct page *held[VIRTIO_BALLOON_ARRAY_PFNS_MAX];
};

struct virtio_balloon {
	struct virtio_device *vdev;
	struct virtqueue *inflate_vq, *deflate_vq, *stats_vq;
	struct task *worker;
	struct completion work;			/* wakes the worker */
	_Atomic(bool) stopping;
	_Atomic(bool) config_pending;		/* target may have changed */
	_Atomic(bool) actual_pending;		/* `actual` must be rewritten */
	_Atomic(bool) stats_pending;		/* the device asked for stats */
	_Atomic(bool) reap_pending;		/* a deflate was acknowledged */
	struct completion acked;		/* a buffer came back */
	struct mutex balloon_lock;
	struct balloon_dev_info vb_dev_info;
	struct balloon_msg msgs[BALLOON_NR_MSGS];	/* balloon_lock */
	uint32_t *pfns;				/* msgs' arrays; immutable */
	_Atomic(uint32_t) num_pages;		/* written under balloon_lock */
	struct virtio_balloon_stat *stats;	/* guest RAM */
	struct notifier_block oom_nb;
	unsigned long known_instance;	/* the device that knows our balloon
					 * (virtio_device_instance()):
					 * written by probe and the worker */
	bool must_tell_host, has_stats, deflate_on_oom;	/* immutable */
	_Atomic(uint64_t) oom_deflated, oom_notifications, alloc_failures,
		stats_requests, resyncs, ack_waits_failed;
};

/* ------------------------------------------------------------------ */
/* Talking to the device                                                 */
/* ------------------------------------------------------------------ */

static void balloon_ack(struct virtqueue *vq)
{
	struct virtio_balloon *vb = virtqueue_get_priv(vq);

	complete(&vb->acked);
	/* It may hold pages nobody waits for (migration's): harvest it. */
	if (vq == vb->deflate_vq) {
		atomic_store(&vb->reap_pending, true);
		complete(&vb->work);
	}
}

/* Is the device there? A disconnected transport waits for a new host. */
static bool device_present(struct virtio_balloon *vb)
{
	return virtio_device_present(vb->vdev);
}

static struct virtqueue *other_vq(struct virtio_balloon *vb,
				  struct virtqueue *vq)
{
	return vq == vb->inflate_vq ? vb->deflate_vq : vb->inflate_vq;
}

static void release_page_balloon(struct page *page)
{
	/*
	 * Test builds: a test may write to the page here, as its next user
	 * would, to check that the device already knows it is back
	 * (MUST_TELL_HOST). balloon_lock may be held.
	 */
	TEST_HOOK("virtio_balloon.release_page", page);
	put_page(page);
}

static void release_pages_balloon(struct list_head *pages)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, pages, lru) {
		list_del(&page->lru);
		release_page_balloon(page);
	}
}

/* @msg is the driver's again: the pages it held are the guest's. */
static void msg_done(struct balloon_msg *msg)
{
	for (unsigned int i = 0; i < msg->nr_held; i++)
		release_page_balloon(msg->held[i]);
	msg->nr_held = 0;
	msg->vq = NULL;
}

/* Harvest every acknowledgement waiting on @vq. */
static void reap_acks(struct virtio_balloon *vb, struct virtqueue *vq)
{
	struct balloon_msg *msg;

	lockdep_assert_held(&vb->balloon_lock);
	while ((msg = virtqueue_get_buf(vq, NULL)))
		msg_done(msg);
}

static unsigned int nr_posted(struct virtio_balloon *vb, struct virtqueue *vq)
{
	unsigned int n = 0;

	for (int i = 0; i < BALLOON_NR_MSGS; i++)
		n += vb->msgs[i].vq == vq;
	return n;
}

/*
 * Harvest @vq's acknowledgements until at most @max of its messages are
 * posted. Waits at most BALLOON_ACK_TIMEOUT_MS, and returns as soon as the
 * transport is disconnected. Messages still posted then stay the device's
 * (the wait is counted in ack_waits_failed).
 * Return: 0; -EIO if the queue broke; -ENOTCONN if the device is gone;
 * -ETIMEDOUT if it does not answer.
 */
static int wait_acks(struct virtio_balloon *vb, struct virtqueue *vq,
		     unsigned int max)
{
	unsigned int waited = 0;
	int ret = 0;

	for (;;) {
		reap_acks(vb, vq);
		if (nr_posted(vb, vq) <= max)
			return 0;
		if (virtqueue_is_broken(vq))
			ret = -EIO;
		else if (!device_present(vb))
			ret = -ENOTCONN;
		else if (waited >= BALLOON_ACK_TIMEOUT_MS)
			ret = -ETIMEDOUT;
		if (ret) {
			atomic_fetch_add(&vb->ack_waits_failed, 1);
			return ret;
		}
		if (!wait_for_completion_timeout(&vb->acked, BALLOON_ACK_POLL_MS))
			waited += BALLOON_ACK_POLL_MS;
	}
}

/*
 * A free message for @vq, once the other queue has nothing in flight (the
 * order rule) and @vq has a free message. Return: 0 and *@msgp, or
 * wait_acks()'s errno.
 */
static int get_msg(struct virtio_balloon *vb, struct virtqueue *vq,
		   struct balloon_msg **msgp)
{
	struct balloon_msg *msg = vb->msgs;
	int ret;

	ret = wait_acks(vb, other_vq(vb, vq), 0);
	if (!ret)
		ret = wait_acks(vb, vq, BALLOON_NR_MSGS - 1);
	if (ret)
		return ret;
	/* No message is posted on the other queue: one of ours is free. */
	while (msg->vq)
		msg++;
	*msgp = msg;
	return 0;
}

/*
 * Post @msg on @vq. Return: 0; -ENOTCONN if the transport is disconnected;
 * virtqueue_add_outbuf()'s errno. On error nothing was posted.
 */
static int send_msg(struct virtio_balloon *vb, struct virtqueue *vq,
		    struct balloon_msg *msg)
{
	struct scatterlist sg;
	int ret;

	lockdep_assert_held(&vb->balloon_lock);
	if (!device_present(vb))
		return -ENOTCONN;
	sg_init_one(&sg, msg->pfns, sizeof(msg->pfns[0]) * msg->num_pfns);
	/* No allocation under balloon_lock: GFP_NOWAIT, one entry. */
	ret = virtqueue_add_outbuf(vq, &sg, 1, msg, GFP_NOWAIT);
	if (ret)
		return ret;
	msg->vq = vq;
	virtqueue_kick(vq);
	return 0;
}

static void msg_fill(struct balloon_msg *msg, struct list_head *pages)
{
	struct page *page;

	msg->num_pfns = 0;
	list_for_each_entry(page, pages, lru)
		msg->pfns[msg->num_pfns++] = (uint32_t)page_to_pfn(page);
}

/*
 * Allocate up to @num pages with no lock held, then tell the device and
 * put them into the balloon. The acknowledgement is not awaited here: up
 * to BALLOON_NR_MSGS inflates are in flight, so the host punches one
 * batch while the guest allocates the next. Return: the pages added, or 0
 * if none could be allocated or told (back off).
 */
static unsigned int fill_balloon(struct virtio_balloon *vb, size_t num)
{
	struct balloon_msg *msg;
	LIST_HEAD(pages);
	unsigned int got = 0;
	struct page *page;
	int ret;

	num = min(num, (size_t)VIRTIO_BALLOON_ARRAY_PFNS_MAX);
	while (got < num) {
		page = balloon_page_alloc();
		if (!page) {
			atomic_fetch_add(&vb->alloc_failures, 1);
			break;
		}
		list_add_tail(&page->lru, &pages);
		got++;
	}
	if (!got)
		return 0;
	mutex_lock(&vb->balloon_lock);
	ret = get_msg(vb, vb->inflate_vq, &msg);
	if (!ret) {
		msg_fill(msg, &pages);
		ret = send_msg(vb, vb->inflate_vq, msg);
	}
	if (ret) {
		/* Never posted: the device does not know them. */
		mutex_unlock(&vb->balloon_lock);
		release_pages_balloon(&pages);
		return 0;
	}
	/*
	 * Posted: the device may discard them now, acknowledged or not. Only
	 * a page of another type stays out (misuse, reported): never reused.
	 */
	got = (unsigned int)balloon_page_list_enqueue(&vb->vb_dev_info, &pages);
	atomic_store(&vb->num_pages, atomic_load(&vb->num_pages) + got);
	mutex_unlock(&vb->balloon_lock);
	return got;
}

/*
 * Wait for the inflates in flight, so that `actual`, written next, is what
 * the device acknowledged. Any not acknowledged in time stay posted (the
 * wait counted in ack_waits_failed); `actual` then counts them already.
 */
static void flush_inflates(struct virtio_balloon *vb)
{
	mutex_lock(&vb->balloon_lock);
	(void)wait_acks(vb, vb->inflate_vq, 0);
	mutex_unlock(&vb->balloon_lock);
}

/*
 * Take up to @num pages out of the balloon. With MUST_TELL_HOST they go
 * back to the guest once the device acknowledged their deflate; if it
 * does not in time, they wait with their message (never in the balloon
 * again: the device may still take the message). Return: the pages given
 * back to the guest now.
 */
static unsigned int leak_balloon(struct virtio_balloon *vb, size_t num)
{
	struct balloon_msg *msg;
	struct page *page, *next;
	LIST_HEAD(pages);
	unsigned int n;

	num = min(num, (size_t)VIRTIO_BALLOON_ARRAY_PFNS_MAX);
	mutex_lock(&vb->balloon_lock);
	if (!device_present(vb) || get_msg(vb, vb->deflate_vq, &msg))
		goto none;
	n = (unsigned int)balloon_page_list_dequeue(&vb->vb_dev_info, &pages,
						    num);
	if (!n)
		goto none;
	msg_fill(msg, &pages);
	if (send_msg(vb, vb->deflate_vq, msg)) {
		/* Never posted (the device just went away): still ballooned. */
		balloon_page_list_enqueue(&vb->vb_dev_info, &pages);
		goto none;
	}
	atomic_store(&vb->num_pages, atomic_load(&vb->num_pages) - n);
	if (!vb->must_tell_host) {
		/* The guest may use them at once: nothing to wait for. */
		mutex_unlock(&vb->balloon_lock);
		release_pages_balloon(&pages);
		return n;
	}
	/* The device must know before the guest touches them. */
	list_for_each_entry_safe(page, next, &pages, lru) {
		list_del(&page->lru);
		msg->held[msg->nr_held++] = page;
	}
	(void)wait_acks(vb, vb->deflate_vq, 0);
	/* Harvested: its pages are the guest's (an older one may not be). */
	n = msg->vq ? 0 : n;
	mutex_unlock(&vb->balloon_lock);
	return n;
none:
	mutex_unlock(&vb->balloon_lock);
	return 0;
}

/* The device's target (num_pages); false if it cannot be read. */
static bool read_target(struct virtio_balloon *vb, uint32_t *target)
{
	uint32_t v;

	if (virtio_cread(vb->vdev, offsetof(struct virtio_balloon_config,
					    num_pages),
			 &v, sizeof(v)))
		return false;
	*target = le32toh(v);
	return true;
}

/*
 * Write `actual`, if the device there is the one that knows our balloon: a
 * new one is told the balloon first (resync_balloon()), then `actual`.
 * Worker (or removal, once the worker stopped).
 */
static void update_balloon_size(struct virtio_balloon *vb)
{
	uint32_t actual = htole32(atomic_load(&vb->num_pages));

	if (virtio_device_instance(vb->vdev) == vb->known_instance &&
	    virtio_cwrite(vb->vdev, offsetof(struct virtio_balloon_config,
					     actual),
			  &actual, sizeof(actual)))
		pr_warn_ratelimited("virtio_balloon: cannot update actual");
}

/*
 * Block isolation, then wait until compaction has migrated or put back
 * every page it had isolated: from then on only a holder of balloon_lock
 * changes the list. Migration trylocks balloon_lock, so the caller must not
 * hold it. With @stoppable (the worker) it gives up once the calling task
 * is asked to stop; removal must not: an isolated page would point to the
 * freed driver. Return: false if it gave up.
 */
static bool quiesce_isolation(struct virtio_balloon *vb, bool stoppable)
{
	unsigned long nr, isolated;

	lockdep_assert_not_held(&vb->balloon_lock);
	balloon_block_isolation(&vb->vb_dev_info, true);
	/* Test builds: a test may put back a page it isolated. No lock held. */
	TEST_HOOK("virtio_balloon.isolation_blocked", vb);
	for (;;) {
		balloon_dev_counts(&vb->vb_dev_info, &nr, &isolated);
		if (!isolated)
			return true;
		if (!task_should_stop())
			task_sleep_ms(1);	/* compaction migrates or puts back */
		else if (stoppable)
			return false;
		else	/* task_sleep_ms() would return at once: no spin */
			nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
}

/*
 * A new device (the host restarted) knows none of our pages: tell it
 * every pfn in the balloon again, in one walk of the list. Isolation is
 * blocked, no page isolated and balloon_lock held meanwhile, so the list
 * cannot change under the walk. Return: 0; -ECANCELED if the worker is
 * stopping; the errno that ended it (the device went away again, or did
 * not answer: the next reconnect or the back-off tries again).
 */
static int resync_balloon(struct virtio_balloon *vb)
{
	struct balloon_msg *msg;
	struct page *pos = NULL;
	int ret = -ECANCELED;

	if (!quiesce_isolation(vb, true))
		goto out;
	mutex_lock(&vb->balloon_lock);
	for (;;) {
		ret = get_msg(vb, vb->inflate_vq, &msg);
		if (ret)
			break;
		msg->num_pfns = (unsigned int)balloon_page_list_pfns(
			&vb->vb_dev_info, &pos, msg->pfns,
			VIRTIO_BALLOON_ARRAY_PFNS_MAX);
		if (!msg->num_pfns)
			break;
		ret = send_msg(vb, vb->inflate_vq, msg);
		if (ret)
			break;
	}
	if (!ret)
		ret = wait_acks(vb, vb->inflate_vq, 0);
	mutex_unlock(&vb->balloon_lock);
out:
	balloon_block_isolation(&vb->vb_dev_info, false);
	if (!ret)
		atomic_fetch_add(&vb->resyncs, 1);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Stats                                                                 */
/* ------------------------------------------------------------------ */

static void stats_request(struct virtqueue *vq)
{
	struct virtio_balloon *vb = virtqueue_get_priv(vq);

	atomic_store(&vb->stats_pending, true);
	complete(&vb->work);
}

/* MemAvailable as Linux estimates it: free, plus half the caches. */
static uint64_t available_pages(void)
{
	struct zone *zone;
	long wmark_low = 0, reserve = 0, available, pagecache, slab;

	for_each_zone(zone) {
		wmark_low += (long)low_wmark_pages(zone);
		reserve += (long)high_wmark_pages(zone);
	}
	available = (long)nr_free_pages() - reserve;
	pagecache = node_page_state(NR_ACTIVE_FILE) +
		    node_page_state(NR_INACTIVE_FILE);
	pagecache -= min(pagecache / 2, wmark_low);
	slab = node_page_state(NR_SLAB_RECLAIMABLE);
	slab -= min(slab / 2, wmark_low);
	available += pagecache + slab;
	return available < 0 ? 0 : (uint64_t)available;
}

static void update_balloon_stats(struct virtio_balloon *vb)
{
	static const uint16_t tags[BALLAST_BALLOON_NR_STATS] = {
		VIRTIO_BALLOON_S_SWAP_IN, VIRTIO_BALLOON_S_SWAP_OUT,
		VIRTIO_BALLOON_S_MAJFLT, VIRTIO_BALLOON_S_MINFLT,
		VIRTIO_BALLOON_S_MEMFREE, VIRTIO_BALLOON_S_MEMTOT,
		VIRTIO_BALLOON_S_AVAIL, VIRTIO_BALLOON_S_CACHES,
		VIRTIO_BALLOON_S_HTLB_PGALLOC, VIRTIO_BALLOON_S_HTLB_PGFAIL,
		VIRTIO_BALLOON_S_OOM_KILL, VIRTIO_BALLOON_S_ALLOC_STALL,
		VIRTIO_BALLOON_S_ASYNC_SCAN, VIRTIO_BALLOON_S_DIRECT_SCAN,
		VIRTIO_BALLOON_S_ASYNC_RECLAIM, VIRTIO_BALLOON_S_DIRECT_RECLAIM,
	};
	const uint64_t vals[BALLAST_BALLOON_NR_STATS] = {
		0, 0,				/* no swap in ballast */
		vm_event_sum(PGMAJFAULT),
		vm_event_sum(PGFAULT),
		(uint64_t)nr_free_pages() << PAGE_SHIFT,
		(uint64_t)totalram_pages() << PAGE_SHIFT,
		available_pages() << PAGE_SHIFT,
		(uint64_t)node_page_state(NR_FILE_PAGES) << PAGE_SHIFT,
		0, 0,				/* no hugetlb */
		vm_event_sum(OOM_KILL),
		vm_event_sum(ALLOCSTALL_DMA) + vm_event_sum(ALLOCSTALL_NORMAL),
		vm_event_sum(PGSCAN_KSWAPD),
		vm_event_sum(PGSCAN_DIRECT),
		vm_event_sum(PGSTEAL_KSWAPD),
		vm_event_sum(PGSTEAL_DIRECT),
	};

	for (int i = 0; i < BALLAST_BALLOON_NR_STATS; i++) {
		vb->stats[i].tag = htole16(tags[i]);
		vb->stats[i].val = htole64(vals[i]);
	}
}

static void stats_post(struct virtio_balloon *vb)
{
	struct scatterlist sg;

	sg_init_one(&sg, vb->stats,
		    sizeof(vb->stats[0]) * BALLAST_BALLOON_NR_STATS);
	if (!virtqueue_add_outbuf(vb->stats_vq, &sg, 1, vb, GFP_KERNEL))
		virtqueue_kick(vb->stats_vq);
}

static void stats_handle_request(struct virtio_balloon *vb)
{
	unsigned int len;

	if (!virtqueue_get_buf(vb->stats_vq, &len))
		return;
	atomic_fetch_add(&vb->stats_requests, 1);
	update_balloon_stats(vb);
	stats_post(vb);
}

/* ------------------------------------------------------------------ */
/* Worker, config changes, OOM                                           */
/* ------------------------------------------------------------------ */

static void virtballoon_changed(struct virtio_device *vdev)
{
	struct virtio_balloon *vb = vdev->priv;

	atomic_store(&vb->config_pending, true);
	complete(&vb->work);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * A move made no progress (no memory, every page isolated, no answer):
 * try again after a pause, never in a busy loop.
 */
static void balloon_backoff(struct virtio_balloon *vb)
{
	/* Test builds: a test may see the worker back off. No lock held. */
	TEST_HOOK("virtio_balloon.backoff", vb);
	task_sleep_ms(BALLOON_BACKOFF_MS);
	atomic_store(&vb->config_pending, true);
}

/*
 * The device's config changed (or the driver just started, or the device
 * was replaced): re-announce the balloon to a new device, read the target
 * once, and move toward it batch by batch. On vhost-user every config
 * access is a round trip to the host, so the target is read again only
 * when the device says it changed (config_pending), not before every
 * batch, and `actual` is written at most every BALLOON_ACTUAL_EVERY_MS
 * while moving and always when the move ends. A move interrupted by a
 * config change or a stats request leaves config_pending set, so the
 * worker comes back after handling it.
 */
static void balloon_update(struct virtio_balloon *vb)
{
	unsigned long instance = virtio_device_instance(vb->vdev);
	uint64_t written = now_ms();
	uint32_t target;

	if (instance && instance != vb->known_instance) {
		/* A new device: `actual` waits until it knows the balloon. */
		if (atomic_load(&vb->num_pages)) {
			if (resync_balloon(vb)) {
				if (device_present(vb))
					balloon_backoff(vb);
				return;
			}
			/* Test builds: a test may compare the host's record. */
			TEST_HOOK("virtio_balloon.resynced", vb);
		}
		/* Replaced again meanwhile: the next update resyncs again. */
		vb->known_instance = instance;
	}
	if (!read_target(vb, &target)) {
		update_balloon_size(vb);
		return;
	}
	for (;;) {
		int64_t diff = (int64_t)target - (int64_t)atomic_load(&vb->num_pages);

		if (!diff || atomic_load(&vb->stopping))
			break;
		/*
		 * Gone, or replaced by a device that does not know the balloon
		 * yet: a reconnect runs config_changed again, and the next
		 * update resyncs first.
		 */
		if (virtio_device_instance(vb->vdev) != vb->known_instance)
			break;
		/* Short of the target: `actual` reaches it only below. */
		if (now_ms() - written >= BALLOON_ACTUAL_EVERY_MS) {
			update_balloon_size(vb);
			written = now_ms();
		}
		if (diff > 0) {
			unsigned int want = (unsigned int)min(diff,
					(int64_t)VIRTIO_BALLOON_ARRAY_PFNS_MAX);

			if (fill_balloon(vb, (size_t)diff) < want) {
				balloon_backoff(vb);
				break;
			}
		} else if (!leak_balloon(vb, (size_t)-diff)) {
			/* Every page isolated, or the device did not answer. */
			balloon_backoff(vb);
			break;
		}
		if (atomic_load(&vb->config_pending) ||
		    atomic_load(&vb->stats_pending)) {
			atomic_store(&vb->config_pending, true);
			break;
		}
	}
	flush_inflates(vb);
	update_balloon_size(vb);
}

static int balloon_worker(void *arg)
{
	struct virtio_balloon *vb = arg;

	while (!atomic_load(&vb->stopping)) {
		if (!atomic_load(&vb->config_pending) &&
		    !atomic_load(&vb->actual_pending) &&
		    !atomic_load(&vb->stats_pending) &&
		    !atomic_load(&vb->reap_pending))
			wait_for_completion_idle(&vb->work);
		if (atomic_load(&vb->stopping))
			break;
		if (atomic_exchange(&vb->reap_pending, false)) {
			mutex_lock(&vb->balloon_lock);
			reap_acks(vb, vb->deflate_vq);
			mutex_unlock(&vb->balloon_lock);
		}
		if (atomic_exchange(&vb->stats_pending, false))
			stats_handle_request(vb);
		if (atomic_exchange(&vb->config_pending, false)) {
			atomic_store(&vb->actual_pending, false);
			balloon_update(vb);
		} else if (atomic_exchange(&vb->actual_pending, false)) {
			update_balloon_size(vb);
		}
	}
	return 0;
}

/*
 * OOM: give back a bounded number of pages. Runs with oom_lock held in
 * the "reclaim" context: takes balloon_lock, which nobody holds across an
 * allocation; tells the device through the queues (allowed from reclaim);
 * leaves the config write to the worker.
 */
static int virtio_balloon_oom_notify(struct notifier_block *nb,
				     unsigned long action, void *data)
{
	struct virtio_balloon *vb = container_of(nb, struct virtio_balloon,
						 oom_nb);
	unsigned long *freed = data;
	unsigned int n = leak_balloon(vb, VIRTIO_BALLOON_OOM_NR_PAGES);

	*freed += n;
	atomic_fetch_add(&vb->oom_deflated, n);
	atomic_fetch_add(&vb->oom_notifications, 1);
	if (n) {
		atomic_store(&vb->actual_pending, true);
		complete(&vb->work);
	}
	return NOTIFY_OK;
}

/* ------------------------------------------------------------------ */
/* Migration                                                             */
/* ------------------------------------------------------------------ */

static int virtballoon_migratepage(struct balloon_dev_info *info,
				   struct page *newpage, struct page *page,
				   enum migrate_mode mode)
{
	struct virtio_balloon *vb = container_of(info, struct virtio_balloon,
						 vb_dev_info);
	struct balloon_msg *in = &vb->msgs[0], *out = &vb->msgs[1];

	/*
	 * Never wait here, in any mode: not for the lock, not for the device
	 * (a hung one would stall compaction, and the OOM notifier behind
	 * balloon_lock). Compaction tries again later.
	 */
	if (!mutex_trylock(&vb->balloon_lock))
		return -EAGAIN;
	/*
	 * Both queues idle, or the page stays where it is. Then the inflate
	 * of the new pfn and the deflate of the old one need no order between
	 * them: no other message is in flight.
	 */
	reap_acks(vb, vb->inflate_vq);
	reap_acks(vb, vb->deflate_vq);
	if (nr_posted(vb, vb->inflate_vq) || nr_posted(vb, vb->deflate_vq))
		goto busy;
	in->pfns[0] = (uint32_t)page_to_pfn(newpage);
	in->num_pfns = 1;
	if (send_msg(vb, vb->inflate_vq, in))
		goto busy;
	get_page(newpage);			/* the balloon's reference */
	if (balloon_page_insert_isolated(info, newpage)) {
		/* Misuse, reported. Told to the device: never reused. */
		mutex_unlock(&vb->balloon_lock);
		return -EINVAL;
	}
	if (!vb->deflate_on_oom && page_zone(page) != page_zone(newpage)) {
		adjust_managed_page_count(page, 1);
		adjust_managed_page_count(newpage, -1);
	}
	balloon_page_finalize(page);
	out->pfns[0] = (uint32_t)page_to_pfn(page);
	out->num_pfns = 1;
	/*
	 * Not posted only if the device just went away (the next one learns
	 * the balloon from resync_balloon(), without @page) or broke.
	 */
	if (!send_msg(vb, vb->deflate_vq, out) && vb->must_tell_host) {
		/*
		 * The balloon's reference, dropped when the acknowledgement
		 * is harvested (by the worker at the latest).
		 */
		out->held[out->nr_held++] = page;
	} else {
		put_page(page);			/* the balloon's reference */
	}
	mutex_unlock(&vb->balloon_lock);
	return 0;
busy:
	mutex_unlock(&vb->balloon_lock);
	return -EAGAIN;
}

/* ------------------------------------------------------------------ */
/* Probe and remove                                                      */
/* ------------------------------------------------------------------ */

static int init_vqs(struct virtio_balloon *vb)
{
	struct virtqueue *vqs[3];
	struct virtqueue_info info[3] = {
		{ "inflate", balloon_ack },
		{ "deflate", balloon_ack },
		{ "stats", stats_request },
	};
	/* Queues are numbered densely: stats exists only if negotiated. */
	unsigned int nvqs = vb->has_stats ? 3 : 2;
	int ret = virtio_find_vqs(vb->vdev, nvqs, vqs, info);

	if (ret)
		return ret;
	vb->inflate_vq = vqs[0];
	vb->deflate_vq = vqs[1];
	vb->stats_vq = vb->has_stats ? vqs[2] : NULL;
	for (unsigned int i = 0; i < nvqs; i++)
		virtqueue_set_priv(vqs[i], vb);
	return 0;
}

static void free_vb(struct virtio_balloon *vb)
{
	kfree(vb->pfns);
	kfree(vb->stats);
	free(vb);
}

int virtballoon_probe(struct virtio_device *vdev, struct virtio_balloon **vbp)
{
	struct virtio_balloon *vb;
	int ret;

	might_sleep();
	if (vdev->id != VIRTIO_ID_BALLOON)
		return -EINVAL;
	vb = calloc(1, sizeof(*vb));
	if (!vb)
		return -ENOMEM;
	vb->vdev = vdev;
	vb->pfns = kcalloc(BALLOON_NR_MSGS * VIRTIO_BALLOON_ARRAY_PFNS_MAX,
			   sizeof(*vb->pfns), GFP_KERNEL);
	vb->stats = kcalloc(BALLAST_BALLOON_NR_STATS, sizeof(*vb->stats),
			    GFP_KERNEL);
	if (!vb->pfns || !vb->stats) {
		free_vb(vb);
		return -ENOMEM;
	}
	for (int i = 0; i < BALLOON_NR_MSGS; i++)
		vb->msgs[i].pfns = vb->pfns + i * VIRTIO_BALLOON_ARRAY_PFNS_MAX;
	mutex_init(&vb->balloon_lock);
	init_completion(&vb->work);
	init_completion(&vb->acked);

	vdev->features = virtio_get_features(vdev) & VIRTIO_BALLOON_DRIVER_FEATURES;
	ret = virtio_finalize_features(vdev);
	if (ret)
		goto fail;
	vb->must_tell_host = virtio_has_feature(vdev,
						VIRTIO_BALLOON_F_MUST_TELL_HOST);
	vb->has_stats = virtio_has_feature(vdev, VIRTIO_BALLOON_F_STATS_VQ);
	vb->deflate_on_oom = virtio_has_feature(vdev,
						VIRTIO_BALLOON_F_DEFLATE_ON_OOM);
	/* Without deflate-on-OOM ballooned pages leave managed memory. */
	balloon_devinfo_init(&vb->vb_dev_info, virtballoon_migratepage,
			     !vb->deflate_on_oom);
	ret = init_vqs(vb);
	if (ret)
		goto fail;
	/* This device knows the balloon: it is empty. */
	vb->known_instance = virtio_device_instance(vdev);
	vdev->priv = vb;
	vdev->config_changed = virtballoon_changed;
	if (vb->has_stats) {
		update_balloon_stats(vb);
		stats_post(vb);
	}
	ret = task_create(&vb->worker, "virtio_balloon", balloon_worker, vb,
			  PF_KTHREAD);
	if (ret)
		goto fail_vqs;
	if (vb->deflate_on_oom) {
		vb->oom_nb.notifier_call = virtio_balloon_oom_notify;
		vb->oom_nb.priority = 80;
		register_oom_notifier(&vb->oom_nb);
	}
	ret = virtio_device_ready(vdev);
	if (ret)
		goto fail_worker;
	atomic_store(&vb->config_pending, true);	/* read the target */
	complete(&vb->work);
	*vbp = vb;
	return 0;

fail_worker:
	if (vb->deflate_on_oom)
		WARN_ON_ONCE(unregister_oom_notifier(&vb->oom_nb));
	atomic_store(&vb->stopping, true);
	complete(&vb->work);
	task_destroy(vb->worker);
fail_vqs:
	virtio_del_vqs(vdev);
fail:
	vdev->priv = NULL;
	vdev->config_changed = NULL;
	free_vb(vb);
	return ret;
}

void virtballoon_remove(struct virtio_balloon *vb)
{
	unsigned long nr, isolated;
	struct balloon_msg *msg;
	LIST_HEAD(pages);

	might_sleep();
	if (vb->deflate_on_oom)
		WARN_ON_ONCE(unregister_oom_notifier(&vb->oom_nb));
	atomic_store(&vb->stopping, true);
	complete(&vb->work);
	task_destroy(vb->worker);
	/*
	 * Every page on the list, where compaction cannot take it any more;
	 * then give back all the device can still be told about.
	 */
	(void)quiesce_isolation(vb, false);	/* waits: never gives up */
	while (leak_balloon(vb, VIRTIO_BALLOON_ARRAY_PFNS_MAX))
		;
	update_balloon_size(vb);
	if (virtio_reset_device(vb->vdev))
		pr_warn("virtio_balloon: the device could not be reset");
	/*
	 * A reset device has no balloon (and one that is gone took its own
	 * with it): the pages still ballooned, or held by a deflate it never
	 * acknowledged, are the guest's again. Then no page points to @vb.
	 */
	mutex_lock(&vb->balloon_lock);
	reap_acks(vb, vb->inflate_vq);
	reap_acks(vb, vb->deflate_vq);
	while ((msg = virtqueue_detach_unused_buf(vb->inflate_vq)))
		msg_done(msg);
	while ((msg = virtqueue_detach_unused_buf(vb->deflate_vq)))
		msg_done(msg);
	balloon_page_list_dequeue(&vb->vb_dev_info, &pages, SIZE_MAX);
	atomic_store(&vb->num_pages, 0);
	mutex_unlock(&vb->balloon_lock);
	release_pages_balloon(&pages);
	balloon_dev_counts(&vb->vb_dev_info, &nr, &isolated);
	WARN_ON_ONCE(nr || isolated);
	if (vb->stats_vq)
		virtqueue_detach_unused_buf(vb->stats_vq);
	virtio_del_vqs(vb->vdev);
	vb->vdev->priv = NULL;
	vb->vdev->config_changed = NULL;
	free_vb(vb);
}

void virtballoon_get_info(struct virtio_balloon *vb,
			  struct virtballoon_info *info)
{
	uint32_t target = 0;
	unsigned long nr;

	memset(info, 0, sizeof(*info));
	if (!virtio_cread(vb->vdev, offsetof(struct virtio_balloon_config,
					     num_pages),
			  &target, sizeof(target)))
		info->target_pages = le32toh(target);
	info->num_pages = atomic_load(&vb->num_pages);
	balloon_dev_counts(&vb->vb_dev_info, &nr, &info->isolated_pages);
	info->oom_deflated_pages = atomic_load(&vb->oom_deflated);
	info->oom_notifications = atomic_load(&vb->oom_notifications);
	info->alloc_failures = atomic_load(&vb->alloc_failures);
	info->stats_requests = atomic_load(&vb->stats_requests);
	info->resyncs = atomic_load(&vb->resyncs);
	info->ack_waits_failed = atomic_load(&vb->ack_waits_failed);
	info->must_tell_host = vb->must_tell_host;
	info->stats_vq = vb->has_stats;
	info->deflate_on_oom = vb->deflate_on_oom;
}

unsigned long virtballoon_check(struct virtio_balloon *vb)
{
	unsigned long errors, nr, isolated;
	uint32_t told;

	mutex_lock(&vb->balloon_lock);
	errors = balloon_check(&vb->vb_dev_info);
	balloon_dev_counts(&vb->vb_dev_info, &nr, &isolated);
	told = atomic_load(&vb->num_pages);
	if (nr != told) {
		pr_err("virtballoon_check: %lu pages in the balloon (%lu "
		       "isolated), the device was told %u", nr, isolated, told);
		errors++;
	}
	mutex_unlock(&vb->balloon_lock);
	return errors;
}
