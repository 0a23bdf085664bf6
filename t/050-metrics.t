# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# Prometheus metrics: the exposition is checked line by line, and its
# numbers against the requests this file sent, with two workers.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use ScepTest;

$ENV{TEST_NGINX_DATA} = "$ScepTest::Top/t/data";

# nothing listens there: an upstream that refuses
$ENV{TEST_NGINX_REFUSED_PORT} = ScepTest::free_port();

# the NDES stand-in: an answer per operation (ndes(), /data/), and a 503
# under /down/
default_config(<<'_EOC_' . ndes(file => '$answer'));
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        scep_flow devices;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }

    location /monitor/ {
        scep on;
        scep_reject off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }

    location /down/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/unavailable/;
    }

    location /unavailable/ {
        return 503;
    }

    location = /metrics {
        scep_metrics;
    }

_EOC_

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', <<'_EOC_' . ($block->http_config // ''));
    scep_flow_zone devices:1m;

    map $arg_operation $answer {
        GetCACert     getcacert-ca-ra.der;
        GetCACaps     getcacaps-ndes.txt;
        PKIOperation  certrep-pending.der;
        default       getcacaps-ndes.txt;
    }
_EOC_
});

# What a test sends: [request, count]; and the samples that must follow.
our @Requests = (
    ['GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca', 3],
    ['GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca', 2],
    [ScepTest::pkiop_get(ScepTest::message('pkcsreq-sha256.der')), 2],
    [ScepTest::pkiop_get(ScepTest::message('bad-signature.der')), 1],
    ['GET /certsrv/mscep/mscep.dll?operation=GetCRL', 2],
    ['POST /certsrv/mscep/mscep.dll?operation=GetCACaps', 1],
    ['GET /monitor/mscep.dll?operation=Fetch', 1],
    ['GET /down/mscep.dll?operation=GetCACaps&message=ca', 1],
);

our %Expected = (
    'scep_requests_total{operation="GetCACert",status="200",client="other"}' => 3,
    'scep_requests_total{operation="GetCACaps",status="200",client="other"}' => 2,
    'scep_requests_total{operation="PKIOperation",status="200",client="other"}' => 2,
    'scep_requests_total{operation="PKIOperation",status="400",client="other"}' => 1,
    'scep_requests_total{operation="unknown",status="400",client="other"}' => 2,
    'scep_requests_total{operation="GetCACaps",status="405",client="other"}' => 1,
    'scep_requests_total{operation="unknown",status="200",client="other"}' => 1,
    'scep_requests_total{operation="GetCACaps",status="503",client="other"}' => 1,
    'scep_rejects_total{reason="signature_invalid"}' => 1,
    'scep_rejects_total{reason="unknown_operation"}' => 2,
    'scep_rejects_total{reason="method_not_allowed"}' => 1,
    'scep_monitor_rejects_total{reason="unknown_operation"}' => 1,
    'scep_pki_status_total{status="PENDING",fail_info=""}' => 2,
    'scep_upstream_status_total{status="200"}' => 8,
    'scep_upstream_status_total{status="503"}' => 1,
    'scep_diagnoses_total{code="scep_pending"}' => 2,
    'scep_diagnoses_total{code="ndes_app_pool_stopped"}' => 1,
    'scep_flows_active{zone="devices"}' => 1,
    'scep_flows_evicted_total{zone="devices"}' => 0,
    'scep_nonces_evicted_total{zone="devices"}' => 0,
    'scep_decode_seconds_count{}' => 3,
    'scep_upstream_response_seconds_count{operation="GetCACert"}' => 3,
    'scep_upstream_response_seconds_count{operation="GetCACaps"}' => 3,
    'scep_upstream_response_seconds_count{operation="PKIOperation"}' => 2,
    'scep_upstream_response_seconds_count{operation="unknown"}' => 1,
);

master_on();
workers(2);
no_shuffle();
run_tests();
check_records();


# Sends the requests, each on a connection of its own, so that both
# workers take some; returns what /metrics says then: the problems and
# the samples.
sub ScepTest::metrics_after_requests {
    for my $req (@Requests) {
        my ($line, $count) = @$req;
        for (1 .. $count) {
            my $r = ScepTest::fetch($line, 'User-Agent: metrics-device');
            die "no answer to $line" unless $r =~ m{^HTTP/1\.1 \d{3} };
        }
    }

    return ScepTest::metrics();
}


