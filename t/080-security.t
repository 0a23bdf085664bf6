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



=== TEST 7: one operation in another spelling is read as IIS reads it, not ambiguous
--- request
GET /iis/mscep.dll?OPERATION=GetCACaps&message=ca
--- response_body
GetCACaps
--- record eval
{
    scep => {
        operation => 'GetCACaps',
        reject => ScepTest::absent,
    },
}



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
        operation => 'admin',
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
