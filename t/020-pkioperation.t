# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# PKIOperation: every pkiMessage is decoded, over GET in each encoding real
# clients use and over POST; malformed ones are rejected before NDES with
# their reason, or only logged in monitor mode.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use ScepTest;

# /ndes/ stands in for NDES and logs its hits in the combined format:
# --- access_log shows what reached it, --- no_access_log what did not.
default_config(<<'_EOC_' . ndes(answer => 'ndes: $request_method $content_length\n'));
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

_EOC_

# the real micromdm scepclient PKCSReq (t/lib/capture-scepclient)
our $Req = message('scepclient-pkcsreq.der');

# what the record's "message" says of it, over the given transport: exactly
# these keys
sub req_fields {
    my ($transport, $encoding) = @_;

    my %get = $transport eq 'get'
              ? (query_encoding => $encoding // ['percent']) : ();

    return ScepTest::exact({
        %get,
        type             => 'PKCSReq',
        type_code        => 19,
        transaction_id   => qr{^[A-Za-z0-9+/=]+$},
        sender_nonce     => qr/^[0-9a-f]{32}$/,
        digest_algorithm => qr/^sha(1|256)$/,
        encoding         => 'der',
        size             => length $main::Req,
        transport        => $transport,
        signer           => { subject => qr/^[^"]+$/,
                              serial => qr/^[0-9a-f]+$/,
                              fingerprint_sha256 => qr/^[0-9a-f]{64}$/ },
        clock_skew       => ScepTest::integer,
        clock_source     => 'signing_time',
        signature        => 'valid',
    });
}

no_shuffle();
run_tests();
check_records();

__DATA__

=== TEST 1: scepclient's PKCSReq over POST: decoded, forwarded
--- raw_request eval
ScepTest::pkiop_post($main::Req)
--- response_body eval
"ndes: POST " . length($main::Req) . "\n"
--- record eval
{
    scep => {
        operation => 'PKIOperation',
        ca_ident  => ScepTest::absent,
        message   => main::req_fields('post'),
        reject    => ScepTest::absent,
        upstream  => { addr => qr/^[^"]+$/, status => 200,
                       response_time => ScepTest::number },
    },
}
--- access_log eval
qr{"POST /ndes/mscep.dll\?operation=PKIOperation HTTP/1.1" 200 }
--- no_error_log
[error]



=== TEST 2: the same message over GET, base64 percent-encoded
--- request eval
ScepTest::pkiop_get($main::Req, 'percent')
--- response_body
ndes: GET 
--- record eval
{ scep => { message => main::req_fields('get') } }
--- no_error_log
[error]



=== TEST 3: GET, base64 as is, '+' and '/' unescaped
--- request eval
ScepTest::pkiop_get($main::Req, 'raw')
--- response_body
ndes: GET 
--- record eval
{ scep => { message => main::req_fields('get', ['raw', 'raw_plus']) } }
--- no_error_log
[error]



=== TEST 4: GET, '+' arrived as a space (%20)
--- request eval
ScepTest::pkiop_get($main::Req, 'space')
--- response_body
ndes: GET 
--- record eval
{ scep => { message => main::req_fields('get', ['percent', 'raw_plus']) } }
--- no_error_log
[error]



=== TEST 5: GET, sscep: %0A line breaks
--- request eval
ScepTest::pkiop_get($main::Req, 'lf')
--- response_body
ndes: GET 
--- record eval
{ scep => { message => main::req_fields('get', ['percent', 'line_breaks']) } }
--- no_error_log
[error]



=== TEST 6: GET, %0D%0A line breaks
--- request eval
ScepTest::pkiop_get($main::Req, 'crlf')
--- response_body
ndes: GET 
--- record eval
{ scep => { message => main::req_fields('get', ['percent', 'line_breaks']) } }
--- no_error_log
[error]



=== TEST 7: GET, no padding
--- request eval
ScepTest::pkiop_get($main::Req, 'nopad')
--- response_body
ndes: GET 
--- record eval
{ scep => { message => main::req_fields('get') } }
--- no_error_log
[error]



=== TEST 8: GET on the /pkiclient.exe path
--- request eval
ScepTest::pkiop_get($main::Req, 'percent', '/certsrv/mscep/mscep.dll/pkiclient.exe')
--- response_body
ndes: GET 
--- record eval
{ scep => { message => main::req_fields('get') } }
--- no_error_log
[error]



=== TEST 9: the variables in the rewrite phase, before the module's decision: a POST's body is not read yet, a GET's message is decoded from its query but not yet checked
--- config
    location /certsrv/mscep/ {
        scep on;
        return 200 "$scep_operation|$scep_message_type|$scep_transaction_id|$scep_sender_nonce|$scep_signature|$scep_reject_reason\n";
    }
--- raw_request eval
[ScepTest::pkiop_post($main::Req),
 ScepTest::pkiop_get($main::Req) . " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"]
--- response_body_like eval
[qr/^PKIOperation\|\|\|\|\|\n\z/,
 qr/^PKIOperation\|PKCSReq\|[A-Za-z0-9+\/=]+\|[0-9a-f]{32}\|\|\n\z/]



=== TEST 10: the variables once the module has decided, in proxy_set_header: all of them, over POST too
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_set_header X-Scep "$scep_operation|$scep_message_type|$scep_transaction_id|$scep_sender_nonce|$scep_signature|$scep_reject_reason";
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo/;
    }

    location /echo/ {
        return 200 "$http_x_scep\n";
    }
--- raw_request eval
ScepTest::pkiop_post($main::Req)
--- response_body_like chop
^PKIOperation\|PKCSReq\|[A-Za-z0-9+/=]+\|[0-9a-f]{32}\|valid\|$



=== TEST 11: a body nginx wrote to a temporary file, and a chunked one
--- config
    large_client_header_buffers 4 64k;
    client_body_buffer_size 1k;

    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }
--- ndes: ndes: $request_method $content_length\n
--- raw_request eval
[ScepTest::pkiop_post($main::Req, chunked => 1)]
--- response_body eval
"ndes: POST " . length($main::Req) . "\n"
--- record eval
[{ scep => { message => main::req_fields('post') } }]
--- no_error_log
[error]



=== TEST 12: a PKIOperation GET without message=
--- request
GET /certsrv/mscep/mscep.dll?operation=PKIOperation
--- error_code: 400
--- response_body
missing_message: a PKIOperation GET without message=
--- no_access_log
GET /ndes/



=== TEST 13: not base64
--- request
GET /certsrv/mscep/mscep.dll?operation=PKIOperation&message=MIIB*AQ
--- error_code: 400
--- response_body
bad_encoding: message is not base64: byte 0x2a at offset 4 of its decoded text
--- record eval
{
    scep => {
        operation => 'PKIOperation',
        ca_ident  => ScepTest::absent,
        message   => ScepTest::absent,
        reject    => { reason => 'bad_encoding' },
    },
}
--- no_access_log
GET /ndes/



=== TEST 14: a message over scep_max_message_size over GET: 414, in monitor mode too
--- config
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        scep_max_message_size 1k;
        scep_reject off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }
