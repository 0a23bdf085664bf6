# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# What NDES answered: CertRep, GetCACert and GetCACaps decoded from a copy
# of the body, and the diagnosis of each failure NDES is known for.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use File::Temp ();
use IO::Socket::INET;
use ScepTest;

$ENV{SCEP_GEN} //= 'build/scep-gen';

$ENV{TEST_NGINX_DATA} = "$ScepTest::Top/t/data";

# an upstream that accepts connections and never answers, and a port that
# refuses them
our $Silent = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                    Listen => 8) or die $!;
$ENV{TEST_NGINX_SILENT_PORT} = $Silent->sockport;

my $closed = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                   Listen => 1) or die $!;
$ENV{TEST_NGINX_CLOSED_PORT} = $closed->sockport;
close $closed;

our $Req = message('pkcsreq-sha256.der');

# a GetCACert answer whose RA certificates expire in 10 days, made now
our $Expiring = File::Temp::tempdir(CLEANUP => 1);
system("$ENV{SCEP_GEN} --expiring-in 10 $Expiring/getcacert.der > /dev/null") == 0
    or die "scep-gen --expiring-in failed (SCEP_GEN=$ENV{SCEP_GEN})";
$ENV{TEST_NGINX_EXPIRING} = $Expiring;

# the NDES stand-in answers with the status ?status= names, 403 without;
# the fixtures of t/data are served under /data/
default_config(<<'_EOC_');
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/$arg_status;
    }

    location = /ndes/    { return 403 "403.0 Access denied\n"; }
    location = /ndes/403 { return 403 "403.0 Access denied\n"; }
    location = /ndes/414 { return 414 "ndes says 414\n"; }
    location = /ndes/500 { return 500 "ndes says 500\n"; }
    location = /ndes/502 { return 502 "ndes says 502\n"; }
    location = /ndes/503 { return 503 "ndes says 503\n"; }
    location = /ndes/504 { return 504 "ndes says 504\n"; }
_EOC_

# TEST 9 looks, after its second request, for what the first one logged
check_accum_error_log();
no_shuffle();
run_tests();
check_records();

__DATA__

=== TEST 1: 403 on the bare URL: NDES is reachable
--- request
GET /certsrv/mscep/mscep.dll
--- error_code: 403
--- response_headers
X-Scep-Diagnosis: ndes_reachable
--- record eval
{
    scep => {
        upstream  => ScepTest::exact({ addr => qr/^[^"]+$/, status => 403,
                                       response_time => ScepTest::number }),
        response  => ScepTest::absent,
        flow      => ScepTest::absent,
        diagnosis => ScepTest::exact({
            code => 'ndes_reachable',
            hint => qr/^NDES answered 403 to the bare SCEP URL: [^"]+$/,
        }),
    },
}



=== TEST 2: the statuses NDES fails with, each with its cause and fix
--- request eval
["GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca&status=500",
 "GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca&status=503",
 "GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca&status=414",
 "GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca&status=504",
 "GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca&status=502",
 "GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca&status=403"]
--- error_code eval
[500, 503, 414, 504, 502, 403]
--- response_headers eval
["X-Scep-Diagnosis: ndes_internal_error",
 "X-Scep-Diagnosis: ndes_app_pool_stopped",
 "X-Scep-Diagnosis: ndes_uri_too_long",
 "X-Scep-Diagnosis: ndes_gateway_timeout",
 "X-Scep-Diagnosis: ndes_bad_gateway",
 "X-Scep-Diagnosis: "]
--- record eval
[
{
    scep => {
        upstream  => { status => 500, response_time => ScepTest::number },
        response  => ScepTest::absent,
        flow      => ScepTest::absent,
        diagnosis => {
            code => 'ndes_internal_error',
            hint => qr/^NDES answered 500: give IIS_IUSRS the user right "Impersonate a client after authentication"/,
        },
    },
},
{ scep => { upstream => { status => 503 }, diagnosis => { code => 'ndes_app_pool_stopped' } } },
{ scep => { upstream => { status => 414 }, diagnosis => { code => 'ndes_uri_too_long' } } },
{ scep => { upstream => { status => 504, error => 'http' }, diagnosis => { code => 'ndes_gateway_timeout' } } },
{ scep => { upstream => { status => 502, error => 'http' }, diagnosis => { code => 'ndes_bad_gateway' } } },
{ scep => { upstream => { status => 403 }, diagnosis => ScepTest::absent } },
]



=== TEST 3: an upstream that does not answer in time: 504, this edge's read timeout
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_read_timeout 1s;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SILENT_PORT;
    }
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca
--- error_code: 504
--- response_headers
X-Scep-Diagnosis: ndes_read_timeout
--- record eval
{
    scep => {
        upstream  => ScepTest::exact({ addr => qr/^127\.0\.0\.1:\d+$/, status => 504,
                                       response_time => ScepTest::number,
                                       error => 'read_timeout' }),
        response  => ScepTest::absent,
        flow      => ScepTest::absent,
        diagnosis => { code => 'ndes_read_timeout',
                       hint => qr/; proxy_read_timeout is 1 s$/ },
    },
}
--- error_log
upstream timed out
--- timeout: 5



=== TEST 4: a refused connection: 502, NDES unreachable
--- config
    location /certsrv/mscep/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_CLOSED_PORT;
    }
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca
--- error_code: 502
--- response_headers
X-Scep-Diagnosis: ndes_unreachable
--- record eval
{
    scep => {
        upstream  => { status => 502, response_time => ScepTest::number,
                       error => 'refused' },
        response  => ScepTest::absent,
        flow      => ScepTest::absent,
        diagnosis => { code => 'ndes_unreachable' },
    },
}
--- error_log
Connection refused



