// SPDX-License-Identifier: MIT
/*
 * virtio.h - split virtqueues (layer 11): the driver half the guest uses to
 * post buffers, the device half (vringh) a back-end uses to consume them,
 * and struct virtio_device, the transport-neutral view of a device that
 * drivers program against (the vhost-user front-end in vhost_user.h is its
 * transport).
 *
 * The ring layout, flags and feature bits are those of <linux/virtio_ring.h>
 * and <linux/virtio_config.h>; nothing here redefines them.
 *
 * Rules for users of the driver half (guest):
 *  1. Rings and every buffer posted to them live in guest RAM: a
 *     scatterlist entry must point into guest RAM (page_address() of an
 *     allocated page, or memory carved from one). Descriptors carry
 *     guest-physical addresses (virt_to_phys()).
 *  2. The virtqueue functions serialise on the queue's own spinlock; a
 *     caller may add, kick and harvest from several threads. Allocation
 *     (indirect tables, with the caller's gfp) happens before that lock is
 *     taken, so GFP_KERNEL is fine from process context.
 *  3. Callbacks run on the transport's interrupt thread, without any
 *     virtqueue lock held. A callback may add, kick, harvest and
 *     enable/disable callbacks; it must not delete queues or reset the
 *     device except through the transport's documented paths.
 *  4. A buffer is owned by the device from virtqueue_add_*() until
 *     virtqueue_get_buf() or virtqueue_detach_unused_buf() returns its
 *     token; the driver must not touch its memory in between.
 *  5. virtqueue_detach_unused_buf() and virtqueue_reinit() are only for a
 *     stopped queue (after the device was reset or lost).
 *
 * Rules for users of the device half (host):
 *  6. Everything in guest RAM is untrusted and may change under the
 *     device at any time. vringh reads each ring field once into a local
 *     copy, validates the copy and uses only the copy; the iovecs it hands
 *     out are validated ranges of guest RAM whose *contents* remain
 *     untrusted: read them once, validate, then use.
 *  7. A ring protocol violation breaks the queue: vringh_getdesc() returns
 *     -EPROTO from then on without touching guest memory, and
 *     vringh_error() says what was wrong. The consumer logs it once and
 *     marks the device NEEDS_RESET (vhost_user_dev_pop() does both).
 *  8. A struct vringh belongs to one thread at a time (the back-end's
 *     event loop); it has no lock.
 */
#ifndef BALLAST_VIRTIO_H
#define BALLAST_VIRTIO_H

#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <ballast/gfp.h>
#include <ballast/lib/compiler.h>

/* Largest split ring the specification allows. */
#define VIRTQUEUE_MAX_SIZE 32768u

