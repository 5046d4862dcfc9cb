// SPDX-License-Identifier: MIT
/*
 * test_vring_device.c - the device half (vringh) against rings written by
 * hand: the happy paths (chains, indirect tables, 16-bit wrap-around,
 * notification suppression, also across the wrap) and every validation
 * failure.
 *
 * Guest RAM is a 2 MiB memfd at guest-physical 0x100000000, mapped between
 * two PROT_NONE guard pages, so a read outside RAM faults the test:
 *
 *   guard | gpa 0x100000000 ................................ +2M | guard
 *           desc @+0 | avail @+256K | used @+320K | buffers @+1M..
 *
 * Nothing here needs the guest allocator: this is the host's view.
 */
#include "../../support/test_support.h"

#include <ballast/virtio.h>
#include <ballast/lib/log.h>

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RAM_BYTES (2UL << 20)
#define GPA_BASE 0x100000000ULL
#define DESC_OFF 0x0
#define AVAIL_OFF 0x40000
#define USED_OFF 0x50000
#define BUF_OFF 0x100000
#define MAX_NUM 8192

struct fx {
	uint8_t *map;			/* guard + RAM + guard */
	uint8_t *ram;
	struct virtio_mem mem;
	struct vringh vrh;
	struct vringh_elem elem;
	struct iovec iov[MAX_NUM];
	unsigned int num;
	uint16_t avail_idx;		/* what the "driver" published */
};

static struct fx fx;

static struct vring_desc *desc(void)
{
	return (struct vring_desc *)(fx.ram + DESC_OFF);
}

static struct vring_avail *avail(void)
{
	return (struct vring_avail *)(fx.ram + AVAIL_OFF);
}

static struct vring_used *used(void)
{
	return (struct vring_used *)(fx.ram + USED_OFF);
}

static uint64_t buf_gpa(unsigned int i)
{
	return GPA_BASE + BUF_OFF + (uint64_t)i * 256;
}

static int setup(void **state)
{
	int fd = memfd_create("vring-test", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, RAM_BYTES), 0);
	memset(&fx, 0, sizeof(fx));
	fx.map = mmap(NULL, RAM_BYTES + 2 * 4096, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(fx.map != MAP_FAILED);
	fx.ram = mmap(fx.map + 4096, RAM_BYTES, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_FIXED, fd, 0);
	assert_true(fx.ram == fx.map + 4096);
	close(fd);
	fx.mem.nr_regions = 1;
	fx.mem.regions[0] = (struct virtio_mem_region){
		.gpa = GPA_BASE, .size = RAM_BYTES,
		.uaddr = 0x7f0000000000ULL, .hva = fx.ram, .fd = -1,
	};
	fx.elem.iov = fx.iov;
	fx.elem.iov_max = MAX_NUM;
	return 0;
}

static int teardown(void **state)
{
	vringh_destroy(&fx.vrh);
	munmap(fx.map, RAM_BYTES + 2 * 4096);
	return 0;
}

static void ring_init(unsigned int num, uint64_t features)
{
	fx.num = num;
	assert_int_equal(vringh_init(&fx.vrh, &fx.mem, num, features,
				     desc(), avail(), used()), 0);
}

static void set_desc(unsigned int i, uint64_t gpa, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	desc()[i] = (struct vring_desc){ .addr = gpa, .len = len,
					 .flags = flags, .next = next };
}

static void publish(uint16_t head)
{
	avail()->ring[fx.avail_idx % fx.num] = head;
	fx.avail_idx++;
	__atomic_store_n(&avail()->idx, fx.avail_idx, __ATOMIC_RELEASE);
}

