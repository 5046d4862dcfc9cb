// SPDX-License-Identifier: MIT
/*
 * test_vhost_user.c - the vhost-user transport between two processes:
 * negotiation, config space, CONFIG_CHANGE_MSG, NEEDS_RESET and reset,
 * a hostile ring, malformed messages, many connections, a guest that
 * dies, and a back-end that misbehaves or floods the back-end channel.
 *
 * The back-end is a separate process: this program executed again with
 * VHOST_USER_ECHO_ARG (vhost_user_echo_spawn()), so it starts with no
 * threads and no state of the test. Each test gets its own back-end on
 * its own socket; teardown stops it with SIGTERM and requires a clean
 * exit, so a crash of the host (or a leak under ASan) fails the test.
 *
 *   test process (guest)                     host process (echo device)
 *   guest RAM memfd, rings,  --- socket --->  epoll loop, vringh,
 *   interrupt thread         <-- eventfds -->  mmap of guest RAM
 */
#include "../../support/test_support.h"
#include "../../support/virtio_echo.h"
#include "../../../src/virtio/internal.h"

#include <ballast/slab.h>
#include <ballast/task.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define DYING_GUEST_ARG "--vu-dying-guest"
#define QSIZE 256

static char sock_path[108];
static pid_t host_pid;
static unsigned int sock_seq;

static int host_setup(void **state)
{
	snprintf(sock_path, sizeof(sock_path), "/tmp/ballast-vu-%d-%u.sock",
		 (int)getpid(), sock_seq++);
	assert_int_equal(vhost_user_echo_spawn(sock_path, &host_pid), 0);
	return 0;
}

/* The host must still be alive and exit cleanly on SIGTERM. */
static int host_teardown(void **state)
{
	int status;

	assert_int_equal(waitpid(host_pid, &status, WNOHANG), 0);
	assert_int_equal(kill(host_pid, SIGTERM), 0);
	assert_int_equal(waitpid(host_pid, &status, 0), host_pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	return 0;
}

static const uint64_t ring_bits = (1ULL << VIRTIO_RING_F_EVENT_IDX) |
				  (1ULL << VIRTIO_RING_F_INDIRECT_DESC);

/*
 * The device offers VERSION_1 and both ring features, never the
 * transport's protocol-features bit; bits it did not offer are refused;
 * FEATURES_OK and DRIVER_OK reach the device's status; echoes flow.
 */
static void test_frontend_negotiates_features_and_status(void **state)
{
	struct echo_drv d;
	uint8_t status;
	uint64_t f;

	assert_int_equal(echo_drv_create(&d, sock_path, QSIZE, 64, ring_bits,
					 0, ECHO_XOR), 0);
	f = virtio_get_features(d.vdev);
	assert_true(f & (1ULL << VIRTIO_F_VERSION_1));
	assert_int_equal(f & ring_bits, ring_bits);
	assert_false(f & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES));
	assert_int_equal(d.vdev->id, VHOST_USER_ECHO_ID);
	assert_int_equal(virtio_get_status(d.vdev, &status), 0);
	assert_int_equal(status, VIRTIO_CONFIG_S_ACKNOWLEDGE |
				 VIRTIO_CONFIG_S_DRIVER |
				 VIRTIO_CONFIG_S_FEATURES_OK |
				 VIRTIO_CONFIG_S_DRIVER_OK);
	assert_int_equal(echo_run(&d, 1000), 0);
	assert_true(vhost_user_frontend_connected(d.vdev));

	/* Renegotiation after a reset: an unoffered bit is refused. */
	assert_int_equal(virtio_reset_device(d.vdev), 0);
	echo_drv_detach_all(&d);
	virtio_del_vqs(d.vdev);
	d.vq = NULL;
	d.vdev->features = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << 50);
	assert_int_equal(virtio_finalize_features(d.vdev), -EINVAL);
	d.vdev->features = 0;
	assert_int_equal(virtio_finalize_features(d.vdev), -EINVAL);
	assert_int_equal(echo_drv_start(&d, 0), 0);
	assert_int_equal(echo_run(&d, 1000), 0);
	echo_drv_destroy(&d);
}

