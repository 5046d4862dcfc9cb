// SPDX-License-Identifier: MIT
/*
 * main.c - the ballast command: dispatch to subcommands.
 *
 * Exit status: 0 on success, 1 on a runtime failure, 2 on a usage error
 * (unknown subcommand, bad argument), with a one-line message on stderr.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct ballast_cmd *const commands[] = {
	&ballast_cmd_run,
	&ballast_cmd_host,
	&ballast_cmd_guest,
	&ballast_cmd_ctl,
	&ballast_cmd_help,
	&ballast_cmd_version,
};

const struct ballast_cmd *const *ballast_commands(size_t *nr)
{
	*nr = ARRAY_SIZE(commands);
	return commands;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		ballast_usage(stderr);
		return BALLAST_EXIT_USAGE;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i]->name))
			return commands[i]->run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return ballast_cmd_help.run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version"))
		return ballast_cmd_version.run(argc - 1, argv + 1);
	fprintf(stderr, "ballast: unknown command '%s' (try 'ballast help')\n",
		argv[1]);
	return BALLAST_EXIT_USAGE;
}
