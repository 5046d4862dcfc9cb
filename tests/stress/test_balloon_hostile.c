// SPDX-License-Identifier: MIT
/*
 * test_balloon_hostile.c - a hostile guest against the real host process.
 * No balloon driver: the test negotiates features, creates the queues and
 * posts raw buffers itself (the shape of QEMU's libqos), in guest RAM.
 *
 * Every case checks the same three things:
 *  - the host refuses what it must (NEEDS_RESET where the device cannot
 *    go on, refused and counted deflate pfns where it can), and does not
 *    crash: it quits with status 0 at the end;
 *  - nothing is wrongly discarded: the memfd's backed size, the pages'
 *    contents and the host's ballooned count are unchanged by a refused
 *    buffer;
 *  - the host keeps serving: QMP answers, and a second, well-behaved
 *    guest (the real driver, on a new connection) inflates and deflates
 *    with every count agreeing.
 *
 *   queue 0 inflate   [pfn pfn pfn ...]  device-readable only, 4 bytes each
 *   queue 1 deflate   [pfn pfn ...]
 *   queue 2 stats     [tag(2) val(8)] x n, only with STATS_VQ
 */
#include "../support/balloon_e2e.h"
#include "../support/lockdep_test.h"

#include <ballast/alloc.h>

#include <endian.h>
#include <stddef.h>
#include <string.h>

#define RAM (32UL << 20)
#define NR_DATA 8
#define MUST_TELL (1ULL << VIRTIO_BALLOON_F_MUST_TELL_HOST)
#define STATS_VQ (1ULL << VIRTIO_BALLOON_F_STATS_VQ)

struct raw_guest {
	struct virtio_device *vdev;
	struct virtqueue *vqs[3];
	unsigned int nvqs;
	struct completion used;		/* any queue used a buffer */
	struct completion config;	/* config change (NEEDS_RESET) */
	struct page *buf_page;		/* the buffers we post */
	uint32_t *buf;
	struct page *data[NR_DATA];	/* pages we own, with a pattern */
};

static struct balloon_e2e e2e;
static struct raw_guest g;

static void raw_used(struct virtqueue *vq)
{
	complete(&g.used);
}

static void raw_config(struct virtio_device *vdev)
{
	complete(&g.config);
}

static void raw_start(uint64_t features, unsigned int nvqs)
{
	static const struct virtqueue_info info[3] = {
		{ "inflate", raw_used }, { "deflate", raw_used },
		{ "stats", raw_used },
	};

	init_completion(&g.used);
	init_completion(&g.config);
	g.nvqs = nvqs;
	assert_int_equal(e2e_frontend_create(&e2e, &g.vdev), 0);
	g.vdev->config_changed = raw_config;
	g.vdev->features = (1ULL << VIRTIO_F_VERSION_1) | features;
	assert_int_equal(virtio_finalize_features(g.vdev), 0);
	assert_int_equal(virtio_find_vqs(g.vdev, nvqs, g.vqs, info), 0);
	assert_int_equal(virtio_device_ready(g.vdev), 0);
}

static bool no_device(struct balloon_e2e *e, void *arg)
{
	json_t *dev = e2e_host_device(e);

	json_decref(dev);
	return !dev;
}

static void raw_stop(void)
{
	/* A device that needs a reset may not answer a reset either. */
	if (virtio_reset_device(g.vdev))
		print_message("# reset refused by a broken device\n");
	for (unsigned int i = 0; i < g.nvqs; i++)
		while (virtqueue_detach_unused_buf(g.vqs[i]))
			;
	vhost_user_frontend_destroy(g.vdev);
	g.vdev = NULL;
	e2e_wait(&e2e, no_device, NULL, 10, "the host to drop the device");
}

/*
 * Post @out_len bytes at byte @off of buf, plus @in_len writable bytes at
 * byte 2048.
 */
