// SPDX-License-Identifier: MIT
/*
 * vhost_user_backend.c - the back-end (device) side of vhost-user: an
 * epoll event loop that accepts front-ends, keeps one device instance per
 * connection, answers the control messages, maps guest RAM, and runs the
 * device's queue handlers when the driver kicks.
 *
 * Invariants and locking:
 *  - Everything here runs on the server's one thread (vhost_user.h rule
 *    2); there are no locks. vhost_user_server_stop() only writes an
 *    eventfd and may be called from anywhere.
 *  - Untrusted: every message and descriptor from a front-end, and all of
 *    guest RAM. Messages pass vhost_user_hdr_check() and
 *    vhost_user_msg_check() before any handler runs; handlers add the
 *    checks that need state (queue index below nr_queues, ring size at
 *    most max_queue_size, ring not running, feature subsets). A refused
 *    message is logged (rate-limited) and answered as the protocol says:
 *    a failed REPLY_ACK, or an empty payload for requests that always
 *    reply. A header that cannot be trusted, a reply that cannot be sent
 *    or a socket error closes the connection; nothing ends the process.
 *  - Descriptors received are taken by the handler that needs them or
 *    closed with the message. Kick, call and back-end channel descriptors
 *    are made non-blocking, so a hostile front-end cannot stall the loop
 *    by passing a pipe; kicks must be pollable (regular files are refused
 *    by epoll), and one that hangs up or fails is no longer watched, so
 *    it cannot make the loop spin. Memory descriptors must be regular
 *    files sealed against shrinking (F_SEAL_SHRINK) and at least as long
 *    as the region claims, so mapping them cannot fault on a short file,
 *    now or later.
 *  - A connection (struct vhost_user_dev) moves created -> serving ->
 *    dead. A dead one has no descriptor in the epoll set and is freed at
 *    the end of the batch, so an event of the same batch that still points
 *    at it is recognised (dev->dead) and dropped.
 *  - A queue is "started" once SET_VRING_KICK arrived after its size,
 *    addresses and the memory table: then vrh is initialised over the
 *    current mapping. It stops on GET_VRING_BASE, RESET_OWNER,
 *    RESET_DEVICE, SET_STATUS(0) and when the connection dies. While
 *    started, its size, addresses and base cannot change, and neither can
 *    the features; a new memory table re-initialises it at the same index.
 *  - A ring violation breaks only its queue (vringh), sets NEEDS_RESET in
 *    the status, logs once and sends CONFIG_CHANGE_MSG.
 *  - Deferred work (pending kicks, a config change to resend) puts the
 *    connection on srv->work and signals srv->work_fd, so the epoll
 *    descriptor (vhost_user_server_fd()) is readable until it ran: an
 *    outer loop polling that descriptor misses nothing.
 *  - One queue_run() pops at most vq->num chains (vq->budget); then
 *    vhost_user_dev_pop() returns 0 and the queue becomes deferred work,
 *    so a guest that re-posts as fast as the device completes cannot keep
 *    the thread from other queues, connections or an outer loop.
 *  - Memory regions keep their file descriptor open while mapped
 *    (region.fd, for the device: hole punching) and close it on unmap.
 * The loop sleeps only in epoll_wait; allocation is from the C heap.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <ballast/lib/list.h>
#include <ballast/lib/log.h>

#define VU_MAX_CONNS 1024
#define VU_EVENTS 64

enum vu_src_type {
	SRC_LISTEN,
	SRC_STOP,
	SRC_WORK,
	SRC_CONN,
	SRC_BACKEND,
	SRC_KICK,
};

/* What an epoll event points at. */
struct vu_source {
	enum vu_src_type type;
	struct vhost_user_dev *dev;
	unsigned int q;
};

struct vu_queue {
	struct vu_source kick_src;
	unsigned int num;		/* SET_VRING_NUM; 0: not set */
	struct vhost_vring_addr addr;	/* SET_VRING_ADDR */
	bool addr_set;
	uint16_t base;			/* SET_VRING_BASE */
	int kick_fd, call_fd;
	bool started;			/* vrh is live */
	bool enabled;			/* SET_VRING_ENABLE */
	bool kick_pending;		/* run the handler on the next pass */
	bool violation_logged;
	unsigned int budget;		/* pops left in this queue_run() */
	struct vringh vrh;
};

struct vhost_user_dev {
	struct vhost_user_server *srv;
	struct list_head link;		/* srv->conns, then srv->dead */
	struct list_head work_link;	/* srv->work while work is pending */
	unsigned int id;
	int fd;
	struct vu_source src;
	struct vu_rx rx;
	bool dead, closing, created;
	uint64_t features;		/* accepted by SET_FEATURES */
	uint64_t protocol_features;
	uint8_t status;
	struct virtio_mem mem;
	void *map_base[VIRTIO_MEM_MAX_REGIONS];
	size_t map_len[VIRTIO_MEM_MAX_REGIONS];
	int backend_fd;
	struct vu_source backend_src;
	struct vu_rx backend_rx;
	unsigned int acks_pending;
	bool config_change_pending;
	struct vu_queue *queues;
	void *priv;
};

struct vhost_user_server {
	const struct vhost_user_dev_ops *ops;
	void *data;
	int epfd, listen_fd, stop_fd;
	int work_fd;			/* readable while work is pending */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct vu_source listen_src, stop_src, work_src;
	struct list_head conns, dead, work;
	size_t nr_conns;
	unsigned int next_id;
	bool stop;
};

#define dev_err(dev, fmt, ...)                                              \
	pr_err_ratelimited("vhost-user %s[%u]: " fmt, (dev)->srv->ops->name, \
			   (dev)->id, ##__VA_ARGS__)

static uint64_t offered_features(const struct vhost_user_server *srv)
{
	return srv->ops->features | VIRTIO_RING_FEATURES |
	       (1ULL << VHOST_USER_F_PROTOCOL_FEATURES);
}

static bool has_protocol(const struct vhost_user_dev *dev, unsigned int bit)
{
	return dev->protocol_features & (1ULL << bit);
}

static int epoll_add(struct vhost_user_server *srv, int fd, uint32_t events,
		     struct vu_source *src)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	return 0;
}

