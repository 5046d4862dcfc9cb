// SPDX-License-Identifier: MIT
/*
 * balloon_fixture.h - a test balloon device that follows the driver's
 * protocol (allocate outside its lock, enqueue under it; migration inserts
 * the new page, "tells the host", finalizes the old page and drops the
 * balloon's reference) and records what it would have told the host.
 */
#ifndef BALLAST_TEST_BALLOON_FIXTURE_H
#define BALLAST_TEST_BALLOON_FIXTURE_H

#include <ballast/balloon.h>

struct test_balloon {
	struct balloon_dev_info info;
	struct mutex lock;		/* the driver's balloon lock */
	unsigned long told_inflate;	/* lock */
	unsigned long told_deflate;	/* lock */
	unsigned long migrations;	/* lock */
};

void test_balloon_init(struct test_balloon *tb, bool migrates,
		       bool adjust_managed);
/* Inflate by up to @n pages; returns pages added. */
unsigned long test_balloon_inflate(struct test_balloon *tb, unsigned long n);
/* Deflate by up to @n pages, freeing them; returns pages removed. */
unsigned long test_balloon_deflate(struct test_balloon *tb, unsigned long n);

#endif
