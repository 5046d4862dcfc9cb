// SPDX-License-Identifier: MIT
/*
 * size.h - byte sizes on command lines and in output: "512M", "1G",
 * "4096"; suffixes K, M, G, T are powers of 1024, case-insensitive,
 * optionally followed by "B" or "iB".
 */
#ifndef BALLAST_LIB_SIZE_H
#define BALLAST_LIB_SIZE_H

#include <stddef.h>
#include <stdint.h>
#include <ballast/lib/compiler.h>

/**
 * parse_size() - parse @s into *@bytes.
 * Context: any. Return: 0; -EINVAL for empty input, a sign, junk or an
 * unknown suffix; -ERANGE if the value does not fit in 64 bits.
 */
int __must_check parse_size(const char *s, uint64_t *bytes);

/**
 * format_size() - "1.50 GiB", "512 MiB", "4096 B" into @buf (at most @len
 * bytes, NUL included). Context: any; no locks; never sleeps; no
 * allocation.
 */
void format_size(uint64_t bytes, char *buf, size_t len);

#endif
