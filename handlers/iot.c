/*
 * The generic receiver, for devices and platforms not named elsewhere.
 * Everything comes from the endpoint's configuration: signature_header,
 * algorithm, encoding, signature_prefix, signed (body or timestamp+body)
 * with signed_separator, timestamp_header and timestamp_format, id and
 * event from id_header/id_field and event_header/event_field (else the
 * body's SHA-256 is the id).  token_header selects a plain shared token
 * for devices that cannot sign.  Without any of these every request is
 * refused, unless insecure_allow_unsigned = yes.
 */
#include "serve.h"

const struct provider provider_iot = {
	.name = "iot",
	.scheme = {
		.format = SIG_NONE,
		.alg = HMAC_SHA256,
		.encoding = ENC_HEX,
	},
	.tolerance = 300,
	.id = { .digest = 1 },
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_iot, argc, argv);
}
#endif
