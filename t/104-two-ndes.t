# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# Two NDES behind one edge, as docs/ops-guide.md shows them: an upstream
# with "hash $remote_addr consistent", so that each device's GetCACert and
# its PKIOperation reach the same NDES (the device encrypts its request to
# the RA certificate that server's GetCACert gave, and NDES keeps its
# challenges per server).  NDES A's RA certificates have expired, B's are
# healthy: the RA state and the diagnosis are per upstream server, so a
# 500 from A is ndes_ra_cert_expired and a 500 from B ndes_internal_error,
# and each record's scep.upstream.addr names the server.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use ScepTest;

$ENV{TEST_NGINX_DATA} = "$ScepTest::Top/t/data";

# the devices, behind an L7 balancer that names them in X-Forwarded-For
our @Devices = map { "10.18.0.$_" } 1 .. 24;

our $Req = ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha256.der'));

no_shuffle();
run_tests();
check_records();


# each device's two records, by its address, in the order sent
my %dev;
open my $in, '<', $ScepTest::Records or die $!;
while (<$in>) {
    my $rec = JSON::PP->new->decode($_);
    push @{$dev{$rec->{source}{ip}}}, $rec;
}
close $in;

my $port = server_port();
my %ndes = ("127.0.0.3:$port" => 'A', "127.0.0.4:$port" => 'B');
my %diag = (A => 'ndes_ra_cert_expired', B => 'ndes_internal_error');
my (%seen, @bad);

for my $ip (@Devices) {
    my @r = @{$dev{$ip} // []};
    my @ops = map { $_->{scep}{operation} } @r;
    my @addr = map { $_->{scep}{upstream}{addr} // '-' } @r;

    if ("@ops" ne 'GetCACert PKIOperation') {
        push @bad, "$ip: @ops";
        next;
    }

    my $server = $ndes{$addr[0]};

    if (!defined $server || $addr[1] ne $addr[0]) {
        push @bad, "$ip: GetCACert from $addr[0], PKIOperation from $addr[1]";
        next;
    }

    $seen{$server}++;

    my ($st, $code) = ($r[1]{http}{response}{status_code},
                       $r[1]{scep}{diagnosis}{code} // '-');
    push @bad, "$ip: NDES $server, $st $code, not 500 $diag{$server}"
        unless $st == 500 && $code eq $diag{$server};

    my $w = join ',', map { $_->{code} } @{$r[0]{scep}{response}{warnings} // []};
    push @bad, "$ip: NDES ${server}'s GetCACert warned '$w'"
        unless ($server eq 'A') == ($w =~ /\bra_cert_expired\b/);
}

ok(!@bad, "$0 - each device's GetCACert and PKIOperation reached one NDES, and its 500 was diagnosed by that NDES's RA state")
    or diag(join "\n", @bad);

# 24 devices on two servers of a consistent hash: both have some (all on
# one would be a chance of 2^-23, or a hash that ignores the address)
ok($seen{A} && $seen{B},
   "$0 - the devices spread over both NDES: A " . ($seen{A} // 0)
   . ", B " . ($seen{B} // 0));

__DATA__

=== TEST 1: each device's GetCACert, then its PKIOperation, which NDES answers 500
--- http_config
    upstream ndes {
        hash $remote_addr consistent;
        server 127.0.0.3:$TEST_NGINX_SERVER_PORT;
        server 127.0.0.4:$TEST_NGINX_SERVER_PORT;
    }

    # NDES A: its MSCEP-RA certificates have expired
    server {
        listen 127.0.0.3:$TEST_NGINX_SERVER_PORT;

        location / {
            if ($arg_operation != GetCACert) {
                return 500 "MSCEP error\n";
            }
            default_type application/x-x509-ca-ra-cert;
            root $TEST_NGINX_DATA;
            rewrite ^ /getcacert-ra-expired.der break;
        }
    }

    # NDES B: healthy RA certificates, and a 500 all the same
    server {
        listen 127.0.0.4:$TEST_NGINX_SERVER_PORT;

        location / {
            if ($arg_operation != GetCACert) {
                return 500 "MSCEP error\n";
            }
            default_type application/x-x509-ca-ra-cert;
            root $TEST_NGINX_DATA;
            rewrite ^ /getcacert-ca-ra.der break;
        }
    }
--- config
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://ndes;
    }

    location = /check {
        root html;
    }
--- init
my @problems;

for my $ip (@main::Devices) {
    for my $req ('GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca',
                 $main::Req) {
        my $r = ScepTest::fetch($req, "X-Forwarded-For: $ip");
        push @problems, "$ip: " . substr($r // '', 0, 40)
            unless ($r // '') =~ m{^HTTP/1\.1 (200|500) };
    }
}

ScepTest::report(@problems);
--- request
GET /check
--- response_body
ok
--- no_error_log
[alert]
[crit]
