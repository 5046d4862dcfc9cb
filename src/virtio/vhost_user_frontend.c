// SPDX-License-Identifier: MIT
/*
 * vhost_user_frontend.c - the guest side of vhost-user: a virtio_device
 * transport that negotiates with a back-end over a UNIX socket, shares
 * guest RAM and the rings with it, signals kicks and receives calls
 * through eventfds, and survives the back-end going away.
 *
 * Invariants and locking:
 *  - fe->lock (mutex "vhost_user_frontend->lock") serialises every
 *    request/reply transaction on the socket and protects the connection
 *    state: sock, backend_fd, backend_gen, backend_rx, device_features,
 *    acked, protocol, status, features_ok, mem_sent, and each queue's
 *    started/active flags. Replies are read by the thread that sent the
 *    request, under the lock.
 *  - fe->irq_lock (mutex "vhost_user_frontend->irq_lock") is held by the
 *    interrupt thread while it dispatches one batch of events (queue
 *    callbacks, config_changed). Tearing queues down takes and releases
 *    it after removing their eventfds from the epoll set, so no callback
 *    of a freed queue is running; on the interrupt thread itself it bumps
 *    vq_gen instead, and the batch stops at the next event.
 *  - Lock order (docs/locking.md): irq_lock -> lock -> virtqueue->lock.
 *    Code holding lock never takes irq_lock; callbacks run with irq_lock
 *    and may take lock (config reads, status, reset).
 *  - Queues: vqs[] and nvqs change only in find_vqs/del_vqs (with lock,
 *    after the interrupt thread was synchronised); notify reads them
 *    without the lock, which is safe because a queue cannot be used
 *    after del_vqs. Kick and call eventfds belong to the front-end and
 *    survive reconnects, so kicks made while disconnected are not lost.
 *  - instance is atomic (read by connected() and the instance op without
 *    the lock): 0 while disconnected, else the number of the connection
 *    (nr_connects); it is written with lock held. A disconnect closes
 *    sock and backend_fd, leaves the rings alone and clears every queue's
 *    started flag; a reconnect restarts every active queue at
 *    virtqueue_prepare_restart()'s base (vhost_user.h, reconnect
 *    decision).
 *  - Untrusted: everything the back-end sends. Replies must name the
 *    request, carry the REPLY flag and have the exact size; anything else
 *    is a protocol violation that drops the connection (-EPROTO). Back-end
 *    requests are checked with vhost_user_msg_check(); the interrupt
 *    thread reads at most VU_MSGS_PER_WAKE of them per wake-up,
 *    so a flooding back-end cannot keep it (or lock) to itself.
 * Entry points that sleep: all config ops, create, destroy, reconnect
 * (socket I/O and mutexes). Rings are allocated with GFP_KERNEL before
 * any lock is taken; bookkeeping comes from the C heap.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <ballast/alloc.h>
#include <ballast/page.h>
#include <ballast/task.h>

#define FE_DEFAULT_TIMEOUT_MS 10000
#define FE_EVENTS 16

enum fe_src_type { FE_SRC_WAKE, FE_SRC_SOCK, FE_SRC_BACKEND, FE_SRC_CALL };

struct fe_src {
	enum fe_src_type type;
	struct fe_vq *fvq;
};

struct fe_vq {
	struct fe_src src;
	struct virtqueue *vq;
	unsigned int index;
	int kick_fd, call_fd;
	bool active;			/* lock: should run on the device */
	bool started;			/* lock: set up on this connection */
};

struct vu_fe {
	struct virtio_device vdev;
	struct vhost_user_frontend_opts opts;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];

	struct mutex lock;
	int sock, backend_fd;
	uint64_t device_features;	/* offered, transport bit included */
	uint64_t acked;			/* sent with SET_FEATURES */
	uint64_t protocol;
	uint8_t status;
	bool features_ok, mem_sent;
	unsigned int max_queues;
	struct fe_vq *vqs;
	unsigned int nvqs;
	unsigned int backend_gen;	/* channels opened so far */
	struct vu_rx backend_rx;	/* lock; of channel rx_gen */
	unsigned int rx_gen;

	struct mutex irq_lock;
	struct task *irq_task;
	int epfd, wake_fd;
	struct fe_src wake_src, sock_src, backend_src;
	_Atomic(unsigned int) vq_gen;
	_Atomic(unsigned long) instance;
	unsigned long nr_connects;		/* lock */
	_Atomic(bool) stopping;
	_Atomic(bool) pending_resync;	/* run callbacks + config_changed */
	_Atomic(unsigned long) nr_reconnects;
};

static struct vu_fe *to_fe(struct virtio_device *vdev)
{
	return container_of(vdev, struct vu_fe, vdev);
}

static bool has_protocol(const struct vu_fe *fe, unsigned int bit)
{
	return fe->protocol & (1ULL << bit);
}

