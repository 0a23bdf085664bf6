# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# Bounded cost: a signer key outside the limits the module verifies (RSA of
# 2048 to 8192 bits with an odd exponent from 3 to 2^32 - 1; ECDSA on
# P-256, P-384, P-521 by name; nothing else) is refused with
# signer_key_unsupported before any public-key operation, and never reaches
# the upstream, the NDES stand-in or the real scepserver behind.  In
# monitor mode it is forwarded, its signature recorded as unchecked: the
# check is not run there either.  The keys real clients have still verify.
#
# The hostile messages are fixtures of t/tools/scep_gen.c (make fixtures):
# a verification of the worst of them cost 15 ms (make bench-decode).
# Besides the key, what a failed check costs is bounded as well: the
# signed attributes are re-encoded as DER, to check the signature over
# that too, only when they are short (TEST 24).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use ScepTest;

our $Server = scep_server();

# each refused key, and what the refusal says of it
our @Hostile = (
    [ 'key-rsa-e3072.der', qr/^the signer's RSA public exponent is 3072 bits long, over 32$/ ],
    [ 'key-rsa-e3072-ber.der', qr/^the signer's RSA public exponent is 3072 bits long, over 32$/ ],
    [ 'key-rsa-8192-e64.der', qr/^the signer's RSA public exponent is 64 bits long, over 32$/ ],
    [ 'key-rsa-16384.der', qr/^the signer's RSA modulus of 16384 bits is outside 2048 to 8192$/ ],
    [ 'key-rsa-1024.der', qr/^the signer's RSA modulus of 1024 bits is outside 2048 to 8192$/ ],
    [ 'key-rsa-e-even.der', qr/^the signer's RSA public exponent is even$/ ],
    [ 'key-ec-sect571r1.der', qr/^the signer's EC key is on the curve sect571r1, not P-256, P-384 or P-521$/ ],
    [ 'key-ec-explicit.der', qr/^the signer's EC key gives its curve by explicit parameters, not by name$/ ],
    [ 'key-ed25519.der', qr/^the signer's key algorithm ED25519 is not RSA or EC$/ ],
    [ 'key-dsa.der', qr/^the signer's key algorithm dsaEncryption is not RSA or EC$/ ],
);

default_config(<<'_EOC_' . ndes(answer => 'ndes: $request_method\n'));
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /monitor/ {
        scep on;
        scep_reject off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /scep/ {
        scep on;
        rewrite ^ /scep break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }

    location /scep-monitor/ {
        scep on;
        scep_reject off;
        rewrite ^ /scep break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }

    location = /metrics {
        scep_metrics;
    }
_EOC_

# the record of a refused fixture: 400, the reason and its sentence, the
# signer named, the signature not checked, nothing forwarded
sub refused {
    my ($i) = @_;
    my ($name, $detail) = @{ $main::Hostile[$i] };

    return {
        http => { response => { status_code => 400 } },
        scep => {
            message => {
                signer => { subject => 'CN=' . ($name =~ s/\.der$//r) },
                signature => 'unchecked',
            },
            reject => ScepTest::exact({ reason => 'signer_key_unsupported',
                                        detail => $detail,
                                        stage => 'module',
                                        enforced => JSON::PP::true }),
            upstream => ScepTest::absent,
            response => ScepTest::absent,
        },
    };
}

no_shuffle();
run_tests();
check_records();

# scepserver logs "op=NAME" for each request it handles: the PKIOperations
# of the two enrolments (TESTS 22, 23) and the one of monitor mode (TEST
# 21); not the refused one of TEST 20
open my $log, '<', "$Server->{dir}/scepserver.log" or die $!;
my @ops = grep { $_ eq 'PKIOperation' } map { /\bop=(\S*)/ ? $1 : () } <$log>;
close $log;

is(scalar @ops, 3,
   "$0 - scepserver got three PKIOperations: two enrolments and monitor mode's");

__DATA__

=== TEST 1: RSA-3072 with a 3072-bit exponent: refused, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message($main::Hostile[0][0]))
--- error_code: 400
--- response_body_like chop
^signer_key_unsupported: the signer's RSA public exponent
--- record eval
main::refused(0)
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 2: the same with BER signed attributes: refused, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message($main::Hostile[1][0]))
--- error_code: 400
--- response_body_like chop
^signer_key_unsupported: \S
--- record eval
main::refused(1)
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 3: RSA-8192 with a 64-bit exponent: refused, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message($main::Hostile[2][0]))
--- error_code: 400
--- response_body_like chop
^signer_key_unsupported: \S
--- record eval
main::refused(2)
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 4: RSA-16384: refused, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message($main::Hostile[3][0]))
--- error_code: 400
--- response_body_like chop
^signer_key_unsupported: \S
--- record eval
main::refused(3)
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 5: RSA-1024: refused, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message($main::Hostile[4][0]))
--- error_code: 400
--- response_body_like chop
^signer_key_unsupported: \S
--- record eval
main::refused(4)
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 6: an even RSA exponent: refused, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message($main::Hostile[5][0]))
--- error_code: 400
--- response_body_like chop
^signer_key_unsupported: \S
--- record eval
main::refused(5)
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 7: ECDSA on sect571r1, its signature valid: refused, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message($main::Hostile[6][0]))
--- error_code: 400
--- response_body_like chop
^signer_key_unsupported: \S
--- record eval
main::refused(6)
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 8: ECDSA P-256 by explicit parameters, its signature valid: refused, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message($main::Hostile[7][0]))
--- error_code: 400
--- response_body_like chop
^signer_key_unsupported: \S
--- record eval
main::refused(7)
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 9: an Ed25519 signer: refused, not forwarded unchecked
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message($main::Hostile[8][0]))
--- error_code: 400
--- response_body_like chop
^signer_key_unsupported: \S
--- record eval
main::refused(8)
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 10: a DSA signer: refused, not forwarded unchecked
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message($main::Hostile[9][0]))
--- error_code: 400
--- response_body_like chop
^signer_key_unsupported: \S
--- record eval
main::refused(9)
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 11: over GET as well: RSA-8192 with a 64-bit exponent
--- request eval
ScepTest::pkiop_get(ScepTest::message($main::Hostile[2][0]))
--- error_code: 400
--- response_body_like chop
^signer_key_unsupported: \S
--- record eval
main::refused(2)
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 12: monitor mode forwards the BER RSA-3072 with its 3072-bit exponent, says so, and records its signature unchecked
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message($main::Hostile[1][0]),
                     path => '/monitor/mscep.dll')
--- response_body
ndes: POST
--- record eval
{
    scep => {
        message => { signature => 'unchecked' },
        reject => ScepTest::exact({ reason => 'signer_key_unsupported',
                                    detail => $main::Hostile[1][1],
                                    stage => 'module',
                                    enforced => JSON::PP::false }),
        upstream => { status => 200 },
    },
}
--- error_log
forwarded in monitor mode (scep_reject off), signer_key_unsupported: the signer's RSA public exponent is 3072 bits long
--- no_error_log
[error]



=== TEST 13: monitor mode does not check the signature it refuses to: P-256 by explicit parameters, valid, is recorded unchecked
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message($main::Hostile[7][0]),
                     path => '/monitor/mscep.dll')
--- response_body
ndes: POST
--- record eval
{
    scep => {
        message => { signature => 'unchecked' },
        reject => { reason => 'signer_key_unsupported',
                    enforced => JSON::PP::false },
        upstream => { status => 200 },
    },
}
--- no_error_log
[error]



=== TEST 14: the refused keys, each one enforced and in monitor mode: 20 decodes, and not one signature verified (what they cost, make bench-decode shows)
--- init
my @reqs = map { my $m = ScepTest::message($_->[0]);
                 (ScepTest::pkiop_post($m) =~ s/Connection: close\r\n//r,
                  ScepTest::pkiop_post($m, path => '/monitor/mscep.dll')
                  =~ s/Connection: close\r\n//r) } @main::Hostile;
my @got = ScepTest::keepalive(@reqs);
my @problems;
my $i = 0;
for my $r (@got) {
    my $want = $i++ % 2 ? 200 : 400;
    push @problems, "answer $i: $r->[0], not $want" if $r->[0] != $want;
}
my ($bad, $m) = ScepTest::metrics();
push @problems, @$bad;
my $count = $m->{'scep_decode_seconds_count{}'} // 0;
push @problems, "$count decodes, not 20" if $count != 20;
for my $c ('scep_rejects_total', 'scep_monitor_rejects_total') {
    my $n = $m->{$c . '{reason="signer_key_unsupported"}'} // 0;
    push @problems, "$c: $n signer_key_unsupported, not 10" if $n != 10;
}
ScepTest::report(@problems);
--- request
GET /check
--- response_body
ok
--- no_error_log
[error]
scep: verifying the signature



=== TEST 15: the costliest key the limits accept, RSA-8192 with the exponent 2^32 - 1, is verified: signature_invalid
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('limit-rsa-8192-e32-ber.der'))
--- error_code: 400
--- response_body_like chop
^signature_invalid: the signature does not verify
--- record eval
{
    scep => {
        message => { signature => 'invalid' },
        reject => { reason => 'signature_invalid', enforced => JSON::PP::true },
        upstream => ScepTest::absent,
    },
}
--- no_access_log
/ndes/



=== TEST 16: ECDSA P-384 with BER signed attributes: valid over their DER re-encoding, forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('limit-ec-p384-ber.der'))
--- response_body
ndes: POST
--- record eval
{ scep => { message => ScepTest::message_fields('limit-ec-p384-ber.der', 'post') } }
--- no_error_log
[error]



=== TEST 17: the iOS-like PKCSReq, RSA-4096, BER: valid, forwarded
--- request eval
ScepTest::pkiop_get(ScepTest::message('ios-pkcsreq-ber.der'))
--- response_body
ndes: GET
--- record eval
{ scep => { message => ScepTest::message_fields('ios-pkcsreq-ber.der', 'get') } }
--- no_error_log
[error]



=== TEST 18: micromdm scepclient's captured PKCSReq, RSA-2048: valid, forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('scepclient-pkcsreq.der'))
--- response_body
ndes: POST
--- record eval
{ scep => { message => { signature => 'valid' }, reject => ScepTest::absent } }
--- no_error_log
[error]



=== TEST 19: ECDSA P-256: valid, forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('pkcsreq-ecdsa.der'))
--- response_body
ndes: POST
--- record eval
{ scep => { message => ScepTest::message_fields('pkcsreq-ecdsa.der', 'post') } }
--- no_error_log
[error]



