# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# Failures that come from a sequence, failures that are the operation's,
# and event.outcome as the SCEP outcome.
#
# A PKCSReq that timed out at the edge may have been issued: the device's
# retry of the same transaction (the same bytes, or a message made anew
# with the same transactionID) answered FAILURE is retry_after_timeout,
# not a bad challenge.  The messages are made by scep-gen --retries when
# the test runs.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use File::Temp ();
use IO::Socket::INET;
use ScepTest;

$ENV{SCEP_GEN} //= 'build/scep-gen';

our $Retries = File::Temp::tempdir(CLEANUP => 1);
system("$ENV{SCEP_GEN} --retries $Retries") == 0
    or die "scep-gen --retries failed (SCEP_GEN=$ENV{SCEP_GEN})";
$ENV{TEST_NGINX_DATA} = "$ScepTest::Top/t/data";

# an upstream that accepts connections and never answers
our $Silent = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                    Listen => 8) or die $!;
$ENV{TEST_NGINX_SILENT_PORT} = $Silent->sockport;

# a message of scep-gen --retries, or a fixture, as a PKIOperation GET to
# the location that answers as NDES would
sub get {
    my ($name, $at) = @_;

    my $file = $name =~ /^(retry|fresh)-/ ? "$Retries/$name"
                                          : "$ENV{TEST_NGINX_DATA}/$name";
    open my $in, '<:raw', $file or die "$file: $!";
    local $/;
    return ScepTest::pkiop_get(scalar <$in>, undef, "/$at/mscep.dll");
}

# each location answers as NDES would: /slow/ never, /status/ with the
# status ?status= names (and its query's other parameters), the others
# with a CertRep or a GetCACert answer of t/data
default_config(<<'_EOC_');
    large_client_header_buffers 4 64k;

    location /slow/ {
        scep on;
        scep_flow devices;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_read_timeout 1s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SILENT_PORT;
    }

    location /status/ {
        scep on;
        scep_flow devices;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/$arg_status;
    }

    location /fail/ {
        scep on;
        scep_flow devices;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        rewrite ^ /data/certrep-failure-badrequest.der break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }

    location /pending/ {
        scep on;
        scep_flow devices;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        rewrite ^ /data/certrep-pending.der break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }

    location /success/ {
        scep on;
        scep_flow devices;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        rewrite ^ /data/certrep-success.der break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }

    location /monitor/ {
        scep on;
        scep_reject off;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        rewrite ^ /data/certrep-success.der break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }

    location /cacert/ {
        scep on;
        rewrite ^ /data/getcacert-ca-ra.der break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }

    location /data/ {
        alias $TEST_NGINX_DATA/;
        default_type application/x-pki-message;
    }

    location = /data/getcacert-ca-ra.der {
        alias $TEST_NGINX_DATA/getcacert-ca-ra.der;
        default_type application/x-x509-ca-ra-cert;
    }

    location = /ndes/    { return 403 "403.0 Access denied\n"; }
    location = /ndes/403 { return 403 "403.0 Access denied\n"; }
    location = /ndes/500 { return 500 "ndes says 500\n"; }
    location = /ndes/501 { return 501 "ndes says 501\n"; }
_EOC_

no_shuffle();
run_tests();
check_records();

__DATA__

=== TEST 1: a PKCSReq times out at the edge, the device sends the same bytes again, NDES answers FAILURE badRequest: retry_after_timeout
--- http_config
    scep_flow_zone devices:1m timeout=10m;
--- request eval
[main::get('retry-a-0.der', 'slow'), main::get('retry-a-0.der', 'fail')]
--- error_code eval
[504, 200]
--- record eval
[
{
    event => { outcome => 'failure' },
    scep  => {
        message   => { type => 'PKCSReq' },
        upstream  => { status => 504, error => 'read_timeout' },
        flow      => { step => 1, joined_by => 'new', replay => JSON::PP::false },
        diagnosis => { code => 'ndes_read_timeout' },
    },
},
{
    event => { outcome => 'failure' },
    scep  => {
        upstream  => ScepTest::exact({ addr => qr/^127\.0\.0\.1:\d+$/,
                                       status => 200,
                                       response_time => ScepTest::number }),
        response  => { pki_status => 'FAILURE', fail_info => 'badRequest' },
        flow      => { step => 2, joined_by => 'transaction',
                       replay => JSON::PP::true, outcome => 'failed' },
        diagnosis => { code => 'retry_after_timeout',
                       hint => qr/the first may have been issued .*transactionID up at the CA/ },
    },
},
]
--- timeout: 5



=== TEST 2: the retry is a message made anew (same transactionID, another senderNonce): the flow remembers the timeout
--- http_config
    scep_flow_zone devices:1m timeout=10m;
--- request eval
[main::get('retry-b-0.der', 'slow'), main::get('retry-b-1.der', 'fail')]
--- error_code eval
[504, 200]
--- record eval
[
{ scep => { upstream => { error => 'read_timeout' } } },
{
    event => { outcome => 'failure' },
    scep  => {
        flow      => { step => 2, joined_by => 'transaction',
                       replay => JSON::PP::false },
        diagnosis => { code => 'retry_after_timeout' },
    },
},
]
--- timeout: 5



