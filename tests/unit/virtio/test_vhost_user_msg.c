// SPDX-License-Identifier: MIT
/*
 * test_vhost_user_msg.c - vhost-user message validation and message I/O:
 * every header and request check, and sending/receiving with descriptors
 * over a real socket pair, including a message that trickles in one byte
 * at a time and one that carries too many descriptors.
 */
#include "../../support/test_support.h"

/* A unit test of the layer may use its private message I/O. */
#include "../../../src/virtio/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

static char why[192];

static int hdr(uint32_t req, uint32_t flags, uint32_t size,
	       enum vhost_user_dir dir)
{
	struct vhost_user_hdr h = { .request = req, .flags = flags,
				    .size = size };

	why[0] = 0;
	return vhost_user_hdr_check(&h, dir, why, sizeof(why));
}

/*
 * Headers: version 1 only, no unknown flag, the reply flag exactly on
 * replies (and never NEED_REPLY on a reply), payload at most the union.
 */
static void test_vhost_user_hdr_check_refuses_bad_headers(void **state)
{
	const uint32_t v = VHOST_USER_VERSION;

	assert_int_equal(hdr(1, v, 0, VHOST_USER_FROM_FRONTEND), 0);
	assert_int_equal(hdr(1, v | VHOST_USER_NEED_REPLY_MASK, 8,
			     VHOST_USER_FROM_FRONTEND), 0);
	assert_int_equal(hdr(1, 0, 0, VHOST_USER_FROM_FRONTEND), -EPROTO);
	assert_int_equal(hdr(1, 2, 0, VHOST_USER_FROM_FRONTEND), -EPROTO);
	assert_int_equal(hdr(1, v | 0x10, 0, VHOST_USER_FROM_FRONTEND),
			 -EPROTO);
	assert_non_null(strstr(why, "unknown flags"));
	assert_int_equal(hdr(1, v | VHOST_USER_REPLY_MASK, 0,
			     VHOST_USER_FROM_FRONTEND), -EPROTO);
	assert_int_equal(hdr(1, v, 0, VHOST_USER_REPLY), -EPROTO);
	assert_int_equal(hdr(1, v | VHOST_USER_REPLY_MASK |
				     VHOST_USER_NEED_REPLY_MASK, 0,
			     VHOST_USER_REPLY), -EPROTO);
	assert_int_equal(hdr(1, v | VHOST_USER_REPLY_MASK,
			     VHOST_USER_MAX_PAYLOAD, VHOST_USER_REPLY), 0);
	assert_int_equal(hdr(1, v, VHOST_USER_MAX_PAYLOAD + 1,
			     VHOST_USER_FROM_FRONTEND), -EPROTO);
	assert_int_equal(hdr(1, v, UINT32_MAX, VHOST_USER_FROM_BACKEND),
			 -EPROTO);
}

static struct vhost_user_msg msg;

static int check(uint32_t req, uint32_t size, unsigned int nr_fds)
{
	msg.hdr = (struct vhost_user_hdr){ .request = req,
					   .flags = VHOST_USER_VERSION,
					   .size = size };
	why[0] = 0;
	return vhost_user_msg_check(&msg, VHOST_USER_FROM_FRONTEND, nr_fds,
				    why, sizeof(why));
}

/* Each request's payload size and descriptor count are exact. */
static void test_vhost_user_msg_check_sizes_and_fds(void **state)
{
	const struct { uint32_t req, size, fds; } ok[] = {
		{ VHOST_USER_GET_FEATURES, 0, 0 },
		{ VHOST_USER_SET_FEATURES, 8, 0 },
		{ VHOST_USER_SET_OWNER, 0, 0 },
		{ VHOST_USER_RESET_OWNER, 0, 0 },
		{ VHOST_USER_RESET_DEVICE, 0, 0 },
		{ VHOST_USER_GET_PROTOCOL_FEATURES, 0, 0 },
		{ VHOST_USER_SET_PROTOCOL_FEATURES, 8, 0 },
		{ VHOST_USER_GET_QUEUE_NUM, 0, 0 },
		{ VHOST_USER_SET_VRING_BASE, 8, 0 },
		{ VHOST_USER_GET_VRING_BASE, 8, 0 },
		{ VHOST_USER_SET_VRING_ADDR, 40, 0 },
		{ VHOST_USER_SET_VRING_KICK, 8, 1 },
		{ VHOST_USER_SET_VRING_CALL, 8, 1 },
		{ VHOST_USER_SET_BACKEND_REQ_FD, 0, 1 },
		{ VHOST_USER_SET_STATUS, 8, 0 },
		{ VHOST_USER_GET_STATUS, 0, 0 },
	};

	memset(&msg.payload, 0, sizeof(msg.payload));
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		assert_int_equal(check(ok[i].req, ok[i].size, ok[i].fds), 0);
		assert_int_equal(check(ok[i].req, ok[i].size + 1, ok[i].fds),
				 -EPROTO);
		assert_int_equal(check(ok[i].req, ok[i].size, ok[i].fds + 1),
				 -EPROTO);
		if (ok[i].size)
			assert_int_equal(check(ok[i].req, ok[i].size - 1,
					       ok[i].fds), -EPROTO);
	}
	/* SET_VRING_NUM needs a power of two. */
	msg.payload.state = (struct vhost_vring_state){ .num = 256 };
	assert_int_equal(check(VHOST_USER_SET_VRING_NUM, 8, 0), 0);
	msg.payload.state.num = 0;
	assert_int_equal(check(VHOST_USER_SET_VRING_NUM, 8, 0), -EPROTO);
	msg.payload.state.num = 65536;
	assert_int_equal(check(VHOST_USER_SET_VRING_NUM, 8, 0), -EPROTO);
}