=== TEST 20: the real scepserver behind: the refused key, sect571r1, does not reach it
--- request eval
ScepTest::pkiop_get(ScepTest::message($main::Hostile[6][0]), 'percent',
                    '/scep/pkiclient.exe')
--- error_code: 400
--- record eval
main::refused(6)
--- no_error_log
[error]



=== TEST 21: monitor mode in front of the real scepserver: forwarded (scepserver cannot open an envelope made for another RA)
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message($main::Hostile[7][0]),
                     path => '/scep-monitor/pkiclient.exe')
--- error_code: 500
--- record eval
{
    scep => {
        message => { signature => 'unchecked' },
        reject => { reason => 'signer_key_unsupported',
                    enforced => JSON::PP::false },
        upstream => { status => 500 },
    },
}



=== TEST 22: scepclient with an RSA-2048 key enrols through the limits
--- init
ScepTest::enrol(server => $main::Server, bits => 2048,
                url => "http://127.0.0.1:" . server_port() . "/scep/pkiclient.exe",
                result => html_dir() . "/enrolment");
--- request
GET /enrolment
--- response_body
issued
--- access_log eval
[
qr{"scep":\{"operation":"PKIOperation","client":"other","message":\{"type":"PKCSReq",[^{}]*"signer":\{"subject":"[^"]*"[^{}]*\},[^{}]*"signature":"valid"\},"upstream":\{"addr":"127\.0\.0\.1:\d+","status":200,},
]
--- no_error_log
[error]



=== TEST 23: scepclient with an RSA-4096 key enrols through the limits
--- init
ScepTest::enrol(server => $main::Server, bits => 4096, cn => "device-4096",
                url => "http://127.0.0.1:" . server_port() . "/scep/pkiclient.exe",
                result => html_dir() . "/enrolment");
--- request
GET /enrolment
--- response_body
issued
--- access_log eval
[
qr{"scep":\{"operation":"PKIOperation","client":"other","message":\{"type":"PKCSReq",[^{}]*"signer":\{"subject":"[^"]*"[^{}]*\},[^{}]*"signature":"valid"\},"upstream":\{"addr":"127\.0\.0\.1:\d+","status":200,},
]
--- no_error_log
[error]



=== TEST 24: the signature is verified once, over the signed attributes re-encoded as DER when that differs from the BER carried (as OpenSSL does), else as carried: a P-384 message with BER signed attributes and a flipped signature byte is, the DER one is not; 7000 values in one attribute: signature_invalid (what they cost, make bench-decode shows: 0.08 ms, 1.6 before)
--- raw_request eval
(my $ber = ScepTest::message('limit-ec-p384-ber.der')) =~ s/(.)\z/chr(ord($1) ^ 1)/se or die;
[ScepTest::pkiop_post($ber), ScepTest::pkiop_post(ScepTest::message('bad-signature.der')),
 ScepTest::pkiop_post(ScepTest::message('limit-many-values.der'))]
--- error_code eval
[400, 400, 400]
--- response_body_like eval
[qr/^signature_invalid: the signature does not verify with the signer certificate's key, over the signed attributes re-encoded as DER$/,
 qr/^signature_invalid: the signature does not verify with the signer certificate's key$/,
 qr/^signature_invalid: the signature does not verify/]
--- no_error_log
[error]



=== TEST 25: 1900 more signed attributes: signature_invalid, not forwarded (what their decoding costs, make bench-decode shows: 0.1 ms, 1.3 before)
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('limit-many-attrs.der'))
--- error_code: 400
--- response_body_like chop
^signature_invalid: the signature does not verify
--- record eval
{
    scep => {
        message => { signature => 'invalid' },
        reject => { reason => 'signature_invalid', enforced => JSON::PP::true },
        upstream => ScepTest::absent,
    },
}
--- no_access_log
/ndes/
