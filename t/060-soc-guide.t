# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# The jq queries of docs/soc-guide.md, run as written against the records
# this file produces: a real enrolment (scepclient, scepserver), a device
# left PENDING that sends its PKCSReq twice, NDES answering 500 and 503, a
# GetCACert with an expired RA certificate, a rejected request, CertReps
# carrying NDES's error code.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use ScepTest;

our $Server = scep_server(challenge => 'soc-challenge');

$ENV{TEST_NGINX_DATA} = "$ScepTest::Top/t/data";

default_config(<<'_EOC_');
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        scep_flow devices;
        rewrite ^ /scep break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }

    location /pending/ {
        scep on;
        scep_flow devices;
        rewrite ^ /data/certrep-pending.der break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }

    location /expired/ {
        scep on;
        scep_flow devices;
        rewrite ^ /data/getcacert-ra-expired.der break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }

    location /ndes-error/ {
        scep on;
        rewrite ^ /data/certrep-ndes-revocation-offline.der break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }

    location /ndes-unknown/ {
        scep on;
        rewrite ^ /data/certrep-ndes-unknown.der break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }

    location /ndes500/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/status500/;
    }

    location /ndes503/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/status503/;
    }

    location /failure/ {
        scep on;
        rewrite ^ /data/certrep-failure-badrequest.der break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }

    location /bare/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/status403/;
    }

    location /status403/ {
        return 403;
    }

    location /status500/ {
        return 500;
    }

    location /status503/ {
        return 503;
    }

    location /data/ {
        alias $TEST_NGINX_DATA/;
    }
_EOC_

no_shuffle();
run_tests();
check_records();


# the records, and the flow of scepclient's enrolment
my (@recs, $flow, $pending_flow);
open my $in, '<', $ScepTest::Records or die $!;
while (<$in>) {
    my $rec = JSON::PP->new->decode($_);
    push @recs, $rec;
    my $ua = $rec->{user_agent}{original} // '';
    $flow //= $rec->{scep}{flow}{id} if $ua eq 'Go-http-client/1.1';
    $pending_flow //= $rec->{scep}{flow}{id} if $ua eq 'pending-device';
}
close $in;

ok(defined $flow && defined $pending_flow, "$0 - the enrolment's and the PENDING device's flows");

# each query of the guide, as written
my $guide = do {
    local $/;
    open my $g, '<', "$ScepTest::Top/docs/soc-guide.md" or die $!;
    <$g>;
};

my %query;
while ($guide =~ m{<!-- query: ([\w-]+) -->\n```sh\n(.*?)```}sg) {
    $query{$1} = $2;
}

sub run_query {
    my ($name) = @_;
    local $ENV{LOG} = $ScepTest::Records;
    local $ENV{IP} = '127.0.0.1';
    local $ENV{FLOW} = $flow // '';
    local $ENV{TIMEOUT} = 0;    # every flow here counts as ended
    open my $sh, '-|', 'bash', '-e', '-o', 'pipefail', '-c',
                       "exec 2>&1\n$query{$name}" or die "bash: $!";
    my $out = do { local $/; <$sh> } // '';
    close $sh;
    Test::More::diag("$name: exit " . ($? >> 8) . ": $out") if $?;
    return $out;
}

