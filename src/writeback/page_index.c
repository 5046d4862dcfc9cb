// SPDX-License-Identifier: MIT
/*
 * page_index.c - the page cache's index: a radix tree of 64-way nodes, in
 * the shape of Linux's radix tree / xarray, with two tags per entry
 * (dirty, writeback) summarised up the tree so the flusher finds dirty
 * pages in index order without visiting clean ones.
 *
 * Invariants and locking:
 *  - The root node covers indices [0, 64 << root->shift); a node of shift
 *    s holds children of shift s - 6, leaves (shift 0) hold entries.
 *  - node->count is its number of non-NULL slots; an empty node is freed
 *    at once (only the root may be alone); child->parent/offset name the
 *    slot holding it; the root has no parent.
 *  - Tag bit t of slot i of a leaf is set only on a present entry; of an
 *    inner node, iff the child at i has any bit t set.
 *  - The tree has no lock of its own: its owner's lock (the mapping's
 *    i_pages_lock, a spinlock) protects every call. Nodes come from the
 *    page_index_node slab (guest RAM) and are allocated only by
 *    page_index_preload(), *before* the caller takes its lock; inserting
 *    consumes preloaded nodes; deleting returns nodes on a list the caller
 *    frees after unlocking. Nothing here allocates or sleeps.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

static struct kmem_cache *pi_node_cache;

int page_index_cache_init(void)
{
	pi_node_cache = kmem_cache_create("page_index_node",
					  sizeof(struct pi_node), 0,
					  SLAB_RECLAIM_ACCOUNT, NULL);
	return pi_node_cache ? 0 : -ENOMEM;
}

void page_index_cache_destroy(void)
{
	if (pi_node_cache)
		kmem_cache_destroy(pi_node_cache);
	pi_node_cache = NULL;
}

static bool covers(unsigned int shift, pgoff_t index)
{
	return shift + PI_SHIFT >= 64 || (index >> (shift + PI_SHIFT)) == 0;
}

static unsigned int shift_for(pgoff_t index)
{
	unsigned int shift = 0;

	while (!covers(shift, index))
		shift += PI_SHIFT;
	return shift;
}

int page_index_nodes_needed(struct page_index *pi, pgoff_t index)
{
	struct pi_node *node = pi->root;
	unsigned int need = shift_for(index);

	if (!node)
		return (int)(need / PI_SHIFT) + 1;
	if (node->shift < need)	/* new top levels, then a new path below */
		return (int)((need - node->shift) / PI_SHIFT +
			     need / PI_SHIFT);
	while (node->shift > 0) {
		struct pi_node *child =
			node->slots[(index >> node->shift) & PI_MASK];

		if (!child)
			return node->shift / PI_SHIFT;
		node = child;
	}
	return 0;
}

int page_index_preload(struct pi_preload *pl, int nr, gfp_t gfp)
{
	if (nr > (int)ARRAY_SIZE(pl->nodes))
		nr = ARRAY_SIZE(pl->nodes);
	while (pl->nr < nr) {
		struct pi_node *node = kmem_cache_alloc(pi_node_cache,
							gfp | __GFP_ZERO);

		if (!node)
			return -ENOMEM;
		pl->nodes[pl->nr++] = node;
	}
	return 0;
}

void page_index_preload_end(struct pi_preload *pl)
{
	while (pl->nr > 0)
		kmem_cache_free(pi_node_cache, pl->nodes[--pl->nr]);
}

static struct pi_node *take_node(struct pi_preload *pl)
{
	struct pi_node *node = pl->nodes[--pl->nr];

	memset(node, 0, sizeof(*node));
	return node;
}

static void push_freed(struct pi_node **freed, struct pi_node *node)
{
	node->slots[0] = *freed;
	*freed = node;
}

void page_index_free_nodes(struct pi_node *freed)
{
	while (freed) {
		struct pi_node *next = freed->slots[0];

		kmem_cache_free(pi_node_cache, freed);
		freed = next;
	}
}

static struct pi_node *leaf_of(struct page_index *pi, pgoff_t index)
{
	struct pi_node *node = pi->root;

	if (!node || !covers(node->shift, index))
		return NULL;
	while (node && node->shift > 0)
		node = node->slots[(index >> node->shift) & PI_MASK];
	return node;
}

void *page_index_lookup(struct page_index *pi, pgoff_t index)
{
	struct pi_node *leaf = leaf_of(pi, index);

	return leaf ? leaf->slots[index & PI_MASK] : NULL;
}