/* A violation: -EPROTO now and forever, with @what in the message. */
static void expect_violation(const char *what)
{
	assert_int_equal(vringh_getdesc(&fx.vrh, &fx.elem), -EPROTO);
	assert_true(fx.vrh.broken);
	if (!strstr(vringh_error(&fx.vrh), what))
		fail_msg("error \"%s\" lacks \"%s\"", vringh_error(&fx.vrh),
			 what);
	/* Broken: guest memory is not read again (it faults if it were). */
	assert_int_equal(mprotect(fx.ram, RAM_BYTES, PROT_NONE), 0);
	assert_int_equal(vringh_getdesc(&fx.vrh, &fx.elem), -EPROTO);
	assert_false(vringh_need_notify(&fx.vrh));
	assert_true(vringh_notify_enable(&fx.vrh));
	vringh_notify_disable(&fx.vrh);
	assert_int_equal(vringh_complete(&fx.vrh, 0, 0), -EPROTO);
	assert_int_equal(mprotect(fx.ram, RAM_BYTES, PROT_READ | PROT_WRITE),
			 0);
}

/*
 * A chain of two readable and two writable buffers comes out as four
 * iovecs pointing into the mapping, readable first; completing it
 * publishes one used element.
 *
 *   head 3 -> 7 -> 1 -> 5   (R R W W)
 */
static void test_vringh_getdesc_chain_yields_iovecs_in_order(void **state)
{
	ring_init(16, 0);
	set_desc(3, buf_gpa(0), 10, VRING_DESC_F_NEXT, 7);
	set_desc(7, buf_gpa(1), 20, VRING_DESC_F_NEXT, 1);
	set_desc(1, buf_gpa(2), 30, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 5);
	set_desc(5, buf_gpa(3), 40, VRING_DESC_F_WRITE, 0);
	publish(3);

	assert_int_equal(vringh_getdesc(&fx.vrh, &fx.elem), 1);
	assert_int_equal(fx.elem.head, 3);
	assert_int_equal(fx.elem.out_num, 2);
	assert_int_equal(fx.elem.in_num, 2);
	assert_int_equal(fx.elem.out_len, 30);
	assert_int_equal(fx.elem.in_len, 70);
	assert_ptr_equal(fx.iov[0].iov_base, fx.ram + BUF_OFF);
	assert_ptr_equal(fx.iov[3].iov_base, fx.ram + BUF_OFF + 3 * 256);
	assert_int_equal(fx.iov[3].iov_len, 40);
	assert_int_equal(vringh_getdesc(&fx.vrh, &fx.elem), 0);

	assert_int_equal(vringh_complete(&fx.vrh, 3, 55), 0);
	assert_int_equal(used()->idx, 1);
	assert_int_equal(used()->ring[0].id, 3);
	assert_int_equal(used()->ring[0].len, 55);
}

/*
 * Indices are free-running 16-bit counters: starting just below 2^16
 * (avail base and used->idx 65530), 1000 chains go through a ring of 8
 * and both indices wrap, in order, with no violation.
 */
static void test_vringh_getdesc_wraps_16bit_indices(void **state)
{
	used()->idx = 65530;
	ring_init(8, 0);
	vringh_set_base(&fx.vrh, 65530);
	fx.avail_idx = 65530;
	for (unsigned int i = 0; i < 1000; i++) {
		uint16_t head = (uint16_t)(i % 8);

		set_desc(head, buf_gpa(head), 8, VRING_DESC_F_WRITE, 0);
		publish(head);
		if (i % 3 == 2 || i == 999) {
			/* Pop in batches of up to three. */
			int got;

			while ((got = vringh_getdesc(&fx.vrh, &fx.elem)) == 1)
				assert_int_equal(vringh_complete(
					&fx.vrh, fx.elem.head, 8), 0);
			assert_int_equal(got, 0);
		}
	}
	assert_int_equal(fx.vrh.last_avail_idx, (uint16_t)(65530 + 1000));
	assert_int_equal(used()->idx, (uint16_t)(65530 + 1000));
	assert_int_equal(fx.vrh.nr_inflight, 0);
}

/* avail->idx more than the ring size ahead of the device is a violation. */
static void test_vringh_getdesc_avail_idx_too_far_ahead_breaks_queue(
	void **state)
{
	ring_init(16, 0);
	avail()->idx = 17;
	expect_violation("ahead");
}

