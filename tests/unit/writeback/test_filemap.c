// SPDX-License-Identifier: MIT
/*
 * test_filemap.c - the page cache and writeback: index operations, reads
 * and writes through the cache checked byte for byte against the backing
 * file (re-read with plain pread), batched writeback, fsync error
 * reporting through fault injection, dirty accounting and throttling.
 *
 * Each test runs on 64 MiB of guest RAM with reclaim and the page cache
 * set up over a fresh temporary directory, without kswapd; the flusher
 * runs unless a test says otherwise.
 */
#include "../../support/test_support.h"

#include <ballast/lib/testhook.h>
#include <ballast/reclaim.h>
#include <ballast/writeback.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RAM (64UL << 20)

static int setup(void **state)
{
	/* Long interval: tests decide when the flusher runs. */
	struct writeback_config cfg = { .writeback_interval_ms = 60000 };

	test_pagecache_setup(RAM, &cfg, false);
	return 0;
}

static int setup_no_flusher(void **state)
{
	struct writeback_config cfg = { .no_flusher = true };

	test_pagecache_setup(RAM, &cfg, false);
	return 0;
}

static int teardown(void **state)
{
#if BALLAST_TESTING
	writeback_fault_set(NULL);
#endif
	test_pagecache_teardown();
	return 0;
}

