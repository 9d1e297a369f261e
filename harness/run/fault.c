#include "fault.h"

#include <stdlib.h>
#include <string.h>

#include "harness/vocab/util.h"

#define REC_HDR 5
#define CT_APPLICATION_DATA 23

void th_fault_init(struct th_faulter *f, enum th_fault kind, unsigned target)
{
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->target = target ? target : 1;
}

void th_fault_arm(struct th_faulter *f)
{
    f->armed = 1;
}

void th_fault_free(struct th_faulter *f)
{
    free(f->partial);
    free(f->held);
    f->partial = f->held = NULL;
}

/* The target record, tampered with as the fault says. */
static void tamper(struct th_faulter *f, struct th_queue *q, unsigned char *rec, size_t len)
{
    f->applied = 1;
    switch (f->kind) {
    case TH_FAULT_FLIP_BIT:
        rec[REC_HDR + (len - REC_HDR) / 2] ^= 0x10; /* a bit in the middle of the body */
        th_queue_push(q, rec, len);
        break;
    case TH_FAULT_DROP: break;
    case TH_FAULT_DUPLICATE:
        th_queue_push(q, rec, len);
        th_queue_push(q, rec, len);
        break;
    case TH_FAULT_REORDER:
        f->held = th_xmalloc(len);
        memcpy(f->held, rec, len);
        f->held_len = len;
        break;
    case TH_FAULT_TRUNCATE:
        th_queue_push(q, rec, len);
        f->cut = 1;
        break;
    case TH_FAULT_KEY_UPDATE: th_queue_push(q, rec, len); break;
    }
}

static void on_record(struct th_faulter *f, struct th_queue *q, unsigned char *rec, size_t len)
{
    if (f->cut)
        return;
    if (rec[0] != CT_APPLICATION_DATA) {
        th_queue_push(q, rec, len);
        return;
    }
    f->seen++;
    if (f->seen == f->target) {
        tamper(f, q, rec, len);
        return;
    }
    th_queue_push(q, rec, len);
    if (f->held) { /* reorder: the record after the target has gone first */
        th_queue_push(q, f->held, f->held_len);
        free(f->held);
        f->held = NULL;
    }
}

static void on_bytes(void *arg, struct th_queue *q, const unsigned char *data, size_t len)
{
    struct th_faulter *f = arg;
    if (!f->armed && f->plen == 0) {
        th_queue_push(q, data, len);
        return;
    }
    if (f->plen + len > f->pcap) {
        f->pcap = (f->plen + len) * 2;
        f->partial = th_xrealloc(f->partial, f->pcap);
    }
    memcpy(f->partial + f->plen, data, len);
    f->plen += len;
    size_t off = 0;
    while (f->plen - off >= REC_HDR) {
        size_t body = ((size_t)f->partial[off + 3] << 8) | f->partial[off + 4];
        if (f->plen - off < REC_HDR + body)
            break;
        on_record(f, q, f->partial + off, REC_HDR + body);
        off += REC_HDR + body;
    }
    memmove(f->partial, f->partial + off, f->plen - off);
    f->plen -= off;
}

void th_fault_attach(struct th_faulter *f, struct th_queue *q)
{
    q->filter = on_bytes;
    q->filter_arg = f;
}
