/* The record fault filter: records reassembled from any split of the byte stream,
 * and each fault applied to exactly the chosen application-data record. */
#include "harness/run/fault.h"
#include "tap.h"

/* A record: type, version 3.3, length, then body bytes all equal to tag. */
static size_t record(unsigned char *out, unsigned char type, unsigned char tag, size_t body)
{
    out[0] = type;
    out[1] = 3;
    out[2] = 3;
    out[3] = (unsigned char)(body >> 8);
    out[4] = (unsigned char)body;
    memset(out + 5, tag, body);
    return 5 + body;
}

/* Send records 1..n (application data, body tag = index) through the filter in
 * pieces of `piece` bytes; return what came out. */
static size_t run(enum th_fault kind, unsigned target, size_t piece, unsigned char *out,
                  int with_alert)
{
    unsigned char stream[4096];
    size_t len = 0;
    for (unsigned i = 1; i <= 5; i++) {
        len += record(stream + len, 23, (unsigned char)i, 10 + i);
        if (with_alert && i == 1)
            len += record(stream + len, 21, 0xAA, 2);
    }
    struct th_queue q;
    memset(&q, 0, sizeof(q));
    struct th_faulter f;
    th_fault_init(&f, kind, target);
    th_fault_attach(&f, &q);
    th_fault_arm(&f);
    for (size_t off = 0; off < len; off += piece)
        q.filter(q.filter_arg, &q, stream + off, len - off < piece ? len - off : piece);
    size_t n = q.len;
    memcpy(out, q.buf + q.head, n);
    th_fault_free(&f);
    free(q.buf);
    return n;
}

/* The tags of the records in a stream, as a string like "12345". */
static void tags(const unsigned char *s, size_t n, char *out)
{
    size_t k = 0;
    for (size_t off = 0; off + 5 <= n; off += 5 + (size_t)((s[off + 3] << 8) | s[off + 4]))
        if (s[off] == 23)
            out[k++] = (char)('0' + s[off + 5]);
    out[k] = '\0';
}

int main(void)
{
    unsigned char out[8192];
    char t[32];
    size_t pieces[] = {1, 3, 7, 4096};
    for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
        size_t p = pieces[i];
        tags(out, run(TH_FAULT_DROP, 3, p, out, 0), t);
        is_str(t, "1245", "drop record 3 (pieces of %zu)", p);
        tags(out, run(TH_FAULT_DUPLICATE, 3, p, out, 0), t);
        is_str(t, "123345", "duplicate record 3 (pieces of %zu)", p);
        tags(out, run(TH_FAULT_REORDER, 3, p, out, 0), t);
        is_str(t, "12435", "swap records 3 and 4 (pieces of %zu)", p);
        tags(out, run(TH_FAULT_TRUNCATE, 3, p, out, 0), t);
        is_str(t, "123", "cut after record 3 (pieces of %zu)", p);
    }
    size_t n = run(TH_FAULT_FLIP_BIT, 2, 5, out, 0);
    tags(out, n, t);
    is_str(t, "12345", "flip keeps every record");
    /* record 2 starts after record 1 (5 + 11 bytes); its body is 12 bytes of 2 */
    int flipped = 0, others = 0;
    for (size_t i = 0; i < 12; i++)
        flipped += out[16 + 5 + i] != 2;
    for (size_t i = 0; i < 11; i++)
        others += out[5 + i] != 1;
    is_int(flipped, 1, "exactly one byte of record 2's body changed");
    is_int(others, 0, "record 1 untouched");
    tags(out, run(TH_FAULT_DROP, 2, 3, out, 1), t);
    is_str(t, "1345",
           "only application data counts: an alert in between is passed and not counted");
    tags(out, run(TH_FAULT_KEY_UPDATE, 2, 4096, out, 0), t);
    is_str(t, "12345", "key_update is not a tampering fault: the stream passes");
    tags(out, run(TH_FAULT_DROP, 9, 4096, out, 0), t);
    is_str(t, "12345", "a target past the stream changes nothing");
    /* not armed: bytes pass untouched even when they are not records */
    struct th_queue q;
    memset(&q, 0, sizeof(q));
    struct th_faulter f;
    th_fault_init(&f, TH_FAULT_DROP, 1);
    th_fault_attach(&f, &q);
    q.filter(q.filter_arg, &q, (const unsigned char *)"abc", 3);
    ok(q.len == 3 && memcmp(q.buf, "abc", 3) == 0, "before arming, bytes pass as they are");
    th_fault_free(&f);
    free(q.buf);
    return done_testing();
}