=== TEST 3: after a 5xx of NDES, the same: retry_after_timeout; without any earlier failure, the challenge's hint
--- http_config
    scep_flow_zone devices:1m timeout=10m;
--- request eval
[main::get('retry-a-0.der', 'status') . '&status=500',
 main::get('retry-a-1.der', 'fail'),
 main::get('fresh-0.der', 'fail')]
--- error_code eval
[500, 200, 200]
--- record eval
[
{ event => { outcome => 'failure' },
  scep => { upstream => { status => 500, error => 'http' },
            diagnosis => { code => 'ndes_internal_error' } } },
{ scep => { flow => { step => 2, joined_by => 'transaction', replay => JSON::PP::false },
            diagnosis => { code => 'retry_after_timeout' } } },
{
    event => { outcome => 'failure' },
    scep  => {
        response  => { pki_status => 'FAILURE', fail_info => 'badRequest' },
        flow      => { step => 1, joined_by => 'new', replay => JSON::PP::false },
        diagnosis => { code => 'scep_failure_bad_request',
                       hint => qr/challenge password/ },
    },
},
]



=== TEST 4: the operation's failures: what NDES does not implement is not IIS's rights; a PKCSReq's 500 still is
--- http_config
    scep_flow_zone devices:1m timeout=10m;
--- request eval
[main::get('getcrl.der', 'fail'),
 main::get('getcrl.der', 'status') . '&status=500',
 main::get('getcert.der', 'status') . '&status=501',
 "GET /status/mscep.dll?operation=GetNextCACert&message=ca&status=500",
 main::get('fresh-1.der', 'status') . '&status=500']
--- error_code eval
[200, 500, 501, 500, 500]
--- record eval
[
{ event => { outcome => 'failure' },
  scep => { message => { type => 'GetCRL' },
            response => { pki_status => 'FAILURE', fail_info => 'badRequest' },
            diagnosis => { code => 'operation_not_supported',
                           hint => qr/^the server does not implement this operation/ } } },
{ scep => { message => { type => 'GetCRL' }, upstream => { status => 500 },
            diagnosis => { code => 'operation_not_supported' } } },
{ scep => { message => { type => 'GetCert' }, upstream => { status => 501 },
            diagnosis => { code => 'operation_not_supported' } } },
{ scep => { operation => 'GetNextCACert', upstream => { status => 500 },
            diagnosis => { code => 'operation_not_supported' } } },
{ scep => { message => { type => 'PKCSReq' }, upstream => { status => 500 },
            diagnosis => { code => 'ndes_internal_error',
                           hint => qr/^NDES answered 500: give IIS_IUSRS/ } } },
]



=== TEST 5: event.outcome is the SCEP outcome: PENDING unknown, SUCCESS success, GetCACert and GetCACaps success, NDES's healthy 403 success, another 403 failure
--- http_config
    scep_flow_zone devices:1m timeout=10m;
--- request eval
[main::get('fresh-2.der', 'pending'),
 main::get('fresh-3.der', 'success'),
 "GET /cacert/mscep.dll?operation=GetCACert&message=ca",
 "GET /status/mscep.dll?operation=GetCACaps&message=ca",
 "GET /status/mscep.dll",
 "GET /status/mscep.dll?operation=GetCACaps&message=ca&status=403"]
--- error_code eval
[200, 200, 200, 403, 403, 403]
--- record eval
[
{ event => { outcome => 'unknown' },
  scep => { response => { pki_status => 'PENDING' },
            diagnosis => { code => 'scep_pending' } } },
{ event => { outcome => 'success' },
  # scep-gen signs on a fixed day, long past: the one diagnosis of a SUCCESS
  scep => { response => { pki_status => 'SUCCESS' },
            diagnosis => { code => 'device_clock_behind' } } },
{ event => { outcome => 'success' },
  scep => { operation => 'GetCACert', upstream => { status => 200 } } },
{ event => { outcome => 'failure' },
  scep => { operation => 'GetCACaps',
            upstream => { status => 403, error => 'http' },
            diagnosis => ScepTest::absent } },
{ event => { outcome => 'success' },
  scep => { operation => 'none',
            upstream => ScepTest::exact({ addr => qr/^127\.0\.0\.1:\d+$/,
                                          status => 403,
                                          response_time => ScepTest::number }),
            diagnosis => { code => 'ndes_reachable' } } },
{ event => { outcome => 'failure' },
  scep => { upstream => { status => 403, error => 'http' } } },
]



=== TEST 6: a reject is a failure; in monitor mode the message went to NDES, and NDES's answer is the outcome
--- http_config
    scep_flow_zone devices:1m timeout=10m;
--- request eval
[main::get('bad-not-cms.der', 'fail'), main::get('bad-not-cms.der', 'monitor')]
--- error_code eval
[400, 200]
--- record eval
[
{ event => { outcome => 'failure' },
  scep => { reject => { reason => 'not_cms' }, upstream => ScepTest::absent } },
{ event => { outcome => 'success' },
  scep => { reject => { reason => 'not_cms' },
            response => { pki_status => 'SUCCESS' } } },
]