bool page_index_replace(struct page_index *pi, pgoff_t index, void *old,
			void *entry)
{
	struct pi_node *leaf = leaf_of(pi, index);

	if (!leaf || leaf->slots[index & PI_MASK] != old || !entry)
		return false;
	leaf->slots[index & PI_MASK] = entry;	/* tags stay with the slot */
	return true;
}

int page_index_insert(struct page_index *pi, pgoff_t index, void *entry,
		      struct pi_preload *pl)
{
	unsigned int need = shift_for(index);
	struct pi_node *node;

	if (page_index_nodes_needed(pi, index) > pl->nr)
		return -ENOMEM;
	if (!pi->root) {
		node = take_node(pl);
		node->shift = (uint8_t)need;
		pi->root = node;
	}
	while (((struct pi_node *)pi->root)->shift < need) {
		struct pi_node *old = pi->root;

		node = take_node(pl);
		node->shift = (uint8_t)(old->shift + PI_SHIFT);
		node->slots[0] = old;
		node->count = 1;
		for (int t = 0; t < PAGECACHE_TAG_MAX; t++)
			if (old->tags[t])
				node->tags[t] = 1;
		old->parent = node;
		old->offset = 0;
		pi->root = node;
	}
	node = pi->root;
	while (node->shift > 0) {
		unsigned int off = (index >> node->shift) & PI_MASK;
		struct pi_node *child = node->slots[off];

		if (!child) {
			child = take_node(pl);
			child->shift = (uint8_t)(node->shift - PI_SHIFT);
			child->parent = node;
			child->offset = (uint8_t)off;
			node->slots[off] = child;
			node->count++;
		}
		node = child;
	}
	if (node->slots[index & PI_MASK])
		return -EEXIST;
	node->slots[index & PI_MASK] = entry;
	node->count++;
	return 0;
}

/* Clear tag bit @off of @node and summarise the change up the tree. */
static void tag_clear_node(struct pi_node *node, unsigned int off, int tag)
{
	while (node) {
		node->tags[tag] &= ~(1ULL << off);
		if (node->tags[tag])
			return;
		off = node->offset;
		node = node->parent;
	}
}

void *page_index_delete(struct page_index *pi, pgoff_t index,
			struct pi_node **freed)
{
	struct pi_node *node = leaf_of(pi, index), *root;
	unsigned int off = index & PI_MASK;
	void *entry;

	if (!node || !node->slots[off])
		return NULL;
	entry = node->slots[off];
	for (int t = 0; t < PAGECACHE_TAG_MAX; t++)
		if (node->tags[t] & (1ULL << off))
			tag_clear_node(node, off, t);
	node->slots[off] = NULL;
	node->count--;
	while (node && node->count == 0) {
		struct pi_node *parent = node->parent;

		if (parent) {
			for (int t = 0; t < PAGECACHE_TAG_MAX; t++)
				if (parent->tags[t] & (1ULL << node->offset))
					tag_clear_node(parent, node->offset, t);
			parent->slots[node->offset] = NULL;
			parent->count--;
		} else {
			pi->root = NULL;
		}
		push_freed(freed, node);
		node = parent;
	}
	/* Shrink: a root whose only child is at slot 0 is not needed. */
	root = pi->root;
	while (root && root->shift > 0 && root->count == 1 && root->slots[0]) {
		struct pi_node *child = root->slots[0];

		child->parent = NULL;
		child->offset = 0;
		pi->root = child;
		push_freed(freed, root);
		root = child;
	}
	return entry;
}

void page_index_tag_set(struct page_index *pi, pgoff_t index, int tag)
{
	struct pi_node *node = pi->root;

	if (!node || !covers(node->shift, index))
		return;
	for (;;) {
		unsigned int off = (index >> node->shift) & PI_MASK;

		if (!node->slots[off])
			return;		/* no entry: nothing to tag */
		node->tags[tag] |= 1ULL << off;
		if (node->shift == 0)
			return;
		node = node->slots[off];
	}
}

void page_index_tag_clear(struct page_index *pi, pgoff_t index, int tag)
{
	struct pi_node *leaf = leaf_of(pi, index);

	if (leaf && (leaf->tags[tag] & (1ULL << (index & PI_MASK))))
		tag_clear_node(leaf, index & PI_MASK, tag);
}

bool page_index_tag_get(struct page_index *pi, pgoff_t index, int tag)
{
	struct pi_node *leaf = leaf_of(pi, index);

	return leaf && (leaf->tags[tag] & (1ULL << (index & PI_MASK)));
}