/* A head index at or above the ring size. */
static void test_vringh_getdesc_head_out_of_range_breaks_queue(void **state)
{
	ring_init(16, 0);
	publish(16);
	expect_violation("outside ring size");
}

/*
 * Buffers outside guest RAM, each its own queue: past the end, straddling
 * the end, below the base, and an address whose end wraps 2^64.
 */
static void test_vringh_getdesc_buffer_outside_ram_breaks_queue(void **state)
{
	const struct { uint64_t gpa; uint32_t len; } bad[] = {
		{ GPA_BASE + RAM_BYTES, 1 },
		{ GPA_BASE + RAM_BYTES - 8, 16 },
		{ GPA_BASE - 4096, 4096 },
		{ UINT64_MAX - 15, 32 },
		{ 0, 1 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		vringh_destroy(&fx.vrh);
		memset(fx.ram, 0, USED_OFF + 0x1000);
		fx.avail_idx = 0;
		ring_init(16, 0);
		set_desc(0, bad[i].gpa, bad[i].len, 0, 0);
		publish(0);
		expect_violation("outside guest RAM");
	}
}

static void test_vringh_getdesc_zero_length_breaks_queue(void **state)
{
	ring_init(16, 0);
	set_desc(0, buf_gpa(0), 0, 0, 0);
	publish(0);
	expect_violation("zero-length");
}

static void test_vringh_getdesc_next_out_of_range_breaks_queue(void **state)
{
	ring_init(16, 0);
	set_desc(0, buf_gpa(0), 8, VRING_DESC_F_NEXT, 16);
	publish(0);
	expect_violation("outside a table of 16");
}

/* 0 -> 1 -> 2 -> 0: caught by the bound of 16 descriptors per chain. */
static void test_vringh_getdesc_loop_breaks_queue(void **state)
{
	ring_init(16, 0);
	set_desc(0, buf_gpa(0), 8, VRING_DESC_F_NEXT, 1);
	set_desc(1, buf_gpa(1), 8, VRING_DESC_F_NEXT, 2);
	set_desc(2, buf_gpa(2), 8, VRING_DESC_F_NEXT, 0);
	publish(0);
	expect_violation("a loop");
}

static void test_vringh_getdesc_readable_after_writable_breaks_queue(
	void **state)
{
	ring_init(16, 0);
	set_desc(0, buf_gpa(0), 8, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	set_desc(1, buf_gpa(1), 8, 0, 0);
	publish(0);
	expect_violation("readable descriptor after a writable");
}

/*
 * 4097 descriptors of 1 MiB each (all over the same RAM) add up to more
 * than 4 GiB: a violation, though each buffer is valid.
 */
static void test_vringh_getdesc_chain_over_4g_breaks_queue(void **state)
{
	ring_init(MAX_NUM, 0);
	for (unsigned int i = 0; i < 4097; i++)
		set_desc(i, GPA_BASE + RAM_BYTES / 2, RAM_BYTES / 2,
			 VRING_DESC_F_NEXT, (uint16_t)(i + 1));
	publish(0);
	expect_violation("4 GiB");
}

static void test_vringh_getdesc_indirect_without_feature_breaks_queue(
	void **state)
{
	ring_init(16, 0);
	set_desc(0, buf_gpa(0), 32, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_violation("not negotiated");
}

static void test_vringh_getdesc_indirect_with_next_breaks_queue(void **state)
{
	ring_init(16, 1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	set_desc(0, buf_gpa(0), 32, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT,
		 1);
	publish(0);
	expect_violation("with VRING_DESC_F_NEXT");
}

/* Lengths 0, 17 and 17 entries (> ring size 16) are all refused. */
static void test_vringh_getdesc_indirect_bad_length_breaks_queue(void **state)
{
	const uint32_t lens[] = { 0, 17, 17 * 16 };
	const char *what[] = { "multiple of 16", "multiple of 16",
			       "exceeds ring size" };

	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		vringh_destroy(&fx.vrh);
		memset(fx.ram, 0, USED_OFF + 0x1000);
		fx.avail_idx = 0;
		ring_init(16, 1ULL << VIRTIO_RING_F_INDIRECT_DESC);
		set_desc(0, buf_gpa(0), lens[i], VRING_DESC_F_INDIRECT, 0);
		publish(0);
		expect_violation(what[i]);
	}
}

static void test_vringh_getdesc_indirect_outside_ram_breaks_queue(
	void **state)
{
	ring_init(16, 1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	set_desc(0, GPA_BASE + RAM_BYTES - 16, 32, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_violation("indirect table");
}

static void test_vringh_getdesc_nested_indirect_breaks_queue(void **state)
{
	struct vring_desc *table = (struct vring_desc *)(fx.ram + BUF_OFF);

	ring_init(16, 1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	table[0] = (struct vring_desc){ .addr = buf_gpa(8), .len = 16,
					.flags = VRING_DESC_F_INDIRECT };
	set_desc(0, buf_gpa(0), 32, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_violation("inside an indirect table");
}

/* A loop inside an indirect table, then a next beyond its 2 entries. */
static void test_vringh_getdesc_indirect_walk_is_bounded(void **state)
{
	struct vring_desc *table = (struct vring_desc *)(fx.ram + BUF_OFF);

	ring_init(16, 1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	table[0] = (struct vring_desc){ .addr = buf_gpa(8), .len = 8,
					.flags = VRING_DESC_F_NEXT, .next = 1 };
	table[1] = (struct vring_desc){ .addr = buf_gpa(9), .len = 8,
					.flags = VRING_DESC_F_NEXT, .next = 0 };
	set_desc(0, buf_gpa(0), 32, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_violation("a loop");

	vringh_destroy(&fx.vrh);
	memset(fx.ram, 0, USED_OFF + 0x1000);
	fx.avail_idx = 0;
	ring_init(16, 1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	table[1].next = 2;
	set_desc(0, buf_gpa(0), 32, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_violation("outside a table of 2");
}

/*
 * One direct readable buffer, then an indirect table of three entries
 * (R W W): four iovecs, in order; the write-only flag of the
 * indirect descriptor itself ignored.
 */
static void test_vringh_getdesc_indirect_table_yields_entries(void **state)
{
	struct vring_desc *table = (struct vring_desc *)(fx.ram + BUF_OFF);

	ring_init(16, 1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	table[0] = (struct vring_desc){ .addr = buf_gpa(8), .len = 8,
					.flags = VRING_DESC_F_NEXT, .next = 1 };
	table[1] = (struct vring_desc){ .addr = buf_gpa(9), .len = 16,
					.flags = VRING_DESC_F_NEXT |
						 VRING_DESC_F_WRITE,
					.next = 2 };
	table[2] = (struct vring_desc){ .addr = buf_gpa(10), .len = 24,
					.flags = VRING_DESC_F_WRITE };
	set_desc(4, buf_gpa(1), 4, VRING_DESC_F_NEXT, 6);
	set_desc(6, buf_gpa(0), 48, VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE,
		 0);
	publish(4);
	assert_int_equal(vringh_getdesc(&fx.vrh, &fx.elem), 1);
	assert_int_equal(fx.elem.head, 4);
	assert_int_equal(fx.elem.out_num, 2);
	assert_int_equal(fx.elem.in_num, 2);
	assert_int_equal(fx.elem.out_len, 12);
	assert_int_equal(fx.elem.in_len, 40);
	assert_ptr_equal(fx.iov[1].iov_base, fx.ram + BUF_OFF + 8 * 256);
	assert_ptr_equal(fx.iov[3].iov_base, fx.ram + BUF_OFF + 10 * 256);
}

/* A head made available again before the device completed it. */
static void test_vringh_getdesc_head_in_flight_twice_breaks_queue(
	void **state)
{
	ring_init(16, 0);
	set_desc(2, buf_gpa(0), 8, 0, 0);
	publish(2);
	publish(2);
	assert_int_equal(vringh_getdesc(&fx.vrh, &fx.elem), 1);
	expect_violation("still holds it");
}

/*
 * vringh_init() refuses: a size that is not a power of two, a misaligned
 * descriptor table, a used ring running past the end of RAM, and a ring
 * outside any region; each with a message and -EINVAL.
 */
static void test_vringh_init_rejects_misplaced_rings(void **state)
{
	struct vringh v;

	assert_int_equal(vringh_init(&v, &fx.mem, 12, 0, desc(), avail(),
				     used()), -EINVAL);
	assert_non_null(strstr(vringh_error(&v), "power of two"));
	assert_int_equal(vringh_init(&v, &fx.mem, 16, 0, fx.ram + 8, avail(),
				     used()), -EINVAL);
	assert_non_null(strstr(vringh_error(&v), "descriptor table"));
	assert_int_equal(vringh_init(&v, &fx.mem, 16, 0, desc(), avail(),
				     fx.ram + RAM_BYTES - 64), -EINVAL);
	assert_non_null(strstr(vringh_error(&v), "used ring"));
	assert_int_equal(vringh_init(&v, &fx.mem, 16, 0, desc(), &v, used()),
			 -EINVAL);
	assert_non_null(strstr(vringh_error(&v), "available ring"));
	assert_int_equal(vringh_init(&v, &fx.mem, 65536, 0, desc(), avail(),
				     used()), -EINVAL);
}

/*
 * EVENT_IDX: the device notifies only when the used index crosses
 * used_event. Driver asks at 2: completing 0, 1 -> no; 2 -> yes; then
 * with used_event left at 2, completing 3..5 -> no.
 */
static void test_vringh_need_notify_event_idx_suppresses(void **state)
{
	uint16_t *used_event = &avail()->ring[16];

	ring_init(16, 1ULL << VIRTIO_RING_F_EVENT_IDX);
	for (uint16_t h = 0; h < 6; h++) {
		set_desc(h, buf_gpa(h), 8, VRING_DESC_F_WRITE, 0);
		publish(h);
	}
	*used_event = 2;
	/* First notification is unconditional: nothing signalled yet. */
	assert_int_equal(vringh_getdesc(&fx.vrh, &fx.elem), 1);
	assert_int_equal(vringh_complete(&fx.vrh, fx.elem.head, 8), 0);
	assert_true(vringh_need_notify(&fx.vrh));
	assert_false(vringh_need_notify(&fx.vrh));	/* nothing new */
	assert_int_equal(vringh_getdesc(&fx.vrh, &fx.elem), 1);
	assert_int_equal(vringh_complete(&fx.vrh, fx.elem.head, 8), 0);
	assert_false(vringh_need_notify(&fx.vrh));	/* used 2: not past 2 */
	assert_int_equal(vringh_getdesc(&fx.vrh, &fx.elem), 1);
	assert_int_equal(vringh_complete(&fx.vrh, fx.elem.head, 8), 0);
	assert_true(vringh_need_notify(&fx.vrh));	/* used 3 crosses 2 */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(vringh_getdesc(&fx.vrh, &fx.elem), 1);
		assert_int_equal(vringh_complete(&fx.vrh, fx.elem.head, 8), 0);
		assert_false(vringh_need_notify(&fx.vrh));
	}
}

/* Device: pop the next chain and complete it with 8 bytes written. */
static void pop_complete(void)
{
	assert_int_equal(vringh_getdesc(&fx.vrh, &fx.elem), 1);
	assert_int_equal(vringh_complete(&fx.vrh, fx.elem.head, 8), 0);
}

/*
 * EVENT_IDX across the 16-bit wrap. The device last signalled at used
 * index 65534, then completes three chains: used->idx goes 65535, 0, 1,
 * so old = 65534 and new = 1 straddle 0xffff -> 0. It notifies exactly
 * when used_event lies in [old, new) modulo 2^16:
 *
 *   used_event   65533  65534  65535    0      1      2
 *   notify       no     yes    yes      yes    no     no
 */
static void test_vringh_need_notify_event_idx_wraps(void **state)
{
	static const struct {
		uint16_t event;
		bool notify;
	} cases[] = {
		{ 65533, false }, { 65534, true }, { 65535, true },
		{ 0, true },      { 1, false },    { 2, false },
	};
	uint16_t *used_event = &avail()->ring[16];

	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		vringh_destroy(&fx.vrh);
		used()->idx = 65533;
		ring_init(16, 1ULL << VIRTIO_RING_F_EVENT_IDX);
		vringh_set_base(&fx.vrh, 65533);
		fx.avail_idx = 65533;
		for (uint16_t h = 0; h < 4; h++) {
			set_desc(h, buf_gpa(h), 8, VRING_DESC_F_WRITE, 0);
			publish(h);
		}
		/* The first notification is unconditional: at 65534. */
		pop_complete();
		assert_true(vringh_need_notify(&fx.vrh));
		for (int i = 0; i < 3; i++)
			pop_complete();
		assert_int_equal(used()->idx, 1);
		*used_event = cases[c].event;
		if (vringh_need_notify(&fx.vrh) != cases[c].notify)
			fail_msg("used_event %u, old 65534, new 1: notify "
				 "should be %d", cases[c].event,
				 cases[c].notify);
	}
}

/* Without EVENT_IDX, VRING_AVAIL_F_NO_INTERRUPT silences the device. */
static void test_vringh_need_notify_honours_no_interrupt(void **state)
{
	ring_init(16, 0);
	set_desc(0, buf_gpa(0), 8, VRING_DESC_F_WRITE, 0);
	set_desc(1, buf_gpa(1), 8, VRING_DESC_F_WRITE, 0);
	publish(0);
	publish(1);
	avail()->flags = VRING_AVAIL_F_NO_INTERRUPT;
	assert_int_equal(vringh_getdesc(&fx.vrh, &fx.elem), 1);
	assert_int_equal(vringh_complete(&fx.vrh, fx.elem.head, 8), 0);
	assert_false(vringh_need_notify(&fx.vrh));
	avail()->flags = 0;
	assert_int_equal(vringh_getdesc(&fx.vrh, &fx.elem), 1);
	assert_int_equal(vringh_complete(&fx.vrh, fx.elem.head, 8), 0);
	assert_true(vringh_need_notify(&fx.vrh));
}

/*
 * Re-enabling kicks publishes avail_event (EVENT_IDX) or clears
 * VRING_USED_F_NO_NOTIFY, and reports a buffer that raced in.
 */
static void test_vringh_notify_enable_publishes_and_detects_race(
	void **state)
{
	uint16_t *avail_event = (uint16_t *)&used()->ring[16];

	ring_init(16, 1ULL << VIRTIO_RING_F_EVENT_IDX);
	assert_true(vringh_notify_enable(&fx.vrh));
	assert_int_equal(*avail_event, 0);
	set_desc(0, buf_gpa(0), 8, 0, 0);
	publish(0);
	assert_false(vringh_notify_enable(&fx.vrh));
	assert_int_equal(vringh_getdesc(&fx.vrh, &fx.elem), 1);
	assert_true(vringh_notify_enable(&fx.vrh));
	assert_int_equal(*avail_event, 1);
	vringh_destroy(&fx.vrh);

	ring_init(16, 0);
	vringh_notify_disable(&fx.vrh);
	assert_int_equal(used()->flags, VRING_USED_F_NO_NOTIFY);
	vringh_set_base(&fx.vrh, 1);
	assert_true(vringh_notify_enable(&fx.vrh));
	assert_int_equal(used()->flags, 0);
}

/* Completing a head that is not in flight is the device's bug: refused. */
static void test_vringh_complete_not_in_flight_is_misuse(void **state)
{
	unsigned long before = log_misuse_count();

	ring_init(16, 0);
	assert_int_equal(vringh_complete(&fx.vrh, 3, 0), -EINVAL);
	assert_int_equal(vringh_complete(&fx.vrh, 99, 0), -EINVAL);
	assert_int_equal(log_misuse_count(), before + 2);
	assert_int_equal(used()->idx, 0);
}

/* A short iovec array is refused before anything is read. */
static void test_vringh_getdesc_short_iov_is_refused(void **state)
{
	ring_init(16, 0);
	fx.elem.iov_max = 8;
	assert_int_equal(vringh_getdesc(&fx.vrh, &fx.elem), -EINVAL);
	assert_false(fx.vrh.broken);
}

/*
 * Translation: a range must lie wholly in one region; lengths that would
 * wrap the address space, zero lengths and neighbours of the region fail.
 */
static void test_virtio_mem_translation_is_overflow_safe(void **state)
{
	const struct virtio_mem_region *r = &fx.mem.regions[0];

	assert_ptr_equal(virtio_mem_gpa_to_hva(&fx.mem, GPA_BASE, RAM_BYTES),
			 fx.ram);
	assert_null(virtio_mem_gpa_to_hva(&fx.mem, GPA_BASE, RAM_BYTES + 1));
	assert_null(virtio_mem_gpa_to_hva(&fx.mem, GPA_BASE + 1, UINT64_MAX));
	assert_null(virtio_mem_gpa_to_hva(&fx.mem, GPA_BASE, 0));
	assert_null(virtio_mem_gpa_to_hva(&fx.mem, GPA_BASE - 1, 2));
	assert_ptr_equal(virtio_mem_uaddr_to_hva(&fx.mem, r->uaddr + 16, 16),
			 fx.ram + 16);
	assert_null(virtio_mem_uaddr_to_hva(&fx.mem, r->uaddr + RAM_BYTES, 1));
	assert_true(virtio_mem_hva_valid(&fx.mem, fx.ram, RAM_BYTES));
	assert_false(virtio_mem_hva_valid(&fx.mem, fx.ram - 1, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_vringh_getdesc_chain_yields_iovecs_in_order),
		T(test_vringh_getdesc_wraps_16bit_indices),
		T(test_vringh_getdesc_avail_idx_too_far_ahead_breaks_queue),
		T(test_vringh_getdesc_head_out_of_range_breaks_queue),
		T(test_vringh_getdesc_buffer_outside_ram_breaks_queue),
		T(test_vringh_getdesc_zero_length_breaks_queue),
		T(test_vringh_getdesc_next_out_of_range_breaks_queue),
		T(test_vringh_getdesc_loop_breaks_queue),
		T(test_vringh_getdesc_readable_after_writable_breaks_queue),
		T(test_vringh_getdesc_chain_over_4g_breaks_queue),
		T(test_vringh_getdesc_indirect_without_feature_breaks_queue),
		T(test_vringh_getdesc_indirect_with_next_breaks_queue),
		T(test_vringh_getdesc_indirect_bad_length_breaks_queue),
		T(test_vringh_getdesc_indirect_outside_ram_breaks_queue),
		T(test_vringh_getdesc_nested_indirect_breaks_queue),
		T(test_vringh_getdesc_indirect_walk_is_bounded),
		T(test_vringh_getdesc_indirect_table_yields_entries),
		T(test_vringh_getdesc_head_in_flight_twice_breaks_queue),
		T(test_vringh_init_rejects_misplaced_rings),
		T(test_vringh_need_notify_event_idx_suppresses),
		T(test_vringh_need_notify_event_idx_wraps),
		T(test_vringh_need_notify_honours_no_interrupt),
		T(test_vringh_notify_enable_publishes_and_detects_race),
		T(test_vringh_complete_not_in_flight_is_misuse),
		T(test_vringh_getdesc_short_iov_is_refused),
		T(test_virtio_mem_translation_is_overflow_safe),
#undef T
	};

	return cmocka_run_group_tests_name("vring_device", tests, NULL, NULL);
}
