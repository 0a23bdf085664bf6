# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# Replays and flows that end, with two workers: every senderNonce the zone
# saw within its timeout is remembered zone-wide, in a table of its own
# that no eviction of flows touches; a client's retry of the same bytes is
# a retransmission and is forwarded even with scep_reject_replay on; the
# table, when full, lets its oldest nonces go and counts them; a flow that
# expires or is evicted is counted by its last operation and outcome.
#
# The messages with a senderNonce each are made by scep-gen --nonces when
# the test runs.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use File::Temp ();
use IO::Socket::INET;
use ScepTest;

$ENV{SCEP_GEN} //= 'build/scep-gen';

our $Nonces = File::Temp::tempdir(CLEANUP => 1);
system("$ENV{SCEP_GEN} --nonces 80 $Nonces") == 0
    or die "scep-gen --nonces failed (SCEP_GEN=$ENV{SCEP_GEN})";
$ENV{TEST_NGINX_DATA} = "$ScepTest::Top/t/data";

# a message of scep-gen --nonces, as a PKIOperation GET
sub nonce_get {
    my ($name, $style) = @_;

    open my $in, '<:raw', "$Nonces/$name" or die "$Nonces/$name: $!";
    local $/;
    return ScepTest::pkiop_get(scalar <$in>, $style);
}

# the samples of /metrics, for the checks after the run
our %Metrics;

sub metrics_now {
    my ($bad, $samples) = ScepTest::metrics();
    die "/metrics: @$bad" if @$bad;
    return $samples;
}

# 400 new devices, each a User-Agent of its own, on a connection of its own
sub flood {
    for my $n (1 .. 400) {
        my $r = ScepTest::fetch('GET /certsrv/mscep/mscep.dll'
                                . '?operation=GetCACert&message=ca',
                                "User-Agent: flood-$n");
        die "flood-$n: $r" unless $r =~ m{^HTTP/1\.1 200 };
    }
}

our %Answer = (file => 'certrep-pending.der',
               type => 'application/x-pki-message');

default_config(<<'_EOC_' . ndes(%Answer));
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        scep_flow devices;
        scep_reject_replay on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }

    location = /metrics {
        scep_metrics;
    }
_EOC_

master_on();
workers(2);
no_shuffle();
run_tests();
check_records();