/* Remove before close: epoll keys on the file, which may live on. */
static void close_polled(struct vhost_user_server *srv, int *fd)
{
	if (*fd < 0)
		return;
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, *fd, NULL);
	close(*fd);
	*fd = -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int take_fd(int *fds, unsigned int i)
{
	int fd = fds[i];

	fds[i] = -1;
	return fd;
}

/* Run deferred work for @dev on the next pass (the epoll fd wakes up). */
static void dev_schedule(struct vhost_user_dev *dev)
{
	uint64_t one = 1;

	if (dev->dead || !list_empty(&dev->work_link))
		return;
	list_add_tail(&dev->work_link, &dev->srv->work);
	if (write(dev->srv->work_fd, &one, sizeof(one)) < 0)
		return;		/* counter full: it is readable anyway */
}

/* ------------------------------------------------------------------ */
/* Queues                                                                */
/* ------------------------------------------------------------------ */

static bool queue_enabled(const struct vhost_user_dev *dev,
			  const struct vu_queue *vq)
{
	/* Without protocol features a ring is enabled once started. */
	if (!(dev->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)))
		return true;
	return vq->enabled;
}

static void queue_stop(struct vhost_user_dev *dev, unsigned int q)
{
	struct vu_queue *vq = &dev->queues[q];

	if (vq->started) {
		if (dev->srv->ops->stop_queue)
			dev->srv->ops->stop_queue(dev, q);
		vq->base = vq->vrh.last_avail_idx;
		vringh_destroy(&vq->vrh);
		vq->started = false;
	}
	vq->kick_pending = false;
	close_polled(dev->srv, &vq->kick_fd);
	close_fd(&vq->call_fd);
}

/* Forget everything the front-end told us about queue @q. */
static void queue_clear(struct vhost_user_dev *dev, unsigned int q)
{
	struct vu_queue *vq = &dev->queues[q];

	queue_stop(dev, q);
	vq->num = 0;
	vq->addr_set = false;
	vq->base = 0;
	vq->enabled = false;
	vq->violation_logged = false;
}

/* Bytes of a ring part, event field included when negotiated. */
static uint64_t ring_part_len(const struct vhost_user_dev *dev,
			      unsigned int num, int part)
{
	uint64_t event = (dev->features & (1ULL << VIRTIO_RING_F_EVENT_IDX))
				 ? 2 : 0;

	switch (part) {
	case 0:
		return (uint64_t)num * sizeof(struct vring_desc);
	case 1:
		return 4 + 2ULL * num + event;
	default:
		return 4 + 8ULL * num + event;
	}
}

/* Build vrh over the current memory map, at index @base. */
static int queue_map(struct vhost_user_dev *dev, unsigned int q,
		     uint16_t base, char *why, size_t whylen)
{
	struct vu_queue *vq = &dev->queues[q];
	const struct vhost_vring_addr *a = &vq->addr;
	void *desc, *avail, *used;
	int ret;

	desc = virtio_mem_uaddr_to_hva(&dev->mem, a->desc_user_addr,
				       ring_part_len(dev, vq->num, 0));
	avail = virtio_mem_uaddr_to_hva(&dev->mem, a->avail_user_addr,
					ring_part_len(dev, vq->num, 1));
	used = virtio_mem_uaddr_to_hva(&dev->mem, a->used_user_addr,
				       ring_part_len(dev, vq->num, 2));
	if (!desc || !avail || !used) {
		snprintf(why, whylen, "ring %u: addresses %#llx/%#llx/%#llx "
			 "not inside the memory table", q,
			 (unsigned long long)a->desc_user_addr,
			 (unsigned long long)a->avail_user_addr,
			 (unsigned long long)a->used_user_addr);
		return -EINVAL;
	}
	ret = vringh_init(&vq->vrh, &dev->mem, vq->num, dev->features, desc,
			  avail, used);
	if (ret) {
		snprintf(why, whylen, "ring %u: %.160s", q,
			 vringh_error(&vq->vrh));
		vringh_destroy(&vq->vrh);
		return ret;
	}
	vringh_set_base(&vq->vrh, base);
	return 0;
}

static int send_config_change(struct vhost_user_dev *dev);

