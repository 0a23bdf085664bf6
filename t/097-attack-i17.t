# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# Review of issue 17's upstream failure class and retry_after_timeout, as
# an attacker would try them: what may mark a transaction's flow as
# "failed upstream", and which upstream try the record describes.

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

# a port that refuses connections
my $closed = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                   Listen => 1) or die $!;
$ENV{TEST_NGINX_CLOSED_PORT} = $closed->sockport;
close $closed;

sub get {
    my ($name, $at) = @_;

    open my $in, '<:raw', "$Retries/$name" or die "$Retries/$name: $!";
    local $/;
    return ScepTest::pkiop_get(scalar <$in>, undef, "/$at/mscep.dll");
}

default_config(<<'_EOC_');
    large_client_header_buffers 4 64k;

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

    location /data/ {
        alias $TEST_NGINX_DATA/;
        default_type application/x-pki-message;
    }

    # an audit hook after the answer, to a backend that is down
    location /pa/ {
        scep on;
        scep_flow devices;
        rewrite ^ /data/certrep-pending.der break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
        post_action @audit;
    }

    location @audit {
        proxy_pass http://127.0.0.1:$TEST_NGINX_CLOSED_PORT;
    }

    location = /ndes/500 { return 500 "ndes says 500\n"; }
_EOC_

no_shuffle();
run_tests();
check_records();

__DATA__

=== TEST 1: a prelude request NDES answers 500 (GetNextCACert, which it lacks) does not make the transaction's later FAILURE a retry_after_timeout
--- http_config
    scep_flow_zone devices:1m timeout=10m prelude=1m;
--- request eval
["GET /status/mscep.dll?operation=GetNextCACert&message=ca&status=500",
 main::get('retry-a-0.der', 'pending'),
 main::get('retry-a-1.der', 'fail')]
--- error_code eval
[500, 200, 200]
--- record eval
[
{ scep => { operation => 'GetNextCACert', upstream => { status => 500 },
            flow => { step => 1, joined_by => 'new' },
            diagnosis => { code => 'operation_not_supported' } } },
{ scep => { message => { type => 'PKCSReq' },
            response => { pki_status => 'PENDING' },
            flow => { step => 2, joined_by => 'address' } } },
{
    event => { outcome => 'failure' },
    scep  => {
        response  => { pki_status => 'FAILURE', fail_info => 'badRequest' },
        flow      => { step => 3, joined_by => 'transaction',
                       replay => JSON::PP::false },
        diagnosis => { code => 'scep_failure_bad_request' },
    },
},
]



=== TEST 2: post_action to a dead backend after NDES answered PENDING: the record describes NDES's try, and the transaction's next FAILURE is no retry_after_timeout
--- http_config
    scep_flow_zone devices:1m timeout=10m prelude=1m;
--- request eval
[main::get('retry-a-0.der', 'pa'), main::get('retry-a-1.der', 'fail')]
--- error_code eval
[200, 200]
--- record eval
[
{ event => { outcome => 'unknown' },
  scep => { response => { pki_status => 'PENDING' },
            upstream => { status => 200, error => ScepTest::absent },
            diagnosis => { code => 'scep_pending' } } },
{ scep => { response => { pki_status => 'FAILURE' },
            flow => { step => 2, joined_by => 'transaction' },
            diagnosis => { code => 'scep_failure_bad_request' } } },
]
