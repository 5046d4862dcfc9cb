// SPDX-License-Identifier: MIT
/*
 * graph.c - the validator's global tables: lock classes, the dependency
 * graph (edges between classes, with the stack where each was first seen),
 * the chain cache, and the cycle search run once per new edge.
 *
 * Invariants and locking:
 *  - ld_graph_lock (a pthread mutex, internal to the engine: nothing called
 *    under it uses a ballast lock or re-enters the validator) serialises
 *    every writer of these tables.
 *  - A class, once published in the class hash, never changes (but for
 *    first_out) and is never freed: class pointers are valid forever and
 *    may be cached in lockdep_map.class_cache and in held-lock entries.
 *  - Edges are appended, never removed (but by ld_graph_reset(), which
 *    callers run quiescent). An edge is unique per (from, to); its dep bits
 *    only grow. Every edge is on its from-class's out list.
 *  - Each dependency type of an edge is checked for a cycle exactly once,
 *    when its bit is first set, under ld_graph_lock. A new type on an edge
 *    of a known cycle may find that cycle again; report.c reports each
 *    cycle of classes once.
 *  - The class, edge and chain hashes are open-addressed tables whose slot
 *    keys are published with a release store after the value: readers on
 *    the fast path look them up without the lock. A chain key is inserted
 *    only after every edge it stands for exists.
 *  - Every table is bounded. Reaching the bound of the class, edge or
 *    stack table is reported once (kind "limit": dependencies may be missed
 *    from then on); after that the table stops growing and the validator
 *    goes on with what it has: never corrupted, never silently. The chain
 *    table is only a cache of contexts already checked: when it is full a
 *    notice is logged once and new contexts are checked edge by edge (one
 *    hash look-up per held lock), so nothing is missed and no report is
 *    made.
 * No function here sleeps (the mutex is held for bounded work) or calls
 * ballast's allocator; the tables are static (untouched pages cost
 * nothing).
 */
#include "internal.h"

#include <string.h>

#if BALLAST_LOCKDEP

pthread_mutex_t ld_graph_lock = PTHREAD_MUTEX_INITIALIZER;

struct ld_slot {
	_Atomic(uint64_t) key;		/* 0: empty */
	_Atomic(uint32_t) idx;
};

#define CLASS_HASH_SIZE (2 * LD_MAX_CLASSES)
#define EDGE_HASH_SIZE (2 * LD_MAX_EDGES)
#define CHAIN_HASH_SIZE (2 * LD_MAX_CHAINS)

static struct ld_class classes[LD_MAX_CLASSES];
static _Atomic(uint32_t) nr_classes;
static struct ld_slot class_hash[CLASS_HASH_SIZE];

static struct ld_edge edges[LD_MAX_EDGES];
static _Atomic(uint32_t) nr_edges;
static struct ld_slot edge_hash[EDGE_HASH_SIZE];

static _Atomic(uint64_t) chain_hash[CHAIN_HASH_SIZE];
static _Atomic(uint32_t) nr_chains;

static unsigned long stack_pool[LD_MAX_STACK_ENTRIES];
static _Atomic(uint32_t) nr_stack_entries;

static _Atomic(uint32_t) max_classes = LD_MAX_CLASSES;
static _Atomic(uint32_t) max_edges = LD_MAX_EDGES;
static _Atomic(uint32_t) max_chains = LD_MAX_CHAINS;

/* Cycle search state: ld_graph_lock. */
static uint32_t bfs_gen;
static uint32_t bfs_seen[LD_MAX_CLASSES][2];
static uint32_t bfs_parent[LD_MAX_CLASSES][2];	/* edge id */
static uint8_t bfs_parent_state[LD_MAX_CLASSES][2];
static uint32_t bfs_queue[2 * LD_MAX_CLASSES];

static _Atomic(bool) chain_full_noted;

static void ld_chain_full_notice(uint32_t n)
{
	if (!atomic_exchange(&chain_full_noted, true))
		pr_info("lockdep: chain cache full at %u contexts; new contexts "
			"are checked edge by edge from now on (nothing is "
			"missed, only slower)", n);
}

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static uint32_t slot_lookup(struct ld_slot *table, size_t size, uint64_t key)
{
	size_t mask = size - 1;

	for (size_t i = mix64(key) & mask, n = 0; n < size;
	     i = (i + 1) & mask, n++) {
		uint64_t k = atomic_load_explicit(&table[i].key,
						  memory_order_acquire);

		if (k == key)
			return atomic_load_explicit(&table[i].idx,
						    memory_order_relaxed);
		if (!k)
			return LD_NONE;
	}
	return LD_NONE;
}