bool page_index_tagged(struct page_index *pi, int tag)
{
	struct pi_node *root = pi->root;

	return root && root->tags[tag];
}

bool page_index_last_tagged(struct page_index *pi, int tag, pgoff_t *index)
{
	struct pi_node *node = pi->root;
	pgoff_t base = 0;

	if (!node || !node->tags[tag])
		return false;
	for (;;) {
		/* A set inner bit means a tagged entry below it. */
		unsigned int off = 63u - (unsigned int)__builtin_clzll(
						 node->tags[tag]);

		base += (pgoff_t)off << node->shift;
		if (node->shift == 0)
			break;
		node = node->slots[off];
	}
	*index = base;
	return true;
}

static void *next_entry(struct pi_node *node, pgoff_t base, pgoff_t start,
			int tag, pgoff_t *found)
{
	unsigned int off = 0;

	if (start > base)
		off = (unsigned int)((start - base) >> node->shift);
	for (; off < PI_SLOTS; off++) {
		void *slot = node->slots[off];
		pgoff_t child_base = base + ((pgoff_t)off << node->shift);
		void *e;

		if (!slot)
			continue;
		if (tag >= 0 && !(node->tags[tag] & (1ULL << off)))
			continue;
		if (node->shift == 0) {
			*found = child_base;
			return slot;
		}
		e = next_entry(slot, child_base, start, tag, found);
		if (e)
			return e;
	}
	return NULL;
}

unsigned int page_index_gang_lookup(struct page_index *pi, pgoff_t start,
				    int tag, void **entries,
				    pgoff_t *indices, unsigned int max)
{
	struct pi_node *root = pi->root;
	unsigned int n = 0;

	if (!root)
		return 0;
	while (n < max && covers(root->shift, start)) {
		pgoff_t idx;
		void *e = next_entry(root, 0, start, tag, &idx);

		if (!e)
			break;
		entries[n] = e;
		if (indices)
			indices[n] = idx;
		n++;
		start = idx + 1;
		if (!start)
			break;
	}
	return n;
}

struct check_ctx {
	unsigned long errors;
	void (*fn)(pgoff_t index, void *entry, void *arg);
	void *arg;
};

static void check_fail(struct check_ctx *c, const char *what, pgoff_t index)
{
	if (c->errors++ < 10)
		pr_err("page_index_check: index %#lx: %s", index, what);
}

/* Returns the node's own tag summary bits (any tag t set below). */
static unsigned int check_node(struct check_ctx *c, struct pi_node *node,
			       pgoff_t base, int depth)
{
	unsigned int count = 0, summary = 0;

	if (depth > PI_MAX_LEVELS) {
		check_fail(c, "tree too deep", base);
		return 0;
	}
	for (unsigned int off = 0; off < PI_SLOTS; off++) {
		void *slot = node->slots[off];
		pgoff_t idx = base + ((pgoff_t)off << node->shift);

		for (int t = 0; t < PAGECACHE_TAG_MAX; t++) {
			bool bit = node->tags[t] & (1ULL << off);

			if (bit && !slot)
				check_fail(c, "tag on an empty slot", idx);
			if (bit)
				summary |= 1u << t;
		}
		if (!slot)
			continue;
		count++;
		if (node->shift == 0) {
			if (c->fn)
				c->fn(idx, slot, c->arg);
			continue;
		} else {
			struct pi_node *child = slot;
			unsigned int below;

			if (child->parent != node || child->offset != off ||
			    child->shift + PI_SHIFT != node->shift)
				check_fail(c, "child links broken", idx);
			below = check_node(c, child, idx, depth + 1);
			for (int t = 0; t < PAGECACHE_TAG_MAX; t++) {
				bool bit = node->tags[t] & (1ULL << off);

				if (bit != !!(below & (1u << t)))
					check_fail(c, "tag summary differs "
						   "from child", idx);
			}
		}
	}
	if (count != node->count)
		check_fail(c, "node count differs from slots", base);
	if (!count)
		check_fail(c, "empty node kept", base);
	return summary;
}

unsigned long page_index_check(struct page_index *pi,
			       void (*fn)(pgoff_t index, void *entry,
					  void *arg),
			       void *arg)
{
	struct check_ctx c = { .fn = fn, .arg = arg };
	struct pi_node *root = pi->root;

	if (!root)
		return 0;
	if (root->parent)
		check_fail(&c, "root has a parent", 0);
	check_node(&c, root, 0, 0);
	return c.errors;
}