static void dev_mark_needs_reset(struct vhost_user_dev *dev)
{
	if (dev->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	dev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	/*
	 * virtio 2.1.2: NEEDS_RESET comes with a config change. A failure
	 * needs nothing more here: a full channel retries, a broken one was
	 * logged, and without one the front-end reads the status.
	 */
	send_config_change(dev);
}

static void queue_violation(struct vhost_user_dev *dev, unsigned int q)
{
	struct vu_queue *vq = &dev->queues[q];

	if (!vq->violation_logged) {
		vq->violation_logged = true;
		dev_err(dev, "queue %u stopped, device needs reset: %s", q,
			vringh_error(&vq->vrh));
	}
	dev_mark_needs_reset(dev);
}

static void queue_run(struct vhost_user_dev *dev, unsigned int q)
{
	struct vu_queue *vq = &dev->queues[q];

	vq->kick_pending = false;
	if (!vq->started || !queue_enabled(dev, vq) || vq->vrh.broken)
		return;
	vringh_notify_disable(&vq->vrh);
	vq->budget = vq->num;
	dev->srv->ops->handle_queue(dev, q);
	if (!dev->dead && vq->started)
		vhost_user_dev_notify(dev, q);
}

/* ------------------------------------------------------------------ */
/* Device-facing API                                                     */
/* ------------------------------------------------------------------ */

static struct vu_queue *dev_queue(struct vhost_user_dev *dev, unsigned int q)
{
	if (q >= dev->srv->ops->nr_queues)
		return NULL;
	return &dev->queues[q];
}

int vhost_user_dev_pop(struct vhost_user_dev *dev, unsigned int q,
		       struct vringh_elem *elem)
{
	struct vu_queue *vq = dev_queue(dev, q);
	int ret;

	if (!vq || !vq->started || !queue_enabled(dev, vq))
		return -EIO;
	if (!vq->budget) {
		/*
		 * A ring's worth per run: a guest that re-posts as fast as
		 * we complete must not keep the one thread from the other
		 * queues and connections. Kicks stay off; we come back.
		 */
		vq->kick_pending = true;
		dev_schedule(dev);
		return 0;
	}
	/*
	 * On empty, ask for kicks again and look once more: a buffer made
	 * available in between would otherwise wait for the next kick. Two
	 * rounds at most, so a racing guest cannot keep us here.
	 */
	for (int round = 0; round < 2; round++) {
		ret = vringh_getdesc(&vq->vrh, elem);
		if (ret)
			break;
		if (vringh_notify_enable(&vq->vrh))
			return 0;
		vringh_notify_disable(&vq->vrh);
	}
	if (ret == 1)
		vq->budget--;
	else if (ret == -EPROTO)
		queue_violation(dev, q);
	return ret;
}

int vhost_user_dev_push(struct vhost_user_dev *dev, unsigned int q,
			uint16_t head, uint32_t len)
{
	struct vu_queue *vq = dev_queue(dev, q);

	if (!vq || !vq->started)
		return -EINVAL;
	return vringh_complete(&vq->vrh, head, len);
}

void vhost_user_dev_notify(struct vhost_user_dev *dev, unsigned int q)
{
	struct vu_queue *vq = dev_queue(dev, q);
	uint64_t one = 1;

	if (!vq || !vq->started || vq->call_fd < 0)
		return;
	if (!vringh_need_notify(&vq->vrh))
		return;
	/* Non-blocking: a full counter is the front-end's problem. */
	if (write(vq->call_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		dev_err(dev, "queue %u: call eventfd: %s", q, strerror(errno));
}

void vhost_user_dev_kick(struct vhost_user_dev *dev, unsigned int q)
{
	struct vu_queue *vq = dev_queue(dev, q);

	if (!vq)
		return;
	vq->kick_pending = true;
	dev_schedule(dev);
}

/* vhost_user_dev_config_changed(), whose errno the loop does not need. */
static int send_config_change(struct vhost_user_dev *dev)
{
	struct vhost_user_hdr hdr = {
		.request = VHOST_USER_BACKEND_CONFIG_CHANGE_MSG,
		.flags = VHOST_USER_VERSION,
	};
	bool ack = has_protocol(dev, VHOST_USER_PROTOCOL_F_REPLY_ACK);
	int ret;

	if (dev->backend_fd < 0 ||
	    !has_protocol(dev, VHOST_USER_PROTOCOL_F_BACKEND_REQ) ||
	    !has_protocol(dev, VHOST_USER_PROTOCOL_F_CONFIG))
		return -ENOTCONN;
	if (ack)
		hdr.flags |= VHOST_USER_NEED_REPLY_MASK;
	ret = vu_send(dev->backend_fd, &hdr, NULL, NULL, 0, true);
	if (ret == -EAGAIN) {
		/* Coalesced: retried after the next batch of events. */
		dev->config_change_pending = true;
		dev_schedule(dev);
		return ret;
	}
	dev->config_change_pending = false;
	if (ret) {
		dev_err(dev, "back-end channel: %s; closing it",
			strerror(-ret));
		close_polled(dev->srv, &dev->backend_fd);
		vu_rx_reset(&dev->backend_rx);
		return -EPIPE;
	}
	if (ack)
		dev->acks_pending++;
	return 0;
}

int vhost_user_dev_config_changed(struct vhost_user_dev *dev)
{
	return send_config_change(dev);
}

void vhost_user_dev_needs_reset(struct vhost_user_dev *dev, const char *fmt,
				...)
{
	char msg[160];
	va_list ap;

	if (!(dev->status & VIRTIO_CONFIG_S_NEEDS_RESET)) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		dev_err(dev, "device needs reset: %s", msg);
	}
	for (unsigned int q = 0; q < dev->srv->ops->nr_queues; q++) {
		if (dev->queues[q].started) {
			dev->queues[q].vrh.broken = true;
			dev->queues[q].violation_logged = true;	/* above */
		}
	}
	dev_mark_needs_reset(dev);
}

void vhost_user_dev_set_priv(struct vhost_user_dev *dev, void *priv)
{
	dev->priv = priv;
}

void *vhost_user_dev_get_priv(const struct vhost_user_dev *dev)
{
	return dev->priv;
}

void *vhost_user_dev_server_data(const struct vhost_user_dev *dev)
{
	return dev->srv->data;
}

uint64_t vhost_user_dev_features(const struct vhost_user_dev *dev)
{
	return dev->features;
}

uint8_t vhost_user_dev_status(const struct vhost_user_dev *dev)
{
	return dev->status;
}

struct vringh *vhost_user_dev_vring(struct vhost_user_dev *dev,
				    unsigned int q)
{
	struct vu_queue *vq = dev_queue(dev, q);

	return vq && vq->started ? &vq->vrh : NULL;
}

const struct virtio_mem *vhost_user_dev_mem(const struct vhost_user_dev *dev)
{
	return &dev->mem;
}

/* ------------------------------------------------------------------ */
/* Memory table                                                          */
/* ------------------------------------------------------------------ */

static void mem_unmap(struct vhost_user_dev *dev)
{
	for (unsigned int i = 0; i < dev->mem.nr_regions; i++) {
		munmap(dev->map_base[i], dev->map_len[i]);
		close(dev->mem.regions[i].fd);
	}
	dev->mem.nr_regions = 0;
}

static int mem_map_region(const struct vhost_user_mem_region *r, int fd,
			  void **base, size_t *len, char *why, size_t whylen)
{
	uint64_t need = r->mmap_offset + r->memory_size; /* checked: no wrap */
	struct stat st;
	int seals;
	void *p;

	/*
	 * A file the front-end could shrink under our mapping would make us
	 * fault (SIGBUS) on access: require F_SEAL_SHRINK, adding it if the
	 * file allows (a memfd made with MFD_ALLOW_SEALING), before the size
	 * is read. Adding fails if sealing is itself sealed; GET_SEALS says.
	 */
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK);
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK)) {
		snprintf(why, whylen, "region file cannot be sealed against "
			 "shrinking (a memfd needs MFD_ALLOW_SEALING)");
		return -EINVAL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "region fd is not a regular file");
		return -EINVAL;
	}
	if ((uint64_t)st.st_size < need || need > SIZE_MAX) {
		snprintf(why, whylen, "region needs %#llx bytes, file has %#llx",
			 (unsigned long long)need,
			 (unsigned long long)st.st_size);
		return -EINVAL;
	}
	p = mmap(NULL, need, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(why, whylen, "mmap of %#llx bytes: %s",
			 (unsigned long long)need, strerror(errno));
		return -errno;
	}
	*base = p;
	*len = need;
	return 0;
}

