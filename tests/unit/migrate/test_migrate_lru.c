// SPDX-License-Identifier: MIT
/*
 * test_migrate_lru.c - migration of page-cache pages: bytes, index entry,
 * state and accounting move to the new frame; a page someone else holds is
 * left alone; compaction moves scattered page-cache pages together and the
 * file's contents survive, in the cache and on disk.
 */
#include "../../support/test_support.h"
#include "../../support/fragment.h"

#include <ballast/migrate.h>
#include <ballast/reclaim.h>
#include <ballast/writeback.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RAM (64UL << 20)

static int setup(void **state)
{
	/* No flusher: the tests decide what is dirty. */
	struct writeback_config cfg = { .no_flusher = true };

	test_pagecache_setup(RAM, &cfg, false);
	compaction_set_proactiveness(0);
	return 0;
}

static int teardown(void **state)
{
	compaction_set_proactiveness(20);
	test_pagecache_teardown();
	return 0;
}

static struct page *alloc_dst(struct page *src, unsigned long private)
{
	return alloc_page(GFP_HIGHUSER_MOVABLE);
}

static void write_pattern(struct address_space *m, uint64_t seed,
			  unsigned long pages)
{
	char *buf = malloc(PAGE_SIZE);

	for (unsigned long i = 0; i < pages; i++) {
		test_pattern(buf, PAGE_SIZE, seed, i * PAGE_SIZE);
		assert_int_equal(filemap_write(m, (loff_t)(i * PAGE_SIZE), buf,
					       PAGE_SIZE), PAGE_SIZE);
	}
	free(buf);
}

/* The file's bytes, through the cache and (after fsync) on disk. */
static void check_pattern(struct address_space *m, const char *name,
			  uint64_t seed, unsigned long pages)
{
	char *buf = malloc(PAGE_SIZE), *want = malloc(PAGE_SIZE);
	int fd;

	for (unsigned long i = 0; i < pages; i++) {
		test_pattern(want, PAGE_SIZE, seed, i * PAGE_SIZE);
		assert_int_equal(filemap_read(m, (loff_t)(i * PAGE_SIZE), buf,
					      PAGE_SIZE), PAGE_SIZE);
		if (memcmp(buf, want, PAGE_SIZE))
			fail_msg("page %lu differs in the cache", i);
	}
	assert_int_equal(filemap_fsync(m), 0);
	fd = open(test_backing_path(name), O_RDONLY);
	assert_true(fd >= 0);
	for (unsigned long i = 0; i < pages; i++) {
		test_pattern(want, PAGE_SIZE, seed, i * PAGE_SIZE);
		assert_int_equal(pread(fd, buf, PAGE_SIZE, (off_t)(i * PAGE_SIZE)),
				 PAGE_SIZE);
		if (memcmp(buf, want, PAGE_SIZE))
			fail_msg("page %lu differs on disk", i);
	}
	close(fd);
	free(buf);
	free(want);
}

/*
 * Setup: a 16-page file, its first half written back (clean), its second
 * half dirty. Action: isolate and migrate every page. Expected: each index
 * now holds a different frame with the same bytes and the same dirty
 * state; NR_FILE_DIRTY is unchanged; the checks pass; after fsync the
 * backing file holds the bytes.
 */
static void test_migrate_pages_pagecache_pages_move_bytes_and_state(void **state)
{
	struct address_space *m;
	struct page *old[16];
	LIST_HEAD(list);
	long dirty_before;
	unsigned int done;

	assert_int_equal(filemap_open("mig", &m), 0);
	write_pattern(m, 7, 8);
	assert_int_equal(filemap_fsync(m), 0);
	write_pattern(m, 7, 16);	/* rewrites 0..7 clean, dirties 8..15 */
	assert_int_equal(filemap_fsync(m), 0);
	for (unsigned long i = 8; i < 16; i++) {	/* dirty again */
		char b = 0;

		assert_int_equal(filemap_read(m, (loff_t)(i * PAGE_SIZE), &b, 1), 1);
		assert_int_equal(filemap_write(m, (loff_t)(i * PAGE_SIZE), &b, 1), 1);
	}
	dirty_before = node_page_state(NR_FILE_DIRTY);
	assert_int_equal(dirty_before, 8);
	for (unsigned long i = 0; i < 16; i++) {
		old[i] = find_get_page(m, i);
		assert_non_null(old[i]);
		assert_true(isolate_migratable_lru_page(old[i]));
		put_page(old[i]);		/* our lookup reference */
		list_add_tail(&old[i]->lru, &list);
	}
	assert_int_equal(migrate_pages(&list, alloc_dst, NULL, 0, MIGRATE_SYNC,
				       MR_SYSCALL, &done), 0);
	assert_int_equal(done, 16);
	for (unsigned long i = 0; i < 16; i++) {
		struct page *now = find_get_page(m, i);

		assert_ptr_not_equal(now, old[i]);
		assert_ptr_equal(now->mapping, m);
		assert_int_equal(now->index, i);
		assert_true(PageUptodate(now) && PageLRU(now));
		assert_int_equal(PageDirty(now), i >= 8);
		put_page(now);
	}
	assert_int_equal(node_page_state(NR_FILE_DIRTY), dirty_before);
	assert_int_equal(node_page_state(NR_ISOLATED_FILE), 0);
	assert_int_equal(writeback_check(0), 0);
	assert_int_equal(reclaim_check(0), 0);
	check_pattern(m, "mig", 7, 16);
	filemap_close(m);
}

