// SPDX-License-Identifier: MIT
/*
 * errseq.h - error sequence counters, in the shape of Linux's errseq_t:
 * one 32-bit word records the latest error and a counter of errors, so
 * that each observer (an fsync caller with its own cursor) sees every
 * error that happened after its last look exactly once.
 *
 * Rules for users:
 *  1. errseq_set() records an error (a negative errno); it never fails.
 *  2. An observer takes a cursor with errseq_sample() and later asks
 *     errseq_check_and_advance() whether an error happened since; that
 *     marks the error as seen and moves the cursor.
 *  3. The word is atomic; no lock is needed by any function here.
 *     Context (every function here): any context; lockless (atomic
 *     loads and compare-and-swap); never sleeps; no allocation; no
 *     reclaim.
 */
#ifndef BALLAST_LIB_ERRSEQ_H
#define BALLAST_LIB_ERRSEQ_H

#include <stdatomic.h>
#include <stdint.h>

typedef uint32_t errseq_t;

/** errseq_set() - record @err (a negative errno) in @eseq. Return: new value. */
errseq_t errseq_set(_Atomic(errseq_t) *eseq, int err);

/** errseq_sample() - a cursor: unseen errors stay visible to it. */
errseq_t errseq_sample(_Atomic(errseq_t) *eseq);

/** errseq_check() - Return: 0, or the negative errno recorded since @since. */
int errseq_check(_Atomic(errseq_t) *eseq, errseq_t since);

/**
 * errseq_check_and_advance() - as errseq_check(), then mark the error
 * seen and move *@since to the current value.
 * Return: 0 or the negative errno.
 */
int errseq_check_and_advance(_Atomic(errseq_t) *eseq, errseq_t *since);

#endif