/* Compare the backing file's bytes [0, len) with pattern @seed. */
static void assert_backing_equals(const char *name, size_t len, uint64_t seed)
{
	char *want = malloc(len), *got = malloc(len + 1);
	int fd = open(test_backing_path(name), O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	test_pattern(want, len, seed, 0);
	n = pread(fd, got, len + 1, 0);
	close(fd);
	assert_int_equal(n, (ssize_t)len);
	assert_memory_equal(got, want, len);
	free(want);
	free(got);
}

static void assert_checks_quiescent(void)
{
	assert_int_equal(writeback_check(WRITEBACK_CHECK_QUIESCENT), 0);
	assert_int_equal(reclaim_check(RECLAIM_CHECK_QUIESCENT), 0);
}

/*
 * Setup: an empty file. Action: find_or_create_page() at indices spread
 * over several tree levels (0, 63, 64, 4095, 1 << 20, 1 << 30), then
 * find_get_page() of each and of absent neighbours; then drop them with
 * invalidate_mapping_pages().
 * Expected: each lookup finds exactly its page (locked on creation, with
 * ->mapping and ->index set), absent ones are NULL, NR_FILE_PAGES counts
 * them, the index checks out, and invalidation empties the cache.
 */
static void test_find_or_create_page_sparse_indices_found_again(void **state)
{
	static const pgoff_t idx[] = { 0, 63, 64, 4095, 1UL << 20, 1UL << 30 };
	struct address_space *m;
	long file_pages = node_page_state(NR_FILE_PAGES);

	assert_int_equal(filemap_open("sparse", &m), 0);
	for (size_t i = 0; i < ARRAY_SIZE(idx); i++) {
		struct page *page = find_or_create_page(m, idx[i], GFP_KERNEL);

		assert_non_null(page);
		assert_true(PageLocked(page));
		assert_ptr_equal(page->mapping, m);
		assert_int_equal(page->index, idx[i]);
		assert_true(PageLRU(page));
		unlock_page(page);
		put_page(page);
	}
	assert_int_equal(node_page_state(NR_FILE_PAGES),
			 file_pages + (long)ARRAY_SIZE(idx));
	for (size_t i = 0; i < ARRAY_SIZE(idx); i++) {
		struct page *page = find_get_page(m, idx[i]);

		assert_non_null(page);
		assert_int_equal(page->index, idx[i]);
		put_page(page);
		assert_null(find_get_page(m, idx[i] + 2));
	}
	assert_int_equal(writeback_check(WRITEBACK_CHECK_QUIESCENT), 0);
	assert_int_equal(invalidate_mapping_pages(m), ARRAY_SIZE(idx));
	assert_int_equal(node_page_state(NR_FILE_PAGES), file_pages);
	assert_null(find_get_page(m, 0));
	filemap_close(m);
	assert_checks_quiescent();
}

#define POOL 256

/*
 * Setup: a pool of 256 indices spread over every tree level (0 .. 2^40),
 * a model of which are cached and which dirty. Action: 3000 seeded random
 * operations: create (find_or_create_page), dirty one (set_page_dirty
 * under its lock), look one up, fsync (cleans all), drop every clean page
 * (invalidate_mapping_pages). Expected: after each step lookups agree
 * with the model; at checkpoints writeback_check() finds the index well
 * formed (links, counts, tag summaries) and the counters exact.
 */
static void test_page_index_random_ops_match_model(void **state)
{
	static pgoff_t pool[POOL];
	static bool cached[POOL], dirty[POOL];
	struct address_space *m;

	test_rand_seed(17);
	for (int i = 0; i < POOL; i++)
		pool[i] = (pgoff_t)(test_rand() >> (24 + test_rand_below(40)));
	assert_int_equal(filemap_open("random", &m), 0);
	for (int op = 0; op < 3000; op++) {
		int i = (int)test_rand_below(POOL);
		unsigned int what = (unsigned int)test_rand_below(100);
		struct page *page;

		/* Duplicate indices in the pool share one page. */
		for (int j = 0; j < POOL; j++)
			if (pool[j] == pool[i] && j != i) {
				cached[j] = cached[i];
				dirty[j] = dirty[i];
			}
		if (what < 45) {
			page = find_or_create_page(m, pool[i], GFP_KERNEL);
			assert_non_null(page);
			SetPageUptodate(page);
			unlock_page(page);
			put_page(page);
			cached[i] = true;
		} else if (what < 70) {
			page = find_lock_page(m, pool[i]);
			assert_true(!!page == cached[i]);
			if (page) {
				set_page_dirty(page);
				dirty[i] = true;
				unlock_page(page);
				put_page(page);
			}
		} else if (what < 95) {
			page = find_get_page(m, pool[i]);
			assert_true(!!page == cached[i]);
			if (page) {
				assert_int_equal(page->index, pool[i]);
				assert_true(PageDirty(page) == dirty[i]);
				put_page(page);
			}
		} else if (what < 98) {
			assert_int_equal(filemap_fsync(m), 0);
			memset(dirty, 0, sizeof(dirty));
		} else {
			invalidate_mapping_pages(m);
			for (int j = 0; j < POOL; j++)
				if (!dirty[j])
					cached[j] = false;
		}
		for (int j = 0; j < POOL; j++)
			if (pool[j] == pool[i] && j != i) {
				cached[j] = cached[i];
				dirty[j] = dirty[i];
			}
		if (op % 500 == 0)
			assert_int_equal(
				writeback_check(WRITEBACK_CHECK_QUIESCENT), 0);
	}
	assert_int_equal(writeback_check(WRITEBACK_CHECK_QUIESCENT), 0);
	assert_int_equal(filemap_fsync(m), 0);
	invalidate_mapping_pages(m);
	assert_int_equal(m->nrpages, 0);
	assert_null(m->i_pages.root);	/* every node freed */
	filemap_close(m);
}

/*
 * Setup: a file. Action: write 1 MiB + 123 bytes of a pattern at offset
 * 0 in uneven chunks through filemap_write(), fsync, then re-read the
 * backing file with plain pread, and read it back through the cache.
 * Expected: the backing file has exactly the pattern (its size is not
 * rounded up to pages); the cache reads back the same; no page is dirty.
 */
static void test_filemap_write_fsync_backing_file_byte_exact(void **state)
{
	const size_t len = (1UL << 20) + 123;
	char *buf = malloc(len), *back = malloc(len);
	struct address_space *m;
	size_t done = 0, chunk = 1;

	test_pattern(buf, len, 7, 0);
	assert_int_equal(filemap_open("exact", &m), 0);
	while (done < len) {
		size_t n = min(chunk, len - done);

		assert_int_equal(filemap_write(m, (loff_t)done, buf + done, n),
				 (ssize_t)n);
		done += n;
		chunk = chunk * 3 + 1;
	}
	assert_int_equal(i_size_read(m), (loff_t)len);
	assert_int_equal(filemap_fsync(m), 0);
	assert_int_equal(node_page_state(NR_FILE_DIRTY), 0);
	assert_int_equal(node_page_state(NR_WRITEBACK), 0);
	assert_backing_equals("exact", len, 7);
	assert_int_equal(filemap_read(m, 0, back, len), (ssize_t)len);
	assert_memory_equal(back, buf, len);
	filemap_close(m);
	assert_checks_quiescent();
	free(buf);
	free(back);
}

/*
 * Setup: a backing file written directly (plain pwrite) before opening.
 * Action: overwrite 10 bytes in the middle of its second page through the
 * cache, fsync; drop the cache; read the whole file through the cache.
 * Expected: the partly overwritten page was read in first (the rest of it
 * is the old content), so the file equals the old bytes with the 10 new
 * ones; reading through the cache after invalidation re-reads the file.
 */
static void test_filemap_write_partial_page_reads_old_content(void **state)
{
	const size_t len = 3 * PAGE_SIZE + 500;
	char *buf = malloc(len), *back = malloc(len);
	struct address_space *m;
	int fd;

	test_pattern(buf, len, 11, 0);
	fd = open(test_backing_path("old"), O_RDWR | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, 0), (ssize_t)len);
	close(fd);

	assert_int_equal(filemap_open("old", &m), 0);
	assert_int_equal(i_size_read(m), (loff_t)len);
	memcpy(buf + PAGE_SIZE + 100, "0123456789", 10);
	assert_int_equal(filemap_write(m, PAGE_SIZE + 100, "0123456789", 10),
			 10);
	assert_int_equal(filemap_fsync(m), 0);
	assert_int_equal(invalidate_mapping_pages(m), 1);
	assert_int_equal(filemap_read(m, 0, back, len + 100), (ssize_t)len);
	assert_memory_equal(back, buf, len);
	fd = open(test_backing_path("old"), O_RDONLY);
	assert_int_equal(pread(fd, back, len, 0), (ssize_t)len);
	close(fd);
	assert_memory_equal(back, buf, len);
	filemap_close(m);
	free(buf);
	free(back);
}

