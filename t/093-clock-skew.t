# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# The device's clock: signed PKCSReq messages made when the test runs
# (scep-gen --skewed) with a signingTime hours off, a minute off, or a
# self-signed signer certificate that starts in the future; the skew in
# the record (device minus edge, within a minute of what the fixture says,
# so that a slow run cannot fail it) and its diagnosis; hostile
# signingTimes that say nothing.  And the signer's serial and SHA-256
# fingerprint, as openssl prints them for the fixture's signer.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use File::Temp ();
use Time::Local ();
use ScepTest;

$ENV{SCEP_GEN} //= 'build/scep-gen';

our $Skewed = File::Temp::tempdir(CLEANUP => 1);
system("$ENV{SCEP_GEN} --skewed $Skewed") == 0
    or die "scep-gen --skewed failed (SCEP_GEN=$ENV{SCEP_GEN})";
$ENV{TEST_NGINX_SKEWED} = $Skewed;

sub skewed {
    open my $in, '<:raw', "$Skewed/$_[0]" or die "$_[0]: $!";
    local $/;
    return <$in>;
}

# what the record says of a message signed SKEW seconds from now, by
# signingTime or by the signer's notBefore; a minute of tolerance
sub skew {
    my ($skew, $source) = @_;

    return { scep => { message => {
        clock_skew => ScepTest::around($skew, 60),
        clock_source => $source // 'signing_time',
    } } };
}

sub no_skew {
    return { scep => { message => { type => 'PKCSReq',
                                    clock_skew => ScepTest::absent,
                                    clock_source => ScepTest::absent },
                       diagnosis => ScepTest::absent } };
}

# the fixtures of t/data are signed on a fixed day, 2026-01-15 10:00:00 UTC
our $FixtureSkew = Time::Local::timegm(0, 0, 10, 15, 0, 2026) - time();

# the signer certificate of a fixture as openssl reads it: the one whose
# subject is the manifest's signer_subject
sub openssl_signer {
    my ($file, $subject) = @_;

    my $pem = `openssl pkcs7 -inform DER -in $ScepTest::Top/t/data/$file -print_certs`;
    die "openssl pkcs7 $file failed" if $?;

    for my $cert ($pem =~ /(-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n)/sg) {
        my $tmp = File::Temp->new;
        print $tmp $cert;
        close $tmp;

        my $out = `openssl x509 -in $tmp -noout -nameopt RFC2253 -subject -serial -fingerprint -sha256`;
        my ($subj) = $out =~ /^subject=(.*)$/m;
        next unless defined $subj && $subj eq $subject;

        my ($serial) = $out =~ /^serial=([0-9A-F]+)$/m;
        my ($fp) = $out =~ /Fingerprint=([0-9A-F:]+)$/m;
        $fp =~ s/://g;

        return { subject => $subject, serial => lc $serial,
                 fingerprint_sha256 => lc $fp };
    }

    die "$file: no certificate of subject $subject";
}

our %Signer = (
    sha256 => openssl_signer('pkcsreq-sha256.der', 'CN=SCEP SIGNER'),
    renewal => openssl_signer('renewalreq.der',
                              'CN=device,OU=MDM,O=scep-client,C=US'),
    ecdsa => openssl_signer('pkcsreq-ecdsa.der', 'CN=SCEP SIGNER'),
);

default_config(<<'_EOC_' . ndes(answer => 'ndes: $request_method\n'));
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

_EOC_

no_shuffle();
run_tests();
check_records();

__DATA__

=== TEST 1: signingTime 3 hours behind: the skew, device_clock_behind
--- request eval
ScepTest::pkiop_get(main::skewed('skew-behind-3h.der'))
--- record eval
{ scep => { %{ main::skew(-3 * 3600)->{scep} },
            diagnosis => { code => 'device_clock_behind' } } }



=== TEST 2: signingTime 2 hours ahead, over POST: device_clock_ahead
--- raw_request eval
ScepTest::pkiop_post(main::skewed('skew-ahead-2h.der'))
--- record eval
{ scep => { %{ main::skew(2 * 3600)->{scep} },
            diagnosis => { code => 'device_clock_ahead' } } }



=== TEST 3: a minute behind: the skew, no clock diagnosis
--- request eval
ScepTest::pkiop_get(main::skewed('skew-1min.der'))
--- response_headers
X-Scep-Diagnosis:
--- record eval
{ scep => { %{ main::skew(-60)->{scep} }, diagnosis => ScepTest::absent } }



