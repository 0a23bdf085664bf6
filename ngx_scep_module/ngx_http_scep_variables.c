/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * $scep_* variables.  Their values change as the request goes on (a
 * rejection, the upstream's answer), so none is cached; in the log phase
 * they read what the log phase handler settled (_module.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_ctx.h"
#include "ngx_http_scep_variables.h"
#include "ngx_http_scep_message.h"
#include "ngx_http_scep_record.h"
#include "ngx_http_scep_diagnosis.h"
#include "ngx_http_scep_flow.h"


#define NGX_HTTP_SCEP_VAR_OPERATION      0
#define NGX_HTTP_SCEP_VAR_REJECT_REASON  1
#define NGX_HTTP_SCEP_VAR_MESSAGE_TYPE   2
#define NGX_HTTP_SCEP_VAR_SIGNATURE      3
#define NGX_HTTP_SCEP_VAR_PKI_STATUS     4
#define NGX_HTTP_SCEP_VAR_FAIL_INFO      5
#define NGX_HTTP_SCEP_VAR_DIAGNOSIS      6


static ngx_int_t ngx_http_scep_name_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_scep_str_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_scep_transaction_id_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_scep_sender_nonce_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_scep_flow_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_scep_log_json_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static void ngx_http_scep_set_variable(ngx_http_variable_value_t *v,
    u_char *data, size_t len);
static ngx_int_t ngx_http_scep_set_text_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, u_char *data, size_t len);


static ngx_http_variable_t  ngx_http_scep_vars[] = {

    { ngx_string("scep_operation"), NULL,
      ngx_http_scep_name_variable, NGX_HTTP_SCEP_VAR_OPERATION,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("scep_ca_ident"), NULL,
      ngx_http_scep_str_variable,
      offsetof(ngx_http_scep_ctx_t, request.ca_ident),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("scep_reject_reason"), NULL,
      ngx_http_scep_name_variable, NGX_HTTP_SCEP_VAR_REJECT_REASON,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("scep_message_type"), NULL,
      ngx_http_scep_name_variable, NGX_HTTP_SCEP_VAR_MESSAGE_TYPE,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("scep_transaction_id"), NULL,
      ngx_http_scep_transaction_id_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("scep_sender_nonce"), NULL,
      ngx_http_scep_sender_nonce_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("scep_signature"), NULL,
      ngx_http_scep_name_variable, NGX_HTTP_SCEP_VAR_SIGNATURE,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("scep_pki_status"), NULL,
      ngx_http_scep_name_variable, NGX_HTTP_SCEP_VAR_PKI_STATUS,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("scep_fail_info"), NULL,
      ngx_http_scep_name_variable, NGX_HTTP_SCEP_VAR_FAIL_INFO,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("scep_diagnosis"), NULL,
      ngx_http_scep_name_variable, NGX_HTTP_SCEP_VAR_DIAGNOSIS,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("scep_flow_id"), NULL,
      ngx_http_scep_flow_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("scep_flow_step"), NULL,
      ngx_http_scep_flow_variable, 1,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("scep_log_json"), NULL,
      ngx_http_scep_log_json_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_scep_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_scep_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/* the name, from the module's tables, of one of the context's facts */

static ngx_int_t
ngx_http_scep_name_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    const char           *name;
    scep_msg_t           *m, *certrep;
    ngx_http_scep_ctx_t  *ctx;

    ctx = ngx_http_scep_get_ctx(r);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (data == NGX_HTTP_SCEP_VAR_MESSAGE_TYPE) {
        ngx_http_scep_message_peek(r->main, ctx);
    }

    m = ctx->message.msg;
    certrep = ctx->answer.certrep;

    switch (data) {

    case NGX_HTTP_SCEP_VAR_OPERATION:
        name = scep_ops[ctx->request.op].name;
        break;

    case NGX_HTTP_SCEP_VAR_MESSAGE_TYPE:
        name = m ? scep_msg_types[m->type].name : "";
        break;

    case NGX_HTTP_SCEP_VAR_SIGNATURE:

        /*
         * only a message that was decoded and checked has a verdict; one
         * whose key is refused was checked not to be verified
         */

        name = (m && (ctx->verdict.reject == SCEP_REJECT_NONE
                      || ctx->verdict.reject == SCEP_REJECT_SIGNATURE_INVALID
                      || ctx->verdict.reject
                         == SCEP_REJECT_SIGNER_KEY_UNSUPPORTED
                      || ctx->message.signature != SCEP_SIG_UNCHECKED))
               ? scep_sig_names[ctx->message.signature] : "";
        break;

    case NGX_HTTP_SCEP_VAR_PKI_STATUS:
        name = certrep ? scep_pki_statuses[certrep->pki_status].name : "";
        break;

    case NGX_HTTP_SCEP_VAR_FAIL_INFO:
        name = certrep ? scep_fail_infos[certrep->fail_info].name : "";
        break;

    case NGX_HTTP_SCEP_VAR_DIAGNOSIS:
        name = scep_diagnoses[ngx_http_scep_diagnose(r, ctx)].code;
        break;

    default: /* NGX_HTTP_SCEP_VAR_REJECT_REASON */
        name = scep_rejects[ctx->verdict.reject].name;
        break;
    }

    ngx_http_scep_set_variable(v, (u_char *) name, ngx_strlen(name));

    return NGX_OK;
}


static ngx_int_t
ngx_http_scep_str_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t            *s;
    ngx_http_scep_ctx_t  *ctx;

    ctx = ngx_http_scep_get_ctx(r);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (ngx_str_t *) ((char *) ctx + data);

    return ngx_http_scep_set_text_variable(r, v, s->data, s->len);
}


static ngx_int_t
ngx_http_scep_transaction_id_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_scep_ctx_t  *ctx;

    ctx = ngx_http_scep_get_ctx(r);

    if (ctx) {
        ngx_http_scep_message_peek(r->main, ctx);
    }

    /*
     * one the module refused, of any length, is no header's, nor one it
     * did not check
     */

    if (ctx == NULL || ctx->message.msg == NULL
        || ctx->message.msg->transaction_id.data == NULL
        || !ctx->message.txid_safe)
    {
        v->not_found = 1;
        return NGX_OK;
    }

    return ngx_http_scep_set_text_variable(r, v,
                            (u_char *) ctx->message.msg->transaction_id.data,
                            ctx->message.msg->transaction_id.len);
}


