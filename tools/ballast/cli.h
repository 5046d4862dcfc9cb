// SPDX-License-Identifier: MIT
/* cli.h - subcommand table of the ballast command. */
#ifndef BALLAST_TOOLS_CLI_H
#define BALLAST_TOOLS_CLI_H

#include <stdio.h>
#include <ballast/lib/compiler.h>

#define BALLAST_VERSION "0.1.0"
#define BALLAST_EXIT_OK 0
#define BALLAST_EXIT_FAIL 1
#define BALLAST_EXIT_USAGE 2

struct ballast_cmd {
	const char *name;
	const char *args;	/* synopsis of the arguments */
	const char *summary;	/* one line */
	int (*run)(int argc, char **argv);	/* argv[0] is the name */
};

extern const struct ballast_cmd ballast_cmd_ctl;
extern const struct ballast_cmd ballast_cmd_guest;
extern const struct ballast_cmd ballast_cmd_host;
extern const struct ballast_cmd ballast_cmd_run;
extern const struct ballast_cmd ballast_cmd_help;
extern const struct ballast_cmd ballast_cmd_version;

/* All subcommands, in help order. */
const struct ballast_cmd *const *ballast_commands(size_t *nr);

/* Print the usage text to @f. */
void ballast_usage(FILE *f);

/*
 * ballast_usage_error() - print "ballast CMD: message" to stderr.
 * Return: BALLAST_EXIT_USAGE, so callers can `return ballast_usage_error()`.
 */
int ballast_usage_error(const char *cmd, const char *fmt, ...) __printf(2, 3);

#endif
