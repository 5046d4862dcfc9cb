// SPDX-License-Identifier: MIT
/*
 * virtio_echo.h - a guest-side driver for the echo device
 * (vhost_user.h), shared by the virtio tests: it connects a front-end,
 * negotiates, and moves numbered buffers through the device, checking
 * that each comes back exactly once with the device's transformation.
 *
 * Each request is a chain of 16 device-readable bytes (seq, ~seq), as one
 * or two scatterlist entries, and 16 device-writable bytes; the device
 * echoes the request XOR the configured byte. Slots live in guest RAM
 * (alloc_pages). Seen-bitmaps and counters are the test's own (C heap).
 *
 * Header-only (static functions) so both tests/unit and tests/stress can
 * use it without adding to every test binary.
 */
#ifndef BALLAST_TEST_VIRTIO_ECHO_H
#define BALLAST_TEST_VIRTIO_ECHO_H

#include <ballast/alloc.h>
#include <ballast/lockdep.h>
#include <ballast/vhost_user.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ECHO_SLOT_BYTES 32
#define ECHO_XOR 0x5a

struct echo_drv {
	struct virtio_device *vdev;
	struct virtqueue *vq;
	struct completion irq;		/* completed by the queue callback */
	struct completion config;	/* completed by config_changed */
	struct page *slots_page;
	unsigned int slots_order;
	uint8_t *slots;			/* nslots * ECHO_SLOT_BYTES, guest RAM */
	unsigned int nslots;
	unsigned int *free_slots, nr_free;
	bool multi_sg;			/* out part as two entries */
	uint8_t xor;			/* written to the device's config */
	/* traffic statistics of the last echo_run() */
	unsigned long next_seq, done, total;
	unsigned long dups, bad, stalls;
	uint8_t *seen;
	/* progress hook: called once when done reaches hook_at */
	void (*hook)(struct echo_drv *d, void *arg);
	void *hook_arg;
	unsigned long hook_at;
};

static inline void echo_vq_callback(struct virtqueue *vq)
{
	struct echo_drv *d = virtqueue_get_priv(vq);

	complete(&d->irq);
}

static inline void echo_config_changed(struct virtio_device *vdev)
{
	struct echo_drv *d = vdev->priv;

	complete(&d->config);
}

/*
 * Negotiate @features (a subset of VIRTIO_RING_FEATURES), set up the
 * queue and the xor byte, set DRIVER_OK. Returns 0 or an errno.
 */
static inline int echo_drv_start(struct echo_drv *d, uint64_t features)
{
	struct virtqueue_info info = { .name = "echo",
				       .callback = echo_vq_callback };
	int ret;

	d->vdev->priv = d;
	d->vdev->config_changed = echo_config_changed;
	if ((virtio_get_features(d->vdev) & features) != features)
		return -EPROTO;
	d->vdev->features = features | (1ULL << VIRTIO_F_VERSION_1);
	ret = virtio_finalize_features(d->vdev);
	if (!ret)
		ret = virtio_find_vqs(d->vdev, 1, &d->vq, &info);
	if (ret)
		return ret;
	virtqueue_set_priv(d->vq, d);
	ret = virtio_cwrite(d->vdev, VHOST_USER_ECHO_CFG_XOR, &d->xor, 1);
	if (!ret)
		ret = virtio_device_ready(d->vdev);
	return ret;
}

/*
 * Connect to @path and start; @nslots requests in flight at most; the
 * device XORs with @xor. A restarted host forgets the xor byte (device
 * state is per connection), so tests that restart the host use 0.
 */
static inline int echo_drv_create(struct echo_drv *d, const char *path,
			   unsigned int queue_size, unsigned int nslots,
			   uint64_t features, unsigned int reconnect_ms,
			   uint8_t xor)
{
	struct vhost_user_frontend_opts opts = {
		.path = path, .device_id = VHOST_USER_ECHO_ID,
		.queue_size = queue_size, .reconnect_ms = reconnect_ms,
	};
	unsigned int order = 0;
	int ret;

	memset(d, 0, sizeof(*d));
	d->xor = xor;
	init_completion(&d->irq);
	init_completion(&d->config);
	while ((PAGE_SIZE << order) < (size_t)nslots * ECHO_SLOT_BYTES)
		order++;
	d->slots_page = alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
	d->free_slots = calloc(nslots, sizeof(*d->free_slots));
	if (!d->slots_page || !d->free_slots) {
		ret = -ENOMEM;
		goto fail;
	}
	d->slots_order = order;
	d->slots = page_address(d->slots_page);
	d->nslots = nslots;
	for (unsigned int i = 0; i < nslots; i++)
		d->free_slots[d->nr_free++] = i;
	ret = vhost_user_frontend_create(&opts, &d->vdev);
	if (ret)
		goto fail;
	ret = echo_drv_start(d, features);
	if (ret) {
		vhost_user_frontend_destroy(d->vdev);
		goto fail;
	}
	return 0;
fail:
	if (d->slots_page)
		__free_pages(d->slots_page, order);
	free(d->free_slots);
	return ret;
}

