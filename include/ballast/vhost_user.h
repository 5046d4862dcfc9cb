// SPDX-License-Identifier: MIT
/*
 * vhost_user.h - the vhost-user protocol between the guest (front-end, the
 * VMM role) and the host (back-end, the device role), as QEMU's
 * docs/interop/vhost-user.rst defines it: the message layout, the back-end
 * (a device-ops interface, one device instance per connection, an epoll
 * server) and the front-end (a virtio_device transport for guest drivers).
 *
 * Subset spoken: GET/SET_FEATURES, GET/SET_PROTOCOL_FEATURES, SET_OWNER,
 * RESET_OWNER, RESET_DEVICE, GET_QUEUE_NUM, SET_MEM_TABLE, SET_VRING_NUM,
 * SET_VRING_ADDR, SET_VRING_BASE, GET_VRING_BASE, SET_VRING_KICK,
 * SET_VRING_CALL, SET_VRING_ENABLE, GET_CONFIG, SET_CONFIG,
 * SET_BACKEND_REQ_FD, SET_STATUS, GET_STATUS; from the back-end,
 * CONFIG_CHANGE_MSG; REPLY_ACK when negotiated. Anything else is refused.
 *
 * Protocol decisions (see docs/virtio.md for the reasons):
 *  - Queue numbering: the vhost-user ring index is the virtqueue index,
 *    0..nr_queues-1 of the device ops; GET_QUEUE_NUM answers nr_queues.
 *  - Memory: the front-end sends guest RAM as one region, guest address 0,
 *    its RAM memfd, mmap offset 0. Descriptor addresses are guest-physical;
 *    SET_VRING_ADDR carries front-end virtual addresses (the spec's "user
 *    addresses"), which the back-end translates through the regions.
 *  - Reconnect: when the back-end goes away the front-end keeps its rings;
 *    on reconnect it harvests what the old back-end completed, re-posts the
 *    buffers still in flight in submission order right after used->idx,
 *    and sends SET_VRING_BASE with that used index. Buffers in flight at
 *    the crash are therefore processed again: at least once, never lost.
 *  - NEEDS_RESET: a ring violation stops the queue and sets
 *    VIRTIO_CONFIG_S_NEEDS_RESET in the status GET_STATUS reports; the
 *    back-end then sends CONFIG_CHANGE_MSG, as the virtio spec requires.
 *
 * Rules for users:
 *  1. Everything read from the socket is untrusted on both sides: every
 *     message is validated (header, size, flags, request, fd count, ranges)
 *     before use; an invalid one is refused and logged, never asserted on.
 *  2. Back-end code (struct vhost_user_dev_ops, the server) runs on the
 *     server's one event-loop thread; device callbacks never run
 *     concurrently for one server and must not block for long.
 *  3. The back-end includes only virtio and lib headers: it can live in the
 *     host process, which has no guest memory manager.
 *  4. Front-end callbacks (queue callbacks, config_changed) run on the
 *     front-end's interrupt thread.
 */
#ifndef BALLAST_VHOST_USER_H
#define BALLAST_VHOST_USER_H

#include <stdint.h>
#include <sys/types.h>
#include <linux/vhost_types.h>
#include <ballast/virtio.h>
#include <ballast/lib/compiler.h>

/* ------------------------------------------------------------------ */
/* Wire format                                                           */
/* ------------------------------------------------------------------ */

#define VHOST_USER_VERSION		0x1u
#define VHOST_USER_VERSION_MASK		0x3u
#define VHOST_USER_REPLY_MASK		(1u << 2)
#define VHOST_USER_NEED_REPLY_MASK	(1u << 3)
#define VHOST_USER_FLAGS_MASK		(VHOST_USER_VERSION_MASK |     \
					 VHOST_USER_REPLY_MASK |       \
					 VHOST_USER_NEED_REPLY_MASK)

