// SPDX-License-Identifier: MIT
/*
 * balloon_dev.c - the virtio-balloon device (host side, one instance per
 * vhost-user connection), following the virtio specification's balloon
 * device: config space (num_pages, actual), inflate and deflate queues,
 * the stats queue, and the host's own record of ballooned pages.
 *
 * Decisions (docs/balloon.md has the long form):
 *  - Queues are numbered densely by the features negotiated: inflate 0,
 *    deflate 1, stats 2 only with VIRTIO_BALLOON_F_STATS_VQ (free page
 *    hinting and reporting are not offered, so nothing shifts after it).
 *  - Stats entries are 10 bytes (struct virtio_balloon_stat: le16 tag,
 *    le64 value), as every implementation uses, whatever older text of the
 *    specification says.
 *  - The host's record comes only from inflate/deflate messages, never
 *    from `actual`: an inflate with a pfn outside guest RAM, or a malformed
 *    buffer, marks the device NEEDS_RESET and discards nothing; in a
 *    deflate, a pfn never inflated (or outside RAM) is refused, logged
 *    once per message and counted, while the batch's valid pfns are taken
 *    back and the buffer is acknowledged: the guest reuses every page of
 *    it then, and must not hang; with MUST_TELL_HOST a ballooned page
 *    found backed again is a violation (the guest touched it before
 *    deflating), found both by the periodic scan of the record and,
 *    exactly, when a deflate names a page that is no longer a hole (the
 *    guest reused it before telling).
 *
 * Invariants and locking: everything runs on the host's event-loop thread
 * (vhost_user.h rule); no locks. The stats chain, while held, belongs to
 * the device until it is pushed back (that push asks for new stats).
 * Untrusted: every byte read from guest RAM (copied out once, then
 * validated) and every config write.
 */
#include "balloon_dev.h"

#include <ballast/lib/log.h>

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define Q_INFLATE 0
#define Q_DEFLATE 1
#define Q_STATS 2
#define BALLOON_SCAN_MS 1000

struct balloon_dev {
	struct host *host;
	struct vhost_user_dev *dev;
	char id[16];
	struct list_head node;		/* host->devices */
	bool have_record;
	struct balloon_host rec;
	dev_t ram_dev;			/* the file of rec's RAM, as */
	ino_t ram_ino;			/* fstat(2) names it */
	uint32_t num_pages;		/* config: the target, set by the host */
	uint32_t actual;		/* config: written by the guest;
					 * at most nr_pfns once RAM is known */
	struct vringh_elem elem;
	struct iovec iov[BALLOON_DEV_QUEUE_SIZE];
	uint32_t *pfns;			/* copy of one message */
	/* stats */
	bool stats_held;
	uint16_t stats_head;
	int64_t stats[BALLAST_BALLOON_NR_STATS];	/* -1: not reported */
	int64_t stats_updated;		/* seconds since the epoch, 0: never */
	int64_t stats_interval_s;
	int64_t next_poll_ms;
	int64_t next_scan_ms;
	/* counters */
	uint64_t inflate_msgs, deflate_msgs, stats_msgs;
	uint64_t violations;		/* protocol violations seen */
	uint64_t touched_violations;	/* MUST_TELL_HOST found broken: by a
					 * scan, or at a deflate */
	uint64_t scans;			/* ballooned-page scans done */
};

