# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# Every generated fixture (t/tools/scep_gen.c, manifest t/data/messages.json)
# decodes to the fields the manifest gives, over GET and over POST; every
# malformed one is rejected with its reason and never reaches NDES.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use ScepTest;

default_config(<<'_EOC_' . ndes(answer => 'ndes: $request_method\n'));
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

_EOC_

# where TEST 44 cuts the real PKCSReq: the first bytes, then every 97th
our $Cut = message('scepclient-pkcsreq.der');
our @Cuts = (0 .. 16, grep({ $_ < length $Cut } map { $_ * 97 } 1 .. 40),
             length($Cut) - 3 .. length($Cut) - 1);

# TESTS 23 to 39: the record of a message rejected before NDES, for
# --- record eval: the reject object exactly, and nothing after it in scep
# (no upstream, response, flow or diagnosis)
sub rejected {
    my ($reason) = @_;

    return {
        scep => {
            reject    => ScepTest::exact({ reason => $reason, detail => qr/./s,
                                           stage => 'module',
                                           enforced => JSON::PP::true }),
            upstream  => ScepTest::absent,
            response  => ScepTest::absent,
            flow      => ScepTest::absent,
            diagnosis => ScepTest::absent,
        },
    };
}

no_shuffle();
run_tests();
check_records();

__DATA__

=== TEST 1: PKCSReq, SHA-256, RSA-2048 (like micromdm scepclient), over GET
--- request eval
ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha256.der'))
--- response_body
ndes: GET
--- record eval
{ scep => { message => ScepTest::message_fields('pkcsreq-sha256.der', 'get') } }
--- no_error_log
[error]



=== TEST 2: PKCSReq, SHA-256, RSA-2048 (like micromdm scepclient), over POST
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('pkcsreq-sha256.der'))
--- response_body
ndes: POST
--- record eval
{ scep => { message => ScepTest::message_fields('pkcsreq-sha256.der', 'post') } }
--- no_error_log
[error]



=== TEST 3: PKCSReq, SHA-1, over GET
--- request eval
ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha1.der'))
--- response_body
ndes: GET
--- record eval
{ scep => { message => ScepTest::message_fields('pkcsreq-sha1.der', 'get') } }
--- no_error_log
[error]



=== TEST 4: PKCSReq, SHA-1, over POST
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('pkcsreq-sha1.der'))
--- response_body
ndes: POST
--- record eval
{ scep => { message => ScepTest::message_fields('pkcsreq-sha1.der', 'post') } }
--- no_error_log
[error]



=== TEST 5: PKCSReq, SHA-512, over GET
--- request eval
ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha512.der'))
--- response_body
ndes: GET
--- record eval
{ scep => { message => ScepTest::message_fields('pkcsreq-sha512.der', 'get') } }
--- no_error_log
[error]



=== TEST 6: PKCSReq, SHA-512, over POST
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('pkcsreq-sha512.der'))
--- response_body
ndes: POST
--- record eval
{ scep => { message => ScepTest::message_fields('pkcsreq-sha512.der', 'post') } }
--- no_error_log
[error]



=== TEST 7: RenewalReq, over GET
--- request eval
ScepTest::pkiop_get(ScepTest::message('renewalreq.der'))
--- response_body
ndes: GET
--- record eval
{ scep => { message => ScepTest::message_fields('renewalreq.der', 'get') } }
--- no_error_log
[error]



=== TEST 8: RenewalReq, over POST
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('renewalreq.der'))
--- response_body
ndes: POST
--- record eval
{ scep => { message => ScepTest::message_fields('renewalreq.der', 'post') } }
--- no_error_log
[error]



=== TEST 9: UpdateReq, over GET
--- request eval
ScepTest::pkiop_get(ScepTest::message('updatereq.der'))
--- response_body
ndes: GET
--- record eval
{ scep => { message => ScepTest::message_fields('updatereq.der', 'get') } }
--- no_error_log
[error]



=== TEST 10: UpdateReq, over POST
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('updatereq.der'))
--- response_body
ndes: POST
--- record eval
{ scep => { message => ScepTest::message_fields('updatereq.der', 'post') } }
--- no_error_log
[error]



=== TEST 11: CertPoll (GetCertInitial), over GET
--- request eval
ScepTest::pkiop_get(ScepTest::message('certpoll.der'))
--- response_body
ndes: GET
--- record eval
{ scep => { message => ScepTest::message_fields('certpoll.der', 'get') } }
--- no_error_log
[error]