/* Feature bit (in GET_FEATURES) announcing protocol features. */
#define VHOST_USER_F_PROTOCOL_FEATURES	30

enum vhost_user_protocol_feature {
	VHOST_USER_PROTOCOL_F_MQ = 0,
	VHOST_USER_PROTOCOL_F_LOG_SHMFD = 1,
	VHOST_USER_PROTOCOL_F_RARP = 2,
	VHOST_USER_PROTOCOL_F_REPLY_ACK = 3,
	VHOST_USER_PROTOCOL_F_NET_MTU = 4,
	VHOST_USER_PROTOCOL_F_BACKEND_REQ = 5,
	VHOST_USER_PROTOCOL_F_CROSS_ENDIAN = 6,
	VHOST_USER_PROTOCOL_F_CRYPTO_SESSION = 7,
	VHOST_USER_PROTOCOL_F_PAGEFAULT = 8,
	VHOST_USER_PROTOCOL_F_CONFIG = 9,
	VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD = 10,
	VHOST_USER_PROTOCOL_F_HOST_NOTIFIER = 11,
	VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD = 12,
	VHOST_USER_PROTOCOL_F_RESET_DEVICE = 13,
	VHOST_USER_PROTOCOL_F_INBAND_NOTIFICATIONS = 14,
	VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS = 15,
	VHOST_USER_PROTOCOL_F_STATUS = 16,
};

/* Protocol features ballast speaks. */
#define VHOST_USER_PROTOCOL_FEATURES                                      \
	((1ULL << VHOST_USER_PROTOCOL_F_MQ) |                             \
	 (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) |                      \
	 (1ULL << VHOST_USER_PROTOCOL_F_BACKEND_REQ) |                    \
	 (1ULL << VHOST_USER_PROTOCOL_F_CONFIG) |                         \
	 (1ULL << VHOST_USER_PROTOCOL_F_RESET_DEVICE) |                   \
	 (1ULL << VHOST_USER_PROTOCOL_F_STATUS))

/* Front-end requests (the spec's ids). */
enum vhost_user_request {
	VHOST_USER_NONE = 0,
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_LOG_BASE = 6,
	VHOST_USER_SET_LOG_FD = 7,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_SEND_RARP = 19,
	VHOST_USER_NET_SET_MTU = 20,
	VHOST_USER_SET_BACKEND_REQ_FD = 21,
	VHOST_USER_IOTLB_MSG = 22,
	VHOST_USER_SET_VRING_ENDIAN = 23,
	VHOST_USER_GET_CONFIG = 24,
	VHOST_USER_SET_CONFIG = 25,
	VHOST_USER_RESET_DEVICE = 34,
	VHOST_USER_SET_STATUS = 39,
	VHOST_USER_GET_STATUS = 40,
	VHOST_USER_REQUEST_MAX = 41,	/* ids at or above: unknown */
};

/* Back-end requests, on the SET_BACKEND_REQ_FD channel. */
enum vhost_user_backend_request {
	VHOST_USER_BACKEND_NONE = 0,
	VHOST_USER_BACKEND_IOTLB_MSG = 1,
	VHOST_USER_BACKEND_CONFIG_CHANGE_MSG = 2,
	VHOST_USER_BACKEND_REQUEST_MAX = 3,
};

/* SET_VRING_KICK / SET_VRING_CALL payload: ring index and "no fd". */
#define VHOST_USER_VRING_IDX_MASK	0xffULL
#define VHOST_USER_VRING_NOFD_MASK	(1ULL << 8)

#define VHOST_USER_MAX_RAM_SLOTS	8
#define VHOST_USER_MAX_FDS		8
#define VHOST_USER_MAX_CONFIG_SIZE	256

/* SET_CONFIG flags */
#define VHOST_SET_CONFIG_TYPE_FRONTEND	0
#define VHOST_SET_CONFIG_TYPE_MIGRATION	1