static int handle_mem_table(struct vhost_user_dev *dev,
			    const struct vhost_user_memory *m, int *fds,
			    char *why, size_t whylen)
{
	struct virtio_mem mem = { .nr_regions = 0 };
	void *base[VIRTIO_MEM_MAX_REGIONS];
	size_t len[VIRTIO_MEM_MAX_REGIONS];
	unsigned int nr_queues = dev->srv->ops->nr_queues;
	int ret = 0;

	for (uint32_t i = 0; i < m->nregions; i++) {
		const struct vhost_user_mem_region *r = &m->regions[i];

		ret = mem_map_region(r, fds[i], &base[i], &len[i], why,
				     whylen);
		if (ret)
			break;
		mem.regions[i] = (struct virtio_mem_region){
			.gpa = r->guest_phys_addr,
			.size = r->memory_size,
			.uaddr = r->userspace_addr,
			.hva = (uint8_t *)base[i] + r->mmap_offset,
			.fd = take_fd(fds, i),	/* kept for the device */
			.file_offset = r->mmap_offset,
		};
		mem.nr_regions++;
	}
	if (ret) {
		for (unsigned int i = 0; i < mem.nr_regions; i++) {
			munmap(base[i], len[i]);
			close(mem.regions[i].fd);
		}
		return ret;	/* the other fds close with the message */
	}

	/* Running rings move to the new map at the index they reached. */
	for (unsigned int q = 0; q < nr_queues; q++)
		if (dev->queues[q].started && dev->srv->ops->stop_queue)
			dev->srv->ops->stop_queue(dev, q);
	mem_unmap(dev);
	dev->mem = mem;
	memcpy(dev->map_base, base, sizeof(base));
	memcpy(dev->map_len, len, sizeof(len));
	for (unsigned int q = 0; q < nr_queues; q++) {
		struct vu_queue *vq = &dev->queues[q];
		uint16_t at;
		bool broken;

		if (!vq->started)
			continue;
		at = vq->vrh.last_avail_idx;
		broken = vq->vrh.broken;
		vringh_destroy(&vq->vrh);
		/* A broken queue stays stopped until the device is reset. */
		if (broken || queue_map(dev, q, at, why, whylen)) {
			vq->started = false;
			close_polled(dev->srv, &vq->kick_fd);
			if (!broken)
				dev_err(dev, "after SET_MEM_TABLE: %s", why);
			continue;
		}
		vq->kick_pending = true;
		dev_schedule(dev);
	}
	if (dev->srv->ops->mem_changed)
		dev->srv->ops->mem_changed(dev);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Messages                                                              */
/* ------------------------------------------------------------------ */

static int dev_reply(struct vhost_user_dev *dev, uint32_t request,
		     const void *payload, uint32_t size)
{
	struct vhost_user_hdr hdr = {
		.request = request,
		.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK,
		.size = size,
	};
	int ret = vu_send(dev->fd, &hdr, payload, NULL, 0, true);

	if (ret) {
		/* A front-end that does not read its replies is broken. */
		dev_err(dev, "reply to %s: %s; closing",
			vhost_user_request_name(request), strerror(-ret));
		dev->closing = true;
	}
	return ret;
}

static int dev_reply_u64(struct vhost_user_dev *dev, uint32_t request,
			 uint64_t v)
{
	return dev_reply(dev, request, &v, sizeof(v));
}

static void dev_reset(struct vhost_user_dev *dev)
{
	for (unsigned int q = 0; q < dev->srv->ops->nr_queues; q++)
		queue_clear(dev, q);
	dev->features = 0;
	dev->status = 0;
	if (dev->srv->ops->reset)
		dev->srv->ops->reset(dev);
}

static int handle_vring_fd(struct vhost_user_dev *dev,
			   const struct vhost_user_msg *msg, int *fds,
			   char *why, size_t whylen)
{
	unsigned int q = msg->payload.u64 & VHOST_USER_VRING_IDX_MASK;
	bool nofd = msg->payload.u64 & VHOST_USER_VRING_NOFD_MASK;
	struct vu_queue *vq = &dev->queues[q];
	int fd, ret;

	if (msg->hdr.request == VHOST_USER_SET_VRING_CALL) {
		close_fd(&vq->call_fd);
		if (!nofd) {
			vq->call_fd = take_fd(fds, 0);
			set_nonblock(vq->call_fd);
		}
		return 0;
	}

	if (nofd) {
		snprintf(why, whylen, "ring %u: polling mode not supported", q);
		return -EOPNOTSUPP;
	}
	if (!vq->started && (!vq->num || !vq->addr_set ||
			     !dev->mem.nr_regions)) {
		snprintf(why, whylen, "ring %u: kick before size, addresses "
			 "and memory table", q);
		return -EINVAL;
	}
	fd = fds[0];
	ret = set_nonblock(fd);
	if (!ret)
		ret = epoll_add(dev->srv, fd, EPOLLIN, &vq->kick_src);
	if (ret) {
		snprintf(why, whylen, "ring %u: kick fd cannot be polled: %s",
			 q, strerror(-ret));
		return ret;
	}
	take_fd(fds, 0);
	if (!vq->started) {
		ret = queue_map(dev, q, vq->base, why, whylen);
		if (ret) {
			close_polled(dev->srv, &fd);
			return ret;
		}
		vq->started = true;
	}
	close_polled(dev->srv, &vq->kick_fd);
	vq->kick_fd = fd;
	/* Kicks may have been lost while no back-end listened. */
	vq->kick_pending = true;
	dev_schedule(dev);
	return 0;
}

static int handle_config(struct vhost_user_dev *dev,
			 const struct vhost_user_msg *msg, char *why,
			 size_t whylen)
{
	const struct vhost_user_dev_ops *ops = dev->srv->ops;
	const struct vhost_user_config *c = &msg->payload.config;
	struct vhost_user_config reply;
	bool get = msg->hdr.request == VHOST_USER_GET_CONFIG;
	int ret = 0;

	if (!has_protocol(dev, VHOST_USER_PROTOCOL_F_CONFIG)) {
		snprintf(why, whylen, "CONFIG not negotiated");
		ret = -EINVAL;
	} else if (c->offset > ops->config_size ||
		   c->size > ops->config_size - c->offset) {
		snprintf(why, whylen, "bytes [%u, +%u) outside a config space "
			 "of %u", c->offset, c->size, ops->config_size);
		ret = -EINVAL;
	} else if (get) {
		reply.offset = c->offset;
		reply.size = c->size;
		reply.flags = c->flags;
		ret = ops->get_config ? ops->get_config(dev, c->offset,
							reply.region, c->size)
				      : -EINVAL;
	} else {
		ret = ops->set_config ? ops->set_config(dev, c->offset,
							c->region, c->size,
							c->flags)
				      : -EINVAL;
	}
	if (ret && !why[0])
		snprintf(why, whylen, "device refused bytes [%u, +%u)",
			 c->offset, c->size);
	if (get) {
		/* An empty payload is the protocol's error answer. */
		dev_reply(dev, msg->hdr.request, &reply,
			  ret ? 0 : VHOST_USER_CONFIG_HDR_SIZE + c->size);
	}
	return ret;
}

/* Returns 0 or an errno; @why explains a refusal. */
static int dev_dispatch(struct vhost_user_dev *dev, struct vhost_user_msg *msg,
			int *fds, char *why, size_t whylen)
{
	const struct vhost_user_dev_ops *ops = dev->srv->ops;
	union vhost_user_payload *p = &msg->payload;
	uint32_t req = msg->hdr.request;
	unsigned int q = 0;
	struct vu_queue *vq = NULL;
	int ret;

	switch (req) {
	case VHOST_USER_SET_VRING_NUM:
	case VHOST_USER_SET_VRING_BASE:
	case VHOST_USER_GET_VRING_BASE:
	case VHOST_USER_SET_VRING_ENABLE:
		q = p->state.index;
		break;
	case VHOST_USER_SET_VRING_ADDR:
		q = p->addr.index;
		break;
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
		q = p->u64 & VHOST_USER_VRING_IDX_MASK;
		break;
	default:
		break;
	}
	if (q >= ops->nr_queues) {
		snprintf(why, whylen, "ring %u of %u", q, ops->nr_queues);
		if (req == VHOST_USER_GET_VRING_BASE)
			dev_reply(dev, req, NULL, 0);
		return -EINVAL;
	}
	vq = &dev->queues[q];

	switch (req) {
	case VHOST_USER_GET_FEATURES:
		return dev_reply_u64(dev, req, offered_features(dev->srv));
	case VHOST_USER_SET_FEATURES:
		if (p->u64 & ~offered_features(dev->srv)) {
			snprintf(why, whylen, "features %#llx not offered",
				 (unsigned long long)(p->u64 &
					~offered_features(dev->srv)));
			return -EINVAL;
		}
		for (unsigned int i = 0; i < ops->nr_queues; i++) {
			if (dev->queues[i].started && p->u64 != dev->features) {
				snprintf(why, whylen, "features change while "
					 "ring %u runs", i);
				return -EBUSY;
			}
		}
		if (ops->set_features) {
			ret = ops->set_features(dev, p->u64 & ~(1ULL <<
					VHOST_USER_F_PROTOCOL_FEATURES));
			if (ret) {
				snprintf(why, whylen, "device refused features "
					 "%#llx", (unsigned long long)p->u64);
				return ret;
			}
		}
		dev->features = p->u64;
		return 0;
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		return dev_reply_u64(dev, req, VHOST_USER_PROTOCOL_FEATURES);
	case VHOST_USER_SET_PROTOCOL_FEATURES:
		if (p->u64 & ~VHOST_USER_PROTOCOL_FEATURES) {
			snprintf(why, whylen, "protocol features %#llx not "
				 "offered", (unsigned long long)(p->u64 &
					~VHOST_USER_PROTOCOL_FEATURES));
			return -EINVAL;
		}
		dev->protocol_features = p->u64;
		return 0;
	case VHOST_USER_SET_OWNER:
		return 0;
	case VHOST_USER_RESET_OWNER:
		/* Deprecated; the spec recommends: disable all rings. */
		for (unsigned int i = 0; i < ops->nr_queues; i++) {
			queue_stop(dev, i);
			dev->queues[i].enabled = false;
		}
		return 0;
	case VHOST_USER_RESET_DEVICE:
		if (!has_protocol(dev, VHOST_USER_PROTOCOL_F_RESET_DEVICE)) {
			snprintf(why, whylen, "RESET_DEVICE not negotiated");
			return -EINVAL;
		}
		dev_reset(dev);
		return 0;
	case VHOST_USER_GET_QUEUE_NUM:
		return dev_reply_u64(dev, req, ops->nr_queues);
	case VHOST_USER_SET_MEM_TABLE:
		return handle_mem_table(dev, &p->memory, fds, why, whylen);
	case VHOST_USER_SET_VRING_NUM:
	case VHOST_USER_SET_VRING_ADDR:
	case VHOST_USER_SET_VRING_BASE:
		if (vq->started) {
			snprintf(why, whylen, "ring %u is running", q);
			return -EBUSY;
		}
		if (req == VHOST_USER_SET_VRING_NUM) {
			if (p->state.num > ops->max_queue_size) {
				snprintf(why, whylen, "ring %u: size %u above "
					 "%u", q, p->state.num,
					 ops->max_queue_size);
				return -EINVAL;
			}
			vq->num = p->state.num;
		} else if (req == VHOST_USER_SET_VRING_ADDR) {
			if (p->addr.flags) {
				snprintf(why, whylen, "ring %u: logging not "
					 "supported", q);
				return -EOPNOTSUPP;
			}
			vq->addr = p->addr;
			vq->addr_set = true;
		} else {
			vq->base = (uint16_t)p->state.num;
		}
		return 0;
	case VHOST_USER_GET_VRING_BASE: {
		struct vhost_vring_state st = { .index = q };

		queue_stop(dev, q);
		st.num = vq->base;
		return dev_reply(dev, req, &st, sizeof(st));
	}
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
		return handle_vring_fd(dev, msg, fds, why, whylen);
	case VHOST_USER_SET_VRING_ENABLE:
		if (!(dev->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES))) {
			snprintf(why, whylen, "SET_VRING_ENABLE without "
				 "protocol features");
			return -EINVAL;
		}
		vq->enabled = p->state.num;
		if (vq->enabled && vq->started) {
			vq->kick_pending = true;
			dev_schedule(dev);
		}
		return 0;
	case VHOST_USER_GET_CONFIG:
	case VHOST_USER_SET_CONFIG:
		return handle_config(dev, msg, why, whylen);
	case VHOST_USER_SET_BACKEND_REQ_FD: {
		struct stat st;
		int fd = fds[0];

		if (!has_protocol(dev, VHOST_USER_PROTOCOL_F_BACKEND_REQ)) {
			snprintf(why, whylen, "BACKEND_REQ not negotiated");
			return -EINVAL;
		}
		if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
		    set_nonblock(fd) ||
		    epoll_add(dev->srv, fd, EPOLLIN, &dev->backend_src)) {
			snprintf(why, whylen, "back-end channel is not a "
				 "usable socket");
			return -EINVAL;
		}
		take_fd(fds, 0);
		close_polled(dev->srv, &dev->backend_fd);
		vu_rx_reset(&dev->backend_rx);
		dev->backend_fd = fd;
		dev->acks_pending = 0;
		return 0;
	}
	case VHOST_USER_SET_STATUS:
		if (!has_protocol(dev, VHOST_USER_PROTOCOL_F_STATUS)) {
			snprintf(why, whylen, "STATUS not negotiated");
			return -EINVAL;
		}
		if (!p->u64) {
			dev_reset(dev);
			return 0;
		}
		/* NEEDS_RESET is the device's: only a reset clears it. */
		dev->status = ((uint8_t)p->u64 & ~VIRTIO_CONFIG_S_NEEDS_RESET) |
			      (dev->status & VIRTIO_CONFIG_S_NEEDS_RESET);
		return 0;
	case VHOST_USER_GET_STATUS:
		if (!has_protocol(dev, VHOST_USER_PROTOCOL_F_STATUS)) {
			snprintf(why, whylen, "STATUS not negotiated");
			dev_reply(dev, req, NULL, 0);
			return -EINVAL;
		}
		return dev_reply_u64(dev, req, dev->status);
	}
	snprintf(why, whylen, "not supported");
	return -EOPNOTSUPP;
}

