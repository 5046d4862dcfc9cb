// SPDX-License-Identifier: MIT
/*
 * test_vhost_user_server.c - the back-end server driven by hand, in one
 * thread: a test device records its callbacks, the test plays the
 * front-end on a socket pair and runs vhost_user_server_poll() itself, so
 * every step is deterministic.
 *
 * Covered: the epoll descriptor an outer loop can wait on (readable for a
 * message and for deferred work), the memory table as the device sees it
 * (regions keep their file open for hole punching; mem_changed runs; a
 * file that cannot be sealed against shrinking is refused), that the
 * server closes every descriptor it received, that a ring that is never
 * empty does not starve other connections, and that a kick fd at its end
 * does not make the loop spin.
 */
#include "../../support/test_support.h"
#include "../../fuzz/fuzz_support.h"	/* count_fds() */
#include "../../../src/virtio/internal.h"	/* vu_send() */

#include <ballast/vhost_user.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct probe {
	struct vhost_user_dev *dev;
	unsigned int creates, destroys, mem_changes, handled;
};

static struct probe probe;

static int probe_create(struct vhost_user_dev *dev)
{
	probe.dev = dev;
	probe.creates++;
	return 0;
}

static void probe_destroy(struct vhost_user_dev *dev)
{
	probe.destroys++;
	probe.dev = NULL;
}

static void probe_mem_changed(struct vhost_user_dev *dev)
{
	probe.mem_changes++;
}

static void probe_handle_queue(struct vhost_user_dev *dev, unsigned int q)
{
	probe.handled++;
}

static const struct vhost_user_dev_ops probe_ops = {
	.name = "probe",
	.device_id = 0xfffd,
	.nr_queues = 2,
	.max_queue_size = 256,
	.create = probe_create,
	.destroy = probe_destroy,
	.mem_changed = probe_mem_changed,
	.handle_queue = probe_handle_queue,
};

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static void send_msg(int fd, uint32_t req, const void *p, uint32_t size,
		     int pass_fd)
{
	struct vhost_user_hdr h = { .request = req,
				    .flags = VHOST_USER_VERSION,
				    .size = size };

	assert_int_equal(vu_send(fd, &h, p, pass_fd >= 0 ? &pass_fd : NULL,
				 pass_fd >= 0, false), 0);
}

/*
 * A ring the test writes as the guest, in a sealable memfd it maps too:
 *
 *   gpa 0 (uaddr RING_UADDR): desc @+0 | avail @+4K | used @+8K | bufs @+16K
 *
 * RING_NUM device-writable buffers of 64 bytes, all made available.
 */
#define RING_RAM (64u << 10)
#define RING_UADDR (1ULL << 40)
#define RING_NUM 8u
#define AVAIL_OFF 0x1000
#define USED_OFF 0x2000
#define BUF_OFF 0x4000

struct guest_ring {
	int memfd;
	uint8_t *ram;
	uint16_t avail_idx;
};

static struct vring_avail *ring_avail(struct guest_ring *g)
{
	return (struct vring_avail *)(g->ram + AVAIL_OFF);
}

/* The guest makes @head available (again). */
static void ring_post(struct guest_ring *g, uint16_t head)
{
	struct vring_avail *avail = ring_avail(g);

	avail->ring[g->avail_idx % RING_NUM] = head;
	g->avail_idx++;
	__atomic_store_n(&avail->idx, g->avail_idx, __ATOMIC_RELEASE);
}