=== TEST 12: CertPoll (GetCertInitial), over POST
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('certpoll.der'))
--- response_body
ndes: POST
--- record eval
{ scep => { message => ScepTest::message_fields('certpoll.der', 'post') } }
--- no_error_log
[error]



=== TEST 13: GetCert, over GET
--- request eval
ScepTest::pkiop_get(ScepTest::message('getcert.der'))
--- response_body
ndes: GET
--- record eval
{ scep => { message => ScepTest::message_fields('getcert.der', 'get') } }
--- no_error_log
[error]



=== TEST 14: GetCert, over POST
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('getcert.der'))
--- response_body
ndes: POST
--- record eval
{ scep => { message => ScepTest::message_fields('getcert.der', 'post') } }
--- no_error_log
[error]



=== TEST 15: GetCRL, over GET
--- request eval
ScepTest::pkiop_get(ScepTest::message('getcrl.der'))
--- response_body
ndes: GET
--- record eval
{ scep => { message => ScepTest::message_fields('getcrl.der', 'get') } }
--- no_error_log
[error]



=== TEST 16: GetCRL, over POST
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('getcrl.der'))
--- response_body
ndes: POST
--- record eval
{ scep => { message => ScepTest::message_fields('getcrl.der', 'post') } }
--- no_error_log
[error]



=== TEST 17: a signer named by subjectKeyIdentifier, over GET
--- request eval
ScepTest::pkiop_get(ScepTest::message('pkcsreq-ski.der'))
--- response_body
ndes: GET
--- record eval
{ scep => { message => ScepTest::message_fields('pkcsreq-ski.der', 'get') } }
--- no_error_log
[error]



=== TEST 18: a signer named by subjectKeyIdentifier, over POST
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('pkcsreq-ski.der'))
--- response_body
ndes: POST
--- record eval
{ scep => { message => ScepTest::message_fields('pkcsreq-ski.der', 'post') } }
--- no_error_log
[error]



=== TEST 19: an ECDSA P-256 signer, over GET
--- request eval
ScepTest::pkiop_get(ScepTest::message('pkcsreq-ecdsa.der'))
--- response_body
ndes: GET
--- record eval
{ scep => { message => ScepTest::message_fields('pkcsreq-ecdsa.der', 'get') } }
--- no_error_log
[error]



=== TEST 20: an ECDSA P-256 signer, over POST
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('pkcsreq-ecdsa.der'))
--- response_body
ndes: POST
--- record eval
{ scep => { message => ScepTest::message_fields('pkcsreq-ecdsa.der', 'post') } }
--- no_error_log
[error]



=== TEST 21: iOS: BER, indefinite lengths, constructed OCTET STRING, SHA-512, over GET
--- request eval
ScepTest::pkiop_get(ScepTest::message('ios-pkcsreq-ber.der'))
--- response_body
ndes: GET
--- record eval
{ scep => { message => ScepTest::message_fields('ios-pkcsreq-ber.der', 'get') } }
--- no_error_log
[error]



=== TEST 22: iOS: BER, indefinite lengths, constructed OCTET STRING, SHA-512, over POST
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('ios-pkcsreq-ber.der'))
--- response_body
ndes: POST
--- record eval
{ scep => { message => ScepTest::message_fields('ios-pkcsreq-ber.der', 'post') } }
--- no_error_log
[error]



