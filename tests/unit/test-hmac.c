/*
 * test-hmac: the MACs against the RFCs' own test cases (RFC 4231 for
 * SHA-256 and SHA-512, RFC 2202 for SHA-1), payloads given in parts,
 * constant-time equality, and the secret fingerprint format; Ed25519
 * against RFC 8032's test vectors, and both public-key schemes signing
 * and verifying with the test keys in tests/vectors/keys/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "hmac.h"
#include "parse.h"

struct mac_case {
	int		 line;
	enum hmac_alg	 alg;
	unsigned char	 keybyte;	/* key: keylen times this */
	const char	*key;		/* or this text, when set */
	size_t		 keylen;
	unsigned char	 databyte;	/* data: datalen times this */
	const char	*data;		/* or this text, when set */
	size_t		 datalen;
	const char	*want;		/* lowercase hex */
};

static const struct mac_case mac_cases[] = {
	/* RFC 4231 section 4.2, test case 1. */
	{ __LINE__, HMAC_SHA256, 0x0b, NULL, 20, 0, "Hi There", 8,
	    "b0344c61d8db38535ca8afceaf0bf12b"
	    "881dc200c9833da726e9376c2e32cff7" },
	{ __LINE__, HMAC_SHA512, 0x0b, NULL, 20, 0, "Hi There", 8,
	    "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
	    "daa833b7d6b8a702038b274eaea3f4e4"
	    "be9d914eeb61f1702e696c203a126854" },
	/* Section 4.3, test case 2: a key shorter than the output. */
	{ __LINE__, HMAC_SHA256, 0, "Jefe", 4, 0,
	    "what do ya want for nothing?", 28,
	    "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843" },
	{ __LINE__, HMAC_SHA512, 0, "Jefe", 4, 0,
	    "what do ya want for nothing?", 28,
	    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	    "9758bf75c05a994a6d034f65f8f0e6fd"
	    "caeab1a34d4a6b4b636e070a38bce737" },
	/* Section 4.4, test case 3: 50 bytes of 0xdd. */
	{ __LINE__, HMAC_SHA256, 0xaa, NULL, 20, 0xdd, NULL, 50,
	    "773ea91e36800e46854db8ebd09181a7"
	    "2959098b3ef8c122d9635514ced565fe" },
	{ __LINE__, HMAC_SHA512, 0xaa, NULL, 20, 0xdd, NULL, 50,
	    "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
	    "bf3e848279a722c806b485a47e67c807"
	    "b946a337bee8942674278859e13292fb" },
	/* Section 4.7, test case 6: a key longer than the block. */
	{ __LINE__, HMAC_SHA256, 0xaa, NULL, 131, 0,
	    "Test Using Larger Than Block-Size Key - Hash Key First", 54,
	    "60e431591ee0b67f0d8a26aacbf5b77f"
	    "8e0bc6213728c5140546040f0ee37f54" },
	/* RFC 2202 section 3, test cases 1 and 2. */
	{ __LINE__, HMAC_SHA1, 0x0b, NULL, 20, 0, "Hi There", 8,
	    "b617318655057264e28bc0b6fb378c8ef146be00" },
	{ __LINE__, HMAC_SHA1, 0, "Jefe", 4, 0,
	    "what do ya want for nothing?", 28,
	    "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
	/* An empty key and message (openssl mac -macopt key:). */
	{ __LINE__, HMAC_SHA256, 0, "", 0, 0, "", 0,
	    "b613679a0814d9ec772f95d778c35fc5"
	    "ff1697c493715653c6c712144292c5ad" },
};

static void
check_mac(const struct mac_case *c)
{
	unsigned char	 key[200], data[200];
	unsigned char	 mac[HMAC_MAX], want[HMAC_MAX];
	struct hmac_part part;
	size_t		 n;

	if (c->key != NULL)
		memcpy(key, c->key, c->keylen);
	else
		memset(key, c->keybyte, c->keylen);
	if (c->data != NULL)
		memcpy(data, c->data, c->datalen);
	else
		memset(data, c->databyte, c->datalen);
	assert_int_equal(parse_hex(c->want, strlen(c->want), want,
	    sizeof(want), &n), 0);
	assert_int_equal(n, hmac_size(c->alg));
	part.data = data;
	part.len = c->datalen;
	memset(mac, 0, sizeof(mac));
	if (hmac_compute(c->alg, key, c->keylen, &part, 1, mac) != 0)
		fail_msg("line %d: hmac_compute failed", c->line);
	if (memcmp(mac, want, n) != 0)
		fail_msg("line %d: %s MAC differs from the RFC", c->line,
		    hmac_name(c->alg));
}

static void
test_rfc_vectors(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(mac_cases) / sizeof(mac_cases[0]); i++)
		check_mac(&mac_cases[i]);
}

