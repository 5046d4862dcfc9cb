// SPDX-License-Identifier: MIT
/*
 * test_vring_driver.c - the driver half, driven against the device half
 * in the same process: rings and buffers come from the guest allocator,
 * and a vringh maps guest RAM at its own address (gpa 0 = ram_base), so
 * the two halves meet exactly as they do across processes.
 *
 *   driver: virtqueue_add_*() / kick / get_buf      (guest RAM rings)
 *   device: vringh_getdesc() / complete / notify    (same memory)
 *
 * Covered: 16-bit wrap-around, scatter layout, indirect tables, EVENT_IDX
 * suppression on both sides (also across the wrap), callbacks, detach and
 * reinit, refused arguments, a hostile used ring, and the reconnect
 * re-posting.
 */
#include "../../support/test_support.h"

/* A unit test of the layer may use its private reconnect hook. */
#include "../../../src/virtio/internal.h"

#include <ballast/alloc.h>
#include <ballast/slab.h>

#include <errno.h>
#include <string.h>

#define RAM (64UL << 20)

static struct virtio_mem mem;
static struct iovec iov[1024];
static struct vringh_elem elem = { .iov = iov, .iov_max = 1024 };
static unsigned int notifies;

static bool count_notify(struct virtqueue *vq)
{
	notifies++;
	return true;
}

static int setup(void **state)
{
	test_mem_setup(RAM);
	mem.nr_regions = 1;
	mem.regions[0] = (struct virtio_mem_region){
		.gpa = 0, .size = page_ram_bytes(),
		.uaddr = (uint64_t)(uintptr_t)ram_base,
		.hva = (uint8_t *)ram_base, .fd = -1,
	};
	notifies = 0;
	return 0;
}

static int teardown(void **state)
{
	test_mem_teardown();
	return 0;
}

static struct virtqueue *make_vq(unsigned int num, uint64_t features,
				 vq_callback_fn cb)
{
	struct virtqueue *vq;

	assert_int_equal(vring_create_virtqueue(0, num, features, count_notify,
						cb, "test", GFP_KERNEL, &vq),
			 0);
	return vq;
}

/* The device's view of @vq, at available index @base. */
static void make_vringh(struct vringh *vrh, struct virtqueue *vq,
			uint64_t features, uint16_t base)
{
	const struct vring *vr = virtqueue_get_vring(vq);

	assert_int_equal(vringh_init(vrh, &mem, vr->num, features, vr->desc,
				     vr->avail, vr->used), 0);
	vringh_set_base(vrh, base);
}

/* A buffer of @len bytes in guest RAM. */
static void *gbuf(size_t len)
{
	void *p = kmalloc(len, GFP_KERNEL | __GFP_ZERO);

	assert_non_null(p);
	return p;
}

/* Device: pop one chain, write @fill into its writable part, complete. */
static uint16_t device_echo(struct vringh *vrh, uint8_t fill)
{
	uint32_t written = 0;

	assert_int_equal(vringh_getdesc(vrh, &elem), 1);
	for (unsigned int i = elem.out_num; i < elem.out_num + elem.in_num;
	     i++) {
		memset(iov[i].iov_base, fill, iov[i].iov_len);
		written += (uint32_t)iov[i].iov_len;
	}
	assert_int_equal(vringh_complete(vrh, elem.head, written), 0);
	return elem.head;
}

/*
 * 200000 buffers through a ring of 8, in bursts of 1..8: both free-running
 * indices wrap 2^16 three times; tokens come back in order, each once.
 */
static void test_virtqueue_add_get_wraps_16bit_indices(void **state)
{
	struct virtqueue *vq = make_vq(8, 0, NULL);
	uint8_t *buf = gbuf(8 * 16);
	struct vringh vrh;
	unsigned long added = 0, got = 0;

	make_vringh(&vrh, vq, 0, 0);
	test_rand_seed(1);
	while (got < 200000) {
		unsigned int burst = 1 + (unsigned int)test_rand_below(8);
		struct scatterlist sg;
		unsigned int len;

		for (unsigned int i = 0; i < burst && added - got < 8; i++) {
			sg_init_one(&sg, buf + (added % 8) * 16, 16);
			assert_int_equal(virtqueue_add_inbuf(vq, &sg, 1,
					(void *)(uintptr_t)(added + 1),
					GFP_KERNEL), 0);
			added++;
		}
		while (vringh_getdesc(&vrh, &elem) == 1)
			assert_int_equal(vringh_complete(&vrh, elem.head, 16),
					 0);
		for (void *t; (t = virtqueue_get_buf(vq, &len)); got++) {
			assert_int_equal((uintptr_t)t, got + 1);
			assert_int_equal(len, 16);
		}
	}
	assert_int_equal(virtqueue_num_free(vq), 8);
	assert_false(virtqueue_is_broken(vq));
	vringh_destroy(&vrh);
	vring_del_virtqueue(vq);
	kfree(buf);
}

