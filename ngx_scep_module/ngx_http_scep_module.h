/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * ngx_http_scep_module: what the nginx side of the module shares.
 */


#ifndef _NGX_HTTP_SCEP_MODULE_H_INCLUDED_
#define _NGX_HTTP_SCEP_MODULE_H_INCLUDED_


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
#error "a file of ngx_http_scep_module includes another header before <ngx_config.h>"
#endif

#include "scep.h"
#include "scep_verify.h"
#include "scep_resp.h"


#define NGX_HTTP_SCEP_FLOW_SEQ  16

/* the longest line of the metrics */
#define NGX_HTTP_SCEP_METRIC_LINE  256

#define NGX_HTTP_SCEP_OUTCOME_ISSUED    1
#define NGX_HTTP_SCEP_OUTCOME_PENDING   2
#define NGX_HTTP_SCEP_OUTCOME_FAILED    3
#define NGX_HTTP_SCEP_OUTCOME_REJECTED  4


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

    /* server level only: some location of this server has "scep on" */
    unsigned                   server_scep:1;
    unsigned                   uri_warned:1;
} ngx_http_scep_loc_conf_t;


typedef struct {
    scep_op_e                  op;
    ngx_str_t                  operation;       /* as sent */
    ngx_str_t                  ca_ident;
    ngx_str_t                  message;         /* message=, still escaped */
    ngx_str_t                  path;
    ngx_str_t                  args;

    /* PKIOperation */
    scep_msg_t                *msg;             /* NULL until decoded */
    ngx_str_t                  signer_subject;
    scep_sig_e                 signature;

    scep_reject_e              reject;
    ngx_str_t                  reject_detail;

    /* the upstream's answer */
    ngx_str_t                  response;        /* the copy kept */
    size_t                     response_size;
    ngx_uint_t                 undecoded;       /* NGX_HTTP_SCEP_UNDECODED_* */
    ngx_str_t                  response_detail;
    scep_msg_t                *certrep;
    scep_certs_t              *certs;
    scep_caps_t               *caps;

    /* the device's flow, as this request left it */
    void                      *flow_node;
    uint64_t                   flow_id;
    uint64_t                   flow_replay_of;  /* the flow that sent it */
    ngx_uint_t                 flow_step;
    ngx_uint_t                 flow_nseq;
    ngx_uint_t                 flow_outcome;
    u_char                     flow_seq[NGX_HTTP_SCEP_FLOW_SEQ];

    ngx_uint_t                 decode_ns;       /* decode and verify */

    ngx_str_t                  record;          /* made in the log phase */

    unsigned                   decoded:1;
    unsigned                   logging:1;       /* the log phase began */
    unsigned                   flow:1;
    unsigned                   flow_done:1;
    unsigned                   flow_answered:1;
    unsigned                   flow_nonce:1;    /* a senderNonce checked */
    unsigned                   flow_replay:1;   /* ... and seen before */
    unsigned                   forwarded:1;     /* monitor mode let it pass */
    unsigned                   capture:1;
    unsigned                   has_message:1;
    unsigned                   post:1;
    unsigned                   body_read:1;

    /* the request never reached a location: nginx core answered it */
    unsigned                   core:1;
    unsigned                   args_truncated:1;
    unsigned                   checked:1;
} ngx_http_scep_ctx_t;


#define NGX_HTTP_SCEP_UNDECODED_TOO_LARGE  1
#define NGX_HTTP_SCEP_UNDECODED_ENCODED    2
#define NGX_HTTP_SCEP_UNDECODED_MALFORMED  3
#define NGX_HTTP_SCEP_UNDECODED_EMPTY      4
#define NGX_HTTP_SCEP_UNDECODED_INCOMPLETE 5


ngx_http_scep_ctx_t *ngx_http_scep_get_ctx(ngx_http_request_t *r);
ngx_int_t ngx_http_scep_set_reject(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, scep_reject_e reason, const char *fmt, ...);
ngx_int_t ngx_http_scep_message(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, ngx_http_scep_loc_conf_t *slcf);
ngx_int_t ngx_http_scep_keys_init(ngx_cycle_t *cycle);
void ngx_http_scep_keys_done(ngx_cycle_t *cycle);
ngx_int_t ngx_http_scep_response_init(ngx_conf_t *cf);
void ngx_http_scep_response_done(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);
scep_diag_e ngx_http_scep_diagnose(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);
u_char *ngx_http_scep_iso8601(u_char *buf, long long t);
void ngx_http_scep_certs_cache_free(void);
void ngx_http_scep_flow_update(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);
ngx_int_t ngx_http_scep_flow_init_process(ngx_cycle_t *cycle);
u_char *ngx_http_scep_flow_metrics(u_char *p, ngx_uint_t evicted);
ngx_int_t ngx_http_scep_metrics_init(ngx_conf_t *cf);
void ngx_http_scep_metrics_count(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);
char *ngx_http_scep_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
void ngx_http_scep_flow_exit_process(ngx_cycle_t *cycle);
char *ngx_http_scep_flow_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_scep_flow(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

extern const char  *ngx_http_scep_undecoded_names[];
extern const char  *ngx_http_scep_outcomes[];
ngx_int_t ngx_http_scep_add_variables(ngx_conf_t *cf);
void ngx_http_scep_json_init(void);
ngx_int_t ngx_http_scep_record(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, ngx_str_t *out);


extern ngx_module_t  ngx_http_scep_module;


#endif /* _NGX_HTTP_SCEP_MODULE_H_INCLUDED_ */
