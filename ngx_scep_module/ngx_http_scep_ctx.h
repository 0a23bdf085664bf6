/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * What every file of the nginx side shares: the configuration, the
 * request's context and the functions that make it and set its verdict
 * (ngx_http_scep_ctx.c).  Each part of the context is filled by the file
 * named beside it and read by the others.
 */


#ifndef _NGX_HTTP_SCEP_CTX_H_INCLUDED_
#define _NGX_HTTP_SCEP_CTX_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

/*
 * A system header read before ngx_config.h settles glibc's feature macros
 * without nginx's _GNU_SOURCE; from nginx 1.23.0 on ngx_event_udp.h then
 * misses struct in6_pktinfo.  Debian 12's 1.22 builds either way, so the
 * order is checked here, where every version sees it.
 */
#if (NGX_LINUX && defined __GLIBC__ && !defined __USE_GNU)
#error "a header is included before <ngx_config.h>"
#endif

#include "scep.h"
#include "scep_verify.h"
#include "scep_resp.h"


#define NGX_HTTP_SCEP_FLOW_SEQ  16


/* the longest scep_observer_name, as a host name can be at most */
#define NGX_HTTP_SCEP_OBSERVER_NAME_MAX  255


typedef struct {
    ngx_str_t                  observer_name;   /* observer.hostname */
} ngx_http_scep_main_conf_t;


typedef struct {
    ngx_flag_t                 enable;
    ngx_flag_t                 reject;
    ngx_flag_t                 verify_signature;
    ngx_uint_t                 message_types;   /* bit per scep_msg_type_e */
    size_t                     max_uri_length;
    size_t                     max_message_size;
    ngx_flag_t                 inspect_response;
    size_t                     response_buffer_size;
    ngx_shm_zone_t            *flow;            /* scep_flow */
    ngx_flag_t                 reject_replay;
    ngx_flag_t                 normalize_message;

    /* server level only: some location of this server has "scep on" */
    unsigned                   server_scep:1;
    unsigned                   uri_warned:1;
} ngx_http_scep_loc_conf_t;


/* the request as the client sent it, before any rewrite (_ctx.c) */

typedef struct {
    scep_op_e                  op;
    ngx_str_t                  operation;       /* as sent */
    ngx_str_t                  ca_ident;
    ngx_str_t                  message_arg;     /* message=, still escaped */
    ngx_str_t                  operation_name;  /* when not "operation" */
    ngx_str_t                  message_name;    /* when not "message" */
    ngx_str_t                  path;
    ngx_str_t                  args;
    const char                *ambiguous;       /* a parameter named twice */
    scep_client_e              client;          /* from its User-Agent */

    unsigned                   has_message:1;
    /* its path, as IIS reads it, names NDES's admin page */
    unsigned                   admin:1;
    /* a "scep on" location took it in: ctx->conf is that location's */
    unsigned                   taken:1;
    /* the request never reached a location: nginx core answered it */
    unsigned                   by_nginx:1;
    unsigned                   args_truncated:1;
} ngx_http_scep_request_t;


/* the module's verdict on it, or nginx core's (_module.c, _ctx.c) */

typedef struct {
    scep_reject_e              reject;
    ngx_str_t                  detail;

    unsigned                   checked:1;
    unsigned                   forwarded:1;     /* monitor mode let it pass */
    unsigned                   by_nginx:1;      /* nginx core refused it */
} ngx_http_scep_verdict_t;


/* the PKIOperation's pkiMessage (_message.c) */

typedef struct {
    scep_msg_t                *msg;             /* NULL until decoded */
    ngx_str_t                  der;             /* its bytes, decoded */
    ngx_str_t                  signer_subject;
    scep_signer_id_t          *signer_id;       /* NULL: no signer
                                                   certificate */
    scep_sig_e                 signature;
    ngx_uint_t                 decode_ns;       /* decode and verify */
    unsigned                   encoding;        /* GET: bit per
                                                   scep_query_encoding_e */

    /*
     * the device's clock minus this edge's, in seconds: from signingTime,
     * or else a self-issued signer's notBefore when it is in the future
     */
    time_t                     clock_skew;
    const char                *clock_source;    /* NULL: no skew known */

    unsigned                   parsed:1;        /* read, decoded or refused */
    unsigned                   decoded:1;       /* scep_msg_decode() ran */
    unsigned                   post:1;
    unsigned                   body_read:1;
    unsigned                   cut:1;           /* its base64 ended one
                                                   character into a group */
    unsigned                   normalized:1;    /* forwarded re-encoded */
    unsigned                   txid_safe:1;     /* its transactionID passed
                                                   the check: a header may
                                                   carry it */
} ngx_http_scep_message_t;


