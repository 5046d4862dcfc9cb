// SPDX-License-Identifier: MIT
/*
 * fuzz_vhost_user_msg.c - the vhost-user back-end's message path, end to
 * end: bytes and descriptors arrive on a real socket, go through the
 * incremental reader, the header and request checks and the echo device's
 * back-end state machine (memory tables are really mapped, rings really
 * walked when kicked).
 *
 * Input: a sequence of records, each [type][len lo][len hi][len bytes]:
 *   type & 3 == 0: send the bytes on the socket with (type >> 2) & 3
 *                  descriptors of the pool below attached, the first
 *                  being pool[(type >> 4) & 3] (then the next ones);
 *   type & 3 == 1: copy the bytes into the guest RAM memfd at offset
 *                  ((type >> 2) * 4096), so rings can be laid out;
 *   type & 3 == 2: signal every eventfd of the pool (kick all queues);
 *   type & 3 == 3: end of input.
 * After each record the server runs until idle and replies are drained.
 *
 * Descriptor pool, in order: [0] a 1 MiB memfd (guest RAM), [1] [2]
 * eventfds, [3] one end of a socket pair (a back-end channel). The server
 * receives its own copies; ours stay open until the end of the input.
 *
 * Oracle: no crash, no sanitizer report, no hang; every descriptor the
 * server received is closed when it is destroyed (checked by counting
 * open descriptors before and after).
 */
#include "fuzz_support.h"

#include <ballast/vhost_user.h>
#include <ballast/lib/log.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define RAM_SIZE (1u << 20)
#define POOL 4

static void send_record(int fd, const uint8_t *p, size_t len,
			const int *pool, unsigned int first,
			unsigned int nr_fds)
{
	int fds[POOL];

	char ctl[CMSG_SPACE(POOL * sizeof(int))];
	struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (!len)
		return;
	if (nr_fds) {
		struct cmsghdr *cm;

		for (unsigned int i = 0; i < nr_fds; i++)
			fds[i] = pool[(first + i) % POOL];
		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(nr_fds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nr_fds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nr_fds * sizeof(int));
	}
	if (sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return;
}

static void drain(int fd)
{
	char buf[4096];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	struct vhost_user_server *srv;
	int sv[2], ch[2], pool[POOL], before;
	uint8_t *ram;
	size_t pos = 0;

	if (!quiet) {
		/* Refusals are expected by the thousand: keep errors only. */
		log_set_level(LOG_ERR);
		quiet = true;
	}
	before = count_fds();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ch) < 0)
		abort();
	pool[0] = memfd_create("fuzz-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	pool[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pool[2] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pool[3] = ch[1];
	if (pool[0] < 0 || pool[1] < 0 || pool[2] < 0 ||
	    ftruncate(pool[0], RAM_SIZE) < 0)
		abort();
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, pool[0],
		   0);
	if (ram == MAP_FAILED)
		abort();
	if (vhost_user_server_create(&srv, NULL, &vhost_user_echo_ops, NULL) ||
	    vhost_user_server_add_conn(srv, sv[0]))
		abort();

	while (pos + 3 <= size) {
		uint8_t type = data[pos];
		size_t len = data[pos + 1] | (size_t)data[pos + 2] << 8;
		uint64_t one = 1;

		pos += 3;
		len = min(len, size - pos);
		switch (type & 3) {
		case 0:
			send_record(sv[1], data + pos, len, pool,
				    (type >> 4) & 3, (type >> 2) & 3);
			break;
		case 1: {
			size_t off = (size_t)(type >> 2) * 4096;

			memcpy(ram + off, data + pos, min(len, RAM_SIZE - off));
			break;
		}
		case 2:
			for (int i = 1; i <= 2; i++)
				if (write(pool[i], &one, sizeof(one)) < 0)
					break;
			break;
		default:
			pos = size;
			break;
		}
		pos += len;
		for (int i = 0; i < 64 && vhost_user_server_poll(srv, 0) > 0;
		     i++)
			drain(sv[1]);
		drain(sv[1]);
		drain(ch[0]);
	}
	vhost_user_server_destroy(srv);
	munmap(ram, RAM_SIZE);
	for (int i = 0; i < POOL; i++)
		close(pool[i]);
	close(ch[0]);
	close(sv[1]);
	if (count_fds() != before)
		abort();	/* the server leaked a descriptor */
	return 0;
}
