// SPDX-License-Identifier: MIT
/*
 * test_cli.c - the ballast command as a user meets it ($BALLAST_BIN):
 * usage errors exit 2 with a one-line message and touch nothing; version
 * and help work; and a whole `ballast run` (host and guest processes,
 * every phase of the default scenario) succeeds with the summary a user
 * reads: memory returned, reclaim, writeback, an OOM kill, no verify
 * error, the host's record back at zero.
 */
#include "../../support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Run "$BALLAST_BIN @args", capture stdout+stderr; return the status. */
static int run(const char *args, char **out)
{
	const char *bin = getenv("BALLAST_BIN");
	char cmd[1024];

	assert_non_null(bin);
	snprintf(cmd, sizeof(cmd), "TMPDIR=/tmp '%s' %s 2>&1", bin, args);
	return test_shell(cmd, out);
}

static void expect(const char *args, int status, const char *text)
{
	char *out;
	int got = run(args, &out);

	if (got != status || (text && !strstr(out, text)))
		fail_msg("ballast %s: status %d (want %d), output:\n%s", args,
			 got, status, out);
	free(out);
}

/* Usage errors: exit 2, a message naming the problem, nothing started. */
static void test_ballast_bad_arguments_exit_2_with_message(void **state)
{
	expect("frobnicate", 2, "unknown command 'frobnicate'");
	expect("version extra", 2, "takes no arguments");
	expect("guest --ram 17M", 2, "multiple of 4M");
	expect("guest --ram 1X", 2, "is not a size");
	expect("guest --ram 128G", 2, "between 16M and 64G");
	expect("guest --threads 0", 2, "--threads");
	expect("run --ram 8M", 2, "between 16M and 64G");
	expect("run --scenario nope", 2, "unknown scenario 'nope'");
	expect("host --stats-interval -1", 2, "--stats-interval");
	expect("host --bogus", 2, "unknown option");
	expect("ctl balloon 12X", 2, "is not a size");
	expect("ctl", 2, "missing COMMAND");
	expect("ctl --device '' query", 2, "--device needs a device id");
	expect("ctl --device balloon1 events", 2,
	       "--device applies to balloon, query, stats and interval");
	expect("ctl --device balloon1 stats balloon2", 2,
	       "stats takes the device once");
	expect("ctl --device balloon1 interval soon", 2,
	       "'soon' is not a number of seconds");
	expect("ctl --qmp /nonexistent/qmp.sock query", 1, "cannot talk");
	expect("version", 0, "ballast ");
	expect("help", 0, "usage: ballast COMMAND");
	expect("help run", 0, "usage: ballast run");
	expect("help ctl", 0, "--device ID        the balloon device of balloon");
}

/*
 * A whole run of the default scenario on a 256 MiB guest: exit 0, and the
 * summary shows each mechanism at work.
 */
static void test_ballast_run_default_scenario_succeeds(void **state)
{
	char *out;
	int status = run("run --ram 256M", &out);

	if (status != 0 ||
	    !strstr(out, "memory the host got back when the balloon inflated") ||
	    !strstr(out, "OOM killer: 1 kills") ||
	    !strstr(out, "workload verify errors: 0") ||
	    !strstr(out, "host record at the end:     0 MiB ballooned") ||
	    strstr(out, "stopped moving"))
		fail_msg("ballast run: status %d, output:\n%s", status, out);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ballast_bad_arguments_exit_2_with_message),
		cmocka_unit_test(test_ballast_run_default_scenario_succeeds),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