static void raw_post(unsigned int q, size_t off, size_t out_len,
		     size_t in_len)
{
	struct scatterlist out, in, *sgs[2] = { &out, &in };
	unsigned int nents[2] = { 1, 1 };
	char *p = (char *)g.buf + off;

	if (off)
		memcpy(p, g.buf, out_len);
	sg_init_one(&out, p, (unsigned int)out_len);
	sg_init_one(&in, (char *)g.buf + 2048, (unsigned int)in_len);
	assert_int_equal(virtqueue_add_sgs(g.vqs[q], sgs, nents, 1,
					   in_len ? 1 : 0, p, GFP_KERNEL), 0);
	assert_true(virtqueue_kick(g.vqs[q]));
}

/* The buffer posted on @q comes back (the device acknowledged it). */
static void raw_wait_used(unsigned int q)
{
	unsigned int len;

	while (!virtqueue_get_buf(g.vqs[q], &len))
		if (!wait_for_completion_timeout(&g.used, E2E_TIMEOUT_MS))
			fail_msg("queue %u: no used buffer", q);
}

/* The device asked for a reset; the buffer on @q was not used. */
static void raw_wait_needs_reset(unsigned int q)
{
	uint8_t status = 0;

	for (;;) {
		assert_int_equal(virtio_get_status(g.vdev, &status), 0);
		if (status & VIRTIO_CONFIG_S_NEEDS_RESET)
			break;
		if (!wait_for_completion_timeout(&g.config, E2E_TIMEOUT_MS))
			fail_msg("no NEEDS_RESET (status %#x)", status);
	}
	assert_null(virtqueue_get_buf(g.vqs[q], NULL));
	assert_true(e2e_host_int(&e2e, "needs-reset"));
}

static void set_pfns(const uint32_t *pfns, size_t n)
{
	for (size_t i = 0; i < n; i++)
		g.buf[i] = htole32(pfns[i]);
}

static uint32_t data_pfn(int i)
{
	return (uint32_t)page_to_pfn(g.data[i]);
}

static bool data_intact(int i)
{
	const unsigned char *p = page_address(g.data[i]);

	for (size_t off = 0; off < PAGE_SIZE; off += 512)
		if (p[off] != (unsigned char)(0xa0 + i))
			return false;
	return true;
}

static int setup(void **state)
{
	if (lockdep_test_setup(state))
		return -1;
	memset(&g, 0, sizeof(g));
	e2e_guest_boot(RAM, 0);
	e2e_host_start(&e2e, NULL);
	g.buf_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	assert_non_null(g.buf_page);
	g.buf = page_address(g.buf_page);
	for (int i = 0; i < NR_DATA; i++) {
		g.data[i] = alloc_page(GFP_HIGHUSER_MOVABLE);
		assert_non_null(g.data[i]);
		memset(page_address(g.data[i]), 0xa0 + i, PAGE_SIZE);
	}
	return 0;
}

/*
 * The host is still serving: QMP answers, and the real driver on a new
 * connection inflates 4 MiB and deflates it with everything agreeing.
 */
static void assert_host_still_serves(void)
{
	json_decref(e2e_qmp(&e2e, "query-commands", NULL));
	e2e_driver_start(&e2e);
	e2e_balloon(&e2e, RAM - (4UL << 20));
	e2e_assert_agree(&e2e, true);
	e2e_balloon(&e2e, RAM);
	e2e_assert_agree(&e2e, true);
	e2e_driver_stop(&e2e);
}

static int teardown(void **state)
{
	for (int i = 0; i < NR_DATA; i++)
		__free_page(g.data[i]);
	__free_page(g.buf_page);
	e2e_host_stop(&e2e);
	e2e_guest_shutdown();
	return lockdep_test_teardown(state);
}

/* A refused inflate changed nothing: memory, contents, record. */
static void assert_nothing_discarded(size_t backed_before)
{
	assert_int_equal(page_ram_allocated_bytes(), backed_before);
	assert_int_equal(e2e_host_int(&e2e, "memfd-allocated-bytes"),
			 backed_before);
	assert_int_equal(e2e_host_int(&e2e, "host-ballooned-bytes"), 0);
	assert_int_equal(e2e_host_int(&e2e, "punched-bytes"), 0);
	for (int i = 0; i < NR_DATA; i++)
		assert_true(data_intact(i));
}