static void fe_wake(struct vu_fe *fe)
{
	uint64_t one = 1;
	ssize_t n = write(fe->wake_fd, &one, sizeof(one));

	(void)n;
}

static void epoll_del(struct vu_fe *fe, int fd)
{
	if (fd >= 0)
		epoll_ctl(fe->epfd, EPOLL_CTL_DEL, fd, NULL);
}

static int epoll_add(struct vu_fe *fe, int fd, uint32_t events,
		     struct fe_src *src)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	return epoll_ctl(fe->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* ------------------------------------------------------------------ */
/* Transactions                                                          */
/* ------------------------------------------------------------------ */

static void fe_disconnect_locked(struct vu_fe *fe)
{
	lockdep_assert_held(&fe->lock);
	if (fe->sock < 0)
		return;
	epoll_del(fe, fe->sock);
	close(fe->sock);
	fe->sock = -1;
	epoll_del(fe, fe->backend_fd);
	if (fe->backend_fd >= 0)
		close(fe->backend_fd);
	fe->backend_fd = -1;
	fe->mem_sent = false;
	for (unsigned int i = 0; i < fe->nvqs; i++)
		fe->vqs[i].started = false;
	atomic_store(&fe->instance, 0);
	/* The interrupt thread starts retrying (opts.reconnect_ms). */
	fe_wake(fe);
}

/*
 * One request, and its reply if it has one (or a REPLY_ACK when that is
 * negotiated). @reply receives a reply's payload, whose size is returned
 * in *@reply_size. Returns 0; -ENOTCONN; -EIO if the back-end refused
 * (failed ack, or an empty reply); -EPROTO / -ETIMEDOUT (the connection
 * is dropped then).
 */
static int fe_request_locked(struct vu_fe *fe, uint32_t req,
			     const void *payload, uint32_t size,
			     const int *fds, unsigned int nr_fds,
			     union vhost_user_payload *reply,
			     uint32_t *reply_size)
{
	struct vhost_user_hdr hdr = {
		.request = req, .flags = VHOST_USER_VERSION, .size = size,
	};
	bool explicit = vhost_user_needs_reply(req);
	bool ack = !explicit &&
		   has_protocol(fe, VHOST_USER_PROTOCOL_F_REPLY_ACK);
	struct vhost_user_msg msg;
	int ret;

	lockdep_assert_held(&fe->lock);
	if (fe->sock < 0)
		return -ENOTCONN;
	if (ack)
		hdr.flags |= VHOST_USER_NEED_REPLY_MASK;
	ret = vu_send(fe->sock, &hdr, payload, fds, nr_fds, false);
	if (ret) {
		fe_disconnect_locked(fe);
		return -ENOTCONN;
	}
	if (!explicit && !ack)
		return 0;
	ret = vu_recv_blocking(fe->sock, &msg, VHOST_USER_REPLY, NULL, 0,
			       NULL);
	if (!ret && msg.hdr.request != req)
		ret = -EPROTO;
	if (!ret && ack && msg.hdr.size != sizeof(uint64_t))
		ret = -EPROTO;
	if (ret) {
		if (ret == -EPROTO)
			pr_err_ratelimited("vhost-user front-end: bad reply to "
					   "%s; disconnecting",
					   vhost_user_request_name(req));
		fe_disconnect_locked(fe);
		return ret == -EPROTO || ret == -ETIMEDOUT ? ret : -ENOTCONN;
	}
	if (ack)
		return msg.payload.u64 ? -EIO : 0;
	if (!msg.hdr.size)
		return -EIO;
	memcpy(reply, &msg.payload, msg.hdr.size);
	*reply_size = msg.hdr.size;
	return 0;
}

static int fe_send_locked(struct vu_fe *fe, uint32_t req, const void *payload,
			  uint32_t size)
{
	return fe_request_locked(fe, req, payload, size, NULL, 0, NULL, NULL);
}

static int fe_set_u64_locked(struct vu_fe *fe, uint32_t req, uint64_t v)
{
	return fe_send_locked(fe, req, &v, sizeof(v));
}

static int fe_get_u64_locked(struct vu_fe *fe, uint32_t req, uint64_t *v)
{
	union vhost_user_payload p;
	uint32_t size = 0;
	int ret = fe_request_locked(fe, req, NULL, 0, NULL, 0, &p, &size);

	if (ret)
		return ret;
	if (size != sizeof(uint64_t)) {
		fe_disconnect_locked(fe);
		return -EPROTO;
	}
	*v = p.u64;
	return 0;
}

static int fe_set_state_locked(struct vu_fe *fe, uint32_t req,
			       unsigned int index, unsigned int num)
{
	struct vhost_vring_state st = { .index = index, .num = num };

	return fe_send_locked(fe, req, &st, sizeof(st));
}

static int fe_send_mem_table_locked(struct vu_fe *fe)
{
	struct vhost_user_memory m = {
		.nregions = 1,
		.regions[0] = {
			.guest_phys_addr = 0,
			.memory_size = page_ram_bytes(),
			.userspace_addr = (uint64_t)(uintptr_t)ram_base,
			.mmap_offset = 0,
		},
	};
	int fd = page_ram_fd();
	uint32_t size = VHOST_USER_MEM_HDR_SIZE + sizeof(m.regions[0]);
	int ret = fe_request_locked(fe, VHOST_USER_SET_MEM_TABLE, &m, size,
				    &fd, 1, NULL, NULL);

	if (!ret)
		fe->mem_sent = true;
	return ret;
}

static int fe_vring_fd_locked(struct vu_fe *fe, uint32_t req,
			      unsigned int index, int fd)
{
	uint64_t v = index;

	return fe_request_locked(fe, req, &v, sizeof(v), &fd, 1, NULL, NULL);
}

/* Set queue @fvq up on the back-end, its next available slot at @base. */
static int fe_vq_start_locked(struct vu_fe *fe, struct fe_vq *fvq,
			      uint16_t base)
{
	struct virtqueue_addrs a;
	struct vhost_vring_addr addr;
	int ret;

	virtqueue_get_addrs(fvq->vq, &a);
	addr = (struct vhost_vring_addr){
		.index = fvq->index,
		.desc_user_addr = a.desc,
		.used_user_addr = a.used,
		.avail_user_addr = a.avail,
	};
	ret = fe_set_state_locked(fe, VHOST_USER_SET_VRING_NUM, fvq->index,
				  a.num);
	if (!ret)
		ret = fe_send_locked(fe, VHOST_USER_SET_VRING_ADDR, &addr,
				     sizeof(addr));
	if (!ret)
		ret = fe_set_state_locked(fe, VHOST_USER_SET_VRING_BASE,
					  fvq->index, base);
	if (!ret)
		ret = fe_vring_fd_locked(fe, VHOST_USER_SET_VRING_KICK,
					 fvq->index, fvq->kick_fd);
	if (!ret)
		ret = fe_vring_fd_locked(fe, VHOST_USER_SET_VRING_CALL,
					 fvq->index, fvq->call_fd);
	if (!ret)
		ret = fe_set_state_locked(fe, VHOST_USER_SET_VRING_ENABLE,
					  fvq->index, 1);
	if (!ret)
		fvq->started = true;
	return ret;
}

/* Stop queue @fvq on the back-end (GET_VRING_BASE). */
static void fe_vq_stop_locked(struct vu_fe *fe, struct fe_vq *fvq)
{
	struct vhost_vring_state st = { .index = fvq->index };
	union vhost_user_payload p;
	uint32_t size = 0;

	if (!fvq->started)
		return;
	fvq->started = false;
	/* A failure means the back-end is gone: stopped all the same. */
	fe_request_locked(fe, VHOST_USER_GET_VRING_BASE, &st, sizeof(st),
			  NULL, 0, &p, &size);
}

/* ------------------------------------------------------------------ */
/* Connecting                                                            */
/* ------------------------------------------------------------------ */

static int fe_open_socket(struct vu_fe *fe)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned int ms = fe->opts.timeout_ms ? fe->opts.timeout_ms
					      : FE_DEFAULT_TIMEOUT_MS;
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };
	int fd, ret;

	strcpy(sa.sun_path, fe->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static int fe_open_backend_channel_locked(struct vu_fe *fe)
{
	int sv[2], ret;

	if (!has_protocol(fe, VHOST_USER_PROTOCOL_F_BACKEND_REQ))
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       0, sv) < 0)
		return -errno;
	ret = fe_request_locked(fe, VHOST_USER_SET_BACKEND_REQ_FD, NULL, 0,
				&sv[1], 1, NULL, NULL);
	close(sv[1]);
	if (!ret)
		ret = epoll_add(fe, sv[0], EPOLLIN, &fe->backend_src);
	if (ret) {
		close(sv[0]);
		return ret;
	}
	fe->backend_fd = sv[0];
	fe->backend_gen++;
	return 0;
}