my %expect = (
    'device-flows' => sub {
        like($_[0], qr/^\Q$flow\E\tGo-http-client\/1\.1$/m,
             "$0 - device-flows: scepclient's flow");
        like($_[0], qr/^\Q$pending_flow\E\tpending-device$/m,
             "$0 - device-flows: the PENDING device's flow");
    },
    'timeline' => sub {
        my @rows = map { [split /\t/] } split /\n/, $_[0];
        is_deeply([map { join ' ', @$_[1 .. 7] } @rows],
                  ['1 127.0.0.1 new GetCACert - 200 -',
                   '2 127.0.0.1 connection GetCACaps - 200 -',
                   '3 127.0.0.1 connection PKIOperation PKCSReq 200 SUCCESS'],
                  "$0 - timeline: the enrolment's three steps from its address, joined by its connection, issued");
        like(join(' ', @{$rows[2] // []}[9, 10]), qr/^\S+ [0-9a-f]{32}$/,
             "$0 - timeline: the PKCSReq's transactionID and senderNonce");
        is(join(' ', @{$rows[0] // []}[9, 10]), '- -',
           "$0 - timeline: none for GetCACert");
    },
    'failures-by-cause' => sub {
        # the 500 came from the upstream whose GetCACert showed an expired RA
        like($_[0], qr/^\s*2 ndes_ra_cert_expired$/m, "$0 - failures: the two 500s, told apart");
        like($_[0], qr/^\s*1 scep_failure_bad_request$/m,
             "$0 - failures: the CertRep FAILURE, an HTTP 200");
        unlike($_[0], qr/ndes_reachable|http_403/,
               "$0 - failures: the healthy 403 of the bare URL is not one");
        like($_[0], qr/^\s*1 ndes_app_pool_stopped$/m, "$0 - failures: the 503");
        like($_[0], qr/^\s*1 unknown_operation$/m, "$0 - failures: the rejected request");
        unlike($_[0], qr/scep_pending/, "$0 - failures: PENDING is not one");
    },
    'ndes-errors' => sub {
        is($_[0], "      2 0x80092013\tCRYPT_E_REVOCATION_OFFLINE\tndes_error_revocation_offline\n"
                  . "      1 0x8badf00d\t-\tndes_error_unknown\n",
           "$0 - ndes-errors: NDES's error codes by count, named when known");
    },
    'issued' => sub {
        my @rows = map { [split /\t/] } split /\n/, $_[0];
        is(scalar @rows, 1, "$0 - issued: the one enrolment issued");
        is(join(' ', @{$rows[0] // []}[0, 1, 2]), "$flow 127.0.0.1 Go-http-client/1.1",
           "$0 - issued: scepclient's flow");
        my ($started) = map { $_->{scep}{flow}{started} }
                        grep { ($_->{scep}{flow}{id} // '') eq $flow } @recs;
        my ($done) = map { $_->{'@timestamp'} }
                     grep { ($_->{scep}{response}{pki_status} // '') eq 'SUCCESS' } @recs;
        my $want = (ms($done) - ms($started)) / 1000;
        ok(defined $rows[0] && $rows[0][5] =~ /^[\d.]+$/ && abs($rows[0][5] - $want) < 0.0005,
           "$0 - issued: its duration, $want s from $started to $done");
    },
    'outages' => sub {
        my @rows = map { [split /\t/] } split /\n/, $_[0];
        my @data = grep { $_->[0] eq "127.0.0.1:" . server_port() } @rows;
        is_deeply([map { $_->[3] } @data], [2, 1],
                  "$0 - outages: the 500 and 503 in a row, then the 500 after the 403");
        is(scalar @rows, scalar @data, "$0 - outages: none of scepserver");
        ok(@data == 2 && $data[0][1] le $data[0][2] && $data[0][2] le $data[1][1],
           "$0 - outages: the windows' first and last records, in order");
    },
    'attack-sources' => sub {
        like($_[0], qr/\A\s*1 127\.0\.0\.1\tunknown_operation\n\z/,
             "$0 - attack-sources: the one rejected request, by address");
    },
    'stuck-pending' => sub {
        like($_[0], qr/\A\Q$pending_flow\E\t127\.0\.0\.1\tpending-device\t\d{4}-\d\d-\d\dT[\d:.]+Z\n\z/,
             "$0 - stuck-pending: the one device NDES left PENDING");
    },
    'ra-expiry' => sub {
        like($_[0], qr/^127\.0\.0\.1:\d+\t[^\t]+\t[-\dT:]+Z\tEXPIRED$/m,
             "$0 - ra-expiry: the expired RA certificate");
    },
    'ra-warnings' => sub {
        # scepserver's answer has no RA; the NDES stand-in's are expired
        like($_[0], qr/\A127\.0\.0\.1:\d+\tra_cert_expired\tCN=NDES-MSCEP-RA,O=ngx_scep fixtures,C=US\n\z/,
             "$0 - ra-warnings: the expired RA certificates, once, by upstream");
    },
    'clock-skew' => sub {
        # the fixtures are signed on 2026-01-15; scepclient now
        my @rows = map { [split /\t/] } split /\n/, $_[0];
        my @fixtures = grep { ($_->{scep}{message}{clock_skew} // 0) < -300 } @recs;
        my ($client) = map { $_->{scep}{message}{transaction_id} }
                       grep { ($_->{user_agent}{original} // '') eq 'Go-http-client/1.1'
                              && defined $_->{scep}{message}{transaction_id} } @recs;
        is(scalar @rows, scalar @fixtures,
           "$0 - clock-skew: each PKIOperation of a fixture, " . scalar(@fixtures) . " of them");
        ok(@rows && !grep({ $_->[3] !~ /^-\d+$/ || $_->[3] > -300
                            || $_->[4] ne 'signing_time' } @rows),
           "$0 - clock-skew: all behind, by more than five minutes, from signingTime");
        ok(defined $client && !grep({ $_->[2] eq $client } @rows),
           "$0 - clock-skew: not scepclient's, signed now");
    },
    'rejects' => sub {
        like($_[0], qr/\A\s*1 unknown_operation\trejected\n\z/,
             "$0 - rejects: the one rejected request");
    },
    'truncated' => sub {
        like($_[0], qr/\A[\d-]+T[\d:.]+Z\t127\.0\.0\.1\tGetCACaps\tuser_agent\.original\n\z/,
             "$0 - truncated: the one request whose User-Agent was cut");
    },
    'looked-and-left' => sub {
        my %left = map { my @f = split /\t/; ($f[2] =~ s{/x+\z}{}r, $f[3]) }
                   split /\n/, $_[0];
        is_deeply(\%left,
                  { 'looked-and-left' => 'GetCACert,GetCACaps',
                    'monitor' => 'GetCACert', 'long-agent' => 'GetCACaps' },
                  "$0 - looked-and-left: the flows of GetCACert and GetCACaps only, none with a PKIOperation");
    },
    'replays' => sub {
        my @lines = split /\n/, $_[0];
        is(scalar @lines, 1, "$0 - replays: the second PKCSReq, and only it");
        my $r = eval { JSON::PP->new->decode($lines[0] // '') } // {};
        is("$r->{flow} $r->{ip} " . ($r->{rejected} ? 'rejected' : 'forwarded'),
           "$pending_flow 127.0.0.1 forwarded", "$0 - replays: its flow, forwarded");
    },
);

is_deeply([sort keys %query], [sort keys %expect],
          "$0 - every query of the guide is checked here");

# the guide's jq definition, in Perl: milliseconds since the epoch
sub ms {
    my ($y, $mo, $d, $h, $mi, $s, $ms) =
        $_[0] =~ /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)\.(\d{3})Z$/ or return 0;
    require Time::Local;
    return Time::Local::timegm($s, $mi, $h, $d, $mo - 1, $y) * 1000 + $ms;
}

for my $name (sort keys %query) {
    next unless $expect{$name};
    $expect{$name}->(run_query($name));
}

__DATA__

=== TEST 1: an enrolment, a device left PENDING, NDES failures, an expired RA
--- http_config
    scep_flow_zone devices:1m;
--- init
ScepTest::enrol(server => $main::Server, challenge => 'soc-challenge',
                url => "http://127.0.0.1:" . server_port()
                       . "/certsrv/mscep/mscep.dll",
                result => html_dir() . "/enrolment");

my $pkcsreq = ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha256.der'),
                                  'percent', '/pending/mscep.dll');
my $refused = ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha1.der'),
                                  'percent', '/ndes-error/mscep.dll');
my $unknown = ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha1.der'),
                                  'percent', '/ndes-unknown/mscep.dll');
my @sent = (
    [$refused, 'refused-device', 200],
    [$refused, 'refused-device', 200],
    [$unknown, 'refused-device', 200],
    [$pkcsreq, 'pending-device', 200],
    [$pkcsreq, 'pending-device', 200],
    ['GET /expired/mscep.dll?operation=GetCACert&message=ca', 'monitor', 200],
    [ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha512.der'), 'percent',
                         '/failure/mscep.dll'), 'refused-device', 200],
    ['GET /ndes500/mscep.dll?operation=GetCACaps&message=ca', 'device-500', 500],
    ['GET /ndes503/mscep.dll?operation=GetCACaps&message=ca', 'device-503', 503],
    ['GET /bare/mscep.dll', 'probe', 403],
    ['GET /ndes500/mscep.dll?operation=GetCACaps&message=ca', 'device-500', 500],
    ['GET /certsrv/mscep/mscep.dll?operation=Fetch', 'scanner', 400],
    ['GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca',
     'long-agent/' . ('x' x 300), 200],
    ['GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca',
     'looked-and-left', 200],
    ['GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca',
     'looked-and-left', 200],
);

for my $s (@sent) {
    my $r = ScepTest::fetch($s->[0], "User-Agent: $s->[1]");
    $r =~ m{^HTTP/1\.1 $s->[2] } or die "$s->[1]: expected $s->[2], got $r";
}
--- request
GET /enrolment
--- response_body
issued