/*
 * Setup: eight pages of ours, backed, with a pattern.
 * Action: one inflate naming the eight pfns, then max_pfn (one past guest
 * RAM) and 0xffffffff.
 *
 *   [d0 d1 d2 d3 d4 d5 d6 d7 | max_pfn | 0xffffffff]
 *
 * Expected: NEEDS_RESET, the buffer never used, one protocol violation;
 * the eight pages keep their bytes and their memory (the batch is
 * validated whole before anything is punched); the host still serves.
 */
static void test_inflate_pfn_outside_ram_needs_reset_discards_nothing(void **state)
{
	uint32_t pfns[NR_DATA + 2];
	size_t backed;

	raw_start(MUST_TELL, 2);
	for (int i = 0; i < NR_DATA; i++)
		pfns[i] = data_pfn(i);
	pfns[NR_DATA] = (uint32_t)max_pfn;
	pfns[NR_DATA + 1] = 0xffffffffu;
	set_pfns(pfns, NR_DATA + 2);
	backed = page_ram_allocated_bytes();
	raw_post(0, 0, sizeof(pfns), 0);
	raw_wait_needs_reset(0);
	assert_int_equal(e2e_host_int(&e2e, "protocol-violations"), 1);
	assert_nothing_discarded(backed);
	raw_stop();
	assert_host_still_serves();
}

/*
 * Action: an inflate buffer of 4 * 3 + 2 bytes (a pfn cut in half).
 * Expected: NEEDS_RESET; the three whole pfns are not punched.
 */
static void test_inflate_length_not_multiple_of_4_needs_reset(void **state)
{
	uint32_t pfns[4] = { data_pfn(0), data_pfn(1), data_pfn(2), data_pfn(3) };
	size_t backed;

	raw_start(MUST_TELL, 2);
	set_pfns(pfns, 4);
	backed = page_ram_allocated_bytes();
	raw_post(0, 0, 4 * 3 + 2, 0);
	raw_wait_needs_reset(0);
	assert_nothing_discarded(backed);
	raw_stop();
	assert_host_still_serves();
}

/*
 * Action: an inflate buffer with a device-writable part after two valid
 * pfns.
 *
 *   out: [d0 d1]   in: [4 writable bytes]
 *
 * Expected: NEEDS_RESET; nothing punched; the writable bytes untouched.
 */
static void test_inflate_with_writable_part_needs_reset(void **state)
{
	uint32_t pfns[2] = { data_pfn(0), data_pfn(1) };
	size_t backed;

	raw_start(MUST_TELL, 2);
	set_pfns(pfns, 2);
	g.buf[512] = 0x12345678;		/* byte 2048: the writable part */
	backed = page_ram_allocated_bytes();
	raw_post(0, 0, sizeof(pfns), 4);
	raw_wait_needs_reset(0);
	assert_int_equal(g.buf[512], 0x12345678);
	assert_nothing_discarded(backed);
	raw_stop();
	assert_host_still_serves();
}

/*
 * Action: inflate [d0 d1 d0 d0 d2] (d0 three times in one batch), then
 * [d0 d3] (d0 a second time across batches).
 * Expected: both acknowledged; 3 then 4 pages ballooned, exactly that much
 * memory returned; the in-batch duplicates are not double inflates, the
 * cross-batch one is, once; d4..d7 keep their bytes; no reset.
 */