/*
 * Two readable lists (1 + 2 entries) and one writable entry arrive as
 * four iovecs at the very addresses the driver gave, readable first; the
 * driver gets the device's bytes and a length clamped to the writable
 * size even if the device claims more.
 */
static void test_virtqueue_add_sgs_layout_reaches_device(void **state)
{
	struct virtqueue *vq = make_vq(16, 0, NULL);
	uint8_t *b = gbuf(256);
	struct scatterlist a[1], c[2], w[1];
	struct scatterlist *sgs[] = { a, c, w };
	unsigned int nents[] = { 1, 2, 1 }, len;
	struct vringh vrh;

	sg_init_one(&a[0], b, 10);
	sg_init_one(&c[0], b + 16, 20);
	sg_init_one(&c[1], b + 48, 30);
	sg_init_one(&w[0], b + 128, 40);
	assert_int_equal(virtqueue_add_sgs(vq, sgs, nents, 2, 1, b,
					   GFP_KERNEL), 0);
	assert_int_equal(virtqueue_num_free(vq), 12);
	make_vringh(&vrh, vq, 0, 0);
	assert_int_equal(vringh_getdesc(&vrh, &elem), 1);
	assert_int_equal(elem.out_num, 3);
	assert_int_equal(elem.in_num, 1);
	assert_ptr_equal(iov[0].iov_base, b);
	assert_ptr_equal(iov[2].iov_base, b + 48);
	assert_ptr_equal(iov[3].iov_base, b + 128);
	assert_int_equal(iov[3].iov_len, 40);
	memset(b + 128, 0xab, 40);
	assert_int_equal(vringh_complete(&vrh, elem.head, 4000), 0);
	assert_ptr_equal(virtqueue_get_buf(vq, &len), b);
	assert_int_equal(len, 40);
	assert_int_equal(virtqueue_num_free(vq), 16);
	vringh_destroy(&vrh);
	vring_del_virtqueue(vq);
	kfree(b);
}

/*
 * With INDIRECT_DESC a five-entry buffer takes one ring descriptor; its
 * table (kmalloc, in guest RAM) is freed when the buffer is harvested
 * (teardown checks that every page came back). A one-entry buffer stays
 * direct.
 */
static void test_virtqueue_indirect_takes_one_descriptor(void **state)
{
	const uint64_t f = 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	struct virtqueue *vq = make_vq(4, f, NULL);
	uint8_t *b = gbuf(512);
	struct scatterlist sg[5];
	struct vringh vrh;
	unsigned int len;

	for (int i = 0; i < 5; i++)
		sg_init_one(&sg[i], b + i * 64, 64);
	/* Five entries in a ring of four: only possible indirectly. */
	assert_int_equal(virtqueue_add_inbuf(vq, sg, 5, b, GFP_KERNEL),
			 -EINVAL);
	assert_int_equal(virtqueue_add_inbuf(vq, sg, 4, b, GFP_KERNEL), 0);
	assert_int_equal(virtqueue_num_free(vq), 3);
	assert_int_equal(virtqueue_add_outbuf(vq, sg, 1, b + 1, GFP_KERNEL),
			 0);
	assert_int_equal(virtqueue_num_free(vq), 2);
	make_vringh(&vrh, vq, f, 0);
	device_echo(&vrh, 7);
	assert_int_equal(elem.in_num, 4);
	assert_int_equal(elem.in_len, 256);
	device_echo(&vrh, 7);
	assert_ptr_equal(virtqueue_get_buf(vq, &len), b);
	assert_int_equal(len, 256);
	assert_int_equal(b[255], 7);
	assert_ptr_equal(virtqueue_get_buf(vq, &len), b + 1);
	assert_int_equal(len, 0);
	assert_int_equal(virtqueue_num_free(vq), 4);
	vringh_destroy(&vrh);
	vring_del_virtqueue(vq);
	kfree(b);
}

