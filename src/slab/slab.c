// SPDX-License-Identifier: MIT
/*
 * slab.c - object caches: slabs of one or more pages carved into objects,
 * per-CPU arrays of free objects in front of them, and the kmalloc size
 * classes.
 *
 * Invariants and locking:
 *  - A slab is a block of 2^order pages (compound when order > 0) whose
 *    head has type PGTY_SLAB, ->slab_cache = its cache, ->freelist = the
 *    first free object (each free object links to the next at
 *    cache->offset: its first word, or just after it for caches with a
 *    constructor, whose free objects keep their constructed state),
 *    ->inuse = objects not on that freelist, ->objects = capacity.
 *  - A slab is on exactly one of its cache's lists: partial (some free
 *    objects) or full (none). A slab whose objects are all free stays on
 *    partial only while the cache keeps fewer than SLAB_MIN_PARTIAL empty
 *    slabs; otherwise its pages go back to the allocator.
 *  - cache->list_lock (spinlock) protects the lists, every slab's
 *    freelist/inuse, and the slab counters.
 *  - Each per-CPU array (struct slab_cpu) is protected by its own
 *    spinlock; objects in it count as allocated from the slab's point of
 *    view (inuse) but are free for users. A free object is in exactly one
 *    place: one slab's freelist or one slot of one per-CPU array.
 *  - Debug builds end each slab with a free map, one bit per object: set
 *    while the object is free (freelist or per-CPU array), clear while a
 *    user holds it. Objects of one slab sit in different per-CPU arrays, so
 *    the bits change by atomic RMW; a free that finds the bit set is a
 *    double free and is refused, wherever the first free put the object.
 *  - Lock order: slab_mutex -> per-CPU lock -> list_lock -> zone locks
 *    (freeing slab pages happens after dropping the slab locks); only
 *    slab_check() holds several per-CPU locks of a cache, nested by index.
 *    New slab pages are allocated with no slab lock held (alloc.h rule 2).
 *  - NR_SLAB_RECLAIMABLE / NR_SLAB_UNRECLAIMABLE count slab pages.
 */
#include <ballast/slab.h>
#include <ballast/task.h>
#include <ballast/lib/bitmap.h>

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SLAB_CPU_LIMIT 64		/* objects kept per CPU */
#define SLAB_CPU_BATCH 16		/* moved at once to/from slabs */
#define SLAB_MIN_PARTIAL 2		/* empty slabs kept for reuse */
#define SLAB_MAX_ORDER 3
#define SLAB_MAX_CPUS 8
_Static_assert(SLAB_MAX_CPUS <= LOCKDEP_MAX_SUBCLASSES,
	       "slab_check() nests the per-CPU locks by index");

struct slab_cpu {
	spinlock_t lock;
	int avail;
	void *entries[SLAB_CPU_LIMIT];
} __cacheline_aligned;

struct kmem_cache {
	char name[32];
	size_t object_size;		/* requested size */
	size_t size;			/* stride between objects */
	size_t offset;			/* of the free pointer in an object */
	unsigned int order;		/* of each slab */
	unsigned int objects;		/* per slab */
	unsigned int flags;
	gfp_t gfp_flags;		/* added to every slab allocation */
	void (*ctor)(void *obj);
	spinlock_t list_lock;
	struct list_head partial;	/* list_lock */
	struct list_head full;		/* list_lock */
	unsigned long nr_slabs;		/* list_lock */
	unsigned long nr_empty;		/* list_lock: empty slabs on partial */
	struct list_head list;		/* slab_mutex */
	int nr_cpus;
	struct slab_cpu cpu[SLAB_MAX_CPUS];
};

static DEFINE_MUTEX(slab_mutex);
static LIST_HEAD(slab_caches);		/* slab_mutex */

static const size_t kmalloc_sizes[] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
};
static struct kmem_cache *kmalloc_caches[ARRAY_SIZE(kmalloc_sizes)];
static struct lock_class_key slab_cpu_key, slab_list_key;

static struct slab_cpu *cache_cpu(struct kmem_cache *cache)
{
	int cpu = sched_getcpu();

