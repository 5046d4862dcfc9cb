// SPDX-License-Identifier: MIT
/*
 * ring_driver.c - the driver half of split virtqueues: rings in guest RAM
 * from the page allocator, adding scatter lists (direct or through an
 * indirect table), kicking, harvesting used buffers, callback control,
 * and taking buffers back when the device is gone.
 *
 * Invariants and locking:
 *  - vq->lock (spinlock, class "virtqueue->lock", a leaf in
 *    docs/locking.md) protects every field below it in struct virtqueue
 *    and every ring write the driver makes. broken is also read without
 *    the lock (atomic). No allocation, no freeing and no callback under
 *    the lock: indirect tables are allocated before it is taken and freed
 *    after it is released (kfree takes slab locks).
 *  - Descriptors: num_free + the descriptors of every chain in flight =
 *    num. The free list and the links of chains in flight live in
 *    next_free[], driver memory the device cannot write, so a hostile
 *    device cannot corrupt the driver's own lists by scribbling on the
 *    descriptor table. desc_state[head].data != NULL exactly for the heads
 *    in flight; nr_inflight counts them.
 *  - avail_idx_shadow is the index last published in avail->idx (release
 *    store after the ring entry and descriptors); last_used_idx is the
 *    next used entry to harvest. Index arithmetic is modulo 2^16.
 *  - The used ring is device-written and untrusted: a used index more
 *    than nr_inflight ahead, or a used id that is not a head in flight,
 *    breaks the queue (logged once); the length is clamped to the chain's
 *    writable size.
 *  - Notification is the driver's half of the Dekker pairs of internal.h:
 *    kick_prepare stores avail->idx again (sequentially consistent) before
 *    reading avail_event (EVENT_IDX) or used->flags; enable_cb and get_buf
 *    store used_event or avail->flags (sequentially consistent) before
 *    reading used->idx. The device half does the mirror image.
 *  - Everything lives in guest RAM, as in the kernel: the ring in pages
 *    of its own (alloc_pages), indirect tables, this struct, desc_state
 *    and next_free in kmalloc memory. Only the ring and indirect tables
 *    are ever shown to the device.
 * Entry points that may sleep: vring_create_virtqueue() and
 * virtqueue_add_*() (in their allocation, if gfp allows). Nothing else
 * sleeps.
 */
#include "internal.h"

#include <errno.h>
#include <ballast/alloc.h>
#include <ballast/page.h>
#include <ballast/slab.h>

struct vring_desc_state {
	void *data;			/* token; NULL: not a head in flight */
	struct vring_desc *indir;	/* indirect table (kmalloc), or NULL */
	uint16_t ndescs;		/* descriptors of the main table */
	uint16_t avail_pos;		/* avail index it was published at */
	bool done;			/* virtqueue_prepare_restart() only */
	uint32_t in_len;		/* device-writable bytes */
};

struct virtqueue {
	spinlock_t lock;
	/* immutable after creation */
	struct vring vring;
	unsigned int index;
	const char *name;
	vq_callback_fn callback;
	vq_notify_fn notify;
	bool event_idx, indirect;
	struct page *ring_page;
	unsigned int ring_order;
	size_t ring_bytes;
	/* set by the transport before the queue is used */
	struct virtio_device *vdev;
	void *priv;
	/* atomic */
	_Atomic(bool) broken;
	/* lock */
	unsigned int num_free;
	unsigned int nr_inflight;
	uint16_t free_head;
	uint16_t avail_idx_shadow;
	uint16_t num_added;
	uint16_t last_used_idx;
	uint16_t avail_flags_shadow;
	struct vring_desc_state *desc_state;
	uint16_t *next_free;
	uint32_t *scratch;		/* sort keys of prepare_restart */
};

static unsigned int order_for(size_t bytes)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < bytes)
		order++;
	return order;
}