/* ld_graph_lock held; the table is never more than half full. */
static void slot_insert(struct ld_slot *table, size_t size, uint64_t key,
			uint32_t idx)
{
	size_t mask = size - 1;

	for (size_t i = mix64(key) & mask;; i = (i + 1) & mask) {
		if (!atomic_load_explicit(&table[i].key,
					  memory_order_relaxed)) {
			atomic_store_explicit(&table[i].idx, idx,
					      memory_order_relaxed);
			atomic_store_explicit(&table[i].key, key,
					      memory_order_release);
			return;
		}
	}
}

static uint64_t class_hash_key(const void *key, unsigned int subclass)
{
	return ((uint64_t)(uintptr_t)key << 3) | subclass;
}

static uint64_t edge_hash_key(uint32_t from, uint32_t to)
{
	return ((uint64_t)from << 32 | to) + 1;
}

struct ld_class *ld_class_by_id(uint32_t id)
{
	return &classes[id];
}

struct ld_edge *ld_edge_by_id(uint32_t id)
{
	return &edges[id];
}

struct ld_class *ld_class_get(struct lockdep_map *map, unsigned int subclass)
{
	const void *key = map->key ? (const void *)map->key : (const void *)map;
	uint64_t hk = class_hash_key(key, subclass);
	struct ld_class *c;
	uint32_t idx, n;

	c = atomic_load_explicit(&map->class_cache[subclass],
				 memory_order_acquire);
	if (likely(c))
		return c;
	idx = slot_lookup(class_hash, CLASS_HASH_SIZE, hk);
	if (idx == LD_NONE) {
		pthread_mutex_lock(&ld_graph_lock);
		idx = slot_lookup(class_hash, CLASS_HASH_SIZE, hk);
		if (idx == LD_NONE) {
			n = atomic_load_explicit(&nr_classes,
						 memory_order_relaxed);
			if (n >= atomic_load_explicit(&max_classes,
						      memory_order_relaxed)) {
				pthread_mutex_unlock(&ld_graph_lock);
				ld_limit_report("class", n);
				return NULL;
			}
			c = &classes[n];
			c->id = n;
			c->subclass = (uint8_t)subclass;
			c->kind = (uint8_t)map->kind;
			c->key = key;
			snprintf(c->name, sizeof(c->name), "%s",
				 map->name ? map->name : "(unnamed)");
			c->file = map->file;
			c->line = map->line;
			c->first_out = LD_NONE;
			atomic_store_explicit(&nr_classes, n + 1,
					      memory_order_release);
			slot_insert(class_hash, CLASS_HASH_SIZE, hk, n);
			idx = n;
		}
		pthread_mutex_unlock(&ld_graph_lock);
	}
	c = &classes[idx];
	atomic_store_explicit(&map->class_cache[subclass], c,
			      memory_order_release);
	return c;
}

bool ld_edge_known(struct ld_class *from, struct ld_class *to,
		   unsigned int dep)
{
	uint32_t idx = slot_lookup(edge_hash, EDGE_HASH_SIZE,
				   edge_hash_key(from->id, to->id));

	return idx != LD_NONE &&
	       (atomic_load_explicit(&edges[idx].dep, memory_order_relaxed) &
		dep);
}

bool ld_chain_known(uint64_t key)
{
	size_t mask = CHAIN_HASH_SIZE - 1;

	key = key ? key : 1;
	for (size_t i = key & mask, n = 0; n < CHAIN_HASH_SIZE;
	     i = (i + 1) & mask, n++) {
		uint64_t k = atomic_load_explicit(&chain_hash[i],
						  memory_order_acquire);

		if (k == key)
			return true;
		if (!k)
			return false;
	}
	return false;
}

void ld_chain_add(uint64_t key)
{
	size_t mask = CHAIN_HASH_SIZE - 1;
	uint32_t n = atomic_load_explicit(&nr_chains, memory_order_relaxed);

	if (n >= atomic_load_explicit(&max_chains, memory_order_relaxed)) {
		ld_chain_full_notice(n);
		return;
	}
	key = key ? key : 1;
	for (size_t i = key & mask;; i = (i + 1) & mask) {
		uint64_t k = atomic_load_explicit(&chain_hash[i],
						  memory_order_acquire);

		if (k == key)
			return;
		if (!k) {
			uint64_t zero = 0;

			if (atomic_compare_exchange_strong_explicit(
				    &chain_hash[i], &zero, key,
				    memory_order_release,
				    memory_order_acquire)) {
				atomic_fetch_add_explicit(&nr_chains, 1,
							  memory_order_relaxed);
				return;
			}
			if (zero == key)
				return;
		}
	}
}