	return &cache->cpu[(cpu < 0 ? 0 : cpu) % cache->nr_cpus];
}

static enum node_stat_item slab_stat(const struct kmem_cache *cache)
{
	return (cache->flags & SLAB_RECLAIM_ACCOUNT) ? NR_SLAB_RECLAIMABLE
						     : NR_SLAB_UNRECLAIMABLE;
}

/* Bytes at the end of a slab of @objects objects for its free map. */
static size_t free_map_bytes(unsigned int objects)
{
#if BALLAST_DEBUG
	return BITS_TO_LONGS(objects) * sizeof(unsigned long);
#else
	return 0;
#endif
}

static void calculate_sizes(struct kmem_cache *cache, size_t align)
{
	size_t size = max(cache->object_size, sizeof(void *));

	/*
	 * A constructed object must keep its state while free, so the free
	 * pointer goes after it rather than over its first word.
	 */
	cache->offset = 0;
	if (cache->ctor) {
		cache->offset = ALIGN_UP(cache->object_size, sizeof(void *));
		size = cache->offset + sizeof(void *);
	}
	size = ALIGN_UP(size, align);

	cache->size = size;
	for (unsigned int order = 0; order <= SLAB_MAX_ORDER; order++) {
		size_t bytes = PAGE_SIZE << order;

		cache->order = order;
		cache->objects = (unsigned int)(bytes / size);
		if (cache->objects >= 8 && (bytes % size) * 8 <= bytes)
			break;
	}
	/*
	 * Debug builds: the free map takes the objects' place at the end,
	 * after the order was chosen as in release builds, so both use
	 * slabs of the same order (a power-of-two cache loses an object).
	 */
	while (cache->objects * size + free_map_bytes(cache->objects) >
	       PAGE_SIZE << cache->order)
		cache->objects--;
}

struct kmem_cache *kmem_cache_create(const char *name, size_t size,
				     size_t align, unsigned int flags,
				     void (*ctor)(void *obj))
{
	struct kmem_cache *cache;
	long cpus;

	might_sleep();
	if (!name || !size || size > KMALLOC_MAX_CACHE_SIZE ||
	    (align & (align - 1))) {
		report_misuse("kmem_cache_create(%s, %zu, %zu): bad argument",
			      name ? name : "(null)", size, align);
		return NULL;
	}
	cache = aligned_alloc(64, sizeof(*cache));
	if (!cache)
		return NULL;
	memset(cache, 0, sizeof(*cache));
	snprintf(cache->name, sizeof(cache->name), "%s", name);
	cache->object_size = size;
	cache->flags = flags;
	cache->ctor = ctor;
	if (align < sizeof(void *))
		align = sizeof(void *);
	if ((flags & SLAB_HWCACHE_ALIGN) && align < 64)
		align = 64;
	calculate_sizes(cache, align);
	cache->gfp_flags = (cache->order ? __GFP_COMP : 0) |
			   ((flags & SLAB_RECLAIM_ACCOUNT) ? __GFP_RECLAIMABLE
							   : 0);
	spin_lock_init_key(&cache->list_lock, "slab_list_lock", &slab_list_key);
	INIT_LIST_HEAD(&cache->partial);
	INIT_LIST_HEAD(&cache->full);
	cpus = sysconf(_SC_NPROCESSORS_CONF);
	cache->nr_cpus = (int)clamp(cpus, 1L, (long)SLAB_MAX_CPUS);
	for (int i = 0; i < cache->nr_cpus; i++)
		spin_lock_init_key(&cache->cpu[i].lock, "slab_cpu_lock",
				   &slab_cpu_key);
	mutex_lock(&slab_mutex);
	list_add_tail(&cache->list, &slab_caches);
	mutex_unlock(&slab_mutex);
	return cache;
}

static void *slab_obj(struct page *slab, unsigned int i)
{
	return (char *)page_address(slab) + (size_t)i * slab->slab_cache->size;
}

/* The free pointer of a free object (rule: objects live in guest RAM). */
static inline void *get_freepointer(const struct kmem_cache *cache, void *obj)
{
	return *(void **)((char *)obj + cache->offset);
}

