/*
 * nats-fill: a measuring fixture, not part of the product.  Publishes
 * COUNT deliveries ("fill-1", "fill-2", ...) of BYTES bytes of body to
 * the stream of store = nats exactly as a handler does (jetstream.c,
 * one PubAck each), so that bench/nats-dedupe.sh can read what each
 * remembered id costs the servers in memory and disk.
 *
 * usage: nats-fill URLS STREAM REPLICAS COUNT BYTES
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jetstream.h"
#include "ledger.h"

int
main(int argc, char **argv)
{
	struct jetstream_conf	 c;
	struct jetstream	*j;
	struct ledger_new	 n;
	char			 err[512], id[32], *body;
	long			 i, count, bytes, failed = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: nats-fill urls stream replicas count"
		    " bytes\n");
		return 100;
	}
	count = strtol(argv[4], NULL, 10);
	bytes = strtol(argv[5], NULL, 10);
	if (count <= 0 || bytes < 0 || (body = malloc(bytes + 1)) == NULL)
		return 100;
	memset(body, 'x', bytes);
	memset(&c, 0, sizeof(c));
	c.urls = argv[1];
	c.stream = argv[2];
	c.replicas = strtol(argv[3], NULL, 10);
	c.dedupe_window = 30L * 86400;
	c.name = "nats-fill";
	if ((j = jetstream_open(&c, err, sizeof(err))) == NULL) {
		fprintf(stderr, "nats-fill: %s\n", err);
		return 111;
	}
	memset(&n, 0, sizeof(n));
	n.endpoint = "fill";
	n.provider = "github";
	n.event = "push";
	n.headers = "{\"Content-Type\":\"application/json\"}";
	n.headers_len = strlen(n.headers);
	n.body = body;
	n.body_len = (size_t)bytes;
	n.body_sha256 = "0000";
	n.delivery_id = id;
	for (i = 1; i <= count; i++) {
		snprintf(id, sizeof(id), "fill-%ld", i);
		n.received_at = i;
		if (jetstream_publish(j, &n, 10000, NULL, 0, err,
		    sizeof(err)) != JETSTREAM_QUEUED && failed++ == 0)
			fprintf(stderr, "nats-fill: %s: %s\n", id, err);
	}
	jetstream_close(j);
	free(body);
	printf("published %ld, %ld failed\n", count - failed, failed);
	return failed > 0 ? 1 : 0;
}
