/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * The BER/DER reader the decoders share (scep_ber.c), and the tags and
 * object identifiers they compare against.
 */


#ifndef _SCEP_BER_H_INCLUDED_
#define _SCEP_BER_H_INCLUDED_


#include "scep.h"


#define SCEP_TAG_INTEGER      0x02
#define SCEP_TAG_BIT_STRING   0x03
#define SCEP_TAG_OCTETS       0x04
#define SCEP_TAG_OID          0x06
#define SCEP_TAG_UTF8         0x0c
#define SCEP_TAG_PRINTABLE    0x13
#define SCEP_TAG_IA5          0x16
#define SCEP_TAG_UTC_TIME     0x17
#define SCEP_TAG_GEN_TIME     0x18
#define SCEP_TAG_BMP          0x1e
#define SCEP_TAG_OCTETS_C     0x24    /* BER: an OCTET STRING in segments */
#define SCEP_TAG_SEQUENCE     0x30
#define SCEP_TAG_SET          0x31
#define SCEP_TAG_CTX0_PRIM    0x80
#define SCEP_TAG_CTX0         0xa0
#define SCEP_TAG_CTX1         0xa1
#define SCEP_TAG_CTX3         0xa3


/*
 * OIDs by their content bytes, as string literals: a header holds them
 * without a copy in each file that includes it, and sizeof counts them.
 * scep_oid() gives the bytes and their count, without the literal's NUL.
 */

#define SCEP_OID_RSA_ENCRYPTION    "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01"
#define SCEP_OID_SIGNED_DATA       "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02"
#define SCEP_OID_MESSAGE_DIGEST    "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x04"
#define SCEP_OID_EC_PUBLIC_KEY     "\x2a\x86\x48\xce\x3d\x02\x01"
#define SCEP_OID_SIGNING_TIME      "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x05"
#define SCEP_OID_SKI               "\x55\x1d\x0e"

/* the SCEP attributes, 2.16.840.1.113733.1.9.N, without their N */
#define SCEP_OID_SCEP_ATTR         "\x60\x86\x48\x01\x86\xf8\x45\x01\x09"

/* Microsoft certificateTemplateName (v1 templates), 1.3.6.1.4.1.311.20.2 */
#define SCEP_OID_MS_TEMPLATE_NAME  "\x2b\x06\x01\x04\x01\x82\x37\x14\x02"

/* NDES's error code, szOID_ENROLL_SCEP_ERROR, 1.3.6.1.4.1.311.21.33 */
#define SCEP_OID_MS_SCEP_ERROR     "\x2b\x06\x01\x04\x01\x82\x37\x15\x21"

/* certificate request agent, 1.3.6.1.4.1.311.20.2.1 */
#define SCEP_OID_MS_REQUEST_AGENT  \
    "\x2b\x06\x01\x04\x01\x82\x37\x14\x02\x01"

#define scep_oid_len(s)            (sizeof(s) - 1)
#define scep_oid(s)                (const unsigned char *) (s), scep_oid_len(s)


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
size_t scep_ber_declared(const unsigned char *p, size_t len);
void scep_ber_oid_text(char *buf, size_t size, const unsigned char *oid,
    size_t len, unsigned named);

/* days since 1970-01-01 of a proleptic Gregorian date */
long long scep_ber_days(long long y, unsigned m, unsigned d);

/*
 * A Time as DER writes it (RFC 5280, 4.1.2.5): UTCTime YYMMDDHHMMSSZ, its
 * year from 1950 to 2049, or GeneralizedTime YYYYMMDDHHMMSSZ; no other
 * form, no fraction, no offset, every field in its range.  Seconds since
 * the epoch in *t; returns 0, or -1.
 */
int scep_ber_time(const scep_tlv_t *tlv, long long *t);

/*
 * An INTEGER's content octets (two's complement) as lowercase hex of its
 * magnitude, '-' first when negative, "00" when empty: what "openssl x509
 * -serial" prints, in lowercase.  Cut to whole bytes that fit in size.
 */
void scep_ber_serial(char *buf, size_t size, const unsigned char *p,
    size_t len);


#endif /* _SCEP_BER_H_INCLUDED_ */