/*
 * Setup: 200 dirty pages at indices 0..99 and 200..299 of one file
 * (two contiguous runs), no other dirty pages.
 * Action: fsync.
 * Expected: written as runs of at most WB_BATCH_PAGES contiguous pages,
 * one pwritev each: 2 runs of 100 = 4 batches (64 + 36, twice), 200 pages;
 * the dirty gauges fall back to zero.
 *
 *   index: 0 ......... 99   100 ... 199   200 ......... 299
 *          [ 64 ][ 36 ]        (hole)      [ 64 ][ 36 ]
 */
static void test_write_cache_pages_contiguous_runs_one_pwritev_each(void **state)
{
	struct writeback_stats before, after;
	char page[PAGE_SIZE];
	struct address_space *m;

	assert_int_equal(filemap_open("runs", &m), 0);
	for (pgoff_t i = 0; i < 300; i++) {
		if (i >= 100 && i < 200)
			continue;
		test_pattern(page, PAGE_SIZE, i, 0);
		assert_int_equal(filemap_write(m, (loff_t)i * PAGE_SIZE, page,
					       PAGE_SIZE),
				 (ssize_t)PAGE_SIZE);
	}
	assert_int_equal(node_page_state(NR_FILE_DIRTY), 200);
	assert_int_equal(global_zone_page_state(NR_ZONE_WRITE_PENDING), 200);
	writeback_get_stats(&before);
	assert_int_equal(filemap_fsync(m), 0);
	writeback_get_stats(&after);
	assert_int_equal(after.batches - before.batches, 4);
	assert_int_equal(after.pages_written - before.pages_written, 200);
	assert_int_equal(node_page_state(NR_FILE_DIRTY), 0);
	assert_int_equal(global_zone_page_state(NR_ZONE_WRITE_PENDING), 0);
	filemap_close(m);
	assert_checks_quiescent();
}

#if BALLAST_TESTING
/*
 * Setup: a file with 8 dirty pages; two fsync cursors sampled before.
 * Action: fsync with every pwritev failing (-EIO injected); then fsync
 * again with injection off; then the second cursor.
 * Expected: the first fsync returns -EIO, the immediate second one 0 (the
 * error was reported to that cursor once; the pages are clean, as Linux
 * leaves them); the other cursor still sees -EIO once; the error is
 * counted; nothing stays dirty or under writeback.
 */
