# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# Partial answers, cached answers, and what nginx core answers itself.
#
# A part of an answer (a 206 slice, a 416 in its place, a Content-Range)
# is never decoded as the whole, and never changes the RA state all
# workers share; an answer from proxy_cache is decoded as a fresh one and
# the record says where it came from; a request nginx core refuses (a
# :path over large_client_header_buffers over HTTP/2, a body over
# client_max_body_size) has its reason, stage nginx.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use File::Temp ();
use ScepTest;

$ENV{TEST_NGINX_DATA} = "$ScepTest::Top/t/data";

# what reached the stand-in for NDES, a file per test, read after the tests
our $Ndes = File::Temp::tempdir(CLEANUP => 1);
$ENV{TEST_NGINX_NDES_LOGS} = $Ndes;

our $Req = message('pkcsreq-sha256.der');

$ENV{TEST_NGINX_H2_PORT} = ScepTest::free_port();
$ENV{TEST_NGINX_H2_LISTEN} = http2_listen("127.0.0.1:$ENV{TEST_NGINX_H2_PORT}");
$ENV{TEST_NGINX_RECORDS} = $ScepTest::Records;

# An HTTP/2 request (h2c, prior knowledge) with curl, from an --- init:
# what curl said ("exit status" and "http_code"), and the record it left,
# checked against $expect as --- record checks one.
sub h2_record {
    my ($path, $expect, @curl) = @_;

    my $url = "http://127.0.0.1:$ENV{TEST_NGINX_H2_PORT}$path";
    my $before = @{ ScepTest::record_lines() };

    my $out = `curl -s -o /dev/null --http2-prior-knowledge -w '%{http_code}' @curl '$url'`;
    my $exit = $? >> 8;

    my $lines = ScepTest::record_lines();
    for (1 .. 100) {
        last if @$lines > $before;
        select undef, undef, undef, 0.05;
        $lines = ScepTest::record_lines();
    }

    return ($exit, $out, "no record") unless @$lines > $before;

    my $rec = JSON::PP->new->utf8->decode($lines->[$before]);

    return ($exit, $out, ScepTest::record_diff($expect, $rec, '', 0));
}

our $GetCACert = 'GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca';

# the certificates of getcacert-ra-expired.der, as the record lists them
our $Certs = [{ role => 'ca', expired => JSON::PP::false },
              { role => 'ra', expired => JSON::PP::true },
              { role => 'ra', expired => JSON::PP::true }];

no_shuffle();
run_tests();
check_records();

# the requests each stand-in saw
sub ndes_hits {
    open my $in, '<', "$Ndes/$_[0]" or return 0;
    my $n = grep { m{"GET /data/\S*operation=GetCACert} } <$in>;
    close $in;
    return $n;
}

is(ndes_hits('cache.log'), 1,
   "$0 - TEST 5: two GetCACert through proxy_cache, one GetCACert reached NDES");
is(ndes_hits('cache-range.log'), 1,
   "$0 - TEST 6: a GetCACert, a Range of it and another, one GetCACert reached NDES");

__DATA__

=== TEST 1: the attack: a 206 slice of a GetCACert with an expired RA certificate, the CA certificate alone, is not decoded and leaves the RA state alone; the next 500 is still the RA certificate
--- config
    location /certsrv/mscep/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_force_ranges on;
        proxy_set_header Range "";
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
[$main::GetCACert, $main::GetCACert, $main::GetCACert,
 ScepTest::pkiop_get($main::Req)]
--- more_headers eval
["", "Range: bytes=45-889", "Range: bytes=0-99", ""]
--- error_code eval
[200, 206, 206, 500]
--- response_headers eval
["X-Scep-Diagnosis: ", "X-Scep-Diagnosis: ", "X-Scep-Diagnosis: ",
 "X-Scep-Diagnosis: ndes_ra_cert_expired"]
--- record eval
[
{ scep => { response => { certificates => $main::Certs } } },
{ http => { response => { status_code => 206 } },
  scep => { response => ScepTest::exact({
      undecoded => 'partial',
      detail => 'the client asked for a range: nginx sent 845 of the 2735 bytes (206)' }) } },
{ scep => { response => ScepTest::exact({
      undecoded => 'partial',
      detail => 'the client asked for a range: nginx sent 100 of the 2735 bytes (206)' }) } },
{ scep => { diagnosis => { code => 'ndes_ra_cert_expired' } } },
]



=== TEST 2: a Range of a GetCACaps through proxy_force_ranges: partial, no capabilities read from the slice
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_force_ranges on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/caps/;
    }

    location /caps/ {
        return 200 "POSTPKIOperation\nSHA-256\nRenewal\n";
    }
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca
--- more_headers
Range: bytes=4-
--- error_code: 206
--- response_body
PKIOperation
SHA-256
Renewal
--- record eval
{
    http => { response => { status_code => 206 } },
    scep => {
        operation => 'GetCACaps',
        response => ScepTest::exact({
            undecoded => 'partial',
            detail => 'the client asked for a range: nginx sent 29 of the 33 bytes (206)',
        }),
    },
}



=== TEST 3: the upstream's own 206 (the Range passed on) is recorded as partial
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'getcacert-ra-expired.der', type => 'application/x-x509-ca-ra-cert' }
--- request eval
$main::GetCACert
--- more_headers
Range: bytes=100-199
--- error_code: 206
--- record eval
{
    scep => {
        upstream => { status => 206 },
        response => ScepTest::exact({
            undecoded => 'partial',
            detail => 'the upstream sent a part of the answer (206)',
        }),
    },
}