/*
 * Kick suppression. EVENT_IDX: the device leaves avail_event behind
 * while busy, so the second addition needs no kick; once it re-enables
 * at the current index the next addition does. Without EVENT_IDX,
 * VRING_USED_F_NO_NOTIFY does the same.
 */
static void test_virtqueue_kick_prepare_honours_device_wishes(void **state)
{
	const uint64_t fe = 1ULL << VIRTIO_RING_F_EVENT_IDX;
	uint8_t *b = gbuf(64);
	struct scatterlist sg;

	for (int pass = 0; pass < 2; pass++) {
		uint64_t f = pass ? 0 : fe;
		struct virtqueue *vq = make_vq(16, f, NULL);
		struct vringh vrh;

		make_vringh(&vrh, vq, f, 0);
		sg_init_one(&sg, b, 8);
		assert_int_equal(virtqueue_add_outbuf(vq, &sg, 1, b,
						      GFP_KERNEL), 0);
		assert_true(virtqueue_kick(vq));
		assert_int_equal(notifies, 1);
		vringh_notify_disable(&vrh);		/* device busy */
		device_echo(&vrh, 0);
		assert_int_equal(virtqueue_add_outbuf(vq, &sg, 1, b + 1,
						      GFP_KERNEL), 0);
		assert_false(virtqueue_kick_prepare(vq));
		device_echo(&vrh, 0);
		assert_true(vringh_notify_enable(&vrh));	/* idle */
		assert_int_equal(virtqueue_add_outbuf(vq, &sg, 1, b + 2,
						      GFP_KERNEL), 0);
		assert_true(virtqueue_kick_prepare(vq));
		assert_false(virtqueue_kick_prepare(vq));	/* nothing new */
		device_echo(&vrh, 0);
		while (virtqueue_get_buf(vq, NULL))
			;
		notifies = 0;
		vringh_destroy(&vrh);
		vring_del_virtqueue(vq);
	}
	kfree(b);
}

/*
 * EVENT_IDX kicks across the 16-bit wrap. 65533 buffers go through a ring
 * of 16 (kicking after each), so the driver's index is 65533; then four
 * more are added, so old = 65533 and new = 1 straddle 0xffff -> 0. The
 * driver kicks exactly when avail_event lies in [old, new) modulo 2^16:
 *
 *   avail_event   65532  65533  65535    0      1
 *   kick          no     yes    yes      yes    no
 */
static void test_virtqueue_kick_prepare_event_idx_wraps(void **state)
{
	static const struct {
		uint16_t event;
		bool kick;
	} cases[] = {
		{ 65532, false }, { 65533, true }, { 65535, true },
		{ 0, true },      { 1, false },
	};
	const uint64_t f = 1ULL << VIRTIO_RING_F_EVENT_IDX;
	uint8_t *b = gbuf(64);
	struct scatterlist sg;

	sg_init_one(&sg, b, 8);
	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		struct virtqueue *vq = make_vq(16, f, NULL);
		const struct vring *vr = virtqueue_get_vring(vq);
		uint16_t *avail_event = (uint16_t *)&vr->used->ring[16];
		struct vringh vrh;

		make_vringh(&vrh, vq, f, 0);
		for (unsigned int i = 0; i < 65533; i++) {
			assert_int_equal(virtqueue_add_outbuf(vq, &sg, 1, b,
							      GFP_KERNEL), 0);
			virtqueue_kick_prepare(vq);
			device_echo(&vrh, 0);
			assert_ptr_equal(virtqueue_get_buf(vq, NULL), b);
		}
		for (int i = 0; i < 4; i++)
			assert_int_equal(virtqueue_add_outbuf(vq, &sg, 1, b + i,
							      GFP_KERNEL), 0);
		*avail_event = cases[c].event;
		if (virtqueue_kick_prepare(vq) != cases[c].kick)
			fail_msg("avail_event %u, old 65533, new 1: kick "
				 "should be %d", cases[c].event, cases[c].kick);
		assert_int_equal(vr->avail->idx, 1);
		for (int i = 0; i < 4; i++)
			device_echo(&vrh, 0);
		while (virtqueue_get_buf(vq, NULL))
			;
		vringh_destroy(&vrh);
		vring_del_virtqueue(vq);
	}
	kfree(b);
}

