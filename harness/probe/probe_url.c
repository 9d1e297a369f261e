/* The URL `tlsharness probe` is given (probe.h: th_probe_parse_url): what is wrong
 * with it is the user's input, said in words that name the part at fault. */
#include "probe.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "probe_int.h"

/* The user's URL is wrong: say how, and fail. */
#define URL_FAIL(err, ...)                                                                         \
    do {                                                                                           \
        TH_INPUT((err), __VA_ARGS__);                                                              \
        return -1;                                                                                 \
    } while (0)

int th_probe_is_ip(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* ":PORT" after the host: 1 to 65535, decimal digits only. */
static int parse_port(const char *s, size_t len, uint16_t *port, struct th_error *err)
{
    unsigned long v = 0;
    int good = len >= 1 && len <= 5;
    for (size_t i = 0; good && i < len; i++) {
        good = s[i] >= '0' && s[i] <= '9';
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (!good || v < 1 || v > 65535)
        URL_FAIL(err, "'%.*s' is not a port from 1 to 65535", (int)len, s);
    *port = (uint16_t)v;
    return 0;
}

/* "[v6]" or "[v6]:port": the part after '[' up to the end of the authority. */
static int parse_bracketed(const char *a, size_t len, struct th_probe_url *out,
                           struct th_error *err)
{
    const char *close = memchr(a, ']', len);
    if (!close)
        URL_FAIL(err, "'[' without ']' in the host");
    size_t hlen = (size_t)(close - a - 1), rest = len - (size_t)(close - a) - 1;
    unsigned char buf[16];
    if (hlen == 0 || hlen >= sizeof(out->host))
        URL_FAIL(err, "an empty or overlong address in brackets");
    memcpy(out->host, a + 1, hlen);
    out->host[hlen] = '\0';
    if (inet_pton(AF_INET6, out->host, buf) != 1)
        URL_FAIL(err, "'[%s]' is not an IPv6 address", out->host);
    out->host_is_ip = 1;
    if (rest == 0)
        return 0;
    if (close[1] != ':')
        URL_FAIL(err, "'%.*s' after ']': expected ':PORT'", (int)rest, close + 1);
    return parse_port(close + 2, rest - 1, &out->port, err);
}

static int host_chars_ok(const char *h, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = h[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_'))
            return 0;
    }
    return 1;
}

static int parse_authority(const char *a, size_t len, struct th_probe_url *out,
                           struct th_error *err)
{
    if (memchr(a, '@', len))
        URL_FAIL(err, "user names in the URL are not supported");
    if (len > 0 && a[0] == '[')
        return parse_bracketed(a, len, out, err);
    const char *colon = memchr(a, ':', len);
    size_t hlen = colon ? (size_t)(colon - a) : len;
    if (colon && memchr(colon + 1, ':', len - hlen - 1))
        URL_FAIL(err, "an IPv6 address needs brackets: https://[::1]:443/");
    if (hlen == 0)
        URL_FAIL(err, "no host in the URL");
    if (hlen > 253)
        URL_FAIL(err, "the host is longer than 253 characters");
    if (!host_chars_ok(a, hlen))
        URL_FAIL(err, "'%.*s' is not a host name or address", (int)hlen, a);
    memcpy(out->host, a, hlen);
    out->host[hlen] = '\0';
    out->host_is_ip = th_probe_is_ip(out->host);
    return colon ? parse_port(colon + 1, len - hlen - 1, &out->port, err) : 0;
}

/* The path goes into the request line as it is: no spaces or control characters.
 * A query without a path asks for "/?query"; a fragment is not sent. */
static int parse_path(const char *p, struct th_probe_url *out, struct th_error *err)
{
    size_t len = strcspn(p, "#");
    const char *lead = *p == '?' ? "/" : "";
    if (len == 0) {
        strcpy(out->path, "/");
        return 0;
    }
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f)
            URL_FAIL(err, "the path has a space or a control character");
    if (strlen(lead) + len >= sizeof(out->path))
        URL_FAIL(err, "the path is longer than %zu bytes", sizeof(out->path) - 2);
    snprintf(out->path, sizeof(out->path), "%s%.*s", lead, (int)len, p);
    return 0;
}

int th_probe_parse_url(const char *url, struct th_probe_url *out, struct th_error *err)
{
    memset(out, 0, sizeof(*out));
    out->port = 443;
    if (!url || !*url)
        URL_FAIL(err, "no URL given");
    if (strncasecmp(url, "https://", 8) != 0) {
        if (strstr(url, "://"))
            URL_FAIL(err, "'%s': only https:// URLs can be probed", url);
        URL_FAIL(err, "'%s' is not a URL: write https://HOST[:PORT][/PATH]", url);
    }
    const char *a = url + 8;
    size_t alen = strcspn(a, "/?#");
    TH_GUARD(parse_authority(a, alen, out, err));
    return parse_path(a + alen, out, err);
}