/*
 * Breadth-first search for a strong path @start ~> @goal (lockdep's rule:
 * no edge that ends in a recursive read followed by one that starts from a
 * shared hold), such that closing it with the new edge @goal -(@dep)->
 * @start gives a strong cycle. State per class: reached through an edge
 * ending in a recursive read (1) or not (0); state 0 dominates.
 * ld_graph_lock held. Returns the path's length in edges, 0 if none; the
 * first min(length, @max_path) edge ids from @start are written to @path.
 */
static unsigned int bfs_find(uint32_t start, uint32_t goal, unsigned int dep,
			     uint32_t *path, unsigned int max_path)
{
	bool goal_shared = dep & (LD_DEP_SN | LD_DEP_SR);
	unsigned int head = 0, tail = 0, len = 0;
	uint32_t found = LD_NONE, found_state = 0;
	uint32_t st;

	if (++bfs_gen == 0) {
		memset(bfs_seen, 0, sizeof(bfs_seen));
		bfs_gen = 1;
	}
	st = (dep & (LD_DEP_ER | LD_DEP_SR)) ? 1 : 0;
	bfs_seen[start][st] = bfs_gen;
	bfs_parent[start][st] = LD_NONE;
	bfs_queue[tail++] = start << 1 | st;
	while (head < tail && found == LD_NONE) {
		uint32_t v = bfs_queue[head] >> 1, in_r = bfs_queue[head] & 1;

		head++;
		for (uint32_t e = classes[v].first_out; e != LD_NONE;
		     e = edges[e].next_out) {
			unsigned int allowed = atomic_load_explicit(
				&edges[e].dep, memory_order_relaxed);
			uint32_t w = edges[e].to, ns;

			if (in_r)
				allowed &= LD_DEP_FROM_E;
			if (!allowed)
				continue;
			ns = (allowed & LD_DEP_TO_N) ? 0 : 1;
			if (bfs_seen[w][0] == bfs_gen ||
			    (ns && bfs_seen[w][1] == bfs_gen))
				continue;
			bfs_seen[w][ns] = bfs_gen;
			bfs_parent[w][ns] = e;
			bfs_parent_state[w][ns] = (uint8_t)in_r;
			if (w == goal) {
				if (!ns || !goal_shared) {
					found = w;
					found_state = ns;
					break;
				}
				continue;	/* weak closure; do not expand */
			}
			bfs_queue[tail++] = w << 1 | ns;
		}
	}
	if (found == LD_NONE)
		return 0;
	/* Walk back from the goal; count first, then fill in order. */
	for (uint32_t v = found, s = found_state; bfs_parent[v][s] != LD_NONE;) {
		uint32_t e = bfs_parent[v][s];

		s = bfs_parent_state[v][s];
		v = edges[e].from;
		len++;
	}
	{
		unsigned int n = min(len, max_path), i = len;

		for (uint32_t v = found, s = found_state;
		     bfs_parent[v][s] != LD_NONE;) {
			uint32_t e = bfs_parent[v][s];

			i--;
			if (i < n)
				path[i] = e;
			s = bfs_parent_state[v][s];
			v = edges[e].from;
		}
		return len;
	}
}

static uint32_t stack_store(const unsigned long *stack, unsigned int nr)
{
	uint32_t used = atomic_load_explicit(&nr_stack_entries,
					     memory_order_relaxed);

	if (!nr)
		return LD_NONE;
	if (used + nr > LD_MAX_STACK_ENTRIES) {
		ld_limit_report("stack trace", LD_MAX_STACK_ENTRIES);
		return LD_NONE;
	}
	memcpy(&stack_pool[used], stack, nr * sizeof(*stack));
	atomic_store_explicit(&nr_stack_entries, used + nr,
			      memory_order_relaxed);
	return used;
}