/* Take back every buffer still posted (after a reset or before exit). */
static inline void echo_drv_detach_all(struct echo_drv *d)
{
	uint8_t *slot;

	while (d->vq && (slot = virtqueue_detach_unused_buf(d->vq)))
		d->free_slots[d->nr_free++] =
			(unsigned int)((slot - d->slots) / ECHO_SLOT_BYTES);
}

static inline void echo_drv_destroy(struct echo_drv *d)
{
	echo_drv_detach_all(d);
	vhost_user_frontend_destroy(d->vdev);
	__free_pages(d->slots_page, d->slots_order);
	free(d->free_slots);
	free(d->seen);
}

static inline int echo_post(struct echo_drv *d, unsigned long seq)
{
	unsigned int s = d->free_slots[d->nr_free - 1];
	uint8_t *slot = d->slots + (size_t)s * ECHO_SLOT_BYTES;
	uint64_t v[2] = { seq, ~seq };
	struct scatterlist out[2], in;
	struct scatterlist *sgs[3];
	unsigned int nents[3];
	int ret;

	memcpy(slot, v, sizeof(v));
	memset(slot + 16, 0, 16);
	sg_init_one(&in, slot + 16, 16);
	if (d->multi_sg) {
		sg_init_one(&out[0], slot, 8);
		sg_init_one(&out[1], slot + 8, 8);
		sgs[0] = &out[0];
		sgs[1] = &out[1];
		sgs[2] = &in;
		nents[0] = nents[1] = nents[2] = 1;
		ret = virtqueue_add_sgs(d->vq, sgs, nents, 2, 1, slot,
					GFP_KERNEL);
	} else {
		sg_init_one(&out[0], slot, 16);
		sgs[0] = &out[0];
		sgs[1] = &in;
		nents[0] = nents[1] = 1;
		ret = virtqueue_add_sgs(d->vq, sgs, nents, 1, 1, slot,
					GFP_KERNEL);
	}
	if (!ret)
		d->nr_free--;
	return ret;
}

static inline void echo_harvest(struct echo_drv *d)
{
	unsigned int len;
	uint8_t *slot;

	while ((slot = virtqueue_get_buf(d->vq, &len))) {
		uint64_t v[2], r[2];
		bool ok = len == 16;

		memcpy(v, slot, 16);
		memcpy(r, slot + 16, 16);
		for (int i = 0; i < 16; i++)
			ok &= ((uint8_t *)r)[i] == (((uint8_t *)v)[i] ^ d->xor);
		ok &= v[1] == ~v[0] && v[0] < d->total;
		if (!ok) {
			d->bad++;
		} else if (d->seen[v[0] / 8] & (1u << (v[0] % 8))) {
			d->dups++;
		} else {
			d->seen[v[0] / 8] |= 1u << (v[0] % 8);
			d->done++;
		}
		d->free_slots[d->nr_free++] =
			(unsigned int)((slot - d->slots) / ECHO_SLOT_BYTES);
		if (d->hook && d->done >= d->hook_at) {
			void (*hook)(struct echo_drv *, void *) = d->hook;

			d->hook = NULL;
			hook(d, d->hook_arg);
		}
	}
}

/*
 * Move @total requests through the device, keeping the ring as full as
 * the slots allow. Returns 0 when every request came back exactly once
 * and well-formed; -EIO on a bad or duplicate reply; -ETIMEDOUT if the
 * device made no progress for 30 s (a failure detector, not a wait);
 * another errno from the queue.
 */
static inline int echo_run(struct echo_drv *d, unsigned long total)
{
	int ret = 0;

	free(d->seen);
	d->seen = calloc(total / 8 + 1, 1);
	if (!d->seen)
		return -ENOMEM;
	d->total = total;
	d->next_seq = d->done = d->dups = d->bad = 0;
	while (d->done < total && !d->dups && !d->bad) {
		virtqueue_disable_cb(d->vq);
		echo_harvest(d);
		while (d->nr_free && d->next_seq < total) {
			ret = echo_post(d, d->next_seq);
			if (ret == -ENOSPC)
				break;
			if (ret)
				return ret;
			d->next_seq++;
		}
		virtqueue_kick(d->vq);
		if (d->done >= total)
			break;
		if (!virtqueue_enable_cb(d->vq))
			continue;
		if (!wait_for_completion_timeout(&d->irq, 30000)) {
			d->stalls++;
			return -ETIMEDOUT;
		}
	}
	return d->dups || d->bad ? -EIO : 0;
}

/* The device's processed-chains counter, from its config space. */
static inline int echo_processed(struct echo_drv *d, uint64_t *processed)
{
	return virtio_cread(d->vdev, VHOST_USER_ECHO_CFG_PROCESSED, processed,
			    sizeof(*processed));
}

#endif /* BALLAST_TEST_VIRTIO_ECHO_H */
