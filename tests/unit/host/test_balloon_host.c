// SPDX-License-Identifier: MIT
/*
 * test_balloon_host.c - the host's record of ballooned pfns over a real
 * memfd: holes are really punched, batches are validated whole, and pages
 * touched while ballooned are found.
 */
#include "../../support/test_support.h"
#include "../../../src/host/balloon_host.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RAM (16UL << 20)
#define PG 4096UL

static int fd = -1;
static char *ram;
static struct balloon_host bh;

static int setup(void **state)
{
	fd = memfd_create("test-ram", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, RAM), 0);
	ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(ram != MAP_FAILED);
	memset(ram, 0xab, RAM);		/* every page backed */
	assert_int_equal(balloon_host_init(&bh, fd, RAM), 0);
	return 0;
}

static int teardown(void **state)
{
	balloon_host_destroy(&bh);
	munmap(ram, RAM);
	close(fd);
	return 0;
}

/*
 * Inflating pfns {12, 5, 10, 11, 100} punches three holes ([5], [10..12],
 * [100]): the memfd's backed size drops by five pages and those pages now
 * read as zeroes while their neighbours keep their bytes.
 */
static void test_balloon_host_inflate_coalesces_and_punches(void **state)
{
	const uint32_t pfns[] = { 12, 5, 10, 11, 100 };
	uint64_t before = balloon_host_allocated_bytes(&bh);
	uint32_t bad;

	assert_int_equal(before, RAM);
	assert_int_equal(balloon_host_inflate(&bh, pfns, 5, &bad), 0);
	assert_int_equal(bh.nr_ballooned, 5);
	assert_int_equal(bh.nr_punches, 3);
	assert_int_equal(balloon_host_allocated_bytes(&bh), before - 5 * PG);
	for (size_t i = 0; i < 5; i++)
		for (size_t b = 0; b < PG; b += 512)
			assert_int_equal(ram[pfns[i] * PG + b], 0);
	assert_int_equal((unsigned char)ram[9 * PG], 0xab);
	assert_int_equal((unsigned char)ram[13 * PG], 0xab);
}

/*
 * One pfn outside guest RAM in a batch refuses the whole batch: nothing is
 * recorded and nothing is discarded.
 */
static void test_balloon_host_inflate_pfn_outside_ram_discards_nothing(void **state)
{
	const uint32_t pfns[] = { 1, 2, RAM / PG, 3 };
	uint32_t bad = 0;

	assert_int_equal(balloon_host_inflate(&bh, pfns, 4, &bad), -EPROTO);
	assert_int_equal(bad, RAM / PG);
	assert_int_equal(bh.nr_ballooned, 0);
	assert_int_equal(bh.nr_punches, 0);
	assert_int_equal(balloon_host_allocated_bytes(&bh), RAM);
	assert_int_equal((unsigned char)ram[2 * PG], 0xab);
}

/* A pfn inflated twice (across batches or within one) counts once. */
static void test_balloon_host_inflate_twice_counts_once(void **state)
{
	const uint32_t a[] = { 7, 7, 8 };
	const uint32_t b[] = { 8, 9 };
	uint32_t bad;

	assert_int_equal(balloon_host_inflate(&bh, a, 3, &bad), 0);
	assert_int_equal(balloon_host_inflate(&bh, b, 2, &bad), 0);
	assert_int_equal(bh.nr_ballooned, 3);
	assert_int_equal(bh.nr_double_inflates, 1);
}

/*
 * Setup: pfns 20 and 21 inflated.
 * Action: deflate {20, 22, RAM/PG} (22 never inflated, RAM/PG outside
 * guest RAM), then {21, 21}.
 * Expected: the first is refused for 22 and RAM/PG only (two pfns counted,
 * the first offender reported), 20 is taken back all the same, because
 * the guest reuses every page of an acknowledged buffer; the second takes
 * 21 back once. Deflated pages read as zeroes until written.
 */
static void test_balloon_host_deflate_never_inflated_refused_rest_taken_back(void **state)
{
	const uint32_t in[] = { 20, 21 };
	const uint32_t mixed[] = { 20, 22, RAM / PG };
	const uint32_t twice[] = { 21, 21 };
	uint32_t bad = 0;

	assert_int_equal(balloon_host_inflate(&bh, in, 2, &bad), 0);
	assert_int_equal(balloon_host_deflate(&bh, mixed, 3, &bad), -EPROTO);
	assert_int_equal(bad, 22);
	assert_int_equal(bh.nr_ballooned, 1);
	assert_int_equal(bh.nr_bad_deflates, 2);
	assert_int_equal(balloon_host_deflate(&bh, twice, 2, &bad), 0);
	assert_int_equal(bh.nr_ballooned, 0);
	assert_int_equal(bh.nr_bad_deflates, 2);
	assert_int_equal(ram[20 * PG], 0);
}

/*
 * A ballooned page the guest writes to before deflating becomes backed
 * again; the scan finds exactly it.
 */
static void test_balloon_host_scan_touched_finds_written_page(void **state)
{
	const uint32_t pfns[] = { 30, 31, 32, 33, 200 };
	uint32_t bad, first = 0;

	assert_int_equal(balloon_host_inflate(&bh, pfns, 5, &bad), 0);
	assert_int_equal(balloon_host_scan_touched(&bh, &first), 0);
	ram[32 * PG + 17] = 1;
	assert_int_equal(balloon_host_scan_touched(&bh, &first), 1);
	assert_int_equal(first, 32);
}

/*
 * A deflate batch naming ballooned pages: those still holes are fine;
 * one written meanwhile is counted (once, even if named twice); pfns not
 * ballooned or outside RAM are ignored.
 *
 *   ballooned: 40 41 42 43 ... 60      written: 42
 *   batch:     {43, 42, 41, 42, 60, 7, RAM/PG}  -> 1 touched, first 42
 */
static void test_balloon_host_count_touched_finds_reused_page(void **state)
{
	const uint32_t in[] = { 40, 41, 42, 43, 60 };
	const uint32_t batch[] = { 43, 42, 41, 42, 60, 7, RAM / PG };
	uint32_t bad, first = 0;

	assert_int_equal(balloon_host_inflate(&bh, in, 5, &bad), 0);
	assert_int_equal(balloon_host_count_touched(&bh, batch, 7, &first), 0);
	ram[42 * PG + 4000] = 9;
	assert_int_equal(balloon_host_count_touched(&bh, batch, 7, &first), 1);
	assert_int_equal(first, 42);
	assert_int_equal(balloon_host_deflate(&bh, in, 5, &bad), 0);
	assert_int_equal(balloon_host_count_touched(&bh, batch, 7, &first), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_balloon_host_inflate_coalesces_and_punches),
		T(test_balloon_host_inflate_pfn_outside_ram_discards_nothing),
		T(test_balloon_host_inflate_twice_counts_once),
		T(test_balloon_host_deflate_never_inflated_refused_rest_taken_back),
		T(test_balloon_host_scan_touched_finds_written_page),
		T(test_balloon_host_count_touched_finds_reused_page),
#undef T
	};

	return cmocka_run_group_tests_name("balloon_host", tests, NULL, NULL);
}