static bool in_guest_ram(const void *addr, size_t len)
{
	size_t ram = page_ram_bytes(), off;

	if (!len || (const char *)addr < ram_base)
		return false;
	off = (size_t)((const char *)addr - ram_base);
	return off < ram && len <= ram - off;
}

static void vq_break(struct virtqueue *vq, const char *why, unsigned int v)
{
	if (!atomic_exchange(&vq->broken, true))
		pr_err_ratelimited("virtqueue %s: %s (%u); queue broken",
				   vq->name, why, v);
}

static void vq_reset_state(struct virtqueue *vq)
{
	unsigned int num = vq->vring.num;

	for (unsigned int i = 0; i < num; i++) {
		vq->next_free[i] = (uint16_t)(i + 1);
		vq->desc_state[i] = (struct vring_desc_state){ 0 };
	}
	vq->free_head = 0;
	vq->num_free = num;
	vq->nr_inflight = 0;
	vq->avail_idx_shadow = 0;
	vq->num_added = 0;
	vq->last_used_idx = 0;
	vq->avail_flags_shadow = 0;
	atomic_store(&vq->broken, false);
}

int vring_create_virtqueue(unsigned int index, unsigned int num,
			   uint64_t features, vq_notify_fn notify,
			   vq_callback_fn callback, const char *name, gfp_t gfp,
			   struct virtqueue **vqp)
{
	const unsigned long align = 64;	/* avail and used on own lines */
	struct virtqueue *vq;
	size_t bytes;
	unsigned int order;

	if (!num || num > VIRTQUEUE_MAX_SIZE || (num & (num - 1)) || !notify)
		return -EINVAL;
	bytes = vring_size(num, align);
	order = order_for(bytes);
	if (order > MAX_PAGE_ORDER)
		return -EINVAL;

	vq = kzalloc(sizeof(*vq), gfp);
	if (!vq)
		return -ENOMEM;
	vq->desc_state = kcalloc(num, sizeof(*vq->desc_state), gfp);
	vq->next_free = kcalloc(num, sizeof(*vq->next_free), gfp);
	vq->scratch = kcalloc(num, sizeof(*vq->scratch), gfp);
	if (!vq->desc_state || !vq->next_free || !vq->scratch)
		goto fail;
	vq->ring_page = alloc_pages(gfp | __GFP_ZERO, order);
	if (!vq->ring_page)
		goto fail;
	vq->ring_order = order;
	vq->ring_bytes = bytes;
	vring_init(&vq->vring, num, page_address(vq->ring_page), align);

	spin_lock_init(&vq->lock);
	vq->index = index;
	vq->name = name;
	vq->callback = callback;
	vq->notify = notify;
	vq->event_idx = features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	vq->indirect = features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	vq_reset_state(vq);
	*vqp = vq;
	return 0;
fail:
	kfree(vq->scratch);
	kfree(vq->next_free);
	kfree(vq->desc_state);
	kfree(vq);
	return -ENOMEM;
}

void vring_del_virtqueue(struct virtqueue *vq)
{
	if (!vq)
		return;
	for (unsigned int i = 0; i < vq->vring.num; i++)
		kfree(vq->desc_state[i].indir);
	__free_pages(vq->ring_page, vq->ring_order);
	kfree(vq->scratch);
	kfree(vq->next_free);
	kfree(vq->desc_state);
	kfree(vq);
}

