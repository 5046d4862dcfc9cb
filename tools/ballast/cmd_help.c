// SPDX-License-Identifier: MIT
/* cmd_help.c - `ballast help` and `ballast version`. */
#include "cli.h"

#include <stdarg.h>
#include <string.h>

void ballast_usage(FILE *f)
{
	size_t nr;
	const struct ballast_cmd *const *cmds = ballast_commands(&nr);

	fprintf(f, "usage: ballast COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < nr; i++)
		fprintf(f, "  %-8s %-34s %s\n", cmds[i]->name, cmds[i]->args,
			cmds[i]->summary);
	fprintf(f, "\nSizes accept K, M and G suffixes (powers of 1024).\n");
}

int ballast_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ballast %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return BALLAST_EXIT_USAGE;
}

static int help_run(int argc, char **argv)
{
	size_t nr;
	const struct ballast_cmd *const *cmds = ballast_commands(&nr);

	if (argc > 2)
		return ballast_usage_error("help", "too many arguments");
	if (argc == 2) {
		for (size_t i = 0; i < nr; i++) {
			char *help_argv[] = { argv[1], (char *)"--help", NULL };

			if (strcmp(argv[1], cmds[i]->name))
				continue;
			if (cmds[i] == &ballast_cmd_help ||
			    cmds[i] == &ballast_cmd_version) {
				printf("usage: ballast %s %s\n  %s\n",
				       cmds[i]->name, cmds[i]->args,
				       cmds[i]->summary);
				return BALLAST_EXIT_OK;
			}
			/* The others explain their options and commands. */
			printf("ballast %s: %s\n", cmds[i]->name,
			       cmds[i]->summary);
			return cmds[i]->run(2, help_argv);
		}
		return ballast_usage_error("help", "unknown command '%s'",
					   argv[1]);
	}
	ballast_usage(stdout);
	return BALLAST_EXIT_OK;
}

static int version_run(int argc, char **argv)
{
	if (argc > 1)
		return ballast_usage_error("version", "takes no arguments");
	printf("ballast %s (%s build)\n", BALLAST_VERSION,
	       BALLAST_DEBUG ? "debug" : "release");
	return BALLAST_EXIT_OK;
}

const struct ballast_cmd ballast_cmd_help = {
	.name = "help", .args = "[COMMAND]",
	.summary = "show the commands, or one command's usage",
	.run = help_run,
};

const struct ballast_cmd ballast_cmd_version = {
	.name = "version", .args = "",
	.summary = "print the version",
	.run = version_run,
};
