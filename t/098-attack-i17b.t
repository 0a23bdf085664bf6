# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# Review of issue 17's message decoding and normalisation, the RA
# warnings and the device clock, as an attacker would try them.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use MIME::Base64 ();
use ScepTest;

$ENV{TEST_NGINX_DATA} = "$ScepTest::Top/t/data";

sub b64 { return MIME::Base64::encode_base64($_[0], '') }

sub escape { return $_[0] =~ s/([^A-Za-z0-9])/sprintf('%%%02X', ord $1)/ger }

sub get {
    return "GET /certsrv/mscep/mscep.dll?operation=PKIOperation&message=$_[0]";
}

# the fixture with a transactionID no header may carry (CR LF, a NUL)
sub bad_txid {
    (my $msg = ScepTest::message($_[0] // 'pkcsreq-sha256.der'))
        =~ s/9C1772A8/9C\r\n\0X: / or die;
    return $msg;
}

default_config(<<'_EOC_');
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        add_header X-Transaction-Id $scep_transaction_id always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /ndes/ {
        return 200 "ndes\n";
    }
_EOC_

no_shuffle();
run_tests();
check_records();

__DATA__

=== TEST 1: a transactionID no header may carry, in a message refused for another reason (a stray base64 character after it, no messageType): no header carries it either
--- request eval
[main::get(main::escape(main::b64(main::bad_txid()) =~ s/=//r) . 'AA'),
 main::get(main::escape(main::b64(main::bad_txid('bad-no-message-type.der')))),
 main::get(main::escape(main::b64(main::bad_txid()))),
 main::get(main::escape(main::b64(ScepTest::message('pkcsreq-sha256.der')) =~ s/=//r) . 'AA')]
--- error_code eval
[400, 400, 400, 400]
--- response_body_like eval
["^bad_encoding: the base64 ends with a single character",
 "^missing_message_type: ",
 "^bad_transaction_id: ",
 "^bad_encoding: the base64 ends with a single character"]
--- response_headers eval
["!X-Transaction-Id", "!X-Transaction-Id", "!X-Transaction-Id",
 "X-Transaction-Id: 9C1772A8FC4F148942002741E35CEFDE7C69796E"]
--- record eval
[{ scep => { reject => { reason => 'bad_encoding' } } },
 { scep => { reject => { reason => 'missing_message_type' } } },
 { scep => { reject => { reason => 'bad_transaction_id' } } },
 { scep => { reject => { reason => 'bad_encoding' },
             message => { transaction_id => '9C1772A8FC4F148942002741E35CEFDE7C69796E' } } }]
