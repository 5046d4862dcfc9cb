// SPDX-License-Identifier: MIT
/*
 * bench_compaction.c - migration and compaction (release build).
 *
 * Migration: 256 MiB of clean page-cache pages are isolated and migrated
 * (4 rounds); the figure is pages/s and GiB/s, beside the bandwidth of
 * memcpy of the same 256 MiB, 4 KiB page by page, from 65536 frames of
 * guest RAM to 65536 others, measured in the same run. Free guest RAM is
 * touched first, so neither side pays for the memfd's first faults.
 *
 * Compaction: a 1 GiB guest is filled with ballooned pages, of which one
 * in four stays in the balloon (no free block above order 1); the share of
 * order-9 allocations that succeed (GFP_NOWAIT: no reclaim, no compaction)
 * is measured before and after one compact_nodes(), which is timed.
 */
#include "common/bench.h"
#include "../tests/support/fragment.h"

#include <ballast/migrate.h>
#include <ballast/reclaim.h>
#include <ballast/slab.h>
#include <ballast/writeback.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RAM (1UL << 30)
#define MIG_PAGES ((256UL << 20) >> PAGE_SHIFT)
#define ROUNDS 4

static struct page *alloc_dst(struct page *src, unsigned long private)
{
	return alloc_page(GFP_HIGHUSER_MOVABLE);
}

#define MIG_BLOCKS (MIG_PAGES >> pageblock_order)

/*
 * The baseline: as many distinct source and destination frames as
 * migration copies (2 x 256 MiB, far beyond the caches), in order-9
 * blocks, each page copied once per round.
 */
static double memcpy_gib_s(void)
{
	struct page *src[MIG_BLOCKS], *dst[MIG_BLOCKS];
	double samples[ROUNDS];

	for (unsigned long b = 0; b < MIG_BLOCKS; b++) {
		src[b] = alloc_pages(GFP_KERNEL, pageblock_order);
		dst[b] = alloc_pages(GFP_KERNEL, pageblock_order);
		if (!src[b] || !dst[b]) {
			fprintf(stderr, "bench_compaction: no memory for memcpy\n");
			exit(1);
		}
		memset(page_address(src[b]), (int)b, PAGE_SIZE << pageblock_order);
	}
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = bench_now_ns();

		for (unsigned long i = 0; i < MIG_PAGES; i++) {
			unsigned long b = i >> pageblock_order;
			unsigned long o = i & (pageblock_nr_pages - 1);

			memcpy(page_address(dst[b] + o), page_address(src[b] + o),
			       PAGE_SIZE);
		}
		samples[r] = (double)(MIG_PAGES << PAGE_SHIFT) / (1 << 30) /
			     ((double)(bench_now_ns() - t0) / 1e9);
	}
	for (unsigned long b = 0; b < MIG_BLOCKS; b++) {
		__free_pages(src[b], pageblock_order);
		__free_pages(dst[b], pageblock_order);
	}
	return bench_median(samples, ROUNDS);
}

static double migrate_pages_per_s(struct address_space *m)
{
	double samples[ROUNDS];

	for (int r = 0; r < ROUNDS; r++) {
		LIST_HEAD(list);
		unsigned int done = 0;
		uint64_t t0;

		for (unsigned long i = 0; i < MIG_PAGES; i++) {
			struct page *page = find_get_page(m, i);

			if (page && isolate_migratable_lru_page(page))
				list_add_tail(&page->lru, &list);
			if (page)
				put_page(page);
		}
		t0 = bench_now_ns();
		if (migrate_pages(&list, alloc_dst, NULL, 0, MIGRATE_SYNC,
				  MR_SYSCALL, &done))
			putback_movable_pages(&list);
		samples[r] = (double)done / ((double)(bench_now_ns() - t0) / 1e9);
	}
	return bench_median(samples, ROUNDS);
}

static void bench_migration(void)
{
	struct writeback_config cfg = { .no_flusher = true };
	char dir[] = "/tmp/ballast-bench-XXXXXX", *buf = calloc(1, 1 << 20);
	struct address_space *m;
	double pps, copy;

	if (!mkdtemp(dir) || !buf)
		exit(1);
	cfg.dir = dir;
	if (writeback_init(&cfg) || filemap_open("data", &m))
		exit(1);
	for (unsigned long off = 0; off < (MIG_PAGES << PAGE_SHIFT); off += 1 << 20) {
		memset(buf, (int)(off >> 20), 1 << 20);
		if (filemap_write(m, (loff_t)off, buf, 1 << 20) != 1 << 20)
			exit(1);
	}
	if (filemap_fsync(m))
		exit(1);
	touch_free_memory();
	copy = memcpy_gib_s();
	pps = migrate_pages_per_s(m);
	bench_record("migrate.pages_per_s", pps, "pages/s");
	bench_record("migrate.gib_s", pps * PAGE_SIZE / (1 << 30), "GiB/s");
	bench_record("migrate.memcpy_gib_s", copy, "GiB/s");
	bench_record("migrate.vs_memcpy", pps * PAGE_SIZE / (1 << 30) / copy, "x");
	filemap_close(m);
	writeback_exit();
	free(buf);
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "bench_compaction: could not remove %s\n", dir);
}

static void bench_compact(void)
{
	struct test_balloon tb;
	unsigned long attempts, before, after;
	uint64_t t0;
	double secs;

	compaction_set_proactiveness(0);
	test_balloon_init(&tb, true, false);
	fragment_with_balloon(&tb, 4);
	attempts = (nr_free_pages() >> pageblock_order);
	before = count_high_order_allocs(pageblock_order, attempts);
	t0 = bench_now_ns();
	compact_nodes();
	secs = (double)(bench_now_ns() - t0) / 1e9;
	after = count_high_order_allocs(pageblock_order, attempts);
	bench_record("compaction.seconds", secs, "s");
	bench_record("compaction.pages_moved", (double)tb.migrations, "pages");
	bench_record("compaction.order9_success_before",
		     100.0 * (double)before / (double)attempts, "%");
	bench_record("compaction.order9_success_after",
		     100.0 * (double)after / (double)attempts, "%");
	test_balloon_deflate(&tb, ~0UL);
}

int main(void)
{
	if (page_ram_init(RAM) || alloc_init() || slab_init() || reclaim_init() ||
	    balloon_init()) {
		fprintf(stderr, "bench_compaction: cannot set up guest RAM\n");
		return 1;
	}
	printf("  %-40s %14s %s\n", "figure", "value", "unit");
	bench_migration();
	bench_compact();
	balloon_exit();
	reclaim_exit();
	slab_exit();
	alloc_exit();
	page_ram_destroy();
	return 0;
}
