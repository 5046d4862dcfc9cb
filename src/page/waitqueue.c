// SPDX-License-Identifier: MIT
/*
 * waitqueue.c - sleeping on page bits (PG_locked, PG_writeback) through a
 * table of hashed wait queues, as Linux's page_waitqueue() does.
 *
 * Invariants and locking:
 *  - A task sleeping on a bit of page P waits on bucket hash(P); it sets
 *    PG_waiters on P (an atomic RMW on P->flags) *before* re-testing the
 *    bit, under the bucket's mutex. A task clearing the bit does so with an
 *    RMW on the same word and wakes the bucket if the old value had
 *    PG_waiters. RMWs on one word are totally ordered, so either the waker
 *    sees PG_waiters or the waiter sees the bit clear: no lost wake-up.
 *  - The waker clears PG_waiters under the bucket mutex before
 *    broadcasting; every woken waiter that still has to wait sets it again.
 *  - Bucket mutexes are internal to this primitive (as the kernel's raw
 *    wait-queue spinlocks are): nothing is called while one is held, so
 *    they take part in no lock order. The validator sees the page bits
 *    themselves: PG_locked as a sleeping lock class, PG_writeback as an
 *    event class (lockdep.h rule 6).
 *  - No busy waiting: waiters block on a condition variable.
 */
#include <ballast/lockdep.h>
#include "internal.h"

#include <pthread.h>

#define PAGE_WAIT_TABLE_BITS 8
#define PAGE_WAIT_TABLE_SIZE (1u << PAGE_WAIT_TABLE_BITS)

struct page_wait_bucket {
	pthread_mutex_t lock;
	pthread_cond_t cond;
} __cacheline_aligned;

static struct page_wait_bucket page_wait_table[PAGE_WAIT_TABLE_SIZE];
static pthread_once_t page_wait_once = PTHREAD_ONCE_INIT;

static struct lockdep_map page_lock_map =
	LOCKDEP_MAP_INIT("PG_locked", LOCKDEP_MUTEX);
static struct lockdep_map page_writeback_map =
	LOCKDEP_MAP_INIT("PG_writeback", LOCKDEP_EVENT);

static void page_wait_table_init(void)
{
	for (unsigned int i = 0; i < PAGE_WAIT_TABLE_SIZE; i++) {
		pthread_mutex_init(&page_wait_table[i].lock, NULL);
		pthread_cond_init(&page_wait_table[i].cond, NULL);
	}
}

static struct page_wait_bucket *page_waitqueue(const struct page *page)
{
	uint64_t h = (uint64_t)(uintptr_t)page * 0x9E3779B97F4A7C15ull;

	pthread_once(&page_wait_once, page_wait_table_init);
	return &page_wait_table[h >> (64 - PAGE_WAIT_TABLE_BITS)];
}

/*
 * Sleep until @bit of @page is clear; with @take, also set it (the lock
 * is then ours). Returns with the bit set by us (@take) or seen clear.
 */
static void page_wait_bit(struct page *page, unsigned int bit, bool take,
			  struct lockdep_map *map, unsigned long ip)
{
	struct page_wait_bucket *wb = page_waitqueue(page);

	lockdep_block_begin(map, ip);
	pthread_mutex_lock(&wb->lock);
	for (;;) {
		set_page_bit(page, PG_waiters);
		if (take ? !test_and_set_page_bit(page, bit)
			 : !test_page_bit(page, bit))
			break;
		pthread_cond_wait(&wb->cond, &wb->lock);
	}
	pthread_mutex_unlock(&wb->lock);
	lockdep_block_end();
}

void page_wake_bit(struct page *page, unsigned int bit)
{
	struct page_wait_bucket *wb = page_waitqueue(page);

	pthread_mutex_lock(&wb->lock);
	clear_page_bit(page, PG_waiters);
	pthread_cond_broadcast(&wb->cond);
	pthread_mutex_unlock(&wb->lock);
}

void lock_page(struct page *page)
{
	lock_acquire(&page_lock_map, 0, 0, LOCKDEP_EXCLUSIVE, _RET_IP_);
	if (likely(!test_and_set_page_bit(page, PG_locked)))
		return;
	page_wait_bit(page, PG_locked, true, &page_lock_map, _RET_IP_);
}

bool trylock_page(struct page *page)
{
	if (test_and_set_page_bit(page, PG_locked))
		return false;
	lock_acquire(&page_lock_map, 0, 1, LOCKDEP_EXCLUSIVE, _RET_IP_);
	return true;
}

void unlock_page(struct page *page)
{
	uint32_t old;

	old = atomic_fetch_and_explicit(&page->flags, ~(1u << PG_locked),
					memory_order_acq_rel);
	if (unlikely(!(old & (1u << PG_locked)))) {
		lockdep_report_misuse("unlock_page on unlocked pfn %#lx",
				      page_to_pfn(page));
		return;
	}
	lock_release(&page_lock_map, _RET_IP_);
	if (old & (1u << PG_waiters))
		page_wake_bit(page, PG_locked);
}

void wait_on_page_locked(struct page *page)
{
	lock_wait(&page_lock_map, _RET_IP_);
	if (PageLocked(page))
		page_wait_bit(page, PG_locked, false, &page_lock_map, _RET_IP_);
}

bool set_page_writeback(struct page *page)
{
	if (WARN_ON_ONCE(!PageLocked(page)))
		return true;
	/*
	 * Seen clear under the page lock, the bit is ours to set, and an end
	 * of the last writeback has paid its debt already (it pays before
	 * clearing). Owed before the bit is set: whoever ends it finds it.
	 */
	if (PageWriteback(page))
		return true;
	lockdep_event_owe(&page_writeback_map, page, _RET_IP_);
	if (test_and_set_page_bit(page, PG_writeback)) {
		lockdep_event_discharge(&page_writeback_map, page);
		return true;
	}
	return false;
}

void page_writeback_submitted(unsigned long nr)
{
	while (nr--)
		lockdep_event_discharge(&page_writeback_map, NULL);
}

void end_page_writeback(struct page *page)
{
	uint32_t old;

	if (unlikely(!PageWriteback(page)))
		goto misuse;
	/* Paid before the bit clears: a new debt for the page comes after. */
	lockdep_event_discharge(&page_writeback_map, page);
	old = atomic_fetch_and_explicit(&page->flags, ~(1u << PG_writeback),
					memory_order_acq_rel);
	if (unlikely(!(old & (1u << PG_writeback))))
		goto misuse;	/* ended twice at once */
	if (old & (1u << PG_waiters))
		page_wake_bit(page, PG_writeback);
	return;
misuse:
	lockdep_report_misuse("end_page_writeback on pfn %#lx not under "
			      "writeback", page_to_pfn(page));
}

void wait_on_page_writeback(struct page *page)
{
	lock_wait(&page_writeback_map, _RET_IP_);
	if (PageWriteback(page))
		page_wait_bit(page, PG_writeback, false, &page_writeback_map,
			      _RET_IP_);
}
