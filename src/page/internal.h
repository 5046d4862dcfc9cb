// SPDX-License-Identifier: MIT
/* internal.h - shared between the page layer's files only. */
#ifndef BALLAST_PAGE_INTERNAL_H
#define BALLAST_PAGE_INTERNAL_H

#include <ballast/page.h>

/* Wake every task sleeping on @bit of @page (waitqueue.c). */
void page_wake_bit(struct page *page, unsigned int bit);

#endif
