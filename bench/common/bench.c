// SPDX-License-Identifier: MIT
/*
 * bench.c - clock, median and the JSON results file of the benchmarks.
 * The results file is read, updated and rewritten whole under an flock, so
 * benchmarks may run one after the other or concurrently.
 */
#include "bench.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *v, size_t nr)
{
	if (!nr)
		return 0;
	qsort(v, nr, sizeof(*v), cmp_double);
	return nr % 2 ? v[nr / 2] : (v[nr / 2 - 1] + v[nr / 2]) / 2;
}

void bench_record(const char *name, double value, const char *unit)
{
	const char *path = getenv("BALLAST_BENCH_RESULTS");
	json_t *arr = NULL, *obj;
	json_error_t err;
	size_t i;
	int fd;

	if (!path)
		path = "bench/results.json";
	printf("  %-40s %14.3f %s\n", name, value, unit);
	fd = open(path, O_RDWR | O_CREAT, 0644);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		perror(path);
		if (fd >= 0)
			close(fd);
		return;
	}
	if (lseek(fd, 0, SEEK_END) > 0) {
		lseek(fd, 0, SEEK_SET);
		arr = json_loadfd(fd, 0, &err);
	}
	if (!arr || !json_is_array(arr)) {
		json_decref(arr);
		arr = json_array();
	}
	json_array_foreach(arr, i, obj) {
		json_t *n = json_object_get(obj, "name");

		if (n && json_is_string(n) && !strcmp(json_string_value(n), name)) {
			json_array_remove(arr, i);
			break;
		}
	}
	obj = json_pack("{s:s, s:f, s:s}", "name", name, "value", value,
			"unit", unit);
	json_array_append_new(arr, obj);
	if (ftruncate(fd, 0) == 0) {
		lseek(fd, 0, SEEK_SET);
		json_dumpfd(arr, fd, JSON_INDENT(2));
		if (write(fd, "\n", 1) < 0)
			perror(path);
	}
	json_decref(arr);
	flock(fd, LOCK_UN);
	close(fd);
}
