/*
 * sign-many: a benchmark fixture, not part of the product.  Stripe puts
 * the event id inside the signed body, so a load of unique deliveries
 * needs one signature per request; wrk cannot compute HMACs, so this
 * precomputes them.
 *
 * usage: sign-many keyfile template count idprefix timestamp
 *
 * The template holds the placeholder "evt_BENCHID" once.  For i in
 * [0, count) the id is "evt_<idprefix><i>" and the line printed is
 * "<id> <hex HMAC-SHA256 of 'timestamp.' + body with the id>", Stripe's
 * signed payload (https://docs.stripe.com/webhooks#verify-manually).
 * The key is read from a file so that it never shows in a process list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define PLACEHOLDER	"evt_BENCHID"

static size_t
slurp(const char *path, char *buf, size_t size)
{
	FILE	*fp;
	size_t	 n;

	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		exit(1);
	}
	n = fread(buf, 1, size - 1, fp);
	if (!feof(fp)) {
		fprintf(stderr, "%s: too large\n", path);
		exit(1);
	}
	fclose(fp);
	buf[n] = '\0';
	return n;
}

int
main(int argc, char *argv[])
{
	static char	 tmpl[1 << 20], msg[(1 << 20) + 256], key[4096];
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen, j;
	char		 id[128], *hole;
	size_t		 keylen, headlen, n;
	long		 i, count;

	if (argc != 6) {
		fprintf(stderr, "usage: sign-many keyfile template count"
		    " idprefix timestamp\n");
		return 2;
	}
	keylen = slurp(argv[1], key, sizeof(key));
	while (keylen > 0 && key[keylen - 1] == '\n')
		keylen--;
	slurp(argv[2], tmpl, sizeof(tmpl));
	if ((hole = strstr(tmpl, PLACEHOLDER)) == NULL) {
		fprintf(stderr, "%s: no %s\n", argv[2], PLACEHOLDER);
		return 1;
	}
	headlen = (size_t)(hole - tmpl);
	count = strtol(argv[3], NULL, 10);
	for (i = 0; i < count; i++) {
		snprintf(id, sizeof(id), "evt_%s%ld", argv[4], i);
		n = (size_t)snprintf(msg, sizeof(msg), "%s.%.*s%s%s", argv[5],
		    (int)headlen, tmpl, id, hole + strlen(PLACEHOLDER));
		if (n >= sizeof(msg))
			return 1;
		HMAC(EVP_sha256(), key, (int)keylen, (unsigned char *)msg, n,
		    mac, &maclen);
		printf("%s ", id);
		for (j = 0; j < maclen; j++)
			printf("%02x", mac[j]);
		putchar('\n');
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