static void test_vfs_fsync_injected_write_error_reported_once_per_cursor(void **state)
{
	struct writeback_fault_config fail = { .fail_nth = 1 };
	char buf[8 * PAGE_SIZE];
	struct address_space *m;
	errseq_t a, b;

	assert_int_equal(filemap_open("eio", &m), 0);
	a = filemap_sample_wb_err(m);
	b = filemap_sample_wb_err(m);
	test_pattern(buf, sizeof(buf), 3, 0);
	assert_int_equal(filemap_write(m, 0, buf, sizeof(buf)),
			 (ssize_t)sizeof(buf));
	writeback_fault_set(&fail);
	assert_int_equal(vfs_fsync(m, &a), -EIO);
	writeback_fault_set(NULL);
	assert_int_equal(vfs_fsync(m, &a), 0);
	assert_int_equal(vfs_fsync(m, &b), -EIO);
	assert_int_equal(vfs_fsync(m, &b), 0);
	assert_int_equal(node_page_state(NR_FILE_DIRTY), 0);
	assert_int_equal(node_page_state(NR_WRITEBACK), 0);
	filemap_close(m);
	assert_checks_quiescent();
}

/*
 * Setup: a file written in the background (the flusher writes it, no
 * fsync caller is waiting), with every pwritev failing.
 * Action: flusher_sync(); then filemap_fsync() with injection off.
 * Expected: the error made by the flusher is not lost: the next fsync
 * reports -ENOSPC (the injected errno).
 */
static void test_filemap_fsync_flusher_error_not_lost(void **state)
{
	struct writeback_fault_config fail = { .fail_nth = 1,
					       .fail_errno = ENOSPC };
	char buf[3 * PAGE_SIZE];
	struct address_space *m;

	assert_int_equal(filemap_open("bgerr", &m), 0);
	test_pattern(buf, sizeof(buf), 5, 0);
	assert_int_equal(filemap_write(m, 0, buf, sizeof(buf)),
			 (ssize_t)sizeof(buf));
	writeback_fault_set(&fail);
	assert_int_equal(flusher_sync(10000), 0);
	writeback_fault_set(NULL);
	assert_int_equal(node_page_state(NR_FILE_DIRTY), 0);
	assert_int_equal(filemap_fsync(m), -ENOSPC);
	assert_int_equal(filemap_fsync(m), 0);
	filemap_close(m);
}

/*
 * Setup: a file written and closed (unused, on the inode LRU); the
 * flusher writes it back with every pwritev failing (-ENOSPC injected).
 * Action: drop_slab() (the inode shrinker, GFP_KERNEL); reopen the file
 * and filemap_fsync() it; close it and drop_slab() again.
 * Expected: the inode with an error no fsync has reported is not evicted,
 * so the reopened file's fsync reports -ENOSPC, once; after that the
 * inode is clean and the shrinker evicts it.
 */
static void test_inode_shrink_scan_unreported_error_keeps_inode(void **state)
{
	struct writeback_fault_config fail = { .fail_nth = 1,
					       .fail_errno = ENOSPC };
	struct writeback_stats before, after;
	char buf[3 * PAGE_SIZE];
	struct address_space *m;

	assert_int_equal(filemap_open("lost", &m), 0);
	test_pattern(buf, sizeof(buf), 6, 0);
	assert_int_equal(filemap_write(m, 0, buf, sizeof(buf)),
			 (ssize_t)sizeof(buf));
	filemap_close(m);
	writeback_fault_set(&fail);
	assert_int_equal(flusher_sync(10000), 0);
	writeback_fault_set(NULL);
	assert_int_equal(node_page_state(NR_FILE_DIRTY), 0);
	writeback_get_stats(&before);
	drop_slab();
	writeback_get_stats(&after);
	assert_int_equal(after.inodes_evicted, before.inodes_evicted);

	assert_int_equal(filemap_open("lost", &m), 0);
	assert_int_equal(filemap_fsync(m), -ENOSPC);
	assert_int_equal(filemap_fsync(m), 0);
	filemap_close(m);
	drop_slab();
	writeback_get_stats(&after);
	assert_int_equal(after.inodes_evicted, before.inodes_evicted + 1);
}

/* writeback_exit() with stderr captured into @out (NUL-terminated). */
static void writeback_exit_capture(char *out, size_t size)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	ssize_t n;

	assert_non_null(tmp);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fileno(tmp), STDERR_FILENO), STDERR_FILENO);
	writeback_exit();
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	n = pread(fileno(tmp), out, size - 1, 0);
	assert_true(n >= 0);
	out[n] = '\0';
	fclose(tmp);
}

/*
 * Setup: two closed files whose background writeback failed (-EIO
 * injected); the error of "seen" was then reported by an fsync, that of
 * "unseen" never was. Action: writeback_exit(), stderr captured.
 * Expected: the unreported error is printed with its file's name (the
 * last chance not to lose it silently); the reported one is not.
 */
