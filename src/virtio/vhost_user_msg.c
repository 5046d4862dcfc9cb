// SPDX-License-Identifier: MIT
/*
 * vhost_user_msg.c - vhost-user messages: validation of headers and
 * requests, and sending and receiving them with their descriptors
 * (SCM_RIGHTS), blocking (front-end) or incrementally (back-end).
 *
 * Invariants and locking:
 *  - Nothing here keeps state between calls except a struct vu_rx, which
 *    belongs to one connection and is used by one thread; no locks.
 *  - Untrusted: every byte and descriptor received. A header is checked
 *    (vhost_user_hdr_check()) before its size is used to read a payload,
 *    so no read exceeds VHOST_USER_MAX_PAYLOAD. A request's payload
 *    fields are read only after its size was found large enough for them.
 *  - Every descriptor received is either handed to the caller or closed:
 *    at most VHOST_USER_MAX_FDS are kept per message; extra ones, and
 *    those of a truncated control message, are closed and the message is
 *    refused.
 *  - Sends never raise SIGPIPE (MSG_NOSIGNAL); a send that was cut short
 *    is reported, since the stream is then out of step.
 * Nothing sleeps except the blocking receive and send, which sleep in the
 * kernel only; no allocation.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const request_names[VHOST_USER_REQUEST_MAX] = {
	[VHOST_USER_GET_FEATURES] = "GET_FEATURES",
	[VHOST_USER_SET_FEATURES] = "SET_FEATURES",
	[VHOST_USER_SET_OWNER] = "SET_OWNER",
	[VHOST_USER_RESET_OWNER] = "RESET_OWNER",
	[VHOST_USER_SET_MEM_TABLE] = "SET_MEM_TABLE",
	[VHOST_USER_SET_LOG_BASE] = "SET_LOG_BASE",
	[VHOST_USER_SET_LOG_FD] = "SET_LOG_FD",
	[VHOST_USER_SET_VRING_NUM] = "SET_VRING_NUM",
	[VHOST_USER_SET_VRING_ADDR] = "SET_VRING_ADDR",
	[VHOST_USER_SET_VRING_BASE] = "SET_VRING_BASE",
	[VHOST_USER_GET_VRING_BASE] = "GET_VRING_BASE",
	[VHOST_USER_SET_VRING_KICK] = "SET_VRING_KICK",
	[VHOST_USER_SET_VRING_CALL] = "SET_VRING_CALL",
	[VHOST_USER_SET_VRING_ERR] = "SET_VRING_ERR",
	[VHOST_USER_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
	[VHOST_USER_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
	[VHOST_USER_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
	[VHOST_USER_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
	[VHOST_USER_SEND_RARP] = "SEND_RARP",
	[VHOST_USER_NET_SET_MTU] = "NET_SET_MTU",
	[VHOST_USER_SET_BACKEND_REQ_FD] = "SET_BACKEND_REQ_FD",
	[VHOST_USER_IOTLB_MSG] = "IOTLB_MSG",
	[VHOST_USER_SET_VRING_ENDIAN] = "SET_VRING_ENDIAN",
	[VHOST_USER_GET_CONFIG] = "GET_CONFIG",
	[VHOST_USER_SET_CONFIG] = "SET_CONFIG",
	[VHOST_USER_RESET_DEVICE] = "RESET_DEVICE",
	[VHOST_USER_SET_STATUS] = "SET_STATUS",
	[VHOST_USER_GET_STATUS] = "GET_STATUS",
};

const char *vhost_user_request_name(uint32_t request)
{
	if (request < VHOST_USER_REQUEST_MAX && request_names[request])
		return request_names[request];
	return "unknown";
}

bool vhost_user_needs_reply(uint32_t request)
{
	switch (request) {
	case VHOST_USER_GET_FEATURES:
	case VHOST_USER_GET_PROTOCOL_FEATURES:
	case VHOST_USER_GET_VRING_BASE:
	case VHOST_USER_GET_QUEUE_NUM:
	case VHOST_USER_GET_CONFIG:
	case VHOST_USER_GET_STATUS:
		return true;
	default:
		return false;
	}
}

#define refuse(ret, ...)                                              \
	({                                                            \
		snprintf(why, whylen, __VA_ARGS__);                   \
		(ret);                                                \
	})

int vhost_user_hdr_check(const struct vhost_user_hdr *hdr,
			 enum vhost_user_dir dir, char *why, size_t whylen)
{
	uint32_t flags = hdr->flags;

	if ((flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION)
		return refuse(-EPROTO, "request %u: version %u, expected %u",
			      hdr->request, flags & VHOST_USER_VERSION_MASK,
			      VHOST_USER_VERSION);
	if (flags & ~VHOST_USER_FLAGS_MASK)
		return refuse(-EPROTO, "request %u: unknown flags %#x",
			      hdr->request, flags & ~VHOST_USER_FLAGS_MASK);
	if (dir == VHOST_USER_REPLY) {
		if (!(flags & VHOST_USER_REPLY_MASK) ||
		    (flags & VHOST_USER_NEED_REPLY_MASK))
			return refuse(-EPROTO, "reply to %u: flags %#x",
				      hdr->request, flags);
	} else if (flags & VHOST_USER_REPLY_MASK) {
		return refuse(-EPROTO, "request %u: reply flag set",
			      hdr->request);
	}
	if (hdr->size > VHOST_USER_MAX_PAYLOAD)
		return refuse(-EPROTO, "request %u: payload of %u bytes, at "
			      "most %u", hdr->request, hdr->size,
			      VHOST_USER_MAX_PAYLOAD);
	return 0;
}

static int check_mem_table(const struct vhost_user_msg *msg,
			   unsigned int nr_fds, char *why, size_t whylen)
{
	const struct vhost_user_memory *m = &msg->payload.memory;
	uint32_t n;

	if (msg->hdr.size < VHOST_USER_MEM_HDR_SIZE)
		return refuse(-EPROTO, "SET_MEM_TABLE: payload of %u bytes",
			      msg->hdr.size);
	n = m->nregions;
	if (!n || n > VHOST_USER_MAX_RAM_SLOTS)
		return refuse(-EPROTO, "SET_MEM_TABLE: %u regions", n);
	if (msg->hdr.size != VHOST_USER_MEM_HDR_SIZE +
				     n * sizeof(struct vhost_user_mem_region))
		return refuse(-EPROTO, "SET_MEM_TABLE: %u regions in %u "
			      "bytes", n, msg->hdr.size);
	if (nr_fds != n)
		return refuse(-EPROTO, "SET_MEM_TABLE: %u regions, %u fds", n,
			      nr_fds);
	for (uint32_t i = 0; i < n; i++) {
		const struct vhost_user_mem_region *r = &m->regions[i];
		uint64_t sz = r->memory_size;

		if (!sz || r->guest_phys_addr + sz < r->guest_phys_addr ||
		    r->userspace_addr + sz < r->userspace_addr ||
		    r->mmap_offset + sz < r->mmap_offset)
			return refuse(-EPROTO, "SET_MEM_TABLE: region %u "
				      "size %#llx wraps", i,
				      (unsigned long long)sz);
		for (uint32_t j = 0; j < i; j++) {
			const struct vhost_user_mem_region *o = &m->regions[j];

			if (r->guest_phys_addr < o->guest_phys_addr +
							 o->memory_size &&
			    o->guest_phys_addr < r->guest_phys_addr + sz)
				return refuse(-EPROTO, "SET_MEM_TABLE: "
					      "regions %u and %u overlap", j,
					      i);
			if (r->userspace_addr < o->userspace_addr +
							o->memory_size &&
			    o->userspace_addr < r->userspace_addr + sz)
				return refuse(-EPROTO, "SET_MEM_TABLE: user "
					      "ranges %u and %u overlap", j,
					      i);
		}
	}
	return 0;
}

static int check_config(const struct vhost_user_msg *msg, char *why,
			size_t whylen)
{
	const struct vhost_user_config *c = &msg->payload.config;
	const char *name = vhost_user_request_name(msg->hdr.request);

	if (msg->hdr.size < VHOST_USER_CONFIG_HDR_SIZE)
		return refuse(-EPROTO, "%s: payload of %u bytes", name,
			      msg->hdr.size);
	if (c->size > VHOST_USER_MAX_CONFIG_SIZE ||
	    msg->hdr.size != VHOST_USER_CONFIG_HDR_SIZE + c->size)
		return refuse(-EPROTO, "%s: %u config bytes in a payload of "
			      "%u", name, c->size, msg->hdr.size);
	if (c->offset > VHOST_USER_MAX_CONFIG_SIZE ||
	    c->size > VHOST_USER_MAX_CONFIG_SIZE - c->offset)
		return refuse(-EPROTO, "%s: bytes [%u, +%u) outside the "
			      "config space", name, c->offset, c->size);
	if (c->flags != VHOST_SET_CONFIG_TYPE_FRONTEND &&
	    c->flags != VHOST_SET_CONFIG_TYPE_MIGRATION)
		return refuse(-EPROTO, "%s: flags %#x", name, c->flags);
	return 0;
}

static int check_frontend_request(const struct vhost_user_msg *msg,
				  unsigned int nr_fds, char *why,
				  size_t whylen)
{
	const struct vhost_user_hdr *h = &msg->hdr;
	const union vhost_user_payload *p = &msg->payload;
	const char *name = vhost_user_request_name(h->request);
	uint32_t size = 0, fds = 0;

	switch (h->request) {
	case VHOST_USER_GET_FEATURES:
	case VHOST_USER_SET_OWNER:
	case VHOST_USER_RESET_OWNER:
	case VHOST_USER_GET_PROTOCOL_FEATURES:
	case VHOST_USER_GET_QUEUE_NUM:
	case VHOST_USER_RESET_DEVICE:
	case VHOST_USER_GET_STATUS:
		break;
	case VHOST_USER_SET_FEATURES:
	case VHOST_USER_SET_PROTOCOL_FEATURES:
		size = sizeof(p->u64);
		break;
	case VHOST_USER_SET_STATUS:
		size = sizeof(p->u64);
		if (h->size == size && p->u64 > 0xff)
			return refuse(-EPROTO, "SET_STATUS: status %#llx",
				      (unsigned long long)p->u64);
		break;
	case VHOST_USER_SET_MEM_TABLE:
		return check_mem_table(msg, nr_fds, why, whylen);
	case VHOST_USER_SET_VRING_NUM:
	case VHOST_USER_SET_VRING_BASE:
	case VHOST_USER_GET_VRING_BASE:
	case VHOST_USER_SET_VRING_ENABLE:
		size = sizeof(p->state);
		if (h->size != size)
			break;
		if (p->state.index >= VHOST_USER_MAX_QUEUES)
			return refuse(-EPROTO, "%s: ring %u", name,
				      p->state.index);
		if (h->request == VHOST_USER_SET_VRING_ENABLE &&
		    p->state.num > 1)
			return refuse(-EPROTO, "SET_VRING_ENABLE: %u",
				      p->state.num);
		if (h->request == VHOST_USER_SET_VRING_BASE &&
		    p->state.num > 0xffff)
			return refuse(-EPROTO, "SET_VRING_BASE: %u is not a "
				      "split-ring index", p->state.num);
		if (h->request == VHOST_USER_SET_VRING_NUM &&
		    (!p->state.num || p->state.num > VIRTQUEUE_MAX_SIZE ||
		     (p->state.num & (p->state.num - 1))))
			return refuse(-EPROTO, "SET_VRING_NUM: size %u",
				      p->state.num);
		break;
	case VHOST_USER_SET_VRING_ADDR:
		size = sizeof(p->addr);
		if (h->size == size && p->addr.index >= VHOST_USER_MAX_QUEUES)
			return refuse(-EPROTO, "SET_VRING_ADDR: ring %u",
				      p->addr.index);
		break;
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
		size = sizeof(p->u64);
		if (h->size != size)
			break;
		if (p->u64 & ~(VHOST_USER_VRING_IDX_MASK |
			       VHOST_USER_VRING_NOFD_MASK))
			return refuse(-EPROTO, "%s: payload %#llx", name,
				      (unsigned long long)p->u64);
		if ((p->u64 & VHOST_USER_VRING_IDX_MASK) >=
		    VHOST_USER_MAX_QUEUES)
			return refuse(-EPROTO, "%s: ring %llu", name,
				      (unsigned long long)(p->u64 &
						VHOST_USER_VRING_IDX_MASK));
		fds = (p->u64 & VHOST_USER_VRING_NOFD_MASK) ? 0 : 1;
		break;
	case VHOST_USER_GET_CONFIG:
	case VHOST_USER_SET_CONFIG:
		if (nr_fds)
			return refuse(-EPROTO, "%s: %u unexpected fds", name,
				      nr_fds);
		return check_config(msg, why, whylen);
	case VHOST_USER_SET_BACKEND_REQ_FD:
		fds = 1;
		break;
	default:
		return refuse(-EOPNOTSUPP, "request %u (%s) not supported",
			      h->request, name);
	}
	if (h->size != size)
		return refuse(-EPROTO, "%s: payload of %u bytes, expected %u",
			      name, h->size, size);
	if (nr_fds != fds)
		return refuse(-EPROTO, "%s: %u fds, expected %u", name, nr_fds,
			      fds);
	return 0;
}

int vhost_user_msg_check(const struct vhost_user_msg *msg,
			 enum vhost_user_dir dir, unsigned int nr_fds,
			 char *why, size_t whylen)
{
	if (dir == VHOST_USER_FROM_FRONTEND)
		return check_frontend_request(msg, nr_fds, why, whylen);
	if (dir != VHOST_USER_FROM_BACKEND)
		return refuse(-EPROTO, "not a request");
	if (msg->hdr.request != VHOST_USER_BACKEND_CONFIG_CHANGE_MSG)
		return refuse(-EOPNOTSUPP, "back-end request %u not supported",
			      msg->hdr.request);
	if (msg->hdr.size || nr_fds)
		return refuse(-EPROTO, "CONFIG_CHANGE_MSG: %u bytes, %u fds",
			      msg->hdr.size, nr_fds);
	return 0;
}

/* ------------------------------------------------------------------ */
/* I/O                                                                   */
/* ------------------------------------------------------------------ */