--- ndes: ndes\n
--- request eval
ScepTest::pkiop_get($main::Req)
--- error_code: 414
--- response_body eval
"message_too_large: message of " . length($main::Req) . " bytes exceeds scep_max_message_size 1024\n"
--- no_access_log
/ndes/



=== TEST 15: a body over scep_max_message_size: 413, before it is read
--- config
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        scep_max_message_size 1k;
        scep_reject off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }
--- ndes: ndes\n
--- raw_request eval
ScepTest::pkiop_post($main::Req)
--- error_code: 413
--- response_body eval
"message_too_large: body of " . length($main::Req) . " bytes exceeds scep_max_message_size 1024\n"
--- no_access_log
/ndes/



=== TEST 16: methods: PUT for PKIOperation, POST for GetCACert
--- request eval
["PUT /certsrv/mscep/mscep.dll?operation=PKIOperation\nabc",
 "POST /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca\nabc"]
--- error_code eval
[405, 405]
--- response_headers eval
["Allow: GET, POST", "Allow: GET"]
--- response_body eval
["method_not_allowed: PKIOperation takes GET or POST, not PUT\n",
 "method_not_allowed: GetCACert takes GET, not POST\n"]
--- no_access_log
/ndes/



=== TEST 17: an unknown operation and a query without one are refused
--- request eval
["GET /certsrv/mscep/mscep.dll?operation=GetCRL&message=ca",
 "GET /certsrv/mscep/mscep.dll?message=ca"]
