// SPDX-License-Identifier: MIT
/*
 * internal.h - private to src/virtio: ring field accessors with the
 * ordering the split ring needs, and the message I/O shared by the two
 * vhost-user halves.
 *
 * This header includes no guest memory-manager header, so the device half
 * and the back-end (which include it) can live in the host process.
 */
#ifndef BALLAST_VIRTIO_INTERNAL_H
#define BALLAST_VIRTIO_INTERNAL_H

#include <endian.h>
#include <string.h>
#include <ballast/vhost_user.h>

/*
 * Ring fields are little-endian (VIRTIO_F_VERSION_1). Index and flag
 * fields are the synchronisation points between driver and device and are
 * read and written whole with atomic accesses; the ring areas are aligned
 * (vringh_init() and the driver's layout guarantee it).
 */
static inline uint16_t vr_load16(const void *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED));
}

/*
 * Index loads are sequentially consistent: acquire (the ring entries an
 * index publishes are read after it) and, with vr_store16_sc(), the load
 * half of a notification Dekker pair. On x86-64 and arm64 such a load
 * costs what an acquire load costs.
 */
static inline uint16_t vr_load16_sc(const void *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_SEQ_CST));
}

static inline void vr_store16(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELAXED);
}

/* Publish an index after the entries it covers. */
static inline void vr_store16_release(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELEASE);
}

/*
 * Notification suppression is a Dekker pair: one side publishes (an index,
 * or its wish in an event or flags field) and then reads the other side's
 * field; the other side does the mirror image. Both stores and both loads
 * are sequentially consistent, so at least one side sees the other's
 * store and no wake-up is lost. (A standalone fence would do on hardware,
 * but ThreadSanitizer does not model fences.)
 */
static inline void vr_store16_sc(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_SEQ_CST);
}

static inline void vr_store32(void *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, htole32(v), __ATOMIC_RELAXED);
}

static inline uint32_t vr_load32(const void *p)
{
	return le32toh(__atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED));
}

/*
 * Copy @n bytes of untrusted shared memory exactly once: after the
 * compiler barrier the compiler cannot re-read @src in place of @dst (the
 * kernel's READ_ONCE, for a whole structure and any alignment).
 */
static inline void vr_read_once(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
	__asm__ volatile("" : : : "memory");
}

/* Used-ring / avail-ring event fields, by layout (virtio 1.x 2.7). */
static inline uint16_t *vr_used_event(struct vring_avail *avail,
				      unsigned int num)
{
	return &avail->ring[num];
}

static inline uint16_t *vr_avail_event(struct vring_used *used,
				       unsigned int num)
{
	return (uint16_t *)&used->ring[num];
}

/* ------------------------------------------------------------------ */
/* Message I/O (vhost_user_msg.c)                                        */
/* ------------------------------------------------------------------ */

/*
 * Messages either side reads from one peer per wake-up of its loop, so a
 * flooding peer cannot keep the thread (and its locks) to itself.
 */
#define VU_MSGS_PER_WAKE 32

/*
 * vu_send() - send @hdr and hdr->size bytes of @payload, with @nr_fds
 * descriptors, as one sendmsg (MSG_NOSIGNAL; MSG_DONTWAIT if @nonblock).
 * Returns 0, -EAGAIN (nothing sent; only with @nonblock), or -EPIPE /
 * another errno if the peer is gone or the message was cut short.
 */
int vu_send(int fd, const struct vhost_user_hdr *hdr, const void *payload,
	    const int *fds, unsigned int nr_fds, bool nonblock);

/*
 * vu_recv_blocking() - read one whole message from a blocking socket:
 * the header (with any descriptors), checked by vhost_user_hdr_check()
 * for @dir, then its payload. Descriptors beyond @max_fds, or received
 * when @fds is NULL, are closed and make the message invalid.
 * Returns 0 and the number of descriptors in *@nr_fds; -ENOTCONN on EOF;
 * -EPROTO for a bad header or too many descriptors (the stream is lost);
 * -ETIMEDOUT / another errno from recvmsg.
 */
int vu_recv_blocking(int fd, struct vhost_user_msg *msg,
		     enum vhost_user_dir dir, int *fds, unsigned int max_fds,
		     unsigned int *nr_fds);

/*
 * struct vu_rx - a message being received on a non-blocking socket.
 * have: bytes of header + payload so far; fds: descriptors that came with
 * them (owned until handed over).
 */
struct vu_rx {
	struct vhost_user_msg msg;
	uint32_t have;
	int fds[VHOST_USER_MAX_FDS];
	unsigned int nr_fds;
	bool fd_overflow;		/* more than VHOST_USER_MAX_FDS came */
};

void vu_rx_init(struct vu_rx *rx);
/* Close any descriptors still held and start over. */
void vu_rx_reset(struct vu_rx *rx);

/*
 * vu_rx_read() - read what is available towards one message.
 * Returns 1 when a whole message (checked header) is in @rx; 0 if more
 * bytes are needed (EAGAIN); -ENOTCONN on EOF; -EPROTO for a bad header
 * (@why says why); another errno from recvmsg.
 */
int vu_rx_read(int fd, struct vu_rx *rx, enum vhost_user_dir dir, char *why,
	       size_t whylen);

/* Close @nr descriptors of @fds that nobody took (set to -1). */
void vu_close_fds(int *fds, unsigned int nr);

/* ------------------------------------------------------------------ */
/* Driver half hooks for the front-end (ring_driver.c)                   */
/* ------------------------------------------------------------------ */

struct virtqueue;

/*
 * virtqueue_prepare_restart() - a new device takes over a ring whose old
 * device vanished: harvest nothing, but re-post every buffer still in
 * flight in submission order right after used->idx, and return that
 * index (the SET_VRING_BASE value) in *@base. Entries the old device
 * completed stay in the used ring for virtqueue_get_buf(). Breaks the
 * queue and returns -EPROTO if the used ring is inconsistent.
 * Context: takes the queue lock; never sleeps.
 */
int virtqueue_prepare_restart(struct virtqueue *vq, uint16_t *base);

/* Guest-physical addresses of the three ring parts and the ring size. */
struct virtqueue_addrs {
	uint64_t desc, avail, used;	/* front-end virtual addresses */
	unsigned int num;
};
void virtqueue_get_addrs(const struct virtqueue *vq,
			 struct virtqueue_addrs *addrs);

#endif /* BALLAST_VIRTIO_INTERNAL_H */
