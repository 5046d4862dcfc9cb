// SPDX-License-Identifier: MIT
/*
 * page.h - guest RAM, page frames and page-bit waits (layer 1).
 *
 * Guest RAM is one memfd of page_ram_bytes() bytes mapped shared; page
 * frame N is bytes [N * PAGE_SIZE, (N + 1) * PAGE_SIZE) of it, and its
 * guest-physical address is that offset. The descriptor array (mem_map)
 * lives outside guest RAM, in the process's own memory.
 *
 * Rules for users:
 *  1. A page's *type* (buddy, offline/balloon, page table, slab) lives in
 *     page->page_type and nowhere else; test it with the PageX() helpers and
 *     never infer it from ->mapping, ->private or the reference count. Only
 *     the owner of a page sets or clears its type (the allocator for buddy,
 *     slab for slab, ...), and only on a page whose type is PGTY_NONE.
 *  2. page->private, ->mapping, ->index and ->lru belong to the page's
 *     current owner and are protected by the owner's lock, named in the
 *     owner's header (for ballooned pages, balloon_pages_lock).
 *  3. Flags are atomic bits; use the helpers. PG_locked is taken with
 *     lock_page() and released by the *same task* with unlock_page(): there
 *     is no asynchronous I/O completion in ballast, and the validator keeps
 *     exact held-lock stacks because of it.
 *  4. PG_writeback is set by set_page_writeback() and may be ended by any
 *     task; the setter owes the event to waiters until it submits the I/O
 *     or the writeback of that page ends, by whichever task (see lockdep.h
 *     rule 6).
 *  5. The last put_page() of a page hands it to the release hook that the
 *     allocator registers (page_set_release_hook); the page layer never
 *     frees memory itself.
 *  6. pfn_to_page(), page_to_pfn(), page_address() and virt_to_page() are
 *     valid only for pages of guest RAM; debug builds report anything else.
 */
#ifndef BALLAST_PAGE_H
#define BALLAST_PAGE_H

#include <stdatomic.h>
#include <stddef.h>
#include <ballast/lib/compiler.h>
#include <ballast/lib/list.h>
#include <ballast/lib/log.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define MAX_PAGE_ORDER 10			/* 4 MiB blocks */
#define NR_PAGE_ORDERS (MAX_PAGE_ORDER + 1)
#define MAX_ORDER_NR_PAGES (1UL << MAX_PAGE_ORDER)
#define pageblock_order 9			/* 2 MiB pageblocks */
#define pageblock_nr_pages (1UL << pageblock_order)

/* Guest RAM sizes accepted by page_ram_init(). */
#define PAGE_RAM_MIN_BYTES (16UL << 20)
#define PAGE_RAM_MAX_BYTES (64UL << 30)
#define PAGE_RAM_ALIGN_BYTES (4UL << 20)
#define PAGE_RAM_DEFAULT_BYTES (1UL << 30)

typedef uint64_t phys_addr_t;	/* guest-physical: an offset in the memfd */

enum pageflags {
	PG_locked,		/* page lock; lock_page() */
	PG_writeback,		/* I/O in flight; set_page_writeback() */
	PG_referenced,		/* recently used (LRU aging) */
	PG_uptodate,		/* contents are valid */
	PG_dirty,		/* contents newer than the backing file */
	PG_lru,			/* on an LRU list (lruvec lock) */
	PG_active,		/* on the active LRU list */
	PG_workingset,		/* refaulted recently */
	PG_error,		/* I/O error */
	PG_private,		/* ->private holds owner data */
	PG_reclaim,		/* reclaim wants it freed after writeback */
	PG_swapbacked,		/* anonymous memory */
	PG_unevictable,		/* not reclaimable */
	PG_head,		/* first page of a compound page */
	PG_tail,		/* later page of a compound page */
	PG_movable_ops,		/* migrated through registered movable ops */
	PG_isolated,		/* isolated for migration */
	PG_waiters,		/* someone sleeps on a bit of this page */
	PG_reserved,		/* never handed to the allocator */
	PG_mlocked,		/* locked in memory */
	NR_PAGEFLAGS
};

/*
 * Page types. Kept in their own field (rule 1): the lesson of bug 2 is that
 * a type encoded in ->mapping can be misread from another kind of page.
 */