static inline void set_freepointer(const struct kmem_cache *cache, void *obj,
				   void *next)
{
	*(void **)((char *)obj + cache->offset) = next;
}

#if BALLAST_DEBUG
static unsigned long *slab_free_map(const struct page *slab)
{
	const struct kmem_cache *cache = slab->slab_cache;

	return (unsigned long *)((char *)page_address(slab) +
				 (PAGE_SIZE << cache->order) -
				 free_map_bytes(cache->objects));
}

static bool free_map_test(const struct page *slab, unsigned int i)
{
	return __atomic_load_n(slab_free_map(slab) + i / BITS_PER_LONG,
			       __ATOMIC_RELAXED) &
	       (1UL << (i % BITS_PER_LONG));
}

/*
 * Mark the valid object @obj of @cache free (@free) or held by a user;
 * return whether it was free before.
 */
static bool obj_mark_free(struct kmem_cache *cache, void *obj, bool free)
{
	struct page *slab = compound_head(virt_to_page(obj));
	size_t i = (size_t)((char *)obj - (char *)page_address(slab)) /
		   cache->size;
	unsigned long *word = slab_free_map(slab) + i / BITS_PER_LONG;
	unsigned long bit = 1UL << (i % BITS_PER_LONG), old;

	if (free)
		old = __atomic_fetch_or(word, bit, __ATOMIC_RELAXED);
	else
		old = __atomic_fetch_and(word, ~bit, __ATOMIC_RELAXED);
	return old & bit;
}
#endif

/*
 * Allocate and carve a new slab for an allocation called at @ip; no slab
 * lock is held.
 */
static struct page *new_slab(struct kmem_cache *cache, gfp_t gfp,
			     unsigned long ip)
{
	struct page *slab;

	/* Slab pages are never charged to a memcg (slab.h rule 6). */
	slab = alloc_pages_ip((gfp & ~(__GFP_ZERO | __GFP_ACCOUNT)) |
			      cache->gfp_flags, cache->order, ip);
	if (!slab)
		return NULL;
	if (!page_set_type(slab, PGTY_SLAB)) {
		__free_pages(slab, cache->order);
		return NULL;
	}
	slab->slab_cache = cache;
	slab->objects = cache->objects;
	slab->inuse = 0;
	slab->freelist = NULL;
#if BALLAST_DEBUG
	/*
	 * Not published yet. Every object starts free (bits past the last
	 * object are never read).
	 */
	memset(slab_free_map(slab), 0xff, free_map_bytes(cache->objects));
#endif
	for (unsigned int i = cache->objects; i-- > 0;) {
		void *obj = slab_obj(slab, i);

		if (cache->ctor)
			cache->ctor(obj);
		set_freepointer(cache, obj, slab->freelist);
		slab->freelist = obj;
	}
	mod_node_page_state(slab_stat(cache), 1L << cache->order);
	return slab;
}

static void discard_slab(struct kmem_cache *cache, struct page *slab)
{
	slab->slab_cache = NULL;
	slab->freelist = NULL;
	page_clear_type(slab, PGTY_SLAB);
	mod_node_page_state(slab_stat(cache), -(1L << cache->order));
	__free_pages(slab, cache->order);
}

/* Fill @c from the partial slabs; both locks held. Returns objects moved. */
static int refill_locked(struct kmem_cache *cache, struct slab_cpu *c)
{
	int moved = 0;

	while (c->avail < SLAB_CPU_BATCH && !list_empty(&cache->partial)) {
		struct page *slab = list_first_entry(&cache->partial,
						     struct page, slab_list);

		if (slab->inuse == 0)
			cache->nr_empty--;
		while (slab->freelist && c->avail < SLAB_CPU_BATCH) {
			void *obj = slab->freelist;

			slab->freelist = get_freepointer(cache, obj);
			slab->inuse++;
			c->entries[c->avail++] = obj;
			moved++;
		}
		if (!slab->freelist)
			list_move(&slab->slab_list, &cache->full);
	}
	return moved;
}

/*
 * @ip is the caller of the public API (kmem_cache_alloc, kmalloc), so the
 * validator's reports name each call site, not this file.
 */
