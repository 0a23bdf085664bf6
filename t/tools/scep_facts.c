/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * Prints the module's tables, the one definition of each fact, for what is
 * derived from them: "json" for the tests that hold the schema to them,
 * "markdown" for the tables in docs/.
 */


#include <stdio.h>
#include <string.h>

#include "scep.h"


int
main(int argc, char **argv)
{
    int  i, n;

    if (argc == 2 && strcmp(argv[1], "diagnoses") == 0) {
        printf("| code | hint |\n|---|---|\n");

        for (i = SCEP_DIAG_NONE + 1; i < SCEP_DIAG_COUNT; i++) {
            printf("| `%s` | %s |\n", scep_diagnoses[i].code,
                   scep_diagnoses[i].hint);
        }

        return 0;
    }

    /* NDES's error codes, each with the entry it is diagnosed as */

    if (argc == 2 && strcmp(argv[1], "ndes-errors") == 0) {
        printf("| code | name | diagnosis |\n|---|---|---|\n");

        for (i = SCEP_DIAG_NONE + 1; i < SCEP_DIAG_COUNT; i++) {
            if (scep_diagnoses[i].symbol) {
                printf("| `0x%08x` | `%s` | `%s` |\n",
                       (unsigned) scep_diagnoses[i].hresult,
                       scep_diagnoses[i].symbol, scep_diagnoses[i].code);
            }
        }

        return 0;
    }

    if (argc == 2 && strcmp(argv[1], "markdown") == 0) {
        printf("| reason | status | meaning |\n|---|---|---|\n");

        for (i = SCEP_REJECT_NONE + 1; i < SCEP_REJECT_COUNT; i++) {
            printf("| `%s` | %d | %s |\n", scep_rejects[i].name,
                   scep_rejects[i].status, scep_rejects[i].meaning);
        }

        return 0;
    }

    printf("{\"operations\":[");

    for (i = 0; i < SCEP_OP_COUNT; i++) {
        printf("%s\"%s\"", i ? "," : "", scep_ops[i].name);
    }

    printf("],\"message_types\":[");

    for (i = SCEP_MSG_NONE + 1; i < SCEP_MSG_COUNT; i++) {
        printf("%s{\"name\":\"%s\",\"code\":%s}", i > 1 ? "," : "",
               scep_msg_types[i].name, scep_msg_types[i].code);
    }

    printf("],\"diagnoses\":[");

    for (i = SCEP_DIAG_NONE + 1; i < SCEP_DIAG_COUNT; i++) {
        printf("%s\"%s\"", i > 1 ? "," : "", scep_diagnoses[i].code);
    }

    printf("],\"ndes_errors\":[");

    for (i = SCEP_DIAG_NONE + 1, n = 0; i < SCEP_DIAG_COUNT; i++) {
        if (scep_diagnoses[i].symbol) {
            printf("%s\"%s\"", n++ ? "," : "", scep_diagnoses[i].symbol);
        }
    }

    printf("],\"undecoded\":[");

    for (i = SCEP_UNDECODED_NONE + 1; i < SCEP_UNDECODED_COUNT; i++) {
        printf("%s\"%s\"", i > 1 ? "," : "", scep_undecoded_names[i]);
    }

    printf("],\"clients\":[");

    for (i = 0; i < SCEP_CLIENT_COUNT; i++) {
        printf("%s\"%s\"", i ? "," : "", scep_clients[i]);
    }

    printf("],\"outcomes\":[");

    for (i = SCEP_OUTCOME_NONE + 1; i < SCEP_OUTCOME_COUNT; i++) {
        printf("%s\"%s\"", i > 1 ? "," : "", scep_outcomes[i]);
    }

    printf("],\"upstream_errors\":[");

    for (i = SCEP_UPSTREAM_OK + 1; i < SCEP_UPSTREAM_ERROR_COUNT; i++) {
        printf("%s\"%s\"", i > 1 ? "," : "", scep_upstream_errors[i]);
    }

    printf("],\"flow_joins\":[");

    for (i = 0; i < SCEP_JOIN_COUNT; i++) {
        printf("%s\"%s\"", i ? "," : "", scep_joins[i]);
    }

    printf("],\"query_encodings\":[");

    for (i = 0; i < SCEP_QENC_COUNT; i++) {
        printf("%s\"%s\"", i ? "," : "", scep_query_encodings[i]);
    }

    printf("],\"warnings\":[");

    for (i = 0; i < SCEP_WARN_COUNT; i++) {
        printf("%s\"%s\"", i ? "," : "", scep_warnings[i].code);
    }

    printf("],\"reject_reasons\":[");

    for (i = SCEP_REJECT_NONE + 1; i < SCEP_REJECT_COUNT; i++) {
        printf("%s{\"name\":\"%s\",\"status\":%d}", i > 1 ? "," : "",
               scep_rejects[i].name, scep_rejects[i].status);
    }

    printf("]}\n");

    return 0;
}
