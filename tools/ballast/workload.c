// SPDX-License-Identifier: MIT
/*
 * workload.c - threads that hold guest memory toward a target and keep
 * rewriting it, so the memory is really used while the balloon moves.
 *
 * Invariants and locking:
 *  - Each thread owns its list of pages (owner only); a page's first 8
 *    bytes hold a tag (thread, sequence) and its last 8 bytes the same tag,
 *    checked before the page is rewritten or freed (verify_errors counts
 *    mismatches: a page that changed under its owner).
 *  - Totals are atomics shared by the threads and the readers.
 *  - Allocations use GFP_HIGHUSER_MOVABLE: they may enter reclaim and
 *    reach the OOM notifiers (deflate-on-OOM gives memory back).
 */
#include "guest.h"

#include <ballast/alloc.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define WORKLOAD_BATCH 64

struct workload_thread {
	struct workload *w;
	struct task *task;
	unsigned int id;
	struct list_head pages;		/* owner only */
	unsigned long nr_pages;		/* owner only */
	uint64_t seq;			/* owner only */
};

static void page_tag(struct page *page, uint64_t tag)
{
	uint64_t *p = page_address(page);

	p[0] = tag;
	p[PAGE_SIZE / 8 - 1] = tag;
}

static bool page_tag_ok(struct page *page)
{
	uint64_t *p = page_address(page);

	return p[0] == p[PAGE_SIZE / 8 - 1];
}

static void thread_free_one(struct workload_thread *t)
{
	struct page *page = list_first_entry(&t->pages, struct page, lru);

	if (!page_tag_ok(page))
		atomic_fetch_add(&t->w->verify_errors, 1);
	list_del(&page->lru);
	__free_page(page);
	t->nr_pages--;
	atomic_fetch_sub(&t->w->held_pages, 1);
}

static int workload_fn(void *arg)
{
	struct workload_thread *t = arg;
	struct workload *w = t->w;

	while (!task_should_stop()) {
		unsigned long target = atomic_load(&w->target_pages);
		/* The remainder goes to the first threads: shares add up. */
		unsigned long share = target / w->nr_threads +
				      (t->id < target % w->nr_threads);
		int n;

		if (t->nr_pages < share) {
			for (n = 0; n < WORKLOAD_BATCH && t->nr_pages < share; n++) {
				struct page *page = alloc_page(GFP_HIGHUSER_MOVABLE |
							       __GFP_NOWARN);

				if (!page) {
					atomic_fetch_add(&w->failures, 1);
					task_sleep_ms(10);
					break;
				}
				page_tag(page, ((uint64_t)t->id << 56) | t->seq++);
				list_add_tail(&page->lru, &t->pages);
				t->nr_pages++;
				atomic_fetch_add(&w->held_pages, 1);
			}
			continue;
		}
		if (t->nr_pages > share) {
			for (n = 0; n < WORKLOAD_BATCH && t->nr_pages > share; n++)
				thread_free_one(t);
			continue;
		}
		/* At target: rewrite the oldest pages, keeping them dirty. */
		for (n = 0; n < WORKLOAD_BATCH && t->nr_pages; n++) {
			struct page *page = list_first_entry(&t->pages,
							     struct page, lru);

			if (!page_tag_ok(page))
				atomic_fetch_add(&w->verify_errors, 1);
			memset(page_address(page), (int)(t->seq & 0xff), PAGE_SIZE);
			page_tag(page, ((uint64_t)t->id << 56) | t->seq++);
			list_move_tail(&page->lru, &t->pages);
		}
		atomic_fetch_add(&w->dirtied, (unsigned long)n);
		task_sleep_ms(5);
	}
	while (t->nr_pages)
		thread_free_one(t);
	return 0;
}

int workload_start(struct workload *w, unsigned int nr_threads)
{
	memset(w, 0, sizeof(*w));
	w->nr_threads = clamp(nr_threads, 1u, (unsigned int)WORKLOAD_MAX_THREADS);
	for (unsigned int i = 0; i < w->nr_threads; i++) {
		struct workload_thread *t = calloc(1, sizeof(*t));
		int ret;

		if (!t) {
			w->nr_threads = i;
			workload_stop(w);
			return -ENOMEM;
		}
		t->w = w;
		t->id = i;
		INIT_LIST_HEAD(&t->pages);
		ret = task_create(&t->task, "workload", workload_fn, t, 0);
		if (ret) {
			free(t);
			w->nr_threads = i;
			workload_stop(w);
			return ret;
		}
		w->threads[i] = t;
	}
	return 0;
}

void workload_set_target(struct workload *w, unsigned long pages)
{
	atomic_store(&w->target_pages, pages);
}

void workload_stop(struct workload *w)
{
	for (unsigned int i = 0; i < w->nr_threads; i++) {
		task_destroy(w->threads[i]->task);
		free(w->threads[i]);
		w->threads[i] = NULL;
	}
	w->nr_threads = 0;
}

json_t *workload_status(struct workload *w)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:i}",
			 "target-bytes",
			 (json_int_t)(atomic_load(&w->target_pages) << PAGE_SHIFT),
			 "held-bytes",
			 (json_int_t)(atomic_load(&w->held_pages) << PAGE_SHIFT),
			 "alloc-failures", (json_int_t)atomic_load(&w->failures),
			 "dirtied-pages", (json_int_t)atomic_load(&w->dirtied),
			 "verify-errors",
			 (json_int_t)atomic_load(&w->verify_errors),
			 "threads", (int)w->nr_threads);
}
