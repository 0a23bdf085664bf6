# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# How a request joins a flow (issue 16): one flow is one enrolment attempt,
# its prelude and the PKIOperations of one transaction with their polls,
# and each record says on what evidence it joined (scep.flow.joined_by):
# transaction (transactionID and signer key), connection, address (within
# the prelude window), or new.  The messages are real signed CMS made by
# scep-gen --flows when the test runs: 40 devices with keys of their own,
# sscep's constant and jscep's counted transactionIDs, forgeries.  Each
# block plays its devices from addresses of its own (X-Forwarded-For, read
# by the realip module) and the records are checked at the end, as in
# t/040, whichever of the two workers took each request.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use File::Temp ();
use IO::Socket::INET;
use JSON::PP ();
use ScepTest;

$ENV{SCEP_GEN} //= 'build/scep-gen';

our $Flows = File::Temp::tempdir(CLEANUP => 1);
system("$ENV{SCEP_GEN} --flows $Flows") == 0
    or die "scep-gen --flows failed (SCEP_GEN=$ENV{SCEP_GEN})";

our $Server = scep_server(challenge => 'join-challenge');

$ENV{TEST_NGINX_DATA} = "$ScepTest::Top/t/data";

sub msg {
    my ($name) = @_;

    open my $in, '<:raw', "$Flows/$name" or die "$Flows/$name: $!";
    local $/;
    return scalar <$in>;
}

# a PKIOperation GET of one of scep-gen --flows' messages
sub op { ScepTest::pkiop_get(msg($_[0])) }

our $CA = '/certsrv/mscep/mscep.dll?operation=GetCACert&message=ca';
our $CAPS = '/certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca';

# one request on a connection of its own (HTTP/1.0, closed after it)
sub once {
    my ($req, $addr, $ua) = @_;

    my $r = ScepTest::fetch($req =~ /^GET / ? $req : "GET $req",
                            defined $addr ? "X-Forwarded-For: $addr" : (),
                            defined $ua ? "User-Agent: $ua" : ());
    my ($status) = $r =~ m{^HTTP/1\.\d (\d{3}) } or die "no answer: $r";
    return $status;
}

# a keepalive connection of its own, for talk()
sub connection {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => server_port())
        or die "connect: $!";
    return $s;
}

# one request on a keepalive connection; its status
sub talk {
    my ($s, $req, $addr, $ua) = @_;

    $req = "GET $req" unless $req =~ /^GET /;
    print $s "$req HTTP/1.1\r\nHost: localhost\r\n"
             . (defined $addr ? "X-Forwarded-For: $addr\r\n" : '')
             . (defined $ua ? "User-Agent: $ua\r\n" : '') . "\r\n";

    my $head = '';
    while ($head !~ /\r\n\r\n\z/) {
        sysread($s, $head, 1, length $head) or die "closed: $req";
    }

    my ($status) = $head =~ m{^HTTP/1\.1 (\d{3}) } or die "bad: $head";
    my ($len) = $head =~ /^Content-Length: (\d+)\r$/mi;
    die "no Content-Length: $head" unless defined $len;
    die "closed by nginx: $head" if $head =~ /^Connection: close\r$/mi;

    my $body = '';
    while (length $body < $len) {
        sysread($s, $body, $len - length $body, length $body)
            or die "closed in a body";
    }

    return $status;
}

default_config(<<'_EOC_');
    large_client_header_buffers 4 64k;
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    location /certsrv/mscep/ {
        scep on;
        scep_flow joins;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }

    location /data/ {
        default_type application/x-pki-message;
        root $TEST_NGINX_DATA;
        rewrite ^ /$ndes_file break;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', <<'_EOC_' . ($block->http_config // ''))
    scep_flow_zone joins:1m;

    map $arg_operation $ndes_file {
        GetCACert  getcacert-ca-ra.der;
        GetCACaps  getcacaps-ndes.txt;
        default    certrep-pending.der;
    }
_EOC_
        unless defined $block->http_config
               && $block->http_config =~ /scep_flow_zone/;
});

master_on();
workers(2);
no_shuffle();
run_tests();
check_records();