# TEST 2: the flood evicted flows, the victim's among them, and no nonce
my $m = $Metrics{flood} // {};
ok(($m->{'scep_flows_evicted_total{zone="devices"}'} // 0) > 0,
   "$0 - the flood evicted flows");
is($m->{'scep_flows_ended_total{last="PKIOperation",outcome="pending"}'}, 1,
   "$0 - the victim's flow was evicted, and counted as ended: PKIOperation, pending");
is($m->{'scep_flows_ended_total{last="GetCACert",outcome="none"}'},
   $m->{'scep_flows_evicted_total{zone="devices"}'} - 1,
   "$0 - every other flow evicted was a device of the flood");
is($m->{'scep_nonces_evicted_total{zone="devices"}'}, 0,
   "$0 - no senderNonce went with the flows");

# TEST 4: 70 nonces in a table of 64: the six oldest went, counted
is($Metrics{full}{'scep_nonces_evicted_total{zone="devices"}'}, 6,
   "$0 - scep_nonces_evicted_total: 70 nonces, room for 64");

# TEST 5: the two flows that timed out, counted when /metrics was read
$m = $Metrics{ended} // {};
is_deeply({ map { $_ => $m->{$_} } grep { /^scep_flows_ended_total/ } keys %$m },
          { 'scep_flows_ended_total{last="GetCACaps",outcome="none"}' => 1,
            'scep_flows_ended_total{last="PKIOperation",outcome="pending"}' => 1 },
          "$0 - scep_flows_ended_total: looked and left; enrolled, left pending");
is($m->{'scep_flows_active{zone="devices"}'}, 0,
   "$0 - no flow is left once they timed out");

__DATA__

=== TEST 1: a PKCSReq sent again after two others of its transaction is a replay (its nonce neither the flow's first nor its latest), and a retransmission
--- http_config
    scep_flow_zone devices:1m;
--- request eval
[map { ScepTest::pkiop_get(ScepTest::message($_)) }
     qw(pkcsreq-sha256.der pkcsreq-sha1.der pkcsreq-sha512.der pkcsreq-sha1.der)]
--- more_headers eval
[("User-Agent: older-device") x 4]
--- error_code eval
[200, 200, 200, 200]
--- record eval
[({ scep => { flow => { replay => JSON::PP::false },
              message => { retransmission => ScepTest::absent() } } }) x 3,
 { scep => { flow => { replay => JSON::PP::true },
             message => { retransmission => JSON::PP::true },
             reject => ScepTest::absent() } }]
--- no_error_log
[error]
[alert]



=== TEST 2: 400 new devices evict the victim's flow, not its senderNonce: a replay after the flood is still flagged, and refused
(the replay: the victim's PKCSReq re-encoded as BER, the same signed
attributes, other bytes)
--- http_config
    scep_flow_zone devices:32k;
--- init
my $r = ScepTest::fetch(main::nonce_get('nonce-000.der'), 'User-Agent: victim');
die "the victim's PKCSReq: $r" unless $r =~ m{^HTTP/1\.1 200 };
main::flood();
$main::Metrics{flood} = main::metrics_now();
--- request eval
main::nonce_get('nonce-000-ber.der')
--- more_headers
User-Agent: attacker
--- error_code: 403
--- response_body_like
^replay: the senderNonce was seen before, in another message, in flow [0-9a-f]{16}$
--- record eval
{ scep => { flow => { replay => JSON::PP::true },
            message => { retransmission => JSON::PP::false,
                         encoding => 'ber' },
            reject => { reason => 'replay', enforced => JSON::PP::true } } }
--- error_log eval
qr/\[warn\] .*scep: no memory in scep_flow_zone "devices" for a new flow at \d+ flows, evicting the least recently seen/
--- no_error_log
[alert]
[crit]



=== TEST 3: a client's retry, byte for byte, is a retransmission and forwarded with scep_reject_replay on; the same nonce in other bytes is refused
(the retry comes twice, the second time with sscep's %0A line breaks in
its base64: the same message; after the refused copy too)
--- http_config
    scep_flow_zone devices:1m;
--- request eval
[main::nonce_get('nonce-000.der'), main::nonce_get('nonce-000.der'),
 main::nonce_get('nonce-000-ber.der'), main::nonce_get('nonce-000.der', 'lf')]
--- more_headers eval
[("User-Agent: retrying-device") x 4]
--- error_code eval
[200, 200, 403, 200]
--- record eval
[{ scep => { flow => { replay => JSON::PP::false },
             message => { retransmission => ScepTest::absent() },
             upstream => { status => 200 } } },
 { scep => { flow => { replay => JSON::PP::true },
             message => { retransmission => JSON::PP::true },
             reject => ScepTest::absent(),
             upstream => { status => 200 } } },
 { scep => { flow => { replay => JSON::PP::true },
             message => { retransmission => JSON::PP::false },
             reject => { reason => 'replay', enforced => JSON::PP::true },
             upstream => ScepTest::absent() } },
 { scep => { flow => { replay => JSON::PP::true },
             message => { retransmission => JSON::PP::true },
             reject => ScepTest::absent(),
             upstream => { status => 200 } } }]
--- no_error_log
[error]
[alert]



=== TEST 4: a full nonce table lets its oldest nonces go, each counted in scep_nonces_evicted_total
(32k: room for 64 nonces, one for each 512 bytes; 70 are sent, the six
oldest go; the latest is still a replay, and so is the oldest left, until
a nonce sent again after it was pushed out pushes it out in turn)
--- http_config
    scep_flow_zone devices:32k;
--- init
for my $i (0 .. 69) {
    my $r = ScepTest::fetch(main::nonce_get(sprintf 'nonce-%03d.der', $i),
                            'User-Agent: filling-device');
    die "nonce-$i: $r" unless $r =~ m{^HTTP/1\.1 200 };
}
$main::Metrics{full} = main::metrics_now();
--- request eval
[map { main::nonce_get("nonce-$_.der") } qw(069 006 000 006)]
--- more_headers eval
[("User-Agent: filling-device") x 4]
--- error_code eval
[200, 200, 200, 200]
--- record eval
[{ scep => { flow => { replay => JSON::PP::true },
             message => { retransmission => JSON::PP::true } } },
 { scep => { flow => { replay => JSON::PP::true },
             message => { retransmission => JSON::PP::true } } },
 { scep => { flow => { replay => JSON::PP::false },
             message => { retransmission => ScepTest::absent() } } },
 { scep => { flow => { replay => JSON::PP::false },
             message => { retransmission => ScepTest::absent() } } }]
--- no_error_log
[error]
[alert]



=== TEST 5: flows that time out are counted by their last operation and outcome, when /metrics is read
(a device that asked for the CA and its caps and left, another whose
PKCSReq NDES left PENDING; timeout=1s, and no request after them but
/metrics)
--- http_config
    scep_flow_zone devices:1m timeout=1s;
--- init
for my $req (['GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca',
              'looked-and-left'],
             ['GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca',
              'looked-and-left'],
             [main::nonce_get('nonce-010.der'), 'left-pending'])
{
    my $r = ScepTest::fetch($req->[0], "User-Agent: $req->[1]");
    die "$req->[1]: $r" unless $r =~ m{^HTTP/1\.1 200 };
}
select undef, undef, undef, 1.5;
$main::Metrics{ended} = main::metrics_now();
--- request
GET /metrics
--- response_body_like: ^# HELP scep_requests_total 
--- no_error_log
[error]
[alert]