static void test_writeback_exit_unreported_error_printed(void **state)
{
	struct writeback_fault_config fail = { .fail_nth = 1 };
	struct address_space *seen, *unseen;
	char log[4096];

	assert_int_equal(filemap_open("seen", &seen), 0);
	assert_int_equal(filemap_open("unseen", &unseen), 0);
	assert_int_equal(filemap_write(seen, 0, "a", 1), 1);
	assert_int_equal(filemap_write(unseen, 0, "b", 1), 1);
	filemap_close(unseen);
	writeback_fault_set(&fail);
	assert_int_equal(flusher_sync(10000), 0);
	writeback_fault_set(NULL);
	assert_int_equal(filemap_fsync(seen), -EIO);
	filemap_close(seen);
	writeback_exit_capture(log, sizeof(log));
	assert_non_null(strstr(log, "writeback_exit: unseen: writeback error"));
	assert_null(strstr(log, "writeback_exit: seen:"));
}

#define CHASE_FIRST 100		/* first page the writer dirties */
#define CHASE_PAGES 400		/* clean pages it can dirty */

struct chase {
	struct address_space *mapping;
	pgoff_t next;			/* next page to dirty */
};

/*
 * writeback.submit: a writer that keeps ahead of fsync dirties one more
 * page, two indices past the last (a run of its own), each time a batch
 * is submitted. Runs on the I/O path owing the batch: it only trylocks.
 */
static void on_submit_dirty_ahead(const char *name, void *arg, void *ctx)
{
	struct chase *c = ctx;
	struct page *page;

	if (arg != c->mapping || c->next >= CHASE_FIRST + CHASE_PAGES)
		return;
	page = find_get_page(c->mapping, c->next);
	assert_non_null(page);
	assert_true(trylock_page(page));
	set_page_dirty(page);
	unlock_page(page);
	put_page(page);
	c->next += 2;
}

/*
 * Setup: a clean file of CHASE_FIRST + CHASE_PAGES cached pages; pages 0
 * and 2 dirtied (two runs). A writer (the submit hook) dirties page 100,
 * 102, 104, ... one per batch submitted.
 *
 *   index: 0  1  2  3 ...... 100  101  102 ...
 *          D  .  D  .         d<-1st submit, d<-2nd submit, ...
 *
 * Action: fsync. Expected: fsync writes what was dirty when it started
 * (two batches) and returns, rather than chase the writer's pages: those
 * stay dirty, for the next fsync.
 */
static void test_write_cache_pages_sync_all_writer_ahead_terminates(void **state)
{
	struct address_space *m = test_clean_file("chase",
						   CHASE_FIRST + CHASE_PAGES,
						   12);
	struct chase c = { .mapping = m, .next = CHASE_FIRST };
	struct writeback_stats before, after;

	assert_int_equal(filemap_write(m, 0, "a", 1), 1);
	assert_int_equal(filemap_write(m, 2 * PAGE_SIZE, "b", 1), 1);
	writeback_get_stats(&before);
	assert_int_equal(test_hook_set("writeback.submit",
				       on_submit_dirty_ahead, &c), 0);
	assert_int_equal(filemap_fsync(m), 0);
	test_hook_clear("writeback.submit");
	writeback_get_stats(&after);
	assert_int_equal(after.batches - before.batches, 2);
	assert_int_equal(c.next, CHASE_FIRST + 4);
	assert_int_equal(node_page_state(NR_FILE_DIRTY), 2);
	assert_int_equal(filemap_fsync(m), 0);
	filemap_close(m);
	assert_checks_quiescent();
}

/*
 * Setup: 1000 pages written; every second pwritev short (half its bytes).
 * Action: fsync.
 * Expected: short writes are continued, not errors: fsync returns 0, the
 * backing file is byte-exact, and short writes were really injected.
 */
static void test_write_cache_pages_short_writes_continued(void **state)
{
	struct writeback_fault_config shortw = { .short_nth = 2 };
	const size_t len = 1000 * PAGE_SIZE - 77;
	char *buf = malloc(len);
	struct writeback_stats st;
	struct address_space *m;

	test_pattern(buf, len, 9, 0);
	assert_int_equal(filemap_open("short", &m), 0);
	assert_int_equal(filemap_write(m, 0, buf, len), (ssize_t)len);
	writeback_fault_set(&shortw);
	assert_int_equal(filemap_fsync(m), 0);
	writeback_fault_set(NULL);
	writeback_get_stats(&st);
	assert_true(st.short_writes > 0);
	assert_backing_equals("short", len, 9);
	filemap_close(m);
	free(buf);
}
#endif

