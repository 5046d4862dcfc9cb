// SPDX-License-Identifier: MIT
/*
 * ram.c - guest RAM (a memfd mapped shared), the descriptor array, page
 * types and reference counts.
 *
 * Invariants and locking:
 *  - mem_map, max_pfn, ram_base and the memfd are written only by
 *    page_ram_init()/page_ram_destroy(), which run while no other thread
 *    uses ballast; everyone else reads them without locks.
 *  - mem_map[pfn] describes bytes [pfn * PAGE_SIZE, (pfn + 1) * PAGE_SIZE)
 *    of the memfd; ram_base maps the whole memfd MAP_SHARED, so the host
 *    process mapping the same memfd sees the same bytes. The memfd's size
 *    is sealed (F_SEAL_SHRINK | F_SEAL_GROW) once set.
 *  - A page's type moves PGTY_NONE -> T -> PGTY_NONE, never T -> U: a
 *    type transition that does not start from the expected type is misuse
 *    and is refused (page_set_type/page_clear_type).
 *  - _refcount >= 0 always. A put that would make it negative is reported
 *    and undone; the 1 -> 0 transition hands the page to the release hook
 *    exactly once.
 *  - Nothing here takes a lock; every shared field is atomic.
 */
#include <ballast/page.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct page *mem_map;
unsigned long max_pfn;
char *ram_base;

static int ram_fd = -1;
static size_t ram_bytes;
static size_t mem_map_bytes;
static _Atomic(page_release_fn) release_hook;

int page_ram_size_check(size_t bytes, char *err, size_t errlen)
{
	if (bytes < PAGE_RAM_MIN_BYTES || bytes > PAGE_RAM_MAX_BYTES) {
		snprintf(err, errlen,
			 "guest RAM must be between 16M and 64G, got %zu bytes",
			 bytes);
		return -EINVAL;
	}
	if (bytes % PAGE_RAM_ALIGN_BYTES) {
		snprintf(err, errlen,
			 "guest RAM must be a multiple of 4M, got %zu bytes",
			 bytes);
		return -EINVAL;
	}
	return 0;
}

int page_ram_init(size_t bytes)
{
	char err[128];
	void *base, *map;
	int fd, ret;

	if (ram_base)
		return -EBUSY;
	ret = page_ram_size_check(bytes, err, sizeof(err));
	if (ret)
		return ret;

	fd = memfd_create("ballast-guest-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	/*
	 * The size never changes again: sealed, so that a process mapping the
	 * memfd (the host) cannot be made to fault by a shrink. Punching holes
	 * stays allowed (no F_SEAL_WRITE).
	 */
	if (ftruncate(fd, (off_t)bytes) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0) {
		ret = -errno;
		goto out_close;
	}
	base = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		ret = -errno;
		goto out_close;
	}
	mem_map_bytes = (bytes >> PAGE_SHIFT) * sizeof(struct page);
	map = mmap(NULL, mem_map_bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		ret = -errno;
		goto out_unmap;
	}

	ram_fd = fd;
	ram_bytes = bytes;
	ram_base = base;
	mem_map = map;
	max_pfn = bytes >> PAGE_SHIFT;
	/* mmap gave zeroes: type NONE, no flags; reserve every page. */
	for (unsigned long pfn = 0; pfn < max_pfn; pfn++) {
		struct page *page = &mem_map[pfn];

		atomic_init(&page->flags, 1u << PG_reserved);
		atomic_init(&page->_refcount, 1);
		INIT_LIST_HEAD(&page->lru);
	}
	return 0;

out_unmap:
	munmap(base, bytes);
out_close:
	close(fd);
	return ret;
}

void page_ram_destroy(void)
{
	if (!ram_base)
		return;
	munmap(mem_map, mem_map_bytes);
	munmap(ram_base, ram_bytes);
	close(ram_fd);
	mem_map = NULL;
	ram_base = NULL;
	max_pfn = 0;
	ram_bytes = 0;
	ram_fd = -1;
}

int page_ram_fd(void)
{
	return ram_fd;
}