=== TEST 5: this proxy's own 414
--- config
    location /certsrv/mscep/ {
        scep on;
        scep_max_uri_length 64;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }
--- request eval
"GET /certsrv/mscep/mscep.dll?operation=PKIOperation&message=" . ("A" x 64)
--- error_code: 414
--- record eval
{
    scep => {
        reject    => { reason => 'uri_too_long' },
        upstream  => ScepTest::absent,
        response  => ScepTest::absent,
        flow      => ScepTest::absent,
        diagnosis => {
            code => 'proxy_uri_too_long',
            hint => qr/^this proxy answered 414: raise large_client_header_buffers/,
        },
    },
}



=== TEST 6: CertRep PENDING: decoded, diagnosis scep_pending
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'certrep-pending.der', type => 'application/x-pki-message' }
--- request eval
ScepTest::pkiop_get($main::Req)
--- record eval
{
    scep => {
        response  => ScepTest::exact({
            message_type => 'CertRep', pki_status => 'PENDING',
            transaction_id => qr/^[^"]+$/,
            transaction_id_matches => JSON::PP::true,
            recipient_nonce_matches => JSON::PP::true,
        }),
        flow      => ScepTest::absent,
        diagnosis => ScepTest::exact({ code => 'scep_pending',
                                       hint => qr/^CertRep PENDING: [^"]+$/ }),
    },
}



=== TEST 7: a CertRep whose recipientNonce is not the request's senderNonce
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'certrep-nonce-mismatch.der', type => 'application/x-pki-message' }
--- request eval
ScepTest::pkiop_get($main::Req)
--- record eval
{
    scep => {
        response => ScepTest::exact({
            message_type => 'CertRep', pki_status => 'SUCCESS',
            transaction_id => qr/^[^"]+$/,
            transaction_id_matches => JSON::PP::true,
            recipient_nonce_matches => JSON::PP::false,
        }),
    },
}



=== TEST 8: CertRep FAILURE badRequest, with proxy_buffering off
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_buffering off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'certrep-failure-badrequest.der', type => 'application/x-pki-message' }
--- request eval
ScepTest::pkiop_get($main::Req)
--- record eval
{
    scep => {
        response  => { message_type => 'CertRep', pki_status => 'FAILURE',
                       fail_info => 'badRequest' },
        flow      => ScepTest::absent,
        diagnosis => {
            code => 'scep_failure_bad_request',
            hint => qr/^CertRep FAILURE badRequest: [^"]+challenge password/,
        },
    },
}



=== TEST 9: GetCACert with an expired RA certificate, then a 500: the RA certificate is the cause
--- config
    location /certsrv/mscep/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'getcacert-ra-expired.der', type => 'application/x-x509-ca-ra-cert',
  first => <<'_EOC_' }
if ($arg_operation = PKIOperation) {
    return 500 "MSCEP error\n";
}
_EOC_
--- request eval
["GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca",
 ScepTest::pkiop_get($main::Req)]
--- error_code eval
[200, 500]
--- response_headers eval
["X-Scep-Diagnosis: ", "X-Scep-Diagnosis: ndes_ra_cert_expired"]
--- record eval
[
{
    scep => {
        response => {
            message_type => ScepTest::absent,
            caps         => ScepTest::absent,
            certificates => [
                ScepTest::exact({
                    subject => qr/^[^"]+$/, issuer => qr/^[^"]+$/,
                    serial => qr/^[0-9a-f]+$/,
                    not_before => qr/^[-0-9T:]+Z$/, not_after => qr/^[-0-9T:]+Z$/,
                    expired => JSON::PP::false, role => 'ca',
                }),
                { expired => JSON::PP::true, role => 'ra' },
                {},
            ],
        },
    },
},
{ scep => { diagnosis => { code => 'ndes_ra_cert_expired' } } },
]
--- error_log eval
qr/\[warn\] .*scep: ra certificate "[^"]+" expired on 2024-/



=== TEST 10: RA certificates that expire within 30 days: a warning, not expired
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'getcacert.der', type => 'application/x-x509-ca-ra-cert', root => '$TEST_NGINX_EXPIRING' }
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca
--- record eval
{
    scep => {
        response => {
            message_type => ScepTest::absent,
            caps         => ScepTest::absent,
            certificates => [
                { expired => JSON::PP::false, role => 'ca' },
                { expired => JSON::PP::false, role => 'ra' },
                {},
            ],
        },
    },
}
--- error_log eval
qr/\[warn\] .*scep: ra certificate "[^"]+" expires on \d{4}-/