# the records of each block, by its client addresses (10.41.<block>.x),
# or, for those that come straight from 127.0.0.1, by User-Agent (t<block>)
my %by;
open my $in, '<', $ScepTest::Records or die $!;
while (<$in>) {
    my $rec = JSON::PP->new->decode($_);
    my $ip = $rec->{source}{ip} // '';
    my $flow = $rec->{scep}{flow} or next;
    my $ua = $rec->{user_agent}{original} // '';
    my $block = $ip =~ /^10\.41\.(\d+)\./ ? $1
              : $ua =~ /^t(\d+) / ? $1
              : $ua eq 'Go-http-client/1.1' ? 1 : next;
    push @{ $by{$block} }, {
        ip => $ip, ua => $rec->{user_agent}{original} // '-',
        op => $rec->{scep}{message}{type} // $rec->{scep}{operation},
        tid => $rec->{scep}{message}{transaction_id},
        dev => $rec->{scep}{message}{signer}{subject},
        reject => $rec->{scep}{reject} ? $rec->{scep}{reject}{reason} : '',
        ts => $rec->{'@timestamp'}, %$flow,
    };
}
close $in;

# "id step joined_by op" of each record of a block, ids named by order
sub story {
    my ($recs, @keys) = @_;

    my (%name, $n);
    return [map {
        my $r = $_;
        $name{ $r->{id} } //= 'f' . ++$n;
        join ' ', $name{ $r->{id} }, $r->{step}, $r->{joined_by},
                  map { defined $r->{$_} && $r->{$_} ne '' ? $r->{$_} : '-' }
                      @keys;
    } @$recs];
}

# every flow of a block holds the messages of one signer, one address
sub one_device_per_flow {
    my ($recs, $what) = @_;

    my %dev;
    for my $r (@$recs) {
        $dev{ $r->{id} }{"$r->{ip} $r->{dev}"} = 1 if defined $r->{dev};
    }
    my @mixed = grep { keys %{ $dev{$_} } > 1 } sort keys %dev;
    is("@mixed", '', "$0 - $what: no flow holds two devices' messages");
}

# every record of a flow carries the flow's first @timestamp
sub started_is_first {
    my ($recs, $what) = @_;

    my (%first, @bad);
    for my $r (@$recs) {
        $first{ $r->{id} } //= $r->{ts} if $r->{step} == 1;
        push @bad, "$r->{id}/$r->{step}: $r->{started}"
            if defined $first{ $r->{id} } && $r->{started} ne $first{ $r->{id} };
    }
    is("@bad", '', "$0 - $what: scep.flow.started is the first request's \@timestamp");
}

# TEST 1: scepclient, a real client, over its own keepalive connection
is_deeply(story($by{1}, 'op'),
          ['f1 1 new GetCACert', 'f1 2 connection GetCACaps',
           'f1 3 connection PKCSReq'],
          "$0 - scepclient: GetCACert, GetCACaps, PKCSReq, one flow, joined by its connection");