/*
 * Connect and negotiate the session. On a reconnect, also restore the
 * accepted features, the memory table and every active queue.
 */
static int fe_connect_locked(struct vu_fe *fe, bool reconnect)
{
	const uint64_t pf = 1ULL << VHOST_USER_F_PROTOCOL_FEATURES;
	uint64_t features, protocol, nq;
	int ret;

	lockdep_assert_held(&fe->lock);
	ret = fe_open_socket(fe);
	if (ret < 0)
		return ret;
	fe->sock = ret;
	fe->protocol = 0;
	atomic_store(&fe->instance, ++fe->nr_connects);

	ret = fe_get_u64_locked(fe, VHOST_USER_GET_FEATURES, &features);
	if (ret)
		goto fail;
	ret = -EPROTO;
	if (!(features & pf) || !(features & (1ULL << VIRTIO_F_VERSION_1)))
		goto fail;
	if (reconnect && (features & fe->acked) != fe->acked)
		goto fail;	/* the new back-end lacks accepted features */
	fe->device_features = features;
	ret = fe_get_u64_locked(fe, VHOST_USER_GET_PROTOCOL_FEATURES,
				&protocol);
	if (!ret)
		ret = fe_set_u64_locked(fe, VHOST_USER_SET_PROTOCOL_FEATURES,
					protocol & VHOST_USER_PROTOCOL_FEATURES);
	if (ret)
		goto fail;
	fe->protocol = protocol & VHOST_USER_PROTOCOL_FEATURES;
	ret = fe_send_locked(fe, VHOST_USER_SET_OWNER, NULL, 0);
	if (ret)
		goto fail;
	fe->max_queues = VHOST_USER_MAX_QUEUES;
	if (has_protocol(fe, VHOST_USER_PROTOCOL_F_MQ)) {
		ret = fe_get_u64_locked(fe, VHOST_USER_GET_QUEUE_NUM, &nq);
		if (ret)
			goto fail;
		fe->max_queues = (unsigned int)min(nq,
				(uint64_t)VHOST_USER_MAX_QUEUES);
	}
	ret = fe_open_backend_channel_locked(fe);
	if (!ret)
		ret = epoll_add(fe, fe->sock, EPOLLRDHUP, &fe->sock_src);
	if (ret)
		goto fail;
	if (!reconnect || !fe->features_ok)
		return 0;

	ret = fe_set_u64_locked(fe, VHOST_USER_SET_FEATURES, fe->acked);
	if (!ret)
		ret = fe_send_mem_table_locked(fe);
	for (unsigned int i = 0; !ret && i < fe->nvqs; i++) {
		struct fe_vq *fvq = &fe->vqs[i];
		uint16_t base;

		if (!fvq->active)
			continue;
		ret = virtqueue_prepare_restart(fvq->vq, &base);
		if (!ret)
			ret = fe_vq_start_locked(fe, fvq, base);
	}
	/* NEEDS_RESET is the old device's word, not ours to restore. */
	if (!ret && has_protocol(fe, VHOST_USER_PROTOCOL_F_STATUS))
		ret = fe_set_u64_locked(fe, VHOST_USER_SET_STATUS,
					fe->status &
						~VIRTIO_CONFIG_S_NEEDS_RESET);
	if (ret)
		goto fail;
	/* Kicks may have raced with the restart; the device re-checks. */
	for (unsigned int i = 0; i < fe->nvqs; i++)
		if (fe->vqs[i].started)
			virtqueue_notify(fe->vqs[i].vq);
	return 0;
fail:
	fe_disconnect_locked(fe);
	return ret == -EIO ? -EPROTO : ret;	/* a refusal: incompatible */
}