static const char *const stat_names[BALLAST_BALLOON_NR_STATS] = {
	[VIRTIO_BALLOON_S_SWAP_IN] = "stat-swap-in",
	[VIRTIO_BALLOON_S_SWAP_OUT] = "stat-swap-out",
	[VIRTIO_BALLOON_S_MAJFLT] = "stat-major-faults",
	[VIRTIO_BALLOON_S_MINFLT] = "stat-minor-faults",
	[VIRTIO_BALLOON_S_MEMFREE] = "stat-free-memory",
	[VIRTIO_BALLOON_S_MEMTOT] = "stat-total-memory",
	[VIRTIO_BALLOON_S_AVAIL] = "stat-available-memory",
	[VIRTIO_BALLOON_S_CACHES] = "stat-disk-caches",
	[VIRTIO_BALLOON_S_HTLB_PGALLOC] = "stat-htlb-pgalloc",
	[VIRTIO_BALLOON_S_HTLB_PGFAIL] = "stat-htlb-pgfail",
	[VIRTIO_BALLOON_S_OOM_KILL] = "stat-oom-kills",
	[VIRTIO_BALLOON_S_ALLOC_STALL] = "stat-alloc-stalls",
	[VIRTIO_BALLOON_S_ASYNC_SCAN] = "stat-async-scans",
	[VIRTIO_BALLOON_S_DIRECT_SCAN] = "stat-direct-scans",
	[VIRTIO_BALLOON_S_ASYNC_RECLAIM] = "stat-async-reclaims",
	[VIRTIO_BALLOON_S_DIRECT_RECLAIM] = "stat-direct-reclaims",
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool has(struct balloon_dev *b, unsigned int bit)
{
	return vhost_user_dev_features(b->dev) & (1ULL << bit);
}

static uint64_t ram_bytes(struct balloon_dev *b)
{
	return b->have_record ? b->rec.ram_bytes : 0;
}

/*
 * Guest RAM minus what the guest says it ballooned (QMP's "actual"). An
 * `actual` written before the memory table could not be checked against
 * RAM: never below 0.
 */
static uint64_t guest_keeps_bytes(struct balloon_dev *b)
{
	uint64_t ballooned = (uint64_t)b->actual << 12;

	return ballooned < ram_bytes(b) ? ram_bytes(b) - ballooned : 0;
}

/* ------------------------------------------------------------------ */
/* Device ops                                                            */
/* ------------------------------------------------------------------ */

static int bdev_create(struct vhost_user_dev *dev)
{
	struct host *host = vhost_user_dev_server_data(dev);
	struct balloon_dev *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->pfns = malloc(BALLOON_DEV_MAX_PFNS * sizeof(*b->pfns));
	if (!b->pfns) {
		free(b);
		return -ENOMEM;
	}
	b->host = host;
	b->dev = dev;
	snprintf(b->id, sizeof(b->id), "balloon%u", host->next_id++);
	b->elem.iov = b->iov;
	b->elem.iov_max = BALLOON_DEV_QUEUE_SIZE;
	for (int i = 0; i < BALLAST_BALLOON_NR_STATS; i++)
		b->stats[i] = -1;
	b->stats_interval_s = host->stats_interval_s;
	list_add_tail(&b->node, &host->devices);
	vhost_user_dev_set_priv(dev, b);
	if (!host->quiet)
		pr_info("host: %s: a guest connected", b->id);
	return 0;
}

static void bdev_destroy(struct vhost_user_dev *dev)
{
	struct balloon_dev *b = vhost_user_dev_get_priv(dev);

	if (!b->host->quiet)
		pr_info("host: %s: the guest went away (%u pages were ballooned)",
			b->id, b->have_record ? b->rec.nr_ballooned : 0);
	list_del(&b->node);
	if (b->have_record)
		balloon_host_destroy(&b->rec);
	free(b->pfns);
	free(b);
}

static void bdev_mem_changed(struct vhost_user_dev *dev)
{
	struct balloon_dev *b = vhost_user_dev_get_priv(dev);
	const struct virtio_mem *mem = vhost_user_dev_mem(dev);
	const struct virtio_mem_region *r = NULL;
	struct stat st;
	bool tracked;

	if (mem && mem->nr_regions == 1 && !mem->regions[0].gpa)
		r = &mem->regions[0];
	tracked = r && !r->file_offset && !fstat(r->fd, &st);
	/*
	 * A table sent again arrives with a new descriptor (the old one is
	 * closed already): the same file and size is the same RAM, whose
	 * ballooned pages are still holes, so the record stays. Any other
	 * table ends it: its descriptor is closed.
	 */
	if (tracked && b->have_record && b->rec.ram_bytes == r->size &&
	    b->ram_dev == st.st_dev && b->ram_ino == st.st_ino) {
		b->rec.memfd = r->fd;
		return;
	}
	if (b->have_record)
		balloon_host_destroy(&b->rec);
	b->have_record = false;
	if (!r) {
		vhost_user_dev_needs_reset(dev, "%s: guest RAM must be one region "
					   "at address 0", b->id);
		return;
	}
	if (!tracked || balloon_host_init(&b->rec, r->fd, r->size)) {
		vhost_user_dev_needs_reset(dev, "%s: guest RAM of %" PRIu64
					   " bytes cannot be tracked", b->id,
					   r->size);
		return;
	}
	b->ram_dev = st.st_dev;
	b->ram_ino = st.st_ino;
	b->have_record = true;
}

static int bdev_get_config(struct vhost_user_dev *dev, uint32_t offset,
			   void *buf, uint32_t len)
{
	struct balloon_dev *b = vhost_user_dev_get_priv(dev);
	struct virtio_balloon_config cfg = {
		.num_pages = htole32(b->num_pages),
		.actual = htole32(b->actual),
	};

	memcpy(buf, (char *)&cfg + offset, len);
	return 0;
}

static int bdev_set_config(struct vhost_user_dev *dev, uint32_t offset,
			   const void *buf, uint32_t len, uint32_t flags)
{
	struct balloon_dev *b = vhost_user_dev_get_priv(dev);
	uint32_t actual;

	/* Only `actual` is the driver's to write. */
	if (offset != offsetof(struct virtio_balloon_config, actual) ||
	    len != sizeof(actual))
		return -EPERM;
	memcpy(&actual, buf, sizeof(actual));
	actual = le32toh(actual);
	if (b->have_record && actual > b->rec.nr_pfns) {
		/* More ballooned than there is RAM: a guest's lie. */
		b->violations++;
		pr_err_ratelimited("host: %s: the guest claims %u pages "
				   "ballooned, more than guest RAM (%u pages); "
				   "refused", b->id, actual, b->rec.nr_pfns);
		return -EINVAL;
	}
	if (actual == b->actual)
		return 0;
	b->actual = actual;
	if (b->host->qmp && ram_bytes(b))
		qmp_server_event(b->host->qmp, "BALLOON_CHANGE",
				 json_pack("{s:I}", "actual",
					   (json_int_t)guest_keeps_bytes(b)));
	return 0;
}

/* Copy the chain's device-readable bytes (at most @max) into @dst. */
static uint64_t copy_out(const struct vringh_elem *e, void *dst, uint64_t max)
{
	uint64_t done = 0;

	for (unsigned int i = 0; i < e->out_num && done < max; i++) {
		uint64_t n = min((uint64_t)e->iov[i].iov_len, max - done);

		memcpy((char *)dst + done, e->iov[i].iov_base, n);
		done += n;
	}
	return done;
}

/*
 * MUST_TELL_HOST broken: the guest touched @touched pages (first pfn
 * @first) that the host still counted as ballooned. Counted and logged;
 * the device goes on (the memory is merely not returned).
 */
static void report_touched(struct balloon_dev *b, uint64_t touched,
			   uint32_t first, const char *when)
{
	b->touched_violations++;
	pr_err_ratelimited("host: %s: the guest touched %" PRIu64 " ballooned "
			   "pages (first pfn %u) %s, although MUST_TELL_HOST "
			   "was negotiated", b->id, touched, first, when);
}

/* One inflate or deflate message. Returns false if the device broke. */
static bool handle_pfns(struct balloon_dev *b, unsigned int q)
{
	struct vringh_elem *e = &b->elem;
	size_t n = (size_t)(e->out_len / sizeof(uint32_t));
	uint32_t bad = 0;
	int ret;

	if (e->in_num || e->out_len % sizeof(uint32_t) ||
	    n > BALLOON_DEV_MAX_PFNS) {
		b->violations++;
		vhost_user_dev_needs_reset(b->dev, "%s: malformed %s buffer "
					   "(%" PRIu64 " bytes, %u writable parts)",
					   b->id, q == Q_INFLATE ? "inflate"
								 : "deflate",
					   e->out_len, e->in_num);
		return false;
	}
	if (!b->have_record) {
		vhost_user_dev_needs_reset(b->dev, "%s: balloon message before "
					   "the memory table", b->id);
		return false;
	}
	copy_out(e, b->pfns, n * sizeof(uint32_t));
	for (size_t i = 0; i < n; i++)
		b->pfns[i] = le32toh(b->pfns[i]);
	if (q == Q_INFLATE) {
		b->inflate_msgs++;
		ret = balloon_host_inflate(&b->rec, b->pfns, n, &bad);
		if (ret == -EPROTO) {
			b->violations++;
			vhost_user_dev_needs_reset(b->dev, "%s: inflate of pfn %u, "
						   "outside guest RAM (%u pages);"
						   " nothing discarded", b->id,
						   bad, b->rec.nr_pfns);
			return false;
		}
		if (ret)
			pr_err_ratelimited("host: %s: punching holes failed: %s",
					   b->id, strerror(-ret));
	} else {
		uint64_t touched = 0, refused;
		uint32_t first = 0;

		b->deflate_msgs++;
		/* MUST_TELL_HOST: the pages are still holes until now. */
		if (has(b, VIRTIO_BALLOON_F_MUST_TELL_HOST))
			touched = balloon_host_count_touched(&b->rec, b->pfns,
							     n, &first);
		refused = b->rec.nr_bad_deflates;
		if (balloon_host_deflate(&b->rec, b->pfns, n, &bad)) {
			refused = b->rec.nr_bad_deflates - refused;
			b->violations++;
			pr_err_ratelimited("host: %s: deflate of %" PRIu64
					   " pfns refused, the first %u %s; the "
					   "other %" PRIu64 " taken back", b->id,
					   refused, bad,
					   bad >= b->rec.nr_pfns
						   ? "outside guest RAM"
						   : "not in the balloon",
					   (uint64_t)n - refused);
		}
		if (touched)
			report_touched(b, touched, first, "before telling the "
				       "host it deflated them");
	}
	return true;
}

static void handle_stats(struct balloon_dev *b)
{
	struct vringh_elem *e = &b->elem;
	struct virtio_balloon_stat entries[BALLOON_DEV_MAX_STATS_BYTES / 10];
	size_t n;

	if (b->stats_held) {
		/* The guest posts one buffer at a time. */
		b->violations++;
		vhost_user_dev_needs_reset(b->dev, "%s: a second stats buffer",
					   b->id);
		return;
	}
	if (e->in_num || e->out_len % sizeof(entries[0]) ||
	    e->out_len > sizeof(entries)) {
		b->violations++;
		vhost_user_dev_needs_reset(b->dev, "%s: malformed stats buffer "
					   "(%" PRIu64 " bytes, %u writable parts)",
					   b->id, e->out_len, e->in_num);
		return;
	}
	n = (size_t)(e->out_len / sizeof(entries[0]));
	copy_out(e, entries, e->out_len);
	for (size_t i = 0; i < n; i++) {
		uint16_t tag = le16toh(entries[i].tag);

		if (tag < BALLAST_BALLOON_NR_STATS)	/* unknown tags: ignored */
			b->stats[tag] = (int64_t)le64toh(entries[i].val);
	}
	b->stats_updated = (int64_t)time(NULL);
	b->stats_msgs++;
	/* Keep the buffer: giving it back asks for the next stats. */
	b->stats_held = true;
	b->stats_head = e->head;
}

static void bdev_handle_queue(struct vhost_user_dev *dev, unsigned int q)
{
	struct balloon_dev *b = vhost_user_dev_get_priv(dev);
	bool stats_q = q == Q_STATS && has(b, VIRTIO_BALLOON_F_STATS_VQ);

	if (q > Q_STATS || (q == Q_STATS && !stats_q)) {
		b->violations++;
		vhost_user_dev_needs_reset(dev, "%s: queue %u does not exist",
					   b->id, q);
		return;
	}
	while (vhost_user_dev_pop(dev, q, &b->elem) > 0) {
		if (stats_q) {
			handle_stats(b);
			continue;
		}
		if (!handle_pfns(b, q))
			return;
		if (vhost_user_dev_push(dev, q, b->elem.head, 0))
			return;
	}
}

static void bdev_stop_queue(struct vhost_user_dev *dev, unsigned int q)
{
	struct balloon_dev *b = vhost_user_dev_get_priv(dev);

	if (q == Q_STATS && b->stats_held) {
		b->stats_held = false;
		if (!vhost_user_dev_push(dev, q, b->stats_head, 0))
			vhost_user_dev_notify(dev, q);
	}
}

static void bdev_reset(struct vhost_user_dev *dev)
{
	struct balloon_dev *b = vhost_user_dev_get_priv(dev);

	/* The record stays: the pages are still gone from the machine. */
	b->stats_held = false;
	b->actual = 0;
}

const struct vhost_user_dev_ops balloon_dev_ops = {
	.name = "virtio-balloon",
	.device_id = VIRTIO_ID_BALLOON,
	.nr_queues = 3,
	.max_queue_size = BALLOON_DEV_QUEUE_SIZE,
	.features = (1ULL << VIRTIO_BALLOON_F_MUST_TELL_HOST) |
		    (1ULL << VIRTIO_BALLOON_F_STATS_VQ) |
		    (1ULL << VIRTIO_BALLOON_F_DEFLATE_ON_OOM),
	.config_size = sizeof(struct virtio_balloon_config),
	.create = bdev_create,
	.destroy = bdev_destroy,
	.get_config = bdev_get_config,
	.set_config = bdev_set_config,
	.handle_queue = bdev_handle_queue,
	.stop_queue = bdev_stop_queue,
	.reset = bdev_reset,
	.mem_changed = bdev_mem_changed,
};

/* ------------------------------------------------------------------ */
/* Periodic work                                                         */
/* ------------------------------------------------------------------ */

static void request_stats(struct balloon_dev *b)
{
	if (!b->stats_held)
		return;
	b->stats_held = false;
	if (!vhost_user_dev_push(b->dev, Q_STATS, b->stats_head, 0))
		vhost_user_dev_notify(b->dev, Q_STATS);
}

void balloon_dev_tick(struct host *host, int64_t now)
{
	struct balloon_dev *b;

	list_for_each_entry(b, &host->devices, node) {
		if (b->stats_interval_s > 0 && now >= b->next_poll_ms) {
			request_stats(b);
			b->next_poll_ms = now + b->stats_interval_s * 1000;
		}
		if (b->have_record && has(b, VIRTIO_BALLOON_F_MUST_TELL_HOST) &&
		    now >= b->next_scan_ms) {
			uint32_t first = 0;
			uint64_t touched;

			b->next_scan_ms = now + BALLOON_SCAN_MS;
			touched = balloon_host_scan_touched(&b->rec, &first);
			b->scans++;
			if (touched)
				report_touched(b, touched, first,
					       "while they are ballooned");
		}
	}
}

/* ------------------------------------------------------------------ */
/* QMP operations                                                        */
/* ------------------------------------------------------------------ */

static void *q_find(void *ctx, const char *id)
{
	struct host *host = ctx;
	struct balloon_dev *b;

	list_for_each_entry(b, &host->devices, node)
		if (b->have_record && (!id || !strcmp(id, b->id)))
			return b;
	return NULL;
}

static json_t *q_list(void *ctx)
{
	struct host *host = ctx;
	struct balloon_dev *b;
	json_t *ids = json_array();

	list_for_each_entry(b, &host->devices, node)
		if (b->have_record)
			json_array_append_new(ids, json_string(b->id));
	return ids;
}

static uint64_t q_ram_bytes(void *dev)
{
	return ram_bytes(dev);
}

static int q_set_target(void *dev, uint64_t target)
{
	struct balloon_dev *b = dev;

	b->num_pages = (uint32_t)((ram_bytes(b) - target) >> 12);
	return vhost_user_dev_config_changed(b->dev);
}

static uint64_t q_actual_bytes(void *dev)
{
	return guest_keeps_bytes(dev);
}

static json_t *q_guest_stats(void *dev)
{
	struct balloon_dev *b = dev;
	json_t *stats = json_object();

	for (int i = 0; i < BALLAST_BALLOON_NR_STATS; i++)
		json_object_set_new(stats, stat_names[i],
				    json_integer(b->stats[i]));
	return json_pack("{s:o, s:I}", "stats", stats, "last-update",
			 (json_int_t)b->stats_updated);
}

static int64_t q_stats_interval(void *dev)
{
	return ((struct balloon_dev *)dev)->stats_interval_s;
}

static int q_set_stats_interval(void *dev, int64_t secs)
{
	struct balloon_dev *b = dev;

	b->stats_interval_s = secs;
	b->next_poll_ms = now_ms();	/* the first poll right away */
	return 0;
}

static json_t *q_host_info(void *dev)
{
	struct balloon_dev *b = dev;
	struct balloon_host *r = &b->rec;

	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
			 "s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:b, s:b, "
			 "s:b}",
			 "id", b->id,
			 "ram-bytes", (json_int_t)r->ram_bytes,
			 "target-bytes",
			 (json_int_t)(r->ram_bytes - ((uint64_t)b->num_pages << 12)),
			 "guest-ballooned-bytes",
			 (json_int_t)((uint64_t)b->actual << 12),
			 "host-ballooned-bytes",
			 (json_int_t)((uint64_t)r->nr_ballooned << 12),
			 "memfd-allocated-bytes",
			 (json_int_t)balloon_host_allocated_bytes(r),
			 "punched-bytes", (json_int_t)r->punched_bytes,
			 "inflate-messages", (json_int_t)b->inflate_msgs,
			 "deflate-messages", (json_int_t)b->deflate_msgs,
			 "stats-messages", (json_int_t)b->stats_msgs,
			 "double-inflates", (json_int_t)r->nr_double_inflates,
			 "refused-deflates", (json_int_t)r->nr_bad_deflates,
			 "protocol-violations", (json_int_t)b->violations,
			 "touched-while-ballooned",
			 (json_int_t)b->touched_violations,
			 "touched-scans", (json_int_t)b->scans,
			 "touched-pages", (json_int_t)r->nr_touched,
			 "punch-errors", (json_int_t)r->nr_punch_errors,
			 "must-tell-host", has(b, VIRTIO_BALLOON_F_MUST_TELL_HOST),
			 "stats-vq", has(b, VIRTIO_BALLOON_F_STATS_VQ),
			 "deflate-on-oom", has(b, VIRTIO_BALLOON_F_DEFLATE_ON_OOM),
			 "needs-reset", (vhost_user_dev_status(b->dev) &
					 VIRTIO_CONFIG_S_NEEDS_RESET) != 0);
}

const struct qmp_balloon_ops balloon_qmp_ops = {
	.find = q_find,
	.list = q_list,
	.ram_bytes = q_ram_bytes,
	.set_target = q_set_target,
	.actual_bytes = q_actual_bytes,
	.guest_stats = q_guest_stats,
	.stats_interval = q_stats_interval,
	.set_stats_interval = q_set_stats_interval,
	.host_info = q_host_info,
};