static void dev_handle_msg(struct vhost_user_dev *dev)
{
	struct vhost_user_msg *msg = &dev->rx.msg;
	uint32_t req = msg->hdr.request;
	char why[192] = "";
	int ret;

	if (dev->rx.fd_overflow) {
		snprintf(why, sizeof(why), "too many descriptors");
		ret = -EPROTO;
	} else {
		ret = vhost_user_msg_check(msg, VHOST_USER_FROM_FRONTEND,
					   dev->rx.nr_fds, why, sizeof(why));
	}
	if (ret) {
		/* Requests that always reply get an empty payload. */
		if (vhost_user_needs_reply(req))
			dev_reply(dev, req, NULL, 0);
	} else {
		ret = dev_dispatch(dev, msg, dev->rx.fds, why, sizeof(why));
	}
	if (ret)
		dev_err(dev, "refused %s (%u): %s",
			vhost_user_request_name(req), req, why);
	if (!vhost_user_needs_reply(req) &&
	    (msg->hdr.flags & VHOST_USER_NEED_REPLY_MASK) &&
	    has_protocol(dev, VHOST_USER_PROTOCOL_F_REPLY_ACK))
		dev_reply_u64(dev, req, ret ? 1 : 0);
	vu_rx_reset(&dev->rx);
}