unsigned int ld_edge_add(struct ld_class *from, struct ld_class *to,
			 unsigned int dep, enum ld_via via,
			 unsigned long from_ip, unsigned long to_ip,
			 const char *task, const unsigned long *stack,
			 unsigned int nr_stack, uint32_t *cycle,
			 unsigned int max_cycle, bool *full)
{
	uint64_t hk = edge_hash_key(from->id, to->id);
	struct ld_edge *e;
	unsigned int nr = 0;
	uint32_t idx, n;

	*full = false;
	pthread_mutex_lock(&ld_graph_lock);
	idx = slot_lookup(edge_hash, EDGE_HASH_SIZE, hk);
	if (idx != LD_NONE) {
		e = &edges[idx];
		if (atomic_fetch_or_explicit(&e->dep, (uint8_t)dep,
					     memory_order_relaxed) & dep)
			goto out;	/* another task added it meanwhile */
	} else {
		n = atomic_load_explicit(&nr_edges, memory_order_relaxed);
		if (n >= atomic_load_explicit(&max_edges,
					      memory_order_relaxed)) {
			pthread_mutex_unlock(&ld_graph_lock);
			ld_limit_report("dependency", n);
			*full = true;
			return 0;
		}
		idx = n;
		e = &edges[idx];
		e->from = from->id;
		e->to = to->id;
		atomic_store_explicit(&e->dep, (uint8_t)dep,
				      memory_order_relaxed);
		e->via = (uint8_t)via;
		e->from_ip = from_ip;
		e->to_ip = to_ip;
		snprintf(e->task, sizeof(e->task), "%s", task);
		e->stack = stack_store(stack, nr_stack);
		e->nr_stack = e->stack == LD_NONE ? 0 : (uint16_t)nr_stack;
		e->next_out = from->first_out;
		from->first_out = idx;
		atomic_store_explicit(&nr_edges, n + 1, memory_order_relaxed);
		slot_insert(edge_hash, EDGE_HASH_SIZE, hk, idx);
	}
	if (from == to) {
		/* Same class: the caller decides; report the edge itself. */
		cycle[0] = idx;
		nr = 1;
		goto out;
	}
	if (max_cycle < 2)
		goto out;
	nr = bfs_find(to->id, from->id, dep, cycle + 1, max_cycle - 1);
	if (nr) {
		cycle[0] = idx;
		nr++;
	}
out:
	pthread_mutex_unlock(&ld_graph_lock);
	return nr;
}

unsigned int ld_edge_stack(const struct ld_edge *edge,
			   const unsigned long **entries)
{
	if (edge->stack == LD_NONE) {
		*entries = NULL;
		return 0;
	}
	*entries = &stack_pool[edge->stack];
	return edge->nr_stack;
}

void ld_graph_reset(void)
{
	uint32_t n;

	pthread_mutex_lock(&ld_graph_lock);
	n = atomic_load_explicit(&nr_classes, memory_order_relaxed);
	for (uint32_t i = 0; i < n; i++)
		classes[i].first_out = LD_NONE;
	for (size_t i = 0; i < EDGE_HASH_SIZE; i++) {
		atomic_store_explicit(&edge_hash[i].key, 0,
				      memory_order_relaxed);
		atomic_store_explicit(&edge_hash[i].idx, 0,
				      memory_order_relaxed);
	}
	for (size_t i = 0; i < CHAIN_HASH_SIZE; i++)
		atomic_store_explicit(&chain_hash[i], 0, memory_order_relaxed);
	atomic_store_explicit(&nr_edges, 0, memory_order_relaxed);
	atomic_store_explicit(&nr_chains, 0, memory_order_relaxed);
	atomic_store_explicit(&nr_stack_entries, 0, memory_order_relaxed);
	atomic_store(&chain_full_noted, false);
	pthread_mutex_unlock(&ld_graph_lock);
}

void ld_graph_stats(struct lockdep_stats *stats)
{
	stats->nr_classes = atomic_load(&nr_classes);
	stats->max_classes = atomic_load(&max_classes);
	stats->nr_edges = atomic_load(&nr_edges);
	stats->max_edges = atomic_load(&max_edges);
	stats->nr_chains = atomic_load(&nr_chains);
	stats->max_chains = atomic_load(&max_chains);
	stats->nr_stack_entries = atomic_load(&nr_stack_entries);
	stats->max_stack_entries = LD_MAX_STACK_ENTRIES;
}

static uint32_t clamp_limit(unsigned long v, uint32_t max)
{
	return (v == 0 || v > max) ? max : (uint32_t)v;
}

void ld_graph_set_limits(unsigned long classes_max, unsigned long edges_max,
			 unsigned long chains_max)
{
	atomic_store(&max_classes, clamp_limit(classes_max, LD_MAX_CLASSES));
	atomic_store(&max_edges, clamp_limit(edges_max, LD_MAX_EDGES));
	atomic_store(&max_chains, clamp_limit(chains_max, LD_MAX_CHAINS));
}

#endif /* BALLAST_LOCKDEP */