int vhost_user_frontend_reconnect(struct virtio_device *vdev)
{
	struct vu_fe *fe = to_fe(vdev);
	int ret = 0;

	mutex_lock(&fe->lock);
	if (fe->sock < 0) {
		ret = fe_connect_locked(fe, true);
		if (!ret) {
			atomic_fetch_add(&fe->nr_reconnects, 1);
			/* Harvest what the old device did; re-read config. */
			atomic_store(&fe->pending_resync, true);
			fe_wake(fe);
		}
	}
	mutex_unlock(&fe->lock);
	return ret;
}

bool vhost_user_frontend_connected(struct virtio_device *vdev)
{
	return atomic_load(&to_fe(vdev)->instance) != 0;
}

static unsigned long fe_instance(struct virtio_device *vdev)
{
	return atomic_load(&to_fe(vdev)->instance);
}

unsigned long vhost_user_frontend_nr_reconnects(struct virtio_device *vdev)
{
	return atomic_load(&to_fe(vdev)->nr_reconnects);
}

/* ------------------------------------------------------------------ */
/* Interrupt thread                                                      */
/* ------------------------------------------------------------------ */

static void drain_eventfd(int fd)
{
	uint64_t cnt;
	ssize_t n = read(fd, &cnt, sizeof(cnt));

	(void)n;
}

/* The back-end hung up? Confirm under the lock, then disconnect. */
static void fe_check_hangup(struct vu_fe *fe)
{
	mutex_lock(&fe->lock);
	if (fe->sock >= 0) {
		char c;
		ssize_t n = recv(fe->sock, &c, 1, MSG_PEEK | MSG_DONTWAIT);

		/* Unsolicited bytes are a violation too: replies only. */
		if (n >= 0 || (errno != EAGAIN && errno != EINTR))
			fe_disconnect_locked(fe);
	}
	mutex_unlock(&fe->lock);
}