=== TEST 23: random bytes: not_cms, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-not-cms.der'))
--- error_code: 400
--- response_body_like chop
^not_cms: \S
--- record eval
main::rejected('not_cms')
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 24: a bare X.509 certificate: not_cms, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-certificate.der'))
--- error_code: 400
--- response_body_like chop
^not_cms: \S
--- record eval
main::rejected('not_cms')
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 25: EnvelopedData, not SignedData: not_signed_data, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-enveloped.der'))
--- error_code: 400
--- response_body_like chop
^not_signed_data: \S
--- record eval
main::rejected('not_signed_data')
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 26: no SignerInfo: no_signer, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-no-signer.der'))
--- error_code: 400
--- response_body_like chop
^no_signer: \S
--- record eval
main::rejected('no_signer')
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 27: no messageType: missing_message_type, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-no-message-type.der'))
--- error_code: 400
--- response_body_like chop
^missing_message_type: \S
--- record eval
main::rejected('missing_message_type')
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 28: no transactionID: missing_transaction_id, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-no-transaction-id.der'))
--- error_code: 400
--- response_body_like chop
^missing_transaction_id: \S
--- record eval
main::rejected('missing_transaction_id')
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 29: no senderNonce: missing_sender_nonce, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-no-sender-nonce.der'))
--- error_code: 400
--- response_body_like chop
^missing_sender_nonce: \S
--- record eval
main::rejected('missing_sender_nonce')
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 30: a 15-byte senderNonce: bad_sender_nonce, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-nonce-15.der'))
--- error_code: 400
--- response_body_like chop
^bad_sender_nonce: \S
--- record eval
main::rejected('bad_sender_nonce')
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 31: a 17-byte senderNonce: bad_sender_nonce, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-nonce-17.der'))
--- error_code: 400
--- response_body_like chop
^bad_sender_nonce: \S
--- record eval
main::rejected('bad_sender_nonce')
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 32: messageType "99": unknown_message_type, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-message-type-99.der'))
--- error_code: 400
--- response_body_like chop
^unknown_message_type: \S
--- record eval
main::rejected('unknown_message_type')
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 33: messageType as an INTEGER: unknown_message_type, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-message-type-integer.der'))
--- error_code: 400
--- response_body_like chop
^unknown_message_type: \S
--- record eval
main::rejected('unknown_message_type')
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 34: messageType twice: unknown_message_type, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-duplicate-message-type.der'))
--- error_code: 400
--- response_body_like chop
^unknown_message_type: \S
--- record eval
main::rejected('unknown_message_type')
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 35: a flipped signature byte: signature_invalid, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-signature.der'))
--- error_code: 400
--- response_body_like chop
^signature_invalid: \S
--- record eval
main::rejected('signature_invalid')
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 36: content that no longer matches messageDigest: signature_invalid, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-digest.der'))
--- error_code: 400
--- response_body_like chop
^signature_invalid: \S
--- record eval
main::rejected('signature_invalid')
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 37: a declared length of 2^31: truncated, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-length-2g.der'))
--- error_code: 400
--- response_body_like chop
^truncated: \S
--- record eval
main::rejected('truncated')
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 38: a length field of 2^63: truncated, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-length-2e63.der'))
--- error_code: 400
--- response_body_like chop
^truncated: \S
--- record eval
main::rejected('truncated')
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 39: 10 000 nested tags: not_cms, not forwarded
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-deep.der'))
--- error_code: 400
--- response_body_like chop
^not_cms: \S
--- record eval
main::rejected('not_cms')
--- no_access_log
/ndes/
--- no_error_log
[error]



=== TEST 40: a CertRep sent as a request
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('certrep-success.der'))
--- error_code: 400
--- response_body
unknown_message_type: CertRep (3) is not a request
--- no_access_log
/ndes/



=== TEST 41: CertPoll where only PKCSReq is allowed: 403
--- config
    location /certsrv/mscep/ {
        scep on;
        scep_message_types PKCSReq;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }
--- ndes: ndes: $request_method\n
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('certpoll.der'))
--- error_code: 403
--- response_body
message_type_not_allowed: CertPoll is not in scep_message_types
--- no_access_log
/ndes/



=== TEST 42: monitor mode forwards a bad signature and records it
--- config
    location /certsrv/mscep/ {
        scep on;
        scep_reject off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }
--- ndes: ndes: $request_method\n
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-signature.der'))
--- response_body
ndes: POST
--- record eval
{
    scep => {
        message  => { signature => 'invalid' },
        reject   => { reason => 'signature_invalid' },
        upstream => { addr => qr/^[^"]+$/, status => 200,
                      response_time => ScepTest::number },
    },
}
--- access_log eval
qr{"POST /ndes/mscep.dll\?operation=PKIOperation HTTP/1.1" 200 }



=== TEST 43: scep_verify_signature off: the signature is not checked
--- config
    location /certsrv/mscep/ {
        scep on;
        scep_verify_signature off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }
--- ndes: ndes: $request_method\n
--- raw_request eval
ScepTest::pkiop_post(ScepTest::message('bad-signature.der'))
--- response_body
ndes: POST
--- record eval
{
    scep => {
        message  => { signature => 'unchecked' },
        reject   => ScepTest::absent,
        upstream => { addr => qr/^[^"]+$/, status => 200,
                      response_time => ScepTest::number },
    },
}



=== TEST 44: the real PKCSReq cut short: each rejected, none forwarded
(every offset is cut in the decoder's own test, t/005-differential.t)
--- request eval
[map { ScepTest::pkiop_get(substr($main::Cut, 0, $_)) } @main::Cuts]
--- error_code eval
[(400) x @main::Cuts]
--- response_body_like eval
[(qr/^(truncated|not_cms|missing_message): /) x @main::Cuts]
--- no_access_log
/ndes/
--- no_error_log
[error]