/*
 * The wire message is a 12-byte header followed by `size` payload bytes,
 * in native byte order. In memory ballast keeps them apart (the payload
 * union is naturally aligned), and sends and receives the two parts with
 * one iovec each, so nothing here is packed.
 */
struct vhost_user_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
};
#define VHOST_USER_HDR_SIZE 12u
_Static_assert(sizeof(struct vhost_user_hdr) == VHOST_USER_HDR_SIZE,
	       "vhost-user header is 12 bytes");

struct vhost_user_mem_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
};

/* SET_MEM_TABLE: only the first nregions entries are sent. */
struct vhost_user_memory {
	uint32_t nregions;
	uint32_t padding;
	struct vhost_user_mem_region regions[VHOST_USER_MAX_RAM_SLOTS];
};
#define VHOST_USER_MEM_HDR_SIZE 8u

/* GET_CONFIG / SET_CONFIG: only the first size bytes of region are sent. */
struct vhost_user_config {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
	uint8_t region[VHOST_USER_MAX_CONFIG_SIZE];
};
#define VHOST_USER_CONFIG_HDR_SIZE 12u

union vhost_user_payload {
	uint64_t u64;
	struct vhost_vring_state state;	/* <linux/vhost_types.h> */
	struct vhost_vring_addr addr;	/* <linux/vhost_types.h> */
	struct vhost_user_memory memory;
	struct vhost_user_config config;
};
#define VHOST_USER_MAX_PAYLOAD ((uint32_t)sizeof(union vhost_user_payload))

struct vhost_user_msg {
	struct vhost_user_hdr hdr;
	union vhost_user_payload payload;
};

/* Which side sent a message (the checks differ). */
enum vhost_user_dir {
	VHOST_USER_FROM_FRONTEND,	/* request on the main socket */
	VHOST_USER_FROM_BACKEND,	/* request on the back-end channel */
	VHOST_USER_REPLY,		/* a reply, either channel */
};

/**
 * vhost_user_hdr_check() - validate a header before reading its payload.
 * @hdr: the 12 bytes as received.
 * @dir: who sent it.
 * @why, @whylen: a one-line reason on failure.
 *
 * Checks the version, that no unknown flag is set, that the reply flag
 * matches @dir, and that the size is at most VHOST_USER_MAX_PAYLOAD.
 * Context: no locks; never sleeps; no allocation; pure (callable anywhere).
 * Return: 0, or -EPROTO if the stream cannot be trusted any more (the
 * connection must be closed: the payload boundary is unknown).
 */
int __must_check vhost_user_hdr_check(const struct vhost_user_hdr *hdr,
				      enum vhost_user_dir dir, char *why,
				      size_t whylen);

/**
 * vhost_user_msg_check() - validate a complete request (header already
 * passed vhost_user_hdr_check()) and the number of fds that came with it.
 * @msg: header and payload (hdr.size bytes of it are meaningful).
 * @dir: VHOST_USER_FROM_FRONTEND or VHOST_USER_FROM_BACKEND.
 * @nr_fds: descriptors received with the message.
 *
 * Stateless checks: the request is one of the subset, the payload has the
 * exact size its request needs (for SET_MEM_TABLE and the config messages,
 * the size their own count fields give), the fd count matches (one per
 * memory region; one for KICK/CALL unless the no-fd bit is set; one for
 * SET_BACKEND_REQ_FD; none otherwise), counts and ranges are in bounds
 * (regions, config offset + size, index bits, enable 0/1).
 *
 * Context: no locks; never sleeps; no allocation; pure (callable anywhere).
 * Return: 0; -EOPNOTSUPP for a request outside the subset; -EPROTO for a
 * malformed one. Either way the payload was consumed and the stream is
 * still in step: the message can be refused and the connection kept.
 */
int __must_check vhost_user_msg_check(const struct vhost_user_msg *msg,
				      enum vhost_user_dir dir,
				      unsigned int nr_fds, char *why,
				      size_t whylen);