is($by{1}[2]{outcome} // '', 'issued', "$0 - scepclient's flow: issued");
started_is_first($by{1}, 'scepclient');

# TEST 2: jscep's counted and sscep's constant transactionIDs
is_deeply(story($by{2}, 'ip', 'op', 'tid'),
          ['f1 1 new 10.41.2.1 PKCSReq 0',
           'f2 1 new 10.41.2.1 PKCSReq 0',
           'f1 2 transaction 10.41.2.1 CertPoll 0',
           'f2 2 transaction 10.41.2.1 CertPoll 0',
           'f3 1 new 10.41.2.2 GetCRL SSCEP transactionId',
           'f4 1 new 10.41.2.3 GetCRL SSCEP transactionId',
           'f3 2 address 10.41.2.2 GetCert SSCEP transactionId',
           'f4 2 address 10.41.2.3 GetCert SSCEP transactionId'],
          "$0 - two devices' transactionIDs 0 and SSCEP transactionId: each device's own flows");
one_device_per_flow($by{2}, 'jscep and sscep transactionIDs');

# TEST 3: twenty devices behind one address, one User-Agent
my %dev3;
for my $r (@{ $by{3} }) {
    push @{ $dev3{ $r->{id} } }, $r;
}
my @pkcs3 = grep { $_->{op} eq 'PKCSReq' } @{ $by{3} };
my %ids3 = map { $_->{id} => 1 } @pkcs3;
is(scalar @pkcs3, 20, "$0 - twenty PKCSReqs behind one address");
is(scalar keys %ids3, 20, "$0 - twenty devices behind one address: twenty flows");
is_deeply([sort map { join ' ', map { "$_->{step}:$_->{joined_by}:$_->{op}" } @$_ }
                values %dev3],
          [('1:new:GetCACaps 2:connection:GetCACert 3:connection:PKCSReq'
            . ' 4:transaction:CertPoll') x 20],
          "$0 - each device's flow: its GetCACaps, GetCACert, PKCSReq and CertPoll");
one_device_per_flow($by{3}, 'twenty devices behind one address');
started_is_first($by{3}, 'twenty devices');

# TEST 4: no User-Agent (sscep, certmonger), two devices behind one address
is_deeply(story($by{4}, 'ua', 'op'),
          ['f1 1 new - GetCACert', 'f1 2 address - PKCSReq',
           'f2 1 new - GetCACert', 'f2 2 address - PKCSReq',
           'f1 3 transaction - CertPoll', 'f2 3 transaction - CertPoll'],
          "$0 - no User-Agent: two devices, two flows, each with its own transaction");

# TEST 5: a forged message with the victim's transactionID
is_deeply(story($by{5}, 'ua', 'op', 'reject', 'outcome'),
          ['f1 1 new victim PKCSReq - pending',
           'f2 1 new attacker PKCSReq signature_invalid rejected',
           'f3 1 new attacker PKCSReq signature_invalid rejected',
           'f1 2 transaction victim CertPoll - pending'],
          "$0 - forged messages, another key or a spoilt signature: flows of their own; the victim's flow stays pending at step 2");

my ($victim) = grep { $_->{op} eq 'CertPoll' } @{ $by{5} };
my %forged = map { $_->{id} => 1 } grep { $_->{ua} eq 'attacker' } @{ $by{5} };
is(join(' ', $victim->{step}, $victim->{outcome}, $forged{ $victim->{id} } ? 'touched' : 'own'),
   '2 pending own', "$0 - the victim's CertPoll: step 2 of its flow, pending, no forgery in it");

# TEST 6: a CertPoll from another address joins by transaction and signer
is_deeply(story($by{6}, 'ip', 'op', 'moved'),
          ['f1 1 new 10.41.6.1 PKCSReq -',
           'f1 2 transaction 10.41.6.200 CertPoll 1'],
          "$0 - a CertPoll from another address: joined_by transaction, moved");
started_is_first($by{6}, 'moved CertPoll');

# TESTs 7 and 8: one device's prelude and PKCSReq, keepalive or not
is_deeply(story($by{7}, 'op'),
          ['f1 1 new GetCACert', 'f1 2 connection GetCACaps',
           'f1 3 connection PKCSReq'],
          "$0 - GetCACert, GetCACaps, PKCSReq over keepalive: joined by connection");
is_deeply(story($by{8}, 'op', 'outcome'),
          ['f1 1 new GetCACert -', 'f1 2 address GetCACaps -',
           'f1 3 address PKCSReq pending'],
          "$0 - the same over new connections: joined by address");
started_is_first($by{8}, 'new connections');

# TEST 9: the prelude window
is_deeply(story($by{9}, 'op'),
          ['f1 1 new GetCACert', 'f2 1 new PKCSReq'],
          "$0 - a PKCSReq after the prelude window (prelude=1s): a new flow");

# TEST 10: a new transaction from the address of a flow that holds one
is_deeply(story($by{10}, 'op'),
          ['f1 1 new GetCACert', 'f1 2 address PKCSReq',
           'f2 1 new PKCSReq', 'f3 1 new GetCACert'],
          "$0 - another transaction, and a prelude after one: new flows");

# TEST 11: a device that closed its keepalive connection
is_deeply(story($by{11}, 'op'),
          ['f1 1 new GetCACert', 'f1 2 connection GetCACaps',
           'f1 3 address PKCSReq'],
          "$0 - its keepalive connection closed, the PKCSReq on a new one joins by address");

# TEST 13: a proxy's connection carries two devices (the records of two
# workers, in the order of the addresses and steps)
is_deeply(story([sort { $a->{ip} cmp $b->{ip} || $a->{step} <=> $b->{step} }
                      @{ $by{13} }], 'ip', 'op'),
          ['f1 1 new 10.41.13.1 GetCACert', 'f1 2 address 10.41.13.1 GetCACaps',
           'f2 1 new 10.41.13.2 GetCACert'],
          "$0 - one connection of a proxy, two client addresses: two flows, not joined by connection");

__DATA__

=== TEST 1: scepclient enrols: its GetCACert, GetCACaps and PKCSReq join by its keepalive connection
--- config
    location /certsrv/mscep/ {
        scep on;
        scep_flow joins;
        rewrite ^ /scep break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }
--- init
ScepTest::enrol(server => $main::Server, challenge => 'join-challenge',
                cn => 'join-device',
                url => "http://127.0.0.1:" . server_port()
                       . "/certsrv/mscep/mscep.dll",
                result => html_dir() . "/join-device");
--- request
GET /join-device
--- response_body
issued



=== TEST 2: jscep's transactionID 0 from two devices at one address with one User-Agent, and sscep's constant one from two others without User-Agent
--- init
# two jscep devices behind one address, one User-Agent
main::once(main::op('dev01-jscep-0.der'), '10.41.2.1', 'Java/17.0.13') == 200 or die;
main::once(main::op('dev02-jscep-0.der'), '10.41.2.1', 'Java/17.0.13') == 200 or die;
main::once(main::op('dev01-jscep-poll-0.der'), '10.41.2.1', 'Java/17.0.13') == 200 or die;
main::once(main::op('dev02-jscep-poll-0.der'), '10.41.2.1', 'Java/17.0.13') == 200 or die;
# two sscep devices, no User-Agent, each its own address
main::once(main::op('dev03-getcrl.der'), '10.41.2.2') == 200 or die;
main::once(main::op('dev04-getcrl.der'), '10.41.2.3') == 200 or die;
main::once(main::op('dev03-getcert.der'), '10.41.2.2') == 200 or die;
--- request eval
main::op('dev04-getcert.der')
--- more_headers
X-Forwarded-For: 10.41.2.3
--- error_code: 200



=== TEST 3: twenty devices behind one address with one User-Agent, interleaved, each on its own connections
(straight from 127.0.0.1: through a proxy's connection, realip, an open
keepalive connection says nothing of a device)
--- init
my @dev = map { sprintf 'dev%02d', $_ } 20 .. 39;
my $ua = 't3 Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)';
my %c = map { $_ => main::connection() } @dev;
for my $step ($main::CAPS, $main::CA, 'pkcsreq') {
    for my $d (@dev) {
        my $req = $step eq 'pkcsreq' ? main::op("$d-pkcsreq.der") : $step;
        main::talk($c{$d}, $req, undef, $ua) == 200 or die "$d $step";
    }
}
close $_ for values %c;
# the polls, each on a new connection, in another order
for my $d (reverse @dev[1 .. $#dev]) {
    main::once(main::op("$d-certpoll.der"), undef, $ua) == 200 or die;
}
--- request eval
main::op('dev20-certpoll.der')
--- more_headers
User-Agent: t3 Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)
--- error_code: 200



=== TEST 4: no User-Agent: two devices behind one address, each with its own prelude and transaction, on new connections
--- init
main::once($main::CA, '10.41.4.1') == 200 or die;
main::once(main::op('dev04-pkcsreq.der'), '10.41.4.1') == 200 or die;
main::once($main::CA, '10.41.4.1') == 200 or die;
main::once(main::op('dev05-pkcsreq.der'), '10.41.4.1') == 200 or die;
main::once(main::op('dev04-certpoll.der'), '10.41.4.1') == 200 or die;
--- request eval
main::op('dev05-certpoll.der')
--- more_headers
X-Forwarded-For: 10.41.4.1
--- error_code: 200



=== TEST 5: a forged message with the victim's transactionID (another key, or the victim's certificate with a spoilt signature) does not touch the victim's flow
--- init
main::once(main::op('dev00-pkcsreq.der'), '10.41.5.1', 'victim') == 200 or die;
main::once(main::op('forged-dev00.der'), '10.41.5.66', 'attacker') == 400 or die;
main::once(main::op('forged-cert-dev00.der'), '10.41.5.66', 'attacker') == 400 or die;
--- request eval
main::op('dev00-certpoll.der')
--- more_headers
X-Forwarded-For: 10.41.5.1
User-Agent: victim
--- error_code: 200



