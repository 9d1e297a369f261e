/* Kind integrity: a fault injected into the records of one direction over the
 * in-memory pair (a bit flipped, a record dropped, duplicated, reordered, the
 * stream cut), or a TLS 1.3 KeyUpdate, and what the receiver hands over checked
 * against what was sent: it must refuse the tampered record, never deliver bytes
 * that were not sent, and deliver the whole stream across a KeyUpdate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/run/fault.h"
#include "harness/run/judge.h"
#include "harness/run/pair.h"
#include "kinds_int.h"

#define MAX_RECORD 16384u /* TLS plaintext record limit */

/* Write `bytes` of the stream in ws writes; with a KeyUpdate fault, ask for the
 * update once (target - 1) records have gone. */
static int integrity_send(const struct th_case *k, struct th_pair_end *tx,
                          const struct th_payload *p)
{
    const struct th_fault_spec *f = &k->fault;
    uint64_t update_at = (uint64_t)(f->record - 1) * f->write_size;
    if (f->fault == TH_FAULT_KEY_UPDATE) {
        if (th_pair_write(tx, p, (size_t)update_at, f->write_size) != 0)
            return -1;
        enum th_step st = tx->b->key_update(tx->conn, &tx->err);
        if (st == TH_STEP_FAILED)
            return tx->failed = 1, -1;
        return th_pair_write(tx, p, (size_t)(f->bytes - update_at), f->write_size);
    }
    return th_pair_write(tx, p, (size_t)f->bytes, f->write_size);
}

/* Bytes of application data the receiver may hand over before it must refuse. */
static uint64_t allowed_bytes(const struct th_fault_spec *f)
{
    uint64_t rec = f->write_size < MAX_RECORD ? f->write_size : MAX_RECORD;
    unsigned whole =
        f->fault == TH_FAULT_DUPLICATE || f->fault == TH_FAULT_TRUNCATE ? f->record : f->record - 1;
    return f->fault == TH_FAULT_KEY_UPDATE ? f->bytes : rec * whole;
}

static void integrity_judge(const struct th_case *k, struct th_pair_end *rx, int rx_is_client,
                            uint64_t got, int intact, int closed, struct th_case_result *r)
{
    struct th_observed *ob = &r->obs;
    ob->ran = 1;
    ob->server_seen = 1;
    *(rx_is_client ? &ob->client_err : &ob->server_err) = rx->err;
    ob->outcome = rx->failed ? rx->err.outcome : TH_OK;
    ob->native_side = rx->failed ? (rx_is_client ? "client" : "server") : NULL;
    if (!intact) {
        r->status = TH_FAIL;
        snprintf(r->reason, sizeof(r->reason),
                 "the receiver handed over bytes that were not sent (after %llu good bytes)",
                 (unsigned long long)got);
        return;
    }
    if (got > allowed_bytes(&k->fault)) {
        r->status = TH_FAIL;
        snprintf(r->reason, sizeof(r->reason),
                 "the receiver handed over %llu bytes, more than the %llu before the tampered "
                 "record",
                 (unsigned long long)got, (unsigned long long)allowed_bytes(&k->fault));
        return;
    }
    th_judge(k, r);
    if (r->status == TH_PASS && !rx->failed && got < k->fault.bytes)
        snprintf(r->reason + strlen(r->reason), sizeof(r->reason) - strlen(r->reason),
                 "; %llu of %llu bytes arrived%s", (unsigned long long)got,
                 (unsigned long long)k->fault.bytes, closed ? ", then close_notify" : "");
}

void th_run_integrity(const struct th_case *k, const struct th_runner_opts *o, struct th_ctx *cctx,
                      struct th_ctx *sctx, struct th_case_result *r)
{
    struct th_pair d;
    struct th_error err = {0};
    if (th_pair_open(&d, k, cctx, sctx, NULL, &err) != 0) {
        th_pair_fail_result(&d, "handshake", r);
        th_judge(k, r);
    } else if (th_pair_check_pins(k, &d, &err) != 0) {
        r->status = TH_FAIL;
        th_strlcpy(r->reason, err.text, sizeof(r->reason));
    } else {
        int c2s = k->fault.direction != TH_S2C;
        struct th_pair_end *tx = c2s ? &d.cl : &d.sv, *rx = c2s ? &d.sv : &d.cl;
        struct th_queue *q = c2s ? &d.mem.c2s : &d.mem.s2c;
        d.cl.b->negotiated(d.cl.conn, &r->obs.neg);
        r->obs.have_neg = 1;
        /* let the receiver take what the handshake left (TLS 1.3 tickets) first */
        unsigned char *buf = th_xmalloc((size_t)k->fault.bytes + 1);
        int closed = 0;
        th_pair_read(rx, buf, 0, &closed);
        struct th_faulter f;
        th_fault_init(&f, k->fault.fault, k->fault.record);
        th_fault_attach(&f, q);
        th_fault_arm(&f);
        struct th_payload p;
        th_payload_init(&p, th_hash64(k->id), k->fault.write_size);
        if (integrity_send(k, tx, &p) != 0) {
            th_pair_fail_result(&d, "sending", r);
        } else {
            if (k->fault.fault == TH_FAULT_TRUNCATE)
                *(c2s ? &d.mem.c2s.eof : &d.mem.s2c.eof) = 1;
            size_t got = th_pair_read(rx, buf, (size_t)k->fault.bytes, &closed);
            int intact = th_payload_matches(&p, 0, buf, got);
            if (!rx->failed && !closed && got < k->fault.bytes)
                th_pair_end_fail(rx, TH_TIMEOUT, "the receiver waits for data that never comes");
            integrity_judge(k, rx, !c2s, got, intact, closed, r);
        }
        th_fault_free(&f);
        th_payload_free(&p);
        free(buf);
    }
    th_pair_close(&d);
}