static void test_inflate_duplicates_counted_once(void **state)
{
	uint32_t a[5] = { data_pfn(0), data_pfn(1), data_pfn(0), data_pfn(0),
			  data_pfn(2) };
	uint32_t b[2] = { data_pfn(0), data_pfn(3) };
	size_t backed;

	raw_start(MUST_TELL, 2);
	backed = page_ram_allocated_bytes();
	set_pfns(a, 5);
	raw_post(0, 0, sizeof(a), 0);
	raw_wait_used(0);
	assert_int_equal(e2e_host_int(&e2e, "host-ballooned-bytes"), 3 * PAGE_SIZE);
	assert_int_equal(page_ram_allocated_bytes(), backed - 3 * PAGE_SIZE);
	assert_int_equal(e2e_host_int(&e2e, "double-inflates"), 0);
	set_pfns(b, 2);
	raw_post(0, 0, sizeof(b), 0);
	raw_wait_used(0);
	assert_int_equal(e2e_host_int(&e2e, "host-ballooned-bytes"), 4 * PAGE_SIZE);
	assert_int_equal(page_ram_allocated_bytes(), backed - 4 * PAGE_SIZE);
	assert_int_equal(e2e_host_int(&e2e, "double-inflates"), 1);
	assert_int_equal(e2e_host_int(&e2e, "protocol-violations"), 0);
	assert_false(e2e_host_int(&e2e, "needs-reset"));
	for (int i = 4; i < NR_DATA; i++)
		assert_true(data_intact(i));
	raw_stop();
	/* Our pages were given away: they are zero now. Repaint them. */
	for (int i = 0; i < 4; i++)
		memset(page_address(g.data[i]), 0xa0 + i, PAGE_SIZE);
	assert_host_still_serves();
}

static bool host_scanned_since(struct balloon_e2e *e, void *arg)
{
	return e2e_host_int(e, "touched-scans") > *(int64_t *)arg;
}

/*
 * Setup: d0 d1 d2 inflated, MUST_TELL_HOST.
 * Action: deflate [d0 d5] (d5 was never inflated) and [d1 0xffffffff]
 * (outside guest RAM); after each is acknowledged the guest reuses the
 * valid page at once, as it may; a scan of the record runs; then deflate
 * [d2].
 *
 *   record:  {d0 d1 d2} -[d0 d5]-> {d1 d2} -[d1 0xffffffff]-> {d2} -> {}
 *
 * Expected: only d5 and 0xffffffff are refused (refused-deflates 2, two
 * protocol violations, no reset, each buffer acknowledged so the guest
 * does not hang); d0 and d1 are taken back, so the scan finds no
 * ballooned page touched; the last deflate empties the record.
 */
static void test_deflate_never_inflated_refused_rest_taken_back(void **state)
{
	uint32_t in[3] = { data_pfn(0), data_pfn(1), data_pfn(2) };
	uint32_t bad[2] = { data_pfn(0), data_pfn(5) };
	uint32_t outside[2] = { data_pfn(1), 0xffffffffu };
	uint32_t last = data_pfn(2);
	int64_t scans;

	raw_start(MUST_TELL, 2);
	set_pfns(in, 3);
	raw_post(0, 0, sizeof(in), 0);
	raw_wait_used(0);
	set_pfns(bad, 2);
	raw_post(1, 0, sizeof(bad), 0);
	raw_wait_used(1);
	memset(page_address(g.data[0]), 0xa0, PAGE_SIZE);
	set_pfns(outside, 2);
	raw_post(1, 0, sizeof(outside), 0);
	raw_wait_used(1);
	memset(page_address(g.data[1]), 0xa1, PAGE_SIZE);
	assert_int_equal(e2e_host_int(&e2e, "host-ballooned-bytes"), PAGE_SIZE);
	assert_int_equal(e2e_host_int(&e2e, "refused-deflates"), 2);
	assert_int_equal(e2e_host_int(&e2e, "protocol-violations"), 2);
	assert_false(e2e_host_int(&e2e, "needs-reset"));
	scans = e2e_host_int(&e2e, "touched-scans");
	e2e_wait(&e2e, host_scanned_since, &scans, 50, "a scan of the record");
	assert_int_equal(e2e_host_int(&e2e, "touched-while-ballooned"), 0);
	set_pfns(&last, 1);
	raw_post(1, 0, sizeof(last), 0);
	raw_wait_used(1);
	assert_int_equal(e2e_host_int(&e2e, "host-ballooned-bytes"), 0);
	assert_int_equal(e2e_host_int(&e2e, "refused-deflates"), 2);
	assert_int_equal(e2e_host_int(&e2e, "touched-while-ballooned"), 0);
	assert_true(data_intact(5));
	raw_stop();
	memset(page_address(g.data[2]), 0xa2, PAGE_SIZE);
	assert_host_still_serves();
}