=== TEST 11: GetCACaps: the capabilities
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'getcacaps-ndes.txt', type => 'text/plain' }
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca
--- record eval
{
    scep => {
        response => ScepTest::exact({
            caps => ['POSTPKIOperation', 'Renewal', 'SHA-512', 'SHA-256', 'SHA-1', 'DES3'],
        }),
    },
}



=== TEST 12: a 200 KB body passes byte for byte, undecoded
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/big/;
    }

    location /big/ {
        default_type application/x-x509-ca-cert;
        rewrite ^ /big.bin break;
    }
--- user_files eval
">>> big.bin\n" . pack("C*", map { $_ % 251 } 1 .. 200000)
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca
--- response_body eval
pack("C*", map { $_ % 251 } 1 .. 200000)
--- record eval
{
    scep => {
        response => ScepTest::exact({
            undecoded => 'too_large',
            detail    => 'the body is larger than scep_response_buffer_size',
        }),
    },
}



=== TEST 13: a truncated CertRep: a record with the reason, no crash
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/cut/;
    }

    location /cut/ {
        default_type application/x-pki-message;
        rewrite ^ /cut.der break;
    }
--- user_files eval
">>> cut.der\n" . substr(ScepTest::message('certrep-success.der'), 0, 1000)
--- request eval
ScepTest::pkiop_get($main::Req)
--- record eval
{
    scep => {
        response => ScepTest::exact({
            undecoded => 'malformed',
            detail    => qr/^the TLV at byte \d+ declares more than the \d+ bytes that remain$/,
        }),
    },
}
--- no_error_log
[error]



=== TEST 14: a gzip'd answer is passed on and said to be undecoded
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'getcacaps-ndes.txt', type => 'text/plain',
  first => <<'_EOC_' }
gzip on;
gzip_types *;
gzip_min_length 0;
gzip_http_version 1.0;
_EOC_
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca
--- more_headers
Accept-Encoding: gzip
--- response_headers
Content-Encoding: gzip
--- record eval
{
    scep => {
        response => ScepTest::exact({
            undecoded => 'encoded',
            detail    => 'the body has a Content-Encoding',
        }),
    },
}



=== TEST 15: a chunked answer (HTTP/1.1 upstream, no Content-Length)
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_http_version 1.1;
        add_header X-Upstream-Transfer-Encoding $upstream_http_transfer_encoding;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'getcacaps-ndes.txt', type => 'text/plain',
  first => <<'_EOC_' }
ssi on;
ssi_types *;
_EOC_
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca
--- response_headers
X-Upstream-Transfer-Encoding: chunked
--- record eval
{
    scep => {
        response => ScepTest::exact({
            caps => ['POSTPKIOperation', 'Renewal', 'SHA-512', 'SHA-256', 'SHA-1', 'DES3'],
        }),
    },
}



=== TEST 16: an HTTP/1.0 upstream (nginx's default before 1.29.7): no Content-Length, the body ends with the connection
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_http_version 1.0;
        add_header X-Upstream-Content-Length "[$upstream_http_content_length]";
        add_header X-Upstream-Transfer-Encoding "[$upstream_http_transfer_encoding]";
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'getcacaps-ndes.txt', type => 'text/plain',
  first => <<'_EOC_' }
ssi on;
ssi_types *;
_EOC_
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca
--- response_headers
X-Upstream-Content-Length: []
X-Upstream-Transfer-Encoding: []
--- record eval
{
    scep => {
        response => ScepTest::exact({
            caps => ['POSTPKIOperation', 'Renewal', 'SHA-512', 'SHA-256', 'SHA-1', 'DES3'],
        }),
    },
}