/* Feature bits the ring code itself implements. */
#define VIRTIO_RING_FEATURES                                       \
	((1ULL << VIRTIO_RING_F_EVENT_IDX) |                       \
	 (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |                   \
	 (1ULL << VIRTIO_F_VERSION_1))

/* ------------------------------------------------------------------ */
/* Driver half (guest)                                                   */
/* ------------------------------------------------------------------ */

/*
 * struct scatterlist - one piece of a buffer: @length bytes at @addr, which
 * must lie inside guest RAM (rule 1). Arrays of them end at the count the
 * caller passes; there is no chaining.
 */
struct scatterlist {
	void *addr;
	unsigned int length;
};

/* sg_init_one(): Context: any; no locks; never sleeps; no allocation. */
static inline void sg_init_one(struct scatterlist *sg, void *buf,
			       unsigned int len)
{
	sg->addr = buf;
	sg->length = len;
}

struct virtqueue;
struct virtio_device;

/* Runs on the interrupt thread when the device used buffers (rule 3). */
typedef void (*vq_callback_fn)(struct virtqueue *vq);
/* Tells the device new buffers are available; false if it cannot. */
typedef bool (*vq_notify_fn)(struct virtqueue *vq);

/**
 * vring_create_virtqueue() - allocate a split ring in guest RAM and the
 * queue that drives it.
 * @index: queue index within its device (the transport's numbering).
 * @num: ring size, a power of two, 1..VIRTQUEUE_MAX_SIZE.
 * @features: negotiated feature bits; VIRTIO_RING_F_EVENT_IDX and
 *	      VIRTIO_RING_F_INDIRECT_DESC are honoured.
 * @notify: kicks the device (called without the queue lock).
 * @callback: runs when buffers were used; NULL for none.
 * @name: for messages; must outlive the queue.
 * @gfp: mask for the ring (one zeroed block of 2^order pages from
 *	 alloc_pages()) and the queue's own state (kmalloc()).
 * @vqp: receives the queue.
 *
 * Context: no locks held; may sleep if @gfp allows; allocates the ring
 * (alloc_pages) and the queue state (kmalloc) in guest RAM with @gfp; may
 * enter reclaim if @gfp allows direct reclaim.
 * Return: 0; -EINVAL for a bad @num or a NULL @notify; -ENOMEM if the
 * ring or the queue state could not be allocated.
 */
int __must_check vring_create_virtqueue(unsigned int index, unsigned int num,
					uint64_t features, vq_notify_fn notify,
					vq_callback_fn callback,
					const char *name, gfp_t gfp,
					struct virtqueue **vqp);

/**
 * vring_del_virtqueue() - free a queue and, if vring_create_virtqueue()
 * allocated it, its ring. Buffers still posted are forgotten (detach them
 * first to get their tokens back); indirect tables are freed.
 *
 * Context: no locks held; the device no longer uses the ring (stopped
 * or lost) and no callback of this queue runs; never sleeps; no
 * allocation (frees with __free_pages() and kfree()); callable from
 * reclaim.
 */
void vring_del_virtqueue(struct virtqueue *vq);

/**
 * virtqueue_add_sgs() - post one buffer made of @out_sgs device-readable
 * lists followed by @in_sgs device-writable lists.
 * @sgs: the lists; @sgs[i] is an array of @nents[i] entries.
 * @nents: entries per list.
 * @data: token returned by virtqueue_get_buf(); must not be NULL.
 * @gfp: mask for an indirect table (kmalloc(), used when the feature was
 *	 negotiated and the buffer has more than one entry; if that
 *	 allocation fails the buffer goes in the ring directly).
 *
 * Context: takes and releases the queue's spinlock; may sleep only in the
 * indirect-table allocation, made with @gfp before the lock is taken; may
 * enter reclaim if @gfp allows; from reclaim or an OOM notifier, pass a
 * mask without direct reclaim (GFP_NOWAIT).
 * Return: 0; -EINVAL for an empty buffer, a zero-length entry, an entry
 * outside guest RAM, a NULL token or a chain longer than the ring; -ENOSPC
 * if the ring has too few free descriptors (retry after harvesting); -EIO
 * if the queue is broken.
 */
int __must_check virtqueue_add_sgs(struct virtqueue *vq,
				   struct scatterlist *sgs[],
				   const unsigned int nents[],
				   unsigned int out_sgs, unsigned int in_sgs,
				   void *data, gfp_t gfp);

/**
 * virtqueue_add_outbuf() / virtqueue_add_inbuf() - virtqueue_add_sgs()
 * with one list of @num entries, device-readable / device-writable.
 *
 * Context: as virtqueue_add_sgs(). Return: as virtqueue_add_sgs().
 */
int __must_check virtqueue_add_outbuf(struct virtqueue *vq,
				      struct scatterlist *sg, unsigned int num,
				      void *data, gfp_t gfp);
int __must_check virtqueue_add_inbuf(struct virtqueue *vq,
				     struct scatterlist *sg, unsigned int num,
				     void *data, gfp_t gfp);

/**
 * virtqueue_kick_prepare() - must the device be notified of buffers added
 * since the last call? Honours VRING_USED_F_NO_NOTIFY, or avail_event with
 * EVENT_IDX.
 *
 * Context: takes and releases the queue's spinlock; never sleeps; no
 * allocation; callable from reclaim.
 * Return: true if virtqueue_notify() should be called.
 */
bool virtqueue_kick_prepare(struct virtqueue *vq);

/**
 * virtqueue_notify() - notify the device unconditionally.
 *
 * Context: no virtqueue lock held; never sleeps on ballast primitives (one
 * eventfd write for vhost-user); no allocation; callable from reclaim.
 * Return: false if the queue is broken or the notification failed.
 */
bool virtqueue_notify(struct virtqueue *vq);

/**
 * virtqueue_kick() - virtqueue_kick_prepare(), then virtqueue_notify() if
 * needed.
 *
 * Context: as virtqueue_kick_prepare() and virtqueue_notify().
 * Return: false if a needed notification failed or the queue is broken.
 */
bool virtqueue_kick(struct virtqueue *vq);

/**
 * virtqueue_get_buf() - harvest the next buffer the device used.
 * @len: receives the number of bytes the device says it wrote (clamped to
 *	 the buffer's writable size); may be NULL.
 *
 * A used entry naming a descriptor that is not in flight breaks the queue
 * (logged once); nothing is returned from a broken queue.
 *
 * Context: takes and releases the queue's spinlock; never sleeps; no
 * allocation (frees an indirect table with kfree() after releasing the
 * lock); callable from reclaim.
 * Return: the token given when the buffer was added, or NULL if no used
 * buffer is pending.
 */
void *virtqueue_get_buf(struct virtqueue *vq, unsigned int *len);

/**
 * virtqueue_disable_cb() - ask the device not to interrupt (a hint: a
 * callback may still run).
 *
 * Context: takes and releases the queue's spinlock; never sleeps; no
 * allocation; callable from reclaim.
 */
void virtqueue_disable_cb(struct virtqueue *vq);

/**
 * virtqueue_enable_cb() - ask for interrupts again (with EVENT_IDX: at the
 * next used buffer) and check for a race with the device.
 *
 * Context: takes and releases the queue's spinlock; never sleeps; no
 * allocation; callable from reclaim.
 * Return: true if callbacks are enabled and nothing is pending; false if
 * used buffers are already pending (harvest them, then try again).
 */
bool virtqueue_enable_cb(struct virtqueue *vq);

/**
 * virtqueue_more_used() - are used buffers waiting to be harvested?
 * Context: takes and releases the queue's spinlock; never sleeps; no
 * allocation; callable from reclaim.
 * Return: true if virtqueue_get_buf() would return a buffer.
 */
bool virtqueue_more_used(struct virtqueue *vq);

/**
 * virtqueue_detach_unused_buf() - take back one buffer the device never
 * used (rule 5), freeing its descriptors.
 *
 * Context: takes and releases the queue's spinlock; never sleeps; no
 * allocation (kfree() of an indirect table); callable from reclaim.
 * Return: its token, or NULL when none is left.
 */
void *virtqueue_detach_unused_buf(struct virtqueue *vq);

/**
 * virtqueue_reinit() - return a stopped queue whose buffers were all
 * detached to its initial state: indices 0, rings zeroed, callbacks
 * enabled, not broken.
 *
 * Context: as virtqueue_detach_unused_buf().
 * Return: 0, or -EBUSY if buffers are still posted.
 */
int __must_check virtqueue_reinit(struct virtqueue *vq);

/**
 * vring_interrupt() - what a transport calls when the device signalled
 * the queue: runs the callback if used buffers are pending.
 *
 * Context: the transport's interrupt thread; no virtqueue lock held (the
 * callback takes what it needs); sleeps only if the callback does; no
 * allocation of its own; not from reclaim.
 * Return: true if the callback ran.
 */
bool vring_interrupt(struct virtqueue *vq);

/**
 * virtqueue_get_vring_size() - the size of @vq's ring.
 * Context: no locks (immutable after creation); never sleeps; no
 * allocation; callable from reclaim.
 * Return: the number of entries, a power of two.
 */
unsigned int virtqueue_get_vring_size(const struct virtqueue *vq);

/**
 * virtqueue_get_index() - @vq's index within its device.
 * Context: no locks (immutable after creation); never sleeps; no
 * allocation; callable from reclaim.
 * Return: the index given to vring_create_virtqueue().
 */
unsigned int virtqueue_get_index(const struct virtqueue *vq);

/**
 * virtqueue_get_name() - @vq's name, for messages.
 * Context: no locks (immutable after creation); never sleeps; no
 * allocation; callable from reclaim.
 * Return: the name given to vring_create_virtqueue().
 */
const char *virtqueue_get_name(const struct virtqueue *vq);

/**
 * virtqueue_num_free() - free descriptors in @vq right now.
 * Context: takes and releases the queue's spinlock; never sleeps; no
 * allocation; callable from reclaim.
 * Return: their number, a snapshot that may change as soon as the lock
 * is dropped.
 */
unsigned int virtqueue_num_free(struct virtqueue *vq);

/**
 * virtqueue_is_broken() - did @vq see a protocol violation?
 * Context: no locks (an atomic load); never sleeps; no allocation;
 * callable from reclaim.
 * Return: true once the queue is broken, until virtqueue_reinit().
 */
bool virtqueue_is_broken(struct virtqueue *vq);

/**
 * virtqueue_get_vring() - the ring in guest RAM (transports read its
 * addresses; tests poke it).
 * Context: no locks (the pointers are immutable after creation; the
 * ring's contents are shared with the device); never sleeps; no
 * allocation; callable from reclaim.
 * Return: the ring, valid until vring_del_virtqueue().
 */
const struct vring *virtqueue_get_vring(const struct virtqueue *vq);

/**
 * virtqueue_set_priv() - attach the driver's data @priv to @vq.
 * Context: the queue's owner, before callbacks can run (no lock); never
 * sleeps; no allocation; no reclaim.
 */
void virtqueue_set_priv(struct virtqueue *vq, void *priv);

/**
 * virtqueue_get_priv() - the driver's data of @vq.
 * Context: no locks (set before callbacks run); never sleeps; no
 * allocation; callable from reclaim.
 * Return: what virtqueue_set_priv() stored, or NULL.
 */
void *virtqueue_get_priv(const struct virtqueue *vq);

/**
 * virtqueue_get_vdev() - the device that owns @vq.
 * Context: no locks (set by the transport before callbacks run); never
 * sleeps; no allocation; callable from reclaim.
 * Return: the device, or NULL for a queue made outside a transport.
 */
struct virtio_device *virtqueue_get_vdev(const struct virtqueue *vq);

/**
 * virtqueue_set_vdev() - record @vdev as the owner of @vq (transports).
 * Context: the transport, in find_vqs before callbacks can run (no lock);
 * never sleeps; no allocation; no reclaim.
 */
void virtqueue_set_vdev(struct virtqueue *vq, struct virtio_device *vdev);

/* ------------------------------------------------------------------ */
/* Devices (guest view)                                                  */
/* ------------------------------------------------------------------ */

/* What a driver asks of find_vqs for one queue. */
struct virtqueue_info {
	const char *name;		/* must outlive the queue */
	vq_callback_fn callback;	/* NULL: no callback */
};

/*
 * struct virtio_config_ops - what a transport implements (Linux's
 * virtio_config_ops, with errors reported: a remote device can vanish).
 * Every op may sleep, except instance; none may be called from a virtqueue
 * callback except get, set, get_status, reset and instance (reset from the
 * interrupt thread is supported: it does not wait for callbacks of its own
 * thread). instance is optional (NULL: one device, always there).
 */
struct virtio_config_ops {
	int (*get)(struct virtio_device *vdev, unsigned int offset, void *buf,
		   unsigned int len);
	int (*set)(struct virtio_device *vdev, unsigned int offset,
		   const void *buf, unsigned int len);
	int (*get_status)(struct virtio_device *vdev, uint8_t *status);
	int (*set_status)(struct virtio_device *vdev, uint8_t status);
	int (*reset)(struct virtio_device *vdev);
	uint64_t (*get_features)(struct virtio_device *vdev);
	int (*finalize_features)(struct virtio_device *vdev);
	int (*find_vqs)(struct virtio_device *vdev, unsigned int nvqs,
			struct virtqueue *vqs[],
			const struct virtqueue_info info[]);
	void (*del_vqs)(struct virtio_device *vdev);
	unsigned long (*instance)(struct virtio_device *vdev);
};

/*
 * struct virtio_device - one device as a driver sees it.
 * id, config: immutable after the transport created it.
 * features: written by virtio_finalize_features() (owner only, before
 * find_vqs), read by anyone afterwards.
 * config_changed, priv: set by the driver before virtio_device_ready();
 * config_changed runs on the interrupt thread after the device reported a
 * configuration change (also after a NEEDS_RESET and after a reconnect).
 */
struct virtio_device {
	uint32_t id;			/* VIRTIO_ID_* */
	uint64_t features;		/* negotiated, transport bits removed */
	const struct virtio_config_ops *config;
	void (*config_changed)(struct virtio_device *vdev);
	void *priv;
};

/**
 * virtio_has_feature() - was @fbit negotiated (vdev->features)?
 * Context: any, once features are finalized; no locks; never sleeps; no
 * allocation; callable from reclaim.
 * Return: true if bit @fbit is set; false if not, or if @fbit >= 64.
 */
static inline bool virtio_has_feature(const struct virtio_device *vdev,
				      unsigned int fbit)
{
	return fbit < 64 && (vdev->features & (1ULL << fbit));
}

/**
 * virtio_get_features() - feature bits the device offers (transport bits
 * removed). Context: takes the transport's lock; may sleep; no allocation;
 * not from reclaim. Return: the bits.
 */
static inline uint64_t virtio_get_features(struct virtio_device *vdev)
{
	return vdev->config->get_features(vdev);
}

/**
 * virtio_finalize_features() - accept vdev->features (the driver sets it
 * to a subset of virtio_get_features() first) and set FEATURES_OK.
 * Context: takes the transport's lock; may sleep; no allocation; not from
 * reclaim. Return: 0; -EINVAL if a bit was not offered or
 * VIRTIO_F_VERSION_1 is missing; -EIO if the device refused them; a
 * transport errno otherwise.
 */
static inline int __must_check virtio_finalize_features(
	struct virtio_device *vdev)
{
	return vdev->config->finalize_features(vdev);
}

/**
 * virtio_find_vqs() - create @nvqs queues (indices 0..nvqs-1) of the
 * transport's ring size and start them on the device.
 * Context: no locks held; may sleep; allocates rings and queue state with
 * GFP_KERNEL before taking the transport's lock, so it may enter reclaim;
 * not from reclaim. Return: 0, or an errno with no queue left behind
 * (-EINVAL before finalize_features or for too many queues, -EBUSY if
 * queues exist, -ENOMEM, a transport errno).
 */
static inline int __must_check virtio_find_vqs(
	struct virtio_device *vdev, unsigned int nvqs, struct virtqueue *vqs[],
	const struct virtqueue_info info[])
{
	return vdev->config->find_vqs(vdev, nvqs, vqs, info);
}

/**
 * virtio_del_vqs() - stop every queue on the device and free it (buffers
 * still posted are forgotten: detach them first).
 * Context: no locks held; may sleep (waits for the interrupt thread's
 * current batch unless called from it); no allocation; not from reclaim.
 */
static inline void virtio_del_vqs(struct virtio_device *vdev)
{
	vdev->config->del_vqs(vdev);
}

/**
 * virtio_cread() / virtio_cwrite() - read / write @len bytes of the
 * device's configuration space at @offset.
 * Context: takes the transport's lock; may sleep; no allocation; not from
 * reclaim. Return: 0; -EINVAL if out of range; -EIO if the device refused;
 * a transport errno otherwise.
 */
static inline int __must_check virtio_cread(struct virtio_device *vdev,
					    unsigned int offset, void *buf,
					    unsigned int len)
{
	return vdev->config->get(vdev, offset, buf, len);
}

static inline int __must_check virtio_cwrite(struct virtio_device *vdev,
					     unsigned int offset,
					     const void *buf, unsigned int len)
{
	return vdev->config->set(vdev, offset, buf, len);
}

/**
 * virtio_device_instance() - which device is behind the transport: 0 while
 * none is (a remote device's transport is disconnected: buffers posted
 * then wait for a reconnect, none is answered), otherwise a number that
 * changes whenever the device was replaced (a reconnect to a new host),
 * so a driver can tell whether the device knows what it told the last one.
 * virtio_device_present() - is a device there (instance not 0)?
 * Context: any, including under a driver's locks and from reclaim; no
 * locks taken (atomic); never sleeps; no allocation.
 * Return: the instance (1 for a transport without the op); present or not.
 */
static inline unsigned long virtio_device_instance(struct virtio_device *vdev)
{
	return vdev->config->instance ? vdev->config->instance(vdev) : 1;
}

static inline bool virtio_device_present(struct virtio_device *vdev)
{
	return virtio_device_instance(vdev) != 0;
}

/**
 * virtio_get_status() - the device status byte (VIRTIO_CONFIG_S_*), with
 * NEEDS_RESET when the device asked for a reset.
 * Context: takes the transport's lock; may sleep; no allocation; not from
 * reclaim. Return: 0 and *@status, or a transport errno.
 */
static inline int __must_check virtio_get_status(struct virtio_device *vdev,
						 uint8_t *status)
{
	return vdev->config->get_status(vdev, status);
}

/**
 * virtio_device_ready() - set DRIVER_OK: the driver is ready for the
 * device to use its queues.
 * Context: takes the transport's lock; may sleep; no allocation; not from
 * reclaim. Return: 0 or a transport errno.
 */
static inline int __must_check virtio_device_ready(struct virtio_device *vdev)
{
	return vdev->config->set_status(vdev,
			VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

/**
 * virtio_reset_device() - stop every queue and reset the device (status
 * 0). Queues keep their rings and buffers; the driver then takes its
 * buffers back with virtqueue_detach_unused_buf(), deletes the queues and
 * starts over (features, find_vqs, ready), as Linux drivers do.
 * Context: takes the transport's lock; may sleep; no allocation; may be
 * called from the interrupt thread, not from reclaim.
 * Return: 0 or a transport errno (the device is reset locally even then).
 */
static inline int __must_check virtio_reset_device(struct virtio_device *vdev)
{
	return vdev->config->reset(vdev);
}

/* ------------------------------------------------------------------ */
/* Device half (host): guest memory and vringh                          */
/* ------------------------------------------------------------------ */

#define VIRTIO_MEM_MAX_REGIONS 8

/*
 * struct virtio_mem_region - one piece of guest RAM as the back-end sees
 * it: guest-physical [gpa, gpa + size) is front-end virtual
 * [uaddr, uaddr + size), back-end virtual [hva, hva + size), and bytes
 * [file_offset, file_offset + size) of the file @fd (-1: none; owned by
 * whoever filled the map, e.g. to punch holes into it).
 */
struct virtio_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uaddr;
	uint8_t *hva;
	int fd;
	uint64_t file_offset;
};

/* struct virtio_mem - the back-end's map of guest RAM (owner only). */
struct virtio_mem {
	unsigned int nr_regions;
	struct virtio_mem_region regions[VIRTIO_MEM_MAX_REGIONS];
};

/**
 * virtio_mem_gpa_to_hva() - where guest-physical [@gpa, @gpa + @len) is
 * mapped, if the whole range lies inside one region (overflow-safe).
 * virtio_mem_uaddr_to_hva() - the same for a front-end virtual address.
 * Context: no locks; never sleeps; no allocation; pure.
 * Return: the back-end address, or NULL if any byte is outside guest RAM
 * or @len is 0.
 */
void *virtio_mem_gpa_to_hva(const struct virtio_mem *mem, uint64_t gpa,
			    uint64_t len);
void *virtio_mem_uaddr_to_hva(const struct virtio_mem *mem, uint64_t uaddr,
			      uint64_t len);

/**
 * virtio_mem_hva_valid() - does back-end range [@hva, @hva + @len) lie
 * inside one region? Context: no locks; never sleeps; no allocation.
 * Return: true if it does (false for @len 0).
 */
bool virtio_mem_hva_valid(const struct virtio_mem *mem, const void *hva,
			  uint64_t len);

/*
 * struct vringh - the device's view of one split ring (rule 8: owner
 * only). Pointers are back-end addresses inside guest RAM, validated by
 * vringh_init(); the memory behind them is untrusted (rule 6).
 */
struct vringh {
	unsigned int num;
	bool event_idx;			/* VIRTIO_RING_F_EVENT_IDX */
	bool indirect;			/* VIRTIO_RING_F_INDIRECT_DESC */
	bool broken;			/* a violation stopped the queue */
	uint16_t last_avail_idx;	/* next available slot to read */
	uint16_t last_used_idx;		/* our copy of used->idx */
	uint16_t signalled_used;	/* used idx at the last notify */
	bool signalled_used_valid;
	const struct virtio_mem *mem;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	unsigned long *inflight;	/* heads popped, not completed */
	unsigned int nr_inflight;
	char error[192];		/* the violation, once broken */
};

/*
 * struct vringh_elem - one available chain: @out_num device-readable
 * iovecs, then @in_num device-writable ones, in @iov (capacity @iov_max,
 * at least the ring size; provided by the caller).
 */
struct vringh_elem {
	uint16_t head;
	unsigned int out_num;
	unsigned int in_num;
	uint64_t out_len;		/* bytes readable */
	uint64_t in_len;		/* bytes writable */
	struct iovec *iov;
	unsigned int iov_max;
};

/**
 * vringh_init() - set up the device view of a ring.
 * @mem: guest RAM map; must outlive the ring's use.
 * @num: ring size (power of two, 1..VIRTQUEUE_MAX_SIZE).
 * @features: negotiated bits (EVENT_IDX, INDIRECT_DESC).
 * @desc, @avail, @used: back-end addresses of the three parts, each of
 *	which must lie in @mem, suitably aligned (16, 2, 4 bytes) and large
 *	enough for @num (event fields included).
 *
 * Indices start at 0 (see vringh_set_base()); last_used_idx is read from
 * the ring, so a ring handed over from another device continues there.
 *
 * Context: no locks; never sleeps; allocates the in-flight bitmap from
 * the C heap (host side: no ballast allocator, no reclaim).
 * Return: 0; -EINVAL if a part is misplaced or @num is bad (vrh->error
 * says which); -ENOMEM.
 */
int __must_check vringh_init(struct vringh *vrh, const struct virtio_mem *mem,
			     unsigned int num, uint64_t features,
			     void *desc, void *avail, void *used);

/**
 * vringh_destroy() - free what vringh_init() allocated; the ring counts as
 * broken afterwards. Context: owner only; never sleeps; no allocation.
 */
void vringh_destroy(struct vringh *vrh);

/**
 * vringh_set_base() - the next available slot to read (vhost-user
 * SET_VRING_BASE). Context: owner only; never sleeps; no allocation.
 */
void vringh_set_base(struct vringh *vrh, uint16_t last_avail_idx);

/**
 * vringh_getdesc() - pop and validate the next available chain.
 * @elem: receives it; @elem->iov and @elem->iov_max are the caller's.
 *
 * Validation (rule 6): the available index may be at most the ring size
 * ahead; the head and every next index lie inside their table; every
 * buffer is non-empty and inside guest RAM; a chain visits at most the
 * ring size descriptors (which also catches loops); writable buffers come
 * after readable ones; the total is at most 4 GiB; an indirect descriptor
 * needs the feature, is the last of its chain, has a non-empty table
 * inside guest RAM whose length is a multiple of 16 and at most the ring
 * size entries, and contains no indirect descriptor; a head is not popped
 * twice before it is completed.
 *
 * Context: owner only (rule 8), no locks; never sleeps; no allocation.
 * Return: 1 and @elem; 0 if the ring is empty; -EPROTO on a violation
 * (the queue is broken from then on, vringh_error() explains); -EINVAL if
 * @elem->iov_max is smaller than the ring.
 */
int __must_check vringh_getdesc(struct vringh *vrh, struct vringh_elem *elem);

/**
 * vringh_complete() - put chain @head on the used ring with @len bytes
 * written, and publish it.
 *
 * Context: owner only, no locks; never sleeps; no allocation.
 * Return: 0; -EINVAL if @head is not in flight (a device bug, reported);
 * -EPROTO if the queue is broken.
 */
int __must_check vringh_complete(struct vringh *vrh, uint16_t head,
				 uint32_t len);

/**
 * vringh_need_notify() - must the driver be interrupted for what was
 * completed since the last notification? Honours avail->flags, or
 * used_event with EVENT_IDX. A true return records the notification.
 * Context: owner only, no locks; never sleeps; no allocation.
 * Return: true if the driver should be interrupted now.
 */
bool vringh_need_notify(struct vringh *vrh);

/**
 * vringh_notify_enable() - ask the driver to kick again (used->flags, or
 * avail_event with EVENT_IDX), then look for a race.
 * Context: owner only, no locks; never sleeps; no allocation.
 * Return: true if the ring is empty (safe to wait for a kick); false if
 * buffers arrived meanwhile (keep popping).
 */
bool vringh_notify_enable(struct vringh *vrh);

/**
 * vringh_notify_disable() - ask the driver not to kick while the device
 * is busy popping (a hint). Context: owner only, no locks; never sleeps;
 * no allocation.
 */
void vringh_notify_disable(struct vringh *vrh);

/**
 * vringh_error() - what broke the queue. Context: owner only; never
 * sleeps. Return: the message ("" if the queue is not broken).
 */
static inline const char *vringh_error(const struct vringh *vrh)
{
	return vrh->error;
}

#endif /* BALLAST_VIRTIO_H */
