/* The server's plaintext handshake flight as the mbedTLS backend sees it cross the
 * driver's transport: what 2.28 has no public getter for (the ServerKeyExchange's
 * named curve; whether a ServerHelloDone came, which tells a resumed handshake).
 * Defined in mbedtls_flight.c. */
#ifndef TH_MBEDTLS_FLIGHT_H
#define TH_MBEDTLS_FLIGHT_H

#include <stddef.h>
#include <stdint.h>

/* The server's flight up to its ChangeCipherSpec, parsed from the records as they
 * cross the transport (received by a client, sent by a server). */
struct th_mbedtls_flight {
    unsigned char rec[5]; /* record header being read */
    size_t rec_got, rec_left;
    unsigned char msg[7]; /* handshake header and the first 3 bytes of the body */
    size_t msg_got, body_left;
    int over; /* ChangeCipherSpec seen: the rest is encrypted */
    int hello, hello_done;
    uint16_t curve; /* named curve of the ServerKeyExchange; 0: none */
};

/* Feed bytes as they cross the transport (received by a client, sent by a server). */
void th_mbedtls_flight_feed(struct th_mbedtls_flight *f, const unsigned char *p, size_t n);

#endif