--- error_code eval
[400, 400]
--- response_body eval
["unknown_operation: operation \"GetCRL\" is not a SCEP operation\n",
 "missing_operation: the query has no operation=\n"]
--- no_access_log
/ndes/



=== TEST 18: monitor mode: scep_reject off forwards, the record keeps the reason
--- config
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        scep_reject off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }
--- ndes: ndes: $request_method\n
--- request
GET /certsrv/mscep/mscep.dll?operation=PKIOperation&message=MIIB*AQ
--- response_body
ndes: GET
--- record eval
{
    event => ScepTest::exact({ duration => ScepTest::integer, outcome => 'success' }),
    scep  => {
        reject   => ScepTest::exact({ reason => 'bad_encoding',
                                      detail => qr/^message is not base64: [^"]+$/,
                                      stage => 'module', enforced => JSON::PP::false }),
        upstream => { addr => qr/^[^"]+$/, status => 200,
                      response_time => ScepTest::number },
    },
}
--- access_log eval
qr{"GET /ndes/mscep.dll\?operation=PKIOperation&message=MIIB\*AQ HTTP/1.1" 200 }
--- error_log
scep: forwarded in monitor mode (scep_reject off), bad_encoding



=== TEST 19: scep_message_types: a type left out gets 403
--- config
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        scep_message_types RenewalReq CertPoll;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }
--- raw_request eval
ScepTest::pkiop_post($main::Req)
--- error_code: 403
--- response_body
message_type_not_allowed: PKCSReq is not in scep_message_types
--- record eval
{
    scep => {
        message => { type => 'PKCSReq' },
        reject  => { reason => 'message_type_not_allowed' },
    },
}



=== TEST 20: an unknown name in scep_message_types stops nginx
--- config
    location /certsrv/mscep/ {
        scep on;
        scep_message_types PKCSReq CertRep;
    }
--- must_die
--- error_log
"CertRep" is not a SCEP request message type



=== TEST 21: Expect: 100-continue on a body too large: 413 at once, no upload invited
(lingering_timeout short: nginx waits that long for the body it discards, as for its own 413)
--- config
    location /certsrv/mscep/ {
        scep on;
        lingering_timeout 100ms;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }
--- ndes: ndes\n
--- raw_request eval
"POST /certsrv/mscep/mscep.dll?operation=PKIOperation HTTP/1.1\r
Host: localhost\r
Content-Length: 100000\r
Expect: 100-continue\r
\r
"
--- error_code: 413
--- response_headers
Connection: close
--- response_body
message_too_large: body of 100000 bytes exceeds scep_max_message_size 65536
--- no_access_log
/ndes/



=== TEST 22: every length in long form: scepclient's PKCSReq is forwarded, as BER
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('../../fuzz/corpus/pkimessage/scepclient-pkcsreq.longlen'))
--- response_body eval
"ndes: POST " . length(ScepTest::message('../../fuzz/corpus/pkimessage/scepclient-pkcsreq.longlen')) . "\n"
--- record eval
{ scep => { message => { type => 'PKCSReq', encoding => 'ber' } } }
--- no_error_log
[error]



=== TEST 23: a long-form length of zero (here the NULL parameters of the signature algorithm) is refused
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('../../fuzz/corpus/pkimessage/pkcsreq-ski.longlen'))
--- error_code: 400
--- response_body
not_cms: a long-form length of zero at byte 2368
--- record eval
{
    scep => {
        operation => 'PKIOperation',
        ca_ident  => ScepTest::absent,
        message   => { encoding => 'ber' },
        reject    => { reason => 'not_cms',
                       detail => 'a long-form length of zero at byte 2368' },
    },
}
--- no_access_log
POST /ndes/