/* ------------------------------------------------------------------ */
/* Connections                                                           */
/* ------------------------------------------------------------------ */

static void dev_close(struct vhost_user_dev *dev)
{
	struct vhost_user_server *srv = dev->srv;

	if (dev->dead)
		return;
	for (unsigned int q = 0; q < srv->ops->nr_queues; q++)
		queue_stop(dev, q);
	if (dev->created && srv->ops->destroy)
		srv->ops->destroy(dev);
	mem_unmap(dev);
	close_polled(srv, &dev->fd);
	close_polled(srv, &dev->backend_fd);
	vu_rx_reset(&dev->rx);
	vu_rx_reset(&dev->backend_rx);
	dev->dead = true;
	list_del_init(&dev->work_link);
	list_move_tail(&dev->link, &srv->dead);
	srv->nr_conns--;
}

static void dev_free(struct vhost_user_dev *dev)
{
	list_del(&dev->link);
	free(dev->queues);
	free(dev);
}

int vhost_user_server_add_conn(struct vhost_user_server *srv, int fd)
{
	const struct vhost_user_dev_ops *ops = srv->ops;
	struct vhost_user_dev *dev;
	int ret;

	if (srv->nr_conns >= VU_MAX_CONNS) {
		close(fd);
		return -EBUSY;
	}
	dev = calloc(1, sizeof(*dev));
	if (dev)
		dev->queues = calloc(ops->nr_queues, sizeof(*dev->queues));
	if (!dev || !dev->queues) {
		free(dev);
		close(fd);
		return -ENOMEM;
	}
	dev->srv = srv;
	dev->id = srv->next_id++;
	dev->fd = fd;
	dev->backend_fd = -1;
	dev->src = (struct vu_source){ .type = SRC_CONN, .dev = dev };
	dev->backend_src = (struct vu_source){ .type = SRC_BACKEND,
					       .dev = dev };
	vu_rx_init(&dev->rx);
	vu_rx_init(&dev->backend_rx);
	INIT_LIST_HEAD(&dev->work_link);
	for (unsigned int q = 0; q < ops->nr_queues; q++) {
		struct vu_queue *vq = &dev->queues[q];

		vq->kick_src = (struct vu_source){ .type = SRC_KICK,
						   .dev = dev, .q = q };
		vq->kick_fd = vq->call_fd = -1;
	}
	list_add_tail(&dev->link, &srv->conns);
	srv->nr_conns++;

	ret = set_nonblock(fd);
	if (!ret)
		ret = epoll_add(srv, fd, EPOLLIN | EPOLLRDHUP, &dev->src);
	if (!ret && ops->create)
		ret = ops->create(dev);
	if (ret) {
		dev_close(dev);
		return ret;
	}
	dev->created = true;
	return 0;
}