static void
test_init(void **state)
{
	(void)state;
	assert_int_equal(hmac_init(0), 0);
	/* Twice is harmless. */
	assert_int_equal(hmac_init(0), 0);
	check_mac(&mac_cases[0]);
}

static void
test_parts(void **state)
{
	static const char	 msg[] = "what do ya want for nothing?";
	struct hmac_part	 one, many[6];
	unsigned char		 a[HMAC_MAX], b[HMAC_MAX];
	enum hmac_alg		 alg;
	size_t			 cut;

	(void)state;
	for (alg = HMAC_SHA1; alg <= HMAC_SHA512; alg++) {
		one.data = msg;
		one.len = sizeof(msg) - 1;
		assert_int_equal(hmac_compute(alg, "Jefe", 4, &one, 1, a), 0);
		/* Every split point, with empty parts around it. */
		for (cut = 0; cut <= sizeof(msg) - 1; cut++) {
			many[0].data = "";
			many[0].len = 0;
			many[1].data = msg;
			many[1].len = cut;
			many[2].data = NULL;
			many[2].len = 0;
			many[3].data = msg + cut;
			many[3].len = sizeof(msg) - 1 - cut;
			many[4].data = "";
			many[4].len = 0;
			memset(b, 0, sizeof(b));
			assert_int_equal(hmac_compute(alg, "Jefe", 4, many, 5,
			    b), 0);
			assert_memory_equal(a, b, hmac_size(alg));
		}
		/* A part moved changes the MAC. */
		many[0].data = msg + 4;
		many[0].len = sizeof(msg) - 5;
		many[1].data = msg;
		many[1].len = 4;
		assert_int_equal(hmac_compute(alg, "Jefe", 4, many, 2, b), 0);
		assert_memory_not_equal(a, b, hmac_size(alg));
	}
	/* No parts at all is the empty message. */
	one.data = "";
	one.len = 0;
	assert_int_equal(hmac_compute(HMAC_SHA256, "k", 1, &one, 1, a), 0);
	assert_int_equal(hmac_compute(HMAC_SHA256, "k", 1, NULL, 0, b), 0);
	assert_memory_equal(a, b, 32);
}

static void
test_key_matters(void **state)
{
	struct hmac_part	 p = { "body", 4 };
	unsigned char		 a[HMAC_MAX], b[HMAC_MAX];

	(void)state;
	assert_int_equal(hmac_compute(HMAC_SHA256, "secret", 6, &p, 1, a), 0);
	assert_int_equal(hmac_compute(HMAC_SHA256, "Secret", 6, &p, 1, b), 0);
	assert_memory_not_equal(a, b, 32);
	/* A key with a NUL inside is used whole. */
	assert_int_equal(hmac_compute(HMAC_SHA256, "se\0ret", 6, &p, 1, a), 0);
	assert_int_equal(hmac_compute(HMAC_SHA256, "se", 2, &p, 1, b), 0);
	assert_memory_not_equal(a, b, 32);
}

static void
test_sizes_and_names(void **state)
{
	static const struct {
		const char	*name;
		enum hmac_alg	 alg;
		size_t		 size;
	} algs[] = {
		{ "sha1", HMAC_SHA1, 20 },
		{ "sha256", HMAC_SHA256, 32 },
		{ "sha512", HMAC_SHA512, 64 },
	};
	static const char *const bad[] = {
		"", "SHA256", "sha-256", "sha256 ", "md5", "sha384", "sha",
	};
	enum hmac_alg	 alg;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		assert_int_equal(hmac_size(algs[i].alg), algs[i].size);
		assert_string_equal(hmac_name(algs[i].alg), algs[i].name);
		alg = (enum hmac_alg)-1;
		assert_int_equal(hmac_parse_alg(algs[i].name, &alg), 0);
		assert_int_equal(alg, algs[i].alg);
		assert_true(hmac_size(algs[i].alg) <= HMAC_MAX);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (hmac_parse_alg(bad[i], &alg) != -1)
			fail_msg("hmac_parse_alg(\"%s\") accepted", bad[i]);
}