/**
 * vhost_user_request_name() - printable name of a front-end request.
 * Context: no locks; never sleeps; no allocation; pure (callable
 * anywhere, reclaim included).
 * Return: a static string, "GET_FEATURES", ..., or "unknown".
 */
const char *vhost_user_request_name(uint32_t request);

/**
 * vhost_user_needs_reply() - does @request always get a reply, whatever
 * REPLY_ACK says (GET_FEATURES, GET_PROTOCOL_FEATURES, GET_VRING_BASE,
 * GET_QUEUE_NUM, GET_CONFIG, GET_STATUS)?
 * Context: no locks; never sleeps; no allocation; pure (callable
 * anywhere, reclaim included).
 * Return: true for those requests, false for any other value.
 */
bool vhost_user_needs_reply(uint32_t request);

/* ------------------------------------------------------------------ */
/* Back-end: device operations                                           */
/* ------------------------------------------------------------------ */

struct vhost_user_dev;
struct vhost_user_server;

/*
 * struct vhost_user_dev_ops - what a device implements on top of the
 * back-end. Immutable; shared by every connection of a server. All
 * callbacks run on the server's thread (rule 2) and may not block. A
 * callback that returns an errno refuses the request (the front-end gets
 * a failed REPLY_ACK, or the error payload GET_CONFIG defines).
 */
struct vhost_user_dev_ops {
	const char *name;
	uint32_t device_id;		/* VIRTIO_ID_* */
	unsigned int nr_queues;		/* 1..VHOST_USER_MAX_QUEUES */
	unsigned int max_queue_size;	/* power of two <= VIRTQUEUE_MAX_SIZE */
	uint64_t features;		/* device bits; ring bits are added */
	uint32_t config_size;		/* <= VHOST_USER_MAX_CONFIG_SIZE */

	/* A front-end connected: set up per-connection state (set_priv). */
	int (*create)(struct vhost_user_dev *dev);
	/* The connection is gone: free it. Queues are already stopped. */
	void (*destroy)(struct vhost_user_dev *dev);
	/* The driver accepted @features (a subset of those offered). */
	int (*set_features)(struct vhost_user_dev *dev, uint64_t features);
	/* Copy config bytes [offset, offset + len) into @buf (in range). */
	int (*get_config)(struct vhost_user_dev *dev, uint32_t offset,
			  void *buf, uint32_t len);
	/* The driver writes config bytes; refuse read-only fields. */
	int (*set_config)(struct vhost_user_dev *dev, uint32_t offset,
			  const void *buf, uint32_t len, uint32_t flags);
	/*
	 * Queue @q was kicked (or started, or re-enabled): pop with
	 * vhost_user_dev_pop() until it returns 0, push what was consumed.
	 * The server notifies the driver afterwards as EVENT_IDX allows,
	 * and runs the handler again if the pops were cut short.
	 */
	void (*handle_queue)(struct vhost_user_dev *dev, unsigned int q);
	/* Queue @q stops (GET_VRING_BASE, reset): give back held chains. */
	void (*stop_queue)(struct vhost_user_dev *dev, unsigned int q);
	/* The device is reset: back to the state after create. */
	void (*reset)(struct vhost_user_dev *dev);
	/*
	 * A new memory table is in force (vhost_user_dev_mem()); queues
	 * were stopped and restarted around the change. Optional.
	 */
	void (*mem_changed)(struct vhost_user_dev *dev);
};

#define VHOST_USER_MAX_QUEUES 64

