#!/bin/sh
# make lint: banned functions (STYLE.md rule 13) and mandoc on man pages.
set -u
cd "$(dirname "$0")/.." || exit 111
status=0
banned='\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|sscanf|gets)[[:space:]]*\('
if grep -nE "$banned" common/*.c handlers/*.c tools/*.c 2>/dev/null; then
	echo "FAIL lint: banned function above (use snprintf, buf_*, parse_uint)"
	status=1
fi
# Only hmac.c may compare MACs; a plain memcmp there would leak timing.
if grep -n 'memcmp' common/verify.c common/hmac.c | grep -v CRYPTO_memcmp |
    grep -v 'memcmp(it->key\|memcmp(s + i' >/dev/null; then
	echo "FAIL lint: memcmp near MAC comparison"
	status=1
fi
if ls man/*.[1-9] >/dev/null 2>&1; then
	if ! mandoc -Tlint -Wwarning man/*.[1-9]; then
		echo "FAIL lint: mandoc"
		status=1
	fi
fi
[ $status -eq 0 ] && echo "ok   lint"
exit $status