static void
test_equal(void **state)
{
	unsigned char	 a[64], b[64];
	size_t		 i;

	(void)state;
	memset(a, 0x5a, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_int_equal(hmac_equal(a, b, sizeof(a)), 1);
	assert_int_equal(hmac_equal(a, b, 0), 1);
	/* A difference anywhere, first byte to last, is seen. */
	for (i = 0; i < sizeof(a); i++) {
		b[i] ^= 0x01;
		if (hmac_equal(a, b, sizeof(a)) != 0)
			fail_msg("difference at %zu not seen", i);
		b[i] ^= 0x81;
		assert_int_equal(hmac_equal(a, b, sizeof(a)), 0);
		b[i] ^= 0x80;
	}
	assert_int_equal(hmac_equal(a, b, sizeof(a)), 1);
	/* Only len bytes are compared. */
	b[63] = 0;
	assert_int_equal(hmac_equal(a, b, 63), 1);
}

static void
test_sha256(void **state)
{
	unsigned char	 md[32], want[32];
	size_t		 n;

	(void)state;
	/* FIPS 180-2 appendix B.1: "abc". */
	assert_int_equal(parse_hex(
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    64, want, sizeof(want), &n), 0);
	assert_int_equal(hmac_sha256("abc", 3, md), 0);
	assert_memory_equal(md, want, 32);
	/* The empty string. */
	assert_int_equal(parse_hex(
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    64, want, sizeof(want), &n), 0);
	assert_int_equal(hmac_sha256("", 0, md), 0);
	assert_memory_equal(md, want, 32);
}

static void
test_fingerprint(void **state)
{
	char	 fp[16], fp2[16];
	size_t	 i;

	(void)state;
	/* sha256sum of "It's a Secret to Everybody": 2f8894d9... */
	memset(fp, 'X', sizeof(fp));
	hmac_fingerprint("It's a Secret to Everybody", 26, fp);
	assert_string_equal(fp, "sha256:2f8894d9");
	assert_int_equal(strlen(fp), 15);
	/* "abc": ba7816bf... */
	hmac_fingerprint("abc", 3, fp);
	assert_string_equal(fp, "sha256:ba7816bf");
	/* Always "sha256:" and eight lowercase hex digits. */
	hmac_fingerprint("", 0, fp);
	assert_int_equal(strlen(fp), 15);
	assert_memory_equal(fp, "sha256:", 7);
	for (i = 7; i < 15; i++)
		assert_true(isxdigit((unsigned char)fp[i]) &&
		    !isupper((unsigned char)fp[i]));
	/* It never shows the secret, and differs between secrets. */
	hmac_fingerprint("sha256:abcdef01", 15, fp2);
	assert_string_not_equal(fp2, "sha256:abcdef01");
	assert_string_not_equal(fp, fp2);
}

static void
test_random_and_cleanse(void **state)
{
	unsigned char	 a[32], b[32], zero[32];

	(void)state;
	memset(zero, 0, sizeof(zero));
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	assert_int_equal(hmac_random(a, sizeof(a)), 0);
	assert_int_equal(hmac_random(b, sizeof(b)), 0);
	/* 2^-256 odds of a false failure. */
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
	hmac_cleanse(a, sizeof(a));
	assert_memory_equal(a, zero, sizeof(a));
	/* Only len bytes are wiped. */
	hmac_cleanse(b, 16);
	assert_memory_equal(b, zero, 16);
}

/* Hex text into bytes, for the cases below. */
static size_t
unhex(const char *s, unsigned char *out, size_t cap)
{
	size_t	 n;

	assert_int_equal(parse_hex(s, strlen(s), out, cap, &n), 0);
	return n;
}

/* RFC 8032 section 7.1, TEST 1 (empty message) and TEST 2 (one byte). */
static void
test_pk_rfc8032(void **state)
{
	static const struct {
		const char	*pub, *msg, *sig;
	} cases[] = {
		{ "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707"
		  "511a", "",
		  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522"
		  "4901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe246551"
		  "41438e7a100b" },
		{ "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4"
		  "660c", "72",
		  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223eb"
		  "db69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d"
		  "291612bb0c00" },
	};
	unsigned char	 der[LIMIT_PUBKEY_DER], msg[8], sig[64];
	struct hmac_part parts[2];
	size_t		 i, derlen, mlen;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse_public_key(cases[i].pub,
		    strlen(cases[i].pub), der, sizeof(der), &derlen), 0);
		assert_int_equal(hmac_pk_type(der, derlen), HMAC_PK_ED25519);
		mlen = cases[i].msg[0] != '\0' ? unhex(cases[i].msg, msg,
		    sizeof(msg)) : 0;
		assert_int_equal(unhex(cases[i].sig, sig, sizeof(sig)), 64);
		/* The message in two parts, as verify.c passes ts + body. */
		parts[0].data = msg;
		parts[0].len = 0;
		parts[1].data = msg;
		parts[1].len = mlen;
		assert_int_equal(hmac_pk_verify(HMAC_PK_ED25519, der, derlen,
		    parts, 2, sig, 64), 1);
		/* One bit anywhere in the signature, and it fails. */
		sig[17] ^= 0x10;
		assert_int_equal(hmac_pk_verify(HMAC_PK_ED25519, der, derlen,
		    parts, 2, sig, 64), 0);
		sig[17] ^= 0x10;
		/* The wrong scheme for the key never verifies. */
		assert_int_equal(hmac_pk_verify(HMAC_PK_P256, der, derlen,
		    parts, 2, sig, 64), 0);
		/* A short signature is invalid, not an error. */
		assert_int_equal(hmac_pk_verify(HMAC_PK_ED25519, der, derlen,
		    parts, 2, sig, 63), 0);
	}
}