__DATA__

=== TEST 1: the exposition is well formed, and its numbers are the requests sent
--- init
my ($bad, $samples) = ScepTest::metrics_after_requests();
my @problems = @$bad;

for my $k (sort keys %main::Expected) {
    my $got = $samples->{$k} // 0;
    push @problems, "$k: $got, not $main::Expected{$k}"
        if $got != $main::Expected{$k};
}

# nothing counted that was not sent
for my $k (grep { /^scep_(requests|rejects|monitor_rejects|pki_status|upstream_status)_total|^scep_upstream_response_seconds_count/ }
           keys %$samples)
{
    push @problems, "$k: $samples->{$k}, not sent"
        unless exists $main::Expected{$k};
}

# the three decodes fall in buckets, the sum is positive
my @b = grep { /^scep_decode_seconds_bucket/ } keys %$samples;
push @problems, "only " . scalar @b . " buckets" unless @b >= 10;
push @problems, "no decode time" unless $samples->{'scep_decode_seconds_sum{}'} > 0;

ScepTest::report(@problems);
--- request
GET /check
--- response_body
ok
--- no_error_log
[alert]
[crit]



=== TEST 2: the counters survive a reload, and the certificate gauges
--- init
my (undef, $before) = ScepTest::metrics_after_requests();
my @gauges = sort grep { /^scep_certificate_not_after_seconds\{/ } keys %$before;

open my $pidfile, '<', server_root() . '/logs/nginx.pid' or die $!;
chomp(my $pid = <$pidfile>);
kill 'HUP', $pid or die "HUP: $!";
select undef, undef, undef, 1.5;

my ($bad, $samples) = ScepTest::metrics();
my $k = 'scep_requests_total{operation="GetCACert",status="200",client="other"}';

my @after = sort grep { /^scep_certificate_not_after_seconds\{/ } keys %$samples;

# the CA and the two RA certificates of NDES's answer, of one upstream
ScepTest::report(@$bad, ($samples->{$k} // 0) == 3 ? () : "after HUP $k: "
                                                          . ($samples->{$k} // 0),
                 @gauges == 3 ? () : "certificate gauges: @gauges",
                 "@after" eq "@gauges" ? () : "after HUP: @after",
                 (grep { $samples->{$_} != $before->{$_} } @after)
                 ? "after HUP the notAfter changed" : ());
--- request
GET /check
--- response_body
ok



=== TEST 3: scep_metrics answers GET only
--- request
POST /metrics
--- error_code: 405



=== TEST 4: the module's own zones are not flow zones
--- config
    location /certsrv/mscep/ {
        scep on;
        scep_flow scep_metrics;
    }
--- must_die
--- error_log
the shared memory zone "scep_metrics" is already declared for a different use



=== TEST 5: under error_page the metrics count the status the client got, as the record and $status say it
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_REFUSED_PORT/;
        error_page 502 /ndes-down;
    }

    location = /ndes-down {
        return 200 "NDES is down\n";
    }

    location = /metrics {
        scep_metrics;
    }
--- init
my $r = ScepTest::fetch('GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca');
my @problems = $r =~ m{^HTTP/1\.1 502 .*\r\n\r\nNDES is down\n\z}s
             ? () : "the client got: " . substr($r, 0, 100);

my ($bad, $samples) = ScepTest::metrics();
push @problems, @$bad;

# no User-Agent, HTTP/1.0 without a Host: what sscep sends
my $k = 'scep_requests_total{operation="GetCACaps",status="502",client="sscep"}';
push @problems, "$k: " . ($samples->{$k} // 0) . ", not 1"
    unless ($samples->{$k} // 0) == 1;

for my $other (grep { /^scep_requests_total\{operation="GetCACaps"/ } keys %$samples) {
    push @problems, "$other: $samples->{$other}, not sent"
        if $other ne $k;
}

ScepTest::report(@problems);
--- request
GET /check
--- response_body
ok
--- access_log eval
qr{"http":\{"request":\{"method":"GET","bytes":\d+\},"response":\{"status_code":502,.*"scep":\{"operation":"GetCACaps",.*"diagnosis":\{"code":"ndes_unreachable"}
