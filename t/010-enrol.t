# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# End to end: the real scepclient enrols a device through nginx and the
# module to the real scepserver; the certificate is issued and the access
# log holds the three records of the enrolment.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use ScepTest;

our $Server = scep_server(challenge => 'e2e-challenge');

# the NDES path in front of scepserver, which serves /scep
default_config(<<'_EOC_');
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        rewrite ^ /scep break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }
_EOC_

no_shuffle();
run_tests();
check_records();

__DATA__

=== TEST 1: scepclient enrols through nginx: GetCACert, GetCACaps, PKIOperation
--- init
ScepTest::enrol(server => $main::Server, challenge => 'e2e-challenge',
                url => "http://127.0.0.1:" . server_port()
                       . "/certsrv/mscep/mscep.dll",
                result => html_dir() . "/enrolment");
--- request
GET /enrolment
--- response_body
issued
--- access_log eval
[
qr{"user_agent":\{"original":"Go-http-client/1\.1"\},"http":\{"request":\{"method":"GET","bytes":\d+\},"response":\{"status_code":200,"bytes":\d+\}\},"url":\{"path":"/certsrv/mscep/mscep\.dll","query_length":\d+\},"scep":\{"operation":"GetCACert",.*"upstream":\{"addr":"127\.0\.0\.1:\d+","status":200,},
qr{"url":\{"path":"/certsrv/mscep/mscep\.dll","query_length":\d+\},"scep":\{"operation":"GetCACaps",.*"upstream":\{"addr":"127\.0\.0\.1:\d+","status":200,},
qr{"http":\{"request":\{"method":"POST","bytes":\d{4,}\},"response":\{"status_code":200,"bytes":\d+\}\},"url":\{"path":"/certsrv/mscep/mscep\.dll","query_length":22\},"scep":\{"operation":"PKIOperation","client":"other","message":\{"type":"PKCSReq","type_code":19,"transaction_id":"[^"]+","sender_nonce":"[0-9a-f]{32}","digest_algorithm":"sha\d+","encoding":"der","size":\d+,"transport":"post","signer":\{"subject":"CN=SCEP SIGNER,O=scep-client","serial":"[0-9a-f]+","fingerprint_sha256":"[0-9a-f]{64}"\},"clock_skew":-?\d+,"clock_source":"signing_time","signature":"valid"\},"upstream":\{"addr":"127\.0\.0\.1:\d+","status":200,},
qr{"scep":\{"operation":"GetCACert",.*"response":\{"certificates":\[\{"subject":"OU=SCEP CA,O=scep-ca,C=US","issuer":"OU=SCEP CA,O=scep-ca,C=US","serial":"01","not_before":"[-0-9T:]+Z","not_after":"[-0-9T:]+Z","expired":false,"role":"ca"\}\],"certificates_total":1\}\}\}$},
qr{"scep":\{"operation":"GetCACaps",.*"response":\{"caps":\[[^\]]*"POSTPKIOperation"[^\]]*\]\}\}\}$},
qr{"response":\{"message_type":"CertRep","pki_status":"SUCCESS","transaction_id":"[^"]+","transaction_id_matches":true,"recipient_nonce_matches":true\}\}\}$},
]
--- no_error_log
[error]
[warn]



=== TEST 2: a wrong challenge password: no certificate, NDES's answer passed on
--- init
ScepTest::enrol(server => $main::Server, challenge => 'wrong',
                url => "http://127.0.0.1:" . server_port()
                       . "/certsrv/mscep/mscep.dll",
                result => html_dir() . "/enrolment", quiet => 1);
--- request
GET /enrolment
--- response_body
failed
--- access_log eval
[
qr{"method":"POST".*"scep":\{"operation":"PKIOperation","client":"other","message":\{"type":"PKCSReq",.*"signature":"valid"\},"upstream":\{"addr":"127\.0\.0\.1:\d+","status":200,},
qr{"response":\{"message_type":"CertRep","pki_status":"FAILURE","fail_info":"badRequest","transaction_id":"[^"]+","transaction_id_matches":true,"recipient_nonce_matches":true\},"diagnosis":\{"code":"scep_failure_bad_request",},
]
--- no_error_log
[error]