void vu_close_fds(int *fds, unsigned int nr)
{
	for (unsigned int i = 0; i < nr; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

int vu_send(int fd, const struct vhost_user_hdr *hdr, const void *payload,
	    const int *fds, unsigned int nr_fds, bool nonblock)
{
	union {
		char buf[CMSG_SPACE(VHOST_USER_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2] = {
		{ .iov_base = (void *)hdr, .iov_len = VHOST_USER_HDR_SIZE },
		{ .iov_base = (void *)payload, .iov_len = hdr->size },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = hdr->size ? 2 : 1 };
	int flags = MSG_NOSIGNAL | (nonblock ? MSG_DONTWAIT : 0);
	size_t total = VHOST_USER_HDR_SIZE + hdr->size, sent = 0;

	if (nr_fds > VHOST_USER_MAX_FDS)
		return -EINVAL;
	if (nr_fds) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(nr_fds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nr_fds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nr_fds * sizeof(int));
	}
	while (sent < total) {
		ssize_t n = sendmsg(fd, &mh, flags);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && sent)
				return -EPIPE;	/* cut short: out of step */
			return -errno;
		}
		sent += (size_t)n;
		/* Descriptors went with the first bytes; skip what was sent. */
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		while (mh.msg_iovlen && (size_t)n >= mh.msg_iov->iov_len) {
			n -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen) {
			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + n;
			mh.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/*
 * Take the descriptors of @mh into @fds (up to @max, from *@nr on); close
 * the rest. Returns false if any had to be closed or were lost.
 */
static bool collect_fds(struct msghdr *mh, int *fds, unsigned int max,
			unsigned int *nr)
{
	bool ok = !(mh->msg_flags & MSG_CTRUNC);

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm;
	     cm = CMSG_NXTHDR(mh, cm)) {
		size_t n;

		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len < CMSG_LEN(0))
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int one;

			memcpy(&one, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(int));
			if (fds && *nr < max) {
				fds[(*nr)++] = one;
			} else {
				close(one);
				ok = false;
			}
		}
	}
	return ok;
}

static ssize_t recv_with_fds(int fd, void *buf, size_t len, int flags,
			     int *fds, unsigned int max, unsigned int *nr,
			     bool *fd_ok)
{
	union {
		char buf[CMSG_SPACE((VHOST_USER_MAX_FDS + 1) * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n;

	do {
		n = recvmsg(fd, &mh, flags | MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (!collect_fds(&mh, fds, max, nr))
		*fd_ok = false;
	return n;
}

int vu_recv_blocking(int fd, struct vhost_user_msg *msg,
		     enum vhost_user_dir dir, int *fds, unsigned int max_fds,
		     unsigned int *nr_fds)
{
	char why[128];
	unsigned int nr = 0;
	bool fd_ok = true;
	size_t have = 0;
	int ret;

	for (;;) {
		size_t total = VHOST_USER_HDR_SIZE;
		char *dst;
		ssize_t n;

		if (have >= VHOST_USER_HDR_SIZE) {
			total += msg->hdr.size;
			if (have == total)
				break;
			dst = (char *)&msg->payload +
			      (have - VHOST_USER_HDR_SIZE);
		} else {
			dst = (char *)&msg->hdr + have;
		}
		n = recv_with_fds(fd, dst, total - have, 0, fds,
				  fds ? max_fds : 0,
				  &nr, &fd_ok);
		if (n == -EAGAIN || n == -EWOULDBLOCK) {
			ret = -ETIMEDOUT;
			goto fail;
		}
		if (n < 0) {
			ret = (int)n;
			goto fail;
		}
		if (n == 0) {
			ret = -ENOTCONN;
			goto fail;
		}
		have += (size_t)n;
		if (have == VHOST_USER_HDR_SIZE &&
		    vhost_user_hdr_check(&msg->hdr, dir, why, sizeof(why))) {
			ret = -EPROTO;
			goto fail;
		}
	}
	if (!fd_ok) {
		ret = -EPROTO;
		goto fail;
	}
	if (nr_fds)
		*nr_fds = nr;
	return 0;
fail:
	if (fds)
		vu_close_fds(fds, nr);
	return ret;
}

void vu_rx_init(struct vu_rx *rx)
{
	rx->have = 0;
	rx->nr_fds = 0;
	rx->fd_overflow = false;
	for (unsigned int i = 0; i < VHOST_USER_MAX_FDS; i++)
		rx->fds[i] = -1;
}

void vu_rx_reset(struct vu_rx *rx)
{
	vu_close_fds(rx->fds, rx->nr_fds);
	vu_rx_init(rx);
}

int vu_rx_read(int fd, struct vu_rx *rx, enum vhost_user_dir dir, char *why,
	       size_t whylen)
{
	for (;;) {
		uint32_t total = VHOST_USER_HDR_SIZE;
		char *dst;
		ssize_t n;
		bool fd_ok = true;

		if (rx->have >= VHOST_USER_HDR_SIZE) {
			total += rx->msg.hdr.size;
			if (rx->have == total)
				return 1;
			dst = (char *)&rx->msg.payload +
			      (rx->have - VHOST_USER_HDR_SIZE);
		} else {
			dst = (char *)&rx->msg.hdr + rx->have;
		}
		n = recv_with_fds(fd, dst, total - rx->have, MSG_DONTWAIT,
				  rx->fds, VHOST_USER_MAX_FDS, &rx->nr_fds,
				  &fd_ok);
		if (!fd_ok)
			rx->fd_overflow = true;
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return 0;
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -ENOTCONN;
		rx->have += (uint32_t)n;
		if (rx->have == VHOST_USER_HDR_SIZE &&
		    vhost_user_hdr_check(&rx->msg.hdr, dir, why, whylen))
			return -EPROTO;
	}
}
