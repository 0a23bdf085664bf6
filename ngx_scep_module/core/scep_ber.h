/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * The BER/DER reader the decoders share (scep_ber.c).
 */


#ifndef _SCEP_BER_H_INCLUDED_
#define _SCEP_BER_H_INCLUDED_


#include "scep.h"


typedef struct {
    unsigned char              tag;
    unsigned                   indefinite:1;
    unsigned                   long_form:1;  /* not the shortest length */
    const unsigned char       *start;
    const unsigned char       *content;
    const unsigned char       *content_end;
    const unsigned char       *end;
} scep_tlv_t;


typedef struct {
    const unsigned char       *base;         /* offsets count from here */
    unsigned                   budget;       /* TLVs left to read */
    unsigned                   budget_total;
    unsigned                   ber:1;        /* a length DER forbids */
    unsigned                   truncated:1;  /* why it failed: the bytes
                                                ran out */
    char                      *detail;
    size_t                     detail_size;
} scep_ber_t;


void scep_ber_init(scep_ber_t *b, const unsigned char *base,
    unsigned budget, char *detail, size_t size);
int scep_ber_tlv(scep_ber_t *b, const unsigned char *p,
    const unsigned char *end, unsigned depth, scep_tlv_t *t);
const unsigned char *scep_ber_header(const unsigned char *p,
    const unsigned char *end, scep_tlv_t *t);


#endif /* _SCEP_BER_H_INCLUDED_ */