enum page_type {
	PGTY_NONE = 0,		/* ordinary: anonymous, file, kernel pages */
	PGTY_BUDDY,		/* free, head of a buddy block (zone lock) */
	PGTY_OFFLINE,		/* given away: in the balloon */
	PGTY_TABLE,		/* a page-table page */
	PGTY_SLAB,		/* backs a slab */
	NR_PAGE_TYPES
};

struct address_space;
struct kmem_cache;
struct mem_cgroup;

/*
 * struct page - descriptor of one page frame of guest RAM.
 *
 * flags: atomic bits. page_type: atomic; written by the owner (rule 1),
 * read locklessly by scanners. order: atomic; for a PGTY_BUDDY page the
 * order of its free block (written under the zone lock, read locklessly by
 * compaction's first look); for a compound head its order (immutable while
 * allocated). _refcount, _mapcount: atomic. The union belongs to the owner
 * (rule 2). memcg: the charged memory cgroup (memcg layer's rules).
 */
struct page {
	_Atomic(uint32_t) flags;
	_Atomic(uint8_t) page_type;
	_Atomic(uint8_t) order;
	uint16_t __pad;
	_Atomic(int32_t) _refcount;
	_Atomic(int32_t) _mapcount;	/* number of page-table mappings */
	union {
		struct {	/* page cache, anonymous, balloon, buddy */
			struct list_head lru;
			struct address_space *mapping;
			unsigned long index;
			unsigned long private;
		};
		struct {	/* slab */
			struct list_head slab_list;
			struct kmem_cache *slab_cache;
			void *freelist;
			unsigned int inuse;
			unsigned int objects;
		};
		struct {	/* tail page of a compound page */
			unsigned long compound_head;	/* head | 1 */
		};
	};
	struct mem_cgroup *memcg;
};

/* Immutable after page_ram_init(); read anywhere without locks. */
extern struct page *mem_map;
extern unsigned long max_pfn;		/* number of page frames */
extern char *ram_base;			/* guest RAM mapping */

/**
 * page_ram_size_check() - is @bytes an acceptable guest RAM size?
 * @bytes: requested size in bytes.
 * @err, @errlen: filled with a one-line reason on failure.
 *
 * Context: no locks; never sleeps; no allocation; no reclaim.
 * Return: 0, or -EINVAL if @bytes is not a multiple of 4 MiB between
 * 16 MiB and 64 GiB.
 */
int __must_check page_ram_size_check(size_t bytes, char *err, size_t errlen);

/**
 * page_ram_init() - create guest RAM and the descriptor array.
 * @bytes: size of guest RAM in bytes (see page_ram_size_check()).
 *
 * Every page starts reserved (PG_reserved, refcount 1, PGTY_NONE) until the
 * allocator takes it (alloc_init()).
 *
 * Context: process start-up, single-threaded with respect to ballast; no
 * locks; may sleep; allocates from the C library and the OS only; no
 * reclaim.
 * Return: 0; -EINVAL for a bad size; -EBUSY if RAM already exists; -ENOMEM
 * or another errno if the memfd or mappings cannot be made.
 */
int __must_check page_ram_init(size_t bytes);

/**
 * page_ram_destroy() - unmap and close guest RAM; all higher layers must
 * have been torn down. Context: as page_ram_init().
 */
void page_ram_destroy(void);

/**
 * page_ram_fd() - the RAM memfd (owned by the page layer; do not close).
 * Context: any; no locks; never sleeps; no allocation; no reclaim.
 * Return: the descriptor, or -1 if guest RAM does not exist.
 */
int page_ram_fd(void);

/**
 * page_ram_bytes() - guest RAM size in bytes.
 * Context: any; no locks; never sleeps; no allocation; no reclaim.
 * Return: the size given to page_ram_init(), or 0 if guest RAM does not
 * exist.
 */
size_t page_ram_bytes(void);

/**
 * page_ram_allocated_bytes() - bytes of the memfd backed by real memory
 * (st_blocks), the figure that shrinks when the host punches holes.
 *
 * Context: no locks; never sleeps (one fstat); no allocation; no reclaim.
 * Return: bytes, or 0 if fstat fails.
 */
size_t page_ram_allocated_bytes(void);

/*
 * __page_bad_pfn() / __page_bad_addr() - debug builds: a pfn or an address
 * outside guest RAM reached a conversion helper (rule 6); report it with
 * ballast_fatal(), which does not return. Context: any; no locks; no
 * allocation from ballast.
 */