/*
 * Setup: no flusher. Action: write more than the foreground threshold
 * (20% of dirtyable memory, ~2800 pages of 64 MiB) into one file.
 * Expected: the writer is throttled (it writes its own pages back, since
 * nobody else does), makes progress to the end, and dirty + writeback
 * pages never stay above the threshold by more than one batch.
 */
static void test_balance_dirty_pages_no_flusher_writer_throttles_and_progresses(void **state)
{
	unsigned long bg, thresh, max_seen = 0;
	struct writeback_stats st;
	char page[PAGE_SIZE];
	struct address_space *m;
	unsigned long n;

	global_dirty_limits(&bg, &thresh);
	assert_true(bg < thresh);
	n = thresh + thresh / 2;
	assert_int_equal(filemap_open("throttle", &m), 0);
	for (unsigned long i = 0; i < n; i++) {
		long d = node_page_state(NR_FILE_DIRTY) +
			 node_page_state(NR_WRITEBACK);

		test_pattern(page, PAGE_SIZE, 1, i * PAGE_SIZE);
		assert_int_equal(filemap_write(m, (loff_t)i * PAGE_SIZE, page,
					       PAGE_SIZE),
				 (ssize_t)PAGE_SIZE);
		if ((unsigned long)d > max_seen)
			max_seen = (unsigned long)d;
	}
	writeback_get_stats(&st);
	assert_true(st.throttled > 0);
	global_dirty_limits(&bg, &thresh);
	assert_true(max_seen <= thresh + WB_BATCH_PAGES + 1);
	assert_int_equal(filemap_fsync(m), 0);
	assert_backing_equals("throttle", n * PAGE_SIZE, 1);
	filemap_close(m);
}

static int setup_low_dirty_limit(void **state)
{
	struct writeback_config cfg = { .dirty_ratio = 2,
					.dirty_background_ratio = 1,
					.writeback_interval_ms = 60000 };

	test_pagecache_setup(RAM, &cfg, false);
	return 0;
}

/*
 * Setup: the flusher, and a foreground dirty limit of 2% (~280 pages).
 * Action: one writer dirties 4000 pages, one page per call.
 * Expected: after every call returns, dirty + writeback pages are within
 * the current limit (plus one flusher batch in flight): the writer was
 * held back whenever it got ahead of the flusher, and still wrote
 * everything, byte-exact.
 */
static void test_balance_dirty_pages_flusher_keeps_writer_under_limit(void **state)
{
	const unsigned long n = 4000;
	char page[PAGE_SIZE];
	struct address_space *m;

	assert_int_equal(filemap_open("limit", &m), 0);
	for (unsigned long i = 0; i < n; i++) {
		unsigned long bg, thresh;
		long d;

		test_pattern(page, PAGE_SIZE, 4, i * PAGE_SIZE);
		assert_int_equal(filemap_write(m, (loff_t)i * PAGE_SIZE, page,
					       PAGE_SIZE),
				 (ssize_t)PAGE_SIZE);
		global_dirty_limits(&bg, &thresh);
		d = node_page_state(NR_FILE_DIRTY) +
		    node_page_state(NR_WRITEBACK);
		assert_true(d <= (long)(thresh + WB_BATCH_PAGES));
	}
	assert_int_equal(filemap_fsync(m), 0);
	assert_backing_equals("limit", n * PAGE_SIZE, 4);
	filemap_close(m);
}

#if BALLAST_TESTING
struct pass_watch {
	struct completion done;
	bool all;		/* the first pass wrote everything */
	_Atomic(int) passes;
};

/* flusher.pass_done: the flusher finished a pass (runs in the flusher). */
static void on_pass_done(const char *name, void *arg, void *ctx)
{
	struct pass_watch *w = ctx;

	if (atomic_fetch_add(&w->passes, 1) == 0) {
		w->all = *(bool *)arg;
		complete(&w->done);
	}
}