static void ring_create(struct guest_ring *g)
{
	struct vring_desc *desc;

	g->memfd = memfd_create("server-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(g->memfd >= 0);
	assert_int_equal(ftruncate(g->memfd, RING_RAM), 0);
	g->ram = mmap(NULL, RING_RAM, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->memfd, 0);
	assert_true(g->ram != MAP_FAILED);
	g->avail_idx = 0;
	desc = (struct vring_desc *)g->ram;
	for (uint16_t i = 0; i < RING_NUM; i++) {
		desc[i] = (struct vring_desc){ .addr = BUF_OFF + 64u * i,
					       .len = 64,
					       .flags = VRING_DESC_F_WRITE };
		ring_post(g, i);
	}
}

static void ring_destroy(struct guest_ring *g)
{
	munmap(g->ram, RING_RAM);
	close(g->memfd);
}

/* Memory table, size, addresses, then the kick that starts queue 0. */
static void ring_start(int sock, struct guest_ring *g, int kick_fd)
{
	struct vhost_user_memory m = {
		.nregions = 1,
		.regions[0] = { .memory_size = RING_RAM,
				.userspace_addr = RING_UADDR },
	};
	struct vhost_vring_state st = { .index = 0, .num = RING_NUM };
	struct vhost_vring_addr addr = {
		.index = 0,
		.desc_user_addr = RING_UADDR,
		.avail_user_addr = RING_UADDR + AVAIL_OFF,
		.used_user_addr = RING_UADDR + USED_OFF,
	};
	uint64_t q = 0;

	send_msg(sock, VHOST_USER_SET_MEM_TABLE, &m,
		 VHOST_USER_MEM_HDR_SIZE + sizeof(m.regions[0]), g->memfd);
	send_msg(sock, VHOST_USER_SET_VRING_NUM, &st, sizeof(st), -1);
	send_msg(sock, VHOST_USER_SET_VRING_ADDR, &addr, sizeof(addr), -1);
	send_msg(sock, VHOST_USER_SET_VRING_KICK, &q, sizeof(q), kick_fd);
}

/*
 * The sink device completes every chain at once. With @repost its guest
 * makes each chain available again before the device looks again, so
 * the ring is never empty; SINK_STOP only keeps a server without a pop
 * budget from hanging the test.
 */
#define SINK_STOP (100 * RING_NUM)

struct sink {
	struct guest_ring ring;
	bool repost;
	unsigned int pops;
	struct vringh_elem elem;
	struct iovec iov[RING_NUM];
};

static struct sink sink;

static void sink_handle_queue(struct vhost_user_dev *dev, unsigned int q)
{
	while (sink.pops < SINK_STOP &&
	       vhost_user_dev_pop(dev, q, &sink.elem) > 0) {
		sink.pops++;
		assert_int_equal(vhost_user_dev_push(dev, q, sink.elem.head, 0),
				 0);
		if (sink.repost)
			ring_post(&sink.ring, sink.elem.head);
	}
}

static void sink_init(bool repost)
{
	memset(&sink, 0, sizeof(sink));
	sink.repost = repost;
	sink.elem.iov = sink.iov;
	sink.elem.iov_max = RING_NUM;
	ring_create(&sink.ring);
}

static const struct vhost_user_dev_ops sink_ops = {
	.name = "sink",
	.device_id = 0xfffd,
	.nr_queues = 1,
	.max_queue_size = RING_NUM,
	.handle_queue = sink_handle_queue,
};

/*
 * The server's descriptor is readable when a message waits and when
 * deferred work waits (vhost_user_dev_kick() with no socket traffic);
 * one poll each makes it quiet again.
 */
static void test_vhost_user_server_fd_wakes_outer_loop(void **state)
{
	struct vhost_user_server *srv;
	struct vhost_user_hdr reply;
	uint64_t features;
	int sv[2];

	memset(&probe, 0, sizeof(probe));
	assert_int_equal(vhost_user_server_create(&srv, NULL, &probe_ops,
						  NULL), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	assert_int_equal(vhost_user_server_add_conn(srv, sv[0]), 0);
	assert_int_equal(probe.creates, 1);
	assert_int_equal(vhost_user_server_nr_conns(srv), 1);
	assert_false(readable(vhost_user_server_fd(srv)));

	send_msg(sv[1], VHOST_USER_GET_FEATURES, NULL, 0, -1);
	assert_true(readable(vhost_user_server_fd(srv)));
	assert_true(vhost_user_server_poll(srv, 0) > 0);
	assert_false(readable(vhost_user_server_fd(srv)));
	assert_int_equal(recv(sv[1], &reply, sizeof(reply), 0),
			 sizeof(reply));
	assert_int_equal(recv(sv[1], &features, sizeof(features), 0),
			 sizeof(features));
	assert_true(features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES));

	vhost_user_dev_kick(probe.dev, 1);
	assert_true(readable(vhost_user_server_fd(srv)));
	assert_true(vhost_user_server_poll(srv, 0) > 0);
	assert_false(readable(vhost_user_server_fd(srv)));
	/* Queue 1 is not started: the kick runs no handler. */
	assert_int_equal(probe.handled, 0);

	close(sv[1]);
	assert_true(vhost_user_server_poll(srv, 0) > 0);
	assert_int_equal(probe.destroys, 1);
	assert_int_equal(vhost_user_server_nr_conns(srv), 0);
	vhost_user_server_destroy(srv);
}

/*
 * SET_MEM_TABLE: the device sees the region with its file still open at
 * the right offset, mem_changed runs, and the server closes every
 * descriptor it received once the connection ends.
 */
static void test_vhost_user_dev_mem_keeps_region_file(void **state)
{
	struct vhost_user_memory m = {
		.nregions = 1,
		.regions[0] = { .guest_phys_addr = 0x100000,
				.memory_size = 1 << 20,
				.userspace_addr = 1ULL << 40,
				.mmap_offset = 4096 },
	};
	const struct virtio_mem *mem;
	struct vhost_user_server *srv;
	struct stat a, b;
	int sv[2], memfd, before = count_fds();
	uint8_t *mine;

	memset(&probe, 0, sizeof(probe));
	assert_true(before >= 0);	/* /proc/self/fd readable */
	memfd = memfd_create("server-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_int_equal(ftruncate(memfd, (1 << 20) + 4096), 0);
	mine = mmap(NULL, (1 << 20) + 4096, PROT_READ | PROT_WRITE,
		    MAP_SHARED, memfd, 0);
	assert_true(mine != MAP_FAILED);
	mine[4096 + 77] = 0x42;
	assert_int_equal(vhost_user_server_create(&srv, NULL, &probe_ops,
						  NULL), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	assert_int_equal(vhost_user_server_add_conn(srv, sv[0]), 0);
	send_msg(sv[1], VHOST_USER_SET_MEM_TABLE, &m,
		 VHOST_USER_MEM_HDR_SIZE + sizeof(m.regions[0]), memfd);
	assert_true(vhost_user_server_poll(srv, 0) > 0);
	assert_int_equal(probe.mem_changes, 1);

	mem = vhost_user_dev_mem(probe.dev);
	assert_int_equal(mem->nr_regions, 1);
	assert_int_equal(mem->regions[0].gpa, 0x100000);
	assert_int_equal(mem->regions[0].file_offset, 4096);
	assert_int_equal(fstat(mem->regions[0].fd, &a), 0);
	assert_int_equal(fstat(memfd, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(((uint8_t *)virtio_mem_gpa_to_hva(mem, 0x100000 + 77,
							   1))[0], 0x42);
	/* The front-end can no longer pull the mapping from under us. */
	assert_true(fcntl(memfd, F_GET_SEALS) & F_SEAL_SHRINK);
	assert_int_equal(ftruncate(memfd, 4096), -1);

	close(sv[1]);
	assert_true(vhost_user_server_poll(srv, 0) > 0);
	vhost_user_server_destroy(srv);
	munmap(mine, (1 << 20) + 4096);
	close(memfd);
	assert_int_equal(count_fds(), before);
}

/*
 * A front-end whose memory file cannot be sealed against shrinking (a
 * memfd without MFD_ALLOW_SEALING, a plain file) could truncate it and
 * make the host fault on access: SET_MEM_TABLE is refused and the
 * device keeps no map. The same region in a sealable memfd is accepted.
 */
static void test_vhost_user_dev_mem_unsealable_file_is_refused(void **state)
{
	struct vhost_user_memory m = {
		.nregions = 1,
		.regions[0] = { .memory_size = 1 << 20,
				.userspace_addr = 1ULL << 40 },
	};
	const uint32_t size = VHOST_USER_MEM_HDR_SIZE + sizeof(m.regions[0]);
	struct vhost_user_server *srv;
	int sv[2], fds[3];

	memset(&probe, 0, sizeof(probe));
	fds[0] = memfd_create("unsealable", MFD_CLOEXEC);
	fds[1] = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	fds[2] = memfd_create("sealable", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	for (int i = 0; i < 3; i++) {
		assert_true(fds[i] >= 0);
		assert_int_equal(ftruncate(fds[i], 1 << 20), 0);
	}
	assert_int_equal(vhost_user_server_create(&srv, NULL, &probe_ops,
						  NULL), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	assert_int_equal(vhost_user_server_add_conn(srv, sv[0]), 0);

	for (int i = 0; i < 2; i++) {
		send_msg(sv[1], VHOST_USER_SET_MEM_TABLE, &m, size, fds[i]);
		assert_true(vhost_user_server_poll(srv, 0) > 0);
		assert_int_equal(probe.mem_changes, 0);
		assert_int_equal(vhost_user_dev_mem(probe.dev)->nr_regions, 0);
	}
	send_msg(sv[1], VHOST_USER_SET_MEM_TABLE, &m, size, fds[2]);
	assert_true(vhost_user_server_poll(srv, 0) > 0);
	assert_int_equal(probe.mem_changes, 1);
	assert_int_equal(vhost_user_dev_mem(probe.dev)->nr_regions, 1);

	close(sv[1]);
	assert_true(vhost_user_server_poll(srv, 0) > 0);
	vhost_user_server_destroy(srv);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
}

/*
 * Fairness. Connection A's guest re-posts every buffer the moment the
 * device completes it, so its ring of 8 is never empty:
 *
 *   avail: 0 1 2 ... 7 | 0 1 2 ... (re-posted during the pop loop)
 *
 * One pass of the loop pops one ring's worth (8) and leaves the queue
 * for the next pass: the server descriptor stays readable, and the next
 * pass answers connection B's GET_FEATURES as well as popping 8 more.
 */
static void test_vhost_user_dev_pop_endless_ring_yields_to_other_conns(
	void **state)
{
	struct vhost_user_server *srv;
	struct vhost_user_hdr reply;
	int a[2], b[2], kick;

	sink_init(true);
	assert_int_equal(vhost_user_server_create(&srv, NULL, &sink_ops, NULL),
			 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    a), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    b), 0);
	assert_int_equal(vhost_user_server_add_conn(srv, a[0]), 0);
	assert_int_equal(vhost_user_server_add_conn(srv, b[0]), 0);
	kick = eventfd(0, EFD_CLOEXEC);
	assert_true(kick >= 0);

	ring_start(a[1], &sink.ring, kick);
	assert_true(vhost_user_server_poll(srv, 0) > 0);
	assert_int_equal(sink.pops, RING_NUM);
	assert_true(readable(vhost_user_server_fd(srv)));

	send_msg(b[1], VHOST_USER_GET_FEATURES, NULL, 0, -1);
	assert_true(vhost_user_server_poll(srv, 0) > 0);
	assert_int_equal(recv(b[1], &reply, sizeof(reply), MSG_DONTWAIT),
			 sizeof(reply));
	assert_int_equal(reply.request, VHOST_USER_GET_FEATURES);
	assert_int_equal(sink.pops, 2 * RING_NUM);

	close(a[1]);
	close(b[1]);
	close(kick);
	vhost_user_server_destroy(srv);
	ring_destroy(&sink.ring);
}

/*
 * A kick fd that reaches its end (a pipe whose write end is closed) is
 * readable forever: the server stops watching it after one wake-up, so
 * its descriptor goes quiet instead of waking an outer loop in a busy
 * loop. A new SET_VRING_KICK brings kicks back.
 */
static void test_vhost_user_server_poll_kick_fd_at_eof_stops_watching(
	void **state)
{
	struct vhost_user_server *srv;
	uint64_t q = 0, one = 1;
	int sv[2], p[2], kick;

	sink_init(false);
	assert_int_equal(vhost_user_server_create(&srv, NULL, &sink_ops, NULL),
			 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	assert_int_equal(vhost_user_server_add_conn(srv, sv[0]), 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	close(p[1]);

	ring_start(sv[1], &sink.ring, p[0]);
	close(p[0]);
	/* A few passes: start, consume the ring, see the hang-up. */
	for (int i = 0; i < 8 && vhost_user_server_poll(srv, 0) > 0; i++)
		;
	assert_int_equal(sink.pops, RING_NUM);
	assert_false(readable(vhost_user_server_fd(srv)));

	/* A new kick fd works: the guest posts and kicks, the queue runs. */
	kick = eventfd(0, EFD_CLOEXEC);
	assert_true(kick >= 0);
	send_msg(sv[1], VHOST_USER_SET_VRING_KICK, &q, sizeof(q), kick);
	assert_true(vhost_user_server_poll(srv, 0) > 0);
	for (uint16_t h = 0; h < RING_NUM; h++)
		ring_post(&sink.ring, h);
	assert_int_equal(write(kick, &one, sizeof(one)), sizeof(one));
	assert_true(vhost_user_server_poll(srv, 0) > 0);
	assert_int_equal(sink.pops, 2 * RING_NUM);

	close(sv[1]);
	close(kick);
	vhost_user_server_destroy(srv);
	ring_destroy(&sink.ring);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vhost_user_server_fd_wakes_outer_loop),
		cmocka_unit_test(test_vhost_user_dev_mem_keeps_region_file),
#define T(f) cmocka_unit_test(f)
		T(test_vhost_user_dev_mem_unsealable_file_is_refused),
		T(test_vhost_user_dev_pop_endless_ring_yields_to_other_conns),
		T(test_vhost_user_server_poll_kick_fd_at_eof_stops_watching),
#undef T
	};

	return cmocka_run_group_tests_name("vhost_user_server", tests, NULL,
					   NULL);
}
