// SPDX-License-Identifier: MIT
/* test_size.c - size parsing refuses every malformed string. */
#include "../../support/test_support.h"

#include <ballast/lib/size.h>

#include <errno.h>

static void test_parse_size_suffixes_are_powers_of_1024(void **state)
{
	static const struct { const char *s; uint64_t v; } ok[] = {
		{ "0", 0 }, { "4096", 4096 }, { "4096B", 4096 }, { "1K", 1024 },
		{ "1k", 1024 }, { "512M", 512ULL << 20 }, { "1G", 1ULL << 30 },
		{ "1GiB", 1ULL << 30 }, { "64g", 64ULL << 30 },
		{ "2T", 2ULL << 40 }, { "16MB", 16ULL << 20 },
	};
	uint64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		assert_int_equal(parse_size(ok[i].s, &v), 0);
		assert_int_equal(v, ok[i].v);
	}
}

static void test_parse_size_malformed_is_refused(void **state)
{
	static const char *const bad[] = {
		"", "-1", "+1", " 1", "1 ", "1X", "1.5G", "G", "1GG", "1GiBs",
		"0x10", "1Gi", "abc",
	};
	uint64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse_size(bad[i], &v) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
	assert_int_equal(parse_size(NULL, &v), -EINVAL);
	assert_int_equal(parse_size("18446744073709551616", &v), -ERANGE);
	assert_int_equal(parse_size("16777216T", &v), -ERANGE);
	assert_int_equal(parse_size("18446744073709551615", &v), 0);
}

static void test_format_size_picks_unit(void **state)
{
	char buf[32];

	format_size(4096, buf, sizeof(buf));
	assert_string_equal(buf, "4 KiB");
	format_size(1536ULL << 20, buf, sizeof(buf));
	assert_string_equal(buf, "1.50 GiB");
	format_size(100, buf, sizeof(buf));
	assert_string_equal(buf, "100 B");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_size_suffixes_are_powers_of_1024),
		cmocka_unit_test(test_parse_size_malformed_is_refused),
		cmocka_unit_test(test_format_size_picks_unit),
	};

	return cmocka_run_group_tests_name("size", tests, NULL, NULL);
}