static void set_stat(unsigned int i, uint16_t tag, uint64_t val)
{
	struct virtio_balloon_stat st = { .tag = htole16(tag),
					  .val = htole64(val) };

	memcpy((char *)g.buf + i * sizeof(st), &st, sizeof(st));
}

/*
 * Action: the guest writes the config: num_pages (the host's field), then
 * an `actual` larger than guest RAM (0xffffffff pages), then a true one.
 *
 *   config: num_pages (le32, host's)   actual (le32, guest's)
 *
 * Expected: the num_pages write is refused and the target unchanged; the
 * impossible actual is refused too (counted as a violation; query-balloon
 * never reports a negative or huge guest size), no reset; a true actual
 * (3 pages) is taken and reported as RAM - 3 pages.
 */
static void test_config_write_impossible_values_refused(void **state)
{
	uint32_t v = htole32(5);
	json_t *ret;

	raw_start(MUST_TELL, 2);
	assert_int_not_equal(virtio_cwrite(g.vdev,
				offsetof(struct virtio_balloon_config, num_pages),
				&v, sizeof(v)), 0);
	assert_int_equal(e2e_host_int(&e2e, "target-bytes"), RAM);
	v = htole32(0xffffffffu);
	assert_int_not_equal(virtio_cwrite(g.vdev,
				offsetof(struct virtio_balloon_config, actual),
				&v, sizeof(v)), 0);
	ret = e2e_qmp(&e2e, "query-balloon", NULL);
	assert_int_equal(json_integer_value(json_object_get(ret, "actual")), RAM);
	json_decref(ret);
	assert_int_equal(e2e_host_int(&e2e, "guest-ballooned-bytes"), 0);
	assert_int_equal(e2e_host_int(&e2e, "protocol-violations"), 1);
	assert_false(e2e_host_int(&e2e, "needs-reset"));
	v = htole32(3);
	assert_int_equal(virtio_cwrite(g.vdev,
				offsetof(struct virtio_balloon_config, actual),
				&v, sizeof(v)), 0);
	assert_int_equal(e2e_actual(&e2e), RAM - 3 * PAGE_SIZE);
	raw_stop();
	assert_host_still_serves();
}

/*
 * Action: inflate [d0 d1] as three descriptors of 2, 4 and 2 bytes (each
 * pfn cut across two of them); then one inflate of 16385 pfns, more than
 * the host takes in one message (64 KiB).
 *
 *   [d0 lo][d0 hi d1 lo][d1 hi]        [16385 x d2]
 *
 * Expected: the scattered batch is taken whole (2 pages ballooned); the
 * oversized one sets NEEDS_RESET and discards nothing more.
 */
static void test_inflate_scattered_accepted_oversized_needs_reset(void **state)
{
	const unsigned int big_order = 5;	/* 128 KiB */
	const size_t big_n = 16385;
	uint32_t pfns[2] = { data_pfn(0), data_pfn(1) };
	struct scatterlist sg[3], *sgs[3] = { &sg[0], &sg[1], &sg[2] };
	unsigned int nents[3] = { 1, 1, 1 };
	struct page *bigp;
	uint32_t *big;
	size_t backed;

	raw_start(MUST_TELL, 2);
	set_pfns(pfns, 2);
	backed = page_ram_allocated_bytes();
	sg_init_one(&sg[0], (char *)g.buf, 2);
	sg_init_one(&sg[1], (char *)g.buf + 2, 4);
	sg_init_one(&sg[2], (char *)g.buf + 6, 2);
	assert_int_equal(virtqueue_add_sgs(g.vqs[0], sgs, nents, 3, 0, g.buf,
					   GFP_KERNEL), 0);
	assert_true(virtqueue_kick(g.vqs[0]));
	raw_wait_used(0);
	assert_int_equal(e2e_host_int(&e2e, "host-ballooned-bytes"), 2 * PAGE_SIZE);
	assert_int_equal(page_ram_allocated_bytes(), backed - 2 * PAGE_SIZE);

	bigp = alloc_pages(GFP_KERNEL, big_order);
	assert_non_null(bigp);
	big = page_address(bigp);
	for (size_t i = 0; i < big_n; i++)
		big[i] = htole32(data_pfn(2));
	backed = page_ram_allocated_bytes();
	sg_init_one(&sg[0], big, (unsigned int)(big_n * 4));
	assert_int_equal(virtqueue_add_outbuf(g.vqs[0], &sg[0], 1, big,
					      GFP_KERNEL), 0);
	assert_true(virtqueue_kick(g.vqs[0]));
	raw_wait_needs_reset(0);
	assert_int_equal(page_ram_allocated_bytes(), backed);
	assert_int_equal(e2e_host_int(&e2e, "host-ballooned-bytes"), 2 * PAGE_SIZE);
	assert_true(data_intact(2));
	raw_stop();
	__free_pages(bigp, big_order);
	for (int i = 0; i < 2; i++)
		memset(page_address(g.data[i]), 0xa0 + i, PAGE_SIZE);
	assert_host_still_serves();
}

