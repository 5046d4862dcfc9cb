// SPDX-License-Identifier: MIT
/*
 * test_balloon_dev.c - the host's balloon device in process, behind the
 * real vhost-user back-end on a socket pair: this test is a front-end that
 * writes raw messages and lays out split rings in a guest RAM memfd of its
 * own, so it can send what ballast's front-end never sends (a memory table
 * sent again on the same connection).
 *
 *   RAM (64 pages, memfd, gpa 0):
 *   0            8                 56      58      60
 *   [pages the test balloons ....] [bufs]  [ring0] [ring1]
 *   ring q: desc table (one page), then avail, and used at +2 KiB
 */
#include "../../support/test_support.h"
#include "../../../src/host/balloon_dev.h"
#include "../../../src/virtio/internal.h"

#include <endian.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define PG 4096u
#define NR_PAGES 64u
#define RAM_SIZE (NR_PAGES * PG)
#define QSIZE 64u
#define BUF_PAGE 56u
#define RING_PAGE(q) (58u + 2u * (q))

static struct host host;
static struct vhost_user_server *srv;
static int sock = -1;			/* our end of the connection */
static int memfd = -1;
static uint8_t *ram;
static int kick[2] = { -1, -1 }, call[2] = { -1, -1 };
static uint16_t avail_idx[2];

/* Run the back-end until it has nothing left to do. */
static void run_server(void)
{
	for (int i = 0; i < 1000; i++)
		if (vhost_user_server_poll(srv, 0) <= 0)
			return;
	fail_msg("the back-end does not settle");
}

static void send_msg(uint32_t req, const void *payload, uint32_t size,
		     const int *fds, unsigned int nr_fds)
{
	struct vhost_user_hdr hdr = { .request = req,
				      .flags = VHOST_USER_VERSION,
				      .size = size };

	assert_int_equal(vu_send(sock, &hdr, payload, fds, nr_fds, false), 0);
	run_server();
}

static void send_u64(uint32_t req, uint64_t v)
{
	send_msg(req, &v, sizeof(v), NULL, 0);
}

static void send_state(uint32_t req, unsigned int index, unsigned int num)
{
	struct vhost_vring_state st = { .index = index, .num = num };

	send_msg(req, &st, sizeof(st), NULL, 0);
}

/* A request that gets a u64 reply. */
static uint64_t get_u64(uint32_t req)
{
	struct {
		struct vhost_user_hdr hdr;
		uint64_t v;
	} __attribute__((packed)) reply;

	send_msg(req, NULL, 0, NULL, 0);
	assert_int_equal(recv(sock, &reply, sizeof(reply), MSG_DONTWAIT),
			 sizeof(reply));
	assert_int_equal(reply.hdr.request, req);
	return reply.v;
}

/* SET_MEM_TABLE: @fd as guest RAM, one region at @gpa. */
static void send_mem_table_at(int fd, uint64_t gpa)
{
	struct vhost_user_memory m = {
		.nregions = 1,
		.regions[0] = { .guest_phys_addr = gpa,
				.memory_size = RAM_SIZE,
				.userspace_addr = (uintptr_t)ram },
	};

	send_msg(VHOST_USER_SET_MEM_TABLE, &m,
		 VHOST_USER_MEM_HDR_SIZE + sizeof(m.regions[0]), &fd, 1);
}

static void send_mem_table(int fd)
{
	send_mem_table_at(fd, 0);
}

