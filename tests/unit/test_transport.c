/* The driver-owned transports and the small helpers they rest on. */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/io/transport.h"
#include "harness/vocab/util.h"
#include "tap.h"

static void test_memory(void)
{
    struct th_mem_pair p;
    th_mem_pair_init(&p);
    unsigned char buf[200000], out[200000];
    ok(p.server_io.recv(p.server_io.ctx, out, 10) == TH_IO_AGAIN, "empty queue says again");
    th_pattern_fill(7, 0, buf, sizeof(buf));
    /* wrap the ring: push, pop part, push more than the rest of the buffer */
    ok(p.client_io.send(p.client_io.ctx, buf, 60000) == 60000, "send 60000");
    ok(p.server_io.recv(p.server_io.ctx, out, 50000) == 50000, "recv 50000");
    ok(p.client_io.send(p.client_io.ctx, buf + 60000, 140000) == 140000,
       "send 140000 (grows, wraps)");
    size_t got = 50000;
    while (got < sizeof(buf)) {
        ssize_t n = p.server_io.recv(p.server_io.ctx, out + got, 7777);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    is_int(got, sizeof(buf), "every byte came back");
    ok(memcmp(buf, out, sizeof(buf)) == 0, "in order and intact");
    ok(p.client_io.recv(p.client_io.ctx, out, 1) == TH_IO_AGAIN, "other direction is separate");
    th_mem_pair_close_client(&p);
    ok(p.server_io.recv(p.server_io.ctx, out, 1) == 0, "end of stream after close");
    ok(p.client_io.send(p.client_io.ctx, buf, 1) == TH_IO_FAIL, "sending after close fails");
    th_mem_pair_free(&p);
}

static void test_tcp(void)
{
    uint16_t port = 0;
    struct th_error err = {0};
    int lfd = th_tcp_listen("127.0.0.1", &port);
    ok(lfd >= 0 && port != 0, "listen on 127.0.0.1, port %u", port);
    uint64_t t0 = th_now_ns();
    ok(th_tcp_accept(lfd, t0 + 100000000ull, &err) == -1 && err.outcome == TH_TIMEOUT,
       "accept with nobody connecting times out: %s", err.text);
    ok(th_now_ns() - t0 >= 90000000ull, "...after the deadline, not before");
    ok(err.file != NULL && err.line > 0, "the time limit is raised at a harness place");
    uint64_t cns = 0;
    int cfd = th_tcp_connect("127.0.0.1", port, th_now_ns() + 2000000000ull, &cns, &err);
    ok(cfd >= 0 && cns > 0, "connect, timed");
    int sfd = th_tcp_accept(lfd, th_now_ns() + 2000000000ull, &err);
    ok(sfd >= 0, "accept");
    struct th_tcp c, s;
    th_tcp_init(&c, cfd);
    th_tcp_init(&s, sfd);
    char b[16];
    ok(s.io.recv(s.io.ctx, b, sizeof(b)) == TH_IO_AGAIN, "non-blocking recv says again");
    ok(c.io.send(c.io.ctx, "hello", 5) == 5, "send");
    ok(th_tcp_wait(s.fd, 0, th_now_ns() + 2000000000ull) == 1, "readable");
    ok(s.io.recv(s.io.ctx, b, sizeof(b)) == 5 && memcmp(b, "hello", 5) == 0, "recv");
    th_tcp_close(&c);
    ok(th_tcp_wait(s.fd, 0, th_now_ns() + 2000000000ull) == 1, "close is readable");
    ok(s.io.recv(s.io.ctx, b, sizeof(b)) == 0, "end of stream");
    th_tcp_close(&s);
    /* negative: a listener shut down ends a wait in accept with an error */
    uint16_t port2 = 0;
    int lfd2 = th_tcp_listen("127.0.0.1", &port2);
    shutdown(lfd2, SHUT_RDWR);
    memset(&err, 0, sizeof(err));
    ok(th_tcp_accept(lfd2, th_now_ns() + 2000000000ull, &err) == -1 && err.outcome == TH_IO_ERROR &&
           err.code == EINVAL,
       "accept on a shut-down listener: io_error, EINVAL (%s)", err.text);
    close(lfd2);
    close(lfd);
    /* negative: nothing listens on the port we just closed */
    memset(&err, 0, sizeof(err));
    cfd = th_tcp_connect("127.0.0.1", port, th_now_ns() + 2000000000ull, NULL, &err);
    ok(cfd == -1 && err.outcome == TH_IO_ERROR && err.code == ECONNREFUSED,
       "refused connection is an error, not a timeout: %s", err.text);
    ok(strstr(err.text, "127.0.0.1") != NULL, "the error names the address");
    ok(th_tcp_listen("not-an-address", &port) == -1, "listen needs a numeric address");
    memset(&err, 0, sizeof(err));
    ok(th_tcp_connect("no.such.host.invalid", 443, th_now_ns() + 1000000000ull, NULL, &err) == -1 &&
           err.outcome == TH_IO_ERROR,
       "unresolvable host is an error: %s", err.text);
    ok(th_tcp_connect("127.0.0.1", port, th_now_ns() + 1000000000ull, NULL, NULL) == -1,
       "a caller may pass no error");
}

static void test_util(void)
{
    unsigned char a[100], b[37];
    th_pattern_fill(42, 0, a, sizeof(a));
    th_pattern_fill(42, 13, b, sizeof(b));
    ok(memcmp(a + 13, b, sizeof(b)) == 0, "a pattern slice regenerates from its offset");
    th_pattern_fill(43, 13, b, sizeof(b));
    ok(memcmp(a + 13, b, sizeof(b)) != 0, "another key gives other bytes");
    ok(th_hash64("a") != th_hash64("b"), "hash separates");

    char dir[] = "/tmp/th-util-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    char *path = th_xasprintf("%s/sub/deeper", dir);
    ok(th_mkdirs(path) == 0, "mkdirs makes parents");
    char *file = th_xasprintf("%s/f.txt", path);
    ok(th_write_file_atomic(file, "one", 3) == 0, "atomic write");
    ok(th_write_file_atomic(file, "second", 6) == 0, "atomic replace");
    size_t len = 0;
    char *got = th_read_file(file, &len);
    ok(got && len == 6 && strcmp(got, "second") == 0, "replaced whole");
    free(got);
    char *bad = th_xasprintf("%s/f.txt/under-a-file", path);
    ok(th_write_file_atomic(bad, "x", 1) == -1, "write under a regular file fails");
    ok(th_read_file(bad, NULL) == NULL, "read of a missing file fails");
    ok(th_mkdirs(bad) == -1, "mkdirs under a regular file fails");
    ok(th_mkdirs(file) == -1 && errno == ENOTDIR, "mkdirs onto a regular file fails");
    char small[4];
    th_strlcpy(small, "abcdef", sizeof(small));
    is_str(small, "abc", "strlcpy truncates and terminates");
    unlink(file);
    char *cmd = th_xasprintf("rm -rf %s", dir);
    ok(system(cmd) == 0, "cleanup");
    free(cmd);
    free(bad);
    free(file);
    free(path);
}

int main(void)
{
    test_memory();
    test_tcp();
    test_util();
    return done_testing();
}
