# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# Edge security: what the module checks is what the upstream gets.
#
# Parameter smuggling: a query with more than one parameter naming
# operation (or message), once letter case is folded and the name
# percent-decoded, is refused with ambiguous_query and never reaches the
# real scepserver behind; in monitor mode it goes through, and scepserver's
# own log shows what it read: not what the module would have.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use ScepTest;

our $Server = scep_server();
$ENV{TEST_NGINX_DATA} = "$ScepTest::Top/t/data";

# the pkiMessages, as a GET's message= carries them
sub msg { (ScepTest::pkiop_get(ScepTest::message($_[0])) =~ /message=(.*)$/)[0] }

our $GetCRL = msg('getcrl.der');
our $PKCSReq = msg('pkcsreq-sha256.der');

our @Forms = (
    "Operation=GetCACaps&operation=PKIOperation&message=$GetCRL",
    "operation=PKIOperation&Message=$PKCSReq&message=$GetCRL",
    "operation=PKIOperation&m%65ssage=$GetCRL&message=$PKCSReq",
);

default_config(<<'_EOC_');
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        rewrite ^ /scep break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }

    location /iis/ {
        scep on;
        return 200 "$scep_operation\n";
    }

    location /monitor/ {
        scep on;
        scep_reject off;
        rewrite ^ /scep break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }
_EOC_

no_shuffle();
run_tests();
check_records();

# scepserver logs "op=NAME" for every request it handles: only the three
# of monitor mode reached it, and it read PKIOperation each time, where
# the module read GetCACaps for the first
open my $log, '<', "$Server->{dir}/scepserver.log" or die $!;
my @ops = map { /\bop=(\S*)/ ? $1 : () } <$log>;
close $log;

is_deeply(\@ops, [('PKIOperation') x 3],
          "$0 - scepserver got the monitor-mode requests alone, each read as PKIOperation");