/**
 * vhost_user_dev_pop() - the next available chain of queue @q, validated
 * (virtio.h rule 6). On a ring violation the queue stops, the device is
 * marked NEEDS_RESET and the violation is logged once (rate-limited).
 * @elem: caller's element; @elem->iov_max >= the ops' max_queue_size.
 *
 * Context: server thread, no ballast locks (the host has none); never
 * sleeps; no allocation; inside handle_queue.
 * Return: 1 and @elem; 0 if the ring is empty (notifications are enabled
 * again, race-free) or if this run of handle_queue has popped a ring's
 * worth already (the queue runs again on the next loop pass, so one busy
 * queue cannot starve the others); -EPROTO if the queue is broken; -EIO
 * if the queue is stopped, disabled or not set up; -EINVAL for a short
 * @elem.
 */
int __must_check vhost_user_dev_pop(struct vhost_user_dev *dev,
				    unsigned int q, struct vringh_elem *elem);

/**
 * vhost_user_dev_push() - return chain @head of queue @q to the driver
 * with @len bytes written. The driver is notified by
 * vhost_user_dev_notify() or after handle_queue returns.
 *
 * Context: server thread, no ballast locks (the host has none); never
 * sleeps; no allocation.
 * Return: 0; -EINVAL if @head is not in flight or @q is bad; -EPROTO if
 * the queue is broken (the chain is dropped with the queue).
 */
int __must_check vhost_user_dev_push(struct vhost_user_dev *dev,
				     unsigned int q, uint16_t head,
				     uint32_t len);

/**
 * vhost_user_dev_notify() - signal the call eventfd of queue @q if the
 * driver wants an interrupt for what was pushed (EVENT_IDX aware).
 * Context: server thread, no ballast locks (the host has none); never
 * sleeps (non-blocking eventfd write); no allocation.
 */
void vhost_user_dev_notify(struct vhost_user_dev *dev, unsigned int q);

/**
 * vhost_user_dev_kick() - run handle_queue for @q again on the next loop
 * iteration (a device that stopped popping for lack of resources).
 * Context: server thread, no ballast locks (the host has none); never
 * sleeps; no allocation.
 */
void vhost_user_dev_kick(struct vhost_user_dev *dev, unsigned int q);

/**
 * vhost_user_dev_config_changed() - send CONFIG_CHANGE_MSG to the
 * front-end (needs BACKEND_REQ and CONFIG negotiated and a channel). With
 * REPLY_ACK the front-end's acknowledgement is read asynchronously.
 *
 * Context: server thread, no ballast locks (the host has none); never
 * sleeps (non-blocking send); no allocation.
 * Return: 0; -ENOTCONN if there is no back-end channel; -EAGAIN if the
 * channel is full (the change is sent later, coalesced); -EPIPE if it
 * broke.
 */
int __must_check vhost_user_dev_config_changed(struct vhost_user_dev *dev);

/**
 * vhost_user_dev_needs_reset() - the device cannot go on: set
 * VIRTIO_CONFIG_S_NEEDS_RESET, stop every queue, log @fmt once
 * (rate-limited) and tell the front-end (CONFIG_CHANGE_MSG).
 * Context: server thread, no ballast locks (the host has none); never
 * sleeps; no allocation.
 */
void vhost_user_dev_needs_reset(struct vhost_user_dev *dev, const char *fmt,
				...) __printf(2, 3);

/**
 * vhost_user_dev_set_priv() - attach the device's per-connection state
 * @priv to @dev (usually in create).
 * Context: server thread, no ballast locks (the host has none); never
 * sleeps; no allocation; no reclaim.
 */
void vhost_user_dev_set_priv(struct vhost_user_dev *dev, void *priv);

/**
 * vhost_user_dev_get_priv() - the device's per-connection state.
 * Context: server thread, no ballast locks (the host has none); never
 * sleeps; no allocation; no reclaim.
 * Return: what vhost_user_dev_set_priv() stored, or NULL.
 */
void *vhost_user_dev_get_priv(const struct vhost_user_dev *dev);

/**
 * vhost_user_dev_server_data() - the server-wide data of @dev's server.
 * Context: server thread, no ballast locks (the host has none); never
 * sleeps; no allocation; no reclaim.
 * Return: the @data given to vhost_user_server_create().
 */