static void *slab_alloc(struct kmem_cache *cache, gfp_t gfp, unsigned long ip)
{
	struct slab_cpu *c;
	void *obj = NULL;

	might_alloc_ip(gfp, ip);
	for (;;) {
		struct page *slab;

		c = cache_cpu(cache);
		spin_lock(&c->lock);
		if (!c->avail) {
			spin_lock(&cache->list_lock);
			refill_locked(cache, c);
			spin_unlock(&cache->list_lock);
		}
		if (c->avail) {
			obj = c->entries[--c->avail];
#if BALLAST_DEBUG
			/* Free in an array but not marked: corrupted. */
			WARN_ON_ONCE(!obj_mark_free(cache, obj, false));
#endif
		}
		spin_unlock(&c->lock);
		if (obj)
			break;
		/* Grow with no slab lock held: this may enter reclaim. */
		alloc_scope_push(gfp, cache->name, ip);
		slab = new_slab(cache, gfp, ip);
		alloc_scope_pop();
		if (!slab)
			return NULL;
		spin_lock(&cache->list_lock);
		list_add(&slab->slab_list, &cache->partial);
		cache->nr_slabs++;
		cache->nr_empty++;
		spin_unlock(&cache->list_lock);
	}
	if (gfp & __GFP_ZERO)
		memset(obj, 0, cache->object_size);
	return obj;
}

void *kmem_cache_alloc(struct kmem_cache *cache, gfp_t gfp)
{
	return slab_alloc(cache, gfp, _RET_IP_);
}

/*
 * Give @nr objects back to their slabs; list_lock held. Slabs that become
 * empty beyond SLAB_MIN_PARTIAL are unlinked onto @discard.
 */
static void free_to_slabs_locked(struct kmem_cache *cache, void **objs,
				 int nr, struct list_head *discard)
{
	for (int i = 0; i < nr; i++) {
		struct page *slab = compound_head(virt_to_page(objs[i]));

		if (!slab->freelist)
			list_move(&slab->slab_list, &cache->partial);
		set_freepointer(cache, objs[i], slab->freelist);
		slab->freelist = objs[i];
		if (--slab->inuse == 0) {
			if (cache->nr_empty >= SLAB_MIN_PARTIAL) {
				list_move(&slab->slab_list, discard);
				cache->nr_slabs--;
			} else {
				cache->nr_empty++;
			}
		}
	}
}

static void discard_list(struct kmem_cache *cache, struct list_head *discard)
{
	struct page *slab, *next;

	list_for_each_entry_safe(slab, next, discard, slab_list) {
		list_del(&slab->slab_list);
		discard_slab(cache, slab);
	}
}

/* Is @obj the start of an object of @cache? Reports misuse if not. */
static bool object_valid(struct kmem_cache *cache, const void *obj)
{
	struct page *slab;
	size_t off;

	if (!virt_addr_valid(obj)) {
		report_misuse("%s: %p is not in guest RAM", cache->name, obj);
		return false;
	}
	slab = compound_head(virt_to_page(obj));
	if (!PageSlab(slab) || slab->slab_cache != cache) {
		report_misuse("%s: %p is not an object of this cache",
			      cache->name, obj);
		return false;
	}
	off = (size_t)((const char *)obj - (const char *)page_address(slab));
	if (off % cache->size || off / cache->size >= cache->objects) {
		report_misuse("%s: %p is not the start of an object",
			      cache->name, obj);
		return false;
	}
	return true;
}

void kmem_cache_free(struct kmem_cache *cache, void *obj)
{
	struct slab_cpu *c;
	LIST_HEAD(discard);

	if (!obj || !object_valid(cache, obj))
		return;
	c = cache_cpu(cache);
	spin_lock(&c->lock);
#if BALLAST_DEBUG
	/*
	 * Already free, in any CPU's array or on the slab's freelist: refuse
	 * it, or it would be handed out twice. Marked under c->lock, as the
	 * allocation clears it, so slab_check() (which takes every lock)
	 * never sees a free bit without its object in an array.
	 */
	if (obj_mark_free(cache, obj, true)) {
		spin_unlock(&c->lock);
		report_misuse("%s: double free of %p", cache->name, obj);
		return;
	}
#endif
	if (c->avail == SLAB_CPU_LIMIT) {
		spin_lock(&cache->list_lock);
		free_to_slabs_locked(cache, c->entries, SLAB_CPU_BATCH,
				     &discard);
		spin_unlock(&cache->list_lock);
		c->avail -= SLAB_CPU_BATCH;
		memmove(c->entries, c->entries + SLAB_CPU_BATCH,
			sizeof(void *) * (size_t)c->avail);
	}
	c->entries[c->avail++] = obj;
	spin_unlock(&c->lock);
	discard_list(cache, &discard);
}