=== TEST 6: a CertPoll from another address joins the PKCSReq's flow by transaction and signer, and says it moved
--- init
main::once(main::op('dev06-pkcsreq.der'), '10.41.6.1', 'roaming') == 200 or die;
--- request eval
main::op('dev06-certpoll.der')
--- more_headers
X-Forwarded-For: 10.41.6.200
User-Agent: roaming
--- error_code: 200
--- record eval
{ scep => { flow => { step => 2, joined_by => 'transaction', moved => JSON::PP::true,
                      started => qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
                      outcome => 'pending' } } }



=== TEST 7: GetCACert, GetCACaps, PKCSReq from one device over keepalive: joined by connection
--- init
my $c = main::connection();
main::talk($c, $main::CA, '10.41.7.1', 'keepalive-device') == 200 or die;
main::talk($c, $main::CAPS, '10.41.7.1', 'keepalive-device') == 200 or die;
main::talk($c, main::op('dev07-pkcsreq.der'), '10.41.7.1', 'keepalive-device') == 200 or die;
close $c;
--- request
GET /t
--- error_code: 404



=== TEST 8: the same over new connections: joined by address
--- init
main::once($main::CA, '10.41.8.1', 'fresh-device') == 200 or die;
main::once($main::CAPS, '10.41.8.1', 'fresh-device') == 200 or die;
--- request eval
main::op('dev08-pkcsreq.der')
--- more_headers
X-Forwarded-For: 10.41.8.1
User-Agent: fresh-device
--- error_code: 200
--- record eval
{ scep => { flow => { step => 3, joined_by => 'address',
                      sequence => ['GetCACert', 'GetCACaps', 'PKIOperation'] } } }