static void fill_desc(struct vring_desc *d, const struct scatterlist *sg,
		      uint16_t flags, uint16_t next)
{
	d->addr = htole64(virt_to_phys(sg->addr));
	d->len = htole32(sg->length);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

/*
 * Visit every entry of the lists in order: @sg is the entry, @w is true
 * for the device-writable lists; @n and @k are the loop counters.
 */
#define for_each_sg(sgs, nents, out_sgs, in_sgs, sg, w, n, k)           \
	for (n = 0; n < (out_sgs) + (in_sgs); n++)                       \
		for (k = 0, w = n >= (out_sgs);                          \
		     k < (nents)[n] && ((sg) = &(sgs)[n][k], 1); k++)

int virtqueue_add_sgs(struct virtqueue *vq, struct scatterlist *sgs[],
		      const unsigned int nents[], unsigned int out_sgs,
		      unsigned int in_sgs, void *data, gfp_t gfp)
{
	unsigned int num = vq->vring.num, total = 0, n, k, i, needed;
	uint64_t bytes = 0, in_len = 0;
	struct vring_desc *table = NULL;
	struct scatterlist *sg;
	uint16_t head, last = 0, flags;
	bool w, kick = false;
	int ret = 0;

	if (vq->indirect)
		might_alloc(gfp);	/* an indirect table, for >1 entry */
	if (!data)
		return -EINVAL;
	for_each_sg(sgs, nents, out_sgs, in_sgs, sg, w, n, k) {
		if (!in_guest_ram(sg->addr, sg->length))
			return -EINVAL;
		total++;
		bytes += sg->length;
		if (w)
			in_len += sg->length;
	}
	if (!total || total > num || bytes > (1ULL << 32))
		return -EINVAL;

	/* Allocate before the lock (rule 2); fall back to direct on failure. */
	if (vq->indirect && total > 1)
		table = kmalloc(total * sizeof(struct vring_desc),
				gfp | __GFP_NOWARN);

	spin_lock(&vq->lock);
	if (atomic_load(&vq->broken)) {
		ret = -EIO;
		goto out_unlock;
	}
	needed = table ? 1 : total;
	if (vq->num_free < needed) {
		ret = -ENOSPC;
		goto out_unlock;
	}

	head = vq->free_head;
	i = 0;
	if (table) {
		for_each_sg(sgs, nents, out_sgs, in_sgs, sg, w, n, k) {
			flags = (w ? VRING_DESC_F_WRITE : 0) |
				(i + 1 < total ? VRING_DESC_F_NEXT : 0);
			fill_desc(&table[i], sg, flags, (uint16_t)(i + 1));
			i++;
		}
		vq->vring.desc[head].addr = htole64(virt_to_phys(table));
		vq->vring.desc[head].len =
			htole32(total * sizeof(struct vring_desc));
		vq->vring.desc[head].flags = htole16(VRING_DESC_F_INDIRECT);
		vq->vring.desc[head].next = 0;
		last = head;
	} else {
		uint16_t d = head;

		for_each_sg(sgs, nents, out_sgs, in_sgs, sg, w, n, k) {
			flags = (w ? VRING_DESC_F_WRITE : 0) |
				(i + 1 < total ? VRING_DESC_F_NEXT : 0);
			fill_desc(&vq->vring.desc[d], sg, flags,
				  i + 1 < total ? vq->next_free[d] : 0);
			last = d;
			d = vq->next_free[d];
			i++;
		}
	}
	vq->free_head = vq->next_free[last];
	vq->num_free -= needed;
	vq->nr_inflight++;
	vq->desc_state[head] = (struct vring_desc_state){
		.data = data,
		.indir = table,
		.ndescs = (uint16_t)needed,
		.avail_pos = vq->avail_idx_shadow,
		.in_len = (uint32_t)min(in_len, (uint64_t)UINT32_MAX),
	};
	vr_store16(&vq->vring.avail->ring[vq->avail_idx_shadow & (num - 1)],
		   head);
	vq->avail_idx_shadow++;
	/* Descriptors and slot before the index the device acquires. */
	vr_store16_release(&vq->vring.avail->idx, vq->avail_idx_shadow);
	/* The event arithmetic breaks past 2^16 - 1 unkicked additions. */
	kick = ++vq->num_added == 0xffff;
	table = NULL;
out_unlock:
	spin_unlock(&vq->lock);
	kfree(table);
	if (kick)
		virtqueue_kick(vq);
	return ret;
}

int virtqueue_add_outbuf(struct virtqueue *vq, struct scatterlist *sg,
			 unsigned int num, void *data, gfp_t gfp)
{
	return virtqueue_add_sgs(vq, &sg, &num, 1, 0, data, gfp);
}

int virtqueue_add_inbuf(struct virtqueue *vq, struct scatterlist *sg,
			unsigned int num, void *data, gfp_t gfp)
{
	return virtqueue_add_sgs(vq, &sg, &num, 0, 1, data, gfp);
}

bool virtqueue_kick_prepare(struct virtqueue *vq)
{
	uint16_t new, old;
	bool needs;

	spin_lock(&vq->lock);
	new = vq->avail_idx_shadow;
	old = (uint16_t)(new - vq->num_added);
	vq->num_added = 0;
	/* Dekker: publish avail->idx, then read the device's wish. */
	vr_store16_sc(&vq->vring.avail->idx, new);
	if (vq->event_idx)
		needs = vring_need_event(
			vr_load16_sc(vr_avail_event(vq->vring.used,
						    vq->vring.num)),
			new, old);
	else
		needs = new != old && !(vr_load16_sc(&vq->vring.used->flags) &
					VRING_USED_F_NO_NOTIFY);
	spin_unlock(&vq->lock);
	return needs;
}

bool virtqueue_notify(struct virtqueue *vq)
{
	if (atomic_load(&vq->broken))
		return false;
	if (!vq->notify(vq)) {
		vq_break(vq, "notification failed", vq->index);
		return false;
	}
	return true;
}

bool virtqueue_kick(struct virtqueue *vq)
{
	if (virtqueue_kick_prepare(vq))
		return virtqueue_notify(vq);
	return !atomic_load(&vq->broken);
}

/* Free the descriptors of @head; returns its indirect table, if any. */
static struct vring_desc *detach_buf_locked(struct virtqueue *vq,
					    uint16_t head)
{
	struct vring_desc_state *st = &vq->desc_state[head];
	struct vring_desc *indir = st->indir;
	uint16_t last = head;

	lockdep_assert_held(&vq->lock);
	for (unsigned int i = 1; i < st->ndescs; i++)
		last = vq->next_free[last];
	vq->next_free[last] = vq->free_head;
	vq->free_head = head;
	vq->num_free += st->ndescs;
	vq->nr_inflight--;
	*st = (struct vring_desc_state){ 0 };
	return indir;
}

void *virtqueue_get_buf(struct virtqueue *vq, unsigned int *len)
{
	unsigned int num = vq->vring.num;
	struct vring_used_elem *ue;
	struct vring_desc *indir = NULL;
	uint16_t used_idx;
	uint32_t id, ulen;
	void *data = NULL;

	spin_lock(&vq->lock);
	if (atomic_load(&vq->broken))
		goto out;
	used_idx = vr_load16_sc(&vq->vring.used->idx);
	if (used_idx == vq->last_used_idx)
		goto out;
	if ((uint16_t)(used_idx - vq->last_used_idx) > vq->nr_inflight) {
		vq_break(vq, "device used more buffers than are in flight",
			 used_idx);
		goto out;
	}
	ue = &vq->vring.used->ring[vq->last_used_idx & (num - 1)];
	id = vr_load32(&ue->id);
	ulen = vr_load32(&ue->len);
	if (id >= num || !vq->desc_state[id].data) {
		vq_break(vq, "device used a descriptor not in flight", id);
		goto out;
	}
	data = vq->desc_state[id].data;
	if (len)
		*len = min(ulen, vq->desc_state[id].in_len);
	indir = detach_buf_locked(vq, (uint16_t)id);
	vq->last_used_idx++;
	/*
	 * With EVENT_IDX and callbacks on, ask for the next one: the store
	 * half of a Dekker pair whose load is the used->idx read of the
	 * next call.
	 */
	if (vq->event_idx &&
	    !(vq->avail_flags_shadow & VRING_AVAIL_F_NO_INTERRUPT))
		vr_store16_sc(vr_used_event(vq->vring.avail, num),
			      vq->last_used_idx);
out:
	spin_unlock(&vq->lock);
	kfree(indir);
	return data;
}

void virtqueue_disable_cb(struct virtqueue *vq)
{
	spin_lock(&vq->lock);
	if (!(vq->avail_flags_shadow & VRING_AVAIL_F_NO_INTERRUPT)) {
		vq->avail_flags_shadow |= VRING_AVAIL_F_NO_INTERRUPT;
		if (vq->event_idx)
			/*
			 * Half the index space ahead: with at most 2^15
			 * buffers in flight the device never crosses it.
			 */
			vr_store16(vr_used_event(vq->vring.avail,
						 vq->vring.num),
				   (uint16_t)(vq->last_used_idx + 0x8000));
		else
			vr_store16(&vq->vring.avail->flags,
				   vq->avail_flags_shadow);
	}
	spin_unlock(&vq->lock);
}

bool virtqueue_enable_cb(struct virtqueue *vq)
{
	bool idle;

	spin_lock(&vq->lock);
	/* Dekker: publish the wish, then look for a used buffer that raced. */
	vq->avail_flags_shadow &= ~VRING_AVAIL_F_NO_INTERRUPT;
	if (vq->event_idx)
		vr_store16_sc(vr_used_event(vq->vring.avail, vq->vring.num),
			      vq->last_used_idx);
	else
		vr_store16_sc(&vq->vring.avail->flags, vq->avail_flags_shadow);
	idle = vr_load16_sc(&vq->vring.used->idx) == vq->last_used_idx;
	spin_unlock(&vq->lock);
	return idle;
}

bool virtqueue_more_used(struct virtqueue *vq)
{
	bool more;

	spin_lock(&vq->lock);
	more = !atomic_load(&vq->broken) &&
	       vr_load16_sc(&vq->vring.used->idx) != vq->last_used_idx;
	spin_unlock(&vq->lock);
	return more;
}

void *virtqueue_detach_unused_buf(struct virtqueue *vq)
{
	struct vring_desc *indir = NULL;
	void *data = NULL;

	spin_lock(&vq->lock);
	for (unsigned int i = 0; i < vq->vring.num; i++) {
		if (!vq->desc_state[i].data)
			continue;
		data = vq->desc_state[i].data;
		indir = detach_buf_locked(vq, (uint16_t)i);
		break;
	}
	spin_unlock(&vq->lock);
	kfree(indir);
	return data;
}

int virtqueue_reinit(struct virtqueue *vq)
{
	int ret = 0;

	spin_lock(&vq->lock);
	if (vq->nr_inflight) {
		ret = -EBUSY;
	} else {
		memset(vq->vring.desc, 0, vq->ring_bytes);
		vq_reset_state(vq);
	}
	spin_unlock(&vq->lock);
	return ret;
}

bool vring_interrupt(struct virtqueue *vq)
{
	if (!virtqueue_more_used(vq))
		return false;
	if (vq->callback)
		vq->callback(vq);
	return true;
}

/* In-place heapsort: no allocation under the queue lock (qsort may). */
static void sift_down(uint32_t *a, unsigned int root, unsigned int n)
{
	for (;;) {
		unsigned int child = 2 * root + 1;
		uint32_t t;

		if (child >= n)
			return;
		if (child + 1 < n && a[child + 1] > a[child])
			child++;
		if (a[root] >= a[child])
			return;
		t = a[root];
		a[root] = a[child];
		a[child] = t;
		root = child;
	}
}

static void sort_u32(uint32_t *a, unsigned int n)
{
	for (unsigned int i = n / 2; i-- > 0;)
		sift_down(a, i, n);
	for (unsigned int end = n; end-- > 1;) {
		uint32_t t = a[0];

		a[0] = a[end];
		a[end] = t;
		sift_down(a, 0, end);
	}
}

int virtqueue_prepare_restart(struct virtqueue *vq, uint16_t *base)
{
	unsigned int num = vq->vring.num, nr_out = 0, nr_done;
	uint32_t *keys = vq->scratch;
	uint16_t used_idx = 0;
	int ret = -EPROTO;

	spin_lock(&vq->lock);
	if (atomic_load(&vq->broken))
		goto out;
	used_idx = vr_load16_sc(&vq->vring.used->idx);
	nr_done = (uint16_t)(used_idx - vq->last_used_idx);
	if (nr_done > vq->nr_inflight) {
		vq_break(vq, "used index beyond the buffers in flight",
			 used_idx);
		goto out;
	}
	/* Mark what the old device completed: it stays for get_buf. */
	for (unsigned int k = 0; k < nr_done; k++) {
		uint32_t id = vr_load32(&vq->vring.used->ring[
			(vq->last_used_idx + k) & (num - 1)].id);

		if (id >= num || !vq->desc_state[id].data ||
		    vq->desc_state[id].done) {
			vq_break(vq, "used ring names a head not in flight",
				 id);
			goto out_unmark;
		}
		vq->desc_state[id].done = true;
	}
	/* The others, oldest submission first: key = (2^16-1 - age, head). */
	for (unsigned int h = 0; h < num; h++) {
		struct vring_desc_state *st = &vq->desc_state[h];
		uint16_t age = (uint16_t)(vq->avail_idx_shadow - st->avail_pos);

		if (st->data && !st->done)
			keys[nr_out++] = (uint32_t)(0xffffu - age) << 16 | h;
	}
	if ((uint16_t)(vq->avail_idx_shadow - used_idx) != nr_out) {
		vq_break(vq, "in-flight buffers do not match the rings",
			 nr_out);
		goto out_unmark;
	}
	sort_u32(keys, nr_out);
	for (unsigned int j = 0; j < nr_out; j++) {
		uint16_t h = keys[j] & 0xffff;
		uint16_t pos = (uint16_t)(used_idx + j);

		vr_store16(&vq->vring.avail->ring[pos & (num - 1)], h);
		vq->desc_state[h].avail_pos = pos;
	}
	/* Same value (used_idx + nr_out); orders the rewritten slots. */
	vr_store16_release(&vq->vring.avail->idx, vq->avail_idx_shadow);
	vq->num_added = 0;
	ret = 0;
out_unmark:
	for (unsigned int h = 0; h < num; h++)
		vq->desc_state[h].done = false;
out:
	spin_unlock(&vq->lock);
	*base = used_idx;
	return ret;
}

unsigned int virtqueue_get_vring_size(const struct virtqueue *vq)
{
	return vq->vring.num;
}

unsigned int virtqueue_get_index(const struct virtqueue *vq)
{
	return vq->index;
}

const char *virtqueue_get_name(const struct virtqueue *vq)
{
	return vq->name;
}

unsigned int virtqueue_num_free(struct virtqueue *vq)
{
	unsigned int n;

	spin_lock(&vq->lock);
	n = vq->num_free;
	spin_unlock(&vq->lock);
	return n;
}

bool virtqueue_is_broken(struct virtqueue *vq)
{
	return atomic_load(&vq->broken);
}

const struct vring *virtqueue_get_vring(const struct virtqueue *vq)
{
	return &vq->vring;
}

void virtqueue_set_priv(struct virtqueue *vq, void *priv)
{
	vq->priv = priv;
}

void *virtqueue_get_priv(const struct virtqueue *vq)
{
	return vq->priv;
}

struct virtio_device *virtqueue_get_vdev(const struct virtqueue *vq)
{
	return vq->vdev;
}

void virtqueue_set_vdev(struct virtqueue *vq, struct virtio_device *vdev)
{
	vq->vdev = vdev;
}

void virtqueue_get_addrs(const struct virtqueue *vq,
			 struct virtqueue_addrs *addrs)
{
	addrs->desc = (uint64_t)(uintptr_t)vq->vring.desc;
	addrs->avail = (uint64_t)(uintptr_t)vq->vring.avail;
	addrs->used = (uint64_t)(uintptr_t)vq->vring.used;
	addrs->num = vq->vring.num;
}
