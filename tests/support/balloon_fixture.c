// SPDX-License-Identifier: MIT
/* balloon_fixture.c - see balloon_fixture.h. */
#include "balloon_fixture.h"

#include <errno.h>

static int test_balloon_migratepage(struct balloon_dev_info *info,
				    struct page *newpage, struct page *page,
				    enum migrate_mode mode)
{
	struct test_balloon *tb = container_of(info, struct test_balloon, info);

	mutex_lock(&tb->lock);
	get_page(newpage);			/* the balloon's reference */
	if (balloon_page_insert_isolated(info, newpage)) {
		put_page(newpage);
		mutex_unlock(&tb->lock);
		return -EINVAL;
	}
	tb->told_inflate++;			/* host: new pfn is ballooned */
	balloon_page_finalize(page);
	tb->told_deflate++;			/* host: old pfn is back */
	tb->migrations++;
	mutex_unlock(&tb->lock);
	put_page(page);				/* the balloon's reference */
	return 0;
}

void test_balloon_init(struct test_balloon *tb, bool migrates,
		       bool adjust_managed)
{
	balloon_devinfo_init(&tb->info,
			     migrates ? test_balloon_migratepage : NULL,
			     adjust_managed);
	mutex_init(&tb->lock);
	tb->told_inflate = tb->told_deflate = tb->migrations = 0;
}

unsigned long test_balloon_inflate(struct test_balloon *tb, unsigned long n)
{
	LIST_HEAD(pages);
	unsigned long got = 0;

	/* Allocate with no balloon lock held (bug 1's rule). */
	while (got < n) {
		struct page *page = balloon_page_alloc();

		if (!page)
			break;
		list_add(&page->lru, &pages);
		got++;
	}
	mutex_lock(&tb->lock);
	balloon_page_list_enqueue(&tb->info, &pages);
	tb->told_inflate += got;
	mutex_unlock(&tb->lock);
	return got;
}

unsigned long test_balloon_deflate(struct test_balloon *tb, unsigned long n)
{
	LIST_HEAD(pages);
	struct page *page, *next;
	unsigned long got;

	mutex_lock(&tb->lock);
	got = balloon_page_list_dequeue(&tb->info, &pages, n);
	tb->told_deflate += got;
	mutex_unlock(&tb->lock);
	list_for_each_entry_safe(page, next, &pages, lru) {
		list_del(&page->lru);
		put_page(page);
	}
	return got;
}
