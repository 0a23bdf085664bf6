# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# SCEP operations are recognised on NDES paths, with and without the
# /pkiclient.exe suffix, over GET and POST, and forwarded untouched.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use ScepTest;

# ndes(): /ndes/ stands in for NDES: it answers 403 to the bare URL, as
# NDES does, and logs its hits in the combined format, so that
# --- access_log shows what reached the upstream.
default_config(<<'_EOC_' . ndes(answer => 'ndes: $request_method $request_uri $content_length\n', bare => 1));
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /off/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

_EOC_

no_shuffle();
run_tests();
check_records();

__DATA__

=== TEST 1: GetCACert on the NDES path
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca
--- response_body
ndes: GET /ndes/mscep.dll?operation=GetCACert&message=ca 
--- record eval
{
    url  => ScepTest::exact({ path => '/certsrv/mscep/mscep.dll', query_length => 30 }),
    scep => ScepTest::exact({
        operation => 'GetCACert', client => 'certmonger',
        ca_ident  => 'ca',
        upstream  => { addr => qr/^127\.0\.0\.1:\d+$/, status => 200,
                       response_time => ScepTest::number },
        response  => { undecoded => 'malformed', detail => qr/^[^"]+$/ },
    }),
}
--- access_log eval
qr{"GET /ndes/mscep.dll\?operation=GetCACert&message=ca HTTP/1\.1" 200 }
--- no_error_log
[error]



=== TEST 2: GetCACaps with /pkiclient.exe and an escaped CA identifier
--- request
GET /certsrv/mscep/mscep.dll/pkiclient.exe?operation=GetCACaps&message=SCEP%20Authority
--- response_body
ndes: GET /ndes/mscep.dll/pkiclient.exe?operation=GetCACaps&message=SCEP%20Authority 
--- record eval
{
    url  => ScepTest::exact({ path => '/certsrv/mscep/mscep.dll/pkiclient.exe',
                              query_length => 44 }),
    scep => { operation => 'GetCACaps', ca_ident => 'SCEP Authority' },
}
--- no_error_log
[error]



=== TEST 3: GetNextCACert, CA identifier with '+' for a space
--- request
GET /certsrv/mscep/mscep.dll?operation=GetNextCACert&message=SCEP+Authority
--- record
{"scep": {"operation": "GetNextCACert", "ca_ident": "SCEP Authority"}}
--- no_error_log
[error]



=== TEST 4: PKIOperation over GET: the message is decoded, no CA identifier
--- request
GET /certsrv/mscep/mscep.dll/pkiclient.exe?operation=PKIOperation&message=MIIBAQ%3D%3D
--- error_code: 400
--- response_body
truncated: the TLV at byte 0 declares more than the 4 bytes that remain
--- record eval
{
    http => ScepTest::exact({
        request  => { method => 'GET', bytes => ScepTest::integer },
        response => { status_code => 400, bytes => ScepTest::integer },
    }),
    url  => ScepTest::exact({ path => '/certsrv/mscep/mscep.dll/pkiclient.exe',
                              query_length => 43 }),
    scep => {
        operation => 'PKIOperation',
        ca_ident  => ScepTest::absent,
        message   => ScepTest::exact({ encoding => 'der', size => 4,
                                       declared_size => 261, transport => 'get',
                                       query_encoding => ['percent'] }),
        reject    => { reason => 'truncated' },
    },
}
--- no_access_log
GET /ndes/
--- no_error_log
[error]



=== TEST 5: PKIOperation over POST: the body is decoded before NDES sees it
--- request
POST /certsrv/mscep/mscep.dll?operation=PKIOperation
0123456789abcdef
--- more_headers
Content-Type: application/x-pki-message
--- error_code: 400
--- response_body
truncated: the TLV at byte 0 declares more than the 16 bytes that remain
--- record eval
{
    http => {
        request  => ScepTest::exact({ method => 'POST', bytes => ScepTest::integer }),
        response => { status_code => 400 },
    },
    scep => {
        operation => 'PKIOperation',
        ca_ident  => ScepTest::absent,
        message   => ScepTest::exact({ encoding => 'der', size => 16,
                                       declared_size => 51, transport => 'post' }),
        reject    => { reason => 'truncated' },
    },
}
--- no_access_log
POST /ndes/
--- no_error_log
[error]



=== TEST 6: the bare URL: operation "none", NDES's 403 passed on, a healthy answer (success)
--- request
GET /certsrv/mscep/mscep.dll
--- error_code: 403
--- response_body
403.0 Access denied
--- record eval
{
    event => ScepTest::exact({ duration => ScepTest::integer, outcome => 'success' }),
    url   => ScepTest::exact({ path => '/certsrv/mscep/mscep.dll', query_length => 0 }),
    scep  => {
        operation => 'none',
        ca_ident  => ScepTest::absent,
        message   => ScepTest::absent,
        reject    => ScepTest::absent,
        upstream  => { addr => qr/^[^"]+$/, status => 403 },
    },
}
--- no_error_log
[error]



=== TEST 7: an operation that SCEP does not have is "unknown", and refused
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCRL&message=ca
--- error_code: 400
--- response_body
unknown_operation: operation "GetCRL" is not a SCEP operation
--- record eval
{
    scep => ScepTest::exact({
        operation => 'unknown', client => 'certmonger',
        reject    => { reason => 'unknown_operation',
                       detail => 'operation "GetCRL" is not a SCEP operation',
                       stage => 'module', enforced => JSON::PP::true },
    }),
}
--- no_access_log
GET /ndes/
--- no_error_log
[error]



=== TEST 8: operation names in another case are recognised
--- request
GET /certsrv/mscep/mscep.dll?message=ca&OPERATION=getcacaps
--- record
{"scep": {"operation": "GetCACaps", "ca_ident": "ca"}}
--- no_error_log
[error]



=== TEST 9: sscep's double question mark
--- request
GET /certsrv/mscep/mscep.dll??operation=GetCACert&message=ca
--- record
{"url": {"query_length": 31}, "scep": {"operation": "GetCACert", "ca_ident": "ca"}}
--- no_error_log
[error]



=== TEST 10: a second operation= is ambiguous: the upstream may read it, so it is refused (the first still names the record's operation)
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACaps&operation=PKIOperation&message=x
--- error_code: 400
--- record
{"scep": {"operation": "GetCACaps", "ca_ident": "x", "reject": {"reason": "ambiguous_query", "enforced": true}}}
--- no_access_log
GET /ndes/
--- no_error_log
[error]



=== TEST 11: the variables, in the rewrite phase already
--- config
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        return 200 "[$scep_operation] [$scep_ca_ident] [$scep_reject_reason]\n";
    }
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=SCEP%20Authority
--- response_body
[GetCACert] [SCEP Authority] []
--- no_error_log
[error]



=== TEST 12: with scep off: no record, empty variables, request untouched
--- config
    location /off/ {
        return 200 "[$scep_operation] [$scep_ca_ident] [$scep_log_json]\n";
    }
--- request
GET /off/mscep.dll?operation=GetCACert&message=ca
--- response_body
[] [] []
--- no_access_log
"scep":
--- no_error_log
[error]
