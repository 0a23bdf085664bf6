# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# A CertRep FAILURE of each failInfo RFC 8894 defines, and one without,
# answering a PKCSReq signed a minute ago:
# the record's fail_info, the diagnosis of each (the one table's), the SCEP
# outcome, and scep_pki_status_total.  The CertReps are made when the test
# runs (scep-gen --fail-info), served by a stand-in NDES.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use ScepTest;

$ENV{SCEP_GEN} //= 'build/scep-gen';

# failInfo as carried, its name, the diagnosis
our @Fail = (
    ['0', 'badAlg', 'scep_failure_bad_alg'],
    ['1', 'badMessageCheck', 'scep_failure_bad_message_check'],
    ['2', 'badRequest', 'scep_failure_bad_request'],
    ['3', 'badTime', 'scep_failure_bad_time'],
    ['4', 'badCertId', 'scep_failure_bad_cert_id'],
    ['none', undef, 'scep_failure'],
);

our $Gen = File::Temp::tempdir(CLEANUP => 1);
for my $f (@Fail) {
    system($ENV{SCEP_GEN}, '--fail-info', $f->[0], "$Gen/$f->[0].der") == 0
        or die "scep-gen --fail-info $f->[0] failed (SCEP_GEN=$ENV{SCEP_GEN})";
}
system("$ENV{SCEP_GEN} --skewed $Gen > /dev/null") == 0
    or die "scep-gen --skewed failed (SCEP_GEN=$ENV{SCEP_GEN})";
$ENV{TEST_NGINX_GEN} = $Gen;

# a PKCSReq signed a minute ago: the fixtures' signingTime is a day long
# past, and a badTime then is the device's clock (t/093-clock-skew.t)
our $Req = do {
    open my $in, '<:raw', "$Gen/skew-1min.der" or die $!;
    local $/;
    <$in>;
};

default_config(<<'_EOC_');
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/gen/$arg_fail;
    }

    location /gen/ {
        default_type application/x-pki-message;
        alias $TEST_NGINX_GEN/;
    }

    location = /metrics {
        scep_metrics;
    }
_EOC_

no_shuffle();
run_tests();
check_records();

__DATA__

=== TEST 1: each failInfo, and none: its name in the record, its diagnosis, a failure
--- request eval
[map { ScepTest::pkiop_get($main::Req) . "&fail=$_->[0].der" } @main::Fail]
--- error_code eval
[map { 200 } @main::Fail]
--- record eval
[map { { event => { outcome => 'failure' },
         scep => { response => ScepTest::exact({
                       message_type => 'CertRep', pki_status => 'FAILURE',
                       defined $_->[1] ? (fail_info => $_->[1]) : (),
                       transaction_id => qr/^[0-9A-F]{40}$/,
                       transaction_id_matches => JSON::PP::true,
                       recipient_nonce_matches => JSON::PP::false }),
                   diagnosis => { code => $_->[2],
                                  hint => qr/^CertRep FAILURE/ } } } } @main::Fail]



=== TEST 2: scep_pki_status_total counts each failInfo once
--- init
my @problems;
for my $f (@main::Fail) {
    my $r = ScepTest::fetch(ScepTest::pkiop_get($main::Req) . "&fail=$f->[0].der");
    push @problems, "$f->[0]: " . substr($r, 0, 60) unless $r =~ m{^HTTP/1\.1 200 };
}

my ($bad, $samples) = ScepTest::metrics();
push @problems, @$bad;

for my $f (@main::Fail) {
    my $k = 'scep_pki_status_total{status="FAILURE",fail_info="'
            . ($f->[1] // '') . '"}';
    push @problems, "$k: " . ($samples->{$k} // 'none') . ", not 1"
        unless ($samples->{$k} // 0) == 1;
    $k = "scep_diagnoses_total{code=\"$f->[2]\"}";
    push @problems, "$k: " . ($samples->{$k} // 'none') . ", not 1"
        unless ($samples->{$k} // 0) == 1;
}

ScepTest::report(@problems);
--- request
GET /check
--- response_body
ok