=== TEST 4: a Range past the end: nginx answers 416 in place of the answer, which is not decoded nor said to be incomplete
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_force_ranges on;
        proxy_set_header Range "";
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'getcacert-ra-expired.der', type => 'application/x-x509-ca-ra-cert' }
--- request eval
$main::GetCACert
--- more_headers
Range: bytes=5000-
--- error_code: 416
--- record eval
{
    http => { response => { status_code => 416 } },
    scep => {
        upstream => { status => 200 },
        response => ScepTest::exact({
            undecoded => 'partial',
            detail => 'nginx answered 416 in place of the answer',
        }),
    },
}



=== TEST 5: proxy_cache: the second GetCACert is a HIT, decoded as the first; NDES saw one (checked after the tests)
--- http_config
    proxy_cache_path $TEST_NGINX_NDES_LOGS/cache-5 keys_zone=scep:1m;
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_cache scep;
        proxy_cache_valid 200 1m;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'getcacert-ra-expired.der', type => 'application/x-x509-ca-ra-cert',
  first => 'access_log $TEST_NGINX_NDES_LOGS/cache.log;' }
--- request eval
[$main::GetCACert, $main::GetCACert]
--- error_code eval
[200, 200]
--- record eval
[
{ scep => { upstream => { cache_status => 'MISS', status => 200,
                          addr => qr/^127\.0\.0\.1:\d+$/ },
            response => { certificates => $main::Certs, undecoded => ScepTest::absent } } },
{ scep => { upstream => ScepTest::exact({ cache_status => 'HIT' }),
            response => { certificates => $main::Certs, undecoded => ScepTest::absent } } },
]



=== TEST 6: a cached answer's Range (206 from the cache) is partial, and what the cache holds is decoded whole again after it
--- http_config
    proxy_cache_path $TEST_NGINX_NDES_LOGS/cache-6 keys_zone=scep:1m;
--- config
    location /certsrv/mscep/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_cache scep;
        proxy_cache_valid 200 1m;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'getcacert-ra-expired.der', type => 'application/x-x509-ca-ra-cert',
  first => <<'_EOC_' }
access_log $TEST_NGINX_NDES_LOGS/cache-range.log;
if ($arg_operation = PKIOperation) {
    return 500 "MSCEP error\n";
}
_EOC_
--- request eval
[$main::GetCACert, $main::GetCACert, ScepTest::pkiop_get($main::Req),
 $main::GetCACert]
--- more_headers eval
["", "Range: bytes=0-99", "", ""]
--- error_code eval
[200, 206, 500, 200]
--- response_headers eval
["X-Scep-Diagnosis: ", "X-Scep-Diagnosis: ",
 "X-Scep-Diagnosis: ndes_ra_cert_expired", "X-Scep-Diagnosis: "]
--- record eval
[
{ scep => { upstream => { cache_status => 'MISS' },
            response => { certificates => $main::Certs } } },
{ http => { response => { status_code => 206 } },
  scep => { upstream => ScepTest::exact({ cache_status => 'HIT' }),
            response => ScepTest::exact({
                undecoded => 'partial',
                detail => 'the client asked for a range: nginx sent 100 of the 2735 bytes (206)' }) } },
{ scep => { diagnosis => { code => 'ndes_ra_cert_expired' } } },
{ scep => { upstream => ScepTest::exact({ cache_status => 'HIT' }),
            response => { certificates => $main::Certs, undecoded => ScepTest::absent } } },
]