/* Values that no state can make valid are refused without state. */
static void test_vhost_user_msg_check_refuses_bad_values(void **state)
{
	memset(&msg.payload, 0, sizeof(msg.payload));
	msg.payload.state = (struct vhost_vring_state){ .index = 64 };
	assert_int_equal(check(VHOST_USER_SET_VRING_BASE, 8, 0), -EPROTO);
	msg.payload.state = (struct vhost_vring_state){ .num = 0x10000 };
	assert_int_equal(check(VHOST_USER_SET_VRING_BASE, 8, 0), -EPROTO);
	msg.payload.state = (struct vhost_vring_state){ .num = 2 };
	assert_int_equal(check(VHOST_USER_SET_VRING_ENABLE, 8, 0), -EPROTO);
	msg.payload.u64 = 0x100;
	assert_int_equal(check(VHOST_USER_SET_STATUS, 8, 0), -EPROTO);
	/* KICK/CALL: index bits, the no-fd bit, nothing else. */
	msg.payload.u64 = 3 | VHOST_USER_VRING_NOFD_MASK;
	assert_int_equal(check(VHOST_USER_SET_VRING_KICK, 8, 0), 0);
	assert_int_equal(check(VHOST_USER_SET_VRING_KICK, 8, 1), -EPROTO);
	msg.payload.u64 = 1ULL << 9;
	assert_int_equal(check(VHOST_USER_SET_VRING_CALL, 8, 1), -EPROTO);
	msg.payload.u64 = 64;
	assert_int_equal(check(VHOST_USER_SET_VRING_CALL, 8, 1), -EPROTO);
	msg.payload.addr = (struct vhost_vring_addr){ .index = 99 };
	assert_int_equal(check(VHOST_USER_SET_VRING_ADDR, 40, 0), -EPROTO);
	/* Outside the subset, known or not. */
	assert_int_equal(check(VHOST_USER_SET_LOG_BASE, 8, 0), -EOPNOTSUPP);
	assert_int_equal(check(VHOST_USER_IOTLB_MSG, 0, 0), -EOPNOTSUPP);
	assert_int_equal(check(1000, 0, 0), -EOPNOTSUPP);
	assert_non_null(strstr(why, "not supported"));
}

/*
 * SET_MEM_TABLE: 1..8 regions, size = 8 + 32 * n, one fd per region, no
 * region whose end wraps, no two regions overlapping in guest-physical
 * or in front-end address space.
 */
static void test_vhost_user_msg_check_mem_table(void **state)
{
	struct vhost_user_memory *m = &msg.payload.memory;
	const uint32_t one = VHOST_USER_MEM_HDR_SIZE + 32;

	memset(m, 0, sizeof(*m));
	m->nregions = 2;
	m->regions[0] = (struct vhost_user_mem_region){
		.guest_phys_addr = 0, .memory_size = 1 << 20,
		.userspace_addr = 1 << 30 };
	m->regions[1] = (struct vhost_user_mem_region){
		.guest_phys_addr = 1 << 20, .memory_size = 1 << 20,
		.userspace_addr = 2ULL << 30 };
	assert_int_equal(check(VHOST_USER_SET_MEM_TABLE, one + 32, 2), 0);
	assert_int_equal(check(VHOST_USER_SET_MEM_TABLE, one + 32, 1),
			 -EPROTO);
	assert_int_equal(check(VHOST_USER_SET_MEM_TABLE, one, 2), -EPROTO);
	assert_int_equal(check(VHOST_USER_SET_MEM_TABLE, 4, 0), -EPROTO);
	m->regions[1].guest_phys_addr = (1 << 20) - 1;
	assert_int_equal(check(VHOST_USER_SET_MEM_TABLE, one + 32, 2),
			 -EPROTO);
	assert_non_null(strstr(why, "overlap"));
	m->regions[1].guest_phys_addr = 1 << 20;
	m->regions[1].userspace_addr = (1 << 30) + 4096;
	assert_int_equal(check(VHOST_USER_SET_MEM_TABLE, one + 32, 2),
			 -EPROTO);
	m->regions[1].userspace_addr = UINT64_MAX - 4096;
	assert_int_equal(check(VHOST_USER_SET_MEM_TABLE, one + 32, 2),
			 -EPROTO);
	assert_non_null(strstr(why, "wraps"));
	m->regions[1].userspace_addr = 2ULL << 30;
	m->regions[1].memory_size = 0;
	assert_int_equal(check(VHOST_USER_SET_MEM_TABLE, one + 32, 2),
			 -EPROTO);
	m->nregions = 0;
	assert_int_equal(check(VHOST_USER_SET_MEM_TABLE, 8, 0), -EPROTO);
	m->nregions = 9;
	assert_int_equal(check(VHOST_USER_SET_MEM_TABLE, 8 + 9 * 32, 9),
			 -EPROTO);
}