#if BALLAST_DEBUG
void __page_bad_pfn(unsigned long pfn, const char *func);
void __page_bad_addr(const void *addr, const char *func);
#define PAGE_CHECK_PFN(pfn) \
	do { if (unlikely((pfn) >= max_pfn)) __page_bad_pfn((pfn), __func__); } while (0)
#else
#define PAGE_CHECK_PFN(pfn) ((void)0)
#endif

/*
 * Conversions between pfns, page descriptors, guest-physical addresses and
 * pointers into guest RAM (rule 6). Context (all helpers below, up to the
 * flags): any context; no locks; never sleep; no allocation; no reclaim.
 */
static inline bool pfn_valid(unsigned long pfn)
{
	return pfn < max_pfn;
}

static inline struct page *pfn_to_page(unsigned long pfn)
{
	PAGE_CHECK_PFN(pfn);
	return mem_map + pfn;
}

static inline unsigned long page_to_pfn(const struct page *page)
{
	unsigned long pfn = (unsigned long)(page - mem_map);

	PAGE_CHECK_PFN(pfn);
	return pfn;
}

static inline void *page_address(const struct page *page)
{
	return ram_base + (page_to_pfn(page) << PAGE_SHIFT);
}

static inline phys_addr_t page_to_phys(const struct page *page)
{
	return (phys_addr_t)page_to_pfn(page) << PAGE_SHIFT;
}

/**
 * virt_addr_valid() - is @addr inside guest RAM?
 * Context: any; no locks; never sleeps; no allocation; no reclaim.
 * Return: true if @addr points into guest RAM.
 */
static inline bool virt_addr_valid(const void *addr)
{
	return (const char *)addr >= ram_base &&
	       (const char *)addr < ram_base + (max_pfn << PAGE_SHIFT);
}

static inline struct page *virt_to_page(const void *addr)
{
#if BALLAST_DEBUG
	if (unlikely(!virt_addr_valid(addr)))
		__page_bad_addr(addr, __func__);
#endif
	return pfn_to_page((unsigned long)((const char *)addr - ram_base) >>
			   PAGE_SHIFT);
}

static inline phys_addr_t virt_to_phys(const void *addr)
{
	return (phys_addr_t)((const char *)addr - ram_base);
}

/* Guest-physical address to pointer; the caller has validated @phys. */
static inline void *phys_to_virt(phys_addr_t phys)
{
	return ram_base + phys;
}

/* ------------------------------------------------------------------ */
/* Flags                                                                 */
/* ------------------------------------------------------------------ */

/*
 * Context (all flag helpers below, the PageX() / SetPageX() /
 * ClearPageX() / TestSetPageX() / TestClearPageX() families, and
 * compound_head() / compound_order()): any context; atomic, no locks;
 * never sleep; no allocation; no reclaim. PG_locked and PG_writeback
 * have their own functions at the end of this header (rules 3 and 4).
 */
static inline bool test_page_bit(const struct page *page, unsigned int bit)
{
	return atomic_load_explicit(&((struct page *)page)->flags,
				    memory_order_acquire) & (1u << bit);
}

static inline void set_page_bit(struct page *page, unsigned int bit)
{
	atomic_fetch_or_explicit(&page->flags, 1u << bit, memory_order_acq_rel);
}

static inline void clear_page_bit(struct page *page, unsigned int bit)
{
	atomic_fetch_and_explicit(&page->flags, ~(1u << bit),
				  memory_order_acq_rel);
}

static inline bool test_and_set_page_bit(struct page *page, unsigned int bit)
{
	return atomic_fetch_or_explicit(&page->flags, 1u << bit,
					memory_order_acq_rel) & (1u << bit);
}

static inline bool test_and_clear_page_bit(struct page *page, unsigned int bit)
{
	return atomic_fetch_and_explicit(&page->flags, ~(1u << bit),
					 memory_order_acq_rel) & (1u << bit);
}

