// SPDX-License-Identifier: MIT
/*
 * bench.h - shared helpers of the benchmarks: a monotonic clock, medians,
 * and the results file.
 *
 * Every benchmark prints a table and records each figure with
 * bench_record(): it is merged into the JSON array at
 * $BALLAST_BENCH_RESULTS (default bench/results.json) as
 * {"name": "layer.metric", "value": ..., "unit": ...}, replacing an entry of
 * the same name. Figures are measured, never asserted.
 */
#ifndef BALLAST_BENCH_H
#define BALLAST_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* Nanoseconds on CLOCK_MONOTONIC. */
uint64_t bench_now_ns(void);

/* Median of @nr doubles (sorts @v in place). */
double bench_median(double *v, size_t nr);

/* Record one figure in the results file and print it. */
void bench_record(const char *name, double value, const char *unit);

/* Prevent the compiler from dropping a computed value. */
#define bench_keep(x) __asm__ volatile("" : : "r"(x) : "memory")

#endif