/*
 * Interrupt suppression. With callbacks disabled the device does not
 * notify; enable_cb then reports the buffer that raced (false); after
 * harvesting it, enable_cb returns true and the next completion
 * notifies. Checked with and without EVENT_IDX.
 */
static void test_virtqueue_enable_cb_reports_race(void **state)
{
	const uint64_t fe = 1ULL << VIRTIO_RING_F_EVENT_IDX;
	uint8_t *b = gbuf(64);
	struct scatterlist sg;

	sg_init_one(&sg, b, 8);
	for (int pass = 0; pass < 2; pass++) {
		uint64_t f = pass ? 0 : fe;
		struct virtqueue *vq = make_vq(16, f, NULL);
		struct vringh vrh;

		make_vringh(&vrh, vq, f, 0);
		for (int i = 0; i < 4; i++)
			assert_int_equal(virtqueue_add_inbuf(vq, &sg, 1,
					b + i, GFP_KERNEL), 0);
		/* The device's first notification is always sent. */
		device_echo(&vrh, 1);
		assert_true(vringh_need_notify(&vrh));
		assert_ptr_equal(virtqueue_get_buf(vq, NULL), b);

		virtqueue_disable_cb(vq);
		device_echo(&vrh, 1);
		assert_false(vringh_need_notify(&vrh));
		assert_false(virtqueue_enable_cb(vq));	/* one pending */
		assert_ptr_equal(virtqueue_get_buf(vq, NULL), b + 1);
		assert_true(virtqueue_enable_cb(vq));
		device_echo(&vrh, 1);
		assert_true(vringh_need_notify(&vrh));
		assert_ptr_equal(virtqueue_get_buf(vq, NULL), b + 2);
		if (!pass) {
			/* used_event follows harvesting: next one notifies. */
			device_echo(&vrh, 1);
			assert_true(vringh_need_notify(&vrh));
		}
		while (virtqueue_get_buf(vq, NULL))
			;
		vringh_destroy(&vrh);
		vring_del_virtqueue(vq);
	}
	kfree(b);
}

static unsigned int callbacks;

static void count_callback(struct virtqueue *vq)
{
	callbacks++;
	while (virtqueue_get_buf(vq, NULL))
		;
}

/* vring_interrupt() runs the callback only when used buffers wait. */
static void test_vring_interrupt_runs_callback_with_used_buffers(
	void **state)
{
	struct virtqueue *vq = make_vq(16, 0, count_callback);
	uint8_t *b = gbuf(16);
	struct scatterlist sg;
	struct vringh vrh;

	callbacks = 0;
	make_vringh(&vrh, vq, 0, 0);
	assert_false(vring_interrupt(vq));
	sg_init_one(&sg, b, 16);
	assert_int_equal(virtqueue_add_inbuf(vq, &sg, 1, b, GFP_KERNEL), 0);
	assert_false(vring_interrupt(vq));
	device_echo(&vrh, 3);
	assert_true(virtqueue_more_used(vq));
	assert_true(vring_interrupt(vq));
	assert_int_equal(callbacks, 1);
	assert_false(virtqueue_more_used(vq));
	vringh_destroy(&vrh);
	vring_del_virtqueue(vq);
	kfree(b);
}

/*
 * After the device is gone: detach returns every posted token once
 * (direct and indirect, used-but-unharvested included), reinit refuses
 * while buffers are posted, then zeroes the ring and restarts indices so
 * a new device view at index 0 works.
 */
