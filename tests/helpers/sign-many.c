/*
 * sign-many: a benchmark fixture, not part of the product.  A load of
 * genuine deliveries needs a distinct signed body per request (the
 * receivers deduplicate on the delivery id and on the signed bytes), and
 * wrk cannot compute HMACs, so this precomputes them.
 *
 * usage: sign-many [-o dir] github|stripe keyfile template count idprefix
 *            [timestamp]
 *
 * The template holds the placeholder "BENCHID" once.  For i in
 * [0, count) the id is "<idprefix><i>", the body is the template with
 * the placeholder replaced by the id, and the line printed is
 * "<id> <hex HMAC-SHA256>" of what the provider signs:
 *   github: the body alone ("Validating webhook deliveries",
 *     https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries);
 *   stripe: timestamp + "." + body
 *     (https://docs.stripe.com/webhooks#verify-manually).
 * With -o, each body is also written to dir/<id>.
 *
 * The MAC state after the part before the placeholder is computed once
 * and copied for each id, so that a 1 MiB template whose placeholder is
 * near its end costs little more per id than a small one.  The key is
 * read from a file so that it never shows in a process list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#define PLACEHOLDER	"BENCHID"

static char *
slurp(const char *path, size_t *len)
{
	FILE	*fp;
	char	*buf;
	long	 size;

	if ((fp = fopen(path, "rb")) == NULL || fseek(fp, 0, SEEK_END) != 0 ||
	    (size = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
		perror(path);
		exit(1);
	}
	if ((buf = malloc((size_t)size + 1)) == NULL ||
	    fread(buf, 1, (size_t)size, fp) != (size_t)size) {
		fprintf(stderr, "%s: cannot read\n", path);
		exit(1);
	}
	fclose(fp);
	buf[size] = '\0';
	*len = (size_t)size;
	return buf;
}

static void
update(EVP_MAC_CTX *ctx, const void *p, size_t n)
{
	if (!EVP_MAC_update(ctx, p, n)) {
		fprintf(stderr, "sign-many: EVP_MAC_update failed\n");
		exit(1);
	}
}

static void
write_body(const char *dir, const char *id, const char *head, size_t headlen,
    const char *tail)
{
	char	 path[4096];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, id);
	if ((fp = fopen(path, "wb")) == NULL) {
		perror(path);
		exit(1);
	}
	fwrite(head, 1, headlen, fp);
	fputs(id, fp);
	fputs(tail, fp);
	if (fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
}

int
main(int argc, char *argv[])
{
	OSSL_PARAM	 params[2];
	char		 digest[] = "SHA256";
	EVP_MAC		*hmac;
	EVP_MAC_CTX	*base, *ctx;
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	char		*key, *tmpl, *hole, *tail, id[128], *dir = NULL;
	size_t		 keylen, tmpllen, headlen, maclen, j;
	long		 i, count;
	int		 ch, stripe;

	while ((ch = getopt(argc, argv, "o:")) != -1) {
		if (ch != 'o')
			goto usage;
		dir = optarg;
	}
	argc -= optind;
	argv += optind;
	if (argc < 5 || argc > 6)
		goto usage;
	if (strcmp(argv[0], "github") == 0 && argc == 5)
		stripe = 0;
	else if (strcmp(argv[0], "stripe") == 0 && argc == 6)
		stripe = 1;
	else
		goto usage;
	key = slurp(argv[1], &keylen);
	while (keylen > 0 && key[keylen - 1] == '\n')
		keylen--;
	tmpl = slurp(argv[2], &tmpllen);
	if ((hole = strstr(tmpl, PLACEHOLDER)) == NULL) {
		fprintf(stderr, "%s: no %s\n", argv[2], PLACEHOLDER);
		return 1;
	}
	headlen = (size_t)(hole - tmpl);
	tail = hole + strlen(PLACEHOLDER);
	count = strtol(argv[3], NULL, 10);

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (base = EVP_MAC_CTX_new(hmac)) == NULL ||
	    !EVP_MAC_init(base, (unsigned char *)key, keylen, params)) {
		fprintf(stderr, "sign-many: cannot set up HMAC-SHA256\n");
		return 1;
	}
	if (stripe) {
		update(base, argv[5], strlen(argv[5]));
		update(base, ".", 1);
	}
	update(base, tmpl, headlen);
	for (i = 0; i < count; i++) {
		snprintf(id, sizeof(id), "%s%ld", argv[4], i);
		if ((ctx = EVP_MAC_CTX_dup(base)) == NULL) {
			fprintf(stderr, "sign-many: EVP_MAC_CTX_dup failed\n");
			return 1;
		}
		update(ctx, id, strlen(id));
		update(ctx, tail, strlen(tail));
		if (!EVP_MAC_final(ctx, mac, &maclen, sizeof(mac))) {
			fprintf(stderr, "sign-many: EVP_MAC_final failed\n");
			return 1;
		}
		EVP_MAC_CTX_free(ctx);
		if (dir != NULL)
			write_body(dir, id, tmpl, headlen, tail);
		printf("%s ", id);
		for (j = 0; j < maclen; j++)
			printf("%02x", mac[j]);
		putchar('\n');
	}
	return fflush(stdout) == 0 ? 0 : 1;
usage:
	fprintf(stderr, "usage: sign-many [-o dir] github|stripe keyfile"
	    " template count idprefix [timestamp]\n");
	return 2;
}