/* Nothing listens: creation fails with an errno, nothing is leaked. */
static void test_frontend_create_without_backend_fails(void **state)
{
	struct vhost_user_frontend_opts opts = {
		.path = "/tmp/ballast-vu-nobody-listens.sock",
		.device_id = VHOST_USER_ECHO_ID, .queue_size = QSIZE,
	};
	struct virtio_device *vdev;

	assert_true(vhost_user_frontend_create(&opts, &vdev) < 0);
	opts.queue_size = 100;
	assert_int_equal(vhost_user_frontend_create(&opts, &vdev), -EINVAL);
}

/*
 * GET_CONFIG / SET_CONFIG: the processed counter counts chains, the xor
 * byte is writable, the counter is read-only, and bytes past the
 * device's 16-byte space are refused by the device (-EIO) while bytes
 * past the protocol's 256 are refused locally (-EINVAL).
 */
static void test_virtio_cread_cwrite_reach_config_space(void **state)
{
	struct echo_drv d;
	uint64_t processed = 1, junk = 0;
	uint8_t xor = 0;
	uint8_t big[32];

	assert_int_equal(echo_drv_create(&d, sock_path, QSIZE, 32, 0, 0,
					 ECHO_XOR), 0);
	assert_int_equal(echo_processed(&d, &processed), 0);
	assert_int_equal(processed, 0);
	assert_int_equal(virtio_cread(d.vdev, VHOST_USER_ECHO_CFG_XOR, &xor,
				      1), 0);
	assert_int_equal(xor, ECHO_XOR);
	assert_int_equal(echo_run(&d, 500), 0);
	assert_int_equal(echo_processed(&d, &processed), 0);
	assert_int_equal(processed, 500);
	assert_int_equal(virtio_cwrite(d.vdev, VHOST_USER_ECHO_CFG_PROCESSED,
				       &junk, sizeof(junk)), -EIO);
	assert_int_equal(virtio_cread(d.vdev, 8, big, 16), -EIO);
	assert_int_equal(virtio_cread(d.vdev, 250, big, 8), -EINVAL);
	/* The connection survived the refusals. */
	assert_int_equal(echo_run(&d, 100), 0);
	echo_drv_destroy(&d);
}

/* CONFIG_CHANGE_MSG from the back-end runs config_changed in the guest. */
static void test_config_change_msg_runs_config_changed(void **state)
{
	uint32_t cmd = VHOST_USER_ECHO_CMD_CONFIG_CHANGE;
	struct echo_drv d;

	assert_int_equal(echo_drv_create(&d, sock_path, QSIZE, 32, 0, 0,
					 ECHO_XOR), 0);
	assert_int_equal(virtio_cwrite(d.vdev, VHOST_USER_ECHO_CFG_COMMAND,
				       &cmd, sizeof(cmd)), 0);
	assert_true(wait_for_completion_timeout(&d.config, 30000));
	echo_drv_destroy(&d);
}

