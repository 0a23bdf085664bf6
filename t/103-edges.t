# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# Two edges behind an nginx stream balancer ("hash $remote_addr
# consistent", PROXY protocol to the edges), as docs/ops-guide.md shows
# them: the nginx under test is edge A, the balancer and the NDES
# stand-in; edge B is a second nginx of its own, started and stopped here.
# Devices from 127.0.0.10 to 127.0.0.41 each stay on one edge, whose name
# their records carry (observer.hostname); flow ids are each edge's own;
# once edge B is stopped, a device of B moves to A, and the SOC guide's
# query joins its records across the two logs by transactionID and flow
# id.  Then scep_observer_name's default and its checks.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use ScepTest;

use File::Temp qw(tempdir);

$ENV{TEST_NGINX_DATA} = "$ScepTest::Top/t/data";

our $Dir = tempdir('scep-edges-XXXXXX', TMPDIR => 1, CLEANUP => 1);
our %Log = (a => "$Dir/edge-a.log", b => "$Dir/edge-b.log");
our @Devices = map { "127.0.0.$_" } 10 .. 41;
our $Tid = '9C1772A8FC4F148942002741E35CEFDE7C69796E';

$ENV{TEST_NGINX_EDGE_A_PORT} = ScepTest::free_port();
$ENV{TEST_NGINX_EDGE_B_PORT} = ScepTest::free_port();
$ENV{TEST_NGINX_BALANCER_PORT} = ScepTest::free_port();
$ENV{TEST_NGINX_EDGE_A_LOG} = $Log{a};

my $Bin = $ENV{TEST_NGINX_BINARY} // "$ScepTest::Top/t/lib/nginx";

# Debian builds the stream module as a dynamic one; nginx.org's builds
# and the releases of make test-nginx have it built in
my $V = `$Bin -V 2>&1`;
my ($modules) = $V =~ /--modules-path=(\S+)/;
$ENV{TEST_NGINX_STREAM_MODULE} = $V =~ /--with-stream=dynamic/
    ? 'load_module ' . ($modules // 'modules') . '/ngx_stream_module.so;' : '';


# Edge B: another nginx, its own prefix, configuration and log, the same
# module and the same stand-in NDES (the nginx under test, once started)

our $EdgeB;

sub edge_b {
    mkdir "$Dir/logs";

    my $load = join '', map { "load_module $_;\n" }
                        split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '';

    open my $conf, '>', "$Dir/nginx.conf" or die $!;
    print $conf <<"_EOC_";
${load}daemon off;
master_process on;
worker_processes 1;
error_log $Dir/logs/error.log info;
pid $Dir/nginx.pid;

events {
    worker_connections 64;
}

http {
    log_format scep_json escape=none '\$scep_log_json';
    scep_observer_name edge-b;
    scep_flow_zone devices:1m;

    server {
        listen 127.0.0.1:$ENV{TEST_NGINX_EDGE_B_PORT} proxy_protocol;
        set_real_ip_from 127.0.0.1;
        real_ip_header proxy_protocol;
        access_log $Log{b} scep_json if=\$scep_log_json;

        location /certsrv/mscep/ {
            scep on;
            scep_flow devices;
            add_header X-Edge edge-b always;
            proxy_pass http://127.0.0.1:@{[ server_port() ]}/ndes/;
        }
    }
}
_EOC_
    close $conf;

    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', "$Dir/logs/stdout.log";
        open STDERR, '>&', \*STDOUT;
        exec $Bin, '-p', $Dir, '-c', "$Dir/nginx.conf" or POSIX::_exit(127);
    }

    $EdgeB = $pid;
    ScepTest::wait_port($ENV{TEST_NGINX_EDGE_B_PORT});
}

sub edge_b_stop {
    return unless $EdgeB;
    kill 'TERM', $EdgeB;
    waitpid $EdgeB, 0;
    undef $EdgeB;
}

END {
    local $?;
    edge_b_stop();
}


# One request on a connection of its own, through the balancer, from the
# device's address: [the edge that answered, the status]

