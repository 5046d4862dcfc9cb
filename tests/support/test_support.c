// SPDX-License-Identifier: MIT
/* test_support.c - seeds, per-thread random numbers, scaling. */
#include "test_support.h"

#include <ballast/alloc.h>
#include <ballast/reclaim.h>
#include <ballast/slab.h>
#include <ballast/writeback.h>

#include <dirent.h>
#include <limits.h>
#include <unistd.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

static uint64_t run_seed;	/* written once, under seed_once */
static pthread_once_t seed_once = PTHREAD_ONCE_INIT;
static __thread uint64_t rand_state;

static void seed_init(void)
{
	const char *env = getenv("BALLAST_TEST_SEED");
	struct timespec ts;

	if (env && *env) {
		run_seed = strtoull(env, NULL, 0);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		run_seed = (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec;
	}
	if (!run_seed)
		run_seed = 1;
	fprintf(stderr, "# seed %llu (replay with BALLAST_TEST_SEED)\n",
		(unsigned long long)run_seed);
}

uint64_t test_seed(void)
{
	pthread_once(&seed_once, seed_init);
	return run_seed;
}

void test_rand_seed(uint64_t stream)
{
	rand_state = test_seed() ^ (stream * 0x9E3779B97F4A7C15ull);
	if (!rand_state)
		rand_state = 0x2545F4914F6CDD1Dull;
}

uint64_t test_rand(void)
{
	uint64_t x = rand_state;

	if (!x) {
		test_rand_seed(0);
		x = rand_state;
	}
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rand_state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

double test_scale(void)
{
	const char *cfg = getenv("BALLAST_TEST_CFG");

	if (cfg && (!strcmp(cfg, "tsan") || !strcmp(cfg, "asan")))
		return 0.25;
	return 1.0;
}

void test_mem_setup(size_t bytes)
{
	/* Tests hang-check every wait: 10 s, or $BALLAST_HUNG_TASK_MS. */
	assert_int_equal(lockdep_hung_task_start(0), 0);
	assert_int_equal(page_ram_init(bytes), 0);
	assert_int_equal(alloc_init(), 0);
	assert_int_equal(slab_init(), 0);
}

unsigned long test_free_pages_drained(void)
{
	drain_all_pages(NULL);
	return nr_free_pages();
}

void test_held_init(struct test_held *h)
{
	INIT_LIST_HEAD(&h->pages);
	h->nr = 0;
}

bool test_held_alloc(struct test_held *h, unsigned long nr, gfp_t gfp)
{
	while (h->nr < nr) {
		struct page *page = alloc_page(gfp);

		if (!page)
			return false;
		list_add(&page->lru, &h->pages);
		h->nr++;
	}
	return true;
}

void test_held_free(struct test_held *h, unsigned long nr)
{
	while (h->nr > nr) {
		struct page *page = list_first_entry(&h->pages, struct page,
						     lru);

		list_del(&page->lru);
		__free_page(page);
		h->nr--;
	}
}

void test_mem_teardown(void)
{
	struct alloc_census census;

	lockdep_hung_task_stop();
	slab_exit();
	assert_int_equal(alloc_check(&census, ALLOC_CHECK_QUIESCENT), 0);
	assert_int_equal(test_free_pages_drained(), totalram_pages());
	alloc_exit();
	page_ram_destroy();
}

int test_mem_group_setup(void **state)
{
	test_mem_setup(64UL << 20);
	return 0;
}

int test_mem_group_teardown(void **state)
{
	test_mem_teardown();
	return 0;
}

static char pc_dir[PATH_MAX];

void test_pagecache_setup(size_t ram_bytes, const struct writeback_config *cfg,
			  bool kswapd)
{
	struct writeback_config c = { 0 };
	const char *tmp = getenv("TMPDIR");

	if (cfg)
		c = *cfg;
	snprintf(pc_dir, sizeof(pc_dir), "%s/ballast-test-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(pc_dir));
	c.dir = pc_dir;
	test_mem_setup(ram_bytes);
	assert_int_equal(reclaim_init(), 0);
	assert_int_equal(writeback_init(&c), 0);
	if (kswapd)
		assert_int_equal(kswapd_run(), 0);
}

const char *test_backing_path(const char *name)
{
	static char path[PATH_MAX + 80];

	snprintf(path, sizeof(path), "%s/%s", pc_dir, name);
	return path;
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	rmdir(dir);
}

void test_pagecache_teardown(void)
{
	kswapd_stop();
	writeback_exit();
	assert_int_equal(reclaim_check(RECLAIM_CHECK_QUIESCENT), 0);
	reclaim_exit();
	remove_dir(pc_dir);
	test_mem_teardown();
}

int test_shell(const char *cmd, char **out)
{
	size_t len = 0, cap = 1 << 16;
	FILE *p = popen(cmd, "r");
	int status;

	assert_non_null(p);
	*out = malloc(cap);
	assert_non_null(*out);
	while (len < cap - 1) {
		size_t n = fread(*out + len, 1, cap - 1 - len, p);

		if (!n)
			break;
		len += n;
	}
	(*out)[len] = 0;
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

void test_pattern(void *buf, size_t len, uint64_t seed, uint64_t pos)
{
	unsigned char *p = buf;

	for (size_t i = 0; i < len; i++) {
		uint64_t x = (pos + i) * 0x9E3779B97F4A7C15ull ^ seed;

		x ^= x >> 29;
		p[i] = (unsigned char)(x ^ (x >> 17));
	}
}

struct address_space *test_clean_file(const char *name, unsigned long nr,
				       uint64_t seed)
{
	struct address_space *m;
	char *buf = malloc(nr * PAGE_SIZE);

	assert_non_null(buf);
	test_pattern(buf, nr * PAGE_SIZE, seed, 0);
	assert_int_equal(filemap_open(name, &m), 0);
	assert_int_equal(filemap_write(m, 0, buf, nr * PAGE_SIZE),
			 (ssize_t)(nr * PAGE_SIZE));
	assert_int_equal(filemap_fsync(m), 0);
	free(buf);
	return m;
}
