# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# NDES's own error code: the HRESULT a FAILURE CertRep carries in its signed
# attribute 1.3.6.1.4.1.311.21.33, recorded as scep.response.ndes_error,
# diagnosed from the table ($scep_diagnosis in the log), counted by
# scep_ndes_errors_total; encodings
# that are no 32-bit INTEGER are left out, never guessed at.  The CertReps
# are scep-gen's (t/data/certrep-ndes-*.der), served by a stand-in NDES.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use ScepTest;

$ENV{TEST_NGINX_DATA} = "$ScepTest::Top/t/data";

our $Req = message('pkcsreq-sha256.der');

# every HRESULT of the module's table (scep-facts), a CertRep of each made
# now by scep-gen, served from a directory of their own
$ENV{SCEP_GEN} //= 'build/scep-gen';
our @Table = map { [/^\| `(0x[0-9a-f]{8})` \| `(\w+)` \| `(\w+)` \|$/] }
             grep { /^\| `0x/ } split /\n/, `build/scep-facts ndes-errors`;
die "no table from build/scep-facts ndes-errors" unless @Table > 10;
our $Gen = File::Temp::tempdir(CLEANUP => 1);
for my $e (@Table) {
    system($ENV{SCEP_GEN}, '--ndes-error', substr($e->[0], 2), "$Gen/$e->[0].der") == 0
        or die "scep-gen --ndes-error $e->[0] failed (SCEP_GEN=$ENV{SCEP_GEN})";
}
$ENV{TEST_NGINX_GEN} = $Gen;
our $GetCRL = message('getcrl.der');

# $scep_diagnosis as the log phase has it: the header is sent before the
# CertRep's body is read, so add_header cannot show what the body says
Test::Nginx::Socket::add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', "    log_format diag 'diag \$arg_fixture \$scep_diagnosis';\n"
                                     . ($block->http_config // ''));
});

# the stand-in answers with the fixture ?fixture= names
default_config(<<'_EOC_');
    large_client_header_buffers 4 64k;
    access_log logs/access.log diag;

    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/$arg_fixture;
    }

    location /data/ {
        default_type application/x-pki-message;
        alias $TEST_NGINX_DATA/;
    }

    location /data/gen/ {
        default_type application/x-pki-message;
        alias $TEST_NGINX_GEN/;
    }

    location = /metrics {
        scep_metrics;
    }
_EOC_

# a PKIOperation GET of $msg answered with the CertRep $fixture
sub ScepTest::answered {
    my ($msg, $fixture) = @_;
    return ScepTest::pkiop_get($msg) . "&fixture=$fixture";
}

no_shuffle();
run_tests();
check_records();

__DATA__

=== TEST 1: a PKCSReq refused with CRYPT_E_REVOCATION_OFFLINE: the NDES error, not the failInfo, is the diagnosis
--- request eval
ScepTest::answered($main::Req, 'certrep-ndes-revocation-offline.der')
--- access_log
diag certrep-ndes-revocation-offline.der ndes_error_revocation_offline
--- record eval
{
    scep => {
        response  => ScepTest::exact({
            message_type => 'CertRep', pki_status => 'FAILURE',
            fail_info => 'badRequest',
            ndes_error => ScepTest::exact({ code => '0x80092013',
                                            name => 'CRYPT_E_REVOCATION_OFFLINE' }),
            transaction_id => qr/^[0-9A-F]{40}$/,
            transaction_id_matches => JSON::PP::true,
            recipient_nonce_matches => JSON::PP::true,
        }),
        diagnosis => ScepTest::exact({
            code => 'ndes_error_revocation_offline',
            hint => qr/^the revocation server was offline: [^"]+CRL distribution points/,
        }),
    },
}



=== TEST 2: each HRESULT of the fixtures, by code and name, with its diagnosis
--- request eval
[ScepTest::answered($main::Req, 'certrep-ndes-unsupported-cert-type.der'),
 ScepTest::answered($main::Req, 'certrep-ndes-untrustedroot.der'),
 ScepTest::answered($main::Req, 'certrep-ndes-invalidarg.der'),
 ScepTest::answered($main::Req, 'certrep-ndes-positive.der')]
--- record eval
[
{ scep => { response => { ndes_error => ScepTest::exact({ code => '0x80094800', name => 'CERTSRV_E_UNSUPPORTED_CERT_TYPE' }) },
            diagnosis => { code => 'ndes_error_unsupported_cert_type',
                           hint => qr/Certificate Templates to Issue/ } } },
{ scep => { response => { ndes_error => ScepTest::exact({ code => '0x800b0109', name => 'CERT_E_UNTRUSTEDROOT' }) },
            diagnosis => { code => 'ndes_error_untrustedroot' } } },
{ scep => { response => { ndes_error => ScepTest::exact({ code => '0x80070057', name => 'E_INVALIDARG' }) },
            diagnosis => { code => 'ndes_error_invalidarg' } } },
{ scep => { response => { ndes_error => ScepTest::exact({ code => '0x80094800', name => 'CERTSRV_E_UNSUPPORTED_CERT_TYPE' }) },
            diagnosis => { code => 'ndes_error_unsupported_cert_type' } } },
]



=== TEST 3: an HRESULT the table does not know: shown by code, without a name, ndes_error_unknown
--- request eval
ScepTest::answered($main::Req, 'certrep-ndes-unknown.der')
--- access_log
diag certrep-ndes-unknown.der ndes_error_unknown
--- record eval
{
    scep => {
        response  => { ndes_error => ScepTest::exact({ code => '0x8badf00d' }) },
        diagnosis => { code => 'ndes_error_unknown',
                       hint => qr/^NDES's error code is not one the module knows: look it up/ },
    },
}



=== TEST 4: GetCRL answered FAILURE badRequest with E_INVALIDARG: the operation NDES lacks, before its error code
--- request eval
ScepTest::answered($main::GetCRL, 'certrep-ndes-invalidarg.der')
--- access_log
diag certrep-ndes-invalidarg.der operation_not_supported
--- record eval
{
    scep => {
        message   => { type => 'GetCRL' },
        response  => { fail_info => 'badRequest',
                       ndes_error => ScepTest::exact({ code => '0x80070057', name => 'E_INVALIDARG' }) },
        diagnosis => { code => 'operation_not_supported',
                       hint => qr/^the server does not implement this operation/ },
    },
}



=== TEST 5: hostile encodings of the attribute: decoded as if it were not there, no crash, no guess
--- request eval
[ScepTest::answered($main::Req, 'certrep-ndes-9-bytes.der'),
 ScepTest::answered($main::Req, 'certrep-ndes-33-bits.der'),
 ScepTest::answered($main::Req, 'certrep-ndes-below.der'),
 ScepTest::answered($main::Req, 'certrep-ndes-octets.der'),
 ScepTest::answered($main::Req, 'certrep-ndes-twice.der')]
--- record eval
{
    scep => {
        response  => { message_type => 'CertRep', pki_status => 'FAILURE',
                       fail_info => 'badRequest', ndes_error => ScepTest::absent },
        diagnosis => { code => 'scep_failure_bad_request' },
    },
}
--- no_error_log
[alert]
[crit]



=== TEST 6: a FAILURE without the attribute has no ndes_error
--- request eval
ScepTest::answered($main::Req, 'certrep-failure-badrequest.der')
--- access_log
diag certrep-failure-badrequest.der scep_failure_bad_request
--- record eval
{ scep => { response => { pki_status => 'FAILURE', ndes_error => ScepTest::absent } } }



=== TEST 7: scep_ndes_errors_total counts each CertRep by its code's name, once, "unknown" for a code not in the table, nothing for the hostile ones
--- init
my @problems;

for my $f (qw(certrep-ndes-revocation-offline.der certrep-ndes-revocation-offline.der
              certrep-ndes-unknown.der certrep-ndes-invalidarg.der
              certrep-ndes-9-bytes.der certrep-ndes-twice.der
              certrep-failure-badrequest.der)) {
    my $r = ScepTest::fetch(ScepTest::answered($main::Req, $f));
    push @problems, "$f: " . substr($r, 0, 60) unless $r =~ m{^HTTP/1\.1 200 };
}

my ($bad, $samples) = ScepTest::metrics();
push @problems, @$bad;

my %want = (
    'scep_ndes_errors_total{code="CRYPT_E_REVOCATION_OFFLINE"}' => 2,
    'scep_ndes_errors_total{code="unknown"}' => 1,
    'scep_ndes_errors_total{code="E_INVALIDARG"}' => 1,
);

for my $k (sort keys %want) {
    push @problems, "$k: " . ($samples->{$k} // 'none') . ", not $want{$k}"
        unless ($samples->{$k} // 0) == $want{$k};
}

for my $k (grep { /^scep_ndes_errors_total/ && !$want{$_} } keys %$samples) {
    push @problems, "$k: $samples->{$k}, not sent";
}

ScepTest::report(@problems);
--- request
GET /check
--- response_body
ok



=== TEST 8: every HRESULT of the module's table, by code and name, gives its own diagnosis
--- request eval
[map { ScepTest::answered($main::Req, "gen/$_->[0].der") } @main::Table]
--- error_code eval
[map { 200 } @main::Table]
--- record eval
[map { { scep => { response => { ndes_error => ScepTest::exact({ code => $_->[0], name => $_->[1] }) },
                   diagnosis => { code => $_->[2] } } } } @main::Table]