unsigned long kmem_cache_shrink(struct kmem_cache *cache)
{
	LIST_HEAD(discard);
	struct page *slab, *next;
	unsigned long pages = 0;

	for (int i = 0; i < cache->nr_cpus; i++) {
		struct slab_cpu *c = &cache->cpu[i];

		spin_lock(&c->lock);
		spin_lock(&cache->list_lock);
		free_to_slabs_locked(cache, c->entries, c->avail, &discard);
		c->avail = 0;
		spin_unlock(&cache->list_lock);
		spin_unlock(&c->lock);
	}
	spin_lock(&cache->list_lock);
	list_for_each_entry_safe(slab, next, &cache->partial, slab_list) {
		if (slab->inuse == 0) {
			list_move(&slab->slab_list, &discard);
			cache->nr_slabs--;
			cache->nr_empty--;
		}
	}
	spin_unlock(&cache->list_lock);
	list_for_each_entry(slab, &discard, slab_list)
		pages += 1UL << cache->order;
	discard_list(cache, &discard);
	return pages;
}

void kmem_cache_destroy(struct kmem_cache *cache)
{
	if (!cache)
		return;
	might_sleep();
	kmem_cache_shrink(cache);
	spin_lock(&cache->list_lock);
	if (cache->nr_slabs) {
		/* Leak the slabs: their objects may still be in use. */
		pr_err("kmem_cache_destroy: %s still has %lu slabs in use",
		       cache->name, cache->nr_slabs);
		spin_unlock(&cache->list_lock);
		report_misuse("destroying cache %s with live objects",
			      cache->name);
		return;
	}
	spin_unlock(&cache->list_lock);
	mutex_lock(&slab_mutex);
	list_del(&cache->list);
	mutex_unlock(&slab_mutex);
	free(cache);
}

size_t kmem_cache_size(const struct kmem_cache *cache)
{
	return cache->object_size;
}

unsigned long kmem_cache_nr_objects(struct kmem_cache *cache)
{
	long inuse = 0;
	struct page *slab;

	for (int i = 0; i < cache->nr_cpus; i++) {
		spin_lock(&cache->cpu[i].lock);
		inuse -= (long)cache->cpu[i].avail;
		spin_unlock(&cache->cpu[i].lock);
	}
	spin_lock(&cache->list_lock);
	list_for_each_entry(slab, &cache->partial, slab_list)
		inuse += slab->inuse;
	list_for_each_entry(slab, &cache->full, slab_list)
		inuse += slab->inuse;
	spin_unlock(&cache->list_lock);
	/* Objects that moved between the two looks can make it negative. */
	return inuse > 0 ? (unsigned long)inuse : 0;
}

unsigned long kmem_cache_nr_pages(struct kmem_cache *cache)
{
	unsigned long n;

	spin_lock(&cache->list_lock);
	n = cache->nr_slabs << cache->order;
	spin_unlock(&cache->list_lock);
	return n;
}

/* ------------------------------------------------------------------ */
/* kmalloc                                                               */
/* ------------------------------------------------------------------ */

static struct kmem_cache *kmalloc_slab(size_t size)
{
	for (size_t i = 0; i < ARRAY_SIZE(kmalloc_sizes); i++)
		if (size <= kmalloc_sizes[i])
			return kmalloc_caches[i];
	return NULL;
}

static unsigned int size_to_order(size_t size)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < size)
		order++;
	return order;
}