/*
 * GET/SET_CONFIG: size = 12 + config size, config size and offset + size
 * within 256 bytes (no wrap), flags 0 or 1, no fds.
 */
static void test_vhost_user_msg_check_config(void **state)
{
	struct vhost_user_config *c = &msg.payload.config;

	memset(c, 0, sizeof(*c));
	c->offset = 8;
	c->size = 16;
	assert_int_equal(check(VHOST_USER_GET_CONFIG, 28, 0), 0);
	assert_int_equal(check(VHOST_USER_SET_CONFIG, 28, 0), 0);
	assert_int_equal(check(VHOST_USER_GET_CONFIG, 28, 1), -EPROTO);
	assert_int_equal(check(VHOST_USER_GET_CONFIG, 27, 0), -EPROTO);
	assert_int_equal(check(VHOST_USER_GET_CONFIG, 8, 0), -EPROTO);
	c->offset = 250;
	assert_int_equal(check(VHOST_USER_GET_CONFIG, 28, 0), -EPROTO);
	c->offset = UINT32_MAX - 4;
	assert_int_equal(check(VHOST_USER_GET_CONFIG, 28, 0), -EPROTO);
	c->offset = 0;
	c->size = 257;
	assert_int_equal(check(VHOST_USER_SET_CONFIG, 12 + 257, 0), -EPROTO);
	c->size = 4;
	c->flags = 2;
	assert_int_equal(check(VHOST_USER_SET_CONFIG, 16, 0), -EPROTO);
}

/* The back-end channel carries CONFIG_CHANGE_MSG only, without payload. */
static void test_vhost_user_msg_check_backend_requests(void **state)
{
	msg.hdr = (struct vhost_user_hdr){
		.request = VHOST_USER_BACKEND_CONFIG_CHANGE_MSG,
		.flags = VHOST_USER_VERSION };
	assert_int_equal(vhost_user_msg_check(&msg, VHOST_USER_FROM_BACKEND, 0,
					      why, sizeof(why)), 0);
	assert_int_equal(vhost_user_msg_check(&msg, VHOST_USER_FROM_BACKEND, 1,
					      why, sizeof(why)), -EPROTO);
	msg.hdr.size = 8;
	assert_int_equal(vhost_user_msg_check(&msg, VHOST_USER_FROM_BACKEND, 0,
					      why, sizeof(why)), -EPROTO);
	msg.hdr = (struct vhost_user_hdr){
		.request = VHOST_USER_BACKEND_IOTLB_MSG,
		.flags = VHOST_USER_VERSION };
	assert_int_equal(vhost_user_msg_check(&msg, VHOST_USER_FROM_BACKEND, 0,
					      why, sizeof(why)), -EOPNOTSUPP);
	assert_string_equal(vhost_user_request_name(VHOST_USER_SET_MEM_TABLE),
			    "SET_MEM_TABLE");
	assert_string_equal(vhost_user_request_name(12345), "unknown");
}

static bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/*
 * A message with two descriptors arrives whole even when the peer writes
 * it one byte at a time; the descriptors come with it, open.
 */