static ngx_int_t
ngx_http_scep_sender_nonce_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char               *p;
    scep_bytes_t         *nonce;
    ngx_http_scep_ctx_t  *ctx;

    ctx = ngx_http_scep_get_ctx(r);

    if (ctx) {
        ngx_http_scep_message_peek(r->main, ctx);
    }

    if (ctx == NULL || ctx->message.msg == NULL
        || ctx->message.msg->sender_nonce.data == NULL)
    {
        v->not_found = 1;
        return NGX_OK;
    }

    nonce = &ctx->message.msg->sender_nonce;

    p = ngx_pnalloc(r->pool, 2 * nonce->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_scep_set_variable(v, p,
                               ngx_hex_dump(p, (u_char *) nonce->data,
                                            nonce->len) - p);

    return NGX_OK;
}


/*
 * $scep_flow_id, $scep_flow_step: asking for them joins the request to its
 * flow, so use them in the log phase (log_format), not before; a
 * subrequest (mirror, auth_request) never joins it.
 */

static ngx_int_t
ngx_http_scep_flow_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char               *p;
    ngx_http_scep_ctx_t  *ctx;

    ctx = ngx_http_scep_get_ctx(r);

    if (ctx && r == r->main) {
        ngx_http_scep_flow_update(r, ctx);
    }

    if (ctx == NULL || !ctx->flow.joined) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_scep_set_variable(v, p,
                               (data ? ngx_sprintf(p, "%ui", ctx->flow.step)
                                     : ngx_sprintf(p, "%016uxL",
                                                   ctx->flow.id))
                               - p);

    return NGX_OK;
}


static ngx_int_t
ngx_http_scep_log_json_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t             s;
    ngx_http_scep_ctx_t  *ctx;

    ctx = ngx_http_scep_get_ctx(r);

    /* the record is the main request's: a mirror's copy logs none */

    if (ctx == NULL || r != r->main) {
        v->not_found = 1;
        return NGX_OK;
    }

    /*
     * Before the log phase the record says how the request stands at that
     * moment; in it, every access_log and its "if=" share one record.
     */

    if (ctx->end.record.data) {
        ngx_http_scep_set_variable(v, ctx->end.record.data,
                                   ctx->end.record.len);
        return NGX_OK;
    }

    if (ngx_http_scep_record(r, ctx, &s) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ctx->end.done) {
        ctx->end.record = s;
    }

    ngx_http_scep_set_variable(v, s.data, s.len);

    return NGX_OK;
}


/*
 * What the client wrote, fit for add_header and proxy_set_header: no
 * control byte can end a header there, or start another one.
 */

static ngx_int_t
ngx_http_scep_set_text_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, u_char *data, size_t len)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, 6 * len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_scep_set_variable(v, p, scep_text_safe(p, data, len));

    return NGX_OK;
}


static void
ngx_http_scep_set_variable(ngx_http_variable_value_t *v, u_char *data,
    size_t len)
{
    v->data = data;
    v->len = len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
}
