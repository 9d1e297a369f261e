/* The server's flight read off the wire (mbedtls_flight.h): record headers, then
 * handshake message headers, up to the ChangeCipherSpec after which all is
 * encrypted. */
#include "mbedtls_flight.h"

#include <mbedtls/ssl.h>

static void flight_msg_byte(struct th_mbedtls_flight *f, unsigned char b)
{
    if (f->msg_got < sizeof(f->msg))
        f->msg[f->msg_got] = b;
    f->msg_got++;
    if (f->msg_got == 4) {
        f->body_left = (size_t)f->msg[1] << 16 | (size_t)f->msg[2] << 8 | f->msg[3];
        f->hello |= f->msg[0] == MBEDTLS_SSL_HS_SERVER_HELLO;
        f->hello_done |= f->msg[0] == MBEDTLS_SSL_HS_SERVER_HELLO_DONE;
    } else if (f->msg_got > 4) {
        f->body_left--;
    }
    /* ECParameters: curve_type named_curve (3), then the curve's id (RFC 8422 5.4) */
    if (f->msg_got == 7 && f->msg[0] == MBEDTLS_SSL_HS_SERVER_KEY_EXCHANGE && f->msg[4] == 3)
        f->curve = (uint16_t)(f->msg[5] << 8 | f->msg[6]);
    if (f->msg_got >= 4 && f->body_left == 0)
        f->msg_got = 0;
}

void th_mbedtls_flight_feed(struct th_mbedtls_flight *f, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n && !f->over; i++) {
        if (f->rec_left == 0) {
            f->rec[f->rec_got++] = p[i];
            if (f->rec_got == sizeof(f->rec)) {
                f->rec_got = 0;
                f->rec_left = (size_t)f->rec[3] << 8 | f->rec[4];
                f->over = f->rec[0] == MBEDTLS_SSL_MSG_CHANGE_CIPHER_SPEC;
            }
        } else {
            f->rec_left--;
            if (f->rec[0] == MBEDTLS_SSL_MSG_HANDSHAKE)
                flight_msg_byte(f, p[i]);
        }
    }
}