/*
 * Setup: the flusher, with a 60 s periodic interval (never reached); one
 * file with 64 pages fewer dirty than the background threshold (which
 * moves a little as the cache grows), so the flusher was not woken.
 * Action: dirty 128 more pages, then wait for the end of the first
 * flusher pass (a test hook, not flusher_sync(), which would force a
 * write-everything pass). Expected: the writer's kick started a
 * background pass (not a write-everything one), which stopped once dirty
 * pages were at or below the background threshold: some are still dirty.
 * After an fsync the file is byte-exact.
 */
static void test_flusher_background_pass_stops_at_background_threshold(void **state)
{
	unsigned long bg, thresh, first, n;
	struct pass_watch w = { .all = true };
	struct address_space *m;
	long dirty;
	char *buf;

	global_dirty_limits(&bg, &thresh);
	first = bg - 64;
	n = bg + 64;
	buf = malloc(n * PAGE_SIZE);
	test_pattern(buf, n * PAGE_SIZE, 21, 0);
	init_completion(&w.done);
	assert_int_equal(filemap_open("bg", &m), 0);
	assert_int_equal(test_hook_set("flusher.pass_done", on_pass_done, &w),
			 0);
	assert_int_equal(filemap_write(m, 0, buf, first * PAGE_SIZE),
			 (ssize_t)(first * PAGE_SIZE));
	assert_int_equal(atomic_load(&w.passes), 0);
	assert_int_equal(filemap_write(m, (loff_t)(first * PAGE_SIZE),
				       buf + first * PAGE_SIZE,
				       (n - first) * PAGE_SIZE),
			 (ssize_t)((n - first) * PAGE_SIZE));
	assert_true(wait_for_completion_timeout(&w.done, 10000));
	test_hook_clear("flusher.pass_done");
	assert_false(w.all);
	global_dirty_limits(&bg, &thresh);
	dirty = node_page_state(NR_FILE_DIRTY);
	assert_true(dirty > 0);
	assert_true(dirty <= (long)bg);
	assert_int_equal(filemap_fsync(m), 0);
	assert_backing_equals("bg", n * PAGE_SIZE, 21);
	filemap_close(m);
	assert_checks_quiescent();
	free(buf);
}
#endif

/*
 * Setup: two opens of the same name, one of another. Action: compare,
 * close all, reopen. Expected: same name, same mapping (cached while
 * unused, with its pages); bad names are refused with -EINVAL.
 */
static void test_filemap_open_same_name_shares_mapping(void **state)
{
	struct address_space *a, *b, *c, *d;

	assert_int_equal(filemap_open("one", &a), 0);
	assert_int_equal(filemap_open("one", &b), 0);
	assert_int_equal(filemap_open("two", &c), 0);
	assert_ptr_equal(a, b);
	assert_ptr_not_equal(a, c);
	assert_int_equal(filemap_write(a, 0, "x", 1), 1);
	filemap_close(a);
	filemap_close(b);
	filemap_close(c);
	assert_int_equal(filemap_open("one", &d), 0);
	assert_ptr_equal(a, d);
	assert_int_equal(d->nrpages, 1);
	filemap_close(d);
	assert_int_equal(filemap_open("../x", &d), -EINVAL);
	assert_int_equal(filemap_open(".hidden", &d), -EINVAL);
	assert_int_equal(filemap_open("", &d), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_find_or_create_page_sparse_indices_found_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_index_random_ops_match_model, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filemap_write_fsync_backing_file_byte_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filemap_write_partial_page_reads_old_content, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_cache_pages_contiguous_runs_one_pwritev_each, setup, teardown),
#if BALLAST_TESTING
		cmocka_unit_test_setup_teardown(test_vfs_fsync_injected_write_error_reported_once_per_cursor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filemap_fsync_flusher_error_not_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inode_shrink_scan_unreported_error_keeps_inode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writeback_exit_unreported_error_printed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_cache_pages_sync_all_writer_ahead_terminates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_cache_pages_short_writes_continued, setup, teardown),
#endif
		cmocka_unit_test_setup_teardown(test_balance_dirty_pages_no_flusher_writer_throttles_and_progresses, setup_no_flusher, teardown),
		cmocka_unit_test_setup_teardown(test_balance_dirty_pages_flusher_keeps_writer_under_limit, setup_low_dirty_limit, teardown),
#if BALLAST_TESTING
		cmocka_unit_test_setup_teardown(test_flusher_background_pass_stops_at_background_threshold, setup, teardown),
#endif
		cmocka_unit_test_setup_teardown(test_filemap_open_same_name_shares_mapping, setup, teardown),
	};

	test_seed();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
