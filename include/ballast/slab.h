// SPDX-License-Identifier: MIT
/*
 * slab.h - object caches on the page allocator (part of layer 3):
 * kmem_cache_create/alloc/free/destroy and the kmalloc size classes.
 *
 * Rules for users:
 *  1. Objects live in guest RAM, in slab pages of type PGTY_SLAB; cache
 *     descriptors live in the process heap, like mem_map.
 *  2. Free an object to the cache it came from (kfree() finds it); freeing
 *     into another cache or a pointer that is not an object is reported
 *     and refused, and so, in debug builds, is freeing a free object (a
 *     per-object free bit at the end of each slab catches it wherever the
 *     first free put the object).
 *  3. Allocation takes a gfp mask like alloc_pages(): with direct reclaim
 *     it may sleep and enter reclaim (alloc.h rule 2). New slab pages are
 *     allocated with no slab lock held.
 *  4. Caches made with SLAB_RECLAIM_ACCOUNT place their pages in
 *     reclaimable pageblocks and count them in NR_SLAB_RECLAIMABLE; others
 *     count in NR_SLAB_UNRECLAIMABLE.
 *  5. Destroy a cache only after freeing its objects; leftovers are
 *     reported and their pages leaked rather than reused.
 *  6. Slab objects are not charged to a memory cgroup: slab pages are
 *     allocated without __GFP_ACCOUNT whatever @gfp says. Linux charges
 *     each object to its allocator's group (an obj_cgroup per object);
 *     ballast has no per-object charging, and charging the whole page to
 *     whichever task happened to grow the cache would bill one group for
 *     other groups' objects. kmalloc() above KMALLOC_MAX_CACHE_SIZE takes
 *     whole pages for the caller and does honour __GFP_ACCOUNT.
 */
#ifndef BALLAST_SLAB_H
#define BALLAST_SLAB_H

#include <ballast/alloc.h>

#define SLAB_HWCACHE_ALIGN	0x1u	/* align objects on cache lines */
#define SLAB_RECLAIM_ACCOUNT	0x2u	/* objects are reclaimable (shrinker) */

#define KMALLOC_MAX_CACHE_SIZE 8192	/* larger kmallocs use pages */
#define ZERO_SIZE_PTR ((void *)16)
#define ZERO_OR_NULL_PTR(x) ((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)

struct kmem_cache;

/**
 * slab_init() / slab_exit() - create / destroy the kmalloc caches.
 *
 * Context: after alloc_init(), single-threaded; takes slab_mutex; may
 * sleep (the mutex); allocates descriptors from the C heap (slab pages
 * only later, on use); no reclaim. Return: 0 or -ENOMEM.
 */
int __must_check slab_init(void);
void slab_exit(void);

/**
 * kmem_cache_create() - make a cache of @size-byte objects.
 * @name: printed in reports; copied.
 * @size: object size in bytes (1..KMALLOC_MAX_CACHE_SIZE).
 * @align: minimum alignment in bytes (0: 8), a power of two.
 * @flags: SLAB_*.
 * @ctor: called on each object when its slab is created, or NULL.
 *
 * Context: takes slab_mutex; may sleep; allocates the descriptor from the
 * C heap (no slab pages until the first allocation); no reclaim.
 * Return: the cache, or NULL on a bad argument or no memory.
 */
struct kmem_cache *kmem_cache_create(const char *name, size_t size,
				     size_t align, unsigned int flags,
				     void (*ctor)(void *obj));

/**
 * kmem_cache_destroy() - free a cache whose objects have all been freed.
 * Context: takes the cache's spinlocks, then slab_mutex; may sleep; no
 * allocation; no reclaim (it only frees pages).
 */
void kmem_cache_destroy(struct kmem_cache *cache);

/**
 * kmem_cache_alloc() - allocate one object.
 * @gfp: mask for new slab pages; __GFP_ZERO zeroes the object;
 *	 __GFP_ACCOUNT is ignored (rule 6).
 *
 * Context: takes the cache's per-CPU and list spinlocks briefly; may
 * allocate a slab page with @gfp (less __GFP_ZERO and __GFP_ACCOUNT),
 * with no slab lock held: with a blocking @gfp it may then sleep and
 * enter reclaim and OOM (alloc.h rule 2).
 * Return: the object, or NULL if no memory could be found under @gfp.
 */