sub via {
    my ($ip, $request) = @_;

    my $s = IO::Socket::INET->new(LocalAddr => $ip, PeerAddr => '127.0.0.1',
                                  PeerPort => $ENV{TEST_NGINX_BALANCER_PORT})
        or return ['-', "connect from $ip: $!"];

    print $s "$request HTTP/1.0\r\nHost: ndes.example.com\r\n"
             . "User-Agent: device/1.0\r\n\r\n";

    local $/;
    my $r = <$s> // '';

    my ($status) = $r =~ m{^HTTP/1\.1 (\d{3}) };
    my ($edge) = $r =~ /^X-Edge: (\S+)\r$/m;

    return [$edge // '-', $status // substr($r, 0, 40)];
}


edge_b();
no_shuffle();
run_tests();
edge_b_stop();
check_records();


my (%recs, %edges_of_ip, %edges_of_flow, @bad);

for my $edge ('a', 'b') {
    local $ScepTest::Records = $Log{$edge};
    check_records();

    open my $in, '<', $Log{$edge} or die "$Log{$edge}: $!";
    while (<$in>) {
        my $rec = JSON::PP->new->decode($_);
        push @{$recs{$edge}}, $rec;
        push @bad, "edge $edge: observer.hostname $rec->{observer}{hostname}"
            unless $rec->{observer}{hostname} eq "edge-$edge";
        $edges_of_ip{$rec->{source}{ip}}{$edge}++
            unless ($rec->{scep}{message}{type} // '') eq 'CertPoll';
        $edges_of_flow{$rec->{scep}{flow}{id} // 'none'}{$edge}++;
    }
    close $in;
}

ok(!@bad, "$0 - each edge's records carry its name") or diag(join "\n", @bad);

my @split = grep { keys %{$edges_of_ip{$_}} != 1 } @Devices;
ok(!@split && !grep({ !$edges_of_ip{$_} } @Devices),
   "$0 - each device's requests went to one edge until its edge stopped")
    or diag("on both edges: @split");

my %per = (a => 0, b => 0);
$per{(keys %{$edges_of_ip{$_}})[0] // '-'}++ for @Devices;

# 32 devices on two edges of a consistent hash: all on one would be a
# chance of 2^-31, or a balancer that ignores the address
ok($per{a} && $per{b}, "$0 - the devices spread over both edges: A $per{a}, B $per{b}");

my @shared = grep { keys %{$edges_of_flow{$_}} > 1 } keys %edges_of_flow;
ok(!@shared && !$edges_of_flow{none},
   "$0 - every record has a flow, and no flow id is on both edges")
    or diag("on both: @shared");

# one flow per device and edge: 32 preludes, and the moved device's CertPoll
is(scalar keys %edges_of_flow, @Devices + 1,
   "$0 - a flow of its own for each device, and one on edge A for the device that moved");


# the guide's query of this file, as written
my $guide = do {
    local $/;
    open my $g, '<', "$ScepTest::Top/docs/soc-guide.md" or die $!;
    <$g>;
};

my %query;
while ($guide =~ m{<!-- query: ([\w-]+) in t/103-edges\.t -->\n```sh\n(.*?)```}sg) {
    $query{$1} = $2;
}

is_deeply([sort keys %query], ['edge-join'], "$0 - the guide's queries of this file");

{
    local $ENV{LOG_A} = $Log{a};
    local $ENV{LOG_B} = $Log{b};
    local $ENV{TID} = $Tid;

    open my $sh, '-|', 'bash', '-e', '-o', 'pipefail', '-c',
                       "exec 2>&1\n" . ($query{'edge-join'} // 'false')
        or die "bash: $!";
    my $out = do { local $/; <$sh> } // '';
    close $sh;
    is($? >> 8, 0, "$0 - edge-join runs") or diag($out);

    my @rows = map { [split /\t/] } split /\n/, $out;
    my $ip = $rows[0][4] // '-';

    is_deeply([map { "$_->[1] $_->[3] $_->[5] $_->[6] $_->[7]" } @rows],
              ['edge-b 1 GetCACert - 200', 'edge-b 2 GetCACaps - 200',
               'edge-b 3 PKIOperation PKCSReq 200',
               'edge-a 1 PKIOperation CertPoll 200'],
              "$0 - edge-join: the device's prelude and PKCSReq on edge B, its CertPoll on edge A, in order");

    ok(@rows == 4 && !grep({ $_->[4] ne $ip } @rows)
       && $rows[0][2] eq $rows[2][2] && $rows[2][2] ne $rows[3][2],
       "$0 - edge-join: one device, B's flow and A's");
}

__DATA__

=== TEST 1: devices through the balancer, each on one edge; edge B stops, and its device's CertPoll reaches edge A
--- main_config
    $TEST_NGINX_STREAM_MODULE
--- post_main_config
    stream {
        upstream edges {
            hash $remote_addr consistent;
            server 127.0.0.1:$TEST_NGINX_EDGE_A_PORT;
            server 127.0.0.1:$TEST_NGINX_EDGE_B_PORT;
        }

        server {
            listen 127.0.0.1:$TEST_NGINX_BALANCER_PORT;
            proxy_pass edges;
            proxy_protocol on;
        }
    }
--- http_config
    scep_observer_name edge-a;
    scep_flow_zone devices:1m;

    server {
        listen 127.0.0.1:$TEST_NGINX_EDGE_A_PORT proxy_protocol;
        set_real_ip_from 127.0.0.1;
        real_ip_header proxy_protocol;
        access_log $TEST_NGINX_EDGE_A_LOG scep_json if=$scep_log_json;

        location /certsrv/mscep/ {
            scep on;
            scep_flow devices;
            add_header X-Edge edge-a always;
            proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
        }
    }
--- config
    location /ndes/ {
        rewrite ^ /ndes-$arg_operation last;
    }

    location = /ndes-GetCACert {
        default_type application/x-x509-ca-ra-cert;
        alias $TEST_NGINX_DATA/getcacert-ca-ra.der;
    }

    location = /ndes-GetCACaps {
        return 200 "POSTPKIOperation\nSHA-256\n";
    }

    location = /ndes-PKIOperation {
        default_type application/x-pki-message;
        alias $TEST_NGINX_DATA/certrep-pending.der;
    }

    location = /check {
        root html;
    }
--- init
my (@problems, $moved);

my $getcacert = 'GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca';
my $getcacaps = 'GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca';

for my $ip (@main::Devices) {
    my @r = map { main::via($ip, $_) } $getcacert, $getcacaps;
    push @problems, "$ip: $r[0][0] $r[0][1], $r[1][0] $r[1][1]"
        unless $r[0][1] eq '200' && $r[1][1] eq '200';
    $moved //= $ip if $r[0][0] eq 'edge-b';
}

if (defined $moved) {
    my $r = main::via($moved, ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha256.der')));
    push @problems, "PKCSReq from $moved: @$r" unless "@$r" eq 'edge-b 200';

    main::edge_b_stop();

    $r = main::via($moved, ScepTest::pkiop_get(ScepTest::message('certpoll.der')));
    push @problems, "CertPoll from $moved: @$r" unless "@$r" eq 'edge-a 200';

} else {
    push @problems, 'no device on edge B';
}

ScepTest::report(@problems);
--- request
GET /check
--- response_body
ok
--- no_error_log
[alert]
[crit]



=== TEST 2: without scep_observer_name, nginx's host name, lowercased
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /ndes/ {
        return 200 "POSTPKIOperation\n";
    }
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca
--- record eval
{ observer => ScepTest::exact({ hostname => do { require Sys::Hostname;
                                                 lc Sys::Hostname::hostname() } }) }



=== TEST 3: a name with quotes, a backslash and UTF-8 is written as valid JSON
--- http_config
    scep_observer_name "edge-\"b\" \\ münchen";
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /ndes/ {
        return 200 "POSTPKIOperation\n";
    }
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca
--- record eval
{ observer => { hostname => "edge-\"b\" \\ m\x{fc}nchen" } }



=== TEST 4: a control character is refused
--- http_config
    scep_observer_name "edge\tb";
--- config
--- must_die
--- error_log
scep_observer_name has a control character or is not UTF-8



=== TEST 5: invalid UTF-8 is refused, its last byte too
--- http_config eval
"    scep_observer_name edge-\xff;\n"
--- config
--- must_die
--- error_log
scep_observer_name has a control character or is not UTF-8



=== TEST 6: a lone continuation byte is refused, in the middle as at the end
--- http_config eval
"    scep_observer_name edge-\x80b;\n"
--- config
--- must_die
--- error_log
scep_observer_name has a control character or is not UTF-8



=== TEST 7: a name of more than 255 bytes is refused
--- http_config eval
"    scep_observer_name " . ('e' x 256) . ";\n"
--- config
--- must_die
--- error_log
scep_observer_name must be 1 to 255 bytes



=== TEST 8: at the http level only, once
--- http_config
    scep_observer_name edge-a;
    scep_observer_name edge-b;
--- config
--- must_die
--- error_log
"scep_observer_name" directive is duplicate