static void *do_kmalloc(size_t size, gfp_t gfp, unsigned long ip)
{
	struct kmem_cache *cache;
	struct page *page;
	unsigned int order;

	if (!size)
		return ZERO_SIZE_PTR;
	if (size <= KMALLOC_MAX_CACHE_SIZE) {
		cache = kmalloc_slab(size);
		if (unlikely(!cache))
			return NULL;
		return slab_alloc(cache, gfp, ip);
	}
	order = size_to_order(size);
	if (order > MAX_PAGE_ORDER) {
		if (!(gfp & __GFP_NOWARN))
			report_misuse("kmalloc(%zu): too large", size);
		return NULL;
	}
	page = alloc_pages_ip(gfp | __GFP_COMP, order, ip);
	if (!page)
		return NULL;
	mod_node_page_state(NR_KERNEL_MISC, 1L << order);
	return page_address(page);
}

void *kmalloc(size_t size, gfp_t gfp)
{
	return do_kmalloc(size, gfp, _RET_IP_);
}

void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return do_kmalloc(n * size, gfp | __GFP_ZERO, _RET_IP_);
}

void kfree(const void *obj)
{
	struct page *page;

	if (ZERO_OR_NULL_PTR(obj))
		return;
	if (!virt_addr_valid(obj)) {
		report_misuse("kfree(%p): not in guest RAM", obj);
		return;
	}
	page = compound_head(virt_to_page(obj));
	if (PageSlab(page)) {
		kmem_cache_free(page->slab_cache, (void *)obj);
		return;
	}
	if (obj != page_address(page) || !PageHead(page)) {
		report_misuse("kfree(%p): not a kmalloc allocation", obj);
		return;
	}
	mod_node_page_state(NR_KERNEL_MISC, -(1L << compound_order(page)));
	__free_pages(page, compound_order(page));
}

size_t ksize(const void *obj)
{
	struct page *page;

	if (ZERO_OR_NULL_PTR(obj))
		return 0;
	page = compound_head(virt_to_page(obj));
	if (PageSlab(page))
		return page->slab_cache->size;
	return PAGE_SIZE << compound_order(page);
}

int slab_init(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(kmalloc_sizes); i++) {
		char name[32];

		snprintf(name, sizeof(name), "kmalloc-%zu", kmalloc_sizes[i]);
		kmalloc_caches[i] = kmem_cache_create(name, kmalloc_sizes[i], 0,
						      0, NULL);
		if (!kmalloc_caches[i]) {
			slab_exit();
			return -ENOMEM;
		}
	}
	return 0;
}

void slab_exit(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(kmalloc_sizes); i++) {
		kmem_cache_destroy(kmalloc_caches[i]);
		kmalloc_caches[i] = NULL;
	}
}

/* ------------------------------------------------------------------ */
/* Checks                                                                */
/* ------------------------------------------------------------------ */

/* The free objects of a cache's per-CPU arrays, sorted by address. */
struct cpu_objs {
	size_t nr;
	void *objs[SLAB_MAX_CPUS * SLAB_CPU_LIMIT];
};

static int ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a;
	uintptr_t y = (uintptr_t)*(void *const *)b;

	return (x > y) - (x < y);
}