/* Which keys are usable: Ed25519 and P-256 only, exactly the DER. */
static void
test_pk_types(void **state)
{
	/* SendGrid's test key (sendgrid-python test_eventwebhook.py). */
	static const char	 p256[] = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4"
	    "O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpi"
	    "glSI8eNEc6wEA3F+g==";
	unsigned char		 der[LIMIT_PUBKEY_DER + 1];
	size_t			 n;

	(void)state;
	assert_int_equal(parse_public_key(p256, strlen(p256), der,
	    sizeof(der), &n), 0);
	assert_int_equal(n, 91);
	assert_int_equal(hmac_pk_type(der, n), HMAC_PK_P256);
	/* One byte short or one byte more is no key. */
	assert_int_equal(hmac_pk_type(der, n - 1), HMAC_PK_NONE);
	der[n] = 0;
	assert_int_equal(hmac_pk_type(der, n + 1), HMAC_PK_NONE);
	assert_int_equal(hmac_pk_type(der, 0), HMAC_PK_NONE);
	assert_int_equal(hmac_pk_type((const unsigned char *)"garbage", 7),
	    HMAC_PK_NONE);
	assert_string_equal(hmac_pk_name(HMAC_PK_ED25519), "ed25519");
	assert_string_equal(hmac_pk_name(HMAC_PK_P256), "ecdsa-p256");
}

/* Reads a test key fixture; the tests run from the repository root. */
static size_t
read_fixture(const char *name, char *out, size_t cap)
{
	char	 path[256];
	FILE	*fp;
	size_t	 n;

	snprintf(path, sizeof(path), "tests/vectors/keys/%s", name);
	if ((fp = fopen(path, "r")) == NULL)
		fail_msg("cannot open '%s' (run from the repository root)",
		    path);
	n = fread(out, 1, cap, fp);
	fclose(fp);
	return n;
}

/* What hmac_pk_sign makes, hmac_pk_verify accepts, for both kinds. */
static void
test_pk_sign_roundtrip(void **state)
{
	static const struct {
		enum hmac_pk	 pk;
		const char	*priv, *pub;
	} cases[] = {
		{ HMAC_PK_ED25519, "discord-test.pem", "discord-test.pub" },
		{ HMAC_PK_P256, "sendgrid-test.pem", "sendgrid-test.pub" },
	};
	struct hmac_part parts[2] = { { "1700000000", 10 }, { "{}", 2 } };
	unsigned char	 der[LIMIT_PUBKEY_DER], sig[HMAC_PK_SIG_MAX];
	char		 pem[1024], pub[1024];
	size_t		 i, n, derlen, siglen;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = read_fixture(cases[i].priv, pem, sizeof(pem));
		assert_int_equal(hmac_pk_sign(cases[i].pk, pem, n, parts, 2,
		    sig, &siglen), 0);
		n = read_fixture(cases[i].pub, pub, sizeof(pub));
		assert_int_equal(parse_public_key(pub, n, der, sizeof(der),
		    &derlen), 0);
		assert_int_equal(hmac_pk_verify(cases[i].pk, der, derlen,
		    parts, 2, sig, siglen), 1);
		/* The other kind's signer refuses this key. */
		n = read_fixture(cases[i].priv, pem, sizeof(pem));
		assert_int_equal(hmac_pk_sign(cases[i].pk == HMAC_PK_P256 ?
		    HMAC_PK_ED25519 : HMAC_PK_P256, pem, n, parts, 2, sig,
		    &siglen), -1);
		/* The private key is no public key. */
		assert_int_equal(parse_public_key(pem, n, der, sizeof(der),
		    &derlen), -2);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_vectors),
		cmocka_unit_test(test_pk_rfc8032),
		cmocka_unit_test(test_pk_types),
		cmocka_unit_test(test_pk_sign_roundtrip),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_key_matters),
		cmocka_unit_test(test_sizes_and_names),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_random_and_cleanse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
