#!/bin/sh
# Fails when C sources call a function our style bans (curl-style check):
# they overflow silently or hide errors. Use snprintf, strtol/strtoll, memcpy
# with a checked length, or the project's helpers instead.
status=0
for dir in "$@"; do
	for f in $(find "$dir" -name '*.[ch]'); do
		if grep -nE '(^|[^_a-zA-Z0-9])(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|atoll|gets)[[:space:]]*\(' "$f"; then
			echo "$f: uses a banned function (see tests/banned.sh)" >&2
			status=1
		fi
	done
done
exit $status