static void test_virtqueue_detach_unused_buf_then_reinit(void **state)
{
	const uint64_t f = 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	struct virtqueue *vq = make_vq(8, f, NULL);
	uint8_t *b = gbuf(256), seen = 0;
	struct scatterlist sg[2];
	struct vringh vrh;
	void *t;

	sg_init_one(&sg[0], b, 16);
	sg_init_one(&sg[1], b + 16, 16);
	for (int i = 0; i < 6; i++)
		assert_int_equal(virtqueue_add_inbuf(vq, sg, 1 + i % 2,
				b + 64 + i, GFP_KERNEL), 0);
	make_vringh(&vrh, vq, f, 0);
	device_echo(&vrh, 0);
	vringh_destroy(&vrh);
	assert_int_equal(virtqueue_reinit(vq), -EBUSY);
	while ((t = virtqueue_detach_unused_buf(vq))) {
		unsigned int i = (unsigned int)((uint8_t *)t - (b + 64));

		assert_true(i < 6 && !(seen & (1u << i)));
		seen |= 1u << i;
	}
	assert_int_equal(seen, 0x3f);
	assert_int_equal(virtqueue_num_free(vq), 8);
	assert_int_equal(virtqueue_reinit(vq), 0);
	assert_int_equal(virtqueue_get_vring(vq)->avail->idx, 0);
	assert_int_equal(virtqueue_get_vring(vq)->used->idx, 0);
	make_vringh(&vrh, vq, f, 0);
	assert_int_equal(virtqueue_add_inbuf(vq, sg, 2, b, GFP_KERNEL), 0);
	device_echo(&vrh, 0);
	assert_ptr_equal(virtqueue_get_buf(vq, NULL), b);
	vringh_destroy(&vrh);
	vring_del_virtqueue(vq);
	kfree(b);
}

/*
 * Refused: a NULL token, a zero-length entry, memory outside guest RAM,
 * an empty buffer, a chain longer than the ring; -ENOSPC when the ring
 * is full; bad ring sizes at creation.
 */
static void test_virtqueue_add_refuses_bad_buffers(void **state)
{
	struct virtqueue *vq = make_vq(4, 0, NULL), *vq2;
	uint8_t *b = gbuf(64), outside[16];
	struct scatterlist sg[5];

	for (int i = 0; i < 5; i++)
		sg_init_one(&sg[i], b + i * 8, 8);
	assert_int_equal(virtqueue_add_inbuf(vq, sg, 1, NULL, GFP_KERNEL),
			 -EINVAL);
	assert_int_equal(virtqueue_add_inbuf(vq, sg, 0, b, GFP_KERNEL),
			 -EINVAL);
	assert_int_equal(virtqueue_add_inbuf(vq, sg, 5, b, GFP_KERNEL),
			 -EINVAL);
	sg[1].length = 0;
	assert_int_equal(virtqueue_add_inbuf(vq, sg, 2, b, GFP_KERNEL),
			 -EINVAL);
	sg_init_one(&sg[1], outside, sizeof(outside));
	assert_int_equal(virtqueue_add_inbuf(vq, sg, 2, b, GFP_KERNEL),
			 -EINVAL);
	sg_init_one(&sg[1], ram_base + page_ram_bytes() - 4, 8);
	assert_int_equal(virtqueue_add_inbuf(vq, sg, 2, b, GFP_KERNEL),
			 -EINVAL);
	sg_init_one(&sg[1], b + 8, 8);
	assert_int_equal(virtqueue_add_inbuf(vq, sg, 3, b, GFP_KERNEL), 0);
	assert_int_equal(virtqueue_add_inbuf(vq, sg, 2, b, GFP_KERNEL),
			 -ENOSPC);
	assert_int_equal(virtqueue_add_inbuf(vq, sg, 1, b, GFP_KERNEL), 0);
	assert_int_equal(virtqueue_num_free(vq), 0);
	assert_int_equal(vring_create_virtqueue(0, 6, 0, count_notify, NULL,
						"bad", GFP_KERNEL, &vq2),
			 -EINVAL);
	assert_int_equal(vring_create_virtqueue(0, 65536, 0, count_notify,
						NULL, "bad", GFP_KERNEL, &vq2),
			 -EINVAL);
	while (virtqueue_detach_unused_buf(vq))
		;
	vring_del_virtqueue(vq);
	kfree(b);
}

/*
 * A hostile device: a used entry naming a descriptor that is not in
 * flight, or a used index far beyond what was posted, breaks the queue;
 * nothing is returned and nothing more can be added.
 */