void *vhost_user_dev_server_data(const struct vhost_user_dev *dev);

/**
 * vhost_user_dev_features() - the virtio features the driver accepted.
 * Context: server thread, no ballast locks (the host has none); never
 * sleeps; no allocation; no reclaim.
 * Return: the bits of the last SET_FEATURES (protocol-features bit
 * included if accepted), 0 before it or after a reset.
 */
uint64_t vhost_user_dev_features(const struct vhost_user_dev *dev);

/**
 * vhost_user_dev_status() - the device status byte (GET_STATUS).
 * Context: server thread, no ballast locks (the host has none); never
 * sleeps; no allocation; no reclaim.
 * Return: what the driver set with SET_STATUS, plus
 * VIRTIO_CONFIG_S_NEEDS_RESET once the device asked for a reset; 0 after
 * a reset.
 */
uint8_t vhost_user_dev_status(const struct vhost_user_dev *dev);

/**
 * vhost_user_dev_vring() - the device half of queue @q.
 * Context: server thread, no ballast locks (the host has none); never
 * sleeps; no allocation; no reclaim.
 * Return: the ring, valid until the queue stops; NULL if @q is out of
 * range or not started.
 */
struct vringh *vhost_user_dev_vring(struct vhost_user_dev *dev,
				    unsigned int q);

/**
 * vhost_user_dev_mem() - guest RAM as mapped for this connection. Each
 * region keeps its file open (region.fd) until the table is replaced or
 * the connection ends, e.g. for hole punching.
 * Context: server thread, no ballast locks (the host has none); never
 * sleeps; no allocation; no reclaim.
 * Return: the map, owned by @dev and valid until the next SET_MEM_TABLE
 * (mem_changed) or destroy; no regions before the first SET_MEM_TABLE.
 */
const struct virtio_mem *vhost_user_dev_mem(const struct vhost_user_dev *dev);

/* ------------------------------------------------------------------ */
/* Back-end: server                                                      */
/* ------------------------------------------------------------------ */

/**
 * vhost_user_server_create() - a back-end listening on @path (NULL: no
 * listening socket; add connections with vhost_user_server_add_conn()).
 * A stale socket file at @path is replaced.
 * @ops: the device; validated (queue counts and sizes, config size).
 * @data: returned by vhost_user_dev_server_data().
 *
 * Context: no locks; may sleep; allocates from the C heap (the host has
 * no ballast allocator, so no reclaim).
 * Return: 0; -EINVAL for bad @ops or a too long @path; -ENOMEM; the errno
 * of socket(), bind(), listen() or epoll_create1().
 */
int __must_check vhost_user_server_create(struct vhost_user_server **srvp,
					  const char *path,
					  const struct vhost_user_dev_ops *ops,
					  void *data);

/**
 * vhost_user_server_add_conn() - serve a connected stream socket @fd (the
 * server owns it from now on, even on failure).
 * Context: the server's thread, no locks; never sleeps; allocates from
 * the C heap.
 * Return: 0; -ENOMEM; -EBUSY at the connection limit; the device's create
 * errno.
 */
int __must_check vhost_user_server_add_conn(struct vhost_user_server *srv,
					    int fd);

/**
 * vhost_user_server_poll() - wait up to @timeout_ms (-1: forever) and
 * handle one batch of events: new connections, messages, kicks, closes.
 * Context: the server's thread, no locks; sleeps in epoll_wait; may
 * allocate from the C heap (new connections).
 * Return: the number of events handled; -EINTR if interrupted; another
 * errno of epoll_wait.
 */
int __must_check vhost_user_server_poll(struct vhost_user_server *srv,
					int timeout_ms);

/**
 * vhost_user_server_run() - vhost_user_server_poll() until
 * vhost_user_server_stop().
 * Context: as vhost_user_server_poll(). Return: 0, or an errno of
 * epoll_wait.
 */
