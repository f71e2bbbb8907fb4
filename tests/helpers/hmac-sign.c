/*
 * hmac-sign: a test fixture, not part of the product.  Prints the
 * lowercase hex HMAC of each file, one per line, so that a load test
 * signs thousands of bodies in one process instead of one openssl(1)
 * per body.  It calls libcrypto directly, independently of the code
 * under test (common/hmac.c).
 *
 * usage: hmac-sign [-a sha1|sha256|sha512] -k key [-p prefix] file...
 *
 * The MAC covers prefix (e.g. Stripe's "<t>.") followed by the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

static int
sign(const EVP_MD *md, const char *key, const char *prefix, const char *path)
{
	static unsigned char	 buf[64 * 1024 * 1024];
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	unsigned int		 maclen, i;
	size_t			 plen = strlen(prefix), n;
	FILE			*fp;

	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	memcpy(buf, prefix, plen);
	n = fread(buf + plen, 1, sizeof(buf) - plen, fp);
	fclose(fp);
	if (HMAC(md, key, (int)strlen(key), buf, plen + n, mac, &maclen) ==
	    NULL)
		return -1;
	for (i = 0; i < maclen; i++)
		printf("%02x", mac[i]);
	printf("\n");
	return 0;
}

int
main(int argc, char **argv)
{
	const EVP_MD	*md = EVP_sha256();
	const char	*key = NULL, *prefix = "";
	int		 c, i, rc = 0;

	while ((c = getopt(argc, argv, "a:k:p:")) != -1) {
		switch (c) {
		case 'a':
			md = EVP_get_digestbyname(optarg);
			break;
		case 'k':
			key = optarg;
			break;
		case 'p':
			prefix = optarg;
			break;
		default:
			md = NULL;
			break;
		}
	}
	if (md == NULL || key == NULL || optind == argc) {
		fprintf(stderr, "usage: hmac-sign [-a alg] -k key [-p prefix]"
		    " file...\n");
		return 100;
	}
	for (i = optind; i < argc; i++)
		if (sign(md, key, prefix, argv[i]) == -1)
			rc = 1;
	return rc;
}