static void start_queue(unsigned int q)
{
	uint8_t *base = ram + RING_PAGE(q) * PG;
	struct vhost_vring_addr addr = {
		.index = q,
		.desc_user_addr = (uintptr_t)base,
		.avail_user_addr = (uintptr_t)(base + PG),
		.used_user_addr = (uintptr_t)(base + PG + 2048),
	};
	uint64_t v;

	kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	call[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(kick[q] >= 0 && call[q] >= 0);
	send_state(VHOST_USER_SET_VRING_NUM, q, QSIZE);
	send_msg(VHOST_USER_SET_VRING_ADDR, &addr, sizeof(addr), NULL, 0);
	send_state(VHOST_USER_SET_VRING_BASE, q, 0);
	v = q;
	send_msg(VHOST_USER_SET_VRING_CALL, &v, sizeof(v), &call[q], 1);
	send_msg(VHOST_USER_SET_VRING_KICK, &v, sizeof(v), &kick[q], 1);
	send_state(VHOST_USER_SET_VRING_ENABLE, q, 1);
}

static struct vring_used *used_ring(unsigned int q)
{
	return (struct vring_used *)(ram + RING_PAGE(q) * PG + PG + 2048);
}

/*
 * Post @n pfns as one buffer on queue @q (0 inflate, 1 deflate), kick,
 * and check the device used it.
 */
static void post_pfns(unsigned int q, const uint32_t *pfns, unsigned int n)
{
	struct vring_desc *desc = (struct vring_desc *)(ram + RING_PAGE(q) * PG);
	struct vring_avail *avail = (struct vring_avail *)((uint8_t *)desc + PG);
	uint32_t *buf = (uint32_t *)(ram + (BUF_PAGE + q) * PG);
	uint16_t head = avail_idx[q] % QSIZE;
	uint64_t one = 1;

	for (unsigned int i = 0; i < n; i++)
		buf[i] = htole32(pfns[i]);
	desc[head] = (struct vring_desc){
		.addr = htole64((BUF_PAGE + q) * PG),
		.len = htole32(n * 4),
	};
	avail->ring[head] = htole16(head);
	avail->idx = htole16(++avail_idx[q]);
	assert_int_equal(write(kick[q], &one, sizeof(one)), sizeof(one));
	run_server();
	assert_int_equal(le16toh(used_ring(q)->idx), avail_idx[q]);
}

/* An integer of the host's record of the device (x-ballast-query-balloon). */
static int64_t dev_int(const char *key)
{
	void *dev = balloon_qmp_ops.find(&host, NULL);
	json_t *info, *v;
	int64_t n;

	assert_non_null(dev);
	info = balloon_qmp_ops.host_info(dev);
	v = json_object_get(info, key);
	assert_true(json_is_integer(v));
	n = json_integer_value(v);
	json_decref(info);
	return n;
}

static uint64_t backed_bytes(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

static int new_ram(void)
{
	int fd = memfd_create("test-balloon-dev", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, RAM_SIZE), 0);
	return fd;
}

/*
 * A connected device: features VERSION_1, MUST_TELL_HOST and protocol
 * features (CONFIG, STATUS); guest RAM; the inflate and deflate queues
 * running. Every RAM page is backed: the test's pages with a pattern,
 * buffers and rings with zeroes.
 */
static int setup(void **state)
{
	uint64_t features = (1ULL << VIRTIO_F_VERSION_1) |
			    (1ULL << VIRTIO_BALLOON_F_MUST_TELL_HOST) |
			    (1ULL << VHOST_USER_F_PROTOCOL_FEATURES);
	int sv[2];

	memset(&host, 0, sizeof(host));
	INIT_LIST_HEAD(&host.devices);
	host.quiet = true;
	memset(avail_idx, 0, sizeof(avail_idx));
	memfd = new_ram();
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	assert_true(ram != MAP_FAILED);
	memset(ram, 0x5a, BUF_PAGE * PG);
	memset(ram + BUF_PAGE * PG, 0, RAM_SIZE - BUF_PAGE * PG);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	sock = sv[1];
	assert_int_equal(vhost_user_server_create(&srv, NULL, &balloon_dev_ops,
						  &host), 0);
	assert_int_equal(vhost_user_server_add_conn(srv, sv[0]), 0);
	send_u64(VHOST_USER_SET_FEATURES, features);
	send_u64(VHOST_USER_SET_PROTOCOL_FEATURES,
		 (1ULL << VHOST_USER_PROTOCOL_F_CONFIG) |
			 (1ULL << VHOST_USER_PROTOCOL_F_STATUS));
	send_msg(VHOST_USER_SET_OWNER, NULL, 0, NULL, 0);
	send_mem_table(memfd);
	start_queue(0);
	start_queue(1);
	return 0;
}

static int teardown(void **state)
{
	vhost_user_server_destroy(srv);
	assert_true(list_empty(&host.devices));
	close(sock);
	for (int q = 0; q < 2; q++) {
		close(kick[q]);
		close(call[q]);
	}
	munmap(ram, RAM_SIZE);
	close(memfd);
	return 0;
}

/*
 * Setup: pfns 1 2 3 inflated (three holes in the memfd).
 * Action: the front-end sends the same memory table again (the same
 * memfd, so it arrives as a new descriptor), then inflates pfn 4 and
 * deflates 1 2 3.
 * Expected: the record survives the new table (3 pages), the deflate is
 * taken whole (no refusal); pfn 4 is punched in the memfd through the new
 * descriptor (no punch error, one more page returned).
 */
static void test_bdev_mem_changed_same_ram_again_keeps_record(void **state)
{
	const uint32_t in[] = { 1, 2, 3 }, four = 4;
	uint64_t backed;

	post_pfns(0, in, 3);
	assert_int_equal(dev_int("host-ballooned-bytes"), 3 * PG);
	send_mem_table(memfd);
	assert_int_equal(dev_int("host-ballooned-bytes"), 3 * PG);
	backed = backed_bytes(memfd);
	post_pfns(0, &four, 1);
	assert_int_equal(backed_bytes(memfd), backed - PG);
	assert_int_equal(dev_int("punch-errors"), 0);
	post_pfns(1, in, 3);
	assert_int_equal(dev_int("refused-deflates"), 0);
	assert_int_equal(dev_int("host-ballooned-bytes"), PG);
	assert_int_equal(dev_int("protocol-violations"), 0);
}

/*
 * Setup: pfns 1 2 3 inflated.
 * Action: a memory table naming another memfd of the same size (other
 * RAM), then an inflate of pfn 5.
 * Expected: the old record is dropped (its pages belong to the old RAM);
 * the new record holds only pfn 5, punched in the new memfd; the old
 * memfd is not touched again.
 */
static void test_bdev_mem_changed_other_ram_starts_new_record(void **state)
{
	const uint32_t in[] = { 1, 2, 3 }, five = 5;
	int other = new_ram();
	uint64_t old_backed;

	post_pfns(0, in, 3);
	/* The guest's RAM moves to @other, rings and all. */
	assert_int_equal(pwrite(other, ram, RAM_SIZE, 0), RAM_SIZE);
	assert_ptr_equal(mmap(ram, RAM_SIZE, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_FIXED, other, 0), ram);
	send_mem_table(other);
	old_backed = backed_bytes(memfd);
	assert_int_equal(dev_int("host-ballooned-bytes"), 0);
	post_pfns(0, &five, 1);
	assert_int_equal(dev_int("host-ballooned-bytes"), PG);
	assert_int_equal(backed_bytes(memfd), old_backed);
	assert_int_equal(dev_int("memfd-allocated-bytes"), backed_bytes(other));
	assert_int_equal(dev_int("punch-errors"), 0);
	close(other);
}

/*
 * Setup: pfns 1 2 3 inflated.
 * Action: a memory table whose one region starts at 1 MiB, not 0.
 * Expected: the device needs a reset, and its record ends with the old
 * table (whose descriptor the back-end closed): QMP lists no device, so
 * nothing can reach that descriptor's number again.
 */
static void test_bdev_mem_changed_not_at_zero_needs_reset_ends_record(void **state)
{
	const uint32_t in[] = { 1, 2, 3 };
	json_t *ids;

	post_pfns(0, in, 3);
	send_mem_table_at(memfd, 1 << 20);
	assert_true(get_u64(VHOST_USER_GET_STATUS) &
		    VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_null(balloon_qmp_ops.find(&host, NULL));
	ids = balloon_qmp_ops.list(&host);
	assert_int_equal(json_array_size(ids), 0);
	json_decref(ids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_bdev_mem_changed_same_ram_again_keeps_record),
		T(test_bdev_mem_changed_other_ram_starts_new_record),
		T(test_bdev_mem_changed_not_at_zero_needs_reset_ends_record),
#undef T
	};

	return cmocka_run_group_tests_name("balloon_dev", tests, NULL, NULL);
}
