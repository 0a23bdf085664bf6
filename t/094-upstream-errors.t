# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# What the upstream failure really was (scep.upstream.error), each made
# for real: TLS to a stand-in NDES whose certificate does not match
# proxy_ssl_name or does not chain to proxy_ssl_trusted_certificate, a
# refused connection, a connection closed without an answer, an upstream
# that never answers, a listener whose accept queue is full, and a proxy in
# front of NDES that answers 502 or 504 itself.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use File::Temp ();
use IO::Socket::INET;
use Socket;
use ScepTest;

# a CA, NDES's certificate for ndes.internal from it, and another CA
our $Pki = File::Temp::tempdir(CLEANUP => 1);
my $sh = <<"_SH_";
set -e
cd $Pki
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem \\
    -days 2 -subj /CN=edge-test-ca
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem \\
    -days 2 -subj /CN=other-ca
openssl req -new -newkey rsa:2048 -nodes -keyout ndes.key -out ndes.csr \\
    -subj /CN=ndes.internal
printf 'subjectAltName=DNS:ndes.internal\\n' > ndes.ext
openssl x509 -req -in ndes.csr -CA ca.pem -CAkey ca.key -CAcreateserial \\
    -days 2 -extfile ndes.ext -out ndes.pem
_SH_
system('sh', '-c', "($sh) > $Pki/openssl.log 2>&1") == 0
    or die "openssl failed: see $Pki/openssl.log";
$ENV{TEST_NGINX_PKI} = $Pki;
$ENV{TEST_NGINX_TLS_PORT} = ScepTest::free_port();

# an upstream that accepts connections and never answers, and a port that
# refuses them
our $Silent = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                    Listen => 8) or die $!;
$ENV{TEST_NGINX_SILENT_PORT} = $Silent->sockport;

my $closed = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                   Listen => 1) or die $!;
$ENV{TEST_NGINX_CLOSED_PORT} = $closed->sockport;
close $closed;

# a listener with a backlog of 0 that never accepts, its queue filled: the
# kernel drops further SYNs, and a connect() waits
socket(our $Full, PF_INET, SOCK_STREAM, 0) or die $!;
bind($Full, pack_sockaddr_in(0, inet_aton('127.0.0.1'))) or die $!;
listen($Full, 0) or die $!;
$ENV{TEST_NGINX_FULL_PORT} = (unpack_sockaddr_in(getsockname($Full)))[0];
our @Fill = map {
    IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                          PeerPort => $ENV{TEST_NGINX_FULL_PORT},
                          Blocking => 0)
} 1 .. 2;

# the stand-in NDES over TLS, with its certificate for ndes.internal
our $HttpConfig = <<'_EOC_';
    server {
        listen 127.0.0.1:$TEST_NGINX_TLS_PORT ssl;
        server_name ndes.internal;
        ssl_certificate $TEST_NGINX_PKI/ndes.pem;
        ssl_certificate_key $TEST_NGINX_PKI/ndes.key;

        location / {
            return 200 "ndes over tls\n";
        }
    }
_EOC_

default_config(<<'_EOC_');
    location /tls/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate $TEST_NGINX_PKI/ca.pem;
        proxy_ssl_name ndes.internal;
        proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_PORT;
    }

    location /tls-other-name/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate $TEST_NGINX_PKI/ca.pem;
        proxy_ssl_name ndes.example.com;
        proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_PORT;
    }

    location /tls-untrusted/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate $TEST_NGINX_PKI/other.pem;
        proxy_ssl_name ndes.internal;
        proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_PORT;
    }

    location /refused/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_CLOSED_PORT;
    }

    location /reset/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/444;
    }

    location /silent/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_read_timeout 1s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SILENT_PORT;
    }

    location /full/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_connect_timeout 1s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_FULL_PORT;
    }

    location /proxy/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/$arg_status;
    }

    location /ndes/444 { return 444; }
    location = /ndes/502 { return 502 "the proxy in front of NDES: 502\n"; }
    location = /ndes/504 { return 504 "the proxy in front of NDES: 504\n"; }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', ($block->http_config // '') . $HttpConfig);
});

no_shuffle();
run_tests();
check_records();

__DATA__

=== TEST 1: TLS to NDES, the names match, the chain is trusted: 200, no upstream error
--- request
GET /tls/mscep.dll?operation=GetCACaps&message=ca
--- response_body
ndes over tls
--- response_headers
X-Scep-Diagnosis:
--- record eval
{
    event => { outcome => 'success' },
    scep  => {
        upstream  => ScepTest::exact({ addr => qr/^127\.0\.0\.1:\d+$/,
                                       status => 200,
                                       response_time => ScepTest::number }),
        diagnosis => ScepTest::absent,
    },
}
--- no_error_log
[error]



=== TEST 2: TLS, NDES's certificate names another host than proxy_ssl_name: tls, not unreachable
--- request
GET /tls-other-name/mscep.dll?operation=GetCACaps&message=ca
--- error_code: 502
--- response_headers
X-Scep-Diagnosis: ndes_tls_failed
--- record eval
{
    event => { outcome => 'failure' },
    scep  => {
        upstream  => { status => 502, error => 'tls' },
        diagnosis => { code => 'ndes_tls_failed',
                       hint => qr/proxy_ssl_name .* proxy_ssl_trusted_certificate/ },
    },
}
--- error_log
upstream SSL certificate does not match "ndes.example.com" while SSL handshaking to upstream