static void fe_backend_reply(struct vu_fe *fe, uint32_t req, bool ok)
{
	struct vhost_user_hdr hdr = {
		.request = req,
		.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK,
		.size = sizeof(uint64_t),
	};
	uint64_t v = ok ? 0 : 1;

	vu_send(fe->backend_fd, &hdr, &v, NULL, 0, true);
}

static void fe_backend_read(struct vu_fe *fe)
{
	struct vu_rx *rx = &fe->backend_rx;
	char why[160] = "";
	bool changed = false;
	int ret;

	mutex_lock(&fe->lock);
	if (fe->rx_gen != fe->backend_gen) {
		/* Bytes of an older channel must not prefix this one's. */
		vu_rx_reset(rx);
		fe->rx_gen = fe->backend_gen;
	}
	/*
	 * A bounded batch: a back-end that keeps sending must not hold
	 * lock, and this thread, for good. The channel is level-triggered,
	 * so what is left wakes us again after the other events.
	 */
	for (int i = 0; i < VU_MSGS_PER_WAKE; i++) {
		if (fe->backend_fd < 0) {
			vu_rx_reset(rx);
			break;
		}
		ret = vu_rx_read(fe->backend_fd, rx, VHOST_USER_FROM_BACKEND,
				 why, sizeof(why));
		if (ret == 0)
			break;
		if (ret < 0) {
			if (ret != -ENOTCONN)
				pr_err_ratelimited("vhost-user front-end: "
						   "back-end channel: %s",
						   ret == -EPROTO ? why
								  : "error");
			epoll_del(fe, fe->backend_fd);
			close(fe->backend_fd);
			fe->backend_fd = -1;
			vu_rx_reset(rx);
			break;
		}
		ret = rx->fd_overflow ? -EPROTO
				      : vhost_user_msg_check(&rx->msg,
					VHOST_USER_FROM_BACKEND, rx->nr_fds,
					why, sizeof(why));
		if (ret)
			pr_err_ratelimited("vhost-user front-end: refused "
					   "back-end request: %s", why);
		else
			changed = true;
		if ((rx->msg.hdr.flags & VHOST_USER_NEED_REPLY_MASK) &&
		    has_protocol(fe, VHOST_USER_PROTOCOL_F_REPLY_ACK))
			fe_backend_reply(fe, rx->msg.hdr.request, !ret);
		vu_rx_reset(rx);
	}
	mutex_unlock(&fe->lock);
	if (changed && fe->vdev.config_changed)
		fe->vdev.config_changed(&fe->vdev);
}

/*
 * After a reconnect: harvest what the old back-end completed, re-read the
 * config. The queue array is read under lock; it cannot be freed before
 * this batch ends (del_vqs waits for irq_lock), and a callback that
 * deletes the queues itself bumps vq_gen.
 */
static void fe_resync(struct vu_fe *fe)
{
	unsigned int gen = atomic_load(&fe->vq_gen), n;
	struct fe_vq *vqs;

	mutex_lock(&fe->lock);
	vqs = fe->vqs;
	n = fe->nvqs;
	mutex_unlock(&fe->lock);
	for (unsigned int i = 0; i < n; i++) {
		if (atomic_load(&fe->vq_gen) != gen)
			return;
		vring_interrupt(vqs[i].vq);
	}
	if (fe->vdev.config_changed)
		fe->vdev.config_changed(&fe->vdev);
}

static int fe_irq_thread(void *arg)
{
	struct vu_fe *fe = arg;
	struct epoll_event ev[FE_EVENTS];

	while (!atomic_load(&fe->stopping) && !task_should_stop()) {
		bool retry = !atomic_load(&fe->instance) &&
			     fe->opts.reconnect_ms;
		/*
		 * Sampled before waiting: queues torn down between the wait
		 * and irq_lock may be freed already, so such a batch is
		 * dropped (level-triggered events of live fds come back).
		 */
		unsigned int gen = atomic_load(&fe->vq_gen);
		int n = epoll_wait(fe->epfd, ev, FE_EVENTS,
				   retry ? (int)fe->opts.reconnect_ms : -1);

		if (n < 0 && errno != EINTR)
			break;
		mutex_lock(&fe->irq_lock);
		for (int i = 0; i < n; i++) {
			struct fe_src *src = ev[i].data.ptr;

			if (atomic_load(&fe->vq_gen) != gen)
				break;	/* queues went away under us */
			switch (src->type) {
			case FE_SRC_WAKE:
				drain_eventfd(fe->wake_fd);
				break;
			case FE_SRC_SOCK:
				fe_check_hangup(fe);
				break;
			case FE_SRC_BACKEND:
				fe_backend_read(fe);
				break;
			case FE_SRC_CALL:
				drain_eventfd(src->fvq->call_fd);
				vring_interrupt(src->fvq->vq);
				break;
			}
		}
		if (atomic_exchange(&fe->pending_resync, false))
			fe_resync(fe);
		mutex_unlock(&fe->irq_lock);
		/* A failed attempt is retried after reconnect_ms. */
		if (retry && !atomic_load(&fe->stopping) && n == 0 &&
		    vhost_user_frontend_reconnect(&fe->vdev))
			continue;
	}
	return 0;
}