#define PAGEFLAG(uname, bit)                                               \
	static inline bool Page##uname(const struct page *page)           \
	{ return test_page_bit(page, PG_##bit); }                          \
	static inline void SetPage##uname(struct page *page)              \
	{ set_page_bit(page, PG_##bit); }                                  \
	static inline void ClearPage##uname(struct page *page)            \
	{ clear_page_bit(page, PG_##bit); }                                \
	static inline bool TestSetPage##uname(struct page *page)          \
	{ return test_and_set_page_bit(page, PG_##bit); }                  \
	static inline bool TestClearPage##uname(struct page *page)        \
	{ return test_and_clear_page_bit(page, PG_##bit); }

PAGEFLAG(Locked, locked)
PAGEFLAG(Writeback, writeback)
PAGEFLAG(Referenced, referenced)
PAGEFLAG(Uptodate, uptodate)
PAGEFLAG(Dirty, dirty)
PAGEFLAG(LRU, lru)
PAGEFLAG(Active, active)
PAGEFLAG(Workingset, workingset)
PAGEFLAG(Error, error)
PAGEFLAG(Private, private)
PAGEFLAG(Reclaim, reclaim)
PAGEFLAG(SwapBacked, swapbacked)
PAGEFLAG(Unevictable, unevictable)
PAGEFLAG(Head, head)
PAGEFLAG(MovableOps, movable_ops)
PAGEFLAG(Isolated, isolated)
PAGEFLAG(Reserved, reserved)
PAGEFLAG(Mlocked, mlocked)

PAGEFLAG(Tail, tail)

/*
 * A tail page is never on a list, so ->compound_head is stable while
 * PG_tail is set; the flag, not the field, is what is tested locklessly.
 */
static inline struct page *compound_head(struct page *page)
{
	if (likely(!PageTail(page)))
		return page;
	return (struct page *)(page->compound_head - 1);
}

#undef PAGEFLAG

static inline unsigned int compound_order(const struct page *page)
{
	return PageHead(page) ? atomic_load_explicit(
					&((struct page *)page)->order,
					memory_order_relaxed) : 0;
}

/* ------------------------------------------------------------------ */
/* Types                                                                 */
/* ------------------------------------------------------------------ */

/*
 * page_get_type() and the PageBuddy() / PageOffline() / PageTable() /
 * PageSlab() tests: the page's type (rule 1), read atomically; a hint
 * unless the caller owns the page or holds the lock its owner names.
 * Context: any; no locks; never sleep; no allocation; no reclaim.
 */
static inline enum page_type page_get_type(const struct page *page)
{
	return (enum page_type)atomic_load_explicit(
		&((struct page *)page)->page_type, memory_order_acquire);
}

/**
 * page_set_type() - give a PGTY_NONE page the type @type.
 * page_clear_type() - return a page of type @type to PGTY_NONE.
 *
 * A page of another type than expected is reported as misuse and left
 * unchanged. Context: the caller owns the page (rule 1); no locks (an
 * atomic exchange); never sleeps; no allocation; no reclaim.
 * Return: true on success.
 */
bool page_set_type(struct page *page, enum page_type type);
bool page_clear_type(struct page *page, enum page_type type);

static inline bool PageBuddy(const struct page *page)
{
	return page_get_type(page) == PGTY_BUDDY;
}
static inline bool PageOffline(const struct page *page)
{
	return page_get_type(page) == PGTY_OFFLINE;
}
static inline bool PageTable(const struct page *page)
{
	return page_get_type(page) == PGTY_TABLE;
}
static inline bool PageSlab(const struct page *page)
{
	return page_get_type(page) == PGTY_SLAB;
}

/**
 * page_type_name() - printable name of @type.
 * Context: any; no locks; never sleeps; no allocation.
 * Return: a static string ("?" for an unknown type).
 */
const char *page_type_name(enum page_type type);

/* ------------------------------------------------------------------ */
/* Reference counts                                                      */
/* ------------------------------------------------------------------ */

/*
 * page_ref_count(), set_page_count(), page_mapcount() - raw atomic access
 * to the counts (set_page_count() only for the allocator, on a page
 * nobody else can see). Context: any; no locks; never sleep; no
 * allocation; no reclaim.
 */
static inline int page_ref_count(const struct page *page)
{
	return atomic_load_explicit(&((struct page *)page)->_refcount,
				    memory_order_acquire);
}

static inline void set_page_count(struct page *page, int v)
{
	atomic_store_explicit(&page->_refcount, v, memory_order_release);
}

static inline int page_mapcount(const struct page *page)
{
	return atomic_load_explicit(&((struct page *)page)->_mapcount,
				    memory_order_relaxed);
}

/**
 * get_page() - take a reference on a page the caller already holds one on
 * (directly or through a lock that pins it). Taking a reference on a free
 * page is reported.
 * Context: any; no locks (atomic); never sleeps; no allocation; no
 * reclaim.
 */
void get_page(struct page *page);

/**
 * get_page_unless_zero() - take a reference unless the page is free
 * (refcount 0). For speculative lookups by scanners.
 *
 * Context: any; no locks (atomic); never sleeps; no allocation; no
 * reclaim. Return: true if a reference was taken.
 */
bool get_page_unless_zero(struct page *page);

/**
 * put_page_testzero() - drop a reference. Underflow is reported and the
 * count restored.
 * Context: any; no locks (atomic); never sleeps; no allocation; no
 * reclaim.
 * Return: true if it was the last reference (the caller frees the page);
 * false otherwise, and on underflow.
 */
bool put_page_testzero(struct page *page);

/**
 * put_page() - drop a reference; the last one releases the page through
 * the allocator's release hook (rule 5).
 *
 * Context: no locks required; must not hold locks the release hook takes
 * (the LRU and zone locks); never sleeps; no allocation; no reclaim,
 * callable from reclaim.
 */
void put_page(struct page *page);

/**
 * page_ref_freeze() - atomically replace a count of exactly @count by 0, so
 * that nobody can take a new reference (migration). page_ref_unfreeze()
 * sets it back to @count. Context: any; no locks (atomic); never sleeps;
 * no allocation; no reclaim. Return (freeze): true if frozen.
 */
bool page_ref_freeze(struct page *page, int count);
void page_ref_unfreeze(struct page *page, int count);

typedef void (*page_release_fn)(struct page *page);

/**
 * page_set_release_hook() - the function that receives pages whose last
 * reference was dropped (registered by the allocator; an upward call,
 * documented in alloc.h).
 *
 * Context: initialisation only; no locks (an atomic store); never sleeps;
 * no allocation; no reclaim.
 */
void page_set_release_hook(page_release_fn fn);

/* ------------------------------------------------------------------ */
/* Page-bit waits                                                        */
/* ------------------------------------------------------------------ */

/**
 * lock_page() - take the page lock, sleeping while another task holds it.
 *
 * Context: caller holds no spinlock and does not hold this page's lock;
 * returns with the page lock held, released by the same task (rule 3);
 * may sleep; no allocation; no reclaim (reclaim only trylocks pages).
 */
void lock_page(struct page *page);

/**
 * trylock_page() - take the page lock if it is free.
 *
 * Context: any; on success returns with the page lock held, released by
 * the same task (rule 3); never sleeps; no allocation; no reclaim,
 * callable from reclaim. Return: true if taken.
 */
bool trylock_page(struct page *page);

/**
 * unlock_page() - release the page lock held by the current task and wake
 * its waiters. Unlocking an unlocked page is reported.
 *
 * Context: the current task holds the page lock and releases it; never
 * sleeps; no allocation; no reclaim.
 */
void unlock_page(struct page *page);

/**
 * wait_on_page_locked() - sleep until the page is unlocked; the lock is
 * not taken.
 *
 * Context: caller holds no spinlock, and everything it holds becomes a
 * dependency of the lock holder; may sleep; no allocation; no reclaim.
 */
void wait_on_page_locked(struct page *page);

/**
 * set_page_writeback() - mark the page under writeback. The current task
 * owes the end of writeback until it ends (by any task) or the task calls
 * page_writeback_submitted() (rule 4).
 *
 * Context: caller holds the page lock; never sleeps; no allocation; no
 * reclaim.
 * Return: true if the page was already under writeback (nothing changed).
 */
bool set_page_writeback(struct page *page);

/**
 * page_writeback_submitted() - the current task handed @nr pages it marked
 * for writeback to I/O that will end them; it no longer owes them (the
 * validator drops its @nr oldest debts).
 *
 * Context: any; no locks; never sleeps; no allocation; no reclaim.
 */
void page_writeback_submitted(unsigned long nr);

/**
 * end_page_writeback() - clear PG_writeback and wake waiters. Ending a
 * page that is not under writeback is reported.
 *
 * Context: any task; no locks needed (not even the page lock); never
 * sleeps; no allocation; no reclaim, callable from reclaim.
 */
void end_page_writeback(struct page *page);

/**
 * wait_on_page_writeback() - sleep until the page is not under writeback.
 *
 * Context: caller holds no spinlock, and should not hold this page's lock
 * unless no writeback owner can need it; may sleep (always a dependency,
 * even when the bit is clear); no allocation; no reclaim.
 */
void wait_on_page_writeback(struct page *page);

#endif /* BALLAST_PAGE_H */