=== TEST 7: a body over client_max_body_size: nginx core's 413 is message_too_large, stage nginx, and never reaches NDES
--- config
    location /certsrv/mscep/ {
        client_max_body_size 1k;
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }
--- ndes: forwarded\n
--- raw_request eval
ScepTest::pkiop_post($main::Req)
--- error_code: 413
--- record eval
{
    http => { request => { method => 'POST' }, response => { status_code => 413 } },
    scep => ScepTest::exact({
        operation => 'PKIOperation', client => 'certmonger',
        reject => {
            reason => 'message_too_large',
            detail => 'request body larger than client_max_body_size 1024',
            stage => 'nginx',
            enforced => JSON::PP::true,
        },
    }),
}
--- no_access_log
POST /ndes/
--- error_log
client intended to send too large body



=== TEST 8: the same body chunked: nginx's 413 while the module reads it is message_too_large, stage nginx
--- config
    location /certsrv/mscep/ {
        client_max_body_size 1k;
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }
--- ndes: forwarded\n
--- raw_request eval
ScepTest::pkiop_post($main::Req, chunked => 1)
--- error_code: 413
--- record eval
{
    http => { request => { method => 'POST' }, response => { status_code => 413 } },
    scep => ScepTest::exact({
        operation => 'PKIOperation', client => 'certmonger',
        reject => {
            reason => 'message_too_large',
            detail => 'request body larger than client_max_body_size 1024',
            stage => 'nginx',
            enforced => JSON::PP::true,
        },
    }),
}
--- no_access_log
POST /ndes/
--- error_log
client intended to send too large chunked body



=== TEST 9: HTTP/2: a :path over large_client_header_buffers ends the connection (GOAWAY); the record says uri_too_long, stage nginx
--- http_config
    server {
        $TEST_NGINX_H2_LISTEN
        large_client_header_buffers 4 1k;
        access_log logs/access.log scep_json if=$scep_log_json;
        access_log $TEST_NGINX_RECORDS scep_json if=$scep_log_json;

        location /certsrv/mscep/ {
            scep on;
            proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
        }
    }
--- config
    location = /check {
        alias html/check;
    }

    location = /metrics {
        scep_metrics;
    }
--- init
my @problems;
my ($exit, $code, @diff) = main::h2_record(
    "/certsrv/mscep/mscep.dll?operation=PKIOperation&message=" . ("A" x 2000),
    {
        http => ScepTest::exact({
            request => { method => 'GET', bytes => ScepTest::integer },
            response => { bytes => ScepTest::integer },
        }),
        url => ScepTest::exact({}),
        scep => ScepTest::exact({
            operation => 'unknown', client => 'other',
            reject => {
                reason => 'uri_too_long',
                detail => 'HTTP/2 :path longer than '
                          . 'large_client_header_buffers size 1024: nginx '
                          . 'ended the connection (GOAWAY)',
                stage => 'nginx',
                enforced => JSON::PP::true,
            },
            diagnosis => ScepTest::subset({ code => 'proxy_uri_too_long' }),
        }),
        event => { outcome => 'failure' },
    });