/* No callback of a queue being torn down runs after this. */
static void fe_sync_irq(struct vu_fe *fe)
{
	atomic_fetch_add(&fe->vq_gen, 1);
	if (current == fe->irq_task)
		return;
	mutex_lock(&fe->irq_lock);
	mutex_unlock(&fe->irq_lock);
}

/* ------------------------------------------------------------------ */
/* virtio_config_ops                                                     */
/* ------------------------------------------------------------------ */

static int fe_config_access(struct virtio_device *vdev, uint32_t req,
			    unsigned int offset, void *buf, unsigned int len)
{
	struct vu_fe *fe = to_fe(vdev);
	struct vhost_user_config c = { .offset = offset, .size = len };
	union vhost_user_payload p;
	uint32_t size = 0;
	int ret;

	might_sleep();
	if (len > VHOST_USER_MAX_CONFIG_SIZE ||
	    offset > VHOST_USER_MAX_CONFIG_SIZE - len)
		return -EINVAL;
	if (req == VHOST_USER_SET_CONFIG)
		memcpy(c.region, buf, len);
	mutex_lock(&fe->lock);
	if (!has_protocol(fe, VHOST_USER_PROTOCOL_F_CONFIG)) {
		ret = fe->sock < 0 ? -ENOTCONN : -EIO;
		goto out;
	}
	ret = fe_request_locked(fe, req, &c, VHOST_USER_CONFIG_HDR_SIZE + len,
				NULL, 0, &p, &size);
	if (ret || req == VHOST_USER_SET_CONFIG)
		goto out;
	if (size != VHOST_USER_CONFIG_HDR_SIZE + len || p.config.size != len ||
	    p.config.offset != offset) {
		fe_disconnect_locked(fe);
		ret = -EPROTO;
		goto out;
	}
	memcpy(buf, p.config.region, len);
out:
	mutex_unlock(&fe->lock);
	return ret;
}

static int fe_get(struct virtio_device *vdev, unsigned int offset, void *buf,
		  unsigned int len)
{
	return fe_config_access(vdev, VHOST_USER_GET_CONFIG, offset, buf, len);
}

static int fe_set(struct virtio_device *vdev, unsigned int offset,
		  const void *buf, unsigned int len)
{
	return fe_config_access(vdev, VHOST_USER_SET_CONFIG, offset,
				(void *)buf, len);
}

static int fe_get_status(struct virtio_device *vdev, uint8_t *status)
{
	struct vu_fe *fe = to_fe(vdev);
	uint64_t v;
	int ret = 0;

	mutex_lock(&fe->lock);
	if (has_protocol(fe, VHOST_USER_PROTOCOL_F_STATUS) && fe->sock >= 0) {
		ret = fe_get_u64_locked(fe, VHOST_USER_GET_STATUS, &v);
		if (!ret)
			fe->status = (uint8_t)v;
	}
	*status = fe->status;
	mutex_unlock(&fe->lock);
	return ret;
}

static int fe_set_status(struct virtio_device *vdev, uint8_t status)
{
	struct vu_fe *fe = to_fe(vdev);
	int ret = 0;

	mutex_lock(&fe->lock);
	fe->status = status;
	if (has_protocol(fe, VHOST_USER_PROTOCOL_F_STATUS))
		ret = fe_set_u64_locked(fe, VHOST_USER_SET_STATUS, status);
	mutex_unlock(&fe->lock);
	return ret;
}

static int fe_reset(struct virtio_device *vdev)
{
	struct vu_fe *fe = to_fe(vdev);
	int ret = 0;

	mutex_lock(&fe->lock);
	for (unsigned int i = 0; i < fe->nvqs; i++) {
		fe_vq_stop_locked(fe, &fe->vqs[i]);
		fe->vqs[i].active = false;
	}
	if (fe->sock >= 0)
		ret = fe_send_locked(fe, has_protocol(fe,
				VHOST_USER_PROTOCOL_F_RESET_DEVICE)
					 ? VHOST_USER_RESET_DEVICE
					 : VHOST_USER_RESET_OWNER, NULL, 0);
	fe->status = 0;
	fe->features_ok = false;
	fe->acked = 0;
	mutex_unlock(&fe->lock);
	return ret == -ENOTCONN ? 0 : ret;
}

static uint64_t fe_get_features(struct virtio_device *vdev)
{
	struct vu_fe *fe = to_fe(vdev);
	uint64_t f;

	mutex_lock(&fe->lock);
	f = fe->device_features & ~(1ULL << VHOST_USER_F_PROTOCOL_FEATURES);
	mutex_unlock(&fe->lock);
	return f;
}

