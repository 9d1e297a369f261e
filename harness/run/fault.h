/* Faults injected into TLS records in flight, through the in-memory channel: the
 * filter reassembles the byte stream into records (5-byte header, then the body)
 * and, once armed, counts application-data records (content type 23; in TLS 1.3
 * every protected record) and tampers with the chosen one. */
#ifndef TH_FAULT_H
#define TH_FAULT_H

#include <stddef.h>

#include "harness/scenario/case.h"
#include "harness/io/transport.h"

struct th_faulter {
    enum th_fault kind;
    unsigned target;        /* 1-based index of the record to tamper with */
    int armed;              /* count from here; before, bytes pass untouched */
    unsigned seen;          /* application-data records since armed */
    int applied;            /* the fault happened */
    int cut;                /* truncate: everything after the target is swallowed */
    unsigned char *partial; /* bytes of a record not yet complete */
    size_t plen, pcap;
    unsigned char *held; /* reorder: the target, waiting for the next record */
    size_t held_len;
};

void th_fault_init(struct th_faulter *f, enum th_fault kind, unsigned target);
/* Put the filter on a queue (the sender's direction). */
void th_fault_attach(struct th_faulter *f, struct th_queue *q);
void th_fault_arm(struct th_faulter *f);
void th_fault_free(struct th_faulter *f);

#endif