# curl: no status, and an error (16, 18 or 92: the connection went away)
push @problems, "curl exited $exit, http_code $code" unless $exit != 0 && $code eq '000';
push @problems, @diff;
my ($bad, $m) = ScepTest::metrics();
push @problems, @$bad;
push @problems, "scep_rejects_total{reason=\"uri_too_long\"}: "
                . ($m->{'scep_rejects_total{reason="uri_too_long"}'} // 'none')
    unless ($m->{'scep_rejects_total{reason="uri_too_long"}'} // 0) == 1;
ScepTest::report(@problems);
--- request
GET /check
--- response_body
ok
--- error_log
client sent too large header field



=== TEST 10: HTTP/2: a URI under the limit passes; a header field over the limit that is not :path ends the connection too, and is not said to be uri_too_long
--- http_config
    server {
        $TEST_NGINX_H2_LISTEN
        large_client_header_buffers 4 1k;
        access_log logs/access.log scep_json if=$scep_log_json;
        access_log $TEST_NGINX_RECORDS scep_json if=$scep_log_json;

        location /certsrv/mscep/ {
            scep on;
            return 200 "ok\n";
        }
    }
--- config
    location = /check {
        alias html/check;
    }
--- init
my @problems;
my ($exit, $code, @diff) = main::h2_record(
    "/certsrv/mscep/mscep.dll?operation=GetCACaps&message=" . ("A" x 500),
    { http => { response => { status_code => 200 } },
      scep => { operation => 'GetCACaps', client => 'other', reject => ScepTest::absent } });
push @problems, "curl exited $exit, http_code $code" unless $exit == 0 && $code eq '200';
push @problems, @diff;
# the connection ends the same, but the field was not :path; from 1.31.3
# (pseudo-headers after a regular one refused) nginx makes the request line
# at the first regular header, and the record then has the URI; before,
# nothing of it: operation none, no url.path
my $line = ScepTest::nginx_version() >= 1031003;
($exit, $code, @diff) = main::h2_record(
    "/certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca",
    { url => $line ? { path => '/certsrv/mscep/mscep.dll' }
                   : { path => ScepTest::absent },
      scep => ScepTest::exact({
          $line ? (operation => 'GetCACaps', client => 'other', ca_ident => 'ca')
                : (operation => 'none', client => 'other') }) },
    '-H', 'X-Long:' . ("A" x 2000));
push @problems, "X-Long: curl exited $exit, http_code $code" unless $exit != 0 && $code eq '000';
push @problems, map { "X-Long: $_" } @diff;
ScepTest::report(@problems);
--- request
GET /check
--- response_body
ok



=== TEST 11: the start-up warning says what HTTP/2 does with a longer :path
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
--- error_log eval
qr/\[warn\] .*scep_max_uri_length 65534 exceeds large_client_header_buffers size 8192 in server "localhost": nginx answers 414 to longer request lines before the scep module sees them \(over HTTP\/2 it ends the whole connection with GOAWAY, every stream of the device with it\), and iOS sends PKIOperation GET requests of about 10 KB/



=== TEST 12: a STALE answer (NDES failed, proxy_cache served the old one) is decoded, but does not tell NDES's RA state: the expired RA certificate it holds is not NDES's now
--- http_config
    proxy_cache_path $TEST_NGINX_NDES_LOGS/cache-12 keys_zone=scep:1m;
--- config
    location /certsrv/mscep/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_cache scep;
        proxy_cache_valid 200 1s;
        proxy_cache_use_stale error timeout http_500;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }

    # the same NDES (the same address), another CA whose RA certificates
    # are valid
    location /healthy/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data-healthy/;
    }

    location /data/ {
        default_type application/x-x509-ca-ra-cert;

        if (-f $TEST_NGINX_NDES_LOGS/ndes-down) {
            return 500 "MSCEP error\n";
        }

        if ($arg_operation = PKIOperation) {
            return 500 "MSCEP error\n";
        }

        root $TEST_NGINX_DATA;
        rewrite ^ /getcacert-ra-expired.der break;
    }

    location /data-healthy/ {
        default_type application/x-x509-ca-ra-cert;
        root $TEST_NGINX_DATA;
        rewrite ^ /getcacert-ca-ra.der break;
    }
--- init
# the expired RA certificate cached, then NDES's valid ones learnt; once
# the cached answer is stale, NDES fails
my @problems;
my $r = ScepTest::fetch($main::GetCACert);
push @problems, "GetCACert: " . substr($r, 0, 40) unless $r =~ m{^HTTP/1\.1 200 };
$r = ScepTest::fetch('GET /healthy/mscep.dll?operation=GetCACert&message=ca');
push @problems, "healthy GetCACert: " . substr($r, 0, 40) unless $r =~ m{^HTTP/1\.1 200 };
die join("\n", @problems) if @problems;
sleep 2;
open my $down, '>', "$main::Ndes/ndes-down" or die $!;
close $down;
--- request eval
[$main::GetCACert, ScepTest::pkiop_get($main::Req)]
--- error_code eval
[200, 500]
--- response_headers eval
["X-Scep-Diagnosis: ndes_internal_error", "X-Scep-Diagnosis: ndes_internal_error"]
--- record eval
[
{ http => { response => { status_code => 200 } },
  scep => { upstream => { cache_status => 'STALE', status => 500 },
            response => { certificates => $main::Certs, undecoded => ScepTest::absent },
            diagnosis => { code => 'ndes_internal_error' } } },
{ scep => { diagnosis => { code => 'ndes_internal_error' } } },
]



=== TEST 13: a 200 with a Content-Range is not the whole answer either
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'getcacert-ra-expired.der', type => 'application/x-x509-ca-ra-cert',
  first => 'add_header Content-Range "bytes 0-2734/5000";' }
--- request eval
$main::GetCACert
--- error_code: 200
--- record eval
{
    scep => {
        upstream => { status => 200 },
        response => ScepTest::exact({
            undecoded => 'partial',
            detail => "the upstream's answer has a Content-Range",
        }),
    },
}