/*
 * A page whose reference someone else holds (here, the test's lookup) is
 * not migrated: migrate_pages() reports it, and putback returns it to its
 * LRU unchanged.
 */
static void test_migrate_pages_pagecache_page_held_elsewhere_is_left(void **state)
{
	struct address_space *m;
	struct page *page;
	LIST_HEAD(list);
	unsigned int done;

	assert_int_equal(filemap_open("held", &m), 0);
	write_pattern(m, 9, 1);
	page = find_get_page(m, 0);
	assert_true(isolate_migratable_lru_page(page));
	list_add(&page->lru, &list);
	assert_int_equal(migrate_pages(&list, alloc_dst, NULL, 0, MIGRATE_SYNC,
				       MR_SYSCALL, &done), 1);
	assert_int_equal(done, 0);
	putback_movable_pages(&list);
	assert_true(PageLRU(page));
	assert_ptr_equal(find_get_page(m, 0), page);
	put_page(page);
	put_page(page);
	check_pattern(m, "held", 9, 1);
	filemap_close(m);
}

/*
 * Setup: two files written in alternation fill 88% of RAM with
 * interleaved pages; the second file is written back and dropped, leaving
 * the first's pages one in two over most of RAM. Action: compact_nodes().
 * Expected: many more order-9 allocations succeed than before, and the
 * first file is intact in the cache and on disk.
 *
 *   pfn: A B A B A B ...   ->   A . A . A . ...   ->   A A A ... . . .
 */
static void test_compact_nodes_scattered_pagecache_restores_order9(void **state)
{
	struct address_space *a, *b;
	unsigned long pages = (RAM >> PAGE_SHIFT) * 44 / 100;
	unsigned long before, after, attempts = (RAM >> PAGE_SHIFT) / 512;
	char *buf = malloc(PAGE_SIZE);

	assert_int_equal(filemap_open("a", &a), 0);
	assert_int_equal(filemap_open("b", &b), 0);
	for (unsigned long i = 0; i < pages; i++) {
		test_pattern(buf, PAGE_SIZE, 1, i * PAGE_SIZE);
		assert_int_equal(filemap_write(a, (loff_t)(i * PAGE_SIZE), buf,
					       PAGE_SIZE), PAGE_SIZE);
		test_pattern(buf, PAGE_SIZE, 2, i * PAGE_SIZE);
		assert_int_equal(filemap_write(b, (loff_t)(i * PAGE_SIZE), buf,
					       PAGE_SIZE), PAGE_SIZE);
		if (i % 1024 == 1023) {	/* keep dirty memory small */
			assert_int_equal(filemap_fsync(a), 0);
			assert_int_equal(filemap_fsync(b), 0);
		}
	}
	free(buf);
	assert_int_equal(filemap_fsync(b), 0);
	invalidate_mapping_pages(b);
	before = count_high_order_allocs(9, attempts);
	compact_nodes();
	after = count_high_order_allocs(9, attempts);
	print_message("order-9 success: before %lu/%lu, after %lu/%lu\n",
		      before, attempts, after, attempts);
	assert_true(after >= before + attempts / 4);
	assert_true(vm_event_sum(PGMIGRATE_SUCCESS) > 0);
	check_pattern(a, "a", 1, pages);
	filemap_close(a);
	filemap_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_migrate_pages_pagecache_pages_move_bytes_and_state),
		T(test_migrate_pages_pagecache_page_held_elsewhere_is_left),
		T(test_compact_nodes_scattered_pagecache_restores_order9),
#undef T
	};

	return cmocka_run_group_tests_name("migrate_lru", tests, NULL, NULL);
}