/* the upstream's answer (_response.c) */

typedef struct {
    ngx_uint_t                 status;          /* as sent to the client */
    ngx_uint_t                 tries;           /* upstream states then */
    ngx_str_t                  body;            /* the copy kept */
    size_t                     size;
    off_t                      length;          /* as the upstream said */
    scep_undecoded_e           undecoded;
    ngx_str_t                  detail;
    scep_msg_t                *certrep;
    scep_certs_t              *certs;
    scep_certs_warnings_t      warnings;        /* of certs */
    scep_caps_t               *caps;

    unsigned                   capture:1;
    unsigned                   sent:1;          /* its header went out */
} ngx_http_scep_answer_t;


/*
 * The upstream's failure as nginx logged it (_module.c): the action of the
 * last error line logged for the request's own upstream, and which try it
 * was (the number of upstream states then), from a wrapper of
 * r->log_handler.  No line reaches it when the error_log level is above
 * "error", nor from a subrequest's upstream.
 */

#define NGX_HTTP_SCEP_ACTION_NONE     0
#define NGX_HTTP_SCEP_ACTION_CONNECT  1
#define NGX_HTTP_SCEP_ACTION_TLS      2
#define NGX_HTTP_SCEP_ACTION_SEND     3
#define NGX_HTTP_SCEP_ACTION_HEADER   4

typedef struct {
    ngx_uint_t                 try;
    ngx_uint_t                 action;
} ngx_http_scep_upstream_t;


/* the device's flow, as this request left it (_flow.c) */

typedef struct {
    ngx_shm_zone_t            *zone;            /* scep_flow, when joined */
    void                      *node;
    uint64_t                   id;
    uint64_t                   replay_of;       /* the flow that sent it */
    uint64_t                   started;         /* Unix time, ms */
    ngx_uint_t                 step;
    ngx_uint_t                 nseq;
    scep_outcome_e             outcome;
    scep_join_e                joined_by;
    u_char                     seq[NGX_HTTP_SCEP_FLOW_SEQ];

    unsigned                   joined:1;
    unsigned                   done:1;
    unsigned                   answered:1;
    unsigned                   nonce:1;         /* a senderNonce checked */
    unsigned                   replay:1;        /* ... and seen before */
    /* ... in the very message that first carried it: a client's retry */
    unsigned                   retransmission:1;
    /* from another address or User-Agent than the flow's first request */
    unsigned                   moved:1;
    /* it names a transaction (PKCSReq, RenewalReq, UpdateReq, CertPoll) */
    unsigned                   attempt:1;
    /* an earlier attempt of its transaction failed upstream */
    unsigned                   failed_before:1;
    /* this one failed upstream, and the flow knows it */
    unsigned                   failed:1;
} ngx_http_scep_flow_state_t;


/*
 * What is known only once the request is over: settled once by the log
 * phase handler (_module.c), then only read by the record, the variables
 * and the metrics; the record is made on its first use in the log phase
 * (_variables.c) and kept for the other access_logs.
 */

typedef struct {
    ngx_uint_t                 status;          /* ngx_http_scep_status() */
    scep_diag_e                diagnosis;
    scep_upstream_error_e      upstream_error;
    ngx_str_t                  record;          /* $scep_log_json */

    unsigned                   done:1;
} ngx_http_scep_end_t;


/*
 * conf is the configuration of the location that took the request in (the
 * first with "scep on", in its rewrite phase: request.taken): its checks, zones
 * and settings hold for the request wherever an internal redirect,
 * error_page, try_files or post_action takes it afterwards.  Until then it
 * is the configuration the context was made with (a variable read at the
 * server level, or nginx core's answer).
 */

typedef struct {
    ngx_http_scep_loc_conf_t  *conf;
    ngx_http_scep_request_t    request;
    ngx_http_scep_verdict_t    verdict;
    ngx_http_scep_message_t    message;
    ngx_http_scep_answer_t     answer;
    ngx_http_scep_upstream_t   upstream;
    ngx_http_scep_flow_state_t flow;
    ngx_http_scep_end_t        end;
} ngx_http_scep_ctx_t;


ngx_http_scep_ctx_t *ngx_http_scep_get_ctx(ngx_http_request_t *r);
ngx_int_t ngx_http_scep_set_reject(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, scep_reject_e reason, const char *fmt, ...);
ngx_uint_t ngx_http_scep_status(ngx_http_request_t *r);
ngx_int_t ngx_http_scep_core_verdict(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);


extern ngx_module_t  ngx_http_scep_module;


#endif /* _NGX_HTTP_SCEP_CTX_H_INCLUDED_ */