int __must_check vhost_user_server_run(struct vhost_user_server *srv);

/**
 * vhost_user_server_stop() - make vhost_user_server_run() return.
 * Context: any thread, or a signal handler (one eventfd write); never
 * sleeps; no allocation.
 */
void vhost_user_server_stop(struct vhost_user_server *srv);

/**
 * vhost_user_server_fd() - the server's epoll descriptor, readable
 * whenever vhost_user_server_poll(@srv, 0) has work, so an outer event
 * loop (the host's control socket) can wait on it too.
 * Context: any; never sleeps; no allocation.
 * Return: the descriptor (owned by @srv).
 */
int vhost_user_server_fd(const struct vhost_user_server *srv);

/**
 * vhost_user_server_nr_conns() - live connections.
 * Context: server thread; never sleeps. Return: their number.
 */
size_t vhost_user_server_nr_conns(const struct vhost_user_server *srv);

/**
 * vhost_user_server_destroy() - close every connection (destroying its
 * device instance), the listening socket (unlinking @path) and the loop.
 * Context: the server's thread, or after it stopped; may sleep (close,
 * munmap); frees only.
 */
void vhost_user_server_destroy(struct vhost_user_server *srv);

/* ------------------------------------------------------------------ */
/* Front-end (guest)                                                     */
/* ------------------------------------------------------------------ */

struct vhost_user_frontend_opts {
	const char *path;		/* the back-end's socket */
	uint32_t device_id;		/* VIRTIO_ID_* the driver expects */
	unsigned int queue_size;	/* ring size of every queue */
	/*
	 * While disconnected, the interrupt thread tries to reconnect every
	 * reconnect_ms milliseconds; 0: only vhost_user_frontend_reconnect().
	 */
	unsigned int reconnect_ms;
	/* A reply later than this means the back-end is gone (0: 10 s). */
	unsigned int timeout_ms;
};

/**
 * vhost_user_frontend_create() - connect to a back-end and present it as
 * a virtio_device: reads the device's features, negotiates protocol
 * features, takes ownership, opens the back-end channel, and starts the
 * interrupt thread (a ballast task) that runs queue callbacks and
 * config_changed, and reconnects (opts->reconnect_ms).
 *
 * Context: no locks; may sleep; allocates from the C heap (the
 * transport's bookkeeping, the VMM's side) and starts a task; no guest
 * RAM allocation (rings come with find_vqs), so no reclaim; not from
 * reclaim.
 * Return: 0 and *@vdevp; -EINVAL for bad @opts; -ENOMEM; -EPROTO if the
 * back-end misbehaved or lacks what ballast needs (VIRTIO_F_VERSION_1,
 * protocol features); -ENOTCONN/-ECONNREFUSED/-ENOENT if nothing listens;
 * -ETIMEDOUT if it did not answer.
 */
int __must_check vhost_user_frontend_create(
	const struct vhost_user_frontend_opts *opts,
	struct virtio_device **vdevp);

/**
 * vhost_user_frontend_destroy() - stop the interrupt thread, stop and
 * delete the queues (their buffers are forgotten: detach them first),
 * disconnect and free.
 * Context: no locks held, not on the interrupt thread; may sleep (joins
 * the interrupt thread, stops queues on the device); frees only; not from
 * reclaim.
 */
void vhost_user_frontend_destroy(struct virtio_device *vdev);

/**
 * vhost_user_frontend_reconnect() - if disconnected, connect again and
 * re-establish the negotiated state and every started queue (see the
 * reconnect decision above); then run config_changed.
 *
 * Context: no virtqueue or front-end lock held; takes the front-end's
 * lock, then each queue's; may sleep; no allocation; not from reclaim.
 * Return: 0 (also if already connected); -ENOTCONN/-ECONNREFUSED/-ENOENT
 * if nothing listens; -EPROTO if the new back-end refuses the negotiated
 * features or misbehaves; -ETIMEDOUT.
 */