/* Reset, take every buffer back, start over; traffic flows again. */
static void reset_and_restart(struct echo_drv *d)
{
	uint8_t status;

	assert_int_equal(virtio_reset_device(d->vdev), 0);
	echo_drv_detach_all(d);
	assert_int_equal(d->nr_free, d->nslots);
	virtio_del_vqs(d->vdev);
	d->vq = NULL;
	assert_int_equal(echo_drv_start(d, ring_bits), 0);
	assert_int_equal(virtio_get_status(d->vdev, &status), 0);
	assert_false(status & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(echo_run(d, 1000), 0);
}

static void wait_needs_reset(struct echo_drv *d)
{
	uint8_t status = 0;

	assert_true(wait_for_completion_timeout(&d->config, 30000));
	assert_int_equal(virtio_get_status(d->vdev, &status), 0);
	assert_true(status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/*
 * The device asks for a reset: status gains NEEDS_RESET together with a
 * config change; after virtio_reset_device() the device works again.
 */
static void test_device_needs_reset_then_reset_recovers(void **state)
{
	uint32_t cmd = VHOST_USER_ECHO_CMD_NEEDS_RESET;
	struct echo_drv d;

	assert_int_equal(echo_drv_create(&d, sock_path, QSIZE, 32, ring_bits,
					 0, ECHO_XOR), 0);
	assert_int_equal(echo_run(&d, 100), 0);
	assert_int_equal(virtio_cwrite(d.vdev, VHOST_USER_ECHO_CFG_COMMAND,
				       &cmd, sizeof(cmd)), 0);
	wait_needs_reset(&d);
	reset_and_restart(&d);
	echo_drv_destroy(&d);
}

/*
 * The guest writes a chain the device must refuse, bypassing the driver:
 * descriptor 0 points one page past the end of guest RAM.
 *
 *   desc[0] = { addr = RAM size + 4096, len 16 }   avail->ring[i] = 0
 *
 * The host stops the queue, marks NEEDS_RESET, tells the guest; it does
 * not crash, and a reset brings the device back.
 */
static void test_hostile_ring_marks_needs_reset(void **state)
{
	const struct vring *vr;
	struct echo_drv d;
	uint16_t idx;

	assert_int_equal(echo_drv_create(&d, sock_path, QSIZE, 32, ring_bits,
					 0, ECHO_XOR), 0);
	vr = virtqueue_get_vring(d.vq);
	vr->desc[0].addr = page_ram_bytes() + PAGE_SIZE;
	vr->desc[0].len = 16;
	vr->desc[0].flags = 0;
	idx = vr->avail->idx;
	vr->avail->ring[idx % vr->num] = 0;
	__atomic_store_n(&vr->avail->idx, (uint16_t)(idx + 1),
			 __ATOMIC_RELEASE);
	assert_true(virtqueue_notify(d.vq));
	wait_needs_reset(&d);
	reset_and_restart(&d);
	echo_drv_destroy(&d);
}

/*
 * Explicit reconnect: the host dies; the next request fails with
 * -ENOTCONN (the front-end notices at once); reconnecting while nobody
 * listens fails; once a new host listens it succeeds, the driver's
 * config_changed runs (so it can re-apply settings) and buffers posted
 * meanwhile come back.
 */
static void test_frontend_reconnect_after_host_restart(void **state)
{
	uint8_t xor = ECHO_XOR;
	struct echo_drv d;
	uint64_t processed;
	int status;

	assert_int_equal(echo_drv_create(&d, sock_path, QSIZE, 32, ring_bits,
					 0, ECHO_XOR), 0);
	assert_int_equal(echo_run(&d, 300), 0);
	assert_int_equal(kill(host_pid, SIGKILL), 0);
	assert_int_equal(waitpid(host_pid, &status, 0), host_pid);
	assert_int_equal(echo_processed(&d, &processed), -ENOTCONN);
	assert_false(vhost_user_frontend_connected(d.vdev));
	assert_true(vhost_user_frontend_reconnect(d.vdev) < 0);
	/* Posted while disconnected: kicks wait in the kick eventfd. */
	for (unsigned long i = 0; i < 8; i++)
		assert_int_equal(echo_post(&d, i), 0);
	assert_true(virtqueue_kick(d.vq));

	assert_int_equal(vhost_user_echo_spawn(sock_path, &host_pid), 0);
	assert_int_equal(vhost_user_frontend_reconnect(d.vdev), 0);
	assert_true(vhost_user_frontend_connected(d.vdev));
	assert_int_equal(vhost_user_frontend_nr_reconnects(d.vdev), 1);
	assert_true(wait_for_completion_timeout(&d.config, 30000));
	assert_int_equal(virtio_cwrite(d.vdev, VHOST_USER_ECHO_CFG_XOR, &xor,
				       1), 0);
	/* The eight come back (echoed with xor 0 or ECHO_XOR: a race). */
	for (int got = 0; got < 8;) {
		if (virtqueue_get_buf(d.vq, NULL))
			got++;
		else if (virtqueue_enable_cb(d.vq))
			assert_true(wait_for_completion_timeout(&d.irq,
								30000));
	}
	d.nr_free = d.nslots;
	for (unsigned int i = 0; i < d.nslots; i++)
		d.free_slots[i] = i;
	assert_int_equal(echo_run(&d, 500), 0);
	assert_int_equal(echo_processed(&d, &processed), 0);
	assert_int_equal(processed, 8 + 500);
	echo_drv_destroy(&d);
}

/* ------------------------------------------------------------------ */
/* A raw front-end that misbehaves                                       */
/* ------------------------------------------------------------------ */

static int raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 30 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, sock_path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void raw_send(int fd, uint32_t req, uint32_t flags, const void *p,
		     uint32_t size, const int *fds, unsigned int nr_fds)
{
	struct vhost_user_hdr h = { .request = req, .flags = flags,
				    .size = size };

	assert_int_equal(vu_send(fd, &h, p, fds, nr_fds, false), 0);
}

/* Read one reply to @req; returns its payload size, payload in @p. */
static uint32_t raw_reply(int fd, uint32_t req, void *p)
{
	struct vhost_user_hdr h;

	assert_int_equal(recv(fd, &h, sizeof(h), MSG_WAITALL), sizeof(h));
	assert_int_equal(h.request, req);
	assert_int_equal(h.flags, VHOST_USER_VERSION | VHOST_USER_REPLY_MASK);
	if (h.size)
		assert_int_equal(recv(fd, p, h.size, MSG_WAITALL), h.size);
	return h.size;
}

/* Send with NEED_REPLY and return the REPLY_ACK value (0: success). */
static uint64_t raw_acked(int fd, uint32_t req, const void *p, uint32_t size,
			  const int *fds, unsigned int nr_fds)
{
	uint64_t ack = 42;

	raw_send(fd, req, VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK, p,
		 size, fds, nr_fds);
	assert_int_equal(raw_reply(fd, req, &ack), sizeof(ack));
	return ack;
}

/*
 * Malformed and out-of-state messages are refused per protocol (failed
 * REPLY_ACK, or an empty payload for requests that always reply); a bad
 * header closes the connection; the host survives and serves a real
 * front-end afterwards.
 */
static void test_backend_refuses_malformed_messages_and_survives(
	void **state)
{
	struct vhost_user_memory mem = { .nregions = 1 };
	struct vhost_vring_state st = { 0 };
	struct vhost_vring_addr addr = { 0 };
	struct vhost_user_config cfg = { .offset = 8, .size = 16 };
	uint64_t v = 0, proto = (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
				(1ULL << VHOST_USER_PROTOCOL_F_CONFIG);
	union vhost_user_payload p;
	int fd = raw_connect(), small, efd;
	struct echo_drv d;
	char c;

	raw_send(fd, VHOST_USER_GET_FEATURES, VHOST_USER_VERSION, NULL, 0,
		 NULL, 0);
	assert_int_equal(raw_reply(fd, VHOST_USER_GET_FEATURES, &p), 8);
	v = p.u64;
	raw_send(fd, VHOST_USER_SET_PROTOCOL_FEATURES, VHOST_USER_VERSION,
		 &proto, 8, NULL, 0);
	/* REPLY_ACK now works: a valid message acks 0. */
	assert_int_equal(raw_acked(fd, VHOST_USER_SET_FEATURES, &v, 8, NULL,
				   0), 0);

	/* Unoffered features; unknown request; ring index out of range. */
	v |= 1ULL << 55;
	assert_int_equal(raw_acked(fd, VHOST_USER_SET_FEATURES, &v, 8, NULL,
				   0), 1);
	assert_int_equal(raw_acked(fd, 99, NULL, 0, NULL, 0), 1);
	st.index = 200;
	assert_int_equal(raw_acked(fd, VHOST_USER_SET_VRING_NUM, &st,
				   sizeof(st), NULL, 0), 1);
	st.index = 5;
	st.num = 64;
	assert_int_equal(raw_acked(fd, VHOST_USER_SET_VRING_NUM, &st,
				   sizeof(st), NULL, 0), 1);
	st.index = 0;
	st.num = 1000;		/* not a power of two */
	assert_int_equal(raw_acked(fd, VHOST_USER_SET_VRING_NUM, &st,
				   sizeof(st), NULL, 0), 1);
	st.num = 4096;		/* above the device's maximum */
	assert_int_equal(raw_acked(fd, VHOST_USER_SET_VRING_NUM, &st,
				   sizeof(st), NULL, 0), 1);

	/* Requests that always reply get an empty payload when refused. */
	raw_send(fd, VHOST_USER_GET_FEATURES, VHOST_USER_VERSION, &v, 8,
		 NULL, 0);
	assert_int_equal(raw_reply(fd, VHOST_USER_GET_FEATURES, &p), 0);
	st.index = 3;
	raw_send(fd, VHOST_USER_GET_VRING_BASE, VHOST_USER_VERSION, &st,
		 sizeof(st), NULL, 0);
	assert_int_equal(raw_reply(fd, VHOST_USER_GET_VRING_BASE, &p), 0);
	raw_send(fd, VHOST_USER_GET_CONFIG, VHOST_USER_VERSION, &cfg,
		 VHOST_USER_CONFIG_HDR_SIZE + cfg.size, NULL, 0);
	assert_int_equal(raw_reply(fd, VHOST_USER_GET_CONFIG, &p), 0);

	/* Memory tables: no fd; a file shorter than the region claims. */
	mem.regions[0] = (struct vhost_user_mem_region){
		.memory_size = 1 << 20, .userspace_addr = 1 << 30,
	};
	assert_int_equal(raw_acked(fd, VHOST_USER_SET_MEM_TABLE, &mem,
				   VHOST_USER_MEM_HDR_SIZE + 32, NULL, 0), 1);
	small = memfd_create("small", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_int_equal(ftruncate(small, 4096), 0);
	assert_int_equal(raw_acked(fd, VHOST_USER_SET_MEM_TABLE, &mem,
				   VHOST_USER_MEM_HDR_SIZE + 32, &small, 1), 1);
	assert_int_equal(ftruncate(small, 1 << 20), 0);
	assert_int_equal(raw_acked(fd, VHOST_USER_SET_MEM_TABLE, &mem,
				   VHOST_USER_MEM_HDR_SIZE + 32, &small, 1), 0);

	/* A kick before addresses; addresses outside the table. */
	efd = eventfd(0, EFD_CLOEXEC);
	v = 0;
	assert_int_equal(raw_acked(fd, VHOST_USER_SET_VRING_KICK, &v, 8, &efd,
				   1), 1);
	st.index = 0;
	st.num = 16;
	assert_int_equal(raw_acked(fd, VHOST_USER_SET_VRING_NUM, &st,
				   sizeof(st), NULL, 0), 0);
	addr.desc_user_addr = 1ULL << 40;
	assert_int_equal(raw_acked(fd, VHOST_USER_SET_VRING_ADDR, &addr,
				   sizeof(addr), NULL, 0), 0);
	assert_int_equal(raw_acked(fd, VHOST_USER_SET_VRING_KICK, &v, 8, &efd,
				   1), 1);
	/* A kick fd that is a regular file cannot be polled. */
	addr.desc_user_addr = 1 << 30;
	addr.avail_user_addr = (1 << 30) + 4096;
	addr.used_user_addr = (1 << 30) + 8192;
	assert_int_equal(raw_acked(fd, VHOST_USER_SET_VRING_ADDR, &addr,
				   sizeof(addr), NULL, 0), 0);
	assert_int_equal(raw_acked(fd, VHOST_USER_SET_VRING_KICK, &v, 8,
				   &small, 1), 1);
	/* Two fds where one is expected. */
	{
		int two[2] = { efd, efd };

		assert_int_equal(raw_acked(fd, VHOST_USER_SET_VRING_CALL, &v,
					   8, two, 2), 1);
	}
	close(small);
	close(efd);

	/* A header with the wrong version: the host hangs up. */
	raw_send(fd, VHOST_USER_GET_FEATURES, 0x2, NULL, 0, NULL, 0);
	assert_int_equal(recv(fd, &c, 1, 0), 0);
	close(fd);

	/* An oversized payload also ends the connection. */
	fd = raw_connect();
	raw_send(fd, VHOST_USER_SET_FEATURES, VHOST_USER_VERSION, NULL, 0,
		 NULL, 0);
	{
		struct vhost_user_hdr h = { .request = 2, .flags = 1,
					    .size = 1 << 20 };

		assert_int_equal(send(fd, &h, sizeof(h), MSG_NOSIGNAL),
				 sizeof(h));
	}
	assert_int_equal(recv(fd, &c, 1, 0), 0);
	close(fd);

	assert_int_equal(echo_drv_create(&d, sock_path, QSIZE, 32, 0, 0,
					 ECHO_XOR), 0);
	assert_int_equal(echo_run(&d, 200), 0);
	echo_drv_destroy(&d);
}

/*
 * One host, four connections at once, each with its own device instance
 * (its own processed counter), traffic interleaved.
 */
static void test_host_serves_many_connections(void **state)
{
	struct echo_drv d[4];

	for (int i = 0; i < 4; i++)
		assert_int_equal(echo_drv_create(&d[i], sock_path, QSIZE, 64,
						 i % 2 ? ring_bits : 0, 0,
						 ECHO_XOR), 0);
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 4; i++)
			assert_int_equal(echo_run(&d[i], 300 + 100 * i), 0);
	for (int i = 0; i < 4; i++) {
		uint64_t processed;

		assert_int_equal(echo_processed(&d[i], &processed), 0);
		assert_int_equal(processed, 3 * (300 + 100 * i));
		echo_drv_destroy(&d[i]);
	}
}

/*
 * A guest process connects, runs traffic and is killed (SIGKILL) in the
 * middle of it; the host drops that connection and serves new ones.
 */
static void test_guest_death_host_survives(void **state)
{
	extern char **environ;
	char exe[] = "/proc/self/exe", arg[] = DYING_GUEST_ARG, fdarg[] = "3";
	char *argv[] = { exe, arg, sock_path, fdarg, NULL };
	posix_spawn_file_actions_t fa;
	struct echo_drv d;
	int p[2], w, status;
	pid_t guest;
	char c;

	for (int round = 0; round < 2; round++) {
		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
		/* Away from fd 3, so dup2 in the child clears CLOEXEC. */
		w = fcntl(p[1], F_DUPFD_CLOEXEC, 16);
		close(p[1]);
		p[1] = w;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, p[1], 3);
		assert_int_equal(posix_spawn(&guest, exe, &fa, NULL, argv,
					     environ), 0);
		posix_spawn_file_actions_destroy(&fa);
		close(p[1]);
		assert_int_equal(read(p[0], &c, 1), 1);	/* mid-traffic */
		close(p[0]);
		assert_int_equal(kill(guest, SIGKILL), 0);
		assert_int_equal(waitpid(guest, &status, 0), guest);
		assert_true(WIFSIGNALED(status));
	}
	assert_int_equal(echo_drv_create(&d, sock_path, QSIZE, 64, ring_bits,
					 0, ECHO_XOR), 0);
	assert_int_equal(echo_run(&d, 2000), 0);
	echo_drv_destroy(&d);
}

/* The dying guest: traffic forever, one byte on fd 3 once it flows. */
static int dying_guest_main(const char *path)
{
	struct echo_drv d;
	char c = 'R';

	if (page_ram_init(32UL << 20) || alloc_init() || slab_init())
		return 1;
	if (echo_drv_create(&d, path, QSIZE, 128, ring_bits, 0, ECHO_XOR) ||
	    echo_run(&d, 1000))
		return 1;
	if (write(3, &c, 1) != 1)
		return 1;
	for (;;)
		if (echo_run(&d, 100000))
			return 1;
}

/* ------------------------------------------------------------------ */
/* A back-end that misbehaves                                            */
/* ------------------------------------------------------------------ */

enum fake_mode { FAKE_WRONG_REQUEST, FAKE_NO_VERSION_1, FAKE_HANG_UP };

struct fake_backend {
	int listen_fd;
	enum fake_mode mode;
};

/* Answer the first request (GET_FEATURES) wrongly, then hang up. */
static int fake_backend_fn(void *arg)
{
	struct fake_backend *fb = arg;
	struct vhost_user_hdr h;
	struct {
		struct vhost_user_hdr h;
		uint64_t v;
	} __attribute__((packed)) r = {
		.h = { .flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK,
		       .size = 8 },
	};
	int fd = accept(fb->listen_fd, NULL, NULL);

	if (fd < 0)
		return 1;
	if (recv(fd, &h, sizeof(h), MSG_WAITALL) == sizeof(h)) {
		r.h.request = h.request;
		if (fb->mode == FAKE_WRONG_REQUEST) {
			r.h.request = VHOST_USER_GET_QUEUE_NUM;
			r.v = ~0ULL;
		} else if (fb->mode == FAKE_NO_VERSION_1) {
			r.v = 1ULL << VHOST_USER_F_PROTOCOL_FEATURES;
		}
		if (fb->mode != FAKE_HANG_UP)
			send(fd, &r, sizeof(r), MSG_NOSIGNAL);
	}
	close(fd);
	return 0;
}

/*
 * A reply to the wrong request, a device without VERSION_1, and a
 * back-end that hangs up: the front-end refuses each (-EPROTO, -EPROTO,
 * -ENOTCONN) and leaves nothing behind.
 */
static void test_frontend_refuses_misbehaving_backend(void **state)
{
	const int expect[] = { -EPROTO, -EPROTO, -ENOTCONN };
	char path[108];

	snprintf(path, sizeof(path), "/tmp/ballast-vu-fake-%d.sock",
		 (int)getpid());
	for (int mode = 0; mode < 3; mode++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		struct vhost_user_frontend_opts opts = {
			.path = path, .device_id = 1, .queue_size = 16,
		};
		struct fake_backend fb = { .mode = mode };
		struct virtio_device *vdev;
		struct task *t;

		fb.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		strcpy(sa.sun_path, path);
		unlink(path);
		assert_int_equal(bind(fb.listen_fd, (struct sockaddr *)&sa,
				      sizeof(sa)), 0);
		assert_int_equal(listen(fb.listen_fd, 1), 0);
		assert_int_equal(task_create(&t, "fake-backend",
					     fake_backend_fn, &fb, 0), 0);
		assert_int_equal(vhost_user_frontend_create(&opts, &vdev),
				 expect[mode]);
		assert_int_equal(task_destroy(t), 0);
		close(fb.listen_fd);
		unlink(path);
	}
}

/*
 * A back-end that floods the back-end channel. It negotiates REPLY_ACK
 * and BACKEND_REQ (acking every request that asks), waits for the test's
 * go, then sends FLOOD CONFIG_CHANGE_MSGs in one write and a last one
 * that asks for an ack, and waits for that ack.
 */
#define FLOOD 256

struct flood_backend {
	int listen_fd;
	struct completion go;
};

static int flood_reply(int fd, uint32_t req, uint64_t v)
{
	struct vhost_user_hdr h = {
		.request = req, .size = sizeof(v),
		.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK,
	};

	return vu_send(fd, &h, &v, NULL, 0, false) ? 1 : 0;
}

/* Serve requests until SET_BACKEND_REQ_FD; return the channel or -1. */
static int flood_negotiate(int fd)
{
	const uint64_t features = (1ULL << VIRTIO_F_VERSION_1) |
				  (1ULL << VHOST_USER_F_PROTOCOL_FEATURES);
	const uint64_t protocol = (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
				  (1ULL << VHOST_USER_PROTOCOL_F_BACKEND_REQ);

	for (;;) {
		struct vhost_user_msg msg;
		unsigned int nr_fds;
		int ch = -1, bad = 0;
		uint32_t req;

		if (vu_recv_blocking(fd, &msg, VHOST_USER_FROM_FRONTEND, &ch, 1,
				     &nr_fds))
			return -1;
		req = msg.hdr.request;
		if (req == VHOST_USER_GET_FEATURES)
			bad = flood_reply(fd, req, features);
		else if (req == VHOST_USER_GET_PROTOCOL_FEATURES)
			bad = flood_reply(fd, req, protocol);
		else if (msg.hdr.flags & VHOST_USER_NEED_REPLY_MASK)
			bad = flood_reply(fd, req, 0);
		if (bad)
			return -1;
		if (req == VHOST_USER_SET_BACKEND_REQ_FD)
			return nr_fds ? ch : -1;
		if (nr_fds)
			close(ch);
	}
}

static int flood_backend_fn(void *arg)
{
	struct flood_backend *fb = arg;
	struct timeval tv = { .tv_sec = 30 };	/* failure detector */
	struct vhost_user_hdr msgs[FLOOD + 1], ack[2];
	struct pollfd pfd;
	int fd, ch, ret = 1;

	fd = accept(fb->listen_fd, NULL, NULL);
	if (fd < 0)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ch = flood_negotiate(fd);
	if (ch < 0 || !wait_for_completion_timeout(&fb->go, 30000))
		goto out;
	for (int i = 0; i <= FLOOD; i++)
		msgs[i] = (struct vhost_user_hdr){
			.request = VHOST_USER_BACKEND_CONFIG_CHANGE_MSG,
			.flags = VHOST_USER_VERSION,
		};
	msgs[FLOOD].flags |= VHOST_USER_NEED_REPLY_MASK;
	if (send(ch, msgs, sizeof(msgs), MSG_NOSIGNAL) != sizeof(msgs))
		goto out;
	/* The ack of the last one: the front-end has read them all. */
	pfd = (struct pollfd){ .fd = ch, .events = POLLIN };
	if (poll(&pfd, 1, 30000) == 1 &&
	    recv(ch, ack, VHOST_USER_HDR_SIZE + 8, MSG_WAITALL) ==
		    VHOST_USER_HDR_SIZE + 8 &&
	    ack[0].request == VHOST_USER_BACKEND_CONFIG_CHANGE_MSG)
		ret = 0;
out:
	if (ch >= 0)
		close(ch);
	close(fd);
	return ret;
}

static atomic_uint flood_config_changes;

static void flood_config_changed(struct virtio_device *vdev)
{
	atomic_fetch_add(&flood_config_changes, 1);
}

/*
 * FLOOD + 1 CONFIG_CHANGE_MSGs arrive at once on the back-end channel.
 * The interrupt thread reads them in bounded batches (at most 32 a
 * wake-up), releasing the front-end's lock in between, so
 * config_changed runs once a batch: at least FLOOD / 32 times, not once.
 */
static void test_frontend_backend_flood_is_read_in_batches(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vhost_user_frontend_opts opts = {
		.path = sa.sun_path, .device_id = 1, .queue_size = 16,
	};
	struct flood_backend fb;
	struct virtio_device *vdev;
	struct task *t;

	snprintf(sa.sun_path, sizeof(sa.sun_path),
		 "/tmp/ballast-vu-flood-%d.sock", (int)getpid());
	init_completion(&fb.go);
	fb.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(sa.sun_path);
	assert_int_equal(bind(fb.listen_fd, (struct sockaddr *)&sa,
			      sizeof(sa)), 0);
	assert_int_equal(listen(fb.listen_fd, 1), 0);
	assert_int_equal(task_create(&t, "flood-backend", flood_backend_fn,
				     &fb, 0), 0);
	assert_int_equal(vhost_user_frontend_create(&opts, &vdev), 0);
	atomic_store(&flood_config_changes, 0);
	vdev->config_changed = flood_config_changed;
	/* Under the front-end's lock: the interrupt thread sees the hook. */
	assert_int_equal(virtio_device_ready(vdev), 0);
	complete(&fb.go);

	assert_int_equal(task_destroy(t), 0);
	/* Joins the interrupt thread: every config_changed has run. */
	vhost_user_frontend_destroy(vdev);
	assert_true(atomic_load(&flood_config_changes) >= FLOOD / 32);
	close(fb.listen_fd);
	unlink(sa.sun_path);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, host_setup, host_teardown)
		T(test_frontend_negotiates_features_and_status),
		T(test_frontend_create_without_backend_fails),
		T(test_virtio_cread_cwrite_reach_config_space),
		T(test_config_change_msg_runs_config_changed),
		T(test_device_needs_reset_then_reset_recovers),
		T(test_hostile_ring_marks_needs_reset),
		T(test_frontend_reconnect_after_host_restart),
		T(test_backend_refuses_malformed_messages_and_survives),
		T(test_host_serves_many_connections),
		T(test_guest_death_host_survives),
#undef T
		cmocka_unit_test(test_frontend_refuses_misbehaving_backend),
		cmocka_unit_test(
			test_frontend_backend_flood_is_read_in_batches),
	};
	int status;

	if (vhost_user_echo_main(argc, argv, &status))
		return status;
	if (argc == 4 && !strcmp(argv[1], DYING_GUEST_ARG))
		return dying_guest_main(argv[2]);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("vhost_user", tests,
					   test_mem_group_setup,
					   test_mem_group_teardown);
}