/* Index of the first of @co's objects at or above @p. */
static size_t cpu_objs_lower_bound(const struct cpu_objs *co, const void *p)
{
	size_t lo = 0, hi = co->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((uintptr_t)co->objs[mid] < (uintptr_t)p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Copy and sort the per-CPU arrays of @cache; each entry must be a free
 * object of the cache, in one slot only. Caller holds every per-CPU lock.
 */
static unsigned long collect_cpu_objs(struct kmem_cache *cache,
				      struct cpu_objs *co)
{
	unsigned long errors = 0;

	co->nr = 0;
	for (int i = 0; i < cache->nr_cpus; i++)
		for (int j = 0; j < cache->cpu[i].avail; j++)
			co->objs[co->nr++] = cache->cpu[i].entries[j];
	qsort(co->objs, co->nr, sizeof(co->objs[0]), ptr_cmp);
	for (size_t i = 0; i < co->nr; i++) {
		void *obj = co->objs[i];
		struct page *slab;

		if (!virt_addr_valid(obj) ||
		    !PageSlab(slab = compound_head(virt_to_page(obj))) ||
		    slab->slab_cache != cache) {
			pr_err("slab_check: %s: per-CPU entry %p is not an "
			       "object of the cache", cache->name, obj);
			errors++;
			continue;
		}
		if (i && obj == co->objs[i - 1]) {
			pr_err("slab_check: %s: %p in two per-CPU slots",
			       cache->name, obj);
			errors++;
		}
	}
	return errors;
}

static unsigned long check_slab(struct kmem_cache *cache, struct page *slab,
				bool on_full, const struct cpu_objs *co)
{
	unsigned long errors = 0, nfree = 0, ncpu;
	char *start = page_address(slab);
	char *end = start + cache->objects * cache->size;

	if (!PageSlab(slab) || slab->slab_cache != cache) {
		pr_err("slab_check: %s: pfn %#lx is not its slab", cache->name,
		       page_to_pfn(slab));
		return 1;
	}
	for (void *p = slab->freelist; p; p = get_freepointer(cache, p)) {
		size_t at;

		if ((char *)p < start || (char *)p >= end ||
		    ((char *)p - start) % cache->size ||
		    ++nfree > cache->objects) {
			pr_err("slab_check: %s: bad free list in pfn %#lx",
			       cache->name, page_to_pfn(slab));
			return 1;
		}
		at = cpu_objs_lower_bound(co, p);
		if (at < co->nr && co->objs[at] == p) {
			pr_err("slab_check: %s: %p both on the free list and "
			       "in a per-CPU array", cache->name, p);
			errors++;
		}
	}
	ncpu = cpu_objs_lower_bound(co, end) - cpu_objs_lower_bound(co, start);
	if (nfree + slab->inuse != slab->objects) {
		pr_err("slab_check: %s: pfn %#lx inuse %u + free %lu != %u",
		       cache->name, page_to_pfn(slab), slab->inuse, nfree,
		       slab->objects);
		errors++;
	}
	if (ncpu > slab->inuse) {
		pr_err("slab_check: %s: pfn %#lx has %lu objects in per-CPU "
		       "arrays, more than its %u in use", cache->name,
		       page_to_pfn(slab), ncpu, slab->inuse);
		errors++;
	}
#if BALLAST_DEBUG
	{
		unsigned long marked = 0;

		for (unsigned int i = 0; i < slab->objects; i++)
			marked += free_map_test(slab, i);
		if (marked != nfree + ncpu) {
			pr_err("slab_check: %s: pfn %#lx has %lu objects marked "
			       "free, %lu free", cache->name,
			       page_to_pfn(slab), marked, nfree + ncpu);
			errors++;
		}
	}
#endif
	if (on_full != (nfree == 0)) {
		pr_err("slab_check: %s: pfn %#lx on the wrong list",
		       cache->name, page_to_pfn(slab));
		errors++;
	}
	return errors;
}

unsigned long slab_check(void)
{
	static struct cpu_objs co;	/* slab_mutex */
	struct kmem_cache *cache;
	unsigned long errors = 0;

	mutex_lock(&slab_mutex);
	list_for_each_entry(cache, &slab_caches, list) {
		struct page *slab;
		unsigned long nr = 0;

		/* Objects only move between places under these locks. */
		for (int i = 0; i < cache->nr_cpus; i++)
			spin_lock_nested(&cache->cpu[i].lock, (unsigned int)i);
		spin_lock(&cache->list_lock);
		errors += collect_cpu_objs(cache, &co);
		list_for_each_entry(slab, &cache->partial, slab_list) {
			errors += check_slab(cache, slab, false, &co);
			nr++;
		}
		list_for_each_entry(slab, &cache->full, slab_list) {
			errors += check_slab(cache, slab, true, &co);
			nr++;
		}
		if (nr != cache->nr_slabs) {
			pr_err("slab_check: %s: %lu slabs listed, %lu counted",
			       cache->name, nr, cache->nr_slabs);
			errors++;
		}
		spin_unlock(&cache->list_lock);
		for (int i = cache->nr_cpus; i-- > 0;)
			spin_unlock(&cache->cpu[i].lock);
	}
	mutex_unlock(&slab_mutex);
	return errors;
}