static int fe_finalize_features(struct virtio_device *vdev)
{
	const uint8_t want = VIRTIO_CONFIG_S_ACKNOWLEDGE |
			     VIRTIO_CONFIG_S_DRIVER |
			     VIRTIO_CONFIG_S_FEATURES_OK;
	const uint64_t pf = 1ULL << VHOST_USER_F_PROTOCOL_FEATURES;
	struct vu_fe *fe = to_fe(vdev);
	uint64_t status;
	int ret;

	mutex_lock(&fe->lock);
	if ((vdev->features & ~(fe->device_features & ~pf)) ||
	    !(vdev->features & (1ULL << VIRTIO_F_VERSION_1))) {
		ret = -EINVAL;
		goto out;
	}
	ret = fe_set_u64_locked(fe, VHOST_USER_SET_FEATURES,
				vdev->features | pf);
	if (ret)
		goto out;
	fe->acked = vdev->features | pf;
	fe->status = want;
	if (has_protocol(fe, VHOST_USER_PROTOCOL_F_STATUS)) {
		ret = fe_set_u64_locked(fe, VHOST_USER_SET_STATUS, want);
		if (!ret)
			ret = fe_get_u64_locked(fe, VHOST_USER_GET_STATUS,
						&status);
		if (!ret && !(status & VIRTIO_CONFIG_S_FEATURES_OK))
			ret = -EIO;	/* the device refused them */
	}
	fe->features_ok = !ret;
out:
	mutex_unlock(&fe->lock);
	return ret;
}

static bool fe_notify(struct virtqueue *vq)
{
	struct vu_fe *fe = to_fe(virtqueue_get_vdev(vq));
	uint64_t one = 1;

	/* Our own eventfd: works while disconnected, too. */
	return write(fe->vqs[virtqueue_get_index(vq)].kick_fd, &one,
		     sizeof(one)) == sizeof(one) || errno == EAGAIN;
}

static void fe_free_vqs(struct vu_fe *fe, struct fe_vq *vqs, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		epoll_del(fe, vqs[i].call_fd);
		vring_del_virtqueue(vqs[i].vq);
		if (vqs[i].kick_fd >= 0)
			close(vqs[i].kick_fd);
		if (vqs[i].call_fd >= 0)
			close(vqs[i].call_fd);
	}
	free(vqs);
}

static void fe_del_vqs(struct virtio_device *vdev)
{
	struct vu_fe *fe = to_fe(vdev);
	struct fe_vq *vqs;
	unsigned int n;

	mutex_lock(&fe->lock);
	for (unsigned int i = 0; i < fe->nvqs; i++) {
		fe_vq_stop_locked(fe, &fe->vqs[i]);
		fe->vqs[i].active = false;
		epoll_del(fe, fe->vqs[i].call_fd);
	}
	vqs = fe->vqs;
	n = fe->nvqs;
	fe->vqs = NULL;
	fe->nvqs = 0;
	mutex_unlock(&fe->lock);
	fe_sync_irq(fe);
	fe_free_vqs(fe, vqs, n);
}

static int fe_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
		       struct virtqueue *vqs_out[],
		       const struct virtqueue_info info[])
{
	struct vu_fe *fe = to_fe(vdev);
	struct fe_vq *vqs;
	unsigned int i;
	int ret = 0;

	might_sleep();
	if (!nvqs || nvqs > VHOST_USER_MAX_QUEUES)
		return -EINVAL;
	vqs = calloc(nvqs, sizeof(*vqs));
	if (!vqs)
		return -ENOMEM;
	for (i = 0; i < nvqs; i++) {
		vqs[i].index = i;
		vqs[i].src = (struct fe_src){ .type = FE_SRC_CALL,
					      .fvq = &vqs[i] };
		vqs[i].kick_fd = vqs[i].call_fd = -1;
	}
	/* Rings first: allocation with reclaim before any lock. */
	for (i = 0; i < nvqs; i++) {
		struct fe_vq *fvq = &vqs[i];

		fvq->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		fvq->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fvq->kick_fd < 0 || fvq->call_fd < 0) {
			ret = -errno;
			break;
		}
		ret = vring_create_virtqueue(i, fe->opts.queue_size,
					     vdev->features, fe_notify,
					     info[i].callback, info[i].name,
					     GFP_KERNEL, &fvq->vq);
		if (ret)
			break;
		virtqueue_set_vdev(fvq->vq, vdev);
	}
	if (ret) {
		fe_free_vqs(fe, vqs, nvqs);
		return ret;
	}

	mutex_lock(&fe->lock);
	if (!fe->features_ok || nvqs > fe->max_queues || fe->nvqs) {
		ret = fe->nvqs ? -EBUSY : -EINVAL;
		goto fail;
	}
	fe->vqs = vqs;
	fe->nvqs = nvqs;
	if (!fe->mem_sent)
		ret = fe_send_mem_table_locked(fe);
	for (i = 0; !ret && i < nvqs; i++) {
		vqs[i].active = true;
		ret = fe_vq_start_locked(fe, &vqs[i], 0);
	}
	for (i = 0; !ret && i < nvqs; i++)
		ret = epoll_add(fe, vqs[i].call_fd, EPOLLIN, &vqs[i].src);
	if (ret) {
		for (i = 0; i < nvqs; i++) {
			fe_vq_stop_locked(fe, &vqs[i]);
			epoll_del(fe, vqs[i].call_fd);
		}
		fe->vqs = NULL;
		fe->nvqs = 0;
		goto fail;
	}
	mutex_unlock(&fe->lock);
	for (i = 0; i < nvqs; i++)
		vqs_out[i] = vqs[i].vq;
	return 0;