static void test_vu_rx_read_reassembles_trickled_message(void **state)
{
	struct vhost_user_msg m = {
		.hdr = { .request = VHOST_USER_SET_VRING_KICK,
			 .flags = VHOST_USER_VERSION, .size = 8 },
		.payload.u64 = 7,
	};
	char wire[VHOST_USER_HDR_SIZE + 8];
	int sv[2], fds[2];
	struct vu_rx rx;
	int ret = 0;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	fds[0] = eventfd(0, EFD_CLOEXEC);
	fds[1] = eventfd(0, EFD_CLOEXEC);
	memcpy(wire, &m.hdr, VHOST_USER_HDR_SIZE);
	memcpy(wire + VHOST_USER_HDR_SIZE, &m.payload.u64, 8);
	vu_rx_init(&rx);
	for (size_t i = 0; i < sizeof(wire); i++) {
		/* Byte 0 goes with the descriptors, the rest alone. */
		if (i == 0) {
			char ctl[CMSG_SPACE(2 * sizeof(int))];
			struct iovec iov = { wire, 1 };
			struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
					     .msg_control = ctl,
					     .msg_controllen = sizeof(ctl) };
			struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(2 * sizeof(int));
			memcpy(CMSG_DATA(cm), fds, sizeof(fds));
			assert_int_equal(sendmsg(sv[1], &mh, 0), 1);
		} else {
			assert_int_equal(send(sv[1], wire + i, 1, 0), 1);
		}
		ret = vu_rx_read(sv[0], &rx, VHOST_USER_FROM_FRONTEND, why,
				 sizeof(why));
		assert_int_equal(ret, i + 1 == sizeof(wire) ? 1 : 0);
	}
	assert_int_equal(rx.msg.hdr.request, VHOST_USER_SET_VRING_KICK);
	assert_int_equal(rx.msg.payload.u64, 7);
	assert_int_equal(rx.nr_fds, 2);
	assert_false(rx.fd_overflow);
	assert_true(fd_is_open(rx.fds[0]) && fd_is_open(rx.fds[1]));
	vu_rx_reset(&rx);
	close(fds[0]);
	close(fds[1]);
	close(sv[1]);
	assert_int_equal(vu_rx_read(sv[0], &rx, VHOST_USER_FROM_FRONTEND, why,
				    sizeof(why)), -ENOTCONN);
	close(sv[0]);
}

/*
 * vu_send() with nine descriptors is refused; sent by hand, nine arrive
 * as eight kept plus an overflow mark (the extra one closed); a header
 * with a bad version is -EPROTO for both receive paths.
 */
static void test_vu_rx_read_bounds_descriptors_and_headers(void **state)
{
	struct vhost_user_hdr h = { .request = VHOST_USER_SET_OWNER,
				    .flags = VHOST_USER_VERSION };
	struct vhost_user_msg m;
	int sv[2], fds[9], nr_before;
	char ctl[CMSG_SPACE(9 * sizeof(int))];
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm;
	struct vu_rx rx;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	for (int i = 0; i < 9; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
	assert_int_equal(vu_send(sv[1], &h, NULL, fds, 9, false), -EINVAL);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	assert_int_equal(sendmsg(sv[1], &mh, 0), sizeof(h));
	vu_rx_init(&rx);
	assert_int_equal(vu_rx_read(sv[0], &rx, VHOST_USER_FROM_FRONTEND, why,
				    sizeof(why)), 1);
	assert_int_equal(rx.nr_fds, 8);
	assert_true(rx.fd_overflow);
	nr_before = rx.fds[7];
	vu_rx_reset(&rx);
	assert_false(fd_is_open(nr_before));
	for (int i = 0; i < 9; i++)
		close(fds[i]);

	h.flags = 2;
	assert_int_equal(vu_send(sv[1], &h, NULL, NULL, 0, false), 0);
	assert_int_equal(vu_rx_read(sv[0], &rx, VHOST_USER_FROM_FRONTEND, why,
				    sizeof(why)), -EPROTO);
	vu_rx_reset(&rx);
	assert_int_equal(vu_send(sv[1], &h, NULL, NULL, 0, false), 0);
	assert_int_equal(vu_recv_blocking(sv[0], &m, VHOST_USER_REPLY, NULL,
					  0, NULL), -EPROTO);
	h.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
	h.size = 8;
	m.payload.u64 = 0;
	assert_int_equal(vu_send(sv[1], &h, &m.payload, NULL, 0, false), 0);
	assert_int_equal(vu_recv_blocking(sv[0], &m, VHOST_USER_REPLY, NULL,
					  0, NULL), 0);
	assert_int_equal(m.hdr.size, 8);
	close(sv[1]);
	assert_int_equal(vu_recv_blocking(sv[0], &m, VHOST_USER_REPLY, NULL,
					  0, NULL), -ENOTCONN);
	close(sv[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vhost_user_hdr_check_refuses_bad_headers),
		cmocka_unit_test(test_vhost_user_msg_check_sizes_and_fds),
		cmocka_unit_test(test_vhost_user_msg_check_refuses_bad_values),
		cmocka_unit_test(test_vhost_user_msg_check_mem_table),
		cmocka_unit_test(test_vhost_user_msg_check_config),
		cmocka_unit_test(test_vhost_user_msg_check_backend_requests),
		cmocka_unit_test(test_vu_rx_read_reassembles_trickled_message),
		cmocka_unit_test(test_vu_rx_read_bounds_descriptors_and_headers),
	};

	return cmocka_run_group_tests_name("vhost_user_msg", tests, NULL,
					   NULL);
}