static void test_virtqueue_get_buf_hostile_used_ring_breaks_queue(
	void **state)
{
	uint8_t *b = gbuf(64);
	struct scatterlist sg;

	sg_init_one(&sg, b, 8);
	for (int pass = 0; pass < 2; pass++) {
		struct virtqueue *vq = make_vq(8, 0, NULL);
		const struct vring *vr = virtqueue_get_vring(vq);

		assert_int_equal(virtqueue_add_inbuf(vq, &sg, 1, b,
						     GFP_KERNEL), 0);
		if (pass == 0) {
			vr->used->ring[0].id = 5;	/* never posted */
			vr->used->idx = 1;
		} else {
			vr->used->ring[0].id = 0;
			vr->used->idx = 100;
		}
		assert_null(virtqueue_get_buf(vq, NULL));
		assert_true(virtqueue_is_broken(vq));
		assert_int_equal(virtqueue_add_inbuf(vq, &sg, 1, b,
						     GFP_KERNEL), -EIO);
		assert_false(virtqueue_kick(vq));
		while (virtqueue_detach_unused_buf(vq))
			;
		vring_del_virtqueue(vq);
	}
	kfree(b);
}

/*
 * Reconnect: six buffers A..F posted; the old device popped all and
 * completed C then A (out of order) before dying. prepare_restart keeps
 * C, A in the used ring and re-posts B, D, E, F (submission order) from
 * used->idx = 2, the base a new device starts at; the new device sees
 * exactly those; the driver harvests each of the six once.
 *
 *   avail: A B C D E F          used: C A
 *   after: [0..2) old | B D E F from slot 2
 */
static void test_virtqueue_prepare_restart_reposts_in_flight(void **state)
{
	struct virtqueue *vq = make_vq(8, 0, NULL);
	uint8_t *b = gbuf(64);
	uint16_t heads[6], base = 0;
	struct scatterlist sg;
	struct vringh vrh;
	unsigned int seen = 0;
	void *t;

	for (int i = 0; i < 6; i++) {
		sg_init_one(&sg, b + i * 8, 8);
		assert_int_equal(virtqueue_add_inbuf(vq, &sg, 1, b + i * 8,
						     GFP_KERNEL), 0);
	}
	make_vringh(&vrh, vq, 0, 0);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(vringh_getdesc(&vrh, &elem), 1);
		heads[i] = elem.head;
	}
	assert_int_equal(vringh_complete(&vrh, heads[2], 8), 0);
	assert_int_equal(vringh_complete(&vrh, heads[0], 8), 0);
	vringh_destroy(&vrh);		/* the device dies */

	assert_int_equal(virtqueue_prepare_restart(vq, &base), 0);
	assert_int_equal(base, 2);
	make_vringh(&vrh, vq, 0, base);
	for (int i = 0; i < 4; i++) {
		const int want[] = { 1, 3, 4, 5 };

		assert_int_equal(vringh_getdesc(&vrh, &elem), 1);
		assert_int_equal(elem.head, heads[want[i]]);
		assert_int_equal(vringh_complete(&vrh, elem.head, 8), 0);
	}
	assert_int_equal(vringh_getdesc(&vrh, &elem), 0);
	while ((t = virtqueue_get_buf(vq, NULL))) {
		unsigned int i = (unsigned int)(((uint8_t *)t - b) / 8);

		assert_false(seen & (1u << i));
		seen |= 1u << i;
	}
	assert_int_equal(seen, 0x3f);
	vringh_destroy(&vrh);
	vring_del_virtqueue(vq);
	kfree(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_virtqueue_add_get_wraps_16bit_indices),
		T(test_virtqueue_add_sgs_layout_reaches_device),
		T(test_virtqueue_indirect_takes_one_descriptor),
		T(test_virtqueue_kick_prepare_honours_device_wishes),
		T(test_virtqueue_kick_prepare_event_idx_wraps),
		T(test_virtqueue_enable_cb_reports_race),
		T(test_vring_interrupt_runs_callback_with_used_buffers),
		T(test_virtqueue_detach_unused_buf_then_reinit),
		T(test_virtqueue_add_refuses_bad_buffers),
		T(test_virtqueue_get_buf_hostile_used_ring_breaks_queue),
		T(test_virtqueue_prepare_restart_reposts_in_flight),
#undef T
	};

	return cmocka_run_group_tests_name("vring_driver", tests, NULL, NULL);
}