size_t page_ram_bytes(void)
{
	return ram_bytes;
}

size_t page_ram_allocated_bytes(void)
{
	struct stat st;

	if (ram_fd < 0 || fstat(ram_fd, &st) < 0)
		return 0;
	return (size_t)st.st_blocks * 512;
}

#if BALLAST_DEBUG
void __page_bad_pfn(unsigned long pfn, const char *func)
{
	ballast_fatal("%s: pfn %#lx outside guest RAM (max_pfn %#lx)", func,
		      pfn, max_pfn);
}

void __page_bad_addr(const void *addr, const char *func)
{
	ballast_fatal("%s: address %p outside guest RAM [%p, %p)", func, addr,
		      (void *)ram_base,
		      (void *)(ram_base + (max_pfn << PAGE_SHIFT)));
}
#endif

static const char *const type_names[NR_PAGE_TYPES] = {
	[PGTY_NONE] = "none",	  [PGTY_BUDDY] = "buddy",
	[PGTY_OFFLINE] = "offline", [PGTY_TABLE] = "table",
	[PGTY_SLAB] = "slab",
};

const char *page_type_name(enum page_type type)
{
	return (unsigned int)type < NR_PAGE_TYPES ? type_names[type] : "?";
}

static bool page_type_xchg(struct page *page, enum page_type from,
			   enum page_type to)
{
	uint8_t expected = (uint8_t)from;

	if (atomic_compare_exchange_strong_explicit(&page->page_type, &expected,
						    (uint8_t)to,
						    memory_order_acq_rel,
						    memory_order_acquire))
		return true;
	report_misuse("pfn %#lx: type %s, expected %s (to become %s)",
		      page_to_pfn(page), page_type_name(expected),
		      page_type_name(from), page_type_name(to));
	return false;
}

bool page_set_type(struct page *page, enum page_type type)
{
	return page_type_xchg(page, PGTY_NONE, type);
}

bool page_clear_type(struct page *page, enum page_type type)
{
	return page_type_xchg(page, type, PGTY_NONE);
}

void get_page(struct page *page)
{
	page = compound_head(page);
	if (unlikely(atomic_fetch_add_explicit(&page->_refcount, 1,
					       memory_order_relaxed) <= 0)) {
		atomic_fetch_sub_explicit(&page->_refcount, 1,
					  memory_order_relaxed);
		report_misuse("get_page on free pfn %#lx", page_to_pfn(page));
	}
}

bool get_page_unless_zero(struct page *page)
{
	int old = atomic_load_explicit(&page->_refcount, memory_order_relaxed);

	do {
		if (old <= 0)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(
		&page->_refcount, &old, old + 1, memory_order_acquire,
		memory_order_relaxed));
	return true;
}

bool put_page_testzero(struct page *page)
{
	int old = atomic_fetch_sub_explicit(&page->_refcount, 1,
					    memory_order_acq_rel);

	if (likely(old > 1))
		return false;
	if (likely(old == 1))
		return true;
	atomic_fetch_add_explicit(&page->_refcount, 1, memory_order_relaxed);
	report_misuse("refcount underflow on pfn %#lx (count was %d)",
		      page_to_pfn(page), old);
	return false;
}

void put_page(struct page *page)
{
	page = compound_head(page);
	if (put_page_testzero(page)) {
		page_release_fn fn = atomic_load_explicit(&release_hook,
							  memory_order_acquire);

		if (WARN_ON_ONCE(!fn))
			return;
		fn(page);
	}
}

bool page_ref_freeze(struct page *page, int count)
{
	int expected = count;

	return atomic_compare_exchange_strong_explicit(
		&page->_refcount, &expected, 0, memory_order_acq_rel,
		memory_order_relaxed);
}

void page_ref_unfreeze(struct page *page, int count)
{
	WARN_ON_ONCE(page_ref_count(page) != 0);
	atomic_store_explicit(&page->_refcount, count, memory_order_release);
}

void page_set_release_hook(page_release_fn fn)
{
	atomic_store_explicit(&release_hook, fn, memory_order_release);
}