=== TEST 3: TLS, NDES's certificate does not chain to proxy_ssl_trusted_certificate: tls
--- request
GET /tls-untrusted/mscep.dll?operation=GetCACert&message=ca
--- error_code: 502
--- response_headers
X-Scep-Diagnosis: ndes_tls_failed
--- record eval
{
    event => { outcome => 'failure' },
    scep  => {
        upstream  => { status => 502, error => 'tls' },
        diagnosis => { code => 'ndes_tls_failed' },
    },
}
--- error_log eval
qr/upstream SSL certificate verify error: \(\d+:[^)]+\) while SSL handshaking to upstream/



=== TEST 4: a refused connection: refused, NDES unreachable
--- request
GET /refused/mscep.dll?operation=GetCACert&message=ca
--- error_code: 502
--- response_headers
X-Scep-Diagnosis: ndes_unreachable
--- record eval
{
    event => { outcome => 'failure' },
    scep  => {
        upstream  => { status => 502, error => 'refused' },
        diagnosis => { code => 'ndes_unreachable' },
    },
}
--- error_log
Connection refused) while connecting to upstream



=== TEST 5: the upstream closes the connection without an answer: reset
--- request
GET /reset/mscep.dll?operation=GetCACaps&message=ca
--- error_code: 502
--- response_headers
X-Scep-Diagnosis: ndes_unreachable
--- record eval
{
    event => { outcome => 'failure' },
    scep  => {
        upstream  => { status => 502, error => 'reset' },
        diagnosis => { code => 'ndes_unreachable' },
    },
}
--- error_log
upstream prematurely closed connection while reading response header from upstream



=== TEST 6: the upstream never answers: this edge's read timeout, and the hint names it
--- request
GET /silent/mscep.dll?operation=GetCACaps&message=ca
--- error_code: 504
--- response_headers
X-Scep-Diagnosis: ndes_read_timeout
--- record eval
{
    event => { outcome => 'failure' },
    scep  => {
        upstream  => { status => 504, error => 'read_timeout' },
        diagnosis => { code => 'ndes_read_timeout',
                       hint => qr/^this edge's proxy_read_timeout fired: .*; proxy_read_timeout is 1 s$/ },
    },
}
--- error_log
upstream timed out (110: Connection timed out) while reading response header from upstream
--- timeout: 5



=== TEST 7: the upstream's accept queue is full: the connection times out
--- request
GET /full/mscep.dll?operation=GetCACaps&message=ca
--- error_code: 504
--- response_headers
X-Scep-Diagnosis: ndes_connect_timeout
--- record eval
{
    event => { outcome => 'failure' },
    scep  => {
        upstream  => { status => 504, error => 'connect_timeout' },
        diagnosis => { code => 'ndes_connect_timeout' },
    },
}
--- error_log
upstream timed out (110: Connection timed out) while connecting to upstream
--- timeout: 5



=== TEST 8: a proxy in front of NDES answers 502, and 504: http, told apart from nginx's own
--- request eval
["GET /proxy/mscep.dll?operation=GetCACaps&message=ca&status=502",
 "GET /proxy/mscep.dll?operation=GetCACaps&message=ca&status=504"]
--- error_code eval
[502, 504]
--- response_headers eval
["X-Scep-Diagnosis: ndes_bad_gateway",
 "X-Scep-Diagnosis: ndes_gateway_timeout"]
--- record eval
[
{
    event => { outcome => 'failure' },
    scep  => {
        upstream  => { status => 502, error => 'http' },
        diagnosis => { code => 'ndes_bad_gateway',
                       hint => qr/^a proxy in front of NDES answered 502/ },
    },
},
{
    event => { outcome => 'failure' },
    scep  => {
        upstream  => { status => 504, error => 'http' },
        diagnosis => { code => 'ndes_gateway_timeout' },
    },
},
]
--- no_error_log
[error]



=== TEST 9: error_log above "error": no error line to read; a refused plain connection is still told by nginx's state, a failed TLS one is not (no class, no guess)
--- config
    error_log logs/error.log crit;

    location /refused/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_CLOSED_PORT;
    }

    location /tls-other-name/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate $TEST_NGINX_PKI/ca.pem;
        proxy_ssl_name ndes.example.com;
        proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_PORT;
    }
--- request eval
["GET /refused/mscep.dll?operation=GetCACert&message=ca",
 "GET /tls-other-name/mscep.dll?operation=GetCACert&message=ca"]
--- error_code eval
[502, 502]
--- response_headers eval
["X-Scep-Diagnosis: ndes_unreachable",
 "X-Scep-Diagnosis: ndes_unreachable"]
--- record eval
[
{ scep => { upstream => { status => 502, error => 'refused' },
            diagnosis => { code => 'ndes_unreachable' } } },
{ event => { outcome => 'failure' },
  scep => { upstream => ScepTest::exact({ addr => qr/^127\.0\.0\.1:\d+$/,
                                          status => 502,
                                          response_time => ScepTest::number }),
            diagnosis => { code => 'ndes_unreachable' } } },
]
--- no_error_log
upstream SSL certificate