=== TEST 4: signingTime as a GeneralizedTime, 2 hours ahead
--- request eval
ScepTest::pkiop_get(main::skewed('skew-ahead-2h-generalized.der'))
--- record eval
{ scep => { %{ main::skew(2 * 3600)->{scep} },
            diagnosis => { code => 'device_clock_ahead' } } }



=== TEST 5: no signingTime, a self-signed signer certificate that starts 2 hours from now
--- request eval
ScepTest::pkiop_get(main::skewed('skew-signer-future.der'))
--- record eval
{ scep => { message => { %{ main::skew(2 * 3600, 'signer_not_before')
                              ->{scep}{message} },
                         signature => 'valid' },
            diagnosis => { code => 'device_clock_ahead' } } }



=== TEST 6: a fixture of t/data: its fixed signingTime against the edge's clock
--- request eval
ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha256.der'))
--- record eval
{ scep => { message => { clock_skew => ScepTest::around($main::FixtureSkew, 60),
                         clock_source => 'signing_time' } } }



=== TEST 7: hostile: a letter among the digits of signingTime: no skew
--- request eval
ScepTest::pkiop_get(main::skewed('skew-bad-digits.der'))
--- response_body
ndes: GET
--- record eval
main::no_skew()



=== TEST 8: hostile: signingTime a PrintableString, not a Time: no skew
--- request eval
ScepTest::pkiop_get(main::skewed('skew-wrong-tag.der'))
--- record eval
main::no_skew()



=== TEST 9: hostile: month 13: no skew
--- request eval
ScepTest::pkiop_get(main::skewed('skew-month-13.der'))
--- record eval
main::no_skew()



=== TEST 10: hostile: February 30: no skew
--- request eval
ScepTest::pkiop_get(main::skewed('skew-feb-30.der'))
--- record eval
main::no_skew()



=== TEST 11: hostile: a UTCTime without seconds, which DER forbids: no skew
--- request eval
ScepTest::pkiop_get(main::skewed('skew-no-seconds.der'))
--- record eval
main::no_skew()



=== TEST 12: NDES answers FAILURE badTime: the device 3 hours behind is why
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'skew-certrep-badtime.der', type => 'application/x-pki-message',
  root => '$TEST_NGINX_SKEWED' }
--- request eval
[ScepTest::pkiop_get(main::skewed('skew-behind-3h.der')),
 ScepTest::pkiop_get(main::skewed('skew-1min.der'))]
--- record eval
[{ scep => { response => { pki_status => 'FAILURE', fail_info => 'badTime' },
             diagnosis => { code => 'device_clock_behind' } } },
 { scep => { response => { pki_status => 'FAILURE', fail_info => 'badTime' },
             diagnosis => { code => 'scep_failure_bad_time' } } }]



=== TEST 13: a message this edge refuses: the skew is recorded, the reason is the refusal's, not the clock
--- config
    location /certsrv/mscep/ {
        scep on;
        scep_message_types CertPoll;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }
--- request eval
ScepTest::pkiop_get(main::skewed('skew-behind-3h.der'))
--- error_code: 403
--- record eval
{ scep => { %{ main::skew(-3 * 3600)->{scep} },
            reject => { reason => 'message_type_not_allowed' },
            diagnosis => ScepTest::absent } }



=== TEST 14: the signer's serial and SHA-256 fingerprint, as openssl prints them: self-signed RSA
--- request eval
ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha256.der'))
--- record eval
{ scep => { message => { signer => ScepTest::exact($main::Signer{sha256}) } } }



=== TEST 15: the same of a RenewalReq signed by the certificate the CA issued (serial 1001), beside the CA's
--- request eval
ScepTest::pkiop_get(ScepTest::message('renewalreq.der'))
--- record eval
{ scep => { message => { signer => ScepTest::exact($main::Signer{renewal}) } } }



=== TEST 16: the same of an ECDSA P-256 signer, over POST
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('pkcsreq-ecdsa.der'))
--- record eval
{ scep => { message => { signer => ScepTest::exact($main::Signer{ecdsa}) } } }



=== TEST 17: hostile: signingTime twice, 3 hours behind: which to believe? none
--- request eval
ScepTest::pkiop_get(main::skewed('skew-twice.der'))
--- record eval
{ scep => { %{ main::no_skew()->{scep} },
            message => { %{ main::no_skew()->{scep}{message} },
                         signature => 'valid' } } }



=== TEST 18: hostile: a signingTime of two values: none
--- request eval
ScepTest::pkiop_get(main::skewed('skew-two-values.der'))
--- record eval
{ scep => { %{ main::no_skew()->{scep} },
            message => { %{ main::no_skew()->{scep}{message} },
                         signature => 'valid' } } }