# TESTs 12 to 15, from their --- init: N forged PKIOperation POSTs (the
# signature byte flipped) on keepalive connections; the answers and what
# the metrics then say was decoded, checked by the block's GET /check
sub ScepTest::forged {
    my (%o) = @_;
    my $body = ScepTest::message('bad-signature.der');
    my $req = join "\r\n", 'POST /certsrv/mscep/mscep.dll?operation=PKIOperation HTTP/1.1',
                            'Host: localhost',
                            'Content-Length: ' . length($body), '', $body;
    my @status = map { $_->[0] } ScepTest::keepalive(($req) x ($o{n} // 1));
    my ($bad, $m) = ScepTest::metrics();
    my $decoded = $m->{'scep_decode_seconds_count{}'} // 0;
    my $passed = grep { $_ == 400 } @status;
    my $refused = grep { $_ == $o{refused} } @status;
    my @problems = @$bad;

    push @problems, "answered @status" if $passed + $refused != @status;
    push @problems, "only $refused of " . @status . " refused"
        if $refused < ($o{at_least} // @status);
    push @problems, "$decoded decoded, $passed let through" if $decoded != $passed;

    ScepTest::report(@problems);
}


__DATA__

=== TEST 1: two spellings of operation: refused, not forwarded
--- request eval
"GET /certsrv/mscep/mscep.dll?$main::Forms[0]"
--- error_code: 400
--- response_body_like: ^ambiguous_query: more than one parameter names operation
--- record eval
{
    http => { response => { status_code => 400 } },
    scep => {
        operation => 'GetCACaps',
        reject => ScepTest::exact({
            reason => 'ambiguous_query',
            detail => qr/^more than one parameter names operation /,
            stage => 'module',
            enforced => JSON::PP::true,
        }),
        upstream => ScepTest::absent,
    },
}



=== TEST 2: message and Message: refused, not forwarded
--- request eval
"GET /certsrv/mscep/mscep.dll?$main::Forms[1]"
--- error_code: 400
--- response_body_like: ^ambiguous_query: more than one parameter names message
--- record eval
{
    scep => {
        operation => 'PKIOperation',
        message => ScepTest::absent,
        reject => { reason => 'ambiguous_query', enforced => JSON::PP::true },
        upstream => ScepTest::absent,
    },
}



=== TEST 3: a percent-encoded name, m%65ssage, is message too: refused
--- request eval
"GET /certsrv/mscep/mscep.dll?$main::Forms[2]"
--- error_code: 400
--- response_body_like: ^ambiguous_query: more than one parameter names message
--- record eval
{
    scep => {
        reject => { reason => 'ambiguous_query', enforced => JSON::PP::true },
        upstream => ScepTest::absent,
    },
}



=== TEST 4: monitor mode forwards the first form and says so; scepserver reads a PKIOperation (and cannot open the GetCRL's envelope: 500)
--- request eval
"GET /monitor/mscep.dll?$main::Forms[0]"
--- error_code: 500
--- record eval
{
    scep => {
        operation => 'GetCACaps',
        reject => { reason => 'ambiguous_query', enforced => JSON::PP::false },
        upstream => { status => 500 },
    },
}
--- error_log
forwarded in monitor mode (scep_reject off), ambiguous_query



=== TEST 5: monitor mode forwards the second form
--- request eval
"GET /monitor/mscep.dll?$main::Forms[1]"
--- error_code: 500
--- record eval
{
    scep => {
        reject => { reason => 'ambiguous_query', enforced => JSON::PP::false },
        upstream => { status => 500 },
    },
}



=== TEST 6: monitor mode forwards the third form
--- request eval
"GET /monitor/mscep.dll?$main::Forms[2]"
--- error_code: 500
--- record eval
{
    scep => {
        reject => { reason => 'ambiguous_query', enforced => JSON::PP::false },
        upstream => { status => 500 },
    },
}



=== TEST 7: one operation in another spelling is read as IIS reads it, not ambiguous, and the record says how each name was spelled
--- request eval
["GET /iis/mscep.dll?OPERATION=GetCACaps&message=ca",
 "GET /iis/mscep.dll?operation=GetCACert&m%65ss%41ge=ca",
 "GET /iis/mscep.dll?operation=GetCACaps&message=ca"]
--- response_body eval
["GetCACaps\n", "GetCACert\n", "GetCACaps\n"]
--- record eval
[{
    scep => {
        operation => 'GetCACaps',
        parameter_names => ScepTest::exact({ operation => 'OPERATION' }),
        reject => ScepTest::absent,
    },
}, {
    scep => {
        operation => 'GetCACert',
        ca_ident => 'ca',
        parameter_names => ScepTest::exact({ message => 'm%65ss%41ge' }),
        reject => ScepTest::absent,
    },
}, {
    scep => {
        operation => 'GetCACaps',
        parameter_names => ScepTest::absent,
    },
}]



=== TEST 8: $scep_ca_ident in add_header: a CRLF in message= cannot split the answer
--- config
    location /hdr/ {
        scep on;
        add_header X-CA-Ident $scep_ca_ident always;
        return 200 "ok\n";
    }
--- request
GET /hdr/mscep.dll?operation=GetCACert&message=ca%0d%0aSet-Cookie:%20evil=1
--- response_headers
X-CA-Ident: ca\u000d\u000aSet-Cookie: evil=1
!Set-Cookie
--- response_body
ok



=== TEST 9: $scep_ca_ident in proxy_set_header: the upstream gets no smuggled header, and a backslash cannot forge an escape
--- config
    location /fwd/ {
        scep on;
        proxy_set_header X-CA-Ident $scep_ca_ident;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo/;
    }

    location /echo/ {
        return 200 "[$http_x_ca_ident] [$http_evil]\n";
    }
--- request
GET /fwd/mscep.dll?operation=GetCACert&message=ca%0d%0aEvil:%20yes%5cu000d%ff
--- response_body eval
"[ca\\u000d\\u000aEvil: yes\\\\u000d\xef\xbf\xbd] []\n"



=== TEST 10: the NDES admin page never passes, in monitor mode neither: 403 admin_page, operation admin
--- config
    location /certsrv/ {
        scep on;
        scep_reject off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /ndes/ {
        access_log logs/access.log;
        return 200 "ndes: $request_uri\n";
    }
--- request eval
["GET /certsrv/mscep_admin/", "GET /certsrv/MSCEP_Admin/default.aspx", "GET /certsrv/mscep%5Fadmin/", "GET /certsrv/x/../mscep_admin/"]
--- error_code eval
[403, 403, 403, 403]
--- response_body_like eval
[qr/^admin_page: /, qr/^admin_page: /, qr/^admin_page: /, qr/^admin_page: /]
--- record eval
[({
    http => { response => { status_code => 403 } },
    scep => ScepTest::exact({
        operation => 'admin', client => 'certmonger',
        reject => {
            reason => 'admin_page',
            detail => 'the path names the NDES admin page',
            stage => 'module',
            enforced => JSON::PP::true,
        },
    }),
}) x 4]
--- no_access_log
GET /ndes/



=== TEST 11: HEAD: an answer without a body is not an incomplete one
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/caps/;
    }

    location /caps/ {
        return 200 "POSTPKIOperation\nSHA-256\n";
    }
--- request
HEAD /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca
--- record eval
{
    http => { request => { method => 'HEAD' }, response => { status_code => 200 } },
    scep => {
        operation => 'GetCACaps',
        response => ScepTest::absent,
        diagnosis => ScepTest::absent,
    },
}



=== TEST 12: deny all: a forged PKIOperation is refused by nginx's access check before the module reads, decodes or verifies it
--- config
    location /certsrv/mscep/ {
        scep on;
        deny all;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }

    location = /metrics {
        scep_metrics;
    }
--- init
ScepTest::forged(refused => 403);
--- request
GET /check
--- response_body
ok
--- access_log eval
qr{"response":\{"status_code":403,.*"scep":\{"operation":"PKIOperation","client":"certmonger"\}\}$}
--- no_error_log
scep: reading the request body
scep: verifying the signature
[alert]



=== TEST 13: auth_request: a forged PKIOperation the authorisation refuses costs no body read, decode or signature check
--- config
    location /certsrv/mscep/ {
        scep on;
        auth_request /auth;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }

    location = /auth {
        internal;
        return 401;
    }

    location = /metrics {
        scep_metrics;
    }
--- init
ScepTest::forged(refused => 401);
--- request
GET /check
--- response_body
ok
--- access_log eval
qr{"response":\{"status_code":401,.*"scep":\{"operation":"PKIOperation","client":"certmonger"\}\}$}
--- no_error_log
scep: reading the request body
scep: verifying the signature
[alert]



=== TEST 14: limit_req at 1 r/s: of 20 forged PKIOperations, only those let through are decoded
--- http_config
    limit_req_zone $binary_remote_addr zone=scep:1m rate=1r/s;
--- config
    location /certsrv/mscep/ {
        scep on;
        limit_req zone=scep;
        limit_req_status 429;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }

    location = /metrics {
        scep_metrics;
    }
--- init
ScepTest::forged(n => 20, refused => 429, at_least => 15);
--- request
GET /check
--- response_body
ok
--- error_log
scep: verifying the signature



=== TEST 15: what the access checks let through is still checked in full: the forged message is verified, 400 signature_invalid
--- config
    location /certsrv/mscep/ {
        scep on;
        allow 127.0.0.1;
        deny all;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }

    location = /metrics {
        scep_metrics;
    }
--- init
ScepTest::forged(refused => 0, at_least => 0);
--- request
GET /check
--- response_body
ok
--- error_log
scep: reading the request body
scep: verifying the signature



=== TEST 16: limit_req keyed on $scep_operation and on a GET's $scep_transaction_id: ready before the access checks
--- http_config
    limit_req_zone $scep_operation zone=op:1m rate=1r/m;
    limit_req_zone $scep_transaction_id zone=tid:1m rate=1r/m;
--- config
    location /caps/ {
        scep on;
        limit_req zone=op;
        limit_req_status 429;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /certsrv/mscep/ {
        scep on;
        limit_req zone=tid;
        limit_req_status 429;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /ndes/ {
        return 200 "ndes\n";
    }
--- request eval
["GET /caps/mscep.dll?operation=GetCACaps&message=ca",
 "GET /caps/mscep.dll?operation=GetCACaps&message=ca",
 "GET /caps/mscep.dll?operation=GetCACert&message=ca",
 ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha256.der')),
 ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha256.der')),
 ScepTest::pkiop_get(ScepTest::message('pkcsreq-ecdsa.der'))]
--- error_code eval
[200, 429, 200, 200, 429, 200]



=== TEST 17: post_action to a location without scep_flow, after a CertRep: the worker lives and the record is whole
--- http_config
    scep_flow_zone devices:1m;
--- config
    location /certsrv/mscep/ {
        scep on;
        scep_flow devices;
        post_action /after;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }

    location = /after {
        return 204;
    }
--- ndes eval
{ file => 'certrep-success.der', type => 'application/x-pki-message' }
--- request eval
[ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha256.der')),
 ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha256.der'))]
--- record eval
[map { {
    http => { response => { status_code => 200 } },
    scep => {
        operation => 'PKIOperation',
        response => { message_type => 'CertRep', pki_status => 'SUCCESS' },
        flow => { id => qr/^[0-9a-f]{16}$/, step => $_, outcome => 'issued' },
    },
} } 1, 2]
--- no_error_log
[alert]
[error]



=== TEST 18: post_action to a scep location that proxies: its answer is not taken for the CertRep
--- config
    location /certsrv/mscep/ {
        scep on;
        post_action /after;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }

    location = /after {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/text/;
    }

    location /text/ {
        return 200 "not a CertRep\n";
    }
--- ndes eval
{ file => 'certrep-success.der', type => 'application/x-pki-message' }
--- request eval
ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha256.der'))
--- record eval
{
    http => { response => { status_code => 200 } },
    scep => {
        response => ScepTest::exact({
            message_type => 'CertRep', pki_status => 'SUCCESS',
            transaction_id => '9C1772A8FC4F148942002741E35CEFDE7C69796E',
            transaction_id_matches => JSON::PP::true,
            recipient_nonce_matches => JSON::PP::true,
        }),
    },
}
--- no_error_log
[alert]
[error]



=== TEST 19: error_page to a named location without scep: the flow and the record come from the location that handled the request
--- http_config
    scep_flow_zone devices:1m;
--- config
    location /certsrv/mscep/ {
        scep on;
        scep_flow devices;
        proxy_intercept_errors on;
        error_page 500 = @fallback;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fail/;
    }

    location @fallback {
        return 503 "fallback\n";
    }

    location /fail/ {
        return 500;
    }
--- request eval
[ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha256.der')),
 ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha256.der'))]
--- error_code eval
[503, 503]
--- record eval
[map { {
    http => { response => { status_code => 503 } },
    scep => {
        operation => 'PKIOperation',
        message => { type => 'PKCSReq' },
        flow => { id => qr/^[0-9a-f]{16}$/, step => $_ },
    },
} } 1, 2]
--- no_error_log
[alert]



=== TEST 20: try_files to a named location without scep: the message is checked before, in the scep location, and the answer decoded
--- config
    location /certsrv/mscep/ {
        scep on;
        try_files /nothing @ndes;
    }

    location @ndes {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
        rewrite ^ /data/ break;
    }
--- ndes eval
{ file => 'certrep-success.der', type => 'application/x-pki-message' }
--- request eval
[ScepTest::pkiop_get(ScepTest::message("pkcsreq-sha256.der")),
 ScepTest::pkiop_get(ScepTest::message("bad-signature.der"))]
--- error_code eval
[200, 400]
--- record eval
[{ scep => { response => { message_type => 'CertRep', pki_status => 'SUCCESS' } } },
 { scep => { reject => { reason => 'signature_invalid' }, upstream => ScepTest::absent } }]
--- no_error_log
[alert]



=== TEST 21: mirror: the mirrored copy of a SCEP request is neither recorded nor counted a second time
--- config
    location /certsrv/mscep/ {
        scep on;
        mirror /mirror;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location = /mirror {
        internal;
        scep on;
        log_subrequest on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /ndes/ {
        return 200 "ndes\n";
    }

    location = /metrics {
        scep_metrics;
    }
--- init
my $log = Test::Nginx::Util::server_root() . '/logs/access.log';
my $r = ScepTest::fetch('GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca');
my ($bad, $m) = ScepTest::metrics();
my $n = 0;
$n += $m->{$_} for grep { /^scep_requests_total\{/ } keys %$m;
open my $in, '<', $log or die "$log: $!";
my @records = grep { /"scep":/ } <$in>;
close $in;
ScepTest::report($r =~ m{^HTTP/1\.1 200 } ? () : "answered " . substr($r, 0, 20),
                 @$bad ? "metrics: @$bad" : (),
                 $n == 1 ? () : "counted $n times",
                 @records == 1 ? () : scalar(@records) . " records");
--- request
GET /check
--- response_body
ok
--- no_error_log
[alert]



=== TEST 22: an internal redirect from a scep location to one without: the message is still checked, by the first location's settings
--- config
    location /certsrv/mscep/ {
        scep on;
        rewrite ^ /plain/ last;
    }

    location /plain/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /ndes/ {
        access_log logs/access.log;
        return 200 "ndes\n";
    }
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-signature.der'))
--- error_code: 400
--- response_body_like: ^signature_invalid:
--- record eval
{ scep => { operation => 'PKIOperation', reject => { reason => 'signature_invalid' } } }
--- no_access_log
GET /ndes/



=== TEST 23: a transactionID with CRLF, in add_header on the module's own 400: refused as bad_transaction_id, not offered to the header, the answer not split
--- config
    location /certsrv/mscep/ {
        scep on;
        add_header X-Transaction-Id $scep_transaction_id always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }
--- raw_request eval
(my $msg = ScepTest::message('pkcsreq-sha256.der')) =~ s/9C1772A8/9C\r\nX: 1/ or die;
ScepTest::pkiop_post($msg)
--- error_code: 400
--- response_body_like: ^bad_transaction_id:
--- response_headers
!X-Transaction-Id
!X



=== TEST 24: a variable read at the server level makes the context first: the location's own settings still hold (monitor mode here; scep off there)
--- config
    scep on;
    set $op $scep_operation;

    location /certsrv/mscep/ {
        scep_reject off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /plain/ {
        scep off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /ndes/ {
        scep off;
        return 200 "ndes\n";
    }
--- raw_request eval
[ScepTest::pkiop_post(ScepTest::message('bad-signature.der')),
 ScepTest::pkiop_post(ScepTest::message('bad-signature.der'), path => '/plain/mscep.dll')]
--- response_body eval
["ndes\n", "ndes\n"]
--- record eval
[{ scep => { reject => { reason => 'signature_invalid', enforced => JSON::PP::false } } },
 { scep => { message => ScepTest::absent, reject => ScepTest::absent } }]



=== TEST 25: limit_req with the stock error_page for 50x: the refused request gets the page, undecided, its message never decoded or verified
--- http_config
    limit_req_zone $binary_remote_addr zone=z:1m rate=1r/m;
--- config
    error_page 500 502 503 504 /50x.html;

    location = /50x.html {
        root html;
    }

    location /certsrv/mscep/ {
        scep on;
        limit_req zone=z nodelay;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /ndes/ {
        return 200 "ndes\n";
    }
--- user_files
>>> 50x.html
busy
--- init
ScepTest::fetch('GET /certsrv/mscep/mscep.dll?operation=GetCACaps');
--- request eval
ScepTest::pkiop_get(ScepTest::message('bad-signature.der'))
--- error_code: 503
--- response_body
busy
--- record eval
{
    http => { response => { status_code => 503 } },
    scep => ScepTest::exact({ operation => 'PKIOperation', client => 'certmonger' }),
}
--- no_error_log
scep: verifying the signature
scep: rejected



=== TEST 26: limit_req and error_page to a named static location, for a POST: no body read, nothing decided (the static module then refuses the POST, 405)
--- http_config
    limit_req_zone $binary_remote_addr zone=z:1m rate=1r/m;
--- config
    location /certsrv/mscep/ {
        scep on;
        limit_req zone=z nodelay;
        error_page 503 = @busy;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location @busy {
        root html;
        try_files /busy.html =503;
    }

    location /ndes/ {
        return 200 "ndes\n";
    }
--- user_files
>>> busy.html
busy
--- init
ScepTest::fetch('GET /certsrv/mscep/mscep.dll?operation=GetCACaps');
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-signature.der'))
--- error_code: 405
--- no_error_log
scep: reading the request body
scep: verifying the signature



=== TEST 27: deny, then an error_page that would proxy: the refused request is not forwarded undecided, nor decided: nginx's status
--- config
    location /certsrv/mscep/ {
        scep on;
        deny all;
        error_page 403 = @ndes;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location @ndes {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
        rewrite ^ /ndes/ break;
    }

    location /ndes/ {
        access_log logs/access.log;
        return 200 "ndes\n";
    }
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-signature.der'))
--- error_code: 403
--- no_access_log
/ndes/
--- no_error_log
scep: reading the request body
scep: verifying the signature



=== TEST 28: return 403 in the rewrite phase with an error_page: the page, undecided
--- config
    location /certsrv/mscep/ {
        scep on;
        error_page 403 /denied.html;

        if ($arg_operation) {
            return 403;
        }

        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location = /denied.html {
        root html;
    }
--- user_files
>>> denied.html
denied
--- request eval
ScepTest::pkiop_get(ScepTest::message('bad-signature.der'))
--- error_code: 403
--- response_body
denied
--- no_error_log
scep: verifying the signature



=== TEST 29: deny and post_action that proxies: the refused request is neither decided in post_action nor forwarded by it
--- config
    location /certsrv/mscep/ {
        scep on;
        deny all;
        post_action /after;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location = /after {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /ndes/ {
        access_log logs/access.log;
        return 200 "ndes\n";
    }
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-signature.der'))
--- error_code: 403
--- record eval
{
    http => { response => { status_code => 403 } },
    scep => ScepTest::exact({ operation => 'PKIOperation', client => 'certmonger' }),
}
--- no_access_log
/ndes/
--- no_error_log
scep: reading the request body
scep: rejected
[alert]



=== TEST 30: a denied GET with $scep_message_type before the record in log_format: nothing is decoded in the log phase, whatever the order
--- http_config
    log_format both escape=none '$scep_message_type $scep_log_json';
--- config
    location /certsrv/mscep/ {
        scep on;
        deny all;
        access_log logs/access.log both;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }
--- request eval
ScepTest::pkiop_get(ScepTest::message('bad-signature.der'))
--- error_code: 403
--- access_log eval
qr{^ \{.*"scep":\{"operation":"PKIOperation","client":"certmonger"\}\}$}



=== TEST 31: a message variable read at the server level: the location's scep_max_message_size still holds
--- config
    scep on;
    set $tid $scep_transaction_id;

    location /certsrv/mscep/ {
        scep_max_message_size 1k;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /ndes/ {
        scep off;
        return 200 "ndes\n";
    }
--- request eval
ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha256.der'))
--- error_code: 414
--- response_body_like: ^message_too_large



=== TEST 32: a flow variable read at the server level, a location with scep_flow off: the worker lives, the record is written, and no flow is joined before the location decides
--- http_config
    scep_flow_zone devices:1m;
--- config
    scep on;
    scep_flow devices;
    set $f $scep_flow_id;

    location /certsrv/mscep/ {
        scep_flow off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'certrep-success.der', type => 'application/x-pki-message', first => 'scep off;' }
--- request eval
ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha256.der'))
--- record eval
{ scep => { response => { pki_status => 'SUCCESS' }, flow => ScepTest::absent } }
--- no_error_log
[alert]



=== TEST 33: the admin page written with a backslash, as IIS reads it (\ is /): refused
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /ndes/ {
        access_log logs/access.log;
        return 200 "ndes\n";
    }
--- request eval
["GET /certsrv/mscep/..%5Cmscep_admin/", "GET /certsrv/mscep/..\\MSCEP_ADMIN/"]
--- error_code eval
[403, 403]
--- response_body_like eval
[qr/^admin_page: /, qr/^admin_page: /]
--- no_access_log
GET /ndes/