static void dev_read(struct vhost_user_dev *dev)
{
	char why[160] = "";

	for (int i = 0; i < VU_MSGS_PER_WAKE && !dev->dead; i++) {
		int ret = vu_rx_read(dev->fd, &dev->rx,
				     VHOST_USER_FROM_FRONTEND, why,
				     sizeof(why));

		if (ret == 0)
			return;
		if (ret < 0) {
			if (ret != -ENOTCONN)
				dev_err(dev, "closing: %s",
					ret == -EPROTO ? why : strerror(-ret));
			dev_close(dev);
			return;
		}
		dev_handle_msg(dev);
		if (dev->closing)
			dev_close(dev);
	}
}

/* An acknowledgement on the back-end channel (or its end). */
static void dev_backend_read(struct vhost_user_dev *dev)
{
	char why[160] = "";
	int ret;

	for (;;) {
		ret = vu_rx_read(dev->backend_fd, &dev->backend_rx,
				 VHOST_USER_REPLY, why, sizeof(why));
		if (ret <= 0)
			break;
		if (dev->backend_rx.msg.hdr.request !=
			    VHOST_USER_BACKEND_CONFIG_CHANGE_MSG ||
		    dev->backend_rx.msg.hdr.size != sizeof(uint64_t) ||
		    dev->backend_rx.nr_fds || !dev->acks_pending) {
			snprintf(why, sizeof(why), "unexpected reply %u",
				 dev->backend_rx.msg.hdr.request);
			ret = -EPROTO;
			break;
		}
		dev->acks_pending--;
		if (dev->backend_rx.msg.payload.u64)
			dev_err(dev, "front-end failed CONFIG_CHANGE_MSG");
		vu_rx_reset(&dev->backend_rx);
	}
	if (ret < 0) {
		if (ret != -ENOTCONN)
			dev_err(dev, "back-end channel: %s; closing it",
				ret == -EPROTO ? why : strerror(-ret));
		close_polled(dev->srv, &dev->backend_fd);
		vu_rx_reset(&dev->backend_rx);
	}
}

static void dev_kicked(struct vhost_user_dev *dev, unsigned int q,
		       uint32_t events)
{
	struct vu_queue *vq = &dev->queues[q];
	uint64_t cnt;
	ssize_t n = 0;

	if (vq->kick_fd < 0)
		return;
	/*
	 * Drain the counter: one read for an eventfd. A front-end that
	 * passed something else (a pipe it keeps filling, a semaphore
	 * eventfd) gets a bounded drain; level-triggered epoll comes back.
	 */
	for (int i = 0; i < 16 && (n = read(vq->kick_fd, &cnt,
					     sizeof(cnt))) > 0; i++)
		;
	/*
	 * A kick fd at its end (a pipe whose writer is gone) or in error
	 * stays readable: it would wake the loop forever. Stop watching it;
	 * a new SET_VRING_KICK brings kicks back.
	 */
	if ((events & (EPOLLHUP | EPOLLERR)) || n == 0 ||
	    (n < 0 && errno != EAGAIN && errno != EINTR)) {
		dev_err(dev, "queue %u: kick fd hung up; no longer watched", q);
		close_polled(dev->srv, &vq->kick_fd);
	}
	queue_run(dev, q);
}

static void accept_conns(struct vhost_user_server *srv)
{
	for (;;) {
		int fd = accept4(srv->listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		int ret;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				pr_err_ratelimited("vhost-user %s: accept: %s",
						   srv->ops->name,
						   strerror(errno));
			return;
		}
		ret = vhost_user_server_add_conn(srv, fd);
		if (ret)
			pr_err_ratelimited("vhost-user %s: connection "
					   "refused: %s", srv->ops->name,
					   strerror(-ret));
	}
}

