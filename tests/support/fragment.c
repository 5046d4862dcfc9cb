// SPDX-License-Identifier: MIT
/* fragment.c - see fragment.h. */
#include "fragment.h"

unsigned long fragment_with_balloon(struct test_balloon *tb,
				    unsigned long keep_every)
{
	LIST_HEAD(pages);
	LIST_HEAD(keep);
	struct page *page, *next;
	unsigned long kept = 0;

	test_balloon_inflate(tb, ~0UL);
	mutex_lock(&tb->lock);
	tb->told_deflate += balloon_page_list_dequeue(&tb->info, &pages, ~0UL);
	mutex_unlock(&tb->lock);
	list_for_each_entry_safe(page, next, &pages, lru) {
		list_del(&page->lru);
		if (page_to_pfn(page) % keep_every == 0) {
			list_add(&page->lru, &keep);
			kept++;
		} else {
			put_page(page);
		}
	}
	mutex_lock(&tb->lock);
	tb->told_inflate += balloon_page_list_enqueue(&tb->info, &keep);
	mutex_unlock(&tb->lock);
	drain_all_pages(NULL);
	return kept;
}

unsigned long count_high_order_allocs(unsigned int order,
				      unsigned long attempts)
{
	LIST_HEAD(got);
	struct page *page, *next;
	unsigned long n = 0;

	drain_all_pages(NULL);
	for (unsigned long i = 0; i < attempts; i++) {
		page = alloc_pages(GFP_NOWAIT, order);
		if (!page)
			continue;
		list_add(&page->lru, &got);
		n++;
	}
	list_for_each_entry_safe(page, next, &got, lru) {
		list_del_init(&page->lru);
		__free_pages(page, order);
	}
	return n;
}

unsigned long touch_free_memory(void)
{
	/* No reclaim, every reserve: exactly the free pages, nothing else. */
	const gfp_t gfp = GFP_NOWAIT | __GFP_MEMALLOC | __GFP_NOWARN;
	LIST_HEAD(taken);
	unsigned long nr = 0;
	struct page *page, *next;

	drain_all_pages(NULL);
	for (int order = MAX_PAGE_ORDER; order >= 0; order--) {
		while ((page = alloc_pages(gfp, (unsigned int)order))) {
			char *p = page_address(page);

			for (size_t off = 0; off < (PAGE_SIZE << order);
			     off += PAGE_SIZE)
				p[off] = 1;
			page->private = (unsigned long)order;
			list_add(&page->lru, &taken);
			nr += 1UL << order;
		}
	}
	list_for_each_entry_safe(page, next, &taken, lru) {
		unsigned int order = (unsigned int)page->private;

		list_del(&page->lru);
		page->private = 0;
		__free_pages(page, order);
	}
	drain_all_pages(NULL);
	return nr;
}