static bool host_took_stats(struct balloon_e2e *e, void *arg)
{
	return e2e_host_int(e, "stats-messages") >= 1;
}

/*
 * Action: with STATS_VQ, a well-formed stats buffer of two entries (a
 * real tag and the unknown tag 200); then, each on a fresh connection,
 * malformed ones: a second buffer while the host holds the first; 7 bytes;
 * a writable part; and, without STATS_VQ, a buffer on queue 2, which then
 * does not exist (queues are numbered by the features negotiated).
 *
 *   ok:        [MEMFREE 4096][200 77]          20 bytes, held by the host
 *   malformed: [7 bytes]  [10 bytes | 10 writable]  queue 2 w/o STATS_VQ
 *
 * Expected: the first is taken (stat-free-memory 4096, the unknown tag
 * ignored, no reset); each malformed one sets NEEDS_RESET and is never
 * used; the host still serves.
 */
static void test_stats_buffer_malformed_needs_reset(void **state)
{
	json_t *dev, *st;

	raw_start(MUST_TELL | STATS_VQ, 3);
	set_stat(0, VIRTIO_BALLOON_S_MEMFREE, 4096);
	set_stat(1, 200, 77);
	raw_post(2, 0, 20, 0);
	/* The host holds a stats buffer (never used): only QMP can tell. */
	e2e_wait(&e2e, host_took_stats, NULL, 10, "the stats buffer");
	dev = e2e_host_device(&e2e);
	st = e2e_qmp(&e2e, "qom-get", json_pack("{s:O, s:s}", "path",
						json_object_get(dev, "id"),
						"property", "guest-stats"));
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(st, "stats"), "stat-free-memory")),
			 4096);
	assert_int_equal(json_object_size(json_object_get(st, "stats")), 16);
	json_decref(st);
	json_decref(dev);
	assert_false(e2e_host_int(&e2e, "needs-reset"));
	raw_post(2, 1024, 20, 0);		/* a second one */
	raw_wait_needs_reset(2);
	raw_stop();

	raw_start(MUST_TELL | STATS_VQ, 3);
	raw_post(2, 0, 7, 0);
	raw_wait_needs_reset(2);
	raw_stop();

	raw_start(MUST_TELL | STATS_VQ, 3);
	raw_post(2, 0, 10, 10);
	raw_wait_needs_reset(2);
	raw_stop();

	raw_start(MUST_TELL, 3);
	raw_post(2, 0, 10, 0);
	raw_wait_needs_reset(2);
	raw_stop();
	assert_host_still_serves();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_inflate_pfn_outside_ram_needs_reset_discards_nothing),
		T(test_inflate_length_not_multiple_of_4_needs_reset),
		T(test_inflate_with_writable_part_needs_reset),
		T(test_inflate_duplicates_counted_once),
		T(test_deflate_never_inflated_refused_rest_taken_back),
		T(test_stats_buffer_malformed_needs_reset),
		T(test_config_write_impossible_values_refused),
		T(test_inflate_scattered_accepted_oversized_needs_reset),
#undef T
	};

	return cmocka_run_group_tests_name("balloon_hostile", tests, NULL, NULL);
}
