/*
 * test-buf: struct buf keeps its invariants (NUL after the bytes, len
 * never past max) through every way of growing and shrinking it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "buf.h"

/* The invariants of buf.h, checked after every operation. */
static void
check_invariants(const struct buf *b)
{
	assert_true(b->len <= b->max);
	if (b->data == NULL) {
		assert_int_equal(b->len, 0);
		return;
	}
	assert_true(b->len < b->cap);
	assert_int_equal(b->data[b->len], '\0');
}

static void
test_init_empty(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 10);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 10);
	check_invariants(&b);
	/* Releasing an unused buffer is harmless. */
	buf_release(&b);
	check_invariants(&b);
}

static void
test_max_enforced(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_add(&b, "12345", 5), 0);
	assert_int_equal(buf_add(&b, "678", 3), 0);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.data, "12345678");
	/* One more byte of any kind is refused and changes nothing. */
	assert_int_equal(buf_addc(&b, 'x'), -1);
	assert_int_equal(buf_adds(&b, "y"), -1);
	assert_int_equal(buf_add(&b, "z", 1), -1);
	assert_int_equal(buf_printf(&b, "%d", 1), -1);
	assert_int_equal(buf_reserve(&b, 1), -1);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.data, "12345678");
	check_invariants(&b);
	/* Adding nothing at the ceiling is fine. */
	assert_int_equal(buf_add(&b, "", 0), 0);
	assert_int_equal(buf_reserve(&b, 0), 0);
	/* The allocation stays within max + 1 (the NUL). */
	assert_true(b.cap <= b.max + 1);
	buf_release(&b);
}

static void
test_max_overflow(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 16);
	assert_int_equal(buf_add(&b, "abc", 3), 0);
	/* n so large that len + n wraps around must not pass. */
	assert_int_equal(buf_reserve(&b, (size_t)-1), -1);
	assert_int_equal(buf_reserve(&b, (size_t)-1 - 2), -1);
	assert_int_equal(buf_reserve(&b, 14), -1);
	assert_int_equal(buf_reserve(&b, 13), 0);
	assert_int_equal(b.len, 3);
	check_invariants(&b);
	buf_release(&b);
}

static void
test_zero_max(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_addc(&b, 'a'), -1);
	/* An empty add still gives a valid empty string. */
	assert_int_equal(buf_add(&b, "", 0), 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	check_invariants(&b);
	buf_release(&b);
}

static void
test_nul_termination(void **state)
{
	struct buf	 b;
	size_t		 i;

	(void)state;
	buf_init(&b, 4096);
	/* Binary bytes, NUL included, are kept; a NUL follows them. */
	assert_int_equal(buf_add(&b, "a\0b", 3), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b\0", 4);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(buf_addc(&b, (char)('a' + i % 26)), 0);
		check_invariants(&b);
	}
	assert_int_equal(b.len, 1003);
	assert_int_equal(b.data[1003], '\0');
	assert_int_equal(b.data[1002], 'a' + 999 % 26);
	buf_release(&b);
}

static void
test_printf_growth(void **state)
{
	struct buf	 b;
	char		 big[3000];
	size_t		 i;

	(void)state;
	buf_init(&b, 100000);
	assert_int_equal(buf_printf(&b, "%s-%d", "x", 42), 0);
	assert_string_equal(b.data, "x-42");
	/* Past the first allocation, in one call. */
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(buf_printf(&b, "[%s]", big), 0);
	assert_int_equal(b.len, 4 + 2 + sizeof(big) - 1);
	assert_int_equal(b.data[4], '[');
	assert_int_equal(b.data[5], 'q');
	assert_int_equal(b.data[b.len - 1], ']');
	check_invariants(&b);
	/* Many small appends. */
	buf_reset(&b);
	for (i = 0; i < 2000; i++)
		assert_int_equal(buf_printf(&b, "%zu,", i % 10), 0);
	assert_int_equal(b.len, 4000);
	assert_memory_equal(b.data + 3990, "5,6,7,8,9,", 10);
	check_invariants(&b);
	/* An empty format still terminates. */
	buf_reset(&b);
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	assert_string_equal(b.data, "");
	buf_release(&b);
}

static void
test_printf_ceiling(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_printf(&b, "%s", "0123456789"), 0);
	assert_int_equal(b.len, 10);
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "ab"), 0);
	/* Refused as a whole: nothing of it is appended. */
	assert_int_equal(buf_printf(&b, "%s", "0123456789"), -1);
	assert_int_equal(b.len, 2);
	assert_string_equal(b.data, "ab");
	check_invariants(&b);
	buf_release(&b);
}

static void
test_truncate(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 64);
	/* Truncating an unused buffer does nothing and does not crash. */
	buf_truncate(&b, 0);
	assert_null(b.data);
	assert_int_equal(buf_adds(&b, "hello world"), 0);
	buf_truncate(&b, 5);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "hello");
	/* A length at or past the end leaves the bytes alone. */
	buf_truncate(&b, 5);
	buf_truncate(&b, 50);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "hello");
	buf_truncate(&b, 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	check_invariants(&b);
	assert_int_equal(buf_adds(&b, "again"), 0);
	assert_string_equal(b.data, "again");
	buf_release(&b);
}

static void
test_reset_keeps_memory(void **state)
{
	struct buf	 b;
	char		*p;
	size_t		 cap;

	(void)state;
	buf_init(&b, 1000);
	assert_int_equal(buf_adds(&b, "some bytes"), 0);
	p = b.data;
	cap = b.cap;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.data, p);
	assert_int_equal(b.cap, cap);
	assert_string_equal(b.data, "");
	buf_release(&b);
}

static void
test_release_reuse(void **state)
{
	struct buf	 b;
	int		 round;

	(void)state;
	buf_init(&b, 32);
	for (round = 0; round < 3; round++) {
		assert_int_equal(buf_printf(&b, "round %d", round), 0);
		assert_int_equal(b.len, 7);
		buf_release(&b);
		assert_null(b.data);
		assert_int_equal(b.len, 0);
		assert_int_equal(b.cap, 0);
		/* The ceiling survives release. */
		assert_int_equal(b.max, 32);
	}
	assert_int_equal(buf_add(&b, "0123456789012345678901234567890123",
	    33), -1);
	assert_int_equal(buf_add(&b, "01234567890123456789012345678901",
	    32), 0);
	buf_release(&b);
}

static void
test_reserve(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 5000);
	assert_int_equal(buf_reserve(&b, 3000), 0);
	assert_int_equal(b.len, 0);
	assert_true(b.cap >= 3001);
	assert_true(b.cap <= b.max + 1);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_empty),
		cmocka_unit_test(test_max_enforced),
		cmocka_unit_test(test_max_overflow),
		cmocka_unit_test(test_zero_max),
		cmocka_unit_test(test_nul_termination),
		cmocka_unit_test(test_printf_growth),
		cmocka_unit_test(test_printf_ceiling),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_reset_keeps_memory),
		cmocka_unit_test(test_release_reuse),
		cmocka_unit_test(test_reserve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
