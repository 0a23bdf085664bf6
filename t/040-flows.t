# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# Device flows: the requests of one device's enrolment share a flow id,
# with steps 1, 2, 3 and the sequence so far, whichever of two workers
# takes each request; another device gets another flow.  The records now
# say when the flow started and on what it was joined (scep.flow.started,
# joined_by, issue 16): TESTs 1, 9 and 10 match them.  How requests join
# is t/041-flow-joins.t's.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use IO::Socket::INET;
use ScepTest;

our $Server = scep_server(challenge => 'flow-challenge');

$ENV{TEST_NGINX_DATA} = "$ScepTest::Top/t/data";

# TESTS 7 and 8: the same message in other bytes (a copy of the same bytes
# is a client's retry, and forwarded): the outer length in long form, as
# BER allows; what the signature covers is unchanged
sub reencoded {
    my $m = ScepTest::message($_[0]);
    $m =~ s/\A\x30\x82(..)/\x30\x83\x00$1/s or die "$_[0]: not 30 82";
    return $m;
}

default_config(<<'_EOC_');
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        scep_flow devices;
        rewrite ^ /scep break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }
_EOC_

master_on();
workers(2);
no_shuffle();
run_tests();
check_records();

# scepclient's requests: one flow, steps 1, 2, 3; the Android device's,
# each on a new connection and so on either worker: another flow, 1 to 4
my (%flows, @order, $evicting, @txid, %replay);
open my $in, '<', $ScepTest::Records or die $!;
while (<$in>) {
    my $rec = JSON::PP->new->decode($_);
    my $flow = $rec->{scep}{flow} or next;

    # TEST 2: every one of the 400 devices got a flow of its own
    if (($rec->{user_agent}{original} // '') =~ /^device-\d+$/) {
        $evicting++ if $flow->{step} == 1;
        next;
    }

    next if ($rec->{user_agent}{original} // '') =~ /^(expiring|reloading)$/;

    # TESTS 6 to 8: replays
    if (($rec->{user_agent}{original} // '') =~ /^(replay|reject|monitor)-/) {
        my $reject = $rec->{scep}{reject};
        push @{ $replay{$1} },
             join ' ', $flow->{id}, $flow->{step}, $flow->{outcome} // '-',
                       $flow->{replay} ? 'replay' : 'first',
                       $reject ? ($reject->{reason}, $reject->{enforced}
                                  ? 'enforced' : 'logged',
                                  $reject->{detail} =~ /in flow (\w+)$/)
                               : (),
                       $rec->{scep}{upstream} ? 'forwarded' : 'answered';
        next;
    }

    # TEST 4: the poller's request joins the device's flow
    if (($rec->{user_agent}{original} // '') =~ /^txid-/) {
        push @txid, [$flow->{id}, $flow->{step}, $flow->{outcome} // ''];
        next;
    }

    push @order, $flow->{id} unless $flows{ $flow->{id} };
    push @{ $flows{ $flow->{id} } },
         [$flow->{step}, $rec->{scep}{operation}, scalar @{ $flow->{sequence} }];
}
close $in;

is(scalar @order, 2, "$0 - two devices, two flows");
is_deeply($flows{ $order[0] },
          [[1, 'GetCACert', 1], [2, 'GetCACaps', 2], [3, 'PKIOperation', 3]],
          "$0 - scepclient's flow: GetCACert, GetCACaps, PKIOperation as steps 1, 2, 3");
is_deeply($flows{ $order[1] // '' },
          [[1, 'GetCACert', 1], [2, 'GetCACaps', 2], [3, 'GetCACaps', 3],
           [4, 'GetCACaps', 4]],
          "$0 - the Android device's own flow, steps 1 to 4 across workers");
is(scalar @txid, 2, "$0 - two PKIOperations with one transactionID");
is($txid[1][0], $txid[0][0], "$0 - the CertPoll joined the PKCSReq's flow");
is_deeply([map { "$_->[1] $_->[2]" } @txid], ['1 pending', '2 issued'],
          "$0 - steps 1 and 2: PENDING, then SUCCESS");
my ($id6) = split / /, $replay{replay}[0] // '';
is_deeply($replay{replay},
          ["$id6 1 pending first forwarded", "$id6 2 pending replay forwarded",
           "$id6 3 pending replay forwarded", "$id6 4 pending first forwarded"],
          "$0 - a repeated senderNonce is flagged, from the device or elsewhere, and forwarded");
my ($id7) = split / /, $replay{reject}[0] // '';
is_deeply($replay{reject},
          ["$id7 1 pending first forwarded",
           "$id7 2 pending replay replay enforced $id7 answered"],
          "$0 - scep_reject_replay: the copy is rejected, not forwarded, and the outcome stays");
my ($id8) = split / /, $replay{monitor}[0] // '';
is_deeply($replay{monitor},
          ["$id8 1 issued first forwarded",
           "$id8 2 issued replay replay logged $id8 forwarded"],
          "$0 - monitor mode: the replay is logged and forwarded");
is($evicting, 301, "$0 - a zone full of flows made room for each of 300 devices and the first again");

__DATA__

=== TEST 1: a device enrols; another one asks for the CA and its caps, on fresh connections
--- http_config
    scep_flow_zone devices:1m timeout=10m;
--- init
ScepTest::enrol(server => $main::Server, challenge => 'flow-challenge',
                cn => 'device-a',
                url => "http://127.0.0.1:" . server_port()
                       . "/certsrv/mscep/mscep.dll",
                result => html_dir() . "/device-a");
--- request eval
["GET /device-a",
 "GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca",
 ("GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca") x 3]
--- more_headers eval
["", ("User-Agent: Dalvik/2.1.0 (Linux; U; Android 5.0; P01M Build/LRX21V)") x 4]
--- error_code eval
[(200) x 5]
--- response_body_like eval
[qr/^issued$/, (qr/./) x 4]
--- access_log eval
qr{"flow":\{"id":"[0-9a-f]{16}","step":3,"started":"[^"]+","joined_by":"connection","sequence":\["GetCACert","GetCACaps","PKIOperation"\],"outcome":"issued","replay":false\}}
--- no_error_log
[error]
[alert]



=== TEST 2: a full zone evicts the oldest flows and keeps answering
(32k holds fewer than two hundred flows; after 300 devices, the first one
is back: its flow was the oldest and was evicted, so it starts again)
--- http_config
    scep_flow_zone small:32k;
--- config
    location /certsrv/mscep/ {
        scep on;
        scep_flow small;
        return 200 "$scep_flow_step\n";
    }
--- init
for my $n (1 .. 300) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => server_port()) or die $!;
    print $s "GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca"
             . " HTTP/1.0\r\nUser-Agent: device-$n\r\n\r\n";
    my $r = do { local $/; <$s> };
    die "device-$n: $r" unless $r =~ m{^HTTP/1\.\d 200 .*\r\n\r\n1\n\z}s;
}
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca
--- more_headers
User-Agent: device-1
--- response_body
1
--- error_log eval
qr/\[warn\] .*scep: no memory in scep_flow_zone "small" for a new flow at \d+ flows, evicting the least recently seen/
--- no_error_log
[alert]
[crit]
[error]



=== TEST 3: a flow ends after the timeout of inactivity
--- http_config
    scep_flow_zone devices:1m timeout=1s;
--- config
    location /certsrv/mscep/ {
        scep on;
        scep_flow devices;
        return 200 "$scep_flow_id $scep_flow_step\n";
    }
--- init
# the same device twice, 1.5 s apart: the second request starts a new
# flow, and the block's own request is its step 2 (3 had the flow lived)
for my $pause (0, 1.5) {
    select undef, undef, undef, $pause;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => server_port()) or die $!;
    print $s "GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca"
             . " HTTP/1.0\r\nUser-Agent: expiring\r\n\r\n";
    my $r = do { local $/; <$s> };
}
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca
--- more_headers
User-Agent: expiring
--- response_body_like
^[0-9a-f]{16} 2$



=== TEST 4: a CertPoll with the PKCSReq's transactionID joins its flow from another User-Agent
(the PKCSReq is answered PENDING, the CertPoll SUCCESS)
--- http_config
    scep_flow_zone devices:1m;

    map $http_user_agent $certrep {
        txid-poller  certrep-success.der;
        default      certrep-pending.der;
    }
--- config
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        scep_flow devices;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => '$certrep', type => 'application/x-pki-message' }
--- request eval
[ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha256.der')),
 ScepTest::pkiop_get(ScepTest::message('certpoll.der'))]
--- more_headers eval
["User-Agent: txid-device", "User-Agent: txid-poller"]
--- error_code eval
[200, 200]



=== TEST 5: a reload (HUP) with the zone unchanged keeps the flows
--- http_config
    scep_flow_zone devices:1m;
--- config
    location /certsrv/mscep/ {
        scep on;
        scep_flow devices;
        return 200 "$scep_flow_id $scep_flow_step\n";
    }
--- init
my $get = sub {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => server_port()) or die $!;
    print $s "GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca"
             . " HTTP/1.0\r\nUser-Agent: reloading\r\n\r\n";
    my $r = do { local $/; <$s> };
    return $r =~ /\r\n\r\n([0-9a-f]{16}) (\d+)\n\z/ ? "$1 $2" : "none";
};

my $before = $get->();

open my $pidfile, '<', server_root() . '/logs/nginx.pid' or die $!;
chomp(my $pid = <$pidfile>);
kill 'HUP', $pid or die "HUP: $!";
select undef, undef, undef, 1.5;

my $after = $get->();
my ($id) = split / /, $before;

open my $out, '>', html_dir() . '/reload' or die $!;
print $out $after eq "$id 2" ? "kept\n" : "lost: $before / $after\n";
close $out;
--- request
GET /reload
--- response_body
kept



=== TEST 6: a repeated senderNonce is flagged as a replay, and still forwarded
(the same PKCSReq three times: from the device, again, and from elsewhere;
its transactionID joins all three to one flow)
--- http_config
    scep_flow_zone devices:1m;
--- config
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        scep_flow devices;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'certrep-pending.der', type => 'application/x-pki-message' }
--- request eval
[(ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha512.der'))) x 3,
 ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha1.der'))]
--- more_headers eval
["User-Agent: replay-device", "User-Agent: replay-device",
 "User-Agent: replay-elsewhere", "User-Agent: replay-device"]
--- error_code eval
[200, 200, 200, 200]
--- no_error_log
[error]
[alert]



=== TEST 7: scep_reject_replay rejects a repeated senderNonce in another message before the upstream sees it
(the flow's outcome stays what NDES said: a copy of a message is no news)
--- http_config
    scep_flow_zone devices:1m;
--- config
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        scep_flow devices;
        scep_reject_replay on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'certrep-pending.der', type => 'application/x-pki-message' }
--- init
ScepTest::fetch(ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha512.der')),
                'User-Agent: reject-device') =~ m{^HTTP/1\.1 200 }
    or die "the first PKCSReq was not forwarded";
--- request eval
ScepTest::pkiop_get(main::reencoded('pkcsreq-sha512.der'))
--- more_headers
User-Agent: reject-attacker
--- error_code: 403
--- response_body_like
^replay: the senderNonce was seen before, in another message, in flow [0-9a-f]{16}$
--- error_log
scep: rejected, replay: the senderNonce was seen before
--- no_error_log
[error]
[alert]



=== TEST 8: in monitor mode a replay is only logged
--- http_config
    scep_flow_zone devices:1m;
--- config
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        scep_reject off;
        scep_flow devices;
        scep_reject_replay on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'certrep-success.der', type => 'application/x-pki-message' }
--- init
ScepTest::fetch(ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha512.der')),
                'User-Agent: monitor-device') =~ m{^HTTP/1\.1 200 }
    or die "the first PKCSReq was not forwarded";
--- request eval
ScepTest::pkiop_get(main::reencoded('pkcsreq-sha512.der'))
--- more_headers
User-Agent: monitor-device
--- error_code: 200
--- error_log
scep: forwarded in monitor mode (scep_reject off), replay



=== TEST 9: $scep_flow_id and $scep_flow_step named before $scep_log_json in a log_format: the same flow and step as the record's
--- http_config
    scep_flow_zone devices:1m;
    log_format flow_first escape=none '$scep_flow_id $scep_flow_step $scep_log_json';
--- config
    location /certsrv/mscep/ {
        scep on;
        scep_flow devices;
        rewrite ^ /scep break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;

        # this location's own log: its records stay out of the file's
        access_log logs/access.log flow_first;
    }
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca
--- more_headers
User-Agent: flow-first
--- response_body_like: POSTPKIOperation
--- access_log eval
qr{^([0-9a-f]{16}) (\d+) \{.*"scep":\{"operation":"GetCACaps",.*"flow":\{"id":"\1","step":\2,"started":"[^"]+","joined_by":"new","sequence":\["GetCACaps"\]}
--- no_error_log
[error]



=== TEST 10: $scep_log_json read before the log phase joins the flow, as $scep_flow_id does
--- http_config
    scep_flow_zone devices:1m;
--- config
    location /certsrv/mscep/ {
        scep on;
        scep_flow devices;

        # its records stay out of the file's (the flows counted above)
        access_log off;

        return 200 "$scep_log_json\n";
    }
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca
--- more_headers
User-Agent: record-first
--- response_body_like: "scep":\{"operation":"GetCACaps","client":"other","ca_ident":"ca","flow":\{"id":"[0-9a-f]{16}","step":1,"started":"[^"]+","joined_by":"new","sequence":\["GetCACaps"\]\}\}\}$
--- no_error_log
[error]
