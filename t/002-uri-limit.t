# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# scep_max_uri_length: the module's 414, nginx core's 414, and the warning
# when nginx's own buffers would refuse what real devices send.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use ScepTest;

# scep_reject off: these messages of "A"s are not pkiMessages, and the URI
# limit is what is tested; it holds in monitor mode too.  ndes(): /ndes/
# stands in for NDES, and logs its hits in the combined format.
default_config(<<'_EOC_' . ndes(answer => 'forwarded\n'));
    location /certsrv/mscep/ {
        scep on;
        scep_reject off;
        scep_max_uri_length 100;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

_EOC_

# "/certsrv/mscep/mscep.dll?operation=PKIOperation&message=" is 56 bytes,
# its arguments 31
our $Prefix = "/certsrv/mscep/mscep.dll?operation=PKIOperation&message=";

no_shuffle();
run_tests();
check_records();

__DATA__

=== TEST 1: a URI of exactly scep_max_uri_length passes
--- request eval
"GET $main::Prefix" . ("A" x 44)
--- response_body
forwarded
--- record eval
{
    url  => { query_length => 75 },
    scep => { operation => 'PKIOperation',
              upstream => { addr => qr/^[^"]+$/, status => 200 } },
}
--- access_log eval
qr{"GET /ndes/mscep.dll\?operation=PKIOperation&message=A{44} HTTP/1.1" 200 }
--- no_error_log
[error]



=== TEST 2: one byte more: 414 from the module, not forwarded
--- request eval
"GET $main::Prefix" . ("A" x 45)
--- error_code: 414
--- response_body
uri_too_long: request URI of 101 bytes exceeds scep_max_uri_length 100
--- response_headers
Content-Type: text/plain
--- record eval
{
    http => ScepTest::exact({
        request  => { method => 'GET', bytes => ScepTest::integer },
        response => { status_code => 414, bytes => ScepTest::integer },
    }),
    url  => ScepTest::exact({ path => '/certsrv/mscep/mscep.dll', query_length => 76 }),
    scep => ScepTest::exact({
        operation => 'PKIOperation', client => 'certmonger',
        reject    => { reason => 'uri_too_long',
                       detail => 'request URI of 101 bytes exceeds scep_max_uri_length 100',
                       stage => 'module', enforced => JSON::PP::true },
        diagnosis => { code => 'proxy_uri_too_long', hint => qr/^[^"]+$/ },
    }),
}
--- no_access_log
GET /ndes/
--- error_log
scep: rejected, uri_too_long: request URI of 101 bytes exceeds scep_max_uri_length 100
--- no_error_log
[error]



=== TEST 3: the limit comes after nginx's access checks: a denied long URI is nginx's 403, not the module's 414
--- config
    location /certsrv/mscep/ {
        scep on;
        scep_max_uri_length 100;
        deny all;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }
--- request eval
"GET $main::Prefix" . ("A" x 45)
--- error_code: 403
--- response_body_like: 403 Forbidden



=== TEST 4: a 414 over POST discards the body and keeps the connection sane
--- request eval
"POST $main::Prefix" . ("A" x 45) . "\n" . ("B" x 3000)
--- error_code: 414
--- response_body
uri_too_long: request URI of 101 bytes exceeds scep_max_uri_length 100
--- no_access_log
POST /ndes/
--- no_error_log
[error]



=== TEST 5: an iOS-sized GET (10 KB) passes with 64k header buffers
--- config
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        scep_reject off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }
--- ndes: forwarded\n
--- request eval
"GET $main::Prefix" . ("A" x 10240)
--- response_body
forwarded
--- record eval
{
    url  => { query_length => 10271 },
    scep => { operation => 'PKIOperation',
              upstream => { addr => qr/^[^"]+$/, status => 200 } },
}
--- no_error_log
exceeds large_client_header_buffers
[error]



=== TEST 6: start-up warning: the default 65534 against 8k buffers
--- config
    large_client_header_buffers 4 8k;

    location /certsrv/mscep/ {
        scep on;
        return 200 "ok\n";
    }
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca
--- response_body
ok
--- error_log
[warn]
scep_max_uri_length 65534 exceeds large_client_header_buffers size 8192 in server "localhost"



=== TEST 7: nginx core's 414 is still logged with a SCEP record
--- config
    large_client_header_buffers 4 1k;

    location /certsrv/mscep/ {
        scep on;
        scep_reject off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }
--- ndes: forwarded\n
--- request eval
"GET $main::Prefix" . ("A" x 2000)
--- error_code: 414
--- record eval
{
    http => ScepTest::exact({
        request  => { method => 'GET' },
        response => { status_code => 414, bytes => ScepTest::integer },
    }),
    url  => ScepTest::exact({ path => '/certsrv/mscep/mscep.dll' }),
    scep => ScepTest::exact({
        operation => 'PKIOperation', client => 'other',
        reject    => { reason => 'uri_too_long',
                       detail => 'request line longer than large_client_header_buffers size 1024',
                       stage => 'nginx', enforced => JSON::PP::true },
        diagnosis => { code => 'proxy_uri_too_long', hint => qr/^[^"]+$/ },
    }),
}
--- no_access_log
GET /ndes/
--- error_log
client sent too long URI
scep_max_uri_length 65534 exceeds large_client_header_buffers size 1024



=== TEST 8: a core 414 cut before operation= does not guess the operation
--- config
    large_client_header_buffers 4 1k;

    location /certsrv/mscep/ {
        scep on;
    }
--- request eval
"GET /certsrv/mscep/mscep.dll?message=" . ("A" x 2000) . "&operation=PKIOperation"
--- error_code: 414
--- record eval
{
    url  => ScepTest::exact({ path => '/certsrv/mscep/mscep.dll' }),
    scep => ScepTest::exact({
        operation => 'unknown', client => 'other',
        reject    => ScepTest::subset({ reason => 'uri_too_long', stage => 'nginx',
                                        enforced => JSON::PP::true }),
        diagnosis => { code => 'proxy_uri_too_long', hint => qr/^[^"]+$/ },
    }),
}



=== TEST 9: no SCEP location in the server: a core 414 gets no record
--- config
    large_client_header_buffers 4 1k;

    location /plain/ {
        return 200 "ok\n";
    }
--- request eval
"GET /plain/?operation=PKIOperation&message=" . ("A" x 2000)
--- error_code: 414
--- no_access_log
"scep":
--- no_error_log
scep_max_uri_length