fail:
	mutex_unlock(&fe->lock);
	fe_sync_irq(fe);
	fe_free_vqs(fe, vqs, nvqs);
	return ret;
}

static const struct virtio_config_ops fe_config_ops = {
	.get = fe_get,
	.set = fe_set,
	.get_status = fe_get_status,
	.set_status = fe_set_status,
	.reset = fe_reset,
	.get_features = fe_get_features,
	.finalize_features = fe_finalize_features,
	.find_vqs = fe_find_vqs,
	.del_vqs = fe_del_vqs,
	.instance = fe_instance,
};

/* ------------------------------------------------------------------ */
/* Create / destroy                                                      */
/* ------------------------------------------------------------------ */

static void fe_free(struct vu_fe *fe)
{
	if (fe->epfd >= 0)
		close(fe->epfd);
	if (fe->wake_fd >= 0)
		close(fe->wake_fd);
	mutex_destroy(&fe->lock);
	mutex_destroy(&fe->irq_lock);
	free(fe);
}

int vhost_user_frontend_create(const struct vhost_user_frontend_opts *opts,
			       struct virtio_device **vdevp)
{
	unsigned int qs = opts->queue_size;
	struct vu_fe *fe;
	int ret;

	might_sleep();
	if (!opts->path || strlen(opts->path) >= sizeof(fe->path) || !qs ||
	    qs > VIRTQUEUE_MAX_SIZE || (qs & (qs - 1)) || !ram_base)
		return -EINVAL;
	fe = calloc(1, sizeof(*fe));
	if (!fe)
		return -ENOMEM;
	fe->opts = *opts;
	strcpy(fe->path, opts->path);
	fe->opts.path = fe->path;
	fe->vdev.id = opts->device_id;
	fe->vdev.config = &fe_config_ops;
	fe->sock = fe->backend_fd = -1;
	fe->wake_src.type = FE_SRC_WAKE;
	fe->sock_src.type = FE_SRC_SOCK;
	fe->backend_src.type = FE_SRC_BACKEND;
	vu_rx_init(&fe->backend_rx);
	mutex_init(&fe->lock);
	mutex_init(&fe->irq_lock);
	fe->epfd = epoll_create1(EPOLL_CLOEXEC);
	fe->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fe->epfd < 0 || fe->wake_fd < 0) {
		ret = -errno;
		goto fail;
	}
	ret = epoll_add(fe, fe->wake_fd, EPOLLIN, &fe->wake_src);
	if (ret)
		goto fail;

	mutex_lock(&fe->lock);
	ret = fe_connect_locked(fe, false);
	if (!ret)
		fe->status = VIRTIO_CONFIG_S_ACKNOWLEDGE |
			     VIRTIO_CONFIG_S_DRIVER;
	mutex_unlock(&fe->lock);
	if (ret)
		goto fail;
	ret = task_create(&fe->irq_task, "vu-irq", fe_irq_thread, fe,
			  PF_KTHREAD);
	if (ret) {
		mutex_lock(&fe->lock);
		fe_disconnect_locked(fe);
		mutex_unlock(&fe->lock);
		goto fail;
	}
	*vdevp = &fe->vdev;
	return 0;
fail:
	fe_free(fe);
	return ret;
}

void vhost_user_frontend_destroy(struct virtio_device *vdev)
{
	struct vu_fe *fe;

	if (!vdev)
		return;
	fe = to_fe(vdev);
	atomic_store(&fe->stopping, true);
	fe_wake(fe);
	task_destroy(fe->irq_task);
	fe->irq_task = NULL;
	if (fe->nvqs)
		fe_del_vqs(vdev);
	mutex_lock(&fe->lock);
	fe_disconnect_locked(fe);
	mutex_unlock(&fe->lock);
	vu_rx_reset(&fe->backend_rx);
	fe_free(fe);
}
