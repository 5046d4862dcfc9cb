// SPDX-License-Identifier: MIT
/*
 * bench_reclaim.c - page-cache reclaim and writeback throughput (release
 * build).
 *
 *  - reclaim.clean_pages_per_s: a file of CLEAN_MIB is read into the cache
 *    (clean pages on the inactive file list), then reclaim_clean_pagecache()
 *    frees all of it; pages freed per second of reclaim, median of ROUNDS.
 *  - writeback.vs_pwrite: WB_MIB written through the page cache
 *    (filemap_write in 1 MiB calls, the flusher writing in the background,
 *    then filemap_fsync), against the same bytes written with plain
 *    pwrite + fdatasync to another file of the same directory in the same
 *    run, in requests of WB_BATCH_PAGES pages (256 KiB: the flusher's
 *    batch, and a faster request size than 1 MiB on the development
 *    machine, so the baseline is not handicapped). The figure is the cache's throughput divided by pwrite's
 *    (t_pwrite / t_cache), median of ROUNDS; both throughputs are printed.
 *
 * The backing directory is "bench-cache" under the working directory,
 * removed at the end. Each round's file is unlinked after it, for both
 * paths: on the development machine, writing a new file right after
 * another was unlinked is several times faster than otherwise (the host
 * recycles the freed page cache), so both must start from the same state.
 */
#include "common/bench.h"

#include <ballast/reclaim.h>
#include <ballast/slab.h>
#include <ballast/writeback.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RAM (512UL << 20)
#define CLEAN_MIB 256
#define WB_MIB 64
#define ROUNDS 5
#define CHUNK (1UL << 20)
/* pwrite's best request size here, and the flusher's batch size. */
#define RAW_CHUNK (WB_BATCH_PAGES * PAGE_SIZE)
#define DIR "bench-cache"

static void fill(char *buf, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i += 8)
		*(uint64_t *)(buf + i) = (i + seed) * 0x9E3779B97F4A7C15ull;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_reclaim: %s failed\n", what);
	exit(1);
}

static double clean_reclaim_round(struct address_space *m, char *buf)
{
	unsigned long nr = (unsigned long)CLEAN_MIB << (20 - PAGE_SHIFT), freed;
	uint64_t t0;

	for (size_t off = 0; off < (size_t)CLEAN_MIB << 20; off += CHUNK)
		if (filemap_read(m, (loff_t)off, buf, CHUNK) != (ssize_t)CHUNK)
			die("filemap_read");
	t0 = bench_now_ns();
	freed = reclaim_clean_pagecache(nr);
	return (double)freed / ((double)(bench_now_ns() - t0) / 1e9);
}

static double cache_write_round(char *buf, unsigned int round)
{
	struct address_space *m;
	char name[32];
	uint64_t t0;

	snprintf(name, sizeof(name), "wb%u", round);
	if (filemap_open(name, &m))
		die("filemap_open");
	t0 = bench_now_ns();
	for (size_t off = 0; off < (size_t)WB_MIB << 20; off += CHUNK)
		if (filemap_write(m, (loff_t)off, buf, CHUNK) != (ssize_t)CHUNK)
			die("filemap_write");
	if (filemap_fsync(m))
		die("filemap_fsync");
	t0 = bench_now_ns() - t0;
	filemap_close(m);
	drop_slab();		/* evict the closed file and its pages */
	snprintf(name, sizeof(name), DIR "/wb%u", round);
	unlink(name);		/* as the raw round does: same host state */
	return (double)t0 / 1e9;
}

static double raw_write_round(char *buf, unsigned int round)
{
	char path[64];
	uint64_t t0;
	int fd;

	snprintf(path, sizeof(path), DIR "/raw%u", round);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open");
	t0 = bench_now_ns();
	for (size_t off = 0; off < (size_t)WB_MIB << 20; off += RAW_CHUNK)
		if (pwrite(fd, buf + off % CHUNK, RAW_CHUNK, (off_t)off) !=
		    (ssize_t)RAW_CHUNK)
			die("pwrite");
	if (fdatasync(fd))
		die("fdatasync");
	t0 = bench_now_ns() - t0;
	close(fd);
	unlink(path);
	return (double)t0 / 1e9;
}

int main(void)
{
	double rate[ROUNDS], ratio[ROUNDS], t_cache[ROUNDS], t_raw[ROUNDS];
	struct writeback_config cfg = { .dir = DIR };
	char *buf = malloc(CHUNK);
	struct address_space *m;

	if (page_ram_init(RAM) || alloc_init() || slab_init() ||
	    reclaim_init() || writeback_init(&cfg))
		die("set-up");
	fill(buf, CHUNK, 1);

	/* Clean page-cache reclaim. */
	if (filemap_open("clean", &m))
		die("filemap_open");
	for (size_t off = 0; off < (size_t)CLEAN_MIB << 20; off += CHUNK)
		if (filemap_write(m, (loff_t)off, buf, CHUNK) != (ssize_t)CHUNK)
			die("filemap_write");
	if (filemap_fsync(m))
		die("filemap_fsync");
	for (int r = 0; r < ROUNDS; r++)
		rate[r] = clean_reclaim_round(m, buf);
	filemap_close(m);
	drop_slab();

	/* Writeback through the cache against raw pwrite, interleaved. */
	for (unsigned int r = 0; r < ROUNDS; r++) {
		t_cache[r] = cache_write_round(buf, r);
		t_raw[r] = raw_write_round(buf, r);
		ratio[r] = t_raw[r] / t_cache[r];
	}

	printf("%-32s %12s\n", "figure", "value");
	bench_record("reclaim.clean_pages_per_s", bench_median(rate, ROUNDS),
		     "pages/s");
	bench_record("writeback.cache_mib_per_s",
		     WB_MIB / bench_median(t_cache, ROUNDS), "MiB/s");
	bench_record("writeback.pwrite_mib_per_s",
		     WB_MIB / bench_median(t_raw, ROUNDS), "MiB/s");
	bench_record("writeback.vs_pwrite", bench_median(ratio, ROUNDS), "x");

	writeback_exit();
	reclaim_exit();
	slab_exit();
	alloc_exit();
	page_ram_destroy();
	unlink(DIR "/clean");
	rmdir(DIR);
	free(buf);
	return 0;
}
