# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# GetCACert answers whose RA certificates cannot work (scep-gen --ra-defects,
# made when the test runs): each warning in the record with the subject it
# concerns and its diagnosis, one line in the error log per change of the
# upstream's warnings whichever of the two workers sees the answers, and
# the next 500 or FAILURE badMessageCheck of that upstream diagnosed by it.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use File::Temp ();
use ScepTest;

$ENV{SCEP_GEN} //= 'build/scep-gen';

our $Defects = File::Temp::tempdir(CLEANUP => 1);
system("$ENV{SCEP_GEN} --ra-defects $Defects") == 0
    or die "scep-gen --ra-defects failed (SCEP_GEN=$ENV{SCEP_GEN})";
$ENV{TEST_NGINX_DEFECTS} = $Defects;
$ENV{TEST_NGINX_DATA} = "$ScepTest::Top/t/data";

# each block's location logs its warnings to a file of its own
our $Logs = File::Temp::tempdir(CLEANUP => 1);
$ENV{TEST_NGINX_WARN_LOGS} = $Logs;

our $Req = message('pkcsreq-sha256.der');
our $GetCACert = 'GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca';
our $Ra = 'CN=NDES-MSCEP-RA,O=ngx_scep fixtures,C=US';

# the stand-in NDES: the answer FILE to GetCACert, a 500 to PKIOperation,
# or with $certrep the CertRep FAILURE badMessageCheck
sub ndes_with {
    my ($file, $certrep) = @_;

    my $pkiop = $certrep
        ? 'rewrite ^ /ra-certrep-badmessagecheck.der break;'
        : 'return 500 "MSCEP error\n";';

    return { file => $file, type => 'application/x-x509-ca-ra-cert',
             root => '$TEST_NGINX_DEFECTS',
             first => "if (\$arg_operation = PKIOperation) {\n"
                      . "    $pkiop\n}" };
}

# four GetCACert on fresh connections, then a PKIOperation
our @Requests = (($GetCACert) x 4, ScepTest::pkiop_get($Req));

# the GetCACert records: these warnings, this diagnosis
sub answers {
    my ($warnings, $diagnosis) = @_;

    return map {
        { scep => { response => { warnings => $warnings },
                    diagnosis => { code => $diagnosis } } }
    } 1 .. 4;
}

master_on();
workers(2);
no_shuffle();
run_tests();
check_records();

# the codes of the warning lines a block's requests logged, in order: one
# line per change of the upstream's warnings, whichever worker saw it
sub warned {
    my ($n) = @_;

    open my $in, '<', "$Logs/$n.log" or return ['(no log)'];
    my @codes = map { /scep: .*\((\w+)\), upstream 127\.0\.0\.1:\d+ /
                      ? $1 : () } <$in>;
    close $in;

    return \@codes;
}

my %Warned = (
    1 => ['ra_cert_no_key_encipherment'],
    2 => ['ra_cert_no_digital_signature'],
    3 => ['ra_cert_not_issued_by_ca'],
    4 => ['no_ca_cert'],
    5 => ['ra_cert_expiring'],
    6 => ['ra_cert_expired'],
    7 => [],
    8 => ['ra_cert_no_key_encipherment', 'ra_cert_not_issued_by_ca',
          'ra_cert_no_key_encipherment'],
    9 => [],
    10 => ['ra_cert_no_key_encipherment', 'ra_cert_no_digital_signature'],
    11 => ['ra_cert_no_key_encipherment', 'ra_cert_no_digital_signature'],
    12 => [],
);

for my $n (sort { $a <=> $b } keys %Warned) {
    is_deeply(warned($n), $Warned{$n},
              "$0 - TEST $n: the error log's warnings, once per change");
}

# the lines as an operator reads them
sub lines {
    open my $in, '<', "$Logs/$_[0].log" or return '';
    local $/;
    return <$in>;
}

like(lines(1), qr/\[warn\] .*scep: ra certificate "CN=NDES-MSCEP-RA,O=ngx_scep fixtures,C=US" has no keyEncipherment, which encrypting to it needs \(ra_cert_no_key_encipherment\), upstream 127\.0\.0\.1:\d+ /,
     "$0 - TEST 1: the line names the certificate, the code and the upstream");
like(lines(4), qr/scep: the CA\/RA answer holds no CA certificate \(no_ca_cert\), upstream /,
     "$0 - TEST 4: the line of an answer without a CA");
like(lines(5), qr/scep: ra certificate "[^"]+" expires on \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(ra_cert_expiring\)/,
     "$0 - TEST 5: the expiry line, its first words as before");