/* Deferred work: pending kicks and config changes. */
static void run_work(struct vhost_user_server *srv)
{
	LIST_HEAD(batch);

	list_splice_init(&srv->work, &batch);
	while (!list_empty(&batch)) {
		struct vhost_user_dev *dev = list_first_entry(
			&batch, struct vhost_user_dev, work_link);

		list_del_init(&dev->work_link);
		/* Handled inside: full is retried, broken logged. */
		if (dev->config_change_pending)
			send_config_change(dev);
		for (unsigned int q = 0; q < srv->ops->nr_queues && !dev->dead;
		     q++)
			if (dev->queues[q].kick_pending)
				queue_run(dev, q);
	}
}

int vhost_user_server_poll(struct vhost_user_server *srv, int timeout_ms)
{
	struct epoll_event ev[VU_EVENTS];
	int n;

	n = epoll_wait(srv->epfd, ev, VU_EVENTS, timeout_ms);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		struct vu_source *src = ev[i].data.ptr;
		struct vhost_user_dev *dev = src->dev;

		if (dev && dev->dead)
			continue;
		switch (src->type) {
		case SRC_LISTEN:
			accept_conns(srv);
			break;
		case SRC_STOP: {
			uint64_t cnt;

			if (read(srv->stop_fd, &cnt, sizeof(cnt)) > 0)
				srv->stop = true;
			break;
		}
		case SRC_WORK: {
			uint64_t cnt;
			ssize_t r = read(srv->work_fd, &cnt, sizeof(cnt));

			(void)r;	/* run_work() below does the work */
			break;
		}
		case SRC_CONN:
			dev_read(dev);
			break;
		case SRC_BACKEND:
			dev_backend_read(dev);
			break;
		case SRC_KICK:
			dev_kicked(dev, src->q, ev[i].events);
			break;
		}
	}
	run_work(srv);
	while (!list_empty(&srv->dead))
		dev_free(list_first_entry(&srv->dead, struct vhost_user_dev,
					  link));
	return n;
}

int vhost_user_server_run(struct vhost_user_server *srv)
{
	srv->stop = false;
	while (!srv->stop) {
		int ret = vhost_user_server_poll(srv, -1);

		if (ret < 0 && ret != -EINTR)
			return ret;
	}
	return 0;
}

void vhost_user_server_stop(struct vhost_user_server *srv)
{
	uint64_t one = 1;
	ssize_t n = write(srv->stop_fd, &one, sizeof(one));

	(void)n;
}

int vhost_user_server_fd(const struct vhost_user_server *srv)
{
	return srv->epfd;
}

size_t vhost_user_server_nr_conns(const struct vhost_user_server *srv)
{
	return srv->nr_conns;
}

static int ops_check(const struct vhost_user_dev_ops *ops)
{
	unsigned int qs = ops->max_queue_size;

	if (!ops->name || !ops->handle_queue || !ops->nr_queues ||
	    ops->nr_queues > VHOST_USER_MAX_QUEUES || !qs ||
	    qs > VIRTQUEUE_MAX_SIZE || (qs & (qs - 1)) ||
	    ops->config_size > VHOST_USER_MAX_CONFIG_SIZE ||
	    (ops->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)))
		return -EINVAL;
	return 0;
}

static int server_listen(struct vhost_user_server *srv, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path))
		return -EINVAL;
	strcpy(sa.sun_path, path);
	strcpy(srv->path, path);
	srv->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
					 SOCK_CLOEXEC, 0);
	if (srv->listen_fd < 0)
		return -errno;
	unlink(path);		/* a previous back-end's stale socket */
	if (bind(srv->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(srv->listen_fd, 64) < 0)
		return -errno;
	return epoll_add(srv, srv->listen_fd, EPOLLIN, &srv->listen_src);
}

int vhost_user_server_create(struct vhost_user_server **srvp,
			     const char *path,
			     const struct vhost_user_dev_ops *ops, void *data)
{
	struct vhost_user_server *srv;
	int ret;

	if (ops_check(ops))
		return -EINVAL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->ops = ops;
	srv->data = data;
	srv->listen_fd = -1;
	srv->listen_src.type = SRC_LISTEN;
	srv->stop_src.type = SRC_STOP;
	srv->work_src.type = SRC_WORK;
	INIT_LIST_HEAD(&srv->conns);
	INIT_LIST_HEAD(&srv->dead);
	INIT_LIST_HEAD(&srv->work);
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	srv->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	srv->work_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (srv->epfd < 0 || srv->stop_fd < 0 || srv->work_fd < 0) {
		ret = -errno;
		goto fail;
	}
	ret = epoll_add(srv, srv->stop_fd, EPOLLIN, &srv->stop_src);
	if (!ret)
		ret = epoll_add(srv, srv->work_fd, EPOLLIN, &srv->work_src);
	if (!ret && path)
		ret = server_listen(srv, path);
	if (ret)
		goto fail;
	*srvp = srv;
	return 0;
fail:
	vhost_user_server_destroy(srv);
	return ret;
}

void vhost_user_server_destroy(struct vhost_user_server *srv)
{
	while (!list_empty(&srv->conns))
		dev_close(list_first_entry(&srv->conns, struct vhost_user_dev,
					   link));
	while (!list_empty(&srv->dead))
		dev_free(list_first_entry(&srv->dead, struct vhost_user_dev,
					  link));
	if (srv->listen_fd >= 0) {
		close(srv->listen_fd);
		unlink(srv->path);
	}
	if (srv->stop_fd >= 0)
		close(srv->stop_fd);
	if (srv->work_fd >= 0)
		close(srv->work_fd);
	if (srv->epfd >= 0)
		close(srv->epfd);
	free(srv);
}