void *kmem_cache_alloc(struct kmem_cache *cache, gfp_t gfp);

/**
 * kmem_cache_free() - return an object to its cache (rule 2).
 * Context: takes the cache's spinlocks, and zone locks to free a slab;
 * never sleeps; no allocation; no reclaim, callable from reclaim and
 * shrinkers.
 */
void kmem_cache_free(struct kmem_cache *cache, void *obj);

/**
 * kmem_cache_shrink() - free the cache's empty slabs and per-CPU objects.
 * Context: takes the cache's per-CPU and list spinlocks in turn, then zone
 * locks to free pages; never sleeps; no allocation; no reclaim, callable
 * from a shrinker. Return: pages freed.
 */
unsigned long kmem_cache_shrink(struct kmem_cache *cache);

/**
 * kmem_cache_size() - object size; kmem_cache_nr_objects() - objects
 * allocated and not freed (including those cached per CPU as free: no).
 * kmem_cache_nr_pages() - pages backing the cache's slabs.
 *
 * Context: kmem_cache_size() any, lockless; the counts take the cache's
 * per-CPU and list spinlocks in turn (exact only when nobody allocates
 * or frees meanwhile); never sleep; no allocation; no reclaim.
 * Return: kmem_cache_size(): bytes; kmem_cache_nr_objects(): objects;
 * kmem_cache_nr_pages(): pages.
 */
size_t kmem_cache_size(const struct kmem_cache *cache);
unsigned long kmem_cache_nr_objects(struct kmem_cache *cache);
unsigned long kmem_cache_nr_pages(struct kmem_cache *cache);

/**
 * kmalloc() - allocate @size bytes from the size classes (8 .. 8192 bytes,
 * then whole pages as a compound page).
 *
 * Context: as kmem_cache_alloc(). Return: the memory; ZERO_SIZE_PTR for
 * @size 0; NULL if no memory could be found under @gfp.
 */
void *kmalloc(size_t size, gfp_t gfp);

/** kzalloc() - kmalloc() with __GFP_ZERO. Context and Return: as kmalloc(). */
static inline void *kzalloc(size_t size, gfp_t gfp)
{
	return kmalloc(size, gfp | __GFP_ZERO);
}

/**
 * kcalloc() - @n elements of @size bytes, zeroed.
 * Context: as kmalloc() with @gfp | __GFP_ZERO.
 * Return: as kmalloc(); also NULL if @n * @size overflows.
 */
void *kcalloc(size_t n, size_t size, gfp_t gfp);

/**
 * kfree() - free memory from kmalloc(); NULL and ZERO_SIZE_PTR are
 * ignored. Context: as kmem_cache_free() (takes cache and zone spinlocks;
 * never sleeps; no allocation; no reclaim, callable from reclaim).
 */
void kfree(const void *obj);

/**
 * ksize() - usable size of a kmalloc() allocation.
 * Context: caller owns @obj; no locks; never sleeps; no allocation; no
 * reclaim.
 * Return: bytes usable at @obj (the size class, or the pages of a large
 * allocation); 0 for NULL and ZERO_SIZE_PTR.
 */
size_t ksize(const void *obj);

/**
 * slab_check() - verify every cache: each slab's free list is inside the
 * slab and has no loops; inuse + free = objects; every per-CPU entry is a
 * free object of the cache, in one place only (not in two slots, not also
 * on a free list); in debug builds the free bits match. Slab pages are
 * compared with the NR_SLAB_* gauges by alloc_check() with
 * ALLOC_CHECK_QUIESCENT, not here: the gauges are global, exact only when
 * nothing allocates. Context: takes slab_mutex, then for each cache in turn
 * all its per-CPU locks (nested by index) and its list lock; may sleep
 * (the mutex); no allocation; no reclaim.
 * Return: number of violations printed.
 */
unsigned long slab_check(void);

#endif /* BALLAST_SLAB_H */