like(lines(6), qr/scep: ra certificate "[^"]+" expired on 2024-06-30T23:59:59Z \(ra_cert_expired\)/,
     "$0 - TEST 6: the expired line");

__DATA__

=== TEST 1: the RA certificate for encryption (CEPEncryption) without keyEncipherment; the 500 that follows is it
--- config
    location /certsrv/mscep/ {
        scep on;
        error_log $TEST_NGINX_WARN_LOGS/1.log warn;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
main::ndes_with('ra-no-key-encipherment.der')
--- request eval
[@main::Requests]
--- error_code eval
[(200) x 4, 500]
--- record eval
[main::answers([ScepTest::exact({ code => 'ra_cert_no_key_encipherment',
                                  subject => $main::Ra })],
               'ra_cert_no_key_encipherment'),
 { scep => { diagnosis => { code => 'ra_cert_no_key_encipherment' } } }]



=== TEST 2: the RA certificate for signing (EnrollmentAgentOffline) without digitalSignature; a FAILURE badMessageCheck that follows is it
--- config
    location /certsrv/mscep/ {
        scep on;
        error_log $TEST_NGINX_WARN_LOGS/2.log warn;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
main::ndes_with('ra-no-digital-signature.der', 1)
--- request eval
[@main::Requests]
--- error_code eval
[(200) x 5]
--- record eval
[main::answers([ScepTest::exact({ code => 'ra_cert_no_digital_signature',
                                  subject => $main::Ra })],
               'ra_cert_no_digital_signature'),
 { scep => { response => { pki_status => 'FAILURE',
                           fail_info => 'badMessageCheck' },
             diagnosis => { code => 'ra_cert_no_digital_signature' } } }]



=== TEST 3: after a CA renewal: the RA certificates still chain to the old CA, of the same name and another key
--- config
    location /certsrv/mscep/ {
        scep on;
        error_log $TEST_NGINX_WARN_LOGS/3.log warn;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
main::ndes_with('ra-old-ca.der')
--- request eval
[@main::Requests]
--- error_code eval
[(200) x 4, 500]
--- record eval
[main::answers([ScepTest::exact({ code => 'ra_cert_not_issued_by_ca',
                                  subject => $main::Ra })],
               'ra_cert_not_issued_by_ca'),
 { scep => { diagnosis => { code => 'ra_cert_not_issued_by_ca' } } }]



=== TEST 4: a CA/RA answer without a CA certificate; its badMessageCheck
--- config
    location /certsrv/mscep/ {
        scep on;
        error_log $TEST_NGINX_WARN_LOGS/4.log warn;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
main::ndes_with('ra-no-ca.der', 1)
--- request eval
[@main::Requests]
--- error_code eval
[(200) x 5]
--- record eval
[main::answers([ScepTest::exact({ code => 'no_ca_cert' })], 'no_ca_cert'),
 { scep => { diagnosis => { code => 'no_ca_cert' } } }]



=== TEST 5: RA certificates that expire in 10 days: a warning, which explains no 500
--- config
    location /certsrv/mscep/ {
        scep on;
        error_log $TEST_NGINX_WARN_LOGS/5.log warn;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
main::ndes_with('ra-expiring.der')
--- request eval
[@main::Requests]
--- error_code eval
[(200) x 4, 500]
--- record eval
[main::answers([ScepTest::exact({ code => 'ra_cert_expiring',
                                  subject => $main::Ra })],
               'ra_cert_expiring'),
 { scep => { diagnosis => { code => 'ndes_internal_error' } } }]



=== TEST 6: expired RA certificates: the warning, and the 500 is ndes_ra_cert_expired as before
--- config
    location /certsrv/mscep/ {
        scep on;
        error_log $TEST_NGINX_WARN_LOGS/6.log warn;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'getcacert-ra-expired.der', type => 'application/x-x509-ca-ra-cert',
  first => "if (\$arg_operation = PKIOperation) {\n    return 500;\n}" }
--- request eval
[@main::Requests]
--- error_code eval
[(200) x 4, 500]
--- record eval
[main::answers([ScepTest::exact({ code => 'ra_cert_expired',
                                  subject => $main::Ra })],
               'ndes_ra_cert_expired'),
 { scep => { diagnosis => { code => 'ndes_ra_cert_expired' } } }]



=== TEST 7: the healthy NDES answer (CEPEncryption with keyEncipherment, EnrollmentAgentOffline with digitalSignature): no warning, and a 500 is NDES's
--- config
    location /certsrv/mscep/ {
        scep on;
        error_log $TEST_NGINX_WARN_LOGS/7.log warn;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
main::ndes_with('ra-healthy.der')
--- request eval
[@main::Requests]
--- error_code eval
[(200) x 4, 500]
--- record eval
[(map { { scep => { response => { warnings => ScepTest::absent,
                                  certificates => [{ role => 'ca' },
                                                   { role => 'ra' },
                                                   { role => 'ra' }] },
                    diagnosis => ScepTest::absent } } } 1 .. 4),
 { scep => { diagnosis => { code => 'ndes_internal_error' } } }]



=== TEST 8: one line per change of the upstream's warnings, not per answer: A, A, B, B, A
--- config
    location /certsrv/mscep/ {
        scep on;
        error_log $TEST_NGINX_WARN_LOGS/8.log warn;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'ra-no-key-encipherment.der', type => 'application/x-x509-ca-ra-cert',
  root => '$TEST_NGINX_DEFECTS',
  first => "if (\$arg_message = b) {\n    rewrite ^ /ra-old-ca.der break;\n}" }
--- request eval
[map { "GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=$_" }
     qw(a a b b a)]
--- record eval
[map { { scep => { diagnosis => { code => $_ } } } }
     ('ra_cert_no_key_encipherment') x 2, ('ra_cert_not_issued_by_ca') x 2,
     'ra_cert_no_key_encipherment']



=== TEST 9: hostile: ten certificates, the CA the tenth: of the eight read none is a CA, but the answer holds one, so no no_ca_cert
--- config
    location /certsrv/mscep/ {
        scep on;
        error_log $TEST_NGINX_WARN_LOGS/9.log warn;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
main::ndes_with('ra-many.der')
--- request eval
$main::GetCACert
--- record eval
{ scep => { response => { certificates_total => 10, warnings => ScepTest::absent },
            truncated => ['scep.response.certificates'],
            diagnosis => ScepTest::absent } }



=== TEST 10: hostile: a sole RA certificate whose keyUsage is a NULL: it allows neither use
--- config
    location /certsrv/mscep/ {
        scep on;
        error_log $TEST_NGINX_WARN_LOGS/10.log warn;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
main::ndes_with('ra-ku-malformed.der')
--- request eval
$main::GetCACert
--- record eval
{ scep => { response => { warnings => [
      ScepTest::exact({ code => 'ra_cert_no_key_encipherment',
                        subject => 'CN=Fixture NDES RA,O=ngx_scep fixtures,C=US' }),
      ScepTest::exact({ code => 'ra_cert_no_digital_signature',
                        subject => 'CN=Fixture NDES RA,O=ngx_scep fixtures,C=US' }),
  ] },
  diagnosis => { code => 'ra_cert_no_key_encipherment' } } }



=== TEST 11: hostile: a sole RA certificate with keyUsage twice, each allowing both: OpenSSL holds it invalid, so neither
--- config
    location /certsrv/mscep/ {
        scep on;
        error_log $TEST_NGINX_WARN_LOGS/11.log warn;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
main::ndes_with('ra-ku-twice.der')
--- request eval
$main::GetCACert
--- record eval
{ scep => { response => { warnings => [
      { code => 'ra_cert_no_key_encipherment' },
      { code => 'ra_cert_no_digital_signature' },
  ] } } }



=== TEST 12: GetNextCACert: the next CA's RA certificates are recorded with their warnings, but do not explain the upstream's failures today
--- config
    location /certsrv/mscep/ {
        scep on;
        error_log $TEST_NGINX_WARN_LOGS/12.log warn;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'ra-healthy.der', type => 'application/x-x509-ca-ra-cert',
  root => '$TEST_NGINX_DEFECTS',
  first => "if (\$arg_operation = GetNextCACert) {\n"
           . "    rewrite ^ /ra-no-key-encipherment.der break;\n}\n"
           . "if (\$arg_operation = PKIOperation) {\n"
           . "    return 500;\n}" }
--- request eval
[$main::GetCACert,
 'GET /certsrv/mscep/mscep.dll?operation=GetNextCACert&message=ca',
 ScepTest::pkiop_get($main::Req)]
--- error_code eval
[200, 200, 500]
--- record eval
[{ scep => { response => { warnings => ScepTest::absent } } },
 { scep => { response => { warnings => [{ code => 'ra_cert_no_key_encipherment' }] },
             diagnosis => { code => 'ra_cert_no_key_encipherment' } } },
 { scep => { diagnosis => { code => 'ndes_internal_error' } } }]