int __must_check vhost_user_frontend_reconnect(struct virtio_device *vdev);

/**
 * vhost_user_frontend_connected() - is the back-end there?
 * Context: no locks (atomic); never sleeps. Return: true if connected.
 */
bool vhost_user_frontend_connected(struct virtio_device *vdev);

/**
 * vhost_user_frontend_nr_reconnects() - successful reconnects so far.
 * Context: no locks (atomic); never sleeps. Return: the count.
 */
unsigned long vhost_user_frontend_nr_reconnects(struct virtio_device *vdev);

/* ------------------------------------------------------------------ */
/* The echo device: a trivial device for tests and benchmarks           */
/* ------------------------------------------------------------------ */

/*
 * One queue. Each chain's device-readable bytes are copied into its
 * device-writable bytes (as many as fit), each byte XORed with the config
 * field xor; the used length is the number of bytes written. Config space
 * (little-endian): processed chains (u64, read-only), xor (u8, writable),
 * command (u32, writable: 1 sends CONFIG_CHANGE_MSG, 2 makes the device
 * ask for a reset). Device id VHOST_USER_ECHO_ID is not a virtio one.
 */
#define VHOST_USER_ECHO_ID		0xfffeu
#define VHOST_USER_ECHO_CFG_PROCESSED	0
#define VHOST_USER_ECHO_CFG_XOR		8
#define VHOST_USER_ECHO_CFG_COMMAND	12
#define VHOST_USER_ECHO_CFG_SIZE	16
#define VHOST_USER_ECHO_CMD_CONFIG_CHANGE 1
#define VHOST_USER_ECHO_CMD_NEEDS_RESET	2
#define VHOST_USER_ECHO_QUEUE_SIZE	1024

extern const struct vhost_user_dev_ops vhost_user_echo_ops;

/**
 * vhost_user_echo_serve() - run an echo back-end on @path until SIGTERM
 * (the body of a test's or benchmark's host process).
 * @ready_fd: if >= 0, one byte is written to it once the socket listens,
 *	      then it is closed.
 *
 * Context: no locks; the calling thread becomes the server thread;
 * installs a SIGTERM handler; may sleep; allocates from the C heap.
 * Return: 0 after SIGTERM, or the errno that stopped the server.
 */
int __must_check vhost_user_echo_serve(const char *path, int ready_fd);

/* argv[1] that makes vhost_user_echo_main() run a host. */
#define VHOST_USER_ECHO_ARG "--vhost-user-echo-host"

/**
 * vhost_user_echo_main() - the first thing a program that uses
 * vhost_user_echo_spawn() does in main(): if @argv is
 * { prog, VHOST_USER_ECHO_ARG, path, ready_fd }, serve the echo device
 * and return true with the exit status in *@status; otherwise return
 * false at once.
 * Context: process start-up, before any thread; may sleep (serving).
 * Return: true if this process was the host (then exit with *@status).
 */
bool vhost_user_echo_main(int argc, char **argv, int *status);

/**
 * vhost_user_echo_spawn() - start an echo back-end as a separate process,
 * by executing the calling program again (/proc/self/exe) with
 * VHOST_USER_ECHO_ARG, and wait until it listens on @path. A new program
 * image has no threads and no state inherited from the caller, unlike a
 * bare fork() of a threaded test.
 *
 * Context: no locks; may sleep (up to 30 s, a failure detector); no
 * allocation beyond a pipe; safe in a threaded process (posix_spawn).
 * Return: 0 and the child's pid in *@pidp (the caller reaps it); -ECHILD
 * if the child exited before listening, -ETIMEDOUT if it did not listen
 * (it is killed and reaped then); an errno of pipe2() or posix_spawn().
 */
int __must_check vhost_user_echo_spawn(const char *path, pid_t *pidp);

#endif /* BALLAST_VHOST_USER_H */