=== TEST 9: prelude=1s: a PKCSReq two seconds after the GetCACert starts a new flow
--- http_config
    scep_flow_zone joins:1m prelude=1s;

    map $arg_operation $ndes_file {
        GetCACert  getcacert-ca-ra.der;
        GetCACaps  getcacaps-ndes.txt;
        default    certrep-pending.der;
    }
--- init
main::once($main::CA, '10.41.9.1', 'slow-device') == 200 or die;
select undef, undef, undef, 2;
--- request eval
main::op('dev09-pkcsreq.der')
--- more_headers
X-Forwarded-For: 10.41.9.1
User-Agent: slow-device
--- error_code: 200



=== TEST 10: a PKCSReq of a new transaction from an address whose flow holds another starts a new flow, and so does a prelude after it
--- init
main::once($main::CA, '10.41.10.1', 'shared') == 200 or die;
main::once(main::op('dev10-pkcsreq.der'), '10.41.10.1', 'shared') == 200 or die;
main::once(main::op('dev11-pkcsreq.der'), '10.41.10.1', 'shared') == 200 or die;
--- request eval
"GET $main::CA"
--- more_headers
X-Forwarded-For: 10.41.10.1
User-Agent: shared
--- error_code: 200



=== TEST 11: a device closes its keepalive connection after its prelude and sends its PKCSReq on a new one
(while the connection was open a request on another one would have been
another device's, as in TEST 3)
--- init
my $c = main::connection();
main::talk($c, $main::CA, undef, 't11 reconnecting') == 200 or die;
main::talk($c, $main::CAPS, undef, 't11 reconnecting') == 200 or die;
close $c;
# nginx sees the connection close
select undef, undef, undef, 0.5;
--- request eval
main::op('dev12-pkcsreq.der')
--- more_headers
User-Agent: t11 reconnecting
--- error_code: 200



=== TEST 13: a load balancer's keepalive connection carries two devices' requests (realip): they are not joined by connection
--- init
my $c = main::connection();
main::talk($c, $main::CA, '10.41.13.1', 'behind-lb') == 200 or die;
main::talk($c, $main::CA, '10.41.13.2', 'behind-lb') == 200 or die;
close $c;
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca
--- more_headers
X-Forwarded-For: 10.41.13.1
User-Agent: behind-lb
--- error_code: 200



=== TEST 12: prelude= must be a time
--- http_config
    scep_flow_zone joins:1m prelude=soon;
--- config
--- must_die
--- error_log
invalid prelude "prelude=soon"
